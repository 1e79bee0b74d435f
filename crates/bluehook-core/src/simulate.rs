//! Realistic raw BigBlueButton Redis traffic for one simulated meeting.
//!
//! The simulator lets developers exercise their webhook receivers without a BBB server: it
//! publishes, on the channels a relay subscribes to, the very JSON that BBB's akka-apps, bbb-web
//! and record-and-playback scripts would publish during a meeting. [`meeting`] lays out that
//! timeline for a [`Scenario`] and returns it as [`Step`]s (channel, offset, payload); the
//! engine's simulator publishes them, scaling the offsets by a pace, and the relay then
//! ingests them exactly as it ingests a real server's traffic.
//!
//! This module is pure: no clock, no I/O, no randomness but the scenario's seed (a splitmix64
//! generator drives names, ids and gaps), so the same scenario always yields the same bytes.
//!
//! The messages have BBB 3.0's shapes: akka-apps and bbb-web messages are
//! `{envelope: {name, routing, timestamp}, core: {header, body}}`, record-and-playback steps
//! are `{header: {timestamp, name, current_time, version}, payload}`. Fields bbb-webhooks does
//! not read are still filled in (colours, session tokens, stream ids, poll types…), so getRaw
//! hooks see realistic data. Ids are formed as BBB forms them: the internal meeting id is
//! `sha1hex(external id)-<create time>` (bbb-web's `convertToInternalMeetingId`), which is also
//! the record id; user ids are `w_` + 12 lowercase alphanumerics.
//!
//! Channels follow akka-apps' `FromAkkaAppsMsgSenderActor`: everything goes to
//! `from-akka-apps-redis-channel` except `SetCurrentPresentationEvtMsg`
//! (`from-akka-apps-pres-redis-channel`); `GroupChatMessageBroadcastEvtMsg` also takes the
//! default channel (only the legacy `SendPublicMessageEvtMsg` used the chat channel). bbb-web
//! publishes on `from-bbb-web-redis-channel`, the recording scripts on `bigbluebutton:from-rap`.
//!
//! Only messages bbb-webhooks translates are emitted, so every step becomes at least one
//! event. Left out although BBB sends them: `PollShowResultEvtMsg` (publishing poll results),
//! `MeetingEndingEvtMsg`, `archive_norecord`, presence/talking updates and the like.

use serde_json::{json, Map, Value};
use sha1::{Digest, Sha1};

/// akka-apps' default channel: meetings, users, audio, cameras, chat, polls, recording status.
const AKKA: &str = "from-akka-apps-redis-channel";
/// akka-apps' presentation channel (`SetCurrentPresentationEvtMsg`).
const AKKA_PRES: &str = "from-akka-apps-pres-redis-channel";
/// bbb-web's channel: recordings published/unpublished/deleted through the API.
const BBB_WEB: &str = "from-bbb-web-redis-channel";
/// The record-and-playback scripts' channel.
const RAP: &str = "bigbluebutton:from-rap";

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// The meeting's display name (`meetingProp.name`), e.g. "Simulated meeting".
    pub meeting_name: String,
    /// The meeting id the integrator passed to `create` — what webhook receivers key on.
    pub external_meeting_id: String,
    /// How many attendees join; the first is the moderator and presenter. `0` counts as `1`.
    /// They get the external user ids `sim-user-1`, `sim-user-2`, …
    pub users: usize,
    /// How many public chat messages are sent, spread over the meeting.
    pub chat_messages: usize,
    /// Whether the presenter runs a poll that every other attendee answers.
    pub poll: bool,
    /// Whether a presenter shares their screen for a while.
    pub screenshare: bool,
    /// Whether the meeting is recorded: the moderator presses the record button after the
    /// first arrivals and again before the end, and after the meeting the record-and-playback
    /// pipeline runs (archive, sanity, process, publish and their post scripts) until the
    /// recording is published (`rap-publish-ended` carries its playback link).
    pub recording: bool,
    /// Whether, some minutes after publishing, the integrator unpublishes and republishes the
    /// recording through the API, so bbb-web sends `UnpublishedRecordingSysMsg` and
    /// `PublishedRecordingSysMsg` (`rap-unpublished`, `rap-published`). BBB itself sends
    /// neither when processing finishes. Only with `recording`.
    pub republish: bool,
    /// The BBB server's host name, used in playback and thumbnail URLs.
    pub server_domain: String,
    /// Milliseconds since the epoch of the first message and the meeting's create time; every
    /// timestamp in the stream is derived from it (envelope timestamps are `start_ms + at_ms`).
    pub start_ms: u64,
    /// Drives every choice: names, ids, who does what, and the gaps between messages.
    pub seed: u64,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            meeting_name: "Simulated meeting".into(),
            external_meeting_id: "sim-meeting-1".into(),
            users: 3,
            chat_messages: 3,
            poll: true,
            screenshare: true,
            recording: true,
            republish: false,
            server_domain: "bbb.example.com".into(),
            // 2026-01-01T12:00:00Z: there is no clock here; runners pass the current time.
            start_ms: 1_767_268_800_000,
            seed: 1,
        }
    }
}

/// One message to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The Redis channel BBB publishes this message on.
    pub channel: &'static str,
    /// Offset from the start of the scenario in milliseconds; never decreases from one step
    /// to the next. A runner waits `at_ms` scaled by its pace before publishing.
    pub at_ms: u64,
    /// The raw message, as compact JSON text.
    pub payload: String,
}

/// The whole stream of one meeting, in publishing order: creation, arrivals, the meeting's
/// activity, departures, the end, then (when recorded) the recording pipeline.
pub fn meeting(scenario: &Scenario) -> Vec<Step> {
    let mut t = Timeline::new(scenario);
    let m = Meeting::new(scenario, &mut t.rng);
    let cast = Cast::new(scenario, &mut t.rng);
    let [chat_greetings, chat_early, chat_middle, chat_late] = split4(scenario.chat_messages);

    t.emit(AKKA, meeting_created(&m, t.now()));
    t.wait(1_500, 4_000);
    t.emit(AKKA_PRES, presentation_changed(&m, t.now()));

    arrivals(&mut t, &m, &cast);
    chat_burst(&mut t, &m, &cast, chat_greetings);
    let recording_started = scenario.recording.then(|| {
        t.wait(5_000, 20_000);
        t.emit(AKKA, recording_status(&m, &cast.host, true, t.now()));
        t.at_ms
    });
    cameras_on(&mut t, &m, &cast);
    let muted = mute_round(&mut t, &m, &cast);
    chat_burst(&mut t, &m, &cast, chat_early);
    if scenario.poll {
        poll(&mut t, &m, &cast);
    }
    chat_burst(&mut t, &m, &cast, chat_middle);
    hand_and_reaction(&mut t, &m, &cast);
    presenter_turn(&mut t, &m, &cast, scenario.screenshare);
    chat_burst(&mut t, &m, &cast, chat_late);
    unmute_round(&mut t, &m, &muted);
    let recorded_ms = recording_started.map(|started| {
        t.wait(10_000, 40_000);
        t.emit(AKKA, recording_status(&m, &cast.host, false, t.now()));
        t.at_ms - started
    });
    departures(&mut t, &m, &cast);
    t.wait(3_000, 12_000);
    t.emit(AKKA, meeting_destroyed(&m, t.now()));
    let ended_ms = t.now();

    if let Some(recorded_ms) = recorded_ms {
        recording_pipeline(&mut t, &m, recorded_ms, ended_ms);
        if scenario.republish {
            t.wait(120_000, 600_000);
            t.emit(BBB_WEB, recording_api_change(&m, false, t.now()));
            t.wait(5_000, 60_000);
            t.emit(BBB_WEB, recording_api_change(&m, true, t.now()));
        }
    }
    t.steps
}

// ---------------------------------------------------------------------------------------------
// The timeline's phases.

/// Each attendee joins, the moderator is made presenter, and everyone joins the audio
/// conference a few seconds later (some listen only).
fn arrivals(t: &mut Timeline, m: &Meeting, cast: &Cast) {
    t.wait(5_000, 15_000);
    t.emit(AKKA, user_joined(m, &cast.host, t.now()));
    t.wait(40, 250);
    t.emit(AKKA, presenter_assigned(m, &cast.host, &cast.host, t.now()));
    t.wait(2_500, 9_000);
    t.emit(AKKA, voice_joined(m, &cast.host, t.now()));
    for guest in &cast.guests {
        t.wait(4_000, 25_000);
        t.emit(AKKA, user_joined(m, guest, t.now()));
        t.wait(2_500, 12_000);
        t.emit(AKKA, voice_joined(m, guest, t.now()));
    }
}

/// `count` public chat messages from random attendees.
fn chat_burst(t: &mut Timeline, m: &Meeting, cast: &Cast, count: usize) {
    for _ in 0..count {
        t.wait(4_000, 40_000);
        let sender = cast.pick(&mut t.rng);
        let text = t.rng.pick(&CHAT_LINES);
        let message_id = format!("{}-{}", t.now(), t.rng.chars(LOWER_ALNUM, 8));
        let typed_at = t.now() - t.rng.range(15, 90);
        let chat = ChatLine {
            id: &message_id,
            text,
            correlation_id: &format!("{}-{typed_at}", sender.internal_id),
        };
        t.emit(AKKA, chat_message(m, sender, &chat, t.now()));
    }
}

/// The moderator and some attendees start their webcams.
fn cameras_on(t: &mut Timeline, m: &Meeting, cast: &Cast) {
    for user in cast.everyone().filter(|u| u.camera.is_some()) {
        t.wait(3_000, 15_000);
        t.emit(AKKA, camera(m, user, true, t.now()));
    }
}

/// Microphone users mute themselves (the moderator always, others sometimes); returns who.
fn mute_round<'a>(t: &mut Timeline, m: &Meeting, cast: &'a Cast) -> Vec<&'a Participant> {
    let mut muted = Vec::new();
    for user in cast.everyone().filter(|u| u.microphone) {
        if user.moderator || t.rng.chance(60) {
            t.wait(5_000, 30_000);
            t.emit(AKKA, voice_muted(m, user, true, t.now()));
            muted.push(user);
        }
    }
    muted
}

/// Everyone who muted themselves unmutes again.
fn unmute_round(t: &mut Timeline, m: &Meeting, muted: &[&Participant]) {
    for user in muted {
        t.wait(5_000, 30_000);
        t.emit(AKKA, voice_muted(m, user, false, t.now()));
    }
}

/// The moderator (presenter) starts a poll; every other attendee answers it.
fn poll(t: &mut Timeline, m: &Meeting, cast: &Cast) {
    t.wait(20_000, 60_000);
    let (question, answers) = t.rng.pick(&POLLS);
    let poll = Poll {
        id: format!("{}/1/{}", m.presentation_id, t.now()),
        question,
        answers,
    };
    t.emit(AKKA, poll_started(m, &cast.host, &poll, t.now()));
    let mut respondents: Vec<&Participant> = cast.guests.iter().collect();
    t.rng.shuffle(&mut respondents);
    for respondent in respondents {
        t.wait(2_000, 20_000);
        let answer = t.rng.below(answers.len() as u64);
        t.emit(
            AKKA,
            poll_response(m, &cast.host, respondent, &poll, answer, t.now()),
        );
    }
}

/// An attendee (the moderator when alone) raises a hand and lowers it after the question,
/// and someone sends a reaction, which BBB clears again after its display time.
fn hand_and_reaction(t: &mut Timeline, m: &Meeting, cast: &Cast) {
    let asker = cast.pick_guest(&mut t.rng);
    t.wait(10_000, 45_000);
    t.emit(AKKA, raise_hand(m, asker, true, t.now()));
    t.wait(8_000, 40_000);
    t.emit(AKKA, raise_hand(m, asker, false, t.now()));

    let reactor = cast.pick(&mut t.rng);
    let emoji = t.rng.pick(&REACTIONS);
    t.wait(5_000, 30_000);
    t.emit(AKKA, reaction(m, reactor, emoji, t.now()));
    t.wait(30_000, 30_500);
    t.emit(AKKA, reaction(m, reactor, "none", t.now()));
}

/// The moderator hands the presenter role to an attendee (if any), who shares their screen
/// for a while when the scenario has screen sharing; then the moderator takes it back.
fn presenter_turn(t: &mut Timeline, m: &Meeting, cast: &Cast, screenshare: bool) {
    let host = &cast.host;
    let presenter = if cast.guests.is_empty() {
        host
    } else {
        let guest = cast.pick_guest(&mut t.rng);
        t.wait(10_000, 40_000);
        t.emit(AKKA, presenter_unassigned(m, host, host, t.now()));
        t.wait(5, 60);
        t.emit(AKKA, presenter_assigned(m, guest, host, t.now()));
        guest
    };
    if screenshare {
        t.wait(8_000, 25_000);
        let share = Screenshare {
            stream: t.rng.uuid(),
            started_ms: t.now() - t.rng.range(150, 600),
        };
        t.emit(AKKA, screenshare_started(m, presenter, &share, t.now()));
        t.wait(45_000, 240_000);
        t.emit(AKKA, screenshare_stopped(m, presenter, &share, t.now()));
    }
    if !std::ptr::eq(presenter, host) {
        t.wait(5_000, 20_000);
        t.emit(AKKA, presenter_unassigned(m, presenter, host, t.now()));
        t.wait(5, 60);
        t.emit(AKKA, presenter_assigned(m, host, host, t.now()));
    }
}

/// The attendees leave in random order (camera off, out of the audio conference, gone); the
/// moderator turns the camera off and stays to end the meeting — bbb-webhooks then sends the
/// moderator's `user-left` itself, before `meeting-ended`.
fn departures(t: &mut Timeline, m: &Meeting, cast: &Cast) {
    let mut leaving: Vec<&Participant> = cast.guests.iter().collect();
    t.rng.shuffle(&mut leaving);
    for user in leaving {
        t.wait(5_000, 40_000);
        if user.camera.is_some() {
            t.emit(AKKA, camera(m, user, false, t.now()));
            t.wait(50, 300);
        }
        t.emit(AKKA, voice_left(m, user, t.now()));
        t.wait(100, 900);
        t.emit(AKKA, user_left(m, user, t.now()));
    }
    if cast.host.camera.is_some() {
        t.wait(5_000, 20_000);
        t.emit(AKKA, camera(m, &cast.host, false, t.now()));
    }
}

/// After the meeting: the record-and-playback steps, each `*_started` followed by its
/// `*_ended` one step time later, the presentation format last published.
fn recording_pipeline(t: &mut Timeline, m: &Meeting, recorded_ms: u64, ended_ms: u64) {
    t.wait(20_000, 75_000);
    // The archive step writes events.xml, the source of `external_meeting_id`: its
    // started message has none.
    t.rap(m, RapStep::new("archive_started").before_archive());
    let archive = t.rng.range(2_000, 15_000);
    t.run_for(archive);
    t.rap(m, RapStep::new("archive_ended").outcome(archive));

    t.wait(500, 3_000);
    t.rap(m, RapStep::new("sanity_started"));
    let sanity = t.rng.range(400, 3_000);
    t.run_for(sanity);
    t.rap(m, RapStep::new("sanity_ended").outcome(sanity));
    post_script(t, m, "post_archive");

    t.wait(1_000, 10_000);
    t.rap(m, RapStep::new("process_started").workflow(FORMAT));
    let process = t.rng.range(30_000, 240_000);
    t.run_for(process);
    t.rap(
        m,
        RapStep::new("process_ended")
            .workflow(FORMAT)
            .outcome(process),
    );
    post_script(t, m, "post_process");

    t.wait(1_000, 10_000);
    t.rap(m, RapStep::new("publish_started").workflow(FORMAT));
    let publish = t.rng.range(2_000, 12_000);
    t.run_for(publish);
    let published = Publication {
        processing_ms: process,
        recorded_ms,
        size: t.rng.range(200_000, 8_000_000),
        raw_size: t.rng.range(8_000_000, 90_000_000),
        ended_ms,
    };
    let ended = RapStep::new("publish_ended")
        .workflow(FORMAT)
        .outcome(publish)
        .with(publication(m, &published));
    t.rap(m, ended);
    post_script(t, m, "post_publish");
}

/// The playback format the simulated server processes and publishes.
const FORMAT: &str = "presentation";

/// One post script (named like its step, as an admin installs e.g. `post_publish.rb`) runs;
/// its name is the messages' `workflow`.
fn post_script(t: &mut Timeline, m: &Meeting, script: &'static str) {
    let started = format!("{script}_started");
    let ended = format!("{script}_ended");
    t.wait(100, 800);
    t.rap(m, RapStep::new(&started).workflow(script));
    let took = t.rng.range(200, 4_000);
    t.run_for(took);
    t.rap(m, RapStep::new(&ended).workflow(script).outcome(took));
}

// ---------------------------------------------------------------------------------------------
// Who and what: the meeting and its participants.

/// The meeting as akka-apps knows it.
struct Meeting<'a> {
    /// The scenario, for names, external id and flags.
    scenario: &'a Scenario,
    /// `sha1hex(external id)-<create time>`; also the record id.
    internal_id: String,
    /// FreeSWITCH conference number (`voiceConf`), also the screenshare conference.
    voice_conf: String,
    /// Legacy passwords (still in 3.0's create props and in `meeting-created`).
    moderator_pass: String,
    viewer_pass: String,
    learning_dashboard_token: String,
    /// The default presentation, made current right after creation.
    presentation_id: String,
}

impl<'a> Meeting<'a> {
    fn new(scenario: &'a Scenario, rng: &mut Rng) -> Self {
        let digest = Sha1::digest(scenario.external_meeting_id.as_bytes());
        let internal_id = format!("{}-{}", hex::encode(digest), scenario.start_ms);
        let presentation_id = format!(
            "{}-{}",
            rng.chars(HEX, 40),
            scenario.start_ms + rng.range(60, 400)
        );
        Meeting {
            scenario,
            internal_id,
            voice_conf: rng.range(70_000, 79_999).to_string(),
            moderator_pass: rng.chars(ALNUM, 8),
            viewer_pass: rng.chars(ALNUM, 8),
            learning_dashboard_token: rng.chars(LOWER_ALNUM, 12),
            presentation_id,
        }
    }

    fn record_id(&self) -> &str {
        &self.internal_id
    }
}

/// One attendee.
struct Participant {
    /// akka-apps' user id, `w_` + 12 characters.
    internal_id: String,
    /// The `userID` passed to `join`: `sim-user-<n>`.
    external_id: String,
    name: String,
    moderator: bool,
    /// The avatar colour the client shows.
    color: &'static str,
    /// Joins the audio with a microphone; otherwise listen only.
    microphone: bool,
    /// FreeSWITCH's member id for microphone users, the user id for listen-only ones.
    voice_user_id: String,
    /// The webcam stream id, for users who share a camera.
    camera: Option<String>,
    session_token: String,
    ip_address: String,
    user_agent: &'static str,
}

/// Everyone in the meeting: the moderator who opens it, and the other attendees.
struct Cast {
    /// The first to join: moderator, presenter, and the one who ends the meeting.
    host: Participant,
    guests: Vec<Participant>,
}

impl Cast {
    fn new(scenario: &Scenario, rng: &mut Rng) -> Self {
        let host = Participant::new(0, rng);
        let guests = (1..scenario.users.max(1))
            .map(|i| Participant::new(i, rng))
            .collect();
        Cast { host, guests }
    }

    fn everyone(&self) -> impl Iterator<Item = &Participant> {
        std::iter::once(&self.host).chain(&self.guests)
    }

    /// Anyone, the moderator included.
    fn pick(&self, rng: &mut Rng) -> &Participant {
        let i = rng.below(self.guests.len() as u64 + 1) as usize;
        self.guests.get(i).unwrap_or(&self.host)
    }

    /// An attendee other than the moderator, or the moderator when alone.
    fn pick_guest(&self, rng: &mut Rng) -> &Participant {
        let i = rng.below(self.guests.len() as u64) as usize;
        self.guests.get(i).unwrap_or(&self.host)
    }
}

impl Participant {
    /// The `index`-th attendee (0 = moderator).
    fn new(index: usize, rng: &mut Rng) -> Self {
        let internal_id = format!("w_{}", rng.chars(LOWER_ALNUM, 12));
        let name = format!("{} {}", rng.pick(&FIRST_NAMES), rng.pick(&LAST_NAMES));
        let moderator = index == 0;
        let microphone = moderator || !rng.chance(35);
        let voice_user_id = if microphone {
            (index + 1).to_string()
        } else {
            internal_id.clone()
        };
        let camera =
            (moderator || rng.chance(50)).then(|| format!("{internal_id}_{}", rng.chars(HEX, 64)));
        Participant {
            external_id: format!("sim-user-{}", index + 1),
            name,
            moderator,
            color: rng.pick(&COLORS),
            microphone,
            voice_user_id,
            camera,
            session_token: rng.chars(LOWER_ALNUM, 16),
            ip_address: format!("{}.{}", rng.pick(&IP_PREFIXES), rng.range(2, 254)),
            user_agent: rng.pick(&USER_AGENTS),
            internal_id,
        }
    }

    fn role(&self) -> &'static str {
        if self.moderator {
            "MODERATOR"
        } else {
            "VIEWER"
        }
    }

    /// How FreeSWITCH names the caller (spaces become `+`).
    fn caller_name(&self) -> String {
        self.name.replace(' ', "+")
    }
}

/// A public chat message's own fields.
struct ChatLine<'a> {
    id: &'a str,
    text: &'a str,
    correlation_id: &'a str,
}

/// A poll the presenter starts.
struct Poll {
    id: String,
    question: &'static str,
    answers: &'static [&'static str],
}

/// A screen share's stream.
struct Screenshare {
    stream: String,
    /// When the stream began, as the SFU reports it (a string in the body).
    started_ms: u64,
}

/// What the publish step reads from the format's metadata.xml.
struct Publication {
    processing_ms: u64,
    recorded_ms: u64,
    size: u64,
    raw_size: u64,
    ended_ms: u64,
}

// ---------------------------------------------------------------------------------------------
// Raw message builders: one per BBB message, each returning the JSON BBB publishes.

/// The envelope/core frame of a message akka-apps sends to a meeting's clients.
fn to_meeting(name: &str, m: &Meeting, user_id: &str, ts: u64, body: Value) -> Value {
    routed(name, "BROADCAST_TO_MEETING", m, user_id, ts, body)
}

fn routed(name: &str, msg_type: &str, m: &Meeting, user_id: &str, ts: u64, body: Value) -> Value {
    json!({
        "envelope": {
            "name": name,
            "routing": {"msgType": msg_type, "meetingId": m.internal_id, "userId": user_id},
            "timestamp": ts,
        },
        "core": {
            "header": {"name": name, "meetingId": m.internal_id, "userId": user_id},
            "body": body,
        },
    })
}

/// The frame of a system message (`routing: {sender}`, header with only the name).
fn from_system(name: &str, sender: &str, ts: u64, body: Value) -> Value {
    json!({
        "envelope": {"name": name, "routing": {"sender": sender}, "timestamp": ts},
        "core": {"header": {"name": name}, "body": body},
    })
}

/// `MeetingCreatedEvtMsg` → meeting-created.
fn meeting_created(m: &Meeting, ts: u64) -> Value {
    let s = m.scenario;
    let props = json!({
        "meetingProp": {
            "name": s.meeting_name,
            "extId": s.external_meeting_id,
            "intId": m.internal_id,
            "meetingCameraCap": 0,
            "maxPinnedCameras": 3,
            "isBreakout": false,
            "disabledFeatures": [],
            "notifyRecordingIsOn": false,
            "presentationUploadExternalDescription": "",
            "presentationUploadExternalUrl": "",
            "audioBridge": "bbb-webrtc-sfu",
            "cameraBridge": "bbb-webrtc-sfu",
            "screenShareBridge": "bbb-webrtc-sfu",
        },
        "breakoutProps": {
            "parentId": "bbb-none",
            "sequence": 0,
            "freeJoin": false,
            "breakoutRooms": [],
            "record": false,
            "privateChatEnabled": true,
            "captureNotes": false,
            "captureSlides": false,
            "captureNotesFilename": "%%CONFNAME%%",
            "captureSlidesFilename": "%%CONFNAME%%",
        },
        "durationProps": {
            "duration": 0,
            "createdTime": s.start_ms,
            "createdDate": java_date_utc(s.start_ms),
            "meetingExpireIfNoUserJoinedInMinutes": 5,
            "meetingExpireWhenLastUserLeftInMinutes": 1,
            "userInactivityInspectTimerInMinutes": 0,
            "userInactivityThresholdInMinutes": 30,
            "userActivitySignResponseDelayInMinutes": 5,
            "endWhenNoModerator": false,
            "endWhenNoModeratorDelayInMinutes": 1,
        },
        "password": {
            "moderatorPass": m.moderator_pass,
            "viewerPass": m.viewer_pass,
            "learningDashboardAccessToken": m.learning_dashboard_token,
        },
        "recordProp": {
            "record": s.recording,
            "autoStartRecording": false,
            "allowStartStopRecording": true,
            "recordFullDurationMedia": false,
            "keepEvents": true,
        },
        "welcomeProp": {
            "welcomeMsgTemplate": "<br>Welcome to <b>%%CONFNAME%%</b>!",
            "welcomeMsg": format!("<br>Welcome to <b>{}</b>!", s.meeting_name),
            "modOnlyMessage": "",
        },
        "voiceProp": {
            "telVoice": m.voice_conf,
            "voiceConf": m.voice_conf,
            "dialNumber": "613-555-1234",
            "muteOnStart": false,
        },
        "usersProp": {
            "maxUsers": 0,
            "maxUserConcurrentAccesses": 3,
            "webcamsOnlyForModerator": false,
            "userCameraCap": 3,
            "guestPolicy": "ALWAYS_ACCEPT",
            "meetingLayout": "SMART_LAYOUT",
            "allowModsToUnmuteUsers": false,
            "allowModsToEjectCameras": false,
            "authenticatedGuest": false,
        },
        "metadataProp": {"metadata": meeting_metadata()},
        "lockSettingsProps": {
            "disableCam": false,
            "disableMic": false,
            "disablePrivateChat": false,
            "disablePublicChat": false,
            "disableNotes": false,
            "hideUserList": false,
            "lockOnJoin": true,
            "lockOnJoinConfigurable": false,
            "hideViewersCursor": false,
            "hideViewersAnnotation": false,
        },
        "systemProps": {"html5InstanceId": 1},
        "groups": [],
    });
    from_system(
        "MeetingCreatedEvtMsg",
        "bbb-apps-akka",
        ts,
        json!({ "props": props }),
    )
}

/// The `meta_` parameters of the simulated `create` call.
fn meeting_metadata() -> Value {
    json!({"bbb-origin": "Bluehook simulator", "bbb-origin-server-name": "lms.example.com"})
}

/// `SetCurrentPresentationEvtMsg` (the default presentation, once converted) →
/// meeting-presentation-changed.
fn presentation_changed(m: &Meeting, ts: u64) -> Value {
    let body = json!({"podId": "DEFAULT_PRESENTATION_POD", "presentationId": m.presentation_id});
    to_meeting("SetCurrentPresentationEvtMsg", m, "system", ts, body)
}

/// `UserJoinedMeetingEvtMsg` with BBB 3.x's join metadata → user-joined.
fn user_joined(m: &Meeting, u: &Participant, ts: u64) -> Value {
    let body = json!({
        "intId": u.internal_id,
        "extId": u.external_id,
        "name": u.name,
        "role": u.role(),
        "bot": false,
        "guest": false,
        "authed": true,
        "guestStatus": "ALLOW",
        "reactionEmoji": "none",
        "raiseHand": false,
        "away": false,
        "pin": false,
        "presenter": false,
        "locked": !u.moderator,
        "avatar": "",
        "webcamBackground": "",
        "color": u.color,
        "clientType": "HTML5",
        "sessionToken": [u.session_token],
        "ipAddress": u.ip_address,
        "userAgent": u.user_agent,
        "referer": "https://lms.example.com/",
        "userMetadata": {},
    });
    to_meeting("UserJoinedMeetingEvtMsg", m, &u.internal_id, ts, body)
}

/// `PresenterAssignedEvtMsg` → user-presenter-assigned.
fn presenter_assigned(m: &Meeting, u: &Participant, by: &Participant, ts: u64) -> Value {
    let body = json!({
        "presenterId": u.internal_id,
        "presenterName": u.name,
        "assignedBy": by.internal_id,
    });
    to_meeting("PresenterAssignedEvtMsg", m, &u.internal_id, ts, body)
}

/// `PresenterUnassignedEvtMsg` → user-presenter-unassigned.
fn presenter_unassigned(m: &Meeting, u: &Participant, by: &Participant, ts: u64) -> Value {
    let body = json!({"intId": u.internal_id, "name": u.name, "assignedBy": by.internal_id});
    to_meeting("PresenterUnassignedEvtMsg", m, &u.internal_id, ts, body)
}

/// `UserJoinedVoiceConfToClientEvtMsg` → user-audio-voice-enabled (listen-only users join
/// muted with `listenOnly: true`).
fn voice_joined(m: &Meeting, u: &Participant, ts: u64) -> Value {
    let listen_only = if u.microphone { "" } else { "LISTENONLY-" };
    let body = json!({
        "voiceConf": m.voice_conf,
        "intId": u.internal_id,
        "voiceUserId": u.voice_user_id,
        "callerName": u.caller_name(),
        "callerNum": format!("{}_1-bbbID-{listen_only}{}", u.internal_id, u.caller_name()),
        "color": u.color,
        "muted": !u.microphone,
        "talking": false,
        "callingWith": "none",
        "listenOnly": !u.microphone,
    });
    to_meeting(
        "UserJoinedVoiceConfToClientEvtMsg",
        m,
        &u.internal_id,
        ts,
        body,
    )
}

/// `UserMutedVoiceEvtMsg` → user-audio-muted / user-audio-unmuted.
fn voice_muted(m: &Meeting, u: &Participant, muted: bool, ts: u64) -> Value {
    let body = json!({
        "voiceConf": m.voice_conf,
        "intId": u.internal_id,
        "voiceUserId": u.voice_user_id,
        "muted": muted,
    });
    to_meeting("UserMutedVoiceEvtMsg", m, &u.internal_id, ts, body)
}

/// `UserLeftVoiceConfToClientEvtMsg` → user-audio-voice-disabled.
fn voice_left(m: &Meeting, u: &Participant, ts: u64) -> Value {
    let body = json!({
        "voiceConf": m.voice_conf,
        "intId": u.internal_id,
        "voiceUserId": u.voice_user_id,
    });
    to_meeting(
        "UserLeftVoiceConfToClientEvtMsg",
        m,
        &u.internal_id,
        ts,
        body,
    )
}

/// `UserBroadcastCamStartedEvtMsg` / `UserBroadcastCamStoppedEvtMsg` →
/// user-cam-broadcast-start / user-cam-broadcast-end. Only for users with a camera.
fn camera(m: &Meeting, u: &Participant, on: bool, ts: u64) -> Value {
    let name = if on {
        "UserBroadcastCamStartedEvtMsg"
    } else {
        "UserBroadcastCamStoppedEvtMsg"
    };
    let body = json!({"userId": u.internal_id, "stream": u.camera});
    to_meeting(name, m, &u.internal_id, ts, body)
}

/// `GroupChatMessageBroadcastEvtMsg` in the public chat → chat-group-message-sent.
fn chat_message(m: &Meeting, u: &Participant, chat: &ChatLine, ts: u64) -> Value {
    let body = json!({
        "chatId": "MAIN-PUBLIC-GROUP-CHAT",
        "msg": {
            "id": chat.id,
            "timestamp": ts,
            "correlationId": chat.correlation_id,
            "sender": {"id": u.internal_id, "name": u.name, "role": u.role()},
            "chatEmphasizedText": u.moderator,
            "message": chat.text,
            "replyToMessageId": "",
        },
    });
    to_meeting(
        "GroupChatMessageBroadcastEvtMsg",
        m,
        &u.internal_id,
        ts,
        body,
    )
}

/// `UserRaiseHandChangedEvtMsg` (BBB ≥ 2.7) → user-raise-hand-changed.
fn raise_hand(m: &Meeting, u: &Participant, raised: bool, ts: u64) -> Value {
    let body = json!({"userId": u.internal_id, "raiseHand": raised});
    to_meeting("UserRaiseHandChangedEvtMsg", m, &u.internal_id, ts, body)
}

/// `UserReactionEmojiChangedEvtMsg` (BBB 3.0 reactions; `none` when it expires) →
/// user-emoji-changed.
fn reaction(m: &Meeting, u: &Participant, emoji: &str, ts: u64) -> Value {
    let body = json!({"userId": u.internal_id, "reactionEmoji": emoji});
    to_meeting(
        "UserReactionEmojiChangedEvtMsg",
        m,
        &u.internal_id,
        ts,
        body,
    )
}

/// `PollStartedEvtMsg` (a custom poll) → poll-started.
fn poll_started(m: &Meeting, presenter: &Participant, poll: &Poll, ts: u64) -> Value {
    let answers: Vec<Value> = (0..)
        .zip(poll.answers)
        .map(|(id, key)| json!({"id": id, "key": key}))
        .collect();
    let body = json!({
        "userId": presenter.internal_id,
        "pollId": poll.id,
        "pollType": "CUSTOM",
        "secretPoll": false,
        "question": poll.question,
        "poll": {"id": poll.id, "isMultipleResponse": false, "answers": answers},
    });
    to_meeting("PollStartedEvtMsg", m, &presenter.internal_id, ts, body)
}

/// `UserRespondedToPollRespMsg`: sent DIRECT to the presenter, naming the respondent in the
/// body → poll-responded.
fn poll_response(
    m: &Meeting,
    presenter: &Participant,
    respondent: &Participant,
    poll: &Poll,
    answer: u64,
    ts: u64,
) -> Value {
    let body = json!({
        "pollId": poll.id,
        "userId": respondent.internal_id,
        "answerIds": [answer],
    });
    let name = "UserRespondedToPollRespMsg";
    routed(name, "DIRECT", m, &presenter.internal_id, ts, body)
}

/// `ScreenshareRtmpBroadcastStartedEvtMsg` (BBB 3.x: header user `not-used`, sharer in the
/// body) → meeting-screenshare-started.
fn screenshare_started(m: &Meeting, u: &Participant, share: &Screenshare, ts: u64) -> Value {
    let body = json!({
        "voiceConf": m.voice_conf,
        "screenshareConf": m.voice_conf,
        "userId": u.internal_id,
        "stream": share.stream,
        "vidWidth": 1920,
        "vidHeight": 1080,
        "timestamp": share.started_ms.to_string(),
        "hasAudio": false,
        "contentType": "screenshare",
    });
    to_meeting(
        "ScreenshareRtmpBroadcastStartedEvtMsg",
        m,
        "not-used",
        ts,
        body,
    )
}

/// `ScreenshareRtmpBroadcastStoppedEvtMsg` → meeting-screenshare-stopped.
fn screenshare_stopped(m: &Meeting, u: &Participant, share: &Screenshare, ts: u64) -> Value {
    let body = json!({
        "voiceConf": m.voice_conf,
        "screenshareConf": m.voice_conf,
        "userId": u.internal_id,
        "stream": share.stream,
        "vidWidth": 1920,
        "vidHeight": 1080,
        "timestamp": share.started_ms.to_string(),
    });
    to_meeting(
        "ScreenshareRtmpBroadcastStoppedEvtMsg",
        m,
        "not-used",
        ts,
        body,
    )
}

/// `RecordingStatusChangedEvtMsg` (the record button) → meeting-recording-started/-stopped.
fn recording_status(m: &Meeting, by: &Participant, recording: bool, ts: u64) -> Value {
    let body = json!({"recording": recording, "setBy": by.internal_id});
    to_meeting("RecordingStatusChangedEvtMsg", m, &by.internal_id, ts, body)
}

/// `UserLeftMeetingEvtMsg` → user-left.
fn user_left(m: &Meeting, u: &Participant, ts: u64) -> Value {
    let body = json!({
        "intId": u.internal_id,
        "eject": false,
        "ejectedBy": "",
        "reason": "",
        "reasonCode": "",
    });
    to_meeting("UserLeftMeetingEvtMsg", m, &u.internal_id, ts, body)
}

/// `MeetingDestroyedEvtMsg` → meeting-ended (after a `user-left` for everyone still there).
fn meeting_destroyed(m: &Meeting, ts: u64) -> Value {
    let body = json!({"meetingId": m.internal_id});
    from_system("MeetingDestroyedEvtMsg", "bbb-apps-akka", ts, body)
}

/// bbb-web's `PublishedRecordingSysMsg` / `UnpublishedRecordingSysMsg` after a
/// `publishRecordings` call → rap-published / rap-unpublished.
fn recording_api_change(m: &Meeting, published: bool, ts: u64) -> Value {
    let name = if published {
        "PublishedRecordingSysMsg"
    } else {
        "UnpublishedRecordingSysMsg"
    };
    from_system(name, "bbb-web", ts, json!({"recordId": m.record_id()}))
}

/// A record-and-playback step message before its common fields are added.
struct RapStep {
    name: String,
    /// The step's own fields (`success`, `step_time`, the publish data…), in order.
    fields: Map<String, Value>,
    workflow: Option<&'static str>,
    /// Whether the raw events.xml exists yet (it carries the external meeting id).
    events_xml: bool,
}

impl RapStep {
    fn new(name: &str) -> Self {
        RapStep {
            name: name.to_owned(),
            fields: Map::new(),
            workflow: None,
            events_xml: true,
        }
    }

    fn before_archive(mut self) -> Self {
        self.events_xml = false;
        self
    }

    fn workflow(mut self, workflow: &'static str) -> Self {
        self.workflow = Some(workflow);
        self
    }

    /// `success` and `step_time` of an `*_ended` step.
    fn outcome(mut self, step_time_ms: u64) -> Self {
        self.fields.insert("success".into(), json!(true));
        self.fields.insert("step_time".into(), json!(step_time_ms));
        self
    }

    fn with(mut self, fields: Map<String, Value>) -> Self {
        self.fields.extend(fields);
        self
    }
}

/// A step message of the recording scripts' Redis publisher → rap-<step>. The payload is the
/// step's fields, then `workflow`, `external_meeting_id`, `record_id`, `meeting_id`, as the
/// Ruby publisher merges them; `current_time` is in seconds, `timestamp` a monotonic clock.
fn rap_message(m: &Meeting, step: RapStep, monotonic_ms: u64, ts: u64) -> Value {
    let mut payload = step.fields;
    if let Some(workflow) = step.workflow {
        payload.insert("workflow".into(), json!(workflow));
    }
    if step.events_xml {
        let external = &m.scenario.external_meeting_id;
        payload.insert("external_meeting_id".into(), json!(external));
    }
    payload.insert("record_id".into(), json!(m.record_id()));
    payload.insert("meeting_id".into(), json!(m.internal_id));
    json!({
        "header": {
            "timestamp": monotonic_ms,
            "name": step.name,
            "current_time": ts / 1000,
            "version": "0.0.1",
        },
        "payload": payload,
    })
}

/// The extra fields of `publish_ended`, read from the presentation format's metadata.xml
/// (hence the string values).
fn publication(m: &Meeting, p: &Publication) -> Map<String, Value> {
    let domain = &m.scenario.server_domain;
    let record_id = m.record_id();
    let thumbnails: Vec<String> = (1..=3)
        .map(|n| {
            format!(
                "https://{domain}/presentation/{record_id}/presentation/{}/thumbnails/thumb-{n}.png",
                m.presentation_id
            )
        })
        .collect();
    let mut metadata = match meeting_metadata() {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    metadata.insert("isBreakout".into(), json!("false"));
    metadata.insert("meetingId".into(), json!(m.scenario.external_meeting_id));
    metadata.insert("meetingName".into(), json!(m.scenario.meeting_name));
    let fields = json!({
        "playback": {
            "format": FORMAT,
            "link": format!("https://{domain}/playback/presentation/2.3/{record_id}"),
            "processing_time": p.processing_ms.to_string(),
            "duration": p.recorded_ms.to_string(),
            "extensions": {"preview": {"images": {"image": thumbnails}}},
            "size": p.size.to_string(),
        },
        "metadata": metadata,
        "download": {},
        "raw_size": p.raw_size.to_string(),
        "start_time": m.scenario.start_ms.to_string(),
        "end_time": p.ended_ms.to_string(),
    });
    match fields {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Time, randomness and formatting.

/// The stream being laid out: the current offset, the generator, the steps so far.
struct Timeline {
    start_ms: u64,
    /// Offset of the next message from `start_ms`.
    at_ms: u64,
    rng: Rng,
    /// The recording server's monotonic clock (ms since boot) at `start_ms`.
    monotonic_at_start: u64,
    steps: Vec<Step>,
}

impl Timeline {
    fn new(scenario: &Scenario) -> Self {
        let mut rng = Rng::new(scenario.seed);
        let monotonic_at_start = rng.range(3_600_000, 30 * 86_400_000);
        Timeline {
            start_ms: scenario.start_ms,
            at_ms: 0,
            rng,
            monotonic_at_start,
            steps: Vec::new(),
        }
    }

    /// Lets a random time between `min_ms` and `max_ms` (inclusive) pass.
    fn wait(&mut self, min_ms: u64, max_ms: u64) {
        let gap = self.rng.range(min_ms, max_ms);
        self.run_for(gap);
    }

    /// Lets exactly `ms` pass.
    fn run_for(&mut self, ms: u64) {
        self.at_ms = self.at_ms.saturating_add(ms);
    }

    /// The absolute time now, in ms since the epoch.
    fn now(&self) -> u64 {
        self.start_ms.saturating_add(self.at_ms)
    }

    fn emit(&mut self, channel: &'static str, message: Value) {
        self.steps.push(Step {
            channel,
            at_ms: self.at_ms,
            payload: message.to_string(),
        });
    }

    fn rap(&mut self, m: &Meeting, step: RapStep) {
        let monotonic = self.monotonic_at_start.saturating_add(self.at_ms);
        let message = rap_message(m, step, monotonic, self.now());
        self.emit(RAP, message);
    }
}

/// splitmix64: tiny, fast, and good enough to make simulated meetings look varied.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        match n {
            0 => 0,
            n => self.next_u64() % n,
        }
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo).saturating_add(1))
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of a constant, non-empty list.
    fn pick<T: Copy, const N: usize>(&mut self, items: &[T; N]) -> T {
        const { assert!(N > 0) };
        items[self.below(N as u64) as usize]
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// `len` characters drawn from `alphabet` (ASCII, non-empty).
    fn chars(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .filter_map(|_| {
                let i = self.below(alphabet.len() as u64) as usize;
                alphabet.get(i).map(|&b| char::from(b))
            })
            .collect()
    }

    /// A version 4 UUID made of this generator's bytes.
    fn uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }
}

/// Splits `total` into four near-equal parts, the larger ones first.
fn split4(total: usize) -> [usize; 4] {
    let (base, extra) = (total / 4, total % 4);
    [0, 1, 2, 3].map(|i| base + usize::from(i < extra))
}

/// Java's `Date.toString()` in UTC (`Tue Oct 31 16:52:37 UTC 2023`), as in `createdDate`.
fn java_date_utc(ms: u64) -> String {
    const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = ms / 1000;
    let days = secs / 86_400;
    let (hour, minute, second) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    // 1970-01-01 was a Thursday.
    let weekday = WEEKDAYS[((days + 4) % 7) as usize];
    let (year, month, day) = civil_from_days(days);
    let month = MONTHS[(month - 1) as usize % 12];
    format!("{weekday} {month} {day:02} {hour:02}:{minute:02}:{second:02} UTC {year}")
}

/// Year, month (1–12) and day of the `days`-th day after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for non-negative days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const HEX: &[u8] = b"0123456789abcdef";

const FIRST_NAMES: [&str; 20] = [
    "Ana", "Bruno", "Carla", "Diego", "Elif", "Farah", "Gustavo", "Hana", "Igor", "Julia", "Kenji",
    "Lena", "Marco", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tomás",
];
const LAST_NAMES: [&str; 16] = [
    "Lima", "Costa", "Rocha", "Yilmaz", "Haddad", "Souza", "Sato", "Petrov", "Fischer", "Moreau",
    "Rossi", "Nowak", "Okafor", "Iyer", "Dubois", "Silva",
];
/// Avatar colours of BBB's palette.
const COLORS: [&str; 10] = [
    "#7b1fa2", "#6a1b9a", "#4a148c", "#5e35b1", "#00838f", "#ad1457", "#c62828", "#2e7d32",
    "#1565c0", "#ef6c00",
];
/// Documentation address blocks (RFC 5737).
const IP_PREFIXES: [&str; 3] = ["192.0.2", "198.51.100", "203.0.113"];
const USER_AGENTS: [&str; 4] = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:141.0) Gecko/20100101 Firefox/141.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
];
const CHAT_LINES: [&str; 14] = [
    "Hi everyone!",
    "Good morning from Lisbon 👋",
    "Can you hear me?",
    "The slides are visible now.",
    "Could you repeat the last point, please?",
    "I have a question about slide 3.",
    "Thanks, that was really helpful.",
    "Is the recording going to be shared afterwards?",
    "My audio dropped for a second, sorry.",
    "Link to the exercise: https://lms.example.com/mod/assign/view.php?id=42",
    "Agreed 👍",
    "Can we take a short break?",
    "What's the deadline for the assignment?",
    "See you next week!",
];
const REACTIONS: [&str; 4] = ["👍", "👏", "😂", "❤️"];
const POLLS: [(&str, &[&str]); 3] = [
    (
        "How is the pace so far?",
        &["Too fast", "Just right", "Too slow"],
    ),
    (
        "Which topic should we cover next?",
        &["Exercises", "Theory", "Q&A"],
    ),
    ("Did the example make sense?", &["Yes", "Partly", "No"]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_date_reads_like_java_in_utc() {
        // 13:52:37 BRT (UTC−3) in the bbb-webhooks fixture.
        assert_eq!(java_date_utc(1698771157700), "Tue Oct 31 16:52:37 UTC 2023");
        assert_eq!(java_date_utc(0), "Thu Jan 01 00:00:00 UTC 1970");
        assert_eq!(
            java_date_utc(951_782_400_000),
            "Tue Feb 29 00:00:00 UTC 2000"
        );
        assert_eq!(
            java_date_utc(1_767_268_800_000),
            "Thu Jan 01 12:00:00 UTC 2026"
        );
    }

    #[test]
    fn internal_ids_are_formed_like_bbb() {
        let scenario = Scenario {
            external_meeting_id: "random-7603468".into(),
            start_ms: 1455569115186,
            ..Scenario::default()
        };
        let m = Meeting::new(&scenario, &mut Rng::new(7));
        // bbb-web's own test vector for convertToInternalMeetingId.
        assert_eq!(
            m.internal_id,
            "685ccde7fb1b853825eee3cf73c5d6205d3a0191-1455569115186"
        );
        let u = Participant::new(1, &mut Rng::new(7));
        assert!(u.internal_id.starts_with("w_") && u.internal_id.len() == 14);
        assert_eq!(u.external_id, "sim-user-2");
    }

    #[test]
    fn chat_messages_are_split_without_loss() {
        assert_eq!(split4(0), [0, 0, 0, 0]);
        assert_eq!(split4(3), [1, 1, 1, 0]);
        assert_eq!(split4(9), [3, 2, 2, 2]);
    }

    #[test]
    fn rng_ranges_are_inclusive_and_bounded() {
        let mut rng = Rng::new(42);
        let draws: Vec<u64> = (0..500).map(|_| rng.range(3, 5)).collect();
        assert!(draws.iter().all(|d| (3..=5).contains(d)));
        assert!(draws.contains(&3) && draws.contains(&5));
        assert_eq!(rng.below(0), 0);
    }
}

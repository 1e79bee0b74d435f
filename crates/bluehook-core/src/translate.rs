//! Raw BBB Redis messages → bbb-webhooks' normalized events.
//!
//! A raw message comes in as parsed JSON (akka-apps/bbb-web envelopes, record-and-playback
//! `header`/`payload` messages, or events that are already normalized); [`translate`] gives back
//! the normalized event bbb-webhooks 3.5 would POST for it — same ids, same key names and
//! order, same values, same keys left out — or says why there is none. External meeting and
//! user ids are read through [`MappingView`], which the [`crate::mapping`] module implements.
//!
//! Where bbb-webhooks throws while translating (a required field missing), this returns
//! [`TranslateError`]; the caller counts and logs it. One deliberate deviation: a poll response
//! names the user who answered (`body.userId`), not the presenter it was routed to.

use serde_json::{json, Map, Value};

use crate::jsvalue::{get, nullish_or, opt, opt_path, or, or_paths, truthy, TypeError};

/// Every event id bbb-webhooks can emit, in its own order.
pub const OUTPUT_EVENTS: [&str; 43] = [
    "meeting-created",
    "meeting-ended",
    "meeting-recording-started",
    "meeting-recording-stopped",
    "meeting-recording-unhandled",
    "meeting-screenshare-started",
    "meeting-screenshare-stopped",
    "meeting-presentation-changed",
    "user-joined",
    "user-left",
    "user-audio-voice-enabled",
    "user-audio-voice-disabled",
    "user-audio-muted",
    "user-audio-unmuted",
    "user-audio-unhandled",
    "user-cam-broadcast-start",
    "user-cam-broadcast-end",
    "user-presenter-assigned",
    "user-presenter-unassigned",
    "user-emoji-changed",
    "user-raise-hand-changed",
    "transcript-updated",
    "chat-group-message-sent",
    "rap-published",
    "rap-unpublished",
    "rap-deleted",
    "pad-content",
    "rap-archive-started",
    "rap-archive-ended",
    "rap-sanity-started",
    "rap-sanity-ended",
    "rap-post-archive-started",
    "rap-post-archive-ended",
    "rap-process-started",
    "rap-process-ended",
    "rap-post-process-started",
    "rap-post-process-ended",
    "rap-publish-started",
    "rap-publish-ended",
    "rap-post-publish-started",
    "rap-post-publish-ended",
    "poll-started",
    "poll-responded",
];

const MEETING_EVENTS: &[&str] = &[
    "MeetingCreatedEvtMsg",
    "MeetingDestroyedEvtMsg",
    "ScreenshareRtmpBroadcastStartedEvtMsg",
    "ScreenshareRtmpBroadcastStoppedEvtMsg",
    "SetCurrentPresentationEvtMsg",
    "RecordingStatusChangedEvtMsg",
];
const USER_EVENTS: &[&str] = &[
    "UserJoinedMeetingEvtMsg",
    "UserLeftMeetingEvtMsg",
    "UserMutedVoiceEvtMsg",
    "UserJoinedVoiceConfToClientEvtMsg",
    "UserLeftVoiceConfToClientEvtMsg",
    "PresenterAssignedEvtMsg",
    "PresenterUnassignedEvtMsg",
    "UserBroadcastCamStartedEvtMsg",
    "UserBroadcastCamStoppedEvtMsg",
    "UserEmojiChangedEvtMsg",
    "UserReactionEmojiChangedEvtMsg",
    "UserRaiseHandChangedEvtMsg",
];
const CHAT_EVENTS: &[&str] = &["GroupChatMessageBroadcastEvtMsg"];
const RAP_EVENTS: &[&str] = &[
    "PublishedRecordingSysMsg",
    "UnpublishedRecordingSysMsg",
    "DeletedRecordingSysMsg",
];
const COMP_RAP_EVENTS: &[&str] = &[
    "archive_started",
    "archive_ended",
    "sanity_started",
    "sanity_ended",
    "post_archive_started",
    "post_archive_ended",
    "process_started",
    "process_ended",
    "post_process_started",
    "post_process_ended",
    "publish_started",
    "publish_ended",
    "post_publish_started",
    "post_publish_ended",
    "published",
    "unpublished",
    "deleted",
];
const PAD_EVENTS: &[&str] = &["PadContentEvtMsg"];
const POLL_EVENTS: &[&str] = &["PollStartedEvtMsg", "UserRespondedToPollRespMsg"];
const TRANSCRIPT_EVENTS: &[&str] = &["TranscriptUpdatedEvtMsg"];

/// BBB's placeholder for "no user".
const IGNORED_USER_IDS: &[&str] = &["not-used"];

/// What the translator reads from the ID mappings. Ids are JSON values because raw messages
/// carry them as such; mappings only hold string ids, so other values find nothing.
pub trait MappingView {
    /// The external meeting id mapped to an internal meeting id.
    fn external_meeting_id(&self, internal_meeting_id: &Value) -> Option<&Value>;
    /// The external user id stored when the user joined.
    fn external_user_id(&self, internal_user_id: &Value) -> Option<&Value>;
    /// Whether the stored user is a guest (`true` or `"true"`).
    fn is_guest(&self, internal_user_id: &Value) -> bool;
    /// The internal id of the meeting's current presenter.
    fn meeting_presenter(&self, internal_meeting_id: &Value) -> Option<Value>;
    /// The internal id of the user sharing their screen in the meeting.
    fn meeting_screenshare_owner(&self, internal_meeting_id: &Value) -> Option<Value>;
}

/// What became of a raw message.
#[derive(Debug, Clone, PartialEq)]
pub enum Translated {
    /// A normalized event (`{"data":{"type":"event","id":…}}`).
    Event(Value),
    /// A known message that bbb-webhooks deliberately drops (a private chat message).
    Ignored,
    /// A message type bbb-webhooks does not translate (most of what akka-apps publishes).
    Unknown,
}

/// A known message that could not be translated (bbb-webhooks throws and drops it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    /// A field the event needs is missing.
    #[error("{name}: {source}")]
    MissingField {
        /// The raw message name.
        name: String,
        /// The access that failed.
        source: TypeError,
    },
    /// A screenshare event without a user, in a meeting with no known presenter/sharer.
    #[error("{0}: no user in the message and none known for the meeting")]
    NoUser(String),
}

/// The message name bbb-webhooks classifies by: `envelope.name`, `header.name` or `data.id`.
pub fn message_name(raw: &Value) -> Option<&str> {
    opt_path(raw, &["envelope", "name"])
        .and_then(Value::as_str)
        .or_else(|| opt_path(raw, &["header", "name"]).and_then(Value::as_str))
        .or_else(|| opt_path(raw, &["data", "id"]).and_then(Value::as_str))
}

/// The names a message is classified by: `header.name`, `envelope.name` and `data.id`, those
/// that are strings. It belongs to a group when any of them is in the group's list.
struct Names<'a>([Option<&'a str>; 3]);

impl<'a> Names<'a> {
    fn of(raw: &'a Value) -> Self {
        let name = |path: &[&str]| opt_path(raw, path).and_then(Value::as_str);
        Names([
            name(&["header", "name"]),
            name(&["envelope", "name"]),
            name(&["data", "id"]),
        ])
    }

    fn is_in(&self, names: &[&str]) -> bool {
        self.0.iter().flatten().any(|n| names.contains(n))
    }
}

/// Translates one raw message. `now_ms` is the processing time stamped into `data.event.ts`.
pub fn translate(
    raw: &Value,
    mappings: &dyn MappingView,
    now_ms: u64,
) -> Result<Translated, TranslateError> {
    let name = message_name(raw).unwrap_or_default().to_owned();
    let wrap = |source: TypeError| TranslateError::MissingField {
        name: name.clone(),
        source,
    };
    let t = Translator {
        raw,
        mappings,
        now: json!(now_ms),
    };
    let names = Names::of(raw);
    let result = if names.is_in(MEETING_EVENTS) {
        t.meeting().map_err(|e| match e {
            Failure::Type(te) => wrap(te),
            Failure::NoUser => TranslateError::NoUser(name.clone()),
        })?
    } else if names.is_in(USER_EVENTS) {
        t.user().map_err(wrap)?
    } else if names.is_in(CHAT_EVENTS) {
        t.chat().map_err(wrap)?
    } else if names.is_in(RAP_EVENTS) {
        t.rap().map_err(wrap)?
    } else if names.is_in(COMP_RAP_EVENTS) {
        t.comp_rap().map_err(wrap)?
    } else if names.is_in(PAD_EVENTS) {
        t.pad().map_err(wrap)?
    } else if names.is_in(POLL_EVENTS) {
        t.poll().map_err(wrap)?
    } else if names.is_in(TRANSCRIPT_EVENTS) {
        t.transcript().map_err(wrap)?
    } else if names.is_in(&OUTPUT_EVENTS) {
        Some(raw.clone())
    } else {
        return Ok(Translated::Unknown);
    };
    Ok(match result {
        Some(event) => Translated::Event(event),
        None => Translated::Ignored,
    })
}

enum Failure {
    Type(TypeError),
    NoUser,
}

impl From<TypeError> for Failure {
    fn from(e: TypeError) -> Self {
        Failure::Type(e)
    }
}

struct Translator<'a> {
    raw: &'a Value,
    mappings: &'a dyn MappingView,
    now: Value,
}

/// Inserts `key` only when the value is defined, as `JSON.stringify` drops `undefined`.
fn put(map: &mut Map<String, Value>, key: &str, value: Option<&Value>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), v.clone());
    }
}

fn put_owned(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), v);
    }
}

fn envelope(id: Option<&str>, attributes: Map<String, Value>, ts: Option<Value>) -> Value {
    let mut data = Map::new();
    data.insert("type".into(), json!("event"));
    put_owned(&mut data, "id", id.map(|s| json!(s)));
    data.insert("attributes".into(), Value::Object(attributes));
    let mut event = Map::new();
    put_owned(&mut event, "ts", ts);
    data.insert("event".into(), Value::Object(event));
    // Built as a map rather than with `json!`, which would copy `data` by serializing it.
    let mut root = Map::new();
    root.insert("data".into(), Value::Object(data));
    Value::Object(root)
}

impl Translator<'_> {
    fn core(&self) -> Result<Option<&Value>, TypeError> {
        get(Some(self.raw), "core")
    }

    /// `core.body` — throws when `core` is missing.
    fn body(&self) -> Result<Option<&Value>, TypeError> {
        get(self.core()?, "body")
    }

    fn internal_meeting_id(&self) -> Option<&Value> {
        or_paths(
            self.raw,
            &[
                &["data", "attributes", "meeting", "internal-meeting-id"],
                &["envelope", "routing", "meetingId"],
                &["header", "body", "meetingId"],
                &["core", "body", "props", "meetingProp", "intId"],
                &["core", "body", "meetingId"],
                &["core", "header", "meetingId"],
                &["core", "body", "internalMeetingId"],
                &["core", "body", "recordId"],
                &["core", "body", "meeting_id"],
                &["payload", "meeting_id"],
            ],
        )
    }

    /// The internal user id: `null` when none is present (BBB's `not-used` counts as none).
    fn internal_user_id(&self) -> Value {
        let r = self.raw;
        let safe = |v: Option<&Value>| -> Option<Value> {
            match v {
                Some(Value::String(s)) if IGNORED_USER_IDS.contains(&s.as_str()) => None,
                v if truthy(v) => v.cloned(),
                _ => None,
            }
        };
        safe(opt_path(
            r,
            &["data", "attributes", "user", "internal-user-id"],
        ))
        .or_else(|| safe(opt_path(r, &["core", "header", "userId"])))
        .or_else(|| safe(opt_path(r, &["core", "body", "userId"])))
        .unwrap_or(Value::Null)
    }

    fn mapped_id(&self) -> Option<&'static str> {
        let name = opt_path(self.raw, &["envelope", "name"])
            .filter(|v| truthy(Some(v)))
            .or_else(|| opt_path(self.raw, &["header", "name"]))
            .and_then(Value::as_str)?;
        Some(match name {
            "MeetingCreatedEvtMsg" => "meeting-created",
            "MeetingDestroyedEvtMsg" => "meeting-ended",
            "RecordingStatusChangedEvtMsg" => {
                match opt_path(self.raw, &["core", "body", "recording"]) {
                    Some(Value::Bool(true)) => "meeting-recording-started",
                    Some(Value::Bool(false)) => "meeting-recording-stopped",
                    _ => "meeting-recording-unhandled",
                }
            }
            "ScreenshareRtmpBroadcastStartedEvtMsg" => "meeting-screenshare-started",
            "ScreenshareRtmpBroadcastStoppedEvtMsg" => "meeting-screenshare-stopped",
            "SetCurrentPresentationEvtMsg" => "meeting-presentation-changed",
            "UserJoinedMeetingEvtMsg" => "user-joined",
            "UserLeftMeetingEvtMsg" => "user-left",
            "UserJoinedVoiceConfToClientEvtMsg" => "user-audio-voice-enabled",
            "UserLeftVoiceConfToClientEvtMsg" => "user-audio-voice-disabled",
            "UserMutedVoiceEvtMsg" => match opt_path(self.raw, &["core", "body", "muted"]) {
                Some(Value::Bool(true)) => "user-audio-muted",
                Some(Value::Bool(false)) => "user-audio-unmuted",
                _ => "user-audio-unhandled",
            },
            "UserBroadcastCamStartedEvtMsg" => "user-cam-broadcast-start",
            "UserBroadcastCamStoppedEvtMsg" => "user-cam-broadcast-end",
            "PresenterAssignedEvtMsg" => "user-presenter-assigned",
            "PresenterUnassignedEvtMsg" => "user-presenter-unassigned",
            "UserEmojiChangedEvtMsg" | "UserReactionEmojiChangedEvtMsg" => "user-emoji-changed",
            "UserRaiseHandChangedEvtMsg" => "user-raise-hand-changed",
            "TranscriptUpdatedEvtMsg" => "transcript-updated",
            "GroupChatMessageBroadcastEvtMsg" => "chat-group-message-sent",
            "PublishedRecordingSysMsg" | "published" => "rap-published",
            "UnpublishedRecordingSysMsg" | "unpublished" => "rap-unpublished",
            "DeletedRecordingSysMsg" | "deleted" => "rap-deleted",
            "PadContentEvtMsg" => "pad-content",
            "PollStartedEvtMsg" => "poll-started",
            "UserRespondedToPollRespMsg" => "poll-responded",
            "archive_started" => "rap-archive-started",
            "archive_ended" => "rap-archive-ended",
            "sanity_started" => "rap-sanity-started",
            "sanity_ended" => "rap-sanity-ended",
            "post_archive_started" => "rap-post-archive-started",
            "post_archive_ended" => "rap-post-archive-ended",
            "process_started" => "rap-process-started",
            "process_ended" => "rap-process-ended",
            "post_process_started" => "rap-post-process-started",
            "post_process_ended" => "rap-post-process-ended",
            "publish_started" => "rap-publish-started",
            "publish_ended" => "rap-publish-ended",
            "post_publish_started" => "rap-post-publish-started",
            "post_publish_ended" => "rap-post-publish-ended",
            _ => return None,
        })
    }

    /// `{"internal-meeting-id": …, "external-meeting-id": <mapped>}`.
    fn meeting_ids(&self) -> Map<String, Value> {
        let internal = self.internal_meeting_id();
        let mut meeting = Map::new();
        put(&mut meeting, "internal-meeting-id", internal);
        put(
            &mut meeting,
            "external-meeting-id",
            internal.and_then(|id| self.mappings.external_meeting_id(id)),
        );
        meeting
    }

    fn attributes_with_meeting(&self) -> Map<String, Value> {
        let mut attributes = Map::new();
        attributes.insert("meeting".into(), Value::Object(self.meeting_ids()));
        attributes
    }

    fn external_user_id(&self, user_id: &Value) -> Option<&Value> {
        if user_id.is_null() {
            None
        } else {
            self.mappings.external_user_id(user_id)
        }
    }

    /// `mapping || body.extId || ""`.
    fn external_user_id_or_body(
        &self,
        user_id: &Value,
        body: Option<&Value>,
    ) -> Result<Value, TypeError> {
        let mapped = self.external_user_id(user_id);
        if truthy(mapped) {
            return Ok(mapped.cloned().unwrap_or_default());
        }
        let ext = get(body, "extId")?;
        Ok(if truthy(ext) {
            ext.cloned().unwrap_or_default()
        } else {
            json!("")
        })
    }

    fn user_ids(&self, user_id: Value, external: Option<&Value>) -> Map<String, Value> {
        let mut user = Map::new();
        user.insert("internal-user-id".into(), user_id);
        put(&mut user, "external-user-id", external);
        user
    }

    fn meeting(&self) -> Result<Option<Value>, Failure> {
        let props = get(self.body()?, "props")?;
        let id = self.mapped_id();
        let mut attributes = self.attributes_with_meeting();
        let name = get(get(Some(self.raw), "envelope")?, "name")?.and_then(Value::as_str);
        match name {
            Some("MeetingCreatedEvtMsg") => {
                let meeting_prop = get(props, "meetingProp")?;
                let breakout = get(props, "breakoutProps")?;
                let duration = get(props, "durationProps")?;
                let password = get(props, "password")?;
                let record = get(props, "recordProp")?;
                let voice = get(props, "voiceProp")?;
                let users = get(props, "usersProp")?;
                let metadata = get(props, "metadataProp")?;
                let mut m = Map::new();
                put(&mut m, "internal-meeting-id", get(meeting_prop, "intId")?);
                put(&mut m, "external-meeting-id", get(meeting_prop, "extId")?);
                put(&mut m, "name", get(meeting_prop, "name")?);
                put(&mut m, "is-breakout", get(meeting_prop, "isBreakout")?);
                put(&mut m, "parent-id", get(breakout, "parentId")?);
                put(&mut m, "duration", get(duration, "duration")?);
                put(&mut m, "create-time", get(duration, "createdTime")?);
                put(&mut m, "create-date", get(duration, "createdDate")?);
                put(&mut m, "moderator-pass", get(password, "moderatorPass")?);
                put(&mut m, "viewer-pass", get(password, "viewerPass")?);
                put(&mut m, "record", get(record, "record")?);
                put(&mut m, "voice-conf", get(voice, "voiceConf")?);
                put(&mut m, "dial-number", get(voice, "dialNumber")?);
                put(&mut m, "max-users", get(users, "maxUsers")?);
                put(&mut m, "metadata", get(metadata, "metadata")?);
                put(&mut m, "audioBridge", opt(meeting_prop, "audioBridge"));
                put(&mut m, "cameraBridge", opt(meeting_prop, "cameraBridge"));
                put(
                    &mut m,
                    "screenShareBridge",
                    opt(meeting_prop, "screenShareBridge"),
                );
                attributes = Map::new();
                attributes.insert("meeting".into(), Value::Object(m));
            }
            Some("SetCurrentPresentationEvtMsg") => {
                let presentation = get(self.body()?, "presentationId")?;
                if let Some(Value::Object(m)) = attributes.get_mut("meeting") {
                    put(m, "presentation-id", presentation);
                }
            }
            Some(
                n @ ("ScreenshareRtmpBroadcastStartedEvtMsg"
                | "ScreenshareRtmpBroadcastStoppedEvtMsg"),
            ) => {
                let mut user_id = self.internal_user_id();
                if user_id.is_null() {
                    let meeting_id = self.internal_meeting_id().cloned().unwrap_or_default();
                    let fallback = if n.contains("Started") {
                        self.mappings.meeting_presenter(&meeting_id)
                    } else {
                        self.mappings.meeting_screenshare_owner(&meeting_id)
                    };
                    user_id = fallback.ok_or(Failure::NoUser)?;
                }
                let external = self.external_user_id(&user_id).cloned();
                let user = self.user_ids(user_id, external.as_ref());
                attributes.insert("user".into(), Value::Object(user));
            }
            _ => {}
        }
        Ok(Some(envelope(id, attributes, Some(self.now.clone()))))
    }

    fn user(&self) -> Result<Option<Value>, TypeError> {
        let body = self.body()?;
        let user_id = self.internal_user_id();
        let external = self.external_user_id_or_body(&user_id, body)?;
        let id = self.mapped_id();
        let mut user = Map::new();
        user.insert("internal-user-id".into(), user_id.clone());
        user.insert("external-user-id".into(), external);
        put(&mut user, "name", get(body, "name")?);
        put(&mut user, "role", get(body, "role")?);
        put(&mut user, "presenter", get(body, "presenter")?);
        put(&mut user, "ip-address", get(body, "ipAddress")?);
        put(&mut user, "user-agent", get(body, "userAgent")?);
        put(&mut user, "referer", get(body, "referer")?);
        put(&mut user, "session-token", get(body, "sessionToken")?);
        put(
            &mut user,
            "userdata",
            or(&[
                opt(body, "userdata"),
                opt(body, "userMetadata"),
                opt(body, "userCustomData"),
            ]),
        );
        put(&mut user, "stream", get(body, "stream")?);
        match id {
            Some("user-audio-voice-enabled") => {
                let listen_only = get(body, "listenOnly")?;
                put(&mut user, "listening-only", listen_only);
                user.insert("sharing-mic".into(), json!(!truthy(listen_only)));
                put(&mut user, "muted", get(body, "muted")?);
            }
            Some("user-audio-voice-disabled") => {
                user.insert("listening-only".into(), json!(false));
                user.insert("sharing-mic".into(), json!(false));
                user.insert("muted".into(), json!(true));
            }
            Some("user-audio-muted" | "user-audio-unmuted") => {
                put(&mut user, "muted", get(body, "muted")?);
            }
            Some("user-emoji-changed") => {
                let none = json!("none");
                let emoji = or(&[
                    get(body, "emoji")?,
                    get(body, "reactionEmoji")?,
                    Some(&none),
                ]);
                put(&mut user, "emoji", emoji);
            }
            Some("user-raise-hand-changed") => {
                put(&mut user, "raise-hand", get(body, "raiseHand")?);
            }
            Some("user-joined" | "user-left") => {
                let stored = json!(!user_id.is_null() && self.mappings.is_guest(&user_id));
                let guest = nullish_or(get(body, "guest")?, Some(&stored));
                let guest = match guest {
                    Some(Value::Bool(b)) => *b,
                    Some(Value::String(s)) => s == "true",
                    _ => false,
                };
                user.insert("guest".into(), json!(guest));
            }
            _ => {}
        }
        let mut attributes = self.attributes_with_meeting();
        attributes.insert("user".into(), Value::Object(user));
        Ok(Some(envelope(id, attributes, Some(self.now.clone()))))
    }

    fn chat(&self) -> Result<Option<Value>, TypeError> {
        let body = self.body()?;
        let user_id = self.internal_user_id();
        if get(body, "chatId")?.and_then(Value::as_str) != Some("MAIN-PUBLIC-GROUP-CHAT") {
            return Ok(None);
        }
        let msg = get(body, "msg")?;
        let sender_obj = get(msg, "sender")?;
        let mut sender = self.user_ids(user_id.clone(), self.external_user_id(&user_id));
        put(&mut sender, "name", get(sender_obj, "name")?);
        put(&mut sender, "time", get(msg, "timestamp")?);
        let mut message = Map::new();
        put(&mut message, "id", get(msg, "id")?);
        put(&mut message, "message", get(msg, "message")?);
        message.insert("sender".into(), Value::Object(sender));
        let mut attributes = self.attributes_with_meeting();
        attributes.insert("chat-message".into(), Value::Object(message));
        put(&mut attributes, "chat-id", get(body, "chatId")?);
        Ok(Some(envelope(
            self.mapped_id(),
            attributes,
            Some(self.now.clone()),
        )))
    }

    fn rap(&self) -> Result<Option<Value>, TypeError> {
        let body = self.body()?;
        let mut attributes = self.attributes_with_meeting();
        put(&mut attributes, "record-id", get(body, "recordId")?);
        Ok(Some(envelope(
            self.mapped_id(),
            attributes,
            Some(self.now.clone()),
        )))
    }

    fn comp_rap(&self) -> Result<Option<Value>, TypeError> {
        let payload = get(Some(self.raw), "payload")?;
        let internal = self.internal_meeting_id();
        let external = get(payload, "external_meeting_id")?;
        let external = if truthy(external) {
            external
        } else {
            internal.and_then(|id| self.mappings.external_meeting_id(id))
        };
        let mut meeting = Map::new();
        put(&mut meeting, "internal-meeting-id", internal);
        put(&mut meeting, "external-meeting-id", external);
        let mut attributes = Map::new();
        attributes.insert("meeting".into(), Value::Object(meeting));
        let ts = get(get(Some(self.raw), "header")?, "current_time")?.cloned();
        let id = self.mapped_id();
        put(&mut attributes, "record-id", get(payload, "record_id")?);
        put(&mut attributes, "success", get(payload, "success")?);
        put(&mut attributes, "step-time", get(payload, "step_time")?);
        if id == Some("rap-archive-ended") {
            let recorded = get(payload, "recorded")?;
            put(
                &mut attributes,
                "recorded",
                or(&[recorded, Some(&json!(false))]),
            );
            let duration = get(payload, "duration")?;
            put(
                &mut attributes,
                "duration",
                or(&[duration, Some(&json!(0))]),
            );
        }
        let workflow = get(payload, "workflow")?;
        if truthy(workflow) {
            put(&mut attributes, "workflow", workflow);
        }
        if id == Some("rap-publish-ended") {
            let metadata = get(payload, "metadata")?;
            let playback = get(payload, "playback")?;
            let mut recording = Map::new();
            put(&mut recording, "name", get(metadata, "meetingName")?);
            put(&mut recording, "is-breakout", get(metadata, "isBreakout")?);
            put(&mut recording, "start-time", get(payload, "start_time")?);
            put(&mut recording, "end-time", get(payload, "end_time")?);
            put(&mut recording, "size", get(playback, "size")?);
            put(&mut recording, "raw-size", get(payload, "raw_size")?);
            put(&mut recording, "metadata", metadata);
            put(&mut recording, "playback", playback);
            put(&mut recording, "download", get(payload, "download")?);
            attributes.insert("recording".into(), Value::Object(recording));
        }
        Ok(Some(envelope(id, attributes, ts)))
    }

    fn pad(&self) -> Result<Option<Value>, TypeError> {
        let body = self.body()?;
        let mut pad = Map::new();
        put(&mut pad, "id", get(body, "padId")?);
        put(&mut pad, "external-pad-id", get(body, "externalId")?);
        put(&mut pad, "rev", get(body, "rev")?);
        put(&mut pad, "start", get(body, "start")?);
        put(&mut pad, "end", get(body, "end")?);
        put(&mut pad, "text", get(body, "text")?);
        let mut attributes = self.attributes_with_meeting();
        attributes.insert("pad".into(), Value::Object(pad));
        Ok(Some(envelope(
            self.mapped_id(),
            attributes,
            Some(self.now.clone()),
        )))
    }

    fn poll(&self) -> Result<Option<Value>, TypeError> {
        let body = self.body()?;
        let id = self.mapped_id();
        let mut user_id = self.internal_user_id();
        if id == Some("poll-responded") {
            // Deviation from bbb-webhooks: name the user who answered, not the presenter
            // the response was routed to (header user).
            if let Some(responder) = opt(body, "userId").filter(|v| truthy(Some(v))) {
                user_id = responder.clone();
            }
        }
        let external = self.external_user_id_or_body(&user_id, body)?;
        let poll_id = or(&[get(body, "pollId")?, opt(opt(body, "poll"), "id")]);
        let mut poll = Map::new();
        put(&mut poll, "id", poll_id);
        match id {
            Some("poll-started") => {
                put(&mut poll, "question", get(body, "question")?);
                put(&mut poll, "answers", get(get(body, "poll")?, "answers")?);
            }
            Some("poll-responded") => put(&mut poll, "answerIds", get(body, "answerIds")?),
            _ => {}
        }
        let mut user = Map::new();
        user.insert("internal-user-id".into(), user_id);
        user.insert("external-user-id".into(), external);
        let mut attributes = self.attributes_with_meeting();
        attributes.insert("user".into(), Value::Object(user));
        attributes.insert("poll".into(), Value::Object(poll));
        Ok(Some(envelope(id, attributes, Some(self.now.clone()))))
    }

    fn transcript(&self) -> Result<Option<Value>, TypeError> {
        let body = self.body()?;
        let user_id = self.internal_user_id();
        let external = self.external_user_id_or_body(&user_id, body)?;
        let mut transcript = Map::new();
        put(&mut transcript, "id", get(body, "transcriptId")?);
        put(&mut transcript, "transcript", get(body, "transcript")?);
        put(&mut transcript, "locale", get(body, "locale")?);
        put(&mut transcript, "final", get(body, "result")?);
        let mut user = Map::new();
        user.insert("internal-user-id".into(), user_id);
        user.insert("external-user-id".into(), external);
        let mut attributes = self.attributes_with_meeting();
        attributes.insert("user".into(), Value::Object(user));
        attributes.insert("transcript".into(), Value::Object(transcript));
        Ok(Some(envelope(
            self.mapped_id(),
            attributes,
            Some(self.now.clone()),
        )))
    }
}

/// The id (`data.id`) of a normalized event.
pub fn event_id(event: &Value) -> Option<&str> {
    opt_path(event, &["data", "id"]).and_then(Value::as_str)
}

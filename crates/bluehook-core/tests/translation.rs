//! Table-driven translation tests: every raw message bbb-webhooks 3.5 translates, checked byte
//! for byte against the normalized JSON it POSTs.
//!
//! Each case runs its setup messages through [`process`] (so the meeting/user mappings are built
//! the way a live relay builds them), then the raw message, and compares
//! [`jsjson::to_string`] of every resulting event with the expected text. Expectations were
//! derived by hand from bbb-webhooks' `src/process/event.js` and `event-processor.js` (v3.5.0):
//! JavaScript `||` keeps the last operand when all are falsy, `undefined` keys are left out and
//! `null` kept, and a property read of `undefined`/`null` throws (→ `Err` here, a dropped event
//! there). `data.event.ts` is the `now_ms` passed in, except for record-and-playback steps, which
//! copy `header.current_time` (seconds).
//!
//! Deliberate deviations from bbb-webhooks, asserted as such: `poll-responded` names the
//! responder (`body.userId`), and a re-joining user's mapping replaces the old one.
//!
//! All raw messages are written for these tests in the shapes BBB 2.7 and 3.x publish.

use bluehook_core::jsjson;
use bluehook_core::mapping::Mappings;
use bluehook_core::process::{process, Outgoing, Processed, RawPayload};
use bluehook_core::translate::{translate, TranslateError, Translated};
use serde_json::Value;

const NOW: u64 = 1742905321456;
const MID: &str = "5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000";
const BMID: &str = "e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5-1742905500000";
const ANA: &str = "w_k3p9zq1rvx2a";
const BRUNO: &str = "w_8hd0c2mtyb7e";
const CARLA: &str = "w_r5t1ym6qz0cd";
const DIEGO: &str = "w_m2n8b4v6c1xq";

// ---------------------------------------------------------------------------------------------
// Raw messages used as setup steps (meeting "algebra-2025-spring", BBB 3.x unless noted).

/// BBB 3.x `MeetingCreatedEvtMsg` with bridges and two metadata parameters.
const CREATED: &str = r##"{"envelope":{"name":"MeetingCreatedEvtMsg","routing":{"sender":"bbb-apps-akka"},"timestamp":1742905200412},"core":{"header":{"name":"MeetingCreatedEvtMsg"},"body":{"props":{"meetingProp":{"name":"Algebra — Spring 2025","extId":"algebra-2025-spring","intId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meetingCameraCap":0,"maxPinnedCameras":3,"isBreakout":false,"disabledFeatures":["learningDashboard"],"notifyRecordingIsOn":false,"presentationUploadExternalDescription":"","presentationUploadExternalUrl":"","audioBridge":"freeswitch","cameraBridge":"bbb-webrtc-sfu","screenShareBridge":"bbb-webrtc-sfu"},"breakoutProps":{"parentId":"bbb-none","sequence":0,"freeJoin":false,"breakoutRooms":[],"record":false,"privateChatEnabled":true,"captureNotes":false,"captureSlides":false,"captureNotesFilename":"%%CONFNAME%%","captureSlidesFilename":"%%CONFNAME%%"},"durationProps":{"duration":90,"createdTime":1742905200000,"createdDate":"Tue Mar 25 12:20:00 UTC 2025","meetingExpireIfNoUserJoinedInMinutes":5,"meetingExpireWhenLastUserLeftInMinutes":1,"userInactivityInspectTimerInMinutes":0,"userInactivityThresholdInMinutes":30,"userActivitySignResponseDelayInMinutes":5,"endWhenNoModerator":false,"endWhenNoModeratorDelayInMinutes":1},"password":{"moderatorPass":"mod-7Qx","viewerPass":"view-3Lp","learningDashboardAccessToken":"s8fj2kq0xv1m"},"recordProp":{"record":true,"autoStartRecording":false,"allowStartStopRecording":true,"recordFullDurationMedia":false,"keepEvents":true},"welcomeProp":{"welcomeMsgTemplate":"Welcome to <b>%%CONFNAME%%</b>!","welcomeMsg":"Welcome to <b>Algebra — Spring 2025</b>!","modOnlyMessage":""},"voiceProp":{"telVoice":"48213","voiceConf":"48213","dialNumber":"","muteOnStart":true},"usersProp":{"maxUsers":50,"maxUserConcurrentAccesses":3,"webcamsOnlyForModerator":false,"userCameraCap":3,"guestPolicy":"ALWAYS_ACCEPT","meetingLayout":"SMART_LAYOUT","allowModsToUnmuteUsers":false,"allowModsToEjectCameras":false,"authenticatedGuest":true},"metadataProp":{"metadata":{"course-id":"MATH-201","lms":"moodle"}},"lockSettingsProps":{"disableCam":false,"disableMic":false,"disablePrivateChat":false,"disablePublicChat":false,"disableNotes":false,"hideUserList":false,"lockOnJoin":true,"lockOnJoinConfigurable":false,"hideViewersCursor":false,"hideViewersAnnotation":false},"systemProps":{"html5InstanceId":1},"groups":[]}}}}"##;
/// Ana Lima, moderator, BBB 3.x join body (session token array, IP, user agent, referer,
/// `userMetadata`).
const ANA_JOINED: &str = r##"{"envelope":{"name":"UserJoinedMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905230118},"core":{"header":{"name":"UserJoinedMeetingEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"intId":"w_k3p9zq1rvx2a","extId":"ana.lima@uni.example","name":"Ana Lima","role":"MODERATOR","bot":false,"guest":false,"authed":true,"guestStatus":"ALLOW","reactionEmoji":"none","raiseHand":false,"away":false,"pin":false,"presenter":false,"locked":false,"avatar":"https://lms.uni.example/avatars/ana.png","webcamBackground":"","color":"#5e35b1","clientType":"HTML5","sessionToken":["q2x8vnd4bk1fz0ra"],"ipAddress":"198.51.100.23","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Firefox/136.0","referer":"https://lms.uni.example/course/view.php?id=201","userMetadata":{"role-in-course":"teacher"}}}}"##;
/// Bruno Costa, guest viewer, BBB 2.7 join body (`extId` = internal id).
const BRUNO_JOINED: &str = r##"{"envelope":{"name":"UserJoinedMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"timestamp":1742905241907},"core":{"header":{"name":"UserJoinedMeetingEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"body":{"intId":"w_8hd0c2mtyb7e","extId":"w_8hd0c2mtyb7e","name":"Bruno Costa","role":"VIEWER","guest":true,"authed":false,"guestStatus":"ALLOW","emoji":"none","reactionEmoji":"none","raiseHand":false,"away":false,"pin":false,"presenter":false,"locked":true,"avatar":"","color":"#00838f","clientType":"HTML5"}}}"##;
/// `PresenterAssignedEvtMsg` for Ana.
const ANA_PRESENTER: &str = r##"{"envelope":{"name":"PresenterAssignedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905230201},"core":{"header":{"name":"PresenterAssignedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"presenterId":"w_k3p9zq1rvx2a","presenterName":"Ana Lima","assignedBy":"w_k3p9zq1rvx2a"}}}"##;
/// BBB 3.x `ScreenshareRtmpBroadcastStartedEvtMsg` (header user `not-used`, sharer Bruno in
/// `body.userId`).
const BRUNO_SHARING: &str = r##"{"envelope":{"name":"ScreenshareRtmpBroadcastStartedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"timestamp":1742905300020},"core":{"header":{"name":"ScreenshareRtmpBroadcastStartedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"body":{"voiceConf":"48213","screenshareConf":"48213","userId":"w_8hd0c2mtyb7e","stream":"7d0e2f1a-93c4-4b8e-a1f5-2c6d9e0b4a37","vidWidth":1920,"vidHeight":1080,"timestamp":"1742905300010","hasAudio":true,"contentType":"screenshare"}}}"##;
/// `MeetingDestroyedEvtMsg` of `CREATED`.
const DESTROYED: &str = r##"{"envelope":{"name":"MeetingDestroyedEvtMsg","routing":{"sender":"bbb-apps-akka"},"timestamp":1742911200555},"core":{"header":{"name":"MeetingDestroyedEvtMsg"},"body":{"meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}}"##;
/// BBB 2.7 `MeetingCreatedEvtMsg` of a breakout room of `CREATED` (no bridge fields).
const BREAKOUT_CREATED: &str = r##"{"envelope":{"name":"MeetingCreatedEvtMsg","routing":{"sender":"bbb-apps-akka"},"timestamp":1742905500133},"core":{"header":{"name":"MeetingCreatedEvtMsg"},"body":{"props":{"meetingProp":{"name":"Algebra — Spring 2025 (Room 1)","extId":"algebra-2025-spring-1","intId":"e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5-1742905500000","meetingCameraCap":0,"maxPinnedCameras":3,"isBreakout":true,"disabledFeatures":[],"notifyRecordingIsOn":false,"presentationUploadExternalDescription":"","presentationUploadExternalUrl":""},"breakoutProps":{"parentId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","sequence":1,"freeJoin":false,"breakoutRooms":[],"record":false,"privateChatEnabled":true,"captureNotes":false,"captureSlides":false,"captureNotesFilename":"%%CONFNAME%%","captureSlidesFilename":"%%CONFNAME%%"},"durationProps":{"duration":15,"createdTime":1742905500000,"createdDate":"Tue Mar 25 12:25:00 UTC 2025","meetingExpireIfNoUserJoinedInMinutes":5,"meetingExpireWhenLastUserLeftInMinutes":1,"userInactivityInspectTimerInMinutes":0,"userInactivityThresholdInMinutes":30,"userActivitySignResponseDelayInMinutes":5,"endWhenNoModerator":false,"endWhenNoModeratorDelayInMinutes":1},"password":{"moderatorPass":"mod-7Qx","viewerPass":"view-3Lp","learningDashboardAccessToken":""},"recordProp":{"record":false,"autoStartRecording":false,"allowStartStopRecording":true,"recordFullDurationMedia":false,"keepEvents":false},"welcomeProp":{"welcomeMsgTemplate":"Welcome to <b>%%CONFNAME%%</b>!","welcomeMsg":"Welcome to <b>Algebra — Spring 2025 (Room 1)</b>!","modOnlyMessage":""},"voiceProp":{"telVoice":"482131","voiceConf":"482131","dialNumber":"613-555-1234","muteOnStart":false},"usersProp":{"maxUsers":0,"maxUserConcurrentAccesses":3,"webcamsOnlyForModerator":false,"userCameraCap":3,"guestPolicy":"ALWAYS_ACCEPT","meetingLayout":"SMART_LAYOUT","allowModsToUnmuteUsers":false,"allowModsToEjectCameras":false,"authenticatedGuest":false},"metadataProp":{"metadata":{}},"lockSettingsProps":{"disableCam":false,"disableMic":false,"disablePrivateChat":false,"disablePublicChat":false,"disableNotes":false,"hideUserList":false,"lockOnJoin":true,"lockOnJoinConfigurable":false,"hideViewersCursor":false,"hideViewersAnnotation":false},"systemProps":{"html5InstanceId":1},"groups":[]}}}}"##;
/// BBB 2.6 `UserEmojiChangedEvtMsg`: Bruno raises his hand.
const BRUNO_RAISE_HAND_EMOJI: &str = r##"{"envelope":{"name":"UserEmojiChangedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"timestamp":1742905300500},"core":{"header":{"name":"UserEmojiChangedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"body":{"userId":"w_8hd0c2mtyb7e","emoji":"raiseHand"}}}"##;
/// `PresenterUnassignedEvtMsg` for Ana.
const ANA_UNPRESENTER: &str = r##"{"envelope":{"name":"PresenterUnassignedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905290199},"core":{"header":{"name":"PresenterUnassignedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"intId":"w_k3p9zq1rvx2a","name":"Ana Lima","assignedBy":"w_k3p9zq1rvx2a"}}}"##;
/// `PresenterAssignedEvtMsg` for Bruno.
const BRUNO_PRESENTER: &str = r##"{"envelope":{"name":"PresenterAssignedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"timestamp":1742905290201},"core":{"header":{"name":"PresenterAssignedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"body":{"presenterId":"w_8hd0c2mtyb7e","presenterName":"Bruno Costa","assignedBy":"w_k3p9zq1rvx2a"}}}"##;
/// BBB 2.7 `ScreenshareRtmpBroadcastStartedEvtMsg`: header user `not-used`, no user in the body.
const SS_STARTED_27: &str = r##"{"envelope":{"name":"ScreenshareRtmpBroadcastStartedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"timestamp":1742905300020},"core":{"header":{"name":"ScreenshareRtmpBroadcastStartedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"body":{"voiceConf":"48213","screenshareConf":"48213","stream":"7d0e2f1a-93c4-4b8e-a1f5-2c6d9e0b4a37","vidWidth":0,"vidHeight":0,"timestamp":"1742905300010","hasAudio":false,"contentType":"screenshare"}}}"##;
/// BBB 2.7 `ScreenshareRtmpBroadcastStoppedEvtMsg`: no user at all.
const SS_STOPPED_27: &str = r##"{"envelope":{"name":"ScreenshareRtmpBroadcastStoppedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"timestamp":1742905310020},"core":{"header":{"name":"ScreenshareRtmpBroadcastStoppedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"body":{"voiceConf":"","screenshareConf":"","stream":"","vidWidth":0,"vidHeight":0,"timestamp":""}}}"##;
/// BBB 3.x screenshare started by Ana.
const ANA_SHARING: &str = r##"{"envelope":{"name":"ScreenshareRtmpBroadcastStartedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"timestamp":1742905300020},"core":{"header":{"name":"ScreenshareRtmpBroadcastStartedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"body":{"voiceConf":"48213","screenshareConf":"48213","userId":"w_k3p9zq1rvx2a","stream":"7d0e2f1a-93c4-4b8e-a1f5-2c6d9e0b4a37","vidWidth":1920,"vidHeight":1080,"timestamp":"1742905300010","hasAudio":true,"contentType":"screenshare"}}}"##;
/// Ana joins again from her phone (new session token, different `extId`).
const ANA_REJOINED: &str = r##"{"envelope":{"name":"UserJoinedMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905320000},"core":{"header":{"name":"UserJoinedMeetingEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"intId":"w_k3p9zq1rvx2a","extId":"ana.lima+phone@uni.example","name":"Ana Lima","role":"MODERATOR","bot":false,"guest":false,"authed":true,"guestStatus":"ALLOW","reactionEmoji":"none","raiseHand":false,"away":false,"pin":false,"presenter":false,"locked":false,"avatar":"https://lms.uni.example/avatars/ana.png","webcamBackground":"","color":"#5e35b1","clientType":"HTML5","sessionToken":["m4c7t2z9p0l5k8j1"],"ipAddress":"198.51.100.23","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Firefox/136.0","referer":"https://lms.uni.example/course/view.php?id=201","userMetadata":{"role-in-course":"teacher"}}}}"##;
/// Diego joins the breakout room.
const DIEGO_JOINED_BREAKOUT: &str = r##"{"envelope":{"name":"UserJoinedMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5-1742905500000","userId":"w_m2n8b4v6c1xq"},"timestamp":1742905520000},"core":{"header":{"name":"UserJoinedMeetingEvtMsg","meetingId":"e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5-1742905500000","userId":"w_m2n8b4v6c1xq"},"body":{"intId":"w_m2n8b4v6c1xq","extId":"diego-5","name":"Diego Rocha","role":"VIEWER","guest":false,"authed":true,"guestStatus":"ALLOW","emoji":"none","reactionEmoji":"none","raiseHand":false,"away":false,"pin":false,"presenter":false,"locked":true,"avatar":"","color":"#ad1457","clientType":"HTML5"}}}"##;
/// Bruno leaves.
const BRUNO_LEFT: &str = r##"{"envelope":{"name":"UserLeftMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"timestamp":1742905400000},"core":{"header":{"name":"UserLeftMeetingEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"body":{"intId":"w_8hd0c2mtyb7e","eject":false,"ejectedBy":"","reason":"","reasonCode":""}}}"##;
/// Ana mutes herself.
const ANA_MUTED: &str = r##"{"envelope":{"name":"UserMutedVoiceEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserMutedVoiceEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"voiceConf":"48213","intId":"w_k3p9zq1rvx2a","voiceUserId":"w_k3p9zq1rvx2a","muted":true}}}"##;
/// Bruno mutes himself.
const BRUNO_MUTED: &str = r##"{"envelope":{"name":"UserMutedVoiceEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"timestamp":1742905321400},"core":{"header":{"name":"UserMutedVoiceEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"body":{"voiceConf":"48213","intId":"w_8hd0c2mtyb7e","voiceUserId":"w_8hd0c2mtyb7e","muted":true}}}"##;
/// Diego mutes himself in the breakout room.
const DIEGO_MUTED: &str = r##"{"envelope":{"name":"UserMutedVoiceEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5-1742905500000","userId":"w_m2n8b4v6c1xq"},"timestamp":1742905321400},"core":{"header":{"name":"UserMutedVoiceEvtMsg","meetingId":"e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5-1742905500000","userId":"w_m2n8b4v6c1xq"},"body":{"voiceConf":"482131","intId":"w_m2n8b4v6c1xq","voiceUserId":"w_m2n8b4v6c1xq","muted":true}}}"##;
/// BBB 2.6: Bruno clears his emoji.
const BRUNO_EMOJI_NONE: &str = r##"{"envelope":{"name":"UserEmojiChangedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"timestamp":1742905321400},"core":{"header":{"name":"UserEmojiChangedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"body":{"userId":"w_8hd0c2mtyb7e","emoji":"none"}}}"##;
/// BBB 2.6: Bruno sets an emoji.
const BRUNO_EMOJI_HAPPY: &str = r##"{"envelope":{"name":"UserEmojiChangedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"timestamp":1742905321400},"core":{"header":{"name":"UserEmojiChangedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"body":{"userId":"w_8hd0c2mtyb7e","emoji":"happy"}}}"##;
/// BBB 2.7 native raise hand by Ana.
const ANA_RAISE_HAND: &str = r##"{"envelope":{"name":"UserRaiseHandChangedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserRaiseHandChangedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"userId":"w_k3p9zq1rvx2a","raiseHand":true}}}"##;
/// BBB 2.6: Ana clears her emoji.
const ANA_EMOJI_NONE: &str = r##"{"envelope":{"name":"UserEmojiChangedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserEmojiChangedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"userId":"w_k3p9zq1rvx2a","emoji":"none"}}}"##;
/// An already-normalized `user-joined` published on a subscribed channel.
const CARLA_JOINED_NORMALIZED: &str = r##"{"data":{"type":"event","id":"user-joined","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_r5t1ym6qz0cd","external-user-id":"carla-77","name":"Carla Dias","guest":true}},"event":{"ts":1742905300000}}}"##;
/// Carla mutes herself.
const CARLA_MUTED: &str = r##"{"envelope":{"name":"UserMutedVoiceEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"timestamp":1742905321400},"core":{"header":{"name":"UserMutedVoiceEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"body":{"voiceConf":"48213","intId":"w_r5t1ym6qz0cd","voiceUserId":"w_r5t1ym6qz0cd","muted":true}}}"##;
/// An already-normalized `meeting-ended`.
const ENDED_NORMALIZED: &str = r##"{"data":{"type":"event","id":"meeting-ended","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"}},"event":{"ts":1742911200000}}}"##;
/// `archive_started` for `CREATED`, without an external id.
const ARCHIVE_STARTED: &str = r##"{"header":{"timestamp":8812345,"name":"archive_started","current_time":1742911201,"version":"0.0.1"},"payload":{"record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##;
/// A private chat message.
const PRIVATE_CHAT: &str = r##"{"envelope":{"name":"GroupChatMessageBroadcastEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"GroupChatMessageBroadcastEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"chatId":"1742905250000-k2l3m4n5","msg":{"id":"1742905321388-x7k2p9qa","timestamp":1742905321388,"correlationId":"w_k3p9zq1rvx2a-1742905321350","sender":{"id":"w_k3p9zq1rvx2a","name":"Ana Lima","role":"MODERATOR"},"chatEmphasizedText":true,"message":"private note","replyToMessageId":"","metadata":{}}}}}"##;
/// A message bbb-webhooks does not translate.
const TALKING: &str = r##"{"envelope":{"name":"UserTalkingVoiceEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserTalkingVoiceEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"voiceConf":"48213","intId":"w_k3p9zq1rvx2a","voiceUserId":"3","talking":true}}}"##;
/// A public chat message without `msg`.
const CHAT_WITHOUT_MSG: &str = r##"{"envelope":{"name":"GroupChatMessageBroadcastEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"GroupChatMessageBroadcastEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"chatId":"MAIN-PUBLIC-GROUP-CHAT"}}}"##;

#[derive(Debug)]
enum Expect {
    /// The events `process` returns, in order, as `JSON.stringify` text.
    Events(&'static [&'static str]),
    /// A known message bbb-webhooks drops on purpose (private chat).
    Ignored,
    /// Not a message bbb-webhooks translates.
    Unknown,
    /// bbb-webhooks throws while translating/processing and drops the message.
    Err,
}

struct Case {
    /// The raw message name (or "passthrough"/"unknown").
    kind: &'static str,
    name: &'static str,
    /// Messages processed before `raw`, to build the mappings.
    setup: &'static [&'static str],
    raw: &'static str,
    now: u64,
    expect: Expect,
}

const CASES: &[Case] = &[
    // ---- MeetingCreatedEvtMsg
    Case {
        kind: "MeetingCreatedEvtMsg",
        name: "BBB 3.x meeting with bridges and metadata",
        setup: &[],
        raw: r##"{"envelope":{"name":"MeetingCreatedEvtMsg","routing":{"sender":"bbb-apps-akka"},"timestamp":1742905200412},"core":{"header":{"name":"MeetingCreatedEvtMsg"},"body":{"props":{"meetingProp":{"name":"Algebra — Spring 2025","extId":"algebra-2025-spring","intId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meetingCameraCap":0,"maxPinnedCameras":3,"isBreakout":false,"disabledFeatures":["learningDashboard"],"notifyRecordingIsOn":false,"presentationUploadExternalDescription":"","presentationUploadExternalUrl":"","audioBridge":"freeswitch","cameraBridge":"bbb-webrtc-sfu","screenShareBridge":"bbb-webrtc-sfu"},"breakoutProps":{"parentId":"bbb-none","sequence":0,"freeJoin":false,"breakoutRooms":[],"record":false,"privateChatEnabled":true,"captureNotes":false,"captureSlides":false,"captureNotesFilename":"%%CONFNAME%%","captureSlidesFilename":"%%CONFNAME%%"},"durationProps":{"duration":90,"createdTime":1742905200000,"createdDate":"Tue Mar 25 12:20:00 UTC 2025","meetingExpireIfNoUserJoinedInMinutes":5,"meetingExpireWhenLastUserLeftInMinutes":1,"userInactivityInspectTimerInMinutes":0,"userInactivityThresholdInMinutes":30,"userActivitySignResponseDelayInMinutes":5,"endWhenNoModerator":false,"endWhenNoModeratorDelayInMinutes":1},"password":{"moderatorPass":"mod-7Qx","viewerPass":"view-3Lp","learningDashboardAccessToken":"s8fj2kq0xv1m"},"recordProp":{"record":true,"autoStartRecording":false,"allowStartStopRecording":true,"recordFullDurationMedia":false,"keepEvents":true},"welcomeProp":{"welcomeMsgTemplate":"Welcome to <b>%%CONFNAME%%</b>!","welcomeMsg":"Welcome to <b>Algebra — Spring 2025</b>!","modOnlyMessage":""},"voiceProp":{"telVoice":"48213","voiceConf":"48213","dialNumber":"","muteOnStart":true},"usersProp":{"maxUsers":50,"maxUserConcurrentAccesses":3,"webcamsOnlyForModerator":false,"userCameraCap":3,"guestPolicy":"ALWAYS_ACCEPT","meetingLayout":"SMART_LAYOUT","allowModsToUnmuteUsers":false,"allowModsToEjectCameras":false,"authenticatedGuest":true},"metadataProp":{"metadata":{"course-id":"MATH-201","lms":"moodle"}},"lockSettingsProps":{"disableCam":false,"disableMic":false,"disablePrivateChat":false,"disablePublicChat":false,"disableNotes":false,"hideUserList":false,"lockOnJoin":true,"lockOnJoinConfigurable":false,"hideViewersCursor":false,"hideViewersAnnotation":false},"systemProps":{"html5InstanceId":1},"groups":[]}}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"meeting-created","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring","name":"Algebra — Spring 2025","is-breakout":false,"parent-id":"bbb-none","duration":90,"create-time":1742905200000,"create-date":"Tue Mar 25 12:20:00 UTC 2025","moderator-pass":"mod-7Qx","viewer-pass":"view-3Lp","record":true,"voice-conf":"48213","dial-number":"","max-users":50,"metadata":{"course-id":"MATH-201","lms":"moodle"},"audioBridge":"freeswitch","cameraBridge":"bbb-webrtc-sfu","screenShareBridge":"bbb-webrtc-sfu"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "MeetingCreatedEvtMsg",
        name: "BBB 2.7 breakout room: no bridge keys, empty metadata",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"MeetingCreatedEvtMsg","routing":{"sender":"bbb-apps-akka"},"timestamp":1742905500133},"core":{"header":{"name":"MeetingCreatedEvtMsg"},"body":{"props":{"meetingProp":{"name":"Algebra — Spring 2025 (Room 1)","extId":"algebra-2025-spring-1","intId":"e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5-1742905500000","meetingCameraCap":0,"maxPinnedCameras":3,"isBreakout":true,"disabledFeatures":[],"notifyRecordingIsOn":false,"presentationUploadExternalDescription":"","presentationUploadExternalUrl":""},"breakoutProps":{"parentId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","sequence":1,"freeJoin":false,"breakoutRooms":[],"record":false,"privateChatEnabled":true,"captureNotes":false,"captureSlides":false,"captureNotesFilename":"%%CONFNAME%%","captureSlidesFilename":"%%CONFNAME%%"},"durationProps":{"duration":15,"createdTime":1742905500000,"createdDate":"Tue Mar 25 12:25:00 UTC 2025","meetingExpireIfNoUserJoinedInMinutes":5,"meetingExpireWhenLastUserLeftInMinutes":1,"userInactivityInspectTimerInMinutes":0,"userInactivityThresholdInMinutes":30,"userActivitySignResponseDelayInMinutes":5,"endWhenNoModerator":false,"endWhenNoModeratorDelayInMinutes":1},"password":{"moderatorPass":"mod-7Qx","viewerPass":"view-3Lp","learningDashboardAccessToken":""},"recordProp":{"record":false,"autoStartRecording":false,"allowStartStopRecording":true,"recordFullDurationMedia":false,"keepEvents":false},"welcomeProp":{"welcomeMsgTemplate":"Welcome to <b>%%CONFNAME%%</b>!","welcomeMsg":"Welcome to <b>Algebra — Spring 2025 (Room 1)</b>!","modOnlyMessage":""},"voiceProp":{"telVoice":"482131","voiceConf":"482131","dialNumber":"613-555-1234","muteOnStart":false},"usersProp":{"maxUsers":0,"maxUserConcurrentAccesses":3,"webcamsOnlyForModerator":false,"userCameraCap":3,"guestPolicy":"ALWAYS_ACCEPT","meetingLayout":"SMART_LAYOUT","allowModsToUnmuteUsers":false,"allowModsToEjectCameras":false,"authenticatedGuest":false},"metadataProp":{"metadata":{}},"lockSettingsProps":{"disableCam":false,"disableMic":false,"disablePrivateChat":false,"disablePublicChat":false,"disableNotes":false,"hideUserList":false,"lockOnJoin":true,"lockOnJoinConfigurable":false,"hideViewersCursor":false,"hideViewersAnnotation":false},"systemProps":{"html5InstanceId":1},"groups":[]}}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"meeting-created","attributes":{"meeting":{"internal-meeting-id":"e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5-1742905500000","external-meeting-id":"algebra-2025-spring-1","name":"Algebra — Spring 2025 (Room 1)","is-breakout":true,"parent-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","duration":15,"create-time":1742905500000,"create-date":"Tue Mar 25 12:25:00 UTC 2025","moderator-pass":"mod-7Qx","viewer-pass":"view-3Lp","record":false,"voice-conf":"482131","dial-number":"613-555-1234","max-users":0,"metadata":{}}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "MeetingCreatedEvtMsg",
        name: "missing metadataProp throws",
        setup: &[],
        raw: r##"{"envelope":{"name":"MeetingCreatedEvtMsg","routing":{"sender":"bbb-apps-akka"},"timestamp":1742905200412},"core":{"header":{"name":"MeetingCreatedEvtMsg"},"body":{"props":{"meetingProp":{"name":"Algebra — Spring 2025","extId":"algebra-2025-spring","intId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","isBreakout":false},"breakoutProps":{"parentId":"bbb-none","sequence":0},"durationProps":{"duration":90,"createdTime":1742905200000,"createdDate":"Tue Mar 25 12:20:00 UTC 2025"},"password":{"moderatorPass":"mod-7Qx","viewerPass":"view-3Lp"},"recordProp":{"record":true},"welcomeProp":{"welcomeMsgTemplate":"Welcome to <b>%%CONFNAME%%</b>!","welcomeMsg":"Welcome to <b>Algebra — Spring 2025</b>!","modOnlyMessage":""},"voiceProp":{"telVoice":"48213","voiceConf":"48213","dialNumber":""},"usersProp":{"maxUsers":50},"lockSettingsProps":{"disableCam":false,"disableMic":false,"disablePrivateChat":false,"disablePublicChat":false,"disableNotes":false,"hideUserList":false,"lockOnJoin":true,"lockOnJoinConfigurable":false,"hideViewersCursor":false,"hideViewersAnnotation":false},"systemProps":{"html5InstanceId":1},"groups":[]}}}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    Case {
        kind: "MeetingCreatedEvtMsg",
        name: "props null throws",
        setup: &[],
        raw: r##"{"envelope":{"name":"MeetingCreatedEvtMsg","routing":{"sender":"bbb-apps-akka"},"timestamp":1742905200412},"core":{"header":{"name":"MeetingCreatedEvtMsg"},"body":{"props":null}}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    // ---- MeetingDestroyedEvtMsg
    Case {
        kind: "MeetingDestroyedEvtMsg",
        name: "unmapped meeting without users",
        setup: &[],
        raw: r##"{"envelope":{"name":"MeetingDestroyedEvtMsg","routing":{"sender":"bbb-apps-akka"},"timestamp":1742911200555},"core":{"header":{"name":"MeetingDestroyedEvtMsg"},"body":{"meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"meeting-ended","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "MeetingDestroyedEvtMsg",
        name: "users still present get a synthesized user-left first",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"MeetingDestroyedEvtMsg","routing":{"sender":"bbb-apps-akka"},"timestamp":1742911200555},"core":{"header":{"name":"MeetingDestroyedEvtMsg"},"body":{"meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-left","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","name":"Ana Lima","role":"MODERATOR","presenter":false,"ip-address":"198.51.100.23","user-agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Firefox/136.0","referer":"https://lms.uni.example/course/view.php?id=201","session-token":["q2x8vnd4bk1fz0ra"],"userdata":{"role-in-course":"teacher"},"guest":false}},"event":{"ts":1742905321456}}}"##,
            r##"{"data":{"type":"event","id":"user-left","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","name":"Bruno Costa","role":"VIEWER","presenter":false,"guest":true}},"event":{"ts":1742905321456}}}"##,
            r##"{"data":{"type":"event","id":"meeting-ended","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "MeetingDestroyedEvtMsg",
        name: "no core throws",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"MeetingDestroyedEvtMsg","routing":{"sender":"bbb-apps-akka"},"timestamp":1742911200555}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    Case {
        kind: "MeetingDestroyedEvtMsg",
        name: "core.body null throws",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"MeetingDestroyedEvtMsg","routing":{"sender":"bbb-apps-akka"},"timestamp":1742911200555},"core":{"header":{"name":"MeetingDestroyedEvtMsg"},"body":null}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    // ---- RecordingStatusChangedEvtMsg
    Case {
        kind: "RecordingStatusChangedEvtMsg",
        name: "recording true",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"RecordingStatusChangedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"RecordingStatusChangedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"recording":true,"setBy":"w_k3p9zq1rvx2a"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"meeting-recording-started","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "RecordingStatusChangedEvtMsg",
        name: "recording false",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"RecordingStatusChangedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"RecordingStatusChangedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"recording":false,"setBy":"w_k3p9zq1rvx2a"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"meeting-recording-stopped","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "RecordingStatusChangedEvtMsg",
        name: "recording not a boolean",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"RecordingStatusChangedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"RecordingStatusChangedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"recording":"true","setBy":"w_k3p9zq1rvx2a"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"meeting-recording-unhandled","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "RecordingStatusChangedEvtMsg",
        name: "recording missing, meeting unmapped",
        setup: &[],
        raw: r##"{"envelope":{"name":"RecordingStatusChangedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"RecordingStatusChangedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"setBy":"w_k3p9zq1rvx2a"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"meeting-recording-unhandled","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    // ---- ScreenshareRtmpBroadcastStartedEvtMsg
    Case {
        kind: "ScreenshareRtmpBroadcastStartedEvtMsg",
        name: "BBB 3.x: header not-used, sharer in body.userId",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"ScreenshareRtmpBroadcastStartedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"timestamp":1742905300020},"core":{"header":{"name":"ScreenshareRtmpBroadcastStartedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"body":{"voiceConf":"48213","screenshareConf":"48213","userId":"w_8hd0c2mtyb7e","stream":"7d0e2f1a-93c4-4b8e-a1f5-2c6d9e0b4a37","vidWidth":1920,"vidHeight":1080,"timestamp":"1742905300010","hasAudio":true,"contentType":"screenshare"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"meeting-screenshare-started","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "ScreenshareRtmpBroadcastStartedEvtMsg",
        name: "BBB 2.7: no user, falls back to the presenter",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED, ANA_PRESENTER],
        raw: r##"{"envelope":{"name":"ScreenshareRtmpBroadcastStartedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"timestamp":1742905300020},"core":{"header":{"name":"ScreenshareRtmpBroadcastStartedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"body":{"voiceConf":"48213","screenshareConf":"48213","stream":"7d0e2f1a-93c4-4b8e-a1f5-2c6d9e0b4a37","vidWidth":0,"vidHeight":0,"timestamp":"1742905300010","hasAudio":false,"contentType":"screenshare"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"meeting-screenshare-started","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "ScreenshareRtmpBroadcastStartedEvtMsg",
        name: "BBB 2.7: no user and no presenter known throws",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"ScreenshareRtmpBroadcastStartedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"timestamp":1742905300020},"core":{"header":{"name":"ScreenshareRtmpBroadcastStartedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"body":{"voiceConf":"48213","screenshareConf":"48213","stream":"7d0e2f1a-93c4-4b8e-a1f5-2c6d9e0b4a37","vidWidth":0,"vidHeight":0,"timestamp":"1742905300010","hasAudio":false,"contentType":"screenshare"}}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    Case {
        kind: "ScreenshareRtmpBroadcastStartedEvtMsg",
        name: "unmapped sharer: external-user-id omitted",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"ScreenshareRtmpBroadcastStartedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"timestamp":1742905300020},"core":{"header":{"name":"ScreenshareRtmpBroadcastStartedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"body":{"voiceConf":"48213","screenshareConf":"48213","userId":"w_r5t1ym6qz0cd","stream":"7d0e2f1a-93c4-4b8e-a1f5-2c6d9e0b4a37","vidWidth":1920,"vidHeight":1080,"timestamp":"1742905300010","hasAudio":true,"contentType":"screenshare"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"meeting-screenshare-started","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_r5t1ym6qz0cd"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    // ---- ScreenshareRtmpBroadcastStoppedEvtMsg
    Case {
        kind: "ScreenshareRtmpBroadcastStoppedEvtMsg",
        name: "BBB 3.x: sharer in body.userId",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED, BRUNO_SHARING],
        raw: r##"{"envelope":{"name":"ScreenshareRtmpBroadcastStoppedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"timestamp":1742905310020},"core":{"header":{"name":"ScreenshareRtmpBroadcastStoppedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"body":{"voiceConf":"48213","screenshareConf":"48213","userId":"w_8hd0c2mtyb7e","stream":"7d0e2f1a-93c4-4b8e-a1f5-2c6d9e0b4a37","vidWidth":1920,"vidHeight":1080,"timestamp":"1742905300010"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"meeting-screenshare-stopped","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "ScreenshareRtmpBroadcastStoppedEvtMsg",
        name: "BBB 2.7: falls back to the sharer, not the presenter",
        setup: &[
            CREATED,
            ANA_JOINED,
            BRUNO_JOINED,
            ANA_PRESENTER,
            BRUNO_SHARING,
        ],
        raw: r##"{"envelope":{"name":"ScreenshareRtmpBroadcastStoppedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"timestamp":1742905310020},"core":{"header":{"name":"ScreenshareRtmpBroadcastStoppedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"body":{"voiceConf":"","screenshareConf":"","stream":"","vidWidth":0,"vidHeight":0,"timestamp":""}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"meeting-screenshare-stopped","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "ScreenshareRtmpBroadcastStoppedEvtMsg",
        name: "BBB 2.7: nobody sharing throws",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED, ANA_PRESENTER],
        raw: r##"{"envelope":{"name":"ScreenshareRtmpBroadcastStoppedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"timestamp":1742905310020},"core":{"header":{"name":"ScreenshareRtmpBroadcastStoppedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"body":{"voiceConf":"","screenshareConf":"","stream":"","vidWidth":0,"vidHeight":0,"timestamp":""}}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    // ---- SetCurrentPresentationEvtMsg
    Case {
        kind: "SetCurrentPresentationEvtMsg",
        name: "BBB 3.x presentation pod switch",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"SetCurrentPresentationEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"SetCurrentPresentationEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"podId":"DEFAULT_PRESENTATION_POD","presentationId":"b7c1d2e3f4a5968778695a4b3c2d1e0f9a8b7c6d-1742905260411"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"meeting-presentation-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring","presentation-id":"b7c1d2e3f4a5968778695a4b3c2d1e0f9a8b7c6d-1742905260411"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "SetCurrentPresentationEvtMsg",
        name: "BBB 2.7 body, meeting unmapped",
        setup: &[],
        raw: r##"{"envelope":{"name":"SetCurrentPresentationEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"SetCurrentPresentationEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"presentationId":"default.pdf-1742905200100"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"meeting-presentation-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","presentation-id":"default.pdf-1742905200100"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "SetCurrentPresentationEvtMsg",
        name: "no presentationId: key omitted",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"SetCurrentPresentationEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"SetCurrentPresentationEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"podId":"DEFAULT_PRESENTATION_POD"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"meeting-presentation-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    // ---- UserJoinedMeetingEvtMsg
    Case {
        kind: "UserJoinedMeetingEvtMsg",
        name: "BBB 3.x body with join metadata",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"UserJoinedMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905230118},"core":{"header":{"name":"UserJoinedMeetingEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"intId":"w_k3p9zq1rvx2a","extId":"ana.lima@uni.example","name":"Ana Lima","role":"MODERATOR","bot":false,"guest":false,"authed":true,"guestStatus":"ALLOW","reactionEmoji":"none","raiseHand":false,"away":false,"pin":false,"presenter":false,"locked":false,"avatar":"https://lms.uni.example/avatars/ana.png","webcamBackground":"","color":"#5e35b1","clientType":"HTML5","sessionToken":["q2x8vnd4bk1fz0ra"],"ipAddress":"198.51.100.23","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Firefox/136.0","referer":"https://lms.uni.example/course/view.php?id=201","userMetadata":{"role-in-course":"teacher"}}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-joined","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","name":"Ana Lima","role":"MODERATOR","presenter":false,"ip-address":"198.51.100.23","user-agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Firefox/136.0","referer":"https://lms.uni.example/course/view.php?id=201","session-token":["q2x8vnd4bk1fz0ra"],"userdata":{"role-in-course":"teacher"},"guest":false}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserJoinedMeetingEvtMsg",
        name: "BBB 2.7 guest, extId = intId",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"UserJoinedMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"timestamp":1742905241907},"core":{"header":{"name":"UserJoinedMeetingEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"body":{"intId":"w_8hd0c2mtyb7e","extId":"w_8hd0c2mtyb7e","name":"Bruno Costa","role":"VIEWER","guest":true,"authed":false,"guestStatus":"ALLOW","emoji":"none","reactionEmoji":"none","raiseHand":false,"away":false,"pin":false,"presenter":false,"locked":true,"avatar":"","color":"#00838f","clientType":"HTML5"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-joined","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","name":"Bruno Costa","role":"VIEWER","presenter":false,"guest":true}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserJoinedMeetingEvtMsg",
        name: "userCustomData and string guest flag",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"UserJoinedMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"timestamp":1742905321400},"core":{"header":{"name":"UserJoinedMeetingEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"body":{"intId":"w_r5t1ym6qz0cd","extId":"carla-77","name":"Carla Dias","role":"VIEWER","bot":false,"guest":"true","authed":true,"guestStatus":"ALLOW","reactionEmoji":"none","raiseHand":false,"away":false,"pin":false,"presenter":false,"locked":true,"avatar":"","webcamBackground":"","color":"#2e7d32","clientType":"HTML5","sessionToken":["zz81kfp2mq0wvt4e","a0b9c8d7e6f5g4h3"],"ipAddress":"2001:db8::7","userAgent":"Mozilla/5.0 (Android 14; Mobile) Chrome/134.0","referer":"","userCustomData":{"locale":"pt-BR"}}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-joined","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_r5t1ym6qz0cd","external-user-id":"carla-77","name":"Carla Dias","role":"VIEWER","presenter":false,"ip-address":"2001:db8::7","user-agent":"Mozilla/5.0 (Android 14; Mobile) Chrome/134.0","referer":"","session-token":["zz81kfp2mq0wvt4e","a0b9c8d7e6f5g4h3"],"userdata":{"locale":"pt-BR"},"guest":true}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserJoinedMeetingEvtMsg",
        name: "empty extId, no guest, meeting unmapped",
        setup: &[],
        raw: r##"{"envelope":{"name":"UserJoinedMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"timestamp":1742905321400},"core":{"header":{"name":"UserJoinedMeetingEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"body":{"intId":"w_r5t1ym6qz0cd","extId":"","name":"Carla Dias","role":"VIEWER","authed":true,"presenter":false}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-joined","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"},"user":{"internal-user-id":"w_r5t1ym6qz0cd","external-user-id":"","name":"Carla Dias","role":"VIEWER","presenter":false,"guest":false}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserJoinedMeetingEvtMsg",
        name: "all userdata variants falsy: the last one (null) is kept",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"UserJoinedMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"timestamp":1742905321400},"core":{"header":{"name":"UserJoinedMeetingEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"body":{"intId":"w_r5t1ym6qz0cd","extId":"carla-77","name":"Carla Dias","role":"VIEWER","guest":false,"presenter":false,"stream":"","userdata":"","userMetadata":0,"userCustomData":null}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-joined","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_r5t1ym6qz0cd","external-user-id":"carla-77","name":"Carla Dias","role":"VIEWER","presenter":false,"userdata":null,"stream":"","guest":false}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserJoinedMeetingEvtMsg",
        name: "re-join: external id comes from the existing mapping",
        setup: &[CREATED, ANA_JOINED],
        raw: r##"{"envelope":{"name":"UserJoinedMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905320000},"core":{"header":{"name":"UserJoinedMeetingEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"intId":"w_k3p9zq1rvx2a","extId":"ana.lima+phone@uni.example","name":"Ana Lima","role":"MODERATOR","bot":false,"guest":false,"authed":true,"guestStatus":"ALLOW","reactionEmoji":"none","raiseHand":false,"away":false,"pin":false,"presenter":false,"locked":false,"avatar":"https://lms.uni.example/avatars/ana.png","webcamBackground":"","color":"#5e35b1","clientType":"HTML5","sessionToken":["m4c7t2z9p0l5k8j1"],"ipAddress":"198.51.100.23","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Firefox/136.0","referer":"https://lms.uni.example/course/view.php?id=201","userMetadata":{"role-in-course":"teacher"}}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-joined","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","name":"Ana Lima","role":"MODERATOR","presenter":false,"ip-address":"198.51.100.23","user-agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Firefox/136.0","referer":"https://lms.uni.example/course/view.php?id=201","session-token":["m4c7t2z9p0l5k8j1"],"userdata":{"role-in-course":"teacher"},"guest":false}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserJoinedMeetingEvtMsg",
        name: "no user id anywhere: internal-user-id null",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"UserJoinedMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"timestamp":1742905321400},"core":{"header":{"name":"UserJoinedMeetingEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":""},"body":{"intId":"w_r5t1ym6qz0cd","extId":"carla-77","name":"Carla Dias","role":"VIEWER","guest":false,"presenter":false}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-joined","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":null,"external-user-id":"carla-77","name":"Carla Dias","role":"VIEWER","presenter":false,"guest":false}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserJoinedMeetingEvtMsg",
        name: "no body throws",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"UserJoinedMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"timestamp":1742905321400},"core":{"header":{"name":"UserJoinedMeetingEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"}}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    Case {
        kind: "UserJoinedMeetingEvtMsg",
        name: "no core throws",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"UserJoinedMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"timestamp":1742905321400}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    Case {
        kind: "UserJoinedMeetingEvtMsg",
        name: "body null throws even for a mapped user",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserJoinedMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserJoinedMeetingEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":null}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    // ---- UserLeftMeetingEvtMsg
    Case {
        kind: "UserLeftMeetingEvtMsg",
        name: "guest flag from the mapping",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserLeftMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"timestamp":1742905321400},"core":{"header":{"name":"UserLeftMeetingEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"body":{"intId":"w_8hd0c2mtyb7e","eject":false,"ejectedBy":"","reason":"","reasonCode":""}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-left","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","guest":true}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserLeftMeetingEvtMsg",
        name: "BBB 3.x ejected moderator",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserLeftMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserLeftMeetingEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"intId":"w_k3p9zq1rvx2a","eject":true,"ejectedBy":"SYSTEM","reason":"user inactivity","reasonCode":"user_inactivity_eject_reason"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-left","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","guest":false}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserLeftMeetingEvtMsg",
        name: "unmapped user: empty external id, guest false",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"UserLeftMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"timestamp":1742905321400},"core":{"header":{"name":"UserLeftMeetingEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"body":{"intId":"w_r5t1ym6qz0cd","eject":false,"ejectedBy":"","reason":"","reasonCode":""}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-left","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_r5t1ym6qz0cd","external-user-id":"","guest":false}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserLeftMeetingEvtMsg",
        name: "body guest wins over the mapping",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserLeftMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"timestamp":1742905321400},"core":{"header":{"name":"UserLeftMeetingEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"body":{"intId":"w_8hd0c2mtyb7e","eject":false,"ejectedBy":"","reason":"","reasonCode":"","guest":false}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-left","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","guest":false}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserLeftMeetingEvtMsg",
        name: "body guest null falls back to the mapping",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserLeftMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"timestamp":1742905321400},"core":{"header":{"name":"UserLeftMeetingEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"body":{"intId":"w_8hd0c2mtyb7e","eject":false,"ejectedBy":"","reason":"","reasonCode":"","guest":null}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-left","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","guest":true}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    // ---- UserMutedVoiceEvtMsg
    Case {
        kind: "UserMutedVoiceEvtMsg",
        name: "muted",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserMutedVoiceEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserMutedVoiceEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"voiceConf":"48213","intId":"w_k3p9zq1rvx2a","voiceUserId":"w_k3p9zq1rvx2a","muted":true}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-audio-muted","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","muted":true}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserMutedVoiceEvtMsg",
        name: "unmuted",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserMutedVoiceEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"timestamp":1742905321400},"core":{"header":{"name":"UserMutedVoiceEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"body":{"voiceConf":"48213","intId":"w_8hd0c2mtyb7e","voiceUserId":"w_8hd0c2mtyb7e","muted":false}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-audio-unmuted","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","muted":false}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserMutedVoiceEvtMsg",
        name: "muted missing: unhandled, no muted key",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserMutedVoiceEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserMutedVoiceEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"voiceConf":"48213","intId":"w_k3p9zq1rvx2a","voiceUserId":"w_k3p9zq1rvx2a"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-audio-unhandled","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserMutedVoiceEvtMsg",
        name: "muted as a string: unhandled",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserMutedVoiceEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserMutedVoiceEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"voiceConf":"48213","intId":"w_k3p9zq1rvx2a","voiceUserId":"w_k3p9zq1rvx2a","muted":"true"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-audio-unhandled","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserMutedVoiceEvtMsg",
        name: "unmapped user: external id falls back to \"\"",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"UserMutedVoiceEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"timestamp":1742905321400},"core":{"header":{"name":"UserMutedVoiceEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"body":{"voiceConf":"48213","intId":"w_r5t1ym6qz0cd","voiceUserId":"w_r5t1ym6qz0cd","muted":true}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-audio-muted","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_r5t1ym6qz0cd","external-user-id":"","muted":true}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    // ---- UserJoinedVoiceConfToClientEvtMsg
    Case {
        kind: "UserJoinedVoiceConfToClientEvtMsg",
        name: "microphone",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserJoinedVoiceConfToClientEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserJoinedVoiceConfToClientEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"voiceConf":"48213","intId":"w_k3p9zq1rvx2a","voiceUserId":"3","callerName":"Ana Lima","callerNum":"w_k3p9zq1rvx2a_3-bbbID-Ana Lima","color":"#5e35b1","muted":false,"talking":false,"callingWith":"none","listenOnly":false}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-audio-voice-enabled","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","listening-only":false,"sharing-mic":true,"muted":false}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserJoinedVoiceConfToClientEvtMsg",
        name: "listen only",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserJoinedVoiceConfToClientEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"timestamp":1742905321400},"core":{"header":{"name":"UserJoinedVoiceConfToClientEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"body":{"voiceConf":"48213","intId":"w_8hd0c2mtyb7e","voiceUserId":"w_8hd0c2mtyb7e_4","callerName":"Bruno Costa","callerNum":"w_8hd0c2mtyb7e_4-bbbID-LISTENONLY-Bruno Costa","color":"#00838f","muted":true,"talking":false,"callingWith":"none","listenOnly":true}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-audio-voice-enabled","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","listening-only":true,"sharing-mic":false,"muted":true}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserJoinedVoiceConfToClientEvtMsg",
        name: "no listenOnly/muted: sharing-mic true only",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserJoinedVoiceConfToClientEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserJoinedVoiceConfToClientEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"voiceConf":"48213","intId":"w_k3p9zq1rvx2a","voiceUserId":"3","callerName":"Ana Lima"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-audio-voice-enabled","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","sharing-mic":true}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    // ---- UserLeftVoiceConfToClientEvtMsg
    Case {
        kind: "UserLeftVoiceConfToClientEvtMsg",
        name: "constants",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserLeftVoiceConfToClientEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserLeftVoiceConfToClientEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"voiceConf":"48213","intId":"w_k3p9zq1rvx2a","voiceUserId":"3"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-audio-voice-disabled","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","listening-only":false,"sharing-mic":false,"muted":true}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserLeftVoiceConfToClientEvtMsg",
        name: "no user id at all: null and \"\"",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"UserLeftVoiceConfToClientEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"timestamp":1742905321400},"core":{"header":{"name":"UserLeftVoiceConfToClientEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"},"body":{"voiceConf":"48213","intId":"w_r5t1ym6qz0cd","voiceUserId":"5"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-audio-voice-disabled","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":null,"external-user-id":"","listening-only":false,"sharing-mic":false,"muted":true}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    // ---- PresenterAssignedEvtMsg
    Case {
        kind: "PresenterAssignedEvtMsg",
        name: "ids only",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"PresenterAssignedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905230201},"core":{"header":{"name":"PresenterAssignedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"presenterId":"w_k3p9zq1rvx2a","presenterName":"Ana Lima","assignedBy":"w_k3p9zq1rvx2a"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-presenter-assigned","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "PresenterAssignedEvtMsg",
        name: "unmapped meeting and user",
        setup: &[],
        raw: r##"{"envelope":{"name":"PresenterAssignedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"timestamp":1742905321400},"core":{"header":{"name":"PresenterAssignedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"body":{"presenterId":"w_r5t1ym6qz0cd","presenterName":"Carla Dias","assignedBy":"w_r5t1ym6qz0cd"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-presenter-assigned","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"},"user":{"internal-user-id":"w_r5t1ym6qz0cd","external-user-id":""}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    // ---- PresenterUnassignedEvtMsg
    Case {
        kind: "PresenterUnassignedEvtMsg",
        name: "body name is carried along",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED, ANA_PRESENTER],
        raw: r##"{"envelope":{"name":"PresenterUnassignedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905290199},"core":{"header":{"name":"PresenterUnassignedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"intId":"w_k3p9zq1rvx2a","name":"Ana Lima","assignedBy":"w_k3p9zq1rvx2a"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-presenter-unassigned","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","name":"Ana Lima"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    // ---- UserBroadcastCamStartedEvtMsg
    Case {
        kind: "UserBroadcastCamStartedEvtMsg",
        name: "camera stream",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserBroadcastCamStartedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserBroadcastCamStartedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"userId":"w_k3p9zq1rvx2a","stream":"w_k3p9zq1rvx2a_6f2a9c41d8e3b7a05c1e9d2f4b6a8c0e1d3f5a7b9c2e4d6f8a0b1c3d5e7f9a2b4c6d"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-cam-broadcast-start","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","stream":"w_k3p9zq1rvx2a_6f2a9c41d8e3b7a05c1e9d2f4b6a8c0e1d3f5a7b9c2e4d6f8a0b1c3d5e7f9a2b4c6d"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserBroadcastCamStartedEvtMsg",
        name: "header without userId: body.userId",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserBroadcastCamStartedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"timestamp":1742905321400},"core":{"header":{"name":"UserBroadcastCamStartedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"},"body":{"userId":"w_8hd0c2mtyb7e","stream":"w_8hd0c2mtyb7e_0a1b2c3d"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-cam-broadcast-start","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","stream":"w_8hd0c2mtyb7e_0a1b2c3d"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    // ---- UserBroadcastCamStoppedEvtMsg
    Case {
        kind: "UserBroadcastCamStoppedEvtMsg",
        name: "camera stream",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserBroadcastCamStoppedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserBroadcastCamStoppedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"userId":"w_k3p9zq1rvx2a","stream":"w_k3p9zq1rvx2a_6f2a9c41d8e3b7a05c1e9d2f4b6a8c0e1d3f5a7b9c2e4d6f8a0b1c3d5e7f9a2b4c6d"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-cam-broadcast-end","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","stream":"w_k3p9zq1rvx2a_6f2a9c41d8e3b7a05c1e9d2f4b6a8c0e1d3f5a7b9c2e4d6f8a0b1c3d5e7f9a2b4c6d"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    // ---- UserEmojiChangedEvtMsg
    Case {
        kind: "UserEmojiChangedEvtMsg",
        name: "BBB 2.6 emoji",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserEmojiChangedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"timestamp":1742905321400},"core":{"header":{"name":"UserEmojiChangedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"body":{"userId":"w_8hd0c2mtyb7e","emoji":"happy"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-emoji-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","emoji":"happy"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserEmojiChangedEvtMsg",
        name: "raiseHand emoji adds the camelCase spoof",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserEmojiChangedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"timestamp":1742905321400},"core":{"header":{"name":"UserEmojiChangedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"body":{"userId":"w_8hd0c2mtyb7e","emoji":"raiseHand"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-emoji-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","emoji":"raiseHand"}},"event":{"ts":1742905321456}}}"##,
            r##"{"data":{"type":"event","id":"user-raise-hand-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","raiseHand":true}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserEmojiChangedEvtMsg",
        name: "next emoji lowers the spoofed hand",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED, BRUNO_RAISE_HAND_EMOJI],
        raw: r##"{"envelope":{"name":"UserEmojiChangedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"timestamp":1742905321400},"core":{"header":{"name":"UserEmojiChangedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"body":{"userId":"w_8hd0c2mtyb7e","emoji":"none"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-emoji-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","emoji":"none"}},"event":{"ts":1742905321456}}}"##,
            r##"{"data":{"type":"event","id":"user-raise-hand-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","raiseHand":false}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserEmojiChangedEvtMsg",
        name: "raiseHand from an unmapped user is spoofed too",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"UserEmojiChangedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"timestamp":1742905321400},"core":{"header":{"name":"UserEmojiChangedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"body":{"userId":"w_r5t1ym6qz0cd","emoji":"raiseHand"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-emoji-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_r5t1ym6qz0cd","external-user-id":"","emoji":"raiseHand"}},"event":{"ts":1742905321456}}}"##,
            r##"{"data":{"type":"event","id":"user-raise-hand-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_r5t1ym6qz0cd","external-user-id":"","raiseHand":true}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserEmojiChangedEvtMsg",
        name: "empty emoji becomes \"none\"",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserEmojiChangedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserEmojiChangedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"userId":"w_k3p9zq1rvx2a","emoji":""}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-emoji-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","emoji":"none"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    // ---- UserReactionEmojiChangedEvtMsg
    Case {
        kind: "UserReactionEmojiChangedEvtMsg",
        name: "BBB 2.7 reaction, non-ASCII kept literally",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserReactionEmojiChangedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserReactionEmojiChangedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"userId":"w_k3p9zq1rvx2a","reactionEmoji":"\ud83d\ude41"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-emoji-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","emoji":"🙁"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserReactionEmojiChangedEvtMsg",
        name: "reaction cleared",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserReactionEmojiChangedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserReactionEmojiChangedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"userId":"w_k3p9zq1rvx2a","reactionEmoji":"none"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-emoji-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","emoji":"none"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    // ---- UserRaiseHandChangedEvtMsg
    Case {
        kind: "UserRaiseHandChangedEvtMsg",
        name: "hand up (native, kebab-case key)",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserRaiseHandChangedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"timestamp":1742905321400},"core":{"header":{"name":"UserRaiseHandChangedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_8hd0c2mtyb7e"},"body":{"userId":"w_8hd0c2mtyb7e","raiseHand":true}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-raise-hand-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","raise-hand":true}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserRaiseHandChangedEvtMsg",
        name: "hand down",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserRaiseHandChangedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserRaiseHandChangedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"userId":"w_k3p9zq1rvx2a","raiseHand":false}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-raise-hand-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","raise-hand":false}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    // ---- GroupChatMessageBroadcastEvtMsg
    Case {
        kind: "GroupChatMessageBroadcastEvtMsg",
        name: "BBB 3.x public message with escapes",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"GroupChatMessageBroadcastEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"GroupChatMessageBroadcastEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"chatId":"MAIN-PUBLIC-GROUP-CHAT","msg":{"id":"1742905321388-x7k2p9qa","timestamp":1742905321388,"correlationId":"w_k3p9zq1rvx2a-1742905321350","sender":{"id":"w_k3p9zq1rvx2a","name":"Ana Lima","role":"MODERATOR"},"chatEmphasizedText":true,"message":"Olá a todos! \"Exercise 3\"\nstarts now","replyToMessageId":"","metadata":{}}}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"chat-group-message-sent","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"chat-message":{"id":"1742905321388-x7k2p9qa","message":"Olá a todos! \"Exercise 3\"\nstarts now","sender":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","name":"Ana Lima","time":1742905321388}},"chat-id":"MAIN-PUBLIC-GROUP-CHAT"},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "GroupChatMessageBroadcastEvtMsg",
        name: "BBB 2.7 public message, unmapped sender: no external-user-id",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"GroupChatMessageBroadcastEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"timestamp":1742905321400},"core":{"header":{"name":"GroupChatMessageBroadcastEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"body":{"chatId":"MAIN-PUBLIC-GROUP-CHAT","msg":{"id":"1742905321390-b2c4d6e8","timestamp":1742905321390,"correlationId":"w_r5t1ym6qz0cd-1742905321360","sender":{"id":"w_r5t1ym6qz0cd","name":"Carla Dias","role":"VIEWER"},"chatEmphasizedText":false,"message":"hi"}}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"chat-group-message-sent","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"chat-message":{"id":"1742905321390-b2c4d6e8","message":"hi","sender":{"internal-user-id":"w_r5t1ym6qz0cd","name":"Carla Dias","time":1742905321390}},"chat-id":"MAIN-PUBLIC-GROUP-CHAT"},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "GroupChatMessageBroadcastEvtMsg",
        name: "private chat is ignored",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"GroupChatMessageBroadcastEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"GroupChatMessageBroadcastEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"chatId":"1742905250000-k2l3m4n5","msg":{"id":"1742905321388-x7k2p9qa","timestamp":1742905321388,"correlationId":"w_k3p9zq1rvx2a-1742905321350","sender":{"id":"w_k3p9zq1rvx2a","name":"Ana Lima","role":"MODERATOR"},"chatEmphasizedText":true,"message":"private note","replyToMessageId":"","metadata":{}}}}}"##,
        now: NOW,
        expect: Expect::Ignored,
    },
    Case {
        kind: "GroupChatMessageBroadcastEvtMsg",
        name: "private chat without msg is still just ignored",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"GroupChatMessageBroadcastEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"GroupChatMessageBroadcastEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"chatId":"1742905250000-k2l3m4n5"}}}"##,
        now: NOW,
        expect: Expect::Ignored,
    },
    Case {
        kind: "GroupChatMessageBroadcastEvtMsg",
        name: "public chat without msg throws",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"GroupChatMessageBroadcastEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"GroupChatMessageBroadcastEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"chatId":"MAIN-PUBLIC-GROUP-CHAT"}}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    Case {
        kind: "GroupChatMessageBroadcastEvtMsg",
        name: "public chat without msg.sender throws",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"GroupChatMessageBroadcastEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"GroupChatMessageBroadcastEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"chatId":"MAIN-PUBLIC-GROUP-CHAT","msg":{"id":"1742905321391-q","timestamp":1742905321391,"message":"x"}}}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    Case {
        kind: "GroupChatMessageBroadcastEvtMsg",
        name: "no body throws",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"GroupChatMessageBroadcastEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"GroupChatMessageBroadcastEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"}}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    // ---- PublishedRecordingSysMsg
    Case {
        kind: "PublishedRecordingSysMsg",
        name: "meeting still mapped: external id from the mapping",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"PublishedRecordingSysMsg","routing":{"sender":"bbb-web"}},"core":{"header":{"name":"PublishedRecordingSysMsg"},"body":{"recordId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-published","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "PublishedRecordingSysMsg",
        name: "no core throws",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"PublishedRecordingSysMsg","routing":{"sender":"bbb-web"}}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    // ---- UnpublishedRecordingSysMsg
    Case {
        kind: "UnpublishedRecordingSysMsg",
        name: "internalMeetingId preferred over recordId",
        setup: &[],
        raw: r##"{"envelope":{"name":"UnpublishedRecordingSysMsg","routing":{"sender":"bbb-web"}},"core":{"header":{"name":"UnpublishedRecordingSysMsg"},"body":{"recordId":"e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5-1742905500000","internalMeetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-unpublished","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"},"record-id":"e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5-1742905500000"},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UnpublishedRecordingSysMsg",
        name: "body null throws",
        setup: &[],
        raw: r##"{"envelope":{"name":"UnpublishedRecordingSysMsg","routing":{"sender":"bbb-web"}},"core":{"header":{"name":"UnpublishedRecordingSysMsg"},"body":null}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    // ---- DeletedRecordingSysMsg
    Case {
        kind: "DeletedRecordingSysMsg",
        name: "meeting long gone: external id omitted",
        setup: &[],
        raw: r##"{"envelope":{"name":"DeletedRecordingSysMsg","routing":{"sender":"bbb-web"}},"core":{"header":{"name":"DeletedRecordingSysMsg"},"body":{"recordId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-deleted","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    // ---- archive_started
    Case {
        kind: "archive_started",
        name: "no step fields",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"archive_started","current_time":1742911201,"version":"0.0.1"},"payload":{"external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-archive-started","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"},"event":{"ts":1742911201}}}"##,
        ]),
    },
    // ---- archive_ended
    Case {
        kind: "archive_ended",
        name: "recorded/duration default to false/0",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"archive_ended","current_time":1742911204,"version":"0.0.1"},"payload":{"success":true,"step_time":2890,"external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-archive-ended","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","success":true,"step-time":2890,"recorded":false,"duration":0},"event":{"ts":1742911204}}}"##,
        ]),
    },
    Case {
        kind: "archive_ended",
        name: "failed, with recorded/duration present",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"archive_ended","current_time":1742911204,"version":"0.0.1"},"payload":{"success":false,"step_time":15,"recorded":true,"duration":5400,"external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-archive-ended","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","success":false,"step-time":15,"recorded":true,"duration":5400},"event":{"ts":1742911204}}}"##,
        ]),
    },
    // ---- sanity_started
    Case {
        kind: "sanity_started",
        name: "no step fields",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"sanity_started","current_time":1742911205,"version":"0.0.1"},"payload":{"external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-sanity-started","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"},"event":{"ts":1742911205}}}"##,
        ]),
    },
    // ---- sanity_ended
    Case {
        kind: "sanity_ended",
        name: "success",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"sanity_ended","current_time":1742911206,"version":"0.0.1"},"payload":{"success":true,"step_time":411,"external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-sanity-ended","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","success":true,"step-time":411},"event":{"ts":1742911206}}}"##,
        ]),
    },
    // ---- post_archive_started
    Case {
        kind: "post_archive_started",
        name: "with workflow",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"post_archive_started","current_time":1742911207,"version":"0.0.1"},"payload":{"workflow":"presentation","external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-post-archive-started","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","workflow":"presentation"},"event":{"ts":1742911207}}}"##,
        ]),
    },
    // ---- post_archive_ended
    Case {
        kind: "post_archive_ended",
        name: "success with workflow",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"post_archive_ended","current_time":1742911207,"version":"0.0.1"},"payload":{"success":true,"step_time":3,"workflow":"presentation","external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-post-archive-ended","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","success":true,"step-time":3,"workflow":"presentation"},"event":{"ts":1742911207}}}"##,
        ]),
    },
    // ---- process_started
    Case {
        kind: "process_started",
        name: "workflow",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"process_started","current_time":1742911210,"version":"0.0.1"},"payload":{"workflow":"presentation","external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-process-started","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","workflow":"presentation"},"event":{"ts":1742911210}}}"##,
        ]),
    },
    // ---- process_ended
    Case {
        kind: "process_ended",
        name: "workflow video, failed",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"process_ended","current_time":1742911330,"version":"0.0.1"},"payload":{"success":false,"step_time":120334,"workflow":"video","external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-process-ended","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","success":false,"step-time":120334,"workflow":"video"},"event":{"ts":1742911330}}}"##,
        ]),
    },
    Case {
        kind: "process_ended",
        name: "empty workflow is left out",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"process_ended","current_time":1742911330,"version":"0.0.1"},"payload":{"success":true,"step_time":98000,"workflow":"","external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-process-ended","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","success":true,"step-time":98000},"event":{"ts":1742911330}}}"##,
        ]),
    },
    // ---- post_process_started
    Case {
        kind: "post_process_started",
        name: "workflow",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"post_process_started","current_time":1742911331,"version":"0.0.1"},"payload":{"workflow":"presentation","external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-post-process-started","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","workflow":"presentation"},"event":{"ts":1742911331}}}"##,
        ]),
    },
    // ---- post_process_ended
    Case {
        kind: "post_process_ended",
        name: "workflow",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"post_process_ended","current_time":1742911331,"version":"0.0.1"},"payload":{"success":true,"step_time":2,"workflow":"presentation","external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-post-process-ended","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","success":true,"step-time":2,"workflow":"presentation"},"event":{"ts":1742911331}}}"##,
        ]),
    },
    // ---- publish_started
    Case {
        kind: "publish_started",
        name: "workflow",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"publish_started","current_time":1742911332,"version":"0.0.1"},"payload":{"workflow":"presentation","external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-publish-started","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","workflow":"presentation"},"event":{"ts":1742911332}}}"##,
        ]),
    },
    // ---- publish_ended
    Case {
        kind: "publish_ended",
        name: "video format without download: key omitted",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"publish_ended","current_time":1742911400,"version":"0.0.1"},"payload":{"success":true,"step_time":950,"playback":{"format":"video","link":"https://bbb.uni.example/playback/video/5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000/","processing_time":"48210","duration":"5400000","size":"73400320"},"metadata":{"isBreakout":"false","meetingId":"algebra-2025-spring","meetingName":"Algebra — Spring 2025","course-id":"MATH-201","lms":"moodle"},"raw_size":"1048576000","start_time":"1742905200000","end_time":"1742910800000","workflow":"video","external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-publish-ended","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","success":true,"step-time":950,"workflow":"video","recording":{"name":"Algebra — Spring 2025","is-breakout":"false","start-time":"1742905200000","end-time":"1742910800000","size":"73400320","raw-size":"1048576000","metadata":{"isBreakout":"false","meetingId":"algebra-2025-spring","meetingName":"Algebra — Spring 2025","course-id":"MATH-201","lms":"moodle"},"playback":{"format":"video","link":"https://bbb.uni.example/playback/video/5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000/","processing_time":"48210","duration":"5400000","size":"73400320"}}},"event":{"ts":1742911400}}}"##,
        ]),
    },
    Case {
        kind: "publish_ended",
        name: "no metadata throws",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"publish_ended","current_time":1742911400,"version":"0.0.1"},"payload":{"success":true,"step_time":950,"playback":{"format":"video","link":"https://bbb.uni.example/playback/video/5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000/","processing_time":"48210","duration":"5400000","size":"73400320"},"workflow":"video","external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    Case {
        kind: "publish_ended",
        name: "no playback throws",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"publish_ended","current_time":1742911400,"version":"0.0.1"},"payload":{"success":true,"step_time":950,"metadata":{"isBreakout":"false","meetingId":"algebra-2025-spring","meetingName":"Algebra — Spring 2025","course-id":"MATH-201","lms":"moodle"},"workflow":"video","external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    // ---- post_publish_started
    Case {
        kind: "post_publish_started",
        name: "workflow",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"post_publish_started","current_time":1742911401,"version":"0.0.1"},"payload":{"workflow":"presentation","external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-post-publish-started","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","workflow":"presentation"},"event":{"ts":1742911401}}}"##,
        ]),
    },
    // ---- post_publish_ended
    Case {
        kind: "post_publish_ended",
        name: "workflow",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"post_publish_ended","current_time":1742911401,"version":"0.0.1"},"payload":{"success":true,"step_time":1,"workflow":"presentation","external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-post-publish-ended","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","success":true,"step-time":1,"workflow":"presentation"},"event":{"ts":1742911401}}}"##,
        ]),
    },
    // ---- published
    Case {
        kind: "published",
        name: "legacy name: step fields, no format (dead code)",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"published","current_time":1742911500,"version":"0.0.1"},"payload":{"success":true,"step_time":12,"format":"presentation","external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-published","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","success":true,"step-time":12},"event":{"ts":1742911500}}}"##,
        ]),
    },
    // ---- unpublished
    Case {
        kind: "unpublished",
        name: "legacy name",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"unpublished","current_time":1742912000,"version":"0.0.1"},"payload":{"success":true,"format":"presentation","external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-unpublished","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","success":true},"event":{"ts":1742912000}}}"##,
        ]),
    },
    // ---- deleted
    Case {
        kind: "deleted",
        name: "legacy name, external id from the mapping",
        setup: &[CREATED],
        raw: r##"{"header":{"timestamp":8812345,"name":"deleted","current_time":1742913000,"version":"0.0.1"},"payload":{"format":"presentation","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-deleted","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"},"event":{"ts":1742913000}}}"##,
        ]),
    },
    // ---- archive_started
    Case {
        kind: "archive_started",
        name: "no external id, meeting unmapped: omitted",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"archive_started","current_time":1742911201,"version":"0.0.1"},"payload":{"record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-archive-started","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"},"event":{"ts":1742911201}}}"##,
        ]),
    },
    // ---- archive_ended
    Case {
        kind: "archive_ended",
        name: "empty external id falls back to the mapping",
        setup: &[CREATED],
        raw: r##"{"header":{"timestamp":8812345,"name":"archive_ended","current_time":1742911204,"version":"0.0.1"},"payload":{"success":true,"step_time":2890,"external_meeting_id":"","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-archive-ended","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","success":true,"step-time":2890,"recorded":false,"duration":0},"event":{"ts":1742911204}}}"##,
        ]),
    },
    // ---- sanity_ended
    Case {
        kind: "sanity_ended",
        name: "no current_time: empty event object",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"sanity_ended","version":"0.0.1"},"payload":{"success":true,"step_time":411,"external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-sanity-ended","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","success":true,"step-time":411},"event":{}}}"##,
        ]),
    },
    // ---- sanity_started
    Case {
        kind: "sanity_started",
        name: "meeting_id null is kept as null",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"sanity_started","current_time":1742911205,"version":"0.0.1"},"payload":{"record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":null}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-sanity-started","attributes":{"meeting":{"internal-meeting-id":null},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"},"event":{"ts":1742911205}}}"##,
        ]),
    },
    // ---- archive_ended
    Case {
        kind: "archive_ended",
        name: "no payload throws",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"archive_ended","current_time":1742911204,"version":"0.0.1"}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    // ---- PadContentEvtMsg
    Case {
        kind: "PadContentEvtMsg",
        name: "shared notes content",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"PadContentEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"timestamp":1742905321400},"core":{"header":{"name":"PadContentEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"},"body":{"externalId":"notes","padId":"g.q5Vb3JkYt8ZpRm2L$notes","rev":"14","start":120,"end":135,"text":"Homework: 3.1–3.4\n"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"pad-content","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"pad":{"id":"g.q5Vb3JkYt8ZpRm2L$notes","external-pad-id":"notes","rev":"14","start":120,"end":135,"text":"Homework: 3.1–3.4\n"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "PadContentEvtMsg",
        name: "no body throws",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"PadContentEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"not-used"},"timestamp":1742905321400},"core":{"header":{"name":"PadContentEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    // ---- PollStartedEvtMsg
    Case {
        kind: "PollStartedEvtMsg",
        name: "letter poll",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED, ANA_PRESENTER],
        raw: r##"{"envelope":{"name":"PollStartedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"PollStartedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"userId":"w_k3p9zq1rvx2a","pollId":"c3a9e1b7d5f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0-1742905200100/1/1742905330000","pollType":"A-3","secretPoll":false,"question":"Which method?","poll":{"id":"c3a9e1b7d5f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0-1742905200100/1/1742905330000","isMultipleResponse":false,"answers":[{"id":0,"key":"A"},{"id":1,"key":"B"},{"id":2,"key":"C"}]}}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"poll-started","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example"},"poll":{"id":"c3a9e1b7d5f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0-1742905200100/1/1742905330000","question":"Which method?","answers":[{"id":0,"key":"A"},{"id":1,"key":"B"},{"id":2,"key":"C"}]}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "PollStartedEvtMsg",
        name: "no body.pollId: poll.id, empty question kept",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED, ANA_PRESENTER],
        raw: r##"{"envelope":{"name":"PollStartedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"PollStartedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"userId":"w_k3p9zq1rvx2a","pollType":"YN","secretPoll":true,"question":"","poll":{"id":"c3a9e1b7d5f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0-1742905200100/1/1742905330000","isMultipleResponse":false,"answers":[{"id":0,"key":"Yes"},{"id":1,"key":"No"}]}}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"poll-started","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example"},"poll":{"id":"c3a9e1b7d5f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0-1742905200100/1/1742905330000","question":"","answers":[{"id":0,"key":"Yes"},{"id":1,"key":"No"}]}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "PollStartedEvtMsg",
        name: "no body.poll throws",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED, ANA_PRESENTER],
        raw: r##"{"envelope":{"name":"PollStartedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"PollStartedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"userId":"w_k3p9zq1rvx2a","pollId":"c3a9e1b7d5f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0-1742905200100/1/1742905330000","pollType":"A-3","question":"Which method?"}}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    // ---- UserRespondedToPollRespMsg
    Case {
        kind: "UserRespondedToPollRespMsg",
        name: "names the responder (deliberate deviation)",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED, ANA_PRESENTER],
        raw: r##"{"envelope":{"name":"UserRespondedToPollRespMsg","routing":{"msgType":"DIRECT","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserRespondedToPollRespMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"pollId":"c3a9e1b7d5f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0-1742905200100/1/1742905330000","userId":"w_8hd0c2mtyb7e","answerIds":[1]}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"poll-responded","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e"},"poll":{"id":"c3a9e1b7d5f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0-1742905200100/1/1742905330000","answerIds":[1]}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserRespondedToPollRespMsg",
        name: "unmapped responder, several answers",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED, ANA_PRESENTER],
        raw: r##"{"envelope":{"name":"UserRespondedToPollRespMsg","routing":{"msgType":"DIRECT","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserRespondedToPollRespMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"pollId":"c3a9e1b7d5f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0-1742905200100/1/1742905330000","userId":"w_r5t1ym6qz0cd","answerIds":[0,2]}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"poll-responded","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_r5t1ym6qz0cd","external-user-id":""},"poll":{"id":"c3a9e1b7d5f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0-1742905200100/1/1742905330000","answerIds":[0,2]}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserRespondedToPollRespMsg",
        name: "no body.userId: header user",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED, ANA_PRESENTER],
        raw: r##"{"envelope":{"name":"UserRespondedToPollRespMsg","routing":{"msgType":"DIRECT","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserRespondedToPollRespMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"pollId":"c3a9e1b7d5f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0-1742905200100/1/1742905330000","answerIds":[2]}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"poll-responded","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example"},"poll":{"id":"c3a9e1b7d5f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0-1742905200100/1/1742905330000","answerIds":[2]}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "UserRespondedToPollRespMsg",
        name: "no body throws",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED, ANA_PRESENTER],
        raw: r##"{"envelope":{"name":"UserRespondedToPollRespMsg","routing":{"msgType":"DIRECT","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserRespondedToPollRespMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"}}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    // ---- TranscriptUpdatedEvtMsg
    Case {
        kind: "TranscriptUpdatedEvtMsg",
        name: "final result",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"TranscriptUpdatedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"TranscriptUpdatedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"transcriptId":"w_k3p9zq1rvx2a-1742905330112","transcript":"vamos começar pela questão três","locale":"pt-BR","result":true}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"transcript-updated","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example"},"transcript":{"id":"w_k3p9zq1rvx2a-1742905330112","transcript":"vamos começar pela questão três","locale":"pt-BR","final":true}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "TranscriptUpdatedEvtMsg",
        name: "partial result, unmapped speaker",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"TranscriptUpdatedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"timestamp":1742905321400},"core":{"header":{"name":"TranscriptUpdatedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_r5t1ym6qz0cd"},"body":{"transcriptId":"w_r5t1ym6qz0cd-1742905331000","transcript":"so the answer","locale":"en-US","result":false}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"transcript-updated","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_r5t1ym6qz0cd","external-user-id":""},"transcript":{"id":"w_r5t1ym6qz0cd-1742905331000","transcript":"so the answer","locale":"en-US","final":false}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "TranscriptUpdatedEvtMsg",
        name: "BBB 2.6 body without result: final omitted",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"TranscriptUpdatedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"TranscriptUpdatedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"transcriptId":"w_k3p9zq1rvx2a-1742905330112","transcript":"ok","locale":"en-US"}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"transcript-updated","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example"},"transcript":{"id":"w_k3p9zq1rvx2a-1742905330112","transcript":"ok","locale":"en-US"}},"event":{"ts":1742905321456}}}"##,
        ]),
    },
    Case {
        kind: "TranscriptUpdatedEvtMsg",
        name: "no body throws",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"TranscriptUpdatedEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"TranscriptUpdatedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"}}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    // ---- passthrough
    Case {
        kind: "passthrough",
        name: "normalized event passes unchanged (own key order and ts)",
        setup: &[],
        raw: r##"{"data":{"id":"meeting-recording-stopped","type":"event","attributes":{"meeting":{"external-meeting-id":"algebra-2025-spring","internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}},"event":{"ts":1}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"id":"meeting-recording-stopped","type":"event","attributes":{"meeting":{"external-meeting-id":"algebra-2025-spring","internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}},"event":{"ts":1}}}"##,
        ]),
    },
    Case {
        kind: "passthrough",
        name: "normalized user-left passes unchanged",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"data":{"type":"event","id":"user-left","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e"}},"event":{"ts":1742905300000}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"user-left","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e"}},"event":{"ts":1742905300000}}}"##,
        ]),
    },
    Case {
        kind: "passthrough",
        name: "re-serialized like JSON.stringify (numbers)",
        setup: &[],
        raw: r##"{"data":{"type":"event","id":"rap-deleted","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"},"event":{"ts":1.742905321e12}}}"##,
        now: NOW,
        expect: Expect::Events(&[
            r##"{"data":{"type":"event","id":"rap-deleted","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"},"record-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"},"event":{"ts":1742905321000}}}"##,
        ]),
    },
    Case {
        kind: "passthrough",
        name: "without attributes.meeting throws in the processor",
        setup: &[],
        raw: r##"{"data":{"type":"event","id":"poll-started","attributes":{"poll":{"id":"x"}},"event":{"ts":1742905300000}}}"##,
        now: NOW,
        expect: Expect::Err,
    },
    // ---- unknown
    Case {
        kind: "unknown",
        name: "akka message not translated",
        setup: &[CREATED, ANA_JOINED, BRUNO_JOINED],
        raw: r##"{"envelope":{"name":"UserTalkingVoiceEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"UserTalkingVoiceEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"voiceConf":"48213","intId":"w_k3p9zq1rvx2a","voiceUserId":"3","talking":true}}}"##,
        now: NOW,
        expect: Expect::Unknown,
    },
    Case {
        kind: "unknown",
        name: "archive_norecord rap step",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"archive_norecord","current_time":1742911201,"version":"0.0.1"},"payload":{"external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Unknown,
    },
    Case {
        kind: "unknown",
        name: "post_events_started (handled only from v3.7)",
        setup: &[],
        raw: r##"{"header":{"timestamp":8812345,"name":"post_events_started","current_time":1742911201,"version":"0.0.1"},"payload":{"external_meeting_id":"algebra-2025-spring","record_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","meeting_id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}}"##,
        now: NOW,
        expect: Expect::Unknown,
    },
    Case {
        kind: "unknown",
        name: "normalized-looking event with an unknown id",
        setup: &[],
        raw: r##"{"data":{"type":"event","id":"user-unknown","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"}},"event":{"ts":1}}}"##,
        now: NOW,
        expect: Expect::Unknown,
    },
    Case {
        kind: "unknown",
        name: "name only in core.header",
        setup: &[CREATED],
        raw: r##"{"core":{"header":{"name":"RecordingStatusChangedEvtMsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"recording":true,"setBy":"w_k3p9zq1rvx2a"}}}"##,
        now: NOW,
        expect: Expect::Unknown,
    },
    Case {
        kind: "unknown",
        name: "names are case-sensitive",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":"recordingstatuschangedevtmsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"timestamp":1742905321400},"core":{"header":{"name":"recordingstatuschangedevtmsg","meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","userId":"w_k3p9zq1rvx2a"},"body":{"recording":true,"setBy":"w_k3p9zq1rvx2a"}}}"##,
        now: NOW,
        expect: Expect::Unknown,
    },
    Case {
        kind: "unknown",
        name: "non-string envelope name",
        setup: &[CREATED],
        raw: r##"{"envelope":{"name":42,"routing":{"meetingId":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"}},"core":{"header":{"name":42},"body":{}}}"##,
        now: NOW,
        expect: Expect::Unknown,
    },
    Case {
        kind: "unknown",
        name: "empty object",
        setup: &[],
        raw: r##"{}"##,
        now: NOW,
        expect: Expect::Unknown,
    },
    Case {
        kind: "unknown",
        name: "array",
        setup: &[],
        raw: r##"[{"envelope":{"name":"MeetingDestroyedEvtMsg"}}]"##,
        now: NOW,
        expect: Expect::Unknown,
    },
    Case {
        kind: "unknown",
        name: "string",
        setup: &[],
        raw: r##""MeetingDestroyedEvtMsg""##,
        now: NOW,
        expect: Expect::Unknown,
    },
    Case {
        kind: "unknown",
        name: "number",
        setup: &[],
        raw: r##"42"##,
        now: NOW,
        expect: Expect::Unknown,
    },
];

// ---------------------------------------------------------------------------------------------
// Helpers

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("test input is not JSON ({e}): {text}"))
}

fn texts(events: &[Outgoing]) -> Vec<String> {
    events.iter().map(|o| jsjson::to_string(&o.event)).collect()
}

/// Runs setup messages (one second apart, well before `NOW`); each must translate.
fn set_up(steps: &[&str]) -> Mappings {
    let mut mappings = Mappings::new();
    for (i, step) in steps.iter().enumerate() {
        match process(
            &parse(step),
            &mut mappings,
            NOW - 600_000 + 1_000 * i as u64,
        ) {
            Ok(Processed::Events(_)) => {}
            other => panic!("setup step {i} did not translate: {other:?}\n{step}"),
        }
    }
    mappings
}

/// Processes one message and returns the text of its events (panics unless it translated).
fn run(mappings: &mut Mappings, raw: &str, now: u64) -> Vec<String> {
    match process(&parse(raw), mappings, now) {
        Ok(Processed::Events(events)) => texts(&events),
        other => panic!("expected events, got {other:?} for\n{raw}"),
    }
}

fn run_full(mappings: &mut Mappings, raw: &str, now: u64) -> Vec<Outgoing> {
    match process(&parse(raw), mappings, now) {
        Ok(Processed::Events(events)) => events,
        other => panic!("expected events, got {other:?} for\n{raw}"),
    }
}

/// Checks one table case; returns a description of every mismatch.
fn check(case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let mut mappings = set_up(case.setup);
    let before = mappings.clone();
    let raw = parse(case.raw);
    let translated = translate(&raw, &before, case.now);
    let processed = process(&raw, &mut mappings, case.now);
    match (&case.expect, processed) {
        (Expect::Events(expected), Ok(Processed::Events(events))) => {
            let got = texts(&events);
            if got.len() != expected.len() {
                problems.push(format!("{} events, expected {}", got.len(), expected.len()));
            }
            for (i, (g, e)) in got.iter().zip(expected.iter()).enumerate() {
                if g != e {
                    problems.push(format!("event {i}:\n     got: {g}\nexpected: {e}"));
                }
            }
            // `translate` alone gives the event made from the raw message itself.
            let primary = events.iter().find(|o| o.raw == RawPayload::Original);
            match (translated, primary) {
                (Ok(Translated::Event(t)), Some(p)) if t == p.event => {}
                (t, p) => problems.push(format!("translate gave {t:?}, process {p:?}")),
            }
        }
        (Expect::Ignored, Ok(Processed::Ignored)) => {
            if translated != Ok(Translated::Ignored) {
                problems.push(format!("translate gave {translated:?}"));
            }
            if mappings != before {
                problems.push("an ignored message changed the mappings".into());
            }
        }
        (Expect::Unknown, Ok(Processed::Unknown)) => {
            if translated != Ok(Translated::Unknown) {
                problems.push(format!("translate gave {translated:?}"));
            }
            if mappings != before {
                problems.push("an unknown message changed the mappings".into());
            }
        }
        (Expect::Err, Err(_)) => {
            // An already-normalized event translates (it is passed through); the processor
            // is what throws on it.
            if case.kind != "passthrough" && translated.is_ok() {
                problems.push(format!("translate gave {translated:?}"));
            }
            if mappings != before {
                problems.push("a failed message changed the mappings".into());
            }
        }
        (expect, got) => problems.push(format!("expected {expect:?}, got {got:?}")),
    }
    problems
}

// ---------------------------------------------------------------------------------------------
// Table and samples

#[test]
fn every_case_translates_byte_for_byte() {
    let mut failures = Vec::new();
    for case in CASES {
        for problem in check(case) {
            failures.push(format!("[{} / {}] {problem}", case.kind, case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n\n")
    );
}

/// Every raw name in bbb-webhooks' `WebhooksEvent.RAW` lists has at least one case that
/// translates, and the other categories are present.
#[test]
fn the_table_covers_every_raw_message_type() {
    const RAW_NAMES: [&str; 43] = [
        // MEETING_EVENTS
        "MeetingCreatedEvtMsg",
        "MeetingDestroyedEvtMsg",
        "ScreenshareRtmpBroadcastStartedEvtMsg",
        "ScreenshareRtmpBroadcastStoppedEvtMsg",
        "SetCurrentPresentationEvtMsg",
        "RecordingStatusChangedEvtMsg",
        // USER_EVENTS
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
        // CHAT_EVENTS
        "GroupChatMessageBroadcastEvtMsg",
        // RAP_EVENTS (bbb-web)
        "PublishedRecordingSysMsg",
        "UnpublishedRecordingSysMsg",
        "DeletedRecordingSysMsg",
        // COMP_RAP_EVENTS (record-and-playback)
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
        // PAD_EVENTS, POLL_EVENTS, TRANSCRIPT_EVENTS
        "PadContentEvtMsg",
        "PollStartedEvtMsg",
        "UserRespondedToPollRespMsg",
        "TranscriptUpdatedEvtMsg",
    ];
    for name in RAW_NAMES {
        let translated = CASES.iter().any(|c| {
            c.kind == name
                && matches!(c.expect, Expect::Events(_))
                && bluehook_core::translate::message_name(&parse(c.raw)) == Some(name)
        });
        assert!(translated, "no translating case for {name}");
    }
    for kind in ["passthrough", "unknown"] {
        assert!(CASES.iter().any(|c| c.kind == kind), "no {kind} case");
    }
    assert!(CASES.iter().any(|c| matches!(c.expect, Expect::Ignored)));
    assert!(CASES.iter().any(|c| matches!(c.expect, Expect::Err)));
    assert!(CASES
        .iter()
        .all(|c| c.kind == "passthrough" || c.kind == "unknown" || RAW_NAMES.contains(&c.kind)));
}

// ---------------------------------------------------------------------------------------------
// Process-level behaviour

/// Meeting end: one synthesized `user-left` per user still mapped, in join order, carrying the
/// whole stored user object (with the presenter/screenshare/raiseHand flags as updated during
/// the meeting), then `meeting-ended`; mappings of that meeting only are gone afterwards.
#[test]
fn meeting_end_sends_user_left_with_the_stored_user_first() {
    let mut m = set_up(&[
        CREATED,
        BREAKOUT_CREATED,
        ANA_JOINED,
        BRUNO_JOINED,
        DIEGO_JOINED_BREAKOUT,
        ANA_PRESENTER,
        ANA_SHARING,
        BRUNO_RAISE_HAND_EMOJI,
    ]);
    let out = run_full(&mut m, DESTROYED, 1742911200600);
    assert_eq!(
        texts(&out),
        &[
            r##"{"data":{"type":"event","id":"user-left","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","name":"Ana Lima","role":"MODERATOR","presenter":true,"ip-address":"198.51.100.23","user-agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Firefox/136.0","referer":"https://lms.uni.example/course/view.php?id=201","session-token":["q2x8vnd4bk1fz0ra"],"userdata":{"role-in-course":"teacher"},"guest":false,"screenshare":true}},"event":{"ts":1742911200600}}}"##,
            r##"{"data":{"type":"event","id":"user-left","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","name":"Bruno Costa","role":"VIEWER","presenter":false,"guest":true,"raiseHand":true}},"event":{"ts":1742911200600}}}"##,
            r##"{"data":{"type":"event","id":"meeting-ended","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"}},"event":{"ts":1742911200600}}}"##,
        ]
    );
    let raws: Vec<RawPayload> = out.iter().map(|o| o.raw).collect();
    assert_eq!(
        raws,
        [RawPayload::Event, RawPayload::Event, RawPayload::Original],
        "getRaw hooks get the synthesized events themselves"
    );
    assert!(m.meeting(MID).is_none());
    assert!(m.user(ANA).is_none() && m.user(BRUNO).is_none());
    assert!(m.meeting(BMID).is_some() && m.user(DIEGO).is_some());

    // Later messages of the ended meeting find no mapping at all.
    assert_eq!(
        run(&mut m, ANA_MUTED, NOW),
        &[
            r##"{"data":{"type":"event","id":"user-audio-muted","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"","muted":true}},"event":{"ts":1742905321456}}}"##,
        ]
    );
    // The breakout room is untouched.
    assert_eq!(
        run(&mut m, DIEGO_MUTED, NOW),
        &[
            r##"{"data":{"type":"event","id":"user-audio-muted","attributes":{"meeting":{"internal-meeting-id":"e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5-1742905500000","external-meeting-id":"algebra-2025-spring-1"},"user":{"internal-user-id":"w_m2n8b4v6c1xq","external-user-id":"diego-5","muted":true}},"event":{"ts":1742905321456}}}"##,
        ]
    );
}

/// Presenter and screenshare flags follow the events; a BBB 2.7 screenshare without a user
/// falls back to the presenter (start) or the sharer (stop), and is dropped when there is none.
#[test]
fn presenter_and_screenshare_flags_drive_the_fallbacks() {
    let mut m = set_up(&[
        CREATED,
        ANA_JOINED,
        BRUNO_JOINED,
        ANA_PRESENTER,
        ANA_UNPRESENTER,
        BRUNO_PRESENTER,
    ]);
    assert_eq!(
        run(&mut m, SS_STARTED_27, NOW),
        &[
            r##"{"data":{"type":"event","id":"meeting-screenshare-started","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e"}},"event":{"ts":1742905321456}}}"##,
        ]
    );
    assert_eq!(
        m.user(BRUNO).unwrap().user.get("screenshare"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        run(&mut m, SS_STOPPED_27, NOW),
        &[
            r##"{"data":{"type":"event","id":"meeting-screenshare-stopped","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e"}},"event":{"ts":1742905321456}}}"##,
        ]
    );
    // Nobody is sharing any more.
    let before = m.clone();
    assert_eq!(
        process(&parse(SS_STOPPED_27), &mut m, NOW),
        Err(TranslateError::NoUser(
            "ScreenshareRtmpBroadcastStoppedEvtMsg".into()
        ))
    );
    assert_eq!(m, before);
    // A BBB 3.x start names the sharer; the 2.7 stop then finds her.
    run(&mut m, ANA_SHARING, NOW);
    assert_eq!(
        run(&mut m, SS_STOPPED_27, NOW),
        &[
            r##"{"data":{"type":"event","id":"meeting-screenshare-stopped","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example"}},"event":{"ts":1742905321456}}}"##,
        ]
    );
    assert_eq!(
        run(&mut m, DESTROYED, 1742911200600),
        &[
            r##"{"data":{"type":"event","id":"user-left","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","name":"Ana Lima","role":"MODERATOR","presenter":false,"ip-address":"198.51.100.23","user-agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Firefox/136.0","referer":"https://lms.uni.example/course/view.php?id=201","session-token":["q2x8vnd4bk1fz0ra"],"userdata":{"role-in-course":"teacher"},"guest":false,"screenshare":false}},"event":{"ts":1742911200600}}}"##,
            r##"{"data":{"type":"event","id":"user-left","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","name":"Bruno Costa","role":"VIEWER","presenter":true,"guest":true,"screenshare":false}},"event":{"ts":1742911200600}}}"##,
            r##"{"data":{"type":"event","id":"meeting-ended","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"}},"event":{"ts":1742911200600}}}"##,
        ]
    );
}

#[test]
fn screenshare_without_any_presenter_is_an_error() {
    let mut m = set_up(&[CREATED, ANA_JOINED, ANA_PRESENTER, ANA_UNPRESENTER]);
    assert_eq!(
        process(&parse(SS_STARTED_27), &mut m, NOW),
        Err(TranslateError::NoUser(
            "ScreenshareRtmpBroadcastStartedEvtMsg".into()
        ))
    );
}

/// BBB < 2.7 raise hand: emoji `raiseHand` adds a `user-raise-hand-changed` with camelCase
/// `raiseHand: true`; the next other emoji of that user adds `raiseHand: false`.
#[test]
fn raise_hand_emoji_is_spoofed_both_ways() {
    let mut m = set_up(&[CREATED, ANA_JOINED, BRUNO_JOINED]);
    let out = run_full(&mut m, BRUNO_RAISE_HAND_EMOJI, NOW);
    assert_eq!(
        texts(&out),
        &[
            r##"{"data":{"type":"event","id":"user-emoji-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","emoji":"raiseHand"}},"event":{"ts":1742905321456}}}"##,
            r##"{"data":{"type":"event","id":"user-raise-hand-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","raiseHand":true}},"event":{"ts":1742905321456}}}"##,
        ]
    );
    assert!(out.iter().all(|o| o.raw == RawPayload::Original));
    assert_eq!(
        m.user(BRUNO).unwrap().user.get("raiseHand"),
        Some(&Value::Bool(true))
    );
    // Raising again spoofs `true` again.
    assert_eq!(
        run(&mut m, BRUNO_RAISE_HAND_EMOJI, NOW),
        &[
            r##"{"data":{"type":"event","id":"user-emoji-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","emoji":"raiseHand"}},"event":{"ts":1742905321456}}}"##,
            r##"{"data":{"type":"event","id":"user-raise-hand-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","raiseHand":true}},"event":{"ts":1742905321456}}}"##,
        ]
    );
    assert_eq!(
        run(&mut m, BRUNO_EMOJI_NONE, NOW),
        &[
            r##"{"data":{"type":"event","id":"user-emoji-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","emoji":"none"}},"event":{"ts":1742905321456}}}"##,
            r##"{"data":{"type":"event","id":"user-raise-hand-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","raiseHand":false}},"event":{"ts":1742905321456}}}"##,
        ]
    );
    assert_eq!(
        m.user(BRUNO).unwrap().user.get("raiseHand"),
        Some(&Value::Bool(false))
    );
    // Hand already down: no spoof.
    assert_eq!(
        run(&mut m, BRUNO_EMOJI_HAPPY, NOW),
        &[
            r##"{"data":{"type":"event","id":"user-emoji-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","emoji":"happy"}},"event":{"ts":1742905321456}}}"##,
        ]
    );
    // The native 2.7 event does not touch the stored flag, so no spoof follows it.
    assert_eq!(
        run(&mut m, ANA_RAISE_HAND, NOW),
        &[
            r##"{"data":{"type":"event","id":"user-raise-hand-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","raise-hand":true}},"event":{"ts":1742905321456}}}"##,
        ]
    );
    assert_eq!(m.user(ANA).unwrap().user.get("raiseHand"), None);
    assert_eq!(
        run(&mut m, ANA_EMOJI_NONE, NOW),
        &[
            r##"{"data":{"type":"event","id":"user-emoji-changed","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","emoji":"none"}},"event":{"ts":1742905321456}}}"##,
        ]
    );
}

/// `user-left` takes `guest` from the mapping, then removes it: the user's later events have
/// no external id and meeting end sends no second `user-left`.
#[test]
fn user_left_uses_then_removes_the_mapping() {
    let mut m = set_up(&[CREATED, ANA_JOINED, BRUNO_JOINED]);
    assert_eq!(
        run(&mut m, BRUNO_LEFT, NOW),
        &[
            r##"{"data":{"type":"event","id":"user-left","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"w_8hd0c2mtyb7e","guest":true}},"event":{"ts":1742905321456}}}"##,
        ]
    );
    assert!(m.user(BRUNO).is_none());
    assert_eq!(
        run(&mut m, BRUNO_MUTED, NOW),
        &[
            r##"{"data":{"type":"event","id":"user-audio-muted","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_8hd0c2mtyb7e","external-user-id":"","muted":true}},"event":{"ts":1742905321456}}}"##,
        ]
    );
    assert_eq!(
        run(&mut m, DESTROYED, 1742911200600),
        &[
            r##"{"data":{"type":"event","id":"user-left","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","name":"Ana Lima","role":"MODERATOR","presenter":false,"ip-address":"198.51.100.23","user-agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Firefox/136.0","referer":"https://lms.uni.example/course/view.php?id=201","session-token":["q2x8vnd4bk1fz0ra"],"userdata":{"role-in-course":"teacher"},"guest":false}},"event":{"ts":1742911200600}}}"##,
            r##"{"data":{"type":"event","id":"meeting-ended","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"}},"event":{"ts":1742911200600}}}"##,
        ]
    );
}

/// Already-normalized events are passed through unchanged, and still have their mapping side
/// effects (bbb-webhooks relies on this for its own synthesized `user-left`).
#[test]
fn normalized_events_pass_through_with_side_effects() {
    let mut m = set_up(&[CREATED]);
    assert_eq!(
        run(&mut m, CARLA_JOINED_NORMALIZED, NOW),
        [CARLA_JOINED_NORMALIZED]
    );
    assert_eq!(
        run(&mut m, CARLA_MUTED, NOW),
        &[
            r##"{"data":{"type":"event","id":"user-audio-muted","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_r5t1ym6qz0cd","external-user-id":"carla-77","muted":true}},"event":{"ts":1742905321456}}}"##,
        ]
    );
    assert_eq!(
        run(&mut m, ENDED_NORMALIZED, 1742911200600),
        [
            r##"{"data":{"type":"event","id":"user-left","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_r5t1ym6qz0cd","external-user-id":"carla-77","name":"Carla Dias","guest":true}},"event":{"ts":1742911200600}}}"##,
            ENDED_NORMALIZED
        ]
    );
    assert!(m.meeting(MID).is_none() && m.user(CARLA).is_none());
}

/// Deliberate deviation: a re-join replaces the user's mapping, so meeting end sends one
/// `user-left` (the latest user object). bbb-webhooks keeps both records and sends two.
#[test]
fn a_rejoin_replaces_the_mapping() {
    let mut m = set_up(&[CREATED, ANA_JOINED, ANA_REJOINED]);
    assert_eq!(m.user_count(), 1);
    assert_eq!(
        run(&mut m, DESTROYED, 1742911200600),
        &[
            r##"{"data":{"type":"event","id":"user-left","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"},"user":{"internal-user-id":"w_k3p9zq1rvx2a","external-user-id":"ana.lima@uni.example","name":"Ana Lima","role":"MODERATOR","presenter":false,"ip-address":"198.51.100.23","user-agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Firefox/136.0","referer":"https://lms.uni.example/course/view.php?id=201","session-token":["m4c7t2z9p0l5k8j1"],"userdata":{"role-in-course":"teacher"},"guest":false}},"event":{"ts":1742911200600}}}"##,
            r##"{"data":{"type":"event","id":"meeting-ended","attributes":{"meeting":{"internal-meeting-id":"5f1e2a63c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5-1742905200000","external-meeting-id":"algebra-2025-spring"}},"event":{"ts":1742911200600}}}"##,
        ]
    );
}

/// Every translated event except `meeting-ended` refreshes its meeting's activity time;
/// dropped, ignored and failed messages do not.
#[test]
fn translated_events_report_meeting_activity() {
    let mut m = Mappings::new();
    let activity = |m: &Mappings| m.meeting(MID).map(|x| x.last_activity_ms);
    run(&mut m, CREATED, 1_000);
    assert_eq!(activity(&m), Some(1_000));
    run(&mut m, ANA_JOINED, 2_000);
    assert_eq!(activity(&m), Some(2_000));
    assert_eq!(
        process(&parse(TALKING), &mut m, 3_000),
        Ok(Processed::Unknown)
    );
    assert_eq!(
        process(&parse(PRIVATE_CHAT), &mut m, 3_000),
        Ok(Processed::Ignored)
    );
    assert!(process(&parse(CHAT_WITHOUT_MSG), &mut m, 3_000).is_err());
    assert_eq!(activity(&m), Some(2_000));
    // A record-and-playback step names the internal meeting id too.
    run(&mut m, ARCHIVE_STARTED, 4_000);
    assert_eq!(activity(&m), Some(4_000));
    run(&mut m, BREAKOUT_CREATED, 5_000);
    assert_eq!(activity(&m), Some(4_000));
    run(&mut m, DESTROYED, 6_000);
    assert_eq!(activity(&m), None);
}

#[test]
fn errors_name_the_message() {
    let mut m = set_up(&[CREATED, ANA_JOINED]);
    match process(&parse(CHAT_WITHOUT_MSG), &mut m, NOW) {
        Err(TranslateError::MissingField { name, .. }) => {
            assert_eq!(name, "GroupChatMessageBroadcastEvtMsg")
        }
        other => panic!("expected a missing field, got {other:?}"),
    }
}

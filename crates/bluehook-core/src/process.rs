//! One raw message in, the normalized events to fan out: translation plus the mapping side
//! effects bbb-webhooks' event processor performs.
//!
//! [`process`] translates a raw message with [`crate::translate`], updates the server's
//! [`Mappings`] (meeting created, user joined/left, presenter, screenshare, raised hand) and
//! returns the events to deliver, in order. Two events bbb-webhooks synthesizes come from here:
//! a `user-raise-hand-changed` after a BBB < 2.7 `raiseHand` emoji, and a `user-left` for every
//! user still present when a meeting ends, sent before its `meeting-ended`.
//! Unlike bbb-webhooks, the events leave in the order the messages came in: no mapping write
//! can overtake another event.

use serde_json::{json, Map, Value};

use crate::jsvalue::{get, TypeError};
use crate::mapping::{Mappings, UserMapping};
use crate::translate::{translate, TranslateError, Translated};

/// What a getRaw hook receives along with a normalized event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawPayload {
    /// The raw message that produced the event.
    Original,
    /// The normalized event itself (synthesized events have no raw message).
    Event,
}

/// A normalized event ready for fan-out.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// The normalized event.
    pub event: Value,
    /// What getRaw hooks get for it.
    pub raw: RawPayload,
}

impl Outgoing {
    /// `data.id` of the event.
    pub fn id(&self) -> &str {
        crate::translate::event_id(&self.event).unwrap_or_default()
    }
}

/// The outcome of one raw message.
#[derive(Debug, Clone, PartialEq)]
pub enum Processed {
    /// Events to deliver, in order (possibly none).
    Events(Vec<Outgoing>),
    /// A known message bbb-webhooks drops on purpose (a private chat).
    Ignored,
    /// A message type that is not translated.
    Unknown,
}

/// Translates `raw`, applies its mapping side effects and returns the events to deliver.
pub fn process(
    raw: &Value,
    mappings: &mut Mappings,
    now_ms: u64,
) -> Result<Processed, TranslateError> {
    let event = match translate(raw, mappings, now_ms)? {
        Translated::Event(e) => e,
        Translated::Ignored => return Ok(Processed::Ignored),
        Translated::Unknown => return Ok(Processed::Unknown),
    };
    let mut out = Vec::with_capacity(1);
    apply(event, RawPayload::Original, mappings, now_ms, &mut out).map_err(|source| {
        TranslateError::MissingField {
            name: crate::translate::message_name(raw)
                .unwrap_or_default()
                .to_owned(),
            source,
        }
    })?;
    Ok(Processed::Events(out))
}

fn attr<'a>(event: &'a Value, path: &[&str]) -> Result<Option<&'a Value>, TypeError> {
    let mut v = get(Some(event), "data")?;
    v = get(v, "attributes")?;
    for key in path {
        v = get(v, key)?;
    }
    Ok(v)
}

fn apply(
    event: Value,
    raw: RawPayload,
    mappings: &mut Mappings,
    now_ms: u64,
    out: &mut Vec<Outgoing>,
) -> Result<(), TypeError> {
    let meeting_id = attr(&event, &["meeting", "internal-meeting-id"])?
        .and_then(Value::as_str)
        .map(str::to_owned);
    let user_id = |event: &Value| -> Option<String> {
        crate::jsvalue::opt_path(event, &["data", "attributes", "user", "internal-user-id"])
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let id = crate::translate::event_id(&event)
        .unwrap_or_default()
        .to_owned();
    if !id.is_empty() && id != "meeting-ended" {
        if let Some(m) = &meeting_id {
            mappings.report_activity(m, now_ms);
        }
    }
    match id.as_str() {
        "meeting-created" => {
            if let Some(m) = &meeting_id {
                let external = attr(&event, &["meeting", "external-meeting-id"])?
                    .cloned()
                    .unwrap_or(Value::Null);
                mappings.add_meeting(m, external, now_ms);
            }
        }
        "user-joined" => {
            if let (Some(u), Some(m)) = (user_id(&event), &meeting_id) {
                let user = attr(&event, &["user"])?;
                let mapping = UserMapping {
                    external: get(user, "external-user-id")?
                        .cloned()
                        .unwrap_or(Value::Null),
                    meeting: m.clone(),
                    user: user.and_then(Value::as_object).cloned().unwrap_or_default(),
                };
                mappings.add_user(&u, mapping);
            }
        }
        "user-left" => {
            if let Some(u) = user_id(&event) {
                mappings.remove_user(&u);
            }
        }
        "user-presenter-assigned" | "user-presenter-unassigned" => {
            if let Some(u) = user_id(&event) {
                mappings.set_user_field(&u, "presenter", json!(id == "user-presenter-assigned"));
            }
        }
        "meeting-screenshare-started" | "meeting-screenshare-stopped" => {
            if let Some(u) = user_id(&event) {
                mappings.set_user_field(
                    &u,
                    "screenshare",
                    json!(id == "meeting-screenshare-started"),
                );
            }
        }
        "user-emoji-changed" => {
            let spoof = raise_hand_spoof(&event, mappings);
            out.push(Outgoing { event, raw });
            if let Some(spoof) = spoof {
                out.push(Outgoing { event: spoof, raw });
            }
            return Ok(());
        }
        "meeting-ended" => {
            if let Some(m) = &meeting_id {
                mappings.remove_meeting(m);
                let external = attr(&event, &["meeting", "external-meeting-id"])?.cloned();
                let users: Vec<(String, Map<String, Value>)> = mappings
                    .users_in_meeting(m)
                    .map(|(id, u)| (id.clone(), u.user.clone()))
                    .collect();
                for (user_id, user) in users {
                    let mut meeting = Map::new();
                    meeting.insert("internal-meeting-id".into(), json!(m));
                    if let Some(ext) = &external {
                        meeting.insert("external-meeting-id".into(), ext.clone());
                    }
                    let left = json!({"data": {
                        "type": "event",
                        "id": "user-left",
                        "attributes": {"meeting": meeting, "user": user},
                        "event": {"ts": now_ms},
                    }});
                    mappings.remove_user(&user_id);
                    out.push(Outgoing {
                        event: left,
                        raw: RawPayload::Event,
                    });
                }
                mappings.remove_users_of_meeting(m);
            }
        }
        _ => {}
    }
    out.push(Outgoing { event, raw });
    Ok(())
}

/// bbb-webhooks' compatibility spoof for BBB < 2.7, where raising a hand was an emoji:
/// emoji `raiseHand` → `user-raise-hand-changed` with `raiseHand: true`; the next other emoji
/// of a user whose hand is up → `raiseHand: false`. The key is camelCase, as bbb-webhooks sends it.
fn raise_hand_spoof(event: &Value, mappings: &mut Mappings) -> Option<Value> {
    let user = crate::jsvalue::opt_path(event, &["data", "attributes", "user"])?;
    let user_id = user.get("internal-user-id").and_then(Value::as_str);
    let raised = user.get("emoji").and_then(Value::as_str) == Some("raiseHand");
    let was_raised = user_id
        .and_then(|u| mappings.user(u))
        .is_some_and(|u| u.user.get("raiseHand") == Some(&json!(true)));
    if !raised && !was_raised {
        return None;
    }
    if let Some(u) = user_id {
        mappings.set_user_field(u, "raiseHand", json!(raised));
    }
    let mut spoof = event.clone();
    spoof["data"]["id"] = json!("user-raise-hand-changed");
    if let Some(u) = spoof["data"]["attributes"]["user"].as_object_mut() {
        u.shift_remove("emoji");
        u.insert("raiseHand".into(), json!(raised));
    }
    Some(spoof)
}

//! Internal ↔ external meeting and user ID mappings of one BBB server.
//!
//! BBB's raw messages name meetings and users by internal ids; integrations know the external
//! ids they passed to `create` and `join`. A mapping is made when a meeting is created
//! (internal → external meeting id) and when a user joins (the whole normalized user object,
//! kept for the synthesized `user-left` at meeting end). Every later event of the meeting
//! refreshes its activity time; [`Mappings::expire`] drops meetings inactive for longer than
//! the configured timeout, with their users. The relay owns one `Mappings` per server and
//! persists it through the engine's store.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;

use crate::translate::MappingView;

/// A meeting's external id and when it was last active.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingMapping {
    /// The external meeting id from `meeting-created`.
    pub external: Value,
    /// Milliseconds since the epoch of the meeting's last event.
    pub last_activity_ms: u64,
}

/// A user present in a meeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserMapping {
    /// The external user id the user joined with.
    pub external: Value,
    /// The internal id of the meeting the user is in.
    pub meeting: String,
    /// The normalized `user` object of `user-joined`, updated with the flags `presenter`,
    /// `screenshare` and `raiseHand` as the meeting goes on.
    pub user: Map<String, Value>,
}

/// The mappings of one server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mappings {
    meetings: HashMap<String, MeetingMapping>,
    /// In join order: synthesized `user-left` events follow it at meeting end.
    users: IndexMap<String, UserMapping>,
}

impl Mappings {
    /// Empty mappings.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records (or replaces) a meeting's external id.
    pub fn add_meeting(&mut self, internal: &str, external: Value, now_ms: u64) {
        self.meetings.insert(
            internal.to_owned(),
            MeetingMapping {
                external,
                last_activity_ms: now_ms,
            },
        );
    }

    /// Forgets a meeting (its users stay until removed separately).
    pub fn remove_meeting(&mut self, internal: &str) -> Option<MeetingMapping> {
        self.meetings.remove(internal)
    }

    /// Marks a known meeting active now; unknown meetings are left alone.
    pub fn report_activity(&mut self, internal: &str, now_ms: u64) {
        if let Some(m) = self.meetings.get_mut(internal) {
            m.last_activity_ms = now_ms;
        }
    }

    /// Records a user who joined a meeting.
    pub fn add_user(&mut self, internal: &str, mapping: UserMapping) {
        // A re-join replaces the old record and moves it to the end of the join order.
        self.users.shift_remove(internal);
        self.users.insert(internal.to_owned(), mapping);
    }

    /// Forgets a user.
    pub fn remove_user(&mut self, internal: &str) -> Option<UserMapping> {
        self.users.shift_remove(internal)
    }

    /// Sets one field of a stored user object (`presenter`, `screenshare`, `raiseHand`).
    /// Returns false when the user is unknown.
    pub fn set_user_field(&mut self, internal: &str, field: &str, value: Value) -> bool {
        match self.users.get_mut(internal) {
            Some(u) => {
                u.user.insert(field.to_owned(), value);
                true
            }
            None => false,
        }
    }

    /// A stored user.
    pub fn user(&self, internal: &str) -> Option<&UserMapping> {
        self.users.get(internal)
    }

    /// A stored meeting.
    pub fn meeting(&self, internal: &str) -> Option<&MeetingMapping> {
        self.meetings.get(internal)
    }

    /// The users of a meeting, in join order, with their internal ids.
    pub fn users_in_meeting<'a>(
        &'a self,
        meeting: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a UserMapping)> + 'a {
        self.users.iter().filter(move |(_, u)| u.meeting == meeting)
    }

    /// Forgets every user of a meeting; returns how many there were.
    pub fn remove_users_of_meeting(&mut self, meeting: &str) -> usize {
        let before = self.users.len();
        self.users.retain(|_, u| u.meeting != meeting);
        before - self.users.len()
    }

    /// Drops meetings inactive since before `now_ms - timeout_ms`, with their users.
    /// Returns the internal ids of the meetings dropped.
    pub fn expire(&mut self, now_ms: u64, timeout_ms: u64) -> Vec<String> {
        let cutoff = now_ms.saturating_sub(timeout_ms);
        let expired: Vec<String> = self
            .meetings
            .iter()
            .filter(|(_, m)| m.last_activity_ms < cutoff)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &expired {
            self.meetings.remove(id);
            self.remove_users_of_meeting(id);
        }
        expired
    }

    /// How many meetings are mapped.
    pub fn meeting_count(&self) -> usize {
        self.meetings.len()
    }

    /// How many users are mapped.
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// Every meeting mapping, for persisting.
    pub fn meetings(&self) -> impl Iterator<Item = (&String, &MeetingMapping)> {
        self.meetings.iter()
    }

    /// Every user mapping in join order, for persisting.
    pub fn users(&self) -> impl Iterator<Item = (&String, &UserMapping)> {
        self.users.iter()
    }

    fn flagged_user_in(&self, meeting: &Value, flag: &str) -> Option<Value> {
        let meeting = meeting.as_str()?;
        self.users_in_meeting(meeting)
            .find(|(_, u)| match u.user.get(flag) {
                Some(Value::Bool(b)) => *b,
                Some(Value::String(s)) => s == "true",
                _ => false,
            })
            .map(|(id, _)| Value::String(id.clone()))
    }
}

impl MappingView for Mappings {
    fn external_meeting_id(&self, internal_meeting_id: &Value) -> Option<&Value> {
        // A mapping made without an external id yields none (not `null`), as in bbb-webhooks.
        self.meetings
            .get(internal_meeting_id.as_str()?)
            .map(|m| &m.external)
            .filter(|v| !v.is_null())
    }

    fn external_user_id(&self, internal_user_id: &Value) -> Option<&Value> {
        self.users
            .get(internal_user_id.as_str()?)
            .map(|u| &u.external)
            .filter(|v| !v.is_null())
    }

    fn is_guest(&self, internal_user_id: &Value) -> bool {
        internal_user_id
            .as_str()
            .and_then(|id| self.users.get(id))
            .is_some_and(|u| match u.user.get("guest") {
                Some(Value::Bool(b)) => *b,
                Some(Value::String(s)) => s == "true",
                _ => false,
            })
    }

    fn meeting_presenter(&self, internal_meeting_id: &Value) -> Option<Value> {
        self.flagged_user_in(internal_meeting_id, "presenter")
    }

    fn meeting_screenshare_owner(&self, internal_meeting_id: &Value) -> Option<Value> {
        self.flagged_user_in(internal_meeting_id, "screenshare")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user(meeting: &str, ext: &str) -> UserMapping {
        UserMapping {
            external: json!(ext),
            meeting: meeting.into(),
            user: Map::new(),
        }
    }

    #[test]
    fn expiry_drops_inactive_meetings_and_their_users_only() {
        let mut m = Mappings::new();
        m.add_meeting("old", json!("ext-old"), 1_000);
        m.add_meeting("fresh", json!("ext-fresh"), 1_000);
        m.add_user("u1", user("old", "a"));
        m.add_user("u2", user("fresh", "b"));
        m.report_activity("fresh", 9_000);
        let expired = m.expire(10_000, 5_000);
        assert_eq!(expired, vec!["old".to_string()]);
        assert!(m.meeting("old").is_none());
        assert!(m.user("u1").is_none());
        assert!(m.meeting("fresh").is_some());
        assert!(m.user("u2").is_some());
    }

    #[test]
    fn presenter_and_sharer_are_found_by_flag() {
        let mut m = Mappings::new();
        m.add_user("u1", user("m", "a"));
        m.add_user("u2", user("m", "b"));
        assert_eq!(m.meeting_presenter(&json!("m")), None);
        m.set_user_field("u2", "presenter", json!(true));
        m.set_user_field("u1", "screenshare", json!("true"));
        assert_eq!(m.meeting_presenter(&json!("m")), Some(json!("u2")));
        assert_eq!(m.meeting_screenshare_owner(&json!("m")), Some(json!("u1")));
        assert!(!m.set_user_field("nobody", "presenter", json!(true)));
    }

    #[test]
    fn rejoin_moves_user_to_the_end() {
        let mut m = Mappings::new();
        m.add_user("u1", user("m", "a"));
        m.add_user("u2", user("m", "b"));
        m.add_user("u1", user("m", "a2"));
        let order: Vec<&String> = m.users_in_meeting("m").map(|(id, _)| id).collect();
        assert_eq!(order, ["u2", "u1"]);
        assert_eq!(m.external_user_id(&json!("u1")), Some(&json!("a2")));
    }
}

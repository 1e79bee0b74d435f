//! Hooks: who gets which event, and how a `hooks/create` call becomes a hook.
//!
//! A hook is global (every event of its server) or bound to one external meeting id, may list
//! the event ids it wants (`eventID`), and may ask for the raw BBB message instead of the
//! normalized event (`getRaw`). Permanent hooks come from configuration and are never removed.
//! Bluehook adds a name, the HTTP method (POST or PUT), extra headers (such as `X-API-KEY`),
//! a Standard Webhooks signing secret and an active flag; hooks made through the BBB API get
//! bbb-webhooks' defaults for all of them.
//!
//! Deviations from bbb-webhooks (bugs there): every hook bound to a meeting gets its events
//! (not only the first one found), and a getRaw hook's `eventID` list filters by the id of the
//! normalized event (bbb-webhooks compared it with the raw message and so sent nothing).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::jsvalue::{to_js_string, truthy};

/// The HTTP method of a callback.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// bbb-webhooks' only method.
    #[default]
    Post,
    /// For receivers that expect PUT.
    Put,
}

impl Method {
    /// `POST` or `PUT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Put => "PUT",
        }
    }
}

/// A registered hook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hook {
    /// UUID v4, or UUID v5 of the URL for permanent hooks (bbb-webhooks' ids).
    pub id: String,
    /// Where callbacks go, exactly as registered (the checksum covers this text).
    pub callback_url: String,
    /// External meeting id the hook is bound to; `None` for a global hook.
    pub meeting_id: Option<String>,
    /// Lower-case event ids the hook wants; `None` for all.
    pub event_ids: Option<Vec<String>>,
    /// Never removed, retried forever.
    pub permanent: bool,
    /// Receives raw BBB messages instead of normalized events.
    pub get_raw: bool,
    /// How `rawData` is shown in API answers (the `getRaw` value as bbb-webhooks echoes it).
    pub raw_data: String,
    /// A label for people (Bluehook extension).
    #[serde(default)]
    pub name: Option<String>,
    /// POST or PUT (Bluehook extension).
    #[serde(default)]
    pub method: Method,
    /// Extra request headers, such as `X-API-KEY` (Bluehook extension).
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Standard Webhooks signing secret (`whsec_…`) (Bluehook extension).
    #[serde(default)]
    pub signing_secret: Option<String>,
    /// Inactive hooks keep their registration but get nothing (Bluehook extension).
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl Hook {
    /// A global, non-permanent hook with bbb-webhooks' defaults.
    pub fn new(id: String, callback_url: String) -> Self {
        Hook {
            id,
            callback_url,
            meeting_id: None,
            event_ids: None,
            permanent: false,
            get_raw: false,
            raw_data: "false".into(),
            name: None,
            method: Method::Post,
            headers: Vec::new(),
            signing_secret: None,
            active: true,
        }
    }

    /// The id bbb-webhooks gives a permanent hook: UUID v5 of the URL in the URL namespace.
    pub fn permanent_id(callback_url: &str) -> String {
        Uuid::new_v5(&Uuid::NAMESPACE_URL, callback_url.as_bytes()).to_string()
    }

    /// A fresh random id.
    pub fn random_id() -> String {
        Uuid::new_v4().to_string()
    }

    /// Whether the hook's `eventID` list lets `event_id` through.
    pub fn wants_event(&self, event_id: &str) -> bool {
        match &self.event_ids {
            None => true,
            Some(ids) => {
                let lower = event_id.to_lowercase();
                ids.contains(&lower)
            }
        }
    }

    /// Whether the hook gets an event of the given meeting: global hooks get all; a bound hook
    /// gets the events whose external meeting id is its own (and that belong to a meeting).
    pub fn wants_meeting(
        &self,
        internal_meeting_id: Option<&Value>,
        external_meeting_id: Option<&Value>,
    ) -> bool {
        match &self.meeting_id {
            None => true,
            Some(bound) => {
                truthy(internal_meeting_id)
                    && external_meeting_id.and_then(Value::as_str) == Some(bound.as_str())
            }
        }
    }
}

/// Why a `hooks/create` call could not make a hook.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateError {
    /// No (or an empty) `callbackURL`.
    #[error("missing callbackURL")]
    MissingCallbackUrl,
    /// `getRaw` is not JSON (`yes`): bbb-webhooks 3.5 hung or crashed; 3.7 answers an error.
    #[error("getRaw must be true or false, got {0:?}")]
    BadGetRaw(String),
}

/// The decoded parameters of a query string, as Node's legacy `url.parse(…, true)` reads them
/// (`+` is a space, `%XX` decoded, malformed escapes kept, names case-sensitive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parses a raw query string (without the `?`).
    pub fn parse(query: &str) -> Self {
        Params(
            form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Every (name, value) pair, in order.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.0.clone()
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Percent-encodes a query parameter value (form encoding: space as `+`).
pub fn encode_component(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A hook as `hooks/create` describes it (its id is chosen when it is stored).
pub fn hook_from_create(params: &Params, permanent: bool) -> Result<Hook, CreateError> {
    let url = params
        .get("callbackURL")
        .filter(|u| !u.is_empty())
        .ok_or(CreateError::MissingCallbackUrl)?;
    let raw = match params.get("getRaw") {
        None | Some("") => Value::Bool(false),
        Some(text) => serde_json::from_str::<Value>(&text.to_lowercase())
            .map_err(|_| CreateError::BadGetRaw(text.to_owned()))?,
    };
    let mut hook = Hook::new(String::new(), url.to_owned());
    hook.meeting_id = params.get("meetingID").map(str::to_owned);
    hook.event_ids = params
        .get("eventID")
        .map(|ids| ids.to_lowercase().split(',').map(str::to_owned).collect());
    hook.permanent = permanent;
    hook.get_raw = truthy(Some(&raw));
    hook.raw_data = to_js_string(&raw);
    Ok(hook)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn create_parameters() {
        let p = Params::parse(
            "callbackURL=http%3A%2F%2Fh%2Fcb%3Fa%3D1+2&meetingID=m%201&eventID=User-Joined,meeting-created&getRaw=TRUE",
        );
        let h = hook_from_create(&p, false).unwrap();
        assert_eq!(h.callback_url, "http://h/cb?a=1 2");
        assert_eq!(h.meeting_id.as_deref(), Some("m 1"));
        assert_eq!(
            h.event_ids,
            Some(vec![
                "user-joined".to_string(),
                "meeting-created".to_string()
            ])
        );
        assert!(h.get_raw);
        assert_eq!(h.raw_data, "true");
    }

    #[test]
    fn get_raw_values_as_bbb_webhooks_reads_them() {
        let cases = [
            ("1", true, "1"),
            ("false", false, "false"),
            ("null", false, "null"),
            ("", false, "false"),
        ];
        for (value, raw, shown) in cases {
            let p = Params::parse(&format!("callbackURL=x&getRaw={value}"));
            let h = hook_from_create(&p, false).unwrap();
            assert_eq!(
                (h.get_raw, h.raw_data.as_str()),
                (raw, shown),
                "getRaw={value}"
            );
        }
        let p = Params::parse("callbackURL=x&getRaw=yes");
        assert_eq!(
            hook_from_create(&p, false),
            Err(CreateError::BadGetRaw("yes".into()))
        );
        assert_eq!(
            hook_from_create(&Params::parse("callbackurl=x"), false),
            Err(CreateError::MissingCallbackUrl)
        );
    }

    #[test]
    fn filters() {
        let mut h = Hook::new("1".into(), "u".into());
        assert!(h.wants_event("user-joined"));
        h.event_ids = Some(vec!["user-joined".into()]);
        assert!(h.wants_event("user-joined"));
        assert!(!h.wants_event("user-left"));
        h.event_ids = Some(vec!["".into()]);
        assert!(!h.wants_event("user-joined"));

        assert!(h.wants_meeting(None, None));
        h.meeting_id = Some("ext".into());
        assert!(h.wants_meeting(Some(&json!("int")), Some(&json!("ext"))));
        assert!(!h.wants_meeting(Some(&json!("int")), Some(&json!("other"))));
        assert!(!h.wants_meeting(None, Some(&json!("ext"))));
        assert!(!h.wants_meeting(Some(&json!("int")), None));
    }

    #[test]
    fn permanent_ids_are_uuid_v5_of_the_url() {
        assert_eq!(
            Hook::permanent_id("http://127.0.0.1:3006/callback"),
            Hook::permanent_id("http://127.0.0.1:3006/callback")
        );
        let id = Hook::permanent_id("http://www.example.com/");
        assert_eq!(&id[14..15], "5");
    }
}

//! What a captured request body says, for people reading it.
//!
//! [`decode`] recognises, in this order:
//! - a bbb-webhooks callback: a form body with an `event` field, whose value is the JSON array
//!   of events, plus `domain` and `timestamp`;
//! - any other form body (its fields);
//! - JSON (by content type, or a body that parses as JSON);
//! - UTF-8 text;
//! - anything else, shown as hex.

use serde::Serialize;
use serde_json::Value;

/// A decoded body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Decoded {
    /// No body at all.
    Empty,
    /// A bbb-webhooks callback.
    Bbb {
        /// The `domain` field.
        domain: Option<String>,
        /// The `timestamp` field, when it is a number (ms).
        timestamp: Option<i64>,
        /// The parsed `event` field (a JSON array of events), when it parses.
        events: Option<Value>,
        /// Why `event` does not parse as JSON.
        #[serde(skip_serializing_if = "Option::is_none")]
        event_error: Option<String>,
        /// Every field, in order.
        fields: Vec<(String, String)>,
    },
    /// Another form body.
    Form {
        /// Every field, in order.
        fields: Vec<(String, String)>,
    },
    /// JSON.
    Json {
        /// The value.
        value: Value,
    },
    /// Text that is neither form nor JSON.
    Text {
        /// The text.
        text: String,
    },
    /// Bytes that are not UTF-8.
    Binary {
        /// Lower-case hex of the bytes.
        hex: String,
    },
}

/// Decodes `body` sent with `content_type` (the header's value, if any).
pub fn decode(content_type: Option<&str>, body: &[u8]) -> Decoded {
    if body.is_empty() {
        return Decoded::Empty;
    }
    let mime = content_type
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let text = std::str::from_utf8(body).ok();
    if mime == "application/x-www-form-urlencoded" || (mime.is_empty() && looks_like_form(text)) {
        return form(body);
    }
    let jsonish = mime == "application/json" || mime.ends_with("+json");
    if let Some(text) = text {
        if let Ok(value) = serde_json::from_str::<Value>(text) {
            if jsonish || matches!(value, Value::Object(_) | Value::Array(_)) {
                return Decoded::Json { value };
            }
        }
        return Decoded::Text {
            text: text.to_owned(),
        };
    }
    Decoded::Binary {
        hex: hex::encode(body),
    }
}

/// `a=b&c=d` with nothing that form encoding would have escaped.
fn looks_like_form(text: Option<&str>) -> bool {
    text.is_some_and(|t| {
        t.contains('=')
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"%+=&*-._".contains(&b))
    })
}

fn form(body: &[u8]) -> Decoded {
    let fields: Vec<(String, String)> = form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    let Some(event) = field("event") else {
        return Decoded::Form { fields };
    };
    let (events, event_error) = match serde_json::from_str::<Value>(event) {
        Ok(v) => (Some(v), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let domain = field("domain").cloned();
    let timestamp = field("timestamp").and_then(|t| t.parse().ok());
    Decoded::Bbb {
        domain,
        timestamp,
        events,
        event_error,
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bbb_callback() {
        let body = crate::callback::BodyPrefix::new("bbb.example.com", r#"{"data":{"id":"x"}}"#)
            .body(1698771310216);
        let d = decode(Some(crate::callback::CONTENT_TYPE), body.as_bytes());
        let Decoded::Bbb {
            domain,
            timestamp,
            events,
            event_error,
            fields,
        } = d
        else {
            panic!("not bbb: {d:?}")
        };
        assert_eq!(domain.as_deref(), Some("bbb.example.com"));
        assert_eq!(timestamp, Some(1698771310216));
        assert_eq!(events, Some(json!([{"data": {"id": "x"}}])));
        assert_eq!(event_error, None);
        assert_eq!(fields.len(), 3);
    }

    #[test]
    fn bad_event_json_is_reported() {
        let d = decode(
            Some("application/x-www-form-urlencoded"),
            b"domain=a&event=%5Bnope&timestamp=x",
        );
        match d {
            Decoded::Bbb {
                events: None,
                event_error: Some(_),
                timestamp: None,
                ..
            } => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_kinds() {
        assert_eq!(
            decode(Some("application/x-www-form-urlencoded"), b"a=1&b=x+y"),
            Decoded::Form {
                fields: vec![("a".into(), "1".into()), ("b".into(), "x y".into())]
            }
        );
        assert_eq!(
            decode(Some("application/json; charset=utf-8"), b"12"),
            Decoded::Json { value: json!(12) }
        );
        assert_eq!(
            decode(None, br#"{"a":[1]}"#),
            Decoded::Json {
                value: json!({"a": [1]})
            }
        );
        assert_eq!(
            decode(Some("text/plain"), b"12"),
            Decoded::Text { text: "12".into() }
        );
        assert_eq!(
            decode(Some("application/octet-stream"), &[0xff, 0x00, 0x10]),
            Decoded::Binary {
                hex: "ff0010".into()
            }
        );
        assert_eq!(decode(Some("text/plain"), b""), Decoded::Empty);
        // A form body sent without a content type is still recognised.
        assert!(matches!(
            decode(None, b"domain=x&event=%5B%5D"),
            Decoded::Bbb { .. }
        ));
    }
}

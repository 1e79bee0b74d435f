//! The bytes of a callback request, as bbb-webhooks sends them.
//!
//! Body: `application/x-www-form-urlencoded`, exactly three fields in this order:
//! `domain=<server domain>&event=<"[" + event JSON + "]">&timestamp=<ms>` with WHATWG form
//! encoding (`A–Z a–z 0–9 * - . _` kept, space → `+`, everything else `%XX`). The part before
//! the timestamp is the same for every hook and every retry of an event, so it is built once
//! ([`BodyPrefix`]) and the timestamp — when the delivery started — is appended per delivery.

use crate::checksum::{callback_checksum, url_with_checksum, Algorithm};

/// The `Content-Type` bbb-webhooks sends (no space before `charset`).
pub const CONTENT_TYPE: &str = "application/x-www-form-urlencoded;charset=UTF-8";

/// `domain=…&event=…&timestamp=` for one event, ready for a timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyPrefix(String);

impl BodyPrefix {
    /// Builds the prefix from the server domain and the event's JSON text (one event; it is
    /// wrapped in a one-element array as bbb-webhooks does).
    pub fn new(domain: &str, event_json: &str) -> Self {
        let mut s = Vec::with_capacity(40 + 3 * (domain.len() + event_json.len()));
        s.extend_from_slice(b"domain=");
        form_encode(&mut s, domain);
        s.extend_from_slice(b"&event=%5B");
        form_encode(&mut s, event_json);
        s.extend_from_slice(b"%5D&timestamp=");
        BodyPrefix(String::from_utf8(s).expect("form encoding is ASCII"))
    }

    /// The full body for a delivery started at `timestamp_ms`.
    pub fn body(&self, timestamp_ms: u64) -> String {
        let mut s = String::with_capacity(self.0.len() + 14);
        s.push_str(&self.0);
        s.push_str(itoa(timestamp_ms).as_str());
        s
    }

    /// The prefix text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What each byte becomes in form encoding: itself, `+` (a space), or 0: `%XX`.
const FORM: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            c @ (b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' | b'*' | b'-' | b'.' | b'_') => c,
            b' ' => b'+',
            _ => 0,
        };
        b += 1;
    }
    table
};

/// Appends `text` form-encoded, byte for byte as `form_urlencoded::byte_serialize` does it.
/// That crate hands the encoding out piece by piece, and event JSON is mostly quotes, colons
/// and braces, one piece each: it took 1.1 µs per event of a chat message's ingest. Here each
/// byte is one table lookup, written into room made beforehand.
fn form_encode(bytes: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut end = bytes.len();
    bytes.resize(end + 3 * text.len(), 0);
    for &b in text.as_bytes() {
        match FORM[usize::from(b)] {
            0 => {
                bytes[end..end + 3].copy_from_slice(&[
                    b'%',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 15)],
                ]);
                end += 3;
            }
            kept => {
                bytes[end] = kept;
                end += 1;
            }
        }
    }
    bytes.truncate(end);
}

fn itoa(n: u64) -> String {
    n.to_string()
}

/// How a callback proves it comes from the BBB server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authentication<'a> {
    /// `checksum` query parameter over URL + body + secret (bbb-webhooks' default).
    Checksum {
        /// The shared secret.
        secret: &'a str,
        /// The hook checksum algorithm.
        algorithm: Algorithm,
    },
    /// `Authorization: Bearer <token>` and no checksum (bbb-webhooks' `auth2_0`).
    Bearer,
}

/// The URL to call: `url` itself in bearer mode, else with its `checksum` parameter.
pub fn target_url(url: &str, body: &str, auth: Authentication<'_>) -> String {
    match auth {
        Authentication::Checksum { secret, algorithm } => {
            url_with_checksum(url, &callback_checksum(algorithm, url, body, secret))
        }
        Authentication::Bearer => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_body_bytes() {
        let event = r#"{"data":{"type":"event","id":"meeting-ended","attributes":{"meeting":{"internal-meeting-id":"8043c8452ae9830aac14c517adff3839dbd9228f-1698771157700","external-meeting-id":"random-9019868"}},"event":{"ts":1698771310215}}}"#;
        let body = BodyPrefix::new("bbb.example.com", event).body(1698771310216);
        assert_eq!(body, "domain=bbb.example.com&event=%5B%7B%22data%22%3A%7B%22type%22%3A%22event%22%2C%22id%22%3A%22meeting-ended%22%2C%22attributes%22%3A%7B%22meeting%22%3A%7B%22internal-meeting-id%22%3A%228043c8452ae9830aac14c517adff3839dbd9228f-1698771157700%22%2C%22external-meeting-id%22%3A%22random-9019868%22%7D%7D%2C%22event%22%3A%7B%22ts%22%3A1698771310215%7D%7D%7D%5D&timestamp=1698771310216");
        assert_eq!(body.len(), 377);
        let url = target_url(
            "https://app.example.com/bbb/hooks",
            &body,
            Authentication::Checksum {
                secret: "8cd8ef52e8e101574e400365b55e11a6",
                algorithm: Algorithm::Sha1,
            },
        );
        assert_eq!(
            url,
            "https://app.example.com/bbb/hooks?checksum=430b811b665b83f5da7f07869dff2dd5220599ca"
        );
    }

    #[test]
    fn form_encoding_matches_the_form_urlencoded_crate_for_every_character() {
        let mut every: String = (0u32..0x800).filter_map(char::from_u32).collect();
        every.push_str("\u{FFFF}\u{10000}😀 end");
        let mut ours = Vec::new();
        form_encode(&mut ours, &every);
        let theirs: String = form_urlencoded::byte_serialize(every.as_bytes()).collect();
        assert_eq!(String::from_utf8(ours).unwrap(), theirs);
        for text in ["", " ", "a", "%", "é", "{\"a\":1}"] {
            // Appended after what the buffer holds.
            let mut ours = b"x=".to_vec();
            form_encode(&mut ours, text);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                format!(
                    "x={}",
                    form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
                )
            );
        }
    }

    #[test]
    fn form_encoding_is_whatwg() {
        let body = BodyPrefix::new("a b", "~!'()*-._é").body(1);
        assert_eq!(
            body,
            "domain=a+b&event=%5B%7E%21%27%28%29*-._%C3%A9%5D&timestamp=1"
        );
    }
}

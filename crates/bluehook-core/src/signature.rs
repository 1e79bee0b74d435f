//! Standard Webhooks signatures (<https://www.standardwebhooks.com>) for hooks that have a
//! signing secret — a Bluehook extension that receivers can verify with the usual libraries,
//! without knowing the BBB shared secret.
//!
//! `webhook-signature: v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")>`
//! where the key is the base64 text after `whsec_` (or the secret's bytes when it has no such
//! prefix) and the timestamp is in seconds.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The key bytes of a signing secret.
pub fn key_bytes(secret: &str) -> Vec<u8> {
    match secret.strip_prefix("whsec_") {
        Some(b64) => STANDARD
            .decode(b64)
            .unwrap_or_else(|_| b64.as_bytes().to_vec()),
        None => secret.as_bytes().to_vec(),
    }
}

/// The `webhook-signature` header value for one message.
pub fn sign(secret: &str, msg_id: &str, timestamp_s: u64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&key_bytes(secret)).expect("HMAC takes any key length");
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp_s.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// Whether `header` (space-separated `v1,<sig>` entries) holds a valid signature.
pub fn verify(secret: &str, msg_id: &str, timestamp_s: u64, body: &[u8], header: &str) -> bool {
    let expected = sign(secret, msg_id, timestamp_s, body);
    header.split(' ').any(|candidate| {
        crate::checksum::constant_time_eq(candidate.as_bytes(), expected.as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification's reference libraries.
    #[test]
    fn reference_vector() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let sig = sign(
            secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(verify(
            secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
            &format!("v1,bad {sig}")
        ));
        assert!(!verify(
            secret,
            "msg_other",
            1614265330,
            br#"{"test": 2432232314}"#,
            &sig
        ));
    }
}

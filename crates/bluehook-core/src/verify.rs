//! Verdicts on a captured request: does it carry what a receiver would check?
//!
//! Each check gives a [`Verdict`] with the reason in words, right or wrong:
//! - **bbb**: the callback checksum, `hex(H(callback URL + body + shared secret))` in the
//!   `checksum` query parameter, where `H` is told by the checksum's length (40 sha1, 64
//!   sha256, 96 sha384, 128 sha512) — tried against each given server's secret; or, in
//!   bbb-webhooks' bearer mode, `Authorization: Bearer <shared secret>`. The callback URL is
//!   the string the hook was registered with, which the relay hashes as it is: the given one
//!   when the catcher is reached through another address (a proxy, a tunnel); else every
//!   registered URL whose path and query are the request's (without `checksum`), then the
//!   request's own URL over http and https.
//! - **standard_webhooks**: `webhook-id`, `webhook-timestamp` and `webhook-signature` as the
//!   Standard Webhooks specification has them, timestamp within 5 minutes of receipt.
//! - **hmac_sha1**: a hex HMAC-SHA1 of the body in a named header (Webex's
//!   `X-Spark-Signature`; a `sha1=` prefix, GitHub style, is accepted).
//! - **api_key**: a header (normally `X-API-KEY`) with the expected value.
//!
//! Secrets are compared in constant time and never appear in a reason.

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha1::Sha1;

use crate::checksum::{callback_checksum, constant_time_eq, Algorithm};

/// How far `webhook-timestamp` may be from the time of receipt.
pub const TIMESTAMP_TOLERANCE_S: u64 = 300;

/// The request as captured.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Path and query, as received (`/bin/x?a=1&checksum=…`).
    pub target: &'a str,
    /// Headers in order; names in any case.
    pub headers: &'a [(String, String)],
    /// The body (possibly cut short).
    pub body: &'a [u8],
    /// False when the body was larger than the capture limit and is incomplete.
    pub complete: bool,
    /// When it arrived, ms since the epoch.
    pub received_at_ms: u64,
}

impl Request<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        header(self.headers, name)
    }
}

/// The value of the first header called `name` (any case) among `headers`.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A BBB server whose secret may have signed the request.
#[derive(Clone, Copy)]
pub struct ServerSecret<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its shared secret.
    pub secret: &'a str,
}

/// What to check. Absent parts are not checked. (No `Debug`: it holds secrets.)
#[derive(Clone, Default)]
pub struct Checks<'a> {
    /// Servers to try for the BBB checksum (none: no BBB check).
    pub bbb: Vec<ServerSecret<'a>>,
    /// The URL the hook was registered with, when it is not the catcher's own address.
    pub callback_url: Option<&'a str>,
    /// Callback URLs of the hooks known to the relay, exactly as registered.
    pub registered_urls: Vec<&'a str>,
    /// A Standard Webhooks signing secret (`whsec_…`).
    pub signing_secret: Option<&'a str>,
    /// Header name and secret of an HMAC-SHA1 body signature.
    pub hmac_sha1: Option<(&'a str, &'a str)>,
    /// Header name and expected value of an API key.
    pub api_key: Option<(&'a str, &'a str)>,
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// `bbb`, `standard_webhooks`, `hmac_sha1` or `api_key`.
    pub check: &'static str,
    /// Whether the request passes.
    pub ok: bool,
    /// Why, in words.
    pub reason: String,
    /// The algorithm that matched (bbb).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<&'static str>,
    /// The server whose secret matched (bbb).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
}

impl Verdict {
    fn new(check: &'static str, ok: bool, reason: impl Into<String>) -> Verdict {
        Verdict {
            check,
            ok,
            reason: reason.into(),
            algorithm: None,
            server: None,
        }
    }
}

/// Runs every configured check on `request`.
pub fn verdicts(request: &Request<'_>, checks: &Checks<'_>) -> Vec<Verdict> {
    let mut out = Vec::new();
    if !checks.bbb.is_empty() {
        out.push(bbb(request, checks));
    }
    if let Some(secret) = checks.signing_secret {
        out.push(standard_webhooks(request, secret));
    }
    if let Some((header, secret)) = checks.hmac_sha1 {
        out.push(hmac_sha1(request, header, secret));
    }
    if let Some((header, expected)) = checks.api_key {
        out.push(api_key(request, header, expected));
    }
    out
}

const INCOMPLETE: &str = "the body was larger than the capture limit, so it cannot be verified";

/// Splits `target` into itself without its trailing `checksum` parameter, and that parameter.
fn split_checksum(target: &str) -> Option<(&str, &str)> {
    let at = target.rfind("checksum=")?;
    let sep = target[..at].chars().last()?;
    if sep != '?' && sep != '&' {
        return None;
    }
    let value = &target[at + "checksum=".len()..];
    if value.contains('&') || value.contains('#') {
        return None;
    }
    Some((&target[..at - 1], value))
}

/// `/path?query` of an absolute URL (`/` when it has no path), without a fragment.
fn path_and_query(url: &str) -> &str {
    let url = url.split('#').next().unwrap_or_default();
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    match rest.find(['/', '?']) {
        Some(i) if rest[i..].starts_with('/') => &rest[i..],
        Some(_) | None => "/",
    }
}

fn bbb(request: &Request<'_>, checks: &Checks<'_>) -> Verdict {
    const NAME: &str = "bbb";
    let names = || {
        checks
            .bbb
            .iter()
            .map(|s| format!("'{}'", s.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some((base, checksum)) = split_checksum(request.target) else {
        return match request
            .header("authorization")
            .and_then(|a| a.strip_prefix("Bearer "))
        {
            Some(token) => match checks
                .bbb
                .iter()
                .find(|s| constant_time_eq(token.as_bytes(), s.secret.as_bytes()))
            {
                Some(s) => Verdict {
                    server: Some(s.name.to_owned()),
                    ..Verdict::new(
                        NAME,
                        true,
                        format!(
                            "bearer token (bbb-webhooks' BEARER_AUTH mode) is the shared secret of server '{}'",
                            s.name
                        ),
                    )
                },
                None => Verdict::new(
                    NAME,
                    false,
                    format!("bearer token is not the shared secret of {}", names()),
                ),
            },
            None => Verdict::new(
                NAME,
                false,
                "no checksum query parameter and no Authorization: Bearer header",
            ),
        };
    };
    let Some(algorithm) = Algorithm::from_hex_len(checksum.len()) else {
        return Verdict::new(
            NAME,
            false,
            format!(
                "checksum has {} characters; a sha1, sha256, sha384 or sha512 hex digest has 40, 64, 96 or 128",
                checksum.len()
            ),
        );
    };
    if !request.complete {
        return Verdict::new(NAME, false, INCOMPLETE);
    }
    let urls: Vec<String> = match checks.callback_url {
        Some(url) => vec![url.to_owned()],
        None => {
            let host = request.header("host").unwrap_or("localhost");
            let mut urls: Vec<String> = checks
                .registered_urls
                .iter()
                .filter(|u| path_and_query(u) == base)
                .map(|u| u.to_string())
                .collect();
            for guess in [
                format!("http://{host}{base}"),
                format!("https://{host}{base}"),
            ] {
                if !urls.contains(&guess) {
                    urls.push(guess);
                }
            }
            urls
        }
    };
    // Form bodies are ASCII; anything else is compared as the bytes' lossy text, which can
    // only fail to match.
    let body = String::from_utf8_lossy(request.body);
    let given = checksum.to_ascii_lowercase();
    for server in &checks.bbb {
        for url in &urls {
            let expected = callback_checksum(algorithm, url, &body, server.secret);
            if constant_time_eq(expected.as_bytes(), given.as_bytes()) {
                return Verdict {
                    algorithm: Some(algorithm.name()),
                    server: Some(server.name.to_owned()),
                    ..Verdict::new(
                        NAME,
                        true,
                        format!(
                            "{}(callback URL + body + shared secret of server '{}') matches, with callback URL {url}",
                            algorithm.name(),
                            server.name
                        ),
                    )
                };
            }
        }
    }
    Verdict {
        algorithm: Some(algorithm.name()),
        ..Verdict::new(
            NAME,
            false,
            format!(
                "checksum does not match {}(callback URL + body + shared secret) for server {} with callback URL {}",
                algorithm.name(),
                names(),
                urls.join(" or ")
            ),
        )
    }
}

fn standard_webhooks(request: &Request<'_>, secret: &str) -> Verdict {
    const NAME: &str = "standard_webhooks";
    let (Some(id), Some(ts), Some(sig)) = (
        request.header("webhook-id"),
        request.header("webhook-timestamp"),
        request.header("webhook-signature"),
    ) else {
        let missing: Vec<&str> = ["webhook-id", "webhook-timestamp", "webhook-signature"]
            .into_iter()
            .filter(|h| request.header(h).is_none())
            .collect();
        return Verdict::new(
            NAME,
            false,
            format!("missing header {}", missing.join(", ")),
        );
    };
    let Ok(ts) = ts.trim().parse::<u64>() else {
        return Verdict::new(
            NAME,
            false,
            "webhook-timestamp is not a whole number of seconds",
        );
    };
    if !request.complete {
        return Verdict::new(NAME, false, INCOMPLETE);
    }
    if !crate::signature::verify(secret, id, ts, request.body, sig) {
        return Verdict::new(
            NAME,
            false,
            "no v1 signature in webhook-signature matches HMAC-SHA256(id.timestamp.body) with the signing secret",
        );
    }
    let received_s = request.received_at_ms / 1000;
    let skew = received_s.abs_diff(ts);
    if skew > TIMESTAMP_TOLERANCE_S {
        return Verdict::new(
            NAME,
            false,
            format!(
                "signature is valid but webhook-timestamp is {skew} s from the time of receipt (tolerance {TIMESTAMP_TOLERANCE_S} s)"
            ),
        );
    }
    Verdict::new(
        NAME,
        true,
        format!("v1 signature valid; timestamp {skew} s from the time of receipt"),
    )
}

fn hmac_sha1(request: &Request<'_>, header: &str, secret: &str) -> Verdict {
    const NAME: &str = "hmac_sha1";
    let Some(given) = request.header(header) else {
        return Verdict::new(NAME, false, format!("missing header {header}"));
    };
    if !request.complete {
        return Verdict::new(NAME, false, INCOMPLETE);
    }
    let given = given.trim();
    let given = given
        .strip_prefix("sha1=")
        .unwrap_or(given)
        .to_ascii_lowercase();
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(request.body);
    let expected = hex::encode(mac.finalize().into_bytes());
    if constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        Verdict::new(
            NAME,
            true,
            format!("{header} is the HMAC-SHA1 of the body with the secret"),
        )
    } else {
        Verdict::new(
            NAME,
            false,
            format!("{header} is not the hex HMAC-SHA1 of the body with the secret"),
        )
    }
}

fn api_key(request: &Request<'_>, header: &str, expected: &str) -> Verdict {
    const NAME: &str = "api_key";
    match request.header(header) {
        None => Verdict::new(NAME, false, format!("missing header {header}")),
        Some(v) if constant_time_eq(v.as_bytes(), expected.as_bytes()) => {
            Verdict::new(NAME, true, format!("{header} has the expected value"))
        }
        Some(_) => Verdict::new(
            NAME,
            false,
            format!("{header} does not have the expected value"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callback::{target_url, Authentication, BodyPrefix};

    const SECRET: &str = "8cd8ef52e8e101574e400365b55e11a6";
    const NOW_MS: u64 = 1_700_000_000_000;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn request<'a>(
        target: &'a str,
        headers: &'a [(String, String)],
        body: &'a [u8],
    ) -> Request<'a> {
        Request {
            target,
            headers,
            body,
            complete: true,
            received_at_ms: NOW_MS,
        }
    }

    fn servers() -> Vec<ServerSecret<'static>> {
        vec![
            ServerSecret {
                name: "a",
                secret: "other-secret",
            },
            ServerSecret {
                name: "b",
                secret: SECRET,
            },
        ]
    }

    fn bbb_checks() -> Checks<'static> {
        Checks {
            bbb: servers(),
            ..Checks::default()
        }
    }

    /// A callback as the relay sends it: target and body.
    fn callback(url: &str, algorithm: Algorithm) -> (String, String) {
        let body =
            BodyPrefix::new("bbb.example.com", r#"{"data":{"id":"meeting-ended"}}"#).body(NOW_MS);
        let full = target_url(
            url,
            &body,
            Authentication::Checksum {
                secret: SECRET,
                algorithm,
            },
        );
        let target = full.splitn(4, '/').nth(3).map(|p| format!("/{p}")).unwrap();
        (target, body)
    }

    #[test]
    fn bbb_checksum_every_algorithm_and_server() {
        let h = headers(&[("Host", "127.0.0.1:3007")]);
        for algorithm in Algorithm::ALL {
            let (target, body) = callback("http://127.0.0.1:3007/bin/x?a=1", algorithm);
            let v = verdicts(&request(&target, &h, body.as_bytes()), &bbb_checks());
            assert_eq!(v.len(), 1);
            assert!(v[0].ok, "{algorithm}: {}", v[0].reason);
            assert_eq!(v[0].algorithm, Some(algorithm.name()));
            assert_eq!(v[0].server.as_deref(), Some("b"));
            assert!(!v[0].reason.contains(SECRET));
        }
    }

    #[test]
    fn bbb_checksum_wrong() {
        let h = headers(&[("Host", "127.0.0.1:3007")]);
        let (target, body) = callback("http://127.0.0.1:3007/bin", Algorithm::Sha256);
        // Body changed in transit.
        let tampered = body.replace("bbb.example.com", "evil.example.com");
        let v = &verdicts(&request(&target, &h, tampered.as_bytes()), &bbb_checks())[0];
        assert!(!v.ok);
        assert!(v.reason.contains("does not match sha256"), "{}", v.reason);
        assert!(
            v.reason.contains("http://127.0.0.1:3007/bin"),
            "{}",
            v.reason
        );
        // Signed for another URL (the hook registered elsewhere): wrong unless that URL is given.
        let (target, body) = callback("https://hooks.example.com/bin", Algorithm::Sha1);
        let r = request(&target, &h, body.as_bytes());
        assert!(!verdicts(&r, &bbb_checks())[0].ok);
        let with_url = Checks {
            callback_url: Some("https://hooks.example.com/bin"),
            ..bbb_checks()
        };
        assert!(verdicts(&r, &with_url)[0].ok);
        // Registered with an upper-case host and a default port: the relay hashed that string.
        let odd = "http://LocalHost:80/bin";
        let (odd_target, odd_body) = callback(odd, Algorithm::Sha1);
        let r = request(&odd_target, &h, odd_body.as_bytes());
        assert!(!verdicts(&r, &bbb_checks())[0].ok);
        let registered = Checks {
            registered_urls: vec!["http://other.example/elsewhere", odd],
            ..bbb_checks()
        };
        let v = &verdicts(&r, &registered)[0];
        assert!(v.ok, "{}", v.reason);
        assert!(v.reason.contains(odd));
        assert_eq!(path_and_query("http://h:1/a/b?c=d#e"), "/a/b?c=d");
        assert_eq!(path_and_query("http://h"), "/");
        // A proxy in front: same host over https is tried too.
        let h2 = headers(&[("host", "hooks.example.com")]);
        assert!(verdicts(&request(&target, &h2, body.as_bytes()), &bbb_checks())[0].ok);
        // Wrong secret only.
        let only_a = Checks {
            bbb: vec![servers()[0]],
            ..Checks::default()
        };
        let v = &verdicts(&request(&target, &h2, body.as_bytes()), &only_a)[0];
        assert!(!v.ok);
        assert!(v.reason.contains("'a'"));
        // Odd lengths, no checksum, truncated body.
        let v = &verdicts(&request("/bin?checksum=abc", &h, b"x"), &bbb_checks())[0];
        assert!(!v.ok && v.reason.contains("3 characters"), "{}", v.reason);
        let v = &verdicts(&request("/bin", &h, b"x"), &bbb_checks())[0];
        assert!(!v.ok && v.reason.contains("no checksum"), "{}", v.reason);
        let (target, body) = callback("http://127.0.0.1:3007/bin", Algorithm::Sha1);
        let mut r = request(&target, &h, body.as_bytes());
        r.complete = false;
        let v = &verdicts(&r, &bbb_checks())[0];
        assert!(!v.ok && v.reason.contains("capture limit"));
    }

    #[test]
    fn bbb_bearer() {
        let good = headers(&[("Authorization", &format!("Bearer {SECRET}"))]);
        let v = &verdicts(&request("/bin", &good, b"x"), &bbb_checks())[0];
        assert!(v.ok, "{}", v.reason);
        assert_eq!(v.server.as_deref(), Some("b"));
        let bad = headers(&[("Authorization", "Bearer nope")]);
        let v = &verdicts(&request("/bin", &bad, b"x"), &bbb_checks())[0];
        assert!(!v.ok);
        assert!(!v.reason.contains("nope"));
    }

    #[test]
    fn standard_webhooks_verdicts() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let ts = NOW_MS / 1000 - 10;
        let sig = crate::signature::sign(secret, "msg_1", ts, body);
        let checks = Checks {
            signing_secret: Some(secret),
            ..Checks::default()
        };
        let h = headers(&[
            ("webhook-id", "msg_1"),
            ("webhook-timestamp", &ts.to_string()),
            ("webhook-signature", &sig),
        ]);
        let v = &verdicts(&request("/b", &h, body), &checks)[0];
        assert!(v.ok, "{}", v.reason);
        assert_eq!(v.check, "standard_webhooks");
        // Another body, another secret, missing header, stale timestamp.
        assert!(!verdicts(&request("/b", &h, b"{}"), &checks)[0].ok);
        let other = Checks {
            signing_secret: Some("whsec_b3RoZXI="),
            ..Checks::default()
        };
        assert!(!verdicts(&request("/b", &h, body), &other)[0].ok);
        let v = &verdicts(&request("/b", &h[..2], body), &checks)[0];
        assert!(
            !v.ok && v.reason.contains("webhook-signature"),
            "{}",
            v.reason
        );
        let old = NOW_MS / 1000 - 3600;
        let h = headers(&[
            ("webhook-id", "msg_1"),
            ("webhook-timestamp", &old.to_string()),
            (
                "webhook-signature",
                &crate::signature::sign(secret, "msg_1", old, body),
            ),
        ]);
        let v = &verdicts(&request("/b", &h, body), &checks)[0];
        assert!(!v.ok && v.reason.contains("3600 s"), "{}", v.reason);
    }

    #[test]
    fn hmac_sha1_and_api_key() {
        let body = b"{\"id\":\"Y2lzY29zcGFyazovL3VzL1dFQkhPT0sv\"}";
        let mut mac = Hmac::<Sha1>::new_from_slice(b"webex-secret").unwrap();
        mac.update(body);
        let sig = hex::encode(mac.finalize().into_bytes());
        let checks = Checks {
            hmac_sha1: Some(("X-Spark-Signature", "webex-secret")),
            api_key: Some(("X-API-KEY", "k-123")),
            ..Checks::default()
        };
        let h = headers(&[("x-spark-signature", &sig), ("x-api-key", "k-123")]);
        let v = verdicts(&request("/b", &h, body), &checks);
        assert_eq!(v.len(), 2);
        assert!(v.iter().all(|v| v.ok), "{v:?}");
        let h = headers(&[
            ("x-spark-signature", &format!("sha1={}", sig.to_uppercase())),
            ("x-api-key", "k-124"),
        ]);
        let v = verdicts(&request("/b", &h, body), &checks);
        assert!(v[0].ok, "{}", v[0].reason);
        assert!(!v[1].ok && !v[1].reason.contains("k-12"));
        let v = verdicts(&request("/b", &h, b"other"), &checks);
        assert!(!v[0].ok);
        let v = verdicts(&request("/b", &[], body), &checks);
        assert!(v
            .iter()
            .all(|v| !v.ok && v.reason.starts_with("missing header")));
    }
}

//! A catcher bin's settings: its scripted replies and the checks its captures are judged by.
//!
//! A script is a list of replies (status, delay, body, headers), each used `times` times in
//! turn; after the last, the last repeats — or, with `repeat`, the list starts over — so "fail
//! three times, then 200" is `[{"status":500,"times":3},{"status":200}]`. Secrets in the
//! checks are shown as `***`, and `***` sent back keeps the stored value.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use bluehook_core::config::Secret;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Settings that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BinError {
    /// Bin names are short and URL-safe.
    #[error("bin name {0:?}: use 1 to 64 letters, digits, '-', '_' or '.'")]
    BadName(String),
    /// A reply in a script is not usable.
    #[error("reply {index}: {problem}")]
    BadReply {
        /// Its place in the list.
        index: usize,
        /// What is wrong.
        problem: String,
    },
}

/// The longest scripted delay.
pub const MAX_DELAY_MS: u64 = 600_000;

/// One scripted answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Wait before answering, ms (at most 10 minutes).
    pub delay_ms: u64,
    /// Response body.
    pub body: String,
    /// Response headers.
    pub headers: BTreeMap<String, String>,
    /// How many requests in a row get this answer (at least 1).
    pub times: u32,
}

impl Default for Reply {
    fn default() -> Self {
        Reply {
            status: 200,
            delay_ms: 0,
            body: String::new(),
            headers: BTreeMap::new(),
            times: 1,
        }
    }
}

/// A header and a secret value expected in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderSecret {
    /// Header name.
    pub header: String,
    /// The secret (HMAC key, or the API key itself).
    pub secret: Secret,
}

/// What a bin's captures are checked against.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Checks {
    /// Servers whose shared secret may sign callbacks: absent, every configured server;
    /// empty, no BBB check.
    pub bbb_servers: Option<Vec<String>>,
    /// The URL hooks were registered with, when the catcher is reached through another
    /// address (a proxy or tunnel); else it is worked out from the request.
    pub callback_url: Option<String>,
    /// Standard Webhooks signing secret (`whsec_…`).
    pub signing_secret: Option<Secret>,
    /// HMAC-SHA1 of the body in a header (e.g. `X-Spark-Signature`).
    pub hmac_sha1: Option<HeaderSecret>,
    /// Expected API key (e.g. header `X-API-KEY`).
    pub api_key: Option<HeaderSecret>,
}

/// A bin's settings, as stored and as the admin API takes them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BinConfig {
    /// Scripted answers (none: every request gets 200).
    pub replies: Vec<Reply>,
    /// After the last reply, start over (else the last one repeats).
    pub repeat: bool,
    /// Checks.
    pub checks: Checks,
}

impl BinConfig {
    /// Checks the script.
    pub fn validate(&self) -> Result<(), BinError> {
        for (index, r) in self.replies.iter().enumerate() {
            let bad = |problem: &str| BinError::BadReply {
                index,
                problem: problem.to_owned(),
            };
            if StatusCode::from_u16(r.status).is_err() || r.status < 200 {
                return Err(bad("status must be 200 to 999"));
            }
            if r.delay_ms > MAX_DELAY_MS {
                return Err(bad("delay_ms is at most 600000"));
            }
            if r.times == 0 {
                return Err(bad("times must be at least 1"));
            }
            for (k, v) in &r.headers {
                if HeaderName::try_from(k.as_str()).is_err()
                    || HeaderValue::try_from(v.as_str()).is_err()
                {
                    return Err(bad(&format!("header {k:?} is not valid HTTP")));
                }
            }
        }
        Ok(())
    }

    /// The reply for the `n`th request (from 0) since the script was set.
    pub fn reply_for(&self, n: u64) -> Reply {
        let total: u64 = self.replies.iter().map(|r| r.times as u64).sum();
        if total == 0 {
            return Reply::default();
        }
        let mut n = if self.repeat { n % total } else { n };
        for r in &self.replies {
            if n < r.times as u64 {
                return r.clone();
            }
            n -= r.times as u64;
        }
        self.replies.last().cloned().unwrap_or_default()
    }

    /// The configuration with every secret replaced by `***`.
    pub fn redacted(&self) -> BinConfig {
        let mut c = self.clone();
        let hide = |s: &mut Secret| *s = Secret::new("***");
        if let Some(s) = &mut c.checks.signing_secret {
            hide(s);
        }
        if let Some(h) = &mut c.checks.hmac_sha1 {
            hide(&mut h.secret);
        }
        if let Some(h) = &mut c.checks.api_key {
            hide(&mut h.secret);
        }
        c
    }

    /// Keeps the secrets of `old` where this configuration sends `***` back (as a UI does
    /// after showing the redacted form).
    pub fn keep_secrets_of(&mut self, old: &BinConfig) {
        let keep = |new: &mut Secret, old: Option<&Secret>| {
            if new.expose() == "***" {
                if let Some(o) = old {
                    *new = o.clone();
                }
            }
        };
        if let Some(s) = &mut self.checks.signing_secret {
            keep(s, old.checks.signing_secret.as_ref());
        }
        if let Some(h) = &mut self.checks.hmac_sha1 {
            keep(
                &mut h.secret,
                old.checks.hmac_sha1.as_ref().map(|h| &h.secret),
            );
        }
        if let Some(h) = &mut self.checks.api_key {
            keep(
                &mut h.secret,
                old.checks.api_key.as_ref().map(|h| &h.secret),
            );
        }
    }
}

/// Whether `name` can be a bin name.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && name != "."
        && name != ".."
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, times: u32) -> Reply {
        Reply {
            status,
            times,
            ..Reply::default()
        }
    }

    #[test]
    fn scripts_run_in_order() {
        let c = BinConfig {
            replies: vec![reply(500, 3), reply(200, 1)],
            ..BinConfig::default()
        };
        let statuses: Vec<u16> = (0..6).map(|n| c.reply_for(n).status).collect();
        assert_eq!(statuses, [500, 500, 500, 200, 200, 200]);
        let cycling = BinConfig { repeat: true, ..c };
        let statuses: Vec<u16> = (0..6).map(|n| cycling.reply_for(n).status).collect();
        assert_eq!(statuses, [500, 500, 500, 200, 500, 500]);
        assert_eq!(BinConfig::default().reply_for(7).status, 200);
    }

    #[test]
    fn bad_scripts_are_refused() {
        for r in [
            reply(99, 1),
            reply(200, 0),
            Reply {
                delay_ms: MAX_DELAY_MS + 1,
                ..Reply::default()
            },
        ] {
            let c = BinConfig {
                replies: vec![Reply::default(), r],
                ..BinConfig::default()
            };
            assert!(matches!(
                c.validate(),
                Err(BinError::BadReply { index: 1, .. })
            ));
        }
    }

    #[test]
    fn secrets_are_redacted_and_kept() {
        let old = BinConfig {
            checks: Checks {
                signing_secret: Some(Secret::new("whsec_abc")),
                api_key: Some(HeaderSecret {
                    header: "X-API-KEY".into(),
                    secret: Secret::new("k1"),
                }),
                ..Checks::default()
            },
            ..BinConfig::default()
        };
        let shown = serde_json::to_string(&old.redacted()).unwrap();
        assert!(
            !shown.contains("whsec_abc") && !shown.contains("k1"),
            "{shown}"
        );
        let mut back: BinConfig = serde_json::from_str(&shown).unwrap();
        back.keep_secrets_of(&old);
        assert_eq!(back, old);
    }

    #[test]
    fn names() {
        assert!(valid_name("my-bin_1.x"));
        for bad in ["", ".", "..", "a b", "a/b"] {
            assert!(!valid_name(bad), "{bad:?}");
        }
        assert!(!valid_name(&"a".repeat(65)));
    }
}

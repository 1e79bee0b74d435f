//! The catcher: a request bin for integration developers (default `127.0.0.1:3007`).
//!
//! Any method to `/{bin}` or `/{bin}/anything` is captured — method, path and query,
//! headers, body up to the limit (above it the answer is 413 and the capture says so), peer
//! address, time — stored ([`crate::captures`]) and streamed live. Bins are created on first
//! use (unless `auto_create` is off) or through the admin API, where each bin gets:
//! - scripted answers: a list of replies (status, delay, body, headers), each used `times`
//!   times in turn, the last one repeating — or the whole list cycling with `repeat` — so
//!   "fail three times, then 200" shows the relay's retries;
//! - the checks its captures are judged by ([`bluehook_core::verify`]): the BBB checksum
//!   against the configured servers' secrets, a Standard Webhooks signing secret, an
//!   HMAC-SHA1 header, an expected API key.
//!
//! A request is answered only after its capture is committed. Captures are shown with the
//! values of credential headers (`Authorization`, `X-API-KEY`, `Cookie`, the bin's API key
//! header) masked; forwarding a capture to another URL sends the original bytes.

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use bluehook_core::config::{CatcherConfig, Secret};
use bluehook_core::decode::{decode, Decoded};
use bluehook_core::verify::{self, Verdict};
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::captures::{Capture, CaptureStore, StoredBin};

/// A catcher operation that cannot be done.
#[derive(Debug, thiserror::Error)]
pub enum CatcherError {
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
    /// The bin does not exist.
    #[error("no bin {0:?}")]
    NoBin(String),
    /// The storage thread has stopped.
    #[error("the catcher's storage has stopped")]
    Stopped,
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
    fn validate(&self) -> Result<(), CatcherError> {
        for (index, r) in self.replies.iter().enumerate() {
            let bad = |problem: &str| CatcherError::BadReply {
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
    fn keep_secrets_of(&mut self, old: &BinConfig) {
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

/// A bin in memory.
struct Bin {
    created_at: i64,
    config: BinConfig,
    /// Requests answered since the script was set.
    served: AtomicU64,
}

/// What live subscribers see of a new capture.
#[derive(Debug, Clone, Serialize)]
pub struct CaptureSummary {
    /// Capture id.
    pub id: i64,
    /// Bin.
    pub bin: String,
    /// Time, ms.
    pub at: i64,
    /// Method.
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Body size.
    pub body_size: u64,
    /// Status answered.
    pub status: u16,
}

/// A capture as the admin API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Inspected {
    /// The capture (credential header values masked).
    #[serde(flatten)]
    pub capture: Capture,
    /// The body decoded.
    pub decoded: Decoded,
    /// The bin's checks.
    pub verdicts: Vec<Verdict>,
}

/// What a forwarded capture got back.
#[derive(Debug, Clone, Serialize)]
pub struct Forwarded {
    /// The URL called.
    pub url: String,
    /// Status, when an answer came.
    pub status: Option<u16>,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// Start of the response body (lossy text).
    pub body: String,
    /// Time taken, ms.
    pub latency_ms: f64,
    /// Why there was no answer.
    pub error: Option<String>,
}

/// Headers whose values are credentials.
const CREDENTIAL_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
];

/// The catcher.
pub struct Catcher {
    config: CatcherConfig,
    store: CaptureStore,
    bins: RwLock<HashMap<String, Arc<Bin>>>,
    /// BBB servers' names and secrets, for the checksum check.
    servers: Vec<(String, Secret)>,
    live: broadcast::Sender<CaptureSummary>,
    cancel: CancellationToken,
}

impl std::fmt::Debug for Catcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catcher")
            .field("store", &self.store)
            .finish()
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

impl Catcher {
    /// Opens the catcher's storage beside the main database `db` and loads its bins. The join
    /// handle is the storage thread's, which ends when the catcher is dropped.
    pub fn open(
        config: CatcherConfig,
        db: &std::path::Path,
        servers: Vec<(String, Secret)>,
        cancel: CancellationToken,
    ) -> Result<(Arc<Catcher>, std::thread::JoinHandle<()>), crate::store::StoreError> {
        let (store, saved, writer) =
            CaptureStore::open(&crate::captures::path_beside(db), config.keep_per_bin)?;
        let mut bins = HashMap::new();
        for b in saved {
            let config = match serde_json::from_str(&b.config) {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(bin = %b.name, error = %e, "stored bin settings do not decode; using defaults");
                    BinConfig::default()
                }
            };
            bins.insert(
                b.name,
                Arc::new(Bin {
                    created_at: b.created_at,
                    config,
                    served: AtomicU64::new(0),
                }),
            );
        }
        let (live, _) = broadcast::channel(1024);
        Ok((
            Arc::new(Catcher {
                config,
                store,
                bins: RwLock::new(bins),
                servers,
                live,
                cancel,
            }),
            writer,
        ))
    }

    /// The catcher's database file.
    pub fn db(&self) -> &std::path::Path {
        self.store.path()
    }

    fn bins(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<Bin>>> {
        self.bins.read().unwrap_or_else(|p| p.into_inner())
    }

    fn bins_mut(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Arc<Bin>>> {
        self.bins.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Live captures.
    pub fn subscribe(&self) -> broadcast::Receiver<CaptureSummary> {
        self.live.subscribe()
    }

    /// Bin names with creation time and (redacted) settings, by name.
    pub fn list(&self) -> Vec<(String, i64, BinConfig)> {
        let mut out: Vec<_> = self
            .bins()
            .iter()
            .map(|(n, b)| (n.clone(), b.created_at, b.config.redacted()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// A bin's settings (redacted).
    pub fn get(&self, name: &str) -> Option<(i64, BinConfig)> {
        self.bins()
            .get(name)
            .map(|b| (b.created_at, b.config.redacted()))
    }

    /// Creates a bin or replaces its settings; its script starts over. Returns whether the bin
    /// is new.
    pub async fn put(&self, name: &str, mut config: BinConfig) -> Result<bool, CatcherError> {
        if !valid_name(name) {
            return Err(CatcherError::BadName(name.to_owned()));
        }
        config.validate()?;
        let old = self.bins().get(name).cloned();
        if let Some(old) = &old {
            config.keep_secrets_of(&old.config);
        }
        let created_at = old
            .as_ref()
            .map(|b| b.created_at)
            .unwrap_or_else(|| bluehook_core::now_ms() as i64);
        self.save(name, created_at, config).await?;
        Ok(old.is_none())
    }

    async fn save(
        &self,
        name: &str,
        created_at: i64,
        config: BinConfig,
    ) -> Result<Arc<Bin>, CatcherError> {
        let stored = StoredBin {
            name: name.to_owned(),
            created_at,
            config: serde_json::to_string(&config).unwrap_or_else(|_| "{}".into()),
        };
        if !self.store.save_bin(stored).await {
            return Err(CatcherError::Stopped);
        }
        let bin = Arc::new(Bin {
            created_at,
            config,
            served: AtomicU64::new(0),
        });
        self.bins_mut().insert(name.to_owned(), bin.clone());
        Ok(bin)
    }

    /// Deletes a bin and its captures.
    pub async fn delete(&self, name: &str) -> Result<(), CatcherError> {
        if self.bins_mut().remove(name).is_none() {
            return Err(CatcherError::NoBin(name.to_owned()));
        }
        if !self.store.delete_bin(name).await {
            return Err(CatcherError::Stopped);
        }
        Ok(())
    }

    /// Deletes a bin's captures and starts its script over.
    pub async fn clear(&self, name: &str) -> Result<(), CatcherError> {
        let Some(bin) = self.bins().get(name).cloned() else {
            return Err(CatcherError::NoBin(name.to_owned()));
        };
        bin.served.store(0, Ordering::SeqCst);
        if !self.store.clear_bin(name).await {
            return Err(CatcherError::Stopped);
        }
        Ok(())
    }

    /// Decodes a capture, checks it against its bin's settings and masks its credentials.
    pub fn inspect(&self, mut capture: Capture) -> Inspected {
        let bin = self.bins().get(&capture.bin).cloned();
        let config = bin.map(|b| b.config.clone()).unwrap_or_default();
        let decoded = decode(capture.header("content-type"), &capture.body);
        let checks = &config.checks;
        let bbb = self
            .servers
            .iter()
            .filter(|(name, _)| {
                checks
                    .bbb_servers
                    .as_ref()
                    .is_none_or(|only| only.contains(name))
            })
            .map(|(name, secret)| verify::ServerSecret {
                name,
                secret: secret.expose(),
            })
            .collect();
        let verdicts = verify::verdicts(
            &verify::Request {
                target: &capture.target,
                headers: &capture.headers,
                body: &capture.body,
                complete: capture.complete,
                received_at_ms: capture.at as u64,
            },
            &verify::Checks {
                bbb,
                callback_url: checks.callback_url.as_deref(),
                signing_secret: checks.signing_secret.as_ref().map(|s| s.expose()),
                hmac_sha1: checks
                    .hmac_sha1
                    .as_ref()
                    .map(|h| (h.header.as_str(), h.secret.expose())),
                api_key: checks
                    .api_key
                    .as_ref()
                    .map(|h| (h.header.as_str(), h.secret.expose())),
            },
        );
        let key_header = checks.api_key.as_ref().map(|h| h.header.as_str());
        for (name, value) in &mut capture.headers {
            let lower = name.to_ascii_lowercase();
            if CREDENTIAL_HEADERS.contains(&lower.as_str())
                || key_header.is_some_and(|k| k.eq_ignore_ascii_case(name))
            {
                *value = mask(value);
            }
        }
        Inspected {
            capture,
            decoded,
            verdicts,
        }
    }

    /// The listener's router.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(catch).with_state(self.clone())
    }

    /// The bin for a request, created when allowed.
    async fn bin_for(&self, name: &str) -> Result<Option<Arc<Bin>>, CatcherError> {
        if let Some(b) = self.bins().get(name) {
            return Ok(Some(b.clone()));
        }
        if !self.config.auto_create {
            return Ok(None);
        }
        let created_at = bluehook_core::now_ms() as i64;
        // Two first requests at once: the second save replaces the first with the same thing.
        self.save(name, created_at, BinConfig::default())
            .await
            .map(Some)
    }
}

/// `Bearer abcd…` → `Bearer ***`; anything else → `***`.
fn mask(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, _)) if !scheme.is_empty() => format!("{scheme} ***"),
        _ => "***".into(),
    }
}

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// Reads at most `limit` bytes of `body`; the flag is false when there was more.
async fn read_limited(body: Body, limit: usize) -> Result<(Bytes, bool, u64), axum::Error> {
    let mut body = body;
    let mut buf = BytesMut::new();
    let mut seen: u64 = 0;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        seen += data.len() as u64;
        let room = limit.saturating_sub(buf.len());
        buf.extend_from_slice(&data[..data.len().min(room)]);
        if seen > limit as u64 {
            return Ok((buf.freeze(), false, seen));
        }
    }
    Ok((buf.freeze(), true, seen))
}

async fn catch(
    State(catcher): State<Arc<Catcher>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    let name = path.trim_start_matches('/').split('/').next().unwrap_or("");
    if name.is_empty() {
        return text(
            StatusCode::OK,
            "Bluehook catcher: send requests to /{bin} or /{bin}/anything; see them in the admin API (/api/v1/bins).\n".into(),
        );
    }
    if !valid_name(name) {
        return text(
            StatusCode::BAD_REQUEST,
            format!("{}\n", CatcherError::BadName(name.to_owned())),
        );
    }
    let bin = match catcher.bin_for(name).await {
        Ok(Some(b)) => b,
        Ok(None) => {
            return text(
                StatusCode::NOT_FOUND,
                format!("no bin {name:?} (bins are created through the admin API)\n"),
            )
        }
        Err(e) => return text(StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")),
    };
    let limit = catcher.config.max_body_bytes;
    let declared: Option<u64> = parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let (bytes, complete, seen) = match read_limited(body, limit).await {
        Ok(read) => read,
        Err(e) => {
            tracing::debug!(bin = name, error = %e, "catcher request body broke off");
            return text(StatusCode::BAD_REQUEST, "request body broke off\n".into());
        }
    };
    let reply = if complete {
        bin.config
            .reply_for(bin.served.fetch_add(1, Ordering::SeqCst))
    } else {
        Reply {
            status: 413,
            body: format!("body larger than {limit} bytes\n"),
            ..Reply::default()
        }
    };
    let capture = Capture {
        id: catcher.store.next_id(),
        bin: name.to_owned(),
        at: bluehook_core::now_ms() as i64,
        method: parts.method.to_string(),
        target: parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| path.to_owned()),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: bytes,
        body_size: declared.filter(|d| *d >= seen).unwrap_or(seen),
        complete,
        remote: peer.to_string(),
        status: reply.status,
        delay_ms: reply.delay_ms,
    };
    let id = capture.id;
    let summary = CaptureSummary {
        id,
        bin: capture.bin.clone(),
        at: capture.at,
        method: capture.method.clone(),
        target: capture.target.clone(),
        body_size: capture.body_size,
        status: capture.status,
    };
    if !catcher.store.capture(capture).await {
        return text(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{}\n", CatcherError::Stopped),
        );
    }
    let _ = catcher.live.send(summary);
    if reply.delay_ms > 0 {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(reply.delay_ms)) => {}
            _ = catcher.cancel.cancelled() => {}
        }
    }
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert("x-bluehook-capture", HeaderValue::from(id));
    for (k, v) in &reply.headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::try_from(k.as_str()),
            HeaderValue::try_from(v.as_str()),
        ) {
            headers.insert(k, v);
        }
    }
    response
}

/// Headers not sent again when forwarding (they describe the original connection).
const HOP_HEADERS: [&str; 9] = [
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "expect",
    "proxy-connection",
];

/// Sends a capture again, to `url` (with the capture's query appended when `keep_query`):
/// same method, headers and body bytes.
pub async fn forward(capture: &Capture, url: &str, keep_query: bool) -> Forwarded {
    use crate::http::{Client, Target};
    let started = std::time::Instant::now();
    let mut out = Forwarded {
        url: url.to_owned(),
        status: None,
        headers: Vec::new(),
        body: String::new(),
        latency_ms: 0.0,
        error: None,
    };
    let target = match Target::parse(url) {
        Ok(t) => t,
        Err(e) => {
            out.error = Some(e.to_string());
            return out;
        }
    };
    let query = keep_query
        .then(|| capture.target.split_once('?').map(|(_, q)| q))
        .flatten()
        .filter(|q| !q.is_empty());
    let method = axum::http::Method::from_bytes(capture.method.as_bytes())
        .unwrap_or(axum::http::Method::POST);
    let mut headers = axum::http::HeaderMap::new();
    for (k, v) in &capture.headers {
        if HOP_HEADERS.contains(&k.to_ascii_lowercase().as_str()) {
            continue;
        }
        if let Ok((k, v)) = crate::http::header(k, v) {
            headers.append(k, v);
        }
    }
    let mut client = Client::new(10);
    let answer = client
        .send(
            method,
            &target,
            query,
            &headers,
            capture.body.clone(),
            Duration::from_secs(30),
        )
        .await;
    out.latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    match answer {
        Ok(a) => {
            out.status = Some(a.status.as_u16());
            out.headers = a
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            out.body = String::from_utf8_lossy(&a.body).into_owned();
        }
        Err(e) => out.error = Some(e.to_string()),
    }
    out
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
                Err(CatcherError::BadReply { index: 1, .. })
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
    fn names_and_masks() {
        assert!(valid_name("my-bin_1.x"));
        assert!(
            !valid_name("")
                && !valid_name("..")
                && !valid_name("a b")
                && !valid_name(&"a".repeat(65))
        );
        assert_eq!(mask("Bearer s3cret"), "Bearer ***");
        assert_eq!(mask("s3cret"), "***");
    }
}

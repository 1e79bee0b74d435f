//! The catcher: a request bin for integration developers (default `127.0.0.1:3007`).
//!
//! Any method to `/{bin}` or `/{bin}/anything` is captured — method, path and query,
//! headers, body up to the limit (above it the answer is 413 and the capture says so), peer
//! address, time — stored ([`crate::captures`]) and streamed live, then answered with the
//! bin's scripted reply ([`crate::bins`]). Bins are created on first use (unless
//! `auto_create` is off) or through the admin API ([`crate::catcher_api`]). A capture is read
//! back decoded and judged by its bin's checks ([`bluehook_core::decode`],
//! [`bluehook_core::verify`]).
//!
//! A request is answered only after its capture is committed. Limits keep an open port from
//! hurting the relay: bins at most, bytes kept in all, requests at once, time to send a body.
//! Captures are shown with credentials masked: the values of `Authorization`, `X-API-KEY`,
//! `Cookie` and the bin's API key header, and any known secret (a server's shared secret, a
//! permanent hook's header value) wherever it appears in a header.

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use bluehook_core::config::{CatcherConfig, Secret};
use bluehook_core::decode::{decode, Decoded};
use bluehook_core::verify::{self, Verdict};
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use serde::Serialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::bins::{valid_name, BinConfig, BinError, Reply};
use crate::captures::{Capture, CaptureStore, Limits, StoredBin};
use crate::live_feed::{FeedReceiver, LiveFeed};

/// A catcher operation that cannot be done.
#[derive(Debug, thiserror::Error)]
pub enum CatcherError {
    /// The name or settings are not usable.
    #[error(transparent)]
    Invalid(#[from] BinError),
    /// The bin does not exist.
    #[error("no bin {0:?}")]
    NoBin(String),
    /// As many bins as allowed exist already.
    #[error("there are {0} bins already, the most allowed: delete some first")]
    TooManyBins(usize),
    /// The storage thread has stopped or cannot write.
    #[error("the catcher's storage has stopped or cannot write")]
    Stopped,
}

/// Time allowed for sending a request body.
const BODY_TIME: Duration = Duration::from_secs(30);
/// Bodies above the limit are read and dropped up to this many times the limit, so the 413
/// reaches a client still sending; beyond it the connection is closed.
const DRAIN_FACTOR: usize = 8;
/// Bodies larger than this are not decoded in capture lists (one capture shows them whole).
const LIST_DECODE_LIMIT: usize = 64 * 1024;

/// A bin in memory.
struct Bin {
    created_at: i64,
    config: BinConfig,
    /// Requests answered since the script was set: picks the next reply.
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
    /// The capture (credentials masked).
    #[serde(flatten)]
    pub capture: Capture,
    /// The body decoded (absent in lists for large bodies: read the capture itself).
    pub decoded: Option<Decoded>,
    /// The bin's checks.
    pub verdicts: Vec<Verdict>,
}

/// Secret values shorter than this are not searched for in headers.
const MIN_MASKED_SECRET: usize = 6;

/// Headers whose values are credentials.
const CREDENTIAL_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
];

/// The callback URLs of every hook the relay knows, as registered.
pub type HookUrls = Box<dyn Fn() -> Vec<String> + Send + Sync>;

/// The catcher.
pub struct Catcher {
    /// Listener settings and limits.
    config: CatcherConfig,
    /// Where bins and captures are written.
    store: CaptureStore,
    /// Bins by name, read on every request.
    bins: RwLock<HashMap<String, Arc<Bin>>>,
    /// Held across check, save and insert (or removal) of a bin, so that creating, replacing
    /// and deleting bins never interleave.
    changes: tokio::sync::Mutex<()>,
    /// BBB servers' names and secrets, for the checksum check.
    servers: Vec<(String, Secret)>,
    /// Values masked wherever they appear in a captured header.
    secrets: Vec<Secret>,
    /// The hooks' registered URLs, for the checksum check.
    hook_urls: HookUrls,
    /// Requests being read and stored; beyond the limit new ones get 503.
    in_flight: Arc<Semaphore>,
    /// New captures, for live streams.
    live: LiveFeed<CaptureSummary>,
    /// Cuts scripted delays short when the engine stops.
    cancel: CancellationToken,
}

impl std::fmt::Debug for Catcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catcher")
            .field("store", &self.store)
            .finish()
    }
}

/// What the catcher needs to know of the rest of the engine.
pub struct Context {
    /// BBB servers' names and shared secrets.
    pub servers: Vec<(String, Secret)>,
    /// Other secret values to mask in captured headers (permanent hooks' header values…).
    pub secrets: Vec<Secret>,
    /// The hooks' registered URLs.
    pub hook_urls: HookUrls,
    /// The engine's stop signal.
    pub cancel: CancellationToken,
}

impl Catcher {
    /// Opens the catcher's storage beside the main database `db` and loads its bins. The join
    /// handle is the storage thread's, which ends when the catcher is dropped.
    pub fn open(
        config: CatcherConfig,
        db: &std::path::Path,
        context: Context,
    ) -> Result<(Arc<Catcher>, std::thread::JoinHandle<()>), crate::store::StoreError> {
        let limits = Limits {
            keep_per_bin: config.keep_per_bin,
            max_total_bytes: config.max_total_mb * 1024 * 1024,
        };
        let (store, saved, writer) = CaptureStore::open(&crate::captures::path_beside(db), limits)?;
        let bins = saved
            .into_iter()
            .map(|b| {
                let config = serde_json::from_str(&b.config).unwrap_or_else(|e| {
                    tracing::warn!(bin = %b.name, error = %e, "stored bin settings do not decode; using defaults");
                    BinConfig::default()
                });
                (b.name, Arc::new(Bin::new(b.created_at, config)))
            })
            .collect();
        let live = LiveFeed::new(1024);
        let mut secrets = context.secrets;
        secrets.extend(context.servers.iter().map(|(_, s)| s.clone()));
        Ok((
            Arc::new(Catcher {
                in_flight: Arc::new(Semaphore::new(config.max_concurrent)),
                config,
                store,
                bins: RwLock::new(bins),
                changes: tokio::sync::Mutex::new(()),
                servers: context.servers,
                secrets,
                hook_urls: context.hook_urls,
                live,
                cancel: context.cancel,
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
    pub fn subscribe(&self) -> FeedReceiver<CaptureSummary> {
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
            return Err(BinError::BadName(name.to_owned()).into());
        }
        config.validate()?;
        let _change = self.changes.lock().await;
        let old = self.bins().get(name).cloned();
        if let Some(old) = &old {
            config.keep_secrets_of(&old.config);
        }
        let created_at = match &old {
            Some(b) => b.created_at,
            None => self.room_for_one_more()?,
        };
        self.save(name, Bin::new(created_at, config)).await?;
        Ok(old.is_none())
    }

    /// The creation time of a new bin, if one more is allowed.
    fn room_for_one_more(&self) -> Result<i64, CatcherError> {
        let count = self.bins().len();
        if count >= self.config.max_bins {
            return Err(CatcherError::TooManyBins(count));
        }
        Ok(bluehook_core::now_ms() as i64)
    }

    /// Stores `bin` and then shows it (call with `changes` held).
    async fn save(&self, name: &str, bin: Bin) -> Result<Arc<Bin>, CatcherError> {
        let stored = StoredBin {
            name: name.to_owned(),
            created_at: bin.created_at,
            config: serde_json::to_string(&bin.config).unwrap_or_else(|_| "{}".into()),
        };
        if !self.store.save_bin(stored).await {
            return Err(CatcherError::Stopped);
        }
        let bin = Arc::new(bin);
        self.bins_mut().insert(name.to_owned(), bin.clone());
        Ok(bin)
    }

    /// Deletes a bin and its captures.
    pub async fn delete(&self, name: &str) -> Result<(), CatcherError> {
        let _change = self.changes.lock().await;
        if !self.bins().contains_key(name) {
            return Err(CatcherError::NoBin(name.to_owned()));
        }
        if !self.store.delete_bin(name).await {
            return Err(CatcherError::Stopped);
        }
        self.bins_mut().remove(name);
        Ok(())
    }

    /// Deletes a bin's captures and starts its script over.
    pub async fn clear(&self, name: &str) -> Result<(), CatcherError> {
        let Some(bin) = self.bins().get(name).cloned() else {
            return Err(CatcherError::NoBin(name.to_owned()));
        };
        if !self.store.clear_bin(name).await {
            return Err(CatcherError::Stopped);
        }
        bin.served.store(0, Ordering::SeqCst);
        Ok(())
    }

    /// Decodes captures, checks each against its bin's settings and masks their credentials.
    /// `listing`: leave large bodies undecoded. CPU-bound: call from a blocking thread.
    pub fn inspect(&self, captures: Vec<Capture>, listing: bool) -> Vec<Inspected> {
        let hook_urls = (self.hook_urls)();
        let hook_urls: Vec<&str> = hook_urls.iter().map(String::as_str).collect();
        captures
            .into_iter()
            .map(|c| self.inspect_one(c, listing, &hook_urls))
            .collect()
    }

    fn inspect_one(&self, mut capture: Capture, listing: bool, hook_urls: &[&str]) -> Inspected {
        let config = self
            .bins()
            .get(&capture.bin)
            .map(|b| b.config.clone())
            .unwrap_or_default();
        let decoded = (!listing || capture.body.len() <= LIST_DECODE_LIMIT)
            .then(|| decode(capture.header("content-type"), &capture.body));
        let checks = &config.checks;
        let verdicts = verify::verdicts(
            &verify::Request {
                target: &capture.target,
                headers: &capture.headers,
                body: &capture.body,
                complete: capture.complete,
                received_at_ms: capture.at as u64,
            },
            &verify::Checks {
                bbb: self
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
                    .collect(),
                callback_url: checks.callback_url.as_deref(),
                registered_urls: hook_urls.to_vec(),
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
        let bin_secrets = [
            checks.signing_secret.as_ref(),
            checks.hmac_sha1.as_ref().map(|h| &h.secret),
            checks.api_key.as_ref().map(|h| &h.secret),
        ];
        let known: Vec<&str> = self
            .secrets
            .iter()
            .chain(bin_secrets.into_iter().flatten())
            .map(Secret::expose)
            // Short values would mask ordinary text; real secrets are longer.
            .filter(|s| s.len() >= MIN_MASKED_SECRET)
            .collect();
        for (name, value) in &mut capture.headers {
            let lower = name.to_ascii_lowercase();
            if CREDENTIAL_HEADERS.contains(&lower.as_str())
                || key_header.is_some_and(|k| k.eq_ignore_ascii_case(name))
            {
                *value = mask(&lower, value);
            }
            for secret in &known {
                if value.contains(secret) {
                    *value = value.replace(secret, "***");
                }
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

    /// The bin for a request: an existing one, or a new one when auto-creation is on.
    async fn bin_for(&self, name: &str) -> Result<Option<Arc<Bin>>, CatcherError> {
        if let Some(b) = self.bins().get(name) {
            return Ok(Some(b.clone()));
        }
        if !self.config.auto_create {
            return Ok(None);
        }
        let _change = self.changes.lock().await;
        // Another request may have created it while this one waited.
        if let Some(b) = self.bins().get(name) {
            return Ok(Some(b.clone()));
        }
        let created_at = self.room_for_one_more()?;
        self.save(name, Bin::new(created_at, BinConfig::default()))
            .await
            .map(Some)
    }
}

impl Bin {
    fn new(created_at: i64, config: BinConfig) -> Bin {
        Bin {
            created_at,
            config,
            served: AtomicU64::new(0),
        }
    }
}

/// A credential header's value masked: `Bearer abcd…` → `Bearer ***` for the authorization
/// headers (the scheme tells how the client authenticated), `***` for everything else.
fn mask(lower_name: &str, value: &str) -> String {
    if lower_name.ends_with("authorization") {
        if let Some((scheme, _)) = value.split_once(' ') {
            if !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return format!("{scheme} ***");
            }
        }
    }
    "***".into()
}

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

/// A request body as read.
struct ReadBody {
    /// At most the limit's worth.
    bytes: Bytes,
    /// Bytes the client sent (until reading stopped).
    seen: u64,
    /// Whether it fit within the limit.
    complete: bool,
    /// Whether the client finished sending (else the connection must close).
    finished: bool,
}

/// Reads `body`, keeping at most `limit` bytes and dropping the rest up to `DRAIN_FACTOR`
/// times the limit.
async fn read_limited(body: Body, limit: usize) -> Result<ReadBody, axum::Error> {
    let mut body = body;
    let mut buf = BytesMut::new();
    let mut seen: u64 = 0;
    let drain = (limit.max(1) * DRAIN_FACTOR) as u64;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        seen += data.len() as u64;
        let room = limit.saturating_sub(buf.len());
        buf.extend_from_slice(&data[..data.len().min(room)]);
        if seen > drain {
            return Ok(ReadBody {
                bytes: buf.freeze(),
                seen,
                complete: false,
                finished: false,
            });
        }
    }
    Ok(ReadBody {
        bytes: buf.freeze(),
        seen,
        complete: seen <= limit as u64,
        finished: true,
    })
}

async fn catch(
    State(catcher): State<Arc<Catcher>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let Ok(permit) = catcher.in_flight.clone().try_acquire_owned() else {
        return text(
            StatusCode::SERVICE_UNAVAILABLE,
            "the catcher is busy: too many requests at once\n".into(),
        );
    };
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
            format!("{}\n", BinError::BadName(name.to_owned())),
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
        Err(e @ CatcherError::TooManyBins(_)) => {
            return text(StatusCode::INSUFFICIENT_STORAGE, format!("{e}\n"))
        }
        Err(e) => return text(StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")),
    };
    let limit = catcher.config.max_body_bytes;
    let declared: Option<u64> = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let read = match tokio::time::timeout(BODY_TIME, read_limited(body, limit)).await {
        Ok(Ok(read)) => read,
        Ok(Err(e)) => {
            tracing::debug!(bin = name, error = %e, "catcher request body broke off");
            return text(StatusCode::BAD_REQUEST, "request body broke off\n".into());
        }
        Err(_) => {
            return text(
                StatusCode::REQUEST_TIMEOUT,
                format!("the body took more than {} s\n", BODY_TIME.as_secs()),
            )
        }
    };
    let reply = if read.complete {
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
        headers: crate::http::header_pairs(&parts.headers),
        body: read.bytes,
        body_size: declared.filter(|d| *d >= read.seen).unwrap_or(read.seen),
        complete: read.complete,
        remote: peer.to_string(),
        status: reply.status,
        delay_ms: reply.delay_ms,
    };
    let summary = CaptureSummary {
        id: capture.id,
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
    catcher.live.send_with(|| summary.clone());
    // A scripted delay holds a connection, not memory: it does not count as in flight.
    drop(permit);
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
    headers.insert("x-bluehook-capture", HeaderValue::from(summary.id));
    for (k, v) in &reply.headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::try_from(k.as_str()),
            HeaderValue::try_from(v.as_str()),
        ) {
            headers.insert(k, v);
        }
    }
    if !read.finished {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask("authorization", "Bearer s3cret"), "Bearer ***");
        assert_eq!(
            mask("proxy-authorization", "Basic dXNlcjpwdw=="),
            "Basic ***"
        );
        assert_eq!(mask("authorization", "s3cret"), "***");
        assert_eq!(mask("authorization", "tok=en with space"), "***");
        assert_eq!(mask("cookie", "session=s3cret; theme=x"), "***");
        assert_eq!(mask("x-api-key", "two words"), "***");
    }
}

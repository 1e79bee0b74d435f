//! The admin API: JSON over HTTP with a bearer token, Server-Sent Events for live streams,
//! streamed exports, and Prometheus `/metrics`. Listens on 127.0.0.1:3006 by default.
//!
//! Every call needs `Authorization: Bearer <token>`; the token is configured or generated on
//! first run and kept in `<data_dir>/admin-token` (mode 0600). Queries open their own read-only
//! connection on a blocking thread, so nothing here ever slows the relay. Hooks are shown with
//! header values and signing secrets hidden; servers without their shared secret.
//!
//! | call | what |
//! |---|---|
//! | `GET /api/v1/servers` | servers, Redis state, counters |
//! | `GET /api/v1/servers/{server}/hooks` | a server's hooks |
//! | `GET /api/v1/events?…` | events (filters: `server meeting type hook outcome since until text after limit`) |
//! | `GET /api/v1/events/{id}` | one event with its attempts |
//! | `GET /api/v1/attempts?…` | attempts (filters: `server hook outcome event meeting type since until after limit`) |
//! | `GET /api/v1/gaps`, `GET /api/v1/hook-log` | ingest outages, hook lifecycle |
//! | `GET /api/v1/export?table=events\|attempts&format=csv\|ndjson\|json&…` | streamed download, `X-Total-Count` header |
//! | `GET /api/v1/stream` | SSE: `event`, `attempt` and `capture` messages as they happen |
//! | `/api/v1/bins…`, `/api/v1/captures…` | the catcher ([`crate::catcher_api`]) |
//! | `POST /api/v1/simulate` | start a simulated meeting (JSON [`crate::simulator::Request`]) |
//! | `GET /api/v1/simulate` | simulations under way |
//! | `DELETE /api/v1/simulate/{id}` | stop one |
//! | `GET /metrics` | Prometheus text |

use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bluehook_core::config::redact_url;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::audit::{AuditLog, Live};
use crate::dispatch::Dispatcher;
use crate::export::{self, Format, Table};
use crate::query::{Filter, Reader};
use crate::stats::ServerStats;
use crate::store::StoreError;

/// What the admin API serves.
pub struct AdminState {
    /// The database file.
    pub db: PathBuf,
    /// Servers by name: hooks and counters.
    pub servers: Vec<(Arc<Dispatcher>, Arc<ServerStats>)>,
    /// Live stream source (None: audit log off).
    pub audit: Option<Arc<AuditLog>>,
    /// The catcher (None: off).
    pub catcher: Option<Arc<crate::catcher::Catcher>>,
    /// Starts simulated meetings.
    pub simulator: Arc<crate::simulator::Simulator>,
    /// The bearer token.
    pub token: String,
    /// Ends live streams when the engine stops (they would hold the shutdown otherwise).
    pub cancel: tokio_util::sync::CancellationToken,
}

/// The admin token: the configured one, else the one kept in `<data_dir>/admin-token`, else a
/// new random one written there with mode 0600.
pub fn token(configured: &str, data_dir: &Path) -> Result<String, StoreError> {
    if !configured.is_empty() {
        return Ok(configured.to_owned());
    }
    let path = data_dir.join("admin-token");
    let io = |source| StoreError::Dir {
        path: path.clone(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(t) if !t.trim().is_empty() => return Ok(t.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    let token = format!("bh_{}", uuid::Uuid::new_v4().simple());
    let mut file = crate::store::open_private(&path, true).map_err(io)?;
    std::io::Write::write_all(&mut file, token.as_bytes()).map_err(io)?;
    Ok(token)
}

/// The admin router.
pub fn router(state: Arc<AdminState>) -> Router {
    Router::new()
        .route("/api/v1/servers", get(servers))
        .route("/api/v1/servers/{server}/hooks", get(hooks))
        .route("/api/v1/events", get(events))
        .route("/api/v1/events/{id}", get(event))
        .route("/api/v1/attempts", get(attempts))
        .route("/api/v1/gaps", get(gaps))
        .route("/api/v1/hook-log", get(hook_log))
        .route("/api/v1/export", get(download))
        .route("/api/v1/stream", get(stream))
        .route(
            "/api/v1/simulate",
            axum::routing::post(simulate).get(simulations),
        )
        .route(
            "/api/v1/simulate/{id}",
            axum::routing::delete(stop_simulation),
        )
        .route("/metrics", get(metrics))
        .merge(crate::catcher_api::routes())
        .layer(middleware::from_fn_with_state(state.clone(), authorize))
        .with_state(state)
}

async fn authorize(State(state): State<Arc<AdminState>>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if bluehook_core::checksum::constant_time_eq(given.as_bytes(), state.token.as_bytes()) {
        next.run(request).await
    } else {
        let mut r = error(StatusCode::UNAUTHORIZED, "a valid bearer token is required");
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        r
    }
}

/// A JSON error answer.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

fn store_error(e: StoreError) -> Response {
    tracing::error!(error = %e, "admin query failed");
    error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())
}

/// Runs a read on a blocking thread with its own read-only connection.
async fn read<T: Send + 'static>(
    state: &AdminState,
    f: impl FnOnce(&Reader) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Response> {
    let db = state.db.clone();
    tokio::task::spawn_blocking(move || Reader::open(&db).and_then(|r| f(&r)))
        .await
        .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()))?
        .map_err(store_error)
}

async fn servers(State(state): State<Arc<AdminState>>) -> Response {
    let list: Vec<serde_json::Value> = state
        .servers
        .iter()
        .map(|(d, stats)| {
            let s = d.server();
            serde_json::json!({
                "name": s.name,
                "domain": s.domain,
                "redis_url": redact_url(s.redis_url.expose()),
                "redis_ca_file": s.redis_ca_file,
                "redis_cert_file": s.redis_cert_file,
                "redis_key_file": s.redis_key_file,
                "channels": s.channels,
                "bearer_auth": s.bearer_auth,
                "hook_checksum_algorithm": s.hook_checksum_algorithm,
                "hooks": d.list().len(),
                "stats": stats.snapshot(),
            })
        })
        .collect();
    Json(list).into_response()
}

async fn hooks(State(state): State<Arc<AdminState>>, UrlPath(server): UrlPath<String>) -> Response {
    let Some((d, _)) = state
        .servers
        .iter()
        .find(|(d, _)| d.server().name == server)
    else {
        return error(StatusCode::NOT_FOUND, "no such server");
    };
    let hooks: Vec<serde_json::Value> = d
        .list()
        .into_iter()
        .map(|h| {
            serde_json::json!({
                "id": h.id,
                "callback_url": h.callback_url,
                "meeting_id": h.meeting_id,
                "event_ids": h.event_ids,
                "permanent": h.permanent,
                "get_raw": h.get_raw,
                "name": h.name,
                "method": h.method,
                "headers": h.headers.iter().map(|(k, _)| (k.clone(), "***")).collect::<HashMap<_, _>>(),
                "signed": h.signing_secret.is_some(),
                "active": h.active,
            })
        })
        .collect();
    Json(hooks).into_response()
}

async fn events(State(state): State<Arc<AdminState>>, Query(filter): Query<Filter>) -> Response {
    match read(&state, move |r| r.events(&filter)).await {
        Ok(page) => Json(page).into_response(),
        Err(r) => r,
    }
}

async fn event(State(state): State<Arc<AdminState>>, UrlPath(id): UrlPath<i64>) -> Response {
    let found = read(&state, move |r| {
        let filter = Filter {
            event: Some(id),
            ..Filter::default()
        };
        let event = r.events(&filter)?.items.pop();
        let attempts = r
            .attempts(&Filter {
                limit: Some(1000),
                ..filter
            })?
            .items;
        Ok((event, attempts))
    })
    .await;
    match found {
        Ok((Some(event), attempts)) => {
            Json(serde_json::json!({ "event": event, "attempts": attempts })).into_response()
        }
        Ok((None, _)) => error(StatusCode::NOT_FOUND, "no such event"),
        Err(r) => r,
    }
}

async fn attempts(State(state): State<Arc<AdminState>>, Query(filter): Query<Filter>) -> Response {
    match read(&state, move |r| r.attempts(&filter)).await {
        Ok(page) => Json(page).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct ServerParam {
    server: Option<String>,
}

async fn gaps(State(state): State<Arc<AdminState>>, Query(p): Query<ServerParam>) -> Response {
    let rows = read(&state, move |r| r.gaps(p.server.as_deref())).await;
    match rows {
        Ok(rows) => Json(rows).into_response(),
        Err(r) => r,
    }
}

async fn hook_log(State(state): State<Arc<AdminState>>, Query(p): Query<ServerParam>) -> Response {
    let rows = read(&state, move |r| r.hook_log(p.server.as_deref())).await;
    match rows {
        Ok(rows) => Json(rows).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct ExportParams {
    table: Option<String>,
    format: Option<String>,
}

/// A `Write` that hands chunks to an HTTP body.
struct ChannelWriter(tokio::sync::mpsc::Sender<Result<bytes::Bytes, std::io::Error>>);

impl std::io::Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(bytes::Bytes::copy_from_slice(buf)))
            .map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::BrokenPipe, "download cancelled")
            })?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn download(
    State(state): State<Arc<AdminState>>,
    Query(p): Query<ExportParams>,
    Query(filter): Query<Filter>,
) -> Response {
    let table: Table = match p.table.as_deref().unwrap_or("events").parse() {
        Ok(t) => t,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let format: Format = match p.format.as_deref().unwrap_or("ndjson").parse() {
        Ok(f) => f,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let mut filter = filter;
    filter.limit = None;
    let counted = filter.clone();
    let total = match read(&state, move |r| match table {
        Table::Events => r.count_events(&counted),
        Table::Attempts => r.count_attempts(&counted),
    })
    .await
    {
        Ok(n) => n,
        Err(r) => return r,
    };
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let db = state.db.clone();
    tokio::task::spawn_blocking(move || {
        let result = Reader::open(&db)
            .map_err(export::ExportError::from)
            .and_then(|reader| {
                export::export(
                    &reader,
                    table,
                    format,
                    &filter,
                    ChannelWriter(tx.clone()),
                    |_| {},
                )
            });
        if let Err(e) = result {
            tracing::warn!(error = %e, "export download ended early");
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let name = match table {
        Table::Events => "events",
        Table::Attempts => "attempts",
    };
    let mut r = Response::new(Body::from_stream(stream));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"bluehook-{name}.{}\"",
        format.extension()
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert("x-total-count", HeaderValue::from(total));
    r
}

#[derive(Deserialize)]
struct StreamParams {
    /// `events`, `attempts`, `captures` (comma-separated); default all.
    kinds: Option<String>,
    /// Only events and attempts of this server.
    server: Option<String>,
    /// Only captures of this bin.
    bin: Option<String>,
}

type SseItem = Result<SseEvent, std::convert::Infallible>;

/// A live feed as a stream of SSE messages: `pick` turns an item into a message or
/// skips it; a lag becomes a `lagged` message; the stream ends with the engine.
fn sse_from<T: Clone + Send + 'static>(
    rx: crate::live_feed::FeedReceiver<T>,
    cancel: tokio_util::sync::CancellationToken,
    pick: impl Fn(&T) -> Option<SseEvent> + Send + Sync + 'static,
) -> futures_util::stream::BoxStream<'static, SseItem> {
    let pick = Arc::new(pick);
    Box::pin(futures_util::stream::unfold(rx, move |mut rx| {
        let cancel = cancel.clone();
        let pick = pick.clone();
        async move {
            loop {
                let received = tokio::select! {
                    _ = cancel.cancelled() => return None,
                    r = rx.recv() => r,
                };
                match received {
                    Ok(item) => {
                        if let Some(e) = pick(&item) {
                            return Some((Ok(e), rx));
                        }
                    }
                    Err(crate::live_feed::RecvError::Lagged(n)) => {
                        let e = SseEvent::default().event("lagged").data(n.to_string());
                        return Some((Ok(e), rx));
                    }
                    Err(crate::live_feed::RecvError::Closed) => return None,
                }
            }
        }
    }))
}

async fn stream(State(state): State<Arc<AdminState>>, Query(p): Query<StreamParams>) -> Response {
    // By default, everything that is on.
    let kinds = p.kinds.unwrap_or_else(|| {
        let mut k = Vec::new();
        if state.audit.is_some() {
            k.push("events,attempts");
        }
        if state.catcher.is_some() {
            k.push("captures");
        }
        k.join(",")
    });
    if kinds.is_empty() {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the audit log and the catcher are off",
        );
    }
    let want = |k: &str| kinds.split(',').any(|x| x.trim() == k);
    let (want_events, want_attempts, want_captures) =
        (want("events"), want("attempts"), want("captures"));
    let mut streams = Vec::new();
    if want_events || want_attempts {
        let Some(audit) = &state.audit else {
            return error(StatusCode::SERVICE_UNAVAILABLE, "the audit log is off");
        };
        let server = p.server;
        streams.push(sse_from(
            audit.subscribe(),
            state.cancel.clone(),
            move |item| {
                let (kind, item_server) = match item {
                    Live::Event { server, .. } => ("event", server),
                    Live::Attempt(a) => ("attempt", &a.server),
                };
                if (kind == "event" && !want_events) || (kind == "attempt" && !want_attempts) {
                    return None;
                }
                if server.as_deref().is_some_and(|s| s != &**item_server) {
                    return None;
                }
                let data = serde_json::to_string(item).unwrap_or_default();
                Some(SseEvent::default().event(kind).data(data))
            },
        ));
    }
    if want_captures {
        let Some(catcher) = &state.catcher else {
            return error(StatusCode::SERVICE_UNAVAILABLE, "the catcher is off");
        };
        let bin = p.bin;
        streams.push(sse_from(
            catcher.subscribe(),
            state.cancel.clone(),
            move |c| {
                if bin.as_deref().is_some_and(|b| b != c.bin) {
                    return None;
                }
                let data = serde_json::to_string(c).unwrap_or_default();
                Some(SseEvent::default().event("capture").data(data))
            },
        ));
    }
    Sse::new(futures_util::stream::select_all(streams))
        .keep_alive(KeepAlive::default())
        .into_response()
}

async fn simulate(
    State(state): State<Arc<AdminState>>,
    request: Result<Json<crate::simulator::Request>, axum::extract::rejection::JsonRejection>,
) -> Response {
    use crate::simulator::SimulateError;
    let Json(request) = match request {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.body_text()),
    };
    match state.simulator.start(&request).await {
        Ok(started) => (StatusCode::ACCEPTED, Json(started)).into_response(),
        Err(e) => {
            let status = match e {
                SimulateError::NoServer(_) => StatusCode::NOT_FOUND,
                SimulateError::Invalid(_) => StatusCode::BAD_REQUEST,
                SimulateError::Redis(_) => StatusCode::BAD_GATEWAY,
                SimulateError::Stopped => StatusCode::SERVICE_UNAVAILABLE,
            };
            error(status, &e.to_string())
        }
    }
}

async fn simulations(State(state): State<Arc<AdminState>>) -> Response {
    Json(state.simulator.running()).into_response()
}

async fn stop_simulation(
    State(state): State<Arc<AdminState>>,
    UrlPath(id): UrlPath<u64>,
) -> Response {
    if state.simulator.stop(id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error(StatusCode::NOT_FOUND, "no such simulation running")
    }
}

async fn metrics(State(state): State<Arc<AdminState>>) -> Response {
    use std::fmt::Write;
    let mut out = String::new();
    type Counter = (
        &'static str,
        &'static str,
        fn(&crate::stats::StatsSnapshot) -> u64,
    );
    let counters: [Counter; 14] = [
        (
            "bluehook_messages_received_total",
            "Raw messages received",
            |s| s.received,
        ),
        (
            "bluehook_messages_malformed_total",
            "Messages that were not JSON",
            |s| s.malformed,
        ),
        (
            "bluehook_messages_unknown_total",
            "Messages of types that are not relayed",
            |s| s.unknown,
        ),
        (
            "bluehook_messages_ignored_total",
            "Known messages dropped on purpose",
            |s| s.ignored,
        ),
        (
            "bluehook_messages_failed_total",
            "Known messages that could not be translated",
            |s| s.translate_failed,
        ),
        ("bluehook_events_total", "Normalized events produced", |s| {
            s.events
        }),
        (
            "bluehook_events_filtered_total",
            "Events dropped by include/exclude lists",
            |s| s.filtered,
        ),
        (
            "bluehook_deliveries_queued_total",
            "Deliveries queued",
            |s| s.queued,
        ),
        (
            "bluehook_deliveries_delivered_total",
            "Deliveries that reached their hook",
            |s| s.delivered,
        ),
        ("bluehook_attempts_failed_total", "Failed attempts", |s| {
            s.failed_attempts
        }),
        (
            "bluehook_deliveries_dropped_total",
            "Deliveries dropped with their hook",
            |s| s.dropped,
        ),
        (
            "bluehook_hooks_removed_total",
            "Hooks removed after exhausting retries",
            |s| s.hooks_removed,
        ),
        (
            "bluehook_redis_connects_total",
            "Redis (re)connections",
            |s| s.redis_connects,
        ),
        (
            "bluehook_redis_errors_total",
            "Failed Redis connections or subscriptions (refused, TLS handshake, authentication)",
            |s| s.redis_errors,
        ),
    ];
    for (name, help, value) in counters {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for (d, stats) in &state.servers {
            let _ = writeln!(
                out,
                "{name}{{server=\"{}\"}} {}",
                d.server().name,
                value(&stats.snapshot())
            );
        }
    }
    let _ = writeln!(out, "# HELP bluehook_redis_up Whether the Redis subscription is up\n# TYPE bluehook_redis_up gauge");
    for (d, stats) in &state.servers {
        let _ = writeln!(
            out,
            "bluehook_redis_up{{server=\"{}\"}} {}",
            d.server().name,
            stats.snapshot().redis_up as u8
        );
    }
    let _ = writeln!(
        out,
        "# HELP bluehook_hooks Registered hooks\n# TYPE bluehook_hooks gauge"
    );
    for (d, _) in &state.servers {
        let _ = writeln!(
            out,
            "bluehook_hooks{{server=\"{}\"}} {}",
            d.server().name,
            d.list().len()
        );
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

//! Sending callbacks: one worker task per hook, one request in flight, in order, with retries.
//!
//! A worker takes [`Delivery`]s from its hook's queue one at a time. The body's `timestamp` is
//! the instant the delivery starts and stays the same across its retries (so does the
//! checksum), as in bbb-webhooks. An attempt succeeds when the final answer (redirects
//! followed) is 2xx or 401; anything else, a timeout or a connection error is retried after
//! the configured intervals. When the intervals are used up a permanent hook keeps trying every
//! `permanent_interval_reset_ms`; any other hook is removed, and its queue with it.
//! A worker never waits for another hook: queues, tasks and connections are per hook.
//!
//! A delivered attempt is logged while the next request waits (for its answer, or for its
//! connection), not between an answer and the next request, where with one busy hook that
//! work lay on the path of every delivery; a failed attempt is logged at once, and the last
//! one before the worker waits for events or stops.

use bluehook_core::callback::CONTENT_TYPE as CALLBACK_CONTENT_TYPE;
use bluehook_core::checksum::{callback_sum, Sum};
use bluehook_core::config::{DeliveryConfig, ServerConfig};
use bluehook_core::hook::{Hook, Method};
use bluehook_core::{now_ms, signature};
use bytes::Bytes;
use hyper::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::attempt_runs::{Gathering, Run};
use crate::audit::{AttemptRow, AuditLog, Record};
use crate::delivery_threads::Runtimes;
use crate::dispatch::{Delivery, Dispatcher};
use crate::http::{self, HttpError};
use crate::stats::ServerStats;

/// How often an idle worker moves its cursor up to what has been dispatched.
const IDLE_CURSOR_INTERVAL: Duration = Duration::from_secs(5);

/// What every worker shares: the delivery settings, the threads workers run on, and whom https
/// hook URLs must be certified by.
#[derive(Debug)]
pub struct DeliveryContext {
    /// Retry schedule, timeout, user agent, redirects.
    pub config: DeliveryConfig,
    /// Where hook workers run.
    pub threads: Arc<Runtimes>,
    /// Whom https hook URLs must be certified by ([`http::with_extra_roots`]).
    pub tls: Arc<rustls::ClientConfig>,
}

impl DeliveryContext {
    /// Settings for every worker, the threads they run on, and their https trust.
    pub fn new(
        config: DeliveryConfig,
        threads: Arc<Runtimes>,
        tls: Arc<rustls::ClientConfig>,
    ) -> Self {
        DeliveryContext {
            config,
            threads,
            tls,
        }
    }
}

/// Why one attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttemptError {
    /// No response headers within the request timeout.
    #[error("timed out")]
    Timeout,
    /// The answer's status counts as failure.
    #[error("HTTP status {0}")]
    Status(u16),
    /// No answer: connection, TLS, URL, header or redirect trouble.
    #[error(transparent)]
    Http(#[from] HttpError),
}

/// What a worker computes once for its hook.
struct Prepared {
    target: Result<http::Target, HttpError>,
    headers: Result<HeaderMap, HttpError>,
    /// The request headers as the audit log shows them, when every attempt sends the same
    /// ones (no signature headers).
    headers_json: Option<Arc<str>>,
    /// The last response's headers as JSON: a receiver mostly answers with the same ones (the
    /// `Date` changes once a second), so most attempts share one text.
    response_headers: LastText<HeaderMap>,
    /// The last response body as text, shared the same way.
    response_body: LastText<Bytes>,
    /// The hook's callback URL, shared by every attempt row.
    callback_url: Arc<str>,
}

/// The task that sends one hook's callbacks.
pub struct Worker {
    /// The hook, as it was when the worker started.
    pub hook: Hook,
    /// Its server: domain, secret, authentication mode.
    pub server: Arc<ServerConfig>,
    /// Settings.
    pub ctx: Arc<DeliveryContext>,
    /// Where outcomes are counted.
    pub stats: Arc<ServerStats>,
    /// Cancelled when the hook is destroyed or the engine stops.
    pub cancel: CancellationToken,
    /// To remove the hook when its retries are used up, and to read how far dispatch got.
    pub dispatcher: Weak<Dispatcher>,
    /// Where attempts and progress are recorded (None: audit log off).
    pub audit: Option<Arc<AuditLog>>,
}

/// A worker's records on their way to the audit log, kept outside what stopping the worker
/// cancels: a run taken from the gathering is in the outbox until the writer's queue has it.
#[derive(Default)]
struct Outgoing {
    /// The last attempt, not yet added to the gathering.
    last: Option<Unlogged>,
    /// Attempts gathering into runs.
    gathering: Gathering,
    /// Finished runs and cursors not yet queued for the writer.
    outbox: std::collections::VecDeque<Record>,
}

impl Outgoing {
    /// Puts finished runs in the outbox.
    fn queue_runs(&mut self, runs: impl IntoIterator<Item = Run>) {
        self.outbox
            .extend(runs.into_iter().map(|run| Record::Run(Box::new(run))));
    }
}

/// An attempt made but not yet logged.
struct Unlogged {
    /// The event's sequence number and the attempt's (from 1).
    event: (i64, usize),
    /// When it started (ms).
    at: u64,
    checksum: Option<Sum>,
    tried: Tried,
}

/// What one attempt produced, for the audit log.
struct Tried {
    outcome: Result<u16, AttemptError>,
    status: Option<u16>,
    response: Option<http::Answer>,
    headers: Option<HeaderMap>,
    latency: Duration,
}

impl Worker {
    /// Delivers queued events until the hook goes away or the engine stops.
    pub async fn run(self, mut queue: mpsc::UnboundedReceiver<Delivery>) {
        // Parsed once per hook; an unusable URL or header fails every attempt, as it would
        // in bbb-webhooks, so the hook is retried and then removed.
        let cancel = self.cancel.clone();
        // The hook's own connection.
        let mut client =
            http::Client::with_tls(self.ctx.config.max_redirects, self.ctx.tls.clone());
        let headers = self.base_headers();
        let headers_json = match (&headers, &self.hook.signing_secret, &self.audit) {
            (Ok(h), None, Some(_)) => Some(Arc::from(self.shown_headers(h))),
            _ => None,
        };
        let prepared = Prepared {
            target: http::Target::parse(&self.hook.callback_url),
            headers,
            headers_json,
            response_headers: LastText::default(),
            response_body: LastText::default(),
            callback_url: Arc::from(self.hook.callback_url.as_str()),
        };
        let hook_id: Arc<str> = Arc::from(self.hook.id.as_str());
        let server: Arc<str> = Arc::from(self.server.name.as_str());
        // This hook's attempts and progress on their way to the audit log.
        let mut out = Outgoing::default();
        // Stopping ends whatever the worker is doing (waiting for events, a request in
        // flight, the wait before a retry, waiting for room at the writer): one cancellation
        // point for all of it, not one to register and drop at every wait of every delivery.
        // What was on its way to the log is kept outside, and sent below.
        tokio::select! {
            biased;
            _ = cancel.cancelled() => {}
            _ = self.deliver_queued(&mut client, &mut queue, &prepared, (&server, &hook_id), &mut out) => {}
        }
        self.gather_last(&mut out, &prepared, (&server, &hook_id));
        let open = out.gathering.take();
        self.log_runs(&mut out, open).await;
        queue.close();
        let mut dropped = 0u64;
        while queue.try_recv().is_ok() {
            dropped += 1;
        }
        if dropped > 0 {
            self.stats
                .dropped
                .fetch_add(dropped, std::sync::atomic::Ordering::Relaxed);
            tracing::info!(hook = %self.hook.id, dropped, "hook stopped with undelivered events");
        }
    }

    /// Delivers what comes down `queue`, in order, until it closes or the hook must go.
    async fn deliver_queued(
        &self,
        client: &mut http::Client,
        queue: &mut mpsc::UnboundedReceiver<Delivery>,
        prepared: &Prepared,
        (server, hook_id): (&Arc<str>, &Arc<str>),
        out: &mut Outgoing,
    ) {
        let mut cursor = 0i64;
        loop {
            // Read how far dispatch got *before* looking at the queue: if the queue is then
            // empty, every event up to there that this hook wanted is done.
            let dispatched = self
                .dispatcher
                .upgrade()
                .map(|d| d.last_dispatched())
                .unwrap_or(0);
            let delivery = match queue.try_recv() {
                Ok(d) => d,
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) => {
                    self.gather_last(out, prepared, (server, hook_id));
                    self.send(out).await;
                    // An idle hook's open run waits out its gathering time for the next
                    // attempts (a hook called a few times a second still gets runs, not a row
                    // per attempt), then goes to the writer. The cursor waits for it: it never
                    // reaches the writer ahead of the attempts before it, and the writer
                    // journals both in that order, so SQLite sees them in that order too.
                    let hold = out.gathering.held_for(now_ms() as i64);
                    if hold.is_none() && dispatched > cursor {
                        cursor = dispatched;
                        self.record_cursor(out, server, hook_id, cursor).await;
                    }
                    tokio::select! {
                        biased;
                        d = queue.recv() => match d {
                            Some(d) => d,
                            None => break,
                        },
                        _ = tokio::time::sleep(hold.unwrap_or_default()), if hold.is_some() => {
                            let open = out.gathering.take();
                            self.log_runs(out, open).await;
                            continue;
                        }
                        // Wake now and then so a hook that gets nothing still moves its
                        // cursor along (retention keeps everything after the lowest cursor).
                        _ = tokio::time::sleep(IDLE_CURSOR_INTERVAL) => continue,
                    }
                }
            };
            if let Some(audit) = &self.audit {
                audit.wait_durable(delivery.seq).await;
            }
            if !self
                .deliver(client, &delivery, prepared, (server, hook_id), out)
                .await
            {
                break;
            }
            // The writer moves the cursor with each delivered attempt it writes.
            cursor = cursor.max(delivery.seq);
        }
    }

    async fn record_cursor(
        &self,
        out: &mut Outgoing,
        server: &Arc<str>,
        hook_id: &Arc<str>,
        through: i64,
    ) {
        out.outbox.push_back(Record::Cursor {
            server: server.clone(),
            hook_id: hook_id.clone(),
            through,
        });
        self.send(out).await;
    }

    /// Hands finished runs of attempts to the audit log.
    async fn log_runs(&self, out: &mut Outgoing, runs: impl IntoIterator<Item = Run>) {
        out.queue_runs(runs);
        self.send(out).await;
    }

    /// Sends the outbox to the audit log (waiting while the writer is far behind).
    async fn send(&self, out: &mut Outgoing) {
        match &self.audit {
            Some(audit) => audit.record_all(&mut out.outbox).await,
            None => out.outbox.clear(),
        }
    }

    /// Adds the last attempt, if it is not yet, to its run (runs it finishes go to the
    /// outbox, for [`Worker::send`]).
    fn gather_last(&self, out: &mut Outgoing, prepared: &Prepared, ids: (&Arc<str>, &Arc<str>)) {
        let (Some(audit), Some(last)) = (&self.audit, out.last.take()) else {
            return;
        };
        let row = self.attempt_row(
            prepared,
            ids,
            last.event,
            last.at,
            last.checksum,
            &last.tried,
        );
        audit.show_attempt(&row);
        let ready = out.gathering.add(row);
        out.queue_runs(ready);
    }

    /// Sends one delivery until it succeeds; false when the worker must stop.
    async fn deliver(
        &self,
        client: &mut http::Client,
        delivery: &Delivery,
        prepared: &Prepared,
        (server, hook_id): (&Arc<str>, &Arc<str>),
        out: &mut Outgoing,
    ) -> bool {
        let started = now_ms();
        let body = delivery.body.body(started);
        let checksum = (!self.server.bearer_auth).then(|| {
            callback_sum(
                self.server.hook_checksum_algorithm,
                &self.hook.callback_url,
                &body,
                self.server.secret.expose(),
            )
        });
        let hex = checksum.map(|sum| sum.hex());
        let query: &[&str] = match &hex {
            Some(hex) => &["checksum=", hex.as_str()],
            None => &[],
        };
        // Only signed hooks need a message id (and its random bytes).
        let message_id = match self.hook.signing_secret {
            Some(_) => format!("msg_{}", uuid::Uuid::new_v4().simple()),
            None => String::new(),
        };
        let body = Bytes::from(body);
        let mut failures = 0usize;
        loop {
            let at = now_ms();
            let tried = when_pending(
                self.attempt(client, prepared, query, &body, started / 1000, &message_id),
                || self.gather_last(out, prepared, (server, hook_id)),
            )
            .await;
            // Nothing awaits from here to `send`, so a worker stopped there loses no attempt.
            // (The attempt before is still here when this one never waited.)
            self.gather_last(out, prepared, (server, hook_id));
            let outcome = tried.outcome.clone();
            if self.audit.is_some() {
                out.last = Some(Unlogged {
                    event: (delivery.seq, failures + 1),
                    at,
                    checksum,
                    tried,
                });
            }
            if outcome.is_err() {
                // A failure is logged at once, not after the wait for its retry.
                self.gather_last(out, prepared, (server, hook_id));
            }
            // The runs finished meanwhile (and a failure's).
            self.send(out).await;
            match outcome {
                Ok(status) => {
                    ServerStats::inc(&self.stats.delivered);
                    tracing::debug!(hook = %self.hook.id, event = %delivery.event_id, status, "callback delivered");
                    return true;
                }
                Err(error) => {
                    ServerStats::inc(&self.stats.failed_attempts);
                    let wait = match self.ctx.config.retry_intervals_ms.get(failures) {
                        Some(ms) => *ms,
                        None if self.hook.permanent => self.ctx.config.permanent_interval_reset_ms,
                        None => {
                            tracing::warn!(hook = %self.hook.id, event = %delivery.event_id, attempts = failures + 1, %error, "callback failed, retries used up");
                            if let Some(d) = self.dispatcher.upgrade() {
                                d.remove_exhausted(&self.hook.id, &error.to_string());
                            }
                            return false;
                        }
                    };
                    failures += 1;
                    tracing::warn!(hook = %self.hook.id, url = %self.hook.callback_url, event = %delivery.event_id, attempt = failures, %error, retry_in_ms = wait, "callback failed");
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                }
            }
        }
    }

    /// One HTTP request; `outcome` is the status when it counts as delivered.
    async fn attempt(
        &self,
        client: &mut http::Client,
        prepared: &Prepared,
        query: &[&str],
        body: &Bytes,
        timestamp_s: u64,
        message_id: &str,
    ) -> Tried {
        let start = std::time::Instant::now();
        let failed = |e: HttpError| Tried {
            outcome: Err(e.into()),
            status: None,
            response: None,
            headers: None,
            latency: start.elapsed(),
        };
        let method = match self.hook.method {
            Method::Post => hyper::Method::POST,
            Method::Put => hyper::Method::PUT,
        };
        let target = match &prepared.target {
            Ok(t) => t,
            Err(e) => return failed(e.clone()),
        };
        // The hook's headers as they are, unless this attempt adds its signature to them.
        let mut headers = match &prepared.headers {
            Ok(h) => std::borrow::Cow::Borrowed(h),
            Err(e) => return failed(e.clone()),
        };
        if let Some(secret) = &self.hook.signing_secret {
            let signature = signature::sign(secret, message_id, timestamp_s, body);
            for (name, value) in [
                ("webhook-id", message_id.to_owned()),
                ("webhook-timestamp", timestamp_s.to_string()),
                ("webhook-signature", signature),
            ] {
                match http::header(name, &value) {
                    Ok((n, v)) => {
                        headers.to_mut().insert(n, v);
                    }
                    Err(e) => return failed(e),
                }
            }
        }
        let timeout = Duration::from_millis(self.ctx.config.request_timeout_ms);
        let sent = client
            .send(method, target, query, &headers, body.clone(), timeout)
            .await;
        let latency = start.elapsed();
        // The audit log shows these headers; unsigned attempts all send the prepared ones.
        let keep_headers =
            (self.audit.is_some() && prepared.headers_json.is_none()).then(|| headers.into_owned());
        match sent {
            Ok(answer) => {
                let code = answer.status.as_u16();
                let outcome = if answer.status.is_success() || code == 401 {
                    Ok(code)
                } else {
                    Err(AttemptError::Status(code))
                };
                Tried {
                    outcome,
                    status: Some(code),
                    response: Some(answer),
                    headers: keep_headers,
                    latency,
                }
            }
            Err(e) => Tried {
                outcome: Err(match e {
                    HttpError::Timeout => AttemptError::Timeout,
                    e => e.into(),
                }),
                status: None,
                response: None,
                headers: keep_headers,
                latency,
            },
        }
    }

    /// The audit row of one attempt, with every secret header value redacted.
    fn attempt_row(
        &self,
        prepared: &Prepared,
        (server, hook_id): (&Arc<str>, &Arc<str>),
        (event, attempt): (i64, usize),
        at: u64,
        checksum: Option<Sum>,
        tried: &Tried,
    ) -> AttemptRow {
        let request_headers = match (&prepared.headers_json, &tried.headers) {
            (Some(cached), _) => cached.clone(),
            (None, Some(h)) => Arc::from(self.shown_headers(h)),
            (None, None) => Arc::from("{}"),
        };
        let (error_class, error) = match &tried.outcome {
            Ok(_) => (None, None),
            Err(e) => (Some(error_class(e)), Some(e.to_string())),
        };
        AttemptRow {
            server: server.clone(),
            hook_id: hook_id.clone(),
            event_id: event,
            attempt: attempt as u32,
            at: at as i64,
            url: prepared.callback_url.clone(),
            checksum,
            request_headers,
            status: tried.status,
            response_headers: tried
                .response
                .as_ref()
                .map(|a| prepared.response_headers_json(&a.headers)),
            response_body: tried
                .response
                .as_ref()
                .map(|a| prepared.response_body_text(&a.body)),
            latency_us: tried.latency.as_micros() as i64,
            outcome: if tried.outcome.is_ok() {
                "delivered"
            } else {
                "failed"
            },
            error_class,
            error,
        }
    }

    /// The headers of every callback of this hook, in bbb-webhooks' order.
    /// Request headers as JSON for the audit log, with the authorization header and the hook's
    /// own headers (API keys…) hidden.
    fn shown_headers(&self, headers: &HeaderMap) -> String {
        headers_json(headers, |name| {
            name == "authorization"
                || name == "cookie"
                || self
                    .hook
                    .headers
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case(name))
        })
    }

    fn base_headers(&self) -> Result<HeaderMap, HttpError> {
        let mut h = HeaderMap::with_capacity(6 + self.hook.headers.len());
        h.insert(ACCEPT, HeaderValue::from_static("*/*"));
        if self.server.bearer_auth {
            let bearer = format!("Bearer {}", self.server.secret.expose());
            let (n, v) = http::header("authorization", &bearer)?;
            h.insert(n, v);
        }
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static(CALLBACK_CONTENT_TYPE),
        );
        let (n, v) = http::header("user-agent", &self.ctx.config.user_agent)?;
        h.insert(n, v);
        for (name, value) in &self.hook.headers {
            let (n, v) = http::header(name, value)?;
            h.append(n, v);
        }
        Ok(h)
    }
}

/// `fut`'s output, calling `then` the first time `fut` waits: for an attempt on a kept
/// connection, once its request is written (the request is written in the first poll), and
/// while it connects otherwise.
async fn when_pending<F: std::future::Future>(fut: F, then: impl FnOnce()) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut then = Some(then);
    std::future::poll_fn(|cx| {
        let polled = fut.as_mut().poll(cx);
        if polled.is_pending() {
            if let Some(then) = then.take() {
                then();
            }
        }
        polled
    })
    .await
}

/// `timeout`, `refused`, `tls`, `status` or `other`.
fn error_class(e: &AttemptError) -> &'static str {
    match e {
        AttemptError::Timeout => "timeout",
        AttemptError::Status(_) => "status",
        AttemptError::Http(HttpError::Connect(_)) => "refused",
        AttemptError::Http(HttpError::Tls(_)) => "tls",
        AttemptError::Http(_) => "other",
    }
}

/// The text of the last value seen, handed out again while the value repeats.
struct LastText<K> {
    last: std::sync::Mutex<Option<(K, Arc<str>)>>,
}

impl<K> Default for LastText<K> {
    fn default() -> Self {
        LastText {
            last: std::sync::Mutex::new(None),
        }
    }
}

impl<K: Clone> LastText<K> {
    /// The text of `value`: the previous one's when `same` says `value` equals it, else
    /// `make(value)`.
    fn of(
        &self,
        value: &K,
        same: impl Fn(&K, &K) -> bool,
        make: impl FnOnce(&K) -> String,
    ) -> Arc<str> {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        match &*last {
            Some((seen, text)) if same(seen, value) => text.clone(),
            _ => {
                let text: Arc<str> = Arc::from(make(value));
                *last = Some((value.clone(), text.clone()));
                text
            }
        }
    }
}

impl Prepared {
    /// A response body as text (lossy UTF-8), shared with the previous attempt's when it is
    /// the same.
    fn response_body_text(&self, body: &Bytes) -> Arc<str> {
        self.response_body.of(
            body,
            |a, b| a == b,
            |b| String::from_utf8_lossy(b).into_owned(),
        )
    }

    /// Response headers as JSON, shared with the previous attempt's when they are the same.
    fn response_headers_json(&self, headers: &HeaderMap) -> Arc<str> {
        self.response_headers
            .of(headers, same_in_order, |h| headers_json(h, |_| false))
    }
}

/// Whether two header maps hold the same names and values in the same order: what a receiver
/// that answers alike sends, checked without hashing a name (`HeaderMap`'s own `==` looks every
/// name up). The same headers in another order count as different, which costs a new text.
fn same_in_order(a: &HeaderMap, b: &HeaderMap) -> bool {
    a.len() == b.len() && a.iter().eq(b.iter())
}

/// Headers as a JSON object, one member per name in the order received, the values of a
/// repeated name joined by `, ` (as HTTP allows); values of names `secret` says are secret
/// become `***` (an `Authorization` keeps its scheme).
fn headers_json(headers: &HeaderMap, secret: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(2 + 48 * headers.keys_len());
    out.push('{');
    for (i, name) in headers.keys().enumerate() {
        if i > 0 {
            out.push(',');
        }
        bluehook_core::jsjson::write_string(&mut out, name.as_str());
        out.push(':');
        let mut values = headers.get_all(name).iter();
        if secret(name.as_str()) {
            let scheme = values
                .next()
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split_once(' '))
                .map(|(scheme, _)| scheme)
                .filter(|_| name == "authorization");
            match scheme {
                Some(scheme) => {
                    bluehook_core::jsjson::write_string(&mut out, &format!("{scheme} ***"))
                }
                None => out.push_str("\"***\""),
            }
            continue;
        }
        let mut joined = String::new();
        for (k, value) in values.enumerate() {
            if k > 0 {
                joined.push_str(", ");
            }
            joined.push_str(&String::from_utf8_lossy(value.as_bytes()));
        }
        bluehook_core::jsjson::write_string(&mut out, &joined);
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::{HeaderName, HeaderValue};

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        headers
    }

    #[test]
    fn headers_become_one_json_member_per_name() {
        let headers = map(&[
            ("content-type", "text/plain"),
            ("set-cookie", "a=1"),
            ("set-cookie", "b=\"2\""),
        ]);
        let json: serde_json::Value =
            serde_json::from_str(&headers_json(&headers, |_| false)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"content-type": "text/plain", "set-cookie": "a=1, b=\"2\""})
        );
    }

    #[test]
    fn secret_headers_are_masked_and_authorization_keeps_its_scheme() {
        let headers = map(&[
            ("authorization", "Bearer s3cret-token"),
            ("x-api-key", "k3y"),
            ("accept", "*/*"),
        ]);
        let text = headers_json(&headers, |n| n == "authorization" || n == "x-api-key");
        assert!(!text.contains("s3cret") && !text.contains("k3y"), "{text}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"authorization": "Bearer ***", "x-api-key": "***", "accept": "*/*"})
        );
    }

    #[test]
    fn equal_responses_share_one_text_and_a_new_date_or_body_makes_a_new_one() {
        let prepared = Prepared {
            target: http::Target::parse("http://127.0.0.1:9/"),
            headers: Ok(HeaderMap::new()),
            headers_json: None,
            response_headers: LastText::default(),
            response_body: LastText::default(),
            callback_url: Arc::from("http://127.0.0.1:9/"),
        };
        let first = map(&[("date", "Mon, 23 Nov 2026 04:00:00 GMT")]);
        let a = prepared.response_headers_json(&first);
        let b = prepared.response_headers_json(&first.clone());
        assert!(Arc::ptr_eq(&a, &b));
        let later = map(&[("date", "Mon, 23 Nov 2026 04:00:01 GMT")]);
        let c = prepared.response_headers_json(&later);
        assert!(c.contains("04:00:01"), "{c}");
        let mut more = later.clone();
        more.append("x-id", "1".parse().unwrap());
        let d = prepared.response_headers_json(&more);
        assert!(d.contains("x-id"), "{d}");
        assert!(Arc::ptr_eq(
            &d,
            &prepared.response_headers_json(&more.clone())
        ));
        let mut repeated = more.clone();
        repeated.append("x-id", "2".parse().unwrap());
        let e = prepared.response_headers_json(&repeated);
        assert!(e.contains(r#""x-id":"1, 2""#), "{e}");
        assert!(!Arc::ptr_eq(&d, &prepared.response_headers_json(&more)));

        let ok = prepared.response_body_text(&Bytes::from_static(b"ok"));
        let again = prepared.response_body_text(&Bytes::from(b"ok".to_vec()));
        assert!(Arc::ptr_eq(&ok, &again));
        let other = prepared.response_body_text(&Bytes::from_static(b"\xffno"));
        assert_eq!(&*other, "\u{fffd}no", "invalid UTF-8 is shown, not dropped");
    }
}

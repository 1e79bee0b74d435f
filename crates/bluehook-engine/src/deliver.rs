//! Sending callbacks: one worker task per hook, one request in flight, in order, with retries.
//!
//! A worker takes [`Delivery`]s from its hook's queue one at a time. The body's `timestamp` is
//! the instant the delivery starts and stays the same across its retries (so does the
//! checksum), as in bbb-webhooks. An attempt succeeds when the final answer (redirects
//! followed) is 2xx or 401; anything else, a timeout or a connection error is retried after
//! the configured intervals. When the intervals are used up a permanent hook keeps trying every
//! `permanent_interval_reset_ms`; any other hook is removed, and its queue with it.
//! A worker never waits for another hook: queues, tasks and connections are per hook.

use bluehook_core::callback::CONTENT_TYPE as CALLBACK_CONTENT_TYPE;
use bluehook_core::checksum::callback_checksum;
use bluehook_core::config::{DeliveryConfig, ServerConfig};
use bluehook_core::hook::{Hook, Method};
use bluehook_core::{now_ms, signature};
use bytes::Bytes;
use hyper::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::dispatch::{Delivery, Dispatcher};
use crate::http::{self, HttpError};
use crate::stats::ServerStats;

/// What every worker shares: the delivery settings.
#[derive(Debug)]
pub struct DeliveryContext {
    /// Retry schedule, timeout, user agent, redirects.
    pub config: DeliveryConfig,
}

impl DeliveryContext {
    /// Settings for every worker.
    pub fn new(config: DeliveryConfig) -> Self {
        DeliveryContext { config }
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
    /// To remove the hook when its retries are used up.
    pub dispatcher: Weak<Dispatcher>,
    /// The hook's own connection.
    pub client: http::Client,
}

impl Worker {
    /// Delivers queued events until the hook goes away or the engine stops.
    pub async fn run(mut self, mut queue: mpsc::UnboundedReceiver<Delivery>) {
        // Parsed once per hook; an unusable URL or header fails every attempt, as it would
        // in bbb-webhooks, so the hook is retried and then removed.
        let cancel = self.cancel.clone();
        let prepared = Prepared {
            target: http::Target::parse(&self.hook.callback_url),
            headers: self.base_headers(),
        };
        loop {
            let delivery = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => break,
                d = queue.recv() => match d {
                    Some(d) => d,
                    None => break,
                },
            };
            if !self.deliver(&delivery, &prepared, &cancel).await {
                break;
            }
        }
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

    /// Sends one delivery until it succeeds; false when the worker must stop.
    async fn deliver(
        &mut self,
        delivery: &Delivery,
        prepared: &Prepared,
        cancel: &CancellationToken,
    ) -> bool {
        let started = now_ms();
        let body = delivery.body.body(started);
        let checksum = (!self.server.bearer_auth).then(|| {
            let sum = callback_checksum(
                self.server.hook_checksum_algorithm,
                &self.hook.callback_url,
                &body,
                self.server.secret.expose(),
            );
            format!("checksum={sum}")
        });
        // Only signed hooks need a message id (and its random bytes).
        let message_id = match self.hook.signing_secret {
            Some(_) => format!("msg_{}", uuid::Uuid::new_v4().simple()),
            None => String::new(),
        };
        let body = Bytes::from(body);
        let mut failures = 0usize;
        loop {
            let outcome = tokio::select! {
                biased;
                _ = cancel.cancelled() => return false,
                r = self.attempt(prepared, checksum.as_deref(), &body, started / 1000, &message_id) => r,
            };
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
                                d.remove_exhausted(&self.hook.id);
                            }
                            return false;
                        }
                    };
                    failures += 1;
                    tracing::warn!(hook = %self.hook.id, url = %self.hook.callback_url, event = %delivery.event_id, attempt = failures, %error, retry_in_ms = wait, "callback failed");
                    tokio::select! {
                        biased;
                        _ = cancel.cancelled() => return false,
                        _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
                    }
                }
            }
        }
    }

    /// One HTTP request; the status when it counts as delivered.
    async fn attempt(
        &mut self,
        prepared: &Prepared,
        checksum: Option<&str>,
        body: &Bytes,
        timestamp_s: u64,
        message_id: &str,
    ) -> Result<u16, AttemptError> {
        let method = match self.hook.method {
            Method::Post => hyper::Method::POST,
            Method::Put => hyper::Method::PUT,
        };
        let target = prepared.target.as_ref().map_err(Clone::clone)?;
        let mut headers = prepared.headers.as_ref().map_err(Clone::clone)?.clone();
        if let Some(secret) = &self.hook.signing_secret {
            let signature = signature::sign(secret, message_id, timestamp_s, body);
            for (name, value) in [
                ("webhook-id", message_id.to_owned()),
                ("webhook-timestamp", timestamp_s.to_string()),
                ("webhook-signature", signature),
            ] {
                let (n, v) = http::header(name, &value)?;
                headers.insert(n, v);
            }
        }
        let timeout = Duration::from_millis(self.ctx.config.request_timeout_ms);
        let sent = self
            .client
            .send(method, target, checksum, &headers, body.clone(), timeout);
        match sent.await {
            Ok(answer) if answer.status.is_success() || answer.status.as_u16() == 401 => {
                Ok(answer.status.as_u16())
            }
            Ok(answer) => Err(AttemptError::Status(answer.status.as_u16())),
            Err(HttpError::Timeout) => Err(AttemptError::Timeout),
            Err(e) => Err(e.into()),
        }
    }

    /// The headers of every callback of this hook, in bbb-webhooks' order.
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

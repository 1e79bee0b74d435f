//! Sending callbacks: one worker task per hook, one request in flight, in order, with retries.
//!
//! A worker takes [`Delivery`]s from its hook's queue one at a time. The body's `timestamp` is
//! the instant the delivery starts and stays the same across its retries (so does the
//! checksum), as in bbb-webhooks. An attempt succeeds when the final answer (redirects
//! followed) is 2xx or 401; anything else, a timeout or a connection error is retried after
//! the configured intervals. When the intervals are used up a permanent hook keeps trying every
//! `permanent_interval_reset_ms`; any other hook is removed, and its queue with it.
//! A worker never waits for another hook: queues and tasks are per hook.

use bluehook_core::callback::{target_url, Authentication, CONTENT_TYPE};
use bluehook_core::config::{DeliveryConfig, ServerConfig};
use bluehook_core::hook::{Hook, Method};
use bluehook_core::{now_ms, signature};
use bytes::Bytes;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::dispatch::{Delivery, Dispatcher};
use crate::stats::ServerStats;

/// How much of a response body is read (and discarded) so the connection can be reused.
const RESPONSE_DRAIN_LIMIT: usize = 64 * 1024;

/// What every worker shares: the HTTP client (one connection pool) and the delivery settings.
#[derive(Debug)]
pub struct DeliveryContext {
    /// HTTP/1.1 client with bbb-webhooks' redirect rules.
    pub client: reqwest::Client,
    /// Retry schedule, timeout, user agent.
    pub config: DeliveryConfig,
}

/// The HTTP client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("HTTP client: {0}")]
pub struct ClientError(#[from] reqwest::Error);

impl DeliveryContext {
    /// Builds the shared client.
    pub fn new(config: DeliveryConfig) -> Result<Self, ClientError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::limited(config.max_redirects))
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(30))
            .no_proxy()
            .build()?;
        Ok(DeliveryContext { client, config })
    }
}

/// Why one attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttemptError {
    /// No response headers within the request timeout.
    #[error("timed out")]
    Timeout,
    /// The connection could not be made.
    #[error("connection failed: {0}")]
    Connect(String),
    /// The answer's status counts as failure.
    #[error("HTTP status {0}")]
    Status(u16),
    /// The request could not be sent (bad URL, bad header, too many redirects…).
    #[error("request failed: {0}")]
    Request(String),
}

/// The task that sends one hook's callbacks.
pub struct Worker {
    /// The hook, as it was when the worker started.
    pub hook: Hook,
    /// Its server: domain, secret, authentication mode.
    pub server: Arc<ServerConfig>,
    /// Client and settings.
    pub ctx: Arc<DeliveryContext>,
    /// Where outcomes are counted.
    pub stats: Arc<ServerStats>,
    /// Cancelled when the hook is destroyed or the engine stops.
    pub cancel: CancellationToken,
    /// To remove the hook when its retries are used up.
    pub dispatcher: Weak<Dispatcher>,
}

impl Worker {
    /// Delivers queued events until the hook goes away or the engine stops.
    pub async fn run(self, mut queue: mpsc::UnboundedReceiver<Delivery>) {
        loop {
            let delivery = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => break,
                d = queue.recv() => match d {
                    Some(d) => d,
                    None => break,
                },
            };
            if !self.deliver(&delivery).await {
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
    async fn deliver(&self, delivery: &Delivery) -> bool {
        let started = now_ms();
        let body = delivery.body.body(started);
        let auth = if self.server.bearer_auth {
            Authentication::Bearer
        } else {
            Authentication::Checksum {
                secret: self.server.secret.expose(),
                algorithm: self.server.hook_checksum_algorithm,
            }
        };
        let url = target_url(&self.hook.callback_url, &body, auth);
        let message_id = format!("msg_{}", uuid::Uuid::new_v4().simple());
        let body = Bytes::from(body);
        let mut failures = 0usize;
        loop {
            let outcome = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return false,
                r = self.attempt(&url, &body, started / 1000, &message_id) => r,
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
                        _ = self.cancel.cancelled() => return false,
                        _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
                    }
                }
            }
        }
    }

    /// One HTTP request; the status when it counts as delivered.
    async fn attempt(
        &self,
        url: &str,
        body: &Bytes,
        timestamp_s: u64,
        message_id: &str,
    ) -> Result<u16, AttemptError> {
        let method = match self.hook.method {
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
        };
        let mut request = self
            .ctx
            .client
            .request(method, url)
            .header(reqwest::header::ACCEPT, "*/*")
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            .header(reqwest::header::USER_AGENT, &self.ctx.config.user_agent);
        if self.server.bearer_auth {
            request = request.header(
                reqwest::header::AUTHORIZATION,
                format!("Bearer {}", self.server.secret.expose()),
            );
        }
        for (name, value) in &self.hook.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(secret) = &self.hook.signing_secret {
            request = request
                .header("webhook-id", message_id)
                .header("webhook-timestamp", timestamp_s.to_string())
                .header(
                    "webhook-signature",
                    signature::sign(secret, message_id, timestamp_s, body),
                );
        }
        let timeout = Duration::from_millis(self.ctx.config.request_timeout_ms);
        let response = match tokio::time::timeout(timeout, request.body(body.clone()).send()).await
        {
            Err(_) => return Err(AttemptError::Timeout),
            Ok(Err(e)) if e.is_timeout() => return Err(AttemptError::Timeout),
            Ok(Err(e)) if e.is_connect() => return Err(AttemptError::Connect(error_chain(&e))),
            Ok(Err(e)) => return Err(AttemptError::Request(error_chain(&e))),
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        drain(response, timeout).await;
        if status.is_success() || status.as_u16() == 401 {
            Ok(status.as_u16())
        } else {
            Err(AttemptError::Status(status.as_u16()))
        }
    }
}

/// Reads and discards a bounded part of the body so that the connection can be reused.
async fn drain(mut response: reqwest::Response, timeout: Duration) {
    let _ = tokio::time::timeout(timeout, async {
        let mut read = 0usize;
        while let Ok(Some(chunk)) = response.chunk().await {
            read += chunk.len();
            if read > RESPONSE_DRAIN_LIMIT {
                break;
            }
        }
    })
    .await;
}

/// An error with its causes, on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

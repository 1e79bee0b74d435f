//! Redis ingest: one subscriber connection per BBB server.
//!
//! Subscribes (plain `SUBSCRIBE`, like bbb-webhooks) to the server's channels and hands every
//! message to the relay through a bounded channel. When the connection drops it reconnects
//! with exponential backoff (100 ms doubling to 5 s) and subscribes again; each outage is
//! logged with its start and length, since pub/sub does not replay what was published
//! meanwhile. `redis://user:password@host` (ACL) and `rediss://` (TLS) URLs work as given;
//! the client, with a server's CA and client-certificate files, comes from
//! [`crate::redis_client`].

use bluehook_core::config::redact_url;
use bytes::Bytes;
use futures_util::StreamExt;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::audit::{AuditLog, Record};
use crate::stats::ServerStats;

fn epoch_ms(t: std::time::SystemTime) -> i64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A message as it came from Redis.
#[derive(Debug, Clone)]
pub struct RawMessage {
    /// The channel it was published on.
    pub channel: Arc<str>,
    /// Its bytes (JSON, if the publisher behaves).
    pub payload: Bytes,
}

/// Where to subscribe.
#[derive(Debug, Clone)]
pub struct Source {
    /// Server name, for logs.
    pub server: String,
    /// Redis URL (may hold a password), for logs (masked); [`run`] connects with its client.
    pub url: String,
    /// Channels to subscribe to.
    pub channels: Vec<String>,
    /// How often an idle subscription is checked with a PING ([`KEEPALIVE`]).
    pub keepalive: Duration,
}

const BACKOFF_START: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// How often an idle subscription is checked with a PING, normally.
pub const KEEPALIVE: Duration = Duration::from_secs(30);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs until `cancel`: subscribes with `client` ([`crate::redis_client`]), forwards messages
/// to `relay`, reconnects when needed.
pub async fn run(
    source: Source,
    client: redis::Client,
    relay: mpsc::Sender<RawMessage>,
    stats: Arc<ServerStats>,
    audit: Option<Arc<AuditLog>>,
    cancel: CancellationToken,
) {
    let server: Arc<str> = Arc::from(source.server.as_str());
    let gap = |started_at: i64, ended_at: Option<i64>, detail: String| {
        let audit = audit.clone();
        let server = server.clone();
        async move {
            if let Some(a) = audit {
                a.record(Record::Gap {
                    server,
                    started_at,
                    ended_at,
                    detail,
                })
                .await;
            }
        }
    };
    let shown_url = redact_url(&source.url);
    let mut backoff = BACKOFF_START;
    let mut down_since: Option<(Instant, std::time::SystemTime)> = None;
    let mut channel_names: Vec<Arc<str>> = source
        .channels
        .iter()
        .map(|c| Arc::from(c.as_str()))
        .collect();
    channel_names.sort();
    loop {
        let connected = tokio::select! {
            _ = cancel.cancelled() => return,
            r = subscribe(&client, &source.channels) => r,
        };
        match connected {
            Ok(pubsub) => {
                backoff = BACKOFF_START;
                ServerStats::inc(&stats.redis_connects);
                stats.redis_up.store(true, Ordering::Relaxed);
                match down_since.take() {
                    Some((since, at)) => {
                        tracing::warn!(
                            server = %source.server,
                            url = %shown_url,
                            outage_ms = since.elapsed().as_millis() as u64,
                            outage_started = ?at,
                            "Redis subscription restored; messages published during the outage were not received"
                        );
                        let detail = format!(
                            "subscription restored after {} ms",
                            since.elapsed().as_millis()
                        );
                        gap(epoch_ms(at), Some(bluehook_core::now_ms() as i64), detail).await;
                    }
                    None => {
                        tracing::info!(server = %source.server, url = %shown_url, channels = ?source.channels, "subscribed to Redis")
                    }
                }
                let (mut sink, mut messages) = pubsub.split();
                let mut keepalive = tokio::time::interval(source.keepalive);
                keepalive.tick().await;
                loop {
                    let msg = tokio::select! {
                        _ = cancel.cancelled() => return,
                        m = messages.next() => m,
                        _ = keepalive.tick() => {
                            // A silent network failure never closes the stream: ask. (A subscribed
                            // connection answers PING with ["pong", ""], not +PONG.)
                            match tokio::time::timeout(KEEPALIVE_TIMEOUT, sink.ping::<redis::Value>()).await {
                                Ok(Ok(_)) => continue,
                                _ => None,
                            }
                        }
                    };
                    let Some(msg) = msg else { break };
                    let name = msg.get_channel_name();
                    let channel = match channel_names.binary_search_by(|c| c.as_ref().cmp(name)) {
                        Ok(i) => channel_names[i].clone(),
                        Err(_) => Arc::from(name),
                    };
                    let raw = RawMessage {
                        channel,
                        payload: Bytes::copy_from_slice(msg.get_payload_bytes()),
                    };
                    if relay.send(raw).await.is_err() {
                        return;
                    }
                }
                stats.redis_up.store(false, Ordering::Relaxed);
                let now = std::time::SystemTime::now();
                down_since = Some((Instant::now(), now));
                tracing::warn!(server = %source.server, url = %shown_url, "Redis connection lost; reconnecting");
                gap(epoch_ms(now), None, "connection lost".into()).await;
            }
            Err(e) => {
                ServerStats::inc(&stats.redis_errors);
                stats.redis_up.store(false, Ordering::Relaxed);
                if down_since.is_none() {
                    let now = std::time::SystemTime::now();
                    down_since = Some((Instant::now(), now));
                    gap(epoch_ms(now), None, format!("cannot subscribe: {e}")).await;
                }
                tracing::warn!(server = %source.server, url = %shown_url, error = %e, retry_in_ms = backoff.as_millis() as u64, "cannot subscribe to Redis");
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

async fn subscribe(
    client: &redis::Client,
    channels: &[String],
) -> redis::RedisResult<redis::aio::PubSub> {
    let mut pubsub = client.get_async_pubsub().await?;
    if !channels.is_empty() {
        pubsub.subscribe(channels).await?;
    }
    Ok(pubsub)
}

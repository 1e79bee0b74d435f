//! The relay of one server: raw messages in, normalized events out to the dispatcher.
//!
//! One task per server owns the server's ID [`Mappings`] and handles messages strictly in the
//! order they arrive (from Redis ingest, or injected by the engine's caller), so mapping
//! updates and the events that depend on them never overtake each other. Each message is
//! parsed, translated ([`bluehook_core::process`]) and fanned out. A message that is not
//! JSON, is not a known event, or lacks a required field is counted and logged, never fatal.
//! On a timer the task expires inactive meetings and saves the mappings when they changed.

use bluehook_core::mapping::Mappings;
use bluehook_core::process::{process, Processed};
use bluehook_core::{now_ms, translate};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::dispatch::Dispatcher;
use crate::ingest::RawMessage;
use crate::stats::ServerStats;
use crate::store::Store;

/// Everything the relay task needs.
pub struct Relay {
    /// Server name, for logs and the store.
    pub server: String,
    /// Where events go.
    pub dispatcher: Arc<Dispatcher>,
    /// Counters.
    pub stats: Arc<ServerStats>,
    /// Where mappings are saved.
    pub store: Arc<Store>,
    /// Mappings as loaded at start.
    pub mappings: Mappings,
    /// Inactivity timeout of meeting mappings.
    pub mapping_timeout: Duration,
    /// How often to expire and save mappings.
    pub cleanup_interval: Duration,
}

/// How many bytes of a bad message are shown in the log.
const LOG_EXCERPT: usize = 200;

impl Relay {
    /// Handles messages until `cancel`, then saves the mappings.
    pub async fn run(mut self, mut inbox: mpsc::Receiver<RawMessage>, cancel: CancellationToken) {
        let mut cleanup =
            tokio::time::interval(self.cleanup_interval.max(Duration::from_millis(10)));
        cleanup.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut saved = self.mappings.clone();
        loop {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                msg = inbox.recv() => match msg {
                    Some(msg) => self.handle(&msg),
                    None => break,
                },
                _ = cleanup.tick() => {
                    let expired = self.mappings.expire(now_ms(), self.mapping_timeout.as_millis() as u64);
                    if !expired.is_empty() {
                        tracing::info!(server = %self.server, meetings = ?expired, "meeting mappings expired");
                    }
                    self.save(&mut saved);
                }
            }
        }
        self.save(&mut saved);
    }

    fn save(&self, saved: &mut Mappings) {
        if *saved == self.mappings {
            return;
        }
        match self.store.save_mappings(&self.server, &self.mappings) {
            Ok(()) => *saved = self.mappings.clone(),
            Err(e) => {
                tracing::error!(server = %self.server, error = %e, "could not save ID mappings")
            }
        }
    }

    /// Parses, translates and dispatches one message.
    pub fn handle(&mut self, msg: &RawMessage) {
        ServerStats::inc(&self.stats.received);
        let raw: Value = match serde_json::from_slice(&msg.payload) {
            Ok(v) => v,
            Err(e) => {
                ServerStats::inc(&self.stats.malformed);
                tracing::warn!(server = %self.server, channel = %msg.channel, error = %e, message = %excerpt(&msg.payload), "message is not JSON; dropped");
                return;
            }
        };
        if is_empty(&raw) {
            ServerStats::inc(&self.stats.unknown);
            return;
        }
        match process(&raw, &mut self.mappings, now_ms()) {
            Ok(Processed::Events(events)) => {
                for out in &events {
                    ServerStats::inc(&self.stats.events);
                    tracing::debug!(server = %self.server, event = %out.id(), "event");
                    self.dispatcher.dispatch(out, &raw);
                }
            }
            Ok(Processed::Unknown) => {
                ServerStats::inc(&self.stats.unknown);
                tracing::trace!(server = %self.server, channel = %msg.channel, name = ?translate::message_name(&raw), "message type not relayed");
            }
            Ok(Processed::Ignored) => ServerStats::inc(&self.stats.ignored),
            Err(e) => {
                ServerStats::inc(&self.stats.translate_failed);
                tracing::warn!(server = %self.server, channel = %msg.channel, error = %e, message = %excerpt(&msg.payload), "message could not be translated; dropped");
            }
        }
    }
}

/// bbb-webhooks drops `{}` and `[]` (and non-objects) without a word.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => true,
    }
}

fn excerpt(bytes: &[u8]) -> String {
    let cut = bytes.len().min(LOG_EXCERPT);
    let mut s = String::from_utf8_lossy(&bytes[..cut]).into_owned();
    if bytes.len() > cut {
        s.push('…');
    }
    s
}

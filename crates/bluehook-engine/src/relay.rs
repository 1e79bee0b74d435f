//! The relay of one server: raw messages in, normalized events out to the dispatcher.
//!
//! One task per server owns the server's ID [`Mappings`] and handles messages strictly in the
//! order they arrive (from Redis ingest, or injected by the engine's caller), so mapping
//! updates and the events that depend on them never overtake each other. Each message is
//! parsed, translated ([`bluehook_core::process`]) and fanned out. A message that is not
//! JSON, is not a known event, or lacks a required field is counted and logged, never fatal.
//! On a timer the task expires inactive meetings and saves the mappings when they changed.

use bluehook_core::jsjson;
use bluehook_core::jsvalue::opt_path;
use bluehook_core::mapping::Mappings;
use bluehook_core::process::{process, Outgoing, Processed, RawPayload};
use bluehook_core::{now_ms, translate};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::audit::{AuditLog, EventRow, RawRow, Record};
use crate::dispatch::Dispatcher;
use crate::ingest::RawMessage;
use crate::stats::ServerStats;
use crate::store::Store;

/// Everything the relay task needs.
pub struct Relay {
    /// Server name, for logs and the store.
    pub server: Arc<str>,
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
    /// Where raw messages and events are recorded (None: audit log off).
    pub audit: Option<Arc<AuditLog>>,
    /// Also record raw messages of types that are not relayed.
    pub store_unknown: bool,
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
                    Some(msg) => self.handle(&msg).await,
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

    /// Parses, translates, records and dispatches one message.
    pub async fn handle(&mut self, msg: &RawMessage) {
        ServerStats::inc(&self.stats.received);
        let raw_id = self.audit.as_ref().map_or(0, |a| a.next_raw_id());
        let received_at = now_ms();
        let (raw, outcome) = self.translate(msg, received_at);
        let keep = !matches!(outcome, Outcome::Dropped("unknown", _)) || self.store_unknown;
        let mut raw_row = self.audit.as_ref().filter(|_| keep).map(|_| {
            let (name, outcome, error) = match &outcome {
                Outcome::Events(_) => (raw.as_ref().and_then(name_of), "event", None),
                Outcome::Dropped(kind, error) => {
                    (raw.as_ref().and_then(name_of), *kind, error.clone())
                }
            };
            RawRow {
                id: raw_id,
                server: self.server.clone(),
                received_at: received_at as i64,
                channel: msg.channel.clone(),
                name,
                outcome,
                error,
                payload: msg.payload.clone(),
            }
        });
        let (Some(raw), Outcome::Events(events)) = (raw, outcome) else {
            if let (Some(audit), Some(row)) = (&self.audit, raw_row) {
                audit.record(Record::Raw(row)).await;
            }
            return;
        };
        for out in &events {
            ServerStats::inc(&self.stats.events);
            tracing::debug!(server = %self.server, event = %out.id(), "event");
            let json: Arc<str> = Arc::from(jsjson::to_string(&out.event));
            let seq = match &self.audit {
                Some(audit) => {
                    let json = json.clone();
                    let field = |path: &[&str]| {
                        opt_path(&out.event, path)
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                    };
                    // The raw message goes to the writer right before its first event, so
                    // that one journal write takes both: a raw message written alone made its
                    // event wait out the writer's gap between writes (about 0.25 ms).
                    audit
                        .record_event(raw_row.take(), |id| EventRow {
                            id,
                            raw_id,
                            server: self.server.clone(),
                            at: received_at as i64,
                            kind: Arc::from(out.id()),
                            meeting_internal: field(&[
                                "data",
                                "attributes",
                                "meeting",
                                "internal-meeting-id",
                            ]),
                            meeting_external: field(&[
                                "data",
                                "attributes",
                                "meeting",
                                "external-meeting-id",
                            ]),
                            user_internal: field(&[
                                "data",
                                "attributes",
                                "user",
                                "internal-user-id",
                            ]),
                            user_external: field(&[
                                "data",
                                "attributes",
                                "user",
                                "external-user-id",
                            ]),
                            raw_kind: match out.raw {
                                RawPayload::Original => 0,
                                RawPayload::Event => 1,
                            },
                            json,
                        })
                        .await
                }
                None => 0,
            };
            self.dispatcher.dispatch(out, &raw, &json, seq);
        }
    }

    /// Parses and translates one message, counting and logging what is dropped.
    fn translate(&mut self, msg: &RawMessage, now: u64) -> (Option<Value>, Outcome) {
        let raw: Value = match serde_json::from_slice(&msg.payload) {
            Ok(v) => v,
            Err(e) => {
                ServerStats::inc(&self.stats.malformed);
                tracing::warn!(server = %self.server, channel = %msg.channel, error = %e, message = %excerpt(&msg.payload), "message is not JSON; dropped");
                return (None, Outcome::Dropped("malformed", Some(e.to_string())));
            }
        };
        if is_empty(&raw) {
            ServerStats::inc(&self.stats.unknown);
            return (Some(raw), Outcome::Dropped("unknown", None));
        }
        let outcome = match process(&raw, &mut self.mappings, now) {
            Ok(Processed::Events(events)) => Outcome::Events(events),
            Ok(Processed::Unknown) => {
                ServerStats::inc(&self.stats.unknown);
                tracing::trace!(server = %self.server, channel = %msg.channel, name = ?translate::message_name(&raw), "message type not relayed");
                Outcome::Dropped("unknown", None)
            }
            Ok(Processed::Ignored) => {
                ServerStats::inc(&self.stats.ignored);
                Outcome::Dropped("ignored", None)
            }
            Err(e) => {
                ServerStats::inc(&self.stats.translate_failed);
                tracing::warn!(server = %self.server, channel = %msg.channel, error = %e, message = %excerpt(&msg.payload), "message could not be translated; dropped");
                Outcome::Dropped("failed", Some(e.to_string()))
            }
        };
        (Some(raw), outcome)
    }
}

/// What became of a message.
enum Outcome {
    Events(Vec<Outgoing>),
    /// `unknown`, `ignored`, `malformed` or `failed`, with the error.
    Dropped(&'static str, Option<String>),
}

fn name_of(raw: &Value) -> Option<String> {
    translate::message_name(raw).map(str::to_owned)
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

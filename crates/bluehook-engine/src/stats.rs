//! Counters of one server's relay: what came in, what was dropped and why, what went out.
//!
//! Every stage increments its own counters (lock-free atomics); [`ServerStats::snapshot`] reads
//! them for tests, logs and the admin API. Malformed or unknown input is counted here rather
//! than treated as an error, so a bad message never stops the relay.

use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Live counters of one server.
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Messages received from Redis (or injected).
    pub received: AtomicU64,
    /// Messages that were not JSON.
    pub malformed: AtomicU64,
    /// JSON messages of a type bbb-webhooks does not translate.
    pub unknown: AtomicU64,
    /// Known messages dropped on purpose (private chat).
    pub ignored: AtomicU64,
    /// Known messages that lacked a field the event needs.
    pub translate_failed: AtomicU64,
    /// Normalized events produced (synthesized ones included).
    pub events: AtomicU64,
    /// Events dropped by the server's include/exclude lists.
    pub filtered: AtomicU64,
    /// Deliveries queued to hooks.
    pub queued: AtomicU64,
    /// Deliveries that reached their hook.
    pub delivered: AtomicU64,
    /// Attempts that failed (each retry counts).
    pub failed_attempts: AtomicU64,
    /// Deliveries abandoned because their hook was removed or destroyed.
    pub dropped: AtomicU64,
    /// Hooks removed after exhausting their retries.
    pub hooks_removed: AtomicU64,
    /// Redis (re)connections made.
    pub redis_connects: AtomicU64,
    /// Failed attempts to connect or subscribe.
    pub redis_errors: AtomicU64,
    /// Whether the Redis subscription is up now.
    pub redis_up: AtomicBool,
}

/// A copy of the counters at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[allow(missing_docs)]
pub struct StatsSnapshot {
    pub received: u64,
    pub malformed: u64,
    pub unknown: u64,
    pub ignored: u64,
    pub translate_failed: u64,
    pub events: u64,
    pub filtered: u64,
    pub queued: u64,
    pub delivered: u64,
    pub failed_attempts: u64,
    pub dropped: u64,
    pub hooks_removed: u64,
    pub redis_connects: u64,
    pub redis_errors: u64,
    pub redis_up: bool,
}

impl ServerStats {
    /// Adds one to a counter.
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads every counter.
    pub fn snapshot(&self) -> StatsSnapshot {
        let r = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            received: r(&self.received),
            malformed: r(&self.malformed),
            unknown: r(&self.unknown),
            ignored: r(&self.ignored),
            translate_failed: r(&self.translate_failed),
            events: r(&self.events),
            filtered: r(&self.filtered),
            queued: r(&self.queued),
            delivered: r(&self.delivered),
            failed_attempts: r(&self.failed_attempts),
            dropped: r(&self.dropped),
            hooks_removed: r(&self.hooks_removed),
            redis_connects: r(&self.redis_connects),
            redis_errors: r(&self.redis_errors),
            redis_up: self.redis_up.load(Ordering::Relaxed),
        }
    }
}

//! How far the audit log's writer got — a number that only rises — cheap to check and possible
//! to wait on.
//!
//! Every delivery asks whether its event is in the journal yet, and nearly always it is. A
//! watch channel alone would answer by cloning a receiver and taking the channel's lock, state
//! that every delivery thread and the writer then pass between them; here the answer is one
//! atomic load, and only a delivery that has to wait subscribes to the channel.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tokio::sync::watch;

#[derive(Debug)]
struct Shared {
    reached: AtomicI64,
    changed: watch::Sender<i64>,
}

/// The readers' side: check and wait.
#[derive(Debug, Clone)]
pub struct Watermark(Arc<Shared>);

/// The writer's side: raise. Dropping it (the writer ended) releases every waiter.
#[derive(Debug)]
pub struct Raiser(Arc<Shared>);

/// A watermark at `start`.
pub fn watermark(start: i64) -> (Raiser, Watermark) {
    let shared = Arc::new(Shared {
        reached: AtomicI64::new(start),
        changed: watch::channel(start).0,
    });
    (Raiser(shared.clone()), Watermark(shared))
}

impl Watermark {
    /// Where it stands.
    pub fn get(&self) -> i64 {
        self.0.reached.load(Ordering::Acquire)
    }

    /// Waits until it reaches `id` (at once when it has).
    pub async fn wait_past(&self, id: i64) {
        if self.get() >= id {
            return;
        }
        // The atomic is raised before the channel: a value missed above is in the channel.
        let mut rx = self.0.changed.subscribe();
        let _ = rx.wait_for(|reached| *reached >= id).await;
    }
}

impl Raiser {
    /// Raises it to `to` (never lowers it), waking the waiters it passes.
    pub fn raise(&self, to: i64) {
        let was = self.0.reached.fetch_max(to, Ordering::AcqRel);
        if to > was {
            self.0.changed.send_if_modified(|v| {
                let grew = to > *v;
                if grew {
                    *v = to;
                }
                grew
            });
        }
    }
}

impl Drop for Raiser {
    fn drop(&mut self) {
        self.raise(i64::MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    #[test]
    fn waiters_wake_when_it_passes_their_id_and_not_before() {
        let (raiser, mark) = watermark(5);
        assert!(mark.wait_past(5).now_or_never().is_some(), "already there");
        let mut waiter = Box::pin(mark.wait_past(10));
        assert!(waiter.as_mut().now_or_never().is_none());
        raiser.raise(9);
        raiser.raise(3);
        assert_eq!(mark.get(), 9, "never lowered");
        assert!(waiter.as_mut().now_or_never().is_none(), "9 is not 10");
        raiser.raise(10);
        assert!(waiter.as_mut().now_or_never().is_some());
    }

    #[test]
    fn a_dropped_raiser_releases_every_waiter() {
        let (raiser, mark) = watermark(0);
        let mut waiter = Box::pin(mark.wait_past(1_000));
        assert!(waiter.as_mut().now_or_never().is_none());
        drop(raiser);
        assert!(waiter.as_mut().now_or_never().is_some());
    }
}

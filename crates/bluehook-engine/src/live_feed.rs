//! Live feeds (the SSE streams of events, attempts and captures), cheap when nobody watches.
//!
//! A relay offers every event and every delivery attempt to its feed. Asking a tokio broadcast
//! channel whether anyone listens takes the channel's lock, which every delivery thread and the
//! ingest then share; so a [`LiveFeed`] counts its receivers in an atomic, and builds and sends
//! an item only while there are some. An item sent before a receiver subscribed never reaches
//! it, as with any broadcast channel.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::broadcast;

pub use tokio::sync::broadcast::error::RecvError;

/// The sending side of a feed.
#[derive(Debug)]
pub struct LiveFeed<T> {
    tx: broadcast::Sender<T>,
    receivers: Arc<AtomicUsize>,
}

/// One subscriber of a feed.
#[derive(Debug)]
pub struct FeedReceiver<T> {
    rx: broadcast::Receiver<T>,
    receivers: Arc<AtomicUsize>,
}

impl<T: Clone> LiveFeed<T> {
    /// A feed that keeps up to `capacity` items for a slow receiver (which then lags).
    pub fn new(capacity: usize) -> Self {
        LiveFeed {
            tx: broadcast::channel(capacity).0,
            receivers: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// A new receiver: it gets every item sent from now on.
    pub fn subscribe(&self) -> FeedReceiver<T> {
        self.receivers.fetch_add(1, Ordering::SeqCst);
        FeedReceiver {
            rx: self.tx.subscribe(),
            receivers: self.receivers.clone(),
        }
    }

    /// Sends `make()` when anyone is subscribed; otherwise does not call it.
    pub fn send_with(&self, make: impl FnOnce() -> T) {
        if self.receivers.load(Ordering::Relaxed) > 0 {
            let _ = self.tx.send(make());
        }
    }
}

impl<T: Clone> FeedReceiver<T> {
    /// The next item; [`RecvError::Lagged`] after items were missed, [`RecvError::Closed`] once
    /// the feed is gone.
    pub async fn recv(&mut self) -> Result<T, RecvError> {
        self.rx.recv().await
    }
}

impl<T> Drop for FeedReceiver<T> {
    fn drop(&mut self) {
        self.receivers.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn items_are_built_only_while_someone_listens() {
        let feed = LiveFeed::new(8);
        let mut built = 0;
        feed.send_with(|| {
            built += 1;
            0
        });
        assert_eq!(built, 0, "nobody listens: nothing is built");
        let mut rx = feed.subscribe();
        feed.send_with(|| {
            built += 1;
            1
        });
        assert_eq!((built, rx.recv().await), (1, Ok(1)));
        drop(rx);
        feed.send_with(|| {
            built += 1;
            2
        });
        assert_eq!(built, 1, "the last receiver left");
    }

    #[tokio::test]
    async fn a_slow_receiver_lags_and_a_dropped_feed_closes() {
        let feed = LiveFeed::new(2);
        let mut rx = feed.subscribe();
        for i in 0..4 {
            feed.send_with(|| i);
        }
        assert_eq!(rx.recv().await, Err(RecvError::Lagged(2)));
        assert_eq!(rx.recv().await, Ok(2));
        drop(feed);
        assert_eq!(rx.recv().await, Ok(3));
        assert_eq!(rx.recv().await, Err(RecvError::Closed));
    }
}

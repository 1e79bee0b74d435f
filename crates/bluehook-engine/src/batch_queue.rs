//! A queue whose consumer takes items in batches and is woken once per batch, not once per
//! item.
//!
//! The audit log's attempts and cursors arrive at tens of thousands per second, and nothing
//! waits for them to be written. Sending each down a channel woke the writer thread for each
//! (a futex call on both sides, several µs of CPU a delivery). Here a producer only pushes under
//! a short lock; it wakes the consumer when the queue goes from empty to not empty (so the
//! consumer can start its clock) and when it reaches a full batch. Producers wait only when the
//! queue holds `capacity` items, until the consumer takes them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use tokio::sync::Notify;

/// A multi-producer, single-consumer queue drained in batches.
#[derive(Debug)]
pub struct BatchQueue<T> {
    items: Mutex<Vec<T>>,
    /// Items at which the consumer is woken to take a batch.
    batch: usize,
    /// Items at which producers wait.
    capacity: usize,
    /// Wakes the consumer (first item, full batch, close).
    ready: Notify,
    /// Wakes producers waiting for room.
    room: Notify,
    closed: AtomicBool,
}

/// What [`BatchQueue::wait`] saw.
#[derive(Debug, PartialEq, Eq)]
pub enum Ready {
    /// Items are waiting (at least one).
    Items,
    /// A full batch is waiting.
    Full,
    /// Closed and empty: nothing will come any more.
    Closed,
}

impl<T> BatchQueue<T> {
    /// A queue that wakes its consumer at `batch` items and holds producers at `capacity`.
    pub fn new(batch: usize, capacity: usize) -> Self {
        BatchQueue {
            items: Mutex::new(Vec::new()),
            batch,
            capacity: capacity.max(batch),
            ready: Notify::new(),
            room: Notify::new(),
            closed: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<T>> {
        // A panic while holding the lock cannot leave the Vec half-changed.
        self.items.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds an item, waiting while the queue is at capacity.
    pub async fn push(&self, item: T) {
        let mut item = Some(item);
        self.when_room(|| self.try_push(&mut item)).await;
    }

    /// Moves `items` into the queue, front first, waiting for room as needed. Cancel-safe: an
    /// item leaves `items` only when it goes in, so a caller stopped while waiting still holds
    /// what did not go in.
    pub async fn push_all(&self, items: &mut std::collections::VecDeque<T>) {
        while !items.is_empty() {
            self.when_room(|| self.try_move(items)).await;
        }
    }

    /// Calls `put` until it puts something in (true), waiting for room between calls.
    async fn when_room(&self, mut put: impl FnMut() -> bool) {
        // The common case: room, and no waiter to register with (and unregister from) `room`.
        if put() {
            return;
        }
        loop {
            let room = self.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            if put() {
                return;
            }
            room.await;
        }
    }

    /// Moves as many of `items` as there is room for; false when there was none.
    fn try_move(&self, items: &mut std::collections::VecDeque<T>) -> bool {
        let (before, after) = {
            let mut queue = self.lock();
            let before = queue.len();
            while queue.len() < self.capacity {
                let Some(item) = items.pop_front() else { break };
                queue.push(item);
            }
            (before, queue.len())
        };
        self.wake(before, after);
        after > before
    }

    /// Adds an item at once, even above capacity (for callers that cannot wait; rare).
    pub fn push_now(&self, item: T) {
        let len = {
            let mut items = self.lock();
            items.push(item);
            items.len()
        };
        self.wake(len - 1, len);
    }

    /// Moves `item` into the queue if there is room; true when it went in.
    fn try_push(&self, item: &mut Option<T>) -> bool {
        let len = {
            let mut items = self.lock();
            if items.len() >= self.capacity {
                return false;
            }
            let Some(item) = item.take() else {
                return true;
            };
            items.push(item);
            items.len()
        };
        self.wake(len - 1, len);
        true
    }

    /// Wakes the consumer when the queue, going from `before` to `after` items, stopped being
    /// empty or reached a full batch.
    fn wake(&self, before: usize, after: usize) {
        if before == 0 && after > 0 || before < self.batch && after >= self.batch {
            self.ready.notify_one();
        }
    }

    /// How many items are waiting.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no item is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until items are waiting, or a full batch is, or the queue is closed and empty.
    /// With `have_items` the consumer already knows of waiting items and waits for a full
    /// batch (or close) only.
    pub async fn wait(&self, have_items: bool) -> Ready {
        loop {
            let ready = self.ready.notified();
            tokio::pin!(ready);
            ready.as_mut().enable();
            let len = self.len();
            if len >= self.batch {
                return Ready::Full;
            }
            if self.closed.load(Ordering::SeqCst) {
                return if len == 0 { Ready::Closed } else { Ready::Full };
            }
            if len > 0 && !have_items {
                return Ready::Items;
            }
            ready.await;
        }
    }

    /// Swaps every waiting item into `spare` (empty: its capacity becomes the queue's, so a
    /// consumer that hands back the same buffer each time allocates nothing), and lets waiting
    /// producers go on.
    pub fn take_into(&self, spare: &mut Vec<T>) {
        debug_assert!(spare.is_empty());
        std::mem::swap(&mut *self.lock(), spare);
        self.room.notify_waiters();
    }

    /// Takes every waiting item.
    pub fn take(&self) -> Vec<T> {
        let mut items = Vec::new();
        self.take_into(&mut items);
        items
    }

    /// No more items will be pushed: the consumer drains what is left and stops.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.ready.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn the_consumer_is_woken_by_the_first_item_and_by_a_full_batch() {
        let q = Arc::new(BatchQueue::new(3, 10));
        let waiter = tokio::spawn({
            let q = q.clone();
            async move { q.wait(false).await }
        });
        q.push(1).await;
        assert_eq!(waiter.await.unwrap(), Ready::Items);
        let waiter = tokio::spawn({
            let q = q.clone();
            async move { q.wait(true).await }
        });
        q.push(2).await;
        let early = tokio::time::timeout(Duration::from_millis(50), async {
            while !waiter.is_finished() {
                tokio::task::yield_now().await;
            }
        })
        .await;
        assert!(early.is_err(), "woken before the batch was full");
        q.push(3).await;
        assert_eq!(waiter.await.unwrap(), Ready::Full);
        assert_eq!(q.take(), vec![1, 2, 3]);
        assert!(q.is_empty());
    }

    #[tokio::test]
    async fn producers_wait_at_capacity_until_the_consumer_takes() {
        let q = Arc::new(BatchQueue::new(2, 4));
        for i in 0..4 {
            q.push(i).await;
        }
        let producer = tokio::spawn({
            let q = q.clone();
            async move { q.push(4).await }
        });
        // The producer cannot finish while the queue is full.
        let blocked = tokio::time::timeout(Duration::from_millis(50), async {
            while !producer.is_finished() {
                tokio::task::yield_now().await;
            }
        })
        .await;
        assert!(blocked.is_err(), "a push went over capacity");
        assert_eq!(q.take(), vec![0, 1, 2, 3]);
        producer.await.unwrap();
        assert_eq!(q.take(), vec![4]);
        q.push_now(5);
        assert_eq!(q.len(), 1);
    }

    #[tokio::test]
    async fn push_all_keeps_what_did_not_go_in_when_it_is_stopped() {
        let q = Arc::new(BatchQueue::new(2, 3));
        let mut items: std::collections::VecDeque<i32> = (0..5).collect();
        // Three fit; the producer waits for room with two left, and is stopped.
        let stopped = tokio::time::timeout(Duration::from_millis(50), q.push_all(&mut items)).await;
        assert!(stopped.is_err(), "went over capacity");
        assert_eq!(items, [3, 4], "what did not go in is still the caller's");
        assert_eq!(q.wait(false).await, Ready::Full);
        assert_eq!(q.take(), vec![0, 1, 2]);
        q.push_all(&mut items).await;
        assert!(items.is_empty());
        assert_eq!(q.take(), vec![3, 4]);
    }

    #[tokio::test]
    async fn close_lets_the_consumer_drain_then_stop() {
        let q = BatchQueue::new(100, 100);
        q.push(1).await;
        q.close();
        assert_eq!(q.wait(true).await, Ready::Full);
        assert_eq!(q.take(), vec![1]);
        assert_eq!(q.wait(false).await, Ready::Closed);
    }
}

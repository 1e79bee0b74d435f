//! The threads that run hook workers.
//!
//! A hook worker spends most of its life waiting for its receiver's answer. On tokio's
//! multi-thread runtime each of those waits and wake-ups also woke another worker thread to
//! look for work to steal: with one hook, every delivery cost 1.7 eventfd writes, 1.3 extra
//! `epoll_wait` calls and 0.4 futex calls on top of the request's own three system calls
//! (strace of `bluehook serve` during a burst). Hook workers therefore run on their own
//! single-threaded runtimes (how many: `DeliveryConfig::thread_count`, by default one per two
//! cores), each hook on one of them (taken in turn); ingest, the APIs and everything else stay
//! on the main runtime. A hook's worker never moves, so a slow hook costs its thread nothing
//! but the wait, and the other hooks on that thread go on.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

/// The threads, owned by the engine: dropping this ends them (and drops the workers still on
/// them), so an engine dropped without a shutdown leaves no worker behind.
#[derive(Debug)]
pub struct DeliveryThreads {
    runtimes: Arc<Runtimes>,
    stop: CancellationToken,
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

/// Where hook workers are spawned: the threads' runtimes, shared with the dispatchers.
#[derive(Debug)]
pub struct Runtimes {
    handles: Vec<Handle>,
    next: AtomicUsize,
}

impl DeliveryThreads {
    /// Starts `n` threads (at least one), each running its own current-thread runtime until
    /// [`DeliveryThreads::stop`] or drop.
    pub fn start(n: usize) -> std::io::Result<DeliveryThreads> {
        let stop = CancellationToken::new();
        let (mut handles, mut threads) = (Vec::new(), Vec::new());
        for i in 0..n.max(1) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            handles.push(runtime.handle().clone());
            let stop = stop.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("bluehook-deliver-{i}"))
                    .spawn(move || runtime.block_on(stop.cancelled()))?,
            );
        }
        Ok(DeliveryThreads {
            runtimes: Arc::new(Runtimes {
                handles,
                next: AtomicUsize::new(0),
            }),
            stop,
            threads: Mutex::new(threads),
        })
    }

    /// Their runtimes, for spawning workers.
    pub fn runtimes(&self) -> Arc<Runtimes> {
        self.runtimes.clone()
    }

    /// Stops the threads and waits for them (blocking). Workers still on them are dropped, so
    /// stop the workers first.
    pub fn stop(&self) {
        self.stop.cancel();
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
        for t in threads {
            let _ = t.join();
        }
    }
}

impl Drop for DeliveryThreads {
    fn drop(&mut self) {
        // Without joining: each thread ends as soon as it sees the token.
        self.stop.cancel();
    }
}

impl Runtimes {
    /// The runtime for the next hook worker (the threads in turn).
    pub fn next(&self) -> &Handle {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.handles.len();
        &self.handles[i]
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Always false: there is at least one.
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread_of(h: &Handle) -> Option<String> {
        let (tx, rx) = std::sync::mpsc::channel();
        h.spawn(async move {
            let _ = tx.send(std::thread::current().name().map(str::to_owned));
        });
        rx.recv_timeout(std::time::Duration::from_secs(5))
            .ok()
            .flatten()
    }

    #[test]
    fn tasks_run_on_the_threads_in_turn_and_stop_ends_them() {
        let threads = DeliveryThreads::start(2).unwrap();
        let runtimes = threads.runtimes();
        assert_eq!(runtimes.len(), 2);
        let names: Vec<_> = (0..4).map(|_| thread_of(runtimes.next())).collect();
        assert_eq!(
            names,
            [
                "bluehook-deliver-0",
                "bluehook-deliver-1",
                "bluehook-deliver-0",
                "bluehook-deliver-1"
            ]
            .map(|n| Some(n.to_owned()))
        );
        threads.stop();
        assert!(threads.threads.lock().unwrap().is_empty());
        assert_eq!(thread_of(runtimes.next()), None, "nothing runs after stop");
    }

    #[test]
    fn dropping_the_threads_ends_what_runs_on_them() {
        let threads = DeliveryThreads::start(1).unwrap();
        let runtimes = threads.runtimes();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        runtimes.next().spawn(async move {
            // Holds the sender until the task is dropped with its runtime.
            let _tx = tx;
            std::future::pending::<()>().await
        });
        drop(threads);
        assert_eq!(
            rx.recv_timeout(std::time::Duration::from_secs(5)),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected)
        );
    }
}

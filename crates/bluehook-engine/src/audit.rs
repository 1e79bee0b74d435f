//! The audit log's writer: one thread that journals what deliveries wait for, and the
//! durability watermark they wait on.
//!
//! The relay and the hook workers never touch SQLite: they queue [`Record`]s and go on. Raw
//! messages and events go down a channel that the writer drains at once: it appends everything
//! waiting to the event journal ([`crate::journal`]) in one write, and then raises the highest
//! journaled event id ([`crate::watermark`]). Attempt runs, cursors and the like (nothing waits
//! for them) go into a [`BatchQueue`] that the writer takes every 25 ms or 4,096 records: runs
//! and cursors to the journal (so a cursor never reaches SQLite ahead of the runs before it),
//! hook changes and gaps (a few a second) to the importer ([`crate::import`]), which owns the
//! SQLite connection, commits them at once and imports the journal when the relay is quiet, at
//! the latest 2 s after a record came, or when much waits; the writer never waits for SQLite.
//! A worker starts a delivery only once its event is journaled (`wait_durable`), so every
//! delivery is on disk before its first attempt and survives a crash: after a restart the
//! journal is imported first, and each hook resumes after its cursor (the last event it
//! finished). Ids are handed out in memory (atomics seeded from the database), so rows can
//! reference each other before they are written. A failed write is retried, never dropped.

use bluehook_core::checksum::{url_with_checksum, Sum};
use bytes::Bytes;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

use crate::attempt_runs::Run;
use crate::batch_queue::{BatchQueue, Ready};
use crate::import::Handoff;
use crate::journal::Journal;
use crate::live_feed::{FeedReceiver, LiveFeed};
use crate::store::StoreError;
use crate::wal_watch::WalWatch;
use crate::watermark::{watermark, Raiser, Watermark};

/// A raw message as received.
#[derive(Debug, Clone)]
pub struct RawRow {
    /// Id (assigned by the relay).
    pub id: i64,
    /// Server name.
    pub server: Arc<str>,
    /// Milliseconds since the epoch.
    pub received_at: i64,
    /// Redis channel.
    pub channel: Arc<str>,
    /// Message name, when it has one.
    pub name: Option<String>,
    /// `event`, `unknown`, `ignored`, `malformed` or `failed`.
    pub outcome: &'static str,
    /// Why it was dropped.
    pub error: Option<String>,
    /// The bytes (as text, lossy for invalid UTF-8).
    pub payload: Bytes,
}

/// A normalized event.
#[derive(Debug, Clone)]
pub struct EventRow {
    /// Id (assigned by the relay; also the delivery order).
    pub id: i64,
    /// The raw message it came from.
    pub raw_id: i64,
    /// Server name.
    pub server: Arc<str>,
    /// Processing time, ms.
    pub at: i64,
    /// `data.id`.
    pub kind: Arc<str>,
    /// Internal meeting id.
    pub meeting_internal: Option<String>,
    /// External meeting id.
    pub meeting_external: Option<String>,
    /// Internal user id.
    pub user_internal: Option<String>,
    /// External user id.
    pub user_external: Option<String>,
    /// 0: getRaw hooks get the raw message; 1: they get this event.
    pub raw_kind: u8,
    /// `JSON.stringify` text of the event.
    pub json: Arc<str>,
}

/// One delivery attempt.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AttemptRow {
    /// Server name.
    pub server: Arc<str>,
    /// Hook id.
    pub hook_id: Arc<str>,
    /// Event id.
    pub event_id: i64,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// When it started, ms.
    pub at: i64,
    /// The hook's callback URL as registered (shared by its attempts); the URL called is
    /// [`AttemptRow::called_url`]. (In [`Live::Attempt`] and in runs read from journals of
    /// older versions, it is the URL called, with no `checksum` beside it.)
    pub url: Arc<str>,
    /// The checksum sent in the URL (None with bearer auth).
    #[serde(skip)]
    pub checksum: Option<Sum>,
    /// Request headers as JSON, secrets redacted.
    pub request_headers: Arc<str>,
    /// Final status, if an answer came.
    pub status: Option<u16>,
    /// Response headers as JSON.
    pub response_headers: Option<Arc<str>>,
    /// First 4 KiB of the response body.
    pub response_body: Option<Arc<str>>,
    /// How long it took, µs.
    pub latency_us: i64,
    /// `delivered` or `failed`.
    pub outcome: &'static str,
    /// `timeout`, `refused`, `tls`, `status` or `other`.
    pub error_class: Option<&'static str>,
    /// The error text.
    pub error: Option<String>,
}

impl AttemptRow {
    /// The URL called: the callback URL with its `checksum` parameter.
    pub fn called_url(&self) -> String {
        match &self.checksum {
            Some(sum) => url_with_checksum(&self.url, sum.hex().as_str()),
            None => self.url.to_string(),
        }
    }
}

/// Something to write.
#[derive(Debug, Clone)]
pub enum Record {
    /// A raw message.
    Raw(RawRow),
    /// A normalized event.
    Event(EventRow),
    /// Consecutive alike delivery attempts of one hook, gathered by its worker
    /// ([`crate::attempt_runs::Gathering`]).
    Run(Box<Run>),
    /// A hook finished every event up to `through` (a run of delivered attempts also moves
    /// its hook's cursor to its last event).
    Cursor {
        /// Server name.
        server: Arc<str>,
        /// Hook id.
        hook_id: Arc<str>,
        /// Last event id handled.
        through: i64,
    },
    /// A hook was created, destroyed or removed.
    HookChange {
        /// Server name.
        server: Arc<str>,
        /// Hook id.
        hook_id: String,
        /// `created`, `destroyed`, `removed`.
        action: &'static str,
        /// The hook's URL.
        callback_url: String,
        /// Why.
        detail: Option<String>,
    },
    /// Redis went away (`ended_at` None) or came back.
    Gap {
        /// Server name.
        server: Arc<str>,
        /// When the outage started, ms.
        started_at: i64,
        /// When it ended, ms.
        ended_at: Option<i64>,
        /// What happened.
        detail: String,
    },
}

/// What live subscribers (SSE) see.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Live {
    /// A normalized event was produced.
    Event {
        /// Event id.
        id: i64,
        /// Server.
        server: Arc<str>,
        /// `data.id`.
        r#type: Arc<str>,
        /// The event JSON text.
        json: Arc<str>,
    },
    /// An attempt finished.
    Attempt(Box<AttemptRow>),
}

/// Messages (a raw message, an event, or both) waiting for the writer before senders wait.
const CHANNEL_CAPACITY: usize = 131_072;
/// Records per journal write, about (a raw message and its event are not split).
const BATCH: usize = 512;

/// The audit log handle shared by relays, workers and the API.
pub struct AuditLog {
    /// Raw messages and events: what deliveries wait for.
    events_tx: mpsc::Sender<Durable>,
    /// Attempts, cursors, hook changes, gaps.
    bulk: Arc<BatchQueue<Record>>,
    /// Highest event id journaled: its deliveries may start.
    durable: Watermark,
    /// Highest event id imported into SQLite (searchable).
    imported: Watermark,
    next_raw: AtomicI64,
    next_event: AtomicI64,
    live: LiveFeed<Live>,
    path: PathBuf,
    /// Held while an event id is handed out and queued.
    event_order: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("path", &self.path)
            .finish()
    }
}

impl AuditLog {
    /// Opens the writer on the database at `path` (already migrated by [`crate::store::Store`]).
    /// The returned join handle ends when every sender is gone and the last batch is written.
    pub fn start(path: &Path) -> Result<(Arc<AuditLog>, std::thread::JoinHandle<()>), StoreError> {
        let err = |source| StoreError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let mut conn = crate::store::open_connection(path, Duration::from_secs(30))?;
        // 16 MiB of page cache keeps the indexes' hot pages in memory as the tables grow.
        conn.pragma_update(None, "cache_size", -16_384)
            .map_err(err)?;
        let mut journal = Journal::open(path).map_err(|source| StoreError::Journal {
            path: Journal::path_for(path),
            source,
        })?;
        crate::import::import_leftovers(&mut conn, &mut journal, path)?;
        let max = |table: &str| -> Result<i64, StoreError> {
            conn.query_row(
                &format!("SELECT COALESCE(MAX(id), 0) FROM {table}"),
                [],
                |r| r.get(0),
            )
            .map_err(err)
        };
        let last_raw = max("raw_events")?;
        // Never hand out an id again, even after retention emptied the events table: cursors,
        // attempts and the full-text index remember ids that are gone.
        let remembered: i64 = conn
            .query_row(
                "SELECT MAX(COALESCE((SELECT MAX(through) FROM hook_cursors), 0),
                            COALESCE((SELECT MAX(last_event) FROM attempt_runs), 0))",
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        let indexed: i64 = crate::fts::open_index(path)?
            .query_row(
                "SELECT indexed_through FROM fts_state WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        let last_event = max("events")?.max(remembered).max(indexed);
        let (events_tx, events_rx) = mpsc::channel(CHANNEL_CAPACITY);
        let bulk = Arc::new(BatchQueue::new(BULK_BATCH, BULK_CAPACITY));
        let last_write = Arc::new(AtomicI64::new(0));
        let (durable_tx, durable) = watermark(last_event);
        let (imported_tx, imported) = watermark(last_event);
        let live = LiveFeed::new(4096);
        let log = Arc::new(AuditLog {
            events_tx,
            bulk: bulk.clone(),
            durable,
            imported,
            next_raw: AtomicI64::new(last_raw + 1),
            next_event: AtomicI64::new(last_event + 1),
            live,
            path: path.to_owned(),
            event_order: tokio::sync::Mutex::new(()),
        });
        // Checkpoints (which fsync) run on their own thread, never inside a commit that a
        // delivery is waiting for.
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(err)?;
        let wal = WalWatch::install(&conn);
        let page_size: i64 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .map_err(err)?;
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let checkpointer = {
            let done = done.clone();
            let last_write = last_write.clone();
            let conn = Connection::open(path).map_err(err)?;
            conn.busy_timeout(Duration::from_secs(5)).map_err(err)?;
            std::thread::Builder::new()
                .name("bluehook-checkpoint".into())
                .spawn(move || checkpoint_loop(conn, &wal, page_size as u64, &done, &last_write))
                .map_err(|source| StoreError::Dir {
                    path: path.to_owned(),
                    source,
                })?
        };
        let indexer = crate::fts::start(path, done.clone(), last_write.clone())?;
        let handoff = Arc::new(Handoff::new(journal));
        let thread_error = |source| StoreError::Dir {
            path: path.to_owned(),
            source,
        };
        let importer = {
            let (handoff, last_write, path) =
                (handoff.clone(), last_write.clone(), path.to_owned());
            std::thread::Builder::new()
                .name("bluehook-import".into())
                .spawn(move || {
                    crate::import::run(&handoff, conn, &imported_tx, &path, &last_write);
                })
                .map_err(thread_error)?
        };
        let handoff_left = handoff.clone();
        let handle = std::thread::Builder::new()
            .name("bluehook-audit".into())
            .spawn(move || {
                // Once the writer ends, everything journaled goes into SQLite and the journal
                // is left empty; on a panic the importer is told all the same, so that it
                // imports what it can and ends instead of waiting forever.
                let stop = StopImporter(&handoff);
                let writer = Writer {
                    events: events_rx,
                    bulk: &bulk,
                    handoff: &handoff,
                    durable: durable_tx,
                };
                write_loop(writer, &last_write);
                drop(stop);
                let _ = importer.join();
                done.store(true, Ordering::SeqCst);
                let _ = checkpointer.join();
                let _ = indexer.join();
            })
            .map_err(|e| {
                handoff_left.stop();
                thread_error(e)
            })?;
        Ok((log, handle))
    }

    /// A new raw message id.
    pub fn next_raw_id(&self) -> i64 {
        self.next_raw.fetch_add(1, Ordering::Relaxed)
    }

    /// A new event id (also its place in every hook's order).
    fn next_event_id(&self) -> i64 {
        self.next_event.fetch_add(1, Ordering::Relaxed)
    }

    /// The highest event id handed out so far.
    pub fn last_event_id(&self) -> i64 {
        self.next_event.load(Ordering::SeqCst) - 1
    }

    /// Shows an attempt to live subscribers as it happens (the log gets it later, in a run).
    pub fn show_attempt(&self, a: &AttemptRow) {
        self.live.send_with(|| {
            // Subscribers see the URL called, as queries show it.
            let mut shown = a.clone();
            shown.url = Arc::from(a.called_url());
            shown.checksum = None;
            Live::Attempt(Box::new(shown))
        });
    }

    /// Queues a record; waits while the writer is far behind.
    pub async fn record(&self, record: Record) {
        if is_event(&record) {
            self.show_event(&record);
            self.send_durable(Durable::One(record)).await;
        } else {
            self.bulk.push(record).await;
        }
    }

    /// Shows an event to live subscribers.
    fn show_event(&self, record: &Record) {
        if let Record::Event(e) = record {
            self.live.send_with(|| Live::Event {
                id: e.id,
                server: e.server.clone(),
                r#type: e.kind.clone(),
                json: e.json.clone(),
            });
        }
    }

    /// Queues raw messages or events for the journal.
    async fn send_durable(&self, item: Durable) {
        if self.events_tx.send(item).await.is_err() {
            tracing::error!("audit log writer has stopped; record lost");
        }
    }

    /// Queues bulk records (attempt runs, cursors: not raw messages or events), front first,
    /// waiting while the writer is far behind. Cancel-safe: what did not go in stays in
    /// `records`.
    pub async fn record_all(&self, records: &mut std::collections::VecDeque<Record>) {
        debug_assert!(!records.iter().any(is_event), "events go through record()");
        self.bulk.push_all(records).await;
    }

    /// Queues a record from synchronous code: bulk records at once; events at once when there
    /// is room, else from a task.
    pub fn record_soon(&self, record: Record) {
        if !is_event(&record) {
            // Hook changes and idle cursors: few, and never worth waiting for.
            self.bulk.push_now(record);
        } else if let Err(mpsc::error::TrySendError::Full(record)) =
            self.events_tx.try_send(Durable::One(record))
        {
            let tx = self.events_tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(record).await;
            });
        }
    }

    /// Records a normalized event under a fresh id, right after `raw` (its raw message, when
    /// not recorded yet), and returns the id. Ids reach the writer in increasing order (the
    /// lock spans both), which the durability watermark relies on.
    pub async fn record_event(
        &self,
        raw: Option<RawRow>,
        build: impl FnOnce(i64) -> EventRow,
    ) -> i64 {
        let _order = self.event_order.lock().await;
        let id = self.next_event_id();
        let event = Record::Event(build(id));
        self.show_event(&event);
        self.send_durable(match raw {
            Some(raw) => Durable::Pair(Record::Raw(raw), event),
            None => Durable::One(event),
        })
        .await;
        id
    }

    /// Waits until event `id` is durable (in the journal): its deliveries may start.
    pub async fn wait_durable(&self, id: i64) {
        self.durable.wait_past(id).await;
    }

    /// Waits until event `id` is imported into SQLite, where queries and exports see it.
    pub async fn wait_imported(&self, id: i64) {
        self.imported.wait_past(id).await;
    }

    /// Live events and attempts, for streaming.
    pub fn subscribe(&self) -> FeedReceiver<Live> {
        self.live.subscribe()
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        self.bulk.close();
    }
}

/// What goes down the lane that deliveries wait on: a raw message or an event, or a raw message
/// with its first event, sent together so that one journal write takes both (a raw message
/// written alone made its event wait out the writer's gap between writes, about 0.25 ms).
#[derive(Debug)]
enum Durable {
    One(Record),
    Pair(Record, Record),
}

impl Durable {
    /// Adds its records to `batch`.
    fn add_to(self, batch: &mut Vec<Record>) {
        match self {
            Durable::One(r) => batch.push(r),
            Durable::Pair(a, b) => batch.extend([a, b]),
        }
    }
}

/// Raw messages and events go down the lane that deliveries wait on.
fn is_event(record: &Record) -> bool {
    matches!(record, Record::Raw(_) | Record::Event(_))
}

/// Copies the WAL back into the database once the writer has been quiet for [`QUIET_MS`] after
/// writing, or when more than [`WAL_LIMIT`] waits (and once more at the end). It runs on its
/// own thread, never inside the writer.
fn checkpoint_loop(
    conn: Connection,
    wal: &WalWatch,
    page_size: u64,
    done: &std::sync::atomic::AtomicBool,
    last_write: &AtomicI64,
) {
    let mut checkpointed_at = 0i64;
    loop {
        let stopping = done.load(Ordering::SeqCst);
        let now = bluehook_core::now_ms() as i64;
        let written = last_write.load(Ordering::Relaxed);
        let quiet = now - written >= QUIET_MS && written > checkpointed_at;
        if stopping || quiet || wal.waiting_bytes(page_size) > WAL_LIMIT {
            match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
            }) {
                Ok((log, copied)) => wal.checkpointed((log - copied).max(0) as u64),
                Err(e) => tracing::debug!(error = %e, "WAL checkpoint skipped"),
            }
            checkpointed_at = now;
        }
        if stopping {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// How long (ms) the writer must have been idle before a checkpoint.
const QUIET_MS: i64 = 250;
/// WAL waiting to be copied back that triggers a checkpoint even while the importer is busy
/// (the loop looks every 100 ms, so under load that is about every 100 ms). Small, because a
/// checkpoint's fsync holds up the next commit for as long as it takes. When the writer still
/// committed, deliveries waited for that: at 1000 events/s (each commit there rewrote the last
/// page of every table and index, about 30 KB of WAL per event) a checkpoint at 128 MiB held
/// them up 20–30 ms, one at 16 MiB 3–7 ms; p99 publish→callback was 1.47 / 1.54 ms at 16 MiB
/// and 1.25 / 0.99 ms at 1 MiB, with ten-hook burst rates alike. Now only the importer waits.
const WAL_LIMIT: u64 = 1024 * 1024;

/// Tells the importer, when dropped, that the writer has ended.
struct StopImporter<'a>(&'a Handoff);

impl Drop for StopImporter<'_> {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// The writer's inputs and outputs.
struct Writer<'a> {
    events: mpsc::Receiver<Durable>,
    bulk: &'a BatchQueue<Record>,
    /// The journal, shared with the importer.
    handoff: &'a Handoff,
    /// Highest event id in the journal: deliveries may start.
    durable: Raiser,
}

fn write_loop(mut w: Writer<'_>, last_write: &AtomicI64) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "audit log writer cannot start");
            return;
        }
    };
    let mut batch = Vec::with_capacity(BATCH);
    // The bulk records being written; swapped with the queue's, so both keep their capacity.
    let mut taken = Vec::new();
    // When the oldest bulk record waiting arrived (None: none waiting).
    let mut bulk_since: Option<Instant> = None;
    let (mut events_open, mut bulk_open) = (true, true);
    // When the last write of events began.
    let mut last_append = Instant::now() - EVENT_WRITE_GAP;
    while events_open || bulk_open {
        let due = bulk_since.map(|t| t + BULK_DELAY);
        // Wait for an event, for bulk records (the first, or a full batch), or for a deadline.
        let events = &mut w.events;
        let wake = runtime.block_on(async {
            let sleep = tokio::time::sleep_until(due.unwrap_or_else(Instant::now).into());
            tokio::select! {
                biased;
                r = events.recv(), if events_open => match r {
                    Some(first) => {
                        first.add_to(&mut batch);
                        Wake::Events
                    }
                    None => Wake::EventsClosed,
                },
                ready = w.bulk.wait(bulk_since.is_some()), if bulk_open => Wake::Bulk(ready),
                _ = sleep, if due.is_some() => Wake::Due,
            }
        });
        match wake {
            // Events (what deliveries wait for) go to the journal at once.
            Wake::Events => {
                // Under load, let events gather for a moment: one write for many.
                let since = last_append.elapsed();
                if since < EVENT_WRITE_GAP {
                    std::thread::sleep(EVENT_WRITE_GAP - since);
                }
                last_append = Instant::now();
                drain_events(&mut w.events, &mut batch);
                w.append(&batch);
                batch.clear();
            }
            Wake::EventsClosed => events_open = false,
            Wake::Bulk(Ready::Items) => {
                bulk_since = Some(Instant::now());
                w.handoff.busy();
            }
            Wake::Bulk(Ready::Full) => {
                // Workers are about to wait for room.
                w.flush_bulk(&mut taken);
                bulk_since = None;
            }
            Wake::Due => {}
            Wake::Bulk(Ready::Closed) => bulk_open = false,
        }
        // The deadline is looked at after every wake-up, not only when the timer wins the
        // (biased) select: under a steady stream of events it never would, and bulk records
        // would not be written until the stream paused.
        if bulk_since.is_some_and(|t| t + BULK_DELAY <= Instant::now()) {
            w.flush_bulk(&mut taken);
            bulk_since = None;
        }
        last_write.store(bluehook_core::now_ms() as i64, Ordering::Relaxed);
    }
}

impl Writer<'_> {
    /// Appends events to the journal, retrying until they are in; then lets their deliveries go.
    fn append(&mut self, events: &[Record]) {
        self.journal_append(events);
        self.durable.raise(max_event(events));
    }

    /// Appends the journal's records among `records`, retrying until they are in.
    fn journal_append(&mut self, records: &[Record]) {
        let mut delay = Duration::from_millis(50);
        while let Err(e) = self.handoff.append(records) {
            tracing::error!(path = %self.handoff.journal_path().display(), error = %e, records = records.len(), retry_in_ms = delay.as_millis() as u64, "event journal write failed; retrying");
            std::thread::sleep(delay);
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    /// Takes the bulk records waiting and writes them: attempt runs and cursors to the journal,
    /// imported with the events when the relay is quiet (in a burst their SQLite rows, indexes
    /// and checkpoints cost the delivery threads 4–7% of their throughput), after the runs
    /// before them (so in SQLite a hook's cursor is never ahead of attempts still waiting:
    /// retention keeps what follows the lowest cursor); hook changes and gaps to the importer,
    /// which commits them at once.
    fn flush_bulk(&mut self, taken: &mut Vec<Record>) {
        self.bulk.take_into(taken);
        self.journal_append(taken);
        self.handoff.hand_over(
            taken
                .drain(..)
                .filter(|r| matches!(r, Record::HookChange { .. } | Record::Gap { .. })),
        );
    }
}

/// The highest event id among `records` (0 if none).
fn max_event(records: &[Record]) -> i64 {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Event(e) => Some(e.id),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// Moves events waiting in the channel into `batch`, up to about [`BATCH`].
fn drain_events(events: &mut mpsc::Receiver<Durable>, batch: &mut Vec<Record>) {
    while batch.len() < BATCH {
        match events.try_recv() {
            Ok(r) => r.add_to(batch),
            Err(_) => break,
        }
    }
}

/// What woke the writer.
enum Wake {
    /// Raw messages or events came (they are in the batch).
    Events,
    EventsClosed,
    Bulk(Ready),
    Due,
}

/// Writes of events to the journal begin at least this far apart. A delivery waits for its
/// event's write, so this is the most it adds to a callback's latency, and only under load:
/// events that come further apart are written at once. In a burst, fewer and larger writes
/// save the writer a wake-up and a system call per event.
const EVENT_WRITE_GAP: Duration = Duration::from_micros(250);

/// Bulk records that wake the writer for a commit.
const BULK_BATCH: usize = 4096;
/// Bulk records waiting before workers wait (a few MiB: the queue is a `Vec` of records).
const BULK_CAPACITY: usize = 16_384;
/// How long bulk records may wait for more.
const BULK_DELAY: Duration = Duration::from_millis(25);

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn event(id: i64) -> Record {
        Record::Event(EventRow {
            id,
            raw_id: 0,
            server: Arc::from("default"),
            at: 1000 + id,
            kind: Arc::from("chat-group-message-sent"),
            meeting_internal: Some("m".into()),
            meeting_external: None,
            user_internal: None,
            user_external: None,
            raw_kind: 0,
            json: Arc::from(format!("{{\"n\":{id}}}")),
        })
    }

    fn count(db: &Path) -> i64 {
        Connection::open(db)
            .unwrap()
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
            .unwrap()
    }

    /// Retention keeps what follows the lowest cursor, so SQLite must never hold a hook's
    /// cursor ahead of attempt runs that are still in the journal.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cursor_reaches_sqlite_no_earlier_than_the_runs_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open_in(dir.path()).unwrap();
        let (log, writer) = AuditLog::start(store.path()).unwrap();
        let attempt = crate::attempt_runs::tests::attempt(5, 200);
        let server = attempt.server.clone();
        let mut out = std::collections::VecDeque::from([
            Record::Run(Box::new(Run::new(attempt))),
            // An idle worker's cursor, past events the hook did not want.
            Record::Cursor {
                server,
                hook_id: Arc::from("h"),
                through: 10,
            },
        ]);
        log.record_all(&mut out).await;
        let db = Connection::open(store.path()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // One statement: one snapshot of both tables.
            let (cursors, runs): (i64, i64) = db
                .query_row(
                    "SELECT (SELECT COUNT(*) FROM hook_cursors WHERE hook_id = 'h'),
                            (SELECT COUNT(*) FROM attempt_runs WHERE hook_id = 'h')",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            assert!(cursors == 0 || runs == 1, "the cursor came first");
            if cursors == 1 {
                break;
            }
            assert!(Instant::now() < deadline, "nothing reached SQLite");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let through: i64 = db
            .query_row(
                "SELECT through FROM hook_cursors WHERE hook_id = 'h'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(through, 10);
        drop(log);
        tokio::task::spawn_blocking(move || writer.join().unwrap())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_journal_left_by_a_killed_process_is_imported_at_start_and_ids_go_on_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open_in(dir.path()).unwrap();
        let db = store.path().to_owned();
        // What a process killed before its import leaves: events in the journal only, one of
        // them (3) also imported already, and a torn last write.
        let (log, writer) = AuditLog::start(&db).unwrap();
        let id = log
            .record_event(None, |id| match event(id) {
                Record::Event(e) => e,
                _ => unreachable!(),
            })
            .await;
        assert_eq!(id, 1);
        drop(log);
        tokio::task::spawn_blocking(move || writer.join().unwrap())
            .await
            .unwrap();
        assert_eq!(count(&db), 1, "a stopping writer imports everything");
        let journal = Journal::path_for(&db);
        assert_eq!(std::fs::metadata(&journal).unwrap().len(), 0);
        let mut j = Journal::open(&db).unwrap();
        j.append(&[event(2), event(3), event(4)]).unwrap();
        drop(j);
        let mut conn = Connection::open(&db).unwrap();
        crate::import::write_batch(&mut conn, &[event(3)]).unwrap();
        drop(conn);
        let mut bytes = std::fs::read(&journal).unwrap();
        bytes.extend_from_slice(&[200, 0, 0, 0, 1, 2]);
        std::fs::write(&journal, &bytes).unwrap();

        let (log, writer) = AuditLog::start(&db).unwrap();
        assert_eq!(count(&db), 4, "events 2–4 imported once each");
        assert_eq!(std::fs::metadata(&journal).unwrap().len(), 0);
        let ids: Vec<i64> = Connection::open(&db)
            .unwrap()
            .prepare("SELECT id FROM events ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(ids, [1, 2, 3, 4]);
        let next = log
            .record_event(None, |id| match event(id) {
                Record::Event(e) => e,
                _ => unreachable!(),
            })
            .await;
        assert_eq!(next, 5, "no id is handed out twice");
        log.wait_durable(5).await;
        assert!(
            std::fs::metadata(&journal).unwrap().len() > 0,
            "journaled first"
        );
        log.wait_imported(5).await;
        assert_eq!(count(&db), 5);
        drop(log);
        tokio::task::spawn_blocking(move || writer.join().unwrap())
            .await
            .unwrap();
    }

    /// Deliveries wait for their events' journal writes, never for SQLite: with the database
    /// locked by another process, so that whatever goes into SQLite waits, events are still
    /// journaled at once, and once the lock is gone everything arrives in SQLite.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn events_are_journaled_while_sqlite_is_locked() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open_in(dir.path()).unwrap();
        let (log, writer) = AuditLog::start(store.path()).unwrap();
        let locker = Connection::open(store.path()).unwrap();
        locker.execute_batch("BEGIN IMMEDIATE").unwrap();
        // A hook change goes to SQLite at once (it does not wait for a quiet relay), and so
        // meets the lock within moments.
        log.record_soon(Record::HookChange {
            server: Arc::from("default"),
            hook_id: "h".into(),
            action: "created",
            callback_url: "http://127.0.0.1:9/".into(),
            detail: None,
        });
        let started = Instant::now();
        let mut last = 0;
        // Past the bulk records' 25 ms and the import's quiet 100 ms, many times over.
        while started.elapsed() < Duration::from_secs(1) {
            last = log
                .record_event(None, |id| match event(id) {
                    Record::Event(e) => e,
                    _ => unreachable!(),
                })
                .await;
            tokio::time::timeout(Duration::from_secs(2), log.wait_durable(last))
                .await
                .unwrap_or_else(|_| panic!("event {last} waited for the locked database"));
        }
        assert_eq!(count(store.path()), 0, "the lock held SQLite back");
        locker.execute_batch("COMMIT").unwrap();
        log.wait_imported(last).await;
        assert_eq!(count(store.path()), last);
        let changes: i64 = Connection::open(store.path())
            .unwrap()
            .query_row(
                "SELECT COUNT(*) FROM hook_log WHERE hook_id = 'h'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(changes, 1);
        drop(log);
        tokio::task::spawn_blocking(move || writer.join().unwrap())
            .await
            .unwrap();
    }

    /// Under a stream of events that never pauses, the journal still goes into SQLite (at the
    /// latest after IMPORT_MAX_AGE): the writer's deadlines are not starved by its events.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stream_that_never_pauses_is_still_imported() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open_in(dir.path()).unwrap();
        let (log, writer) = AuditLog::start(store.path()).unwrap();
        let streaming = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let producer = tokio::spawn({
            let (log, streaming) = (log.clone(), streaming.clone());
            async move {
                let mut sent = 0u64;
                while streaming.load(Ordering::Relaxed) {
                    log.record_event(None, |id| match event(id) {
                        Record::Event(e) => e,
                        _ => unreachable!(),
                    })
                    .await;
                    sent += 1;
                }
                sent
            }
        });
        let imported = tokio::time::timeout(
            crate::import::IMPORT_MAX_AGE + Duration::from_secs(1),
            log.wait_imported(1),
        )
        .await;
        let still_streaming = !producer.is_finished();
        streaming.store(false, Ordering::Relaxed);
        let sent = producer.await.unwrap();
        assert!(
            imported.is_ok(),
            "nothing imported while {sent} events streamed"
        );
        assert!(still_streaming);
        drop(log);
        tokio::task::spawn_blocking(move || writer.join().unwrap())
            .await
            .unwrap();
    }
}

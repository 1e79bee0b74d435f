//! The audit log's writer: one thread, batched transactions, and the durability watermark that
//! delivery waits on.
//!
//! The relay and the hook workers never touch SQLite: they queue [`Record`]s and go on. Raw
//! messages and events go down a channel that the writer drains at once: it writes everything
//! waiting (up to a batch) in one transaction with cached statements, commits, and then
//! publishes the highest committed event id on a `watch` channel. Attempts, cursors and the
//! like (nothing waits for them) go into a [`BatchQueue`] that the writer takes every 25 ms or
//! 4,096 records, and writes in slices, committing any waiting events with each slice. A worker
//! starts a delivery only once its event is committed (`wait_durable`), so every delivery is on
//! disk before its first attempt and survives a crash: after a restart each hook resumes after
//! its cursor (the last event it finished).
//! Ids are handed out in memory (atomics seeded from the database), so rows can reference each
//! other before they are written. A failed commit is retried, never dropped.

use bytes::Bytes;
use rusqlite::{params, Connection};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};

use crate::attempt_runs::Run;
use crate::batch_queue::{BatchQueue, Ready};
use crate::store::StoreError;
use crate::wal_watch::WalWatch;

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
    /// URL called (with its checksum parameter).
    pub url: Arc<str>,
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

/// Records waiting for the writer before senders wait.
const CHANNEL_CAPACITY: usize = 131_072;
/// Records per transaction at most.
const BATCH: usize = 512;

/// The audit log handle shared by relays, workers and the API.
pub struct AuditLog {
    /// Raw messages and events: what deliveries wait for.
    events_tx: mpsc::Sender<Record>,
    /// Attempts, cursors, hook changes, gaps.
    bulk: Arc<BatchQueue<Record>>,
    durable: watch::Receiver<i64>,
    next_raw: AtomicI64,
    next_event: AtomicI64,
    live: broadcast::Sender<Live>,
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
        let conn = crate::store::open_connection(path, Duration::from_secs(30))?;
        // 16 MiB of page cache keeps the indexes' hot pages in memory as the tables grow.
        conn.pragma_update(None, "cache_size", -16_384)
            .map_err(err)?;
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
        let (durable_tx, durable) = watch::channel(last_event);
        let (live, _) = broadcast::channel(4096);
        let log = Arc::new(AuditLog {
            events_tx,
            bulk: bulk.clone(),
            durable,
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
        let writer_path = path.to_owned();
        let handle = std::thread::Builder::new()
            .name("bluehook-audit".into())
            .spawn(move || {
                write_loop(
                    conn,
                    events_rx,
                    &bulk,
                    durable_tx,
                    &last_write,
                    &writer_path,
                );
                done.store(true, Ordering::SeqCst);
                let _ = checkpointer.join();
                let _ = indexer.join();
            })
            .map_err(|source| StoreError::Dir {
                path: path.to_owned(),
                source,
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
        if self.live.receiver_count() > 0 {
            let _ = self.live.send(Live::Attempt(Box::new(a.clone())));
        }
    }

    /// Queues a record; waits while the writer is far behind.
    pub async fn record(&self, record: Record) {
        if let Record::Event(e) = &record {
            if self.live.receiver_count() > 0 {
                let _ = self.live.send(Live::Event {
                    id: e.id,
                    server: e.server.clone(),
                    r#type: e.kind.clone(),
                    json: e.json.clone(),
                });
            }
        }
        if is_event(&record) {
            if self.events_tx.send(record).await.is_err() {
                tracing::error!("audit log writer has stopped; record lost");
            }
        } else {
            self.bulk.push(record).await;
        }
    }

    /// Queues a record from synchronous code: bulk records at once; events at once when there
    /// is room, else from a task.
    pub fn record_soon(&self, record: Record) {
        if !is_event(&record) {
            // Hook changes and idle cursors: few, and never worth waiting for.
            self.bulk.push_now(record);
        } else if let Err(mpsc::error::TrySendError::Full(record)) = self.events_tx.try_send(record)
        {
            let tx = self.events_tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(record).await;
            });
        }
    }

    /// Records a normalized event under a fresh id and returns the id. Ids reach the writer in
    /// increasing order (the lock spans both), which the durability watermark relies on.
    pub async fn record_event(&self, build: impl FnOnce(i64) -> EventRow) -> i64 {
        let _order = self.event_order.lock().await;
        let id = self.next_event_id();
        self.record(Record::Event(build(id))).await;
        id
    }

    /// Waits until event `id` is committed.
    pub async fn wait_durable(&self, id: i64) {
        let mut rx = self.durable.clone();
        let _ = rx.wait_for(|committed| *committed >= id).await;
    }

    /// Live events and attempts, for streaming.
    pub fn subscribe(&self) -> broadcast::Receiver<Live> {
        self.live.subscribe()
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        self.bulk.close();
    }
}

/// Raw messages and events go down the lane that deliveries wait on.
fn is_event(record: &Record) -> bool {
    matches!(record, Record::Raw(_) | Record::Event(_))
}

struct Statements;

impl Statements {
    const RAW: &'static str = "INSERT INTO raw_events (id, server, received_at, channel, name, outcome, error, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    const EVENT: &'static str = "INSERT INTO events (id, raw_id, server, at, type, meeting_internal, meeting_external, user_internal, user_external, raw_kind, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
    const CURSOR: &'static str = "INSERT INTO hook_cursors (server, hook_id, through) VALUES (?1, ?2, ?3) ON CONFLICT (server, hook_id) DO UPDATE SET through = MAX(through, excluded.through)";
    const HOOK: &'static str = "INSERT INTO hook_log (server, hook_id, at, action, callback_url, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    const GAP_OPEN: &'static str =
        "INSERT INTO gaps (server, started_at, ended_at, detail) VALUES (?1, ?2, ?3, ?4)";
    const GAP_CLOSE: &'static str = "UPDATE gaps SET ended_at = ?3, detail = ?4 WHERE id = (SELECT MAX(id) FROM gaps WHERE server = ?1 AND started_at = ?2)";
}

/// Cursors to write at the end of a batch, the highest per hook.
type Cursors = std::collections::HashMap<(Arc<str>, Arc<str>), i64>;

/// Moves a hook's cursor in `cursors` up to `through` (never back).
fn advance(cursors: &mut Cursors, server: &Arc<str>, hook_id: &Arc<str>, through: i64) {
    let slot = cursors
        .entry((server.clone(), hook_id.clone()))
        .or_insert(through);
    *slot = (*slot).max(through);
}

/// Writes `events` then `bulk` in one transaction; returns the highest event id written.
fn write_batch(conn: &mut Connection, events: &[Record], bulk: &[Record]) -> rusqlite::Result<i64> {
    let tx = conn.transaction()?;
    let mut max_event = 0;
    let mut cursors = Cursors::new();
    {
        for record in events.iter().chain(bulk) {
            match record {
                Record::Raw(r) => {
                    tx.prepare_cached(Statements::RAW)?.execute(params![
                        r.id,
                        &*r.server,
                        r.received_at,
                        &*r.channel,
                        r.name,
                        r.outcome,
                        r.error,
                        String::from_utf8_lossy(&r.payload),
                    ])?;
                }
                Record::Event(e) => {
                    max_event = max_event.max(e.id);
                    tx.prepare_cached(Statements::EVENT)?.execute(params![
                        e.id,
                        e.raw_id,
                        &*e.server,
                        e.at,
                        &*e.kind,
                        e.meeting_internal,
                        e.meeting_external,
                        e.user_internal,
                        e.user_external,
                        e.raw_kind,
                        &*e.json,
                    ])?;
                }
                Record::Run(run) => {
                    let head = run.head();
                    if head.outcome == "delivered" {
                        advance(&mut cursors, &head.server, &head.hook_id, run.last_event());
                    }
                    run.insert(&tx)?;
                }
                Record::Cursor {
                    server,
                    hook_id,
                    through,
                } => {
                    // One write per hook and batch, however many deliveries finished.
                    advance(&mut cursors, server, hook_id, *through);
                }
                Record::HookChange {
                    server,
                    hook_id,
                    action,
                    callback_url,
                    detail,
                } => {
                    tx.prepare_cached(Statements::HOOK)?.execute(params![
                        &**server,
                        hook_id,
                        bluehook_core::now_ms() as i64,
                        action,
                        callback_url,
                        detail
                    ])?;
                }
                Record::Gap {
                    server,
                    started_at,
                    ended_at,
                    detail,
                } => {
                    let sql = if ended_at.is_some() {
                        Statements::GAP_CLOSE
                    } else {
                        Statements::GAP_OPEN
                    };
                    let changed = tx
                        .prepare_cached(sql)?
                        .execute(params![&**server, started_at, ended_at, detail])?;
                    if changed == 0 {
                        // The outage began before this process started: record it whole.
                        tx.prepare_cached(Statements::GAP_OPEN)?
                            .execute(params![&**server, started_at, ended_at, detail])?;
                    }
                }
            }
        }
    }
    for ((server, hook_id), through) in cursors {
        tx.prepare_cached(Statements::CURSOR)?
            .execute(params![&*server, &*hook_id, through])?;
    }
    tx.commit()?;
    Ok(max_event)
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
/// WAL waiting to be copied back that triggers a checkpoint even while the writer is busy (the
/// loop looks every 100 ms, so under load that is about every 100 ms). Small, because a
/// checkpoint's fsync holds up the writer's next commit for as long as it takes: at 1000
/// events/s (each commit there rewrites the last page of every table and index, about 30 KB of
/// WAL per event) a checkpoint at 128 MiB held deliveries up 20–30 ms, one at 16 MiB 3–7 ms;
/// p99 publish→callback was 1.47 / 1.54 ms at 16 MiB and 1.25 / 0.99 ms at 1 MiB, with ten-hook
/// burst rates alike.
const WAL_LIMIT: u64 = 1024 * 1024;

fn write_loop(
    mut conn: Connection,
    mut events: mpsc::Receiver<Record>,
    bulk: &BatchQueue<Record>,
    durable: watch::Sender<i64>,
    last_write: &AtomicI64,
    path: &Path,
) {
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
    let mut bulk_since: Option<std::time::Instant> = None;
    let (mut events_open, mut bulk_open) = (true, true);
    // When the last commit of events began.
    let mut last_commit = std::time::Instant::now() - EVENT_COMMIT_GAP;
    while events_open || bulk_open {
        let due = bulk_since.map(|t| t + BULK_DELAY);
        // Wait for an event, for bulk records (the first, or a full batch), or for the bulk
        // records' deadline.
        let wake = runtime.block_on(async {
            let sleep =
                tokio::time::sleep_until(due.unwrap_or_else(std::time::Instant::now).into());
            tokio::select! {
                biased;
                r = events.recv(), if events_open => r.map_or(Wake::EventsClosed, Wake::Event),
                ready = bulk.wait(bulk_since.is_some()), if bulk_open => Wake::Bulk(ready),
                _ = sleep, if due.is_some() => Wake::Due,
            }
        });
        match wake {
            // Events (what deliveries wait for) are committed on their own, at once.
            Wake::Event(first) => {
                // Under load, let events gather for a moment: a commit has a fixed price (its
                // pages of every index, the WAL's locks) that a larger one shares out.
                let since = last_commit.elapsed();
                if since < EVENT_COMMIT_GAP {
                    std::thread::sleep(EVENT_COMMIT_GAP - since);
                }
                last_commit = std::time::Instant::now();
                batch.push(first);
                drain_events(&mut events, &mut batch);
                commit(&mut conn, &batch, &[], &durable, path);
                batch.clear();
            }
            Wake::EventsClosed => events_open = false,
            Wake::Bulk(Ready::Items) => bulk_since = Some(std::time::Instant::now()),
            Wake::Bulk(Ready::Full) | Wake::Due => {
                bulk.take_into(&mut taken);
                write_bulk(&mut conn, &taken, &mut batch, &mut events, &durable, path);
                taken.clear();
                bulk_since = None;
            }
            Wake::Bulk(Ready::Closed) => bulk_open = false,
        }
        last_write.store(bluehook_core::now_ms() as i64, Ordering::Relaxed);
    }
}

/// Moves events waiting in the channel into `batch`, up to [`BATCH`].
fn drain_events(events: &mut mpsc::Receiver<Record>, batch: &mut Vec<Record>) {
    while batch.len() < BATCH {
        match events.try_recv() {
            Ok(r) => batch.push(r),
            Err(_) => break,
        }
    }
}

/// Writes bulk records a slice per commit, each commit carrying the events waiting by then, so
/// that a large bulk batch does not hold deliveries up for the whole of its writing.
fn write_bulk(
    conn: &mut Connection,
    records: &[Record],
    batch: &mut Vec<Record>,
    events: &mut mpsc::Receiver<Record>,
    durable: &watch::Sender<i64>,
    path: &Path,
) {
    for slice in records.chunks(BULK_SLICE) {
        drain_events(events, batch);
        commit(conn, batch, slice, durable, path);
        batch.clear();
    }
}

/// What woke the writer.
enum Wake {
    Event(Record),
    EventsClosed,
    Bulk(Ready),
    Due,
}

/// Commits of events begin at least this far apart. A delivery waits for its event's commit,
/// so this is the most it adds to a callback's latency, and only under load: events that come
/// further apart are committed at once. In a burst, a commit has a price of its own (the last
/// page of each table and index rewritten, the WAL's locks, waking the writer per event) that
/// fewer, larger commits share out: two instances with the log on taking bursts in turn, one
/// with this gap and one without, used 2–15% less CPU per delivery with it (`cargo xtask bench
/// --only audit`).
const EVENT_COMMIT_GAP: Duration = Duration::from_micros(250);

/// Bulk records that wake the writer for a commit.
const BULK_BATCH: usize = 4096;
/// Bulk records waiting before workers wait (a few MiB: the queue is a `Vec` of records).
const BULK_CAPACITY: usize = 16_384;
/// Bulk records per commit.
const BULK_SLICE: usize = 1024;
/// How long bulk records may wait for more.
const BULK_DELAY: Duration = Duration::from_millis(25);

/// Writes one batch, retrying until it is in; then moves the durability watermark.
fn commit(
    conn: &mut Connection,
    events: &[Record],
    bulk: &[Record],
    durable: &watch::Sender<i64>,
    path: &Path,
) {
    let rows = events.len() + bulk.len();
    let mut delay = Duration::from_millis(50);
    loop {
        let started = std::time::Instant::now();
        match write_batch(conn, events, bulk) {
            Ok(max_event) => {
                let took = started.elapsed();
                if took > Duration::from_millis(20) {
                    tracing::debug!(rows, took_ms = took.as_millis() as u64, "slow audit commit");
                }
                if max_event > 0 {
                    durable.send_if_modified(|v| {
                        let grew = max_event > *v;
                        if grew {
                            *v = max_event;
                        }
                        grew
                    });
                }
                return;
            }
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, rows, retry_in_ms = delay.as_millis() as u64, "audit log write failed; retrying");
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

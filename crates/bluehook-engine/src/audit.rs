//! The audit log's writer: one thread, batched transactions, and the durability watermark that
//! delivery waits on.
//!
//! The relay and the hook workers never touch SQLite: they send [`Record`]s down a bounded
//! channel and go on. The writer thread takes everything waiting (up to a batch), writes it in
//! one transaction with cached statements, commits, and then publishes the highest committed
//! event id on a `watch` channel. A worker starts a delivery only once its event is committed
//! (`wait_durable`), so every delivery is on disk before its first attempt and survives a
//! crash: after a restart each hook resumes after its cursor (the last event it finished).
//! Ids are handed out in memory (atomics seeded from the database), so rows can reference each
//! other before they are written. A failed commit is retried, never dropped.

use bytes::Bytes;
use rusqlite::{params, Connection};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};

use crate::store::StoreError;

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
    pub url: String,
    /// Request headers as JSON, secrets redacted.
    pub request_headers: String,
    /// Final status, if an answer came.
    pub status: Option<u16>,
    /// Response headers as JSON.
    pub response_headers: Option<String>,
    /// First 4 KiB of the response body.
    pub response_body: Option<String>,
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
    /// A delivery attempt.
    Attempt(Box<AttemptRow>),
    /// A hook finished every event up to `through`.
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
const BATCH: usize = 8192;

/// The audit log handle shared by relays, workers and the API.
pub struct AuditLog {
    tx: mpsc::Sender<Record>,
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
        let conn = Connection::open(path).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(err)?;
        let max = |table: &str| -> Result<i64, StoreError> {
            conn.query_row(
                &format!("SELECT COALESCE(MAX(id), 0) FROM {table}"),
                [],
                |r| r.get(0),
            )
            .map_err(err)
        };
        let last_raw = max("raw_events")?;
        let last_event = max("events")?;
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let (durable_tx, durable) = watch::channel(last_event);
        let (live, _) = broadcast::channel(4096);
        let log = Arc::new(AuditLog {
            tx,
            durable,
            next_raw: AtomicI64::new(last_raw + 1),
            next_event: AtomicI64::new(last_event + 1),
            live,
            path: path.to_owned(),
            event_order: tokio::sync::Mutex::new(()),
        });
        let writer_path = path.to_owned();
        let handle = std::thread::Builder::new()
            .name("bluehook-audit".into())
            .spawn(move || write_loop(conn, rx, durable_tx, &writer_path))
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

    /// Queues a record; waits while the writer is far behind.
    pub async fn record(&self, record: Record) {
        if let Record::Attempt(a) = &record {
            let _ = self.live.send(Live::Attempt(a.clone()));
        }
        if let Record::Event(e) = &record {
            let _ = self.live.send(Live::Event {
                id: e.id,
                server: e.server.clone(),
                r#type: e.kind.clone(),
                json: e.json.clone(),
            });
        }
        if self.tx.send(record).await.is_err() {
            tracing::error!("audit log writer has stopped; record lost");
        }
    }

    /// Queues a record from synchronous code: at once when there is room, else from a task.
    pub fn record_soon(&self, record: Record) {
        if let Err(mpsc::error::TrySendError::Full(record)) = self.tx.try_send(record) {
            let tx = self.tx.clone();
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

struct Statements;

impl Statements {
    const RAW: &'static str = "INSERT INTO raw_events (id, server, received_at, channel, name, outcome, error, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    const EVENT: &'static str = "INSERT INTO events (id, raw_id, server, at, type, meeting_internal, meeting_external, user_internal, user_external, raw_kind, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
    const ATTEMPT: &'static str = "INSERT INTO attempts (server, hook_id, event_id, attempt, at, url, request_headers, status, response_headers, response_body, latency_us, outcome, error_class, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
    const CURSOR: &'static str = "INSERT INTO hook_cursors (server, hook_id, through) VALUES (?1, ?2, ?3) ON CONFLICT (server, hook_id) DO UPDATE SET through = MAX(through, excluded.through)";
    const HOOK: &'static str = "INSERT INTO hook_log (server, hook_id, at, action, callback_url, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    const GAP_OPEN: &'static str =
        "INSERT INTO gaps (server, started_at, ended_at, detail) VALUES (?1, ?2, ?3, ?4)";
    const GAP_CLOSE: &'static str = "UPDATE gaps SET ended_at = ?3, detail = ?4 WHERE id = (SELECT MAX(id) FROM gaps WHERE server = ?1 AND started_at = ?2)";
}

fn write_batch(conn: &mut Connection, batch: &[Record]) -> rusqlite::Result<i64> {
    let tx = conn.transaction()?;
    let mut max_event = 0;
    {
        for record in batch {
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
                Record::Attempt(a) => {
                    tx.prepare_cached(Statements::ATTEMPT)?.execute(params![
                        &*a.server,
                        &*a.hook_id,
                        a.event_id,
                        a.attempt,
                        a.at,
                        a.url,
                        a.request_headers,
                        a.status,
                        a.response_headers,
                        a.response_body,
                        a.latency_us,
                        a.outcome,
                        a.error_class,
                        a.error,
                    ])?;
                }
                Record::Cursor {
                    server,
                    hook_id,
                    through,
                } => {
                    tx.prepare_cached(Statements::CURSOR)?
                        .execute(params![&**server, &**hook_id, through])?;
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
    tx.commit()?;
    Ok(max_event)
}

fn write_loop(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Record>,
    durable: watch::Sender<i64>,
    path: &Path,
) {
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let mut delay = Duration::from_millis(50);
        loop {
            match write_batch(&mut conn, &batch) {
                Ok(max_event) => {
                    if max_event > 0 {
                        durable.send_if_modified(|v| {
                            let grew = max_event > *v;
                            if grew {
                                *v = max_event;
                            }
                            grew
                        });
                    }
                    break;
                }
                Err(e) => {
                    tracing::error!(path = %path.display(), error = %e, rows = batch.len(), retry_in_ms = delay.as_millis() as u64, "audit log write failed; retrying");
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
        batch.clear();
        // Idle: bring the full-text index up to date, a little at a time, so that a new
        // record never waits long behind it.
        while rx.is_empty() {
            match index_some(&mut conn, FTS_CHUNK) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "full-text indexing failed; will retry later");
                    break;
                }
            }
        }
    }
}

/// Events indexed per step when the writer is idle.
const FTS_CHUNK: usize = 200;

/// Adds up to `n` not yet indexed events to the full-text index; returns how many.
fn index_some(conn: &mut Connection, n: usize) -> rusqlite::Result<usize> {
    let tx = conn.transaction()?;
    let through: i64 = tx.query_row(
        "SELECT indexed_through FROM fts_state WHERE id = 1",
        [],
        |r| r.get(0),
    )?;
    let mut last = through;
    let mut count = 0;
    {
        let mut select =
            tx.prepare_cached("SELECT id, json FROM events WHERE id > ?1 ORDER BY id LIMIT ?2")?;
        let mut insert =
            tx.prepare_cached("INSERT INTO events_fts (rowid, json) VALUES (?1, ?2)")?;
        let mut rows = select.query(params![through, n as i64])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let json: String = r.get(1)?;
            insert.execute(params![id, json])?;
            last = id;
            count += 1;
        }
    }
    if count > 0 {
        tx.execute(
            "UPDATE fts_state SET indexed_through = ?1 WHERE id = 1",
            [last],
        )?;
    }
    tx.commit()?;
    Ok(count)
}

//! The catcher's storage: bins and captured requests in `bluehook-catcher.sqlite3`.
//!
//! A file of its own, beside the main database: a developer pointing a busy hook at the
//! catcher must not make the audit log's writer wait for locks, and the catcher works with
//! the audit log off. One writer thread takes every write waiting, commits them in one
//! transaction and then answers each sender, so a request is answered only once its capture
//! is on disk, yet a burst costs one commit per batch, not per request. Each bin keeps its
//! newest captures (`keep_per_bin`) and all bins together at most `max_total` body bytes (the
//! oldest captures go first), so an open port on loopback cannot fill the disk. The file is
//! readable by its owner only: captured headers can hold credentials. Capture ids are never
//! reused. Reads open their own read-only connection.

use bytes::Bytes;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

use crate::store::StoreError;

/// The catcher's database beside the main database `db`.
pub fn path_beside(db: &Path) -> PathBuf {
    db.with_file_name("bluehook-catcher.sqlite3")
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS bins (
    name TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS captures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bin TEXT NOT NULL,
    at INTEGER NOT NULL,
    method TEXT NOT NULL,
    target TEXT NOT NULL,
    headers TEXT NOT NULL,
    body_size INTEGER NOT NULL,
    complete INTEGER NOT NULL,
    remote TEXT NOT NULL,
    status INTEGER NOT NULL,
    delay_ms INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS captures_bin ON captures (bin, id);
";

/// One captured request.
#[derive(Debug, Clone, Serialize)]
pub struct Capture {
    /// Id (increasing).
    pub id: i64,
    /// Bin name.
    pub bin: String,
    /// When it arrived, ms since the epoch.
    pub at: i64,
    /// HTTP method.
    pub method: String,
    /// Path and query as received.
    pub target: String,
    /// Headers in order (values as text, lossy for bytes that are not UTF-8).
    pub headers: Vec<(String, String)>,
    /// The body, up to the size limit.
    #[serde(skip)]
    pub body: Bytes,
    /// The full size of the body in bytes (at least the limit + 1 when it was cut short and
    /// the sender did not say).
    pub body_size: u64,
    /// False when the body was larger than the limit (the request got 413).
    pub complete: bool,
    /// Peer address.
    pub remote: String,
    /// Status the catcher answered with.
    pub status: u16,
    /// Delay before the answer, ms.
    pub delay_ms: u64,
}

impl Capture {
    /// A header's value (first of that name, any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        bluehook_core::verify::header(&self.headers, name)
    }
}

/// A stored bin.
#[derive(Debug, Clone)]
pub struct StoredBin {
    /// Name.
    pub name: String,
    /// Creation time, ms.
    pub created_at: i64,
    /// Its configuration as JSON.
    pub config: String,
}

enum Write {
    Capture(Box<Capture>),
    SaveBin(StoredBin),
    DeleteBin(String),
    ClearBin(String),
}

type Pending = (Write, oneshot::Sender<()>);

/// Writes waiting before senders wait.
const CHANNEL_CAPACITY: usize = 4096;
/// Writes per transaction at most.
const BATCH: usize = 256;
/// Tries of a failing batch before its writes are reported as failed.
const TRIES: u32 = 4;

/// How much the store keeps.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Captures per bin.
    pub keep_per_bin: u64,
    /// Body bytes in all.
    pub max_total_bytes: u64,
}

/// The write side: hands out capture ids and queues writes for the writer thread.
pub struct CaptureStore {
    tx: mpsc::Sender<Pending>,
    next_id: AtomicI64,
    path: PathBuf,
}

impl std::fmt::Debug for CaptureStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureStore")
            .field("path", &self.path)
            .finish()
    }
}

impl CaptureStore {
    /// Opens (creating if needed) the file at `path`, returns the store, the saved bins and the
    /// writer thread (it ends when the store is dropped, after its last batch).
    pub fn open(
        path: &Path,
        limits: Limits,
    ) -> Result<(CaptureStore, Vec<StoredBin>, std::thread::JoinHandle<()>), StoreError> {
        let err = |source| StoreError::Sqlite {
            path: path.to_owned(),
            source,
        };
        owner_only(path)?;
        let conn = crate::store::open_connection(path, Duration::from_secs(10))?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        let last: i64 = conn
            .query_row(
                "SELECT MAX(COALESCE((SELECT MAX(id) FROM captures), 0),
                            COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'captures'), 0))",
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        let usage = Usage::of(&conn).map_err(err)?;
        let bins = {
            let mut stmt = conn
                .prepare("SELECT name, created_at, config FROM bins ORDER BY name")
                .map_err(err)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(StoredBin {
                        name: r.get(0)?,
                        created_at: r.get(1)?,
                        config: r.get(2)?,
                    })
                })
                .map_err(err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(err)?
        };
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let writer_path = path.to_owned();
        let handle = std::thread::Builder::new()
            .name("bluehook-captures".into())
            .spawn(move || {
                Writer {
                    conn,
                    limits,
                    usage,
                    path: writer_path,
                }
                .run(rx)
            })
            .map_err(|source| StoreError::Dir {
                path: path.to_owned(),
                source,
            })?;
        Ok((
            CaptureStore {
                tx,
                next_id: AtomicI64::new(last + 1),
                path: path.to_owned(),
            },
            bins,
            handle,
        ))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A fresh capture id.
    pub fn next_id(&self) -> i64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    async fn write(&self, write: Write) -> bool {
        let (done, wait) = oneshot::channel();
        if self.tx.send((write, done)).await.is_err() {
            return false;
        }
        wait.await.is_ok()
    }

    /// Stores a capture; returns once it is committed (false: the writer has stopped).
    pub async fn capture(&self, capture: Capture) -> bool {
        self.write(Write::Capture(Box::new(capture))).await
    }

    /// Saves (creates or replaces) a bin.
    pub async fn save_bin(&self, bin: StoredBin) -> bool {
        self.write(Write::SaveBin(bin)).await
    }

    /// Deletes a bin and its captures.
    pub async fn delete_bin(&self, name: &str) -> bool {
        self.write(Write::DeleteBin(name.to_owned())).await
    }

    /// Deletes a bin's captures.
    pub async fn clear_bin(&self, name: &str) -> bool {
        self.write(Write::ClearBin(name.to_owned())).await
    }
}

/// Creates `path` readable and writable by its owner only, if it does not exist yet.
fn owner_only(path: &Path) -> Result<(), StoreError> {
    crate::store::open_private(path, false)
        .map(drop)
        .map_err(|source| StoreError::Dir {
            path: path.to_owned(),
            source,
        })
}

/// What is stored: body bytes in all and captures per bin.
#[derive(Debug, Clone, Default)]
struct Usage {
    bytes: u64,
    per_bin: HashMap<String, u64>,
}

impl Usage {
    /// Counts what the database holds.
    fn of(conn: &Connection) -> rusqlite::Result<Usage> {
        let mut usage = Usage::default();
        let mut stmt = conn.prepare(
            "SELECT bin, COUNT(*), COALESCE(SUM(length(body)), 0) FROM captures GROUP BY bin",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            usage.per_bin.insert(r.get(0)?, r.get::<_, i64>(1)? as u64);
            usage.bytes += r.get::<_, i64>(2)? as u64;
        }
        Ok(usage)
    }

    /// Forgets what `DELETE … RETURNING bin, length(body)` deleted; returns the rows.
    fn delete(
        &mut self,
        tx: &rusqlite::Transaction<'_>,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> rusqlite::Result<usize> {
        let mut stmt = tx.prepare_cached(sql)?;
        let mut rows = stmt.query(params)?;
        let mut n = 0;
        while let Some(row) = rows.next()? {
            let bin: String = row.get(0)?;
            if let Some(c) = self.per_bin.get_mut(&bin) {
                *c = c.saturating_sub(1);
            }
            self.bytes = self.bytes.saturating_sub(row.get::<_, i64>(1)? as u64);
            n += 1;
        }
        Ok(n)
    }
}

/// The writer thread's state.
struct Writer {
    conn: Connection,
    limits: Limits,
    /// What is stored, kept up to date so that limits need no scan.
    usage: Usage,
    path: PathBuf,
}

impl Writer {
    fn run(mut self, mut rx: mpsc::Receiver<Pending>) {
        let mut batch = Vec::with_capacity(BATCH);
        while rx.blocking_recv().map(|p| batch.push(p)).is_some() {
            while batch.len() < BATCH {
                match rx.try_recv() {
                    Ok(p) => batch.push(p),
                    Err(_) => break,
                }
            }
            let mut delay = Duration::from_millis(50);
            for attempt in 1..=TRIES {
                match self.write(&batch) {
                    Ok(()) => {
                        for (_, done) in batch.drain(..) {
                            let _ = done.send(());
                        }
                        break;
                    }
                    Err(e) => {
                        tracing::error!(db = %self.path.display(), error = %e, attempt, "catcher write failed");
                        if attempt < TRIES {
                            std::thread::sleep(delay);
                            delay *= 4;
                        }
                    }
                }
            }
            // Writes still here failed for good: their senders learn it when dropped.
            batch.clear();
        }
    }

    /// Writes a batch in one transaction; the usage counts change only if it commits.
    fn write(&mut self, batch: &[Pending]) -> rusqlite::Result<()> {
        let mut usage = self.usage.clone();
        let tx = self.conn.transaction()?;
        let mut touched = HashSet::new();
        for (write, _) in batch {
            match write {
                Write::Capture(c) => {
                    let headers = serde_json::to_string(&c.headers).unwrap_or_else(|_| "[]".into());
                    // Only into a bin that still exists (it may have been deleted meanwhile).
                    let inserted = tx
                        .prepare_cached(
                            "INSERT INTO captures (id, bin, at, method, target, headers, body_size, complete, remote, status, delay_ms, body)
                             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12
                             WHERE EXISTS (SELECT 1 FROM bins WHERE name = ?2)",
                        )?
                        .execute(params![
                            c.id,
                            c.bin,
                            c.at,
                            c.method,
                            c.target,
                            headers,
                            c.body_size as i64,
                            c.complete,
                            c.remote,
                            c.status,
                            c.delay_ms as i64,
                            &c.body[..],
                        ])?;
                    if inserted > 0 {
                        usage.bytes += c.body.len() as u64;
                        *usage.per_bin.entry(c.bin.clone()).or_default() += 1;
                        touched.insert(c.bin.as_str());
                    }
                }
                Write::SaveBin(b) => {
                    tx.prepare_cached(
                        "INSERT INTO bins (name, created_at, config) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE SET config = excluded.config",
                    )?
                    .execute(params![b.name, b.created_at, b.config])?;
                }
                Write::DeleteBin(name) | Write::ClearBin(name) => {
                    usage.delete(
                        &tx,
                        "DELETE FROM captures WHERE bin = ?1 RETURNING bin, length(body)",
                        [name],
                    )?;
                    if matches!(write, Write::DeleteBin(_)) {
                        tx.execute("DELETE FROM bins WHERE name = ?1", [name])?;
                        usage.per_bin.remove(name);
                    }
                }
            }
        }
        for bin in touched {
            let count = usage.per_bin.get(bin).copied().unwrap_or(0);
            if count > self.limits.keep_per_bin {
                usage.delete(
                    &tx,
                    "DELETE FROM captures WHERE id IN (SELECT id FROM captures WHERE bin = ?1 ORDER BY id LIMIT ?2) RETURNING bin, length(body)",
                    params![bin, (count - self.limits.keep_per_bin) as i64],
                )?;
            }
        }
        while usage.bytes > self.limits.max_total_bytes {
            let deleted = usage.delete(
                &tx,
                "DELETE FROM captures WHERE id = (SELECT MIN(id) FROM captures) RETURNING bin, length(body)",
                [],
            )?;
            if deleted == 0 {
                break;
            }
        }
        tx.commit()?;
        self.usage = usage;
        Ok(())
    }
}

/// Per-bin counts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BinCount {
    /// Captures kept.
    pub captures: u64,
    /// Time of the newest, ms.
    pub last_at: Option<i64>,
}

/// A read-only view of the catcher's database.
pub struct CaptureReader {
    conn: Connection,
    path: PathBuf,
}

impl CaptureReader {
    /// Opens `path` read-only.
    pub fn open(path: &Path) -> Result<CaptureReader, StoreError> {
        let err = |source| StoreError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(err)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(err)?;
        Ok(CaptureReader {
            conn,
            path: path.to_owned(),
        })
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    const COLUMNS: &'static str =
        "id, bin, at, method, target, headers, body, body_size, complete, remote, status, delay_ms";

    /// Count and newest time of every bin's captures.
    pub fn counts(&self) -> Result<std::collections::HashMap<String, BinCount>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT bin, COUNT(*), MAX(at) FROM captures GROUP BY bin")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    BinCount {
                        captures: r.get::<_, i64>(1)? as u64,
                        last_at: r.get(2)?,
                    },
                ))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Capture> {
        let headers: String = r.get(5)?;
        let body: Vec<u8> = r.get(6)?;
        Ok(Capture {
            id: r.get(0)?,
            bin: r.get(1)?,
            at: r.get(2)?,
            method: r.get(3)?,
            target: r.get(4)?,
            headers: serde_json::from_str(&headers).unwrap_or_default(),
            body: Bytes::from(body),
            body_size: r.get::<_, i64>(7)? as u64,
            complete: r.get(8)?,
            remote: r.get(9)?,
            status: r.get(10)?,
            delay_ms: r.get::<_, i64>(11)? as u64,
        })
    }

    /// One capture.
    pub fn capture(&self, id: i64) -> Result<Option<Capture>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {} FROM captures WHERE id = ?1", Self::COLUMNS),
                [id],
                Self::row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// A bin's captures, newest first, older than `before` (all when None), at most `limit`.
    pub fn captures(
        &self,
        bin: &str,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Capture>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {} FROM captures WHERE bin = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
                Self::COLUMNS
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![bin, before.unwrap_or(i64::MAX), limit], Self::row)
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Count and newest time of a bin's captures.
    pub fn count(&self, bin: &str) -> Result<BinCount, StoreError> {
        self.conn
            .query_row(
                "SELECT COUNT(*), (SELECT at FROM captures WHERE bin = ?1 ORDER BY id DESC LIMIT 1) FROM captures WHERE bin = ?1",
                [bin],
                |r| {
                    Ok(BinCount {
                        captures: r.get::<_, i64>(0)? as u64,
                        last_at: r.get(1)?,
                    })
                },
            )
            .map_err(|e| self.err(e))
    }
}

//! Full-text search over event JSON, kept in its own SQLite file next to the audit log.
//!
//! FTS5 merges its index segments from time to time, and a merge can hold a write lock for
//! tens of milliseconds. In the main database that would stall the writer — and every delivery
//! waiting for its event to be committed. So the index lives in `bluehook-fts.sqlite3`, with
//! its own lock, filled by its own thread that follows the events table a few hundred rows at
//! a time. Readers attach it as `fts`; search lags the log by at most a moment.

use rusqlite::{params, Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::store::StoreError;

/// The index file beside the database `db`.
pub fn index_path(db: &Path) -> PathBuf {
    db.with_file_name("bluehook-fts.sqlite3")
}

/// Opens (creating if needed) the index database.
pub fn open_index(db: &Path) -> Result<Connection, StoreError> {
    let path = index_path(db);
    let err = |source| StoreError::Sqlite {
        path: path.clone(),
        source,
    };
    let conn = crate::store::open_connection(&path, Duration::from_secs(5))?;
    conn.execute_batch(
        "CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(json, content='', contentless_delete=1);
         CREATE TABLE IF NOT EXISTS fts_state (id INTEGER PRIMARY KEY CHECK (id = 1), indexed_through INTEGER NOT NULL);
         INSERT OR IGNORE INTO fts_state VALUES (1, 0);",
    )
    .map_err(err)?;
    Ok(conn)
}

/// Rows indexed per step.
const CHUNK: i64 = 256;

/// Starts the indexing thread; it stops (after one last step) when `stop` is set.
/// Steps wait until the writer has been quiet this long (ms) …
const QUIET_MS: i64 = 100;
/// … unless the index is this many events behind.
const MAX_LAG: i64 = 200_000;

/// Starts the indexing thread; it stops (after one last step) when `stop` is set. It indexes
/// when the writer (`last_write`, ms) is quiet, so it does not compete with a burst.
pub fn start(
    db: &Path,
    stop: Arc<AtomicBool>,
    last_write: Arc<std::sync::atomic::AtomicI64>,
) -> Result<std::thread::JoinHandle<()>, StoreError> {
    let mut index = open_index(db)?;
    let err = |source| StoreError::Sqlite {
        path: db.to_owned(),
        source,
    };
    let events = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(err)?;
    events.busy_timeout(Duration::from_secs(5)).map_err(err)?;
    std::thread::Builder::new()
        .name("bluehook-fts".into())
        .spawn(move || {
            crate::priority::lower_current_thread(19);
            loop {
                let stopping = stop.load(Ordering::SeqCst);
                let quiet =
                    bluehook_core::now_ms() as i64 - last_write.load(Ordering::Relaxed) >= QUIET_MS;
                if !quiet && !stopping && lag(&events, &index).unwrap_or(0) < MAX_LAG {
                    std::thread::sleep(Duration::from_millis(QUIET_MS as u64));
                    continue;
                }
                match step(&events, &mut index) {
                    Ok(n) if n > 0 && !stopping => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "full-text indexing failed; will retry"),
                }
                if stopping {
                    return;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        })
        .map_err(|source| StoreError::Dir {
            path: db.to_owned(),
            source,
        })
}

/// How many events are not indexed yet.
fn lag(events: &Connection, index: &Connection) -> rusqlite::Result<i64> {
    let through: i64 = index.query_row(
        "SELECT indexed_through FROM fts_state WHERE id = 1",
        [],
        |r| r.get(0),
    )?;
    let last: i64 =
        events.query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |r| r.get(0))?;
    Ok(last - through)
}

/// Indexes the next events; returns how many.
fn step(events: &Connection, index: &mut Connection) -> rusqlite::Result<usize> {
    let through: i64 = index.query_row(
        "SELECT indexed_through FROM fts_state WHERE id = 1",
        [],
        |r| r.get(0),
    )?;
    let rows: Vec<(i64, String)> = {
        let mut stmt = events
            .prepare_cached("SELECT id, json FROM events WHERE id > ?1 ORDER BY id LIMIT ?2")?;
        let rows = stmt.query_map(params![through, CHUNK], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let Some(last) = rows.last().map(|(id, _)| *id) else {
        return Ok(0);
    };
    let tx = index.transaction()?;
    {
        let mut insert =
            tx.prepare_cached("INSERT INTO events_fts (rowid, json) VALUES (?1, ?2)")?;
        for (id, json) in &rows {
            insert.execute(params![id, json])?;
        }
    }
    tx.execute(
        "UPDATE fts_state SET indexed_through = ?1 WHERE id = 1",
        [last],
    )?;
    tx.commit()?;
    Ok(rows.len())
}

/// Removes index rows of deleted events (ids `first..=last`).
pub fn forget(db: &Path, first: i64, last: i64) -> Result<(), StoreError> {
    let conn = open_index(db)?;
    conn.execute(
        "DELETE FROM events_fts WHERE rowid BETWEEN ?1 AND ?2",
        params![first, last],
    )
    .map_err(|source| StoreError::Sqlite {
        path: index_path(db),
        source,
    })?;
    Ok(())
}

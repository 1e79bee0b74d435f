//! Retention: the audit log is pruned by age and by database size, a small batch at a time.
//!
//! A periodic task opens its own connection and deletes at most [`BATCH`] rows per statement
//! (each its own short transaction, with a pause between), so the writer — and through it the
//! relay — never waits long. Nothing a delivery still needs is deleted: events after the
//! lowest hook cursor stay, and so do the raw messages they came from.

use rusqlite::{params, Connection};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use crate::store::StoreError;

/// Rows deleted per statement.
pub const BATCH: i64 = 1000;
/// Pause between two batches.
const PAUSE: Duration = Duration::from_millis(5);

/// What to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Delete what is older than this many ms (None: no age limit).
    pub max_age_ms: Option<i64>,
    /// Delete the oldest rows while the database holds more than this many bytes.
    pub max_bytes: Option<i64>,
}

/// What a sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Events deleted.
    pub events: u64,
    /// Raw messages deleted.
    pub raw: u64,
    /// Attempts deleted.
    pub attempts: u64,
}

/// Runs a sweep every `interval` until `cancel`.
pub async fn run(db: PathBuf, policy: Policy, interval: Duration, cancel: CancellationToken) {
    if policy.max_age_ms.is_none() && policy.max_bytes.is_none() {
        return;
    }
    let mut tick = tokio::time::interval(interval.max(Duration::from_secs(1)));
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let db = db.clone();
        let stop = cancel.clone();
        let swept = tokio::task::spawn_blocking(move || {
            sweep(&db, policy, bluehook_core::now_ms() as i64, &stop)
        })
        .await;
        match swept {
            Ok(Ok(s)) if s != Swept::default() => {
                tracing::info!(
                    events = s.events,
                    raw = s.raw,
                    attempts = s.attempts,
                    "retention deleted old audit rows"
                )
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "retention sweep failed"),
            Err(e) => tracing::warn!(error = %e, "retention sweep panicked"),
        }
    }
}

fn open(db: &Path) -> Result<Connection, StoreError> {
    let err = |source| StoreError::Sqlite {
        path: db.to_owned(),
        source,
    };
    let conn = Connection::open(db).map_err(err)?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(err)?;
    Ok(conn)
}

/// One pass: age first, then size. `now` in ms.
pub fn sweep(
    db: &Path,
    policy: Policy,
    now: i64,
    cancel: &CancellationToken,
) -> Result<Swept, StoreError> {
    let conn = open(db)?;
    let index = crate::fts::open_index(db)?;
    let err = |source| StoreError::Sqlite {
        path: db.to_owned(),
        source,
    };
    let mut swept = Swept::default();
    if let Some(age) = policy.max_age_ms {
        let cutoff = now - age;
        while !cancel.is_cancelled() {
            let n = delete_batch(&conn, &index, Some(cutoff), &mut swept).map_err(err)?;
            if n == 0 {
                break;
            }
            std::thread::sleep(PAUSE);
        }
        for table in ["hook_log", "gaps"] {
            let column = if table == "gaps" { "started_at" } else { "at" };
            conn.execute(
                &format!("DELETE FROM {table} WHERE {column} < ?1"),
                [cutoff],
            )
            .map_err(err)?;
        }
    }
    if let Some(limit) = policy.max_bytes {
        while !cancel.is_cancelled() && used_bytes(&conn).map_err(err)? > limit {
            let n = delete_batch(&conn, &index, None, &mut swept).map_err(err)?;
            conn.execute_batch("PRAGMA incremental_vacuum(2000)")
                .map_err(err)?;
            if n == 0 {
                break;
            }
            std::thread::sleep(PAUSE);
        }
    }
    if swept != Swept::default() {
        conn.execute_batch("PRAGMA incremental_vacuum")
            .map_err(err)?;
    }
    Ok(swept)
}

/// Bytes in use (pages minus free pages).
fn used_bytes(conn: &Connection) -> rusqlite::Result<i64> {
    let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let free: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
    let size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    Ok((pages - free) * size)
}

/// Deletes one batch of the oldest attempts, events (never one a hook still needs) and raw
/// messages, older than `cutoff` when given; returns how many rows went.
fn delete_batch(
    conn: &Connection,
    index: &Connection,
    cutoff: Option<i64>,
    swept: &mut Swept,
) -> rusqlite::Result<u64> {
    let before = cutoff.unwrap_or(i64::MAX);
    // Events after the lowest cursor may still be delivered.
    let keep_after: i64 = conn.query_row(
        "SELECT COALESCE(MIN(c.through), 9223372036854775807) FROM hook_cursors c
         JOIN hooks h ON h.server = c.server AND h.id = c.hook_id",
        [],
        |r| r.get(0),
    )?;
    // Attempt runs are in time order by id: the oldest batch, then only those wholly before
    // the cutoff (a run spans at most a few ms).
    let attempts: i64 = conn
        .prepare_cached(
            "DELETE FROM attempt_runs WHERE id IN (SELECT id FROM attempt_runs ORDER BY id LIMIT ?2) AND last_at < ?1 RETURNING n",
        )?
        .query_map(params![before, BATCH], |r| r.get::<_, i64>(0))?
        .sum::<rusqlite::Result<i64>>()?;
    let attempts = attempts as u64;
    let ids: Vec<i64> = {
        // The oldest events by id (ids follow time), as long as they are old enough.
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM (SELECT id, at FROM events WHERE id <= ?2 ORDER BY id LIMIT ?3) WHERE at < ?1",
        )?;
        let rows = stmt.query_map(params![before, keep_after, BATCH], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut events = 0;
    if let (Some(first), Some(last)) = (ids.first(), ids.last()) {
        index.execute(
            "DELETE FROM events_fts WHERE rowid BETWEEN ?1 AND ?2",
            params![first, last],
        )?;
        events = conn.execute(
            "DELETE FROM events WHERE id BETWEEN ?1 AND ?2 AND at < ?3 AND id <= ?4",
            params![first, last, before, keep_after],
        )? as u64;
    }
    // Raw messages: old ones no remaining event points to.
    let raw = conn.execute(
        "DELETE FROM raw_events WHERE id IN (
            SELECT id FROM raw_events
            WHERE id < COALESCE((SELECT MIN(raw_id) FROM events), 9223372036854775807)
            ORDER BY id LIMIT ?2) AND received_at < ?1",
        params![before, BATCH],
    )? as u64;
    swept.attempts += attempts;
    swept.events += events;
    swept.raw += raw;
    Ok(attempts + events + raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn seed(path: &Path) {
        let conn = Connection::open(path).unwrap();
        let tx = conn.unchecked_transaction().unwrap();
        for id in 1..=3000i64 {
            // events 1..=2000 are old (at 1000), 2001..=3000 recent (at 10_000)
            let at = if id <= 2000 { 1_000 } else { 10_000 };
            tx.execute("INSERT INTO raw_events (id, server, received_at, channel, outcome, payload) VALUES (?1, 's', ?2, 'c', 'event', '{}')", params![id, at]).unwrap();
            tx.execute("INSERT INTO events (id, raw_id, server, at, type, raw_kind, json) VALUES (?1, ?1, 's', ?2, 't', 0, '{}')", params![id, at]).unwrap();
            tx.execute("INSERT INTO attempt_runs (server, hook_id, attempt, request_headers, outcome, first_event, last_event, first_at, last_at, n, items, urls) VALUES ('s', 'h', 1, '{}', 'delivered', ?1, ?1, ?2, ?2, 1, ?3, '[\"u\"]')", params![id, at, crate::attempt_runs::Item { event_id: id, at, latency_us: 1 }.encode()]).unwrap();
        }
        // a hook that is behind: events after 1500 are still pending for it; the cursor of a
        // hook that no longer exists counts for nothing
        tx.execute(
            "INSERT INTO hook_cursors VALUES ('s', 'slow', 1500), ('s', 'fast', 3000), ('s', 'gone', 10)",
            [],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO hooks (server, id, created_at, seq, hook) VALUES ('s', 'slow', 0, 1, '{}'), ('s', 'fast', 0, 2, '{}')",
            [],
        )
        .unwrap();
        tx.execute("INSERT INTO hook_log (server, hook_id, at, action, callback_url) VALUES ('s', 'h', 1000, 'created', 'u'), ('s', 'h', 10000, 'destroyed', 'u')", []).unwrap();
        tx.commit().unwrap();
        let index = crate::fts::open_index(path).unwrap();
        for id in 1..=3000i64 {
            index
                .execute(
                    "INSERT INTO events_fts (rowid, json) VALUES (?1, '{}')",
                    [id],
                )
                .unwrap();
        }
    }

    fn count(path: &Path, sql: &str) -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn age_removes_old_rows_but_keeps_what_hooks_still_need() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).unwrap();
        seed(store.path());
        let policy = Policy {
            max_age_ms: Some(5_000),
            max_bytes: None,
        };
        let swept = sweep(store.path(), policy, 10_000, &CancellationToken::new()).unwrap();
        assert_eq!(swept.attempts, 2000, "old attempts go");
        assert_eq!(swept.events, 1500, "old events up to the slowest cursor go");
        assert_eq!(count(store.path(), "SELECT MIN(id) FROM events"), 1501);
        assert_eq!(count(store.path(), "SELECT COUNT(*) FROM events"), 1500);
        assert_eq!(
            count(store.path(), "SELECT MIN(id) FROM raw_events"),
            1501,
            "raws of kept events stay"
        );
        assert_eq!(
            count(
                store.path(),
                "SELECT SUM(n) FROM attempt_runs WHERE last_at = 10000"
            ),
            1000,
            "recent attempts stay"
        );
        assert_eq!(count(store.path(), "SELECT COUNT(*) FROM hook_log"), 1);
        let index = crate::fts::index_path(store.path());
        assert_eq!(
            count(
                &index,
                "SELECT COUNT(*) FROM events_fts WHERE rowid <= 1500"
            ),
            0
        );
        assert_eq!(count(&index, "SELECT COUNT(*) FROM events_fts"), 1500);
        // a second pass finds nothing more to delete
        assert_eq!(
            sweep(store.path(), policy, 10_000, &CancellationToken::new()).unwrap(),
            Swept::default()
        );
    }

    #[test]
    fn size_limit_deletes_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).unwrap();
        seed(store.path());
        Connection::open(store.path())
            .unwrap()
            .execute("UPDATE hook_cursors SET through = 3000", [])
            .unwrap();
        let before = used_bytes(&Connection::open(store.path()).unwrap()).unwrap();
        let policy = Policy {
            max_age_ms: None,
            max_bytes: Some(before / 2),
        };
        let swept = sweep(store.path(), policy, 10_000, &CancellationToken::new()).unwrap();
        assert!(swept.events > 0 && swept.events < 3000, "{swept:?}");
        let after = used_bytes(&Connection::open(store.path()).unwrap()).unwrap();
        assert!(after <= before / 2, "{after} > {}", before / 2);
        // the newest rows are the ones left
        assert_eq!(count(store.path(), "SELECT MAX(id) FROM events"), 3000);
        assert_eq!(
            count(store.path(), "SELECT MIN(id) FROM events"),
            swept.events as i64 + 1
        );
    }
}

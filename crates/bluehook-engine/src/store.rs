//! The SQLite file that keeps hooks and ID mappings across restarts.
//!
//! One file (`bluehook.sqlite3` in the data dir), WAL mode, versioned migrations. The API
//! writes a hook when it is created or destroyed; the relay writes a server's mappings as a
//! snapshot when they changed (every cleanup interval and at shutdown). Calls are short and
//! synchronous behind a mutex; nothing here is on the per-event delivery path.

use bluehook_core::hook::Hook;
use bluehook_core::mapping::{Mappings, MeetingMapping, UserMapping};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A store operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused (corrupt, read-only, locked…).
    #[error("database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The database can be read but not written (file mode, immutable flag, read-only mount).
    #[error("database {path} is read-only: Bluehook must write it (check its permissions and the data directory's)")]
    ReadOnly {
        /// The database file.
        path: PathBuf,
    },
    /// The database was written by a newer Bluehook (its schema has steps this one lacks).
    #[error("database {path} has schema version {found}, newer than this Bluehook knows ({known}): run the newer version, or move the file aside")]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        known: usize,
    },
    /// A stored row does not decode.
    #[error("database {path}: stored {what} does not decode: {source}")]
    Decode {
        /// The database file.
        path: PathBuf,
        /// What was being read.
        what: &'static str,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// The event journal cannot be opened, read or emptied.
    #[error("event journal {path}: {source}")]
    Journal {
        /// The journal file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The data directory cannot be made.
    #[error("data directory {path}: {source}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Schema steps, applied in order; the index + 1 is the `user_version` after each.
const MIGRATIONS: &[&str] = &[
    // 1: hooks and mapping snapshots
    "CREATE TABLE hooks (
        server TEXT NOT NULL,
        id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        hook TEXT NOT NULL,
        PRIMARY KEY (server, id)
     );
     CREATE TABLE mapping_snapshots (
        server TEXT PRIMARY KEY,
        saved_at INTEGER NOT NULL,
        meetings TEXT NOT NULL,
        users TEXT NOT NULL
     );",
    // 2: the audit log — raw messages, normalized events (also the delivery log that hook
    // cursors point into), attempts, hook lifecycle, ingest gaps
    "CREATE TABLE raw_events (
        id INTEGER PRIMARY KEY,
        server TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        channel TEXT NOT NULL,
        name TEXT,
        outcome TEXT NOT NULL,
        error TEXT,
        payload TEXT NOT NULL
     );
     CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        raw_id INTEGER NOT NULL,
        server TEXT NOT NULL,
        at INTEGER NOT NULL,
        type TEXT NOT NULL,
        meeting_internal TEXT,
        meeting_external TEXT,
        user_internal TEXT,
        user_external TEXT,
        raw_kind INTEGER NOT NULL,
        json TEXT NOT NULL
     );
     CREATE INDEX events_type ON events (type, id);
     CREATE INDEX events_meeting_internal ON events (meeting_internal, id);
     CREATE INDEX events_meeting_external ON events (meeting_external, id);
     CREATE INDEX events_at ON events (at);
     CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        server TEXT NOT NULL,
        hook_id TEXT NOT NULL,
        event_id INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        at INTEGER NOT NULL,
        url TEXT NOT NULL,
        request_headers TEXT NOT NULL,
        status INTEGER,
        response_headers TEXT,
        response_body TEXT,
        latency_us INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        error_class TEXT,
        error TEXT
     );
     CREATE INDEX attempts_event ON attempts (event_id, id);
     CREATE INDEX attempts_hook ON attempts (hook_id, id);
     CREATE TABLE hook_cursors (
        server TEXT NOT NULL,
        hook_id TEXT NOT NULL,
        through INTEGER NOT NULL,
        PRIMARY KEY (server, hook_id)
     );
     CREATE TABLE hook_log (
        id INTEGER PRIMARY KEY,
        server TEXT NOT NULL,
        hook_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        action TEXT NOT NULL,
        callback_url TEXT NOT NULL,
        detail TEXT
     );
     CREATE TABLE gaps (
        id INTEGER PRIMARY KEY,
        server TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        detail TEXT
     );",
    // 3: attempts as runs (see attempt_runs.rs); every stored attempt becomes a run of one
    "CREATE TABLE attempt_runs (
        id INTEGER PRIMARY KEY,
        server TEXT NOT NULL,
        hook_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        request_headers TEXT NOT NULL,
        status INTEGER,
        response_headers TEXT,
        response_body TEXT,
        outcome TEXT NOT NULL,
        error_class TEXT,
        error TEXT,
        first_event INTEGER NOT NULL,
        last_event INTEGER NOT NULL,
        first_at INTEGER NOT NULL,
        last_at INTEGER NOT NULL,
        n INTEGER NOT NULL,
        items BLOB NOT NULL,
        urls TEXT NOT NULL
     );
     INSERT INTO attempt_runs (id, server, hook_id, attempt, request_headers, status,
            response_headers, response_body, outcome, error_class, error, first_event,
            last_event, first_at, last_at, n, items, urls)
        SELECT id, server, hook_id, attempt, request_headers, status, response_headers,
            response_body, outcome, error_class, error, event_id, event_id, at, at, 1,
            unhex(printf('%016X%016X%016X', event_id, at, latency_us)), json_array(url)
        FROM attempts ORDER BY id;
     DROP TABLE attempts;
     CREATE INDEX attempt_runs_hook ON attempt_runs (hook_id, last_event);
     CREATE INDEX attempt_runs_event ON attempt_runs (last_event);",
    // 4: a run's URLs as the hook's URL and the attempts' checksums (see attempt_runs.rs); the
    // runs stored before keep their list of URLs
    "ALTER TABLE attempt_runs ADD COLUMN url TEXT;
     ALTER TABLE attempt_runs ADD COLUMN sums BLOB;",
    // 5: no table changes; the event journal beside the database may hold cursor frames,
    // which a build without this step would take for a torn tail: the newer schema makes it
    // refuse the database instead
    "SELECT 1;",
    // 6: no table changes; beside the event journal, a part set aside (`-events.log.1`) may
    // wait for its import, which a build without this step would never import
    "SELECT 1;",
];

/// A read-write connection in WAL mode (commits are not fsynced one by one; checkpoints are),
/// waiting up to `busy` for another writer.
pub fn open_connection(path: &Path, busy: std::time::Duration) -> Result<Connection, StoreError> {
    let err = |source| StoreError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let conn = Connection::open(path).map_err(err)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(err)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(err)?;
    conn.busy_timeout(busy).map_err(err)?;
    Ok(conn)
}

/// Opens `path` for writing (emptied when `truncate`), creating it readable and writable by its
/// owner only: for files that hold secrets.
pub fn open_private(path: &Path, truncate: bool) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(truncate);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// An event read back from the log for redelivery.
#[derive(Debug, Clone)]
pub struct PendingEvent {
    /// Event id.
    pub id: i64,
    /// `data.id`.
    pub kind: String,
    /// Internal meeting id.
    pub meeting_internal: Option<String>,
    /// External meeting id.
    pub meeting_external: Option<String>,
    /// getRaw hooks get the event itself (synthesized events).
    pub raw_is_event: bool,
    /// Event JSON.
    pub json: String,
    /// The raw message, if kept.
    pub raw: Option<String>,
}

/// The database.
pub struct Store {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) `bluehook.sqlite3` in `dir` and migrates it.
    pub fn open_in(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
            path: dir.to_owned(),
            source,
        })?;
        Self::open(&dir.join("bluehook.sqlite3"))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens (creating if needed) the database file at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let err = |source| StoreError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let conn = open_connection(path, std::time::Duration::from_secs(5))?;
        // SQLite falls back to read-only when it may not write the file; a relay that cannot
        // record hooks or deliveries must not start.
        if conn
            .is_readonly(rusqlite::DatabaseName::Main)
            .map_err(err)?
        {
            return Err(StoreError::ReadOnly {
                path: path.to_owned(),
            });
        }
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err)?;
        if version > MIGRATIONS.len() as i64 {
            // Its rows (and the event journal beside it) may hold what this build would
            // misread or drop.
            return Err(StoreError::TooNew {
                path: path.to_owned(),
                found: version,
                known: MIGRATIONS.len(),
            });
        }
        if version == 0 {
            // Lets retention give space back in small steps (set before the first table).
            conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")
                .map_err(err)?;
        }
        for (i, step) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            if version > 0 {
                // Converting an existing log can take a while on a large file.
                tracing::info!(path = %path.display(), to = i + 1, "migrating the database");
            }
            conn.execute_batch(&format!(
                "BEGIN; {step} PRAGMA user_version = {}; COMMIT;",
                i + 1
            ))
            .map_err(err)?;
        }
        Ok(Store {
            path: path.to_owned(),
            conn: Mutex::new(conn),
        })
    }

    fn sqlite(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Leaves WAL checkpoints to the audit log's checkpointer thread. Otherwise a store write
    /// (a hook created through the API, a mapping snapshot in the relay loop) that finds the
    /// WAL past SQLite's 1,000-page threshold copies it back itself, on a runtime thread: all
    /// of a burst's pages, which the checkpointer leaves until the writer is idle.
    pub fn leave_checkpoints_to_audit_log(&self) -> Result<(), StoreError> {
        self.conn()
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(|e| self.sqlite(e))
    }

    /// SQLite's automatic checkpoint threshold on the store's connection, in WAL pages
    /// (0: never).
    pub fn auto_checkpoint_pages(&self) -> Result<i64, StoreError> {
        self.conn()
            .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
            .map_err(|e| self.sqlite(e))
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Saves (or replaces) a hook of `server`.
    pub fn save_hook(&self, server: &str, hook: &Hook) -> Result<(), StoreError> {
        let json = serde_json::to_string(hook).expect("hooks serialize");
        self.conn()
            .execute(
                "INSERT INTO hooks (server, id, created_at, seq, hook)
                 VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(seq), 0) + 1 FROM hooks), ?4)
                 ON CONFLICT (server, id) DO UPDATE SET hook = excluded.hook",
                params![server, hook.id, bluehook_core::now_ms() as i64, json],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// Deletes a hook; returns whether it existed.
    pub fn delete_hook(&self, server: &str, id: &str) -> Result<bool, StoreError> {
        let conn = self.conn();
        let n = conn
            .execute(
                "DELETE FROM hooks WHERE server = ?1 AND id = ?2",
                params![server, id],
            )
            .map_err(|e| self.sqlite(e))?;
        conn.execute(
            "DELETE FROM hook_cursors WHERE server = ?1 AND hook_id = ?2",
            params![server, id],
        )
        .map_err(|e| self.sqlite(e))?;
        Ok(n > 0)
    }

    /// Where each hook of `server` stands in the event log (last event id it finished).
    pub fn cursors(
        &self,
        server: &str,
    ) -> Result<std::collections::HashMap<String, i64>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT hook_id, through FROM hook_cursors WHERE server = ?1")
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([server], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(|e| self.sqlite(e))?;
        rows.map(|r| r.map_err(|e| self.sqlite(e))).collect()
    }

    /// Events of `server` after event `after`, in order, with what a delivery needs.
    pub fn events_after(&self, server: &str, after: i64) -> Result<Vec<PendingEvent>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT e.id, e.type, e.meeting_internal, e.meeting_external, e.raw_kind, e.json, r.payload
                 FROM events e LEFT JOIN raw_events r ON r.id = e.raw_id
                 WHERE e.server = ?1 AND e.id > ?2 ORDER BY e.id",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map(params![server, after], |r| {
                Ok(PendingEvent {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    meeting_internal: r.get(2)?,
                    meeting_external: r.get(3)?,
                    raw_is_event: r.get::<_, i64>(4)? == 1,
                    json: r.get(5)?,
                    raw: r.get(6)?,
                })
            })
            .map_err(|e| self.sqlite(e))?;
        rows.map(|r| r.map_err(|e| self.sqlite(e))).collect()
    }

    /// The hooks of `server`, in creation order.
    pub fn hooks(&self, server: &str) -> Result<Vec<Hook>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT hook FROM hooks WHERE server = ?1 ORDER BY seq")
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([server], |r| r.get::<_, String>(0))
            .map_err(|e| self.sqlite(e))?;
        rows.map(|row| {
            let text = row.map_err(|e| self.sqlite(e))?;
            serde_json::from_str(&text).map_err(|source| StoreError::Decode {
                path: self.path.clone(),
                what: "hook",
                source,
            })
        })
        .collect()
    }

    /// Replaces the stored mappings of `server`.
    pub fn save_mappings(&self, server: &str, mappings: &Mappings) -> Result<(), StoreError> {
        let meetings: Vec<(&String, &MeetingMapping)> = mappings.meetings().collect();
        let users: Vec<(&String, &UserMapping)> = mappings.users().collect();
        let meetings = serde_json::to_string(&meetings).expect("mappings serialize");
        let users = serde_json::to_string(&users).expect("mappings serialize");
        self.conn()
            .execute(
                "INSERT INTO mapping_snapshots (server, saved_at, meetings, users) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (server) DO UPDATE SET saved_at = excluded.saved_at,
                    meetings = excluded.meetings, users = excluded.users",
                params![server, bluehook_core::now_ms() as i64, meetings, users],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// The stored mappings of `server` (empty when none were saved).
    pub fn mappings(&self, server: &str) -> Result<Mappings, StoreError> {
        let row: Option<(String, String)> = self
            .conn()
            .query_row(
                "SELECT meetings, users FROM mapping_snapshots WHERE server = ?1",
                [server],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.sqlite(e))?;
        let mut out = Mappings::new();
        if let Some((meetings, users)) = row {
            let decode = |source| StoreError::Decode {
                path: self.path.clone(),
                what: "mappings",
                source,
            };
            let meetings: Vec<(String, MeetingMapping)> =
                serde_json::from_str(&meetings).map_err(decode)?;
            let users: Vec<(String, UserMapping)> = serde_json::from_str(&users).map_err(decode)?;
            for (id, m) in meetings {
                out.add_meeting(&id, m.external, m.last_activity_ms);
            }
            for (id, u) in users {
                out.add_user(&id, u);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hooks_and_mappings_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open_in(dir.path()).unwrap();
            let mut a = Hook::new("a".into(), "http://a".into());
            a.event_ids = Some(vec!["user-joined".into()]);
            store.save_hook("s", &a).unwrap();
            store
                .save_hook("s", &Hook::new("b".into(), "http://b".into()))
                .unwrap();
            store
                .save_hook("other", &Hook::new("c".into(), "http://c".into()))
                .unwrap();
            assert!(store.delete_hook("s", "b").unwrap());
            assert!(!store.delete_hook("s", "b").unwrap());
            let mut m = Mappings::new();
            m.add_meeting("int", json!("ext"), 5);
            m.add_user(
                "u",
                UserMapping {
                    external: json!("e"),
                    meeting: "int".into(),
                    user: serde_json::Map::new(),
                },
            );
            store.save_mappings("s", &m).unwrap();
        }
        let store = Store::open_in(dir.path()).unwrap();
        let hooks = store.hooks("s").unwrap();
        assert_eq!(hooks.len(), 1);
        assert_eq!(hooks[0].event_ids, Some(vec!["user-joined".to_string()]));
        let m = store.mappings("s").unwrap();
        assert_eq!(m.meeting("int").unwrap().external, json!("ext"));
        assert_eq!(m.user("u").unwrap().meeting, "int");
        assert_eq!(store.mappings("none").unwrap().meeting_count(), 0);
    }

    #[test]
    fn a_corrupt_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bluehook.sqlite3");
        std::fs::write(
            &path,
            b"this is not a database, just text that is long enough",
        )
        .unwrap();
        let err = Store::open(&path).unwrap_err().to_string();
        assert!(err.contains("bluehook.sqlite3"), "{err}");
    }

    #[test]
    fn a_database_of_a_newer_version_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).unwrap();
        let path = store.path().to_owned();
        drop(store);
        let newer = MIGRATIONS.len() as i64 + 1;
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", newer)
            .unwrap();
        let err = Store::open(&path).unwrap_err();
        assert!(
            matches!(err, StoreError::TooNew { found, .. } if found == newer),
            "{err}"
        );
        assert!(err.to_string().contains("newer"), "{err}");
        let version: i64 = Connection::open(&path)
            .unwrap()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, newer);
    }
}

#[cfg(test)]
mod migration_tests {
    use super::*;
    use crate::query::{Filter, Reader};

    /// A database written before attempts became runs: each attempt reads back unchanged.
    #[test]
    fn attempts_of_an_older_database_become_runs_of_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bluehook.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            for step in &MIGRATIONS[..2] {
                conn.execute_batch(step).unwrap();
            }
            conn.execute_batch(
                "PRAGMA user_version = 2;
                 INSERT INTO events (id, raw_id, server, at, type, raw_kind, json) VALUES (7, 1, 's', 5, 't', 0, '{}');
                 INSERT INTO attempts (server, hook_id, event_id, attempt, at, url, request_headers, status, response_headers, response_body, latency_us, outcome, error_class, error)
                 VALUES ('s', 'h', 7, 1, 1700000000123, 'http://lms/a?checksum=1', '{\"accept\":\"*/*\"}', 500, '{\"date\":\"d\"}', 'no', 1234, 'failed', 'status', 'HTTP status 500'),
                        ('s', 'h', 7, 2, 1700000000456, 'http://lms/a?checksum=1', '{}', 200, NULL, 'ok', 99, 'delivered', NULL, NULL);",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let reader = Reader::open(store.path()).unwrap();
        let attempts = reader.attempts(&Filter::default()).unwrap().items;
        assert_eq!(attempts.len(), 2);
        let (a, b) = (&attempts[0], &attempts[1]);
        assert_eq!(
            (a.event_id, a.attempt, a.at, a.latency_us, a.status),
            (7, 1, 1700000000123, 1234, Some(500))
        );
        assert_eq!(a.url, "http://lms/a?checksum=1");
        assert_eq!(a.request_headers, serde_json::json!({"accept": "*/*"}));
        assert_eq!(a.response_headers, Some(serde_json::json!({"date": "d"})));
        assert_eq!(
            (
                a.outcome.as_str(),
                a.error_class.as_deref(),
                a.error.as_deref()
            ),
            ("failed", Some("status"), Some("HTTP status 500"))
        );
        assert_eq!((b.attempt, b.at, b.latency_us), (2, 1700000000456, 99));
        assert!(a.id < b.id);
        let delivered = Filter {
            outcome: Some("delivered".into()),
            ..Filter::default()
        };
        assert_eq!(reader.count_events(&delivered).unwrap(), 1);
    }
}

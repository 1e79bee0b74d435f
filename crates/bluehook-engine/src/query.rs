//! Reading the audit log: filtered, paginated queries over events and attempts, and the row
//! streams that exports are made of.
//!
//! Queries run on their own read-only SQLite connections (WAL lets them read while the writer
//! writes), so the relay never waits on a reader. Every query is ordered by id and paginated
//! by keyset (`after` = the last id of the previous page), which stays fast and stable however
//! deep the page. Filters map to indexed columns; full-text search goes through the FTS5 index
//! the writer keeps up to date in the background.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use crate::store::StoreError;

/// What to select. Every field narrows the result; all are optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Filter {
    /// Server name.
    pub server: Option<String>,
    /// A meeting, by internal or external id.
    pub meeting: Option<String>,
    /// Event type (`user-joined`, …).
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// Events sent (attempted) to this hook / attempts of this hook.
    pub hook: Option<String>,
    /// `delivered` or `failed`: events with such an attempt / attempts with that outcome.
    pub outcome: Option<String>,
    /// From this time on (ms since the epoch, inclusive).
    pub since: Option<i64>,
    /// Before this time (ms since the epoch, exclusive).
    pub until: Option<i64>,
    /// Words that must appear in the event JSON (full text).
    pub text: Option<String>,
    /// One event id (attempts of that event).
    pub event: Option<i64>,
    /// Keyset cursor: only ids greater than this.
    pub after: Option<i64>,
    /// Page size (default 100, at most 1000); exports ignore it.
    pub limit: Option<usize>,
}

/// A normalized event as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Event id.
    pub id: i64,
    /// Server.
    pub server: String,
    /// Processing time, ms.
    pub at: i64,
    /// `data.id`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Internal meeting id.
    pub meeting_internal: Option<String>,
    /// External meeting id.
    pub meeting_external: Option<String>,
    /// Internal user id.
    pub user_internal: Option<String>,
    /// External user id.
    pub user_external: Option<String>,
    /// The event, as sent.
    pub event: serde_json::Value,
}

/// A delivery attempt as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptRecord {
    /// Attempt id.
    pub id: i64,
    /// Server.
    pub server: String,
    /// Hook id.
    pub hook_id: String,
    /// Event id.
    pub event_id: i64,
    /// 1 for the first try.
    pub attempt: i64,
    /// Start, ms.
    pub at: i64,
    /// URL called.
    pub url: String,
    /// Request headers (secrets redacted).
    pub request_headers: serde_json::Value,
    /// Response status.
    pub status: Option<i64>,
    /// Response headers.
    pub response_headers: Option<serde_json::Value>,
    /// First 4 KiB of the response body.
    pub response_body: Option<String>,
    /// Duration, µs.
    pub latency_us: i64,
    /// `delivered` or `failed`.
    pub outcome: String,
    /// `timeout`, `refused`, `tls`, `status`, `other`.
    pub error_class: Option<String>,
    /// Error text.
    pub error: Option<String>,
}

/// One page of results.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<i64>,
}

/// Default and largest page sizes.
pub const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

/// A read-only view of the audit log.
pub struct Reader {
    path: PathBuf,
    conn: Connection,
}

impl Reader {
    /// Opens the database at `path` read-only.
    pub fn open(path: &Path) -> Result<Reader, StoreError> {
        let err = |source| StoreError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err)?;
        // The full-text index, read-only, when it exists.
        let index = crate::fts::index_path(path);
        if index.exists() {
            conn.execute(
                "ATTACH DATABASE ?1 AS fts",
                [format!("file:{}?mode=ro", index.display())],
            )
            .map_err(err)?;
        }
        Ok(Reader {
            path: path.to_owned(),
            conn,
        })
    }

    fn sqlite(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// A page of events.
    pub fn events(&self, filter: &Filter) -> Result<Page<EventRecord>, StoreError> {
        let limit = page_size(filter);
        let mut items = Vec::with_capacity(limit.min(256));
        self.each_event(filter, Some(limit + 1), |e| {
            items.push(e);
            true
        })?;
        Ok(paged(items, limit, |e| e.id))
    }

    /// A page of attempts.
    pub fn attempts(&self, filter: &Filter) -> Result<Page<AttemptRecord>, StoreError> {
        let limit = page_size(filter);
        let mut items = Vec::with_capacity(limit.min(256));
        self.each_attempt(filter, Some(limit + 1), |a| {
            items.push(a);
            true
        })?;
        Ok(paged(items, limit, |a| a.id))
    }

    /// How many events match (for progress).
    pub fn count_events(&self, filter: &Filter) -> Result<u64, StoreError> {
        let (clause, args) = event_where(filter);
        let sql = format!("SELECT COUNT(*) FROM events e WHERE {clause}");
        self.conn
            .query_row(&sql, rusqlite::params_from_iter(args), |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(|e| self.sqlite(e))
    }

    /// How many attempts match (for progress).
    pub fn count_attempts(&self, filter: &Filter) -> Result<u64, StoreError> {
        let (clause, args) = attempt_where(filter);
        let sql = format!("SELECT COUNT(*) FROM attempts a WHERE {clause}");
        self.conn
            .query_row(&sql, rusqlite::params_from_iter(args), |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(|e| self.sqlite(e))
    }

    /// Calls `each` for every matching event in id order, streaming (constant memory);
    /// stops early when `each` returns false.
    pub fn each_event(
        &self,
        filter: &Filter,
        limit: Option<usize>,
        mut each: impl FnMut(EventRecord) -> bool,
    ) -> Result<(), StoreError> {
        let (clause, args) = event_where(filter);
        let sql = format!(
            "SELECT e.id, e.server, e.at, e.type, e.meeting_internal, e.meeting_external, e.user_internal, e.user_external, e.json
             FROM events e WHERE {clause} ORDER BY e.id{}",
            limit.map(|l| format!(" LIMIT {l}")).unwrap_or_default()
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.sqlite(e))?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(args))
            .map_err(|e| self.sqlite(e))?;
        while let Some(r) = rows.next().map_err(|e| self.sqlite(e))? {
            let json: String = r.get(8).map_err(|e| self.sqlite(e))?;
            let record = EventRecord {
                id: r.get(0).map_err(|e| self.sqlite(e))?,
                server: r.get(1).map_err(|e| self.sqlite(e))?,
                at: r.get(2).map_err(|e| self.sqlite(e))?,
                event_type: r.get(3).map_err(|e| self.sqlite(e))?,
                meeting_internal: r.get(4).map_err(|e| self.sqlite(e))?,
                meeting_external: r.get(5).map_err(|e| self.sqlite(e))?,
                user_internal: r.get(6).map_err(|e| self.sqlite(e))?,
                user_external: r.get(7).map_err(|e| self.sqlite(e))?,
                event: serde_json::from_str(&json).unwrap_or(serde_json::Value::String(json)),
            };
            if !each(record) {
                break;
            }
        }
        Ok(())
    }

    /// Calls `each` for every matching attempt in id order, streaming.
    pub fn each_attempt(
        &self,
        filter: &Filter,
        limit: Option<usize>,
        mut each: impl FnMut(AttemptRecord) -> bool,
    ) -> Result<(), StoreError> {
        let (clause, args) = attempt_where(filter);
        let sql = format!(
            "SELECT a.id, a.server, a.hook_id, a.event_id, a.attempt, a.at, a.url, a.request_headers, a.status,
                    a.response_headers, a.response_body, a.latency_us, a.outcome, a.error_class, a.error
             FROM attempts a WHERE {clause} ORDER BY a.id{}",
            limit.map(|l| format!(" LIMIT {l}")).unwrap_or_default()
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.sqlite(e))?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(args))
            .map_err(|e| self.sqlite(e))?;
        let json = |s: String| serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s));
        while let Some(r) = rows.next().map_err(|e| self.sqlite(e))? {
            let g = |e| self.sqlite(e);
            let record = AttemptRecord {
                id: r.get(0).map_err(g)?,
                server: r.get(1).map_err(g)?,
                hook_id: r.get(2).map_err(g)?,
                event_id: r.get(3).map_err(g)?,
                attempt: r.get(4).map_err(g)?,
                at: r.get(5).map_err(g)?,
                url: r.get(6).map_err(g)?,
                request_headers: json(r.get(7).map_err(g)?),
                status: r.get(8).map_err(g)?,
                response_headers: r.get::<_, Option<String>>(9).map_err(g)?.map(json),
                response_body: r.get(10).map_err(g)?,
                latency_us: r.get(11).map_err(g)?,
                outcome: r.get(12).map_err(g)?,
                error_class: r.get(13).map_err(g)?,
                error: r.get(14).map_err(g)?,
            };
            if !each(record) {
                break;
            }
        }
        Ok(())
    }
}

impl Reader {
    /// Ingest outages, newest first (at most 1000).
    pub fn gaps(&self, server: Option<&str>) -> Result<Vec<serde_json::Value>, StoreError> {
        self.rows(
            "SELECT id, server, started_at, ended_at, detail FROM gaps
             WHERE (?1 IS NULL OR server = ?1) ORDER BY id DESC LIMIT 1000",
            server,
            &["id", "server", "started_at", "ended_at", "detail"],
        )
    }

    /// Hook lifecycle (created, destroyed, removed), newest first (at most 1000).
    pub fn hook_log(&self, server: Option<&str>) -> Result<Vec<serde_json::Value>, StoreError> {
        self.rows(
            "SELECT id, server, hook_id, at, action, callback_url, detail FROM hook_log
             WHERE (?1 IS NULL OR server = ?1) ORDER BY id DESC LIMIT 1000",
            server,
            &[
                "id",
                "server",
                "hook_id",
                "at",
                "action",
                "callback_url",
                "detail",
            ],
        )
    }

    fn rows(
        &self,
        sql: &str,
        server: Option<&str>,
        names: &[&str],
    ) -> Result<Vec<serde_json::Value>, StoreError> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.sqlite(e))?;
        let mut rows = stmt.query([server]).map_err(|e| self.sqlite(e))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(|e| self.sqlite(e))? {
            let mut obj = serde_json::Map::new();
            for (i, name) in names.iter().enumerate() {
                let v = match r.get_ref(i).map_err(|e| self.sqlite(e))? {
                    rusqlite::types::ValueRef::Null => serde_json::Value::Null,
                    rusqlite::types::ValueRef::Integer(n) => n.into(),
                    rusqlite::types::ValueRef::Real(f) => f.into(),
                    rusqlite::types::ValueRef::Text(t) => {
                        String::from_utf8_lossy(t).into_owned().into()
                    }
                    rusqlite::types::ValueRef::Blob(_) => serde_json::Value::Null,
                };
                obj.insert((*name).to_owned(), v);
            }
            out.push(serde_json::Value::Object(obj));
        }
        Ok(out)
    }
}

fn page_size(filter: &Filter) -> usize {
    filter.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
}

fn paged<T>(mut items: Vec<T>, limit: usize, id: impl Fn(&T) -> i64) -> Page<T> {
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(id)
    } else {
        None
    };
    Page { items, next }
}

/// A phrase query for FTS5 from free text.
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// Collects SQL conditions with numbered placeholders into one argument list.
#[derive(Default)]
struct Conditions {
    clauses: Vec<String>,
    args: Vec<SqlValue>,
}

impl Conditions {
    /// Adds `clause`, whose every `?` stands for `value`.
    fn add(&mut self, clause: &str, value: impl Into<SqlValue>) {
        self.args.push(value.into());
        let n = self.args.len();
        self.clauses.push(clause.replace('?', &format!("?{n}")));
    }

    /// Adds a clause with two placeholders `?a` and `?b`.
    fn add2(&mut self, clause: &str, a: impl Into<SqlValue>, b: impl Into<SqlValue>) {
        self.args.push(a.into());
        let na = self.args.len();
        self.args.push(b.into());
        let nb = self.args.len();
        self.clauses.push(
            clause
                .replace("?a", &format!("?{na}"))
                .replace("?b", &format!("?{nb}")),
        );
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            "1".to_owned()
        } else {
            self.clauses.join(" AND ")
        }
    }

    /// The event conditions of `f` (alias `e`).
    fn events(&mut self, f: &Filter) {
        if let Some(s) = &f.server {
            self.add("e.server = ?", s.clone());
        }
        if let Some(m) = &f.meeting {
            self.add(
                "(e.meeting_internal = ? OR e.meeting_external = ?)",
                m.clone(),
            );
        }
        if let Some(t) = &f.event_type {
            self.add("e.type = ?", t.clone());
        }
        if let Some(since) = f.since {
            self.add("e.at >= ?", since);
        }
        if let Some(until) = f.until {
            self.add("e.at < ?", until);
        }
        if let Some(after) = f.after {
            self.add("e.id > ?", after);
        }
        if let Some(id) = f.event {
            self.add("e.id = ?", id);
        }
        if let Some(text) = f.text.as_deref().filter(|t| !t.trim().is_empty()) {
            self.add(
                "e.id IN (SELECT rowid FROM fts.events_fts WHERE events_fts MATCH ?)",
                fts_phrase(text),
            );
        }
        match (&f.hook, &f.outcome) {
            (Some(h), Some(o)) => self.add2(
                "EXISTS (SELECT 1 FROM attempts a WHERE a.event_id = e.id AND a.hook_id = ?a AND a.outcome = ?b)",
                h.clone(),
                o.clone(),
            ),
            (Some(h), None) => self.add(
                "EXISTS (SELECT 1 FROM attempts a WHERE a.event_id = e.id AND a.hook_id = ?)",
                h.clone(),
            ),
            (None, Some(o)) => self.add(
                "EXISTS (SELECT 1 FROM attempts a WHERE a.event_id = e.id AND a.outcome = ?)",
                o.clone(),
            ),
            (None, None) => {}
        }
    }
}

fn event_where(f: &Filter) -> (String, Vec<SqlValue>) {
    let mut c = Conditions::default();
    c.events(f);
    (c.sql(), c.args)
}

fn attempt_where(f: &Filter) -> (String, Vec<SqlValue>) {
    let mut c = Conditions::default();
    if let Some(s) = &f.server {
        c.add("a.server = ?", s.clone());
    }
    if let Some(h) = &f.hook {
        c.add("a.hook_id = ?", h.clone());
    }
    if let Some(o) = &f.outcome {
        c.add("a.outcome = ?", o.clone());
    }
    if let Some(id) = f.event {
        c.add("a.event_id = ?", id);
    }
    if let Some(since) = f.since {
        c.add("a.at >= ?", since);
    }
    if let Some(until) = f.until {
        c.add("a.at < ?", until);
    }
    if let Some(after) = f.after {
        c.add("a.id > ?", after);
    }
    if f.meeting.is_some() || f.event_type.is_some() || f.text.is_some() {
        let mut inner = Conditions {
            clauses: Vec::new(),
            args: std::mem::take(&mut c.args),
        };
        inner.events(&Filter {
            meeting: f.meeting.clone(),
            event_type: f.event_type.clone(),
            text: f.text.clone(),
            ..Filter::default()
        });
        let inner_sql = inner.sql();
        c.args = inner.args;
        c.clauses.push(format!(
            "a.event_id IN (SELECT e.id FROM events e WHERE {inner_sql})"
        ));
    }
    (c.sql(), c.args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditLog, EventRow, Record};
    use crate::store::Store;
    use std::sync::Arc;

    async fn log_with(events: &[(&str, &str, &str)]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).unwrap();
        let path = store.path().to_owned();
        let (log, writer) = AuditLog::start(&path).unwrap();
        for (kind, meeting, json) in events {
            log.record_event(|id| EventRow {
                id,
                raw_id: 0,
                server: Arc::from("s"),
                at: 1_000 + id,
                kind: Arc::from(*kind),
                meeting_internal: Some(format!("int-{meeting}")),
                meeting_external: Some((*meeting).to_owned()),
                user_internal: None,
                user_external: None,
                raw_kind: 0,
                json: Arc::from(*json),
            })
            .await;
        }
        log.record(Record::Cursor {
            server: Arc::from("s"),
            hook_id: Arc::from("h"),
            through: 0,
        })
        .await;
        drop(log);
        tokio::task::spawn_blocking(move || writer.join().unwrap())
            .await
            .unwrap();
        (dir, path)
    }

    #[tokio::test]
    async fn filters_pages_and_full_text() {
        let (_dir, path) = log_with(&[
            ("meeting-created", "m1", r#"{"data":{"id":"meeting-created"}}"#),
            ("user-joined", "m1", r#"{"data":{"id":"user-joined","attributes":{"user":{"external-user-id":"teacher-42"}}}}"#),
            ("user-joined", "m2", r#"{"data":{"id":"user-joined","attributes":{"user":{"external-user-id":"student-7"}}}}"#),
        ])
        .await;
        let r = Reader::open(&path).unwrap();
        let ids =
            |f: Filter| -> Vec<i64> { r.events(&f).unwrap().items.iter().map(|e| e.id).collect() };
        assert_eq!(ids(Filter::default()), [1, 2, 3]);
        assert_eq!(
            ids(Filter {
                meeting: Some("m1".into()),
                ..Filter::default()
            }),
            [1, 2]
        );
        assert_eq!(
            ids(Filter {
                meeting: Some("int-m2".into()),
                ..Filter::default()
            }),
            [3]
        );
        assert_eq!(
            ids(Filter {
                event_type: Some("user-joined".into()),
                ..Filter::default()
            }),
            [2, 3]
        );
        assert_eq!(
            ids(Filter {
                since: Some(1_002),
                until: Some(1_003),
                ..Filter::default()
            }),
            [2]
        );
        assert_eq!(
            ids(Filter {
                text: Some("teacher-42".into()),
                ..Filter::default()
            }),
            [2]
        );
        assert_eq!(
            ids(Filter {
                text: Some("student".into()),
                ..Filter::default()
            }),
            [3]
        );
        let first = r
            .events(&Filter {
                limit: Some(2),
                ..Filter::default()
            })
            .unwrap();
        assert_eq!(first.next, Some(2));
        let rest = r
            .events(&Filter {
                limit: Some(2),
                after: first.next,
                ..Filter::default()
            })
            .unwrap();
        assert_eq!(rest.items.len(), 1);
        assert_eq!(rest.next, None);
        assert_eq!(
            r.count_events(&Filter {
                meeting: Some("m1".into()),
                ..Filter::default()
            })
            .unwrap(),
            2
        );
    }
}

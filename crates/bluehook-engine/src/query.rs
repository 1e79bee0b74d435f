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
        crate::attempt_runs::register(&conn).map_err(err)?;
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
        let runs = RunFilter::new(filter);
        if runs.item_level() {
            let mut n = 0u64;
            self.each_attempt(filter, None, |_| {
                n += 1;
                true
            })?;
            return Ok(n);
        }
        let sql = format!(
            "SELECT COALESCE(SUM(r.n), 0) FROM attempt_runs r WHERE {}",
            runs.sql
        );
        self.conn
            .query_row(&sql, rusqlite::params_from_iter(runs.args), |r| {
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

    /// Calls `each` for every matching attempt in id order, streaming (runs are expanded
    /// one at a time); stops after `limit` attempts or when `each` returns false.
    pub fn each_attempt(
        &self,
        filter: &Filter,
        limit: Option<usize>,
        mut each: impl FnMut(AttemptRecord) -> bool,
    ) -> Result<(), StoreError> {
        let runs = RunFilter::new(filter);
        let sql = format!(
            "SELECT r.id, r.server, r.hook_id, r.attempt, r.request_headers, r.status,
                    r.response_headers, r.response_body, r.outcome, r.error_class, r.error,
                    r.first_event, r.last_event, r.items, r.urls, r.url, r.sums
             FROM attempt_runs r WHERE {} ORDER BY r.id",
            runs.sql
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.sqlite(e))?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(runs.args.iter()))
            .map_err(|e| self.sqlite(e))?;
        // The events a meeting, type or text filter selects, asked for per run.
        let mut wanted_events = match &runs.events_sql {
            Some(sql) => Some(self.conn.prepare(sql).map_err(|e| self.sqlite(e))?),
            None => None,
        };
        let json = |s: String| serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s));
        let mut left = limit.unwrap_or(usize::MAX);
        while let Some(r) = rows.next().map_err(|e| self.sqlite(e))? {
            let g = |e| self.sqlite(e);
            let run_id: i64 = r.get(0).map_err(g)?;
            let (first, last): (i64, i64) = (r.get(11).map_err(g)?, r.get(12).map_err(g)?);
            let selected: Option<std::collections::HashSet<i64>> = match wanted_events.as_mut() {
                Some(stmt) => {
                    let mut args = vec![SqlValue::from(first), SqlValue::from(last)];
                    args.extend(runs.events_args.iter().cloned());
                    let ids = stmt
                        .query_map(rusqlite::params_from_iter(args), |r| r.get(0))
                        .map_err(g)?;
                    Some(ids.collect::<rusqlite::Result<_>>().map_err(g)?)
                }
                None => None,
            };
            let blob: Vec<u8> = r.get(13).map_err(g)?;
            let urls = crate::attempt_runs::called_urls(
                &r.get::<_, String>(14).map_err(g)?,
                r.get::<_, Option<String>>(15).map_err(g)?.as_deref(),
                r.get::<_, Option<Vec<u8>>>(16).map_err(g)?.as_deref(),
                blob.len() / crate::attempt_runs::ITEM_BYTES,
            );
            // What every attempt of the run shares; each gets its own id, event, time,
            // latency and URL.
            let shared = AttemptRecord {
                id: 0,
                server: r.get(1).map_err(g)?,
                hook_id: r.get(2).map_err(g)?,
                event_id: 0,
                attempt: r.get(3).map_err(g)?,
                at: 0,
                url: String::new(),
                request_headers: json(r.get(4).map_err(g)?),
                status: r.get(5).map_err(g)?,
                response_headers: r.get::<_, Option<String>>(6).map_err(g)?.map(json),
                response_body: r.get(7).map_err(g)?,
                latency_us: 0,
                outcome: r.get(8).map_err(g)?,
                error_class: r.get(9).map_err(g)?,
                error: r.get(10).map_err(g)?,
            };
            for (i, item) in crate::attempt_runs::items(&blob).enumerate() {
                let id = run_id * crate::attempt_runs::ID_SPAN + i as i64;
                if !runs.takes(id, &item)
                    || selected
                        .as_ref()
                        .is_some_and(|s| !s.contains(&item.event_id))
                {
                    continue;
                }
                let record = AttemptRecord {
                    id,
                    event_id: item.event_id,
                    at: item.at,
                    url: urls.get(i).cloned().unwrap_or_default(),
                    latency_us: item.latency_us,
                    ..shared.clone()
                };
                if !each(record) {
                    return Ok(());
                }
                left -= 1;
                if left == 0 {
                    return Ok(());
                }
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
    /// Limits the full-text lookup to event ids between `?1` and `?2` (for per-run queries:
    /// FTS5 seeks to that range instead of reading every match each time).
    fts_in_range: bool,
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
            let range = if self.fts_in_range {
                " AND rowid BETWEEN ?1 AND ?2"
            } else {
                ""
            };
            self.args.push(fts_phrase(text).into());
            let n = self.args.len();
            self.clauses.push(format!(
                "e.id IN (SELECT rowid FROM fts.events_fts WHERE events_fts MATCH ?{n}{range})"
            ));
        }
        let holds_e = || crate::attempt_runs::holds_event_sql("e.id");
        match (&f.hook, &f.outcome) {
            (Some(h), Some(o)) => self.add2(
                &format!("EXISTS (SELECT 1 FROM attempt_runs r WHERE r.hook_id = ?a AND r.outcome = ?b AND {})", holds_e()),
                h.clone(),
                o.clone(),
            ),
            (Some(h), None) => self.add(
                &format!("EXISTS (SELECT 1 FROM attempt_runs r WHERE r.hook_id = ? AND {})", holds_e()),
                h.clone(),
            ),
            (None, Some(o)) => self.add(
                &format!("EXISTS (SELECT 1 FROM attempt_runs r WHERE r.outcome = ? AND {})", holds_e()),
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

/// An attempt filter split in two: conditions on whole runs (SQL over `attempt_runs r`, using
/// its indexes) and the per-attempt checks applied while a run is expanded.
struct RunFilter {
    sql: String,
    args: Vec<SqlValue>,
    /// Only attempt ids above this.
    after: Option<i64>,
    event: Option<i64>,
    since: Option<i64>,
    until: Option<i64>,
    /// For a meeting, type or text filter: the ids of matching events between `?1` and `?2`.
    events_sql: Option<String>,
    /// Its arguments after the first two.
    events_args: Vec<SqlValue>,
}

impl RunFilter {
    fn new(f: &Filter) -> RunFilter {
        let mut c = Conditions::default();
        if let Some(s) = &f.server {
            c.add("r.server = ?", s.clone());
        }
        if let Some(h) = &f.hook {
            c.add("r.hook_id = ?", h.clone());
        }
        if let Some(o) = &f.outcome {
            c.add("r.outcome = ?", o.clone());
        }
        if let Some(id) = f.event {
            // Every `?` of the clause stands for `id`.
            c.add(&crate::attempt_runs::holds_event_sql("?"), id);
        }
        if let Some(since) = f.since {
            c.add("r.last_at >= ?", since);
        }
        if let Some(until) = f.until {
            c.add("r.first_at < ?", until);
        }
        if let Some(after) = f.after {
            c.add("r.id >= ?", after.max(0) / crate::attempt_runs::ID_SPAN);
        }
        let by_event = f.meeting.is_some() || f.event_type.is_some() || f.text.is_some();
        let (mut events_sql, mut events_args) = (None, Vec::new());
        if by_event {
            let narrowed = Filter {
                meeting: f.meeting.clone(),
                event_type: f.event_type.clone(),
                text: f.text.clone(),
                ..Filter::default()
            };
            // Whole runs: at least one of their events matches.
            let mut inner = Conditions {
                args: std::mem::take(&mut c.args),
                ..Conditions::default()
            };
            inner.events(&narrowed);
            let inner_sql = inner.sql();
            c.args = inner.args;
            c.clauses.push(format!(
                "EXISTS (SELECT 1 FROM events e WHERE e.id BETWEEN r.first_event AND r.last_event AND {inner_sql})"
            ));
            // Each attempt: its event is one of those.
            let mut each = Conditions {
                args: vec![SqlValue::Null, SqlValue::Null],
                fts_in_range: true,
                ..Conditions::default()
            };
            each.events(&narrowed);
            events_sql = Some(format!(
                "SELECT e.id FROM events e WHERE e.id BETWEEN ?1 AND ?2 AND {}",
                each.sql()
            ));
            events_args = each.args.split_off(2);
        }
        RunFilter {
            sql: c.sql(),
            args: c.args,
            after: f.after,
            event: f.event,
            since: f.since,
            until: f.until,
            events_sql,
            events_args,
        }
    }

    /// Whether some attempts of a matching run may still not match.
    fn item_level(&self) -> bool {
        self.after.is_some()
            || self.event.is_some()
            || self.since.is_some()
            || self.until.is_some()
            || self.events_sql.is_some()
    }

    /// The per-attempt checks (all but the event-set one).
    fn takes(&self, id: i64, item: &crate::attempt_runs::Item) -> bool {
        self.after.is_none_or(|a| id > a)
            && self.event.is_none_or(|e| item.event_id == e)
            && self.since.is_none_or(|s| item.at >= s)
            && self.until.is_none_or(|u| item.at < u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attempt_runs::Gathering;
    use crate::audit::{AuditLog, EventRow, Record};
    use crate::store::Store;
    use std::sync::Arc;

    async fn log_with(events: &[(&str, &str, &str)]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).unwrap();
        let path = store.path().to_owned();
        let (log, writer) = AuditLog::start(&path).unwrap();
        for (kind, meeting, json) in events {
            log.record_event(None, |id| EventRow {
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

    fn attempt(hook: &str, event_id: i64, attempt: u32, status: u16) -> crate::audit::AttemptRow {
        crate::audit::AttemptRow {
            server: Arc::from("s"),
            hook_id: Arc::from(hook),
            event_id,
            attempt,
            at: 1_000 + event_id,
            url: Arc::from(format!("http://lms/{hook}")),
            checksum: bluehook_core::checksum::Sum::from_bytes(&[event_id as u8; 20]),
            request_headers: Arc::from("{}"),
            status: Some(status),
            response_headers: None,
            response_body: Some(Arc::from("ok")),
            latency_us: event_id * 10,
            outcome: if status == 200 { "delivered" } else { "failed" },
            error_class: (status != 200).then_some("status"),
            error: None,
        }
    }

    /// Attempts go in as runs (several per row) and come out one by one, filtered exactly.
    #[tokio::test]
    async fn attempts_stored_as_runs_are_filtered_and_paged_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).unwrap();
        let path = store.path().to_owned();
        let (log, writer) = AuditLog::start(&path).unwrap();
        for n in 1..=20i64 {
            let meeting = if n % 2 == 0 { "even" } else { "odd" };
            log.record_event(None, |id| EventRow {
                id,
                raw_id: 0,
                server: Arc::from("s"),
                at: 1_000 + id,
                kind: Arc::from("chat"),
                meeting_internal: None,
                meeting_external: Some(meeting.to_owned()),
                user_internal: None,
                user_external: None,
                raw_kind: 0,
                json: Arc::from(format!(r#"{{"text":"word{n}"}}"#)),
            })
            .await;
        }
        // hook a gets every event; hook b every third, and event 9 fails once first. Each
        // hook's worker gathers its attempts into runs.
        let (mut a, mut b) = (Gathering::default(), Gathering::default());
        let mut runs = Vec::new();
        for id in 1..=20i64 {
            runs.extend(a.add(attempt("a", id, 1, 200)));
            if id % 3 == 0 {
                if id == 9 {
                    runs.extend(b.add(attempt("b", id, 1, 500)));
                    runs.extend(b.add(attempt("b", id, 2, 200)));
                } else {
                    runs.extend(b.add(attempt("b", id, 1, 200)));
                }
            }
        }
        runs.extend(a.take().into_iter().chain(b.take()));
        for run in runs {
            log.record(Record::Run(Box::new(run))).await;
        }
        drop(log);
        tokio::task::spawn_blocking(move || writer.join().unwrap())
            .await
            .unwrap();
        let runs: i64 = rusqlite::Connection::open(&path)
            .unwrap()
            .query_row("SELECT COUNT(*) FROM attempt_runs", [], |r| r.get(0))
            .unwrap();
        assert!(runs < 10, "27 attempts in {runs} rows");

        let r = Reader::open(&path).unwrap();
        let all = |f: Filter| -> Vec<(String, i64, i64)> {
            let mut out = Vec::new();
            r.each_attempt(&f, None, |a| {
                out.push((a.hook_id, a.event_id, a.attempt));
                true
            })
            .unwrap();
            assert_eq!(r.count_attempts(&f).unwrap(), out.len() as u64, "{f:?}");
            out
        };
        assert_eq!(all(Filter::default()).len(), 27);
        let b = all(Filter {
            hook: Some("b".into()),
            ..Filter::default()
        });
        let b_events: Vec<i64> = b.iter().map(|x| x.1).collect();
        assert_eq!(b_events, [3, 6, 9, 9, 12, 15, 18]);
        assert_eq!(
            all(Filter {
                outcome: Some("failed".into()),
                ..Filter::default()
            }),
            [("b".to_owned(), 9, 1)]
        );
        assert_eq!(
            all(Filter {
                event: Some(9),
                ..Filter::default()
            })
            .len(),
            3
        );
        // (ordered by run: attempts of one write batch come hook by hook)
        let mut window = all(Filter {
            since: Some(1_005),
            until: Some(1_007),
            ..Filter::default()
        });
        window.sort();
        assert_eq!(
            window,
            [
                ("a".to_owned(), 5, 1),
                ("a".to_owned(), 6, 1),
                ("b".to_owned(), 6, 1)
            ]
        );
        let even_b: Vec<i64> = all(Filter {
            hook: Some("b".into()),
            meeting: Some("even".into()),
            ..Filter::default()
        })
        .iter()
        .map(|x| x.1)
        .collect();
        assert_eq!(even_b, [6, 12, 18]);
        assert_eq!(
            all(Filter {
                hook: Some("b".into()),
                text: Some("word9".into()),
                ..Filter::default()
            }),
            [("b".to_owned(), 9, 1), ("b".to_owned(), 9, 2)]
        );

        // pages of 4 walk every attempt once, in id order
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = r
                .attempts(&Filter {
                    limit: Some(4),
                    after,
                    ..Filter::default()
                })
                .unwrap();
            seen.extend(page.items.iter().map(|a| a.id));
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        assert_eq!(seen.len(), 27);
        assert!(seen.windows(2).all(|w| w[0] < w[1]));

        // events by hook and outcome look inside the runs
        let events =
            |f: Filter| -> Vec<i64> { r.events(&f).unwrap().items.iter().map(|e| e.id).collect() };
        assert_eq!(
            events(Filter {
                hook: Some("b".into()),
                meeting: Some("odd".into()),
                ..Filter::default()
            }),
            [3, 9, 15]
        );
        assert_eq!(
            events(Filter {
                outcome: Some("failed".into()),
                ..Filter::default()
            }),
            [9]
        );
        assert_eq!(
            events(Filter {
                hook: Some("b".into()),
                outcome: Some("delivered".into()),
                since: Some(1_010),
                ..Filter::default()
            }),
            [12, 15, 18]
        );
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

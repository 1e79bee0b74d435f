//! Delivery attempts stored as runs.
//!
//! A busy hook makes thousands of attempts a second, and nearly all of them look alike: the
//! same hook, attempt number, request headers, status, response headers and body. Only the
//! event, the start time, the latency and the URL (its checksum) differ. One row with two
//! index entries per attempt cost the relay more CPU than a third of the delivery itself, so
//! the writer stores a *run* instead: consecutive attempts of one hook that share every other
//! field, as one row of `attempt_runs`.
//!
//! - `items` packs, per attempt, the event id, start time (ms) and latency (µs) as three
//!   big-endian `i64`, in increasing event order.
//! - The URLs called are the hook's callback URL (`url`) with each attempt's checksum: `sums`
//!   packs the checksums' bytes, one width per run (20, 32, 48 or 64 bytes, by algorithm),
//!   NULL with bearer auth.
//!   Runs stored before that list their URLs in `urls`, a JSON array (`url` NULL); later ones
//!   leave `urls` empty. (A URL of about 100 bytes, JSON-escaped into every run by the hook
//!   workers, cost more than the rest of the attempt's record.)
//! - A run holds at most [`MAX_ITEMS`] attempts and spans fewer than [`MAX_SPAN`] event ids, so
//!   the runs that may hold event X are a short index range (`last_event` from X to
//!   X + MAX_SPAN - 1), and the SQL function `attempted(items, X)` (binary search) says whether
//!   one does.
//! - An attempt's id is `run id × ID_SPAN + its place in the run`: stable, increasing within a
//!   run, and a keyset cursor like any other id.
//!
//! Runs are built where attempts happen: each hook worker gathers its attempts in a
//! [`Gathering`] and hands the writer a finished run (see [`Gathering::add`] for when; an idle
//! worker hands its open run over [`GATHER_MS`] after the run began), so the writer and the
//! queue to it see one record per run, not one per attempt.
//!
//! Readers ([`crate::query`]) expand runs back into one record per attempt.

use rusqlite::functions::FunctionFlags;
use rusqlite::Connection;
use std::sync::Arc;

use crate::audit::AttemptRow;
use bluehook_core::checksum::Sum;

/// Most attempts in one run.
pub const MAX_ITEMS: usize = 4096;
/// A run's events span fewer ids than this.
pub const MAX_SPAN: i64 = 4096;
/// Attempt ids of run `r` are `r * ID_SPAN + 0 ..`.
pub const ID_SPAN: i64 = MAX_ITEMS as i64;
/// Bytes per attempt in `items`.
pub const ITEM_BYTES: usize = 24;

/// The per-attempt part of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    /// Event id.
    pub event_id: i64,
    /// When the attempt started, ms since the epoch.
    pub at: i64,
    /// How long it took, µs.
    pub latency_us: i64,
}

impl Item {
    /// The item's bytes in `items`.
    pub fn encode(&self) -> [u8; ITEM_BYTES] {
        let mut out = [0u8; ITEM_BYTES];
        out[..8].copy_from_slice(&self.event_id.to_be_bytes());
        out[8..16].copy_from_slice(&self.at.to_be_bytes());
        out[16..].copy_from_slice(&self.latency_us.to_be_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Item {
        let field = |i: usize| i64::from_be_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
        Item {
            event_id: field(0),
            at: field(8),
            latency_us: field(16),
        }
    }
}

/// The attempts packed in `items`, in order (a trailing partial item is ignored).
pub fn items(blob: &[u8]) -> impl Iterator<Item = Item> + '_ {
    blob.chunks_exact(ITEM_BYTES).map(Item::decode)
}

/// Whether `items` holds an attempt at event `event_id` (binary search: items are in event
/// order).
pub fn contains(blob: &[u8], event_id: i64) -> bool {
    let n = blob.len() / ITEM_BYTES;
    let event_at = |i: usize| Item::decode(&blob[i * ITEM_BYTES..(i + 1) * ITEM_BYTES]).event_id;
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        match event_at(mid).cmp(&event_id) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// SQL that holds for the runs `r` with an attempt at event `event` (an SQL expression: a
/// column or a placeholder): its index range on `last_event` (a run spans fewer than
/// [`MAX_SPAN`] ids), then `attempted()` over the few runs in it.
pub fn holds_event_sql(event: &str) -> String {
    format!(
        "r.last_event BETWEEN {event} AND {event} + {} AND r.first_event <= {event} AND attempted(r.items, {event})",
        MAX_SPAN - 1
    )
}

/// Adds `attempted(items, event_id)` to `conn`: 1 when the run's items hold that event.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "attempted",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let event: i64 = ctx.get(1)?;
            Ok(match ctx.get_raw(0) {
                rusqlite::types::ValueRef::Blob(b) => contains(b, event),
                _ => false,
            })
        },
    )
}

/// `INSERT` of one run unless it is stored already; parameters in the order of
/// [`Run::insert`]. Runs reach SQLite through the event journal, and a process killed in the
/// middle of importing it leaves runs that are imported again at the next start. A run is
/// known by its hook, first and last event, attempt number and first start time (an event
/// sent again after a restart is a new run: it starts later), found through the
/// `attempt_runs_hook` index.
pub const INSERT: &str = "INSERT INTO attempt_runs (server, hook_id, attempt, request_headers, status, response_headers, response_body, outcome, error_class, error, first_event, last_event, first_at, last_at, n, items, urls, url, sums) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19 WHERE NOT EXISTS (SELECT 1 FROM attempt_runs WHERE hook_id = ?2 AND last_event = ?12 AND first_event = ?11 AND attempt = ?3 AND first_at = ?13)";

/// A run being built. (Its fields are the crate's so that the event journal can store and
/// restore it whole.)
#[derive(Debug, Clone)]
pub struct Run {
    /// The first attempt: what every attempt of the run shares.
    pub(crate) head: AttemptRow,
    pub(crate) items: Vec<u8>,
    /// The URLs called.
    pub(crate) called: Called,
    pub(crate) n: usize,
    pub(crate) last_event: i64,
    pub(crate) first_at: i64,
    pub(crate) last_at: i64,
    /// When the latest attempt ended, ms.
    pub(crate) ended_at: i64,
}

/// The URLs a run's attempts called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Called {
    /// The head's callback URL with each attempt's checksum: the checksums' bytes one after
    /// the other (empty with bearer auth: every attempt called the URL itself).
    Sums(Vec<u8>),
    /// A JSON array of the URLs (runs journaled before checksums were kept apart).
    Listed(String),
}

/// The URLs called by the `n` attempts of a stored run, from its `urls`, `url` and `sums`
/// columns.
pub fn called_urls(urls: &str, url: Option<&str>, sums: Option<&[u8]>, n: usize) -> Vec<String> {
    match (url, sums) {
        (None, _) => serde_json::from_str(urls).unwrap_or_default(),
        (Some(url), None) => vec![url.to_owned(); n],
        (Some(url), Some(sums)) => {
            let width = sum_width(sums, n);
            if width == 0 || sums.len() % n.max(1) != 0 || Sum::from_bytes(&sums[..width]).is_none()
            {
                // Not written by Bluehook: shown as stored rather than hidden.
                tracing::warn!(
                    bytes = sums.len(),
                    attempts = n,
                    "attempt run with damaged checksums"
                );
            }
            sums.chunks(width.max(1))
                .take(n)
                .map(|sum| bluehook_core::checksum::url_with_checksum(url, &hex::encode(sum)))
                .collect()
        }
    }
}

/// Bytes per checksum in the `sums` of a run of `n` attempts (one width per run).
pub(crate) fn sum_width(sums: &[u8], n: usize) -> usize {
    sums.len() / n.max(1)
}

fn same(a: &Arc<str>, b: &Arc<str>) -> bool {
    Arc::ptr_eq(a, b) || a == b
}

fn same_opt(a: &Option<Arc<str>>, b: &Option<Arc<str>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same(a, b),
        (None, None) => true,
        _ => false,
    }
}

impl Run {
    /// A run starting with `first`.
    pub fn new(first: AttemptRow) -> Run {
        // The head keeps the shared fields; its checksum goes into `sums` like every other.
        let sum = first.checksum;
        let mut run = Run {
            items: Vec::with_capacity(ITEM_BYTES * 16),
            called: Called::Sums(Vec::with_capacity(
                16 * sum.map_or(0, |s| s.as_bytes().len()),
            )),
            n: 0,
            last_event: first.event_id,
            first_at: first.at,
            last_at: first.at,
            ended_at: first.at,
            head: first,
        };
        let (event_id, at, latency_us) = (run.head.event_id, run.head.at, run.head.latency_us);
        run.add(event_id, at, latency_us, sum.as_ref());
        run
    }

    /// Whether `a` can join the run: it shares every stored field but its event, time,
    /// latency and checksum; its event comes after the run's last; the run has room.
    pub fn accepts(&self, a: &AttemptRow) -> bool {
        let h = &self.head;
        let sum_len = |a: &AttemptRow| a.checksum.map(|s| s.as_bytes().len());
        matches!(self.called, Called::Sums(_))
            && self.n < MAX_ITEMS
            && a.event_id > self.last_event
            && a.event_id - h.event_id < MAX_SPAN
            && a.attempt == h.attempt
            && a.status == h.status
            && a.outcome == h.outcome
            && a.error_class == h.error_class
            && same(&a.hook_id, &h.hook_id)
            && same(&a.server, &h.server)
            && same(&a.url, &h.url)
            && sum_len(a) == sum_len(h)
            && same(&a.request_headers, &h.request_headers)
            && same_opt(&a.response_headers, &h.response_headers)
            && same_opt(&a.response_body, &h.response_body)
            && a.error == h.error
    }

    /// Adds an attempt that [`Run::accepts`] took.
    pub fn push(&mut self, a: &AttemptRow) {
        self.add(a.event_id, a.at, a.latency_us, a.checksum.as_ref());
    }

    fn add(&mut self, event_id: i64, at: i64, latency_us: i64, sum: Option<&Sum>) {
        let item = Item {
            event_id,
            at,
            latency_us,
        };
        self.items.extend_from_slice(&item.encode());
        if let (Called::Sums(sums), Some(sum)) = (&mut self.called, sum) {
            sums.extend_from_slice(sum.as_bytes());
        }
        self.n += 1;
        self.last_event = event_id;
        self.first_at = self.first_at.min(at);
        self.last_at = self.last_at.max(at);
        self.ended_at = self.ended_at.max(at + latency_us / 1000);
    }

    /// Its first attempt: what all its attempts share.
    pub fn head(&self) -> &AttemptRow {
        &self.head
    }

    /// The last event it attempted.
    pub fn last_event(&self) -> i64 {
        self.last_event
    }

    /// Writes the run with [`INSERT`] (a cached statement of `tx`).
    pub fn insert(&self, tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
        let h = &self.head;
        let (urls, url, sums) = match &self.called {
            Called::Sums(sums) => ("", Some(&*h.url), (!sums.is_empty()).then_some(&sums[..])),
            Called::Listed(urls) => (urls.as_str(), None, None),
        };
        tx.prepare_cached(INSERT)?.execute(rusqlite::params![
            &*h.server,
            &*h.hook_id,
            h.attempt,
            &*h.request_headers,
            h.status,
            h.response_headers.as_deref(),
            h.response_body.as_deref(),
            h.outcome,
            h.error_class,
            h.error,
            h.event_id,
            self.last_event,
            self.first_at,
            self.last_at,
            self.n as i64,
            self.items,
            urls,
            url,
            sums,
        ])?;
        Ok(())
    }
}

/// A gathering run goes to the writer once this long (ms) lies between its first attempt's
/// start and its last one's end, so the log lags a busy hook by about as much as the writer's
/// own batching (25 ms) and a slow hook not at all.
pub const GATHER_MS: i64 = 25;

/// One hook worker's attempts on their way to the writer, as runs.
#[derive(Debug, Default)]
pub struct Gathering {
    open: Option<Run>,
}

impl Gathering {
    /// Adds an attempt. Returns the runs to hand the writer now, oldest first: the open run
    /// when `a` cannot join it, and the run holding `a` when it is full, has gathered for
    /// [`GATHER_MS`], or `a` failed (a hook that fails waits before its retry; its log must
    /// not).
    pub fn add(&mut self, a: AttemptRow) -> impl Iterator<Item = Run> {
        let failed = a.outcome != "delivered";
        let closed = match &mut self.open {
            Some(run) if run.accepts(&a) => {
                run.push(&a);
                None
            }
            open => open.replace(Run::new(a)),
        };
        let due = self.open.as_ref().is_some_and(|run| {
            failed || run.n >= MAX_ITEMS || run.ended_at - run.first_at >= GATHER_MS
        });
        let ready = if due { self.open.take() } else { None };
        closed.into_iter().chain(ready)
    }

    /// The open run, if any (when the worker stops, or its gathering time is over).
    pub fn take(&mut self) -> Option<Run> {
        self.open.take()
    }

    /// How much longer, at `now_ms`, the open run may gather (zero: hand it over now); None
    /// when no run is open.
    pub fn held_for(&self, now_ms: i64) -> Option<std::time::Duration> {
        let run = self.open.as_ref()?;
        let left = (run.first_at + GATHER_MS - now_ms).clamp(0, GATHER_MS);
        Some(std::time::Duration::from_millis(left as u64))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A first attempt of hook `h` at `event_id` that got `status`.
    pub(crate) fn attempt(event_id: i64, status: u16) -> AttemptRow {
        AttemptRow {
            server: Arc::from("s"),
            hook_id: Arc::from("h"),
            event_id,
            attempt: 1,
            at: 1_000 + event_id,
            url: Arc::from("http://lms/hook"),
            checksum: Sum::from_bytes(&[event_id as u8; 20]),
            request_headers: Arc::from("{}"),
            status: Some(status),
            response_headers: Some(Arc::from(r#"{"date":"x"}"#)),
            response_body: Some(Arc::from("ok")),
            latency_us: 7 * event_id,
            outcome: if status == 200 { "delivered" } else { "failed" },
            error_class: (status != 200).then_some("status"),
            error: None,
        }
    }

    #[test]
    fn items_round_trip_and_are_found_by_event() {
        let events = [3i64, 9, 10, 400, 4000];
        let blob: Vec<u8> = events
            .iter()
            .flat_map(|&e| {
                Item {
                    event_id: e,
                    at: e * 2,
                    latency_us: -1,
                }
                .encode()
            })
            .collect();
        let back: Vec<Item> = items(&blob).collect();
        assert_eq!(back.len(), 5);
        assert_eq!(
            back[3],
            Item {
                event_id: 400,
                at: 800,
                latency_us: -1
            }
        );
        for e in events {
            assert!(contains(&blob, e), "{e}");
        }
        for e in [0, 4, 11, 401, 4001, i64::MAX] {
            assert!(!contains(&blob, e), "{e}");
        }
        assert!(!contains(&[], 1));
    }

    #[test]
    fn a_run_takes_only_alike_attempts_in_event_order_within_its_limits() {
        let mut run = Run::new(attempt(10, 200));
        assert!(run.accepts(&attempt(11, 200)));
        run.push(&attempt(11, 200));
        assert!(!run.accepts(&attempt(11, 200)), "same event again");
        assert!(!run.accepts(&attempt(5, 200)), "earlier event");
        assert!(!run.accepts(&attempt(12, 500)), "another status");
        let mut retry = attempt(12, 200);
        retry.attempt = 2;
        assert!(!run.accepts(&retry), "another attempt number");
        let mut other_hook = attempt(12, 200);
        other_hook.hook_id = Arc::from("h2");
        assert!(!run.accepts(&other_hook));
        let mut other_url = attempt(12, 200);
        other_url.url = Arc::from("http://lms/other");
        assert!(!run.accepts(&other_url));
        let mut sha256 = attempt(12, 200);
        sha256.checksum = Sum::from_bytes(&[1; 32]);
        assert!(!run.accepts(&sha256), "another checksum length");
        let mut bearer = attempt(12, 200);
        bearer.checksum = None;
        assert!(!run.accepts(&bearer), "no checksum");
        let mut new_date = attempt(12, 200);
        new_date.response_headers = Some(Arc::from(r#"{"date":"y"}"#));
        assert!(!run.accepts(&new_date), "other response headers");
        assert!(!run.accepts(&attempt(10 + MAX_SPAN, 200)), "span");
        assert!(run.accepts(&attempt(10 + MAX_SPAN - 1, 200)));
        let mut long = Run::new(attempt(1, 200));
        for e in 2..=MAX_ITEMS as i64 {
            assert!(long.accepts(&attempt(e, 200)));
            long.push(&attempt(e, 200));
        }
        assert!(!long.accepts(&attempt(MAX_ITEMS as i64 + 1, 200)), "size");
    }

    #[test]
    fn a_worker_hands_over_runs_when_they_change_fill_up_age_or_fail() {
        let mut g = Gathering::default();
        let ready = |g: &mut Gathering, a: AttemptRow| -> Vec<(i64, usize)> {
            g.add(a).map(|r| (r.head().event_id, r.n)).collect()
        };
        // Alike quick attempts gather.
        for e in 1..=3 {
            assert!(ready(&mut g, attempt(e, 200)).is_empty(), "{e}");
        }
        // Another answer closes the open run and starts one, handed over at once: it failed.
        assert_eq!(ready(&mut g, attempt(4, 500)), vec![(1, 3), (4, 1)]);
        assert!(g.take().is_none());
        // A run is handed over once its attempts span GATHER_MS.
        assert!(ready(&mut g, attempt(5, 200)).is_empty());
        let mut slow = attempt(6, 200);
        slow.latency_us = GATHER_MS * 1000;
        assert_eq!(ready(&mut g, slow), vec![(5, 2)]);
        // Full runs are handed over.
        let mut handed = 0;
        for e in 0..MAX_ITEMS as i64 {
            let mut a = attempt(100 + e, 200);
            (a.at, a.latency_us) = (1_000, 0);
            handed += ready(&mut g, a).len();
        }
        assert_eq!(handed, 1);
        assert!(g.take().is_none());
        // An idle worker holds what gathered until GATHER_MS after its first attempt began.
        assert_eq!(g.held_for(0), None);
        let mut quick = attempt(10_000, 200);
        quick.latency_us = 0;
        assert!(ready(&mut g, quick).is_empty());
        let began = 1_000 + 10_000;
        assert_eq!(
            g.held_for(began + 5).map(|d| d.as_millis() as i64),
            Some(GATHER_MS - 5)
        );
        assert_eq!(
            g.held_for(began + GATHER_MS + 1),
            Some(std::time::Duration::ZERO)
        );
        assert_eq!(g.take().map(|r| r.last_event()), Some(10_000));
    }

    #[test]
    fn urls_are_rebuilt_from_checksums_or_read_from_a_list() {
        let sums = [[0xabu8; 20], [0x01; 20]].concat();
        assert_eq!(
            called_urls("", Some("http://lms/cb?x=1"), Some(&sums), 2),
            [
                format!("http://lms/cb?x=1&checksum={}", "ab".repeat(20)),
                format!("http://lms/cb?x=1&checksum={}", "01".repeat(20)),
            ]
        );
        assert_eq!(
            called_urls("", Some("http://lms/cb#top"), Some(&sums[..20]), 1),
            [format!("http://lms/cb?checksum={}#top", "ab".repeat(20))],
            "the checksum goes before a fragment"
        );
        assert_eq!(
            called_urls("", Some("http://lms/cb"), Some(&[1, 2, 3]), 2),
            ["http://lms/cb?checksum=01", "http://lms/cb?checksum=02"],
            "damaged checksums are shown as stored"
        );
        assert_eq!(
            called_urls("", Some("http://lms/cb"), None, 2),
            ["http://lms/cb", "http://lms/cb"],
            "bearer auth: no checksums"
        );
        assert_eq!(
            called_urls(
                r#"["http://a?checksum=1","http://a?checksum=2"]"#,
                None,
                None,
                2
            ),
            ["http://a?checksum=1", "http://a?checksum=2"],
            "a run stored before checksums were kept apart"
        );
    }

    #[test]
    fn a_run_is_one_row_that_sql_can_search() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open_in(dir.path()).unwrap();
        let conn = Connection::open(store.path()).unwrap();
        register(&conn).unwrap();
        let mut run = Run::new(attempt(10, 200));
        for e in [12, 15] {
            run.push(&attempt(e, 200));
        }
        let mut conn = conn;
        let tx = conn.transaction().unwrap();
        run.insert(&tx).unwrap();
        run.insert(&tx).unwrap();
        tx.commit().unwrap();
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM attempt_runs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1, "a run imported twice is stored once");
        type Row = (
            i64,
            i64,
            i64,
            i64,
            i64,
            String,
            Option<String>,
            Option<Vec<u8>>,
        );
        let (n, first, last, first_at, last_at, urls, url, sums): Row = conn
            .query_row(
                "SELECT n, first_event, last_event, first_at, last_at, urls, url, sums FROM attempt_runs",
                [],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ))
                },
            )
            .unwrap();
        assert_eq!((n, first, last, first_at, last_at), (3, 10, 15, 1010, 1015));
        assert_eq!(sums.as_ref().map(Vec::len), Some(3 * 20));
        let urls = called_urls(&urls, url.as_deref(), sums.as_deref(), 3);
        assert_eq!(
            urls[2],
            format!("http://lms/hook?checksum={}", "0f".repeat(20))
        );
        let holds = |e: i64| -> bool {
            conn.query_row("SELECT attempted(items, ?1) FROM attempt_runs", [e], |r| {
                r.get(0)
            })
            .unwrap()
        };
        assert!(holds(12) && holds(15) && !holds(13) && !holds(16));
    }
}

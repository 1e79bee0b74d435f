//! The audit log's importer: moves the event journal into SQLite on a thread of its own, so
//! that journaling events, which deliveries wait for, never waits for SQLite.
//!
//! The writer ([`crate::audit`]) appends raw messages, events, attempt runs and cursors to the
//! journal ([`crate::journal`]) and hands hook changes and gaps over. Both share the journal
//! through a [`Handoff`], whose lock is held to append, to take a snapshot of what waits and to
//! mark it imported, never while SQLite works or decoded records are freed. The journal is
//! imported once the relay has been quiet for [`IMPORT_QUIET`], at the latest
//! [`IMPORT_MAX_AGE`] after a record came, and at once when much waits or the writer has
//! stopped; each commit raises the watermark that searches wait on. Hook changes and gaps are
//! committed as they come. The importer runs at a lower CPU priority ([`crate::priority`]):
//! nothing on the delivery path waits for it, unless the import falls [`JOURNAL_LIMIT`] behind
//! (SQLite cannot follow the relay for minutes), when journaling waits for it rather than
//! letting the journal grow without bound.

use rusqlite::{params, Connection};
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::audit::Record;
use crate::journal::{Journal, Read, Waiting};
use crate::store::StoreError;
use crate::watermark::Raiser;

/// Journaled records wait for their import into SQLite until the relay has been quiet this
/// long (a burst is over)…
pub(crate) const IMPORT_QUIET: Duration = Duration::from_millis(100);
/// …or the oldest has waited this long (under steady load: the search lags at most about this
/// much behind)…
pub(crate) const IMPORT_MAX_AGE: Duration = Duration::from_secs(2);
/// …or this many records wait…
const IMPORT_LAG: usize = 32_768;
/// …or this many bytes of journal.
const IMPORT_LAG_BYTES: u64 = 64 << 20;
/// Records per import transaction, and bytes of journal at most (a frame that crosses it is
/// the last). Larger commits store more a second (each rewrites the last page of every table
/// and index); the bytes bound the memory the decoded records take.
const IMPORT_SLICE: (usize, u64) = (2048, 4 << 20);
/// The same while the import lags: fewer, larger commits store more a second (the decoded
/// records then take up to about 12 MiB for a moment).
const IMPORT_SLICE_LAGGING: (usize, u64) = (4096, 8 << 20);
/// Bytes of journal waiting at which the writer waits for the import (the relay then takes in
/// events as fast as SQLite stores them): far more than a burst leaves, so only a relay fed
/// faster than SQLite can follow, for minutes, meets it.
const JOURNAL_LIMIT: u64 = 256 << 20;
/// The importer's nice value: below the relay and the delivery threads, above the full-text
/// indexer (19), which follows what it imports.
const IMPORT_NICE: i32 = 10;

/// The journal, and what the writer tells the importer, behind one short lock.
#[derive(Debug)]
pub(crate) struct Handoff {
    state: Mutex<Shared>,
    /// Wakes the importer when its next import may be due sooner.
    wake: Condvar,
    /// Wakes a writer waiting for the journal to shrink below `limit`.
    room: Condvar,
    /// [`JOURNAL_LIMIT`] (less in tests).
    limit: u64,
}

#[derive(Debug)]
struct Shared {
    journal: Journal,
    /// When the relay was last seen busy: an event came, or workers handed over attempts (they
    /// do at least every GATHER_MS while delivering), so a burst is over only once its
    /// deliveries are.
    last_busy: Instant,
    /// When the oldest record not yet imported was journaled.
    oldest_waiting: Option<Instant>,
    /// When the first record after the importer's last snapshot was journaled: the oldest
    /// waiting once that snapshot is imported.
    after_snapshot: Option<Instant>,
    /// Hook changes and gaps, which go straight to SQLite.
    direct: Vec<Record>,
    /// The writer has stopped: import everything, then end.
    stopping: bool,
    /// The importer is waiting on [`Handoff::wake`].
    sleeping: bool,
    /// The importer failed: nothing makes room in the journal any more.
    importer_gone: bool,
    /// The writer said it waits for the import (once per time the journal is full).
    warned_full: bool,
}

impl Handoff {
    /// Shares `journal` (its leftovers already imported) between the writer and the importer.
    pub(crate) fn new(journal: Journal) -> Handoff {
        let now = Instant::now();
        Handoff {
            state: Mutex::new(Shared {
                oldest_waiting: journal.has_waiting().then_some(now),
                after_snapshot: None,
                journal,
                last_busy: now,
                direct: Vec::new(),
                stopping: false,
                sleeping: false,
                importer_gone: false,
                warned_full: false,
            }),
            wake: Condvar::new(),
            room: Condvar::new(),
            limit: JOURNAL_LIMIT,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        // Nothing panics while holding it; a poisoned lock still holds a consistent journal.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes the importer if it sleeps.
    fn nudge(&self, shared: &Shared) {
        if shared.sleeping {
            self.wake.notify_one();
        }
    }

    /// Appends the journal's records among `records` in one write, and notes the relay busy.
    /// Waits first while [`JOURNAL_LIMIT`] bytes wait for the import.
    pub(crate) fn append(&self, records: &[Record]) -> std::io::Result<()> {
        let mut s = self.lock();
        if s.journal.waiting_bytes() >= self.limit && !s.importer_gone {
            if !s.warned_full {
                s.warned_full = true;
                tracing::warn!(
                    waiting_mib = s.journal.waiting_bytes() >> 20,
                    "the audit log's import into SQLite is far behind; events wait for it"
                );
            }
            while s.journal.waiting_bytes() >= self.limit && !s.importer_gone {
                s = self.room.wait(s).unwrap_or_else(PoisonError::into_inner);
            }
        }
        let (had_waiting, was_lagging) = (s.journal.has_waiting(), lagging(&s.journal));
        s.journal.append(records)?;
        let now = Instant::now();
        s.last_busy = now;
        s.after_snapshot.get_or_insert(now);
        if !had_waiting && s.journal.has_waiting() {
            s.oldest_waiting = Some(now);
            self.nudge(&s);
        } else if !was_lagging && lagging(&s.journal) {
            self.nudge(&s);
        }
        Ok(())
    }

    /// Notes the relay busy: its workers handed over attempts.
    pub(crate) fn busy(&self) {
        self.lock().last_busy = Instant::now();
    }

    /// Hands hook changes and gaps over, to be committed at once.
    pub(crate) fn hand_over(&self, records: impl Iterator<Item = Record>) {
        let mut s = self.lock();
        let before = s.direct.len();
        s.direct.extend(records);
        if s.direct.len() > before {
            self.nudge(&s);
        }
    }

    /// Tells the importer that nothing more comes: it imports what waits and ends.
    pub(crate) fn stop(&self) {
        let mut s = self.lock();
        s.stopping = true;
        self.nudge(&s);
    }

    /// The journal's path, for messages.
    pub(crate) fn journal_path(&self) -> std::path::PathBuf {
        self.lock().journal.path().to_owned()
    }
}

/// Whether so much waits in the journal that it is imported at once.
fn lagging(journal: &Journal) -> bool {
    journal.waiting() >= IMPORT_LAG || journal.waiting_bytes() >= IMPORT_LAG_BYTES
}

/// When what waits in the journal is to be imported (None: nothing waits, or a stopping import
/// gave up on it): once the relay has been quiet for [`IMPORT_QUIET`], once the oldest record
/// has waited [`IMPORT_MAX_AGE`], and at once when much waits or the writer has stopped; never
/// before a paused import may try again.
fn due(s: &Shared, paused_until: Option<Instant>, now: Instant) -> Option<Instant> {
    s.journal.has_waiting().then(|| {
        let due = if lagging(&s.journal) || s.stopping {
            now
        } else {
            (s.last_busy + IMPORT_QUIET).min(s.oldest_waiting.unwrap_or(now) + IMPORT_MAX_AGE)
        };
        paused_until.map_or(due, |t| due.max(t))
    })
}

/// The importer thread's body: imports the journal and commits hook changes and gaps until the
/// writer has stopped and nothing waits. `last_write` (ms) is set after each commit.
pub(crate) fn run(
    handoff: &Handoff,
    mut conn: Connection,
    imported: &Raiser,
    path: &Path,
    last_write: &AtomicI64,
) {
    crate::priority::lower_current_thread(IMPORT_NICE);
    // Stops a writer from waiting for room forever if this thread ends unexpectedly.
    struct Wakes<'a>(&'a Handoff);
    impl Drop for Wakes<'_> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                tracing::error!("the audit log's importer failed; the event journal is imported at the next start");
                self.0.lock().importer_gone = true;
                self.0.room.notify_all();
            }
        }
    }
    let _wakes = Wakes(handoff);
    let mut store = |records: &[Record]| {
        commit(&mut conn, records, imported, path);
        last_write.store(bluehook_core::now_ms() as i64, Ordering::Relaxed);
    };
    // After a failed read of the journal, when to try again.
    let mut paused_until = None;
    // A stopping importer that cannot read the journal leaves it for the next start.
    let mut gave_up = false;
    let mut s = handoff.lock();
    loop {
        if !s.direct.is_empty() {
            let direct = std::mem::take(&mut s.direct);
            drop(s);
            store(&direct);
            drop(direct);
            s = handoff.lock();
            continue;
        }
        let now = Instant::now();
        match due(&s, paused_until, now).filter(|_| !gave_up) {
            None if s.stopping => return,
            None => {
                s.sleeping = true;
                s = handoff.wake.wait(s).unwrap_or_else(PoisonError::into_inner);
                s.sleeping = false;
            }
            Some(at) if at > now => {
                s.sleeping = true;
                s = handoff
                    .wake
                    .wait_timeout(s, at - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
                s.sleeping = false;
            }
            Some(_) => {
                let result;
                (s, result) = import_slice(handoff, s, &mut store);
                match result {
                    Ok(()) => paused_until = None,
                    Err(e) if s.stopping => {
                        tracing::error!(path = %s.journal.path().display(), error = %e, "cannot read the event journal; it is imported at the next start");
                        gave_up = true;
                    }
                    Err(e) => {
                        tracing::error!(path = %s.journal.path().display(), error = %e, "cannot read the event journal; will retry");
                        paused_until = Some(now + Duration::from_secs(1));
                    }
                }
            }
        }
    }
}

/// Imports the next slice of the journal ([`IMPORT_SLICE`], or [`IMPORT_SLICE_LAGGING`]) with
/// `store`, letting go of the lock `s` while it is read, stored and dropped, and while a file
/// set aside and now imported is removed.
fn import_slice<'a>(
    handoff: &'a Handoff,
    mut s: MutexGuard<'a, Shared>,
    store: &mut impl FnMut(&[Record]),
) -> (MutexGuard<'a, Shared>, std::io::Result<()>) {
    let waiting = s.journal.snapshot();
    let (records, bytes) = match lagging(&s.journal) {
        true => IMPORT_SLICE_LAGGING,
        false => IMPORT_SLICE,
    };
    s.after_snapshot = None;
    drop(s);
    let covered = waiting.read(records, bytes).map(|read| {
        store(&read.records);
        Covered::of(&read, &waiting)
    });
    drop(waiting);
    let mut s = handoff.lock();
    let covered = match covered {
        Ok(covered) => covered,
        Err(e) => return (s, Err(e)),
    };
    let done = mark_imported(&mut s.journal, &covered);
    if !s.journal.has_waiting() {
        s.oldest_waiting = None;
    } else if covered.all {
        // What waits now came after the snapshot, and its age starts there: else a steady
        // stream would be imported a few records at a time, as they come.
        s.oldest_waiting = s.after_snapshot;
    }
    if s.journal.waiting_bytes() < handoff.limit / 2 {
        s.warned_full = false;
    }
    handoff.room.notify_all();
    if let Some(done) = done {
        drop(s);
        crate::journal::remove_imported(&done);
        s = handoff.lock();
    }
    (s, Ok(()))
}

/// How far a read of the journal went, kept once its records are stored and dropped.
struct Covered {
    /// Past the last record read, and past a damaged tail it met.
    end: u64,
    /// The damaged tail's length (0: none).
    torn: u64,
    /// Records read.
    records: usize,
    /// Whether it took everything that waited when the snapshot was taken.
    all: bool,
}

impl Covered {
    fn of(read: &Read, waiting: &Waiting) -> Covered {
        Covered {
            end: read.end + read.torn,
            torn: read.torn,
            records: read.records.len(),
            all: waiting.all_read(read),
        }
    }
}

/// Marks what a read covered imported, a damaged tail it met (a kill in the middle of a write)
/// with it: that is dropped, and logged. Returns a file set aside that is now all imported, to
/// be removed.
fn mark_imported(journal: &mut Journal, covered: &Covered) -> Option<std::path::PathBuf> {
    if covered.torn > 0 {
        tracing::warn!(path = %journal.path().display(), bytes = covered.torn, "the event journal ends in a torn write (the process was killed in the middle of it); its last bytes are dropped");
    }
    journal.imported(covered.end, covered.records)
}

/// Imports what an earlier process left in the journal, before ids are handed out again.
/// Rows already in SQLite (imported before a crash emptied the journal) stay as they are.
pub(crate) fn import_leftovers(
    conn: &mut Connection,
    journal: &mut Journal,
    path: &Path,
) -> Result<(), StoreError> {
    let mut n = 0;
    while journal.has_waiting() {
        let waiting = journal.snapshot();
        let read = waiting
            .read(IMPORT_SLICE_LAGGING.0, IMPORT_SLICE_LAGGING.1)
            .map_err(|source| StoreError::Journal {
                path: journal.path().to_owned(),
                source,
            })?;
        write_batch(conn, &read.records).map_err(|source| StoreError::Sqlite {
            path: path.to_owned(),
            source,
        })?;
        let covered = Covered::of(&read, &waiting);
        drop((read, waiting));
        if let Some(done) = mark_imported(journal, &covered) {
            crate::journal::remove_imported(&done);
        }
        n += covered.records;
    }
    if !journal.is_empty() {
        // Frames appended after a torn tail left in place would read as torn at the next start.
        return Err(StoreError::Journal {
            path: journal.path().to_owned(),
            source: std::io::Error::other("imported, but it cannot be emptied"),
        });
    }
    if n > 0 {
        tracing::info!(
            records = n,
            "imported the event journal left by the last run"
        );
    }
    Ok(())
}

struct Statements;

impl Statements {
    const RAW: &'static str = "INSERT OR IGNORE INTO raw_events (id, server, received_at, channel, name, outcome, error, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    const EVENT: &'static str = "INSERT OR IGNORE INTO events (id, raw_id, server, at, type, meeting_internal, meeting_external, user_internal, user_external, raw_kind, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
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

/// Writes `records` in one transaction; returns the highest event id among them (0 if none).
pub(crate) fn write_batch(conn: &mut Connection, records: &[Record]) -> rusqlite::Result<i64> {
    let tx = conn.transaction()?;
    let mut max_event = 0;
    let mut cursors = Cursors::new();
    {
        for record in records {
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

/// Writes one batch, retrying until it is in; then moves the import watermark.
fn commit(conn: &mut Connection, records: &[Record], imported: &Raiser, path: &Path) {
    let rows = records.len();
    let mut delay = Duration::from_millis(50);
    loop {
        let started = Instant::now();
        match write_batch(conn, records) {
            Ok(max_event) => {
                let took = started.elapsed();
                if took > Duration::from_millis(20) {
                    tracing::debug!(rows, took_ms = took.as_millis() as u64, "slow audit commit");
                }
                imported.raise(max_event);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::tests::event;

    /// After an import, what came meanwhile waits its own [`IMPORT_MAX_AGE`], not the age of
    /// what was imported: else under a steady stream every record would be imported alone.
    #[test]
    fn records_journaled_during_an_import_are_as_old_as_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let handoff = Handoff::new(Journal::open(&dir.path().join("db")).unwrap());
        handoff.append(&[event(1)]).unwrap();
        let first = handoff.lock().oldest_waiting.expect("event 1 waits");
        let mut during = None;
        let (s, result) = import_slice(&handoff, handoff.lock(), &mut |records| {
            assert_eq!(records.len(), 1);
            during = Some(Instant::now());
            handoff.append(&[event(2)]).unwrap();
        });
        result.unwrap();
        assert_eq!(s.journal.waiting(), 1, "event 2 waits");
        let oldest = s.oldest_waiting.expect("event 2 waits");
        assert!(oldest >= during.unwrap() && oldest > first);
        drop(s);
        let (s, result) = import_slice(&handoff, handoff.lock(), &mut |records| {
            assert_eq!(records.len(), 1);
        });
        result.unwrap();
        assert!(!s.journal.has_waiting());
        assert_eq!(s.oldest_waiting, None);
    }

    /// A writer far ahead of the import waits for it, and goes on once it has made room.
    #[test]
    fn a_writer_far_ahead_of_the_import_waits_for_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut handoff = Handoff::new(Journal::open(&dir.path().join("db")).unwrap());
        handoff.limit = 1;
        let handoff = Arc::new(handoff);
        handoff.append(&[event(1)]).unwrap();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let writer = std::thread::spawn({
            let handoff = handoff.clone();
            move || {
                handoff.append(&[event(2)]).unwrap();
                done_tx.send(()).unwrap();
            }
        });
        assert_eq!(
            done_rx.recv_timeout(Duration::from_millis(300)),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout),
            "the writer went past the limit"
        );
        assert_eq!(handoff.lock().journal.waiting(), 1);
        let (s, result) = import_slice(&handoff, handoff.lock(), &mut |records| {
            assert_eq!(records.len(), 1);
        });
        result.unwrap();
        drop(s);
        done_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the writer still waits");
        writer.join().unwrap();
        assert_eq!(handoff.lock().journal.waiting(), 1, "event 2 journaled");
    }
}

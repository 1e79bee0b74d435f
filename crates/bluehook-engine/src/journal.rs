//! The event journal: where raw messages and events are made durable before their deliveries
//! start, ahead of their (slower) rows in SQLite; delivery attempts (as runs) follow them here.
//!
//! Appending a batch of events here is one `write` of a few KiB; inserting them into SQLite
//! (two rows, four indexes, the WAL) costs ten times as much CPU, and on a small machine that
//! CPU came straight off delivery during bursts. So the audit log's writer appends events to
//! this file, lets their deliveries go, and the importer moves them into SQLite later, when the
//! relay is quiet or the journal has grown (see [`crate::import`]). Once everything in it is
//! imported, the file is emptied. The importer reads a snapshot of what waits
//! ([`Journal::snapshot`]) while the writer goes on appending, so under a stream that never
//! pauses the file may never be all imported at once: then, once much of it is, it is set aside
//! as `<database>-events.log.1` (imported first, also at start, and removed once done) and a
//! new file begun.
//!
//! The file is `<database>-events.log`: frames of a little-endian `u32` length, the body's
//! CRC-32 and the body (a tag byte, then the record's fields). Durability is SQLite's with
//! `synchronous = NORMAL`: what was written survives the process being killed, not the machine
//! losing power. At start, whatever the file holds is imported (again: rows already in SQLite
//! are kept as they are) and a torn last frame, left by a crash in the middle of a write, is
//! dropped and reported.

use bytes::Bytes;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::attempt_runs::{sum_width, Called, Run};
use crate::audit::{AttemptRow, EventRow, RawRow, Record};
use bluehook_core::checksum::Sum;

/// Frame header: body length, CRC-32 of the body.
const HEADER: usize = 8;
/// How much of the file an import reads at a time (a larger frame is read whole).
const READ_CHUNK: usize = 1 << 20;

const RAW: u8 = 1;
const EVENT: u8 = 2;
/// A run listing its URLs (written before runs kept checksums apart; still read).
const RUN_LISTED: u8 = 3;
/// A run with the hook's URL and its attempts' checksums.
const RUN: u8 = 4;
/// A hook's cursor (how far it got), behind the runs before it.
const CURSOR: u8 = 5;

/// Once this much of the file is imported while records still wait in it (a stream that never
/// pauses long enough for the import to catch up), the file is set aside for a fresh one.
const SET_ASIDE_BYTES: u64 = 16 << 20;

/// The journal's files and how much of them is imported.
#[derive(Debug)]
pub struct Journal {
    /// The file appended to.
    current: Segment,
    /// The file set aside (see [`SET_ASIDE_BYTES`]): its records come before the current
    /// file's, and it is removed once they are imported.
    earlier: Option<Segment>,
    /// Records written and not imported.
    waiting: usize,
    /// How much of the current file is imported when it is set aside.
    set_aside_at: u64,
    /// Encoding buffer, kept for its capacity.
    buf: Vec<u8>,
}

/// Removes a file set aside once all of it is imported ([`Journal::imported`]); a failure is
/// logged (the file is imported again, harmlessly, at the next start).
pub fn remove_imported(path: &Path) {
    if let Err(e) = std::fs::remove_file(path) {
        tracing::warn!(path = %path.display(), error = %e, "cannot remove the imported part of the event journal");
    }
}

/// One of the journal's files.
#[derive(Debug)]
struct Segment {
    /// Shared with [`Waiting`] snapshots, which read it while appends go on.
    file: Arc<File>,
    path: PathBuf,
    /// Bytes written (the file's length).
    written: u64,
    /// Bytes whose records are in SQLite.
    imported: u64,
}

impl Segment {
    /// Opens (creating, owner-only) the file at `path`. Everything in it counts as not
    /// imported.
    fn open(path: PathBuf) -> std::io::Result<Segment> {
        let mut options = std::fs::OpenOptions::new();
        options.read(true).append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&path)?;
        Ok(Segment {
            written: file.metadata()?.len(),
            file: Arc::new(file),
            path,
            imported: 0,
        })
    }

    fn has_waiting(&self) -> bool {
        self.imported < self.written
    }

    /// What waits in it now.
    fn snapshot(&self, reaches_end: bool) -> Waiting {
        Waiting {
            file: self.file.clone(),
            start: self.imported,
            end: self.written,
            reaches_end,
        }
    }
}

/// What a read of the journal found.
#[derive(Debug, Default)]
pub struct Read {
    /// The records, in order.
    pub records: Vec<Record>,
    /// The offset just past them.
    pub end: u64,
    /// Bytes at the end that are not a whole, intact frame (only after a crash).
    pub torn: u64,
}

/// The records waiting in one of the journal's files when [`Journal::snapshot`] was taken.
#[derive(Debug)]
pub struct Waiting {
    file: Arc<File>,
    /// Where they start: past the imported records.
    start: u64,
    /// Where they end: the file's length then.
    end: u64,
    /// Whether the file is the one appended to: no other records waited behind these.
    reaches_end: bool,
}

impl Journal {
    /// The journal of the database at `db`.
    pub fn path_for(db: &Path) -> PathBuf {
        PathBuf::from(format!("{}-events.log", db.display()))
    }

    /// Where the journal's file set aside is kept.
    fn earlier_path(current: &Path) -> PathBuf {
        let mut path = current.as_os_str().to_owned();
        path.push(".1");
        PathBuf::from(path)
    }

    /// Opens (creating, owner-only) the journal of `db`. Everything in it counts as not
    /// imported.
    pub fn open(db: &Path) -> std::io::Result<Journal> {
        let path = Self::path_for(db);
        let earlier_path = Self::earlier_path(&path);
        let earlier = match earlier_path.try_exists()? {
            true => Some(Segment::open(earlier_path)?),
            false => None,
        };
        let current = Segment::open(path)?;
        Ok(Journal {
            waiting: usize::from(current.written > 0)
                + usize::from(earlier.as_ref().is_some_and(|e| e.written > 0)),
            current,
            earlier,
            set_aside_at: SET_ASIDE_BYTES,
            buf: Vec::new(),
        })
    }

    /// Whether the journal holds nothing: no file set aside, and the current file empty.
    pub fn is_empty(&self) -> bool {
        self.earlier.is_none() && self.current.written == 0
    }

    /// The path of the file appended to.
    pub fn path(&self) -> &Path {
        &self.current.path
    }

    /// Appends the raw messages, events, attempt runs and cursors among `records` (others are
    /// skipped) in one write.
    pub fn append(&mut self, records: &[Record]) -> std::io::Result<()> {
        self.buf.clear();
        let mut n = 0;
        for record in records {
            if encode(record, &mut self.buf) {
                n += 1;
            }
        }
        if n == 0 {
            return Ok(());
        }
        let current = &mut self.current;
        if let Err(e) = (&*current.file).write_all(&self.buf) {
            // A partial write leaves a torn frame: cut it off so that later frames stay readable.
            let _ = current.file.set_len(current.written);
            return Err(e);
        }
        current.written += self.buf.len() as u64;
        self.waiting += n;
        Ok(())
    }

    /// Whether records wait to be imported.
    pub fn has_waiting(&self) -> bool {
        self.earlier.is_some() || self.current.has_waiting()
    }

    /// How many records wait to be imported (at least 1 when a journal left by an earlier
    /// process is not imported yet).
    pub fn waiting(&self) -> usize {
        self.waiting
    }

    /// Bytes waiting to be imported.
    pub fn waiting_bytes(&self) -> u64 {
        [self.earlier.as_ref(), Some(&self.current)]
            .into_iter()
            .flatten()
            .map(|s| s.written - s.imported)
            .sum()
    }

    /// What waits to be imported first, to be read without the journal: the rest of the file
    /// set aside if there is one, else of the current file. Appends that follow leave it as it
    /// is; only [`Journal::imported`], which the reader calls once done, cuts it off.
    pub fn snapshot(&self) -> Waiting {
        match &self.earlier {
            Some(earlier) => earlier.snapshot(false),
            None => self.current.snapshot(true),
        }
    }

    /// Notes that the records of the latest [`Journal::snapshot`] up to `end` ([`Read::end`],
    /// or past a damaged tail [`Read::end`] + [`Read::torn`]) are committed to SQLite. The
    /// current file is emptied once all of it is imported, and set aside once
    /// [`SET_ASIDE_BYTES`] of it are while more waits. Returns the path of a file set aside
    /// that is now all imported: the caller removes it ([`remove_imported`]), outside any lock
    /// it holds, as removing a large file takes a while. A failure to empty the file or to set
    /// it aside is logged and leaves the journal as it was (it grows meanwhile).
    pub fn imported(&mut self, end: u64, records: usize) -> Option<PathBuf> {
        self.waiting = self.waiting.saturating_sub(records);
        if let Some(earlier) = &mut self.earlier {
            earlier.imported = end.min(earlier.written);
            return match earlier.has_waiting() {
                true => None,
                false => self.earlier.take().map(|e| e.path),
            };
        }
        let current = &mut self.current;
        current.imported = end.min(current.written);
        if !current.has_waiting() {
            match current.file.set_len(0) {
                Ok(()) => {
                    current.written = 0;
                    current.imported = 0;
                    self.waiting = 0;
                    self.set_aside_at = SET_ASIDE_BYTES;
                }
                Err(e) => {
                    tracing::warn!(path = %current.path.display(), error = %e, "cannot empty the event journal; it grows until it can be")
                }
            }
        } else if current.imported >= self.set_aside_at {
            if let Err(e) = self.set_aside() {
                tracing::warn!(path = %self.current.path.display(), error = %e, "cannot set the imported part of the event journal aside; it grows meanwhile");
                // Not again before as much more is imported.
                self.set_aside_at = self.current.imported + SET_ASIDE_BYTES;
            }
        }
        None
    }

    /// Renames the current file to the earlier one's name and starts a new one.
    fn set_aside(&mut self) -> std::io::Result<()> {
        let path = self.current.path.clone();
        let earlier_path = Self::earlier_path(&path);
        std::fs::rename(&path, &earlier_path)?;
        let fresh = match Segment::open(path.clone()) {
            Ok(fresh) => fresh,
            Err(e) => {
                // Go on appending to the file as it was.
                let _ = std::fs::rename(&earlier_path, &path);
                return Err(e);
            }
        };
        let mut earlier = std::mem::replace(&mut self.current, fresh);
        earlier.path = earlier_path;
        self.earlier = Some(earlier);
        self.set_aside_at = SET_ASIDE_BYTES;
        Ok(())
    }
}

impl Waiting {
    /// Whether `read` (of this) took everything that waited in the journal when the snapshot
    /// was taken.
    pub fn all_read(&self, read: &Read) -> bool {
        self.reaches_end && read.end + read.torn == self.end
    }

    /// Reads up to `max` records from the start of what waits, stopping also after the frame
    /// that reaches `max_bytes`. A read that meets a damaged frame stops there and reports the
    /// rest as torn.
    pub fn read(&self, max: usize, max_bytes: u64) -> std::io::Result<Read> {
        let mut read = Read {
            end: self.start,
            ..Read::default()
        };
        let mut chunk = Vec::new();
        let more = |read: &Read| read.records.len() < max && read.end - self.start < max_bytes;
        while more(&read) && read.end < self.end {
            let left = self.end - read.end;
            chunk.resize(left.min(READ_CHUNK as u64) as usize, 0);
            self.file.read_exact_at(&mut chunk, read.end)?;
            let mut at = 0;
            while more(&read) {
                let Some(header) = chunk.get(at..at + HEADER) else {
                    if left - (at as u64) < HEADER as u64 {
                        // Not even a whole header before the end of the file: torn.
                        read.torn = left - at as u64;
                        return Ok(read);
                    }
                    break;
                };
                let len = u32::from_le_bytes(header[..4].try_into().expect("4 bytes")) as usize;
                let crc = u32::from_le_bytes(header[4..].try_into().expect("4 bytes"));
                if (HEADER + len) as u64 > left - at as u64 {
                    // Runs past the end of the file: torn.
                    read.torn = left - at as u64;
                    return Ok(read);
                }
                if at + HEADER + len > chunk.len() {
                    if at == 0 {
                        // One frame larger than a chunk: read it whole.
                        chunk.resize(HEADER + len, 0);
                        self.file.read_exact_at(&mut chunk, read.end)?;
                        continue;
                    }
                    break;
                }
                let body = &chunk[at + HEADER..at + HEADER + len];
                match (crc32fast::hash(body) == crc)
                    .then(|| decode(body))
                    .flatten()
                {
                    Some(record) => read.records.push(record),
                    None => {
                        read.torn = left - at as u64;
                        return Ok(read);
                    }
                }
                at += HEADER + len;
                read.end += (HEADER + len) as u64;
            }
        }
        Ok(read)
    }
}

fn put_i64(buf: &mut Vec<u8>, v: i64) {
    buf.extend_from_slice(&v.to_le_bytes());
}

fn put_bytes(buf: &mut Vec<u8>, v: &[u8]) {
    buf.extend_from_slice(&(v.len() as u32).to_le_bytes());
    buf.extend_from_slice(v);
}

fn put_opt(buf: &mut Vec<u8>, v: Option<&str>) {
    match v {
        Some(s) => {
            buf.push(1);
            put_bytes(buf, s.as_bytes());
        }
        None => buf.push(0),
    }
}

/// Appends `record`'s frame to `buf`; false (nothing appended) for records that are not raw
/// messages, events, attempt runs or cursors.
fn encode(record: &Record, buf: &mut Vec<u8>) -> bool {
    let start = buf.len();
    buf.extend_from_slice(&[0; HEADER]);
    match record {
        Record::Raw(r) => {
            buf.push(RAW);
            put_i64(buf, r.id);
            put_bytes(buf, r.server.as_bytes());
            put_i64(buf, r.received_at);
            put_bytes(buf, r.channel.as_bytes());
            put_opt(buf, r.name.as_deref());
            put_bytes(buf, r.outcome.as_bytes());
            put_opt(buf, r.error.as_deref());
            put_bytes(buf, &r.payload);
        }
        Record::Event(e) => {
            buf.push(EVENT);
            put_i64(buf, e.id);
            put_i64(buf, e.raw_id);
            put_bytes(buf, e.server.as_bytes());
            put_i64(buf, e.at);
            put_bytes(buf, e.kind.as_bytes());
            put_opt(buf, e.meeting_internal.as_deref());
            put_opt(buf, e.meeting_external.as_deref());
            put_opt(buf, e.user_internal.as_deref());
            put_opt(buf, e.user_external.as_deref());
            buf.push(e.raw_kind);
            put_bytes(buf, e.json.as_bytes());
        }
        Record::Run(run) => {
            buf.push(match run.called {
                Called::Sums(_) => RUN,
                Called::Listed(_) => RUN_LISTED,
            });
            let h = &run.head;
            put_bytes(buf, h.server.as_bytes());
            put_bytes(buf, h.hook_id.as_bytes());
            put_i64(buf, h.event_id);
            put_i64(buf, i64::from(h.attempt));
            put_i64(buf, h.at);
            put_bytes(buf, h.url.as_bytes());
            put_bytes(buf, h.request_headers.as_bytes());
            put_i64(buf, h.status.map_or(-1, i64::from));
            put_opt(buf, h.response_headers.as_deref());
            put_opt(buf, h.response_body.as_deref());
            put_i64(buf, h.latency_us);
            put_bytes(buf, h.outcome.as_bytes());
            put_opt(buf, h.error_class);
            put_opt(buf, h.error.as_deref());
            put_bytes(buf, &run.items);
            match &run.called {
                Called::Sums(sums) => put_bytes(buf, sums),
                Called::Listed(urls) => put_bytes(buf, urls.as_bytes()),
            }
            for v in [
                run.n as i64,
                run.last_event,
                run.first_at,
                run.last_at,
                run.ended_at,
            ] {
                put_i64(buf, v);
            }
        }
        Record::Cursor {
            server,
            hook_id,
            through,
        } => {
            buf.push(CURSOR);
            put_bytes(buf, server.as_bytes());
            put_bytes(buf, hook_id.as_bytes());
            put_i64(buf, *through);
        }
        _ => {
            buf.truncate(start);
            return false;
        }
    }
    let body = &buf[start + HEADER..];
    let (len, crc) = (body.len() as u32, crc32fast::hash(body));
    buf[start..start + 4].copy_from_slice(&len.to_le_bytes());
    buf[start + 4..start + HEADER].copy_from_slice(&crc.to_le_bytes());
    true
}

/// Reads fields off a frame's body.
struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize;
        self.take(len)
    }
    fn str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }
    fn opt(&mut self) -> Option<Option<String>> {
        match self.u8()? {
            0 => Some(None),
            _ => Some(Some(self.str()?.to_owned())),
        }
    }
}

/// `s` as one of `known` (the `&'static str`s a row holds), else `fallback`.
fn known(s: &str, known: &[&'static str], fallback: &'static str) -> &'static str {
    known.iter().copied().find(|k| *k == s).unwrap_or(fallback)
}

/// The outcomes a raw message can have, as the `&'static str` a [`RawRow`] holds.
fn outcome(s: &str) -> &'static str {
    known(
        s,
        &["event", "unknown", "ignored", "malformed", "failed"],
        "failed",
    )
}

fn decode_run(f: &mut Fields<'_>, tag: u8) -> Option<Run> {
    let mut head = AttemptRow {
        server: Arc::from(f.str()?),
        hook_id: Arc::from(f.str()?),
        event_id: f.i64()?,
        attempt: u32::try_from(f.i64()?).ok()?,
        at: f.i64()?,
        url: Arc::from(f.str()?),
        checksum: None,
        request_headers: Arc::from(f.str()?),
        status: u16::try_from(f.i64()?).ok(),
        response_headers: f.opt()?.map(Arc::from),
        response_body: f.opt()?.map(Arc::from),
        latency_us: f.i64()?,
        outcome: known(f.str()?, &["delivered", "failed"], "failed"),
        error_class: f.opt()?.map(|c| {
            known(
                &c,
                &["timeout", "refused", "tls", "status", "other"],
                "other",
            )
        }),
        error: f.opt()?,
    };
    let items = f.bytes()?.to_vec();
    let called = match tag {
        RUN_LISTED => Called::Listed(f.str()?.to_owned()),
        _ => Called::Sums(f.bytes()?.to_vec()),
    };
    let n = usize::try_from(f.i64()?).ok()?;
    if let Called::Sums(sums) = &called {
        // The head's checksum is the first one.
        head.checksum = Sum::from_bytes(&sums[..sum_width(sums, n)]);
    }
    Some(Run {
        head,
        items,
        called,
        n,
        last_event: f.i64()?,
        first_at: f.i64()?,
        last_at: f.i64()?,
        ended_at: f.i64()?,
    })
}

fn decode(body: &[u8]) -> Option<Record> {
    let mut f = Fields(body);
    let record = match f.u8()? {
        RAW => Record::Raw(RawRow {
            id: f.i64()?,
            server: Arc::from(f.str()?),
            received_at: f.i64()?,
            channel: Arc::from(f.str()?),
            name: f.opt()?,
            outcome: outcome(f.str()?),
            error: f.opt()?,
            payload: Bytes::copy_from_slice(f.bytes()?),
        }),
        EVENT => Record::Event(EventRow {
            id: f.i64()?,
            raw_id: f.i64()?,
            server: Arc::from(f.str()?),
            at: f.i64()?,
            kind: Arc::from(f.str()?),
            meeting_internal: f.opt()?,
            meeting_external: f.opt()?,
            user_internal: f.opt()?,
            user_external: f.opt()?,
            raw_kind: f.u8()?,
            json: Arc::from(f.str()?),
        }),
        tag @ (RUN | RUN_LISTED) => Record::Run(Box::new(decode_run(&mut f, tag)?)),
        CURSOR => Record::Cursor {
            server: Arc::from(f.str()?),
            hook_id: Arc::from(f.str()?),
            through: f.i64()?,
        },
        _ => return None,
    };
    f.0.is_empty().then_some(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attempt_runs::items;

    fn raw(id: i64, payload: &str) -> Record {
        Record::Raw(RawRow {
            id,
            server: Arc::from("bbb1"),
            received_at: 1000 + id,
            channel: Arc::from("from-akka-apps-redis-channel"),
            name: Some("UserJoinedMeetingEvtMsg".into()),
            outcome: "event",
            error: None,
            payload: Bytes::from(payload.to_owned()),
        })
    }

    fn event(id: i64) -> Record {
        Record::Event(EventRow {
            id,
            raw_id: id,
            server: Arc::from("bbb1"),
            at: 2000 + id,
            kind: Arc::from("user-joined"),
            meeting_internal: Some("int".into()),
            meeting_external: None,
            user_internal: Some("w_1".into()),
            user_external: Some("ext ü".into()),
            raw_kind: 1,
            json: Arc::from(r#"{"data":{"id":"user-joined"}}"#),
        })
    }

    /// Reads up to `max` records of what waits first, as the importer does.
    fn read_waiting(j: &Journal, max: usize) -> std::io::Result<Read> {
        j.snapshot().read(max, u64::MAX)
    }

    fn text(records: &[Record]) -> String {
        format!("{records:?}")
    }

    fn attempt(event_id: i64, status: Option<u16>) -> AttemptRow {
        AttemptRow {
            server: Arc::from("bbb1"),
            hook_id: Arc::from("h"),
            event_id,
            attempt: 2,
            at: 3000 + event_id,
            url: Arc::from("http://lms/hook"),
            checksum: Sum::from_bytes(&[event_id as u8; 20]),
            request_headers: Arc::from(r#"{"accept":"*/*"}"#),
            status,
            response_headers: status.map(|_| Arc::from(r#"{"date":"x"}"#)),
            response_body: None,
            latency_us: 70 * event_id,
            outcome: if status == Some(200) {
                "delivered"
            } else {
                "failed"
            },
            error_class: (status != Some(200)).then_some("timeout"),
            error: (status != Some(200)).then(|| "timed out ü".to_owned()),
        }
    }

    #[test]
    fn attempt_runs_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::open(&dir.path().join("log.sqlite3")).unwrap();
        let mut delivered = Run::new(attempt(7, Some(200)));
        delivered.push(&attempt(9, Some(200)));
        // Bearer auth: no checksums.
        let mut bearer = attempt(10, None);
        bearer.checksum = None;
        // A run as journaled before checksums were kept apart.
        let mut listed = Run::new(attempt(11, None));
        listed.head.checksum = None;
        listed.called = Called::Listed(r#"["http://lms/hook?checksum=b"]"#.to_owned());
        let runs = [
            Record::Run(Box::new(delivered)),
            Record::Run(Box::new(Run::new(bearer))),
            Record::Run(Box::new(listed)),
            Record::Cursor {
                server: Arc::from("bbb1"),
                hook_id: Arc::from("h"),
                through: 12,
            },
        ];
        j.append(&runs).unwrap();
        assert_eq!(j.waiting(), 4);
        let read = read_waiting(&j, 10).unwrap();
        assert_eq!(text(&read.records), text(&runs));
        let Record::Run(run) = &read.records[0] else {
            panic!("a run")
        };
        assert_eq!(
            items(&run.items).map(|i| i.event_id).collect::<Vec<_>>(),
            [7, 9]
        );
        assert_eq!(run.called, Called::Sums([[7u8; 20], [9; 20]].concat()));
        assert_eq!(run.head.checksum, Sum::from_bytes(&[7; 20]));
    }

    #[test]
    fn records_read_back_as_written_and_the_file_empties_once_all_are_imported() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("log.sqlite3");
        let mut j = Journal::open(&db).unwrap();
        let first = vec![raw(1, "{\"a\":1}"), event(1)];
        let big = "x".repeat(3 * READ_CHUNK);
        let second = vec![
            raw(2, &big),
            event(2),
            Record::HookChange {
                server: Arc::from("bbb1"),
                hook_id: "h".into(),
                action: "created",
                callback_url: "http://lms/cb".into(),
                detail: None,
            },
        ];
        j.append(&first).unwrap();
        j.append(&second).unwrap();
        assert_eq!(j.waiting(), 4, "a hook change is not a journal record");

        let read = read_waiting(&j, 3).unwrap();
        assert_eq!(
            text(&read.records),
            text(&[first[0].clone(), first[1].clone(), second[0].clone()])
        );
        assert_eq!(read.torn, 0);
        assert_eq!(j.imported(read.end, read.records.len()), None);
        assert!(j.has_waiting());
        let rest = read_waiting(&j, 100).unwrap();
        assert_eq!(text(&rest.records), text(&second[1..2]));
        assert_eq!(j.imported(rest.end, rest.records.len()), None);
        assert!(!j.has_waiting());
        assert_eq!(std::fs::metadata(j.path()).unwrap().len(), 0);
    }

    /// Under a stream that never lets the import catch up, the file is never all imported: it
    /// is set aside once much of it is, and removed once its rest is imported, records staying
    /// in order, also across a restart.
    #[test]
    fn a_file_never_all_imported_is_set_aside_and_removed_once_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("log.sqlite3");
        let earlier = Journal::earlier_path(&Journal::path_for(&db));
        let mut j = Journal::open(&db).unwrap();
        let big = raw(1, &"x".repeat(SET_ASIDE_BYTES as usize));
        j.append(std::slice::from_ref(&big)).unwrap();
        let first = j.snapshot();
        // Journaled while the import ran.
        j.append(&[event(1)]).unwrap();
        let read = first.read(100, u64::MAX).unwrap();
        assert_eq!(read.records.len(), 1);
        assert!(first.all_read(&read));
        assert_eq!(j.imported(read.end, 1), None);
        assert!(earlier.exists(), "set aside");
        assert_eq!(std::fs::metadata(j.path()).unwrap().len(), 0);
        j.append(&[event(2)]).unwrap();

        // What a restart now finds: the file set aside first.
        let reopened = Journal::open(&db).unwrap();
        let all = reopened.snapshot().read(100, u64::MAX).unwrap();
        assert_eq!(text(&all.records), text(&[big, event(1)]));
        drop(reopened);

        let rest = j.snapshot();
        let read = rest.read(100, u64::MAX).unwrap();
        assert_eq!(text(&read.records), text(&[event(1)]));
        assert!(!rest.all_read(&read), "event 2 waits behind it");
        let done = j.imported(read.end, 1);
        assert_eq!(done.as_deref(), Some(earlier.as_path()), "all imported");
        remove_imported(&earlier);
        assert!(!earlier.exists());
        let read = read_waiting(&j, 100).unwrap();
        assert_eq!(text(&read.records), text(&[event(2)]));
        assert_eq!(j.imported(read.end, 1), None);
        assert!(!j.has_waiting());
        assert_eq!(std::fs::metadata(j.path()).unwrap().len(), 0);
    }

    #[test]
    fn a_torn_or_damaged_tail_is_reported_and_what_precedes_it_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("log.sqlite3");
        let mut j = Journal::open(&db).unwrap();
        j.append(&[raw(1, "{}"), event(1)]).unwrap();
        let whole = std::fs::metadata(j.path()).unwrap().len();
        j.append(&[event(2)]).unwrap();
        drop(j);
        let path = Journal::path_for(&db);
        let full = std::fs::read(&path).unwrap();

        // Cut in the middle of the last frame, as a crash during its write would.
        std::fs::write(&path, &full[..full.len() - 5]).unwrap();
        let j = Journal::open(&db).unwrap();
        let read = read_waiting(&j, usize::MAX).unwrap();
        assert_eq!(read.records.len(), 2);
        assert_eq!(read.end, whole);
        assert_eq!(read.torn, full.len() as u64 - 5 - whole);

        // A flipped byte in the last frame's body fails its checksum.
        let mut damaged = full.clone();
        let last = damaged.len() - 3;
        damaged[last] ^= 0x20;
        std::fs::write(&path, &damaged).unwrap();
        let j = Journal::open(&db).unwrap();
        let read = read_waiting(&j, usize::MAX).unwrap();
        assert_eq!(text(&read.records), text(&[raw(1, "{}"), event(1)]));
        assert_eq!(read.torn, full.len() as u64 - whole);

        // A write cut inside the next frame's header: fewer bytes than a header remain.
        std::fs::write(&path, &full[..whole as usize + 3]).unwrap();
        let j = Journal::open(&db).unwrap();
        let read = read_waiting(&j, usize::MAX).unwrap();
        assert_eq!(read.records.len(), 2);
        assert_eq!(read.end, whole);
        assert_eq!(read.torn, 3);
    }
}

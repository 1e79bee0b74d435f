//! Exports of the audit log as CSV, NDJSON or JSON, streamed row by row in constant memory.
//!
//! The same writer serves `bluehook export` (to a file or stdout, with a progress bar) and the
//! admin API's download. CSV cells that a spreadsheet would run as a formula (starting with
//! `=`, `+`, `-`, `@`, tab or carriage return) are prefixed with `'`.

use serde::Serialize;
use std::io::Write;
use std::str::FromStr;

use crate::query::{AttemptRecord, EventRecord, Filter, Reader};
use crate::store::StoreError;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Ndjson,
    /// One JSON array.
    Json,
}

impl Format {
    /// The MIME type of a download.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Ndjson => "application/x-ndjson",
            Format::Json => "application/json",
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
            Format::Json => "json",
        }
    }
}

impl FromStr for Format {
    type Err = ExportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "csv" => Ok(Format::Csv),
            "ndjson" | "jsonl" => Ok(Format::Ndjson),
            "json" => Ok(Format::Json),
            other => Err(ExportError::Format(other.to_owned())),
        }
    }
}

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Normalized events.
    Events,
    /// Delivery attempts.
    Attempts,
}

impl FromStr for Table {
    type Err = ExportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "events" => Ok(Table::Events),
            "attempts" => Ok(Table::Attempts),
            other => Err(ExportError::Table(other.to_owned())),
        }
    }
}

/// An export that failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Unknown format name.
    #[error("unknown format {0:?}: use csv, ndjson or json")]
    Format(String),
    /// Unknown table name.
    #[error("unknown table {0:?}: use events or attempts")]
    Table(String),
    /// Reading the database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the output failed.
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
}

const EVENT_COLUMNS: [&str; 9] = [
    "id",
    "server",
    "at",
    "type",
    "meeting_internal",
    "meeting_external",
    "user_internal",
    "user_external",
    "event",
];

const ATTEMPT_COLUMNS: [&str; 15] = [
    "id",
    "server",
    "hook_id",
    "event_id",
    "attempt",
    "at",
    "url",
    "status",
    "latency_us",
    "outcome",
    "error_class",
    "error",
    "request_headers",
    "response_headers",
    "response_body",
];

/// A text cell a spreadsheet cannot mistake for a formula.
pub fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

/// Streams the rows matching `filter` to `out`; `progress` is called with the running count.
/// Returns how many rows were written.
pub fn export<W: Write>(
    reader: &Reader,
    table: Table,
    format: Format,
    filter: &Filter,
    out: W,
    mut progress: impl FnMut(u64),
) -> Result<u64, ExportError> {
    let buffered = std::io::BufWriter::with_capacity(64 * 1024, out);
    let mut sink = match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(buffered);
            let header: &[&str] = match table {
                Table::Events => &EVENT_COLUMNS,
                Table::Attempts => &ATTEMPT_COLUMNS,
            };
            w.write_record(header).map_err(csv_io)?;
            Sink::Csv(Box::new(w))
        }
        Format::Json => {
            let mut w = buffered;
            w.write_all(b"[")?;
            Sink::Json(w, true)
        }
        Format::Ndjson => Sink::Ndjson(buffered),
    };
    let mut count = 0u64;
    let mut failure: Option<std::io::Error> = None;
    let mut emit = |row: Row<'_>| -> bool {
        match sink.write(&row) {
            Ok(()) => {
                count += 1;
                if count % 1000 == 0 {
                    progress(count);
                }
                true
            }
            Err(e) => {
                failure = Some(e);
                false
            }
        }
    };
    match table {
        Table::Events => reader.each_event(filter, None, |e| emit(Row::Event(&e)))?,
        Table::Attempts => reader.each_attempt(filter, None, |a| emit(Row::Attempt(&a)))?,
    }
    if let Some(e) = failure {
        return Err(e.into());
    }
    sink.finish()?;
    progress(count);
    Ok(count)
}

enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Ndjson(W),
    /// The writer, and whether no row was written yet.
    Json(W, bool),
}

impl<W: Write> Sink<W> {
    fn write(&mut self, row: &Row<'_>) -> std::io::Result<()> {
        match self {
            Sink::Csv(w) => w.write_record(row.cells()).map_err(csv_io),
            Sink::Ndjson(w) => {
                row.write_json(w)?;
                w.write_all(b"\n")
            }
            Sink::Json(w, first) => {
                if !*first {
                    w.write_all(b",")?;
                }
                *first = false;
                w.write_all(b"\n")?;
                row.write_json(w)
            }
        }
    }

    fn finish(self) -> std::io::Result<()> {
        match self {
            Sink::Csv(mut w) => w.flush(),
            Sink::Ndjson(mut w) => w.flush(),
            Sink::Json(mut w, _) => {
                w.write_all(b"\n]\n")?;
                w.flush()
            }
        }
    }
}

enum Row<'a> {
    Event(&'a EventRecord),
    Attempt(&'a AttemptRecord),
}

impl Row<'_> {
    /// The CSV cells, formula-safe.
    fn cells(&self) -> Vec<String> {
        let t = |s: &str| csv_safe(s).into_owned();
        match self {
            Row::Event(e) => vec![
                e.id.to_string(),
                t(&e.server),
                e.at.to_string(),
                t(&e.event_type),
                t(opt(&e.meeting_internal)),
                t(opt(&e.meeting_external)),
                t(opt(&e.user_internal)),
                t(opt(&e.user_external)),
                t(&e.event.to_string()),
            ],
            Row::Attempt(a) => vec![
                a.id.to_string(),
                t(&a.server),
                t(&a.hook_id),
                a.event_id.to_string(),
                a.attempt.to_string(),
                a.at.to_string(),
                t(&a.url),
                a.status.map(|s| s.to_string()).unwrap_or_default(),
                a.latency_us.to_string(),
                t(&a.outcome),
                t(opt(&a.error_class)),
                t(opt(&a.error)),
                t(&a.request_headers.to_string()),
                t(&a.response_headers
                    .as_ref()
                    .map(|h| h.to_string())
                    .unwrap_or_default()),
                t(opt(&a.response_body)),
            ],
        }
    }

    fn write_json(&self, out: &mut impl Write) -> std::io::Result<()> {
        fn write<T: Serialize>(out: &mut impl Write, v: &T) -> std::io::Result<()> {
            serde_json::to_writer(out, v).map_err(std::io::Error::other)
        }
        match self {
            Row::Event(e) => write(out, e),
            Row::Attempt(a) => write(out, a),
        }
    }
}

fn csv_io(e: csv::Error) -> std::io::Error {
    std::io::Error::other(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused() {
        for bad in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_safe(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(csv_safe("user-joined"), "user-joined");
        assert_eq!(csv_safe("{\"data\":1}"), "{\"data\":1}");
    }
}

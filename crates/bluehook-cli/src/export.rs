//! `bluehook export`: the audit log to a file or stdout, streamed, with a progress bar when
//! stderr is a terminal.

use anyhow::{bail, Context, Result};
use bluehook_engine::export::{self, Format, Table};
use bluehook_engine::query::{Filter, Reader};
use clap::Args;
use std::io::IsTerminal;
use std::path::PathBuf;

/// What `bluehook export` takes.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// csv, ndjson or json.
    #[arg(long, short)]
    format: String,
    /// events or attempts.
    #[arg(long, default_value = "events")]
    table: String,
    /// Write here instead of stdout.
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// The database file (default: bluehook.sqlite3 in the configured data directory).
    #[arg(long)]
    db: Option<PathBuf>,
    /// Only this server.
    #[arg(long)]
    server: Option<String>,
    /// Only this meeting (internal or external id).
    #[arg(long)]
    meeting: Option<String>,
    /// Only this event type (e.g. user-left).
    #[arg(long = "type")]
    event_type: Option<String>,
    /// Only events sent to this hook / attempts of this hook.
    #[arg(long)]
    hook: Option<String>,
    /// delivered or failed.
    #[arg(long)]
    outcome: Option<String>,
    /// From this time (ms since the epoch, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ).
    #[arg(long)]
    since: Option<String>,
    /// Before this time (same forms).
    #[arg(long)]
    until: Option<String>,
    /// Words that must appear in the event.
    #[arg(long)]
    text: Option<String>,
}

/// Milliseconds since the epoch from `1700000000000`, `2025-03-01` or `2025-03-01T12:00:00Z`.
pub fn parse_time(s: &str) -> Result<i64> {
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    let (date, time) = s.split_once('T').unwrap_or((s, "00:00:00Z"));
    let d: Vec<i64> = date
        .split('-')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .context("date")?;
    let time = time.trim_end_matches('Z');
    let t: Vec<i64> = time
        .split(':')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .context("time")?;
    let ([y, m, day], [hh, mm, ss]) = (d.as_slice(), t.as_slice()) else {
        bail!("use ms since the epoch, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ: {s:?}");
    };
    if !(1..=12).contains(m) || !(1..=31).contains(day) {
        bail!("not a date: {s:?}");
    }
    // Days from the civil date (Howard Hinnant's algorithm), UTC.
    let y = if *m <= 2 { y - 1 } else { *y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Ok(((days * 24 + hh) * 60 + mm) * 60_000 + ss * 1000)
}

impl ExportArgs {
    /// The database file given with `--db`.
    pub fn db(&self) -> Option<PathBuf> {
        self.db.clone()
    }
}

/// Runs the export; `db` is the database file.
pub fn run(args: ExportArgs, db: PathBuf) -> Result<()> {
    let format: Format = args.format.parse()?;
    let table: Table = args.table.parse()?;
    let filter = Filter {
        server: args.server,
        meeting: args.meeting,
        event_type: args.event_type,
        hook: args.hook,
        outcome: args.outcome,
        since: args.since.as_deref().map(parse_time).transpose()?,
        until: args.until.as_deref().map(parse_time).transpose()?,
        text: args.text,
        ..Filter::default()
    };
    if !db.exists() {
        bail!(
            "no database at {}: run bluehook serve first, or pass --db",
            db.display()
        );
    }
    let reader = Reader::open(&db)?;
    let bar = if std::io::stderr().is_terminal() {
        let total = match table {
            Table::Events => reader.count_events(&filter)?,
            Table::Attempts => reader.count_attempts(&filter)?,
        };
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} rows {per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let progress = |n: u64| {
        if let Some(b) = &bar {
            b.set_position(n);
        }
    };
    let written = match &args.out {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            export::export(&reader, table, format, &filter, file, progress)?
        }
        None => export::export(
            &reader,
            table,
            format,
            &filter,
            std::io::stdout().lock(),
            progress,
        )?,
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Some(path) = &args.out {
        eprintln!("{written} rows written to {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn times() {
        assert_eq!(parse_time("1700000000000").unwrap(), 1_700_000_000_000);
        assert_eq!(parse_time("1970-01-01").unwrap(), 0);
        assert_eq!(
            parse_time("2023-11-14T22:13:20Z").unwrap(),
            1_700_000_000_000
        );
        assert_eq!(parse_time("2024-02-29").unwrap(), 1_709_164_800_000);
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("2024-13-01").is_err());
    }
}

//! How much write-ahead log waits to be copied back into the database, as SQLite reports it.
//!
//! The checkpoint thread checkpoints early when much WAL waits. It once read that from the WAL
//! index (the `-shm` file) with a file of its own, but closing any descriptor of a file drops
//! every POSIX lock the process holds on it, SQLite's included. Another process opening the
//! database (an export, the `sqlite3` shell) then saw no connection and reset the `-shm` file
//! under the relay's mapping of it, and the relay died of SIGBUS. So the count comes from SQLite
//! itself instead: its WAL hook, which it calls after each commit with the frames in the log.

use rusqlite::{ffi, Connection};
use std::os::raw::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Frames in the WAL after the watched connection's last commit, less what the checkpoint
/// thread has since copied back.
#[derive(Debug, Clone, Default)]
pub struct WalWatch {
    frames: Arc<AtomicU64>,
}

impl WalWatch {
    /// Watches the commits of `conn`. It replaces SQLite's automatic checkpoints on that
    /// connection (they use the same hook), so `conn` must have them off.
    pub fn install(conn: &Connection) -> WalWatch {
        let watch = WalWatch::default();
        // The hook keeps its own reference for as long as the connection may call it; that
        // is one small allocation per audit log, never freed.
        let arg = Arc::into_raw(watch.frames.clone()) as *mut c_void;
        // SAFETY: `conn.handle()` is a valid open connection; `arg` points to an `AtomicU64`
        // that is never freed (the leaked reference above), and `note_frames` only reads it.
        unsafe {
            ffi::sqlite3_wal_hook(conn.handle(), Some(note_frames), arg);
        }
        watch
    }

    /// Bytes of WAL waiting to be copied back, for pages of `page_size` bytes (each frame is a
    /// 24-byte header and a page).
    pub fn waiting_bytes(&self, page_size: u64) -> u64 {
        self.frames.load(Ordering::Relaxed) * (page_size + 24)
    }

    /// Notes a checkpoint that left `frames` frames not copied back.
    pub fn checkpointed(&self, frames: u64) {
        self.frames.store(frames, Ordering::Relaxed);
    }
}

/// SQLite's WAL hook: `frames` is the number of frames now in the log.
unsafe extern "C" fn note_frames(
    arg: *mut c_void,
    _db: *mut ffi::sqlite3,
    _name: *const c_char,
    frames: c_int,
) -> c_int {
    // SAFETY: `arg` is the `AtomicU64` that `WalWatch::install` leaked for this hook.
    let counter = unsafe { &*(arg as *const AtomicU64) };
    counter.store(frames.max(0) as u64, Ordering::Relaxed);
    ffi::SQLITE_OK
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_frames_waiting_are_what_sqlite_counts() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.sqlite3");
        let conn = crate::store::open_connection(&db, Duration::from_secs(1)).unwrap();
        conn.execute_batch(
            "PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (x BLOB); PRAGMA wal_checkpoint(PASSIVE);",
        )
        .unwrap();
        let watch = WalWatch::install(&conn);
        assert_eq!(watch.waiting_bytes(4096), 0);
        for _ in 0..50 {
            conn.execute("INSERT INTO t VALUES (zeroblob(8000))", [])
                .unwrap();
        }
        // 50 commits of two or three pages each (the row overflows into a second page).
        let waiting = watch.waiting_bytes(4096);
        let frame = 4096 + 24;
        assert!((100 * frame..=200 * frame).contains(&waiting), "{waiting}");
        let (_, log, copied): (i64, i64, i64) = conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!(
            waiting,
            log as u64 * frame,
            "the frames SQLite itself counts"
        );
        assert_eq!(log, copied);
    }
}

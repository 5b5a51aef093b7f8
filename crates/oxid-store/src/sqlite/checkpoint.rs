//! WAL checkpoints off the request path (issue 14: a p99 of 318 ms on the token row).
//!
//! SQLite's automatic checkpoint runs inside the `COMMIT` that takes the WAL past 1,000
//! frames: that commit copies every page back into the database file and fsyncs it, and
//! every caller of its batch (and every job queued behind it) waits. Here the writer's
//! connection has `wal_autocheckpoint = 0`, and a thread with a connection of its own runs
//! `PRAGMA wal_checkpoint(PASSIVE)` every [`CHECKPOINT_COMMITS`] commits of the writer, so the
//! copying and the fsyncs happen beside the writer. Durability does not depend on checkpoints
//! at all: a commit is in the WAL (`synchronous = NORMAL`) before its callers are answered,
//! and SQLite replays the WAL after a crash, mid-checkpoint included.
//!
//! The bound: a passive checkpoint never waits for the writer, so under constant writes it
//! copies what it saw while the writer appends more, and SQLite starts the WAL over from its
//! beginning only when a transaction begins with every frame copied. So the writer looks at
//! the WAL file's size every [`CHECK_EVERY`] commits; past [`WRAP_BYTES`] it checkpoints
//! itself after its batch, when nothing else writes: the checkpointer has copied all but the
//! latest frames, so that is short, and the next transaction starts the WAL over and cuts
//! the file back to [`WRAP_BYTES`] (`journal_size_limit`). The WAL therefore stays near
//! [`WRAP_BYTES`] (plus what readers' open snapshots hold back) however long the load lasts.

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// How often the checkpointer looks whether the writer committed.
const INTERVAL: Duration = Duration::from_millis(50);
/// The longest pause between two looks; the pause doubles up to it while nothing is written,
/// and the longest a commit waits for its checkpoint.
const IDLE_INTERVAL: Duration = Duration::from_secs(1);
/// Commits between two checkpoints: SQLite's own rhythm (1,000 frames) at a few frames each.
const CHECKPOINT_COMMITS: u64 = 128;
/// The WAL's size beyond which the writer checkpoints itself: 16,384 frames of a 4 KiB page
/// and its 24-byte header, after the 32-byte file header. Each time costs the writer two or
/// three fsyncs (a few ms, on a loaded VM up to 400 ms), so it should be rare: about every
/// 6 s at 5,000 tokens/s (SQLite's own automatic checkpoint: every 1,000 frames, 16 times
/// as often, each copying every page).
pub(super) const WRAP_BYTES: u64 = 16_384 * (4096 + 24) + 32;
/// Commits between two looks of the writer at the WAL's size (one `stat` each).
pub(super) const CHECK_EVERY: u64 = 32;

/// What the writer and the checkpointer share.
#[derive(Debug)]
pub(super) struct WalState {
    /// Transactions the writer committed.
    commits: AtomicU64,
    /// The WAL file.
    wal: PathBuf,
    /// The writer's own checkpoint is due (it found the WAL too long and has not caught up).
    wrap_pending: AtomicBool,
    /// Held while the checkpointer checkpoints: the writer then tries again after its next
    /// batch rather than wait (a pass may fsync for hundreds of ms on a loaded VM, and a
    /// writer waiting for it stalled requests for 2 s), so the WAL may outgrow the bound by
    /// what is written while one pass runs.
    checkpointing: Mutex<()>,
}

impl WalState {
    /// The state of the database file at `db`.
    pub(super) fn new(db: &Path) -> Self {
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        WalState {
            commits: AtomicU64::new(0),
            wal: wal.into(),
            wrap_pending: AtomicBool::new(false),
            checkpointing: Mutex::new(()),
        }
    }

    /// Called by the writer after each batch, its callers answered: counts a commit (an
    /// atomic add, no system call) and checkpoints on the writer's connection when the WAL
    /// has grown past the bound, so the next transaction can start it over.
    pub(super) fn after_batch(&self, conn: &Connection, committed: bool) {
        if committed {
            let commits = self.commits.fetch_add(1, Ordering::Relaxed) + 1;
            if commits.is_multiple_of(CHECK_EVERY)
                && std::fs::metadata(&self.wal).is_ok_and(|m| m.len() > WRAP_BYTES)
            {
                self.wrap_pending.store(true, Ordering::Relaxed);
            }
        }
        if !self.wrap_pending.load(Ordering::Relaxed) {
            return;
        }
        let Ok(_turn) = self.checkpointing.try_lock() else {
            return;
        };
        match passive(conn) {
            Ok(Passive {
                busy: false,
                left: 0,
                ..
            }) => {
                self.wrap_pending.store(false, Ordering::Relaxed);
            }
            // Another process checkpoints, or a reader's snapshot holds frames back: again
            // after the next batch.
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the writer's WAL checkpoint failed"),
        }
    }
}

/// The writer's connection: no checkpoint inside `COMMIT`, and the WAL file cut back to the
/// bound whenever it starts over.
pub(super) fn configure_writer(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("PRAGMA wal_autocheckpoint = 0", [], |_| Ok(()))?;
    conn.query_row(
        &format!("PRAGMA journal_size_limit = {WRAP_BYTES}"),
        [],
        |_| Ok(()),
    )
}

/// Starts the checkpointer on `conn`; it ends once `state` is dropped (with the writer).
pub(super) fn start(conn: Connection, state: &Arc<WalState>) -> std::io::Result<()> {
    let state = Arc::downgrade(state);
    std::thread::Builder::new()
        .name("oxid-sqlite-checkpoint".into())
        .spawn(move || run(&conn, &state))
        .map(drop)
}

fn run(conn: &Connection, state: &Weak<WalState>) {
    // `copied`: the writer's commit count at the last checkpoint; `looked`: at the last look.
    let (mut copied, mut looked, mut pause, mut waited) = (0, 0, INTERVAL, Duration::ZERO);
    loop {
        std::thread::sleep(pause);
        waited += pause;
        let Some(state) = state.upgrade() else {
            return;
        };
        let commits = state.commits.load(Ordering::Relaxed);
        pause = if commits == looked {
            (pause * 2).min(IDLE_INTERVAL)
        } else {
            INTERVAL
        };
        looked = commits;
        // Each checkpoint writes every page changed since the last one: one per batch of
        // commits copies a hot page (the right edge of an index) once, not once per look.
        let due =
            commits - copied >= CHECKPOINT_COMMITS || (commits > copied && waited >= IDLE_INTERVAL);
        if !due {
            continue;
        }
        (copied, waited) = (commits, Duration::ZERO);
        let _turn = state
            .checkpointing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Err(e) = passive(conn) {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
}

/// What `PRAGMA wal_checkpoint(PASSIVE)` answers.
#[derive(Debug)]
struct Passive {
    /// Another checkpoint was running: this one did nothing.
    busy: bool,
    /// Frames not copied into the database file yet (0: the next write transaction starts
    /// the WAL over).
    left: i64,
}

fn passive(conn: &Connection) -> rusqlite::Result<Passive> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        let (busy, frames, copied): (i64, i64, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
        Ok(Passive {
            busy: busy != 0,
            left: frames - copied,
        })
    })
}

#[cfg(test)]
#[path = "checkpoint_tests.rs"]
mod tests;

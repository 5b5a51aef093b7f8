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
//! beginning only when a transaction begins with every frame copied. So each pass tells the
//! writer how many frames the WAL holds (`wal_checkpoint`'s answer); past [`WRAP_FRAMES`] the
//! writer checkpoints itself after its batch, when nothing else writes, and the next
//! transaction starts the WAL over. The WAL therefore stays near [`WRAP_FRAMES`] (plus what
//! readers' open snapshots hold back) however long the load lasts.
//!
//! The frames, not the file's size: a WAL that starts over is written again from its
//! beginning, so its file keeps the largest size it ever had. SQLite could cut it back each
//! time (`journal_size_limit`), but that `ftruncate` runs inside the next commit and took up
//! to 12 ms on our VMs, and growing the file again costs the fsyncs a journal commit each
//! (issue 14: the token rows' p99). So the file is cut back only past [`SIZE_LIMIT_BYTES`],
//! which only a WAL held back by readers reaches.
//!
//! That catch-up stalls every write for as long as it takes: it fsyncs the WAL frames not yet
//! synced, copies the pages not yet copied and fsyncs the database file, and an fsync takes
//! time in proportion to what it flushes (0.2 ms for 4 KiB, 6 ms for 8 MiB on our VMs). So
//! once the catch-up is due the checkpointer runs its passes one after the other, each
//! copying what came while the one before ran, so they get shorter, and the writer catches
//! up right after one that took at most [`SHORT_PASS`]: what came during it is all that is
//! left to sync and copy, not the up to [`CHECKPOINT_COMMITS`] commits since a pass of the
//! usual rhythm (issue 14: the token rows' p99 at half rate). Should the passes not get that
//! short (a disk slower than the writes), the writer catches up after [`MAX_PASSES`] of them,
//! or once the WAL is [`OVERDUE_FRAMES`] long.

use rusqlite::Connection;
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
/// The WAL's length beyond which the writer checkpoints itself: 16,384 frames (of a 4 KiB
/// page and a 24-byte header: 64 MiB). Each time costs the writer two or three fsyncs, so it
/// should be rare: about every second at 5,000 tokens/s in batches of one or two (~13 KB of
/// WAL a token: every commit writes each page it dirtied whole), against every 1,000 frames
/// for SQLite's own automatic checkpoint, each copying every page.
pub(super) const WRAP_FRAMES: u64 = 16_384;
/// The WAL file's size past which SQLite cuts it back when the WAL starts over: twice the
/// size of [`WRAP_FRAMES`] frames, above the [`HARD_FRAMES`] the writer keeps it to.
pub(super) const SIZE_LIMIT_BYTES: u64 = 2 * (WRAP_FRAMES * (4096 + 24) + 32);
/// A checkpointer's pass short enough for the writer to catch up after it: the writer then
/// syncs and copies what was written in that time (a few hundred KiB at most).
const SHORT_PASS: Duration = Duration::from_millis(2);
/// The checkpointer's passes after which the writer catches up however long they took.
pub(super) const MAX_PASSES: u64 = 8;
/// The WAL's length beyond which the writer catches up however far the checkpointer is behind.
const OVERDUE_FRAMES: u64 = WRAP_FRAMES + WRAP_FRAMES / 4;
/// The WAL's length beyond which the writer waits for a running pass of the checkpointer to
/// catch up, rather than try again after its next batch: a pass on a large database file can
/// take hundreds of ms (random pages to copy and flush), so this is the last resort that keeps
/// the WAL bounded, not the rule (waiting at [`OVERDUE_FRAMES`] already cut the token row to
/// 0.73 of an empty database's rate with 1,000,000 live tokens, bench/README.md).
const HARD_FRAMES: u64 = WRAP_FRAMES + WRAP_FRAMES * 3 / 4;
/// The pause between two passes of the checkpointer while the writer's catch-up is due: long
/// enough for the writer to find the checkpointer idle between two of its batches.
const CATCH_UP_INTERVAL: Duration = Duration::from_millis(1);

/// What the writer and the checkpointer share.
#[derive(Debug)]
pub(super) struct WalState {
    /// Transactions the writer committed.
    commits: AtomicU64,
    /// The writer's own checkpoint is due (it found the WAL too long and has not caught up).
    wrap_pending: AtomicBool,
    /// Frames in the WAL at the latest pass, the checkpointer's or the writer's: 0 once the
    /// writer caught up (its next transaction starts the WAL over).
    frames: AtomicU64,
    /// [`WalState::commits`] when the writer last caught up: a pass that began before the next
    /// commit saw the WAL before it started over, and its count is stale.
    caught_up_at: AtomicU64,
    /// The checkpointer's passes finished so far.
    passes: AtomicU64,
    /// How long the latest of them took, in µs.
    last_pass_micros: AtomicU64,
    /// [`WalState::passes`] when the writer's catch-up fell due.
    passes_when_due: AtomicU64,
    /// Held while the checkpointer checkpoints: the writer then tries again after its next
    /// batch rather than wait (a pass of the usual rhythm may fsync for hundreds of ms on a
    /// loaded VM, and a writer waiting for it stalled requests for 2 s), unless the WAL is
    /// past [`HARD_FRAMES`]: then it waits, so the WAL cannot outgrow that by more than what is
    /// written while one pass runs.
    checkpointing: Mutex<()>,
}

impl WalState {
    /// The state of a database with nothing written yet.
    pub(super) fn new() -> Self {
        WalState {
            commits: AtomicU64::new(0),
            wrap_pending: AtomicBool::new(false),
            frames: AtomicU64::new(0),
            caught_up_at: AtomicU64::new(0),
            passes: AtomicU64::new(0),
            last_pass_micros: AtomicU64::new(u64::MAX),
            passes_when_due: AtomicU64::new(0),
            checkpointing: Mutex::new(()),
        }
    }

    /// Called by the writer after each batch, its callers answered: counts a commit and
    /// checkpoints on the writer's connection when the WAL has grown past the bound, so the
    /// next transaction can start it over (atomics only until then, no system call).
    pub(super) fn after_batch(&self, conn: &Connection, committed: bool) {
        if committed {
            self.commits.fetch_add(1, Ordering::Relaxed);
        }
        let frames = self.frames.load(Ordering::Relaxed);
        if !self.wrap_pending.load(Ordering::Relaxed) {
            if frames <= WRAP_FRAMES {
                return;
            }
            let passes = self.passes.load(Ordering::Relaxed);
            self.passes_when_due.store(passes, Ordering::Relaxed);
            self.wrap_pending.store(true, Ordering::Relaxed);
        }
        let passes =
            self.passes.load(Ordering::Relaxed) - self.passes_when_due.load(Ordering::Relaxed);
        let overdue = frames > OVERDUE_FRAMES;
        let after_short_pass = passes >= 1
            && self.last_pass_micros.load(Ordering::Relaxed) <= SHORT_PASS.as_micros() as u64;
        if !(after_short_pass || passes >= MAX_PASSES || overdue) {
            return;
        }
        // Past the hard bound the writer waits for a pass that is running (passes are
        // short while the catch-up is due: each copies what came during the one before).
        let _turn = if frames > HARD_FRAMES {
            self.checkpointing
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        } else {
            let Ok(turn) = self.checkpointing.try_lock() else {
                return;
            };
            turn
        };
        let started = std::time::Instant::now();
        match passive(conn) {
            Ok(Passive {
                busy: false,
                left: 0,
                ..
            }) => {
                self.wrap_pending.store(false, Ordering::Relaxed);
                self.frames.store(0, Ordering::Relaxed);
                let commits = self.commits.load(Ordering::Relaxed);
                self.caught_up_at.store(commits, Ordering::Relaxed);
                tracing::debug!(
                    passes,
                    after_short_pass,
                    micros = started.elapsed().as_micros() as u64,
                    "the writer caught the WAL up"
                );
            }
            // A reader's snapshot holds frames back: again after the next batch.
            Ok(Passive {
                busy: false,
                frames,
                ..
            }) => self.frames.store(frames, Ordering::Relaxed),
            // Another process checkpoints: again after the next batch.
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the writer's WAL checkpoint failed"),
        }
    }
}

/// The writer's connection: no checkpoint inside `COMMIT`, and the WAL file cut back when it
/// starts over only past [`SIZE_LIMIT_BYTES`].
pub(super) fn configure_writer(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("PRAGMA wal_autocheckpoint = 0", [], |_| Ok(()))?;
    conn.query_row(
        &format!("PRAGMA journal_size_limit = {SIZE_LIMIT_BYTES}"),
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
        let catching_up = state.wrap_pending.load(Ordering::Relaxed);
        pause = if catching_up {
            CATCH_UP_INTERVAL
        } else if commits == looked {
            (pause * 2).min(IDLE_INTERVAL)
        } else {
            INTERVAL
        };
        looked = commits;
        // Each checkpoint writes every page changed since the last one: one per batch of
        // commits copies a hot page (the right edge of an index) once, not once per look.
        let due = commits - copied >= CHECKPOINT_COMMITS
            || (commits > copied && (catching_up || waited >= IDLE_INTERVAL));
        if !due {
            continue;
        }
        (copied, waited) = (commits, Duration::ZERO);
        pass(conn, &state);
    }
}

/// One pass of the checkpointer on its connection `conn`, timed for the writer's catch-up.
/// Whether it flushed the database file (or tried to: a failure is logged).
fn pass(conn: &Connection, state: &WalState) -> bool {
    let _turn = state
        .checkpointing
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let commits = state.commits.load(Ordering::Relaxed);
    let started = std::time::Instant::now();
    match passive(conn) {
        Ok(Passive {
            busy: false,
            frames,
            ..
        }) => {
            // The pages this pass copied are flushed here, beside the writer, after every
            // pass. SQLite flushes the database file itself only when the pass ends at the
            // WAL's last frame as the WAL is *then* (`walCheckpoint` compares with the live
            // wal-index header); under constant writes the writer has appended more by then,
            // so SQLite skips it although its answer, taken from the pass's own snapshot,
            // says every frame was copied. Those pages were left for the writer's catch-up
            // to flush: 14 ms of its 15 (issue 14: the token rows' p99 at half rate).
            let synced = frames > 0;
            if synced && let Err(e) = sync_database_file(conn) {
                tracing::warn!(error = %e, "syncing the database file failed");
            }
            // Even with every frame copied (`left` 0: the ones this pass saw), the WAL starts
            // over only if the writer's next transaction begins after the pass ended, which
            // under constant writes it rarely does: the writer's catch-up makes sure. A pass
            // between the catch-up and the writer's next commit still saw the old WAL.
            if commits > state.caught_up_at.load(Ordering::Relaxed) {
                state.frames.store(frames, Ordering::Relaxed);
            }
            let micros = started.elapsed().as_micros() as u64;
            state.last_pass_micros.store(micros, Ordering::Relaxed);
            state.passes.fetch_add(1, Ordering::Relaxed);
            synced
        }
        Ok(_) => false,
        Err(e) => {
            tracing::warn!(error = %e, "WAL checkpoint failed");
            false
        }
    }
}

/// Flushes the main database file of `conn` to disk through its VFS (`xSync`, as a complete
/// checkpoint does). Through SQLite's own file handle: opening and closing another descriptor
/// on the file would drop every POSIX lock the process's connections hold on it.
fn sync_database_file(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::ffi;
    let failure = |code| rusqlite::Error::SqliteFailure(ffi::Error::new(code), None);
    let mut file: *mut ffi::sqlite3_file = std::ptr::null_mut();
    // SAFETY: `conn` is open and used by this thread alone, with no statement running.
    // SQLITE_FCNTL_FILE_POINTER stores the connection's own `sqlite3_file` of "main" into
    // `file`; it and its methods stay valid while the connection is open, and `xSync` on it
    // only fsyncs its descriptor (SQLite's unix VFS), as SQLite itself does outside any lock.
    unsafe {
        let code = ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            ffi::SQLITE_FCNTL_FILE_POINTER,
            (&raw mut file).cast(),
        );
        if code != ffi::SQLITE_OK {
            return Err(failure(code));
        }
        let Some(methods) = file.as_ref().and_then(|f| f.pMethods.as_ref()) else {
            return Ok(());
        };
        let Some(sync) = methods.xSync else {
            return Ok(());
        };
        let code = sync(file, ffi::SQLITE_SYNC_NORMAL);
        if code != ffi::SQLITE_OK {
            return Err(failure(code));
        }
    }
    Ok(())
}

/// What `PRAGMA wal_checkpoint(PASSIVE)` answers.
#[derive(Debug)]
struct Passive {
    /// Another checkpoint was running: this one did nothing.
    busy: bool,
    /// Frames not copied into the database file yet (0: the next write transaction starts
    /// the WAL over).
    left: i64,
    /// Frames in the WAL.
    frames: u64,
}

fn passive(conn: &Connection) -> rusqlite::Result<Passive> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        let (busy, frames, copied): (i64, i64, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
        Ok(Passive {
            busy: busy != 0,
            left: frames - copied,
            frames: u64::try_from(frames).unwrap_or(0),
        })
    })
}

#[cfg(test)]
#[path = "checkpoint_tests.rs"]
mod tests;

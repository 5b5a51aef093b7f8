//! Reads by key on the caller's own thread (issue 14: introspection and UserInfo).
//!
//! A read handed to a reader thread cost the request two thread switches and two futex calls
//! (the job's wake-up, the answer's): 0.9 switches and 1.2 futex calls per introspection,
//! against a few microseconds for the lookup itself. A read of one row by its key runs here
//! instead, on a connection of this small pool, inside the caller's poll: it has no await, so
//! a dropped request cannot cut it short, and it writes nothing. It must not hold the
//! runtime's thread either: the connections never wait for a lock (their busy handler gives
//! up at once and notes it), and a read that met one, or found every connection taken,
//! goes to the reader threads as before. Reads that may scan (lists, counts) always do.

use rusqlite::Connection;
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

use super::worker::ensure_autocommit;
use crate::{StoreError, StoreResult};

/// Connections at most: one per thread that may read at once.
const MAX_CONNECTIONS: usize = 8;

thread_local! {
    /// Set by [`gave_up`] when SQLite met a lock on this thread's inline read.
    static MET_A_LOCK: Cell<bool> = const { Cell::new(false) };
}

/// SQLite's busy handler of the pool's connections: never wait, note that it happened.
fn gave_up(_: i32) -> bool {
    MET_A_LOCK.with(|met| met.set(true));
    false
}

/// The pool.
#[derive(Debug)]
pub(super) struct InlineReaders {
    connections: Vec<Mutex<Connection>>,
}

/// What an inline read came to.
pub(super) enum Inline<T> {
    /// It ran: its result.
    Done(StoreResult<T>),
    /// It did not, or met a lock: run it on a reader thread.
    Elsewhere,
}

impl InlineReaders {
    /// `open` makes each connection (read-only, configured like the readers'); one per
    /// thread the machine runs at once, at most [`MAX_CONNECTIONS`].
    pub(super) fn open(open: impl Fn() -> StoreResult<Connection>) -> StoreResult<Self> {
        let count = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(MAX_CONNECTIONS);
        let connections = (0..count)
            .map(|_| {
                let conn = open()?;
                conn.busy_handler(Some(gave_up)).map_err(super::sql_err)?;
                Ok(Mutex::new(conn))
            })
            .collect::<StoreResult<_>>()?;
        Ok(InlineReaders { connections })
    }

    /// Runs `work` on a free connection, unless none is free or it met a lock.
    pub(super) fn run<T>(&self, work: &impl Fn(&Connection) -> StoreResult<T>) -> Inline<T> {
        let Some(conn) = self.connections.iter().find_map(|c| c.try_lock().ok()) else {
            return Inline::Elsewhere;
        };
        MET_A_LOCK.with(|met| met.set(false));
        let result = catch_unwind(AssertUnwindSafe(|| work(&conn))).unwrap_or_else(|_| {
            tracing::error!("a database read panicked");
            Err(StoreError::Backend("a database read failed".into()))
        });
        ensure_autocommit(&conn, "inline reader");
        if MET_A_LOCK.with(Cell::get) {
            return Inline::Elsewhere;
        }
        Inline::Done(result)
    }

    /// Every connection, held: reads go elsewhere until the guards are dropped.
    #[cfg(test)]
    pub(super) fn take_all(&self) -> Vec<std::sync::MutexGuard<'_, Connection>> {
        self.connections.iter().map(|c| c.lock().unwrap()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn pool_on(path: &std::path::Path) -> InlineReaders {
        let path = path.to_path_buf();
        InlineReaders::open(move || Connection::open(&path).map_err(super::super::sql_err)).unwrap()
    }

    fn count(conn: &Connection) -> StoreResult<i64> {
        conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .map_err(super::super::sql_err)
    }

    /// A file with one row in table `t`, the connection that made it, and a pool on it.
    struct Fixture {
        _dir: tempfile::TempDir,
        owner: Connection,
        pool: InlineReaders,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let owner = Connection::open(&path).unwrap();
        owner
            .execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .unwrap();
        let pool = pool_on(&path);
        Fixture {
            _dir: dir,
            owner,
            pool,
        }
    }

    #[test]
    fn a_read_runs_on_the_callers_thread() {
        let f = fixture();
        let me = std::thread::current().id();
        let read = |conn: &Connection| {
            assert_eq!(std::thread::current().id(), me);
            count(conn)
        };
        assert!(matches!(f.pool.run(&read), Inline::Done(Ok(1))));
    }

    #[test]
    fn a_read_that_meets_a_lock_goes_elsewhere_at_once() {
        let f = fixture();
        // A rollback-journal file (not WAL) under an exclusive lock: readers must wait.
        f.owner.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let start = Instant::now();
        assert!(matches!(f.pool.run(&count), Inline::Elsewhere));
        assert!(start.elapsed() < Duration::from_secs(1), "it did not wait");
        f.owner.execute_batch("COMMIT").unwrap();
        assert!(matches!(f.pool.run(&count), Inline::Done(Ok(1))));
    }

    #[test]
    fn with_every_connection_taken_a_read_goes_elsewhere() {
        let f = fixture();
        let taken = f.pool.take_all();
        assert!(matches!(f.pool.run(&count), Inline::Elsewhere));
        drop(taken);
        assert!(matches!(f.pool.run(&count), Inline::Done(Ok(1))));
    }

    #[test]
    fn a_panicking_read_fails_alone() {
        let f = fixture();
        let panics = |_: &Connection| -> StoreResult<i64> { panic!("a bug in a read") };
        assert!(matches!(f.pool.run(&panics), Inline::Done(Err(_))));
        assert!(matches!(f.pool.run(&count), Inline::Done(Ok(1))));
    }
}

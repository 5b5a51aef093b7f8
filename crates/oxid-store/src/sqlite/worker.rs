//! The threads that own the SQLite connections, and the jobs callers hand them.
//!
//! A caller boxes its operation as a [`Job`], sends it down a channel and awaits the answer;
//! the job then runs to its end on a connection's own thread whatever happens to the caller
//! (a dropped caller only drops the receiving end), so no request cancellation can leave a
//! connection half-way through a transaction.
//!
//! Writes go through one writer thread with group commit: it takes what has queued up (at most
//! [`MAX_BATCH`] jobs), runs them in one `BEGIN IMMEDIATE` transaction, each inside its own
//! savepoint so a failing job is undone alone, and answers every caller only after `COMMIT`
//! (acknowledged means committed; a failed commit fails the whole batch). While writes come
//! in a stream, a short batch first waits a little for the ones behind it (`gather`), and
//! while the runtime that sent a write still has work to run, for the writes that work will
//! send (`crate::idle`).

use rusqlite::Connection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

use super::checkpoint::WalState;
use super::gather::{GATHER, Gathering};
use super::watchdog::Watchdog;
use crate::idle::RuntimeIdle;
use crate::{StoreError, StoreResult};

/// Jobs per write transaction at most.
pub(super) const MAX_BATCH: usize = 64;
/// Jobs waiting in one queue at most; beyond that callers get `Unavailable` at once.
pub(super) const QUEUE_DEPTH: usize = 4096;

/// One store operation on its way to a connection thread.
pub(super) trait Job: Send {
    /// Runs the operation on `conn`; true when it succeeded.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller: the operation's own result, or `failure` when the transaction it
    /// ran in did not commit (or it never ran).
    fn answer(self: Box<Self>, failure: Option<&StoreError>);
    /// True when the job is one SQL statement: SQLite undoes a failed statement by itself
    /// (its statement journal) and leaves the transaction open, so the job needs no
    /// savepoint of its own.
    fn single_statement(&self) -> bool {
        false
    }
    /// The runtime's parks counted when the job was sent (`RuntimeIdle::mark`), for a write
    /// that may wait for company; `None` for any other job.
    fn parks_at_send(&self) -> Option<u64> {
        None
    }
}

/// A job's queue.
pub(super) type Queue = SyncSender<Box<dyn Job>>;

/// How many jobs of one queue wait and run now (`HealthStore::queue_stats`).
#[derive(Debug, Default)]
pub(super) struct QueueGauge {
    /// Sent, not started.
    pub(super) queued: AtomicU64,
    /// Started, not answered.
    pub(super) in_flight: AtomicU64,
}

/// A closure over a connection and the channel its result goes back on.
struct Op<T, F> {
    work: Option<F>,
    result: Option<StoreResult<T>>,
    reply: oneshot::Sender<StoreResult<T>>,
    gauge: Arc<QueueGauge>,
    started: bool,
    single: bool,
    parks_at_send: Option<u64>,
}

impl<T, F> Op<T, F> {
    fn start(&mut self) {
        if !self.started {
            self.started = true;
            self.gauge.queued.fetch_sub(1, Ordering::Relaxed);
            self.gauge.in_flight.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl<T, F> Job for Op<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> StoreResult<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        self.start();
        let Some(work) = self.work.take() else {
            return false;
        };
        let result = work(conn);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn answer(self: Box<Self>, failure: Option<&StoreError>) {
        let done = if self.started {
            &self.gauge.in_flight
        } else {
            &self.gauge.queued
        };
        done.fetch_sub(1, Ordering::Relaxed);
        let answer = match (self.result, failure) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(value)), None) => Ok(value),
            (_, Some(failure)) => Err(duplicate(failure)),
            (None, None) => Err(StoreError::Backend("the operation failed to run".into())),
        };
        // The caller may have stopped waiting: then nobody needs the answer.
        let _ = self.reply.send(answer);
    }

    fn single_statement(&self) -> bool {
        self.single
    }

    fn parks_at_send(&self) -> Option<u64> {
        self.parks_at_send
    }
}

/// A copy of `e` for each caller of a failed batch.
pub(super) fn duplicate(e: &StoreError) -> StoreError {
    match e {
        StoreError::Conflict(s) => StoreError::Conflict(s.clone()),
        StoreError::UnsupportedUrl(s) => StoreError::UnsupportedUrl(s.clone()),
        StoreError::Backend(s) => StoreError::Backend(s.clone()),
        StoreError::Unavailable(s) => StoreError::Unavailable(s.clone()),
        StoreError::MissingReference(s) => StoreError::MissingReference(s.clone()),
    }
}

/// Where a job goes: its queue, the queue's gauge, and for a write the runtime's parks when
/// the binary reports them.
pub(super) type Target<'a> = (&'a Queue, &'a Arc<QueueGauge>, Option<&'a RuntimeIdle>);

/// Sends `work` to `queue` and waits at most `timeout` for its answer. The wait ends with
/// `Unavailable` when the queue is full or the time is up; the job itself still runs.
pub(super) async fn call<T, F>(queue: Target<'_>, timeout: Duration, work: F) -> StoreResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
{
    send(queue, timeout, work, false).await
}

/// [`call`] for a write of exactly one SQL statement (see [`Job::single_statement`]): on the
/// writer it runs without a savepoint, two statements fewer per job (the token row).
pub(super) async fn call_single<T, F>(
    queue: Target<'_>,
    timeout: Duration,
    work: F,
) -> StoreResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
{
    send(queue, timeout, work, true).await
}

async fn send<T, F>(
    (queue, gauge, idle): Target<'_>,
    timeout: Duration,
    work: F,
    single: bool,
) -> StoreResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
{
    let (reply, answer) = oneshot::channel();
    let job = Box::new(Op {
        work: Some(work),
        result: None,
        reply,
        gauge: gauge.clone(),
        started: false,
        single,
        parks_at_send: idle.map(RuntimeIdle::mark),
    });
    // Counted before it is sent, so that a thread taking it at once never counts below 0;
    // a job that is not sent is dropped without an answer, so it is uncounted here.
    gauge.queued.fetch_add(1, Ordering::Relaxed);
    let sent = queue.try_send(job);
    if sent.is_err() {
        gauge.queued.fetch_sub(1, Ordering::Relaxed);
    }
    // Sending never waits, so a cancelled caller either sent the whole job or nothing.
    sent.map_err(|e| match e {
        TrySendError::Full(_) => StoreError::Unavailable("too many queued operations".into()),
        TrySendError::Disconnected(_) => {
            StoreError::Backend("the database thread has stopped".into())
        }
    })?;
    match tokio::time::timeout(timeout, answer).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(StoreError::Backend(
            "the database thread has stopped".into(),
        )),
        Err(_) => Err(StoreError::Unavailable(format!(
            "no answer from the database within {} ms",
            timeout.as_millis()
        ))),
    }
}

/// Runs a job, treating a panic as its failure (the thread keeps serving).
fn run_guarded(job: &mut Box<dyn Job>, conn: &Connection) -> bool {
    match catch_unwind(AssertUnwindSafe(|| job.run(conn))) {
        Ok(ok) => ok,
        Err(_) => {
            tracing::error!("a database operation panicked; it was rolled back");
            false
        }
    }
}

/// Rolls back a transaction that should not be open any more, and says so: every job must
/// leave its connection in autocommit mode.
pub(super) fn ensure_autocommit(conn: &Connection, role: &str) {
    if !conn.is_autocommit() {
        tracing::error!(
            role,
            "a SQLite connection was left inside a transaction; rolling back"
        );
        if let Err(e) = conn.execute_batch("ROLLBACK") {
            tracing::error!(role, error = %e, "rolling back the stray transaction failed");
        }
    }
}

/// What the writer thread works with besides its connection and queue.
pub(super) struct WriterParts {
    /// A file database's watchdog.
    pub(super) watchdog: Option<Arc<Watchdog>>,
    /// A file database's WAL: hears of every commit and may ask for a checkpoint between
    /// batches (see [`super::checkpoint`]).
    pub(super) wal: Option<Arc<WalState>>,
    /// The runtime's parks, when the binary reports them.
    pub(super) idle: Option<RuntimeIdle>,
}

/// The writer thread: group commit until every sender is gone.
pub(super) fn run_writer(conn: Connection, jobs: Receiver<Box<dyn Job>>, parts: WriterParts) {
    let WriterParts {
        watchdog,
        wal,
        idle,
    } = parts;
    let mut gathering = Gathering::default();
    let mut committed_at = Instant::now();
    while let Ok(first) = jobs.recv() {
        let since_commit = committed_at.elapsed();
        match (&idle, first.parks_at_send()) {
            // Unless the runtime that sent `first` has parked since, what it still runs will
            // write too: the batch is cut when it parks, or after `idle::MAX_WAIT`.
            (Some(idle), Some(mark)) => idle.wait_after(mark),
            // Let the threads that woke us queue what they have before the batch is cut: on
            // a busy core the writer otherwise preempts them at the first job and commits
            // batches of one (bench/README.md, "the token row's speed"). Without other work
            // on the core this returns at once.
            _ => std::thread::yield_now(),
        }
        let mut batch = vec![first];
        take_queued(&jobs, &mut batch);
        if gathering.waits(batch.len(), since_commit) {
            // Asleep, not in `recv`: the senders meanwhile queue without waking the writer.
            std::thread::sleep(GATHER);
            let before = batch.len();
            take_queued(&jobs, &mut batch);
            gathering.waited(batch.len() - before);
        }
        let file_check = || watchdog.as_deref().map(Watchdog::check).unwrap_or(Ok(()));
        let committed = match file_check() {
            Ok(()) => write_batch(&conn, batch, file_check),
            Err(e) => {
                batch.into_iter().for_each(|job| job.answer(Some(&e)));
                false
            }
        };
        ensure_autocommit(&conn, "writer");
        if let Some(wal) = &wal {
            wal.after_batch(&conn, committed);
        }
        committed_at = Instant::now();
    }
}

/// Moves what is queued into `batch`, up to [`MAX_BATCH`] jobs.
fn take_queued(jobs: &Receiver<Box<dyn Job>>, batch: &mut Vec<Box<dyn Job>>) {
    while batch.len() < MAX_BATCH {
        match jobs.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
}

/// One transaction for the whole batch, one savepoint per job; callers are answered after the
/// commit, or with its error. `file_check` runs again after the commit: a file removed while the
/// batch ran took the commit with it, so nobody may be told it is kept. True when it committed.
fn write_batch(
    conn: &Connection,
    mut batch: Vec<Box<dyn Job>>,
    file_check: impl Fn() -> StoreResult<()>,
) -> bool {
    if let Err(e) = step(conn, "BEGIN IMMEDIATE") {
        let e = super::sql_err(e);
        batch.into_iter().for_each(|job| job.answer(Some(&e)));
        return false;
    }
    let mut broken = None;
    for job in &mut batch {
        if let Err(e) = run_in_savepoint(conn, job) {
            // The transaction itself is in doubt: nothing of the batch is kept.
            broken = Some(e);
            break;
        }
    }
    let outcome = match broken {
        None => step(conn, "COMMIT")
            .map_err(super::sql_err)
            .and_then(|()| file_check()),
        Some(e) => Err(e),
    };
    if outcome.is_err()
        && !conn.is_autocommit()
        && let Err(e) = conn.execute_batch("ROLLBACK")
    {
        tracing::error!(error = %e, "rolling back a failed batch failed");
    }
    let failure = outcome.err();
    let committed = failure.is_none();
    batch
        .into_iter()
        .for_each(|job| job.answer(failure.as_ref()));
    committed
}

/// Runs one job in its own savepoint, released when it succeeds and rolled back when it
/// fails. An error here means the enclosing transaction can no longer be trusted.
fn run_in_savepoint(conn: &Connection, job: &mut Box<dyn Job>) -> StoreResult<()> {
    let single = job.single_statement();
    if !single {
        step(conn, "SAVEPOINT job").map_err(super::sql_err)?;
    }
    let ok = run_guarded(job, conn);
    if conn.is_autocommit() {
        // SQLite ended the transaction itself (I/O error, disk full): the batch is lost.
        return Err(StoreError::Backend(
            "the write transaction was rolled back by SQLite".into(),
        ));
    }
    if single {
        // A failed statement was undone by SQLite; the transaction goes on.
        return Ok(());
    }
    if !ok {
        step(conn, "ROLLBACK TO job").map_err(super::sql_err)?;
    }
    step(conn, "RELEASE job").map_err(super::sql_err)
}

/// Runs one transaction-control statement from the connection's statement cache: the writer
/// runs four of them per job or batch, and parsing them anew each time was measurable on the
/// token row (bench/README.md).
fn step(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

/// A reader thread: takes jobs from the queue it shares with the other readers.
pub(super) fn run_reader(conn: Connection, jobs: Arc<Mutex<Receiver<Box<dyn Job>>>>) {
    loop {
        // Hold the lock only to take a job, not to run it.
        let next = match jobs.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(mut job) = next else { return };
        run_guarded(&mut job, &conn);
        ensure_autocommit(&conn, "reader");
        job.answer(None);
    }
}

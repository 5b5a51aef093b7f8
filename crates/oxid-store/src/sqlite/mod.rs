//! The SQLite backend: embedded, the default.
//!
//! The connections live on threads the store owns (see [`worker`]): one writer thread holds
//! the only write connection and commits in groups, a few reader threads read beside it
//! (WAL), and callers only send jobs and await answers, so cancelling a request can never
//! interrupt a transaction. A file database runs in WAL mode with `synchronous=NORMAL`,
//! foreign keys on and a busy timeout (another process, such as `oxid user add`, may write
//! the same file: it waits rather than fails). Only the first start creates the file; the
//! [`watchdog`] refuses to go on when it disappears or is replaced. `sqlite::memory:` is one
//! private database on one thread that serves reads and writes.

mod checkpoint;
mod clients;
mod device;
mod exchange;
mod gather;
mod grants;
mod inline;
mod keys;
mod migrate;
mod outbox;
mod purge;
mod pushed;
mod replay;
mod sessions;
mod throttle;
mod watchdog;
mod worker;

use rusqlite::{Connection, ErrorCode, OpenFlags, Row};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::rows::Columns;
use crate::{StoreError, StoreOptions, StoreResult};
use inline::{Inline, InlineReaders};
use watchdog::Watchdog;
use worker::{Job, QUEUE_DEPTH, Queue, QueueGauge, WriterParts};

/// How long a connection waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// Reader threads of a file database.
const READERS: usize = 3;
/// Prepared statements kept per connection (the store has fewer distinct statements).
const STATEMENT_CACHE: usize = 96;

/// The storage contract on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Jobs for the writer thread (in memory: the only thread).
    writer: Queue,
    /// Jobs for the reader threads; `None` in memory, where the writer thread reads too.
    readers: Option<Queue>,
    /// Connections for reads by key on the caller's thread; `None` in memory.
    inline: Option<Arc<InlineReaders>>,
    /// The file's watchdog; `None` in memory.
    watchdog: Option<Arc<Watchdog>>,
    /// How long a caller waits for an answer.
    timeout: Duration,
    /// Changes this store committed, for its subscribers (`ChangeFeed`).
    changes: tokio::sync::broadcast::Sender<crate::StoreChange>,
    /// The writer's and the readers' jobs waiting and running, for metrics.
    gauges: Arc<Gauges>,
    /// The runtime's parks, when the binary reports them (`StoreOptions::runtime_idle`).
    idle: Option<crate::RuntimeIdle>,
}

/// The job counts of the writer's and the readers' queues.
#[derive(Debug, Default)]
struct Gauges {
    write: Arc<QueueGauge>,
    read: Arc<QueueGauge>,
}

impl SqliteStore {
    /// Opens `sqlite://PATH` (creating the file only when it does not exist yet) or
    /// `sqlite::memory:`, and runs the migrations, with the default [`StoreOptions`].
    pub async fn open(url: &str) -> StoreResult<Self> {
        Self::open_with(url, &StoreOptions::default()).await
    }

    /// [`SqliteStore::open`] with explicit options.
    pub async fn open_with(url: &str, options: &StoreOptions) -> StoreResult<Self> {
        let url = url.to_string();
        let options = options.clone();
        tokio::task::spawn_blocking(move || open_blocking(&url, options))
            .await
            .map_err(|e| StoreError::Backend(format!("opening the database failed: {e}")))?
    }

    /// Runs `work` on the writer thread, in the next group-committed transaction; answers
    /// once that transaction has committed.
    async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.ensure_file()?;
        let queue = (&self.writer, &self.gauges.write, self.idle.as_ref());
        worker::call(queue, self.timeout, work).await
    }

    /// [`Self::write`] for `work` that is exactly one SQL statement (no savepoint needed:
    /// worker::call_single).
    async fn write_one_statement<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.ensure_file()?;
        let queue = (&self.writer, &self.gauges.write, self.idle.as_ref());
        worker::call_single(queue, self.timeout, work).await
    }

    /// Runs `work` on a reader thread (in memory: on the only thread).
    async fn read<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.ensure_file()?;
        let queue = match &self.readers {
            Some(readers) => (readers, &self.gauges.read, None),
            // In memory the one thread reads too: its queue is the writer's (a read is not
            // held for company).
            None => (&self.writer, &self.gauges.write, None),
        };
        worker::call(queue, self.timeout, work).await
    }

    /// [`Self::read`] for a read of a few rows by their keys: on the caller's own thread when
    /// one of the inline connections is free (`inline`), else on a reader thread.
    async fn read_by_key<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.ensure_file()?;
        if let Some(inline) = &self.inline
            && let Inline::Done(result) = inline.run(&work)
        {
            return result;
        }
        self.read(work).await
    }

    /// Tells this store's subscribers of a committed change (none listening is fine).
    fn announce(&self, change: crate::StoreChange) {
        let _ = self.changes.send(change);
    }

    fn ensure_file(&self) -> StoreResult<()> {
        self.watchdog.as_deref().map_or(Ok(()), Watchdog::ensure_ok)
    }
}

/// Room for changes a slow subscriber has not read yet; one that falls further behind is
/// told to resync.
const CHANGE_BACKLOG: usize = 256;

fn change_channel() -> tokio::sync::broadcast::Sender<crate::StoreChange> {
    tokio::sync::broadcast::channel(CHANGE_BACKLOG).0
}

impl crate::ChangeFeed for SqliteStore {
    fn subscribe_changes(&self) -> tokio::sync::broadcast::Receiver<crate::StoreChange> {
        self.changes.subscribe()
    }
}

fn open_blocking(url: &str, options: StoreOptions) -> StoreResult<SqliteStore> {
    let StoreOptions {
        timeout,
        runtime_idle: idle,
    } = options;
    if is_memory(url) {
        let conn = Connection::open_in_memory().map_err(open_err("sqlite::memory:"))?;
        configure(&conn)?;
        migrate::migrate(&conn)?;
        let (writer, jobs) = sync_channel(QUEUE_DEPTH);
        let parts = WriterParts {
            watchdog: None,
            wal: None,
            idle: idle.clone(),
        };
        spawn("oxid-sqlite-memory", move || {
            worker::run_writer(conn, jobs, parts)
        })?;
        return Ok(SqliteStore {
            writer,
            readers: None,
            inline: None,
            watchdog: None,
            timeout,
            changes: change_channel(),
            gauges: Arc::default(),
            idle,
        });
    }
    let path = file_path(url);
    // The first start creates the file; from then on it must exist (see `watchdog`).
    let first = connect(&path, !path.exists())?;
    enable_wal(&first, &path)?;
    migrate::migrate(&first)?;
    let watchdog = Watchdog::start(&path)?;
    // Only the writer thread writes; a reader that tried would fail, not race it.
    let connect_reader = || {
        let conn = connect(&path, false)?;
        conn.execute_batch("PRAGMA query_only = ON")
            .map_err(sql_err)?;
        Ok(conn)
    };
    let (readers, read_jobs) = sync_channel(QUEUE_DEPTH);
    let read_jobs: Arc<Mutex<Receiver<Box<dyn Job>>>> = Arc::new(Mutex::new(read_jobs));
    for i in 0..READERS {
        let conn = connect_reader()?;
        let jobs = read_jobs.clone();
        spawn(&format!("oxid-sqlite-read-{i}"), move || {
            worker::run_reader(conn, jobs)
        })?;
    }
    let inline = InlineReaders::open(connect_reader)?;
    // Checkpoints run beside the writer, never inside its commits.
    checkpoint::configure_writer(&first).map_err(sql_err)?;
    let wal = Arc::new(checkpoint::WalState::new());
    checkpoint::start(connect(&path, false)?, &wal)
        .map_err(|e| StoreError::Backend(format!("cannot start the WAL checkpointer: {e}")))?;
    // Every connection must be on the file whose identity the watchdog recorded.
    watchdog.check()?;
    let (writer, write_jobs) = sync_channel(QUEUE_DEPTH);
    let parts = WriterParts {
        watchdog: Some(watchdog.clone()),
        wal: Some(wal),
        idle: idle.clone(),
    };
    spawn("oxid-sqlite-write", move || {
        worker::run_writer(first, write_jobs, parts)
    })?;
    Ok(SqliteStore {
        writer,
        readers: Some(readers),
        inline: Some(Arc::new(inline)),
        changes: change_channel(),
        watchdog: Some(watchdog),
        timeout,
        gauges: Arc::default(),
        idle,
    })
}

/// Switches the file to WAL. Two processes opening a new file at once both ask for the
/// switch; SQLite answers the loser `SQLITE_BUSY` at once rather than through the busy
/// handler, so it is asked again for up to the busy timeout.
fn enable_wal(conn: &Connection, path: &Path) -> StoreResult<()> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(())) {
            Ok(()) => return Ok(()),
            Err(e)
                if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy)
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(open_err(&path.display().to_string())(e)),
        }
    }
}

/// Opens a connection to the file at `path`, creating the file only when `create`.
fn connect(path: &Path, create: bool) -> StoreResult<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn =
        Connection::open_with_flags(path, flags).map_err(open_err(&path.display().to_string()))?;
    configure(&conn)?;
    Ok(conn)
}

/// The per-connection settings.
fn configure(conn: &Connection) -> StoreResult<()> {
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql_err)?;
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
        .map_err(sql_err)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

fn spawn(name: &str, body: impl FnOnce() + Send + 'static) -> StoreResult<()> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(body)
        .map(drop)
        .map_err(|e| StoreError::Backend(format!("cannot start thread {name}: {e}")))
}

/// Whether the URL names an in-memory database.
fn is_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// The file a `sqlite://PATH` or `sqlite:PATH` URL names (query parameters are ignored).
fn file_path(url: &str) -> PathBuf {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    PathBuf::from(rest.split('?').next().unwrap_or(rest))
}

/// Errors while opening: the database cannot be used at all.
fn open_err(what: &str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |e| StoreError::Backend(format!("cannot open SQLite database {what}: {e}"))
}

/// Maps a SQLite error: a lock held too long, a file gone or a disk in trouble make the
/// database `Unavailable`; the rest is `Backend`.
pub(super) fn sql_err(e: rusqlite::Error) -> StoreError {
    if e.sqlite_error()
        .is_some_and(|f| f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
    {
        return StoreError::MissingReference(e.to_string());
    }
    match e.sqlite_error_code() {
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::CannotOpen
            | ErrorCode::SystemIoFailure
            | ErrorCode::DiskFull
            | ErrorCode::ReadOnly,
        ) => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Backend(e.to_string()),
    }
}

/// Maps a SQLite error, unique-key violations becoming `Conflict(what)`.
pub(super) fn conflict_err(what: &str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |e| match e.sqlite_error() {
        Some(f)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            StoreError::Conflict(what.into())
        }
        _ => sql_err(e),
    }
}

/// Runs a cached statement that returns no rows; how many rows it changed.
pub(super) fn exec(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

/// The first row of a cached query, mapped.
pub(super) fn one<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl Fn(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(sql_err)?;
    let mut rows = stmt.query(params).map_err(sql_err)?;
    match rows.next().map_err(sql_err)? {
        Some(row) => map(row).map(Some),
        None => Ok(None),
    }
}

/// Every row of a cached query, mapped.
pub(super) fn all<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl Fn(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(sql_err)?;
    let mut rows = stmt.query(params).map_err(sql_err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(sql_err)? {
        out.push(map(row)?);
    }
    Ok(out)
}

impl Columns for Row<'_> {
    fn text(&self, col: &str) -> StoreResult<String> {
        named(self, col)
    }
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>> {
        named(self, col)
    }
    fn int(&self, col: &str) -> StoreResult<i64> {
        named(self, col)
    }
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>> {
        named(self, col)
    }
    fn flag(&self, col: &str) -> StoreResult<bool> {
        named(self, col)
    }
    fn opt_bytes(&self, col: &str) -> StoreResult<Option<Vec<u8>>> {
        named(self, col)
    }
    fn list(&self, col: &str) -> StoreResult<Vec<String>> {
        let text: String = named(self, col)?;
        serde_json::from_str(&text).map_err(|e| StoreError::Backend(format!("column {col}: {e}")))
    }
}

/// The value of column `col` of `row`.
fn named<T: rusqlite::types::FromSql>(row: &Row<'_>, col: &str) -> StoreResult<T> {
    row.get(column_index(row, col).map_err(sql_err)?)
        .map_err(sql_err)
}

/// The index of column `col` (ASCII case-insensitive, as rusqlite's lookup by name).
/// rusqlite scans the columns from the first for every value read by name (a token's
/// `SELECT *`: ~15,000 instructions a row, bench/README.md, branch `front`); the mappings
/// in `rows` read mostly in the columns' order, so the scan starts after the column found
/// last (on this thread) and wraps around: never more names compared than rusqlite does.
/// Unlike rusqlite's, it need not find the first of two columns of one name: no statement
/// read through [`Columns`] has two (the one join, in `outbox`, feeds an `INSERT`).
fn column_index(row: &Row<'_>, col: &str) -> rusqlite::Result<usize> {
    thread_local! {
        static NEXT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }
    let statement: &rusqlite::Statement<'_> = row.as_ref();
    let count = statement.column_count();
    let start = NEXT.get();
    for offset in 0..count {
        let index = (start + offset) % count;
        if statement
            .column_name(index)
            .is_ok_and(|name| name.eq_ignore_ascii_case(col))
        {
            NEXT.set(index + 1);
            return Ok(index);
        }
    }
    Err(rusqlite::Error::InvalidColumnName(col.to_string()))
}

/// A row of a statement whose select list is `names` (one of the lists [`select`] writes a
/// statement from), read by name without asking SQLite for its column names: the index of a
/// name is its place in `names`. [`column_index`] compares each name through rusqlite's
/// `column_name` (an FFI call, `strlen` and UTF-8 validation each): ~11,000 instructions for
/// a token row read through `SELECT *`, whose columns (added by later migrations) are not in
/// the order the mapping reads them (issue 14, bench/README.md branch `intro`).
pub(super) struct Listed<'a, 'stmt> {
    row: &'a Row<'stmt>,
    names: &'static [&'static str],
    /// The row's column of `names[0]` (a join selects several lists one after the other).
    first: usize,
    /// Where the next look starts: the mappings read the list in its order.
    next: std::cell::Cell<usize>,
}

impl<'a, 'stmt> Listed<'a, 'stmt> {
    pub(super) fn new(row: &'a Row<'stmt>, names: &'static [&'static str]) -> Self {
        Self::at(row, names, 0)
    }

    /// The list `names` selected from the row's column `first` on.
    pub(super) fn at(row: &'a Row<'stmt>, names: &'static [&'static str], first: usize) -> Self {
        Listed {
            row,
            names,
            first,
            next: std::cell::Cell::new(0),
        }
    }

    /// The value of column `col`; a name not in the list is the store's fault, not SQLite's.
    fn named<T: rusqlite::types::FromSql>(&self, col: &str) -> StoreResult<T> {
        let count = self.names.len();
        let start = self.next.get();
        let index = (0..count)
            .map(|offset| (start + offset) % count)
            .find(|&i| self.names[i].eq_ignore_ascii_case(col))
            .ok_or_else(|| StoreError::Backend(format!("column {col} is not selected")))?;
        self.next.set(index + 1);
        self.row.get(self.first + index).map_err(sql_err)
    }
}

/// `SELECT <names> FROM <rest>`: the statement whose rows [`Listed`] reads with `names`.
pub(super) fn select(names: &[&str], rest: &str) -> String {
    format!("SELECT {} FROM {rest}", names.join(", "))
}

/// `names` of the table `alias`, qualified (`t.a, t.b`): one list of a join's select list.
pub(super) fn qualified(alias: &str, names: &[&str]) -> String {
    let qualified: Vec<String> = names.iter().map(|n| format!("{alias}.{n}")).collect();
    qualified.join(", ")
}

impl Columns for Listed<'_, '_> {
    fn text(&self, col: &str) -> StoreResult<String> {
        self.named(col)
    }
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>> {
        self.named(col)
    }
    fn int(&self, col: &str) -> StoreResult<i64> {
        self.named(col)
    }
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>> {
        self.named(col)
    }
    fn flag(&self, col: &str) -> StoreResult<bool> {
        self.named(col)
    }
    fn opt_bytes(&self, col: &str) -> StoreResult<Option<Vec<u8>>> {
        self.named(col)
    }
    fn list(&self, col: &str) -> StoreResult<Vec<String>> {
        let text: String = self.named(col)?;
        serde_json::from_str(&text).map_err(|e| StoreError::Backend(format!("column {col}: {e}")))
    }
}

#[async_trait::async_trait]
impl crate::HealthStore for SqliteStore {
    async fn check_health(&self) -> StoreResult<()> {
        if let Some(watchdog) = &self.watchdog {
            watchdog.check()?;
        }
        self.read(|conn| conn.query_row("SELECT 1", [], |_| Ok(())).map_err(sql_err))
            .await
    }

    /// The connections are the writer's and the readers' (one in memory); one counts as in
    /// use while it has a job started and not yet answered.
    fn connection_stats(&self) -> Option<crate::ConnectionStats> {
        let load = |gauge: &QueueGauge| gauge.in_flight.load(Ordering::Relaxed);
        let (readers, max) = match self.readers {
            Some(_) => (
                load(&self.gauges.read).min(READERS as u64),
                READERS as u32 + 1,
            ),
            None => (0, 1),
        };
        let writer = u64::from(load(&self.gauges.write) > 0);
        let in_use = u32::try_from(readers + writer).unwrap_or(max);
        Some(crate::ConnectionStats {
            in_use,
            idle: max.saturating_sub(in_use),
            max,
        })
    }

    fn queue_stats(&self) -> Vec<crate::QueueStats> {
        let stats = |queue, gauge: &QueueGauge| crate::QueueStats {
            queue,
            queued: gauge.queued.load(Ordering::Relaxed),
            in_flight: gauge.in_flight.load(Ordering::Relaxed),
        };
        let mut all = vec![stats("write", &self.gauges.write)];
        if self.readers.is_some() {
            all.push(stats("read", &self.gauges.read));
        }
        all
    }
}

#[cfg(test)]
mod idle_tests;
#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod tests;

#[cfg(test)]
mod column_tests {
    use super::{Columns, Listed, column_index, select};

    #[test]
    fn listed_columns_are_found_by_their_place_in_the_list() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (a TEXT, b INTEGER, c TEXT)")
            .unwrap();
        conn.execute("INSERT INTO t VALUES ('x', 7, NULL)", [])
            .unwrap();
        // A list in another order than the table's: the statement selects in its order.
        const NAMES: &[&str] = &["c", "a", "b"];
        let sql = select(NAMES, "t");
        assert_eq!(sql, "SELECT c, a, b FROM t");
        let mut statement = conn.prepare(&sql).unwrap();
        let mut rows = statement.query([]).unwrap();
        let row = Listed::new(rows.next().unwrap().unwrap(), NAMES);
        // In order, out of order, again, and in another case, as rusqlite's own lookup.
        assert_eq!(row.opt_text("c").unwrap(), None);
        assert_eq!(row.text("a").unwrap(), "x");
        assert_eq!(row.int("b").unwrap(), 7);
        assert_eq!(row.text("A").unwrap(), "x");
        assert_eq!(row.int("B").unwrap(), 7);
        assert_eq!(row.opt_text("c").unwrap(), None);
        assert!(row.text("d").is_err(), "not selected");
        assert!(
            row.int("a").is_err(),
            "the wrong type is an error, as by name"
        );
    }

    #[test]
    fn columns_are_found_by_name_in_any_order_and_case() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (a TEXT, b INTEGER, c TEXT)")
            .unwrap();
        conn.execute("INSERT INTO t VALUES ('x', 7, NULL)", [])
            .unwrap();
        let mut statement = conn.prepare("SELECT * FROM t").unwrap();
        let mut rows = statement.query([]).unwrap();
        let row = rows.next().unwrap().unwrap();
        // In order, out of order, again, and in another case, as rusqlite's own lookup.
        for (name, index) in [
            ("a", 0),
            ("b", 1),
            ("c", 2),
            ("b", 1),
            ("a", 0),
            ("C", 2),
            ("c", 2),
        ] {
            assert_eq!(column_index(row, name).unwrap(), index, "{name}");
        }
        assert_eq!(row.text("a").unwrap(), "x");
        assert_eq!(row.int("B").unwrap(), 7);
        assert_eq!(row.opt_text("c").unwrap(), None);
        assert!(column_index(row, "d").is_err());
        assert!(row.text("d").is_err());
    }
}

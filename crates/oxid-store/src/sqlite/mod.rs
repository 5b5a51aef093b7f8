//! The SQLite backend: embedded, the default.
//!
//! A file database runs in WAL mode with `synchronous=NORMAL`, foreign keys on and a busy
//! timeout, so concurrent writers wait for each other instead of failing with "database is
//! locked"; write transactions start with `BEGIN IMMEDIATE` so they never have to upgrade a
//! read lock. An in-memory database lives in one connection that the pool never closes.

mod batch;
mod clients;
mod grants;
mod keys;
mod sessions;

use crate::rows::{Columns, backend};
use crate::{StoreError, StoreResult};
use batch::TokenBatcher;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// How long a connection waits for another's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections of a file database: readers run in parallel under WAL, writers take turns.
const FILE_POOL_SIZE: u32 = 8;

/// The storage contract on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Reads: several connections, which WAL lets run beside the writer.
    pool: SqlitePool,
    /// Writes: one connection. SQLite admits one writer at a time anyway; funnelling writes
    /// through one connection spares the lock waits and keeps the other connections' page
    /// caches valid (bench/token: fewer page reads and less CPU per issued token).
    writer: SqlitePool,
    /// Group commit for `insert_token`, the write the token endpoint makes on every call.
    tokens: TokenBatcher,
}

impl SqliteStore {
    /// Opens `sqlite://PATH` (creating the file when missing) or `sqlite::memory:`, and runs
    /// the migrations.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let memory = is_memory(url);
        let mut options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("bad SQLite URL: {e}")))?
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Normal);
        if memory {
            // One connection that never closes: every caller sees the same database.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .acquire_timeout(BUSY_TIMEOUT)
                .connect_with(options)
                .await
                .map_err(backend)?;
            migrate(&pool).await?;
            return Ok(SqliteStore {
                tokens: TokenBatcher::start(pool.clone()),
                writer: pool.clone(),
                pool,
            });
        }
        options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(BUSY_TIMEOUT)
            .connect_with(options.clone())
            .await
            .map_err(backend)?;
        migrate(&writer).await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(FILE_POOL_SIZE)
            .acquire_timeout(BUSY_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(backend)?;
        Ok(SqliteStore {
            tokens: TokenBatcher::start(writer.clone()),
            pool,
            writer,
        })
    }

    /// Starts a write transaction that holds the write lock from its first statement.
    async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)
    }
}

/// Whether the URL names an in-memory database.
async fn migrate(pool: &SqlitePool) -> StoreResult<()> {
    sqlx::migrate!("./migrations/sqlite")
        .run(pool)
        .await
        .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))
}

fn is_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

impl Columns for SqliteRow {
    fn text(&self, col: &str) -> StoreResult<String> {
        self.try_get(col).map_err(backend)
    }
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>> {
        self.try_get(col).map_err(backend)
    }
    fn int(&self, col: &str) -> StoreResult<i64> {
        self.try_get(col).map_err(backend)
    }
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>> {
        self.try_get(col).map_err(backend)
    }
    fn flag(&self, col: &str) -> StoreResult<bool> {
        self.try_get(col).map_err(backend)
    }
    fn opt_bytes(&self, col: &str) -> StoreResult<Option<Vec<u8>>> {
        self.try_get(col).map_err(backend)
    }
    fn list(&self, col: &str) -> StoreResult<Vec<String>> {
        let text: String = self.try_get(col).map_err(backend)?;
        serde_json::from_str(&text).map_err(|e| StoreError::Backend(format!("column {col}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn pragma(store: &SqliteStore, name: &str) -> String {
        let row = sqlx::query(&format!("PRAGMA {name}"))
            .fetch_one(&store.pool)
            .await
            .unwrap();
        match row.try_get::<String, _>(0) {
            Ok(text) => text,
            Err(_) => row.try_get::<i64, _>(0).unwrap().to_string(),
        }
    }

    #[tokio::test]
    async fn file_connections_use_wal_normal_sync_foreign_keys_and_a_busy_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("p.db").display());
        let store = SqliteStore::open(&url).await.unwrap();
        assert_eq!(pragma(&store, "journal_mode").await, "wal");
        assert_eq!(pragma(&store, "synchronous").await, "1", "NORMAL");
        assert_eq!(pragma(&store, "foreign_keys").await, "1");
        let busy: u64 = pragma(&store, "busy_timeout").await.parse().unwrap();
        assert!(busy >= 5000, "busy_timeout {busy} ms");
        assert!(store.pool.options().get_max_connections() > 1);
    }

    #[tokio::test]
    async fn memory_database_lives_in_one_connection_with_foreign_keys() {
        let store = SqliteStore::open("sqlite::memory:").await.unwrap();
        assert_eq!(pragma(&store, "foreign_keys").await, "1");
        assert_eq!(store.pool.options().get_max_connections(), 1);
    }
}

#[async_trait::async_trait]
impl crate::HealthStore for SqliteStore {
    async fn check_health(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

//! The connection pool: sized per instance, bounded waits, and no connection handed out
//! while it is still inside a transaction.

use crate::{StoreError, StoreOptions, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection, Executor};
use std::time::Duration;

/// Connections per provider instance.
const POOL_SIZE: u32 = 10;
/// The shortest wait for the first connection at start-up (migrations may take a while on
/// a busy server even when the per-request limit is short).
const MIN_STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// Answers a row only inside a transaction block: a transaction's timestamp is its first
/// statement's, and in autocommit every statement is its own transaction (PostgreSQL docs,
/// §9.9.5). Sent as a simple query, so it is one statement in one message.
const IN_TRANSACTION_PROBE: &str =
    "SELECT 1 WHERE statement_timestamp() <> transaction_timestamp()";

/// Runs the migrations over one direct connection, then opens the pool.
pub(super) async fn connect(
    options: PgConnectOptions,
    store_options: &StoreOptions,
) -> StoreResult<PgPool> {
    let startup = store_options.timeout.max(MIN_STARTUP_TIMEOUT);
    // One direct connection first: a wrong host or password fails at once with the
    // server's reason, where a pool would retry until its timeout and say only that.
    let mut conn = tokio::time::timeout(startup, PgConnection::connect_with(&options))
        .await
        .map_err(|_| StoreError::Backend(format!("no answer within {} s", startup.as_secs())))?
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    sqlx::migrate!("./migrations/postgres")
        .run(&mut conn)
        .await
        .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
    conn.close()
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    PgPoolOptions::new()
        .max_connections(POOL_SIZE)
        // Waiting for a connection counts against the operation's limit: with the server
        // down, the pool's connect retries end with `PoolTimedOut` (503), not a hang.
        .acquire_timeout(store_options.timeout)
        .after_release(|conn, _| Box::pin(release_check(conn)))
        .connect_with(options)
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))
}

/// Keeps a connection for reuse only when it is outside any transaction. One that comes
/// back inside one (a `begin` dropped after its `BEGIN` was sent, sqlx #3932/#4393) would
/// run the next caller's statements in a transaction that never commits: it is closed
/// instead (the server then rolls it back), and that is a bug worth an error in the log.
async fn release_check(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    let depth_open = conn.is_in_transaction();
    // Runs after anything still queued on the connection (e.g. a dropped transaction's
    // ROLLBACK), so it sees the server's state once those are done.
    let server_open = conn.fetch_optional(IN_TRANSACTION_PROBE).await?.is_some();
    if depth_open || server_open {
        tracing::error!(
            depth_open,
            server_open,
            "a PostgreSQL connection came back to the pool inside a transaction; closing it"
        );
        return Ok(false);
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Row;
    use std::str::FromStr;

    /// A pool of one connection on the test database (no schema needed).
    async fn one_connection_pool() -> Option<PgPool> {
        let Some(url) = std::env::var("OXID_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "SKIPPED: OXID_TEST_POSTGRES_URL not set");
            return None;
        };
        let options = PgConnectOptions::from_str(&url).unwrap();
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .after_release(|conn, _| Box::pin(release_check(conn)))
            .connect_with(options)
            .await
            .unwrap();
        Some(pool)
    }

    async fn backend_pid(pool: &PgPool) -> i32 {
        sqlx::query("SELECT pg_backend_pid() AS pid")
            .fetch_one(pool)
            .await
            .unwrap()
            .get("pid")
    }

    #[tokio::test]
    async fn a_connection_returned_inside_a_transaction_is_closed_not_reused() {
        let Some(pool) = one_connection_pool().await else {
            return;
        };
        let clean = backend_pid(&pool).await;
        assert_eq!(
            backend_pid(&pool).await,
            clean,
            "a clean connection is reused"
        );

        // A transaction sqlx does not know about: its depth stays 0, like a dropped begin.
        let mut conn = pool.acquire().await.unwrap();
        conn.execute("BEGIN").await.unwrap();
        let dirty: i32 = sqlx::query("SELECT pg_backend_pid() AS pid")
            .fetch_one(&mut *conn)
            .await
            .unwrap()
            .get("pid");
        drop(conn);

        // The next caller gets a fresh connection, outside any transaction.
        let mut conn = pool.acquire().await.unwrap();
        let pid: i32 = sqlx::query("SELECT pg_backend_pid() AS pid")
            .fetch_one(&mut *conn)
            .await
            .unwrap()
            .get("pid");
        assert_ne!(
            pid, dirty,
            "the connection left in a transaction was not reused"
        );
        assert!(
            conn.fetch_optional(IN_TRANSACTION_PROBE)
                .await
                .unwrap()
                .is_none()
        );
        drop(conn);
        // The server ended the old session (and so rolled its transaction back).
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let alive = sqlx::query("SELECT 1 FROM pg_stat_activity WHERE pid = $1")
                .bind(dirty)
                .fetch_optional(&pool)
                .await
                .unwrap();
            if alive.is_none() {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "session {dirty} lingers"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        pool.close().await;
    }

    #[tokio::test]
    async fn a_rolled_back_transaction_leaves_the_connection_reusable() {
        let Some(pool) = one_connection_pool().await else {
            return;
        };
        let clean = backend_pid(&pool).await;
        let tx = pool.begin().await.unwrap();
        drop(tx); // sqlx queues the ROLLBACK: not a leak, so no reconnect
        assert_eq!(backend_pid(&pool).await, clean);
        pool.close().await;
    }
}

//! Failure counters on PostgreSQL: the row is made if missing, then locked (`FOR UPDATE`)
//! and rewritten in one transaction, so concurrent failures on any instance all count.

use super::PostgresStore;
use super::errors::backend;
use crate::rows::{from_db, to_db};
use crate::throttle::Counter;
use crate::{FailureCount, StoreResult, ThrottlePolicy, ThrottleStore};
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
impl ThrottleStore for PostgresStore {
    async fn record_failure(
        &self,
        key: &str,
        now: u64,
        policy: &ThrottlePolicy,
    ) -> StoreResult<FailureCount> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // A row with no failures yet, so that there is always a row to lock.
        sqlx::query(
            "INSERT INTO failure_counters \
             (key, failures, window_started, locked_until, expires_at) \
             VALUES ($1, 0, $2, 0, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(to_db(now))
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let row = sqlx::query(
            "SELECT failures, window_started, locked_until FROM failure_counters \
             WHERE key = $1 FOR UPDATE",
        )
        .bind(key)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let int = |col: &str| row.try_get::<i64, _>(col).map(from_db).map_err(backend);
        let previous = Counter {
            failures: int("failures")?,
            window_started: int("window_started")?,
            locked_until: int("locked_until")?,
        };
        let next = Counter::after_failure(Some(previous), now, policy);
        sqlx::query(
            "UPDATE failure_counters SET failures = $2, window_started = $3, \
             locked_until = $4, expires_at = $5 WHERE key = $1",
        )
        .bind(key)
        .bind(to_db(next.failures))
        .bind(to_db(next.window_started))
        .bind(to_db(next.locked_until))
        .bind(to_db(next.expires_at(policy)))
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(next.count(now))
    }

    async fn clear_failures(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM failure_counters WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn locked_until(&self, key: &str, now: u64) -> StoreResult<Option<u64>> {
        let row = sqlx::query(
            "SELECT locked_until FROM failure_counters WHERE key = $1 AND locked_until > $2",
        )
        .bind(key)
        .bind(to_db(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.map(|r| r.try_get::<i64, _>("locked_until").map(from_db))
            .transpose()
            .map_err(backend)
    }
}

//! Failure counters on SQLite: read and written in one job on the writer thread, so within
//! one transaction.

use rusqlite::params;

use super::{SqliteStore, exec, one, sql_err};
use crate::rows::{from_db, to_db};
use crate::throttle::Counter;
use crate::{FailureCount, StoreResult, ThrottlePolicy, ThrottleStore};
use async_trait::async_trait;

#[async_trait]
impl ThrottleStore for SqliteStore {
    async fn record_failure(
        &self,
        key: &str,
        now: u64,
        policy: &ThrottlePolicy,
    ) -> StoreResult<FailureCount> {
        let (key, policy) = (key.to_string(), *policy);
        self.write(move |conn| {
            let previous = one(
                conn,
                "SELECT failures, window_started, locked_until FROM failure_counters \
                 WHERE key = ?",
                [&key],
                |r| {
                    let int = |i| r.get::<_, i64>(i).map(from_db).map_err(sql_err);
                    Ok(Counter {
                        failures: int(0)?,
                        window_started: int(1)?,
                        locked_until: int(2)?,
                    })
                },
            )?;
            let next = Counter::after_failure(previous, now, &policy);
            exec(
                conn,
                "INSERT INTO failure_counters \
                 (key, failures, window_started, locked_until, expires_at) \
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET \
                 failures = excluded.failures, window_started = excluded.window_started, \
                 locked_until = excluded.locked_until, expires_at = excluded.expires_at",
                params![
                    key,
                    to_db(next.failures),
                    to_db(next.window_started),
                    to_db(next.locked_until),
                    to_db(next.expires_at(&policy)),
                ],
            )
            .map_err(sql_err)?;
            Ok(next.count(now))
        })
        .await
    }

    async fn clear_failures(&self, key: &str) -> StoreResult<()> {
        let key = key.to_string();
        self.write(move |conn| {
            exec(conn, "DELETE FROM failure_counters WHERE key = ?", [key]).map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn locked_until(&self, key: &str, now: u64) -> StoreResult<Option<u64>> {
        let key = key.to_string();
        self.read_by_key(move |conn| {
            one(
                conn,
                "SELECT locked_until FROM failure_counters WHERE key = ? AND locked_until > ?",
                params![key, to_db(now)],
                |r| r.get::<_, i64>(0).map(from_db).map_err(sql_err),
            )
        })
        .await
    }
}

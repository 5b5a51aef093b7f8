//! Assertion ids seen, on PostgreSQL: the primary key decides first or replay, across every
//! instance on the database.

use super::PostgresStore;
use super::errors::backend;
use crate::rows::to_db;
use crate::{ReplayStore, StoreResult};
use async_trait::async_trait;

#[async_trait]
impl ReplayStore for PostgresStore {
    async fn remember_jti(&self, key: &str, expires_at: u64) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO used_assertions (key, expires_at) VALUES ($1, $2) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(to_db(expires_at))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }
}

//! Grants minted by token exchange, on PostgreSQL.

use super::PostgresStore;
use super::errors::{backend, db_err};
use crate::rows::{self, json_text, to_db};
use crate::{ExchangeStore, ExchangedGrantRecord, StoreResult};
use async_trait::async_trait;

#[async_trait]
impl ExchangeStore for PostgresStore {
    async fn insert_exchanged_grant(&self, grant: &ExchangedGrantRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO exchanged_grants (grant_id, audiences, act, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&grant.grant_id)
        .bind(&grant.audiences)
        .bind(grant.act.as_ref().map(json_text))
        .bind(to_db(grant.expires_at))
        .execute(&self.pool)
        .await
        .map_err(db_err("exchanged grant"))?;
        Ok(())
    }

    async fn get_exchanged_grant(
        &self,
        grant_id: &str,
    ) -> StoreResult<Option<ExchangedGrantRecord>> {
        let row = sqlx::query(
            "SELECT grant_id, audiences, act, expires_at FROM exchanged_grants \
             WHERE grant_id = $1",
        )
        .bind(grant_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(rows::exchanged_grant).transpose()
    }
}

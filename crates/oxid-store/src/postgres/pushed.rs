//! Pushed authorization requests on PostgreSQL: taking one is a single `DELETE … RETURNING`,
//! so one request wins across every instance on the database.

use super::PostgresStore;
use super::errors::{backend, db_err};
use crate::rows::{self, to_db};
use crate::{PushedRequestRecord, PushedRequestStore, StoreResult};
use async_trait::async_trait;

#[async_trait]
impl PushedRequestStore for PostgresStore {
    async fn insert_pushed_request(&self, r: &PushedRequestRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO pushed_requests (request_uri_hash, client_id, params, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(r.request_uri_hash.as_str())
        .bind(r.client_id.as_str())
        .bind(r.params.as_str())
        .bind(to_db(r.expires_at))
        .execute(&self.pool)
        .await
        .map_err(db_err("pushed request"))?;
        Ok(())
    }

    async fn take_pushed_request(
        &self,
        request_uri_hash: &str,
        now: u64,
    ) -> StoreResult<Option<PushedRequestRecord>> {
        let row = sqlx::query(
            "DELETE FROM pushed_requests WHERE request_uri_hash = $1 AND expires_at > $2 \
             RETURNING request_uri_hash, client_id, params, expires_at",
        )
        .bind(request_uri_hash)
        .bind(to_db(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(rows::pushed_request).transpose()
    }
}

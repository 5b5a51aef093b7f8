//! Signing keys on PostgreSQL.

use super::PostgresStore;
use super::errors::{backend, db_err};
use crate::rows::{self, opt_to_db, to_db};
use crate::{KeyRecord, KeyStore, StoreResult};
use async_trait::async_trait;

#[async_trait]
impl KeyStore for PostgresStore {
    async fn insert_key(&self, key: &KeyRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, private_key_encrypted, state, created_at, \
             activated_at, retired_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(key.kid.as_str())
        .bind(key.alg.as_str())
        .bind(key.private_key_encrypted.as_slice())
        .bind(key.state.as_str())
        .bind(to_db(key.created_at))
        .bind(opt_to_db(key.activated_at))
        .bind(opt_to_db(key.retired_at))
        .bind(opt_to_db(key.expires_at))
        .execute(&self.pool)
        .await
        .map_err(db_err("key"))?;
        Ok(())
    }

    async fn list_keys(&self, now: u64) -> StoreResult<Vec<KeyRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM signing_keys WHERE expires_at IS NULL OR expires_at > $1 \
             ORDER BY created_at, kid COLLATE \"C\"",
        )
        .bind(to_db(now))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(rows::key).collect()
    }

    async fn update_key(&self, key: &KeyRecord) -> StoreResult<bool> {
        // The kid, algorithm, key material and creation time never change.
        let done = sqlx::query(
            "UPDATE signing_keys SET state = $1, activated_at = $2, retired_at = $3, \
             expires_at = $4 WHERE kid = $5",
        )
        .bind(key.state.as_str())
        .bind(opt_to_db(key.activated_at))
        .bind(opt_to_db(key.retired_at))
        .bind(opt_to_db(key.expires_at))
        .bind(key.kid.as_str())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() > 0)
    }
}

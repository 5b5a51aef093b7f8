//! Signing keys on SQLite.

use super::SqliteStore;
use crate::rows::{self, backend, db_err, opt_to_db, to_db};
use crate::{KeyRecord, KeyStore, StoreResult};
use async_trait::async_trait;

#[async_trait]
impl KeyStore for SqliteStore {
    async fn insert_key(&self, key: &KeyRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, private_key_encrypted, state, created_at, \
             activated_at, retired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(key.kid.as_str())
        .bind(key.alg.as_str())
        .bind(key.private_key_encrypted.as_slice())
        .bind(key.state.as_str())
        .bind(to_db(key.created_at))
        .bind(opt_to_db(key.activated_at))
        .bind(opt_to_db(key.retired_at))
        .bind(opt_to_db(key.expires_at))
        .execute(&self.writer)
        .await
        .map_err(db_err("key"))?;
        Ok(())
    }

    async fn list_keys(&self, now: u64) -> StoreResult<Vec<KeyRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM signing_keys WHERE expires_at IS NULL OR expires_at > ? \
             ORDER BY created_at, kid",
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
            "UPDATE signing_keys SET state = ?, activated_at = ?, retired_at = ?, \
             expires_at = ? WHERE kid = ?",
        )
        .bind(key.state.as_str())
        .bind(opt_to_db(key.activated_at))
        .bind(opt_to_db(key.retired_at))
        .bind(opt_to_db(key.expires_at))
        .bind(key.kid.as_str())
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() > 0)
    }
}

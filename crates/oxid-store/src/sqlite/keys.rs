//! Signing keys on SQLite.

use rusqlite::params;

use super::{SqliteStore, all, conflict_err, exec, sql_err};
use crate::rows::{self, opt_to_db, to_db};
use crate::{KeyRecord, KeyStore, StoreResult};
use async_trait::async_trait;

#[async_trait]
impl KeyStore for SqliteStore {
    async fn insert_key(&self, key: &KeyRecord) -> StoreResult<()> {
        let k = key.clone();
        self.write(move |conn| {
            exec(
                conn,
                "INSERT INTO signing_keys (kid, alg, private_key_encrypted, state, created_at, \
                 activated_at, retired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                params![
                    k.kid,
                    k.alg,
                    k.private_key_encrypted,
                    k.state.as_str(),
                    to_db(k.created_at),
                    opt_to_db(k.activated_at),
                    opt_to_db(k.retired_at),
                    opt_to_db(k.expires_at),
                ],
            )
            .map_err(conflict_err("key"))?;
            Ok(())
        })
        .await
    }

    async fn list_keys(&self, now: u64) -> StoreResult<Vec<KeyRecord>> {
        self.read(move |conn| {
            all(
                conn,
                "SELECT * FROM signing_keys WHERE expires_at IS NULL OR expires_at > ? \
                 ORDER BY created_at, kid",
                [to_db(now)],
                |r| rows::key(r),
            )
        })
        .await
    }

    async fn update_key(&self, key: &KeyRecord) -> StoreResult<bool> {
        let k = key.clone();
        // The kid, algorithm, key material and creation time never change.
        self.write(move |conn| {
            let changed = exec(
                conn,
                "UPDATE signing_keys SET state = ?, activated_at = ?, retired_at = ?, \
                 expires_at = ? WHERE kid = ?",
                params![
                    k.state.as_str(),
                    opt_to_db(k.activated_at),
                    opt_to_db(k.retired_at),
                    opt_to_db(k.expires_at),
                    k.kid,
                ],
            )
            .map_err(sql_err)?;
            Ok(changed > 0)
        })
        .await
    }
}

//! Signing keys on PostgreSQL.

use super::PostgresStore;
use super::errors::{backend, db_err};
use crate::rows::{self, opt_to_db, to_db};
use crate::{KeyChangeSet, KeyRecord, KeyStore, StoreChange, StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::PgConnection;

/// The one lease of `rotation_leases` this store uses.
const ROTATION_LEASE: &str = "signing_keys";

async fn insert(conn: &mut PgConnection, key: &KeyRecord) -> StoreResult<()> {
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
    .execute(conn)
    .await
    .map_err(db_err("key"))?;
    Ok(())
}

/// Updates `key`'s row, only while it is in state `expected` when given; rows changed.
async fn update(
    conn: &mut PgConnection,
    key: &KeyRecord,
    expected: Option<&str>,
) -> StoreResult<u64> {
    // The kid, algorithm, key material and creation time never change.
    let done = sqlx::query(
        "UPDATE signing_keys SET state = $1, activated_at = $2, retired_at = $3, \
         expires_at = $4 WHERE kid = $5 AND ($6::text IS NULL OR state = $6)",
    )
    .bind(key.state.as_str())
    .bind(opt_to_db(key.activated_at))
    .bind(opt_to_db(key.retired_at))
    .bind(opt_to_db(key.expires_at))
    .bind(key.kid.as_str())
    .bind(expected)
    .execute(conn)
    .await
    .map_err(db_err("a current or next key of this alg"))?;
    Ok(done.rows_affected())
}

/// Every change, or false at the first that finds the keys changed by someone else.
async fn apply(conn: &mut PgConnection, changes: &KeyChangeSet) -> StoreResult<bool> {
    for change in changes.ordered_updates() {
        if update(conn, &change.key, Some(change.expected.as_str())).await? == 0 {
            return Ok(false);
        }
    }
    for key in &changes.inserts {
        insert(conn, key).await?;
    }
    Ok(true)
}

impl PostgresStore {
    /// Ends a key transaction: commits it, telling every instance the keys changed, when
    /// `changed`; rolls it back otherwise.
    async fn finish_keys(
        &self,
        mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
        changed: bool,
    ) -> StoreResult<()> {
        if !changed {
            return tx.rollback().await.map_err(backend);
        }
        self.notify(&mut tx, &StoreChange::Keys).await?;
        tx.commit().await.map_err(backend)
    }
}

#[async_trait]
impl KeyStore for PostgresStore {
    async fn insert_key(&self, key: &KeyRecord) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        insert(&mut tx, key).await?;
        self.finish_keys(tx, true).await
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
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let changed = update(&mut tx, key, None).await? > 0;
        self.finish_keys(tx, changed).await?;
        Ok(changed)
    }

    async fn apply_key_changes(&self, changes: &KeyChangeSet) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let applied = match apply(&mut tx, changes).await {
            Ok(applied) => applied,
            // Lost the compare-and-set: another writer's key holds the slot. The failed
            // statement aborted the transaction; dropping it rolls it back.
            Err(StoreError::Conflict(_)) => return Ok(false),
            Err(e) => return Err(e),
        };
        self.finish_keys(tx, applied).await?;
        Ok(applied)
    }

    async fn acquire_rotation_lease(
        &self,
        holder: &str,
        now: u64,
        until: u64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO rotation_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
             expires_at = excluded.expires_at \
             WHERE rotation_leases.expires_at <= $4 OR rotation_leases.holder = $2",
        )
        .bind(ROTATION_LEASE)
        .bind(holder)
        .bind(to_db(until))
        .bind(to_db(now))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() > 0)
    }

    async fn release_rotation_lease(&self, holder: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM rotation_leases WHERE name = $1 AND holder = $2")
            .bind(ROTATION_LEASE)
            .bind(holder)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

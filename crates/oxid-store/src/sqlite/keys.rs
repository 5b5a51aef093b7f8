//! Signing keys on SQLite.

use rusqlite::{Connection, params};

use super::{SqliteStore, all, conflict_err, exec, sql_err};
use crate::rows::{self, opt_to_db, to_db};
use crate::{KeyChangeSet, KeyRecord, KeyStore, StoreChange, StoreError, StoreResult};
use async_trait::async_trait;

/// The one lease of `rotation_leases` this store uses.
const ROTATION_LEASE: &str = "signing_keys";

fn insert(conn: &Connection, k: &KeyRecord) -> StoreResult<()> {
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
}

/// Updates `k`'s row, only while it is in state `expected` when given; rows changed.
fn update(conn: &Connection, k: &KeyRecord, expected: Option<&str>) -> StoreResult<usize> {
    // The kid, algorithm, key material and creation time never change.
    exec(
        conn,
        "UPDATE signing_keys SET state = ?, activated_at = ?, retired_at = ?, \
         expires_at = ? WHERE kid = ? AND (?6 IS NULL OR state = ?6)",
        params![
            k.state.as_str(),
            opt_to_db(k.activated_at),
            opt_to_db(k.retired_at),
            opt_to_db(k.expires_at),
            k.kid,
            expected,
        ],
    )
    .map_err(conflict_err("a current or next key of this alg"))
}

/// Applies every change or none: false (rolled back to the savepoint) when an expected state
/// no longer holds or a state slot is taken.
fn apply(conn: &Connection, changes: &KeyChangeSet) -> StoreResult<bool> {
    let all_applied = || -> StoreResult<bool> {
        for change in changes.ordered_updates() {
            if update(conn, &change.key, Some(change.expected.as_str()))? == 0 {
                return Ok(false);
            }
        }
        for key in &changes.inserts {
            insert(conn, key)?;
        }
        Ok(true)
    };
    conn.execute_batch("SAVEPOINT key_changes")
        .map_err(sql_err)?;
    let outcome = match all_applied() {
        Ok(true) => Ok(true),
        // Lost the compare-and-set: another writer's key holds the slot.
        Ok(false) | Err(StoreError::Conflict(_)) => Ok(false),
        Err(e) => Err(e),
    };
    let end = if matches!(outcome, Ok(true)) {
        "RELEASE key_changes"
    } else {
        "ROLLBACK TO key_changes; RELEASE key_changes"
    };
    conn.execute_batch(end).map_err(sql_err)?;
    outcome
}

#[async_trait]
impl KeyStore for SqliteStore {
    async fn insert_key(&self, key: &KeyRecord) -> StoreResult<()> {
        let k = key.clone();
        self.write(move |conn| insert(conn, &k)).await?;
        self.announce(StoreChange::Keys);
        Ok(())
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
        let changed = self.write(move |conn| update(conn, &k, None)).await? > 0;
        if changed {
            self.announce(StoreChange::Keys);
        }
        Ok(changed)
    }

    async fn apply_key_changes(&self, changes: &KeyChangeSet) -> StoreResult<bool> {
        let changes = changes.clone();
        let applied = self.write(move |conn| apply(conn, &changes)).await?;
        if applied {
            self.announce(StoreChange::Keys);
        }
        Ok(applied)
    }

    async fn acquire_rotation_lease(
        &self,
        holder: &str,
        now: u64,
        until: u64,
    ) -> StoreResult<bool> {
        let holder = holder.to_string();
        self.write(move |conn| {
            let taken = exec(
                conn,
                "INSERT INTO rotation_leases (name, holder, expires_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
                 expires_at = excluded.expires_at \
                 WHERE rotation_leases.expires_at <= ?4 OR rotation_leases.holder = ?2",
                params![ROTATION_LEASE, holder, to_db(until), to_db(now)],
            )
            .map_err(sql_err)?;
            Ok(taken > 0)
        })
        .await
    }

    async fn release_rotation_lease(&self, holder: &str) -> StoreResult<()> {
        let holder = holder.to_string();
        self.write(move |conn| {
            exec(
                conn,
                "DELETE FROM rotation_leases WHERE name = ? AND holder = ?",
                params![ROTATION_LEASE, holder],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }
}

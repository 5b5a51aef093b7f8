//! Assertion ids seen, on SQLite: one insert on the writer thread decides first or replay.

use rusqlite::params;

use super::{SqliteStore, exec, sql_err};
use crate::rows::to_db;
use crate::{ReplayStore, StoreResult};
use async_trait::async_trait;

#[async_trait]
impl ReplayStore for SqliteStore {
    async fn remember_jti(&self, key: &str, expires_at: u64) -> StoreResult<bool> {
        let key = key.to_string();
        self.write(move |conn| {
            let added = exec(
                conn,
                "INSERT INTO used_assertions (key, expires_at) VALUES (?, ?) \
                 ON CONFLICT (key) DO NOTHING",
                params![key, to_db(expires_at)],
            )
            .map_err(sql_err)?;
            Ok(added == 1)
        })
        .await
    }
}

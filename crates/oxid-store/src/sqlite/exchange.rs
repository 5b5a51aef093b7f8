//! Grants minted by token exchange, on SQLite.

use rusqlite::params;

use super::{SqliteStore, conflict_err, exec, one};
use crate::rows::{self, json_text, list_text, to_db};
use crate::{ExchangeStore, ExchangedGrantRecord, StoreResult};
use async_trait::async_trait;

#[async_trait]
impl ExchangeStore for SqliteStore {
    async fn insert_exchanged_grant(&self, grant: &ExchangedGrantRecord) -> StoreResult<()> {
        let g = grant.clone();
        self.write(move |conn| {
            exec(
                conn,
                "INSERT INTO exchanged_grants (grant_id, audiences, act, expires_at) \
                 VALUES (?, ?, ?, ?)",
                params![
                    g.grant_id,
                    list_text(&g.audiences),
                    g.act.as_ref().map(json_text),
                    to_db(g.expires_at)
                ],
            )
            .map_err(conflict_err("exchanged grant"))?;
            Ok(())
        })
        .await
    }

    async fn get_exchanged_grant(
        &self,
        grant_id: &str,
    ) -> StoreResult<Option<ExchangedGrantRecord>> {
        let grant_id = grant_id.to_string();
        self.read(move |conn| {
            one(
                conn,
                "SELECT * FROM exchanged_grants WHERE grant_id = ?",
                [grant_id],
                |r| rows::exchanged_grant(r),
            )
        })
        .await
    }
}

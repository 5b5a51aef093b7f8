//! Grants minted by token exchange, on SQLite.

use rusqlite::{Connection, params};
use std::sync::LazyLock;

use super::{Listed, SqliteStore, conflict_err, exec, one, select};
use crate::rows::{self, json_text, list_text, to_db};
use crate::{ExchangeStore, ExchangedGrantRecord, StoreResult};
use async_trait::async_trait;

/// The exchanged grant `grant_id`, its columns named (see `Listed`).
fn exchanged_grant_by_id(
    conn: &Connection,
    grant_id: &str,
) -> StoreResult<Option<ExchangedGrantRecord>> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        select(
            rows::EXCHANGED_GRANT_COLUMNS,
            "exchanged_grants WHERE grant_id = ?",
        )
    });
    one(conn, &SQL, [grant_id], |r| {
        rows::exchanged_grant(&Listed::new(r, rows::EXCHANGED_GRANT_COLUMNS))
    })
}

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
        self.read_by_key(move |conn| exchanged_grant_by_id(conn, &grant_id))
            .await
    }
}

//! Pushed authorization requests on SQLite: taking one is a single `DELETE … RETURNING` on
//! the writer thread.

use rusqlite::params;

use super::{SqliteStore, conflict_err, exec, one};
use crate::rows::{self, to_db};
use crate::{PushedRequestRecord, PushedRequestStore, StoreResult};
use async_trait::async_trait;

#[async_trait]
impl PushedRequestStore for SqliteStore {
    async fn insert_pushed_request(&self, request: &PushedRequestRecord) -> StoreResult<()> {
        let r = request.clone();
        self.write(move |conn| {
            exec(
                conn,
                "INSERT INTO pushed_requests (request_uri_hash, client_id, params, expires_at) \
                 VALUES (?, ?, ?, ?)",
                params![
                    r.request_uri_hash,
                    r.client_id,
                    r.params,
                    to_db(r.expires_at)
                ],
            )
            .map_err(conflict_err("pushed request"))?;
            Ok(())
        })
        .await
    }

    async fn take_pushed_request(
        &self,
        request_uri_hash: &str,
        now: u64,
    ) -> StoreResult<Option<PushedRequestRecord>> {
        let hash = request_uri_hash.to_string();
        self.write(move |conn| {
            one(
                conn,
                "DELETE FROM pushed_requests WHERE request_uri_hash = ? AND expires_at > ? \
                 RETURNING *",
                params![hash, to_db(now)],
                |r| rows::pushed_request(r),
            )
        })
        .await
    }
}

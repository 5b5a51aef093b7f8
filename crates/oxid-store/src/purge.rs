//! The expired-row sweep, cut into chunks: each chunk is one short transaction of at most
//! [`PURGE_CHUNK`] rows, so a sweep of a million expired tokens never holds the writer (SQLite)
//! or long row locks (PostgreSQL) for longer than one chunk, and requests' writes go between
//! chunks (issue 14: p99 under 10 ms while the sweep runs).

/// Rows deleted per sweep transaction at most. A 500-row chunk of expired tokens cost the
/// SQLite writer about 6 ms of CPU (bench/README.md, the durable write path): a token insert
/// queued behind it waited that long. 100 rows keep that wait near a millisecond.
pub const PURGE_CHUNK: u64 = 100;

/// After each chunk the sweep leaves the writer free for this many times as long as the chunk
/// took, so it takes a quarter of the writer at most. Every row it deletes dirties a random
/// page of the token table's key (a hash) in the WAL: at half the writer (a pause of one) the
/// checkpointer fell so far behind that the writer's catch-ups took 20-90 ms (issue 14: the
/// p99 while the sweep runs, bench/README.md). A backlog of a million expired tokens still goes
/// in minutes, and an idle writer sweeps at its full quarter.
pub(crate) const PAUSE_PER_CHUNK: u32 = 3;

/// The tables with an `expires_at` column the sweep deletes from, each with its primary key.
/// Not `sessions`: an expired session is ended by `end_expired_sessions`, which tells its
/// clients (back-channel logout) first
/// (a chunk picks `key IN (SELECT key ... LIMIT n)`: neither SQLite without its
/// UPDATE_DELETE_LIMIT build option nor PostgreSQL has `DELETE ... LIMIT`).
pub(crate) const EXPIRING: [(&str, &str); 8] = [
    ("codes", "code_hash"),
    ("tokens", "token_hash"),
    ("used_interactions", "id_hash"),
    ("failure_counters", "key"),
    ("device_grants", "device_code_hash"),
    ("used_assertions", "key"),
    ("exchanged_grants", "grant_id"),
    ("pushed_requests", "request_uri_hash"),
];

#[cfg(test)]
mod tests {
    use super::{PAUSE_PER_CHUNK, PURGE_CHUNK};
    use crate::{RefreshRotation, StoreError, StoreResult, TokenRecord, TokenStore};
    use async_trait::async_trait;
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    /// A store whose chunks each take [`CHUNK_TIME`]; it notes when each began and ended. Its
    /// other operations are not the sweep's and fail.
    struct SlowChunks {
        chunks: Mutex<Vec<(Instant, Instant)>>,
    }

    const CHUNK_TIME: Duration = Duration::from_millis(30);

    #[async_trait]
    impl TokenStore for SlowChunks {
        async fn insert_token(&self, _: &TokenRecord) -> StoreResult<()> {
            Err(StoreError::Backend("not used by the sweep".into()))
        }
        async fn get_token(&self, _: &str) -> StoreResult<Option<TokenRecord>> {
            Err(StoreError::Backend("not used by the sweep".into()))
        }
        async fn get_token_view(&self, _: &str, _: bool) -> StoreResult<Option<crate::TokenView>> {
            Err(StoreError::Backend("not used by the sweep".into()))
        }
        async fn rotate_refresh_token(
            &self,
            _: &str,
            _: &[TokenRecord],
            _: Option<&[u8]>,
            _: u64,
        ) -> StoreResult<RefreshRotation> {
            Err(StoreError::Backend("not used by the sweep".into()))
        }
        async fn revoke_token(&self, _: &str, _: u64) -> StoreResult<bool> {
            Err(StoreError::Backend("not used by the sweep".into()))
        }
        async fn revoke_grant(&self, _: &str, _: u64) -> StoreResult<u64> {
            Err(StoreError::Backend("not used by the sweep".into()))
        }
        async fn purge_expired_chunk(&self, _: u64, limit: u64) -> StoreResult<u64> {
            let began = Instant::now();
            tokio::time::sleep(CHUNK_TIME).await;
            let mut chunks = self.chunks.lock().unwrap();
            chunks.push((began, Instant::now()));
            // Three full chunks, then the last rows.
            Ok(if chunks.len() < 4 { limit } else { 7 })
        }
    }

    /// Issue 14: the sweep must not stall requests' writes, so between two chunks it leaves
    /// the writer free for three times as long as a chunk held it.
    #[tokio::test]
    async fn the_sweep_pauses_after_each_chunk_as_long_as_it_took() {
        let store = SlowChunks {
            chunks: Mutex::default(),
        };
        assert_eq!(store.purge_expired(0).await.unwrap(), 3 * PURGE_CHUNK + 7);
        let chunks = store.chunks.lock().unwrap();
        assert_eq!(chunks.len(), 4);
        for pair in chunks.windows(2) {
            let ((_, ended), (next, _)) = (pair[0], pair[1]);
            let pause = next - ended;
            assert!(
                pause >= CHUNK_TIME * PAUSE_PER_CHUNK,
                "a pause of {pause:?} after a chunk"
            );
        }
    }
}

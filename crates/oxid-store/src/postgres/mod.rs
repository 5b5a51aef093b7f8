//! The PostgreSQL backend (scale-out): many provider instances can share one database.
//!
//! Lists are `TEXT[]`, JSON values `JSONB` (sent and read as text, cast in SQL), byte arrays
//! `BYTEA`, times `BIGINT` seconds. Single use and rotation rely on row locks taken by
//! conditional `UPDATE`s under READ COMMITTED: a second writer waits, re-checks the
//! condition on the committed row, and loses.

mod changes;
mod clients;
mod device;
mod errors;
mod exchange;
mod grants;
mod keys;
mod outbox;
mod pool;
mod purge;
mod pushed;
mod replay;
mod sessions;
mod throttle;

use crate::rows::Columns;
use crate::{StoreError, StoreOptions, StoreResult};
use errors::backend;
use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPool, PgRow};
use std::str::FromStr;

/// Columns of `clients`, JSON read as text.
const CLIENT_COLS: &str = "client_id, secret_hash, secret_encrypted, client_name, \
    redirect_uris, post_logout_redirect_uris, grant_types, response_types, \
    token_endpoint_auth_method, scopes, id_token_signed_response_alg, backchannel_logout_uri, \
    frontchannel_logout_uri, skip_consent, metadata::text AS metadata, \
    registration_token_hash, created_at";
/// Columns of `users`, JSON read as text.
const USER_COLS: &str =
    "id, username, password_hash, claims::text AS claims, created_at, updated_at";
/// Columns of `codes`, JSON read as text.
const CODE_COLS: &str = "code_hash, grant_id, client_id, user_id, redirect_uri, scopes, nonce, \
    code_challenge, code_challenge_method, sid, auth_time, acr, amr, \
    claims_request::text AS claims_request, resource, expires_at, dpop_jkt";

/// Columns of `tokens`, JSON read as text.
const TOKEN_COLS: &str = "token_hash, kind, grant_id, client_id, user_id, scopes, sid, \
    auth_time, claims_request::text AS claims_request, audience, grant_expires_at, issued_at, \
    expires_at, consumed_at, revoked_at, dpop_jkt";

/// The storage contract on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// The change feed (`LISTEN`), stopped when the last clone of the store is dropped.
    feed: std::sync::Arc<changes::Feed>,
}

impl PostgresStore {
    /// Connects to `postgres://...` (or `postgresql://...`) and runs the migrations.
    pub async fn open(url: &str, store_options: &StoreOptions) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("bad PostgreSQL URL: {e}")))?;
        Self::open_with(options, store_options).await
    }

    /// Connects with explicit options (e.g. a `search_path`) and runs the migrations.
    ///
    /// This type alone is not cancellation-safe (sqlx's dropped-`begin` window); the
    /// provider reaches it through [`crate::Detached`], as [`crate::open_with`] does.
    pub async fn open_with(
        options: PgConnectOptions,
        store_options: &StoreOptions,
    ) -> StoreResult<Self> {
        let pool = pool::connect(options, store_options).await?;
        let feed = std::sync::Arc::new(changes::start(&pool).await?);
        Ok(PostgresStore { pool, feed })
    }

    /// Tells every instance's subscribers of `change` when `conn`'s transaction commits.
    pub(crate) async fn notify(
        &self,
        conn: &mut sqlx::PgConnection,
        change: &crate::StoreChange,
    ) -> StoreResult<()> {
        changes::notify(conn, &self.feed.channel, change).await
    }

    /// Closes every connection of the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl Columns for PgRow {
    fn text(&self, col: &str) -> StoreResult<String> {
        self.try_get(col).map_err(backend)
    }
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>> {
        self.try_get(col).map_err(backend)
    }
    fn int(&self, col: &str) -> StoreResult<i64> {
        self.try_get(col).map_err(backend)
    }
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>> {
        self.try_get(col).map_err(backend)
    }
    fn flag(&self, col: &str) -> StoreResult<bool> {
        self.try_get(col).map_err(backend)
    }
    fn opt_bytes(&self, col: &str) -> StoreResult<Option<Vec<u8>>> {
        self.try_get(col).map_err(backend)
    }
    fn list(&self, col: &str) -> StoreResult<Vec<String>> {
        self.try_get(col).map_err(backend)
    }
}

impl crate::ChangeFeed for PostgresStore {
    fn subscribe_changes(&self) -> tokio::sync::broadcast::Receiver<crate::StoreChange> {
        self.feed.sender.subscribe()
    }
}

#[async_trait::async_trait]
impl crate::HealthStore for PostgresStore {
    /// One round trip through the pool; the pool's acquire timeout is the store's time
    /// limit, so a database that is down answers `Unavailable` in time.
    async fn check_health(&self) -> StoreResult<()> {
        sqlx::raw_sql("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    fn connection_stats(&self) -> Option<crate::ConnectionStats> {
        let size = self.pool.size();
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(size);
        Some(crate::ConnectionStats {
            in_use: size.saturating_sub(idle),
            idle,
            max: self.pool.options().get_max_connections(),
        })
    }
}

//! The logout outbox and named leases on PostgreSQL. Claims pick due rows with
//! `FOR UPDATE SKIP LOCKED`: concurrent claimers (any instance) skip each other's rows
//! instead of waiting, and a row whose lease was just taken is re-checked on its committed
//! version and left out (READ COMMITTED re-evaluation), so each lease has one holder.

use async_trait::async_trait;

use super::PostgresStore;
use super::errors::backend;
use crate::outbox::{DeliveryOutcome, DeliveryRecord, OutboxStore, SessionKey, delivery};
use crate::rows::{self, to_db};
use crate::{SessionRecord, StoreResult};

/// One delivery per client of the ended session that registered a back-channel URI; the id
/// (the logout token's `jti`) is a random UUID's 122 random bits, as hex.
const QUEUE_DELIVERIES: &str = "INSERT INTO logout_deliveries \
     (id, client_id, user_id, sid, created_at, give_up_at, next_attempt_at) \
     SELECT replace(gen_random_uuid()::text, '-', ''), c.client_id, $1, $2, $3, $4, $3 \
     FROM session_clients sc JOIN clients c ON c.client_id = sc.client_id \
     WHERE sc.sid = $2 AND c.backchannel_logout_uri IS NOT NULL";

/// The tokens of the ended session, for the clients that asked for it.
const REVOKE_SESSION_TOKENS: &str = "UPDATE tokens SET revoked_at = $1 \
     WHERE sid = $2 AND revoked_at IS NULL AND client_id IN \
     (SELECT client_id FROM clients \
      WHERE metadata->'backchannel_logout_revoke_tokens' = 'true'::jsonb)";

#[async_trait]
impl OutboxStore for PostgresStore {
    async fn end_session(
        &self,
        key: &SessionKey,
        now: u64,
        give_up_at: u64,
    ) -> StoreResult<Option<SessionRecord>> {
        let (sql, value) = match key {
            SessionKey::IdHash(h) => ("DELETE FROM sessions WHERE id_hash = $1 RETURNING *", h),
            SessionKey::Sid(s) => ("DELETE FROM sessions WHERE sid = $1 RETURNING *", s),
        };
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let row = sqlx::query(sql)
            .bind(value.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        let Some(ended) = row.as_ref().map(rows::session).transpose()? else {
            tx.rollback().await.map_err(backend)?;
            return Ok(None);
        };
        sqlx::query(QUEUE_DELIVERIES)
            .bind(ended.user_id.as_str())
            .bind(ended.sid.as_str())
            .bind(to_db(now))
            .bind(to_db(give_up_at))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query(REVOKE_SESSION_TOKENS)
            .bind(to_db(now))
            .bind(ended.sid.as_str())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(Some(ended))
    }

    async fn renew_session(&self, id_hash: &str, now: u64, expires_at: u64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE sessions SET expires_at = $1 WHERE id_hash = $2 AND expires_at > $3",
        )
        .bind(to_db(expires_at))
        .bind(id_hash)
        .bind(to_db(now))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn claim_deliveries(
        &self,
        holder: &str,
        now: u64,
        lease_until: u64,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryRecord>> {
        let found = sqlx::query(
            "UPDATE logout_deliveries \
             SET lease_holder = $1, lease_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM logout_deliveries \
               WHERE next_attempt_at <= $3 AND lease_until <= $3 \
               ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
             RETURNING *",
        )
        .bind(holder)
        .bind(to_db(lease_until))
        .bind(to_db(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        found.iter().map(delivery).collect()
    }

    async fn finish_delivery(
        &self,
        id: &str,
        holder: &str,
        outcome: DeliveryOutcome,
    ) -> StoreResult<bool> {
        let done = match outcome {
            DeliveryOutcome::Delivered | DeliveryOutcome::GivenUp => {
                sqlx::query("DELETE FROM logout_deliveries WHERE id = $1 AND lease_holder = $2")
                    .bind(id)
                    .bind(holder)
                    .execute(&self.pool)
                    .await
            }
            DeliveryOutcome::RetryAt(at) => {
                sqlx::query(
                    "UPDATE logout_deliveries \
                     SET next_attempt_at = $3, lease_holder = NULL, lease_until = 0 \
                     WHERE id = $1 AND lease_holder = $2",
                )
                .bind(id)
                .bind(holder)
                .bind(to_db(at))
                .execute(&self.pool)
                .await
            }
        }
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn pending_deliveries(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM logout_deliveries")
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: u64,
        until: u64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $4) \
             ON CONFLICT (name) DO UPDATE \
             SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at \
             WHERE leases.expires_at <= $3 OR leases.holder = EXCLUDED.holder",
        )
        .bind(name)
        .bind(holder)
        .bind(to_db(now))
        .bind(to_db(until))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }
}

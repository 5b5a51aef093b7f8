//! The logout outbox and named leases on PostgreSQL. Claims pick due rows with
//! `FOR UPDATE SKIP LOCKED`: concurrent claimers (any instance) skip each other's rows
//! instead of waiting, and a row whose lease was just taken is re-checked on its committed
//! version and left out (READ COMMITTED re-evaluation), so each lease has one holder.

use async_trait::async_trait;

use super::PostgresStore;
use super::errors::backend;
use crate::outbox::{
    DeliveryOutcome, DeliveryRecord, OutboxStore, SessionKey, delivery, outcome_name,
};
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

/// The sweep's [`OutboxStore::end_expired_sessions`]: `end_session`'s three statements for
/// up to `$2` expired sessions at once (`$1` now, `$3` the give-up time).
const END_EXPIRED_SESSIONS: &str = "WITH ended AS ( \
       DELETE FROM sessions WHERE id_hash IN (SELECT id_hash FROM sessions \
         WHERE expires_at <= $1 ORDER BY expires_at, id_hash LIMIT $2 FOR UPDATE SKIP LOCKED) \
       RETURNING *), \
     queued AS ( \
       INSERT INTO logout_deliveries \
         (id, client_id, user_id, sid, created_at, give_up_at, next_attempt_at) \
       SELECT replace(gen_random_uuid()::text, '-', ''), c.client_id, e.user_id, e.sid, \
         $1, $3, $1 \
       FROM ended e JOIN session_clients sc ON sc.sid = e.sid \
         JOIN clients c ON c.client_id = sc.client_id \
       WHERE c.backchannel_logout_uri IS NOT NULL), \
     revoked AS ( \
       UPDATE tokens SET revoked_at = $1 \
       WHERE sid IN (SELECT sid FROM ended) AND revoked_at IS NULL AND client_id IN \
         (SELECT client_id FROM clients \
          WHERE metadata->'backchannel_logout_revoke_tokens' = 'true'::jsonb)) \
     SELECT * FROM ended";

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
               WHERE next_attempt_at <= $3 AND lease_until <= $3 AND finished_at IS NULL \
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
        now: u64,
    ) -> StoreResult<bool> {
        let done = match outcome {
            DeliveryOutcome::Delivered | DeliveryOutcome::GivenUp => {
                sqlx::query(
                    "UPDATE logout_deliveries \
                     SET finished_at = $3, outcome = $4, lease_holder = NULL, lease_until = 0 \
                     WHERE id = $1 AND lease_holder = $2 AND finished_at IS NULL",
                )
                .bind(id)
                .bind(holder)
                .bind(to_db(now))
                .bind(outcome_name(outcome))
                .execute(&self.pool)
                .await
            }
            DeliveryOutcome::RetryAt(at) => {
                sqlx::query(
                    "UPDATE logout_deliveries \
                     SET next_attempt_at = $3, lease_holder = NULL, lease_until = 0 \
                     WHERE id = $1 AND lease_holder = $2 AND finished_at IS NULL",
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
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM logout_deliveries WHERE finished_at IS NULL")
                .fetch_one(&self.pool)
                .await
                .map_err(backend)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn purge_finished_deliveries(&self, before: u64, limit: u32) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM logout_deliveries WHERE id IN (SELECT id FROM logout_deliveries \
             WHERE finished_at <= $1 ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
        )
        .bind(to_db(before))
        .bind(i64::from(limit))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn end_expired_sessions(
        &self,
        now: u64,
        give_up_at: u64,
        limit: u32,
    ) -> StoreResult<Vec<SessionRecord>> {
        // One statement, so atomic: the sessions go with their deliveries and revocations.
        // SKIP LOCKED: a session a logout is ending right now is left to that logout.
        let found = sqlx::query(END_EXPIRED_SESSIONS)
            .bind(to_db(now))
            .bind(i64::from(limit))
            .bind(to_db(give_up_at))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        found.iter().map(rows::session).collect()
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

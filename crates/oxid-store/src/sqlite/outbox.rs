//! The logout outbox and named leases on SQLite: one writer thread, so every statement of a
//! job runs alone; a job's statements commit together (its savepoint in the group commit).

use async_trait::async_trait;
use rusqlite::params;

use super::{SqliteStore, exec, one, sql_err};
use crate::outbox::{
    DeliveryOutcome, DeliveryRecord, OutboxStore, SessionKey, delivery, outcome_name,
};
use crate::rows::{self, to_db};
use crate::{SessionRecord, StoreResult};

/// One delivery per client of the ended session that registered a back-channel URI; the id
/// (the logout token's `jti`) is 128 random bits.
const QUEUE_DELIVERIES: &str = "INSERT INTO logout_deliveries \
     (id, client_id, user_id, sid, created_at, give_up_at, next_attempt_at) \
     SELECT lower(hex(randomblob(16))), c.client_id, ?1, ?2, ?3, ?4, ?3 \
     FROM session_clients sc JOIN clients c ON c.client_id = sc.client_id \
     WHERE sc.sid = ?2 AND c.backchannel_logout_uri IS NOT NULL";

/// The tokens of the ended session, for the clients that asked for it (a JSON `true` is 1).
pub(super) const REVOKE_SESSION_TOKENS: &str = "UPDATE tokens SET revoked_at = ?1 \
     WHERE sid = ?2 AND revoked_at IS NULL AND client_id IN \
     (SELECT client_id FROM clients \
      WHERE json_extract(metadata, '$.backchannel_logout_revoke_tokens') = 1)";

/// What ending `ended` at `now` brings, in the caller's transaction: its deliveries queued
/// and the tokens of clients that ask revoked.
fn consequences(
    conn: &rusqlite::Connection,
    ended: &SessionRecord,
    now: u64,
    give_up_at: u64,
) -> StoreResult<()> {
    exec(
        conn,
        QUEUE_DELIVERIES,
        params![ended.user_id, ended.sid, to_db(now), to_db(give_up_at)],
    )
    .map_err(sql_err)?;
    exec(conn, REVOKE_SESSION_TOKENS, params![to_db(now), ended.sid]).map_err(sql_err)?;
    Ok(())
}

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn end_session(
        &self,
        key: &SessionKey,
        now: u64,
        give_up_at: u64,
    ) -> StoreResult<Option<SessionRecord>> {
        let key = key.clone();
        self.write(move |conn| {
            let (sql, value) = match &key {
                SessionKey::IdHash(h) => ("DELETE FROM sessions WHERE id_hash = ? RETURNING *", h),
                SessionKey::Sid(s) => ("DELETE FROM sessions WHERE sid = ? RETURNING *", s),
            };
            let Some(ended) = one(conn, sql, [value], |r| rows::session(r))? else {
                return Ok(None);
            };
            consequences(conn, &ended, now, give_up_at)?;
            Ok(Some(ended))
        })
        .await
    }

    async fn renew_session(&self, id_hash: &str, now: u64, expires_at: u64) -> StoreResult<bool> {
        let id_hash = id_hash.to_string();
        self.write(move |conn| {
            let changed = exec(
                conn,
                "UPDATE sessions SET expires_at = ? WHERE id_hash = ? AND expires_at > ?",
                params![to_db(expires_at), id_hash, to_db(now)],
            )
            .map_err(sql_err)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn claim_deliveries(
        &self,
        holder: &str,
        now: u64,
        lease_until: u64,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryRecord>> {
        let holder = holder.to_string();
        self.write(move |conn| {
            super::all(
                conn,
                "UPDATE logout_deliveries \
                 SET lease_holder = ?1, lease_until = ?2, attempts = attempts + 1 \
                 WHERE id IN (SELECT id FROM logout_deliveries \
                   WHERE next_attempt_at <= ?3 AND lease_until <= ?3 AND finished_at IS NULL \
                   ORDER BY next_attempt_at, id LIMIT ?4) \
                 RETURNING *",
                params![holder, to_db(lease_until), to_db(now), i64::from(limit)],
                |r| delivery(r),
            )
        })
        .await
    }

    async fn finish_delivery(
        &self,
        id: &str,
        holder: &str,
        outcome: DeliveryOutcome,
        now: u64,
    ) -> StoreResult<bool> {
        let (id, holder) = (id.to_string(), holder.to_string());
        self.write(move |conn| {
            let changed = match outcome {
                DeliveryOutcome::Delivered | DeliveryOutcome::GivenUp => exec(
                    conn,
                    "UPDATE logout_deliveries \
                     SET finished_at = ?, outcome = ?, lease_holder = NULL, lease_until = 0 \
                     WHERE id = ? AND lease_holder = ? AND finished_at IS NULL",
                    params![to_db(now), outcome_name(outcome), id, holder],
                ),
                DeliveryOutcome::RetryAt(at) => exec(
                    conn,
                    "UPDATE logout_deliveries \
                     SET next_attempt_at = ?, lease_holder = NULL, lease_until = 0 \
                     WHERE id = ? AND lease_holder = ? AND finished_at IS NULL",
                    params![to_db(at), id, holder],
                ),
            }
            .map_err(sql_err)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn pending_deliveries(&self) -> StoreResult<u64> {
        self.read(|conn| {
            let n: i64 = conn
                .query_row(
                    "SELECT COUNT(*) FROM logout_deliveries WHERE finished_at IS NULL",
                    [],
                    |r| r.get(0),
                )
                .map_err(sql_err)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn purge_finished_deliveries(&self, before: u64, limit: u32) -> StoreResult<u64> {
        self.write(move |conn| {
            let gone = exec(
                conn,
                "DELETE FROM logout_deliveries WHERE id IN (SELECT id FROM logout_deliveries \
                 WHERE finished_at <= ? ORDER BY finished_at LIMIT ?)",
                params![to_db(before), i64::from(limit)],
            )
            .map_err(sql_err)?;
            Ok(gone as u64)
        })
        .await
    }

    async fn end_expired_sessions(
        &self,
        now: u64,
        give_up_at: u64,
        limit: u32,
    ) -> StoreResult<Vec<SessionRecord>> {
        self.write(move |conn| {
            let ended = super::all(
                conn,
                "DELETE FROM sessions WHERE id_hash IN (SELECT id_hash FROM sessions \
                 WHERE expires_at <= ? ORDER BY expires_at, id_hash LIMIT ?) RETURNING *",
                params![to_db(now), i64::from(limit)],
                |r| rows::session(r),
            )?;
            for session in &ended {
                consequences(conn, session, now, give_up_at)?;
            }
            Ok(ended)
        })
        .await
    }

    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: u64,
        until: u64,
    ) -> StoreResult<bool> {
        let (name, holder) = (name.to_string(), holder.to_string());
        self.write(move |conn| {
            let changed = exec(
                conn,
                "INSERT INTO leases (name, holder, expires_at) VALUES (?1, ?2, ?4) \
                 ON CONFLICT (name) DO UPDATE \
                 SET holder = excluded.holder, expires_at = excluded.expires_at \
                 WHERE leases.expires_at <= ?3 OR leases.holder = excluded.holder",
                params![name, holder, to_db(now), to_db(until)],
            )
            .map_err(sql_err)?;
            Ok(changed == 1)
        })
        .await
    }
}

//! Device authorization grants on PostgreSQL: a poll locks its row (`FOR UPDATE`) and
//! rewrites it in one transaction, so concurrent polls on any instance hand an approved grant
//! out once.

use super::PostgresStore;
use super::errors::{backend, db_err};
use crate::device::poll;
use crate::rows::{self, opt_to_db, to_db};
use crate::{
    DeviceApproval, DeviceDecision, DeviceGrantRecord, DevicePoll, DeviceState, DeviceStore,
    StoreResult,
};
use async_trait::async_trait;

/// Columns of `device_grants` (no JSON: selected as they are).
const DEVICE_COLS: &str = "device_code_hash, user_code_hash, grant_id, client_id, scopes, \
    poll_interval, last_polled_at, expires_at, state, user_id, sid, auth_time, acr, amr";

/// The approval columns `$n..$n+4` of a state: user, sid, auth_time, acr, amr.
fn bind_approval<'q>(
    query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    approval: Option<&'q DeviceApproval>,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    query
        .bind(approval.map(|a| a.user_id.as_str()))
        .bind(approval.and_then(|a| a.sid.as_deref()))
        .bind(opt_to_db(approval.map(|a| a.auth_time)))
        .bind(approval.and_then(|a| a.acr.as_deref()))
        .bind(approval.map_or(&[][..], |a| a.amr.as_slice()))
}

#[async_trait]
impl DeviceStore for PostgresStore {
    async fn insert_device_grant(&self, g: &DeviceGrantRecord) -> StoreResult<()> {
        let query = sqlx::query(
            "INSERT INTO device_grants (device_code_hash, user_code_hash, grant_id, client_id, \
             scopes, poll_interval, last_polled_at, expires_at, state, user_id, sid, \
             auth_time, acr, amr) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(g.device_code_hash.as_str())
        .bind(g.user_code_hash.as_str())
        .bind(g.grant_id.as_str())
        .bind(g.client_id.as_str())
        .bind(g.scopes.as_slice())
        .bind(to_db(g.interval))
        .bind(opt_to_db(g.last_polled_at))
        .bind(to_db(g.expires_at))
        .bind(g.state.as_str());
        bind_approval(query, g.state.approval())
            .execute(&self.pool)
            .await
            .map_err(db_err("device grant"))?;
        Ok(())
    }

    async fn pending_device_grant(
        &self,
        user_code_hash: &str,
        now: u64,
    ) -> StoreResult<Option<DeviceGrantRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {DEVICE_COLS} FROM device_grants WHERE user_code_hash = $1 \
             AND state = 'pending' AND expires_at > $2"
        ))
        .bind(user_code_hash)
        .bind(to_db(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(rows::device_grant).transpose()
    }

    async fn decide_device_grant(
        &self,
        user_code_hash: &str,
        decision: &DeviceDecision,
        now: u64,
    ) -> StoreResult<bool> {
        let (state, approval) = match decision {
            DeviceDecision::Approve(a) => (DeviceState::Approved(a.clone()), Some(a)),
            DeviceDecision::Deny => (DeviceState::Denied, None),
        };
        let query = sqlx::query(
            "UPDATE device_grants SET user_id = $3, sid = $4, auth_time = $5, acr = $6, \
             amr = $7, state = $8 \
             WHERE user_code_hash = $1 AND state = 'pending' AND expires_at > $2",
        )
        .bind(user_code_hash)
        .bind(to_db(now));
        let done = bind_approval(query, approval)
            .bind(state.as_str())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn poll_device_grant(
        &self,
        device_code_hash: &str,
        client_id: &str,
        now: u64,
    ) -> StoreResult<DevicePoll> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let row = sqlx::query(&format!(
            "SELECT {DEVICE_COLS} FROM device_grants \
             WHERE device_code_hash = $1 AND client_id = $2 FOR UPDATE"
        ))
        .bind(device_code_hash)
        .bind(client_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some(record) = row.as_ref().map(rows::device_grant).transpose()? else {
            tx.rollback().await.map_err(backend)?;
            return Ok(DevicePoll::NotFound);
        };
        let (answer, changed) = poll(record, now);
        if let Some(g) = changed {
            sqlx::query(
                "UPDATE device_grants SET state = $2, poll_interval = $3, last_polled_at = $4 \
                 WHERE device_code_hash = $1",
            )
            .bind(g.device_code_hash.as_str())
            .bind(g.state.as_str())
            .bind(to_db(g.interval))
            .bind(opt_to_db(g.last_polled_at))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(answer)
    }
}

//! Device authorization grants on SQLite: each operation is one job on the writer thread, so
//! a poll's read and write share one transaction.

use rusqlite::params;

use super::{SqliteStore, conflict_err, exec, one, sql_err};
use crate::device::poll;
use crate::rows::{self, list_text, opt_to_db, to_db};
use crate::{DeviceDecision, DeviceGrantRecord, DevicePoll, DeviceState, DeviceStore, StoreResult};
use async_trait::async_trait;

#[async_trait]
impl DeviceStore for SqliteStore {
    async fn insert_device_grant(&self, grant: &DeviceGrantRecord) -> StoreResult<()> {
        let g = grant.clone();
        self.write(move |conn| {
            let approval = g.state.approval();
            exec(
                conn,
                "INSERT INTO device_grants (device_code_hash, user_code_hash, grant_id, \
                 client_id, scopes, poll_interval, last_polled_at, expires_at, state, user_id, \
                 sid, auth_time, acr, amr) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params![
                    g.device_code_hash,
                    g.user_code_hash,
                    g.grant_id,
                    g.client_id,
                    list_text(&g.scopes),
                    to_db(g.interval),
                    opt_to_db(g.last_polled_at),
                    to_db(g.expires_at),
                    g.state.as_str(),
                    approval.map(|a| a.user_id.clone()),
                    approval.and_then(|a| a.sid.clone()),
                    opt_to_db(approval.map(|a| a.auth_time)),
                    approval.and_then(|a| a.acr.clone()),
                    list_text(approval.map_or(&[][..], |a| &a.amr)),
                ],
            )
            .map_err(conflict_err("device grant"))?;
            Ok(())
        })
        .await
    }

    async fn pending_device_grant(
        &self,
        user_code_hash: &str,
        now: u64,
    ) -> StoreResult<Option<DeviceGrantRecord>> {
        let user_code_hash = user_code_hash.to_string();
        self.read_by_key(move |conn| {
            one(
                conn,
                "SELECT * FROM device_grants WHERE user_code_hash = ? AND state = 'pending' \
                 AND expires_at > ?",
                params![user_code_hash, to_db(now)],
                |r| rows::device_grant(r),
            )
        })
        .await
    }

    async fn decide_device_grant(
        &self,
        user_code_hash: &str,
        decision: &DeviceDecision,
        now: u64,
    ) -> StoreResult<bool> {
        let (user_code_hash, decision) = (user_code_hash.to_string(), decision.clone());
        self.write(move |conn| {
            let (state, approval) = match &decision {
                DeviceDecision::Approve(a) => (DeviceState::Approved(a.clone()), Some(a)),
                DeviceDecision::Deny => (DeviceState::Denied, None),
            };
            let changed = exec(
                conn,
                "UPDATE device_grants SET state = ?1, user_id = ?2, sid = ?3, auth_time = ?4, \
                 acr = ?5, amr = ?6 \
                 WHERE user_code_hash = ?7 AND state = 'pending' AND expires_at > ?8",
                params![
                    state.as_str(),
                    approval.map(|a| a.user_id.clone()),
                    approval.and_then(|a| a.sid.clone()),
                    opt_to_db(approval.map(|a| a.auth_time)),
                    approval.and_then(|a| a.acr.clone()),
                    list_text(approval.map_or(&[][..], |a| &a.amr)),
                    user_code_hash,
                    to_db(now),
                ],
            )
            .map_err(sql_err)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn poll_device_grant(
        &self,
        device_code_hash: &str,
        client_id: &str,
        now: u64,
    ) -> StoreResult<DevicePoll> {
        let (hash, client_id) = (device_code_hash.to_string(), client_id.to_string());
        self.write(move |conn| {
            let found = one(
                conn,
                "SELECT * FROM device_grants WHERE device_code_hash = ? AND client_id = ?",
                params![hash, client_id],
                |r| rows::device_grant(r),
            )?;
            let Some(record) = found else {
                return Ok(DevicePoll::NotFound);
            };
            let (answer, changed) = poll(record, now);
            if let Some(g) = changed {
                exec(
                    conn,
                    "UPDATE device_grants SET state = ?, poll_interval = ?, last_polled_at = ? \
                     WHERE device_code_hash = ?",
                    params![
                        g.state.as_str(),
                        to_db(g.interval),
                        opt_to_db(g.last_polled_at),
                        g.device_code_hash,
                    ],
                )
                .map_err(sql_err)?;
            }
            Ok(answer)
        })
        .await
    }
}

//! Login sessions and consent on SQLite.

use super::SqliteStore;
use crate::rows::{self, backend, db_err, list_text, to_db};
use crate::{ConsentRecord, ConsentStore, SessionRecord, SessionStore, StoreResult};
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
impl SessionStore for SqliteStore {
    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, sid, user_id, auth_time, amr, acr, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(session.id_hash.as_str())
        .bind(session.sid.as_str())
        .bind(session.user_id.as_str())
        .bind(to_db(session.auth_time))
        .bind(list_text(&session.amr))
        .bind(session.acr.as_deref())
        .bind(to_db(session.expires_at))
        .execute(&self.writer)
        .await
        .map_err(db_err("session"))?;
        Ok(())
    }

    async fn get_session(&self, id_hash: &str, now: u64) -> StoreResult<Option<SessionRecord>> {
        let row = sqlx::query("SELECT * FROM sessions WHERE id_hash = ? AND expires_at > ?")
            .bind(id_hash)
            .bind(to_db(now))
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(rows::session).transpose()
    }

    async fn get_session_by_sid(&self, sid: &str, now: u64) -> StoreResult<Option<SessionRecord>> {
        let row = sqlx::query("SELECT * FROM sessions WHERE sid = ? AND expires_at > ?")
            .bind(sid)
            .bind(to_db(now))
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(rows::session).transpose()
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<Option<SessionRecord>> {
        let row = sqlx::query("DELETE FROM sessions WHERE id_hash = ? RETURNING *")
            .bind(id_hash)
            .fetch_optional(&self.writer)
            .await
            .map_err(backend)?;
        row.as_ref().map(rows::session).transpose()
    }

    async fn add_session_client(&self, sid: &str, client_id: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO session_clients (sid, client_id) VALUES (?, ?) \
             ON CONFLICT (sid, client_id) DO NOTHING",
        )
        .bind(sid)
        .bind(client_id)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn claim_interaction(&self, id_hash: &str, expires_at: u64) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO used_interactions (id_hash, expires_at) VALUES (?, ?) \
             ON CONFLICT (id_hash) DO NOTHING",
        )
        .bind(id_hash)
        .bind(to_db(expires_at))
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn session_clients(&self, sid: &str) -> StoreResult<Vec<String>> {
        let rows =
            sqlx::query("SELECT client_id FROM session_clients WHERE sid = ? ORDER BY client_id")
                .bind(sid)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        rows.iter()
            .map(|r| r.try_get("client_id").map_err(backend))
            .collect()
    }
}

#[async_trait]
impl ConsentStore for SqliteStore {
    async fn put_consent(&self, consent: &ConsentRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO consents (user_id, client_id, scopes, granted_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (user_id, client_id) \
             DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at",
        )
        .bind(consent.user_id.as_str())
        .bind(consent.client_id.as_str())
        .bind(list_text(&consent.scopes))
        .bind(to_db(consent.granted_at))
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn get_consent(
        &self,
        user_id: &str,
        client_id: &str,
    ) -> StoreResult<Option<ConsentRecord>> {
        let row = sqlx::query("SELECT * FROM consents WHERE user_id = ? AND client_id = ?")
            .bind(user_id)
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(rows::consent).transpose()
    }
}

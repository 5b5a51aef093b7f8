//! Login sessions and consent on PostgreSQL.

use super::PostgresStore;
use super::errors::{backend, db_err};
use crate::rows::{self, to_db};
use crate::{ConsentRecord, ConsentStore, SessionRecord, SessionStore, StoreResult};
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
impl SessionStore for PostgresStore {
    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, sid, user_id, auth_time, amr, acr, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(session.id_hash.as_str())
        .bind(session.sid.as_str())
        .bind(session.user_id.as_str())
        .bind(to_db(session.auth_time))
        .bind(session.amr.as_slice())
        .bind(session.acr.as_deref())
        .bind(to_db(session.expires_at))
        .execute(&self.pool)
        .await
        .map_err(db_err("session"))?;
        Ok(())
    }

    async fn get_session(&self, id_hash: &str, now: u64) -> StoreResult<Option<SessionRecord>> {
        let row = sqlx::query("SELECT * FROM sessions WHERE id_hash = $1 AND expires_at > $2")
            .bind(id_hash)
            .bind(to_db(now))
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(rows::session).transpose()
    }

    async fn get_session_by_sid(&self, sid: &str, now: u64) -> StoreResult<Option<SessionRecord>> {
        let row = sqlx::query("SELECT * FROM sessions WHERE sid = $1 AND expires_at > $2")
            .bind(sid)
            .bind(to_db(now))
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(rows::session).transpose()
    }

    async fn list_sessions(
        &self,
        user_id: Option<&str>,
        now: u64,
    ) -> StoreResult<Vec<SessionRecord>> {
        let found = sqlx::query(
            "SELECT * FROM sessions WHERE expires_at > $1 \
             AND ($2::TEXT IS NULL OR user_id = $2) ORDER BY auth_time, sid",
        )
        .bind(to_db(now))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        found.iter().map(rows::session).collect()
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<Option<SessionRecord>> {
        let row = sqlx::query("DELETE FROM sessions WHERE id_hash = $1 RETURNING *")
            .bind(id_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(rows::session).transpose()
    }

    async fn add_session_client(&self, sid: &str, client_id: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO session_clients (sid, client_id) VALUES ($1, $2) \
             ON CONFLICT (sid, client_id) DO NOTHING",
        )
        .bind(sid)
        .bind(client_id)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn claim_interaction(&self, id_hash: &str, expires_at: u64) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO used_interactions (id_hash, expires_at) VALUES ($1, $2) \
             ON CONFLICT (id_hash) DO NOTHING",
        )
        .bind(id_hash)
        .bind(to_db(expires_at))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn session_clients(&self, sid: &str) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT client_id FROM session_clients WHERE sid = $1 ORDER BY client_id COLLATE \"C\"",
        )
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
impl ConsentStore for PostgresStore {
    async fn put_consent(&self, consent: &ConsentRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO consents (user_id, client_id, scopes, granted_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, client_id) \
             DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at",
        )
        .bind(consent.user_id.as_str())
        .bind(consent.client_id.as_str())
        .bind(consent.scopes.as_slice())
        .bind(to_db(consent.granted_at))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn get_consent(
        &self,
        user_id: &str,
        client_id: &str,
    ) -> StoreResult<Option<ConsentRecord>> {
        let row = sqlx::query("SELECT * FROM consents WHERE user_id = $1 AND client_id = $2")
            .bind(user_id)
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(rows::consent).transpose()
    }

    async fn list_consents(&self, user_id: &str) -> StoreResult<Vec<ConsentRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM consents WHERE user_id = $1 ORDER BY client_id COLLATE \"C\"",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(rows::consent).collect()
    }

    async fn revoke_consent(
        &self,
        user_id: &str,
        client_id: &str,
        now: u64,
    ) -> StoreResult<Option<u64>> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let gone = sqlx::query("DELETE FROM consents WHERE user_id = $1 AND client_id = $2")
            .bind(user_id)
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if gone.rows_affected() == 0 {
            tx.rollback().await.map_err(backend)?;
            return Ok(None);
        }
        let revoked = sqlx::query(
            "UPDATE tokens SET revoked_at = $1 \
             WHERE user_id = $2 AND client_id = $3 AND revoked_at IS NULL",
        )
        .bind(to_db(now))
        .bind(user_id)
        .bind(client_id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        sqlx::query(
            "DELETE FROM codes WHERE user_id = $1 AND client_id = $2 AND consumed_at IS NULL",
        )
        .bind(user_id)
        .bind(client_id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(Some(revoked.rows_affected()))
    }
}

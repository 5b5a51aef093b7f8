//! Login sessions and consent on SQLite.

use rusqlite::params;

use super::{SqliteStore, all, conflict_err, exec, one, sql_err};
use crate::rows::{self, list_text, to_db};
use crate::{ConsentRecord, ConsentStore, SessionRecord, SessionStore, StoreResult};
use async_trait::async_trait;

impl SqliteStore {
    /// The unexpired session whose `column` (`id_hash` or `sid`) is `value`.
    async fn live_session(
        &self,
        sql: &'static str,
        value: &str,
        now: u64,
    ) -> StoreResult<Option<SessionRecord>> {
        let value = value.to_string();
        self.read_by_key(move |conn| {
            one(conn, sql, params![value, to_db(now)], |r| rows::session(r))
        })
        .await
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()> {
        let s = session.clone();
        self.write(move |conn| {
            exec(
                conn,
                "INSERT INTO sessions (id_hash, sid, user_id, auth_time, amr, acr, expires_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
                params![
                    s.id_hash,
                    s.sid,
                    s.user_id,
                    to_db(s.auth_time),
                    list_text(&s.amr),
                    s.acr,
                    to_db(s.expires_at),
                ],
            )
            .map_err(conflict_err("session"))?;
            Ok(())
        })
        .await
    }

    async fn get_session(&self, id_hash: &str, now: u64) -> StoreResult<Option<SessionRecord>> {
        self.live_session(
            "SELECT * FROM sessions WHERE id_hash = ? AND expires_at > ?",
            id_hash,
            now,
        )
        .await
    }

    async fn get_session_by_sid(&self, sid: &str, now: u64) -> StoreResult<Option<SessionRecord>> {
        self.live_session(
            "SELECT * FROM sessions WHERE sid = ? AND expires_at > ?",
            sid,
            now,
        )
        .await
    }

    async fn list_sessions(
        &self,
        user_id: Option<&str>,
        now: u64,
    ) -> StoreResult<Vec<SessionRecord>> {
        let user_id = user_id.map(str::to_string);
        self.read(move |conn| {
            all(
                conn,
                "SELECT * FROM sessions WHERE expires_at > ? AND (? IS NULL OR user_id = ?) \
                 ORDER BY auth_time, sid",
                params![to_db(now), user_id, user_id],
                |r| rows::session(r),
            )
        })
        .await
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<Option<SessionRecord>> {
        let id_hash = id_hash.to_string();
        self.write(move |conn| {
            one(
                conn,
                "DELETE FROM sessions WHERE id_hash = ? RETURNING *",
                [id_hash],
                |r| rows::session(r),
            )
        })
        .await
    }

    async fn add_session_client(&self, sid: &str, client_id: &str) -> StoreResult<()> {
        let (sid, client_id) = (sid.to_string(), client_id.to_string());
        self.write(move |conn| {
            exec(
                conn,
                "INSERT INTO session_clients (sid, client_id) VALUES (?, ?) \
                 ON CONFLICT (sid, client_id) DO NOTHING",
                [sid, client_id],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn claim_interaction(&self, id_hash: &str, expires_at: u64) -> StoreResult<bool> {
        let id_hash = id_hash.to_string();
        self.write(move |conn| {
            let added = exec(
                conn,
                "INSERT INTO used_interactions (id_hash, expires_at) VALUES (?, ?) \
                 ON CONFLICT (id_hash) DO NOTHING",
                params![id_hash, to_db(expires_at)],
            )
            .map_err(sql_err)?;
            Ok(added == 1)
        })
        .await
    }

    async fn session_clients(&self, sid: &str) -> StoreResult<Vec<String>> {
        let sid = sid.to_string();
        self.read(move |conn| {
            all(
                conn,
                "SELECT client_id FROM session_clients WHERE sid = ? ORDER BY client_id",
                [sid],
                |r| r.get("client_id").map_err(sql_err),
            )
        })
        .await
    }
}

#[async_trait]
impl ConsentStore for SqliteStore {
    async fn put_consent(&self, consent: &ConsentRecord) -> StoreResult<()> {
        let c = consent.clone();
        self.write(move |conn| {
            exec(
                conn,
                "INSERT INTO consents (user_id, client_id, scopes, granted_at) \
                 VALUES (?, ?, ?, ?) ON CONFLICT (user_id, client_id) \
                 DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at",
                params![
                    c.user_id,
                    c.client_id,
                    list_text(&c.scopes),
                    to_db(c.granted_at)
                ],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn get_consent(
        &self,
        user_id: &str,
        client_id: &str,
    ) -> StoreResult<Option<ConsentRecord>> {
        let (user_id, client_id) = (user_id.to_string(), client_id.to_string());
        self.read(move |conn| {
            one(
                conn,
                "SELECT * FROM consents WHERE user_id = ? AND client_id = ?",
                [user_id, client_id],
                |r| rows::consent(r),
            )
        })
        .await
    }

    async fn list_consents(&self, user_id: &str) -> StoreResult<Vec<ConsentRecord>> {
        let user_id = user_id.to_string();
        self.read(move |conn| {
            all(
                conn,
                "SELECT * FROM consents WHERE user_id = ? ORDER BY client_id",
                [user_id],
                |r| rows::consent(r),
            )
        })
        .await
    }

    async fn revoke_consent(
        &self,
        user_id: &str,
        client_id: &str,
        now: u64,
    ) -> StoreResult<Option<u64>> {
        let (user_id, client_id) = (user_id.to_string(), client_id.to_string());
        self.write(move |conn| {
            let gone = exec(
                conn,
                "DELETE FROM consents WHERE user_id = ? AND client_id = ?",
                [&user_id, &client_id],
            )
            .map_err(sql_err)?;
            if gone == 0 {
                return Ok(None);
            }
            let revoked = exec(
                conn,
                "UPDATE tokens SET revoked_at = ?1 \
                 WHERE user_id = ?2 AND client_id = ?3 AND revoked_at IS NULL",
                params![to_db(now), user_id, client_id],
            )
            .map_err(sql_err)?;
            exec(
                conn,
                "DELETE FROM codes WHERE user_id = ? AND client_id = ? AND consumed_at IS NULL",
                [&user_id, &client_id],
            )
            .map_err(sql_err)?;
            Ok(Some(revoked as u64))
        })
        .await
    }
}

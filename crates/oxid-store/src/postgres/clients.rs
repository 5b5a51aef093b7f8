//! Clients and users on PostgreSQL.

use super::errors::{backend, db_err};
use super::{CLIENT_COLS, PostgresStore, USER_COLS};
use crate::rows::{self, json_text, to_db};
use crate::{ClientRecord, ClientStore, StoreChange, StoreResult, UserRecord, UserStore};
use async_trait::async_trait;
use sqlx::postgres::PgArguments;
use sqlx::{Postgres, query::Query};

/// Binds every column of a client after `client_id` (which the caller binds first as `$1`).
fn bind_client<'q>(
    q: Query<'q, Postgres, PgArguments>,
    c: &'q ClientRecord,
) -> Query<'q, Postgres, PgArguments> {
    q.bind(c.secret_hash.as_deref())
        .bind(c.secret_encrypted.as_deref())
        .bind(c.client_name.as_deref())
        .bind(c.redirect_uris.as_slice())
        .bind(c.post_logout_redirect_uris.as_slice())
        .bind(c.grant_types.as_slice())
        .bind(c.response_types.as_slice())
        .bind(c.token_endpoint_auth_method.as_str())
        .bind(c.scopes.as_slice())
        .bind(c.id_token_signed_response_alg.as_deref())
        .bind(c.backchannel_logout_uri.as_deref())
        .bind(c.frontchannel_logout_uri.as_deref())
        .bind(c.skip_consent)
        .bind(json_text(&c.metadata))
        .bind(c.registration_token_hash.as_deref())
        .bind(to_db(c.created_at))
}

#[async_trait]
impl ClientStore for PostgresStore {
    async fn insert_client(&self, client: &ClientRecord) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO clients (client_id, secret_hash, secret_encrypted, client_name, \
             redirect_uris, post_logout_redirect_uris, grant_types, response_types, \
             token_endpoint_auth_method, scopes, id_token_signed_response_alg, \
             backchannel_logout_uri, frontchannel_logout_uri, skip_consent, metadata, \
             registration_token_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
             $15::jsonb, $16, $17)",
        )
        .bind(client.client_id.as_str());
        bind_client(q, client)
            .execute(&self.pool)
            .await
            .map_err(db_err("client"))?;
        Ok(())
    }

    async fn update_client(&self, client: &ClientRecord) -> StoreResult<bool> {
        let q = sqlx::query(
            "UPDATE clients SET secret_hash = $2, secret_encrypted = $3, client_name = $4, \
             redirect_uris = $5, post_logout_redirect_uris = $6, grant_types = $7, \
             response_types = $8, token_endpoint_auth_method = $9, scopes = $10, \
             id_token_signed_response_alg = $11, backchannel_logout_uri = $12, \
             frontchannel_logout_uri = $13, skip_consent = $14, metadata = $15::jsonb, \
             registration_token_hash = $16, created_at = $17 WHERE client_id = $1",
        )
        .bind(client.client_id.as_str());
        // Committed together with the change: every instance drops its cached copy at once.
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let done = bind_client(q, client)
            .execute(&mut *tx)
            .await
            .map_err(db_err("client"))?;
        if done.rows_affected() > 0 {
            self.notify(&mut tx, &StoreChange::Client(client.client_id.clone()))
                .await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(done.rows_affected() > 0)
    }

    async fn get_client(&self, client_id: &str) -> StoreResult<Option<ClientRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {CLIENT_COLS} FROM clients WHERE client_id = $1"
        ))
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(rows::client).transpose()
    }

    async fn list_clients(&self) -> StoreResult<Vec<ClientRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {CLIENT_COLS} FROM clients ORDER BY client_id COLLATE \"C\""
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(rows::client).collect()
    }

    async fn delete_client(&self, client_id: &str) -> StoreResult<bool> {
        // Codes, tokens, consents and session links go with it (ON DELETE CASCADE).
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let done = sqlx::query("DELETE FROM clients WHERE client_id = $1")
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if done.rows_affected() > 0 {
            self.notify(&mut tx, &StoreChange::Client(client_id.to_string()))
                .await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(done.rows_affected() > 0)
    }
}

#[async_trait]
impl UserStore for PostgresStore {
    async fn insert_user(&self, user: &UserRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO users (id, username, password_hash, claims, created_at, updated_at) \
             VALUES ($1, $2, $3, $4::jsonb, $5, $6)",
        )
        .bind(user.id.as_str())
        .bind(user.username.as_str())
        .bind(user.password_hash.as_str())
        .bind(json_text(&user.claims))
        .bind(to_db(user.created_at))
        .bind(to_db(user.updated_at))
        .execute(&self.pool)
        .await
        .map_err(db_err("user"))?;
        Ok(())
    }

    async fn get_user(&self, id: &str) -> StoreResult<Option<UserRecord>> {
        let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(rows::user).transpose()
    }

    async fn get_user_by_username(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM users WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(rows::user).transpose()
    }

    async fn find_users_by_email(&self, email: &str) -> StoreResult<Vec<UserRecord>> {
        // The expression is the one indexed (users_email_lower, migration 0027).
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM users WHERE lower(claims->>'email') = lower($1) \
             ORDER BY username COLLATE \"C\" LIMIT 2"
        ))
        .bind(email)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(rows::user).collect()
    }

    async fn list_users(&self) -> StoreResult<Vec<UserRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM users ORDER BY username COLLATE \"C\""
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(rows::user).collect()
    }

    async fn update_user(&self, user: &UserRecord) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE users SET password_hash = $2, claims = $3::jsonb, updated_at = $4 \
             WHERE id = $1",
        )
        .bind(user.id.as_str())
        .bind(user.password_hash.as_str())
        .bind(json_text(&user.claims))
        .bind(to_db(user.updated_at))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() > 0)
    }

    async fn replace_password_hash(
        &self,
        id: &str,
        old_hash: &str,
        new_hash: &str,
    ) -> StoreResult<bool> {
        let done =
            sqlx::query("UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2")
                .bind(id)
                .bind(old_hash)
                .bind(new_hash)
                .execute(&self.pool)
                .await
                .map_err(backend)?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_user(&self, username: &str) -> StoreResult<bool> {
        // Sessions, consents, codes and tokens go with it (ON DELETE CASCADE).
        let done = sqlx::query("DELETE FROM users WHERE username = $1")
            .bind(username)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() > 0)
    }
}

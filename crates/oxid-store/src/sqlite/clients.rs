//! Clients and users on SQLite.

use rusqlite::{Connection, params};

use super::{Listed, SqliteStore, all, conflict_err, exec, one, select, sql_err};
use crate::rows::{self, json_text, list_text, to_db};
use crate::{ClientRecord, ClientStore, StoreResult, UserRecord, UserStore};
use async_trait::async_trait;
use std::sync::LazyLock;

/// The user `id`, its columns named (see `Listed`).
fn user_by_id(conn: &Connection, id: &str) -> StoreResult<Option<UserRecord>> {
    static SQL: LazyLock<String> =
        LazyLock::new(|| select(rows::USER_COLUMNS, "users WHERE id = ?"));
    one(conn, &SQL, [id], |r| {
        rows::user(&Listed::new(r, rows::USER_COLUMNS))
    })
}

/// Runs `sql` with every column of a client bound as `?1` (`client_id`) to `?17`.
fn write_client(conn: &Connection, sql: &str, c: &ClientRecord) -> rusqlite::Result<usize> {
    exec(
        conn,
        sql,
        params![
            c.client_id,
            c.secret_hash,
            c.secret_encrypted,
            c.client_name,
            list_text(&c.redirect_uris),
            list_text(&c.post_logout_redirect_uris),
            list_text(&c.grant_types),
            list_text(&c.response_types),
            c.token_endpoint_auth_method,
            list_text(&c.scopes),
            c.id_token_signed_response_alg,
            c.backchannel_logout_uri,
            c.frontchannel_logout_uri,
            c.skip_consent,
            json_text(&c.metadata),
            c.registration_token_hash,
            to_db(c.created_at),
        ],
    )
}

#[async_trait]
impl ClientStore for SqliteStore {
    async fn insert_client(&self, client: &ClientRecord) -> StoreResult<()> {
        let client = client.clone();
        self.write(move |conn| {
            write_client(
                conn,
                "INSERT INTO clients (client_id, secret_hash, secret_encrypted, client_name, \
                 redirect_uris, post_logout_redirect_uris, grant_types, response_types, \
                 token_endpoint_auth_method, scopes, id_token_signed_response_alg, \
                 backchannel_logout_uri, frontchannel_logout_uri, skip_consent, metadata, \
                 registration_token_hash, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                &client,
            )
            .map_err(conflict_err("client"))?;
            Ok(())
        })
        .await
    }

    async fn update_client(&self, client: &ClientRecord) -> StoreResult<bool> {
        let client = client.clone();
        let id = client.client_id.clone();
        let changed = self
            .write(move |conn| {
                let changed = write_client(
                    conn,
                    "UPDATE clients SET secret_hash = ?2, secret_encrypted = ?3, client_name = ?4, \
                 redirect_uris = ?5, post_logout_redirect_uris = ?6, grant_types = ?7, \
                 response_types = ?8, token_endpoint_auth_method = ?9, scopes = ?10, \
                 id_token_signed_response_alg = ?11, backchannel_logout_uri = ?12, \
                 frontchannel_logout_uri = ?13, skip_consent = ?14, metadata = ?15, \
                 registration_token_hash = ?16, created_at = ?17 WHERE client_id = ?1",
                    &client,
                )
                .map_err(conflict_err("client"))?;
                Ok(changed > 0)
            })
            .await?;
        if changed {
            self.announce(crate::StoreChange::Client(id));
        }
        Ok(changed)
    }

    async fn get_client(&self, client_id: &str) -> StoreResult<Option<ClientRecord>> {
        let client_id = client_id.to_string();
        self.read_by_key(move |conn| {
            one(
                conn,
                "SELECT * FROM clients WHERE client_id = ?",
                [&client_id],
                |r| rows::client(r),
            )
        })
        .await
    }

    async fn list_clients(&self) -> StoreResult<Vec<ClientRecord>> {
        self.read(|conn| {
            all(conn, "SELECT * FROM clients ORDER BY client_id", [], |r| {
                rows::client(r)
            })
        })
        .await
    }

    async fn delete_client(&self, client_id: &str) -> StoreResult<bool> {
        let id = client_id.to_string();
        // Codes, tokens, consents and session links go with it (ON DELETE CASCADE).
        let gone = self
            .write(move |conn| {
                let gone =
                    exec(conn, "DELETE FROM clients WHERE client_id = ?", [id]).map_err(sql_err)?;
                Ok(gone > 0)
            })
            .await?;
        if gone {
            self.announce(crate::StoreChange::Client(client_id.to_string()));
        }
        Ok(gone)
    }
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn insert_user(&self, user: &UserRecord) -> StoreResult<()> {
        let u = user.clone();
        self.write(move |conn| {
            exec(
                conn,
                "INSERT INTO users (id, username, password_hash, claims, created_at, \
                 updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                params![
                    u.id,
                    u.username,
                    u.password_hash,
                    json_text(&u.claims),
                    to_db(u.created_at),
                    to_db(u.updated_at),
                ],
            )
            .map_err(conflict_err("user"))?;
            Ok(())
        })
        .await
    }

    async fn get_user(&self, id: &str) -> StoreResult<Option<UserRecord>> {
        let id = id.to_string();
        self.read_by_key(move |conn| user_by_id(conn, &id)).await
    }

    async fn get_user_by_username(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        let username = username.to_string();
        self.read_by_key(move |conn| {
            one(
                conn,
                "SELECT * FROM users WHERE username = ?",
                [&username],
                |r| rows::user(r),
            )
        })
        .await
    }

    async fn find_users_by_email(&self, email: &str) -> StoreResult<Vec<UserRecord>> {
        let email = email.to_string();
        self.read(move |conn| {
            // The expression is the one indexed (users_email_lower, migration 0028); SQLite's
            // lower() folds ASCII only, so the argument is folded the same way.
            all(
                conn,
                "SELECT * FROM users WHERE lower(json_extract(claims, '$.email')) = lower(?) \
                 ORDER BY username LIMIT 2",
                [email],
                |r| rows::user(r),
            )
        })
        .await
    }

    async fn list_users(&self) -> StoreResult<Vec<UserRecord>> {
        self.read(|conn| {
            all(conn, "SELECT * FROM users ORDER BY username", [], |r| {
                rows::user(r)
            })
        })
        .await
    }

    async fn update_user(&self, user: &UserRecord) -> StoreResult<bool> {
        let u = user.clone();
        self.write(move |conn| {
            let changed = exec(
                conn,
                "UPDATE users SET password_hash = ?, claims = ?, updated_at = ? WHERE id = ?",
                params![
                    u.password_hash,
                    json_text(&u.claims),
                    to_db(u.updated_at),
                    u.id
                ],
            )
            .map_err(sql_err)?;
            Ok(changed > 0)
        })
        .await
    }

    async fn replace_password_hash(
        &self,
        id: &str,
        old_hash: &str,
        new_hash: &str,
    ) -> StoreResult<bool> {
        let (id, old, new) = (id.to_string(), old_hash.to_string(), new_hash.to_string());
        self.write(move |conn| {
            let changed = exec(
                conn,
                "UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?",
                params![new, id, old],
            )
            .map_err(sql_err)?;
            Ok(changed > 0)
        })
        .await
    }

    async fn delete_user(&self, username: &str) -> StoreResult<bool> {
        let username = username.to_string();
        // Sessions, consents, codes and tokens go with it (ON DELETE CASCADE).
        self.write(move |conn| {
            let gone =
                exec(conn, "DELETE FROM users WHERE username = ?", [username]).map_err(sql_err)?;
            Ok(gone > 0)
        })
        .await
    }
}

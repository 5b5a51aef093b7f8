//! Authorization codes and tokens on SQLite. Single use and rotation are conditional
//! `UPDATE … RETURNING` statements inside one job: the database, not Rust, decides who wins,
//! and a rotation's two statements share the job's savepoint (all or nothing).

use rusqlite::{Connection, params};

use super::{Listed, SqliteStore, conflict_err, exec, one, qualified, select, sql_err};
use crate::rows::{self, json_text, list_text, opt_to_db, to_db};
use crate::{
    CodeConsumption, CodeRecord, CodeStore, RefreshRotation, StoreResult, TokenRecord, TokenStore,
    TokenView,
};
use async_trait::async_trait;
use std::sync::LazyLock;

fn insert_token_on(conn: &Connection, t: &TokenRecord) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO tokens (token_hash, kind, grant_id, client_id, user_id, scopes, sid, \
         auth_time, claims_request, audience, grant_expires_at, issued_at, expires_at, \
         consumed_at, revoked_at, dpop_jkt) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            t.token_hash,
            t.kind.as_str(),
            t.grant_id,
            t.client_id,
            t.user_id,
            list_text(&t.scopes),
            t.sid,
            opt_to_db(t.auth_time),
            t.claims_request.as_ref().map(json_text),
            t.audience,
            opt_to_db(t.grant_expires_at),
            to_db(t.issued_at),
            to_db(t.expires_at),
            opt_to_db(t.consumed_at),
            opt_to_db(t.revoked_at),
            t.dpop_jkt,
        ],
    )
    .map_err(conflict_err("token"))?;
    Ok(())
}

/// The statement of [`token_by_hash`].
pub(super) fn token_by_hash_sql() -> String {
    select(rows::TOKEN_COLUMNS, "tokens WHERE token_hash = ?")
}

/// The token `token_hash`, its columns named (see `Listed`).
fn token_by_hash(conn: &Connection, token_hash: &str) -> StoreResult<Option<TokenRecord>> {
    static SQL: LazyLock<String> = LazyLock::new(token_by_hash_sql);
    one(conn, &SQL, [token_hash], |r| {
        rows::token(&Listed::new(r, rows::TOKEN_COLUMNS))
    })
}

/// The statement of [`token_view`]: the token, its user and (when `exchanged_grant`) its
/// exchanged grant in one row, joined.
pub(super) fn token_view_sql(exchanged_grant: bool) -> String {
    let mut sql = format!(
        "SELECT {}, {}",
        qualified("t", rows::TOKEN_COLUMNS),
        qualified("u", rows::USER_COLUMNS)
    );
    if exchanged_grant {
        sql.push_str(", ");
        sql.push_str(&qualified("x", rows::EXCHANGED_GRANT_COLUMNS));
    }
    sql.push_str(" FROM tokens t LEFT JOIN users u ON u.id = t.user_id");
    if exchanged_grant {
        sql.push_str(" LEFT JOIN exchanged_grants x ON x.grant_id = t.grant_id");
    }
    sql.push_str(" WHERE t.token_hash = ?");
    sql
}

/// `TokenStore::get_token_view` in one statement: a join costs SQLite one step, where a
/// statement per table costs a statement-cache lookup, a step and a reset each (~5,000
/// instructions for the exchanged grant's lookup that finds none, bench/README.md).
fn token_view(
    conn: &Connection,
    token_hash: &str,
    exchanged_grant: bool,
) -> StoreResult<Option<TokenView>> {
    static WITH_GRANT: LazyLock<String> = LazyLock::new(|| token_view_sql(true));
    static WITHOUT_GRANT: LazyLock<String> = LazyLock::new(|| token_view_sql(false));
    let sql = if exchanged_grant {
        &WITH_GRANT
    } else {
        &WITHOUT_GRANT
    };
    one(conn, sql, [token_hash], |r| {
        let token = rows::token(&Listed::new(r, rows::TOKEN_COLUMNS))?;
        // The key of a joined row is never NULL: NULL is no row (no user, or a user gone;
        // a grant not minted by exchange).
        let joined = |first: usize| -> StoreResult<bool> {
            let key = r.get_ref(first).map_err(sql_err)?;
            Ok(key != rusqlite::types::ValueRef::Null)
        };
        let user_at = rows::TOKEN_COLUMNS.len();
        let user = match joined(user_at)? {
            true => Some(rows::user(&Listed::at(r, rows::USER_COLUMNS, user_at))?),
            false => None,
        };
        let grant_at = user_at + rows::USER_COLUMNS.len();
        let exchanged_grant = match exchanged_grant && joined(grant_at)? {
            true => Some(rows::exchanged_grant(&Listed::at(
                r,
                rows::EXCHANGED_GRANT_COLUMNS,
                grant_at,
            ))?),
            false => None,
        };
        Ok(TokenView {
            token,
            user,
            exchanged_grant,
        })
    })
}

/// The `grant_id` column of a row.
fn grant_id(r: &rusqlite::Row<'_>) -> StoreResult<String> {
    r.get("grant_id").map_err(sql_err)
}

#[async_trait]
impl CodeStore for SqliteStore {
    async fn insert_code(&self, code: &CodeRecord) -> StoreResult<()> {
        let c = code.clone();
        self.write(move |conn| {
            exec(
                conn,
                "INSERT INTO codes (code_hash, grant_id, client_id, user_id, redirect_uri, \
                 scopes, nonce, code_challenge, code_challenge_method, sid, auth_time, acr, \
                 amr, claims_request, resource, expires_at, dpop_jkt) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params![
                    c.code_hash,
                    c.grant_id,
                    c.client_id,
                    c.user_id,
                    c.redirect_uri,
                    list_text(&c.scopes),
                    c.nonce,
                    c.code_challenge,
                    c.code_challenge_method,
                    c.sid,
                    to_db(c.auth_time),
                    c.acr,
                    list_text(&c.amr),
                    c.claims_request.as_ref().map(json_text),
                    c.resource,
                    to_db(c.expires_at),
                    c.dpop_jkt,
                ],
            )
            .map_err(conflict_err("code"))?;
            Ok(())
        })
        .await
    }

    async fn consume_code(&self, code_hash: &str, now: u64) -> StoreResult<CodeConsumption> {
        let code_hash = code_hash.to_string();
        self.write(move |conn| {
            let won = one(
                conn,
                "UPDATE codes SET consumed_at = ?1 \
                 WHERE code_hash = ?2 AND consumed_at IS NULL AND expires_at > ?1 RETURNING *",
                params![to_db(now), code_hash],
                |r| rows::code(r),
            )?;
            if let Some(code) = won {
                return Ok(CodeConsumption::Consumed(code));
            }
            // Lost: only tell a replay (RFC 6749 §4.1.2) from an unknown or expired code.
            let replayed = one(
                conn,
                "SELECT grant_id FROM codes WHERE code_hash = ? AND consumed_at IS NOT NULL",
                [code_hash],
                grant_id,
            )?;
            Ok(match replayed {
                Some(grant_id) => CodeConsumption::AlreadyConsumed { grant_id },
                None => CodeConsumption::NotFound,
            })
        })
        .await
    }
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn insert_token(&self, token: &TokenRecord) -> StoreResult<()> {
        let token = token.clone();
        // One INSERT: SQLite undoes it alone when it fails.
        self.write_one_statement(move |conn| insert_token_on(conn, &token))
            .await
    }

    async fn get_token(&self, token_hash: &str) -> StoreResult<Option<TokenRecord>> {
        let token_hash = token_hash.to_string();
        self.read_by_key(move |conn| token_by_hash(conn, &token_hash))
            .await
    }

    async fn get_token_view(
        &self,
        token_hash: &str,
        exchanged_grant: bool,
    ) -> StoreResult<Option<TokenView>> {
        let token_hash = token_hash.to_string();
        self.read_by_key(move |conn| token_view(conn, &token_hash, exchanged_grant))
            .await
    }

    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new_tokens: &[TokenRecord],
        sealed_reply: Option<&[u8]>,
        now: u64,
    ) -> StoreResult<RefreshRotation> {
        let (old_hash, new_tokens) = (old_hash.to_string(), new_tokens.to_vec());
        let sealed_reply = sealed_reply.map(<[u8]>::to_vec);
        self.write(move |conn| {
            let won = one(
                conn,
                "UPDATE tokens SET consumed_at = ?1, reply_sealed = ?3 \
                 WHERE token_hash = ?2 AND kind = 'refresh' AND consumed_at IS NULL \
                 AND revoked_at IS NULL AND expires_at > ?1 RETURNING *",
                params![to_db(now), old_hash, sealed_reply],
                |r| rows::token(r),
            )?;
            if let Some(old) = won {
                // Failing here fails the job, whose savepoint rollback keeps the old token live.
                for token in &new_tokens {
                    insert_token_on(conn, token)?;
                }
                return Ok(RefreshRotation::Rotated(old));
            }
            // Lost: only tell reuse of a spent or revoked token from an unknown or expired one.
            let reused = one(
                conn,
                "SELECT grant_id, consumed_at, revoked_at, reply_sealed FROM tokens \
                 WHERE token_hash = ? AND kind = 'refresh' \
                 AND (consumed_at IS NOT NULL OR revoked_at IS NOT NULL)",
                [old_hash],
                |r| {
                    let revoked_at: Option<i64> = r.get("revoked_at").map_err(sql_err)?;
                    Ok(RefreshRotation::Reused {
                        grant_id: grant_id(r)?,
                        consumed_at: r
                            .get::<_, Option<i64>>("consumed_at")
                            .map_err(sql_err)?
                            .map(rows::from_db),
                        revoked: revoked_at.is_some(),
                        sealed_reply: r.get("reply_sealed").map_err(sql_err)?,
                    })
                },
            )?;
            Ok(reused.unwrap_or(RefreshRotation::NotFound))
        })
        .await
    }

    async fn revoke_token(&self, token_hash: &str, now: u64) -> StoreResult<bool> {
        let token_hash = token_hash.to_string();
        self.write(move |conn| {
            let changed = exec(
                conn,
                "UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?1) WHERE token_hash = ?2",
                params![to_db(now), token_hash],
            )
            .map_err(sql_err)?;
            Ok(changed > 0)
        })
        .await
    }

    async fn revoke_grant(&self, grant_id: &str, now: u64) -> StoreResult<u64> {
        let grant_id = grant_id.to_string();
        self.write(move |conn| {
            let changed = exec(
                conn,
                "UPDATE tokens SET revoked_at = ?1 WHERE grant_id = ?2 AND revoked_at IS NULL",
                params![to_db(now), grant_id],
            )
            .map_err(sql_err)?;
            Ok(changed as u64)
        })
        .await
    }

    async fn purge_expired_chunk(&self, now: u64, limit: u64) -> StoreResult<u64> {
        self.write(move |conn| super::purge::chunk(conn, to_db(now), limit))
            .await
    }
}

//! Authorization codes and tokens on PostgreSQL. Single use and rotation are conditional
//! `UPDATE … RETURNING` statements: the database, not Rust, decides who wins.

use super::errors::{backend, db_err};
use super::{CODE_COLS, PostgresStore, TOKEN_COLS};
use crate::rows::{self, json_text, opt_to_db, to_db};
use crate::{
    CodeConsumption, CodeRecord, CodeStore, RefreshRotation, StoreResult, TokenRecord, TokenStore,
    TokenView,
};
use async_trait::async_trait;
use sqlx::{PgExecutor, Row};

async fn insert_token_with<'e>(db: impl PgExecutor<'e>, t: &TokenRecord) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO tokens (token_hash, kind, grant_id, client_id, user_id, scopes, sid, \
         auth_time, claims_request, audience, grant_expires_at, issued_at, expires_at, \
         consumed_at, revoked_at, dpop_jkt) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(t.token_hash.as_str())
    .bind(t.kind.as_str())
    .bind(t.grant_id.as_str())
    .bind(t.client_id.as_str())
    .bind(t.user_id.as_deref())
    .bind(t.scopes.as_slice())
    .bind(t.sid.as_deref())
    .bind(opt_to_db(t.auth_time))
    .bind(t.claims_request.as_ref().map(json_text))
    .bind(t.audience.as_deref())
    .bind(opt_to_db(t.grant_expires_at))
    .bind(to_db(t.issued_at))
    .bind(to_db(t.expires_at))
    .bind(opt_to_db(t.consumed_at))
    .bind(opt_to_db(t.revoked_at))
    .bind(t.dpop_jkt.as_deref())
    .execute(db)
    .await
    .map_err(db_err("token"))?;
    Ok(())
}

#[async_trait]
impl CodeStore for PostgresStore {
    async fn insert_code(&self, code: &CodeRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO codes (code_hash, grant_id, client_id, user_id, redirect_uri, scopes, \
             nonce, code_challenge, code_challenge_method, sid, auth_time, acr, amr, \
             claims_request, resource, expires_at, dpop_jkt) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, \
             $16, $17)",
        )
        .bind(code.code_hash.as_str())
        .bind(code.grant_id.as_str())
        .bind(code.client_id.as_str())
        .bind(code.user_id.as_str())
        .bind(code.redirect_uri.as_deref())
        .bind(code.scopes.as_slice())
        .bind(code.nonce.as_deref())
        .bind(code.code_challenge.as_deref())
        .bind(code.code_challenge_method.as_deref())
        .bind(code.sid.as_deref())
        .bind(to_db(code.auth_time))
        .bind(code.acr.as_deref())
        .bind(code.amr.as_slice())
        .bind(code.claims_request.as_ref().map(json_text))
        .bind(code.resource.as_deref())
        .bind(to_db(code.expires_at))
        .bind(code.dpop_jkt.as_deref())
        .execute(&self.pool)
        .await
        .map_err(db_err("code"))?;
        Ok(())
    }

    async fn consume_code(&self, code_hash: &str, now: u64) -> StoreResult<CodeConsumption> {
        let won = sqlx::query(&format!(
            "UPDATE codes SET consumed_at = $1 \
             WHERE code_hash = $2 AND consumed_at IS NULL AND expires_at > $1 \
             RETURNING {CODE_COLS}"
        ))
        .bind(to_db(now))
        .bind(code_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        if let Some(row) = won {
            return Ok(CodeConsumption::Consumed(rows::code(&row)?));
        }
        // Lost: only tell a replay (RFC 6749 §4.1.2) from an unknown or expired code.
        let row = sqlx::query(
            "SELECT grant_id FROM codes WHERE code_hash = $1 AND consumed_at IS NOT NULL",
        )
        .bind(code_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        match row {
            Some(r) => Ok(CodeConsumption::AlreadyConsumed {
                grant_id: r.try_get("grant_id").map_err(backend)?,
            }),
            None => Ok(CodeConsumption::NotFound),
        }
    }
}

#[async_trait]
impl TokenStore for PostgresStore {
    async fn insert_token(&self, token: &TokenRecord) -> StoreResult<()> {
        insert_token_with(&self.pool, token).await
    }

    async fn get_token(&self, token_hash: &str) -> StoreResult<Option<TokenRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLS} FROM tokens WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(rows::token).transpose()
    }

    async fn get_token_view(
        &self,
        token_hash: &str,
        exchanged_grant: bool,
    ) -> StoreResult<Option<TokenView>> {
        // Three queries on the pool, as the callers made them before (no round trip saved).
        let Some(token) = self.get_token(token_hash).await? else {
            return Ok(None);
        };
        let user = match &token.user_id {
            Some(id) => crate::UserStore::get_user(self, id).await?,
            None => None,
        };
        let exchanged_grant = match exchanged_grant {
            true => crate::ExchangeStore::get_exchanged_grant(self, &token.grant_id).await?,
            false => None,
        };
        Ok(Some(TokenView {
            token,
            user,
            exchanged_grant,
        }))
    }

    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new_tokens: &[TokenRecord],
        sealed_reply: Option<&[u8]>,
        now: u64,
    ) -> StoreResult<RefreshRotation> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // Concurrent rotations of one token queue on its row lock; the losers then find it
        // consumed and read the winner's committed reply below.
        let won = sqlx::query(&format!(
            "UPDATE tokens SET consumed_at = $1, reply_sealed = $3 \
             WHERE token_hash = $2 AND kind = 'refresh' AND consumed_at IS NULL \
             AND revoked_at IS NULL AND expires_at > $1 RETURNING {TOKEN_COLS}"
        ))
        .bind(to_db(now))
        .bind(old_hash)
        .bind(sealed_reply)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        if let Some(row) = won {
            let old = rows::token(&row)?;
            for token in new_tokens {
                insert_token_with(&mut *tx, token).await?;
            }
            tx.commit().await.map_err(backend)?;
            return Ok(RefreshRotation::Rotated(old));
        }
        tx.rollback().await.map_err(backend)?;
        // Lost: only tell reuse of a spent or revoked token from an unknown or expired one.
        let row = sqlx::query(
            "SELECT grant_id, consumed_at, revoked_at, reply_sealed FROM tokens \
             WHERE token_hash = $1 AND kind = 'refresh' \
             AND (consumed_at IS NOT NULL OR revoked_at IS NOT NULL)",
        )
        .bind(old_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        match row {
            Some(r) => {
                let consumed_at: Option<i64> = r.try_get("consumed_at").map_err(backend)?;
                let revoked_at: Option<i64> = r.try_get("revoked_at").map_err(backend)?;
                Ok(RefreshRotation::Reused {
                    grant_id: r.try_get("grant_id").map_err(backend)?,
                    consumed_at: consumed_at.map(rows::from_db),
                    revoked: revoked_at.is_some(),
                    sealed_reply: r.try_get("reply_sealed").map_err(backend)?,
                })
            }
            None => Ok(RefreshRotation::NotFound),
        }
    }

    async fn revoke_token(&self, token_hash: &str, now: u64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE token_hash = $2",
        )
        .bind(to_db(now))
        .bind(token_hash)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() > 0)
    }

    async fn revoke_grant(&self, grant_id: &str, now: u64) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL",
        )
        .bind(to_db(now))
        .bind(grant_id)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn purge_expired_chunk(&self, now: u64, limit: u64) -> StoreResult<u64> {
        super::purge::chunk(&self.pool, to_db(now), limit).await
    }
}

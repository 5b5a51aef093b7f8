//! Refresh token rotation (RFC 9700 §4.14.2) with the client's optional grace window.
//!
//! A rotation is one atomic store call: the presented token is consumed and the new refresh
//! token and the access token issued with it are stored together, so a response only ever
//! carries stored tokens. A token presented again after its rotation is reuse, and reuse
//! revokes the whole family, except within the client's `refresh_token_grace` seconds: a
//! client that lost the answer (a dropped connection, a retry in a mobile app) gets the
//! very same answer again. That answer is kept with the spent token sealed by the secret box
//! (AES-256-GCM bound to the token's hash), never in clear; concurrent retries all read the
//! one answer the winning rotation committed.

use oxid_protocol::token::TokenResponse;
use oxid_store::{RefreshRotation, Store, TokenRecord};

use crate::crypto::SecretBox;
use crate::error::OAuthError;

/// The secret box context of the reply kept with the refresh token hashed `old_hash`.
fn reply_context(old_hash: &str) -> Vec<u8> {
    format!("oxid/refresh-reply/{old_hash}").into_bytes()
}

/// One rotation: the presented token's hash and what replaces it.
pub struct Rotation<'a> {
    /// `sha256` of the presented refresh token.
    pub old_hash: &'a str,
    /// The new refresh token and the access token issued with it.
    pub new_tokens: &'a [TokenRecord],
    /// The answer the rotation gives (returned as it is, not copied).
    pub reply: TokenResponse,
    /// The client's grace window in seconds (0: off).
    pub grace: u64,
    /// The client, for the log.
    pub client_id: &'a str,
    /// The time of the request.
    pub now: u64,
}

/// Rotates; the answer is `rotation.reply`, or within the grace window the answer of the
/// rotation that spent the token; reuse outside it revokes the family (`invalid_grant`).
pub async fn rotate(
    store: &dyn Store,
    secret_box: &SecretBox,
    rotation: Rotation<'_>,
) -> Result<TokenResponse, OAuthError> {
    let sealed = if rotation.grace > 0 {
        let json = serde_json::to_vec(&rotation.reply).map_err(OAuthError::server)?;
        Some(secret_box.encrypt_for(&reply_context(rotation.old_hash), &json)?)
    } else {
        None
    };
    let outcome = store
        .rotate_refresh_token(
            rotation.old_hash,
            rotation.new_tokens,
            sealed.as_deref(),
            rotation.now,
        )
        .await?;
    match outcome {
        RefreshRotation::Rotated(_) => Ok(rotation.reply),
        RefreshRotation::Reused {
            grant_id,
            consumed_at,
            revoked,
            sealed_reply,
        } => {
            let within_grace = !revoked
                && rotation.grace > 0
                && consumed_at.is_some_and(|at| rotation.now <= at.saturating_add(rotation.grace));
            if within_grace && let Some(sealed) = sealed_reply {
                let json = secret_box.decrypt_for(&reply_context(rotation.old_hash), &sealed)?;
                let reply: TokenResponse =
                    serde_json::from_slice(&json).map_err(OAuthError::server)?;
                tracing::info!(
                    client_id = rotation.client_id,
                    "refresh token retried within its grace window"
                );
                return Ok(reply);
            }
            let revoked = store.revoke_grant(&grant_id, rotation.now).await?;
            tracing::warn!(
                client_id = rotation.client_id,
                revoked,
                "refresh token reused"
            );
            Err(OAuthError::invalid_grant(
                "the refresh token was already used; its grant is revoked",
            ))
        }
        RefreshRotation::NotFound => Err(OAuthError::invalid_grant(
            "the refresh token is invalid or expired",
        )),
    }
}

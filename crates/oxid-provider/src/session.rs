//! Login sessions: a server-side record behind an HttpOnly cookie that holds only a random
//! value; the store keeps its hash.

use axum::http::HeaderMap;
use oxid_store::{SessionRecord, UserRecord};

use crate::crypto::secrets::{random_id, random_token, sha256_hex};
use crate::error::OAuthError;
use crate::http::cookies::{SESSION_COOKIE, read_cookie, set_cookie};
use crate::state::Provider;

/// The live session of the browser that sent `headers`, if any.
pub async fn current_session(
    provider: &Provider,
    headers: &HeaderMap,
) -> Result<Option<SessionRecord>, OAuthError> {
    let Some(value) = read_cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    Ok(provider
        .store()
        .get_session(&sha256_hex(value), provider.now())
        .await?)
}

/// Starts a session for `user` after a successful password login; returns the record and
/// the `Set-Cookie` value.
pub async fn start_session(
    provider: &Provider,
    user: &UserRecord,
) -> Result<(SessionRecord, String), OAuthError> {
    let now = provider.now();
    let lifetime = provider.config().lifetimes.session;
    let value = random_token();
    let session = SessionRecord {
        id_hash: sha256_hex(&value),
        sid: random_id(16),
        user_id: user.id.clone(),
        auth_time: now,
        amr: vec!["pwd".into()],
        acr: None,
        expires_at: now + lifetime,
    };
    provider.store().insert_session(&session).await?;
    let cookie = set_cookie(provider.config(), SESSION_COOKIE, &value, lifetime);
    Ok((session, cookie))
}

/// Ends the browser's session, if any; returns it and the `Set-Cookie` that clears the cookie.
pub async fn end_session(
    provider: &Provider,
    headers: &HeaderMap,
) -> Result<(Option<SessionRecord>, String), OAuthError> {
    let clear = set_cookie(provider.config(), SESSION_COOKIE, "", 0);
    let Some(value) = read_cookie(headers, SESSION_COOKIE) else {
        return Ok((None, clear));
    };
    let session = provider.store().delete_session(&sha256_hex(value)).await?;
    Ok((session, clear))
}

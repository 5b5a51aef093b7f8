//! Login sessions: a server-side record behind a random value that the browser keeps in an
//! HttpOnly cookie (read and written by `http::cookies`); the store keeps only its hash.

use oxid_store::{SessionRecord, UserRecord};

use crate::crypto::secrets::{random_id, random_token, sha256_hex};
use crate::error::OAuthError;
use crate::state::Provider;

/// A session just started: its record, and the random value the browser must hold.
#[derive(Debug)]
pub struct StartedSession {
    /// The stored session.
    pub record: SessionRecord,
    /// The value for the session cookie; never stored (the store has its hash).
    pub token: String,
}

/// The live session named by the browser's session `token`, if any.
pub async fn current_session(
    provider: &Provider,
    token: Option<&str>,
) -> Result<Option<SessionRecord>, OAuthError> {
    let Some(token) = token else {
        return Ok(None);
    };
    Ok(provider
        .store()
        .get_session(&sha256_hex(token), provider.now())
        .await?)
}

/// Starts a session for `user` after a successful password login.
pub async fn start_session(
    provider: &Provider,
    user: &UserRecord,
) -> Result<StartedSession, OAuthError> {
    let now = provider.now();
    let token = random_token();
    let record = SessionRecord {
        id_hash: sha256_hex(&token),
        sid: random_id(16),
        user_id: user.id.clone(),
        auth_time: now,
        amr: vec!["pwd".into()],
        acr: None,
        expires_at: now + provider.config().lifetimes.session,
    };
    provider.store().insert_session(&record).await?;
    Ok(StartedSession { record, token })
}

/// Ends the login session named by `token`, if any, and returns it. Only the session ends
/// here; telling its clients is `logout::log_out`'s part.
pub async fn end_login_session(
    provider: &Provider,
    token: Option<&str>,
) -> Result<Option<SessionRecord>, OAuthError> {
    let Some(token) = token else {
        return Ok(None);
    };
    Ok(provider.store().delete_session(&sha256_hex(token)).await?)
}

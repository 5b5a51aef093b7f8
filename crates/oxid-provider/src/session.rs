//! Login sessions: a server-side record behind a random value that the browser keeps in an
//! HttpOnly cookie (read and written by `http::cookies`); the store keeps only its hash.
//!
//! A session has two lifetimes: an absolute one from the login (`lifetimes.session`) and,
//! when `[sessions] idle_secs` is set, an idle one that each use of the session renews, never
//! past the absolute end. Ending a session (logout, an operator, the user's removal) goes
//! through `outbox::end_session`, which queues its back-channel logout tokens with it.

use oxid_store::{SessionKey, SessionRecord, UserRecord};
use serde::Deserialize;

use crate::crypto::secrets::{random_id, random_token, sha256_hex};
use crate::error::OAuthError;
use crate::state::Provider;

/// The `[sessions]` settings (docs/configuration.md).
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSettings {
    /// Seconds a session lasts without being used; 0 (the default) for no idle limit, only
    /// the absolute `lifetimes.session`.
    pub idle_secs: u64,
}

impl SessionSettings {
    /// When a session that authenticated at `auth_time` and was last used at `now` ends.
    pub fn expires_at(&self, auth_time: u64, now: u64, absolute: u64) -> u64 {
        let absolute_end = auth_time.saturating_add(absolute);
        match self.idle_secs {
            0 => absolute_end,
            idle => absolute_end.min(now.saturating_add(idle)),
        }
    }
}

/// A session just started: its record, and the random value the browser must hold.
#[derive(Debug)]
pub struct StartedSession {
    /// The stored session.
    pub record: SessionRecord,
    /// The value for the session cookie; never stored (the store has its hash).
    pub token: String,
}

/// The live session named by the browser's session `token`, if any; using it renews its
/// idle lifetime.
pub async fn current_session(
    provider: &Provider,
    token: Option<&str>,
) -> Result<Option<SessionRecord>, OAuthError> {
    let Some(token) = token else {
        return Ok(None);
    };
    let now = provider.now();
    let id_hash = sha256_hex(token);
    let Some(session) = provider.store().get_session(&id_hash, now).await? else {
        return Ok(None);
    };
    let config = provider.config();
    let renewed = config
        .sessions
        .expires_at(session.auth_time, now, config.lifetimes.session);
    // Written only when it moves the end by a tenth of the idle time or more, so a busy
    // session is not rewritten on every request.
    let step = config.sessions.idle_secs / 10;
    if config.sessions.idle_secs > 0 && renewed > session.expires_at.saturating_add(step) {
        provider
            .store()
            .renew_session(&id_hash, now, renewed)
            .await?;
        return Ok(Some(SessionRecord {
            expires_at: renewed,
            ..session
        }));
    }
    Ok(Some(session))
}

/// Starts a session for `user` after a successful password login.
pub async fn start_session(
    provider: &Provider,
    user: &UserRecord,
) -> Result<StartedSession, OAuthError> {
    let now = provider.now();
    let token = random_token();
    let config = provider.config();
    let record = SessionRecord {
        id_hash: sha256_hex(&token),
        sid: random_id(16),
        user_id: user.id.clone(),
        auth_time: now,
        amr: vec!["pwd".into()],
        acr: None,
        expires_at: config
            .sessions
            .expires_at(now, now, config.lifetimes.session),
    };
    provider.store().insert_session(&record).await?;
    Ok(StartedSession { record, token })
}

/// Ends the login session named by `token`, if any, and returns it; its back-channel logout
/// tokens are queued with it (`outbox::end_session`). Front-channel logout is
/// `logout::log_out`'s part.
pub async fn end_login_session(
    provider: &Provider,
    token: Option<&str>,
) -> Result<Option<SessionRecord>, OAuthError> {
    let Some(token) = token else {
        return Ok(None);
    };
    let key = SessionKey::IdHash(sha256_hex(token));
    Ok(crate::outbox::end_session(provider, &key).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_ends_at_the_earlier_of_its_idle_and_absolute_ends() {
        let off = SessionSettings { idle_secs: 0 };
        assert_eq!(off.expires_at(1000, 5000, 10_000), 11_000);
        let idle = SessionSettings { idle_secs: 600 };
        assert_eq!(idle.expires_at(1000, 1000, 10_000), 1600);
        assert_eq!(idle.expires_at(1000, 5000, 10_000), 5600, "renewed by use");
        assert_eq!(
            idle.expires_at(1000, 10_900, 10_000),
            11_000,
            "never past the absolute end"
        );
    }
}

//! Login sessions as operators see them (`oxid session`, `/admin/v1/sessions`) and their
//! revocation, which ends a session as logout does: the session is gone and its clients'
//! logout tokens are queued with it (OIDC Back-Channel Logout 1.0 §2.5, §2.7), delivered by
//! the sender of a serving instance.

use oxid_store::{SessionRecord, Store};
use serde::Serialize;

use super::AdminError;
use crate::state::Provider;

/// A live session, without the hash of its cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = Session)]
pub struct SessionView {
    /// The session's id in the admin API and CLI: its public `sid` (the cookie's value, the
    /// only other name it has, is never stored).
    pub id: String,
    /// The `sid` claim of its ID and logout tokens.
    pub sid: String,
    /// The user's `sub`.
    pub sub: String,
    /// The user's login name.
    pub username: String,
    /// When the user authenticated.
    pub auth_time: u64,
    /// When the session ends.
    pub expires_at: u64,
    /// Authentication methods.
    pub amr: Vec<String>,
    /// Authentication context class, when one was met.
    pub acr: Option<String>,
}

/// The user named `username` (case-mapped as logins compare it).
pub async fn user_by_username(
    store: &dyn Store,
    username: &str,
) -> Result<oxid_store::UserRecord, AdminError> {
    let normalized = crate::throttle::normalize_username(username);
    store
        .get_user_by_username(&normalized)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("no user {username:?}")))
}

/// The live sessions, of user `username` only when given.
pub async fn list_sessions(
    store: &dyn Store,
    username: Option<&str>,
    now: u64,
) -> Result<Vec<SessionView>, AdminError> {
    let user = match username {
        Some(name) => Some(user_by_username(store, name).await?),
        None => None,
    };
    let sessions = store
        .list_sessions(user.as_ref().map(|u| u.id.as_str()), now)
        .await?;
    let mut views = Vec::with_capacity(sessions.len());
    for session in sessions {
        let username = match &user {
            Some(user) => user.username.clone(),
            None => match store.get_user(&session.user_id).await? {
                Some(user) => user.username,
                None => continue,
            },
        };
        views.push(view(session, username));
    }
    Ok(views)
}

fn view(session: SessionRecord, username: String) -> SessionView {
    SessionView {
        id: session.sid.clone(),
        sid: session.sid,
        sub: session.user_id,
        username,
        auth_time: session.auth_time,
        expires_at: session.expires_at,
        amr: session.amr,
        acr: session.acr,
    }
}

/// Ends session `sid` as logout does and tells its clients; `NotFound` when no live session
/// has this id.
pub async fn revoke_session(provider: &Provider, sid: &str) -> Result<(), AdminError> {
    let not_found = || AdminError::NotFound(format!("no live session {sid:?}"));
    provider
        .store()
        .get_session_by_sid(sid, provider.now())
        .await?
        .ok_or_else(not_found)?;
    // Whoever ends it first queues its logout tokens, once, in the same transaction.
    let key = oxid_store::SessionKey::Sid(sid.to_string());
    let ended = crate::outbox::end_session(provider, &key)
        .await?
        .ok_or_else(not_found)?;
    tracing::info!(sid = %ended.sid, "session revoked by an operator");
    Ok(())
}

/// Ends every live session of user `username`; returns the `sid`s ended.
pub async fn revoke_user_sessions(
    provider: &Provider,
    username: &str,
) -> Result<Vec<String>, AdminError> {
    let sessions = list_sessions(provider.store(), Some(username), provider.now()).await?;
    let mut ended = Vec::with_capacity(sessions.len());
    for session in sessions {
        match revoke_session(provider, &session.sid).await {
            Ok(()) => ended.push(session.sid),
            // Ended meanwhile (logout, expiry): nothing left to do.
            Err(AdminError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(ended)
}

/// Removes user `username` and everything they hold (Issue 13): their sessions end as
/// logout does (their clients' logout tokens are queued, the tokens of clients that ask are
/// revoked), then the user goes with every token, code and consent; `NotFound` when there is
/// no such user.
pub async fn remove_user(provider: &Provider, username: &str) -> Result<(), AdminError> {
    let user = user_by_username(provider.store(), username).await?;
    revoke_user_sessions(provider, &user.username).await?;
    if !provider.store().delete_user(&user.username).await? {
        return Err(AdminError::NotFound(format!("no user {username:?}")));
    }
    tracing::info!(sub = %user.id, "user removed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{T0, bob, logged_in_alice, provider_with_alice, session_of};

    #[tokio::test]
    async fn sessions_are_listed_by_user_and_revoked_one_or_all() {
        let provider = provider_with_alice().await;
        let store = provider.store();
        let (_, alice_id) = logged_in_alice(&provider).await;
        logged_in_alice(&provider).await;
        let bob = bob(&provider).await;
        session_of(&provider, &bob).await;
        let all = list_sessions(store, None, T0).await.unwrap();
        assert_eq!(all.len(), 3);
        let of_alice = list_sessions(store, Some("ALICE"), T0).await.unwrap();
        assert_eq!(of_alice.len(), 2, "usernames compare case-mapped");
        assert!(of_alice.iter().all(|s| s.sub == alice_id && s.id == s.sid));
        let unknown = list_sessions(store, Some("carol"), T0).await.unwrap_err();
        assert!(matches!(unknown, AdminError::NotFound(_)));

        revoke_session(&provider, &of_alice[0].sid).await.unwrap();
        let again = revoke_session(&provider, &of_alice[0].sid).await;
        assert!(matches!(again, Err(AdminError::NotFound(_))), "{again:?}");
        let ended = revoke_user_sessions(&provider, "alice").await.unwrap();
        assert_eq!(ended, vec![of_alice[1].sid.clone()]);
        let left = list_sessions(store, None, T0).await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].username, "bob");
    }
}

//! The login form's decision: check the password, start a fresh session (never keep the old
//! one: session fixation), then continue the authorization that asked for the login.

use crate::authorize::{AuthorizeOutcome, AwaitingUser, resume};
use crate::crypto::password::{dummy_verify_pooled, verify_password_pooled};
use crate::error::OAuthError;
use crate::session::{StartedSession, end_login_session, start_session};
use crate::state::Provider;
use crate::throttle::{
    Locked, Subject, clear_failures, current_lock, normalize_username, record_failure,
};
use std::net::IpAddr;

/// What the user typed on the login page.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    /// The username (compared after [`normalize_username`]).
    pub username: &'a str,
    /// The password, as typed.
    pub password: &'a str,
}

/// What a login attempt leads to.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Wrong username or password: no session; the authorization goes on without one (its
    /// login page again, or an error redirect).
    Rejected {
        /// The username to show again.
        username: String,
        /// The authorization's next step.
        next: AuthorizeOutcome,
    },
    /// Logged in: a new session whose token the browser must now hold, and the
    /// authorization's next step within it.
    LoggedIn {
        /// The new session's token (for the session cookie).
        session_token: String,
        /// The authorization's next step.
        next: AuthorizeOutcome,
    },
    /// Too many failures for this username or from this address: refused unchecked until
    /// the lock ends (the same answer whether or not the account exists).
    Locked(Locked),
}

/// What checking a username and password found.
#[derive(Debug)]
pub enum PasswordCheck {
    /// Too many failures for this username or from this address: refused unchecked until
    /// the lock ends (the same answer whether or not the account exists).
    Locked(Locked),
    /// Wrong username or password (counted as a failure).
    Rejected,
    /// The right password: the user, whose failures are cleared.
    Verified(Box<oxid_store::UserRecord>),
}

/// Checks `credentials` typed at `peer`, for the login page and the password grant alike.
/// Failures are throttled per username and per address (see `throttle`); a locked key is
/// refused before any check; a wrong password, an unknown user and a right password cost the
/// same argon2id verification; a success clears the username's failures.
pub async fn check_password(
    provider: &Provider,
    credentials: Credentials<'_>,
    peer: Option<IpAddr>,
) -> Result<PasswordCheck, OAuthError> {
    let username = normalize_username(credentials.username);
    let account = Subject::Account(&username);
    let subjects: Vec<Subject<'_>> = std::iter::once(account)
        .chain(peer.map(Subject::Address))
        .collect();
    if let Some(locked) = current_lock(provider, &subjects).await? {
        tracing::info!("login refused: locked after too many failures");
        provider
            .metrics()
            .login(crate::metrics::LoginResult::Throttled);
        return Ok(PasswordCheck::Locked(locked));
    }
    let user = find_user(provider, &username, credentials.username).await?;
    // Same cost whether or not the user exists: no username enumeration by timing.
    let verified = match &user {
        Some(user) => verify_password_pooled(credentials.password, &user.password_hash).await,
        None => dummy_verify_pooled(credentials.password).await,
    };
    let (Some(user), true) = (user, verified) else {
        tracing::info!("login failed");
        provider
            .metrics()
            .login(crate::metrics::LoginResult::Failed);
        if let Some(locked) = record_failure(provider, &subjects).await? {
            return Ok(PasswordCheck::Locked(locked));
        }
        return Ok(PasswordCheck::Rejected);
    };
    clear_failures(provider, account).await?;
    provider
        .metrics()
        .login(crate::metrics::LoginResult::Succeeded);
    Ok(PasswordCheck::Verified(Box::new(user)))
}

/// Checks `credentials` for the authorization `awaiting`, from a browser at `peer` whose
/// current session (if any) has `previous_session` as its token (see [`check_password`]).
pub async fn log_in(
    provider: &Provider,
    awaiting: AwaitingUser,
    credentials: Credentials<'_>,
    previous_session: Option<&str>,
    peer: Option<IpAddr>,
) -> Result<LoginOutcome, OAuthError> {
    let AwaitingUser {
        request,
        mut progress,
    } = awaiting;
    let user = match check_password(provider, credentials, peer).await? {
        PasswordCheck::Locked(locked) => return Ok(LoginOutcome::Locked(locked)),
        PasswordCheck::Rejected => {
            let next = resume(provider, request, None, progress).await?;
            let username = normalize_username(credentials.username);
            return Ok(LoginOutcome::Rejected { username, next });
        }
        PasswordCheck::Verified(user) => user,
    };
    let session = fresh_session(provider, &user, previous_session).await?;
    progress.login_done = true;
    let next = resume(provider, request, Some(session.record), progress).await?;
    Ok(LoginOutcome::LoggedIn {
        session_token: session.token,
        next,
    })
}

/// A new session for `user`, ending the browser's `previous_session`: a fresh session id at
/// every login (no session fixation).
pub async fn fresh_session(
    provider: &Provider,
    user: &oxid_store::UserRecord,
    previous_session: Option<&str>,
) -> Result<StartedSession, OAuthError> {
    end_login_session(provider, previous_session).await?;
    start_session(provider, user).await
}

/// The user named `normalized`; else, for an account added before names were normalized,
/// the one named exactly as typed (trimmed).
async fn find_user(
    provider: &Provider,
    normalized: &str,
    typed: &str,
) -> Result<Option<oxid_store::UserRecord>, OAuthError> {
    let store = provider.store();
    if let Some(user) = store.get_user_by_username(normalized).await? {
        return Ok(Some(user));
    }
    let typed = typed.trim();
    if typed == normalized {
        return Ok(None);
    }
    Ok(store.get_user_by_username(typed).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorize::Progress;
    use crate::test_support::{awaiting, provider_with_alice};

    #[tokio::test]
    async fn a_wrong_password_starts_no_session_and_shows_the_login_page_again() {
        let provider = provider_with_alice().await;
        let outcome = log_in(
            &provider,
            awaiting(Progress::new(provider.now())),
            Credentials {
                username: " alice ",
                password: "wrong",
            },
            None,
            None,
        )
        .await
        .unwrap();
        let LoginOutcome::Rejected { username, next } = outcome else {
            panic!("a wrong password must be rejected: {outcome:?}");
        };
        assert_eq!(username, "alice");
        assert!(matches!(next, AuthorizeOutcome::Login(_)), "{next:?}");
    }

    #[tokio::test]
    async fn an_unknown_user_is_rejected_like_a_wrong_password() {
        let provider = provider_with_alice().await;
        let outcome = log_in(
            &provider,
            awaiting(Progress::new(provider.now())),
            Credentials {
                username: "bob",
                password: "correct horse",
            },
            None,
            None,
        )
        .await
        .unwrap();
        assert!(matches!(outcome, LoginOutcome::Rejected { .. }));
    }

    #[tokio::test]
    async fn a_login_replaces_the_previous_session_and_goes_on_to_consent() {
        let provider = provider_with_alice().await;
        let credentials = Credentials {
            username: "alice",
            password: "correct horse",
        };
        let first = log_in(
            &provider,
            awaiting(Progress::new(provider.now())),
            credentials,
            None,
            None,
        )
        .await
        .unwrap();
        let LoginOutcome::LoggedIn {
            session_token: old,
            next,
        } = first
        else {
            panic!("the right password must log in: {first:?}");
        };
        let AuthorizeOutcome::Consent(pending) = next else {
            panic!("a client without consent asks for it next: {next:?}");
        };
        assert!(pending.progress.login_done);
        let second = log_in(
            &provider,
            awaiting(Progress::new(provider.now())),
            credentials,
            Some(&old),
            None,
        )
        .await
        .unwrap();
        let LoginOutcome::LoggedIn {
            session_token: new, ..
        } = second
        else {
            panic!("the right password must log in again: {second:?}");
        };
        assert_ne!(old, new, "every login gets a fresh session (no fixation)");
        let sessions = crate::session::current_session(&provider, Some(&old)).await;
        assert!(sessions.unwrap().is_none(), "the previous session ended");
    }
}

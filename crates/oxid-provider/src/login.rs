//! The login form's decision: check the password, start a fresh session (never keep the old
//! one: session fixation), then continue the authorization that asked for the login.

use crate::authorize::{AuthorizeOutcome, AwaitingUser, resume};
use crate::crypto::password::{
    dummy_verify_pooled, hash_password_pooled, needs_rehash, verify_password_pooled,
};
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
/// same argon2id verification; a success clears the username's failures and replaces a hash
/// made with earlier argon2id parameters (see [`rehash_if_outdated`]).
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
    let (Some(mut user), true) = (user, verified) else {
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
    rehash_if_outdated(provider, &mut user, credentials.password).await;
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

/// Replaces `user`'s hash by one with the current argon2id parameters when it was made with
/// others (an earlier default: 19 MiB per hash against 7 MiB now), now that the password is
/// known to be right; once per user. Only while the stored hash is still the one just verified
/// (a password changed meanwhile stays). Best effort: on failure the old hash stays, and
/// still verifies, so the login goes on.
async fn rehash_if_outdated(
    provider: &Provider,
    user: &mut oxid_store::UserRecord,
    password: &str,
) {
    if !needs_rehash(&user.password_hash) {
        return;
    }
    let new_hash = match hash_password_pooled(password).await {
        Ok(hash) => hash,
        Err(e) => {
            tracing::warn!(error = %e, "rehashing a password failed; the old hash stays");
            return;
        }
    };
    let store = provider.store();
    match store
        .replace_password_hash(&user.id, &user.password_hash, &new_hash)
        .await
    {
        Ok(true) => user.password_hash = new_hash,
        Ok(false) => {}
        Err(e) => {
            tracing::warn!(error = %e, "storing a rehashed password failed; the old hash stays")
        }
    }
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
    async fn a_login_rehashes_a_hash_of_earlier_parameters_once() {
        use argon2::password_hash::{PasswordHasher as _, SaltString};
        let provider = provider_with_alice().await;
        let store = provider.store();
        let alice = store.get_user_by_username("alice").await.unwrap().unwrap();
        // Alice's hash made with the earlier default, m = 19 MiB, t = 2.
        let params = argon2::Params::new(19_456, 2, 1, None).unwrap();
        let salt = SaltString::encode_b64(b"sixteen byte sal").unwrap();
        let old_hash =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
                .hash_password(b"correct horse", &salt)
                .unwrap()
                .to_string();
        let alice = oxid_store::UserRecord {
            password_hash: old_hash.clone(),
            ..alice
        };
        assert!(store.update_user(&alice).await.unwrap());
        let check = |password| {
            let credentials = Credentials {
                username: "alice",
                password,
            };
            check_password(&provider, credentials, None)
        };
        // A wrong password changes nothing.
        assert!(matches!(
            check("wrong").await.unwrap(),
            PasswordCheck::Rejected
        ));
        let stored = store.get_user(&alice.id).await.unwrap().unwrap();
        assert_eq!(stored.password_hash, old_hash);
        // The right one verifies by the old parameters, then the hash is replaced; only it.
        let PasswordCheck::Verified(user) = check("correct horse").await.unwrap() else {
            panic!("the right password must verify");
        };
        let stored = store.get_user(&alice.id).await.unwrap().unwrap();
        assert!(
            stored
                .password_hash
                .starts_with("$argon2id$v=19$m=7168,t=5,p=1$"),
            "{}",
            stored.password_hash
        );
        assert_eq!(user.password_hash, stored.password_hash);
        assert_eq!(
            (stored.claims.clone(), stored.updated_at),
            (alice.claims, alice.updated_at)
        );
        assert!(crate::crypto::password::verify_password(
            "correct horse",
            &stored.password_hash
        ));
        // A current hash stays as it is.
        assert!(matches!(
            check("correct horse").await.unwrap(),
            PasswordCheck::Verified(_)
        ));
        let again = store.get_user(&alice.id).await.unwrap().unwrap();
        assert_eq!(again.password_hash, stored.password_hash);
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

//! `grant_type=password` (RFC 6749 §4.3): the resource owner's username and password, sent by
//! a client trusted by its registration (no consent step). RFC 9700 §2.4 says it must not be
//! used, so the capability table lists it only when the configuration enables it. The check
//! is the login page's: same user lookup, argon2id cost and brute-force throttling.

use oxid_protocol::scope::Scope;
use oxid_protocol::token::TokenResponse;

use super::{GrantContext, client_scopes, offline_refresh};
use crate::crypto::secrets::new_grant_id;
use crate::error::OAuthError;
use crate::issuer::Issuance;
use crate::login::{Credentials, PasswordCheck, check_password};

/// Issues tokens for the user whose password the client sent: an ID token with `openid`, a
/// refresh token with `offline_access` (OIDC Core §11) to clients allowed to refresh.
pub async fn handle(
    ctx: &GrantContext<'_>,
    username: &str,
    password: &str,
    scope: Option<&Scope>,
    resource: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let client = ctx.client;
    let scopes = client_scopes(client, scope)?;
    // RFC 8707 §2, before the password is checked: a bad target costs no password check.
    let resource = super::target(ctx, resource, &scopes)?;
    let credentials = Credentials { username, password };
    let user = match check_password(ctx.provider, credentials, ctx.peer).await? {
        // RFC 6749 §5.2: the credentials are the grant; a locked account's are not checked.
        PasswordCheck::Locked(locked) => {
            return Err(OAuthError::invalid_grant(format!(
                "too many failed attempts: try again in {} seconds",
                locked.retry_after
            )));
        }
        PasswordCheck::Rejected => {
            return Err(OAuthError::invalid_grant(
                "the username or password is wrong",
            ));
        }
        PasswordCheck::Verified(user) => user,
    };
    let grant_id = new_grant_id();
    let amr = ["pwd".to_string()];
    let issuance = Issuance {
        client,
        user: Some(&user),
        grant_id: &grant_id,
        scopes: &scopes,
        sid: None,
        auth_time: Some(ctx.now),
        nonce: None,
        acr: None,
        amr: &amr,
        claims_request: None,
        resource,
    };
    let refresh = offline_refresh(client, &scopes);
    ctx.issuer.issue(&issuance, refresh).await
}

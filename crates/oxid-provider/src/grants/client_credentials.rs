//! `grant_type=client_credentials` (RFC 6749 §4.4): an access token for the client itself.

use oxid_protocol::scope::Scope;
use oxid_protocol::token::TokenResponse;

use super::GrantContext;
use crate::crypto::secrets::new_grant_id;
use crate::error::OAuthError;
use crate::issuer::{Issuance, Refresh};

/// Issues an access token (no refresh token, RFC 6749 §4.4.3; no ID token: there is no user).
pub async fn handle(
    ctx: &GrantContext<'_>,
    scope: Option<&Scope>,
    resource: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let client = ctx.client;
    // RFC 6749 §4.4: confidential clients only.
    if client.is_public() {
        return Err(OAuthError::unauthorized_client(
            "client_credentials needs a confidential client",
        ));
    }
    let mut scopes = Vec::new();
    for s in scope.iter().flat_map(|scope| scope.iter()) {
        if ctx.caps.scope(s).is_none() {
            return Err(OAuthError::invalid_scope(format!(
                "unknown scope '{}'",
                oxid_protocol::echo_value(s)
            )));
        }
        // The scopes about a user (the OpenID ones) mean nothing without one.
        if !client.allows_scope(s) || ctx.caps.is_user_scope(s) {
            return Err(OAuthError::invalid_scope(format!(
                "scope '{}' is not available to this client",
                oxid_protocol::echo_value(s)
            )));
        }
        scopes.push(s.to_string());
    }
    // RFC 8707 §2: the resource, when named, is the token's audience.
    let resource = super::target(ctx, resource, &scopes)?;
    let grant_id = new_grant_id();
    let issuance = Issuance {
        client,
        user: None,
        grant_id: &grant_id,
        scopes: &scopes,
        sid: None,
        auth_time: None,
        nonce: None,
        acr: None,
        amr: &[],
        claims_request: None,
        resource,
    };
    ctx.issuer.issue(&issuance, Refresh::None).await
}

//! `grant_type=client_credentials` (RFC 6749 §4.4): an access token for the client itself.

use oxid_protocol::scope::Scope;
use oxid_protocol::token::TokenResponse;

use crate::client_auth::VerifiedClient;
use crate::crypto::secrets::random_id;
// The OpenID scopes all concern a user, which this grant has not.
use crate::discovery::SUPPORTED_SCOPES;
use crate::error::OAuthError;
use crate::issuer::{Issuance, issue};
use crate::state::Provider;

/// Issues an access token (no refresh token, RFC 6749 §4.4.3; no ID token: there is no user).
pub async fn handle(
    provider: &Provider,
    client: &VerifiedClient,
    scope: Option<&Scope>,
) -> Result<TokenResponse, OAuthError> {
    // RFC 6749 §4.4: confidential clients only.
    if client.is_public() {
        return Err(OAuthError::unauthorized_client(
            "client_credentials needs a confidential client",
        ));
    }
    let scopes: Vec<String> = match scope {
        Some(scope) => {
            let mut scopes = Vec::new();
            for s in scope.iter() {
                let allowed = client.record().scopes.iter().any(|a| a == s);
                if !allowed || SUPPORTED_SCOPES.contains(&s) {
                    return Err(OAuthError::invalid_scope(format!(
                        "scope '{s}' is not available to this client"
                    )));
                }
                scopes.push(s.to_string());
            }
            scopes
        }
        None => Vec::new(),
    };
    let grant_id = random_id(16);
    let issuance = Issuance {
        client: client.record(),
        user: None,
        grant_id: &grant_id,
        scopes: &scopes,
        sid: None,
        auth_time: None,
        nonce: None,
        acr: None,
        amr: &[],
        claims_request: None,
    };
    issue(provider, &issuance, None).await
}

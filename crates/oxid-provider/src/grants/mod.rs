//! The token endpoint's grants (RFC 6749 §4, §6): one file each, one shape each
//! (`handle(provider, client, ...) -> TokenResponse`), dispatched by `grant_type`.

mod authorization_code;
mod client_credentials;
mod refresh_token;

use oxid_protocol::token::{TokenErrorCode, TokenRequest, TokenResponse};

use crate::client_auth::VerifiedClient;
use crate::error::OAuthError;
use crate::state::Provider;

/// Runs the grant a token request names, for an authenticated client.
pub async fn dispatch(
    provider: &Provider,
    client: &VerifiedClient,
    request: TokenRequest,
) -> Result<TokenResponse, OAuthError> {
    let grant_type = request.grant_type().to_string();
    let implemented = matches!(
        request,
        TokenRequest::AuthorizationCode { .. }
            | TokenRequest::RefreshToken { .. }
            | TokenRequest::ClientCredentials { .. }
    );
    if !implemented {
        return Err(OAuthError::token(
            TokenErrorCode::UnsupportedGrantType,
            format!("grant_type {grant_type} is not supported"),
        ));
    }
    // RFC 6749 §5.2 unauthorized_client: the client is not registered for this grant.
    if !client.allows_grant(&grant_type) {
        return Err(OAuthError::unauthorized_client(format!(
            "this client may not use grant_type {grant_type}"
        )));
    }
    match request {
        TokenRequest::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => {
            authorization_code::handle(
                provider,
                client,
                &code,
                &redirect_uri,
                code_verifier.as_deref(),
            )
            .await
        }
        TokenRequest::RefreshToken {
            refresh_token,
            scope,
        } => refresh_token::handle(provider, client, &refresh_token, scope.as_ref()).await,
        TokenRequest::ClientCredentials { scope } => {
            client_credentials::handle(provider, client, scope.as_ref()).await
        }
        _ => Err(OAuthError::token(
            TokenErrorCode::UnsupportedGrantType,
            "grant_type is not supported",
        )),
    }
}

//! What the authorization endpoint sends back to the client through the browser: the
//! response mode (OAuth 2.0 Multiple Response Types §2.1, §5, §7; Form Post Response Mode),
//! error responses in that mode, and the success response of every response type: a code
//! (RFC 6749 §4.1.2), tokens (implicit, OIDC Core §3.2.2.5) or both (hybrid, §3.3.2.5).

use oxid_protocol::authorization::{
    AuthErrorCode, AuthenticationRequest, AuthorizationError, AuthorizationResponse, ResponseMode,
    ResponseType, redirect_with,
};
use oxid_store::{ClientRecord, CodeRecord, SessionRecord};

use crate::authorize::AuthorizeOutcome;
use crate::capabilities::GrantType;
use crate::client::Client;
use crate::crypto::secrets::{new_grant_id, random_token, sha256_hex};
use crate::error::OAuthError;
use crate::issuer::{FrontChannel, Issuance, Issuer};
use crate::state::Provider;

/// The response mode of a request: the one it asked for, else its response type's default
/// (Multiple Response Types §5: fragment for anything with a token or an ID token). A
/// response that may carry tokens never goes in the query (§7), so `query` asked of such a
/// response type (a request refused for it) is answered in the fragment.
pub fn response_mode(
    response_type: Option<ResponseType>,
    requested: Option<ResponseMode>,
) -> ResponseMode {
    let default = response_type.map_or(ResponseMode::Query, |rt| rt.default_response_mode());
    match requested {
        Some(ResponseMode::Query) if default != ResponseMode::Query => default,
        Some(mode) => mode,
        None => default,
    }
}

/// Whether `request` asks for tokens in the query, which Multiple Response Types §7 forbids.
pub fn tokens_in_query(request: &AuthenticationRequest) -> bool {
    request.response_mode == Some(ResponseMode::Query)
        && request
            .response_type
            .returns_tokens_from_authorization_endpoint()
}

/// `pairs` sent to `redirect_uri` in `mode`: a redirect, or the auto-submitting form of
/// `form_post`.
pub fn to_client(
    redirect_uri: &str,
    mode: ResponseMode,
    pairs: Vec<(String, String)>,
) -> AuthorizeOutcome {
    match mode {
        ResponseMode::FormPost => AuthorizeOutcome::FormPost {
            redirect_uri: redirect_uri.to_string(),
            params: pairs,
        },
        mode => AuthorizeOutcome::Redirect(redirect_with(redirect_uri, mode, pairs)),
    }
}

/// An error response to a trusted `redirect_uri`, with `state` and `iss` (RFC 9207), in
/// `mode` (OIDC Core §3.2.2.6, §3.3.2.6: errors of these flows go back the same way).
pub fn error_to_client(
    provider: &Provider,
    redirect_uri: &str,
    mode: ResponseMode,
    error: AuthorizationError,
    state: Option<String>,
) -> AuthorizeOutcome {
    let error = error
        .with_state(state)
        .with_iss(provider.config().issuer.clone());
    to_client(redirect_uri, mode, error.to_query_pairs())
}

/// The error response of a checked `request`.
pub fn request_error(
    provider: &Provider,
    request: &AuthenticationRequest,
    code: AuthErrorCode,
    description: &str,
) -> AuthorizeOutcome {
    let mode = response_mode(Some(request.response_type), request.response_mode);
    let error = AuthorizationError::new(code, description);
    error_to_client(
        provider,
        &request.redirect_uri,
        mode,
        error,
        request.state.clone(),
    )
}

/// Issues what `request`'s response type asks for, for the logged-in user of `session`: a
/// code bound to the client, redirect URI, PKCE challenge, nonce and session (RFC 6749
/// §4.1.2), an access token and an ID token from the authorization endpoint (OIDC Core
/// §3.2.2.5, §3.3.2.5), all of one grant, so that a replayed code revokes them all.
pub async fn issue_response(
    provider: &Provider,
    request: &AuthenticationRequest,
    client: &ClientRecord,
    session: &SessionRecord,
) -> Result<AuthorizeOutcome, OAuthError> {
    let response_type = request.response_type;
    let grant_id = new_grant_id();
    let mut response = AuthorizationResponse {
        state: request.state.clone(),
        iss: Some(provider.config().issuer.clone()),
        ..Default::default()
    };
    if response_type.code() {
        response.code = Some(insert_code(provider, request, client, session, &grant_id).await?);
    }
    if response_type.returns_tokens_from_authorization_endpoint() {
        let client = Client::from_record(client.clone()).map_err(OAuthError::server)?;
        let Some(user) = provider.store().get_user(&session.user_id).await? else {
            return Ok(request_error(
                provider,
                request,
                AuthErrorCode::LoginRequired,
                "the user no longer exists",
            ));
        };
        let issuance = Issuance {
            client: &client,
            user: Some(&user),
            grant_id: &grant_id,
            scopes: request.scope.as_slice(),
            sid: Some(&session.sid),
            auth_time: Some(session.auth_time),
            nonce: request.nonce.as_deref(),
            acr: session.acr.as_deref(),
            amr: &session.amr,
            claims_request: request.claims.as_ref(),
            // RFC 8707 §2: checked with the request (`authorize_request::check_request`).
            resource: request
                .resource
                .as_deref()
                .and_then(|r| provider.config().resources.get(r)),
        };
        let wanted = FrontChannel {
            access_token: response_type.token(),
            id_token: response_type.id_token(),
            code: response.code.as_deref(),
            state: request.state.as_deref(),
        };
        let tokens = Issuer::for_provider(provider, provider.now())
            .issue_front_channel(&issuance, wanted)
            .await?;
        if let Some(access_token) = tokens.access_token {
            let format = crate::access_token_jwt::format_of(&access_token);
            provider.metrics().token_issued(GrantType::Implicit, format);
            response.access_token = Some(access_token);
            response.token_type = Some("Bearer".into());
            response.expires_in = tokens.expires_in;
        }
        response.id_token = tokens.id_token;
    }
    provider
        .store()
        .add_session_client(&session.sid, &client.client_id)
        .await?;
    let mode = response_mode(Some(response_type), request.response_mode);
    Ok(to_client(
        &request.redirect_uri,
        mode,
        response.to_query_pairs(),
    ))
}

/// Stores a new code for `request` (only its hash) and returns it.
async fn insert_code(
    provider: &Provider,
    request: &AuthenticationRequest,
    client: &ClientRecord,
    session: &SessionRecord,
    grant_id: &str,
) -> Result<String, OAuthError> {
    let code = random_token();
    let record = CodeRecord {
        code_hash: sha256_hex(&code),
        grant_id: grant_id.to_string(),
        client_id: client.client_id.clone(),
        user_id: session.user_id.clone(),
        redirect_uri: Some(request.redirect_uri.clone()),
        scopes: request.scope.iter().map(str::to_string).collect(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        code_challenge_method: request
            .effective_code_challenge_method()
            .map(|m| m.as_str().to_string()),
        sid: Some(session.sid.clone()),
        auth_time: session.auth_time,
        acr: session.acr.clone(),
        amr: session.amr.clone(),
        claims_request: request.claims.clone(),
        resource: request.resource.clone(),
        expires_at: provider.now() + provider.config().lifetimes.code,
        // RFC 9449 §10: checked at the PAR endpoint or `authorize_request`.
        dpop_jkt: request.extra.get("dpop_jkt").cloned(),
    };
    provider.store().insert_code(&record).await?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_mode_follows_the_response_type_multiple_response_types_5() {
        let query = ResponseMode::Query;
        let fragment = ResponseMode::Fragment;
        assert_eq!(response_mode(Some(ResponseType::CODE), None), query);
        assert_eq!(response_mode(None, None), query);
        for rt in [
            ResponseType::TOKEN,
            ResponseType::ID_TOKEN,
            ResponseType::ID_TOKEN_TOKEN,
            ResponseType::CODE_ID_TOKEN,
            ResponseType::CODE_TOKEN,
            ResponseType::CODE_ID_TOKEN_TOKEN,
        ] {
            assert_eq!(response_mode(Some(rt), None), fragment, "{rt}");
            // §7: never the query for a response that may carry tokens.
            assert_eq!(response_mode(Some(rt), Some(query)), fragment, "{rt}");
            let form_post = Some(ResponseMode::FormPost);
            assert_eq!(response_mode(Some(rt), form_post), ResponseMode::FormPost);
        }
        assert_eq!(
            response_mode(Some(ResponseType::CODE), Some(fragment)),
            fragment
        );
        assert_eq!(
            response_mode(None, Some(ResponseMode::FormPost)),
            ResponseMode::FormPost
        );
    }
}

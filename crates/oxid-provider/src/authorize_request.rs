//! An authorization request as the endpoint receives it (read once, leniently where the
//! error must still reach a trusted redirect URI) and the request-level rules it must pass
//! once its client is trusted (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, §3.2.2.1, §3.3.2.1).

use oxid_protocol::authorization::{
    AuthErrorCode, AuthenticationRequest, AuthorizationError, ResponseMode, ResponseType,
};
use oxid_protocol::params::{ParamError, Params};
use oxid_store::ClientRecord;

use crate::capabilities::GrantType;
use crate::client::Client;
use crate::front_channel::tokens_in_query;
use crate::state::Provider;

/// One of the two parameters read before the request is trusted: its one value, none
/// (absent or empty), or why it cannot be read (repeated).
pub(crate) type Single = Result<Option<String>, String>;

/// An authorization request as the browser sent it (query or form), read once. `client_id`,
/// `redirect_uri`, `state`, `response_type` and `response_mode` are read leniently, so that a
/// request the strict parse rejects (a repeated parameter) is still answered at a trusted
/// redirect URI (RFC 6749 §4.1.2.1), in the response mode it asked for.
#[derive(Debug)]
pub struct ReceivedAuthorization {
    pub(crate) client_id: Single,
    pub(crate) redirect_uri: Single,
    /// Read apart from the request: one naming a pushed request (RFC 9126 §4) stands in for
    /// all the other parameters.
    pub(crate) request_uri: Single,
    pub(crate) state: Option<String>,
    pub(crate) response_type: Option<ResponseType>,
    pub(crate) response_mode: Option<ResponseMode>,
    pub(crate) request: Result<AuthenticationRequest, AuthorizationError>,
}

impl ReceivedAuthorization {
    /// A `GET` request's query string.
    pub fn from_query(query: &str) -> Self {
        Self::read(query.as_bytes(), Params::parse_query(query))
    }

    /// A `POST` request's form body.
    pub fn from_form(body: &[u8]) -> Self {
        Self::read(body, Params::parse_form(body))
    }

    fn read(encoded: &[u8], params: Result<Params, ParamError>) -> Self {
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(encoded).into_owned().collect();
        let single = |name: &str| {
            let mut values = pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
            match (values.next(), values.next()) {
                (Some(v), None) if !v.is_empty() => Ok(Some(v.clone())),
                (None, _) => Ok(None),
                (Some(v), None) if v.is_empty() => Ok(None),
                _ => Err(format!("parameter '{name}' is repeated")),
            }
        };
        let request = match params {
            Ok(params) => AuthenticationRequest::from_params(&params),
            Err(error) => Err(AuthorizationError::new(
                AuthErrorCode::InvalidRequest,
                error.description(),
            )),
        };
        let single_value = |name: &str| single(name).ok().flatten();
        ReceivedAuthorization {
            client_id: single("client_id"),
            redirect_uri: single("redirect_uri"),
            request_uri: single("request_uri"),
            state: single_value("state"),
            response_type: single_value("response_type").and_then(|v| v.parse().ok()),
            response_mode: single_value("response_mode").and_then(|v| ResponseMode::parse(&v)),
            request,
        }
    }
}

/// The request-level rules that need the client's registration and our configuration.
pub(crate) fn check_request(
    provider: &Provider,
    client: &ClientRecord,
    request: &AuthenticationRequest,
) -> Option<(AuthErrorCode, String)> {
    let caps = provider.capabilities();
    let client = match Client::from_record(client.clone()) {
        Ok(client) => client,
        Err(e) => return Some((AuthErrorCode::ServerError, e.to_string())),
    };
    if let Some(description) = crate::limits::oversized_request_state(request) {
        return Some((AuthErrorCode::InvalidRequest, description));
    }
    let response_type = request.response_type;
    if !caps.supports_response_type(response_type) {
        return Some((
            AuthErrorCode::UnsupportedResponseType,
            format!("response_type={response_type} is not supported"),
        ));
    }
    // OIDC Registration §2: `code` goes with the authorization_code grant, `token` and
    // `id_token` with implicit.
    let front_tokens = response_type.returns_tokens_from_authorization_endpoint();
    if !client.allows_response_type(response_type)
        || (response_type.code() && !client.allows_grant(GrantType::AuthorizationCode))
        || (front_tokens && !client.allows_grant(GrantType::Implicit))
    {
        return Some((
            AuthErrorCode::UnauthorizedClient,
            format!("this client may not use response_type={response_type}"),
        ));
    }
    if let Some(mode) = request
        .response_mode
        .filter(|m| !caps.supports_response_mode(*m))
    {
        return Some((
            AuthErrorCode::InvalidRequest,
            format!("response_mode={mode} is not supported"),
        ));
    }
    if tokens_in_query(request) {
        return Some((
            AuthErrorCode::InvalidRequest,
            format!(
                "response_mode=query cannot carry the tokens of response_type={response_type} \
                 (OAuth 2.0 Multiple Response Types §7)"
            ),
        ));
    }
    // OIDC Core §6.1, §6.2, §7.2.1: what we do not support is said with its own code.
    if request.request.is_some() && !caps.features.request_objects {
        return Some((
            AuthErrorCode::RequestNotSupported,
            "request objects are not supported".into(),
        ));
    }
    if request.request_uri.is_some() && !caps.features.request_uri {
        return Some((
            AuthErrorCode::RequestUriNotSupported,
            "request_uri is not supported".into(),
        ));
    }
    if request.registration.is_some() && !caps.features.registration {
        return Some((
            AuthErrorCode::RegistrationNotSupported,
            "the registration parameter is not supported".into(),
        ));
    }
    if request.scope.is_empty() {
        return Some((AuthErrorCode::InvalidScope, "scope is missing".into()));
    }
    // RFC 9449 §10: `dpop_jkt` is a JWK SHA-256 thumbprint (RFC 7638), base64url.
    if let Some(jkt) = request.extra.get("dpop_jkt")
        && !crate::dpop::is_thumbprint(jkt)
    {
        return Some((
            AuthErrorCode::InvalidRequest,
            "dpop_jkt must be a base64url SHA-256 JWK thumbprint (RFC 9449 §10)".into(),
        ));
    }
    // The registry (OpenID and configured scopes) is what exists; a client's list narrows it.
    if let Some(scope) = request.scope.iter().find(|s| caps.scope(s).is_none()) {
        return Some((
            AuthErrorCode::InvalidScope,
            format!("unknown scope '{}'", oxid_protocol::echo_value(scope)),
        ));
    }
    if let Some(scope) = request.scope.iter().find(|s| !client.allows_scope(s)) {
        return Some((
            AuthErrorCode::InvalidScope,
            format!(
                "scope '{}' is not allowed for this client",
                oxid_protocol::echo_value(scope)
            ),
        ));
    }
    // RFC 8707 §2: a resource must be one configured here, accepting the scopes asked.
    if let Some(resource) = &request.resource {
        let Some(resource) = provider.config().resources.get(resource) else {
            return Some((
                AuthErrorCode::InvalidTarget,
                format!(
                    "resource '{}' is not known here",
                    oxid_protocol::echo_value(resource)
                ),
            ));
        };
        if let Err(why) = resource.check_scopes(request.scope.iter(), |s| caps.is_user_scope(s)) {
            return Some((AuthErrorCode::InvalidScope, why));
        }
    }
    // RFC 7636 §4.4.1, RFC 9700 §2.1.1: PKCE for public clients always, for all by default;
    // a confidential client may have registered `require_pkce: false` and rely on `nonce`.
    // PKCE protects a code, so a response type without one needs none.
    match request.effective_code_challenge_method() {
        None if response_type.code() && client.requires_pkce(caps.pkce_required) => {
            return Some((
                AuthErrorCode::InvalidRequest,
                "code_challenge is required (PKCE, RFC 7636)".into(),
            ));
        }
        Some(method) if !caps.supports_pkce(method) => {
            return Some((
                AuthErrorCode::InvalidRequest,
                format!("code_challenge_method {method} is not supported"),
            ));
        }
        _ => {}
    }
    None
}

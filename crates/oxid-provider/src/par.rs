//! Pushed authorization requests (RFC 9126): a client authenticates as at the token endpoint
//! and pushes its authorization request, which is checked as the authorization endpoint
//! would check it and kept (under the hash of a random `request_uri`, bound to the client,
//! short-lived); the authorization endpoint then takes it, once, by that `request_uri`.

use oxid_protocol::authorization::{
    AuthErrorCode, AuthenticationRequest, PAR_REQUEST_URI_PREFIX, PushedAuthorizationResponse,
};
use oxid_protocol::params::Params;
use oxid_protocol::token::TokenErrorCode;
use oxid_store::{ClientRecord, PushedRequestRecord};

use crate::authorize_request::{ReceivedAuthorization, check_request};
use crate::client::{ApplicationType, Client};
use crate::client_auth::VerifiedClient;
use crate::crypto::secrets::{random_token, sha256_hex};
use crate::error::OAuthError;
use crate::redirect_uri::redirect_uri_registered;
use crate::state::Provider;

/// Seconds a `request_uri` can be used (RFC 9126 §2.2 `expires_in`: long enough for the
/// browser to get to the authorization endpoint, short enough not to be worth stealing).
pub const REQUEST_URI_LIFETIME: u64 = 60;

/// The parameters of client authentication (RFC 6749 §2.3.1, RFC 7523 §2.2): they go with
/// the push, not with the authorization request it holds.
const CLIENT_AUTH_PARAMS: [&str; 3] =
    ["client_secret", "client_assertion", "client_assertion_type"];

/// Checks and keeps the authorization request `client` pushed (RFC 9126 §2.1); the
/// `request_uri` it answers is stored only as its hash. `proof_jkt` is the key of the DPoP
/// proof the push carried (RFC 9449 §10.1), which binds the code as `dpop_jkt` would.
pub async fn push(
    provider: &Provider,
    client: &VerifiedClient,
    mut params: Params,
    proof_jkt: Option<String>,
) -> Result<PushedAuthorizationResponse, OAuthError> {
    // RFC 9126 §2.1: "The request_uri authorization request parameter ... MUST NOT be
    // provided."
    if params.contains("request_uri") {
        return Err(OAuthError::invalid_request(
            "request_uri must not be pushed (RFC 9126 §2.1)",
        ));
    }
    for name in CLIENT_AUTH_PARAMS {
        params.remove(name);
    }
    // RFC 9449 §10.1: a proof at PAR acts as `dpop_jkt`; both must then name the same key.
    if let Some(jkt) = proof_jkt {
        match params.get("dpop_jkt") {
            Some(asked) if asked != jkt => {
                return Err(OAuthError::token(
                    TokenErrorCode::InvalidDpopProof,
                    "dpop_jkt is not the thumbprint of the DPoP proof's key (RFC 9449 §10.1)",
                ));
            }
            Some(_) => {}
            None => params.insert("dpop_jkt", jkt),
        }
    }
    // With HTTP Basic the form may lack `client_id`; the request it holds needs it.
    match params.get("client_id") {
        Some(id) if id != client.id() => {
            return Err(OAuthError::invalid_request(
                "client_id does not match the authenticated client",
            ));
        }
        Some(_) => {}
        None => params.insert("client_id", client.id()),
    }
    let request = AuthenticationRequest::from_params(&params)
        .map_err(|e| OAuthError::authorization(e.error, e.error_description.unwrap_or_default()))?;
    // RFC 9126 §2.1: validated as the authorization endpoint would, the redirect URI first.
    let native = client.application_type() == ApplicationType::Native;
    if !redirect_uri_registered(
        &client.record().redirect_uris,
        &request.redirect_uri,
        native,
    ) {
        return Err(OAuthError::invalid_request(
            "redirect_uri is not registered for this client",
        ));
    }
    if let Some((code, description)) = check_request(provider, client.record(), &request) {
        return Err(OAuthError::authorization(code, description));
    }
    // RFC 9126 §2.2: a cryptographically random reference, in the URN form.
    let request_uri = format!("{PAR_REQUEST_URI_PREFIX}{}", random_token());
    let record = PushedRequestRecord {
        request_uri_hash: sha256_hex(&request_uri),
        client_id: client.id().to_string(),
        params: params.encode(),
        expires_at: provider.now().saturating_add(REQUEST_URI_LIFETIME),
    };
    provider.store().insert_pushed_request(&record).await?;
    Ok(PushedAuthorizationResponse {
        request_uri,
        expires_in: REQUEST_URI_LIFETIME,
        extra: Default::default(),
    })
}

/// An authorization request as the endpoint goes on with it.
#[derive(Debug)]
pub(crate) enum Opened {
    /// No pushed request was named: the request as the browser sent it.
    Direct(ReceivedAuthorization),
    /// The pushed request the `request_uri` named, taken (and so used up).
    Pushed(ReceivedAuthorization),
    /// A pushed request was named but cannot be used: said on the error page, since the
    /// redirect URI is inside the request that cannot be read.
    Refused(AuthErrorCode, String),
}

/// Takes the pushed request a received authorization request names by its `request_uri`
/// (RFC 9126 §4): only the pushed parameters are used; the `client_id` beside it must be the
/// client that pushed it. A `request_uri` that is not ours is left for the request-level
/// checks (`request_uri_not_supported`).
pub(crate) async fn open(
    provider: &Provider,
    received: ReceivedAuthorization,
) -> Result<Opened, OAuthError> {
    let request_uri = match &received.request_uri {
        Ok(Some(uri)) if uri.starts_with(PAR_REQUEST_URI_PREFIX) => uri.clone(),
        _ => return Ok(Opened::Direct(received)),
    };
    let client_id = match &received.client_id {
        Ok(Some(id)) => id.clone(),
        Ok(None) => {
            return Ok(refused(
                AuthErrorCode::InvalidRequest,
                "client_id is missing",
            ));
        }
        Err(e) => return Ok(refused(AuthErrorCode::InvalidRequest, e)),
    };
    let taken = provider
        .store()
        .take_pushed_request(&sha256_hex(&request_uri), provider.now())
        .await?;
    // RFC 9126 §4: one-time use, rejected once expired, bound to the client that pushed it.
    // Whose request it was is not said to another client.
    match taken {
        Some(pushed) if pushed.client_id == client_id => Ok(Opened::Pushed(
            ReceivedAuthorization::from_form(pushed.params.as_bytes()),
        )),
        _ => Ok(refused(
            AuthErrorCode::InvalidRequestUri,
            "the request_uri is unknown, expired, already used or not this client's \
             (RFC 9126 §4)",
        )),
    }
}

fn refused(code: AuthErrorCode, description: impl Into<String>) -> Opened {
    Opened::Refused(code, description.into())
}

/// Whether `client` must push its authorization requests (RFC 9126 §5, §6): the deployment
/// or the client's registration says so.
pub(crate) fn must_push(provider: &Provider, client: &ClientRecord) -> bool {
    provider.capabilities().features.require_pushed_requests
        || Client::from_record(client.clone()).is_ok_and(|c| c.requires_pushed_requests())
}

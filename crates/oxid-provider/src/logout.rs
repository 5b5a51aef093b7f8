//! RP-Initiated Logout 1.0: the end-session endpoint's decisions, apart from HTTP. Validate
//! the request (an untrusted hint or redirect gets an error page, never a redirect), ask the
//! user to confirm unless a valid `id_token_hint` names the logged-in user (§6: logout without
//! one is a denial-of-service vector), then end the session and send the user back.

use oxid_protocol::claims::IdTokenClaims;
use oxid_protocol::jose::CompactJws;
use oxid_protocol::logout::EndSessionRequest;
use oxid_protocol::params::{ParamError, Params};
use oxid_store::{ClientRecord, SessionRecord};

use crate::admin::client_secret_context;
use crate::crypto::jws::SigningAlg;
use crate::error::OAuthError;
use crate::issuer::id_token_alg;
use crate::state::Provider;

/// What the end-session endpoint answers.
#[derive(Debug)]
pub enum LogoutOutcome {
    /// The request cannot be trusted: an HTML error page (400), never a redirect.
    ErrorPage(String),
    /// Ask the user first.
    Confirm(Box<PendingLogout>),
    /// Log out (when there is a session) and go to `redirect`, or show the signed-out page.
    Done {
        /// `post_logout_redirect_uri` with `state`, when one was given and registered.
        redirect: Option<String>,
    },
}

/// A checked logout request waiting for the user's confirmation.
#[derive(Debug)]
pub struct PendingLogout {
    /// The checked request.
    pub request: EndSessionRequest,
    /// The client that asked, when it is known.
    pub client: Option<ClientRecord>,
}

/// Checks an end-session request. `confirmed` is true when the user just confirmed it.
pub async fn end_session(
    provider: &Provider,
    params: Result<Params, ParamError>,
    session: Option<&SessionRecord>,
    confirmed: bool,
) -> Result<LogoutOutcome, OAuthError> {
    let page = |text: &str| Ok(LogoutOutcome::ErrorPage(text.to_string()));
    let request = match params.and_then(|p| EndSessionRequest::from_params(&p)) {
        Ok(request) => request,
        Err(e) => return page(&e.description()),
    };
    let hint = match &request.id_token_hint {
        Some(token) => match verify_id_token_hint(provider, token).await? {
            Some(claims) => Some(claims),
            None => return page("id_token_hint is not a valid ID token from this provider"),
        },
        None => None,
    };
    // §2: client_id, when sent with a hint, must be one of the hint's audiences.
    let client_id = match (&request.client_id, &hint) {
        (Some(id), Some(claims)) if !claims.aud.contains(id) => {
            return page("client_id is not an audience of id_token_hint");
        }
        (Some(id), _) => Some(id.clone()),
        (None, Some(claims)) => claims.aud.iter().next().map(str::to_string),
        (None, None) => None,
    };
    let client = match &client_id {
        Some(id) => match provider.store().get_client(id).await? {
            Some(client) => Some(client),
            None => return page("the client is not registered"),
        },
        None => None,
    };
    // §3: the redirect must be registered for the client (exact match), else no redirect.
    if let Some(uri) = &request.post_logout_redirect_uri {
        let registered = client
            .as_ref()
            .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri));
        if !registered {
            return page("post_logout_redirect_uri is not registered for the client");
        }
    }
    let hint_names_session_user = match (&hint, session) {
        (Some(claims), Some(session)) => claims.sub == session.user_id,
        _ => false,
    };
    if session.is_some() && !confirmed && !hint_names_session_user {
        return Ok(LogoutOutcome::Confirm(Box::new(PendingLogout {
            request,
            client,
        })));
    }
    Ok(LogoutOutcome::Done {
        redirect: request.post_logout_redirect(),
    })
}

/// The claims of an ID token this provider issued (signature and issuer checked; an expired
/// hint is still accepted, RP-Initiated Logout §2), or `None`.
async fn verify_id_token_hint(
    provider: &Provider,
    token: &str,
) -> Result<Option<IdTokenClaims>, OAuthError> {
    let Ok(jws) = CompactJws::parse(token) else {
        return Ok(None);
    };
    let payload = if jws.header().alg == SigningAlg::HS256.as_str() {
        verify_hs256_hint(provider, &jws).await?
    } else {
        provider.keys().verify(token)
    };
    let claims = payload.and_then(|p| serde_json::from_slice::<IdTokenClaims>(&p).ok());
    Ok(claims.filter(|c| c.iss == provider.config().issuer))
}

/// An HS256 hint is signed with its client's secret: find the client by `aud`, then check.
async fn verify_hs256_hint(
    provider: &Provider,
    jws: &CompactJws,
) -> Result<Option<Vec<u8>>, OAuthError> {
    let Ok(unverified) = serde_json::from_slice::<IdTokenClaims>(jws.payload()) else {
        return Ok(None);
    };
    let Some(client_id) = unverified.aud.iter().next() else {
        return Ok(None);
    };
    let Some(client) = provider.store().get_client(client_id).await? else {
        return Ok(None);
    };
    let Some(sealed) = client.secret_encrypted.as_deref() else {
        return Ok(None);
    };
    if id_token_alg(&client) != SigningAlg::HS256 {
        return Ok(None);
    }
    let secret = provider
        .secret_box()
        .decrypt_for(&client_secret_context(&client.client_id), sealed)?;
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &secret);
    let valid = aws_lc_rs::hmac::verify(&key, jws.signing_input(), jws.signature()).is_ok();
    Ok(valid.then(|| jws.payload().to_vec()))
}

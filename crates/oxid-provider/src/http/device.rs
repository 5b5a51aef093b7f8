//! The device authorization grant's HTTP side (RFC 8628): the device authorization endpoint
//! (§3.1, JSON, client authentication as at the token endpoint) and the verification pages
//! (§3.3): the user code form, then the login and consent pages, each form with its CSRF
//! token. Even with `verification_uri_complete` the user confirms on the consent page
//! (§5.4: a code sent by someone else is not approved by opening a link).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use oxid_protocol::device::DeviceAuthorizationRequest;
use oxid_protocol::params::Params;
use oxid_store::{DeviceGrantRecord, SessionRecord};

use super::authorize::locked_page;
use super::cookies::{csrf_matches, session_cookie, session_token, with_set_cookie};
use super::form::{authenticated_form, no_store};
use super::page_form::{PostedForm, open_form};
use super::pages::{PageError, form_page, language, page_or_error};
use crate::capabilities::AuthEndpoint;
use crate::device::{UserCodeLookup, answer_device, authorize_device, find_user_code};
use crate::discovery::paths;
use crate::error::OAuthError;
use crate::interaction::{Interaction, Purpose};
use crate::login::{Credentials, PasswordCheck, check_password, fresh_session};
use crate::session::current_session;
use crate::state::Provider;
use crate::throttle::peer_address;

/// `POST /device_authorization` (RFC 8628 §3.1, §3.2).
pub async fn device_authorization(
    State(provider): State<Provider>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let (client, params) =
            authenticated_form(&provider, AuthEndpoint::Token, &headers, &body).await?;
        let request = DeviceAuthorizationRequest::from_params(&params)
            .map_err(|e| OAuthError::invalid_request(e.description()))?;
        authorize_device(&provider, &client, &request).await
    };
    match result.await {
        Ok(response) => no_store(Json(response).into_response()),
        Err(e) => e.into_response(),
    }
}

/// The user code form, pre-filled with `user_code`, with `error` shown when not empty.
fn code_page(
    provider: &Provider,
    headers: &HeaderMap,
    status: StatusCode,
    user_code: &str,
    error: &str,
) -> Result<Response, PageError> {
    let lang = language(provider, headers, &[]);
    let error = if error.is_empty() {
        String::new()
    } else {
        provider.pages().message(&lang, error)
    };
    let values = context! { user_code => user_code, error => error };
    let mut page = form_page(
        provider,
        headers,
        "device.html",
        &lang,
        paths::DEVICE,
        values,
    )?;
    *page.status_mut() = status;
    Ok(page)
}

/// `GET /device`: the user code form, pre-filled from `verification_uri_complete`.
pub async fn device_get(
    State(provider): State<Provider>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse_query(&query.unwrap_or_default()).unwrap_or_default();
    let user_code = params.get("user_code").unwrap_or("");
    // The prefill is echoed into the form only when short enough to be a code.
    let user_code = if user_code.len() <= 16 { user_code } else { "" };
    let page = code_page(&provider, &headers, StatusCode::OK, user_code, "");
    page_or_error(&provider, &headers, page)
}

/// `POST /device`: the user code typed; a wrong one shows the form again (throttled), a
/// pending one goes on to login or confirmation.
pub async fn device_post(
    State(provider): State<Provider>,
    headers: HeaderMap,
    extensions: Extensions,
    body: Bytes,
) -> Response {
    let result = async {
        let fields =
            Params::parse_form(&body).map_err(|e| PageError::BadRequest(e.description()))?;
        // The code form carries no interaction: its token is bound to the empty one.
        let sealed = fields.get("interaction").unwrap_or("");
        if !csrf_matches(
            provider.config(),
            &headers,
            sealed,
            fields.get("csrf_token"),
        ) {
            return Err(PageError::CsrfMismatch);
        }
        let typed = fields.get("user_code").unwrap_or("");
        match find_user_code(&provider, typed, peer_address(&extensions)).await? {
            UserCodeLookup::Found(record) => {
                let session =
                    current_session(&provider, session_token(provider.config(), &headers)).await?;
                next_page(&provider, &headers, &record, session, false).await
            }
            UserCodeLookup::Wrong => {
                let typed = if typed.len() <= 16 { typed } else { "" };
                code_page(
                    &provider,
                    &headers,
                    StatusCode::BAD_REQUEST,
                    typed,
                    "device_wrong_code",
                )
            }
            UserCodeLookup::Locked(locked) => locked_page(&provider, &headers, locked),
        }
    };
    page_or_error(&provider, &headers, result.await)
}

/// The login page when nobody is signed in, else the confirmation page.
async fn next_page(
    provider: &Provider,
    headers: &HeaderMap,
    record: &DeviceGrantRecord,
    session: Option<SessionRecord>,
    wrong_password: bool,
) -> Result<Response, PageError> {
    let lang = language(provider, headers, &[]);
    let sealed = Interaction::new(record.user_code_hash.clone(), provider.now(), false)
        .seal(provider.secret_box(), Purpose::Device)
        .ok_or_else(|| PageError::Server("sealing the interaction failed".into()))?;
    let client = provider
        .client(&record.client_id)
        .await
        .map_err(OAuthError::from)?;
    let client_name = client
        .and_then(|c| c.record().client_name.clone())
        .unwrap_or_else(|| record.client_id.clone());
    match session {
        None => {
            let error = if wrong_password {
                provider.pages().message(&lang, "wrong_password")
            } else {
                String::new()
            };
            let values = context! {
                interaction => sealed, username => "", client_name => client_name, error => error,
            };
            form_page(
                provider,
                headers,
                "login.html",
                &lang,
                paths::DEVICE_LOGIN,
                values,
            )
        }
        Some(session) => {
            let user = provider.store().get_user(&session.user_id).await;
            let username = user.map_err(OAuthError::from)?.map(|u| u.username);
            let scopes: Vec<String> = record
                .scopes
                .iter()
                .map(|s| {
                    let info = provider.capabilities().scope(s);
                    provider.pages().scope_description(&lang, s, info)
                })
                .collect();
            let values = context! {
                interaction => sealed, client_name => client_name, scopes => scopes,
                username => username.unwrap_or_default(),
            };
            form_page(
                provider,
                headers,
                "consent.html",
                &lang,
                paths::DEVICE_CONSENT,
                values,
            )
        }
    }
}

/// The login or confirmation form of a device authorization, and the request it continues
/// (still pending: else the page says it is over).
async fn open_device_form(
    provider: &Provider,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(PostedForm<String>, Option<DeviceGrantRecord>), PageError> {
    let read = |i: &Interaction| Some(i.request.clone());
    let form = open_form(provider, headers, body, Purpose::Device, read).await?;
    let store = provider.store();
    let pending = store.pending_device_grant(&form.carried, provider.now());
    let pending = pending.await.map_err(OAuthError::from)?;
    Ok((form, pending))
}

/// The end of the verification: approved, denied, or no longer pending.
fn done_page(
    provider: &Provider,
    headers: &HeaderMap,
    message: &str,
) -> Result<Response, PageError> {
    let lang = language(provider, headers, &[]);
    let body = provider.pages().render(
        "device_done.html",
        &lang,
        context! { message => provider.pages().message(&lang, message) },
    )?;
    Ok(super::pages::html(StatusCode::OK, body, None))
}

/// `POST /device/login`: the password, checked and throttled as on the login page.
pub async fn device_login(
    State(provider): State<Provider>,
    headers: HeaderMap,
    extensions: Extensions,
    body: Bytes,
) -> Response {
    let result = async {
        let (form, pending) = open_device_form(&provider, &headers, &body).await?;
        let Some(record) = pending else {
            return done_page(&provider, &headers, "device_expired");
        };
        let credentials = Credentials {
            username: form.field("username"),
            password: form.field("password"),
        };
        let peer = peer_address(&extensions);
        match check_password(&provider, credentials, peer).await? {
            PasswordCheck::Locked(locked) => locked_page(&provider, &headers, locked),
            PasswordCheck::Rejected => next_page(&provider, &headers, &record, None, true).await,
            PasswordCheck::Verified(user) => {
                let previous = session_token(provider.config(), &headers);
                let session = fresh_session(&provider, &user, previous).await?;
                let page = next_page(&provider, &headers, &record, Some(session.record), false);
                let page = page.await;
                let page = page_or_error(&provider, &headers, page);
                let cookie = session_cookie(provider.config(), &session.token);
                Ok(with_set_cookie(page, Some(&cookie)))
            }
        }
    };
    page_or_error(&provider, &headers, result.await)
}

/// `POST /device/consent`: the user's answer (RFC 8628 §3.3).
pub async fn device_consent(
    State(provider): State<Provider>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let (form, pending) = open_device_form(&provider, &headers, &body).await?;
        let allow = form.choice("decision", &[("allow", true), ("deny", false)])?;
        let Some(record) = pending else {
            return done_page(&provider, &headers, "device_expired");
        };
        let Some(session) =
            current_session(&provider, session_token(provider.config(), &headers)).await?
        else {
            return next_page(&provider, &headers, &record, None, false).await;
        };
        if !answer_device(&provider, &record.user_code_hash, &session, allow).await? {
            return done_page(&provider, &headers, "device_expired");
        }
        let message = if allow {
            "device_approved"
        } else {
            "device_denied"
        };
        done_page(&provider, &headers, message)
    };
    page_or_error(&provider, &headers, result.await)
}

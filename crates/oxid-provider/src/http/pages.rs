//! Turning the authorization outcome into HTML pages and redirects.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::context;

use crate::authorize::{AuthorizeOutcome, PendingAuthorization};
use crate::discovery::paths;
use crate::http::cookies::csrf_token;
use crate::interaction::{Interaction, Purpose};
use crate::state::Provider;

/// What the login page shows besides the form.
#[derive(Debug, Default)]
pub struct LoginNotice {
    /// The username to pre-fill.
    pub username: Option<String>,
    /// Show the wrong-password message.
    pub wrong_password: bool,
}

/// The page language: `ui_locales` first, then `Accept-Language`, then English.
pub fn language(provider: &Provider, headers: &HeaderMap, ui_locales: &[String]) -> &'static str {
    let ui = ui_locales.join(" ");
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    provider
        .pages()
        .negotiate((!ui.is_empty()).then_some(ui.as_str()), accept)
}

/// An HTML response, with the CSRF cookie when one was just made.
pub fn html(status: StatusCode, body: String, set_cookie: Option<String>) -> Response {
    let mut response = (status, Html(body)).into_response();
    if let Some(value) = set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The error page: never a redirect (RFC 6749 §4.1.2.1).
pub fn error_page(
    provider: &Provider,
    headers: &HeaderMap,
    status: StatusCode,
    error: &str,
    description: &str,
) -> Response {
    let lang = language(provider, headers, &[]);
    match provider.pages().render(
        "error.html",
        lang,
        context! { error => error, description => description },
    ) {
        Ok(body) => html(status, body, None),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            (status, format!("{error}: {description}")).into_response()
        }
    }
}

/// Renders an authorization outcome.
pub fn respond(
    provider: &Provider,
    headers: &HeaderMap,
    outcome: AuthorizeOutcome,
    notice: LoginNotice,
) -> Response {
    match outcome {
        AuthorizeOutcome::ErrorPage { error, description } => error_page(
            provider,
            headers,
            StatusCode::BAD_REQUEST,
            error.as_str(),
            &description,
        ),
        AuthorizeOutcome::Redirect(url) => Redirect::to(&url).into_response(),
        AuthorizeOutcome::Login(pending) => login_page(provider, headers, &pending, notice),
        AuthorizeOutcome::Consent(pending) => consent_page(provider, headers, &pending),
    }
}

fn seal(provider: &Provider, pending: &PendingAuthorization) -> Option<String> {
    Interaction::new(
        pending.request.encode(),
        pending.progress.started_at,
        pending.progress.login_done,
    )
    .seal(provider.secret_box(), Purpose::Authorize)
}

fn client_name(pending: &PendingAuthorization) -> String {
    pending
        .client
        .client_name
        .clone()
        .unwrap_or_else(|| pending.client.client_id.clone())
}

fn login_page(
    provider: &Provider,
    headers: &HeaderMap,
    pending: &PendingAuthorization,
    notice: LoginNotice,
) -> Response {
    let lang = language(provider, headers, &pending.request.ui_locales);
    let (csrf, set_cookie) = csrf_token(provider.config(), headers);
    let Some(interaction) = seal(provider, pending) else {
        return server_error_page(provider, headers, "sealing the interaction failed");
    };
    let username = notice
        .username
        .or_else(|| pending.request.login_hint.clone())
        .unwrap_or_default();
    let error = if notice.wrong_password {
        provider.pages().message(lang, "wrong_password")
    } else {
        String::new()
    };
    let rendered = provider.pages().render(
        "login.html",
        lang,
        context! {
            action => provider.config().endpoint(paths::LOGIN),
            csrf_token => csrf,
            interaction => interaction,
            username => username,
            client_name => client_name(pending),
            error => error,
        },
    );
    match rendered {
        Ok(body) => html(StatusCode::OK, body, set_cookie),
        Err(e) => server_error_page(provider, headers, e),
    }
}

fn consent_page(
    provider: &Provider,
    headers: &HeaderMap,
    pending: &PendingAuthorization,
) -> Response {
    let lang = language(provider, headers, &pending.request.ui_locales);
    let (csrf, set_cookie) = csrf_token(provider.config(), headers);
    let Some(interaction) = seal(provider, pending) else {
        return server_error_page(provider, headers, "sealing the interaction failed");
    };
    let scopes: Vec<String> = pending
        .request
        .scope
        .iter()
        .map(|s| provider.pages().scope_description(lang, s))
        .collect();
    let username = pending.username.clone().unwrap_or_default();
    let rendered = provider.pages().render(
        "consent.html",
        lang,
        context! {
            action => provider.config().endpoint(paths::CONSENT),
            csrf_token => csrf,
            interaction => interaction,
            client_name => client_name(pending),
            scopes => scopes,
            username => username,
        },
    );
    match rendered {
        Ok(body) => html(StatusCode::OK, body, set_cookie),
        Err(e) => server_error_page(provider, headers, e),
    }
}

/// A fault of ours on a page: logged, and a generic page shown; an unreachable database is
/// a 503 `temporarily_unavailable` page (RFC 6749 §4.1.2.1 names the code).
pub fn server_error_page(
    provider: &Provider,
    headers: &HeaderMap,
    detail: impl std::fmt::Display + 'static,
) -> Response {
    tracing::error!(detail = %detail, "page failed");
    if is_unavailable(&detail) {
        return error_page(
            provider,
            headers,
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "the service is temporarily unavailable, try again later",
        );
    }
    error_page(
        provider,
        headers,
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "the server could not complete the request",
    )
}

/// Whether a page fault is the database being unreachable (a store, crypto or OAuth error
/// that carries `StoreError::Unavailable`).
fn is_unavailable(detail: &dyn std::any::Any) -> bool {
    use crate::crypto::CryptoError;
    use crate::error::OAuthError;
    use oxid_store::StoreError;
    let store = detail.downcast_ref::<StoreError>().or_else(|| {
        match detail.downcast_ref::<CryptoError>() {
            Some(CryptoError::Store(e)) => Some(e),
            _ => None,
        }
    });
    matches!(store, Some(StoreError::Unavailable(_)))
        || detail
            .downcast_ref::<OAuthError>()
            .is_some_and(OAuthError::is_unavailable)
}

//! Rendering of the browser pages: the authorization's login and consent pages and
//! redirects, the error page, and [`PageError`], which lets page handlers use `?`.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Value, context};

use super::layers::page_csp;
use crate::authorize::{AuthorizeOutcome, AwaitingUser, PendingAuthorization};
use crate::client_metadata::ClientDisplay;
use crate::discovery::paths;
use crate::error::OAuthError;
use crate::http::cookies::{csrf_token, with_set_cookie};
use crate::http::form_post::{FormPostWords, form_post_page};
use crate::locales::PageLanguage;
use crate::pages::PagesError;
use crate::state::Provider;

/// Why a page handler could not render its page; each becomes the error page.
#[derive(Debug)]
pub enum PageError {
    /// 400 `invalid_request`: the browser sent something wrong; the text says what.
    BadRequest(String),
    /// 403 `invalid_request`: the form's CSRF token is missing or does not match the cookie.
    CsrfMismatch,
    /// 503 `temporarily_unavailable`: the database cannot be reached (RFC 6749 §4.1.2.1
    /// names the code); the detail is logged.
    Unavailable(String),
    /// 500 `server_error`: a fault of ours; the detail is logged.
    Server(String),
}

impl From<OAuthError> for PageError {
    fn from(e: OAuthError) -> Self {
        if e.is_unavailable() {
            PageError::Unavailable(e.to_string())
        } else {
            PageError::Server(e.to_string())
        }
    }
}

impl From<PagesError> for PageError {
    fn from(e: PagesError) -> Self {
        PageError::Server(e.to_string())
    }
}

impl PageError {
    /// The error page for this error, in the browser's language.
    pub fn render(self, provider: &Provider, headers: &HeaderMap) -> Response {
        let (status, error, description) = match self {
            PageError::BadRequest(description) => {
                (StatusCode::BAD_REQUEST, "invalid_request", description)
            }
            PageError::CsrfMismatch => (
                StatusCode::FORBIDDEN,
                "invalid_request",
                "the form's CSRF token is missing or wrong; reload the page and try again".into(),
            ),
            PageError::Unavailable(detail) => {
                tracing::error!(detail = %detail, "page failed: database unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "temporarily_unavailable",
                    "the service is temporarily unavailable, try again later".into(),
                )
            }
            PageError::Server(detail) => {
                tracing::error!(detail = %detail, "page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "the server could not complete the request".into(),
                )
            }
        };
        error_page(provider, headers, status, error, &description)
    }
}

/// A page handler's answer: its page, or the error page of what went wrong.
pub fn page_or_error(
    provider: &Provider,
    headers: &HeaderMap,
    result: Result<Response, PageError>,
) -> Response {
    result.unwrap_or_else(|e| e.render(provider, headers))
}

/// The page language: `ui_locales` first, then `Accept-Language`, then the first configured.
pub fn language(provider: &Provider, headers: &HeaderMap, ui_locales: &[String]) -> PageLanguage {
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
    with_set_cookie((status, Html(body)).into_response(), set_cookie.as_deref())
}

/// A page holding a form: `template` rendered with the form's action and CSRF token besides
/// `values`, and the CSRF cookie when the browser had none.
pub fn form_page(
    provider: &Provider,
    headers: &HeaderMap,
    template: &str,
    lang: &PageLanguage,
    action: &str,
    values: Value,
) -> Result<Response, PageError> {
    let sealed = values
        .get_attr("interaction")
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let (csrf, set_cookie) = csrf_token(provider.config(), headers, &sealed);
    let body = provider.pages().render(
        template,
        lang,
        context! { action => provider.config().endpoint(action), csrf_token => csrf, ..values },
    )?;
    Ok(html(StatusCode::OK, body, set_cookie))
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
        &lang,
        context! { error => error, description => description },
    ) {
        Ok(body) => html(status, body, None),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            (status, format!("{error}: {description}")).into_response()
        }
    }
}

/// What the login page shows besides the form.
#[derive(Debug, Default)]
pub struct LoginNotice {
    /// The username to pre-fill.
    pub username: Option<String>,
    /// Show the wrong-password message.
    pub wrong_password: bool,
}

/// Renders an authorization outcome; `ui_locales` are the request's (OIDC Core §3.1.2.1),
/// for the pages that have no request of their own to read them from (form_post).
pub fn respond(
    provider: &Provider,
    headers: &HeaderMap,
    ui_locales: &[String],
    outcome: AuthorizeOutcome,
    notice: LoginNotice,
) -> Result<Response, PageError> {
    match outcome {
        AuthorizeOutcome::ErrorPage { error, description } => Ok(error_page(
            provider,
            headers,
            StatusCode::BAD_REQUEST,
            error.as_str(),
            &description,
        )),
        AuthorizeOutcome::Redirect(url) => Ok(redirect_to_client(provider, headers, &url)),
        AuthorizeOutcome::FormPost {
            redirect_uri,
            params,
        } => {
            let lang = language(provider, headers, ui_locales);
            let words = FormPostWords::new(provider.pages(), &lang);
            Ok(form_post_page(&redirect_uri, &params, &words))
        }
        AuthorizeOutcome::Login(pending) => login_page(provider, headers, &pending, notice),
        AuthorizeOutcome::Consent(pending) => consent_page(provider, headers, &pending),
    }
}

/// A 303 to the client (RFC 6749 §4.1.2.1 leaves the method to us; 303 makes the browser
/// GET it after a POSTed form); a URL that cannot be a header value gets the error page.
fn redirect_to_client(provider: &Provider, headers: &HeaderMap, url: &str) -> Response {
    match HeaderValue::from_str(url) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => error_page(
            provider,
            headers,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the redirect_uri cannot be used in a redirect",
        ),
    }
}

fn seal(provider: &Provider, pending: &PendingAuthorization) -> Result<String, PageError> {
    AwaitingUser::seal(&pending.request, pending.progress, provider.secret_box())
        .ok_or_else(|| PageError::Server("sealing the interaction failed".into()))
}

/// The client's name, logo and links in the page language (OIDC Registration §2.1).
fn client_display(pending: &PendingAuthorization, lang: &str) -> ClientDisplay {
    ClientDisplay::for_language(&pending.client, lang)
}

/// The template values of `client`: `client_name`, and `client` for `client.html`.
fn client_values(client: &ClientDisplay) -> Value {
    context! {
        client_name => client.name,
        client => context! {
            name => client.name,
            logo_uri => client.logo_uri,
            client_uri => client.client_uri,
            policy_uri => client.policy_uri,
            tos_uri => client.tos_uri,
            host => client.host,
        },
    }
}

/// A login or consent page showing `client`: its logo's origin is the one image source the
/// page's policy allows besides our own.
fn client_page(response: Response, client: &ClientDisplay) -> Response {
    let mut response = response;
    let logos: Vec<String> = client.logo_uri.iter().cloned().collect();
    if !logos.is_empty()
        && let Ok(csp) = header::HeaderValue::from_str(&page_csp(&[], &logos))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

fn login_page(
    provider: &Provider,
    headers: &HeaderMap,
    pending: &PendingAuthorization,
    notice: LoginNotice,
) -> Result<Response, PageError> {
    let lang = language(provider, headers, &pending.request.ui_locales);
    let username = notice
        .username
        .or_else(|| pending.request.login_hint.clone())
        .unwrap_or_default();
    let error = if notice.wrong_password {
        provider.pages().message(&lang, "wrong_password")
    } else {
        String::new()
    };
    let client = client_display(pending, &lang.tag);
    let values = context! {
        interaction => seal(provider, pending)?,
        username => username,
        error => error,
        ..client_values(&client)
    };
    let page = form_page(provider, headers, "login.html", &lang, paths::LOGIN, values)?;
    Ok(client_page(page, &client))
}

fn consent_page(
    provider: &Provider,
    headers: &HeaderMap,
    pending: &PendingAuthorization,
) -> Result<Response, PageError> {
    let lang = language(provider, headers, &pending.request.ui_locales);
    let registry = provider.capabilities();
    let scopes: Vec<String> = pending
        .request
        .scope
        .iter()
        .map(|s| {
            provider
                .pages()
                .scope_description(&lang, s, registry.scope(s))
        })
        .collect();
    let client = client_display(pending, &lang.tag);
    let values = context! {
        interaction => seal(provider, pending)?,
        scopes => scopes,
        username => pending.username.clone().unwrap_or_default(),
        ..client_values(&client)
    };
    let page = form_page(
        provider,
        headers,
        "consent.html",
        &lang,
        paths::CONSENT,
        values,
    )?;
    Ok(client_page(page, &client))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::CryptoError;
    use crate::test_support::provider_with_alice;
    use oxid_store::StoreError;

    #[tokio::test]
    async fn an_unreachable_database_is_a_503_page_any_other_fault_a_500_rfc6749_4_1_2_1() {
        let provider = provider_with_alice().await;
        let headers = HeaderMap::new();
        let status = |e: OAuthError| PageError::from(e).render(&provider, &headers).status();
        let down = || StoreError::Unavailable("connection refused".into());
        assert_eq!(status(down().into()), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            status(CryptoError::Store(down()).into()),
            StatusCode::SERVICE_UNAVAILABLE,
            "an unreachable database inside a key operation is still a 503"
        );
        let broken = StoreError::Backend("constraint".into());
        assert_eq!(status(broken.into()), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            status(OAuthError::server("bug")),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[tokio::test]
    async fn bad_requests_and_csrf_failures_are_400_and_403_pages() {
        let provider = provider_with_alice().await;
        let headers = HeaderMap::new();
        let bad = PageError::BadRequest("decision must be allow or deny".into());
        assert_eq!(
            bad.render(&provider, &headers).status(),
            StatusCode::BAD_REQUEST
        );
        let csrf = PageError::CsrfMismatch.render(&provider, &headers);
        assert_eq!(csrf.status(), StatusCode::FORBIDDEN);
    }
}

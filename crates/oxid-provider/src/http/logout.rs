//! The end-session endpoint (RP-Initiated Logout 1.0 §2, GET and POST) and its confirmation
//! form. Each handler reads the request, makes one call into `logout` and renders what it
//! answers; the logout itself (end the session, notify the clients) is `logout::log_out`.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use oxid_protocol::logout::EndSessionRequest;
use oxid_protocol::params::{ParamError, Params};

use super::cookies::{clear_session_cookie, session_token, with_set_cookie};
use super::layers::page_csp;
use super::page_form::open_form;
use super::pages::{PageError, form_page, html, language, page_or_error};
use crate::discovery::paths;
use crate::interaction::Purpose;
use crate::logout::{
    LogoutDecision, LogoutOutcome, PendingLogout, confirm_logout, end_session_request,
};
use crate::state::Provider;

/// `GET /logout`.
pub async fn logout_get(
    State(provider): State<Provider>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let request = Params::parse_query(&query.unwrap_or_default());
    start(&provider, &headers, request).await
}

/// `POST /logout` with a form body.
pub async fn logout_post(
    State(provider): State<Provider>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    start(&provider, &headers, Params::parse_form(&body)).await
}

async fn start(
    provider: &Provider,
    headers: &HeaderMap,
    params: Result<Params, ParamError>,
) -> Response {
    let result = async {
        let request = params
            .and_then(|p| EndSessionRequest::from_params(&p))
            .map_err(|e| PageError::BadRequest(e.description()))?;
        let outcome =
            end_session_request(provider, request, session_token(provider.config(), headers))
                .await?;
        render(provider, headers, outcome)
    };
    page_or_error(provider, headers, result.await)
}

/// `POST /logout/confirm`: the user's answer on the confirmation page.
pub async fn logout_confirm(
    State(provider): State<Provider>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let form = open_form(
            &provider,
            &headers,
            &body,
            Purpose::Logout,
            PendingLogout::request_from_interaction,
        )
        .await?;
        let options = [
            ("logout", LogoutDecision::LogOut),
            ("stay", LogoutDecision::Stay),
        ];
        let decision = form.choice("decision", &options)?;
        let outcome = confirm_logout(
            &provider,
            form.carried,
            decision,
            session_token(provider.config(), &headers),
        )
        .await?;
        render(&provider, &headers, outcome)
    };
    page_or_error(&provider, &headers, result.await)
}

fn render(
    provider: &Provider,
    headers: &HeaderMap,
    outcome: LogoutOutcome,
) -> Result<Response, PageError> {
    match outcome {
        LogoutOutcome::ErrorPage(description) => Err(PageError::BadRequest(description)),
        LogoutOutcome::Confirm(pending) => confirm_page(provider, headers, &pending),
        LogoutOutcome::StayedSignedIn { redirect } => Ok(match redirect {
            Some(url) => Redirect::to(&url).into_response(),
            None => last_page(provider, headers, LastPage::Stayed)?,
        }),
        LogoutOutcome::SignedOut {
            redirect,
            frontchannel_urls,
        } => {
            // Front-channel logout needs a page to hold its iframes; without it, redirect.
            let page = match redirect {
                Some(url) if frontchannel_urls.is_empty() => Redirect::to(&url).into_response(),
                redirect => {
                    let signed_out = LastPage::SignedOut {
                        redirect,
                        frontchannel_urls: &frontchannel_urls,
                    };
                    // The session is gone: its cookie is cleared whatever this page does.
                    page_or_error(provider, headers, last_page(provider, headers, signed_out))
                }
            };
            let cookie = clear_session_cookie(provider.config());
            Ok(with_set_cookie(page, Some(&cookie)))
        }
    }
}

fn confirm_page(
    provider: &Provider,
    headers: &HeaderMap,
    pending: &PendingLogout,
) -> Result<Response, PageError> {
    let lang = language(provider, headers, &pending.request.ui_locales);
    let sealed = pending
        .seal(provider.secret_box(), provider.now())
        .ok_or_else(|| PageError::Server("sealing the logout request failed".into()))?;
    let client_name = pending
        .client
        .as_ref()
        .map(|c| c.client_name.clone().unwrap_or_else(|| c.client_id.clone()));
    let values = context! { interaction => sealed, client_name => client_name };
    form_page(
        provider,
        headers,
        "logout.html",
        &lang,
        paths::LOGOUT_CONFIRM,
        values,
    )
}

/// What the last page of a logout says.
enum LastPage<'a> {
    /// The user chose to stay signed in.
    Stayed,
    /// Signed out: the front-channel logout iframes (OIDC Front-Channel Logout §3), then on
    /// to the client's post-logout redirect when there is one.
    SignedOut {
        redirect: Option<String>,
        frontchannel_urls: &'a [String],
    },
}

fn last_page(
    provider: &Provider,
    headers: &HeaderMap,
    page: LastPage<'_>,
) -> Result<Response, PageError> {
    let lang = language(provider, headers, &[]);
    let (stayed, redirect, frontchannel_urls) = match page {
        LastPage::Stayed => (true, None, &[][..]),
        LastPage::SignedOut {
            redirect,
            frontchannel_urls,
        } => (false, redirect, frontchannel_urls),
    };
    let body = provider.pages().render(
        "logged_out.html",
        &lang,
        context! { stayed, redirect, frontchannel_urls },
    )?;
    let mut response = html(StatusCode::OK, body, None);
    if !frontchannel_urls.is_empty()
        && let Ok(value) = HeaderValue::from_str(&page_csp(frontchannel_urls, &[]))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    Ok(response)
}

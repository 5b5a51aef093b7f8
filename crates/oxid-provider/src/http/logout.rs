//! The end-session endpoint (RP-Initiated Logout 1.0 §2, GET and POST) and its confirmation
//! form.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::context;
use oxid_protocol::params::{ParamError, Params};

use super::authorize::open_form;
use super::cookies::csrf_token;
use super::pages::{error_page, html, language, server_error_page};
use crate::discovery::paths;
use crate::interaction::{Interaction, Purpose};
use crate::logout::{LogoutOutcome, PendingLogout, end_session};
use crate::session::{current_session, end_session as end_login_session};
use crate::state::Provider;

/// `GET /logout`.
pub async fn logout_get(
    State(provider): State<Provider>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    run(&provider, &headers, Params::parse_query(&query), false).await
}

/// `POST /logout` with a form body.
pub async fn logout_post(
    State(provider): State<Provider>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(&provider, &headers, Params::parse_form(&body), false).await
}

/// `POST /logout/confirm`: the user's answer on the confirmation page.
pub async fn logout_confirm(
    State(provider): State<Provider>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (form, interaction) = match open_form(&provider, &headers, &body, Purpose::Logout).await {
        Ok(opened) => opened,
        Err(response) => return response,
    };
    let params = Params::parse_query(&interaction.request);
    match form.get("decision") {
        Some("logout") => run(&provider, &headers, params, true).await,
        // Staying signed in: back to the client when it gave a registered redirect.
        Some("stay") => match params
            .ok()
            .and_then(|p| oxid_protocol::logout::EndSessionRequest::from_params(&p).ok())
            .and_then(|r| r.post_logout_redirect())
        {
            Some(redirect) => Redirect::to(&redirect).into_response(),
            None => signed_out_page(&provider, &headers, Outcome::Stayed),
        },
        _ => error_page(
            &provider,
            &headers,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "decision must be logout or stay",
        ),
    }
}

async fn run(
    provider: &Provider,
    headers: &HeaderMap,
    params: Result<Params, ParamError>,
    confirmed: bool,
) -> Response {
    let session = match current_session(provider, headers).await {
        Ok(session) => session,
        Err(e) => return server_error_page(provider, headers, e),
    };
    let outcome = match end_session(provider, params, session.as_ref(), confirmed).await {
        Ok(outcome) => outcome,
        Err(e) => return server_error_page(provider, headers, e),
    };
    match outcome {
        LogoutOutcome::ErrorPage(description) => error_page(
            provider,
            headers,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &description,
        ),
        LogoutOutcome::Confirm(pending) => confirm_page(provider, headers, &pending),
        LogoutOutcome::Done { redirect } => {
            let (cookie, frontchannel_urls) = match end_login_session(provider, headers).await {
                Ok((Some(ended), cookie)) => {
                    tracing::info!(sid = %ended.sid, "logged out");
                    crate::backchannel::notify(provider, &ended).await;
                    (
                        cookie,
                        crate::frontchannel::logout_urls(provider, &ended).await,
                    )
                }
                Ok((None, cookie)) => (cookie, Vec::new()),
                Err(e) => return server_error_page(provider, headers, e),
            };
            // Front-channel logout needs a page to hold its iframes; without it, redirect.
            let mut response = match redirect {
                Some(url) if frontchannel_urls.is_empty() => Redirect::to(&url).into_response(),
                redirect => signed_out_page(
                    provider,
                    headers,
                    Outcome::SignedOut {
                        redirect,
                        frontchannel_urls: &frontchannel_urls,
                    },
                ),
            };
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
    }
}

fn confirm_page(provider: &Provider, headers: &HeaderMap, pending: &PendingLogout) -> Response {
    let lang = language(provider, headers, &pending.request.ui_locales);
    let (csrf, set_cookie) = csrf_token(provider.config(), headers);
    let interaction = Interaction::new(
        oxid_protocol::params::encode_pairs(pending.request.to_query_pairs()),
        provider.now(),
        false,
    );
    let Some(sealed) = interaction.seal(provider.secret_box(), Purpose::Logout) else {
        return server_error_page(provider, headers, "sealing the logout request failed");
    };
    let client_name = pending
        .client
        .as_ref()
        .map(|c| c.client_name.clone().unwrap_or_else(|| c.client_id.clone()));
    let rendered = provider.pages().render(
        "logout.html",
        lang,
        context! {
            action => provider.config().endpoint(paths::LOGOUT_CONFIRM),
            csrf_token => csrf,
            interaction => sealed,
            client_name => client_name,
        },
    );
    match rendered {
        Ok(body) => html(StatusCode::OK, body, set_cookie),
        Err(e) => server_error_page(provider, headers, e),
    }
}

/// What the last page of a logout says.
enum Outcome<'a> {
    /// The user chose to stay signed in.
    Stayed,
    /// Signed out: the front-channel logout iframes (OIDC Front-Channel Logout §3), then on
    /// to the client's post-logout redirect when there is one.
    SignedOut {
        redirect: Option<String>,
        frontchannel_urls: &'a [String],
    },
}

fn signed_out_page(provider: &Provider, headers: &HeaderMap, outcome: Outcome<'_>) -> Response {
    let lang = language(provider, headers, &[]);
    let (stayed, redirect, frontchannel_urls) = match outcome {
        Outcome::Stayed => (true, None, &[][..]),
        Outcome::SignedOut {
            redirect,
            frontchannel_urls,
        } => (false, redirect, frontchannel_urls),
    };
    let rendered = provider.pages().render(
        "logged_out.html",
        lang,
        context! { stayed, redirect, frontchannel_urls },
    );
    match rendered {
        Ok(body) => {
            let mut response = Html(body).into_response();
            if !frontchannel_urls.is_empty() {
                let csp = crate::frontchannel::content_security_policy(frontchannel_urls);
                if let Ok(value) = HeaderValue::from_str(&csp) {
                    response
                        .headers_mut()
                        .insert(header::CONTENT_SECURITY_POLICY, value);
                }
            }
            response
        }
        Err(e) => server_error_page(provider, headers, e),
    }
}

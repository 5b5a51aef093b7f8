//! The authorization endpoint (GET and POST, OIDC Core §3.1.2.1) and the login and consent
//! forms that continue it. Each handler reads the request, makes one call into the logic
//! (`authorize`, `login`, `consent`) and renders what it answers.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use minijinja::context;

use super::cookies::{session_cookie, session_token, with_set_cookie};
use super::page_form::{PostedForm, open_form};
use super::pages::{LoginNotice, PageError, html, language, page_or_error, respond};
use crate::authorize::{AwaitingUser, Consent, ReceivedAuthorization, authorize};
use crate::consent::answer_consent;
use crate::interaction::Purpose;
use crate::login::{Credentials, LoginOutcome, log_in};
use crate::state::Provider;
use crate::throttle::{Locked, peer_address};

/// `GET /authorize`.
pub async fn authorize_get(
    State(provider): State<Provider>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let received = ReceivedAuthorization::from_query(&query.unwrap_or_default());
    start(&provider, &headers, received).await
}

/// `POST /authorize` with a form body (OIDC Core §3.1.2.1).
pub async fn authorize_post(
    State(provider): State<Provider>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    start(&provider, &headers, ReceivedAuthorization::from_form(&body)).await
}

async fn start(
    provider: &Provider,
    headers: &HeaderMap,
    received: ReceivedAuthorization,
) -> Response {
    let ui_locales = received
        .request
        .as_ref()
        .map(|r| r.ui_locales.clone())
        .unwrap_or_default();
    let result = async {
        let outcome = authorize(
            provider,
            received,
            session_token(provider.config(), headers),
        )
        .await?;
        respond(
            provider,
            headers,
            &ui_locales,
            outcome,
            LoginNotice::default(),
        )
    };
    page_or_error(provider, headers, result.await)
}

/// The login or consent form, checked, with the authorization it continues.
async fn open_authorization_form(
    provider: &Provider,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<PostedForm<AwaitingUser>, PageError> {
    let read = AwaitingUser::from_interaction;
    open_form(provider, headers, body, Purpose::Authorize, read).await
}

/// `POST /login`: the login form; `login::log_in` checks the password.
pub async fn login(
    State(provider): State<Provider>,
    headers: HeaderMap,
    extensions: Extensions,
    body: Bytes,
) -> Response {
    let result = async {
        let form = open_authorization_form(&provider, &headers, &body).await?;
        let ui_locales = form.carried.request.ui_locales.clone();
        let credentials = Credentials {
            username: form.fields.get("username").unwrap_or(""),
            password: form.fields.get("password").unwrap_or(""),
        };
        let outcome = log_in(
            &provider,
            form.carried,
            credentials,
            session_token(provider.config(), &headers),
            peer_address(&extensions),
        )
        .await?;
        match outcome {
            LoginOutcome::Rejected { username, next } => {
                let notice = LoginNotice {
                    username: Some(username),
                    wrong_password: true,
                };
                respond(&provider, &headers, &ui_locales, next, notice)
            }
            LoginOutcome::LoggedIn {
                session_token,
                next,
            } => {
                // The session exists now: the browser gets its cookie whatever this page does.
                let page = respond(
                    &provider,
                    &headers,
                    &ui_locales,
                    next,
                    LoginNotice::default(),
                );
                let page = page_or_error(&provider, &headers, page);
                let cookie = session_cookie(provider.config(), &session_token);
                Ok(with_set_cookie(page, Some(&cookie)))
            }
            LoginOutcome::Locked(locked) => locked_page(&provider, &headers, locked),
        }
    };
    page_or_error(&provider, &headers, result.await)
}

/// 429 with `Retry-After` (RFC 6585 §4, RFC 9110 §10.2.3) and a page saying when to try
/// again; it names no account, so it tells nothing about whether one exists.
pub(super) fn locked_page(
    provider: &Provider,
    headers: &HeaderMap,
    locked: Locked,
) -> Result<Response, PageError> {
    let lang = language(provider, headers, &[]);
    let seconds_of_day = locked.until % 86_400;
    let until = format!(
        "{:02}:{:02} UTC",
        seconds_of_day / 3600,
        seconds_of_day % 3600 / 60
    );
    let minutes = locked.retry_after.div_ceil(60);
    let body = provider.pages().render(
        "locked.html",
        &lang,
        context! { until => until, minutes => minutes },
    )?;
    let mut response = html(StatusCode::TOO_MANY_REQUESTS, body, None);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(locked.retry_after));
    Ok(response)
}

/// `POST /consent`: the consent form; `consent::answer_consent` remembers what was allowed.
pub async fn consent(
    State(provider): State<Provider>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let form = open_authorization_form(&provider, &headers, &body).await?;
        let options = [("allow", Consent::Allow), ("deny", Consent::Deny)];
        let answer = form.choice("decision", &options)?;
        let ui_locales = form.carried.request.ui_locales.clone();
        let next = answer_consent(
            &provider,
            form.carried,
            answer,
            session_token(provider.config(), &headers),
        )
        .await?;
        respond(
            &provider,
            &headers,
            &ui_locales,
            next,
            LoginNotice::default(),
        )
    };
    page_or_error(&provider, &headers, result.await)
}

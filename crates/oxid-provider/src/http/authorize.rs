//! The authorization endpoint (GET and POST, OIDC Core §3.1.2.1) and the login and consent
//! forms that continue it.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use oxid_protocol::params::{ParamError, Params};
use oxid_store::{ConsentRecord, SessionRecord};

use crate::authorize::{AuthorizeOutcome, Progress, authorize};
use crate::crypto::password::{dummy_verify, verify_password};
use crate::crypto::secrets::sha256_hex;
use crate::error::OAuthError;
use crate::http::cookies::csrf_matches;
use crate::http::pages::{LoginNotice, error_page, respond, server_error_page};
use crate::interaction::{Interaction, Purpose};
use crate::session::{current_session, end_session, start_session};
use crate::state::Provider;

/// Every pair as sent, for reading `client_id` and `redirect_uri` even when the strict parse
/// fails (a repeated parameter must still be answered at a trusted redirect URI).
fn raw_pairs(encoded: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(encoded).into_owned().collect()
}

async fn run(
    provider: &Provider,
    params: Result<Params, ParamError>,
    encoded: &[u8],
    progress: Progress,
    session: Option<SessionRecord>,
) -> Result<AuthorizeOutcome, OAuthError> {
    authorize(provider, params, &raw_pairs(encoded), session, progress).await
}

async fn start(
    provider: &Provider,
    headers: &HeaderMap,
    encoded: &[u8],
    params: Result<Params, ParamError>,
) -> Response {
    let session = match current_session(provider, headers).await {
        Ok(session) => session,
        Err(e) => return server_error_page(provider, headers, e),
    };
    let now = provider.now();
    match run(provider, params, encoded, Progress::new(now), session).await {
        Ok(outcome) => respond(provider, headers, outcome, LoginNotice::default()),
        Err(e) => server_error_page(provider, headers, e),
    }
}

/// `GET /authorize`.
pub async fn authorize_get(
    State(provider): State<Provider>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    start(
        &provider,
        &headers,
        query.as_bytes(),
        Params::parse_query(&query),
    )
    .await
}

/// `POST /authorize` with a form body (OIDC Core §3.1.2.1).
pub async fn authorize_post(
    State(provider): State<Provider>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    start(&provider, &headers, &body, Params::parse_form(&body)).await
}

/// The form fields shared by the login and consent forms, checked: CSRF token and the sealed
/// interaction.
pub(super) async fn open_form(
    provider: &Provider,
    headers: &HeaderMap,
    body: &[u8],
    purpose: Purpose,
) -> Result<(Params, Interaction), Response> {
    let bad = |description: &str| {
        error_page(
            provider,
            headers,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            description,
        )
    };
    let form = Params::parse_form(body).map_err(|e| bad(&e.description()))?;
    if !csrf_matches(headers, form.get("csrf_token")) {
        return Err(error_page(
            provider,
            headers,
            StatusCode::FORBIDDEN,
            "invalid_request",
            "the form's CSRF token is missing or wrong; reload the page and try again",
        ));
    }
    let interaction = form
        .get("interaction")
        .and_then(|v| Interaction::open(v, provider.secret_box(), provider.now(), purpose))
        .ok_or_else(|| {
            bad("this sign-in has expired or was altered; start again from the application")
        })?;
    // Each rendered form is accepted once: a replayed submission must not log in again or
    // issue a second code for the same authorization.
    match provider
        .store()
        .claim_interaction(&sha256_hex(&interaction.id), interaction.expires_at())
        .await
    {
        Ok(true) => Ok((form, interaction)),
        Ok(false) => Err(bad(
            "this form was already submitted; start again from the application",
        )),
        Err(e) => Err(server_error_page(provider, headers, e)),
    }
}

/// The progress a sealed interaction carries, plus what this form just did: a login, or a
/// consent decision (`Some(true)` allowed, `Some(false)` denied).
fn progress(interaction: &Interaction, logged_in_now: bool, consent: Option<bool>) -> Progress {
    Progress {
        started_at: interaction.started_at,
        login_done: interaction.login_done || logged_in_now,
        consent_done: consent == Some(true),
        consent_denied: consent == Some(false),
    }
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `POST /login`: checks the password, starts a session, continues the authorization.
pub async fn login(State(provider): State<Provider>, headers: HeaderMap, body: Bytes) -> Response {
    let (form, interaction) = match open_form(&provider, &headers, &body, Purpose::Authorize).await
    {
        Ok(opened) => opened,
        Err(response) => return response,
    };
    let request = interaction.request.as_bytes();
    let params = Params::parse_query(&interaction.request);
    let username = form.get("username").unwrap_or("").trim().to_string();
    let password = form.get("password").unwrap_or("");
    let user = match provider.store().get_user_by_username(&username).await {
        Ok(user) => user,
        Err(e) => return server_error_page(&provider, &headers, e),
    };
    // Same cost whether or not the user exists: no username enumeration by timing.
    let verified = match &user {
        Some(user) => verify_password(password, &user.password_hash),
        None => dummy_verify(password),
    };
    let (Some(user), true) = (user, verified) else {
        tracing::info!("login failed");
        let outcome = run(
            &provider,
            params,
            request,
            progress(&interaction, false, None),
            None,
        )
        .await;
        let notice = LoginNotice {
            username: Some(username),
            wrong_password: true,
        };
        return match outcome {
            Ok(outcome) => respond(&provider, &headers, outcome, notice),
            Err(e) => server_error_page(&provider, &headers, e),
        };
    };
    // A fresh session id at every login (no session fixation).
    if let Err(e) = end_session(&provider, &headers).await {
        return server_error_page(&provider, &headers, e);
    }
    let (session, cookie) = match start_session(&provider, &user).await {
        Ok(started) => started,
        Err(e) => return server_error_page(&provider, &headers, e),
    };
    let outcome = run(
        &provider,
        params,
        request,
        progress(&interaction, true, None),
        Some(session),
    )
    .await;
    let response = match outcome {
        Ok(outcome) => respond(&provider, &headers, outcome, LoginNotice::default()),
        Err(e) => server_error_page(&provider, &headers, e),
    };
    with_cookie(response, &cookie)
}

/// `POST /consent`: records the decision and continues the authorization.
pub async fn consent(
    State(provider): State<Provider>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (form, interaction) = match open_form(&provider, &headers, &body, Purpose::Authorize).await
    {
        Ok(opened) => opened,
        Err(response) => return response,
    };
    let request = interaction.request.as_bytes();
    let params = Params::parse_query(&interaction.request);
    let session = match current_session(&provider, &headers).await {
        Ok(session) => session,
        Err(e) => return server_error_page(&provider, &headers, e),
    };
    let allow = match form.get("decision") {
        Some("allow") => true,
        Some("deny") => false,
        _ => {
            return error_page(
                &provider,
                &headers,
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "decision must be allow or deny",
            );
        }
    };
    if let (true, Some(session), Ok(params)) = (allow, &session, &params)
        && let Err(e) = remember_consent(&provider, session, params).await
    {
        return server_error_page(&provider, &headers, e);
    }
    let outcome = run(
        &provider,
        params,
        request,
        progress(&interaction, false, Some(allow)),
        session,
    )
    .await;
    match outcome {
        Ok(outcome) => respond(&provider, &headers, outcome, LoginNotice::default()),
        Err(e) => server_error_page(&provider, &headers, e),
    }
}

/// Adds the requested scopes to what the user already granted this client.
async fn remember_consent(
    provider: &Provider,
    session: &SessionRecord,
    params: &Params,
) -> Result<(), OAuthError> {
    let Some(client_id) = params.get("client_id") else {
        return Ok(());
    };
    let store = provider.store();
    let mut scopes = store
        .get_consent(&session.user_id, client_id)
        .await?
        .map(|c| c.scopes)
        .unwrap_or_default();
    for scope in params.get("scope").unwrap_or("").split_whitespace() {
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_string());
        }
    }
    let consent = ConsentRecord {
        user_id: session.user_id.clone(),
        client_id: client_id.to_string(),
        scopes,
        granted_at: provider.now(),
    };
    store.put_consent(&consent).await?;
    Ok(())
}

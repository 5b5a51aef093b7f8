//! The authorization endpoint's decisions (RFC 6749 §4.1.1, OIDC Core §3.1.2), apart from
//! HTTP: trust the client and redirect URI first (else an error page, never a redirect), then
//! check the request (errors go back to the client), then decide between the login page, the
//! consent page and issuing a code.

use oxid_protocol::authorization::{
    AuthErrorCode, AuthenticationRequest, AuthorizationError, AuthorizationResponse, Prompt,
    ResponseMode,
};
use oxid_protocol::params::{ParamError, Params};
use oxid_store::{ClientRecord, CodeRecord, SessionRecord};

use crate::capabilities::GrantType;
use crate::claims::{essential_acr_unmet, requested_subject};
use crate::client::Client;
use crate::crypto::SecretBox;
use crate::crypto::secrets::{random_id, random_token, sha256_hex};
use crate::error::OAuthError;
use crate::interaction::{Interaction, Purpose};
use crate::session::current_session;
use crate::state::Provider;

/// What the endpoint answers.
#[derive(Debug)]
pub enum AuthorizeOutcome {
    /// The client or redirect URI cannot be trusted: an HTML error page, never a redirect.
    ErrorPage {
        /// `invalid_request` or `invalid_client`.
        error: AuthErrorCode,
        /// What is wrong.
        description: String,
    },
    /// Back to the client: a code or an error (with `state` and `iss`, RFC 9207).
    Redirect(String),
    /// The user must log in first.
    Login(Box<PendingAuthorization>),
    /// The user must consent first.
    Consent(Box<PendingAuthorization>),
}

/// A checked request waiting for the user.
#[derive(Debug)]
pub struct PendingAuthorization {
    /// The checked request.
    pub request: AuthenticationRequest,
    /// The client asking.
    pub client: ClientRecord,
    /// The session, when the user is logged in.
    pub session: Option<SessionRecord>,
    /// The logged-in user's name, for the consent page.
    pub username: Option<String>,
    /// How far this authorization has come.
    pub progress: Progress,
}

/// The user's answer on the consent page (RFC 6749 §4.1.2.1: a refusal is `access_denied`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// The user allowed the client what it asked for.
    Allow,
    /// The user refused.
    Deny,
}

/// How far an authorization has come across the login and consent pages. `prompt=login` and
/// `prompt=consent` (OIDC Core §3.1.2.1) are satisfied only by a login or consent given
/// within this authorization, whatever the clock says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// When the authorization endpoint first saw the request.
    pub started_at: u64,
    /// The user logged in within this authorization.
    pub login_done: bool,
    /// The user's answer on the consent page within this authorization, if they gave one.
    pub consent: Option<Consent>,
}

impl Progress {
    /// A request seen for the first time at `now`.
    pub fn new(now: u64) -> Self {
        Progress {
            started_at: now,
            login_done: false,
            consent: None,
        }
    }
}

impl PendingAuthorization {
    fn new(
        request: AuthenticationRequest,
        client: ClientRecord,
        session: Option<SessionRecord>,
        progress: Progress,
    ) -> Self {
        PendingAuthorization {
            request,
            client,
            session,
            username: None,
            progress,
        }
    }
}

/// An authorization waiting on its login or consent page, read once from the sealed form
/// field that carries it (see `interaction`).
#[derive(Debug, Clone, PartialEq)]
pub struct AwaitingUser {
    /// The request, checked when the page was shown.
    pub request: AuthenticationRequest,
    /// What happened within this authorization before the page.
    pub progress: Progress,
}

impl AwaitingUser {
    /// The authorization an opened interaction carries; `None` when it does not hold a
    /// request (it was sealed by us, so only a fault of ours gets here).
    pub fn from_interaction(interaction: &Interaction) -> Option<Self> {
        let params = Params::parse_query(&interaction.request).ok()?;
        let request = AuthenticationRequest::from_params(&params).ok()?;
        Some(AwaitingUser {
            request,
            progress: Progress {
                started_at: interaction.started_at,
                login_done: interaction.login_done,
                consent: None,
            },
        })
    }

    /// The sealed form value for the page that shows `request` at `progress`.
    pub fn seal(
        request: &AuthenticationRequest,
        progress: Progress,
        secret_box: &SecretBox,
    ) -> Option<String> {
        Interaction::new(request.encode(), progress.started_at, progress.login_done)
            .seal(secret_box, Purpose::Authorize)
    }
}

/// One of the two parameters read before the request is trusted: its one value, none
/// (absent or empty), or why it cannot be read (repeated).
type Single = Result<Option<String>, String>;

/// An authorization request as the browser sent it (query or form), read once. `client_id`,
/// `redirect_uri` and `state` are read leniently, so that a request the strict parse rejects
/// (a repeated parameter) is still answered at a trusted redirect URI (RFC 6749 §4.1.2.1).
#[derive(Debug)]
pub struct ReceivedAuthorization {
    client_id: Single,
    redirect_uri: Single,
    state: Option<String>,
    request: Result<AuthenticationRequest, AuthorizationError>,
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
        ReceivedAuthorization {
            client_id: single("client_id"),
            redirect_uri: single("redirect_uri"),
            state: single("state").ok().flatten(),
            request,
        }
    }
}

/// Runs the authorization endpoint on a request as received from the browser whose login
/// session cookie holds `session_token`.
pub async fn authorize(
    provider: &Provider,
    received: ReceivedAuthorization,
    session_token: Option<&str>,
) -> Result<AuthorizeOutcome, OAuthError> {
    let session = current_session(provider, session_token).await?;
    // RFC 6749 §4.1.2.1 / §3.1.2.4: without a trusted client and redirect URI, say so here.
    let (client, redirect_uri) =
        match trust(provider, received.client_id, received.redirect_uri).await? {
            Ok(trusted) => trusted,
            Err(page) => return Ok(page),
        };
    let request = match received.request {
        Ok(request) => request,
        Err(error) => {
            let iss = provider.config().issuer.clone();
            let error = error.with_state(received.state).with_iss(iss);
            return Ok(AuthorizeOutcome::Redirect(
                error.redirect_url(&redirect_uri, ResponseMode::Query),
            ));
        }
    };
    check_and_decide(
        provider,
        request,
        client,
        session,
        Progress::new(provider.now()),
    )
    .await
}

/// Continues an authorization after its login or consent page: the client and redirect URI
/// are trusted again (the registration may have changed meanwhile), then the request is
/// checked and decided as at the endpoint.
pub async fn resume(
    provider: &Provider,
    request: AuthenticationRequest,
    session: Option<SessionRecord>,
    progress: Progress,
) -> Result<AuthorizeOutcome, OAuthError> {
    let client_id = Ok(Some(request.client_id.clone()));
    let redirect_uri = Ok(Some(request.redirect_uri.clone()));
    let client = match trust(provider, client_id, redirect_uri).await? {
        Ok((client, _)) => client,
        Err(page) => return Ok(page),
    };
    check_and_decide(provider, request, client, session, progress).await
}

/// The registered client and its registered redirect URI, or the error page that says why
/// they cannot be trusted (never a redirect).
async fn trust(
    provider: &Provider,
    client_id: Single,
    redirect_uri: Single,
) -> Result<Result<(ClientRecord, String), AuthorizeOutcome>, OAuthError> {
    let page =
        |error, description: String| Ok(Err(AuthorizeOutcome::ErrorPage { error, description }));
    let client_id = match client_id {
        Ok(Some(id)) => id,
        Ok(None) => return page(AuthErrorCode::InvalidRequest, "client_id is missing".into()),
        Err(e) => return page(AuthErrorCode::InvalidRequest, e),
    };
    let Some(client) = provider.store().get_client(&client_id).await? else {
        return page(
            AuthErrorCode::InvalidClient,
            "the client is not registered".into(),
        );
    };
    let redirect_uri = match redirect_uri {
        Ok(Some(uri)) => uri,
        Ok(None) => {
            return page(
                AuthErrorCode::InvalidRequest,
                "redirect_uri is missing".into(),
            );
        }
        Err(e) => return page(AuthErrorCode::InvalidRequest, e),
    };
    // RFC 9700 §4.1.3: exact string matching (but for the port of loopback IPs).
    if !redirect_uri_registered(&client.redirect_uris, &redirect_uri) {
        return page(
            AuthErrorCode::InvalidRequest,
            "redirect_uri is not registered for this client".into(),
        );
    }
    Ok(Ok((client, redirect_uri)))
}

/// The request-level checks, then login, consent or a code.
async fn check_and_decide(
    provider: &Provider,
    request: AuthenticationRequest,
    client: ClientRecord,
    session: Option<SessionRecord>,
    progress: Progress,
) -> Result<AuthorizeOutcome, OAuthError> {
    let fail = |code: AuthErrorCode, description: &str| {
        Ok(error_redirect(provider, &request, code, description))
    };
    if let Some((code, description)) = check_request(provider, &client, &request) {
        return fail(code, &description);
    }
    decide(provider, request, client, session, progress).await
}

/// Exact matching (RFC 9700 §4.1.3), except that a registered loopback IP redirect URI
/// matches on any port (RFC 8252 §7.3: native apps listen on an ephemeral port).
pub fn redirect_uri_registered(registered: &[String], uri: &str) -> bool {
    if registered.iter().any(|r| r == uri) {
        return true;
    }
    let Ok(requested) = url::Url::parse(uri) else {
        return false;
    };
    let loopback_ip = |u: &url::Url| {
        u.scheme() == "http" && matches!(u.host_str(), Some("127.0.0.1") | Some("[::1]"))
    };
    if !loopback_ip(&requested) {
        return false;
    }
    registered
        .iter()
        .filter_map(|r| url::Url::parse(r).ok())
        .any(|mut r| {
            if !loopback_ip(&r) || r.set_port(requested.port()).is_err() {
                return false;
            }
            r.as_str() == requested.as_str()
        })
}

/// The request-level rules that need the client's registration and our configuration.
fn check_request(
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
    if !client.allows_response_type(response_type)
        || (response_type.code() && !client.allows_grant(GrantType::AuthorizationCode))
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
    // RFC 7636 §4.4.1, RFC 9700 §2.1.1: PKCE for public clients always, for all by default;
    // a confidential client may have registered `require_pkce: false` and rely on `nonce`.
    match request.effective_code_challenge_method() {
        None if client.requires_pkce(caps.pkce_required) => {
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

/// Login, consent, or a code.
async fn decide(
    provider: &Provider,
    request: AuthenticationRequest,
    client: ClientRecord,
    session: Option<SessionRecord>,
    progress: Progress,
) -> Result<AuthorizeOutcome, OAuthError> {
    let now = provider.now();
    let prompt_none = request.prompt.is_none();
    let login_needed = match &session {
        None => true,
        Some(session) => {
            let forced = (request.prompt.contains(Prompt::Login)
                || request.prompt.contains(Prompt::SelectAccount))
                && !progress.login_done;
            // OIDC Core §3.1.2.1 max_age: re-authenticate when the last login is older.
            let too_old = request
                .max_age
                .is_some_and(|max| now.saturating_sub(session.auth_time) > max);
            // OIDC Core §3.1.2.2, §5.5.1: a hinted or requested `sub` must be this user.
            let other_user = request
                .id_token_hint
                .as_deref()
                .and_then(hinted_subject)
                .or_else(|| requested_subject(request.claims.as_ref()).map(str::to_string))
                .is_some_and(|sub| sub != session.user_id);
            forced || too_old || other_user
        }
    };
    let session = match session {
        Some(session) if !login_needed => session,
        session => {
            let pending = PendingAuthorization::new(request, client, session, progress);
            return Ok(if prompt_none {
                redirect_error(
                    provider,
                    &pending,
                    AuthErrorCode::LoginRequired,
                    "the user is not logged in",
                )
            } else {
                AuthorizeOutcome::Login(Box::new(pending))
            });
        }
    };
    if essential_acr_unmet(request.claims.as_ref(), session.acr.as_deref()) {
        let pending = PendingAuthorization::new(request, client, Some(session), progress);
        return Ok(redirect_error(
            provider,
            &pending,
            AuthErrorCode::AccessDenied,
            "the essential acr asked for in the claims parameter cannot be met",
        ));
    }
    // RFC 6749 §4.1.2.1 access_denied: the user said no on the consent page.
    if progress.consent == Some(Consent::Deny) {
        let pending = PendingAuthorization::new(request, client, Some(session), progress);
        return Ok(redirect_error(
            provider,
            &pending,
            AuthErrorCode::AccessDenied,
            "the user denied the request",
        ));
    }
    let consent = provider
        .store()
        .get_consent(&session.user_id, &client.client_id)
        .await?;
    let consent_covers = consent.as_ref().is_some_and(|c| {
        request
            .scope
            .iter()
            .all(|s| c.scopes.iter().any(|g| g == s))
            && (!request.prompt.contains(Prompt::Consent)
                || progress.consent == Some(Consent::Allow))
    });
    if !client.skip_consent && !consent_covers {
        if prompt_none {
            let pending = PendingAuthorization::new(request, client, Some(session), progress);
            return Ok(redirect_error(
                provider,
                &pending,
                AuthErrorCode::ConsentRequired,
                "the user has not consented to this client",
            ));
        }
        let username = provider
            .store()
            .get_user(&session.user_id)
            .await?
            .map(|u| u.username);
        let mut pending = PendingAuthorization::new(request, client, Some(session), progress);
        pending.username = username;
        return Ok(AuthorizeOutcome::Consent(Box::new(pending)));
    }
    issue_code(provider, &request, &client, &session).await
}

/// The `sub` of an `id_token_hint`. Only compared against the session's user to decide whether
/// to ask for a login again, so an unverified hint can only cause an extra login.
fn hinted_subject(id_token: &str) -> Option<String> {
    let jws = oxid_protocol::jose::CompactJws::parse(id_token).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(jws.payload()).ok()?;
    claims.get("sub")?.as_str().map(str::to_string)
}

/// An error redirect for a request whose client and redirect URI are trusted.
fn redirect_error(
    provider: &Provider,
    pending: &PendingAuthorization,
    code: AuthErrorCode,
    description: &str,
) -> AuthorizeOutcome {
    error_redirect(provider, &pending.request, code, description)
}

/// The error redirect of `request` (with `state` and `iss`, RFC 9207).
fn error_redirect(
    provider: &Provider,
    request: &AuthenticationRequest,
    code: AuthErrorCode,
    description: &str,
) -> AuthorizeOutcome {
    let error = AuthorizationError::new(code, description)
        .with_state(request.state.clone())
        .with_iss(provider.config().issuer.clone());
    AuthorizeOutcome::Redirect(error.redirect_url(&request.redirect_uri, ResponseMode::Query))
}

/// Issues a code bound to the client, redirect URI, PKCE challenge, nonce and session
/// (RFC 6749 §4.1.2), and redirects with `code`, `state` and `iss`.
pub async fn issue_code(
    provider: &Provider,
    request: &AuthenticationRequest,
    client: &ClientRecord,
    session: &SessionRecord,
) -> Result<AuthorizeOutcome, OAuthError> {
    let now = provider.now();
    let code = random_token();
    let record = CodeRecord {
        code_hash: sha256_hex(&code),
        grant_id: random_id(16),
        client_id: client.client_id.clone(),
        user_id: session.user_id.clone(),
        redirect_uri: Some(request.redirect_uri.clone()),
        scopes: request.scope.iter().map(str::to_string).collect(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        code_challenge_method: request
            .effective_code_challenge_method()
            .map(|m| m.as_str().to_string()),
        sid: Some(session.sid.clone()),
        auth_time: session.auth_time,
        acr: session.acr.clone(),
        amr: session.amr.clone(),
        claims_request: request.claims.clone(),
        expires_at: now + provider.config().lifetimes.code,
    };
    provider.store().insert_code(&record).await?;
    provider
        .store()
        .add_session_client(&session.sid, &client.client_id)
        .await?;
    let response = AuthorizationResponse::code(
        code,
        request.state.clone(),
        Some(provider.config().issuer.clone()),
    );
    Ok(AuthorizeOutcome::Redirect(
        response.redirect_url(&request.redirect_uri, ResponseMode::Query),
    ))
}

#[cfg(test)]
#[path = "authorize_tests.rs"]
mod flow_tests;

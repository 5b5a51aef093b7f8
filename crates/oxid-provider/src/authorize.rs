//! The authorization endpoint's decisions (RFC 6749 §4.1.1, OIDC Core §3.1.2), apart from
//! HTTP: trust the client and redirect URI first (else an error page, never a redirect), then
//! check the request (errors go back to the client), then decide between the login page, the
//! consent page and issuing a code.

use oxid_protocol::authorization::{
    AuthErrorCode, AuthenticationRequest, AuthorizationError, Prompt, ResponseMode, ResponseType,
};
use oxid_protocol::params::{ParamError, Params};
use oxid_store::{ClientRecord, SessionRecord};

use crate::capabilities::GrantType;
use crate::claims::{essential_acr_unmet, requested_subject};
use crate::client::{ApplicationType, Client};
use crate::crypto::SecretBox;
use crate::error::OAuthError;
use crate::front_channel::{
    error_to_client, issue_response, request_error, response_mode, tokens_in_query,
};
use crate::interaction::{Interaction, Purpose};
use crate::redirect_uri::{has_control_characters, redirect_uri_registered};
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
    /// Back to the client in the query or fragment: a code, tokens or an error (with
    /// `state` and `iss`, RFC 9207).
    Redirect(String),
    /// Back to the client by an auto-submitting form (OAuth 2.0 Form Post Response Mode).
    FormPost {
        /// The trusted redirect URI the form posts to.
        redirect_uri: String,
        /// The response parameters, the form's fields.
        params: Vec<(String, String)>,
    },
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
/// `redirect_uri`, `state`, `response_type` and `response_mode` are read leniently, so that a
/// request the strict parse rejects (a repeated parameter) is still answered at a trusted
/// redirect URI (RFC 6749 §4.1.2.1), in the response mode it asked for.
#[derive(Debug)]
pub struct ReceivedAuthorization {
    client_id: Single,
    redirect_uri: Single,
    state: Option<String>,
    response_type: Option<ResponseType>,
    response_mode: Option<ResponseMode>,
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
        let single_value = |name: &str| single(name).ok().flatten();
        ReceivedAuthorization {
            client_id: single("client_id"),
            redirect_uri: single("redirect_uri"),
            state: single_value("state"),
            response_type: single_value("response_type").and_then(|v| v.parse().ok()),
            response_mode: single_value("response_mode").and_then(|v| ResponseMode::parse(&v)),
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
            let mode = response_mode(received.response_type, received.response_mode);
            return Ok(error_to_client(
                provider,
                &redirect_uri,
                mode,
                error,
                received.state,
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
    if has_control_characters(&redirect_uri) {
        return page(
            AuthErrorCode::InvalidRequest,
            "redirect_uri holds control characters".into(),
        );
    }
    // RFC 9700 §4.1.3: exact string matching (but for the port of loopback IPs of native
    // clients, RFC 8252 §7.3).
    let native = Client::from_record(client.clone())
        .is_ok_and(|c| c.application_type() == ApplicationType::Native);
    if !redirect_uri_registered(&client.redirect_uris, &redirect_uri, native) {
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
        Ok(request_error(provider, &request, code, description))
    };
    if let Some((code, description)) = check_request(provider, &client, &request) {
        return fail(code, &description);
    }
    decide(provider, request, client, session, progress).await
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
    // OIDC Registration §2: `code` goes with the authorization_code grant, `token` and
    // `id_token` with implicit.
    let front_tokens = response_type.returns_tokens_from_authorization_endpoint();
    if !client.allows_response_type(response_type)
        || (response_type.code() && !client.allows_grant(GrantType::AuthorizationCode))
        || (front_tokens && !client.allows_grant(GrantType::Implicit))
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
    if tokens_in_query(request) {
        return Some((
            AuthErrorCode::InvalidRequest,
            format!(
                "response_mode=query cannot carry the tokens of response_type={response_type} \
                 (OAuth 2.0 Multiple Response Types §7)"
            ),
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
    // PKCE protects a code, so a response type without one needs none.
    match request.effective_code_challenge_method() {
        None if response_type.code() && client.requires_pkce(caps.pkce_required) => {
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
    issue_response(provider, &request, &client, &session).await
}

/// The `sub` of an `id_token_hint`. Only compared against the session's user to decide whether
/// to ask for a login again, so an unverified hint can only cause an extra login.
fn hinted_subject(id_token: &str) -> Option<String> {
    let jws = oxid_protocol::jose::CompactJws::parse(id_token).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(jws.payload()).ok()?;
    claims.get("sub")?.as_str().map(str::to_string)
}

/// The error response for a request whose client and redirect URI are trusted.
fn redirect_error(
    provider: &Provider,
    pending: &PendingAuthorization,
    code: AuthErrorCode,
    description: &str,
) -> AuthorizeOutcome {
    request_error(provider, &pending.request, code, description)
}

#[cfg(test)]
#[path = "authorize_tests.rs"]
mod flow_tests;

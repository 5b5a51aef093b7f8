//! The authorization endpoint's decisions (RFC 6749 §4.1.1, OIDC Core §3.1.2), apart from
//! HTTP: trust the client and redirect URI first (else an error page, never a redirect), then
//! check the request (errors go back to the client), then decide between the login page, the
//! consent page and issuing a code.

use oxid_protocol::authorization::{
    AuthErrorCode, AuthenticationRequest, AuthorizationError, Prompt,
};
use oxid_protocol::params::Params;
use oxid_store::{ClientRecord, SessionRecord};

use crate::authorize_request::{Single, check_request};
use crate::cimd::LookupError;
use crate::claims::{essential_acr_unmet, requested_subject};
use crate::client::{ApplicationType, Client};
use crate::crypto::SecretBox;
use crate::error::OAuthError;
use crate::front_channel::{error_to_client, issue_response, request_error, response_mode};
use crate::interaction::{Interaction, Purpose};
use crate::pairwise::names_user;
use crate::par::{self, Opened};
use crate::redirect_uri::{has_control_characters, redirect_uri_registered};
use crate::request_object;
use crate::session::current_session;
use crate::state::Provider;

pub use crate::authorize_request::ReceivedAuthorization;

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

/// Runs the authorization endpoint on a request as received from the browser whose login
/// session cookie holds `session_token`.
pub async fn authorize(
    provider: &Provider,
    received: ReceivedAuthorization,
    session_token: Option<&str>,
) -> Result<AuthorizeOutcome, OAuthError> {
    let session = current_session(provider, session_token).await?;
    let (received, pushed) = match par::open(provider, received).await? {
        Opened::Direct(received) => (received, false),
        Opened::Pushed(received) => (received, true),
        Opened::Refused(error, description) => {
            return Ok(AuthorizeOutcome::ErrorPage { error, description });
        }
    };
    // OIDC Core §6, RFC 9101: a request object's parameters take the place of those beside
    // it (a pushed request's object was verified when pushed).
    let received = if pushed {
        received
    } else {
        let outer = request_object::OuterRequest::of(&received);
        match request_object::expand(provider, received).await? {
            Ok(received) => received,
            Err(refusal) => return request_object::refuse(provider, outer, refusal).await,
        }
    };
    // RFC 6749 §4.1.2.1 / §3.1.2.4: without a trusted client and redirect URI, say so here.
    let (client, redirect_uri) =
        match trust(provider, received.client_id, received.redirect_uri).await? {
            Ok(trusted) => trusted,
            Err(page) => return Ok(page),
        };
    // RFC 9126 §5, §6: a client (or deployment) that requires pushed requests gets no other.
    if !pushed && par::must_push(provider, &client) {
        let mode = response_mode(received.response_type, received.response_mode);
        let error = AuthorizationError::new(
            AuthErrorCode::InvalidRequest,
            "this client must push its authorization requests (RFC 9126 §5)",
        );
        return Ok(error_to_client(
            provider,
            &redirect_uri,
            mode,
            error,
            received.state,
        ));
    }
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
pub(crate) async fn trust(
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
    // A URL client_id may name a metadata document (`cimd`); one that cannot be used gets
    // the page (draft-ietf-oauth-client-id-metadata-document §4.3: abort the request).
    let found = if crate::cimd::applies(provider, &client_id) {
        let found = provider.find_client(&client_id).await;
        found.map(|client| client.map(|c| c.record().clone()))
    } else {
        // Read afresh (not through the client cache): a registration just changed applies.
        provider
            .store()
            .get_client(&client_id)
            .await
            .map_err(LookupError::from)
    };
    let client = match found {
        Ok(Some(client)) => client,
        Ok(None) => {
            return page(
                AuthErrorCode::InvalidClient,
                "the client is not registered".into(),
            );
        }
        Err(LookupError::Document(e)) => return page(AuthErrorCode::InvalidClient, e.to_string()),
        Err(LookupError::Store(e)) => return Err(e.into()),
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
            // OIDC Core §3.1.2.2, §5.5.1: a hinted or requested `sub` must be this user, as
            // this client knows the user (§8: a pairwise `sub`).
            let other_user = request
                .id_token_hint
                .as_deref()
                .and_then(hinted_subject)
                .or_else(|| requested_subject(request.claims.as_ref()).map(str::to_string))
                .is_some_and(|sub| {
                    !names_user(provider.secret_box(), &client, &sub, &session.user_id)
                });
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

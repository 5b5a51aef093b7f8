//! RP-Initiated Logout 1.0: the end-session endpoint's decisions, apart from HTTP. Validate
//! the request (an untrusted hint or redirect gets an error page, never a redirect), ask the
//! user to confirm unless a valid `id_token_hint` names the logged-in user (§6: logout without
//! one is a denial-of-service vector), then log out ([`log_out`]: end the session, notify its
//! clients) and send the user back.

use oxid_protocol::claims::IdTokenClaims;
use oxid_protocol::jose::CompactJws;
use oxid_protocol::logout::EndSessionRequest;
use oxid_protocol::params::{Params, encode_pairs};
use oxid_store::{ClientRecord, SessionRecord};

use crate::admin::client_secret_context;
use crate::crypto::SecretBox;
use crate::crypto::jws::SigningAlg;
use crate::error::OAuthError;
use crate::interaction::{Interaction, Purpose};
use crate::issuer::id_token_alg;
use crate::pairwise::names_user;
use crate::session::{current_session, end_login_session};
use crate::state::Provider;

/// What the end-session endpoint, or its confirmation page, leads to.
#[derive(Debug)]
pub enum LogoutOutcome {
    /// The request cannot be trusted: an HTML error page (400), never a redirect.
    ErrorPage(String),
    /// Ask the user first.
    Confirm(Box<PendingLogout>),
    /// Logged out (when there was a session; its clients were told by back-channel): the
    /// browser loads `frontchannel_urls`, then goes to `redirect` or sees the signed-out page.
    SignedOut {
        /// `post_logout_redirect_uri` with `state`, when one was given and registered.
        redirect: Option<String>,
        /// The front-channel logout URLs of the session's clients (OIDC Front-Channel Logout §3).
        frontchannel_urls: Vec<String>,
    },
    /// The user chose to stay signed in: back to the client when it gave a registered
    /// redirect, else a page that says so.
    StayedSignedIn {
        /// `post_logout_redirect_uri` with `state`, when one was given and registered.
        redirect: Option<String>,
    },
}

/// The user's answer on the logout confirmation page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutDecision {
    /// Log out.
    LogOut,
    /// Stay signed in.
    Stay,
}

/// A checked logout request waiting for the user's confirmation.
#[derive(Debug)]
pub struct PendingLogout {
    /// The checked request.
    pub request: EndSessionRequest,
    /// The client that asked, when it is known.
    pub client: Option<ClientRecord>,
}

impl PendingLogout {
    /// The sealed form value for the confirmation page.
    pub fn seal(&self, secret_box: &SecretBox, now: u64) -> Option<String> {
        let request = encode_pairs(self.request.to_query_pairs());
        Interaction::new(request, now, false).seal(secret_box, Purpose::Logout)
    }

    /// The logout request an opened interaction carries (read once per form post); `None`
    /// when it does not hold one (it was sealed by us, so only a fault of ours gets here).
    pub fn request_from_interaction(interaction: &Interaction) -> Option<EndSessionRequest> {
        let params = Params::parse_query(&interaction.request).ok()?;
        EndSessionRequest::from_params(&params).ok()
    }
}

/// What checking an end-session request decided.
#[derive(Debug)]
enum Checked {
    /// Not to be trusted: the error page's text.
    Refused(String),
    /// Ask the user first.
    Confirm(Box<PendingLogout>),
    /// Log out, then go to the redirect (if any).
    Accepted { redirect: Option<String> },
}

/// The end-session endpoint (RP-Initiated Logout §2) on `request`, from the browser whose
/// login session has `session_token`: log out at once, ask first, or refuse.
pub async fn end_session_request(
    provider: &Provider,
    request: EndSessionRequest,
    session_token: Option<&str>,
) -> Result<LogoutOutcome, OAuthError> {
    run(provider, request, session_token, false).await
}

/// The user's answer on the confirmation page of `request`.
pub async fn confirm_logout(
    provider: &Provider,
    request: EndSessionRequest,
    decision: LogoutDecision,
    session_token: Option<&str>,
) -> Result<LogoutOutcome, OAuthError> {
    match decision {
        LogoutDecision::LogOut => run(provider, request, session_token, true).await,
        LogoutDecision::Stay => Ok(LogoutOutcome::StayedSignedIn {
            redirect: request.post_logout_redirect(),
        }),
    }
}

async fn run(
    provider: &Provider,
    request: EndSessionRequest,
    session_token: Option<&str>,
    confirmed: bool,
) -> Result<LogoutOutcome, OAuthError> {
    let session = current_session(provider, session_token).await?;
    let checked = check_end_session_request(provider, request, session.as_ref(), confirmed).await?;
    Ok(match checked {
        Checked::Refused(text) => LogoutOutcome::ErrorPage(text),
        Checked::Confirm(pending) => LogoutOutcome::Confirm(pending),
        Checked::Accepted { redirect } => LogoutOutcome::SignedOut {
            redirect,
            frontchannel_urls: log_out(provider, session_token).await?,
        },
    })
}

/// The logout itself: ends the login session named by `session_token` (if any) with its
/// back-channel logout tokens queued in the same transaction (Back-Channel Logout §2.7; the
/// sender delivers them apart from this request, so no client can slow it), and returns the
/// URLs the browser must load to tell the others (Front-Channel Logout §3).
pub async fn log_out(
    provider: &Provider,
    session_token: Option<&str>,
) -> Result<Vec<String>, OAuthError> {
    let Some(ended) = end_login_session(provider, session_token).await? else {
        return Ok(Vec::new());
    };
    tracing::info!(sid = %ended.sid, "logged out");
    Ok(crate::frontchannel::logout_urls(provider, &ended).await)
}

/// Checks an end-session request. `confirmed` is true when the user just confirmed it.
async fn check_end_session_request(
    provider: &Provider,
    request: EndSessionRequest,
    session: Option<&SessionRecord>,
    confirmed: bool,
) -> Result<Checked, OAuthError> {
    let page = |text: &str| Ok(Checked::Refused(text.to_string()));
    let hint = match &request.id_token_hint {
        Some(token) => match verify_id_token_hint(provider, token).await? {
            Some(claims) => Some(claims),
            None => return page("id_token_hint is not a valid ID token from this provider"),
        },
        None => None,
    };
    // §2: client_id, when sent with a hint, must be one of the hint's audiences.
    let client_id = match (&request.client_id, &hint) {
        (Some(id), Some(claims)) if !claims.aud.contains(id) => {
            return page("client_id is not an audience of id_token_hint");
        }
        (Some(id), _) => Some(id.clone()),
        (None, Some(claims)) => claims.aud.iter().next().map(str::to_string),
        (None, None) => None,
    };
    let client = match &client_id {
        Some(id) => match provider.store().get_client(id).await? {
            Some(client) => Some(client),
            None => return page("the client is not registered"),
        },
        None => None,
    };
    // §2-§4: without a hint or client_id the redirect cannot be verified (§3 needs its
    // client), but the logout itself can still be asked for: only the redirect is skipped.
    let mut request = request;
    if client.is_none() && request.post_logout_redirect_uri.take().is_some() {
        tracing::info!("post_logout_redirect_uri without a client to verify it: not followed");
    }
    // §3: the redirect must be registered for the client (exact match), else no redirect.
    if let Some(uri) = &request.post_logout_redirect_uri {
        let registered = client
            .as_ref()
            .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri));
        if !registered {
            return page("post_logout_redirect_uri is not registered for the client");
        }
    }
    // §2-§3: the hint lets the logout go ahead unasked only when it names this session: its
    // user, and its `sid` when it has one (a hint from another session of the same user does
    // not end this one without asking).
    // The hint's `sub` is the one its audience knows the user by (OIDC Core §8): the client
    // found above is that audience.
    let hint_names_session = match (&hint, session) {
        (Some(claims), Some(session)) => {
            let user = &session.user_id;
            let names_user = match &client {
                Some(client) => names_user(provider.secret_box(), client, &claims.sub, user),
                None => claims.sub == *user,
            };
            names_user && claims.sid.as_deref().is_none_or(|sid| sid == session.sid)
        }
        _ => false,
    };
    if session.is_some() && !confirmed && !hint_names_session {
        return Ok(Checked::Confirm(Box::new(PendingLogout {
            request,
            client,
        })));
    }
    Ok(Checked::Accepted {
        redirect: request.post_logout_redirect(),
    })
}

/// The claims of an ID token this provider issued (signature and issuer checked; an expired
/// hint is still accepted, RP-Initiated Logout §2), or `None`.
async fn verify_id_token_hint(
    provider: &Provider,
    token: &str,
) -> Result<Option<IdTokenClaims>, OAuthError> {
    // RP-Initiated Logout §2: a client whose ID tokens are encrypted sends the signed ID
    // token inside, possibly re-encrypted to our `use: enc` key.
    let decrypted;
    let token = if token.split('.').count() == 5 {
        let plaintext = provider.jwe_decrypt_with_our_keys(token).ok();
        match plaintext.and_then(|p| String::from_utf8(p).ok()) {
            Some(inner) => {
                decrypted = inner;
                decrypted.as_str()
            }
            None => return Ok(None),
        }
    } else {
        token
    };
    let Ok(jws) = CompactJws::parse(token) else {
        return Ok(None);
    };
    let payload = if jws.header().alg == SigningAlg::HS256.as_str() {
        verify_hs256_hint(provider, &jws).await?
    } else {
        provider.keys().verify(token)
    };
    let claims = payload.and_then(|p| serde_json::from_slice::<IdTokenClaims>(&p).ok());
    Ok(claims.filter(|c| c.iss == provider.config().issuer))
}

/// An HS256 hint is signed with its client's secret: find the client by `aud`, then check.
async fn verify_hs256_hint(
    provider: &Provider,
    jws: &CompactJws,
) -> Result<Option<Vec<u8>>, OAuthError> {
    let Ok(unverified) = serde_json::from_slice::<IdTokenClaims>(jws.payload()) else {
        return Ok(None);
    };
    let Some(client_id) = unverified.aud.iter().next() else {
        return Ok(None);
    };
    let Some(client) = provider.store().get_client(client_id).await? else {
        return Ok(None);
    };
    let Some(sealed) = client.secret_encrypted.as_deref() else {
        return Ok(None);
    };
    if id_token_alg(&client) != SigningAlg::HS256 {
        return Ok(None);
    }
    let secret = provider
        .secret_box()
        .decrypt_for(&client_secret_context(&client.client_id), sealed)?;
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &secret);
    let valid = aws_lc_rs::hmac::verify(&key, jws.signing_input(), jws.signature()).is_ok();
    Ok(valid.then(|| jws.payload().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{logged_in_alice, provider_with_alice};

    fn request(query: &str) -> EndSessionRequest {
        EndSessionRequest::from_params(&Params::parse_query(query).unwrap()).unwrap()
    }

    const BACK_TO_APP: &str =
        "client_id=app&post_logout_redirect_uri=https%3A%2F%2Fapp.example.com%2Fbye&state=z";

    #[tokio::test]
    async fn a_logged_in_user_is_asked_first_rp_initiated_logout_6() {
        let provider = provider_with_alice().await;
        let (token, _) = logged_in_alice(&provider).await;
        let outcome = end_session_request(&provider, request(BACK_TO_APP), Some(&token))
            .await
            .unwrap();
        assert!(matches!(outcome, LogoutOutcome::Confirm(_)), "{outcome:?}");
        let still = current_session(&provider, Some(&token)).await.unwrap();
        assert!(still.is_some(), "nothing ends before the user confirms");
    }

    #[tokio::test]
    async fn confirming_ends_the_session_and_goes_back_with_state() {
        let provider = provider_with_alice().await;
        let (token, _) = logged_in_alice(&provider).await;
        let outcome = confirm_logout(
            &provider,
            request(BACK_TO_APP),
            LogoutDecision::LogOut,
            Some(&token),
        )
        .await
        .unwrap();
        let LogoutOutcome::SignedOut {
            redirect,
            frontchannel_urls,
        } = outcome
        else {
            panic!("confirmed: signed out, got {outcome:?}");
        };
        assert_eq!(
            redirect.as_deref(),
            Some("https://app.example.com/bye?state=z")
        );
        assert!(
            frontchannel_urls.is_empty(),
            "app took no part in the session"
        );
        let ended = current_session(&provider, Some(&token)).await.unwrap();
        assert!(ended.is_none());
    }

    #[tokio::test]
    async fn staying_keeps_the_session_and_still_goes_back() {
        let provider = provider_with_alice().await;
        let (token, _) = logged_in_alice(&provider).await;
        let outcome = confirm_logout(
            &provider,
            request(BACK_TO_APP),
            LogoutDecision::Stay,
            Some(&token),
        )
        .await
        .unwrap();
        let LogoutOutcome::StayedSignedIn { redirect } = outcome else {
            panic!("stayed: {outcome:?}");
        };
        assert_eq!(
            redirect.as_deref(),
            Some("https://app.example.com/bye?state=z")
        );
        assert!(
            current_session(&provider, Some(&token))
                .await
                .unwrap()
                .is_some()
        );
    }

    #[tokio::test]
    async fn an_unregistered_redirect_is_an_error_page_never_a_redirect_3() {
        let provider = provider_with_alice().await;
        let outcome = end_session_request(
            &provider,
            request("client_id=app&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F"),
            None,
        )
        .await
        .unwrap();
        assert!(
            matches!(outcome, LogoutOutcome::ErrorPage(_)),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn without_a_session_the_logout_is_done_at_once() {
        let provider = provider_with_alice().await;
        let outcome = end_session_request(&provider, request("client_id=app"), None)
            .await
            .unwrap();
        assert!(
            matches!(outcome, LogoutOutcome::SignedOut { redirect: None, .. }),
            "{outcome:?}"
        );
    }
}

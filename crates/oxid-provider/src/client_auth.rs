//! Client authentication (RFC 6749 §2.3) at every endpoint that authenticates clients, each
//! accepting the methods the capability table gives it. Its only way out is a
//! [`VerifiedClient`] or `invalid_client`.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use oxid_protocol::params::Params;
use oxid_protocol::token::{
    ClientAuthMethod as PresentedMethod, ClientAuthParams, parse_basic_authorization,
};
use std::ops::Deref;

use crate::capabilities::{AuthEndpoint, ClientAuthMethod};
use crate::client::Client;
use crate::client_assertion::{Assertion, verify_assertion};
use crate::crypto::secrets::{constant_time_eq, sha256_hex_bytes};
use crate::error::OAuthError;
use crate::state::Provider;
use crate::throttle::{Subject, current_client_lock, record_failure};

/// A client whose identity the request proved; only [`authenticate_client`] makes one. It
/// reads as the typed [`Client`].
#[derive(Debug, Clone)]
pub struct VerifiedClient {
    client: std::sync::Arc<Client>,
}

impl Deref for VerifiedClient {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

#[cfg(test)]
impl VerifiedClient {
    /// A client taken as verified, for unit tests of what comes after authentication.
    pub(crate) fn assume_verified(client: Client) -> Self {
        VerifiedClient {
            client: std::sync::Arc::new(client),
        }
    }
}

/// The credentials a request presented, before checking them.
#[derive(Debug, PartialEq)]
enum Presented {
    Basic {
        client_id: String,
        secret: String,
    },
    Post {
        client_id: String,
        secret: String,
    },
    Assertion {
        client_id: String,
        assertion: Box<Assertion>,
    },
    None {
        client_id: String,
    },
}

impl Presented {
    fn client_id(&self) -> &str {
        match self {
            Presented::Basic { client_id, .. }
            | Presented::Post { client_id, .. }
            | Presented::Assertion { client_id, .. }
            | Presented::None { client_id } => client_id,
        }
    }

    fn method(&self) -> ClientAuthMethod {
        match self {
            Presented::Basic { .. } => ClientAuthMethod::ClientSecretBasic,
            Presented::Post { .. } => ClientAuthMethod::ClientSecretPost,
            Presented::Assertion { assertion, .. } => assertion.method(),
            Presented::None { .. } => ClientAuthMethod::None,
        }
    }
}

/// Authenticates the client of a request to `endpoint` from its `Authorization` header and
/// form, with the methods the capability table accepts there.
pub async fn authenticate_client(
    provider: &Provider,
    endpoint: AuthEndpoint,
    headers: &HeaderMap,
    params: &Params,
) -> Result<VerifiedClient, OAuthError> {
    let presented = presented_credentials(headers, params)?;
    // A URL client_id may name a metadata document (`cimd`); one that cannot be used is
    // `invalid_client` with the reason.
    let Some(client) = provider.find_client(presented.client_id()).await? else {
        return Err(OAuthError::invalid_client("client authentication failed"));
    };
    let method = presented.method();
    if client.auth_method() != method {
        return Err(OAuthError::invalid_client(format!(
            "this client must authenticate with {}",
            client.auth_method()
        )));
    }
    if !provider.capabilities().accepts_auth(endpoint, method) {
        // RFC 7662 §2.1 for introspection: `none` proves nothing, so it is refused there.
        return Err(OAuthError::invalid_client(format!(
            "this endpoint does not accept client authentication {method}; \
             it needs an authenticated (confidential) client"
        )));
    }
    match &presented {
        Presented::Basic { secret, .. } | Presented::Post { secret, .. } => {
            let hash = client.record().secret_hash.as_deref();
            throttled_check(provider, client.id(), || {
                hash.is_some_and(|hash| {
                    constant_time_eq(&sha256_hex_bytes(secret), hash.as_bytes())
                })
            })
            .await?
        }
        Presented::Assertion { assertion, .. } => {
            verify_assertion(provider, endpoint, &client, assertion).await?
        }
        Presented::None { .. } => {}
    }
    Ok(VerifiedClient { client })
}

/// Checks a proof of the client's secret (`proof_holds`) under its throttle (issue 13): a
/// locked client is refused before the proof is looked at, right or wrong, else the lock
/// could be probed; a failed proof is counted. Successes do not clear the count (no write
/// per token request); it lapses with its window.
pub(crate) async fn throttled_check(
    provider: &Provider,
    client_id: &str,
    proof_holds: impl FnOnce() -> bool,
) -> Result<(), OAuthError> {
    if let Some(locked) = current_client_lock(provider, client_id).await? {
        return Err(OAuthError::locked_client(locked.retry_after));
    }
    if proof_holds() {
        return Ok(());
    }
    if let Some(locked) = record_failure(provider, &[Subject::Client(client_id)]).await? {
        return Err(OAuthError::locked_client(locked.retry_after));
    }
    Err(OAuthError::invalid_client("client authentication failed"))
}

/// Reads what the client sent; more than one method is `invalid_request` (RFC 6749 §2.3).
fn presented_credentials(headers: &HeaderMap, params: &Params) -> Result<Presented, OAuthError> {
    let body = ClientAuthParams::from_params(params)?;
    let basic = headers
        .get(AUTHORIZATION)
        .map(|value| parse_basic_authorization(value.to_str().unwrap_or("")))
        .transpose()?;
    match (body.method(basic.is_some())?, basic, body) {
        (PresentedMethod::JwtAssertion, _, body) => {
            let token = body.client_assertion.as_deref().unwrap_or_default();
            let assertion = Assertion::parse(token)?;
            // RFC 7521 §4.2: client_id may be left out, the assertion's `sub` names the
            // client; when both are there, verification requires them equal.
            let client_id = match (body.client_id, assertion.subject()) {
                (Some(client_id), _) => client_id,
                (None, Some(sub)) => sub.to_string(),
                (None, None) => {
                    return Err(OAuthError::invalid_client(
                        "client assertion refused: sub is required (RFC 7523 §3)",
                    ));
                }
            };
            Ok(Presented::Assertion {
                client_id,
                assertion: Box::new(assertion),
            })
        }
        (PresentedMethod::ClientSecretBasic, Some((client_id, secret)), body) => {
            if body.client_id.is_some_and(|id| id != client_id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the Authorization header",
                ));
            }
            Ok(Presented::Basic { client_id, secret })
        }
        (PresentedMethod::ClientSecretPost, _, body) => {
            match (body.client_id, body.client_secret) {
                (Some(client_id), Some(secret)) => Ok(Presented::Post { client_id, secret }),
                _ => Err(OAuthError::invalid_client(
                    "client_secret without client_id",
                )),
            }
        }
        (_, _, body) => match body.client_id {
            Some(client_id) => Ok(Presented::None { client_id }),
            None => Err(OAuthError::invalid_client(
                "no client authentication: send HTTP Basic credentials or client_id",
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    fn basic(id: &str, secret: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")));
        headers.insert(AUTHORIZATION, HeaderValue::from_str(&value).unwrap());
        headers
    }

    #[test]
    fn basic_credentials_are_form_decoded_rfc6749_2_3_1() {
        let headers = basic("my%3Aclient", "s%C3%A9cret+x");
        let presented = presented_credentials(&headers, &Params::new()).unwrap();
        assert_eq!(
            presented,
            Presented::Basic {
                client_id: "my:client".into(),
                secret: "sécret x".into()
            }
        );
    }

    #[test]
    fn two_methods_at_once_is_invalid_request_rfc6749_2_3() {
        let headers = basic("a", "b");
        let params = Params::parse_form(b"client_id=a&client_secret=b").unwrap();
        let err = presented_credentials(&headers, &params).unwrap_err();
        assert_eq!(err.code(), "invalid_request");
    }

    #[test]
    fn no_credentials_is_invalid_client() {
        let err = presented_credentials(&HeaderMap::new(), &Params::new()).unwrap_err();
        assert_eq!(err.code(), "invalid_client");
    }

    #[test]
    fn malformed_basic_is_invalid_client() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        let err = presented_credentials(&headers, &Params::new()).unwrap_err();
        assert_eq!(err.code(), "invalid_client");
    }
}

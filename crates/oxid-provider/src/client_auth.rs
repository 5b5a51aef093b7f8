//! Client authentication at the token endpoint (RFC 6749 §2.3), shared by every endpoint that
//! authenticates clients. Its only way out is a [`VerifiedClient`] or `invalid_client`.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use oxid_protocol::params::Params;
use oxid_protocol::token::{ClientAuthMethod, ClientAuthParams, parse_basic_authorization};
use oxid_store::ClientRecord;

use crate::crypto::secrets::{constant_time_eq, sha256_hex};
use crate::error::OAuthError;
use crate::state::Provider;

/// A client whose identity the request proved; only [`authenticate_client`] makes one.
#[derive(Debug, Clone)]
pub struct VerifiedClient {
    record: ClientRecord,
}

impl VerifiedClient {
    /// The client's registration.
    pub fn record(&self) -> &ClientRecord {
        &self.record
    }

    /// `client_id`.
    pub fn id(&self) -> &str {
        &self.record.client_id
    }

    /// Whether the client is public (authenticates with `none`).
    pub fn is_public(&self) -> bool {
        self.record.token_endpoint_auth_method == "none"
    }

    /// Whether the client may use `grant_type`.
    pub fn allows_grant(&self, grant_type: &str) -> bool {
        self.record.grant_types.iter().any(|g| g == grant_type)
    }
}

/// The credentials a request presented, before checking them.
#[derive(Debug, PartialEq, Eq)]
enum Presented {
    Basic { client_id: String, secret: String },
    Post { client_id: String, secret: String },
    None { client_id: String },
}

/// Authenticates the client of a token-like request from its `Authorization` header and form.
pub async fn authenticate_client(
    provider: &Provider,
    headers: &HeaderMap,
    params: &Params,
) -> Result<VerifiedClient, OAuthError> {
    let presented = presented_credentials(headers, params)?;
    let (client_id, method) = match &presented {
        Presented::Basic { client_id, .. } => (client_id, "client_secret_basic"),
        Presented::Post { client_id, .. } => (client_id, "client_secret_post"),
        Presented::None { client_id } => (client_id, "none"),
    };
    let Some(record) = provider.client(client_id).await? else {
        return Err(OAuthError::invalid_client("client authentication failed"));
    };
    if record.token_endpoint_auth_method != method {
        return Err(OAuthError::invalid_client(format!(
            "this client must authenticate with {}",
            record.token_endpoint_auth_method
        )));
    }
    if let Presented::Basic { secret, .. } | Presented::Post { secret, .. } = &presented {
        let matches = record
            .secret_hash
            .as_deref()
            .is_some_and(|hash| constant_time_eq(sha256_hex(secret).as_bytes(), hash.as_bytes()));
        if !matches {
            return Err(OAuthError::invalid_client("client authentication failed"));
        }
    }
    Ok(VerifiedClient { record })
}

/// Reads what the client sent; more than one method is `invalid_request` (RFC 6749 §2.3).
fn presented_credentials(headers: &HeaderMap, params: &Params) -> Result<Presented, OAuthError> {
    let body = ClientAuthParams::from_params(params)?;
    let basic = headers
        .get(AUTHORIZATION)
        .map(|value| parse_basic_authorization(value.to_str().unwrap_or("")))
        .transpose()?;
    match (body.method(basic.is_some())?, basic, body) {
        (ClientAuthMethod::JwtAssertion, _, _) => Err(OAuthError::invalid_client(
            "client assertions (RFC 7523) are not supported by this server",
        )),
        (ClientAuthMethod::ClientSecretBasic, Some((client_id, secret)), body) => {
            if body.client_id.is_some_and(|id| id != client_id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the Authorization header",
                ));
            }
            Ok(Presented::Basic { client_id, secret })
        }
        (ClientAuthMethod::ClientSecretPost, _, body) => match (body.client_id, body.client_secret)
        {
            (Some(client_id), Some(secret)) => Ok(Presented::Post { client_id, secret }),
            _ => Err(OAuthError::invalid_client(
                "client_secret without client_id",
            )),
        },
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

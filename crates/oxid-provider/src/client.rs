//! A typed view of a client registration: its authentication method, grants, response types
//! and ID token algorithm as enums, read once from the stored strings. Every check on a
//! client asks this view, never the raw strings.

use oxid_store::ClientRecord;
use std::str::FromStr;

use crate::capabilities::{ClientAuthMethod, GrantType, ResponseType, UnknownName};
use crate::crypto::jws::SigningAlg;

/// A registered client, typed.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    record: ClientRecord,
    auth_method: ClientAuthMethod,
    grant_types: Vec<GrantType>,
    response_types: Vec<ResponseType>,
    id_token_alg: SigningAlg,
}

/// A stored registration holding a value this provider does not know (a damaged or
/// hand-edited row); such a client is refused rather than guessed at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("client {client_id}: {message}")]
pub struct UnreadableClient {
    /// The client.
    pub client_id: String,
    /// What could not be read.
    pub message: String,
}

impl Client {
    /// Reads the registration's values into their types.
    pub fn from_record(record: ClientRecord) -> Result<Client, UnreadableClient> {
        let unreadable = |message: String| UnreadableClient {
            client_id: record.client_id.clone(),
            message,
        };
        let auth_method = record
            .token_endpoint_auth_method
            .parse()
            .map_err(|e: UnknownName| unreadable(e.to_string()))?;
        let grant_types = parse_each(&record.grant_types).map_err(unreadable)?;
        let response_types = parse_each(&record.response_types).map_err(unreadable)?;
        // OIDC Registration §2: RS256 when the client registered no algorithm.
        let id_token_alg = match &record.id_token_signed_response_alg {
            Some(name) => name
                .parse()
                .map_err(|_| unreadable(format!("unknown ID token algorithm {name:?}")))?,
            None => SigningAlg::RS256,
        };
        Ok(Client {
            record,
            auth_method,
            grant_types,
            response_types,
            id_token_alg,
        })
    }

    /// The stored registration.
    pub fn record(&self) -> &ClientRecord {
        &self.record
    }

    /// `client_id`.
    pub fn id(&self) -> &str {
        &self.record.client_id
    }

    /// How the client authenticates (`token_endpoint_auth_method`).
    pub fn auth_method(&self) -> ClientAuthMethod {
        self.auth_method
    }

    /// Whether the client is public (authenticates with `none`, RFC 6749 §2.1).
    pub fn is_public(&self) -> bool {
        self.auth_method == ClientAuthMethod::None
    }

    /// The grants the client registered.
    pub fn grant_types(&self) -> &[GrantType] {
        &self.grant_types
    }

    /// The response types the client registered.
    pub fn response_types(&self) -> &[ResponseType] {
        &self.response_types
    }

    /// Whether the client may use `grant`.
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// Whether the client may use `response_type`.
    pub fn allows_response_type(&self, response_type: ResponseType) -> bool {
        self.response_types.contains(&response_type)
    }

    /// Whether the client may ask for `scope`.
    pub fn allows_scope(&self, scope: &str) -> bool {
        self.record.scopes.iter().any(|s| s == scope)
    }

    /// The algorithm its ID tokens (and logout tokens) are signed with.
    pub fn id_token_alg(&self) -> SigningAlg {
        self.id_token_alg
    }
}

/// Every stored name parsed, or the first error.
fn parse_each<T: FromStr>(names: &[String]) -> Result<Vec<T>, String>
where
    T::Err: std::fmt::Display,
{
    names
        .iter()
        .map(|name| name.parse().map_err(|e: T::Err| e.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{provider_with_keys, stored_client};

    #[tokio::test]
    async fn reads_the_stored_strings_into_types() {
        let provider = provider_with_keys(|_| {}).await;
        let grants = [GrantType::AuthorizationCode, GrantType::RefreshToken];
        let code = [ResponseType::CODE];
        let record = stored_client(&provider, "app", ClientAuthMethod::None, &grants, &code);
        let client = Client::from_record(record.await).unwrap();
        assert!(client.is_public());
        assert_eq!(client.auth_method(), ClientAuthMethod::None);
        assert_eq!(client.grant_types(), grants);
        assert!(client.allows_grant(GrantType::RefreshToken));
        assert!(!client.allows_grant(GrantType::ClientCredentials));
        assert_eq!(client.response_types(), code);
        assert!(client.allows_response_type(ResponseType::CODE));
        assert!(!client.allows_response_type(ResponseType::ID_TOKEN));
        assert!(client.allows_scope("openid") && !client.allows_scope("admin"));
        assert_eq!(
            client.id_token_alg(),
            SigningAlg::RS256,
            "OIDC Registration §2"
        );
        let auth = ClientAuthMethod::ClientSecretPost;
        let record = stored_client(&provider, "svc", auth, &[GrantType::ClientCredentials], &[]);
        assert!(!Client::from_record(record.await).unwrap().is_public());
    }

    #[tokio::test]
    async fn an_unknown_stored_value_is_refused_not_guessed() {
        let provider = provider_with_keys(|_| {}).await;
        let valid = stored_client(&provider, "app", ClientAuthMethod::None, &[], &[]).await;
        let mut record = valid.clone();
        record.token_endpoint_auth_method = "tls_client_auth".into();
        let err = Client::from_record(record).unwrap_err();
        assert!(err.message.contains("tls_client_auth"), "{err}");
        let mut record = valid.clone();
        record.grant_types = vec!["magic".into()];
        assert!(Client::from_record(record).is_err());
        let mut record = valid.clone();
        record.response_types = vec!["code code".into()];
        assert!(Client::from_record(record).is_err());
        let mut record = valid;
        record.id_token_signed_response_alg = Some("none".into());
        assert!(Client::from_record(record).is_err());
    }
}

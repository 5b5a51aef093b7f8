//! A typed view of a client registration: its authentication method, grants, response types
//! and ID token algorithm as enums, read once from the stored strings. Every check on a
//! client asks this view, never the raw strings.

use oxid_store::ClientRecord;
use serde_json::Value;
use std::str::FromStr;

use crate::capabilities::{ClientAuthMethod, GrantType, ResponseType, UnknownName};
use crate::crypto::jws::SigningAlg;
use crate::response_encryption::{ResponseEncryption, member as encrypted};

/// A registered client, typed.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    record: ClientRecord,
    auth_method: ClientAuthMethod,
    grant_types: Vec<GrantType>,
    response_types: Vec<ResponseType>,
    id_token_alg: SigningAlg,
    settings: ClientSettings,
}

/// `application_type` (OIDC Registration §2): decides redirect URI rules, e.g. whether a
/// loopback redirect may use any port (RFC 8252 §7.3, native only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApplicationType {
    /// A web application (the default).
    #[default]
    Web,
    /// A native application.
    Native,
}

/// Which user claims go into the client's ID tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdTokenClaims {
    /// The claims the granted scopes release go in the ID token too, as Keycloak and Auth0 do
    /// by default (many RP libraries read the user from the ID token only).
    #[default]
    Scope,
    /// Only the claims OIDC Core §2 requires and those asked for by `claims`; the rest comes
    /// from UserInfo.
    Minimal,
}

impl ApplicationType {
    /// The registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationType::Web => "web",
            ApplicationType::Native => "native",
        }
    }
}

impl FromStr for ApplicationType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "web" => Ok(ApplicationType::Web),
            "native" => Ok(ApplicationType::Native),
            other => Err(format!(
                "unknown application_type {other:?} (web or native)"
            )),
        }
    }
}

impl IdTokenClaims {
    /// The configured name.
    pub fn as_str(self) -> &'static str {
        match self {
            IdTokenClaims::Scope => "scope",
            IdTokenClaims::Minimal => "minimal",
        }
    }
}

impl FromStr for IdTokenClaims {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "scope" => Ok(IdTokenClaims::Scope),
            "minimal" => Ok(IdTokenClaims::Minimal),
            other => Err(format!(
                "unknown id_token_claims {other:?} (scope or minimal)"
            )),
        }
    }
}

/// The registration members kept in [`ClientRecord::metadata`], typed.
#[derive(Debug, Clone, PartialEq, Default)]
struct ClientSettings {
    application_type: ApplicationType,
    id_token_claims: IdTokenClaims,
    require_pkce: Option<bool>,
    token_endpoint_auth_signing_alg: Option<SigningAlg>,
    userinfo_signed_response_alg: Option<SigningAlg>,
    default_max_age: Option<u64>,
    require_auth_time: bool,
    token_policy: crate::token_policy::TokenPolicy,
    require_pushed_authorization_requests: bool,
    dpop_bound_access_tokens: bool,
    id_token_encryption: Option<ResponseEncryption>,
    userinfo_encryption: Option<ResponseEncryption>,
}

/// Metadata member names (RFC 7591 §2, OIDC Registration §2, and Oxid's own) kept in
/// [`ClientRecord::metadata`].
pub mod member {
    /// `application_type`.
    pub const APPLICATION_TYPE: &str = "application_type";
    /// Oxid's `id_token_claims` (`scope` or `minimal`).
    pub const ID_TOKEN_CLAIMS: &str = "id_token_claims";
    /// Oxid's `require_pkce` (a boolean; the deployment's default when absent).
    pub const REQUIRE_PKCE: &str = "require_pkce";
    /// `jwks` (a JWK Set object).
    pub const JWKS: &str = "jwks";
    /// `jwks_uri`.
    pub const JWKS_URI: &str = "jwks_uri";
    /// `token_endpoint_auth_signing_alg`.
    pub const TOKEN_ENDPOINT_AUTH_SIGNING_ALG: &str = "token_endpoint_auth_signing_alg";
    /// `userinfo_signed_response_alg`.
    pub const USERINFO_SIGNED_RESPONSE_ALG: &str = "userinfo_signed_response_alg";
    /// `default_max_age` (seconds).
    pub const DEFAULT_MAX_AGE: &str = "default_max_age";
    /// `require_auth_time` (a boolean).
    pub const REQUIRE_AUTH_TIME: &str = "require_auth_time";
    /// `require_pushed_authorization_requests` (a boolean, RFC 9126 §6).
    pub const REQUIRE_PUSHED_AUTHORIZATION_REQUESTS: &str = "require_pushed_authorization_requests";
    /// `dpop_bound_access_tokens` (a boolean, RFC 9449 §5.2).
    pub const DPOP_BOUND_ACCESS_TOKENS: &str = "dpop_bound_access_tokens";
}

impl ClientSettings {
    /// Reads the typed members from the metadata object; a member of the wrong type or with
    /// an unknown value is an error, an absent one takes its registration default.
    fn read(metadata: &Value) -> Result<ClientSettings, String> {
        let get = |name: &str| metadata.get(name).filter(|v| !v.is_null());
        let string = |name: &str| -> Result<Option<&str>, String> {
            get(name)
                .map(|v| v.as_str().ok_or(format!("{name} is not a string")))
                .transpose()
        };
        let boolean = |name: &str, default: bool| -> Result<bool, String> {
            get(name)
                .map(|v| v.as_bool().ok_or(format!("{name} is not a boolean")))
                .unwrap_or(Ok(default))
        };
        let alg = |name: &str| -> Result<Option<SigningAlg>, String> {
            string(name)?
                .map(|v| {
                    v.parse()
                        .map_err(|_| format!("{name}: unknown algorithm {v:?}"))
                })
                .transpose()
        };
        Ok(ClientSettings {
            application_type: string(member::APPLICATION_TYPE)?
                .map(str::parse)
                .transpose()?
                .unwrap_or_default(),
            id_token_claims: string(member::ID_TOKEN_CLAIMS)?
                .map(str::parse)
                .transpose()?
                .unwrap_or_default(),
            require_pkce: get(member::REQUIRE_PKCE)
                .map(|v| {
                    v.as_bool()
                        .ok_or(format!("{} is not a boolean", member::REQUIRE_PKCE))
                })
                .transpose()?,
            token_endpoint_auth_signing_alg: alg(member::TOKEN_ENDPOINT_AUTH_SIGNING_ALG)?,
            userinfo_signed_response_alg: alg(member::USERINFO_SIGNED_RESPONSE_ALG)?,
            default_max_age: get(member::DEFAULT_MAX_AGE)
                .map(|v| {
                    v.as_u64().ok_or(format!(
                        "{} is not a number of seconds",
                        member::DEFAULT_MAX_AGE
                    ))
                })
                .transpose()?,
            require_auth_time: boolean(member::REQUIRE_AUTH_TIME, false)?,
            token_policy: crate::token_policy::TokenPolicy::read(metadata)?,
            require_pushed_authorization_requests: boolean(
                member::REQUIRE_PUSHED_AUTHORIZATION_REQUESTS,
                false,
            )?,
            dpop_bound_access_tokens: boolean(member::DPOP_BOUND_ACCESS_TOKENS, false)?,
            id_token_encryption: ResponseEncryption::read(
                metadata,
                encrypted::ID_TOKEN_ALG,
                encrypted::ID_TOKEN_ENC,
            )?,
            userinfo_encryption: ResponseEncryption::read(
                metadata,
                encrypted::USERINFO_ALG,
                encrypted::USERINFO_ENC,
            )?,
        })
    }
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
        let settings = ClientSettings::read(&record.metadata).map_err(unreadable)?;
        Ok(Client {
            record,
            auth_method,
            grant_types,
            response_types,
            id_token_alg,
            settings,
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

    /// `application_type` (web unless registered native).
    pub fn application_type(&self) -> ApplicationType {
        self.settings.application_type
    }

    /// Which user claims go into its ID tokens.
    pub fn id_token_claims(&self) -> IdTokenClaims {
        self.settings.id_token_claims
    }

    /// Whether the client must use PKCE: always for a public client (RFC 9700 §2.1.1); a
    /// confidential one as it registered `require_pkce`, else as the deployment says
    /// (`Capabilities::pkce_required`; false lets it rely on `nonce`).
    pub fn requires_pkce(&self, deployment_default: bool) -> bool {
        self.is_public() || self.settings.require_pkce.unwrap_or(deployment_default)
    }

    /// Whether it registered `require_pushed_authorization_requests` (RFC 9126 §6): its
    /// authorization requests are accepted only by a pushed request's `request_uri`.
    pub fn requires_pushed_requests(&self) -> bool {
        self.settings.require_pushed_authorization_requests
    }

    /// Whether it registered `dpop_bound_access_tokens` (RFC 9449 §5.2): its token requests
    /// without a DPoP proof are refused.
    pub fn requires_dpop(&self) -> bool {
        self.settings.dpop_bound_access_tokens
    }

    /// Its registered JWK Set (`jwks`), for `private_key_jwt` and request objects.
    pub fn jwks(&self) -> Option<&Value> {
        self.record
            .metadata
            .get(member::JWKS)
            .filter(|v| v.is_object())
    }

    /// Where its JWK Set is published (`jwks_uri`).
    pub fn jwks_uri(&self) -> Option<&str> {
        self.record
            .metadata
            .get(member::JWKS_URI)
            .and_then(Value::as_str)
    }

    /// The algorithm its authentication JWTs must use, when it registered one.
    pub fn token_endpoint_auth_signing_alg(&self) -> Option<SigningAlg> {
        self.settings.token_endpoint_auth_signing_alg
    }

    /// The algorithm its UserInfo responses are signed with; `None`: plain JSON.
    pub fn userinfo_signed_response_alg(&self) -> Option<SigningAlg> {
        self.settings.userinfo_signed_response_alg
    }

    /// How its ID tokens are encrypted, when it registered `id_token_encrypted_response_alg`
    /// (OIDC Core §10.2).
    pub fn id_token_encryption(&self) -> Option<ResponseEncryption> {
        self.settings.id_token_encryption
    }

    /// How its UserInfo answers are encrypted, when it registered
    /// `userinfo_encrypted_response_alg` (OIDC Core §5.3.2).
    pub fn userinfo_encryption(&self) -> Option<ResponseEncryption> {
        self.settings.userinfo_encryption
    }

    /// `default_max_age` in seconds (OIDC Registration §2), when registered.
    pub fn default_max_age(&self) -> Option<u64> {
        self.settings.default_max_age
    }

    /// Whether its ID tokens always carry `auth_time` (OIDC Registration §2).
    pub fn require_auth_time(&self) -> bool {
        self.settings.require_auth_time
    }

    /// Its access and refresh token policy (`token_policy`).
    pub fn token_policy(&self) -> &crate::token_policy::TokenPolicy {
        &self.settings.token_policy
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
    use serde_json::json;

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
        let mut record = valid.clone();
        record.id_token_signed_response_alg = Some("none".into());
        assert!(Client::from_record(record).is_err());
        for bad in [
            json!({"application_type": "desktop"}),
            json!({"id_token_claims": "all"}),
            json!({"require_pkce": "no"}),
            json!({"userinfo_signed_response_alg": "none"}),
            json!({"default_max_age": -1}),
        ] {
            let mut record = valid.clone();
            record.metadata = bad.clone();
            assert!(Client::from_record(record).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn metadata_members_are_typed_with_registration_defaults() {
        let provider = provider_with_keys(|_| {}).await;
        let auth = ClientAuthMethod::ClientSecretBasic;
        let record = stored_client(&provider, "web", auth, &[], &[]).await;
        let client = Client::from_record(record.clone()).unwrap();
        assert_eq!(client.application_type(), ApplicationType::Web);
        assert_eq!(client.id_token_claims(), IdTokenClaims::Scope);
        assert!(client.requires_pkce(true));
        assert!(!client.requires_pkce(false));
        assert_eq!(client.jwks(), None);
        assert_eq!(client.userinfo_signed_response_alg(), None);
        assert!(!client.require_auth_time());

        let mut native = record;
        native.metadata = json!({
            "application_type": "native", "id_token_claims": "minimal",
            "require_pkce": false, "jwks": {"keys": []}, "jwks_uri": "https://rp/jwks",
            "token_endpoint_auth_signing_alg": "ES256",
            "userinfo_signed_response_alg": "RS256", "default_max_age": 60,
            "require_auth_time": true
        });
        let client = Client::from_record(native.clone()).unwrap();
        assert_eq!(client.application_type(), ApplicationType::Native);
        assert_eq!(client.id_token_claims(), IdTokenClaims::Minimal);
        assert!(!client.requires_pkce(true));
        assert_eq!(client.jwks(), Some(&json!({"keys": []})));
        assert_eq!(client.jwks_uri(), Some("https://rp/jwks"));
        assert_eq!(
            client.token_endpoint_auth_signing_alg(),
            Some(SigningAlg::ES256)
        );
        assert_eq!(
            client.userinfo_signed_response_alg(),
            Some(SigningAlg::RS256)
        );
        assert_eq!(client.default_max_age(), Some(60));
        assert!(client.require_auth_time());

        // RFC 9700 §2.1.1: a public client always uses PKCE, whatever its metadata says.
        native.token_endpoint_auth_method = "none".into();
        assert!(Client::from_record(native).unwrap().requires_pkce(false));
    }
}

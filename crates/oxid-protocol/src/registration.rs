//! Dynamic client registration: client metadata (OIDC Dynamic Client Registration 1.0 §2,
//! RFC 7591 §2, plus the logout specifications' members), the registration response
//! (RFC 7591 §3.2.1, OIDC Registration §3.2) and error (RFC 7591 §3.2.2).

use crate::error::{sanitize_error_text, string_enum};
use crate::jwk::JwkSet;
use crate::scope::Scope;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// Client metadata (OIDC Registration §2, RFC 7591 §2, RP-Initiated / Front-Channel /
/// Back-Channel Logout). Language-tagged members (`client_name#ja-Jpan-JP`) stay in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = RegisteredClientMetadata))]
pub struct ClientMetadata {
    /// Redirection URIs; REQUIRED for the authorization code and implicit grants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redirect_uris: Vec<String>,
    /// Client authentication method; default `client_secret_basic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<String>,
    /// Grant types; default `["authorization_code"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types: Option<Vec<String>>,
    /// Response types; default `["code"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_types: Option<Vec<String>>,
    /// Human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// Home page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    /// Logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    /// Space-delimited scopes the client may ask for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Contact e-mail addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Vec<String>>,
    /// Terms of service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tos_uri: Option<String>,
    /// Privacy policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_uri: Option<String>,
    /// The client's JWK Set URL; not together with `jwks`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// The client's JWK Set by value; not together with `jwks_uri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub jwks: Option<JwkSet>,
    /// Software identifier (RFC 7591).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_id: Option<String>,
    /// Software version (RFC 7591).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_version: Option<String>,
    /// Signed software statement JWT (RFC 7591 §2.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_statement: Option<String>,
    /// `web` (default) or `native`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_type: Option<String>,
    /// URL of the redirect URI list for pairwise subject calculation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector_identifier_uri: Option<String>,
    /// `public` or `pairwise`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_type: Option<String>,
    /// ID token JWS algorithm; default RS256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_signed_response_alg: Option<String>,
    /// ID token JWE `alg`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_encrypted_response_alg: Option<String>,
    /// ID token JWE `enc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_encrypted_response_enc: Option<String>,
    /// UserInfo JWS algorithm; absent means plain JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_signed_response_alg: Option<String>,
    /// UserInfo JWE `alg`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_encrypted_response_alg: Option<String>,
    /// UserInfo JWE `enc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_encrypted_response_enc: Option<String>,
    /// Request Object JWS algorithm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_object_signing_alg: Option<String>,
    /// Request Object JWE `alg`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_object_encryption_alg: Option<String>,
    /// Request Object JWE `enc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_object_encryption_enc: Option<String>,
    /// JWS algorithm of `private_key_jwt` / `client_secret_jwt` assertions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_signing_alg: Option<String>,
    /// Default `max_age` in seconds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::serde_util::opt_lenient_u64"
    )]
    pub default_max_age: Option<u64>,
    /// Whether `auth_time` is always required in ID tokens; default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_auth_time: Option<bool>,
    /// Default ACR values, in order of preference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_acr_values: Option<Vec<String>>,
    /// Third-party-initiated login URI (https).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiate_login_uri: Option<String>,
    /// Pre-registered `request_uri` values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_uris: Option<Vec<String>>,
    /// Allowed post-logout redirect URIs (RP-Initiated Logout §3.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// Front-channel logout URI (Front-Channel Logout §2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frontchannel_logout_uri: Option<String>,
    /// Whether `iss` and `sid` are required on the front-channel URI; default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frontchannel_logout_session_required: Option<bool>,
    /// Back-channel logout URI (Back-Channel Logout §2.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
    /// Whether `sid` is required in logout tokens; default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_session_required: Option<bool>,
    /// Every other member, in order.
    #[serde(flatten)]
    pub extra: IndexMap<String, Value>,
}

string_enum! {
    /// The `error` code of a registration error (RFC 7591 §3.2.2).
    pub enum RegistrationErrorCode("error") {
        /// A redirect URI is invalid.
        InvalidRedirectUri => "invalid_redirect_uri",
        /// A metadata member is invalid.
        InvalidClientMetadata => "invalid_client_metadata",
        /// The software statement is invalid.
        InvalidSoftwareStatement => "invalid_software_statement",
        /// The software statement is not approved.
        UnapprovedSoftwareStatement => "unapproved_software_statement",
    }
}

/// A registration error response (RFC 7591 §3.2.2), HTTP 400.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationError {
    /// The error code.
    pub error: RegistrationErrorCode,
    /// Human-readable ASCII text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// Every other member, in order.
    #[serde(flatten)]
    pub extra: IndexMap<String, Value>,
}

impl RegistrationError {
    /// An error with a description (sanitized).
    pub fn new(error: RegistrationErrorCode, description: impl AsRef<str>) -> Self {
        let d = sanitize_error_text(description.as_ref());
        RegistrationError {
            error,
            error_description: (!d.is_empty()).then_some(d),
            extra: IndexMap::new(),
        }
    }

    /// `invalid_redirect_uri`.
    pub fn invalid_redirect_uri(description: impl AsRef<str>) -> Self {
        Self::new(RegistrationErrorCode::InvalidRedirectUri, description)
    }

    /// `invalid_client_metadata`.
    pub fn invalid_client_metadata(description: impl AsRef<str>) -> Self {
        Self::new(RegistrationErrorCode::InvalidClientMetadata, description)
    }

    /// The HTTP status: 400.
    pub fn http_status(&self) -> u16 {
        400
    }
}

impl fmt::Display for RegistrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.error_description {
            Some(d) => write!(f, "{}: {}", self.error, d),
            None => write!(f, "{}", self.error),
        }
    }
}

impl std::error::Error for RegistrationError {}

/// Client authentication methods a registration may name (OIDC Core §9, RFC 8705 §2).
pub const KNOWN_AUTH_METHODS: &[&str] = &[
    "none",
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "tls_client_auth",
    "self_signed_tls_client_auth",
];

fn is_loopback_url(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl ClientMetadata {
    /// Parses a registration request body; a wrong member type is `invalid_client_metadata`.
    pub fn from_json(bytes: &[u8]) -> Result<Self, RegistrationError> {
        serde_json::from_slice(bytes)
            .map_err(|e| RegistrationError::invalid_client_metadata(e.to_string()))
    }

    /// `token_endpoint_auth_method`, default `client_secret_basic`.
    pub fn token_endpoint_auth_method(&self) -> &str {
        self.token_endpoint_auth_method
            .as_deref()
            .unwrap_or("client_secret_basic")
    }

    /// `grant_types`, default `["authorization_code"]`.
    pub fn grant_types(&self) -> Vec<String> {
        self.grant_types
            .clone()
            .unwrap_or_else(|| vec!["authorization_code".into()])
    }

    /// `response_types`, default `["code"]`.
    pub fn response_types(&self) -> Vec<String> {
        self.response_types
            .clone()
            .unwrap_or_else(|| vec!["code".into()])
    }

    /// `application_type`, default `web`.
    pub fn application_type(&self) -> &str {
        self.application_type.as_deref().unwrap_or("web")
    }

    /// `id_token_signed_response_alg`, default `RS256`.
    pub fn id_token_signed_response_alg(&self) -> &str {
        self.id_token_signed_response_alg
            .as_deref()
            .unwrap_or("RS256")
    }

    /// `require_auth_time`, default false.
    pub fn require_auth_time(&self) -> bool {
        self.require_auth_time.unwrap_or(false)
    }

    /// `frontchannel_logout_session_required`, default false.
    pub fn frontchannel_logout_session_required(&self) -> bool {
        self.frontchannel_logout_session_required.unwrap_or(false)
    }

    /// `backchannel_logout_session_required`, default false.
    pub fn backchannel_logout_session_required(&self) -> bool {
        self.backchannel_logout_session_required.unwrap_or(false)
    }

    /// The `scope` member parsed.
    pub fn scope(&self) -> Option<Result<Scope, crate::scope::ScopeError>> {
        self.scope.as_deref().map(Scope::parse)
    }

    /// Checks the metadata a provider must refuse (RFC 7591 §2, §2.1; OIDC Registration §2):
    ///
    /// - `invalid_redirect_uri`: a redirect URI not absolute or with a fragment; none given
    ///   while `authorization_code` or `implicit` is used; for `web` clients using
    ///   `implicit`, one not `https` or on localhost; for `native` clients, an `http` one not
    ///   on loopback.
    /// - `invalid_client_metadata`: response types and grant types inconsistent (`code`
    ///   needs `authorization_code`, `token` / `id_token` need `implicit`); an unknown
    ///   response type, `application_type`, `subject_type` or authentication method;
    ///   `jwks` together with `jwks_uri`; a URL member not absolute; a bad `scope`; a
    ///   `post_logout_redirect_uris` entry not absolute; `none` as ID token algorithm with a
    ///   response type returning an ID token from the authorization endpoint.
    pub fn validate(&self) -> Result<(), RegistrationError> {
        let grants = self.grant_types();
        let responses = self.response_types();
        let app = self.application_type();
        if app != "web" && app != "native" {
            return Err(RegistrationError::invalid_client_metadata(
                "application_type must be web or native",
            ));
        }
        let uses_redirect = grants
            .iter()
            .any(|g| g == "authorization_code" || g == "implicit");
        if uses_redirect && self.redirect_uris.is_empty() {
            return Err(RegistrationError::invalid_redirect_uri(
                "redirect_uris is required",
            ));
        }
        let implicit = grants.iter().any(|g| g == "implicit");
        for r in &self.redirect_uris {
            let u = match url::Url::parse(r) {
                Ok(u) if crate::authorization::is_absolute_uri_without_fragment(r) => u,
                _ => {
                    return Err(RegistrationError::invalid_redirect_uri(format!(
                        "redirect URI '{r}' must be absolute without a fragment"
                    )));
                }
            };
            if app == "web" && implicit && (u.scheme() != "https" || is_loopback_url(&u)) {
                return Err(RegistrationError::invalid_redirect_uri(format!(
                    "web clients using implicit must use https redirect URIs not on localhost: '{r}'"
                )));
            }
            if app == "native" && u.scheme() == "http" && !is_loopback_url(&u) {
                return Err(RegistrationError::invalid_redirect_uri(format!(
                    "native clients may use http only on loopback: '{r}'"
                )));
            }
        }
        for rt in &responses {
            let parsed = crate::authorization::ResponseType::parse(rt).map_err(|_| {
                RegistrationError::invalid_client_metadata(format!("unknown response type '{rt}'"))
            })?;
            if parsed.code() && !grants.iter().any(|g| g == "authorization_code") {
                return Err(RegistrationError::invalid_client_metadata(
                    "response type code requires the authorization_code grant type",
                ));
            }
            if (parsed.token() || parsed.id_token()) && !implicit {
                return Err(RegistrationError::invalid_client_metadata(
                    "response types token and id_token require the implicit grant type",
                ));
            }
            if parsed.id_token() && self.id_token_signed_response_alg() == "none" {
                return Err(RegistrationError::invalid_client_metadata(
                    "id_token_signed_response_alg none is not allowed with this response type",
                ));
            }
        }
        if grants.iter().any(|g| g == "authorization_code")
            && !responses.iter().any(|r| r.split(' ').any(|t| t == "code"))
        {
            return Err(RegistrationError::invalid_client_metadata(
                "the authorization_code grant type requires a response type containing code",
            ));
        }
        if !KNOWN_AUTH_METHODS.contains(&self.token_endpoint_auth_method()) {
            return Err(RegistrationError::invalid_client_metadata(
                "unknown token_endpoint_auth_method",
            ));
        }
        if let Some(st) = &self.subject_type
            && st != "public"
            && st != "pairwise"
        {
            return Err(RegistrationError::invalid_client_metadata(
                "subject_type must be public or pairwise",
            ));
        }
        if self.jwks.is_some() && self.jwks_uri.is_some() {
            return Err(RegistrationError::invalid_client_metadata(
                "jwks and jwks_uri must not both be present",
            ));
        }
        if let Some(Err(e)) = self.scope() {
            return Err(RegistrationError::invalid_client_metadata(e.to_string()));
        }
        for (name, val) in [
            ("client_uri", &self.client_uri),
            ("logo_uri", &self.logo_uri),
            ("tos_uri", &self.tos_uri),
            ("policy_uri", &self.policy_uri),
            ("jwks_uri", &self.jwks_uri),
            ("sector_identifier_uri", &self.sector_identifier_uri),
            ("initiate_login_uri", &self.initiate_login_uri),
            ("frontchannel_logout_uri", &self.frontchannel_logout_uri),
            ("backchannel_logout_uri", &self.backchannel_logout_uri),
        ] {
            if let Some(v) = val
                && url::Url::parse(v).is_err()
            {
                return Err(RegistrationError::invalid_client_metadata(format!(
                    "{name} must be an absolute URL"
                )));
            }
        }
        for u in self.post_logout_redirect_uris.iter().flatten() {
            if !crate::authorization::is_absolute_uri_without_fragment(u) {
                return Err(RegistrationError::invalid_client_metadata(
                    "post_logout_redirect_uris must be absolute URIs without a fragment",
                ));
            }
        }
        Ok(())
    }
}

/// A successful registration response (RFC 7591 §3.2.1, RFC 7592 §3, OIDC Registration
/// §3.2): the credentials and every registered metadata member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationResponse {
    /// REQUIRED. The client identifier.
    pub client_id: String,
    /// The client secret, for confidential clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// When the client id was issued.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::serde_util::opt_numeric_date"
    )]
    pub client_id_issued_at: Option<u64>,
    /// When the secret expires, 0 for never; REQUIRED with a secret.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::serde_util::opt_numeric_date"
    )]
    pub client_secret_expires_at: Option<u64>,
    /// Token for the client configuration endpoint (RFC 7592).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_access_token: Option<String>,
    /// The client configuration endpoint (RFC 7592).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_client_uri: Option<String>,
    /// The registered metadata.
    #[serde(flatten)]
    pub metadata: ClientMetadata,
}

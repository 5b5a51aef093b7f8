//! Client metadata, the one way a client registration is described and checked: the members
//! of OIDC Dynamic Client Registration 1.0 §2 and RFC 7591 §2 (with the logout
//! specifications' members), plus Oxid's own members. The CLI (`oxid client add|update`),
//! the registration endpoint and its RFC 7592 management all build a [`ClientMetadata`] and
//! call [`ClientMetadata::validate`]; the [`ValidatedClient`] it returns is the only thing a
//! stored [`ClientRecord`] is made from.

mod encryption;
mod localized;
mod redirect;
mod request_objects;
mod rules;
mod sector;
#[cfg(test)]
mod tests;

use oxid_protocol::registration::RegistrationErrorCode;
use oxid_store::ClientRecord;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

use crate::capabilities::{ClientAuthMethod, GrantType, ResponseType};
use crate::crypto::jws::SigningAlg;

pub use localized::{ClientDisplay, LOCALIZABLE_MEMBERS};
pub use sector::check_sector_document;

/// The registered members of OIDC Registration §2 / RFC 7591 §2, as the protocol crate
/// types them (language-tagged members such as `client_name#fr` are in its `extra`).
pub type RegisteredMetadata = oxid_protocol::registration::ClientMetadata;

/// Client metadata: the registered members and Oxid's own. Members are named as on the wire.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClientMetadata {
    /// The members of OIDC Registration §2 and RFC 7591 §2.
    #[serde(flatten)]
    pub registered: RegisteredMetadata,
    // Oxid's own members follow; a new per-client setting is one more field here, one more
    // rule in `rules.rs`, and one more accessor on `Client`.
    /// Whether PKCE is required of this client (default true; only a confidential client may
    /// turn it off, RFC 9700 §2.1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_pkce: Option<bool>,
    /// Which user claims go in ID tokens: `scope` (default: those of the granted scopes) or
    /// `minimal` (only the ones OIDC Core §2 requires).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_claims: Option<String>,
    /// Whether the access and refresh tokens issued to this client within a login session
    /// are revoked when the session ends (logout, an operator's revocation); default false
    /// (Keycloak's "revoke offline sessions" on back-channel logout). Kept in
    /// `ClientRecord::metadata` under [`oxid_store::REVOKE_TOKENS_MEMBER`], which the store
    /// reads when it ends a session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_revoke_tokens: Option<bool>,
    /// The form of its access tokens: `opaque` (default) or `jwt` (RFC 9068); see
    /// `token_policy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_format: Option<String>,
    /// Seconds its access tokens live (default `lifetimes.access_token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_lifetime: Option<u64>,
    /// Absolute lifetime of a refresh token family, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_lifetime: Option<u64>,
    /// Idle lifetime of a refresh token, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_idle: Option<u64>,
    /// Refresh grace window in seconds (0 or absent: off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_grace: Option<u64>,
    /// RFC 9126 §6: this client's authorization requests are accepted only when pushed.
    /// (Not in the protocol crate's registration type, so kept among Oxid's members.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_pushed_authorization_requests: Option<bool>,
    /// RFC 9449 §5.2: this client's token requests must carry a DPoP proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_bound_access_tokens: Option<bool>,
    /// RFC 9101 §10.5: this client's authorization requests must come in signed request
    /// objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_signed_request_object: Option<bool>,
}

/// Client metadata refused: the error code of RFC 7591 §3.2.2, the member at fault, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataError {
    /// `invalid_redirect_uri`, `invalid_client_metadata` or a software statement code.
    pub code: RegistrationErrorCode,
    /// The member at fault, e.g. `redirect_uris` or `client_name#fr`.
    pub member: String,
    /// What is wrong with it.
    pub description: String,
}

impl MetadataError {
    /// `invalid_client_metadata` about `member`.
    pub fn metadata(member: impl Into<String>, description: impl Into<String>) -> Self {
        MetadataError {
            code: RegistrationErrorCode::InvalidClientMetadata,
            member: member.into(),
            description: description.into(),
        }
    }

    /// `invalid_redirect_uri` about `member` (`redirect_uris`).
    pub fn redirect(member: impl Into<String>, description: impl Into<String>) -> Self {
        MetadataError {
            code: RegistrationErrorCode::InvalidRedirectUri,
            member: member.into(),
            description: description.into(),
        }
    }

    /// The RFC 7591 §3.2.2 error response; its description names the member.
    pub fn to_response(&self) -> oxid_protocol::registration::RegistrationError {
        oxid_protocol::registration::RegistrationError::new(self.code, self.to_string())
    }
}

impl fmt::Display for MetadataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.member, self.description)
    }
}

impl std::error::Error for MetadataError {}

/// Client metadata that passed every rule, with the defaults filled in and the members Oxid
/// does not keep left out; its typed values are what the record is made from.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedClient {
    /// The metadata as registered and returned to the client.
    pub metadata: ClientMetadata,
    /// `token_endpoint_auth_method`.
    pub auth_method: ClientAuthMethod,
    /// `grant_types`.
    pub grant_types: Vec<GrantType>,
    /// `response_types`.
    pub response_types: Vec<ResponseType>,
    /// `id_token_signed_response_alg`.
    pub id_token_alg: SigningAlg,
    /// `userinfo_signed_response_alg`, when UserInfo answers are signed.
    pub userinfo_alg: Option<SigningAlg>,
    /// The scopes the client may ask for.
    pub scopes: Vec<String>,
}

impl ValidatedClient {
    /// Whether the client is issued a secret: it authenticates with one, or something is
    /// HMAC-signed with one.
    pub fn needs_secret(&self) -> bool {
        matches!(
            self.auth_method,
            ClientAuthMethod::ClientSecretBasic
                | ClientAuthMethod::ClientSecretPost
                | ClientAuthMethod::ClientSecretJwt
        ) || self.needs_secret_in_clear()
    }

    /// Whether the secret itself is needed later, as an HMAC key (`client_secret_jwt`
    /// assertions, HS256 ID tokens, UserInfo answers or request objects), so it is kept
    /// encrypted, not only hashed.
    pub fn needs_secret_in_clear(&self) -> bool {
        self.auth_method == ClientAuthMethod::ClientSecretJwt
            || self.id_token_alg == SigningAlg::HS256
            || self.userinfo_alg == Some(SigningAlg::HS256)
            || self
                .metadata
                .registered
                .request_object_signing_alg
                .as_deref()
                == Some("HS256")
    }

    /// The stored record of `client_id` with these values; the secret columns and the
    /// registration token are the caller's (see `admin`).
    pub fn to_record(&self, client_id: &str, skip_consent: bool, created_at: u64) -> ClientRecord {
        let m = &self.metadata.registered;
        ClientRecord {
            client_id: client_id.to_string(),
            secret_hash: None,
            secret_encrypted: None,
            client_name: m.client_name.clone(),
            redirect_uris: m.redirect_uris.clone(),
            post_logout_redirect_uris: m.post_logout_redirect_uris.clone().unwrap_or_default(),
            grant_types: self.grant_types.iter().map(|g| g.to_string()).collect(),
            response_types: self
                .response_types
                .iter()
                .map(|r| r.as_str().to_string())
                .collect(),
            token_endpoint_auth_method: self.auth_method.to_string(),
            scopes: self.scopes.clone(),
            id_token_signed_response_alg: Some(self.id_token_alg.as_str().to_string()),
            backchannel_logout_uri: m.backchannel_logout_uri.clone(),
            frontchannel_logout_uri: m.frontchannel_logout_uri.clone(),
            skip_consent,
            metadata: self.metadata.stored_members(),
            registration_token_hash: None,
            created_at,
        }
    }
}

/// The members kept in their own columns of [`ClientRecord`]; every other member is kept in
/// its `metadata` object under its own name.
const COLUMN_MEMBERS: [&str; 10] = [
    "client_name",
    "redirect_uris",
    "post_logout_redirect_uris",
    "grant_types",
    "response_types",
    "token_endpoint_auth_method",
    "scope",
    "id_token_signed_response_alg",
    "backchannel_logout_uri",
    "frontchannel_logout_uri",
];

impl ClientMetadata {
    /// Parses a registration request body (RFC 7591 §3.1); a member of the wrong type is
    /// `invalid_client_metadata`.
    pub fn from_json(bytes: &[u8]) -> Result<ClientMetadata, MetadataError> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| MetadataError::metadata("request", format!("not JSON: {e}")))?;
        if !value.is_object() {
            return Err(MetadataError::metadata(
                "request",
                "the body must be a JSON object",
            ));
        }
        serde_json::from_value(value).map_err(|e| MetadataError::metadata("request", e.to_string()))
    }

    /// The metadata of a stored client: its columns and its `metadata` object.
    pub fn from_record(record: &ClientRecord) -> ClientMetadata {
        let mut members = match &record.metadata {
            Value::Object(map) => map.clone(),
            _ => Map::new(),
        };
        let columns = serde_json::json!({
            "client_name": record.client_name,
            "redirect_uris": record.redirect_uris,
            "post_logout_redirect_uris": record.post_logout_redirect_uris,
            "grant_types": record.grant_types,
            "response_types": record.response_types,
            "token_endpoint_auth_method": record.token_endpoint_auth_method,
            "scope": record.scopes.join(" "),
            "id_token_signed_response_alg": record.id_token_signed_response_alg,
            "backchannel_logout_uri": record.backchannel_logout_uri,
            "frontchannel_logout_uri": record.frontchannel_logout_uri,
        });
        if let Value::Object(columns) = columns {
            for (name, value) in columns {
                let empty = value.is_null()
                    || value.as_array().is_some_and(Vec::is_empty)
                    || value.as_str().is_some_and(str::is_empty);
                if !empty {
                    members.insert(name, value);
                }
            }
        }
        // A row this code wrote always reads back; a damaged one reads as what parses.
        serde_json::from_value(Value::Object(members)).unwrap_or_default()
    }

    /// The metadata as the protocol crate's type, Oxid's own members among its `extra` ones:
    /// what a registration response carries.
    pub fn to_wire(&self) -> RegisteredMetadata {
        serde_json::to_value(self)
            .and_then(serde_json::from_value)
            .unwrap_or_else(|_| self.registered.clone())
    }

    /// The members that go in [`ClientRecord::metadata`]: all but the column ones.
    fn stored_members(&self) -> Value {
        let mut members = match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        for name in COLUMN_MEMBERS {
            members.remove(name);
        }
        Value::Object(members)
    }

    /// Checks every rule against what this deployment supports; see `rules.rs`.
    pub fn validate(
        &self,
        caps: &crate::capabilities::Capabilities,
    ) -> Result<ValidatedClient, MetadataError> {
        rules::validate(self, caps)
    }
}

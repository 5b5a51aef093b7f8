//! The records the store keeps. Plain data: the provider decides what they mean.
//!
//! Every `*_hash` field is `sha256(secret)` as lowercase hex; the secret itself is never
//! stored. Times are seconds since the Unix epoch.

use serde::{Deserialize, Serialize};

/// A registered OAuth 2.0 client (RFC 7591 §2, OIDC Registration §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRecord {
    /// `client_id`, unique.
    pub client_id: String,
    /// `sha256(client_secret)` hex; `None` for public clients.
    pub secret_hash: Option<String>,
    /// The secret encrypted (AES-256-GCM, nonce prepended) for clients that need the secret
    /// itself (HS256 ID tokens, client_secret_jwt); `None` otherwise.
    pub secret_encrypted: Option<Vec<u8>>,
    /// Human-readable name shown on the consent page.
    pub client_name: Option<String>,
    /// Registered redirect URIs, matched exactly.
    pub redirect_uris: Vec<String>,
    /// Registered post-logout redirect URIs, matched exactly.
    pub post_logout_redirect_uris: Vec<String>,
    /// Grant types the client may use.
    pub grant_types: Vec<String>,
    /// Response types the client may use.
    pub response_types: Vec<String>,
    /// `token_endpoint_auth_method`: client_secret_basic, client_secret_post, none, ...
    pub token_endpoint_auth_method: String,
    /// Scopes the client may ask for, space-separated values split.
    pub scopes: Vec<String>,
    /// `id_token_signed_response_alg`; `None` means the provider default (RS256).
    pub id_token_signed_response_alg: Option<String>,
    /// OIDC Back-Channel Logout `backchannel_logout_uri`.
    pub backchannel_logout_uri: Option<String>,
    /// OIDC Front-Channel Logout `frontchannel_logout_uri`.
    pub frontchannel_logout_uri: Option<String>,
    /// Skip the consent page for this (first-party) client.
    pub skip_consent: bool,
    /// Every other client metadata member, as registered (a JSON object).
    pub metadata: serde_json::Value,
    /// `sha256(registration_access_token)` for RFC 7592 management, when registered dynamically.
    pub registration_token_hash: Option<String>,
    /// When the client was created.
    pub created_at: u64,
}

impl ClientRecord {
    /// A client `client_id` with the registration defaults of RFC 7591 §2 and OIDC
    /// Registration §2: no secret (set `secret_hash` for a confidential client), no redirect
    /// URI, the `authorization_code` grant, the `code` response type, `client_secret_basic`,
    /// no scope limits, RS256 ID tokens, no logout URIs, consent asked, empty metadata,
    /// created at 0. Set the rest with struct update syntax.
    pub fn new(client_id: impl Into<String>) -> Self {
        ClientRecord {
            client_id: client_id.into(),
            secret_hash: None,
            secret_encrypted: None,
            client_name: None,
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            grant_types: vec!["authorization_code".into()],
            response_types: vec!["code".into()],
            token_endpoint_auth_method: "client_secret_basic".into(),
            scopes: Vec::new(),
            id_token_signed_response_alg: None,
            backchannel_logout_uri: None,
            frontchannel_logout_uri: None,
            skip_consent: false,
            metadata: serde_json::Value::Object(serde_json::Map::new()),
            registration_token_hash: None,
            created_at: 0,
        }
    }
}

impl Default for ClientRecord {
    /// [`ClientRecord::new`] with an empty `client_id`.
    fn default() -> Self {
        ClientRecord::new("")
    }
}

/// An end user who can log in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// Stable subject identifier (`sub`), random, never reused.
    pub id: String,
    /// Login name, unique.
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Standard claims of OIDC Core §5.1 (`email`, `email_verified`, `name`, `given_name`,
    /// `family_name`, `locale`, `phone_number`, `address`, ...), as a JSON object.
    pub claims: serde_json::Value,
    /// When the user was created; also the first `updated_at`.
    pub created_at: u64,
    /// Last change of the claims (`updated_at` claim).
    pub updated_at: u64,
}

/// A grant minted by token exchange (RFC 8693): what its tokens carry beyond a token record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangedGrantRecord {
    /// The grant (token family) the exchange minted.
    pub grant_id: String,
    /// The audiences (`audience` and `resource` values, RFC 8693 §2.1) its tokens are for.
    pub audiences: Vec<String>,
    /// The `act` claim (RFC 8693 §4.1): who acts for the subject, when delegated.
    pub act: Option<serde_json::Value>,
    /// When its last token expires (the record may be purged then).
    pub expires_at: u64,
}

/// A token with what introspection and UserInfo read beside it ([`crate::TokenStore::get_token_view`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenView {
    /// The token, whatever its state (the caller checks expiry and revocation).
    pub token: TokenRecord,
    /// The token's user: `None` when it has none, or when that user no longer exists.
    pub user: Option<UserRecord>,
    /// The record of the token's grant when that grant was minted by token exchange (and
    /// it was asked for).
    pub exchanged_grant: Option<ExchangedGrantRecord>,
}

/// A browser login session at the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// `sha256(cookie value)`.
    pub id_hash: String,
    /// Public session id, the `sid` claim of ID tokens and logout tokens.
    pub sid: String,
    /// The logged-in user's id.
    pub user_id: String,
    /// When the user last authenticated (the `auth_time` claim).
    pub auth_time: u64,
    /// Authentication methods (`amr`), e.g. `["pwd"]`.
    pub amr: Vec<String>,
    /// Authentication context class (`acr`), when one was met.
    pub acr: Option<String>,
    /// When the session ends.
    pub expires_at: u64,
}

/// Consent a user gave to a client for a set of scopes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    /// The user.
    pub user_id: String,
    /// The client.
    pub client_id: String,
    /// Scopes consented to.
    pub scopes: Vec<String>,
    /// When consent was (last) given.
    pub granted_at: u64,
}

/// An authorization code and everything it is bound to (RFC 6749 §4.1.2, RFC 7636).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRecord {
    /// `sha256(code)`.
    pub code_hash: String,
    /// The grant (token family) this code starts; every token minted from it carries it.
    pub grant_id: String,
    /// The client the code was issued to.
    pub client_id: String,
    /// The user who authorized.
    pub user_id: String,
    /// The `redirect_uri` of the authorization request, if one was sent.
    pub redirect_uri: Option<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// `nonce` of the request.
    pub nonce: Option<String>,
    /// PKCE `code_challenge`.
    pub code_challenge: Option<String>,
    /// PKCE `code_challenge_method` (`S256` or `plain`).
    pub code_challenge_method: Option<String>,
    /// Session `sid` the code was issued in.
    pub sid: Option<String>,
    /// `auth_time` of the session.
    pub auth_time: u64,
    /// `acr` met.
    pub acr: Option<String>,
    /// `amr` used.
    pub amr: Vec<String>,
    /// The `claims` request parameter (OIDC Core §5.5), JSON, if sent.
    pub claims_request: Option<serde_json::Value>,
    /// The `resource` of the authorization request (RFC 8707 §2.1), if sent.
    pub resource: Option<String>,
    /// When the code expires (at most 60 s after issue).
    pub expires_at: u64,
    /// The JWK thumbprint the code is bound to (RFC 9449 §10): the token request must carry
    /// a DPoP proof by that key.
    #[serde(default)]
    pub dpop_jkt: Option<String>,
}

/// What kind of token a [`TokenRecord`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenKind {
    /// An access token.
    Access,
    /// A refresh token.
    Refresh,
}

impl TokenKind {
    /// The stored name: `access` or `refresh`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

/// An issued access or refresh token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// `sha256(token)`; for a JWT access token (RFC 9068), of the whole compact JWT, so that
    /// it is found, introspected and revoked like an opaque one.
    pub token_hash: String,
    /// Access or refresh.
    pub kind: TokenKind,
    /// The grant (token family); revoking it revokes every token that carries it.
    pub grant_id: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// The user, absent for client_credentials.
    pub user_id: Option<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Session `sid`, when issued within a login session.
    pub sid: Option<String>,
    /// `auth_time` carried into refreshed ID tokens.
    pub auth_time: Option<u64>,
    /// The `claims` request parameter (OIDC Core §5.5) it was issued under.
    pub claims_request: Option<serde_json::Value>,
    /// The resource the token is for (RFC 8707 §2, the `aud` of RFC 9068 §2.2); for a refresh
    /// token, the resource its grant was bound to.
    pub audience: Option<String>,
    /// For refresh tokens: the absolute end of the family (the client's refresh token
    /// lifetime), carried from token to token on rotation; `None` when none applies.
    pub grant_expires_at: Option<u64>,
    /// When the token was issued.
    pub issued_at: u64,
    /// When the token expires.
    pub expires_at: u64,
    /// For refresh tokens: set once it has been exchanged (rotated).
    pub consumed_at: Option<u64>,
    /// Set when the token (or its grant) was revoked.
    pub revoked_at: Option<u64>,
    /// The JWK SHA-256 thumbprint of the DPoP key the token is bound to (RFC 9449 §6,
    /// `cnf.jkt`); `None` for a bearer token.
    pub dpop_jkt: Option<String>,
}

/// The outcome of [`crate::CodeStore::consume_code`].
// Returned once per call and matched at once: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeConsumption {
    /// The code was unused and is now consumed; here is what it was bound to.
    Consumed(CodeRecord),
    /// The code exists but was consumed before: a replay (RFC 6749 §4.1.2). The caller revokes
    /// the grant.
    AlreadyConsumed {
        /// The grant the code started.
        grant_id: String,
    },
    /// No such code, or it has expired.
    NotFound,
}

/// The outcome of [`crate::TokenStore::rotate_refresh_token`].
// Returned once per call and matched at once: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshRotation {
    /// The old token was live; it is now consumed and the new one stored.
    Rotated(TokenRecord),
    /// The old token had already been rotated (or revoked): reuse. The caller revokes the grant,
    /// unless the client's grace window lets it answer the sealed reply again.
    Reused {
        /// The family the reused token belongs to.
        grant_id: String,
        /// When it was rotated; `None` when it was revoked without being rotated.
        consumed_at: Option<u64>,
        /// Whether the token (or its family) is revoked: no grace then.
        revoked: bool,
        /// The reply its rotation answered, as sealed by the caller, when one was kept.
        sealed_reply: Option<Vec<u8>>,
    },
    /// No such refresh token, or it has expired.
    NotFound,
}

/// The lifecycle state of a signing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyState {
    /// Published in the JWKS ahead of use; does not sign yet.
    Next,
    /// Signs new tokens.
    Current,
    /// No longer signs; published until everything it signed has expired.
    Retired,
}

impl KeyState {
    /// The stored name: `next`, `current` or `retired`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Next => "next",
            KeyState::Current => "current",
            KeyState::Retired => "retired",
        }
    }
}

/// A signing key, its private part encrypted at rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// `kid`, unique.
    pub kid: String,
    /// JWS `alg` (RS256, PS256, ES256, EdDSA).
    pub alg: String,
    /// PKCS#8 DER of the private key, encrypted (AES-256-GCM, nonce prepended).
    pub private_key_encrypted: Vec<u8>,
    /// Where the key is in its life.
    pub state: KeyState,
    /// When the key was made.
    pub created_at: u64,
    /// When it became (or becomes) current.
    pub activated_at: Option<u64>,
    /// When it stopped signing.
    pub retired_at: Option<u64>,
    /// When it may leave the JWKS: `retired_at` plus the longest lifetime of what it signed.
    pub expires_at: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_client_has_the_rfc7591_defaults() {
        let client = ClientRecord::new("app");
        assert_eq!(client.client_id, "app");
        assert_eq!(client.grant_types, ["authorization_code"]);
        assert_eq!(client.response_types, ["code"]);
        assert_eq!(client.token_endpoint_auth_method, "client_secret_basic");
        assert!(client.metadata.is_object());
        assert_eq!(ClientRecord::default().client_id, "");
    }
}

//! Provider metadata (OIDC Discovery 1.0 §3, RFC 8414 §2), derived from the same
//! configuration the endpoints enforce: nothing is advertised that is not built.

use serde_json::{Value, json};

use crate::admin::{SUPPORTED_AUTH_METHODS, SUPPORTED_GRANT_TYPES, SUPPORTED_RESPONSE_TYPES};
use crate::claims::supported_claims;
use crate::config::ProviderConfig;
use crate::crypto::jws::SigningAlg;
use crate::pages::LANGUAGES;

/// Endpoint paths under the issuer.
pub mod paths {
    /// Authorization endpoint.
    pub const AUTHORIZE: &str = "/authorize";
    /// Token endpoint.
    pub const TOKEN: &str = "/token";
    /// UserInfo endpoint.
    pub const USERINFO: &str = "/userinfo";
    /// JWK Set.
    pub const JWKS: &str = "/jwks";
    /// Login form target.
    pub const LOGIN: &str = "/login";
    /// Consent form target.
    pub const CONSENT: &str = "/consent";
    /// OIDC Discovery document.
    pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
    /// RFC 8414 document.
    pub const OAUTH_METADATA: &str = "/.well-known/oauth-authorization-server";
}

/// The metadata as a JSON value.
pub fn metadata(config: &ProviderConfig) -> Value {
    let mut id_token_algs: Vec<&str> = config.signing_algs.iter().map(|a| a.as_str()).collect();
    id_token_algs.push(SigningAlg::HS256.as_str());
    let mut pkce = vec!["S256"];
    if config.allow_plain_pkce {
        pkce.push("plain");
    }
    json!({
        "issuer": config.issuer,
        "authorization_endpoint": config.endpoint(paths::AUTHORIZE),
        "token_endpoint": config.endpoint(paths::TOKEN),
        "userinfo_endpoint": config.endpoint(paths::USERINFO),
        "jwks_uri": config.endpoint(paths::JWKS),
        "scopes_supported": ["openid", "profile", "email", "address", "phone", "offline_access"],
        "response_types_supported": SUPPORTED_RESPONSE_TYPES,
        "response_modes_supported": ["query"],
        "grant_types_supported": SUPPORTED_GRANT_TYPES,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": id_token_algs,
        "token_endpoint_auth_methods_supported": SUPPORTED_AUTH_METHODS,
        "claims_supported": supported_claims(),
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "require_request_uri_registration": false,
        "code_challenge_methods_supported": pkce,
        "authorization_response_iss_parameter_supported": true,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "display_values_supported": ["page", "popup", "touch", "wap"],
        "ui_locales_supported": LANGUAGES,
    })
}

/// `/.well-known/openid-configuration`, serialized.
pub fn openid_configuration(config: &ProviderConfig) -> Vec<u8> {
    serde_json::to_vec(&metadata(config)).unwrap_or_default()
}

/// `/.well-known/oauth-authorization-server`, serialized (RFC 8414 §3: the same members).
pub fn oauth_authorization_server(config: &ProviderConfig) -> Vec<u8> {
    openid_configuration(config)
}

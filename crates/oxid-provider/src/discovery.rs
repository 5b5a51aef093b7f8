//! Provider metadata (OIDC Discovery 1.0 §3, RFC 8414 §2), derived from the same
//! configuration the endpoints enforce: nothing is advertised that is not built.

use oxid_protocol::metadata::ProviderMetadata;
use serde_json::json;

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
    /// Revocation endpoint (RFC 7009).
    pub const REVOCATION: &str = "/revoke";
    /// Introspection endpoint (RFC 7662).
    pub const INTROSPECTION: &str = "/introspect";
    /// JWK Set.
    pub const JWKS: &str = "/jwks";
    /// Login form target.
    pub const LOGIN: &str = "/login";
    /// RP-Initiated Logout end-session endpoint.
    pub const LOGOUT: &str = "/logout";
    /// Logout confirmation form target.
    pub const LOGOUT_CONFIRM: &str = "/logout/confirm";
    /// Consent form target.
    pub const CONSENT: &str = "/consent";
    /// OIDC Discovery document.
    pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
    /// RFC 8414 document.
    pub const OAUTH_METADATA: &str = "/.well-known/oauth-authorization-server";
}

fn strings<S: AsRef<str>>(values: &[S]) -> Option<Vec<String>> {
    Some(values.iter().map(|v| v.as_ref().to_string()).collect())
}

/// The provider's metadata.
pub fn metadata(config: &ProviderConfig) -> ProviderMetadata {
    let mut id_token_algs: Vec<&str> = config.signing_algs.iter().map(|a| a.as_str()).collect();
    id_token_algs.push(SigningAlg::HS256.as_str());
    let mut pkce = vec!["S256"];
    if config.allow_plain_pkce {
        pkce.push("plain");
    }
    let mut metadata = ProviderMetadata {
        issuer: Some(config.issuer.clone()),
        authorization_endpoint: Some(config.endpoint(paths::AUTHORIZE)),
        token_endpoint: Some(config.endpoint(paths::TOKEN)),
        userinfo_endpoint: Some(config.endpoint(paths::USERINFO)),
        jwks_uri: Some(config.endpoint(paths::JWKS)),
        end_session_endpoint: Some(config.endpoint(paths::LOGOUT)),
        backchannel_logout_supported: Some(true),
        backchannel_logout_session_supported: Some(true),
        frontchannel_logout_supported: Some(true),
        frontchannel_logout_session_supported: Some(true),
        scopes_supported: strings(&SUPPORTED_SCOPES),
        response_types_supported: strings(&SUPPORTED_RESPONSE_TYPES),
        response_modes_supported: strings(&["query"]),
        grant_types_supported: strings(&SUPPORTED_GRANT_TYPES),
        subject_types_supported: strings(&["public"]),
        id_token_signing_alg_values_supported: strings(&id_token_algs),
        token_endpoint_auth_methods_supported: strings(&SUPPORTED_AUTH_METHODS),
        revocation_endpoint: Some(config.endpoint(paths::REVOCATION)),
        revocation_endpoint_auth_methods_supported: strings(&SUPPORTED_AUTH_METHODS),
        introspection_endpoint: Some(config.endpoint(paths::INTROSPECTION)),
        // RFC 7662 §2.1: introspection needs real client authentication, so not `none`.
        introspection_endpoint_auth_methods_supported: Some(
            SUPPORTED_AUTH_METHODS
                .iter()
                .filter(|m| **m != "none")
                .map(|m| m.to_string())
                .collect(),
        ),
        claims_supported: strings(&supported_claims()),
        claim_types_supported: strings(&["normal"]),
        claims_parameter_supported: Some(false),
        request_parameter_supported: Some(false),
        request_uri_parameter_supported: Some(false),
        require_request_uri_registration: Some(false),
        code_challenge_methods_supported: strings(&pkce),
        authorization_response_iss_parameter_supported: Some(true),
        display_values_supported: strings(&["page", "popup", "touch", "wap"]),
        ui_locales_supported: strings(&LANGUAGES),
        ..ProviderMetadata::default()
    };
    // OIDC Prompt Create §4.1 / Discovery registry: the prompt values we honour.
    metadata.extra.insert(
        "prompt_values_supported".into(),
        json!(["none", "login", "consent", "select_account"]),
    );
    metadata
}

/// `/.well-known/openid-configuration`, serialized.
pub fn openid_configuration(config: &ProviderConfig) -> Vec<u8> {
    serde_json::to_vec(&metadata(config)).unwrap_or_default()
}

/// Scopes the provider knows; clients may be registered for their own API scopes besides.
pub const SUPPORTED_SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

/// `/.well-known/oauth-authorization-server`, serialized (RFC 8414 §3: the same members).
pub fn oauth_authorization_server(config: &ProviderConfig) -> Vec<u8> {
    openid_configuration(config)
}

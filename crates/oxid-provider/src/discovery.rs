//! Provider metadata (OIDC Discovery 1.0 §3, RFC 8414 §2), derived from the same
//! configuration the endpoints enforce: nothing is advertised that is not built.

use oxid_protocol::metadata::ProviderMetadata;
use serde_json::json;

use crate::capabilities::{AuthEndpoint, Capabilities, GrantType};
use crate::config::ProviderConfig;

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
    /// Dynamic client registration (RFC 7591 §3); `/register/{client_id}` is each
    /// client's configuration endpoint (RFC 7592 §2).
    pub const REGISTRATION: &str = "/register";
    /// Consent form target.
    pub const CONSENT: &str = "/consent";
    /// Pushed authorization request endpoint (RFC 9126 §2).
    pub const PUSHED_AUTHORIZATION_REQUEST: &str = "/par";
    /// Device authorization endpoint (RFC 8628 §3.1).
    pub const DEVICE_AUTHORIZATION: &str = "/device_authorization";
    /// Device verification page, `verification_uri` (RFC 8628 §3.3).
    pub const DEVICE: &str = "/device";
    /// The device flow's login form.
    pub const DEVICE_LOGIN: &str = "/device/login";
    /// The device flow's confirmation (consent) form.
    pub const DEVICE_CONSENT: &str = "/device/consent";
    /// OIDC Discovery document.
    pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
    /// RFC 8414 document.
    pub const OAUTH_METADATA: &str = "/.well-known/oauth-authorization-server";
}

fn strings<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Option<Vec<String>> {
    Some(values.into_iter().map(|v| v.as_ref().to_string()).collect())
}

fn names<T: Copy>(values: &[T], name: impl Fn(&T) -> &'static str) -> Option<Vec<String>> {
    strings(values.iter().map(name))
}

/// The provider's metadata: the endpoints under the issuer, and every value from `caps`.
pub fn metadata(config: &ProviderConfig, caps: &Capabilities) -> ProviderMetadata {
    let auth_methods = |endpoint| names(&caps.auth(endpoint).methods, |m| m.as_str());
    // RFC 8414 §2: listed only when a JWT method is on (the list is then not empty).
    let auth_algs = |endpoint| {
        let algs = &caps.auth(endpoint).signing_algs;
        names(algs, |a| a.as_str()).filter(|_| !algs.is_empty())
    };
    let features = &caps.features;
    let mut metadata = ProviderMetadata {
        issuer: Some(config.issuer.clone()),
        authorization_endpoint: Some(config.endpoint(paths::AUTHORIZE)),
        token_endpoint: Some(config.endpoint(paths::TOKEN)),
        userinfo_endpoint: Some(config.endpoint(paths::USERINFO)),
        jwks_uri: Some(config.endpoint(paths::JWKS)),
        end_session_endpoint: Some(config.endpoint(paths::LOGOUT)),
        backchannel_logout_supported: Some(features.backchannel_logout),
        backchannel_logout_session_supported: Some(features.backchannel_logout),
        frontchannel_logout_supported: Some(features.frontchannel_logout),
        frontchannel_logout_session_supported: Some(features.frontchannel_logout),
        scopes_supported: strings(caps.scope_names()),
        response_types_supported: names(&caps.response_types, |r| r.as_str()),
        response_modes_supported: names(&caps.response_modes, |m| m.as_str()),
        grant_types_supported: names(&caps.grant_types, |g| g.as_str()),
        subject_types_supported: strings(&caps.subject_types),
        id_token_signing_alg_values_supported: names(&caps.id_token_algs, |a| a.as_str()),
        // OIDC Discovery §3: `none` may be listed; here it is the plain JSON answer.
        userinfo_signing_alg_values_supported: strings(
            std::iter::once("none").chain(caps.userinfo_algs.iter().map(|a| a.as_str())),
        ),
        token_endpoint_auth_methods_supported: auth_methods(AuthEndpoint::Token),
        token_endpoint_auth_signing_alg_values_supported: auth_algs(AuthEndpoint::Token),
        revocation_endpoint: Some(config.endpoint(paths::REVOCATION)),
        revocation_endpoint_auth_methods_supported: auth_methods(AuthEndpoint::Revocation),
        revocation_endpoint_auth_signing_alg_values_supported: auth_algs(AuthEndpoint::Revocation),
        introspection_endpoint: Some(config.endpoint(paths::INTROSPECTION)),
        introspection_endpoint_auth_methods_supported: auth_methods(AuthEndpoint::Introspection),
        introspection_endpoint_auth_signing_alg_values_supported: auth_algs(
            AuthEndpoint::Introspection,
        ),
        // RFC 8628 §4: the endpoint, when the grant runs.
        device_authorization_endpoint: caps
            .supports_grant(GrantType::DeviceCode)
            .then(|| config.endpoint(paths::DEVICE_AUTHORIZATION)),
        // RFC 9126 §5.
        pushed_authorization_request_endpoint: features
            .pushed_requests
            .then(|| config.endpoint(paths::PUSHED_AUTHORIZATION_REQUEST)),
        require_pushed_authorization_requests: features
            .pushed_requests
            .then_some(features.require_pushed_requests),
        // RFC 9449 §5.1.
        dpop_signing_alg_values_supported: features
            .dpop
            .then(|| names(&caps.dpop_algs, |a| a.as_str()))
            .flatten(),
        claims_supported: strings(&caps.claims),
        claim_types_supported: strings(&caps.claim_types),
        claims_parameter_supported: Some(features.claims_parameter),
        request_parameter_supported: Some(features.request_objects),
        request_uri_parameter_supported: Some(features.request_uri),
        require_request_uri_registration: Some(false),
        code_challenge_methods_supported: names(&caps.pkce_methods, |m| m.as_str()),
        authorization_response_iss_parameter_supported: Some(features.iss_parameter),
        display_values_supported: names(&caps.display_values, |d| d.as_str()),
        ui_locales_supported: strings(&caps.ui_locales),
        registration_endpoint: features
            .registration
            .then(|| config.endpoint(paths::REGISTRATION)),
        service_documentation: config.documents.service_documentation.clone(),
        op_policy_uri: config.documents.op_policy_uri.clone(),
        op_tos_uri: config.documents.op_tos_uri.clone(),
        ..ProviderMetadata::default()
    };
    // RFC 9701 §6: the algorithms of `application/token-introspection+jwt` answers.
    let introspection_algs: Vec<&str> = caps
        .introspection_response_algs
        .iter()
        .map(|a| a.as_str())
        .collect();
    if !introspection_algs.is_empty() {
        metadata.extra.insert(
            "introspection_signing_alg_values_supported".into(),
            json!(introspection_algs),
        );
    }
    // OIDC Prompt Create §4.1 / Discovery registry: the prompt values we honour.
    let prompts: Vec<&str> = caps.prompt_values.iter().map(|p| p.as_str()).collect();
    metadata
        .extra
        .insert("prompt_values_supported".into(), json!(prompts));
    metadata
}

/// `/.well-known/openid-configuration`, serialized.
pub fn openid_configuration(config: &ProviderConfig, caps: &Capabilities) -> Vec<u8> {
    serde_json::to_vec(&metadata(config, caps)).unwrap_or_default()
}

/// `/.well-known/oauth-authorization-server`, serialized (RFC 8414 §3: the same members).
pub fn oauth_authorization_server(config: &ProviderConfig, caps: &Capabilities) -> Vec<u8> {
    openid_configuration(config, caps)
}

//! Seed 004 (simple-openid-connect's datatypes), the fields no other test exercised: `error_uri`
//! on the error responses, introspection `nbf` and `jti`, the JWT access token's `auth_time`,
//! `acr` and `amr`, every `ProviderMetadata` member with the seed's defaults, the
//! `UserinfoErrorResponse` of the seed (a required free-string `error`) and the required
//! `scope` of `AuthenticationRequest`.

use oxid_protocol::authorization::AuthenticationErrorResponse;
use oxid_protocol::claims::JwtAccessToken;
use oxid_protocol::introspection::{
    TokenIntrospectionErrorResponse, TokenIntrospectionSuccessResponse,
};
use oxid_protocol::token::TokenErrorResponse;
use oxid_protocol::*;
use serde_json::{Value, json};

fn same_json<T: serde::Serialize + serde::de::DeserializeOwned>(doc: &Value) -> T {
    let t: T = serde_json::from_value(doc.clone()).unwrap();
    assert_eq!(serde_json::to_value(&t).unwrap(), *doc, "re-serialization");
    t
}

const ERROR_PAGE: &str = "https://op.example.com/errors/denied";

#[test]
fn authentication_error_response_error_uri_rfc6749_4_1_2_1() {
    let query = "error=access_denied&error_description=no&error_uri=https%3A%2F%2Fop.example.com%2Ferrors%2Fdenied&state=s";
    let e: AuthenticationErrorResponse =
        AuthorizationError::from_params(&Params::parse_query(query).unwrap())
            .unwrap()
            .unwrap();
    assert_eq!(e.error_uri.as_deref(), Some(ERROR_PAGE));
    assert_eq!(e.encode(), query, "error_uri goes back out in its place");
    let built =
        AuthorizationError::new(AuthErrorCode::AccessDenied, "no").with_error_uri(ERROR_PAGE);
    assert_eq!(built.error_uri.as_deref(), Some(ERROR_PAGE));
    // RFC 6749 §4.1.2.1: error_uri is a URI of %x21 / %x23-5B / %x5D-7E: never a quote or a
    // space, and a relative reference is no URI.
    for bad in [
        "https://op.example.com/\"x",
        "https://op.example.com/a b",
        "/errors",
    ] {
        let e = AuthorizationError::new(AuthErrorCode::AccessDenied, "no").with_error_uri(bad);
        assert_eq!(e.error_uri, None, "{bad}");
    }
}

#[test]
fn token_and_introspection_error_responses_error_uri_rfc6749_5_2() {
    let doc =
        json!({"error": "invalid_grant", "error_description": "expired", "error_uri": ERROR_PAGE});
    let e: TokenErrorResponse = same_json(&doc);
    assert_eq!(e.error, TokenErrorCode::InvalidGrant);
    assert_eq!(e.error_uri.as_deref(), Some(ERROR_PAGE));
    assert!(
        e.extra.is_empty(),
        "error_uri is typed, not an extra member"
    );
    // RFC 7662 §2.3: the introspection error is the token endpoint's.
    let doc = json!({"error": "invalid_client", "error_uri": ERROR_PAGE});
    let e: TokenIntrospectionErrorResponse = same_json(&doc);
    assert_eq!(e.error_uri.as_deref(), Some(ERROR_PAGE));
    assert_eq!(
        TokenError::invalid_client("who")
            .with_error_uri(ERROR_PAGE)
            .error_uri
            .as_deref(),
        Some(ERROR_PAGE)
    );
    assert_eq!(
        TokenError::invalid_client("who")
            .with_error_uri("not a uri")
            .error_uri,
        None
    );
}

#[test]
fn introspection_nbf_and_jti_rfc7662_2_2() {
    let doc = json!({"active": true, "sub": "u1", "exp": 1_700_003_600, "iat": 1_700_000_000,
        "nbf": 1_700_000_060, "jti": "at-7f3a"});
    let r: TokenIntrospectionSuccessResponse = same_json(&doc);
    assert_eq!(r.nbf, Some(1_700_000_060));
    assert_eq!(r.jti.as_deref(), Some("at-7f3a"));
    assert!(r.extra.is_empty());
    // NumericDate: a number, not a string.
    let bad = json!({"active": true, "nbf": "soon"});
    assert!(serde_json::from_value::<IntrospectionResponse>(bad).is_err());
    let bad = json!({"active": true, "jti": 7});
    assert!(serde_json::from_value::<IntrospectionResponse>(bad).is_err());
}

#[test]
fn jwt_access_token_auth_time_acr_amr_rfc9068_2_2_1() {
    let doc = json!({"iss": "https://op.example.com", "exp": 1_700_003_600, "aud": "https://api.example.com",
        "sub": "u1", "client_id": "c1", "iat": 1_700_000_000, "jti": "j1",
        "auth_time": 1_699_999_000, "acr": "urn:mace:incommon:iap:silver", "amr": ["pwd", "otp"],
        "scope": "read:records"});
    let t: JwtAccessToken = same_json(&doc);
    assert_eq!(t.auth_time, Some(1_699_999_000));
    assert_eq!(t.acr.as_deref(), Some("urn:mace:incommon:iap:silver"));
    assert_eq!(
        t.amr.as_deref(),
        Some(&["pwd".to_string(), "otp".to_string()][..])
    );
    assert!(t.extra.is_empty());
    // amr is a JSON array of strings (RFC 8176 §1), auth_time a NumericDate.
    let mut bad = doc.clone();
    bad["amr"] = json!("pwd");
    assert!(serde_json::from_value::<JwtAccessToken>(bad).is_err());
    let mut bad = doc;
    bad["auth_time"] = json!("yesterday");
    assert!(serde_json::from_value::<JwtAccessToken>(bad).is_err());
}

#[test]
fn userinfo_error_response_has_a_required_free_string_error_seed004() {
    // OIDC Core §5.3.3 sends RFC 6750 codes, but the seed's `error` is any string.
    let e: UserinfoErrorResponse = same_json(&json!({"error": "server_error"}));
    assert_eq!(e.error, "server_error");
    assert_eq!(e.bearer_code(), None);
    let e: UserinfoErrorResponse = same_json(
        &json!({"error": "invalid_token", "error_description": "expired", "error_uri": ERROR_PAGE}),
    );
    assert_eq!(e.bearer_code(), Some(BearerErrorCode::InvalidToken));
    assert_eq!(e.extra.get("error_uri"), Some(&json!(ERROR_PAGE)));
    // REQUIRED: a body without `error` is no error response.
    assert!(
        serde_json::from_value::<UserinfoErrorResponse>(json!({"error_description": "x"})).is_err()
    );
    assert!(serde_json::from_value::<UserinfoErrorResponse>(json!({"error": 401})).is_err());
    // The challenge's body, and a challenge read back.
    let body = UserinfoError::invalid_token("expired").body().unwrap();
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"error": "invalid_token", "error_description": "expired"})
    );
    assert_eq!(
        UserinfoError::no_token().body(),
        None,
        "RFC 6750 §3.1: no error without a token"
    );
    let read = UserinfoErrorResponse::from_www_authenticate(&format!(
        "Bearer realm=\"oxid\", error=\"insufficient_scope\", error_uri=\"{ERROR_PAGE}\""
    ))
    .unwrap();
    assert_eq!(read.error, "insufficient_scope");
    assert_eq!(read.extra.get("error_uri"), Some(&json!(ERROR_PAGE)));
    assert_eq!(
        UserinfoErrorResponse::from_www_authenticate("Bearer realm=\"oxid\""),
        None
    );
}

#[test]
fn authentication_request_requires_scope_seed004_rfc6749_3_3() {
    let base = "response_type=code&client_id=c&redirect_uri=https%3A%2F%2Frp%2Fcb&state=s";
    for query in [
        base.to_string(),
        format!("{base}&scope="),
        format!("{base}&scope=%20%20"),
    ] {
        let e =
            AuthenticationRequest::from_params(&Params::parse_query(&query).unwrap()).unwrap_err();
        assert_eq!(e.error, AuthErrorCode::InvalidScope, "{query}");
        assert_eq!(
            e.state.as_deref(),
            Some("s"),
            "the error can go back to the client"
        );
        assert!(e.error_description.unwrap().contains("scope"));
    }
    let ok = AuthenticationRequest::from_params(
        &Params::parse_query(&format!("{base}&scope=openid")).unwrap(),
    )
    .unwrap();
    assert!(ok.scope.contains("openid"));
    // A stored request without scope does not deserialize either.
    let stored =
        json!({"response_type": "code", "client_id": "c", "redirect_uri": "https://rp/cb"});
    assert!(serde_json::from_value::<AuthenticationRequest>(stored).is_err());
}

/// Every member of seed 004's `ProviderMetadata`, each with its own value.
fn every_seed_member() -> Value {
    json!({
        "issuer": "https://op.example.com",
        "authorization_endpoint": "https://op.example.com/authorize",
        "token_endpoint": "https://op.example.com/token",
        "userinfo_endpoint": "https://op.example.com/userinfo",
        "jwks_uri": "https://op.example.com/jwks",
        "registration_endpoint": "https://op.example.com/register",
        "scopes_supported": ["openid", "read:records"],
        "response_types_supported": ["code", "id_token", "id_token token"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": ["authorization_code", "implicit", "refresh_token"],
        "acr_values_supported": ["urn:mace:incommon:iap:silver"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "id_token_encryption_alg_values_supported": ["RSA-OAEP"],
        "id_token_encryption_enc_values_supported": ["A128CBC-HS256"],
        "userinfo_signing_alg_values_supported": ["none", "RS256"],
        "userinfo_encryption_alg_values_supported": ["RSA-OAEP-256"],
        "userinfo_encryption_enc_values_supported": ["A256GCM"],
        "request_object_signing_alg_values_supported": ["none", "RS256"],
        "request_object_encryption_alg_values_supported": ["ECDH-ES"],
        "request_object_encryption_enc_values_supported": ["A192GCM"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["PS256"],
        "display_values_supported": ["page", "popup"],
        "claim_types_supported": ["normal", "distributed"],
        "claims_supported": ["sub", "email"],
        "service_documentation": "https://op.example.com/docs",
        "claims_locales_supported": ["en", "fr-CA"],
        "ui_locales_supported": ["en-US", "fr-CA"],
        "claims_parameter_supported": true,
        "request_parameter_supported": true,
        "request_uri_parameter_supported": false,
        "require_request_uri_registration": true,
        "op_policy_uri": "https://op.example.com/policy",
        "op_tos_uri": "https://op.example.com/tos",
        "end_session_endpoint": "https://op.example.com/logout",
        "frontchannel_logout_supported": true,
        "frontchannel_logout_session_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "introspection_endpoint": "https://op.example.com/introspect"
    })
}

#[test]
fn provider_metadata_every_seed004_member_is_typed() {
    let doc = every_seed_member();
    let md = ProviderMetadata::from_json(doc.to_string().as_bytes()).unwrap();
    assert!(md.extra.is_empty(), "untyped: {:?}", md.extra);
    assert_eq!(serde_json::to_value(&md).unwrap(), doc);
    assert_eq!(md.check_strict("https://op.example.com"), vec![]);
    let list = |v: &Option<Vec<String>>| v.clone().unwrap_or_default();
    // The members no other test reads, each through its field.
    assert_eq!(
        list(&md.id_token_encryption_alg_values_supported),
        ["RSA-OAEP"]
    );
    assert_eq!(
        list(&md.id_token_encryption_enc_values_supported),
        ["A128CBC-HS256"]
    );
    assert_eq!(
        list(&md.userinfo_signing_alg_values_supported),
        ["none", "RS256"]
    );
    assert_eq!(
        list(&md.userinfo_encryption_alg_values_supported),
        ["RSA-OAEP-256"]
    );
    assert_eq!(
        list(&md.userinfo_encryption_enc_values_supported),
        ["A256GCM"]
    );
    assert_eq!(
        list(&md.request_object_encryption_alg_values_supported),
        ["ECDH-ES"]
    );
    assert_eq!(
        list(&md.request_object_encryption_enc_values_supported),
        ["A192GCM"]
    );
    assert_eq!(list(&md.display_values_supported), ["page", "popup"]);
    assert_eq!(md.claim_types_supported(), ["normal", "distributed"]);
    assert_eq!(list(&md.claims_locales_supported), ["en", "fr-CA"]);
    assert_eq!(
        list(&md.acr_values_supported),
        ["urn:mace:incommon:iap:silver"]
    );
    assert_eq!(
        md.op_policy_uri.as_deref(),
        Some("https://op.example.com/policy")
    );
    assert_eq!(md.op_tos_uri.as_deref(), Some("https://op.example.com/tos"));
    assert_eq!(
        md.service_documentation.as_deref(),
        Some("https://op.example.com/docs")
    );
    assert_eq!(
        md.token_endpoint_auth_signing_alg_values_supported
            .as_deref(),
        Some(&["PS256".to_string()][..])
    );
    assert!(md.claims_parameter_supported() && md.request_parameter_supported());
    assert!(!md.request_uri_parameter_supported() && md.require_request_uri_registration());
    assert_eq!(
        md.response_modes_supported(),
        ["query", "fragment", "form_post"]
    );
    assert_eq!(
        md.token_endpoint_auth_methods_supported(),
        ["client_secret_basic", "private_key_jwt"]
    );
}

#[test]
fn provider_metadata_absent_members_take_the_seed004_defaults() {
    let mut doc = every_seed_member();
    let map = doc.as_object_mut().unwrap();
    map.retain(|k, _| {
        matches!(
            k.as_str(),
            "issuer"
                | "authorization_endpoint"
                | "jwks_uri"
                | "subject_types_supported"
                | "id_token_signing_alg_values_supported"
                | "response_types_supported"
                | "token_endpoint"
        )
    });
    let md = ProviderMetadata::from_json(doc.to_string().as_bytes()).unwrap();
    assert_eq!(md.response_modes_supported(), ["query", "fragment"]);
    assert_eq!(
        md.grant_types_supported(),
        ["authorization_code", "implicit"]
    );
    assert_eq!(
        md.token_endpoint_auth_methods_supported(),
        ["client_secret_basic"]
    );
    assert_eq!(md.claim_types_supported(), ["normal"]);
    assert!(!md.claims_parameter_supported());
    assert!(!md.request_parameter_supported());
    assert!(
        md.request_uri_parameter_supported(),
        "the seed's default is true"
    );
    assert!(!md.require_request_uri_registration());
    assert!(!md.frontchannel_logout_supported() && !md.frontchannel_logout_session_supported());
    assert!(!md.backchannel_logout_supported() && !md.backchannel_logout_session_supported());
    // A member of the wrong type is refused by the strict parse, kept by the lenient one.
    let mut bad = every_seed_member();
    bad["claims_locales_supported"] = json!("en fr-CA");
    bad["op_tos_uri"] = json!(7);
    assert!(ProviderMetadata::from_json(bad.to_string().as_bytes()).is_err());
    let (_, violations) = ProviderMetadata::parse_lenient(bad.to_string().as_bytes()).unwrap();
    assert_eq!(violations.len(), 2, "{violations:?}");
}

//! The OpenID conformance suite's Config OP plan (`oidcc-config-certification-test-plan`):
//! its one module, `oidcc-discovery-endpoint-verification`, mirrored against a provider
//! whose issuer is https (the suite fails every endpoint that is not). The test server
//! listens on plain HTTP, so requests go to the bound address while the issuer and every
//! advertised URL say https.

mod common;

use common::*;
use oxid_protocol::metadata::ProviderMetadata;
use serde_json::Value;

const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// Members registered for OpenID Provider / OAuth AS metadata (OIDC Discovery §3, RFC 8414
/// §2, IANA "OAuth Authorization Server Metadata"); anything else makes the suite warn.
const KNOWN_MEMBERS: &[&str] = &[
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "registration_endpoint",
    "scopes_supported",
    "response_types_supported",
    "response_modes_supported",
    "grant_types_supported",
    "acr_values_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
    "id_token_encryption_alg_values_supported",
    "id_token_encryption_enc_values_supported",
    "userinfo_signing_alg_values_supported",
    "userinfo_encryption_alg_values_supported",
    "userinfo_encryption_enc_values_supported",
    "request_object_signing_alg_values_supported",
    "request_object_encryption_alg_values_supported",
    "request_object_encryption_enc_values_supported",
    "token_endpoint_auth_methods_supported",
    "token_endpoint_auth_signing_alg_values_supported",
    "display_values_supported",
    "claim_types_supported",
    "claims_supported",
    "service_documentation",
    "claims_locales_supported",
    "ui_locales_supported",
    "claims_parameter_supported",
    "request_parameter_supported",
    "request_uri_parameter_supported",
    "require_request_uri_registration",
    "op_policy_uri",
    "op_tos_uri",
    "revocation_endpoint",
    "revocation_endpoint_auth_methods_supported",
    "revocation_endpoint_auth_signing_alg_values_supported",
    "introspection_endpoint",
    "introspection_endpoint_auth_methods_supported",
    "introspection_endpoint_auth_signing_alg_values_supported",
    "code_challenge_methods_supported",
    "authorization_response_iss_parameter_supported",
    "prompt_values_supported",
    "end_session_endpoint",
    "check_session_iframe",
    "frontchannel_logout_supported",
    "frontchannel_logout_session_supported",
    "backchannel_logout_supported",
    "backchannel_logout_session_supported",
    "pushed_authorization_request_endpoint",
    "require_pushed_authorization_requests",
    "device_authorization_endpoint",
    "dpop_signing_alg_values_supported",
    "signed_metadata",
    // RFC 9701 §7 (IANA OAuth AS metadata): signed introspection answers, built.
    "introspection_signing_alg_values_supported",
];

/// The plain-HTTP address the test server really listens on, for an https `url` of it.
fn reachable(url: &str) -> String {
    url.replacen("https://", "http://", 1)
}

fn is_https_url(value: &Value) -> bool {
    value
        .as_str()
        .and_then(|s| url::Url::parse(s).ok())
        .is_some_and(|u| u.scheme() == "https" && u.host().is_some() && u.fragment().is_none())
}

fn string_array(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("an array: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap_or_else(|| panic!("strings: {value}")))
        .collect()
}

/// RFC 5646 language tag, syntax only (alphanumeric subtags of 1-8 characters).
fn is_language_tag(tag: &str) -> bool {
    let mut subtags = tag.split('-');
    let primary = subtags.next().unwrap_or("");
    (2..=8).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && subtags
            .all(|s| (1..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[tokio::test]
async fn oidcc_discovery_endpoint_verification() {
    let server =
        TestServer::start_with(|s| s.issuer = s.issuer.replacen("http://", "https://", 1)).await;
    let issuer = server.base.clone();
    assert!(issuer.starts_with("https://"));
    // OIDC Discovery §4: GET <issuer>/.well-known/openid-configuration, 200, JSON.
    let discovery_url = format!("{}{DISCOVERY_PATH}", issuer.trim_end_matches('/'));
    let response = reqwest::get(reachable(&discovery_url)).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    // Cacheable and readable from browsers (OIDC Discovery §4, CORS).
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let document: Value = response.json().await.unwrap();
    let members = document.as_object().expect("a JSON object");
    // Strictly valid for our own client library, and nothing advertised that is not served.
    let bytes = serde_json::to_vec(&document).unwrap();
    let metadata = ProviderMetadata::parse_strict(&bytes, &issuer).expect("strictly valid");
    assert!(metadata.check_strict(&issuer).is_empty());
    assert!(metadata.authorization_response_iss_parameter_supported());
    // OIDC Core §15.2: request_uri support, which a Dynamic OP must have (request objects).
    assert!(metadata.request_uri_parameter_supported());
    assert!(metadata.request_parameter_supported());
    // The suite wants code, id_token and id_token token of a Dynamic OP.
    let response_types = metadata.response_types_supported.clone().unwrap();
    for response_type in ["code", "id_token", "id_token token"] {
        assert!(
            response_types.iter().any(|r| r == response_type),
            "{response_type}"
        );
    }
    assert_eq!(
        metadata.end_session_endpoint.as_deref().map(reachable),
        Some(server.url("/logout"))
    );
    assert!(metadata.registration_endpoint.is_none());
    // RFC 8414 §3: the same document at the OAuth well-known.
    let oauth: Value = reqwest::get(server.url("/.well-known/oauth-authorization-server"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(oauth, document);

    // OIDC Discovery §4.3: issuer equals the URL discovery was fetched from, https.
    assert_eq!(document["issuer"], issuer.as_str());
    assert!(is_https_url(&document["issuer"]));
    let issuer_url = url::Url::parse(&issuer).unwrap();
    assert!(issuer_url.query().is_none() && issuer_url.fragment().is_none());

    // OIDC Discovery §3: required members.
    for member in ["authorization_endpoint", "token_endpoint", "jwks_uri"] {
        assert!(
            is_https_url(&document[member]),
            "{member}: {}",
            document[member]
        );
    }
    let response_types = string_array(&document["response_types_supported"]);
    assert!(
        response_types.iter().any(|r| [
            "code",
            "code id_token",
            "id_token",
            "id_token token",
            "code id_token token",
            "code token"
        ]
        .contains(r)),
        "an OpenID response type: {response_types:?}"
    );
    let subject_types = string_array(&document["subject_types_supported"]);
    assert!(!subject_types.is_empty());
    assert!(
        subject_types
            .iter()
            .all(|s| ["public", "pairwise"].contains(s))
    );
    let id_token_algs = string_array(&document["id_token_signing_alg_values_supported"]);
    assert!(id_token_algs.contains(&"RS256"), "OIDC Core §15.1");
    if let Some(algs) = members.get("userinfo_signing_alg_values_supported") {
        assert!(string_array(algs).contains(&"RS256"));
    }
    // RECOMMENDED userinfo_endpoint; registration_endpoint https when present.
    assert!(is_https_url(&document["userinfo_endpoint"]));
    if let Some(endpoint) = members.get("registration_endpoint") {
        assert!(is_https_url(endpoint));
    }
    // Optional members with a fixed type.
    for flag in [
        "request_parameter_supported",
        "request_uri_parameter_supported",
        "claims_parameter_supported",
        "require_request_uri_registration",
    ] {
        if let Some(value) = members.get(flag) {
            assert!(value.is_boolean(), "{flag} is a boolean");
        }
    }
    if let Some(algs) = members.get("request_object_signing_alg_values_supported") {
        assert!(string_array(algs).contains(&"RS256"), "warning otherwise");
    }
    // claims_supported is expected (a warning when absent).
    assert!(!string_array(&document["claims_supported"]).is_empty());
    let grant_types = string_array(&document["grant_types_supported"]);
    assert!(!grant_types.is_empty());
    assert!(grant_types.contains(&"authorization_code"));
    let scopes = string_array(&document["scopes_supported"]);
    assert!(
        scopes.contains(&"openid"),
        "OIDC Discovery §3 scopes_supported"
    );
    if let Some(methods) = members.get("code_challenge_methods_supported") {
        assert!(!string_array(methods).is_empty());
    }
    for member in ["ui_locales_supported", "claims_locales_supported"] {
        if let Some(locales) = members.get(member) {
            for tag in string_array(locales) {
                assert!(is_language_tag(tag), "{member}: {tag}");
            }
        }
    }
    // Every endpoint is https (the suite's CheckDiscEndpointAllEndpointsAreHttps).
    for (name, value) in members {
        if name.ends_with("_endpoint") || name == "jwks_uri" || name == "check_session_iframe" {
            assert!(is_https_url(value), "{name}: {value}");
        }
    }
    // Members the suite does not know only warn; we publish none.
    for name in members.keys() {
        assert!(
            KNOWN_MEMBERS.contains(&name.as_str()),
            "unknown member {name}"
        );
    }

    // jwks_uri: a valid JWK Set (RFC 7517 §5), kids present and distinct (OIDC Core §10.1),
    // no private or symmetric keys (RFC 7518 §6.3.2.1).
    let jwks: Value = reqwest::get(reachable(document["jwks_uri"].as_str().unwrap()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = jwks["keys"].as_array().expect("a keys array");
    assert!(!keys.is_empty());
    let mut kids = Vec::new();
    for key in keys {
        let kty = key["kty"].as_str().expect("kty");
        assert!(
            ["RSA", "EC", "OKP"].contains(&kty),
            "no symmetric keys: {kty}"
        );
        kids.push(key["kid"].as_str().expect("every key has a kid"));
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none(), "no private member {private}");
        }
        match kty {
            "RSA" => assert!(key["n"].is_string() && key["e"].is_string()),
            _ => assert!(key["crv"].is_string() && key["x"].is_string()),
        }
    }
    let count = kids.len();
    kids.sort_unstable();
    kids.dedup();
    assert_eq!(kids.len(), count, "kids are distinct");
}

#[tokio::test]
async fn plans_not_applicable_yet_are_not_advertised() {
    // The Dynamic and session plans test features Oxid has not built; discovery must not
    // claim them (the suite reads it to decide). The Implicit, Hybrid and Form Post plans'
    // values are built and advertised, and so are request objects (issue 15).
    let server = TestServer::start().await;
    let document: Value = reqwest::get(server.url(DISCOVERY_PATH))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        string_array(&document["response_types_supported"]),
        [
            "code",
            "id_token",
            "token",
            "id_token token",
            "code id_token",
            "code token",
            "code id_token token"
        ]
    );
    assert_eq!(
        string_array(&document["response_modes_supported"]),
        ["query", "fragment", "form_post"]
    );
    assert!(string_array(&document["grant_types_supported"]).contains(&"implicit"));
    for member in ["registration_endpoint", "check_session_iframe"] {
        assert!(document.get(member).is_none(), "{member} is advertised");
    }
    // OIDC Core §6: request objects are built (tests/request_objects.rs).
    for flag in [
        "request_parameter_supported",
        "request_uri_parameter_supported",
    ] {
        assert_eq!(document[flag], true, "{flag}");
    }
    assert!(
        string_array(&document["request_object_signing_alg_values_supported"]).contains(&"RS256")
    );
    // OIDC Core §8.1: pairwise subjects are built (tests/pairwise.rs).
    assert_eq!(
        string_array(&document["subject_types_supported"]),
        ["public", "pairwise"]
    );
}

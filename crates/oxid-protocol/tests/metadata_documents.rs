//! The discovery documents of the issue: they parse, re-serialize without losing a member,
//! and the strict check reports exactly their violations (OIDC Discovery §3, §4.3;
//! RFC 8414 §2, §3.2, §3.3).

use oxid_protocol::metadata::{MetadataProfile, MetadataViolation, ProviderMetadata, check_issuer};
use serde_json::{Value, json};

const ORACLE: &[u8] = include_bytes!("data/oracle-identity-cloud.json");
const ORACLE_PLACEHOLDERS: &[u8] = include_bytes!("data/oracle-identity-cloud-placeholders.json");
const RFC8414: &[u8] = include_bytes!("data/rfc8414-3.2-example.json");
const CUSTOM: &[u8] = include_bytes!("data/custom-scopes.json");

fn assert_lossless(bytes: &[u8]) -> ProviderMetadata {
    let original: Value = serde_json::from_slice(bytes).unwrap();
    let (md, _) = ProviderMetadata::parse_lenient(bytes).unwrap();
    let again = serde_json::to_value(&md).unwrap();
    assert_eq!(
        again, original,
        "a member was lost or changed on re-serialization"
    );
    // Typed parse too, and a second round trip is stable.
    let typed = ProviderMetadata::from_json(bytes).unwrap();
    assert_eq!(typed, md);
    let twice: ProviderMetadata = serde_json::from_value(again).unwrap();
    assert_eq!(twice, md);
    md
}

fn relative(member: &str, value: &str) -> MetadataViolation {
    MetadataViolation::RelativeUrl {
        member: member.into(),
        value: value.into(),
    }
}

#[test]
fn all_documents_round_trip_without_losing_a_member() {
    for doc in [ORACLE, ORACLE_PLACEHOLDERS, RFC8414, CUSTOM] {
        assert_lossless(doc);
    }
}

#[test]
fn oracle_document_parses_leniently_and_lists_its_relative_urls() {
    let md = assert_lossless(ORACLE);
    assert_eq!(
        md.issuer.as_deref(),
        Some("https://identity.oraclecloud.com/")
    );
    assert_eq!(
        md.authorization_endpoint.as_deref(),
        Some("/oauth2/v1/authorize")
    );
    // The non-standard member is kept.
    assert_eq!(
        md.extra.get("introspect_endpoint"),
        Some(&json!("/oauth2/v1/introspect"))
    );
    assert_eq!(md.extra.get("http_logout_supported"), Some(&json!(true)));
    assert!(
        md.grant_types_supported()
            .contains(&"urn:ietf:params:oauth:grant-type:jwt-bearer".to_string())
    );
    assert!(
        md.token_endpoint_auth_methods_supported()
            .contains(&"client_secret_jwt".to_string())
    );
    assert!(
        md.response_types_supported
            .as_ref()
            .unwrap()
            .contains(&"code token id_token".to_string())
    );
    assert!(
        !md.request_uri_parameter_supported(),
        "explicit false overrides the default true"
    );
    assert!(!md.request_parameter_supported());

    let expected = vec![
        relative("authorization_endpoint", "/oauth2/v1/authorize"),
        relative("token_endpoint", "/oauth2/v1/token"),
        relative("userinfo_endpoint", "/oauth2/v1/userinfo"),
        relative("jwks_uri", "/admin/v1/SigningCert/jwk"),
        relative("revocation_endpoint", "/oauth2/v1/revoke"),
        relative("end_session_endpoint", "/oauth2/v1/userlogout"),
        relative("introspect_endpoint", "/oauth2/v1/introspect"),
    ];
    let mut got = md.check_strict("https://identity.oraclecloud.com/");
    let mut want = expected.clone();
    got.sort_by_key(|v| v.to_string());
    want.sort_by_key(|v| v.to_string());
    assert_eq!(got, want);

    // The lenient parse reports the same violations as warnings.
    let (_, mut warnings) = ProviderMetadata::parse_lenient(ORACLE).unwrap();
    warnings.sort_by_key(|v| v.to_string());
    assert_eq!(warnings, want);

    // A strict parse refuses it.
    assert!(ProviderMetadata::parse_strict(ORACLE, "https://identity.oraclecloud.com/").is_err());
}

#[test]
fn oracle_relative_urls_can_be_resolved() {
    let mut md = ProviderMetadata::from_json(ORACLE).unwrap();
    assert_eq!(
        md.resolve_relative_urls("https://tenant.identity.oraclecloud.com"),
        6
    );
    assert_eq!(
        md.token_endpoint.as_deref(),
        Some("https://tenant.identity.oraclecloud.com/oauth2/v1/token")
    );
    // Only the non-standard member remains relative.
    assert_eq!(
        md.check_strict("https://identity.oraclecloud.com/"),
        vec![relative("introspect_endpoint", "/oauth2/v1/introspect")]
    );
}

#[test]
fn oracle_placeholder_document_keeps_saml2_bearer_and_reports_placeholders() {
    let md = assert_lossless(ORACLE_PLACEHOLDERS);
    assert!(
        md.grant_types_supported()
            .contains(&"urn:ietf:params:oauth:grant-type:saml2-bearer".to_string())
    );
    let v = md.check_strict("https://identity.oraclecloud.com/");
    assert_eq!(v.len(), 7, "{v:?}");
    assert!(
        v.iter()
            .all(|x| matches!(x, MetadataViolation::RelativeUrl { .. }))
    );
}

#[test]
fn rfc8414_example_passes_the_strict_check() {
    let md = assert_lossless(RFC8414);
    assert_eq!(md.check_strict_oauth("https://server.example.com"), vec![]);
    assert_eq!(
        md.check_profile("https://server.example.com", MetadataProfile::OAuth2),
        vec![]
    );
    // The defaults of the members it omits.
    assert_eq!(md.response_modes_supported(), ["query", "fragment"]);
    assert_eq!(
        md.grant_types_supported(),
        ["authorization_code", "implicit"]
    );
    assert!(md.request_uri_parameter_supported());
    assert!(!md.claims_parameter_supported());
    assert!(!md.require_request_uri_registration());
    assert!(!md.backchannel_logout_supported());
    assert!(!md.frontchannel_logout_supported());
    assert!(!md.authorization_response_iss_parameter_supported());
    assert_eq!(
        md.service_documentation.as_deref(),
        Some("http://server.example.com/service_documentation.html")
    );
    assert_eq!(md.ui_locales_supported.as_ref().unwrap().len(), 5);
}

#[test]
fn rfc8414_example_lacks_only_the_openid_connect_members() {
    // RFC 8414's example is OAuth metadata; OpenID Connect Discovery additionally requires
    // subject_types_supported and id_token_signing_alg_values_supported.
    let md = ProviderMetadata::from_json(RFC8414).unwrap();
    assert_eq!(
        md.check_strict("https://server.example.com"),
        vec![
            MetadataViolation::MissingMember("subject_types_supported"),
            MetadataViolation::MissingMember("id_token_signing_alg_values_supported"),
        ]
    );
}

#[test]
fn custom_scopes_document() {
    let md = assert_lossless(CUSTOM);
    assert_eq!(md.check_strict("https://api.example.com"), vec![]);
    let scopes = md.scopes_supported.as_ref().unwrap();
    assert!(
        scopes.contains(&"read:records".to_string())
            && scopes.contains(&"write:records".to_string())
    );
    assert_eq!(
        md.id_token_signing_alg_values_supported.as_deref().unwrap(),
        ["HS256", "RS256"]
    );
    assert_eq!(
        md.code_challenge_methods_supported.as_deref().unwrap(),
        ["S256", "plain"]
    );
    assert_eq!(
        md.grant_types_supported(),
        ["authorization_code", "client_credentials", "refresh_token"]
    );
    assert_eq!(
        md.token_endpoint_auth_methods_supported(),
        ["client_secret_basic", "client_secret_post"]
    );
    // Scope tokens with ':' are valid RFC 6749 §3.3 scope tokens.
    let s = oxid_protocol::Scope::parse(&scopes.join(" ")).unwrap();
    assert!(s.contains("write:records"));
}

fn base() -> Value {
    serde_json::from_slice(CUSTOM).unwrap()
}

fn check(doc: &Value, expected_issuer: &str) -> Vec<MetadataViolation> {
    ProviderMetadata::from_json(doc.to_string().as_bytes())
        .unwrap()
        .check_strict(expected_issuer)
}

#[test]
fn strict_check_reports_every_violation_not_the_first() {
    let mut d = base();
    let o = d.as_object_mut().unwrap();
    o.insert("issuer".into(), json!("http://api.example.com?x=1#f"));
    o.remove("jwks_uri");
    o.remove("subject_types_supported");
    o.insert(
        "id_token_signing_alg_values_supported".into(),
        json!(["ES256"]),
    );
    o.insert(
        "token_endpoint_auth_signing_alg_values_supported".into(),
        json!(["RS256", "none"]),
    );
    o.insert("userinfo_endpoint".into(), json!("userinfo"));
    let v = check(&d, "https://api.example.com");
    assert!(v.contains(&MetadataViolation::IssuerNotHttps(
        "http://api.example.com?x=1#f".into()
    )));
    assert!(v.contains(&MetadataViolation::IssuerHasQueryOrFragment(
        "http://api.example.com?x=1#f".into()
    )));
    assert!(
        v.iter()
            .any(|x| matches!(x, MetadataViolation::IssuerMismatch { .. }))
    );
    assert!(v.contains(&MetadataViolation::MissingMember("jwks_uri")));
    assert!(v.contains(&MetadataViolation::MissingMember("subject_types_supported")));
    assert!(v.contains(&MetadataViolation::MissingRs256));
    assert!(v.contains(&MetadataViolation::NoneAuthSigningAlg));
    assert!(v.contains(&relative("userinfo_endpoint", "userinfo")));
    assert_eq!(v.len(), 8, "{v:?}");
}

#[test]
fn issuer_rules() {
    assert!(check_issuer("https://op.example.com").is_empty());
    assert!(check_issuer("https://op.example.com/tenant/1").is_empty());
    assert!(check_issuer("http://localhost:8080").is_empty());
    assert!(check_issuer("http://127.0.0.1:3000/x").is_empty());
    assert!(check_issuer("http://[::1]:3000").is_empty());
    assert_eq!(
        check_issuer("http://op.example.com"),
        vec![MetadataViolation::IssuerNotHttps(
            "http://op.example.com".into()
        )]
    );
    assert_eq!(
        check_issuer("https://op.example.com/?a=b"),
        vec![MetadataViolation::IssuerHasQueryOrFragment(
            "https://op.example.com/?a=b".into()
        )]
    );
    assert_eq!(
        check_issuer("https://op.example.com#frag"),
        vec![MetadataViolation::IssuerHasQueryOrFragment(
            "https://op.example.com#frag".into()
        )]
    );
    assert_eq!(
        check_issuer("not a url"),
        vec![MetadataViolation::IssuerInvalid("not a url".into())]
    );
}

#[test]
fn issuer_must_be_identical_to_the_one_asked_for() {
    let md = ProviderMetadata::from_json(CUSTOM).unwrap();
    assert_eq!(
        md.check_strict("https://api.example.com/"),
        vec![MetadataViolation::IssuerMismatch {
            expected: "https://api.example.com/".into(),
            found: "https://api.example.com".into()
        }]
    );
}

#[test]
fn required_members() {
    let mut d = base();
    let o = d.as_object_mut().unwrap();
    for m in [
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "response_types_supported",
        "id_token_signing_alg_values_supported",
    ] {
        o.remove(m);
    }
    let v = check(&d, "https://api.example.com");
    for m in [
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "response_types_supported",
        "id_token_signing_alg_values_supported",
    ] {
        assert!(
            v.contains(&MetadataViolation::MissingMember(m)),
            "{m}: {v:?}"
        );
    }
}

#[test]
fn token_endpoint_optional_when_only_implicit() {
    let mut d = base();
    let o = d.as_object_mut().unwrap();
    o.remove("token_endpoint");
    o.insert("grant_types_supported".into(), json!(["implicit"]));
    assert_eq!(check(&d, "https://api.example.com"), vec![]);
    d["grant_types_supported"] = json!(["implicit", "authorization_code"]);
    assert_eq!(
        check(&d, "https://api.example.com"),
        vec![MetadataViolation::MissingMember("token_endpoint")]
    );
}

#[test]
fn lenient_parse_keeps_wrongly_typed_members() {
    let mut d = base();
    d["scopes_supported"] = json!("openid read:records");
    d["claims_parameter_supported"] = json!("yes");
    let bytes = d.to_string();
    assert!(ProviderMetadata::from_json(bytes.as_bytes()).is_err());
    let (md, warnings) = ProviderMetadata::parse_lenient(bytes.as_bytes()).unwrap();
    assert!(md.scopes_supported.is_none());
    assert_eq!(
        md.extra.get("scopes_supported"),
        Some(&json!("openid read:records"))
    );
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings
            .iter()
            .all(|w| matches!(w, MetadataViolation::WrongType { .. }))
    );
    assert_eq!(serde_json::to_value(&md).unwrap(), d, "nothing lost");
    assert!(ProviderMetadata::parse_lenient(b"[1,2]").is_err());
    assert!(ProviderMetadata::parse_lenient(b"not json").is_err());
}

#[test]
fn empty_lists_are_reported() {
    let mut d = base();
    d["claims_supported"] = json!([]);
    assert_eq!(
        check(&d, "https://api.example.com"),
        vec![MetadataViolation::EmptyList("claims_supported".into())]
    );
}

#[test]
fn every_extension_member_is_typed() {
    let d = json!({
        "issuer": "https://op.example.com",
        "authorization_endpoint": "https://op.example.com/a",
        "token_endpoint": "https://op.example.com/t",
        "jwks_uri": "https://op.example.com/j",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA"],
        "introspection_endpoint": "https://op.example.com/i",
        "revocation_endpoint": "https://op.example.com/r",
        "end_session_endpoint": "https://op.example.com/logout",
        "registration_endpoint": "https://op.example.com/register",
        "code_challenge_methods_supported": ["S256"],
        "frontchannel_logout_supported": true,
        "frontchannel_logout_session_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "authorization_response_iss_parameter_supported": true,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_post"],
        "pushed_authorization_request_endpoint": "https://op.example.com/par",
        "require_pushed_authorization_requests": true,
        "dpop_signing_alg_values_supported": ["ES256"],
        "device_authorization_endpoint": "https://op.example.com/device",
        "request_object_signing_alg_values_supported": ["RS256"],
        "service_documentation": "https://op.example.com/docs",
        "ui_locales_supported": ["en", "de"]
    });
    let md = ProviderMetadata::from_json(d.to_string().as_bytes()).unwrap();
    assert!(md.extra.is_empty(), "{:?}", md.extra);
    assert!(md.backchannel_logout_supported() && md.backchannel_logout_session_supported());
    assert!(md.frontchannel_logout_supported() && md.frontchannel_logout_session_supported());
    assert!(md.authorization_response_iss_parameter_supported());
    assert!(md.require_pushed_authorization_requests());
    assert_eq!(
        md.revocation_endpoint_auth_methods_supported(),
        ["client_secret_post"]
    );
    assert_eq!(md.check_strict("https://op.example.com"), vec![]);
    assert_eq!(serde_json::to_value(&md).unwrap(), d);
}

#[test]
fn well_known_urls() {
    assert_eq!(
        ProviderMetadata::openid_configuration_url("https://op.example.com/tenant/"),
        "https://op.example.com/tenant/.well-known/openid-configuration"
    );
    assert_eq!(
        ProviderMetadata::oauth_authorization_server_url("https://op.example.com/tenant"),
        "https://op.example.com/.well-known/oauth-authorization-server/tenant"
    );
    assert_eq!(
        ProviderMetadata::oauth_authorization_server_url("https://op.example.com"),
        "https://op.example.com/.well-known/oauth-authorization-server"
    );
}

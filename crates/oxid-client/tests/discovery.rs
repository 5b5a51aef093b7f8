//! Discovery against documents served on 127.0.0.1: OIDC Discovery §4, RFC 8414 §3, and the
//! seed-like documents of the protocol library's test data.

mod common;

use common::Mock;
use oxid_client::summary::AuthQueryParams;
use oxid_client::{ClientError, DiscoveryOptions, HttpClient, Provider, WellKnown};
use serde_json::{Value, json};

const ORACLE: &str = include_str!("../../oxid-protocol/tests/data/oracle-identity-cloud.json");
const ORACLE_PLACEHOLDERS: &str =
    include_str!("../../oxid-protocol/tests/data/oracle-identity-cloud-placeholders.json");

fn with_issuer(doc: &str, issuer: &str) -> Value {
    let mut value: Value = serde_json::from_str(doc).unwrap();
    value["issuer"] = json!(issuer);
    value
}

async fn discover(input: &str, strict: bool) -> Result<Provider, ClientError> {
    let options = DiscoveryOptions {
        well_known: WellKnown::OpenIdConfiguration,
        strict,
        ..DiscoveryOptions::default()
    };
    Provider::discover(&HttpClient::new().unwrap(), input, options).await
}

#[tokio::test]
async fn oracle_document_gives_warnings_for_relative_urls() {
    let mock = Mock::start().await;
    let issuer = format!("{}/", mock.base);
    mock.set_json(
        "/.well-known/openid-configuration",
        200,
        &with_issuer(ORACLE, &issuer),
    );
    let provider = discover(&issuer, false).await.unwrap();
    let warnings = provider.warnings();
    for member in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "revocation_endpoint",
        "end_session_endpoint",
        "introspect_endpoint",
    ] {
        assert!(
            warnings.iter().any(|w| w.contains(&format!("'{member}'"))),
            "no warning for {member}: {warnings:#?}"
        );
    }
    // Resolved against the discovery URL, and used as such.
    assert_eq!(
        provider.metadata.authorization_endpoint.as_deref(),
        Some(mock.url("/oauth2/v1/authorize").as_str())
    );
    let summary = provider
        .summary("client", Some("secret"), AuthQueryParams::new())
        .unwrap();
    assert_eq!(summary.auth_endpoint, mock.url("/oauth2/v1/authorize"));
    assert_eq!(summary.token_endpoint, mock.url("/oauth2/v1/token"));
    assert_eq!(
        summary.logout_endpoint,
        Some(mock.url("/oauth2/v1/userlogout"))
    );
    assert_eq!(
        summary.discovery_endpoint,
        Some(mock.url("/.well-known/openid-configuration"))
    );
    assert_eq!(provider.relative_urls.len(), 7);
}

#[tokio::test]
async fn strict_mode_fails_on_the_oracle_document() {
    let mock = Mock::start().await;
    let issuer = format!("{}/", mock.base);
    mock.set_json(
        "/.well-known/openid-configuration",
        200,
        &with_issuer(ORACLE, &issuer),
    );
    match discover(&issuer, true).await {
        Err(ClientError::MetadataViolations(v)) => {
            assert!(
                v.iter().any(|w| w.contains("authorization_endpoint")),
                "{v:?}"
            )
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn placeholder_urls_are_reported_not_fatal() {
    let mock = Mock::start().await;
    let issuer = format!("{}/", mock.base);
    mock.set_json(
        "/.well-known/openid-configuration",
        200,
        &with_issuer(ORACLE_PLACEHOLDERS, &issuer),
    );
    let provider = discover(&issuer, false).await.unwrap();
    assert!(
        provider
            .warnings()
            .iter()
            .any(|w| w.contains("<idcs-base-url>"))
    );
}

#[tokio::test]
async fn issuer_mismatch_fails_discovery_4_3() {
    let mock = Mock::start().await;
    mock.set_json(
        "/.well-known/openid-configuration",
        200,
        &with_issuer(ORACLE, "https://identity.oraclecloud.com/"),
    );
    match discover(&mock.base, false).await {
        Err(ClientError::IssuerMismatch { expected, found }) => {
            assert_eq!(expected, mock.base);
            assert_eq!(found, "https://identity.oraclecloud.com/");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn clean_document_has_no_warnings_even_in_strict_mode() {
    let mock = Mock::start().await;
    mock.serve_openid_configuration();
    let provider = discover(&mock.base, true).await.unwrap();
    assert_eq!(provider.warnings(), Vec::<String>::new());
    assert!(provider.iss_in_authorization_response());
    // A full discovery URL works as well.
    let full = mock.url("/.well-known/openid-configuration");
    let again = discover(&full, true).await.unwrap();
    assert_eq!(again.discovery_url, full);
}

#[tokio::test]
async fn missing_required_members_are_warnings() {
    let mock = Mock::start().await;
    let mut doc = mock.openid_configuration();
    doc.as_object_mut()
        .unwrap()
        .remove("subject_types_supported");
    doc["id_token_signing_alg_values_supported"] = json!(["ES256"]);
    mock.set_json("/.well-known/openid-configuration", 200, &doc);
    let warnings = discover(&mock.base, false).await.unwrap().warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("subject_types_supported")),
        "{warnings:?}"
    );
    assert!(warnings.iter().any(|w| w.contains("RS256")), "{warnings:?}");
    assert!(discover(&mock.base, true).await.is_err());
}

#[tokio::test]
async fn rfc8414_well_known_is_inserted_before_the_path() {
    let mock = Mock::start().await;
    let issuer = mock.url("/tenant1");
    let doc = with_issuer(
        include_str!("../../oxid-protocol/tests/data/rfc8414-3.2-example.json"),
        &issuer,
    );
    mock.set_json("/.well-known/oauth-authorization-server/tenant1", 200, &doc);
    let options = DiscoveryOptions {
        well_known: WellKnown::OAuthAuthorizationServer,
        ..DiscoveryOptions::default()
    };
    let provider = Provider::discover(&HttpClient::new().unwrap(), &issuer, options)
        .await
        .unwrap();
    assert_eq!(provider.issuer, issuer);
    assert_eq!(
        provider.discovery_url,
        mock.url("/.well-known/oauth-authorization-server/tenant1")
    );
    // RFC 8414's rules, not OpenID Connect's: no complaint about subject types.
    assert!(
        !provider
            .warnings()
            .iter()
            .any(|w| w.contains("subject_types_supported"))
    );
}

#[tokio::test]
async fn hostile_answers_are_errors() {
    let mock = Mock::start().await;
    // Nothing served: 404.
    assert!(matches!(
        discover(&mock.base, false).await,
        Err(ClientError::Status { status: 404, .. })
    ));
    for body in ["not json", "[1,2]", "{\"issuer\": 5}", "{}"] {
        mock.set(
            "/.well-known/openid-configuration",
            200,
            "application/json",
            body,
        );
        assert!(discover(&mock.base, false).await.is_err(), "{body}");
    }
    let huge = vec![b' '; 2 << 20];
    mock.set(
        "/.well-known/openid-configuration",
        200,
        "application/json",
        huge,
    );
    assert!(matches!(
        discover(&mock.base, false).await,
        Err(ClientError::Http { .. })
    ));
    // A redirect is not followed.
    mock.set_with_headers(
        "/.well-known/openid-configuration",
        302,
        "text/plain",
        vec![("location".into(), "https://evil.example/".into())],
        "",
    );
    assert!(matches!(
        discover(&mock.base, false).await,
        Err(ClientError::Status { status: 302, .. })
    ));
}

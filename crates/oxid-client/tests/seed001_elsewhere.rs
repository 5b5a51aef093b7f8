//! Seed 001 (Oracle Identity Cloud's discovery document) served verbatim from 127.0.0.1, so
//! at another URL than its `issuer` `https://identity.oraclecloud.com/`: refused by default
//! (OIDC Discovery §4.3), accepted with a warning on the caller's explicit request, and then
//! ID tokens are checked against the document's issuer; its non-standard
//! `introspect_endpoint` is used when `introspection_endpoint` is absent, with a warning.

mod common;

use std::sync::Arc;

use common::Mock;
use oxid_client::{
    ClientAuth, ClientError, DiscoveryOptions, HttpClient, JwsAlgorithm, ManualClock, OidcClient,
    Provider, SigningKey,
};
use serde_json::{Map, Value, json};

const ORACLE: &str = include_str!("../../oxid-protocol/tests/data/oracle-identity-cloud.json");
const ORACLE_ISSUER: &str = "https://identity.oraclecloud.com/";
const NOW: u64 = 1_700_000_000;

async fn serve_seed001(doc: Value) -> Mock {
    let mock = Mock::start().await;
    mock.set_json("/.well-known/openid-configuration", 200, &doc);
    mock
}

fn seed001() -> Value {
    serde_json::from_str(ORACLE).unwrap()
}

async fn discover(mock: &Mock, options: DiscoveryOptions) -> Result<Provider, ClientError> {
    Provider::discover(&HttpClient::new().unwrap(), &mock.base, options).await
}

fn oracle_app(http: HttpClient, provider: Provider) -> OidcClient {
    let clock = Arc::new(ManualClock::new(NOW));
    let auth = ClientAuth::ClientSecretBasic("s".into());
    OidcClient::new(http, clock, provider, "oracle-app", auth)
}

fn foreign_allowed() -> DiscoveryOptions {
    DiscoveryOptions {
        allow_foreign_issuer: true,
        ..DiscoveryOptions::default()
    }
}

#[tokio::test]
async fn seed001_elsewhere_is_refused_without_opt_in_discovery_4_3() {
    let mock = serve_seed001(seed001()).await;
    match discover(&mock, DiscoveryOptions::default()).await {
        Err(ClientError::IssuerMismatch { expected, found }) => {
            assert_eq!(expected, mock.base);
            assert_eq!(found, ORACLE_ISSUER);
        }
        other => panic!("a foreign issuer must be refused: {other:?}"),
    }
}

#[tokio::test]
async fn seed001_elsewhere_with_opt_in_warns_and_keeps_the_documents_issuer() {
    let mock = serve_seed001(seed001()).await;
    let provider = discover(&mock, foreign_allowed()).await.unwrap();
    assert_eq!(provider.issuer, ORACLE_ISSUER);
    let warnings = provider.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("issuer mismatch") && w.contains(ORACLE_ISSUER)),
        "{warnings:#?}"
    );
    // Endpoints are the server's, resolved against the discovery URL.
    assert_eq!(
        provider.token_endpoint().unwrap(),
        mock.url("/oauth2/v1/token")
    );
    // Strict mode still fails on it.
    let strict = DiscoveryOptions {
        strict: true,
        ..foreign_allowed()
    };
    match discover(&mock, strict).await {
        Err(ClientError::MetadataViolations(v)) => {
            assert!(v.iter().any(|w| w.contains("issuer mismatch")), "{v:?}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn id_tokens_are_checked_against_the_documents_issuer() {
    let mock = serve_seed001(seed001()).await;
    // Seed 001 advertises RS256 only; its keys are at its (relative) jwks_uri.
    let key = SigningKey::generate(JwsAlgorithm::RS256, Some("rsa-1".into())).unwrap();
    let jwk = key.public_jwk().unwrap();
    mock.set_json("/admin/v1/SigningCert/jwk", 200, &json!({ "keys": [jwk] }));
    let http = HttpClient::new().unwrap();
    let provider = Provider::discover(&http, &mock.base, foreign_allowed())
        .await
        .unwrap();
    let client = oracle_app(http, provider);
    let id_token = |iss: &str| {
        let claims =
            json!({"iss": iss, "sub": "u1", "aud": "oracle-app", "iat": NOW, "exp": NOW + 300});
        key.sign_compact(Some("JWT"), Map::new(), &claims).unwrap()
    };
    let claims = client
        .validate_id_token(&id_token(ORACLE_ISSUER), None, None, None, None)
        .await
        .unwrap();
    assert_eq!(claims.iss, ORACLE_ISSUER);
    // The URL the document was read from is not the issuer.
    let refused = client
        .validate_id_token(&id_token(&mock.base), None, None, None, None)
        .await;
    assert!(
        matches!(refused, Err(ClientError::Claims(_))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn oracle_introspect_endpoint_is_used_with_a_warning() {
    // Here the issuer is the server's own, so only the introspection member is at stake.
    let mut doc = seed001();
    let mock = Mock::start().await;
    doc["issuer"] = json!(mock.base);
    mock.set_json("/.well-known/openid-configuration", 200, &doc);
    mock.set_json(
        "/oauth2/v1/introspect",
        200,
        &json!({"active": true, "sub": "u1"}),
    );
    let http = HttpClient::new().unwrap();
    let provider = Provider::discover(&http, &mock.base, DiscoveryOptions::default())
        .await
        .unwrap();
    assert_eq!(
        provider.introspection_endpoint().unwrap(),
        mock.url("/oauth2/v1/introspect")
    );
    assert!(
        provider
            .warnings()
            .iter()
            .any(|w| w.contains("'introspect_endpoint' is not standard")),
        "{:#?}",
        provider.warnings()
    );
    let client = oracle_app(http, provider);
    let answer = client.introspect("at-1", None).await.unwrap();
    assert_eq!(answer.sub.as_deref(), Some("u1"));
    assert_eq!(mock.last("/oauth2/v1/introspect").form()["token"], "at-1");

    // With the standard member too, the standard one is used and nothing is said.
    doc["introspection_endpoint"] = json!(mock.url("/introspect"));
    mock.set_json("/.well-known/openid-configuration", 200, &doc);
    let provider = discover(&mock, DiscoveryOptions::default()).await.unwrap();
    assert_eq!(
        provider.introspection_endpoint().unwrap(),
        mock.url("/introspect")
    );
    assert!(
        !provider
            .warnings()
            .iter()
            .any(|w| w.contains("'introspect_endpoint' is not standard"))
    );
}

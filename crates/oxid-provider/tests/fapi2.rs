//! `profile = "fapi2"` through a real server: the FAPI 2.0 Security Profile (final) §5.3.2
//! requirements for authorization servers, and §5.4.1 on algorithms, each accepted and
//! refused, and discovery listing only what the profile allows.

mod common;

use common::assertions::{claims, jwks, key, sign};
use common::*;
use oxid_client::jws::JwsAlgorithm;
use oxid_client::signing::SigningKey;
use oxid_protocol::params::encode_pairs;
use oxid_provider::config::{ProviderConfig, Settings};
use oxid_provider::profile::Profile;
use serde_json::{Value, json};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn fapi2(s: &mut Settings) {
    s.profile = Profile::Fapi2;
    s.registration = oxid_provider::config::RegistrationMode::Open;
}

/// A FAPI 2.0 server with the private_key_jwt client `bank` (its ES256 key returned).
async fn server() -> (TestServer, SigningKey) {
    let server = TestServer::start_with(fapi2).await;
    let k = key(JwsAlgorithm::ES256, "k1");
    server
        .add_client("bank", |c| {
            c.auth_method = Some("private_key_jwt".into());
            c.jwks = Some(jwks(&[&k]));
            c.client_secret = None;
        })
        .await;
    (server, k)
}

/// POST `form` to `path` as `bank` (private_key_jwt) with the DPoP header `proof`.
async fn post(
    server: &TestServer,
    k: &SigningKey,
    path: &str,
    form: &[(&str, &str)],
    proof: Option<&str>,
) -> (u16, Value) {
    let assertion = sign(k, &claims(server, "bank"));
    let mut form = form.to_vec();
    form.extend([
        ("client_id", "bank"),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion.as_str()),
    ]);
    let mut request = reqwest::Client::new().post(server.url(path)).form(&form);
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Parameters changed in a request.
type Changes = [(&'static str, &'static str)];

/// The pushed authorization request parameters, with `changes` (an empty value removes one).
fn request(changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut pairs = vec![
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in changes {
        pairs.retain(|(n, _)| n != name);
        if !value.is_empty() {
            pairs.push((name, value));
        }
    }
    pairs
}

fn proof(server: &TestServer, k: &SigningKey, path: &str) -> String {
    dpop_proof(
        k,
        "POST",
        &server.url(path),
        server.provider.now(),
        json!({}),
    )
}

#[tokio::test]
async fn the_code_flow_goes_through_par_with_dpop_and_private_key_jwt() {
    // §5.3.2.2: PAR, PKCE S256, `iss` in the response (RFC 9207), request_uri expires_in
    // under 600 s; §5.3.2.1: sender-constrained tokens (DPoP), codes used once.
    let (server, k) = server().await;
    let dpop = dpop_key();
    let at_par = proof(&server, &dpop, "/par");
    let (status, pushed) = post(&server, &k, "/par", &request(&[]), Some(&at_par)).await;
    assert_eq!(status, 201, "{pushed}");
    assert!(pushed["expires_in"].as_u64().unwrap() < 600, "{pushed}");
    let uri = pushed["request_uri"].as_str().unwrap();
    let query = encode_pairs([("client_id", "bank"), ("request_uri", uri)]);
    let params = authorize_query(&server, &server.browser(), &query).await;
    assert_eq!(params.get("iss"), Some(server.base.as_str()), "RFC 9207");
    let code = params.get("code").expect("a code").to_string();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    // No proof: no token (only sender-constrained tokens are issued), the code kept.
    let (status, body) = post(&server, &k, "/token", &form, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof")),
        "{body}"
    );
    let (status, tokens) = post(
        &server,
        &k,
        "/token",
        &form,
        Some(&proof(&server, &dpop, "/token")),
    )
    .await;
    assert_eq!(
        (status, tokens["token_type"].as_str()),
        (200, Some("DPoP")),
        "{tokens}"
    );
    // §5.4.1: the ID token is not signed with RS256.
    let id_token = tokens["id_token"].as_str().unwrap();
    let header: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            id_token.split('.').next().unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "ES256", "{header}");
    // The bound token is refused as a Bearer token, accepted with a proof.
    let access = tokens["access_token"].as_str().unwrap();
    let bearer = reqwest::Client::new()
        .get(server.url("/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 401);
    let claims = json!({ "ath": dpop_ath(access) });
    let at_userinfo = dpop_proof(
        &dpop,
        "GET",
        &server.url("/userinfo"),
        server.provider.now(),
        claims,
    );
    let bound = reqwest::Client::new()
        .get(server.url("/userinfo"))
        .header("Authorization", format!("DPoP {access}"))
        .header("DPoP", at_userinfo)
        .send()
        .await
        .unwrap();
    assert_eq!(bound.status(), 200);
    // §5.3.2.2: a code used before is refused.
    let (status, body) = post(
        &server,
        &k,
        "/token",
        &form,
        Some(&proof(&server, &dpop, "/token")),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
}

#[tokio::test]
async fn authorization_requests_outside_the_profile_are_refused() {
    // §5.3.2.2: no request without PAR; PKCE S256 required; `code` only; redirect_uri in
    // the pushed request.
    let (server, k) = server().await;
    let direct = auth_query("bank", "openid", &[]);
    let params = authorize_query(&server, &server.browser(), &direct).await;
    assert_eq!(params.get("error"), Some("invalid_request"), "{params:?}");
    assert!(params.get("code").is_none());
    let cases: [(&str, &Changes, &str); 5] = [
        (
            "plain PKCE",
            &[
                ("code_challenge_method", "plain"),
                ("code_challenge", VERIFIER),
            ],
            "invalid_request",
        ),
        (
            "no PKCE",
            &[("code_challenge", ""), ("code_challenge_method", "")],
            "invalid_request",
        ),
        (
            "a hybrid response type",
            &[("response_type", "code id_token")],
            "unsupported_response_type",
        ),
        (
            "an implicit response type",
            &[("response_type", "id_token")],
            "unsupported_response_type",
        ),
        (
            "no redirect_uri",
            &[("redirect_uri", "")],
            "invalid_request",
        ),
    ];
    for (what, changes, error) in cases {
        let (status, body) = post(&server, &k, "/par", &request(changes), None).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some(error)),
            "{what}: {body}"
        );
    }
    // §5.3.2.2 item 4: a push without client authentication.
    let response = reqwest::Client::new()
        .post(server.url("/par"))
        .form(&[request(&[]), vec![("client_id", "bank")]].concat())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn only_private_key_jwt_confidential_clients_register() {
    // §5.3.2.1: confidential clients only, authenticated by private_key_jwt (mTLS is not
    // built); §5.4.1: no RS256 nor `none` for ID tokens.
    let (server, _) = server().await;
    let keys = jwks(&[&key(JwsAlgorithm::ES256, "k2")]);
    let base = json!({"redirect_uris": [REDIRECT], "jwks": keys});
    let with = |member: &str, value: Value| {
        let mut metadata = base.clone();
        metadata[member] = value;
        metadata
    };
    let refused = [
        with("token_endpoint_auth_method", json!("client_secret_basic")),
        with("token_endpoint_auth_method", json!("client_secret_post")),
        with("token_endpoint_auth_method", json!("client_secret_jwt")),
        with("token_endpoint_auth_method", json!("none")),
        with("id_token_signed_response_alg", json!("RS256")),
        with("id_token_signed_response_alg", json!("none")),
    ];
    for metadata in refused {
        let answer = register(&server, None, &metadata).await;
        assert_eq!(answer.status, 400, "{metadata}: {}", answer.body);
        assert_eq!(
            answer.body["error"], "invalid_client_metadata",
            "{}",
            answer.body
        );
    }
    let accepted = with("token_endpoint_auth_method", json!("private_key_jwt"));
    let answer = register(&server, None, &accepted).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    // Without a registered algorithm, ID tokens are signed with an allowed one.
    assert_eq!(
        answer.body["id_token_signed_response_alg"], "ES256",
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn a_client_secret_is_refused_at_the_token_endpoint() {
    // §5.3.2.1 item 6: a client registered with a secret before the switch cannot use it.
    let server = TestServer::start_with(fapi2).await;
    let settings = Settings {
        issuer: server.base.clone(),
        ..Settings::default()
    };
    let default_caps = oxid_provider::capabilities::Capabilities::from_config(
        &ProviderConfig::from_settings(&settings).unwrap(),
    );
    let new = oxid_provider::admin::NewClient {
        client_id: "legacy".into(),
        client_secret: Some("secret-of-legacy-0123456789abcdefghijklmnop".into()),
        redirect_uris: vec![REDIRECT.into()],
        grant_types: vec!["client_credentials".into()],
        ..Default::default()
    };
    oxid_provider::admin::add_client(
        &default_caps,
        server.provider.store(),
        server.provider.secret_box(),
        new,
        T0,
    )
    .await
    .unwrap();
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(
            "legacy",
            Some("secret-of-legacy-0123456789abcdefghijklmnop"),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client", "{body}");
}

#[tokio::test]
async fn discovery_lists_only_what_the_profile_allows() {
    let (server, _) = server().await;
    let metadata: Value = reqwest::get(server.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = |member: &str| -> Vec<String> {
        serde_json::from_value(metadata[member].clone()).unwrap_or_default()
    };
    assert_eq!(list("response_types_supported"), ["code"]);
    assert_eq!(list("code_challenge_methods_supported"), ["S256"]);
    assert_eq!(
        list("token_endpoint_auth_methods_supported"),
        ["private_key_jwt"]
    );
    assert_eq!(
        list("token_endpoint_auth_signing_alg_values_supported"),
        ["PS256", "ES256", "EdDSA"]
    );
    assert_eq!(
        list("dpop_signing_alg_values_supported"),
        ["PS256", "ES256", "EdDSA"]
    );
    assert_eq!(list("id_token_signing_alg_values_supported"), ["ES256"]);
    assert_eq!(metadata["require_pushed_authorization_requests"], true);
    assert_eq!(
        metadata["authorization_response_iss_parameter_supported"],
        true
    );
    let grants = list("grant_types_supported");
    for absent in ["implicit", "password"] {
        assert!(!grants.iter().any(|g| g == absent), "{grants:?}");
    }
    assert!(
        !list("userinfo_signing_alg_values_supported")
            .iter()
            .any(|a| a == "RS256" || a == "HS256")
    );
}

#[test]
fn the_configuration_refuses_what_the_profile_forbids() {
    // §5.3.2.1 item 2 (no password grant), §5.4.1 (an allowed algorithm to sign with),
    // §5.3.2.1 (codes live at most 60 s; true of every profile here).
    let base = || Settings {
        profile: Profile::Fapi2,
        ..Settings::default()
    };
    assert!(ProviderConfig::from_settings(&base()).is_ok());
    let mut password = base();
    password.grants.password = true;
    let error = ProviderConfig::from_settings(&password).unwrap_err();
    assert_eq!(error.key, "grants.password");
    let mut rs256_only = base();
    rs256_only.keys.algs = vec!["RS256".into()];
    let error = ProviderConfig::from_settings(&rs256_only).unwrap_err();
    assert_eq!(error.key, "keys.algs");
    let mut long_codes = base();
    long_codes.lifetimes.code = 61;
    assert!(ProviderConfig::from_settings(&long_codes).is_err());
}

#[tokio::test]
async fn a_dpop_proof_with_an_algorithm_outside_the_profile_is_refused() {
    // §5.4.1: PS256, ES256, EdDSA only; an RS256 proof (accepted by default) is refused.
    let (server, k) = server().await;
    let rsa = key(JwsAlgorithm::RS256, "r");
    let header = json!({"typ": "dpop+jwt", "alg": "RS256", "jwk": rsa.public_jwk().unwrap()});
    let claims = json!({"jti": "j-rs256", "htm": "POST", "htu": server.url("/par"), "iat": server.provider.now()});
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    let proof = format!("{input}.{}", b64(rsa.sign(input.as_bytes()).unwrap()));
    let (status, body) = post(&server, &k, "/par", &request(&[]), Some(&proof)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof")),
        "{body}"
    );
}

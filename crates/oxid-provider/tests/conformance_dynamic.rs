//! Mirrors of the OpenID conformance suite's Dynamic OP plan
//! (`oidcc-dynamic-certification-test-plan`) modules about registration and redirect URIs:
//! each client here is registered through `registration_endpoint` (RFC 7591 §3), as the
//! suite does, and the suite's relying party then runs its flow. The plan's other modules
//! (request objects, private_key_jwt, signed UserInfo, key rotation) are mapped in
//! docs/conformance.md.

mod common;

use common::*;
use serde_json::{Value, json};

/// The suite's request for `rp`, with `redirect_uri` replaced (or removed when `None`).
fn request_with_redirect(rp: &Rp<'_>, redirect_uri: Option<&str>) -> Vec<(String, String)> {
    let mut pairs = rp.request("openid");
    pairs.retain(|(k, _)| k != "redirect_uri");
    if let Some(uri) = redirect_uri {
        pairs.push(("redirect_uri".into(), uri.into()));
    }
    pairs
}

#[tokio::test]
async fn oidcc_server() {
    // OP-Registration-Endpoint: discovery names the endpoint, under the issuer; a client
    // registered there runs the whole flow.
    let server = open_registration_server().await;
    let document = discovery(&server).await;
    assert_eq!(document["registration_endpoint"], server.url("/register"));
    let (rp, info) = dynamic_rp(&server, json!({"client_name": "Conformance Suite"})).await;
    assert_eq!(info["token_endpoint_auth_method"], "client_secret_basic");
    let flow = rp.flow("openid", &[]).await;
    assert!(measured_entropy(&flow.code) > 96.0);
}

#[tokio::test]
async fn oidcc_idtoken_rs256() {
    let server = open_registration_server().await;
    let metadata = json!({"id_token_signed_response_alg": "RS256"});
    let (rp, info) = dynamic_rp(&server, metadata).await;
    assert_eq!(info["id_token_signed_response_alg"], "RS256");
    let flow = rp.flow("openid", &[]).await;
    let jws = oxid_protocol::jose::CompactJws::parse(flow.id_token()).unwrap();
    assert_eq!(jws.header().alg, "RS256");
    assert!(jws.header().kid.is_some(), "OP-IDToken-kid");
}

#[tokio::test]
async fn oidcc_idtoken_unsigned() {
    // Skipped by the suite when discovery does not list `none`; registering it is refused
    // rather than silently signing anyway.
    let server = open_registration_server().await;
    let document = discovery(&server).await;
    assert!(!list_contains(
        &document,
        "id_token_signing_alg_values_supported",
        "none"
    ));
    let metadata = json!({"redirect_uris": [REDIRECT], "id_token_signed_response_alg": "none"});
    let why = register_refused(&server, &metadata, "invalid_client_metadata").await;
    assert!(why.starts_with("id_token_signed_response_alg"), "{why}");
}

#[tokio::test]
async fn oidcc_ensure_redirect_uri_in_authorization_request() {
    // OP-redirect_uri-Missing: with two registered URIs the request must name one; an error
    // page, never a redirect.
    let server = open_registration_server().await;
    let metadata = json!({"redirect_uris": [REDIRECT, "https://app.example.com/other"]});
    let (rp, _) = dynamic_rp(&server, metadata).await;
    check_error_page(rp.send(&request_with_redirect(&rp, None)).await).await;
}

#[tokio::test]
async fn oidcc_redirect_uri_query_ok() {
    // OP-redirect_uri-Query-OK: a registered query is kept, the response parameters added.
    let server = open_registration_server().await;
    let with_query = format!("{REDIRECT}?foo=bar");
    let (rp, _) = dynamic_rp(&server, json!({"redirect_uris": [with_query]})).await;
    let response = rp.interact(
        rp.send(&request_with_redirect(&rp, Some(&with_query)))
            .await,
    );
    let response = response.await;
    assert!(response.status().is_redirection(), "{}", response.status());
    let location = response.headers()["location"].to_str().unwrap();
    let url = url::Url::parse(location).unwrap();
    assert_eq!(url[..url::Position::AfterPath], *REDIRECT);
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert!(pairs.contains(&("foo".into(), "bar".into())), "{location}");
    assert!(pairs.iter().any(|(k, _)| k == "code"), "{location}");
    let code = pairs.iter().find(|(k, _)| k == "code").unwrap().1.clone();
    let answer = rp
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &with_query),
        ])
        .await;
    check_token_response(&answer);
}

#[tokio::test]
async fn oidcc_redirect_uri_query_mismatch() {
    // OP-redirect_uri-Query-Mismatch: exact string matching, so another query is refused.
    let server = open_registration_server().await;
    let registered = format!("{REDIRECT}?foo=bar");
    let (rp, _) = dynamic_rp(&server, json!({"redirect_uris": [registered]})).await;
    let other = format!("{REDIRECT}?foo=zot");
    check_error_page(rp.send(&request_with_redirect(&rp, Some(&other))).await).await;
}

#[tokio::test]
async fn oidcc_redirect_uri_query_added() {
    // OP-redirect_uri-Query-Added: a query the registration lacks is refused.
    let server = open_registration_server().await;
    let (rp, _) = dynamic_rp(&server, json!({})).await;
    let added = format!("{REDIRECT}?foo=bar");
    check_error_page(rp.send(&request_with_redirect(&rp, Some(&added))).await).await;
}

#[tokio::test]
async fn oidcc_redirect_uri_regfrag() {
    // OP-redirect_uri-RegFrag: RFC 6749 §3.1.2, 400 JSON invalid_redirect_uri.
    let server = open_registration_server().await;
    let metadata = json!({"redirect_uris": [format!("{REDIRECT}#fragment")]});
    register_refused(&server, &metadata, "invalid_redirect_uri").await;
}

/// `text` as the pages' HTML escaping writes it.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;").replace('/', "&#x2f;")
}

/// Registers a client with `member` set to `uri` (and a `#fr` variant), then checks that the
/// login and consent pages of a fresh session show it (OIDC Registration §2: displayed to
/// the End-User during approval), in the page language, and that the flow completes.
async fn shown_on_the_pages(member: &str, uri: &str) -> Vec<String> {
    let server = open_registration_server().await;
    let french = format!("{uri}?lang=fr");
    let mut metadata = json!({"client_name": "Boutique Suite"});
    metadata[member] = json!(uri);
    metadata[format!("{member}#fr")] = json!(french);
    let (rp, info) = dynamic_rp(&server, metadata).await;
    assert_eq!(info[member], uri);
    let mut pages = Vec::new();
    for (lang, expected) in [("en", uri.to_string()), ("fr", french.clone())] {
        let browser = rp.fresh_browser();
        let pairs = browser.request_with("openid", &[("ui_locales", lang)]);
        let page = browser.send(&pairs).await;
        assert_eq!(page.status(), 200);
        let csp = page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        let html = page.text().await.unwrap();
        assert!(html.contains(&escaped(&expected)), "{lang}: {html}");
        assert!(html.contains("name=\"password\""), "the login page");
        pages.push(csp);
        if lang == "en" {
            let consent = submit_login(&server, &browser.browser, &html, USER, PASSWORD).await;
            let html = consent.text().await.unwrap();
            assert!(html.contains("name=\"decision\""), "the consent page");
            assert!(
                html.contains(&escaped(uri)),
                "shown on the consent page too"
            );
            let response = submit_consent(&server, &browser.browser, &html, "allow").await;
            browser.redeem(&browser.callback(&response)).await;
        }
    }
    pages
}

#[tokio::test]
async fn oidcc_registration_logo_uri() {
    let logo = "https://cdn.app.example.com/logo.png";
    let policies = shown_on_the_pages("logo_uri", logo).await;
    // The page may load the logo from its origin, and from nowhere else.
    assert!(policies[0].contains("img-src 'self' data: https://cdn.app.example.com;"));
}

#[tokio::test]
async fn oidcc_registration_policy_uri() {
    let policies = shown_on_the_pages("policy_uri", "https://app.example.com/privacy").await;
    assert!(
        policies[0].contains("img-src 'self' data:;"),
        "no image source added"
    );
}

#[tokio::test]
async fn oidcc_registration_tos_uri() {
    shown_on_the_pages("tos_uri", "https://app.example.com/terms").await;
}

#[tokio::test]
async fn oidcc_registration_jwks_uri() {
    // Registration with jwks_uri and private_key_jwt is accepted exactly when discovery
    // advertises private_key_jwt; the assertion at the token endpoint is client_auth's.
    let server = open_registration_server().await;
    let document = discovery(&server).await;
    let advertised = list_contains(
        &document,
        "token_endpoint_auth_methods_supported",
        "private_key_jwt",
    );
    let metadata = json!({"redirect_uris": [REDIRECT], "jwks_uri": "https://app.example.com/jwks",
        "token_endpoint_auth_method": "private_key_jwt"});
    let answer = register(&server, None, &metadata).await;
    assert_eq!(answer.status == 201, advertised, "{}", answer.body);
    if !advertised {
        assert_eq!(answer.body["error"], "invalid_client_metadata");
    }
    let bad_scheme =
        json!({"redirect_uris": [REDIRECT], "jwks_uri": "http://app.example.com/jwks"});
    register_refused(&server, &bad_scheme, "invalid_client_metadata").await;
}

/// The suite's pairwise registration: subject_type with a sector_identifier_uri served on
/// 127.0.0.1 whose JSON array is `listed` (the provider may fetch there in this test).
async fn pairwise_registration(listed: Value) -> (TestServer, RegistrationAnswer) {
    let server = TestServer::start_with(|s| {
        s.require_pkce = false;
        s.registration = oxid_provider::config::RegistrationMode::Open;
        s.outbound.allow_private_addresses = true;
    })
    .await;
    let app = axum::Router::new().route(
        "/sector.json",
        axum::routing::get(move || async move { axum::Json(listed) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sector = format!("http://{}/sector.json", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let metadata = json!({"redirect_uris": [REDIRECT], "subject_type": "pairwise",
        "sector_identifier_uri": sector});
    let answer = register(&server, None, &metadata).await;
    (server, answer)
}

#[tokio::test]
async fn oidcc_registration_sector_uri() {
    // Run by the suite when discovery lists pairwise (OIDC Core §8.1), which it does.
    let (server, answer) = pairwise_registration(json!([REDIRECT])).await;
    let document = discovery(&server).await;
    assert!(list_contains(
        &document,
        "subject_types_supported",
        "pairwise"
    ));
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.body["subject_type"], "pairwise");
}

#[tokio::test]
async fn oidcc_registration_sector_bad() {
    // OIDC Registration §5: a document without the redirect URI fails the registration with
    // invalid_client_metadata (400, JSON), as the suite expects.
    let (_server, answer) = pairwise_registration(json!(["https://elsewhere.example/cb"])).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.body["error"], "invalid_client_metadata");
    assert!(
        answer.body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("sector_identifier_uri")
    );
}

#[tokio::test]
async fn oidcc_refresh_token() {
    // Dynamic clients register the refresh_token grant; a refresh token works for its
    // client only (RFC 6749 §6: another client's gets invalid_grant).
    let server = open_registration_server().await;
    let grants = json!({"grant_types": ["authorization_code", "refresh_token"]});
    let (rp, _) = dynamic_rp(&server, grants.clone()).await;
    let flow = rp
        .flow("openid offline_access", &[("prompt", "consent")])
        .await;
    let refresh_token = flow.tokens["refresh_token"]
        .as_str()
        .expect("a refresh token");
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    let answer = rp.token(&form).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let rotated = answer.body["refresh_token"]
        .as_str()
        .unwrap_or(refresh_token);
    let (other, _) = dynamic_rp(&server, grants).await;
    let form = [("grant_type", "refresh_token"), ("refresh_token", rotated)];
    check_token_error(&other.token(&form).await, "invalid_grant");
}

// Request objects by reference (OIDC Core §6.2, mandatory for a dynamic OP by §15.2): the
// client registers the suite-hosted `request_uris`, and the object there is fetched and
// honoured (its state and nonce are those the flow checks).

/// A provider with open registration whose fetches may reach the suite's 127.0.0.1 host.
async fn request_uri_server() -> TestServer {
    TestServer::start_with(|s| {
        s.require_pkce = false;
        s.registration = oxid_provider::config::RegistrationMode::Open;
        s.outbound.allow_private_addresses = true;
    })
    .await
}

/// The suite's request parameters as request-object claims for `rp`.
fn request_claims(rp: &Rp<'_>) -> serde_json::Map<String, Value> {
    rp.request("openid")
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
}

#[tokio::test]
async fn oidcc_request_uri_unsigned() {
    // OP-request_uri-Unsigned-Dynamic: a dynamically registered client, an unsigned object.
    let server = request_uri_server().await;
    let document = discovery(&server).await;
    assert_eq!(document["request_uri_parameter_supported"], true);
    assert!(list_contains(
        &document,
        "request_object_signing_alg_values_supported",
        "none"
    ));
    let (uri, served) = serve_request_object().await;
    let metadata = json!({"request_object_signing_alg": "none", "request_uris": [uri]});
    let (rp, info) = dynamic_rp(&server, metadata).await;
    assert_eq!(info["request_uris"], json!([uri]));
    *served.lock().unwrap() = unsigned_request_object(&Value::Object(request_claims(&rp)));
    let pairs = rp.request_with("openid", &[("request_uri", uri.as_str())]);
    let params = rp.authorize(&pairs).await;
    rp.redeem(&params).await;
}

#[tokio::test]
async fn oidcc_request_uri_signed_rs256() {
    // OP-request_uri-Sig: the client registers request_object_signing_alg=RS256 and its
    // keys; the object carries iss=client_id and aud=issuer and is verified with them.
    let server = request_uri_server().await;
    let document = discovery(&server).await;
    assert!(list_contains(
        &document,
        "request_object_signing_alg_values_supported",
        "RS256"
    ));
    let key = oxid_client::signing::SigningKey::generate(
        oxid_client::jws::JwsAlgorithm::RS256,
        Some("suite-rs256".into()),
    )
    .unwrap();
    let (uri, served) = serve_request_object().await;
    let metadata = json!({
        "request_object_signing_alg": "RS256",
        "jwks": {"keys": [key.public_jwk().unwrap()]},
        "request_uris": [uri],
    });
    let (rp, info) = dynamic_rp(&server, metadata).await;
    assert_eq!(info["request_object_signing_alg"], "RS256");
    let mut claims = request_claims(&rp);
    let now = now(&server);
    claims.insert("iss".into(), json!(rp.client_id));
    claims.insert("aud".into(), json!(server.base));
    claims.insert("exp".into(), json!(now + 300));
    *served.lock().unwrap() = key
        .sign_compact(
            Some("JWT"),
            serde_json::Map::new(),
            &Value::Object(claims.clone()),
        )
        .unwrap();
    let pairs = rp.request_with("openid", &[("request_uri", uri.as_str())]);
    let params = rp.authorize(&pairs).await;
    rp.redeem(&params).await;
    // Signed by another key: invalid_request_object, back to the client (RFC 9101 §6.2).
    let other = oxid_client::signing::SigningKey::generate(
        oxid_client::jws::JwsAlgorithm::RS256,
        Some("suite-rs256".into()),
    )
    .unwrap();
    *served.lock().unwrap() = other
        .sign_compact(Some("JWT"), serde_json::Map::new(), &Value::Object(claims))
        .unwrap();
    let error = check_error_redirect(&server, &rp.send(&pairs).await);
    assert_eq!(error, "invalid_request_object");
}

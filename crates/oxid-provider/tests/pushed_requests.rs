//! Pushed authorization requests (RFC 9126) through a real server: the endpoint's client
//! authentication and validation, the `request_uri` at the authorization endpoint (single
//! use, short-lived, bound to its client, the pushed parameters only), the requirement
//! globally and per client, and discovery.

mod common;

use common::*;
use oxid_protocol::params::encode_pairs;
use serde_json::Value;

const PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// The authorization request parameters `auth_query` sends, less `client_id`.
fn request_params(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut pairs = vec![
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid email"),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    pairs.extend_from_slice(extra);
    pairs
}

/// A server with the confidential client `app` (secret returned) and the public client
/// `spa`.
async fn server_with(
    adjust: impl FnOnce(&mut oxid_provider::config::Settings),
) -> (TestServer, String) {
    let server = TestServer::start_with(adjust).await;
    let secret = server.add_client("app", |_| {}).await;
    server.add_client("spa", |c| c.public = true).await;
    (server, secret)
}

/// Status, `Cache-Control` and JSON body of a push by `app` with HTTP Basic.
async fn push(server: &TestServer, secret: &str, form: &[(&str, &str)]) -> (u16, String, Value) {
    let response = reqwest::Client::new()
        .post(server.url("/par"))
        .basic_auth("app", Some(secret))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let cache = response
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, cache, response.json().await.unwrap())
}

/// The `request_uri` of a successful push by `app`.
async fn pushed_uri(server: &TestServer, secret: &str, form: &[(&str, &str)]) -> String {
    let (status, cache, body) = push(server, secret, form).await;
    assert_eq!((status, cache.as_str()), (201, "no-store"), "{body}");
    body["request_uri"]
        .as_str()
        .expect("request_uri")
        .to_string()
}

async fn authorize_with(
    server: &TestServer,
    browser: &reqwest::Client,
    pairs: &[(&str, &str)],
) -> reqwest::Response {
    let query = encode_pairs(pairs.iter().copied());
    browser
        .get(server.url(&format!("/authorize?{query}")))
        .send()
        .await
        .unwrap()
}

/// The error code of a refused push (RFC 9126 §2.3: 400 and the authorization error codes).
async fn push_refused(server: &TestServer, secret: &str, form: &[(&str, &str)]) -> String {
    let (status, cache, body) = push(server, secret, form).await;
    assert_eq!((status, cache.as_str()), (400, "no-store"), "{body}");
    let description = body["error_description"].as_str().unwrap_or_default();
    assert!(valid_error_text(description), "{description}");
    body["error"].as_str().expect("error").to_string()
}

#[tokio::test]
async fn pushed_request_runs_the_code_flow_and_its_request_uri_is_single_use() {
    // RFC 9126 §2.1, §2.2, §4.
    let (server, secret) = server_with(|_| {}).await;
    let (status, _, body) = push(&server, &secret, &request_params(&[])).await;
    assert_eq!(status, 201, "{body}");
    let request_uri = body["request_uri"].as_str().unwrap();
    assert!(request_uri.starts_with(PREFIX), "{request_uri}");
    assert!(measured_entropy(&request_uri[PREFIX.len()..]) > 3.0);
    assert_eq!(body["expires_in"], 60);

    let browser = server.browser();
    let use_it = [("client_id", "app"), ("request_uri", request_uri)];
    let first = authorize_with(&server, &browser, &use_it).await;
    let done = answer_pages(&server, &browser, first, "allow").await;
    assert_eq!(done.status(), 303);
    let (base, params) = location_params(&done);
    assert_eq!(base, REDIRECT);
    assert_eq!(params.get("state"), Some("st-123"), "the pushed state");
    let code = params.get("code").expect("code");
    let (status, tokens) = exchange_code(&server, "app", &secret, code).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["id_token"].is_string());

    // RFC 9126 §4: one-time use.
    let again = authorize_with(&server, &browser, &use_it).await;
    check_error_page_naming(again, "invalid_request_uri").await;
}

#[tokio::test]
async fn only_the_pushed_parameters_are_used() {
    // RFC 9126 §4: the request is the pushed one; parameters beside the request_uri do not
    // change it.
    let (server, secret) = server_with(|_| {}).await;
    let request_uri = pushed_uri(&server, &secret, &request_params(&[])).await;
    let browser = server.browser();
    let pairs = [
        ("client_id", "app"),
        ("request_uri", request_uri.as_str()),
        ("redirect_uri", "https://evil.example/cb"),
        ("state", "from-outside"),
    ];
    let first = authorize_with(&server, &browser, &pairs).await;
    let done = answer_pages(&server, &browser, first, "allow").await;
    let (base, params) = location_params(&done);
    assert_eq!(
        (base.as_str(), params.get("state")),
        (REDIRECT, Some("st-123"))
    );
}

#[tokio::test]
async fn expired_or_unknown_request_uri_is_refused() {
    // RFC 9126 §4: "An expired request_uri MUST be rejected as invalid."
    let (server, secret) = server_with(|_| {}).await;
    let request_uri = pushed_uri(&server, &secret, &request_params(&[])).await;
    server.clock.advance(60);
    let browser = server.browser();
    let expired = [("client_id", "app"), ("request_uri", request_uri.as_str())];
    let answer = authorize_with(&server, &browser, &expired).await;
    check_error_page_naming(answer, "invalid_request_uri").await;

    let guessed = format!("{PREFIX}not-a-pushed-request");
    let unknown = [("client_id", "app"), ("request_uri", guessed.as_str())];
    let answer = authorize_with(&server, &browser, &unknown).await;
    check_error_page_naming(answer, "invalid_request_uri").await;
}

#[tokio::test]
async fn request_uri_is_bound_to_the_client_that_pushed_it() {
    // RFC 9126 §2.2: "The request_uri value MUST be bound to the client that posted the
    // authorization request."
    let (server, secret) = server_with(|_| {}).await;
    let request_uri = pushed_uri(&server, &secret, &request_params(&[])).await;
    let browser = server.browser();
    let other = [("client_id", "spa"), ("request_uri", request_uri.as_str())];
    let answer = authorize_with(&server, &browser, &other).await;
    check_error_page_naming(answer, "invalid_request_uri").await;
    let missing = [("request_uri", request_uri.as_str())];
    let answer = authorize_with(&server, &browser, &missing).await;
    check_error_page_naming(answer, "invalid_request").await;
}

#[tokio::test]
async fn push_authenticates_the_client_as_the_token_endpoint_does() {
    // RFC 9126 §2: the token endpoint's client authentication.
    let (server, _) = server_with(|_| {}).await;
    let (status, _, body) = push(&server, "wrong-secret", &request_params(&[])).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );

    // A public client identifies itself with client_id (auth method none).
    let mut form = request_params(&[]);
    form.push(("client_id", "spa"));
    let response = reqwest::Client::new()
        .post(server.url("/par"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    // A form body is required.
    let response = reqwest::Client::new()
        .post(server.url("/par"))
        .json(&serde_json::json!({"client_id": "spa"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn push_is_checked_as_the_authorization_endpoint_checks_a_request() {
    // RFC 9126 §2.1 (validated as at the authorization endpoint), §2.3 (error codes).
    let (server, secret) = server_with(|_| {}).await;
    let cases: [(&[(&str, &str)], &str); 3] = [
        (&[("scope", "openid nonsense")], "invalid_scope"),
        (&[("response_type", "token")], "unauthorized_client"),
        (&[("response_mode", "carrier_pigeon")], "invalid_request"),
    ];
    for (change, error) in cases {
        let mut form = request_params(&[]);
        form.retain(|(k, _)| !change.iter().any(|(c, _)| c == k));
        form.extend_from_slice(change);
        assert_eq!(
            push_refused(&server, &secret, &form).await,
            error,
            "{change:?}"
        );
    }
    let mut unregistered = request_params(&[]);
    unregistered.retain(|(k, _)| *k != "redirect_uri");
    unregistered.push(("redirect_uri", "https://evil.example/cb"));
    assert_eq!(
        push_refused(&server, &secret, &unregistered).await,
        "invalid_request"
    );
    // RFC 9126 §2.1: request_uri must not be pushed.
    let with_uri = request_params(&[("request_uri", "https://app.example.com/r")]);
    assert_eq!(
        push_refused(&server, &secret, &with_uri).await,
        "invalid_request"
    );
    // The client_id in the form must be the authenticated client's.
    let other = request_params(&[("client_id", "spa")]);
    assert_eq!(
        push_refused(&server, &secret, &other).await,
        "invalid_request"
    );
    // RFC 7636: the public client needs PKCE here as at the authorization endpoint.
    let form = [
        ("client_id", "spa"),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
    ];
    let response = reqwest::Client::new()
        .post(server.url("/par"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
}

#[tokio::test]
async fn a_client_that_requires_pushed_requests_gets_no_other() {
    // RFC 9126 §6 `require_pushed_authorization_requests` client metadata.
    let server = TestServer::start().await;
    let secret = server
        .add_client("strict", |c| {
            c.require_pushed_authorization_requests = Some(true)
        })
        .await;
    let browser = server.browser();
    let direct = browser
        .get(server.url(&format!(
            "/authorize?{}",
            auth_query("strict", "openid", &[])
        )))
        .send()
        .await
        .unwrap();
    // The redirect URI is trusted, so the error goes back to it.
    let (base, params) = location_params(&direct);
    assert_eq!(base, REDIRECT);
    assert_eq!(params.get("error"), Some("invalid_request"));

    let response = reqwest::Client::new()
        .post(server.url("/par"))
        .basic_auth("strict", Some(&secret))
        .form(&request_params(&[]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let pairs = [
        ("client_id", "strict"),
        ("request_uri", body["request_uri"].as_str().unwrap()),
    ];
    let first = authorize_with(&server, &browser, &pairs).await;
    let done = answer_pages(&server, &browser, first, "allow").await;
    let (_, params) = location_params(&done);
    assert!(params.get("code").is_some(), "a code through PAR");
}

#[tokio::test]
async fn a_deployment_that_requires_pushed_requests_says_so_and_enforces_it() {
    // RFC 9126 §5 `require_pushed_authorization_requests` server metadata.
    let (server, secret) = server_with(|s| s.require_pushed_authorization_requests = true).await;
    let discovery: Value = reqwest::get(server.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["require_pushed_authorization_requests"], true);
    let browser = server.browser();
    let direct = browser
        .get(server.url(&format!("/authorize?{}", auth_query("app", "openid", &[]))))
        .send()
        .await
        .unwrap();
    let (_, params) = location_params(&direct);
    assert_eq!(params.get("error"), Some("invalid_request"));
    let request_uri = pushed_uri(&server, &secret, &request_params(&[])).await;
    let pairs = [("client_id", "app"), ("request_uri", request_uri.as_str())];
    let page = authorize_with(&server, &browser, &pairs).await;
    assert_eq!(page.status(), 200, "the login page");
}

#[tokio::test]
async fn discovery_names_the_pushed_authorization_request_endpoint() {
    // RFC 9126 §5.
    let server = TestServer::start().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let metadata: Value = reqwest::get(server.url(path))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            metadata["pushed_authorization_request_endpoint"],
            server.url("/par").as_str()
        );
        assert_eq!(metadata["require_pushed_authorization_requests"], false);
    }
}

#[tokio::test]
async fn a_client_registers_require_pushed_authorization_requests() {
    // RFC 9126 §6: the client metadata member, kept and returned only when true.
    let server = open_registration_server().await;
    let metadata = serde_json::json!({
        "redirect_uris": [REDIRECT],
        "require_pushed_authorization_requests": true,
    });
    let registered = register_ok(&server, &metadata).await;
    assert_eq!(registered["require_pushed_authorization_requests"], true);
    let client_id = registered["client_id"].as_str().unwrap();
    let direct = server
        .browser()
        .get(server.url(&format!(
            "/authorize?{}",
            auth_query(client_id, "openid", &[])
        )))
        .send()
        .await
        .unwrap();
    let (_, params) = location_params(&direct);
    assert_eq!(params.get("error"), Some("invalid_request"));

    let plain = serde_json::json!({
        "redirect_uris": [REDIRECT],
        "require_pushed_authorization_requests": false,
    });
    let registered = register_ok(&server, &plain).await;
    assert!(
        registered
            .get("require_pushed_authorization_requests")
            .is_none()
    );
}

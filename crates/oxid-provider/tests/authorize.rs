//! The authorization endpoint's rules (RFC 6749 §4.1.2.1, OIDC Core §3.1.2), one test each.
//! The conformance suite's modules for this endpoint are in `conformance_basic_authorize.rs`.

mod common;

use common::*;
use serde_json::Value;

async fn get(browser: &reqwest::Client, server: &TestServer, query: &str) -> reqwest::Response {
    browser
        .get(server.url(&format!("/authorize?{query}")))
        .send()
        .await
        .unwrap()
}

/// Asserts a redirect to the client carrying `error`, the state and `iss`.
fn assert_error_redirect(response: &reqwest::Response, error: &str) -> String {
    let (base, params) = location_params(response);
    assert_eq!(base, REDIRECT);
    assert_eq!(params.get("error"), Some(error), "{params:?}");
    assert_eq!(params.get("state"), Some("st-123"));
    assert!(params.get("iss").is_some(), "RFC 9207 iss on errors too");
    assert!(params.get("code").is_none());
    let description = params.get("error_description").unwrap_or("").to_string();
    assert!(oxid_protocol::error::is_valid_error_text(&description));
    description
}

/// Logs in and consents once so that the browser has a session and the client consent.
async fn logged_in(server: &TestServer, scope: &str) -> reqwest::Client {
    let browser = server.browser();
    obtain_code(server, &browser, "app", scope).await;
    browser
}

#[tokio::test]
async fn unknown_or_missing_client_gets_error_page() {
    let server = TestServer::start().await;
    let browser = server.browser();
    let query = auth_query("nobody", "openid", &[]);
    check_error_page_naming(get(&browser, &server, &query).await, "invalid_client").await;
    let response = get(&browser, &server, "response_type=code&scope=openid").await;
    check_error_page_naming(response, "invalid_request").await;
}

#[tokio::test]
async fn repeated_client_id_is_an_error_page_other_repeats_are_redirected_rfc6749_3_1() {
    let server = TestServer::start().await;
    server.add_client("app", |_| {}).await;
    let browser = server.browser();
    let query = format!("{}&client_id=app", auth_query("app", "openid", &[]));
    check_error_page_naming(get(&browser, &server, &query).await, "invalid_request").await;
    let query = format!("{}&nonce=again", auth_query("app", "openid", &[]));
    let response = get(&browser, &server, &query).await;
    let description = assert_error_redirect(&response, "invalid_request");
    assert!(description.contains("nonce"), "{description}");
}

#[tokio::test]
async fn pkce_is_required_by_default_rfc9700_2_1_1() {
    let server = TestServer::start().await;
    server.add_client("app", |_| {}).await;
    let query = oxid_protocol::params::encode_pairs([
        ("response_type", "code"),
        ("client_id", "app"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("state", "st-123"),
    ]);
    let response = get(&server.browser(), &server, &query).await;
    let description = assert_error_redirect(&response, "invalid_request");
    assert!(description.contains("code_challenge"));
}

#[tokio::test]
async fn plain_pkce_refused_when_configured_off_rfc7636_4_2() {
    let server = TestServer::start_with(|s| s.allow_plain_pkce = false).await;
    server.add_client("app", |_| {}).await;
    let query = auth_query("app", "openid", &[]).replace("method=S256", "method=plain");
    let response = get(&server.browser(), &server, &query).await;
    assert_error_redirect(&response, "invalid_request");
    let metadata: Value = reqwest::get(server.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
}

#[tokio::test]
async fn scope_outside_the_clients_registration_is_invalid_scope() {
    let server = TestServer::start().await;
    server
        .add_client("app", |c| c.scopes = vec!["openid email".into()])
        .await;
    let response = get(
        &server.browser(),
        &server,
        &auth_query("app", "openid phone", &[]),
    )
    .await;
    assert_error_redirect(&response, "invalid_scope");
}

#[tokio::test]
async fn prompt_none_logged_in_without_consent_is_consent_required() {
    let server = TestServer::start().await;
    server.add_client("app", |_| {}).await;
    let browser = logged_in(&server, "openid").await;
    let query = auth_query("app", "openid email", &[("prompt", "none")]);
    let response = get(&browser, &server, &query).await;
    assert_error_redirect(&response, "consent_required");
}

#[tokio::test]
async fn wrong_password_shows_the_message_in_place() {
    let server = TestServer::start().await;
    server.add_client("app", |_| {}).await;
    let browser = server.browser();
    let html = get(&browser, &server, &auth_query("app", "openid", &[]))
        .await
        .text()
        .await
        .unwrap();
    let response = submit_login(&server, &browser, &html, USER, "wrong").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("role=\"alert\""));
    assert!(html.contains("not correct"));
    assert!(
        html.contains("value=\"alice\""),
        "the username stays filled in"
    );
    let response = submit_login(&server, &browser, &html, "nobody", "wrong").await;
    assert!(response.text().await.unwrap().contains("not correct"));
}

#[tokio::test]
async fn login_without_the_csrf_token_is_rejected() {
    let server = TestServer::start().await;
    server.add_client("app", |_| {}).await;
    let browser = server.browser();
    let html = get(&browser, &server, &auth_query("app", "openid", &[]))
        .await
        .text()
        .await
        .unwrap();
    let response = browser
        .post(server.url("/login"))
        .form(&[
            ("interaction", hidden_field(&html, "interaction")),
            ("username", USER.to_string()),
            ("password", PASSWORD.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // A form posted from another browser (no CSRF cookie) fails the same way.
    let response = submit_login(&server, &server.browser(), &html, USER, PASSWORD).await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn a_tampered_interaction_is_rejected() {
    let server = TestServer::start().await;
    server.add_client("app", |_| {}).await;
    let browser = server.browser();
    let html = get(&browser, &server, &auth_query("app", "openid", &[]))
        .await
        .text()
        .await
        .unwrap();
    // Change the first character to a different one (replacing it with a fixed letter was a
    // no-op whenever the token already began with it).
    let interaction = hidden_field(&html, "interaction");
    let first = if interaction.starts_with('A') {
        'B'
    } else {
        'A'
    };
    let tampered = html.replace(&interaction, &format!("{first}{}", &interaction[1..]));
    let response = submit_login(&server, &browser, &tampered, USER, PASSWORD).await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn denying_consent_returns_access_denied() {
    let server = TestServer::start().await;
    server.add_client("app", |_| {}).await;
    let browser = server.browser();
    let html = get(&browser, &server, &auth_query("app", "openid email", &[]))
        .await
        .text()
        .await
        .unwrap();
    let consent = submit_login(&server, &browser, &html, USER, PASSWORD)
        .await
        .text()
        .await
        .unwrap();
    assert!(consent.contains("App app"), "the client's name is shown");
    assert!(
        consent.contains("email address"),
        "scopes are shown in words"
    );
    let response = submit_consent(&server, &browser, &consent, "deny").await;
    assert_error_redirect(&response, "access_denied");
}

#[tokio::test]
async fn skip_consent_clients_get_a_code_right_after_login() {
    let server = TestServer::start().await;
    server
        .add_client("first-party", |c| c.skip_consent = true)
        .await;
    let browser = server.browser();
    let html = get(&browser, &server, &auth_query("first-party", "openid", &[]))
        .await
        .text()
        .await
        .unwrap();
    let response = submit_login(&server, &browser, &html, USER, PASSWORD).await;
    let (_, params) = location_params(&response);
    assert!(params.get("code").is_some());
}

#[tokio::test]
async fn session_cookie_is_httponly_and_lax() {
    let server = TestServer::start().await;
    server.add_client("app", |_| {}).await;
    let browser = server.browser();
    let html = get(&browser, &server, &auth_query("app", "openid", &[]))
        .await
        .text()
        .await
        .unwrap();
    let response = submit_login(&server, &browser, &html, USER, PASSWORD).await;
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("oxid_session=") && !c.starts_with("oxid_session=;"))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "http issuer on loopback");
}

#[tokio::test]
async fn prompt_consent_asks_again_even_with_remembered_consent() {
    let server = TestServer::start().await;
    server.add_client("app", |_| {}).await;
    let browser = logged_in(&server, "openid").await;
    let response = get(
        &browser,
        &server,
        &auth_query("app", "openid", &[("prompt", "consent")]),
    )
    .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("name=\"decision\""));
    let response = submit_consent(&server, &browser, &html, "allow").await;
    let (_, params) = location_params(&response);
    assert!(params.get("code").is_some());
}

#[tokio::test]
async fn prompt_login_and_consent_together_need_both_once() {
    let server = TestServer::start().await;
    server.add_client("app", |_| {}).await;
    let browser = logged_in(&server, "openid").await;
    let query = auth_query("app", "openid", &[("prompt", "login consent")]);
    let html = get(&browser, &server, &query).await.text().await.unwrap();
    assert!(html.contains("name=\"password\""));
    let consent = submit_login(&server, &browser, &html, USER, PASSWORD)
        .await
        .text()
        .await
        .unwrap();
    assert!(consent.contains("name=\"decision\""), "{consent}");
    let response = submit_consent(&server, &browser, &consent, "allow").await;
    let (_, params) = location_params(&response);
    assert!(params.get("code").is_some(), "{params:?}");
}

#[tokio::test]
async fn denying_never_issues_a_code_even_with_remembered_consent() {
    let server = TestServer::start().await;
    server.add_client("app", |_| {}).await;
    let browser = logged_in(&server, "openid").await;
    let query = auth_query("app", "openid", &[("prompt", "consent")]);
    let html = get(&browser, &server, &query).await.text().await.unwrap();
    let response = submit_consent(&server, &browser, &html, "deny").await;
    assert_error_redirect(&response, "access_denied");
}

#[tokio::test]
async fn a_submitted_form_cannot_be_replayed() {
    let server = TestServer::start().await;
    server.add_client("app", |_| {}).await;
    let browser = server.browser();
    let login = get(&browser, &server, &auth_query("app", "openid", &[]))
        .await
        .text()
        .await
        .unwrap();
    let consent = submit_login(&server, &browser, &login, USER, PASSWORD)
        .await
        .text()
        .await
        .unwrap();
    let again = submit_login(&server, &browser, &login, USER, PASSWORD).await;
    assert_eq!(again.status(), 400, "the login form was used");
    let response = submit_consent(&server, &browser, &consent, "allow").await;
    let (_, params) = location_params(&response);
    assert!(params.get("code").is_some());
    let replay = submit_consent(&server, &browser, &consent, "allow").await;
    assert_eq!(replay.status(), 400, "no second code for one authorization");
    assert!(replay.headers().get("location").is_none());
}

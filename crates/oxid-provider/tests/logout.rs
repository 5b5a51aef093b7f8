//! RP-Initiated Logout 1.0, mirroring the conformance suite's RPL plan module by module.

mod common;

use common::*;
use serde_json::Value;

const AFTER_LOGOUT: &str = "https://app.example.com/logged-out";

/// A logged-in browser, and the ID token the client got in that session.
async fn logged_in(server: &TestServer) -> (reqwest::Client, String) {
    let secret = server
        .add_client("app", |c| {
            c.post_logout_redirect_uris = vec![AFTER_LOGOUT.into()]
        })
        .await;
    let browser = server.browser();
    let code = obtain_code(server, &browser, "app", "openid").await;
    let (_, tokens) = exchange_code(server, "app", &secret, &code).await;
    (browser, tokens["id_token"].as_str().unwrap().to_string())
}

async fn logout(
    browser: &reqwest::Client,
    server: &TestServer,
    pairs: &[(&str, &str)],
) -> reqwest::Response {
    let query = oxid_protocol::params::encode_pairs(pairs.iter().copied());
    browser
        .get(server.url(&format!("/logout?{query}")))
        .send()
        .await
        .unwrap()
}

/// After logout, `prompt=none` must fail: the session is gone.
async fn assert_logged_out(browser: &reqwest::Client, server: &TestServer) {
    let query = auth_query("app", "openid", &[("prompt", "none")]);
    let response = browser
        .get(server.url(&format!("/authorize?{query}")))
        .send()
        .await
        .unwrap();
    let (_, params) = location_params(&response);
    assert_eq!(params.get("error"), Some("login_required"));
}

async fn assert_error_page_no_redirect(response: reqwest::Response) {
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
}

async fn assert_confirmation_page(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("value=\"logout\""), "{html}");
    html
}

async fn confirm(
    server: &TestServer,
    browser: &reqwest::Client,
    html: &str,
    decision: &str,
) -> reqwest::Response {
    submit_form(
        server,
        browser,
        "/logout/confirm",
        html,
        &[("decision", decision)],
    )
    .await
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_discovery_endpoint_verification() {
    let server = TestServer::start().await;
    let document: Value = reqwest::get(server.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["end_session_endpoint"], server.url("/logout"));
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_redirects_with_state_and_ends_the_session() {
    let server = TestServer::start().await;
    let (browser, id_token) = logged_in(&server).await;
    let response = logout(
        &browser,
        &server,
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", AFTER_LOGOUT),
            ("state", "bye"),
        ],
    )
    .await;
    let (base, params) = location_params(&response);
    assert_eq!(base, AFTER_LOGOUT);
    assert_eq!(params.get("state"), Some("bye"));
    let cleared = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("oxid_session=;"));
    assert!(cleared, "the session cookie is cleared");
    assert_logged_out(&browser, &server).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_no_state() {
    let server = TestServer::start().await;
    let (browser, id_token) = logged_in(&server).await;
    let response = logout(
        &browser,
        &server,
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", AFTER_LOGOUT),
        ],
    )
    .await;
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(location, AFTER_LOGOUT);
    assert_logged_out(&browser, &server).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_bad_post_logout_redirect_uri() {
    let server = TestServer::start().await;
    let (browser, id_token) = logged_in(&server).await;
    let response = logout(
        &browser,
        &server,
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", "https://evil.example.com/"),
        ],
    )
    .await;
    assert_error_page_no_redirect(response).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_query_added_to_post_logout_redirect_uri() {
    let server = TestServer::start().await;
    let (browser, id_token) = logged_in(&server).await;
    let uri = format!("{AFTER_LOGOUT}?foo=bar");
    let response = logout(
        &browser,
        &server,
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", &uri),
        ],
    )
    .await;
    assert_error_page_no_redirect(response).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_modified_id_token_hint() {
    let server = TestServer::start().await;
    let (browser, id_token) = logged_in(&server).await;
    // The header changed to alg:none, the signature dropped.
    let parts: Vec<&str> = id_token.split('.').collect();
    let none_header = "eyJhbGciOiJub25lIn0";
    let modified = format!("{none_header}.{}.", parts[1]);
    let response = logout(
        &browser,
        &server,
        &[
            ("id_token_hint", &modified),
            ("post_logout_redirect_uri", AFTER_LOGOUT),
        ],
    )
    .await;
    assert_error_page_no_redirect(response).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_bad_id_token_hint() {
    let server = TestServer::start().await;
    let (browser, id_token) = logged_in(&server).await;
    // Same header and payload, another signature.
    let parts: Vec<&str> = id_token.split('.').collect();
    let forged = format!("{}.{}.{}", parts[0], parts[1], "c2lnbmF0dXJl");
    let response = logout(
        &browser,
        &server,
        &[
            ("id_token_hint", &forged),
            ("post_logout_redirect_uri", AFTER_LOGOUT),
        ],
    )
    .await;
    assert_error_page_no_redirect(response).await;
    let response = logout(&browser, &server, &[("id_token_hint", "not-a-jwt")]).await;
    assert_error_page_no_redirect(response).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_no_id_token_hint() {
    // What express-openid-connect 2.x sends: no hint, no client_id, a registered
    // post_logout_redirect_uri. RP-Initiated Logout §2-§4: ask, log out on yes, and skip
    // only the redirect, which no client can vouch for.
    let server = TestServer::start().await;
    let (browser, _) = logged_in(&server).await;
    let response = logout(
        &browser,
        &server,
        &[("post_logout_redirect_uri", AFTER_LOGOUT), ("state", "s")],
    )
    .await;
    let html = assert_confirmation_page(response).await;
    let response = confirm(&server, &browser, &html, "logout").await;
    assert_eq!(response.status(), 200, "the signed-out page, no redirect");
    assert!(response.headers().get("location").is_none());
    assert_logged_out(&browser, &server).await;
    // An unregistered one is not followed either, and logs out the same way.
    let browser = server.browser();
    obtain_code(&server, &browser, "app", "openid").await;
    let evil = [("post_logout_redirect_uri", "https://evil.example/")];
    let html = assert_confirmation_page(logout(&browser, &server, &evil).await).await;
    let response = confirm(&server, &browser, &html, "logout").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("location").is_none());
    assert_logged_out(&browser, &server).await;
    // With client_id the redirect can be trusted, but the user confirms (§6).
    let browser = server.browser();
    obtain_code(&server, &browser, "app", "openid").await;
    let response = logout(
        &browser,
        &server,
        &[
            ("client_id", "app"),
            ("post_logout_redirect_uri", AFTER_LOGOUT),
            ("state", "s"),
        ],
    )
    .await;
    let html = assert_confirmation_page(response).await;
    assert!(html.contains("App app"), "the client is named");
    let response = confirm(&server, &browser, &html, "logout").await;
    let (base, params) = location_params(&response);
    assert_eq!(base, AFTER_LOGOUT);
    assert_eq!(params.get("state"), Some("s"));
    assert_logged_out(&browser, &server).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_no_params_confirms_then_shows_logged_out_page() {
    let server = TestServer::start().await;
    let (browser, _) = logged_in(&server).await;
    let html = assert_confirmation_page(logout(&browser, &server, &[]).await).await;
    let response = confirm(&server, &browser, &html, "logout").await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("signed out"));
    assert_logged_out(&browser, &server).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_no_post_logout_redirect_uri() {
    let server = TestServer::start().await;
    let (browser, id_token) = logged_in(&server).await;
    let response = logout(
        &browser,
        &server,
        &[("id_token_hint", &id_token), ("state", "s")],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("signed out"));
    assert_logged_out(&browser, &server).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_only_state() {
    let server = TestServer::start().await;
    let (browser, _) = logged_in(&server).await;
    let html = assert_confirmation_page(logout(&browser, &server, &[("state", "s")]).await).await;
    let response = confirm(&server, &browser, &html, "logout").await;
    assert_eq!(
        response.status(),
        200,
        "no redirect without post_logout_redirect_uri"
    );
    assert_logged_out(&browser, &server).await;
}

#[tokio::test]
async fn staying_signed_in_keeps_the_session() {
    let server = TestServer::start().await;
    let (browser, _) = logged_in(&server).await;
    let html = assert_confirmation_page(logout(&browser, &server, &[]).await).await;
    let response = confirm(&server, &browser, &html, "stay").await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("still signed in"));
    let query = auth_query("app", "openid", &[("prompt", "none")]);
    let response = browser
        .get(server.url(&format!("/authorize?{query}")))
        .send()
        .await
        .unwrap();
    let (_, params) = location_params(&response);
    assert!(params.get("code").is_some(), "still logged in");
}

#[tokio::test]
async fn confirmation_needs_the_csrf_token() {
    let server = TestServer::start().await;
    let (browser, _) = logged_in(&server).await;
    let html = assert_confirmation_page(logout(&browser, &server, &[]).await).await;
    let response = browser
        .post(server.url("/logout/confirm"))
        .form(&[
            ("interaction", hidden_field(&html, "interaction")),
            ("decision", "logout".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn client_id_must_be_an_audience_of_the_hint() {
    let server = TestServer::start().await;
    let (browser, id_token) = logged_in(&server).await;
    server.add_client("other", |_| {}).await;
    let response = logout(
        &browser,
        &server,
        &[("id_token_hint", &id_token), ("client_id", "other")],
    )
    .await;
    assert_error_page_no_redirect(response).await;
}

#[tokio::test]
async fn an_expired_hint_is_still_accepted_rp_initiated_logout_2() {
    let server = TestServer::start().await;
    let (browser, id_token) = logged_in(&server).await;
    server.clock.advance(7200);
    let response = logout(
        &browser,
        &server,
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", AFTER_LOGOUT),
        ],
    )
    .await;
    assert_eq!(response.headers()["location"], AFTER_LOGOUT);
}

#[tokio::test]
async fn hs256_hint_is_verified_with_the_client_secret() {
    let server = TestServer::start().await;
    let secret = server
        .add_client("hmac", |c| {
            c.id_token_signed_response_alg = Some("HS256".into());
            c.post_logout_redirect_uris = vec![AFTER_LOGOUT.into()];
        })
        .await;
    let browser = server.browser();
    let code = obtain_code(&server, &browser, "hmac", "openid").await;
    let (_, tokens) = exchange_code(&server, "hmac", &secret, &code).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let response = logout(
        &browser,
        &server,
        &[
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", AFTER_LOGOUT),
        ],
    )
    .await;
    assert_eq!(response.headers()["location"], AFTER_LOGOUT);
}

//! Login sessions (Issue 13): an idle lifetime renewed by use within the absolute one; the
//! tokens of a client that asks for it end with the session; and an `id_token_hint` from
//! another session of the same user does not end the current one without asking
//! (RP-Initiated Logout 1.0 §2-§3).

mod common;

use common::*;
use serde_json::Value;

/// Logs `browser` in to client `client_id` and returns its token response.
async fn tokens(
    server: &TestServer,
    browser: &reqwest::Client,
    client_id: &str,
    secret: &str,
) -> Value {
    let code = obtain_code(server, browser, client_id, "openid offline_access").await;
    let (status, tokens) = exchange_code(server, client_id, secret, &code).await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

async fn log_out(server: &TestServer, browser: &reqwest::Client, hint: &str) -> reqwest::Response {
    let query = oxid_protocol::params::encode_pairs([("id_token_hint", hint)]);
    browser
        .get(server.url(&format!("/logout?{query}")))
        .send()
        .await
        .unwrap()
}

async fn refresh(server: &TestServer, client_id: &str, secret: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Whether `browser` is still logged in: the authorization endpoint answers with a code
/// at once (303) rather than the login page.
async fn logged_in(server: &TestServer, browser: &reqwest::Client) -> bool {
    let response = browser
        .get(server.url(&format!("/authorize?{}", auth_query("app", "openid", &[]))))
        .send()
        .await
        .unwrap();
    match response.status().as_u16() {
        303 => true,
        200 => {
            let html = response.text().await.unwrap();
            assert!(html.contains("name=\"password\""), "{html}");
            false
        }
        other => panic!("unexpected status {other}"),
    }
}

#[tokio::test]
async fn a_hint_from_another_session_asks_before_ending_this_one_rp_initiated_logout_2() {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    let (first, second) = (server.browser(), server.browser());
    let old = tokens(&server, &first, "app", &secret).await;
    tokens(&server, &second, "app", &secret).await;
    // The second browser presents the first session's ID token (same user, other sid).
    let response = log_out(&server, &second, old["id_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("value=\"logout\""),
        "a confirmation page: {html}"
    );
    let sessions = server
        .provider
        .store()
        .list_sessions(None, T0)
        .await
        .unwrap();
    assert_eq!(sessions.len(), 2, "nothing ended without asking");
    // Its own hint ends its own session at once.
    let response = log_out(&server, &first, old["id_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), 200);
    assert!(!response.text().await.unwrap().contains("value=\"logout\""));
    let sessions = server
        .provider
        .store()
        .list_sessions(None, T0)
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1);
}

#[tokio::test]
async fn a_client_that_asks_has_its_session_tokens_revoked_at_logout() {
    for revoke in [false, true] {
        let server = TestServer::start().await;
        let secret = server
            .add_client("app", |c| c.backchannel_logout_revoke_tokens = Some(revoke))
            .await;
        let browser = server.browser();
        let issued = tokens(&server, &browser, "app", &secret).await;
        let refresh_token = issued["refresh_token"].as_str().expect("a refresh token");
        let response = log_out(&server, &browser, issued["id_token"].as_str().unwrap()).await;
        assert_eq!(response.status(), 200);
        let status = refresh(&server, "app", &secret, refresh_token).await;
        let expected = if revoke { 400 } else { 200 };
        assert_eq!(
            status, expected,
            "backchannel_logout_revoke_tokens = {revoke}"
        );
    }
}

#[tokio::test]
async fn an_idle_session_ends_and_each_use_renews_it_within_the_absolute_lifetime() {
    let server = TestServer::start_with(|s| {
        s.sessions.idle_secs = 600;
        s.lifetimes.session = 1500;
    })
    .await;
    let secret = server.add_client("app", |_| {}).await;
    let browser = server.browser();
    tokens(&server, &browser, "app", &secret).await;
    server.clock.advance(500);
    assert!(
        logged_in(&server, &browser).await,
        "used within its idle time"
    );
    server.clock.advance(500);
    assert!(
        logged_in(&server, &browser).await,
        "renewed by the last use"
    );
    server.clock.advance(601);
    assert!(
        !logged_in(&server, &browser).await,
        "idle for longer than 600 s"
    );

    // However busy, a session ends at its absolute end.
    let busy = server.browser();
    tokens(&server, &busy, "app", &secret).await;
    for _ in 0..3 {
        server.clock.advance(400);
        assert!(logged_in(&server, &busy).await);
    }
    server.clock.advance(400);
    assert!(!logged_in(&server, &busy).await, "1,600 s after the login");
}

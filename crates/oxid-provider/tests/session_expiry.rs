//! Sessions that expire (Issue 13): the sweep ends a session past its idle or absolute
//! lifetime as a logout ends it. Each client that received tokens in it and registered a
//! `backchannel_logout_uri` gets one logout token (OIDC Back-Channel Logout 1.0 §2.4-§2.7,
//! through the durable outbox), and the refresh tokens of clients that registered
//! `backchannel_logout_revoke_tokens` are revoked; a session still live is left alone.

mod common;

use common::*;
use oxid_protocol::claims::{LogoutTokenClaims, LogoutTokenRules, Validation};
use oxid_protocol::params::Params;
use oxid_provider::backchannel::BackchannelSettings;
use oxid_provider::config::Settings;
use serde_json::Value;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

const SWEEP_PERIOD: Duration = Duration::from_secs(300);

fn settings(s: &mut Settings, idle_secs: u64, absolute: u64) {
    // The receivers listen on 127.0.0.1, which outbound calls refuse by default.
    s.outbound.allow_private_addresses = true;
    s.backchannel = BackchannelSettings {
        poll_interval_ms: 50,
        timeout_ms: 1_000,
        ..BackchannelSettings::default()
    };
    s.sessions.idle_secs = idle_secs;
    s.lifetimes.session = absolute;
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

/// Whether `browser` is still logged in: `/authorize` answers at once (303), not with the
/// login page.
async fn logged_in(server: &TestServer, browser: &reqwest::Client) -> bool {
    let response = browser
        .get(server.url(&format!("/authorize?{}", auth_query("app", "openid", &[]))))
        .send()
        .await
        .unwrap();
    response.status() == 303
}

/// A code for `client_id` in `browser`'s session (logged in by the first call; a second
/// login would end the first session, and tell its clients).
async fn code_in_session(
    server: &TestServer,
    browser: &reqwest::Client,
    client_id: &str,
) -> String {
    let query = auth_query(client_id, "openid offline_access", &[]);
    let response = browser
        .get(server.url(&format!("/authorize?{query}")))
        .send()
        .await
        .unwrap();
    let response = answer_pages(server, browser, response, "allow").await;
    assert_eq!(response.status(), 303);
    let (_, params) = location_params(&response);
    params.get("code").expect("a code").to_string()
}

/// The logout token `received` gets within 10 s, checked as a relying party does (§2.6) at
/// `now`: its claims.
async fn logout_token(
    server: &TestServer,
    received: &mut UnboundedReceiver<(String, String)>,
    client_id: &str,
    now: u64,
) -> LogoutTokenClaims {
    let (content_type, body) = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .expect("a logout token within 10 s")
        .unwrap();
    assert!(content_type.starts_with("application/x-www-form-urlencoded"));
    let form = Params::parse_form(body.as_bytes()).unwrap();
    let token = form.get("logout_token").expect("logout_token");
    let raw = verify_jws_with_jwks(server, token).await;
    assert!(raw.get("nonce").is_none(), "§2.4: never a nonce");
    let claims: LogoutTokenClaims = serde_json::from_value(raw).unwrap();
    claims
        .validate_extern(
            &LogoutTokenRules {
                min_iat: T0,
                ..LogoutTokenRules::new(&server.base, client_id)
            },
            &Validation::new(now),
        )
        .expect("a valid logout token (§2.6: sid or sub, the back-channel event)");
    claims
}

/// Nothing reaches `received` within half a second.
async fn nothing_more(received: &mut UnboundedReceiver<(String, String)>, why: &str) {
    let more = tokio::time::timeout(Duration::from_millis(500), received.recv()).await;
    assert!(more.is_err(), "{why}: {more:?}");
}

/// For an idle lifetime (600 s, renewed by use) and an absolute one (1,000 s): the session is
/// left alone while live, then, once expired, the sweep ends it and each client is told once.
#[tokio::test]
async fn an_expired_session_sends_one_logout_token_per_client_and_revokes_if_asked_bcl_2_7() {
    // (idle lifetime, absolute lifetime, seconds the browser then stays away)
    for (idle, absolute, away) in [(600, 86_400, 601), (0, 1_000, 1_001)] {
        let server = TestServer::start_with(|s| settings(s, idle, absolute)).await;
        let (app_uri, mut app_received) = receiver().await;
        let app_secret = server
            .add_client("app", |c| {
                c.backchannel_logout_uri = Some(app_uri);
                c.backchannel_logout_revoke_tokens = Some(true);
            })
            .await;
        let (keep_uri, mut keep_received) = receiver().await;
        let keep_secret = server
            .add_client("keep", |c| c.backchannel_logout_uri = Some(keep_uri))
            .await;
        let browser = server.browser();
        let mut issued = Vec::new();
        for (client_id, secret) in [("app", &app_secret), ("keep", &keep_secret)] {
            let code = code_in_session(&server, &browser, client_id).await;
            let (status, tokens) = exchange_code(&server, client_id, secret, &code).await;
            assert_eq!(status, 200, "{tokens}");
            issued.push(tokens);
        }
        let id_claims: Value =
            verify_jws_with_jwks(&server, issued[0]["id_token"].as_str().unwrap()).await;
        let sid = id_claims["sid"].as_str().expect("the ID token's sid");

        // Still live one second before its end: the sweep leaves it alone.
        server.clock.advance(away - 2);
        assert!(server.provider.sweep_if_leased(SWEEP_PERIOD).await);
        nothing_more(&mut app_received, "a live session").await;
        assert!(
            logged_in(&server, &browser).await,
            "idle {idle}: still live"
        );
        if idle > 0 {
            // That use renewed the idle lifetime: away again for longer than it.
            server.clock.advance(away);
        } else {
            server.clock.advance(2);
        }
        let now = server.provider.now();
        assert!(server.provider.sweep_if_leased(SWEEP_PERIOD).await);

        for (received, client_id) in [(&mut app_received, "app"), (&mut keep_received, "keep")] {
            let claims = logout_token(&server, received, client_id, now).await;
            assert_eq!(claims.sid.as_deref(), Some(sid), "§2.4: the session's sid");
            assert_eq!(claims.sub.as_deref(), id_claims["sub"].as_str());
        }
        assert!(!logged_in(&server, &browser).await, "the session ended");
        // backchannel_logout_revoke_tokens: app's refresh token went with the session.
        let app_refresh = issued[0]["refresh_token"].as_str().unwrap();
        assert_eq!(refresh(&server, "app", &app_secret, app_refresh).await, 400);
        let keep_refresh = issued[1]["refresh_token"].as_str().unwrap();
        assert_eq!(
            refresh(&server, "keep", &keep_secret, keep_refresh).await,
            200
        );

        // Swept again (this instance or another): nobody is told twice.
        assert!(server.provider.sweep_if_leased(SWEEP_PERIOD).await);
        nothing_more(&mut app_received, "one logout token").await;
        nothing_more(&mut keep_received, "one logout token").await;
        assert_eq!(
            server.provider.store().pending_deliveries().await.unwrap(),
            0
        );
    }
}

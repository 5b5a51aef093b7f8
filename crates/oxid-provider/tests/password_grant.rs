//! The resource owner password credentials grant (RFC 6749 §4.3) through a real server: off
//! unless configured (RFC 9700 §2.4), then the login page's user lookup, argon2id check and
//! brute-force throttling, `offline_access` for refresh tokens, no consent step.

mod common;

use common::*;
use oxid_provider::throttle::ThrottleSettings;
use serde_json::Value;
use std::time::{Duration, Instant};

const PASSWORD_GRANT: &str = "password";

/// A server with the password grant enabled and client `tv` registered for it.
async fn enabled() -> (TestServer, String) {
    let server = TestServer::start_with(|s| {
        s.grants.password = true;
        s.throttle = ThrottleSettings {
            max_failures_before_delay: 3,
            max_failures_before_lock: 3,
            delay_ms: 1,
            redis_url: None,
            redis_key_prefix: String::new(),
            ..ThrottleSettings::default()
        };
    })
    .await;
    let grants = [PASSWORD_GRANT, "refresh_token"];
    let secret = server.add_grant_client("tv", &grants, false).await;
    (server, secret)
}

/// A password grant request by `client_id`: status and body, and the time it took.
async fn password_request(
    server: &TestServer,
    (client_id, secret): (&str, &str),
    username: &str,
    password: &str,
    scope: &str,
) -> (u16, Value, Duration) {
    let started = Instant::now();
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[
            ("grant_type", PASSWORD_GRANT),
            ("username", username),
            ("password", password),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap(), started.elapsed())
}

#[tokio::test]
async fn rfc6749_4_3_the_right_password_gets_tokens_refresh_only_with_offline_access() {
    let (server, secret) = enabled().await;
    let tv = ("tv", secret.as_str());
    let scope = "openid email offline_access";
    let (status, body, _) = password_request(&server, tv, "ALICE ", PASSWORD, scope).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string());
    assert!(body["refresh_token"].is_string(), "offline_access: {body}");
    let claims = verify_jws_with_jwks(&server, body["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["aud"], "tv");
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    assert_eq!(
        userinfo_get(&server, body["access_token"].as_str().unwrap()).await["email"],
        "alice@example.com"
    );
    let (status, body, _) = password_request(&server, tv, USER, PASSWORD, "openid").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.get("refresh_token").is_none(),
        "no offline_access: {body}"
    );
    // The refresh token works like any other (RFC 6749 §6).
    let (_, body, _) = password_request(&server, tv, USER, PASSWORD, scope).await;
    let refreshed = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("tv", Some(&secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", body["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 200);
}

#[tokio::test]
async fn rfc6749_4_3_wrong_or_unknown_credentials_are_invalid_grant_at_the_same_cost() {
    let (server, secret) = enabled().await;
    let tv = ("tv", secret.as_str());
    let (status, right, right_took) = password_request(&server, tv, USER, PASSWORD, "openid").await;
    assert_eq!(status, 200, "{right}");
    let (status, wrong, wrong_took) = password_request(&server, tv, USER, "nope", "openid").await;
    assert_eq!(
        (status, error_of(&wrong)),
        (400, "invalid_grant"),
        "{wrong}"
    );
    let (status, unknown, unknown_took) =
        password_request(&server, tv, "mallory", PASSWORD, "openid").await;
    assert_eq!((status, error_of(&unknown)), (400, "invalid_grant"));
    assert_eq!(
        wrong["error_description"], unknown["error_description"],
        "the answer does not tell an unknown user from a wrong password"
    );
    // Each pays one argon2id verification: none answers in a small fraction of another's time
    // (the margin is wide: other tests share the machine).
    let times = [right_took, wrong_took, unknown_took];
    let slowest = *times.iter().max().unwrap();
    for took in times {
        assert!(took * 8 >= slowest, "{times:?}");
    }
}

#[tokio::test]
async fn a_throttled_account_gets_invalid_grant_without_a_password_check() {
    let (server, secret) = enabled().await;
    let tv = ("tv", secret.as_str());
    for _ in 0..3 {
        let (status, body, _) = password_request(&server, tv, USER, "wrong", "openid").await;
        assert_eq!((status, error_of(&body)), (400, "invalid_grant"));
    }
    // Locked: even the right password is refused, as on the login page.
    let (status, body, _) = password_request(&server, tv, USER, PASSWORD, "openid").await;
    assert_eq!((status, error_of(&body)), (400, "invalid_grant"), "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains("too many failed attempts"),
        "{description}"
    );
    assert!(valid_error_text(description));
    // The lock ends with its time.
    server
        .clock
        .advance(ThrottleSettings::default().lock_seconds);
    let (status, body, _) = password_request(&server, tv, USER, PASSWORD, "openid").await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn rfc6749_4_3_only_clients_registered_for_it_and_their_scopes() {
    let (server, _) = enabled().await;
    let web = server.add_client("web", |_| {}).await;
    let (status, body, _) =
        password_request(&server, ("web", &web), USER, PASSWORD, "openid").await;
    assert_eq!(
        (status, error_of(&body)),
        (400, "unauthorized_client"),
        "{body}"
    );
    let narrow = server
        .add_client("narrow", |c| {
            c.grant_types = vec![PASSWORD_GRANT.into()];
            c.scopes = vec!["openid".into()];
        })
        .await;
    let narrow = ("narrow", narrow.as_str());
    let (status, body, _) = password_request(&server, narrow, USER, PASSWORD, "openid email").await;
    assert_eq!((status, error_of(&body)), (400, "invalid_scope"), "{body}");
}

#[tokio::test]
async fn rfc9700_2_4_the_password_grant_is_off_unless_configured() {
    let server = TestServer::start().await;
    let discovery: Value = reqwest::get(server.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let grants = discovery["grant_types_supported"].as_array().unwrap();
    assert!(!grants.iter().any(|g| g == PASSWORD_GRANT), "{grants:?}");
    let web = server.add_client("web", |_| {}).await;
    let (status, body, _) =
        password_request(&server, ("web", &web), USER, PASSWORD, "openid").await;
    assert_eq!((status, error_of(&body)), (400, "unsupported_grant_type"));
    let provider = &server.provider;
    let new = oxid_provider::admin::NewClient {
        client_id: "tv".into(),
        grant_types: vec![PASSWORD_GRANT.into()],
        ..Default::default()
    };
    let refused = oxid_provider::admin::add_client(
        provider.capabilities(),
        provider.store(),
        provider.secret_box(),
        new,
        T0,
    )
    .await;
    assert!(
        refused.is_err(),
        "a client cannot register a grant that is off"
    );
    // Enabled: listed for both well-knowns.
    let (server, _) = enabled().await;
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
        let grants = metadata["grant_types_supported"].as_array().unwrap();
        assert!(
            grants.iter().any(|g| g == PASSWORD_GRANT),
            "{path}: {grants:?}"
        );
    }
}

//! Removing a user revokes everything they hold (Issue 13): their sessions end as a logout
//! ends them (each client of a session gets its logout token, OIDC Back-Channel Logout 1.0
//! §2.7), their access and refresh tokens stop working whatever the client registered
//! (RFC 7662 §2.2 `active: false`, RFC 6749 §5.2 `invalid_grant`, RFC 6750 §3.1
//! `invalid_token`), and their consents go; another user's keep working.

mod common;

use common::trusted::introspect_as;
use common::*;
use oxid_protocol::claims::LogoutTokenClaims;
use oxid_protocol::params::Params;
use oxid_provider::backchannel::BackchannelSettings;
use reqwest::Method;
use serde_json::Value;
use std::time::Duration;

const ADMIN_TOKEN: &str = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA";

async fn refresh(server: &TestServer, secret: &str, token: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("app", Some(secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A client_credentials token of `app` (RFC 6749 §4.4): held by no user.
async fn client_credentials(server: &TestServer, secret: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("app", Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn removing_a_user_revokes_their_tokens_sessions_and_consents() {
    let server = TestServer::start_with(|s| {
        s.admin_token = Some(ADMIN_TOKEN.into());
        s.outbound.allow_private_addresses = true;
        s.backchannel = BackchannelSettings {
            poll_interval_ms: 50,
            ..BackchannelSettings::default()
        };
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin_base = format!("http://{}", listener.local_addr().unwrap());
    let app = oxid_provider::http::admin_router(server.provider.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let (uri, mut received) = receiver().await;
    // The client did not ask for its tokens to go with logouts: removal revokes them anyway.
    let secret = server
        .add_client("app", |c| {
            c.backchannel_logout_uri = Some(uri);
            c.skip_consent = false;
            c.grant_types.push("client_credentials".into());
        })
        .await;
    let browser = server.browser();
    let code = obtain_code(&server, &browser, "app", "openid offline_access").await;
    let (status, tokens) = exchange_code(&server, "app", &secret, &code).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let id_claims = verify_jws_with_jwks(&server, tokens["id_token"].as_str().unwrap()).await;
    let sub = id_claims["sub"].as_str().unwrap().to_string();
    let store = server.provider.store();
    assert_eq!(store.list_consents(&sub).await.unwrap().len(), 1);
    assert_eq!(
        introspect_as(&server, "app", &secret, access).await["active"],
        true
    );
    // A token no user holds, which must survive.
    let (status, other) = client_credentials(&server, &secret).await;
    assert_eq!(status, 200, "{other}");
    let other_access = other["access_token"].as_str().unwrap();

    let remove = |path: String| {
        reqwest::Client::new()
            .request(Method::DELETE, format!("{admin_base}{path}"))
            .bearer_auth(ADMIN_TOKEN)
            .send()
    };
    let response = remove(format!("/admin/v1/users/{sub}")).await.unwrap();
    assert_eq!(response.status(), 204);

    // Its session ended as a logout does: the client is told, by its sid.
    let (_, body) = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .expect("a logout token within 10 s")
        .unwrap();
    let form = Params::parse_form(body.as_bytes()).unwrap();
    let raw = verify_jws_with_jwks(&server, form.get("logout_token").unwrap()).await;
    let claims: LogoutTokenClaims = serde_json::from_value(raw).unwrap();
    assert_eq!(claims.sid.as_deref(), id_claims["sid"].as_str());
    assert_eq!(claims.sub.as_deref(), Some(sub.as_str()));
    let response = browser
        .get(server.url(&format!("/authorize?{}", auth_query("app", "openid", &[]))))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "the login page: the session is gone"
    );

    // Every token they held is dead, and their consents are gone.
    assert_eq!(
        introspect_as(&server, "app", &secret, access).await["active"],
        false
    );
    let (status, body) = refresh(&server, &secret, refresh_token).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(userinfo_status(&server, access).await, 401);
    assert!(store.list_consents(&sub).await.unwrap().is_empty());
    assert!(
        store
            .list_sessions(None, server.provider.now())
            .await
            .unwrap()
            .is_empty()
    );
    // The client's own token is not the user's.
    assert_eq!(
        introspect_as(&server, "app", &secret, other_access).await["active"],
        true
    );
    // Removing again: there is no such user.
    let response = remove(format!("/admin/v1/users/{sub}")).await.unwrap();
    assert_eq!(response.status(), 404);
    let more = tokio::time::timeout(Duration::from_millis(300), received.recv()).await;
    assert!(more.is_err(), "one logout token");
}

//! Revoking a consent through the admin API revokes what the client holds for the user, as
//! Keycloak does (issue 13): its refresh token is refused with `invalid_grant` (RFC 6749
//! §5.2), its access token, opaque or JWT (RFC 9068), introspects as inactive (RFC 7662
//! §2.2), and a code issued before but not yet redeemed no longer mints tokens. Another
//! client's tokens for the same user, and the same client's consent of another user, stay.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const ADMIN_TOKEN: &str = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA";
const SCOPE: &str = "openid email offline_access";

async fn admin_listener(server: &TestServer) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = oxid_provider::http::admin_router(server.provider.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

async fn admin_delete(base: &str, path: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .request(Method::DELETE, format!("{base}{path}"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A code of `client_id` for alice, from a fresh browser (consent asked or remembered).
async fn code(server: &TestServer, client_id: &str) -> String {
    obtain_code(server, &server.browser(), client_id, SCOPE).await
}

/// The (access, refresh) tokens of a new code of `client_id`.
async fn tokens(server: &TestServer, client_id: &str, secret: &str) -> (String, String) {
    let code = code(server, client_id).await;
    let (status, body) = exchange_code(server, client_id, secret, &code).await;
    assert_eq!(status, 200, "{body}");
    let take = |name: &str| body[name].as_str().unwrap().to_string();
    (take("access_token"), take("refresh_token"))
}

async fn refresh(server: &TestServer, client_id: &str, secret: &str, token: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn introspect(server: &TestServer, client_id: &str, secret: &str, token: &str) -> Value {
    let response = reqwest::Client::new()
        .post(server.url("/introspect"))
        .basic_auth(client_id, Some(secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_revoked_consent_takes_the_clients_tokens_and_codes_for_the_user_with_it() {
    let server = TestServer::start_with(|s| s.admin_token = Some(ADMIN_TOKEN.into())).await;
    let admin = admin_listener(&server).await;
    let app = server.add_client("app", |_| {}).await;
    let jwt = server
        .add_client("jwtapp", |c| c.access_token_format = Some("jwt".into()))
        .await;
    let other = server.add_client("other", |_| {}).await;
    let (app_access, app_refresh) = tokens(&server, "app", &app).await;
    let (jwt_access, jwt_refresh) = tokens(&server, "jwtapp", &jwt).await;
    let (other_access, other_refresh) = tokens(&server, "other", &other).await;
    let pending = code(&server, "app").await;
    assert_eq!(
        introspect(&server, "app", &app, &app_access).await["active"],
        true
    );
    assert_eq!(
        introspect(&server, "jwtapp", &jwt, &jwt_access).await["active"],
        true
    );

    let sub = server.provider.store().get_user_by_username(USER).await;
    let sub = sub.unwrap().unwrap().id;
    for client in ["app", "jwtapp"] {
        let path = format!("/admin/v1/users/{sub}/consents/{client}");
        assert_eq!(admin_delete(&admin, &path).await.0, 204, "{client}");
        // Nothing left to revoke: a problem document (RFC 9457), 404.
        let (status, problem) = admin_delete(&admin, &path).await;
        assert_eq!((status, &problem["status"]), (404, &json!(404)), "{client}");
    }

    for (client, secret, access, refresh_token) in [
        ("app", &app, &app_access, &app_refresh),
        ("jwtapp", &jwt, &jwt_access, &jwt_refresh),
    ] {
        let (status, body) = refresh(&server, client, secret, refresh_token).await;
        assert_eq!(
            (status, error_of(&body)),
            (400, "invalid_grant"),
            "{client}"
        );
        let answer = introspect(&server, client, secret, access).await;
        assert_eq!(answer, json!({"active": false}), "{client}: RFC 7662 §2.2");
    }
    let (status, body) = exchange_code(&server, "app", &app, &pending).await;
    assert_eq!((status, error_of(&body)), (400, "invalid_grant"), "{body}");

    // The other client keeps what it holds.
    let answer = introspect(&server, "other", &other, &other_access).await;
    assert_eq!(answer["active"], true);
    let (status, body) = refresh(&server, "other", &other, &other_refresh).await;
    assert_eq!(status, 200, "{body}");
}

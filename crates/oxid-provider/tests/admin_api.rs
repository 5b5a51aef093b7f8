//! The admin API on the admin listener (issue 13): bearer access (the static `admin_token`,
//! or an `oxid:admin` client_credentials token; 401 and 403 otherwise), RFC 9457 problem
//! details, clients through the registration metadata rules, users, sessions revoked as
//! logout does, keys (its OpenAPI document: `admin_openapi.rs`).

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

const ADMIN_TOKEN: &str = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA";

struct Admin {
    server: TestServer,
    base: String,
}

async fn admin() -> Admin {
    let server = TestServer::start_with(|s| {
        s.admin_token = Some(ADMIN_TOKEN.into());
        // The admin scope is a configured API scope like any other (`[[scopes]]`).
        s.scopes = api_scopes(&["oxid:admin", "read:records"]);
        // The back-channel receivers listen on 127.0.0.1 (refused by default: SSRF).
        s.outbound.allow_private_addresses = true;
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = oxid_provider::http::admin_router(server.provider.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Admin { server, base }
}

impl Admin {
    /// `method path` with `token` and a JSON `body`: status, content type and JSON body.
    async fn call_as(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, String, Value) {
        let mut request = reqwest::Client::new().request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        (status, content_type, body)
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let (status, _, body) = self.call_as(Some(ADMIN_TOKEN), method, path, body).await;
        (status, body)
    }
}

/// RFC 9457 §3: the members and the media type of a problem.
fn check_problem(status: StatusCode, content_type: &str, body: &Value, expected: u16) {
    assert_eq!(status.as_u16(), expected, "{body}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(body["status"], expected);
    for member in ["type", "title", "detail"] {
        assert!(body[member].is_string(), "{member} in {body}");
    }
}

/// A client_credentials access token of a new client `id` granted `scope`.
async fn client_token(server: &TestServer, id: &str, scope: &str) -> String {
    let secret = server
        .add_client(id, |c| {
            c.grant_types = vec!["client_credentials".into()];
            c.redirect_uris.clear();
            c.scopes = vec![scope.into()];
        })
        .await;
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(id, Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn access_needs_the_static_token_or_an_oxid_admin_client_token() {
    let admin = admin().await;
    let server = &admin.server;
    let (status, _, _) = admin
        .call_as(Some(ADMIN_TOKEN), Method::GET, "/admin/v1/users", None)
        .await;
    assert_eq!(status, 200);
    for token in [None, Some("not-the-token"), Some("")] {
        let (status, content_type, body) = admin
            .call_as(token, Method::GET, "/admin/v1/users", None)
            .await;
        check_problem(status, &content_type, &body, 401);
    }
    let admin_token = client_token(server, "ops", "oxid:admin").await;
    let (status, _, users) = admin
        .call_as(Some(&admin_token), Method::GET, "/admin/v1/users", None)
        .await;
    assert_eq!(status, 200, "{users}");
    let reader = client_token(server, "reader", "read:records").await;
    let (status, content_type, body) = admin
        .call_as(Some(&reader), Method::GET, "/admin/v1/users", None)
        .await;
    check_problem(status, &content_type, &body, 403);
    // A client that registered itself must not reach the admin API, whatever its scope.
    let self_registered = client_token(server, "intruder", "oxid:admin").await;
    let store = server.provider.store();
    let mut record = store.get_client("intruder").await.unwrap().unwrap();
    record.registration_token_hash = Some("h".into());
    store.update_client(&record).await.unwrap();
    let (status, content_type, body) = admin
        .call_as(Some(&self_registered), Method::GET, "/admin/v1/users", None)
        .await;
    check_problem(status, &content_type, &body, 403);
    // The document itself is public.
    let (status, _, document) = admin
        .call_as(None, Method::GET, "/admin/v1/openapi.json", None)
        .await;
    assert_eq!(
        (status.as_u16(), document["openapi"].as_str()),
        (200, Some("3.1.0"))
    );
}

#[tokio::test]
async fn clients_are_created_read_changed_and_deleted_without_showing_secrets() {
    let admin = admin().await;
    let new = json!({"client_id": "shop", "client_name": "Shop",
        "redirect_uris": ["https://shop.example/cb"], "scope": "openid profile"});
    let (status, created) = admin
        .call(Method::POST, "/admin/v1/clients", Some(new.clone()))
        .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["client_secret"].as_str().unwrap().to_string();
    assert_eq!(created["client_name"], "Shop");
    let (status, listed) = admin.call(Method::GET, "/admin/v1/clients", None).await;
    assert_eq!(status, 200);
    let text = listed.to_string();
    let hash = admin
        .server
        .provider
        .store()
        .get_client("shop")
        .await
        .unwrap()
        .unwrap();
    assert!(!text.contains(&secret) && !text.contains(&hash.secret_hash.unwrap()));
    assert!(listed[0].get("client_secret").is_none(), "{text}");
    let (status, _) = admin
        .call(Method::POST, "/admin/v1/clients", Some(new))
        .await;
    assert_eq!(status, 409);
    let (status, patched) = admin
        .call(
            Method::PATCH,
            "/admin/v1/clients/shop",
            Some(json!({"client_name": "Boutique"})),
        )
        .await;
    assert_eq!(
        (status.as_u16(), &patched["client_name"]),
        (200, &json!("Boutique"))
    );
    // The token policy members (issue 12) go through the same path as `oxid client`.
    let policy = json!({"access_token_format": "jwt", "refresh_token_idle": 600});
    let (status, patched) = admin
        .call(Method::PATCH, "/admin/v1/clients/shop", Some(policy))
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["access_token_format"], "jwt");
    assert_eq!(patched["refresh_token_idle"], 600);
    assert!(
        patched.get("client_secret").is_none(),
        "kept, not shown again"
    );
    let (status, put) = admin
        .call(
            Method::PUT,
            "/admin/v1/clients/shop",
            Some(json!({"redirect_uris": ["https://shop.example/2"]})),
        )
        .await;
    assert_eq!(
        (status.as_u16(), &put["redirect_uris"]),
        (200, &json!(["https://shop.example/2"]))
    );
    let (status, _) = admin
        .call(Method::DELETE, "/admin/v1/clients/shop", None)
        .await;
    assert_eq!(status, 204);
    let (status, content_type, body) = admin
        .call_as(
            Some(ADMIN_TOKEN),
            Method::GET,
            "/admin/v1/clients/shop",
            None,
        )
        .await;
    check_problem(status, &content_type, &body, 404);
    // The registration rules refuse what they refuse at /register, naming the member.
    let bad = json!({"client_id": "x", "redirect_uris": ["https://x.example/cb#f"]});
    let (status, content_type, body) = admin
        .call_as(
            Some(ADMIN_TOKEN),
            Method::POST,
            "/admin/v1/clients",
            Some(bad),
        )
        .await;
    check_problem(status, &content_type, &body, 400);
    assert!(
        body["detail"].as_str().unwrap().contains("redirect_uris"),
        "{body}"
    );
}

#[tokio::test]
async fn users_are_created_listed_and_deleted_without_their_hash() {
    let admin = admin().await;
    let new = json!({"username": "Carol", "password": "a long enough password",
        "claims": {"email": "carol@example.com"}});
    let (status, created) = admin
        .call(Method::POST, "/admin/v1/users", Some(new.clone()))
        .await;
    assert_eq!(
        (status.as_u16(), &created["username"]),
        (201, &json!("carol"))
    );
    let (status, _) = admin.call(Method::POST, "/admin/v1/users", Some(new)).await;
    assert_eq!(status, 409);
    let sub = created["sub"].as_str().unwrap();
    let (status, user) = admin
        .call(Method::GET, &format!("/admin/v1/users/{sub}"), None)
        .await;
    assert_eq!(
        (status.as_u16(), &user["claims"]["email"]),
        (200, &json!("carol@example.com"))
    );
    let (_, listed) = admin.call(Method::GET, "/admin/v1/users", None).await;
    assert!(!listed.to_string().contains("argon2"), "{listed}");
    let bad = json!({"username": "dave"});
    let (status, _) = admin.call(Method::POST, "/admin/v1/users", Some(bad)).await;
    assert_eq!(status, 400);
    let (status, _) = admin
        .call(Method::DELETE, &format!("/admin/v1/users/{sub}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = admin
        .call(Method::GET, &format!("/admin/v1/users/{sub}"), None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_revoked_session_ends_and_its_clients_get_a_logout_token() {
    let admin = admin().await;
    let server = &admin.server;
    let (url, mut received) = receiver().await;
    server
        .add_client("rp", |c| c.backchannel_logout_uri = Some(url))
        .await;
    let provider = &server.provider;
    let alice = provider
        .store()
        .get_user_by_username(USER)
        .await
        .unwrap()
        .unwrap();
    let started = oxid_provider::session::start_session(provider, &alice)
        .await
        .unwrap();
    oxid_provider::session::start_session(provider, &alice)
        .await
        .unwrap();
    let sid = started.record.sid.clone();
    provider
        .store()
        .add_session_client(&sid, "rp")
        .await
        .unwrap();
    let (status, sessions) = admin
        .call(Method::GET, "/admin/v1/sessions?user=alice", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(sessions.as_array().unwrap().len(), 2);
    assert!(sessions[0]["id"].is_string() && sessions[0]["sid"].is_string());
    let (status, _) = admin
        .call(Method::GET, "/admin/v1/sessions?user=nobody", None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = admin
        .call(Method::DELETE, &format!("/admin/v1/sessions/{sid}"), None)
        .await;
    assert_eq!(status, 204);
    let (_, body) = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .expect("a logout token within 10 s")
        .unwrap();
    assert!(body.starts_with("logout_token="), "{body}");
    let (status, _) = admin
        .call(Method::GET, &format!("/admin/v1/sessions/{sid}"), None)
        .await;
    assert_eq!(status, 404, "the session is gone");
    let (status, _) = admin.call(Method::DELETE, "/admin/v1/sessions", None).await;
    assert_eq!(status, 400, "revoking all needs ?user=");
    let (status, revoked) = admin
        .call(Method::DELETE, "/admin/v1/sessions?user=alice", None)
        .await;
    assert_eq!(
        (
            status.as_u16(),
            revoked["revoked"].as_array().unwrap().len()
        ),
        (200, 1)
    );
    let (_, left) = admin.call(Method::GET, "/admin/v1/sessions", None).await;
    assert_eq!(left, json!([]));
}

#[tokio::test]
async fn keys_are_listed_and_rotated() {
    let admin = admin().await;
    let (status, before) = admin.call(Method::GET, "/admin/v1/keys", None).await;
    assert_eq!(status, 200);
    assert!(
        before.to_string().contains("\"state\":\"current\""),
        "{before}"
    );
    assert!(!before.to_string().contains("private"), "{before}");
    let (status, after) = admin
        .call(Method::POST, "/admin/v1/keys/rotate", None)
        .await;
    assert_eq!(status, 200);
    let active = |keys: &Value| -> BTreeSet<String> {
        let keys = keys.as_array().unwrap().iter();
        keys.filter(|k| k["state"] == "current")
            .map(|k| k["kid"].to_string())
            .collect()
    };
    assert_ne!(
        active(&before),
        active(&after),
        "other keys sign after a rotation"
    );
}

//! The admin API's users, consents, keys and scopes (issue 13): claims and password changed
//! through the code path of `oxid user update`, consents listed per user and revoked (the
//! next authorization asks again, OIDC Core §3.1.2.4), keys listed with their ages and
//! retired (out of the JWKS once their tokens expired, or at once with `force`), the scopes
//! read; errors as RFC 9457 problem details.

mod common;

use common::*;
use oxid_provider::crypto::password::verify_password;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ADMIN_TOKEN: &str = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA";

struct Admin {
    server: TestServer,
    base: String,
}

async fn admin() -> Admin {
    let server = TestServer::start_with(|s| {
        s.admin_token = Some(ADMIN_TOKEN.into());
        s.scopes = api_scopes(&["read:records"]);
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = oxid_provider::http::admin_router(server.provider.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Admin { server, base }
}

impl Admin {
    /// `method path` with the admin token and a JSON `body`: status, content type, JSON.
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(ADMIN_TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        if status.is_client_error() {
            let content_type = response.headers()["content-type"].to_str().unwrap();
            assert_eq!(content_type, "application/problem+json", "RFC 9457 §3");
        }
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn alice_sub(&self) -> String {
        let user = self.server.provider.store().get_user_by_username(USER);
        user.await.unwrap().unwrap().id
    }
}

#[tokio::test]
async fn users_claims_and_passwords_change_through_the_cli_rules() {
    let admin = admin().await;
    let sub = admin.alice_sub().await;
    let path = format!("/admin/v1/users/{sub}");
    let change = json!({"claims": {"groups": ["staff"], "email": null}});
    let (status, user) = admin.call(Method::PATCH, &path, Some(change)).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["claims"]["groups"], json!(["staff"]));
    assert!(
        user["claims"].get("email").is_none(),
        "null removes: {user}"
    );
    assert!(user.get("password_hash").is_none());
    let (_, read) = admin.call(Method::GET, &path, None).await;
    assert_eq!(read, user);

    // The same rules as `oxid user update`: OIDC Core §5.1 types, no protocol claims.
    for bad in [
        json!({"claims": {"email_verified": "yes"}}),
        json!({"claims": {"sub": "other"}}),
        json!({"claimz": {}}),
    ] {
        let (status, problem) = admin.call(Method::PATCH, &path, Some(bad.clone())).await;
        assert_eq!(status, 400, "{bad}: {problem}");
        assert_eq!(problem["status"], 400);
    }

    let password = format!("{path}/password");
    let new = "a new passphrase for alice";
    let (status, _) = admin
        .call(Method::PUT, &password, Some(json!({"password": new})))
        .await;
    assert_eq!(status, 204);
    let stored = admin.server.provider.store().get_user(&sub).await.unwrap();
    let stored = stored.unwrap();
    assert!(verify_password(new, &stored.password_hash));
    assert!(!verify_password(PASSWORD, &stored.password_hash));
    let (status, _) = admin
        .call(Method::PUT, &password, Some(json!({"password": ""})))
        .await;
    assert_eq!(status, 400);
    let (status, problem) = admin
        .call(
            Method::PUT,
            "/admin/v1/users/nobody/password",
            Some(json!({"password": new})),
        )
        .await;
    assert_eq!((status.as_u16(), &problem["status"]), (404, &json!(404)));
}

#[tokio::test]
async fn consents_are_listed_and_revoked_so_that_the_next_request_asks_again() {
    let admin = admin().await;
    let server = &admin.server;
    server.add_client("app", |_| {}).await;
    let browser = server.browser();
    obtain_code(server, &browser, "app", "openid email").await;
    let sub = admin.alice_sub().await;
    let consents = format!("/admin/v1/users/{sub}/consents");
    let (status, listed) = admin.call(Method::GET, &consents, None).await;
    assert_eq!(status, 200);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["client_id"], "app");
    assert_eq!(listed[0]["scopes"], json!(["openid", "email"]));

    // Remembered: prompt=none gets a code without asking.
    let ask = |browser: &reqwest::Client| {
        let query = auth_query("app", "openid email", &[("prompt", "none")]);
        browser
            .get(server.url(&format!("/authorize?{query}")))
            .send()
    };
    let (_, params) = location_params(&ask(&browser).await.unwrap());
    assert!(params.get("code").is_some(), "{params:?}");

    let (status, _) = admin
        .call(Method::DELETE, &format!("{consents}/app"), None)
        .await;
    assert_eq!(status, 204);
    let (_, listed) = admin.call(Method::GET, &consents, None).await;
    assert_eq!(listed, json!([]));
    // OIDC Core §3.1.2.6: consent is needed again, and prompt=none cannot ask for it.
    let (_, params) = location_params(&ask(&browser).await.unwrap());
    assert_eq!(params.get("error"), Some("consent_required"), "{params:?}");

    let (status, _) = admin
        .call(Method::DELETE, &format!("{consents}/app"), None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = admin
        .call(Method::GET, "/admin/v1/users/nobody/consents", None)
        .await;
    assert_eq!(status, 404);
}

async fn jwks_kids(server: &TestServer) -> Vec<String> {
    let jwks: Value = reqwest::get(server.url("/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = jwks["keys"].as_array().unwrap().iter();
    keys.map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

/// The kid of the `state` key of `alg` in a key list.
fn kid_of(keys: &Value, alg: &str, state: &str) -> String {
    let keys = keys.as_array().unwrap().iter();
    let mut found = keys.filter(|k| k["alg"] == alg && k["state"] == state);
    found.next().unwrap()["kid"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn keys_are_listed_with_ages_and_retired_gently_or_at_once() {
    let admin = admin().await;
    let server = &admin.server;
    server.clock.advance(90);
    let (status, keys) = admin.call(Method::GET, "/admin/v1/keys", None).await;
    assert_eq!(status, 200);
    for key in keys.as_array().unwrap() {
        assert_eq!(key["age_seconds"], 90, "{key}");
    }
    let current = kid_of(&keys, "ES256", "current");
    let next = kid_of(&keys, "ES256", "next");

    // Retired: the next key signs, a new next key is published, the old one still verifies.
    let path = format!("/admin/v1/keys/{current}/retire");
    let (status, retired) = admin.call(Method::POST, &path, None).await;
    assert_eq!(status, 200, "{retired}");
    assert_eq!(retired["state"], "retired");
    assert!(retired["expires_at"].as_u64().unwrap() > T0 + 90);
    let (_, keys) = admin.call(Method::GET, "/admin/v1/keys", None).await;
    assert_eq!(kid_of(&keys, "ES256", "current"), next);
    let new_next = kid_of(&keys, "ES256", "next");
    let signer = server.provider.keys();
    let es256 = oxid_provider::crypto::SigningAlg::ES256;
    assert_eq!(signer.signer(es256).unwrap().kid(), next);
    let published = jwks_kids(server).await;
    assert!(published.contains(&current) && published.contains(&new_next));

    // Forced: out of the JWKS at once.
    let (status, _) = admin
        .call(Method::POST, &format!("{path}?force=true"), None)
        .await;
    assert_eq!(status, 200);
    assert!(!jwks_kids(server).await.contains(&current));
    let (status, problem) = admin.call(Method::POST, &path, None).await;
    assert_eq!(status, 404, "{problem}");
    let (status, _) = admin
        .call(Method::POST, &format!("{path}?force=maybe"), None)
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn scopes_are_read_with_their_claims() {
    let admin = admin().await;
    let (status, scopes) = admin.call(Method::GET, "/admin/v1/scopes", None).await;
    assert_eq!(status, 200);
    let scope = |name: &str| {
        let all = scopes.as_array().unwrap().iter();
        all.clone().find(|s| s["name"] == name).cloned().unwrap()
    };
    assert_eq!(scope("openid")["about_user"], true);
    assert!(
        scope("email")["claims"]
            .as_array()
            .unwrap()
            .contains(&json!("email"))
    );
    assert_eq!(scope("read:records")["claims"], json!([]));
    assert_eq!(scope("read:records")["about_user"], false);
}

//! Token revocation (RFC 7009) and introspection (RFC 7662) through a real server.

mod common;

use common::*;
use serde_json::Value;

/// A response, read whole.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

/// How the caller authenticates.
#[derive(Clone, Copy)]
enum Auth<'a> {
    Basic(&'a str, &'a str),
    Post(&'a str, &'a str),
    None(&'a str),
}

impl Auth<'_> {
    fn client_id(&self) -> &str {
        match self {
            Auth::Basic(id, _) | Auth::Post(id, _) | Auth::None(id) => id,
        }
    }
}

async fn post(server: &TestServer, path: &str, auth: Auth<'_>, form: &[(&str, &str)]) -> Answer {
    let mut pairs: Vec<(&str, &str)> = form.to_vec();
    let mut request = reqwest::Client::new().post(server.url(path));
    match auth {
        Auth::Basic(id, secret) => request = request.basic_auth(id, Some(secret)),
        Auth::Post(id, secret) => {
            pairs.push(("client_id", id));
            pairs.push(("client_secret", secret));
        }
        Auth::None(id) => pairs.push(("client_id", id)),
    }
    let response = request.form(&pairs).send().await.unwrap();
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

async fn revoke(server: &TestServer, auth: Auth<'_>, form: &[(&str, &str)]) -> Answer {
    post(server, "/revoke", auth, form).await
}

async fn introspect(server: &TestServer, auth: Auth<'_>, token: &str) -> Value {
    let answer = post(server, "/introspect", auth, &[("token", token)]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    answer.json()
}

/// Code flow with `scope` for the client `auth` names, token exchange authenticated by
/// `auth`: the (access, refresh) tokens.
async fn tokens(server: &TestServer, auth: Auth<'_>, scope: &str) -> (String, String) {
    let code = obtain_code(server, &server.browser(), auth.client_id(), scope).await;
    let answer = post(
        server,
        "/token",
        auth,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = answer.json();
    (
        body["access_token"].as_str().unwrap().to_string(),
        body["refresh_token"].as_str().unwrap().to_string(),
    )
}

async fn refresh(server: &TestServer, auth: Auth<'_>, refresh_token: &str) -> Answer {
    post(
        server,
        "/token",
        auth,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

const SCOPE: &str = "openid email offline_access";

/// Registers `id` as a confidential client that authenticates with `client_secret_post`.
async fn add_post_client(server: &TestServer, id: &str) -> String {
    server
        .add_client(id, |c| c.auth_method = Some("client_secret_post".into()))
        .await
}

fn assert_inactive(introspection: &Value) {
    assert_eq!(
        introspection,
        &serde_json::json!({"active": false}),
        "RFC 7662 §2.2: an inactive token is `active: false` and nothing else"
    );
}

#[tokio::test]
async fn access_revocation_ends_userinfo_and_introspection_rfc7009_2_1() {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    let (access, refresh_token) = tokens(&server, Auth::Basic("app", &secret), SCOPE).await;
    assert_eq!(userinfo_status(&server, &access).await, 200);

    let answer = revoke(
        &server,
        Auth::Basic("app", &secret),
        &[("token", &access), ("token_type_hint", "access_token")],
    )
    .await;
    assert_eq!(answer.status, 200);
    assert!(answer.body.is_empty(), "RFC 7009 §2.2: no body needed");
    assert_eq!(answer.header("cache-control"), Some("no-store"));

    assert_eq!(userinfo_status(&server, &access).await, 401);
    assert_inactive(&introspect(&server, Auth::Basic("app", &secret), &access).await);
    // An access token revokes only itself: the refresh token of the grant still works.
    let refreshed = refresh(&server, Auth::Basic("app", &secret), &refresh_token).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
}

#[tokio::test]
async fn refresh_revocation_revokes_the_grant_rfc7009_2_1() {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    let (access, refresh_token) = tokens(&server, Auth::Basic("app", &secret), SCOPE).await;

    let answer = revoke(
        &server,
        Auth::Basic("app", &secret),
        &[
            ("token", &refresh_token),
            ("token_type_hint", "refresh_token"),
        ],
    )
    .await;
    assert_eq!(answer.status, 200);

    let refreshed = refresh(&server, Auth::Basic("app", &secret), &refresh_token).await;
    assert_eq!(refreshed.status, 400);
    assert_eq!(refreshed.json()["error"], "invalid_grant");
    // §2.1: "SHOULD also invalidate all access tokens based on the same authorization grant".
    assert_inactive(&introspect(&server, Auth::Basic("app", &secret), &access).await);
    assert_eq!(userinfo_status(&server, &access).await, 401);
}

#[tokio::test]
async fn a_wrong_hint_does_not_stop_the_search_rfc7009_2_1() {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    let (access, refresh_token) = tokens(&server, Auth::Basic("app", &secret), SCOPE).await;
    // The refresh token hinted as an access token, the access token with an unknown hint.
    let answer = revoke(
        &server,
        Auth::Basic("app", &secret),
        &[
            ("token", &refresh_token),
            ("token_type_hint", "access_token"),
        ],
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_inactive(&introspect(&server, Auth::Basic("app", &secret), &access).await);

    let (access, _) = tokens(&server, Auth::Basic("app", &secret), SCOPE).await;
    let answer = revoke(
        &server,
        Auth::Basic("app", &secret),
        &[("token", &access), ("token_type_hint", "id_token")],
    )
    .await;
    assert_eq!(
        answer.status, 200,
        "§2.2.1: every type is supported; the hint is ignored"
    );
    assert_inactive(&introspect(&server, Auth::Basic("app", &secret), &access).await);
}

#[tokio::test]
async fn another_clients_token_is_not_revoked_rfc7009_2_1() {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    let other_secret = server.add_client("other", |_| {}).await;
    let (access, refresh_token) = tokens(&server, Auth::Basic("app", &secret), SCOPE).await;

    for token in [&access, &refresh_token] {
        let answer = revoke(
            &server,
            Auth::Basic("other", &other_secret),
            &[("token", token)],
        )
        .await;
        assert_eq!(
            answer.status, 200,
            "§2.2: not the caller's token, still 200"
        );
        assert!(answer.body.is_empty());
    }
    let owner = Auth::Basic("app", &secret);
    assert_eq!(introspect(&server, owner, &access).await["active"], true);
    assert_eq!(
        introspect(&server, owner, &refresh_token).await["active"],
        true
    );
    assert_eq!(userinfo_status(&server, &access).await, 200);
}

#[tokio::test]
async fn unknown_token_is_200_rfc7009_2_2() {
    let server = TestServer::start().await;
    let secret = add_post_client(&server, "app").await;
    let answer = revoke(
        &server,
        Auth::Post("app", &secret),
        &[
            ("token", "no-such-token"),
            ("token_type_hint", "refresh_token"),
        ],
    )
    .await;
    assert_eq!(answer.status, 200);
    assert!(answer.body.is_empty());
}

#[tokio::test]
async fn missing_or_repeated_token_is_invalid_request_rfc7009_2_1_rfc7662_2_1() {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    for path in ["/revoke", "/introspect"] {
        let missing = post(
            &server,
            path,
            Auth::Basic("app", &secret),
            &[("token_type_hint", "access_token")],
        )
        .await;
        assert_eq!(missing.status, 400, "{path}");
        assert_eq!(missing.json()["error"], "invalid_request", "{path}");
        assert_eq!(missing.header("cache-control"), Some("no-store"));

        let repeated = post(
            &server,
            path,
            Auth::Basic("app", &secret),
            &[("token", "a"), ("token", "b")],
        )
        .await;
        assert_eq!(repeated.status, 400, "{path}");
        assert_eq!(repeated.json()["error"], "invalid_request", "{path}");
    }
}

#[tokio::test]
async fn only_form_posts_are_accepted_rfc7009_2_1_rfc7662_2_1() {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    for path in ["/revoke", "/introspect"] {
        let get = reqwest::Client::new()
            .get(server.url(&format!("{path}?token=x")))
            .basic_auth("app", Some(&secret))
            .send()
            .await
            .unwrap();
        assert_eq!(get.status(), 405, "{path}");

        let json = reqwest::Client::new()
            .post(server.url(path))
            .basic_auth("app", Some(&secret))
            .json(&serde_json::json!({"token": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(json.status(), 400, "{path}");
        let body: Value = json.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{path}");
    }
}

#[tokio::test]
async fn bad_client_secret_is_401_rfc7009_2_2_1_rfc7662_2_3() {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    let post_secret = add_post_client(&server, "app-post").await;
    let (access, _) = tokens(&server, Auth::Basic("app", &secret), SCOPE).await;
    let (post_access, _) = tokens(&server, Auth::Post("app-post", &post_secret), SCOPE).await;
    for path in ["/revoke", "/introspect"] {
        for auth in [
            Auth::Basic("app", "wrong-secret"),
            Auth::Post("app-post", "wrong-secret"),
            // A right secret sent with a method the client is not registered for.
            Auth::Basic("app-post", &post_secret),
            Auth::Basic("nobody", "x"),
        ] {
            let answer = post(&server, path, auth, &[("token", &access)]).await;
            assert_eq!(answer.status, 401, "{path}");
            assert_eq!(answer.json()["error"], "invalid_client", "{path}");
            assert_eq!(
                answer.header("www-authenticate"),
                Some("Basic realm=\"oxid\"")
            );
            assert_eq!(answer.header("cache-control"), Some("no-store"));
        }
    }
    // Nothing was revoked by the failed calls.
    assert_eq!(userinfo_status(&server, &access).await, 200);
    assert_eq!(userinfo_status(&server, &post_access).await, 200);
}

#[tokio::test]
async fn public_client_revokes_its_own_tokens_rfc7009_2_1() {
    let server = TestServer::start().await;
    server.add_client("spa", |c| c.public = true).await;
    let (access, refresh_token) = tokens(&server, Auth::None("spa"), SCOPE).await;

    let answer = revoke(&server, Auth::None("spa"), &[("token", &refresh_token)]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let refreshed = refresh(&server, Auth::None("spa"), &refresh_token).await;
    assert_eq!(refreshed.json()["error"], "invalid_grant");
    assert_eq!(userinfo_status(&server, &access).await, 401);
}

#[tokio::test]
async fn public_client_may_not_introspect_rfc7662_2_1() {
    let server = TestServer::start().await;
    server.add_client("spa", |c| c.public = true).await;
    let (access, _) = tokens(&server, Auth::None("spa"), SCOPE).await;
    // §2.1 requires authorization; `none` proves nothing, so it is a client authentication
    // failure (§2.3 → RFC 6749 §5.2 401), even for the client's own token.
    let answer = post(
        &server,
        "/introspect",
        Auth::None("spa"),
        &[("token", &access)],
    )
    .await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.json()["error"], "invalid_client");
    assert_eq!(
        answer.header("www-authenticate"),
        Some("Basic realm=\"oxid\"")
    );
    assert_eq!(userinfo_status(&server, &access).await, 200);
}

/// The user's `sub`, as userinfo says it.
async fn sub(server: &TestServer, access_token: &str) -> String {
    let info: Value = userinfo_get(server, access_token).await;
    info["sub"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn active_access_token_carries_every_member_rfc7662_2_2() {
    let server = TestServer::start().await;
    let secret = add_post_client(&server, "app").await;
    let (access, _) = tokens(&server, Auth::Post("app", &secret), SCOPE).await;
    let sub = sub(&server, &access).await;
    let lifetime = server.provider.config().lifetimes.access_token;

    let body = introspect(&server, Auth::Post("app", &secret), &access).await;
    let expected = serde_json::json!({
        "active": true,
        "scope": SCOPE,
        "client_id": "app",
        "username": USER,
        "token_type": "Bearer",
        "exp": T0 + lifetime,
        "iat": T0,
        "sub": sub,
        "aud": "app",
        "iss": server.base,
    });
    assert_eq!(body, expected);
}

#[tokio::test]
async fn active_refresh_token_carries_every_member_rfc7662_2_2() {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    let (access, refresh_token) = tokens(&server, Auth::Basic("app", &secret), SCOPE).await;
    let sub = sub(&server, &access).await;
    let lifetime = server.provider.config().lifetimes.refresh_token;

    let body = introspect(&server, Auth::Basic("app", &secret), &refresh_token).await;
    let expected = serde_json::json!({
        "active": true,
        "scope": SCOPE,
        "client_id": "app",
        "username": USER,
        "token_type": "refresh_token",
        "exp": T0 + lifetime,
        "iat": T0,
        "sub": sub,
        "aud": "app",
        "iss": server.base,
    });
    assert_eq!(body, expected);
}

#[tokio::test]
async fn expired_token_is_inactive_rfc7662_2_2() {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    let (access, refresh_token) = tokens(&server, Auth::Basic("app", &secret), SCOPE).await;
    let lifetimes = server.provider.config().lifetimes;
    let auth = Auth::Basic("app", &secret);

    server.clock.advance(lifetimes.access_token - 1);
    assert_eq!(introspect(&server, auth, &access).await["active"], true);
    server.clock.advance(1);
    assert_inactive(&introspect(&server, auth, &access).await);
    assert_eq!(
        introspect(&server, auth, &refresh_token).await["active"],
        true
    );

    server
        .clock
        .advance(lifetimes.refresh_token - lifetimes.access_token);
    assert_inactive(&introspect(&server, auth, &refresh_token).await);
}

#[tokio::test]
async fn rotated_refresh_token_is_inactive_rfc7662_2_2() {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    let (_, refresh_token) = tokens(&server, Auth::Basic("app", &secret), SCOPE).await;
    let auth = Auth::Basic("app", &secret);
    let refreshed = refresh(&server, auth, &refresh_token).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let new_refresh = refreshed.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();

    assert_inactive(&introspect(&server, auth, &refresh_token).await);
    assert_eq!(
        introspect(&server, auth, &new_refresh).await["active"],
        true
    );
}

#[tokio::test]
async fn a_resource_server_sees_access_tokens_only_the_owner_sees_refresh_tokens_rfc7662_2_2() {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    let other_secret = server.add_client("other", |_| {}).await;
    let (access, refresh_token) = tokens(&server, Auth::Basic("app", &secret), SCOPE).await;
    let other = Auth::Basic("other", &other_secret);
    // RFC 7662 §1: protected resources introspect tokens issued to other clients.
    let seen = introspect(&server, other, &access).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["client_id"], "app");
    assert_inactive(&introspect(&server, other, &refresh_token).await);
    assert_inactive(&introspect(&server, other, "no-such-token").await);
}

#[tokio::test]
async fn discovery_advertises_what_is_served_rfc8414_2() {
    let server = TestServer::start().await;
    let secret = server.add_client("app", |_| {}).await;
    let post_secret = add_post_client(&server, "app-post").await;
    for document in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let metadata: Value = reqwest::get(server.url(document))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(metadata["revocation_endpoint"], server.url("/revoke"));
        assert_eq!(
            metadata["introspection_endpoint"],
            server.url("/introspect")
        );
        assert_eq!(
            metadata["revocation_endpoint_auth_methods_supported"],
            metadata["token_endpoint_auth_methods_supported"],
            "revocation authenticates clients as the token endpoint does"
        );
        assert_eq!(
            metadata["introspection_endpoint_auth_methods_supported"],
            serde_json::json!([
                "client_secret_basic",
                "client_secret_post",
                "client_secret_jwt",
                "private_key_jwt"
            ]),
            "RFC 7662 §2.1: no `none` at introspection"
        );

        // Each advertised confidential method works at the advertised URL.
        let revocation = metadata["revocation_endpoint"].as_str().unwrap();
        let introspection = metadata["introspection_endpoint"].as_str().unwrap();
        let methods = metadata["introspection_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap();
        for method in methods {
            let auth = match method.as_str().unwrap() {
                "client_secret_basic" => Auth::Basic("app", &secret),
                "client_secret_post" => Auth::Post("app-post", &post_secret),
                // At both endpoints in jwt_client_auth_keys.rs.
                "client_secret_jwt" | "private_key_jwt" => continue,
                other => panic!("unexpected method {other}"),
            };
            let (access, _) = tokens(&server, auth, SCOPE).await;
            let path = |url: &str| url.strip_prefix(&server.base).unwrap().to_string();
            let seen = post(&server, &path(introspection), auth, &[("token", &access)]).await;
            assert_eq!(seen.json()["active"], true, "{method}");
            let revoked = post(&server, &path(revocation), auth, &[("token", &access)]).await;
            assert_eq!(revoked.status, 200, "{method}");
            assert_inactive(&introspect(&server, auth, &access).await);
        }
    }
}

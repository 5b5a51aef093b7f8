//! Token grants with every client authentication method, UserInfo, introspection,
//! revocation, logout URL and protected resource discovery, against a provider played by
//! the test.

mod common;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::op::{CLIENT_ID, NOW, Op};
use oxid_client::client_auth::JWT_BEARER_ASSERTION;
use oxid_client::jws::{JwkParams, VerifyingKey};
use oxid_client::resource::{discover_from_challenge, discover_resource};
use oxid_client::{ClientAuth, ClientError, HttpClient, JwsAlgorithm, SigningKey};
use oxid_protocol::authorization::AuthErrorCode;
use oxid_protocol::bearer::BearerErrorCode;
use oxid_protocol::scope::Scope;
use oxid_protocol::token::TokenErrorCode;
use serde_json::{Value, json};

fn bearer_ok(op: &Op) {
    op.mock.set_json(
        "/token",
        200,
        &json!({"access_token": "at", "token_type": "Bearer"}),
    );
}

fn assertion_claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn verify_assertion(jwt: &str, key: &VerifyingKey, alg: JwsAlgorithm) {
    let (input, sig) = jwt.rsplit_once('.').unwrap();
    key.verify(alg, input.as_bytes(), &URL_SAFE_NO_PAD.decode(sig).unwrap())
        .unwrap();
}

#[tokio::test]
async fn client_secret_post_and_none_put_credentials_in_the_body_rfc6749_2_3_1() {
    let op = Op::start().await;
    bearer_ok(&op);
    let client = op.client(ClientAuth::ClientSecretPost("p@ss".into())).await;
    client
        .client_credentials(Some(Scope::parse("api").unwrap()))
        .await
        .unwrap();
    let request = op.mock.last("/token");
    let form = request.form();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["scope"], "api");
    assert_eq!(form["client_id"], CLIENT_ID);
    assert_eq!(form["client_secret"], "p@ss");
    assert_eq!(request.header("authorization"), None);

    let public = op.client(ClientAuth::None).await;
    public.client_credentials(None).await.unwrap();
    let form = op.mock.last("/token").form();
    assert_eq!(form["client_id"], CLIENT_ID);
    assert!(!form.contains_key("client_secret"));
}

#[tokio::test]
async fn client_secret_jwt_sends_an_hmac_assertion_oidc_core_9() {
    let op = Op::start().await;
    bearer_ok(&op);
    let auth = ClientAuth::ClientSecretJwt {
        secret: "jwt-secret".into(),
        alg: JwsAlgorithm::HS256,
    };
    op.client(auth)
        .await
        .client_credentials(None)
        .await
        .unwrap();
    let form = op.mock.last("/token").form();
    assert_eq!(form["client_assertion_type"], JWT_BEARER_ASSERTION);
    let jwt = &form["client_assertion"];
    verify_assertion(
        jwt,
        &VerifyingKey::from_client_secret("jwt-secret"),
        JwsAlgorithm::HS256,
    );
    let claims = assertion_claims(jwt);
    assert_eq!(claims["iss"], CLIENT_ID);
    assert_eq!(claims["sub"], CLIENT_ID);
    assert_eq!(claims["aud"], op.mock.url("/token"));
    assert_eq!(claims["iat"], NOW);
    assert!(claims["exp"].as_u64().unwrap() > NOW);
}

#[tokio::test]
async fn private_key_jwt_signs_with_the_client_key_rfc7523_2_2() {
    let op = Op::start().await;
    bearer_ok(&op);
    let key =
        Arc::new(SigningKey::generate(JwsAlgorithm::PS256, Some("client-key".into())).unwrap());
    let client = op.client(ClientAuth::PrivateKeyJwt(key.clone())).await;
    client.client_credentials(None).await.unwrap();
    let form = op.mock.last("/token").form();
    let jwt = &form["client_assertion"];
    let jwk = key.public_jwk().unwrap();
    let s = |k: &str| jwk.get(k).and_then(Value::as_str);
    let params = JwkParams {
        kty: "RSA",
        n: s("n"),
        e: s("e"),
        ..Default::default()
    };
    verify_assertion(
        jwt,
        &VerifyingKey::from_jwk(&params, JwsAlgorithm::PS256).unwrap(),
        JwsAlgorithm::PS256,
    );
    // Two assertions never share a jti (RFC 7523 §3 item 7).
    client.client_credentials(None).await.unwrap();
    let again = op.mock.last("/token").form();
    assert_ne!(
        assertion_claims(jwt)["jti"],
        assertion_claims(&again["client_assertion"])["jti"]
    );
}

#[tokio::test]
async fn refresh_and_password_grants_send_their_parameters_rfc6749_6_and_4_3() {
    let op = Op::start().await;
    let client = op.client(ClientAuth::ClientSecretBasic("s".into())).await;
    let id_token = op.id_token(json!({}));
    op.mock.set_json(
        "/token",
        200,
        &json!({"access_token": "at-2", "token_type": "bearer", "refresh_token": "rt-2", "id_token": id_token}),
    );
    let tokens = client.refresh("rt-1", None, Some("alice")).await.unwrap();
    assert_eq!(tokens.response.refresh_token.as_deref(), Some("rt-2"));
    let form = op.mock.last("/token").form();
    assert_eq!(form["grant_type"], "refresh_token");
    assert_eq!(form["refresh_token"], "rt-1");
    // OIDC Core §12.2: the refreshed ID token must be about the same user.
    assert!(client.refresh("rt-1", None, Some("bob")).await.is_err());

    client
        .password("alice", "pw d", Some(Scope::parse("openid").unwrap()))
        .await
        .unwrap();
    let form = op.mock.last("/token").form();
    assert_eq!(form["grant_type"], "password");
    assert_eq!(form["username"], "alice");
    assert_eq!(form["password"], "pw d");
}

#[tokio::test]
async fn token_errors_are_the_protocol_errors_rfc6749_5_2() {
    let op = Op::start().await;
    let client = op.client(ClientAuth::None).await;
    op.mock.set_json(
        "/token",
        400,
        &json!({"error": "invalid_grant", "error_description": "expired"}),
    );
    match client.refresh("rt", None, None).await {
        Err(ClientError::Token(e)) => assert_eq!(e.error, TokenErrorCode::InvalidGrant),
        other => panic!("unexpected {other:?}"),
    }
    op.mock.set_json(
        "/token",
        200,
        &json!({"access_token": "at", "token_type": "N_A"}),
    );
    assert!(client.client_credentials(None).await.is_err());
}

#[tokio::test]
async fn userinfo_json_and_signed_oidc_core_5_3() {
    let op = Op::start().await;
    let client = op.client(ClientAuth::None).await;
    op.mock.set_json(
        "/userinfo",
        200,
        &json!({"sub": "alice", "email": "a@example.com"}),
    );
    let info = client.userinfo("at-1", Some("alice")).await.unwrap();
    assert_eq!(info.get_str("email"), Some("a@example.com"));
    assert_eq!(
        op.mock.last("/userinfo").header("authorization").as_deref(),
        Some("Bearer at-1")
    );
    // OIDC Core §5.3.2: sub must match the ID token's.
    assert!(client.userinfo("at-1", Some("bob")).await.is_err());

    let signed = op.id_token(json!({"email": "signed@example.com"}));
    op.mock.set("/userinfo", 200, "application/jwt", signed);
    let info = client.userinfo("at-1", Some("alice")).await.unwrap();
    assert_eq!(info.get_str("email"), Some("signed@example.com"));
    let other_aud = op.id_token(json!({"aud": "someone-else"}));
    op.mock.set("/userinfo", 200, "application/jwt", other_aud);
    assert!(client.userinfo("at-1", None).await.is_err());
    let forged = SigningKey::generate(JwsAlgorithm::ES256, Some("k1".into())).unwrap();
    op.mock.set(
        "/userinfo",
        200,
        "application/jwt",
        op.sign_with(&forged, &op.claims(json!({}))),
    );
    assert!(client.userinfo("at-1", None).await.is_err());

    op.mock.set_with_headers(
        "/userinfo",
        401,
        "application/json",
        vec![(
            "www-authenticate".into(),
            r#"Bearer error="invalid_token", error_description="expired""#.into(),
        )],
        "",
    );
    match client.userinfo("at-1", None).await {
        Err(ClientError::Userinfo(e)) => {
            assert_eq!(e.bearer_code(), Some(BearerErrorCode::InvalidToken));
            assert_eq!(e.error_description.as_deref(), Some("expired"));
        }
        other => panic!("{other:?}"),
    }

    // Seed 004: a UserInfo error is read from a JSON body too, whatever its code; a body
    // without `error` is no error response, only a status.
    op.mock.set_json(
        "/userinfo",
        500,
        &json!({"error": "server_error", "error_description": "database down"}),
    );
    match client.userinfo("at-1", None).await {
        Err(ClientError::Userinfo(e)) => {
            assert_eq!(e.error, "server_error");
            assert_eq!(e.error_description.as_deref(), Some("database down"));
        }
        other => panic!("{other:?}"),
    }
    op.mock
        .set_json("/userinfo", 500, &json!({"error_description": "no code"}));
    assert!(matches!(
        client.userinfo("at-1", None).await,
        Err(ClientError::Status { status: 500, .. })
    ));
}

#[tokio::test]
async fn introspection_and_revocation_rfc7662_rfc7009() {
    let op = Op::start().await;
    let client = op.client(ClientAuth::ClientSecretBasic("s".into())).await;
    op.mock.set_json(
        "/introspect",
        200,
        &json!({"active": true, "sub": "alice", "scope": "openid api"}),
    );
    let answer = client
        .introspect("at-1", Some("access_token"))
        .await
        .unwrap();
    assert!(answer.active);
    assert_eq!(answer.sub.as_deref(), Some("alice"));
    op.mock.assert_introspected_with_basic("at-1");

    op.mock.set("/revoke", 200, "text/plain", "");
    client.revoke("rt-1", Some("refresh_token")).await.unwrap();
    assert_eq!(op.mock.last("/revoke").form()["token"], "rt-1");
    op.mock
        .set_json("/revoke", 400, &json!({"error": "unsupported_token_type"}));
    assert!(matches!(
        client.revoke("x", None).await,
        Err(ClientError::Token(_))
    ));
}

#[tokio::test]
async fn logout_url_and_callback_errors() {
    let op = Op::start().await;
    let client = op.client(ClientAuth::None).await;
    let url = client
        .logout_url(Some("idt"), Some("https://rp.example/bye"), Some("st"))
        .unwrap();
    assert!(url.starts_with(&op.mock.url("/logout?")));
    assert!(url.contains("id_token_hint=idt") && url.contains("client_id=client-1"));

    let start = client
        .authorization_url(
            "http://127.0.0.1:1/cb",
            &Scope::parse("openid").unwrap(),
            &[],
        )
        .unwrap();
    let iss: String = url::form_urlencoded::byte_serialize(op.mock.base.as_bytes()).collect();
    let q = format!(
        "error=login_required&state={}&iss={iss}",
        start.session.state
    );
    match client.handle_callback(&start.session, &q) {
        Err(ClientError::Authorization(e)) => assert_eq!(e.error, AuthErrorCode::LoginRequired),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn protected_resource_leads_to_its_authorization_server_rfc9728() {
    let op = Op::start().await;
    let resource = op.mock.url("/mcp");
    op.mock.set_json(
        "/.well-known/oauth-protected-resource/mcp",
        200,
        &json!({"resource": resource, "authorization_servers": [op.mock.base], "scopes_supported": ["mcp"]}),
    );
    let http = HttpClient::new().unwrap();
    let found = discover_resource(&http, &resource).await.unwrap();
    assert_eq!(found.authorization_servers, vec![op.mock.base.clone()]);
    // From a 401's challenge, as MCP clients do.
    let header = format!(
        r#"Bearer realm="mcp", resource_metadata="{}""#,
        op.mock.url("/.well-known/oauth-protected-resource/mcp")
    );
    let found = discover_from_challenge(&http, &resource, &header)
        .await
        .unwrap();
    let provider = oxid_client::Provider::discover_authorization_server(
        &http,
        &found.authorization_servers[0],
        false,
    )
    .await
    .unwrap();
    assert_eq!(provider.issuer, op.mock.base);
    // Only the OpenID document is served: the RFC 8414 one was tried first.
    assert_eq!(
        op.mock
            .requests("/.well-known/oauth-authorization-server")
            .len(),
        1
    );
    // A document about another resource is refused (RFC 9728 §3.3).
    assert!(
        discover_from_challenge(&http, &op.mock.url("/other"), &header)
            .await
            .is_err()
    );
    op.mock.set_json(
        "/.well-known/oauth-protected-resource/mcp",
        200,
        &json!({"resource": "https://evil.example/mcp", "authorization_servers": ["https://evil.example"]}),
    );
    assert!(discover_resource(&http, &resource).await.is_err());
}

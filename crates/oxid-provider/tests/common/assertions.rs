//! Client assertions (RFC 7523 §3) for the JWT client authentication tests: keys, clients
//! registered with them, claims, signing, and the token-like endpoints' answers.

use super::*;
use oxid_client::jws::JwsAlgorithm;
use oxid_client::signing::SigningKey;
use oxid_provider::clock::Clock;
use serde_json::{Map, Value, json};

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A server whose outbound fetches may reach 127.0.0.1 (the test's `jwks_uri` server), with
/// the API scope `api:read` its clients ask for.
pub async fn server() -> TestServer {
    TestServer::start_with(|s| {
        s.outbound.allow_private_addresses = true;
        s.scopes = api_scopes(&["api:read"]);
    })
    .await
}

/// A key of `alg` with `kid`.
pub fn key(alg: JwsAlgorithm, kid: &str) -> SigningKey {
    SigningKey::generate(alg, Some(kid.into())).unwrap()
}

/// A JWK Set of the public halves of `keys`.
pub fn jwks(keys: &[&SigningKey]) -> Value {
    json!({"keys": keys.iter().map(|k| k.public_jwk().unwrap()).collect::<Vec<_>>()})
}

/// Registers `id` for client_credentials with `method` and the members of `metadata`
/// (`jwks`, `jwks_uri`, `token_endpoint_auth_signing_alg`), as `oxid client add` does (the
/// secret of a client_secret_jwt client is kept encrypted); returns its secret.
pub async fn register_jwt_client(
    server: &TestServer,
    id: &str,
    method: &str,
    metadata: Value,
) -> String {
    let member = |name: &str| metadata.get(name).cloned();
    let string = |name: &str| member(name).and_then(|v| v.as_str().map(String::from));
    server
        .add_client(id, |c| {
            c.grant_types = vec!["client_credentials".into()];
            c.redirect_uris = Vec::new();
            c.auth_method = Some(method.into());
            c.scopes = vec!["api:read".into()];
            c.jwks = member("jwks");
            c.jwks_uri = string("jwks_uri");
            c.token_endpoint_auth_signing_alg = string("token_endpoint_auth_signing_alg");
            if method == "private_key_jwt" {
                // Registration refuses a secret for a client that has keys instead.
                c.client_secret = None;
            }
        })
        .await
}

/// Good claims for `client_id` at the server's clock: aud the token endpoint, 60 s to live.
pub fn claims(server: &TestServer, client_id: &str) -> Map<String, Value> {
    let now = server.clock.now();
    let claims = json!({
        "iss": client_id,
        "sub": client_id,
        "aud": server.url("/token"),
        "jti": format!("jti-{}", rand_suffix()),
        "iat": now,
        "exp": now + 60,
    });
    claims.as_object().unwrap().clone()
}

pub fn rand_suffix() -> String {
    oxid_client::random::random_string(12).unwrap()
}

pub fn sign(key: &SigningKey, claims: &Map<String, Value>) -> String {
    let claims = Value::Object(claims.clone());
    key.sign_compact(Some("JWT"), Map::new(), &claims).unwrap()
}

/// `client_credentials` at the token endpoint with `assertion` (and `client_id` when given):
/// the status and the JSON answer.
pub async fn token_with(
    server: &TestServer,
    client_id: Option<&str>,
    assertion: &str,
) -> (u16, Value) {
    post_with(
        server,
        "/token",
        client_id,
        assertion,
        &[("grant_type", "client_credentials")],
    )
    .await
}

pub async fn post_with(
    server: &TestServer,
    path: &str,
    client_id: Option<&str>,
    assertion: &str,
    extra: &[(&str, &str)],
) -> (u16, Value) {
    let mut form = vec![
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion),
    ];
    form.extend(client_id.map(|id| ("client_id", id)));
    form.extend_from_slice(extra);
    let response = reqwest::Client::new()
        .post(server.url(path))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// The answer is RFC 6749 §5.2 `invalid_client`, 401, and its description says `why`.
pub fn assert_refused((status, body): (u16, Value), why: &str) {
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client", "{body}");
    let description = body["error_description"].as_str().unwrap_or_default();
    assert!(description.contains(why), "{why:?} not in {description:?}");
}

pub fn assert_accepted((status, body): (u16, Value)) {
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string(), "{body}");
}

/// A [`server`] with client `pk` registered for private_key_jwt with the `jwks` of a new
/// `alg` key (kid `k1`), and that key.
pub async fn private_key_client(alg: JwsAlgorithm) -> (TestServer, SigningKey) {
    let server = server().await;
    let k = key(alg, "k1");
    register_key(&server, "pk", &k).await;
    (server, k)
}

/// Registers `id` for private_key_jwt with the `jwks` of `key`; returns its (unused) secret.
pub async fn register_key(server: &TestServer, id: &str, key: &SigningKey) -> String {
    register_jwt_client(server, id, "private_key_jwt", json!({"jwks": jwks(&[key])})).await
}

/// Client credentials for `pk`, its assertion signed by `key` with good claims but `claim`
/// set to `value`.
pub async fn token_with_claim(
    server: &TestServer,
    key: &SigningKey,
    claim: &str,
    value: Value,
) -> (u16, Value) {
    let mut c = claims(server, "pk");
    c.insert(claim.into(), value);
    token_with(server, Some("pk"), &sign(key, &c)).await
}

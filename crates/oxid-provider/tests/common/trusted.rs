//! A trusted issuer for the JWT bearer grant (RFC 7523) and token exchange (RFC 8693) tests:
//! its keys served on 127.0.0.1, a provider that trusts it, JWTs it signs (with our client
//! library, or with panva's `jose` through Node: an implementation independent of ours), and
//! the token endpoint's answers.

use super::assertions::{jwks, key, rand_suffix};
use super::*;
use oxid_client::jws::JwsAlgorithm;
use oxid_client::signing::SigningKey;
use oxid_provider::clock::Clock;
use oxid_provider::trusted_issuers::TrustedIssuerSetting;
use serde_json::{Map, Value, json};

#[allow(unused_imports)] // the token exchange tests sign with it too
pub use super::assertions::sign;

/// The trusted issuer's `iss`.
pub const IDP: &str = "https://idp.example.com";
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// Serves `keys` (a JWK Set) at a `jwks_uri` on 127.0.0.1.
pub async fn serve_jwks(keys: Value) -> String {
    use axum::routing::get;
    let app = axum::Router::new().route("/jwks", get(move || async move { axum::Json(keys) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// `[[trusted_issuers]]` for [`IDP`] at `jwks_uri`, granting `openid` and `api:read`.
pub fn idp_setting(jwks_uri: &str, mapping: &str) -> TrustedIssuerSetting {
    toml::from_str(&format!(
        "issuer = \"{IDP}\"\njwks_uri = \"{jwks_uri}\"\nsubject_mapping = \"{mapping}\"\n\
         scopes = [\"openid\", \"api:read\"]\nmax_lifetime_seconds = 300"
    ))
    .unwrap()
}

/// A provider (clock at the wall-clock time) trusting [`IDP`] whose key is `idp_key` (or the
/// public JWK `idp_jwk`), mapping subjects by `mapping`, with the API scopes `api:read` and
/// `api:write`, and `adjust` applied last.
pub async fn trusting_server(
    idp_jwks: Value,
    mapping: &str,
    adjust: impl FnOnce(&mut oxid_provider::config::Settings),
) -> TestServer {
    let uri = serve_jwks(idp_jwks).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mapping = mapping.to_string();
    TestServer::start_at(now, move |s| {
        s.outbound.allow_private_addresses = true;
        s.scopes = api_scopes(&["api:read", "api:write"]);
        s.trusted_issuers = vec![idp_setting(&uri, &mapping)];
        adjust(s);
    })
    .await
}

/// The IdP's ES256 key (kid `idp-1`).
pub fn idp_key() -> SigningKey {
    key(JwsAlgorithm::ES256, "idp-1")
}

/// The JWK Set of `keys`.
pub fn idp_jwks(keys: &[&SigningKey]) -> Value {
    jwks(keys)
}

/// Registers `id` (client_secret_basic) for `grants` with scopes openid, api:read, api:write.
pub async fn register_for(server: &TestServer, id: &str, grants: &[&str]) -> String {
    server
        .add_client(id, |c| {
            c.grant_types = grants.iter().map(|g| g.to_string()).collect();
            c.redirect_uris = Vec::new();
            c.scopes = vec!["openid".into(), "api:read".into(), "api:write".into()];
        })
        .await
}

/// Good assertion claims (RFC 7523 §3) from [`IDP`] about `sub`: aud our token endpoint,
/// 60 s to live, a fresh `jti`.
pub fn idp_claims(server: &TestServer, sub: &str) -> Map<String, Value> {
    let now = server.clock.now();
    json!({
        "iss": IDP,
        "sub": sub,
        "aud": server.url("/token"),
        "jti": format!("jti-{}", rand_suffix()),
        "iat": now,
        "exp": now + 60,
    })
    .as_object()
    .unwrap()
    .clone()
}

/// A key pair made by `jose` (Node), an implementation independent of ours.
#[derive(Debug, Clone)]
pub struct JoseKey {
    pub alg: String,
    pub kid: String,
    /// The public JWK.
    pub public: Value,
    /// The private JWK, handed back to `jose` to sign.
    private: Value,
}

impl JoseKey {
    /// A new `alg` key pair with `kid`.
    pub fn generate(alg: &str, kid: &str) -> JoseKey {
        let out = run_jose(json!({"alg": alg, "kid": kid, "claims": []}));
        JoseKey {
            alg: alg.into(),
            kid: kid.into(),
            public: out["jwk"].clone(),
            private: out["key"].clone(),
        }
    }

    /// `claims` signed by `jose` with this key.
    pub fn sign(&self, claims: &Map<String, Value>) -> String {
        let input = json!({"alg": self.alg, "kid": self.kid, "claims": [claims],
                           "key": self.private});
        run_jose(input)["jwts"][0].as_str().unwrap().to_string()
    }
}

/// Whether panva's `jose` (installed by `npm ci --prefix interop/node`, as `.ci/run` does) and
/// Node are here; says loudly when not, so the test that needs them can skip.
pub fn jose_available() -> bool {
    let modules = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../interop/node/node_modules/jose"
    );
    let node = std::process::Command::new("node").arg("--version").output();
    let here = std::path::Path::new(modules).exists() && node.is_ok_and(|o| o.status.success());
    if !here {
        eprintln!(
            "\n!!! SKIPPED: assertions signed by panva's jose need Node and \
             `npm ci --prefix interop/node` (.ci/run installs them) !!!\n"
        );
    }
    here
}

/// Runs interop/node/lib/sign-jwts.mjs with `input`; its JSON answer.
fn run_jose(input: Value) -> Value {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../interop/node/lib/sign-jwts.mjs"
    );
    let modules = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../interop/node/node_modules/jose"
    );
    assert!(
        std::path::Path::new(modules).exists(),
        "the jose package is missing: run `npm ci --prefix interop/node`"
    );
    let mut child = Command::new("node")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "sign-jwts.mjs failed");
    serde_json::from_slice(&output.stdout).unwrap()
}

/// POSTs `form` to the token endpoint as `client_id` (HTTP Basic); the status and JSON.
pub async fn token_as(
    server: &TestServer,
    client_id: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(client_id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Introspects `token` as `client_id`.
pub async fn introspect_as(
    server: &TestServer,
    client_id: &str,
    secret: &str,
    token: &str,
) -> Value {
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

/// The answer is RFC 6749 §5.2's 400 with `error`, and its description contains `why`.
pub fn assert_error((status, body): &(u16, Value), error: &str, why: &str) {
    assert_eq!(*status, 400, "{body}");
    assert_eq!(body["error"], error, "{body}");
    let description = body["error_description"].as_str().unwrap_or_default();
    assert!(description.contains(why), "{why:?} not in {description:?}");
}

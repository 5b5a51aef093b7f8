//! A real provider on 127.0.0.1:0 over an in-memory SQLite store, a moveable clock, and a
//! browser-like HTTP client with a cookie jar that does not follow redirects; the conformance
//! suite's relying party ([`suite`]) and baseline checks ([`checks`]).
#![allow(dead_code)]

pub mod assertions;
mod checks;
mod dpop_proofs;
mod dynamic;
pub mod front;
pub mod oxid_rp;
mod receiver;
mod suite;
pub mod trusted;

pub use checks::*;
#[allow(unused_imports)] // only the DPoP and FAPI 2.0 tests use it
pub use dpop_proofs::*;
#[allow(unused_imports)] // only the registration tests use it
pub use dynamic::*;
#[allow(unused_imports)] // only the logout tests use it
pub use receiver::*;
pub use suite::*;

use oxid_protocol::params::Params;
use oxid_provider::Provider;
use oxid_provider::admin::{NewClient, NewUser, add_client, add_user};
use oxid_provider::clock::TestClock;
use oxid_provider::config::{ProviderConfig, Settings};
use oxid_provider::crypto::SecretBox;
use oxid_provider::server::Backend;
use reqwest::redirect::Policy;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// 2026-01-01T00:00:00Z.
pub const T0: u64 = 1_767_225_600;

pub struct TestServer {
    /// The issuer.
    pub base: String,
    /// This instance's own address with the issuer's path (a sibling listens elsewhere).
    pub address: String,
    pub provider: Provider,
    pub clock: TestClock,
}

pub const USER: &str = "alice";
pub const PASSWORD: &str = "correct horse battery staple";
pub const REDIRECT: &str = "https://app.example.com/callback";

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// Starts with settings changed by `adjust` (the issuer is set to the bound address).
    pub async fn start_with(adjust: impl FnOnce(&mut Settings)) -> TestServer {
        Self::start_at(T0, adjust).await
    }

    /// Starts with the clock at the wall-clock time, for third-party clients that read it.
    pub async fn start_now() -> TestServer {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        Self::start_at(now, |_| {}).await
    }

    /// Starts with the clock at `start`.
    pub async fn start_at(start: u64, adjust: impl FnOnce(&mut Settings)) -> TestServer {
        Self::launch(adjust, "sqlite::memory:", TestClock::new(start), true).await
    }

    /// Starts another instance over the shared store at `store_url`, with the same issuer,
    /// encryption key and clock as `first`: the scale-out set-up, many instances, one database.
    pub async fn start_sibling(first: &TestServer, store_url: &str) -> TestServer {
        let issuer = first.base.clone();
        Self::launch(
            move |s| s.issuer = issuer,
            store_url,
            first.clock.clone(),
            false,
        )
        .await
    }

    /// Starts over the store at `store_url` (creating the test user when `create_user`).
    pub async fn launch(
        adjust: impl FnOnce(&mut Settings),
        store_url: &str,
        clock: TestClock,
        create_user: bool,
    ) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut settings = Settings {
            issuer: base.clone(),
            ..Settings::default()
        };
        // Two key types keep start-up fast; the other algorithms are tested in crypto.
        settings.keys.algs = vec!["RS256".into(), "ES256".into()];
        adjust(&mut settings);
        let issuer = settings.issuer.clone();
        let backend = Backend {
            config: ProviderConfig::from_settings(&settings).unwrap(),
            store: oxid_store::open_with(store_url, &settings.store_options())
                .await
                .unwrap(),
            secret_box: SecretBox::new([42; 32]),
            clock: Arc::new(clock.clone()),
        };
        backend.ensure_keys().await.unwrap();
        let provider = Provider::start(backend).await.unwrap();
        // As `serve` does: this instance delivers back-channel logouts from the outbox.
        provider.spawn_backchannel_sender();
        let app = oxid_provider::http::router(provider.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        let issuer_path = provider.config().issuer_path().to_string();
        let server = TestServer {
            base: issuer,
            provider,
            clock,
            address: format!("{base}{issuer_path}"),
        };
        if create_user {
            let mut claims = Map::new();
            claims.insert("email".into(), json!("alice@example.com"));
            claims.insert("email_verified".into(), json!(true));
            claims.insert("name".into(), json!("Alice Liddell"));
            claims.insert("phone_number".into(), json!("+33 1 23 45 67 89"));
            claims.insert("address".into(), json!({"country": "FR"}));
            let user = NewUser {
                username: USER.into(),
                password: PASSWORD.into(),
                claims,
            };
            add_user(server.provider.store(), user, T0).await.unwrap();
        }
        server
    }

    /// Registers a confidential client `id` with secret `secret-of-{id}` (padded to 32+ bytes).
    pub async fn add_client(&self, id: &str, adjust: impl FnOnce(&mut NewClient)) -> String {
        let secret = format!("secret-of-{id}-0123456789abcdefghijklmnop");
        let mut new = NewClient {
            client_id: id.into(),
            client_secret: Some(secret.clone()),
            client_name: Some(format!("App {id}")),
            redirect_uris: vec![REDIRECT.into()],
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            ..NewClient::default()
        };
        adjust(&mut new);
        if new.public {
            new.client_secret = None;
        }
        let provider = &self.provider;
        add_client(
            provider.capabilities(),
            provider.store(),
            provider.secret_box(),
            new,
            T0,
        )
        .await
        .unwrap();
        secret
    }

    /// Adds client `id` for `grants` alone, with no redirect URI (the device and password
    /// grants use none; RFC 8628 §3.1, RFC 6749 §4.3), public or confidential; its secret.
    pub async fn add_grant_client(&self, id: &str, grants: &[&str], public: bool) -> String {
        self.add_client(id, |c| {
            c.grant_types = grants.iter().map(|g| g.to_string()).collect();
            c.redirect_uris = Vec::new();
            c.public = public;
        })
        .await
    }

    /// `path` under the issuer, at this instance's own address.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .unwrap()
    }
}

/// Configured API scopes (`[[scopes]]` without claims) named `names`.
pub fn api_scopes(names: &[&str]) -> Vec<oxid_provider::scopes::ScopeSetting> {
    names
        .iter()
        .map(|name| oxid_provider::scopes::ScopeSetting {
            name: name.to_string(),
            description: None,
            claims: Vec::new(),
        })
        .collect()
}

/// The value of a hidden input in a page.
pub fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end]
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

/// The query parameters of a redirect's `Location`.
pub fn location_params(response: &reqwest::Response) -> (String, Params) {
    let location = response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location; status {}", response.status()))
        .to_str()
        .unwrap()
        .to_string();
    let (base, query) = location.split_once('?').unwrap_or((&location, ""));
    (base.to_string(), Params::parse_query(query).unwrap())
}

/// RFC 7636 Appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// Authorization query for `client_id` with PKCE S256, state and nonce, plus `extra`.
pub fn auth_query(client_id: &str, scope: &str, extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    pairs.extend_from_slice(extra);
    oxid_protocol::params::encode_pairs(pairs)
}

/// Posts the form found in `html` to `path`: its `csrf_token` and `interaction`, then
/// `fields`.
pub async fn submit_form(
    server: &TestServer,
    browser: &reqwest::Client,
    path: &str,
    html: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![
        ("csrf_token", hidden_field(html, "csrf_token")),
        ("interaction", hidden_field(html, "interaction")),
    ];
    form.extend(fields.iter().map(|&(k, v)| (k, v.to_string())));
    browser
        .post(server.url(path))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The `error` member of a JSON error body (RFC 6749 §5.2), empty when there is none.
pub fn error_of(body: &Value) -> &str {
    body["error"].as_str().unwrap_or("")
}

/// Posts the login form found in `html`.
pub async fn submit_login(
    server: &TestServer,
    browser: &reqwest::Client,
    html: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let fields = [("username", username), ("password", password)];
    submit_form(server, browser, "/login", html, &fields).await
}

/// Posts the consent form found in `html`.
pub async fn submit_consent(
    server: &TestServer,
    browser: &reqwest::Client,
    html: &str,
    decision: &str,
) -> reqwest::Response {
    submit_form(server, browser, "/consent", html, &[("decision", decision)]).await
}

/// Answers the login and consent pages (consent with `decision`) until the provider answers
/// with something else than a page, and returns that answer.
pub async fn answer_pages(
    server: &TestServer,
    browser: &reqwest::Client,
    mut response: reqwest::Response,
    decision: &str,
) -> reqwest::Response {
    for _ in 0..3 {
        if response.status() != 200 {
            return response;
        }
        let (status, headers) = (response.status(), response.headers().clone());
        let html = response.text().await.unwrap();
        response = if html.contains("name=\"password\"") {
            submit_login(server, browser, &html, USER, PASSWORD).await
        } else if html.contains("name=\"decision\"") {
            submit_consent(server, browser, &html, decision).await
        } else {
            // Another page (the form_post response): the caller reads it.
            let mut page = http::Response::new(html);
            *page.status_mut() = status;
            *page.headers_mut() = headers;
            return reqwest::Response::from(page);
        };
    }
    response
}

/// Runs authorize → login → consent and returns the code from the redirect.
pub async fn obtain_code(
    server: &TestServer,
    browser: &reqwest::Client,
    client_id: &str,
    scope: &str,
) -> String {
    let page = browser
        .get(server.url(&format!("/authorize?{}", auth_query(client_id, scope, &[]))))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let after_login = submit_login(server, browser, &html, USER, PASSWORD).await;
    let response = if after_login.status() == 200 {
        let html = after_login.text().await.unwrap();
        assert!(
            html.contains("name=\"decision\""),
            "expected consent page: {html}"
        );
        submit_consent(server, browser, &html, "allow").await
    } else {
        after_login
    };
    assert_eq!(response.status(), 303, "expected redirect to the client");
    let (base, params) = location_params(&response);
    assert_eq!(base, REDIRECT);
    assert_eq!(params.get("state"), Some("st-123"));
    assert_eq!(params.get("iss"), Some(server.base.as_str()));
    params.get("code").expect("code").to_string()
}

/// Exchanges a code with client_secret_basic.
pub async fn exchange_code(
    server: &TestServer,
    client_id: &str,
    secret: &str,
    code: &str,
) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The key of the provider's `jwks_uri` with `kid` (OIDC Core §10.1: a `kid` resolves there).
pub async fn jwk_for_kid(server: &TestServer, kid: &str) -> Value {
    let jwks: Value = reqwest::get(server.url("/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    jwks["keys"]
        .as_array()
        .expect("a keys array")
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("kid {kid} does not resolve in jwks_uri"))
        .clone()
}

/// Verifies a compact JWS against the provider's `jwks_uri` (the `kid` must resolve there,
/// OIDC Core §10.1) and returns its claims. Shared by the conformance mirrors.
pub async fn verify_jws_with_jwks(server: &TestServer, token: &str) -> Value {
    use oxid_client::jws::{JwkParams, JwsAlgorithm, VerifyingKey};
    let jws = oxid_protocol::jose::CompactJws::parse(token).expect("a compact JWS");
    let header = jws.header();
    let kid = header
        .kid
        .clone()
        .expect("kid in the JOSE header (OIDC Core §10.1)");
    let alg = JwsAlgorithm::from_name(&header.alg).expect("a known JWS algorithm");
    let jwk = jwk_for_kid(server, &kid).await;
    let s = |name: &str| jwk[name].as_str();
    let params = JwkParams {
        kty: s("kty").unwrap(),
        crv: s("crv"),
        alg: s("alg"),
        use_: s("use"),
        n: s("n"),
        e: s("e"),
        x: s("x"),
        y: s("y"),
        ..JwkParams::default()
    };
    let key = VerifyingKey::from_jwk(&params, alg).unwrap();
    key.verify(alg, jws.signing_input(), jws.signature())
        .expect("signature verifies with the key from jwks_uri");
    serde_json::from_slice(jws.payload()).unwrap()
}

//! The OpenID conformance suite's Basic OP plan (`oidcc-basic-certification-test-plan`),
//! mirrored module by module: each test is named after the module it mirrors and checks what
//! the module checks (see `docs/conformance.md` and the catalogue it was written from).
//!
//! The suite acts as a relying party with a static confidential client
//! (client_secret_basic) and sends no PKCE except in
//! `oidcc-ensure-request-with-valid-pkce-succeeds`. Oxid requires PKCE by default
//! (RFC 9700 §2.1.1), so these tests run the provider the way a certification run must
//! configure it: `require_pkce = false` (see `suite_request_without_pkce_needs_require_pkce_off`).

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use oxid_protocol::jose::CompactJws;
use oxid_protocol::params::{Params, encode_pairs};
use oxid_provider::clock::Clock;
use serde_json::{Value, json};

/// The suite's random `state` and `nonce` (fixed here so failures are readable).
const STATE: &str = "Qh7tW2zk9CxLpRv4";
const NONCE: &str = "n8Fj3KsW0pYdTq6a";
/// The error codes OIDC Core §3.1.2.6 allows for `prompt=none`.
const PROMPT_NONE_ERRORS: [&str; 4] = [
    "login_required",
    "interaction_required",
    "consent_required",
    "account_selection_required",
];

/// A provider configured for a certification run: PKCE not forced on confidential clients.
async fn suite_server() -> TestServer {
    TestServer::start_with(|s| s.require_pkce = false).await
}

/// RFC 6749 §5.2 / §4.1.2.1: error_description characters (%x20-21 / %x23-5B / %x5D-7E).
fn valid_error_text(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// Shannon entropy of `s` in bits, times its length, as the suite measures it.
fn measured_entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = s.chars().count() as f64;
    let per_char: f64 = counts
        .values()
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum();
    per_char * n
}

fn now(server: &TestServer) -> u64 {
    server.clock.now()
}

async fn discovery(server: &TestServer) -> Value {
    let response = reqwest::get(server.url("/.well-known/openid-configuration"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn list_contains(document: &Value, member: &str, value: &str) -> bool {
    document[member]
        .as_array()
        .is_some_and(|values| values.iter().any(|v| v == value))
}

/// Baseline configuration checks (OIDC Core §10.1, RFC 7517 §4.5): the JWKS is valid, every
/// key has a kid and the kids are distinct; the client's auth method is advertised.
async fn check_configuration(server: &TestServer, auth_method: &str) {
    let document = discovery(server).await;
    assert_eq!(document["issuer"], server.base.as_str());
    let jwks: Value = reqwest::get(document["jwks_uri"].as_str().unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = jwks["keys"].as_array().expect("a JWKS");
    assert!(!keys.is_empty());
    let mut kids: Vec<&str> = keys
        .iter()
        .map(|k| k["kid"].as_str().expect("every key has a kid"))
        .collect();
    kids.sort_unstable();
    kids.dedup();
    assert_eq!(kids.len(), keys.len(), "kids are distinct");
    let methods = &document["token_endpoint_auth_methods_supported"];
    assert!(
        methods.is_null() && auth_method == "client_secret_basic"
            || list_contains(
                &document,
                "token_endpoint_auth_methods_supported",
                auth_method
            ),
        "{auth_method} is advertised: {methods}"
    );
}

/// The suite's relying party: one static client and one browser with a cookie jar.
struct Rp<'a> {
    server: &'a TestServer,
    client_id: String,
    secret: String,
    browser: reqwest::Client,
}

/// A token endpoint answer.
struct TokenAnswer {
    status: u16,
    content_type: String,
    cache_control: String,
    body: Value,
}

/// What a complete flow produced.
struct Flow {
    code: String,
    tokens: Value,
    id_claims: Value,
    userinfo: Value,
}

impl Flow {
    fn access_token(&self) -> &str {
        self.tokens["access_token"].as_str().unwrap()
    }

    fn id_token(&self) -> &str {
        self.tokens["id_token"].as_str().unwrap()
    }

    fn sub(&self) -> &str {
        self.id_claims["sub"].as_str().unwrap()
    }
}

impl<'a> Rp<'a> {
    async fn new(server: &'a TestServer) -> Rp<'a> {
        Self::with_client(server, "suite-client", |_| {}).await
    }

    async fn with_client(
        server: &'a TestServer,
        client_id: &str,
        adjust: impl FnOnce(&mut oxid_provider::admin::NewClient),
    ) -> Rp<'a> {
        let secret = server.add_client(client_id, adjust).await;
        Rp {
            server,
            client_id: client_id.to_string(),
            secret,
            browser: server.browser(),
        }
    }

    /// The same client in a fresh browser (the tester cleared the OP's cookies).
    fn fresh_browser(&self) -> Rp<'a> {
        Rp {
            server: self.server,
            client_id: self.client_id.clone(),
            secret: self.secret.clone(),
            browser: self.server.browser(),
        }
    }

    /// The suite's authorization request: response_type=code, client_id, redirect_uri,
    /// scope, state and nonce; no PKCE.
    fn request(&self, scope: &str) -> Vec<(String, String)> {
        [
            ("response_type", "code"),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", REDIRECT),
            ("scope", scope),
            ("state", STATE),
            ("nonce", NONCE),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn request_with(&self, scope: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut pairs = self.request(scope);
        pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        pairs
    }

    /// GET of the authorization endpoint with `pairs` as the query.
    async fn send(&self, pairs: &[(String, String)]) -> reqwest::Response {
        let query = encode_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        self.browser
            .get(self.server.url(&format!("/authorize?{query}")))
            .send()
            .await
            .unwrap()
    }

    /// Goes through the login and consent pages, if shown, until the redirect to the client.
    async fn interact(&self, mut response: reqwest::Response) -> reqwest::Response {
        for _ in 0..3 {
            if response.status() != 200 {
                return response;
            }
            let html = response.text().await.unwrap();
            response = if html.contains("name=\"password\"") {
                submit_login(self.server, &self.browser, &html, USER, PASSWORD).await
            } else if html.contains("name=\"decision\"") {
                submit_consent(self.server, &self.browser, &html, "allow").await
            } else {
                panic!("neither a login nor a consent page: {html}");
            };
        }
        response
    }

    /// Sends `pairs`, completes the pages and checks the authorization response.
    async fn authorize(&self, pairs: &[(String, String)]) -> Params {
        let response = self.send(pairs).await;
        let response = self.interact(response).await;
        self.callback(&response)
    }

    /// Baseline authorization response checks: a redirect to the registered redirect_uri,
    /// `state` unchanged, `iss` equal to the issuer (RFC 9207 §2), a code and no error.
    fn callback(&self, response: &reqwest::Response) -> Params {
        assert!(
            response.status().is_redirection(),
            "expected a redirect to the client, got {}",
            response.status()
        );
        let (base, params) = location_params(response);
        assert_eq!(base, REDIRECT);
        assert!(params.get("error").is_none(), "{params:?}");
        assert_eq!(params.get("state"), Some(STATE), "state is echoed");
        assert_eq!(params.get("iss"), Some(self.server.base.as_str()));
        assert!(params.get("code").is_some(), "{params:?}");
        params
    }

    /// Token request with client_secret_basic and no code_verifier.
    async fn token(&self, form: &[(&str, &str)]) -> TokenAnswer {
        let response = reqwest::Client::new()
            .post(self.server.url("/token"))
            .basic_auth(&self.client_id, Some(&self.secret))
            .form(form)
            .send()
            .await
            .unwrap();
        read_token_answer(response).await
    }

    async fn exchange(&self, code: &str) -> TokenAnswer {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
        ])
        .await
    }

    /// The whole flow for `pairs`: authorization, token, ID token, UserInfo.
    async fn flow_with(&self, pairs: &[(String, String)], nonce: Option<&str>) -> Flow {
        let params = self.authorize(pairs).await;
        let code = params.get("code").unwrap().to_string();
        let answer = self.exchange(&code).await;
        let tokens = check_token_response(&answer);
        let id_claims = check_id_token(
            self.server,
            tokens["id_token"].as_str().unwrap(),
            &self.client_id,
            nonce,
            tokens["access_token"].as_str(),
        )
        .await;
        let userinfo = userinfo_get(self.server, tokens["access_token"].as_str().unwrap()).await;
        assert_eq!(userinfo["sub"], id_claims["sub"], "OIDC Core §5.3.2");
        check_claim_types(&userinfo);
        Flow {
            code,
            tokens,
            id_claims,
            userinfo,
        }
    }

    async fn flow(&self, scope: &str, extra: &[(&str, &str)]) -> Flow {
        self.flow_with(&self.request_with(scope, extra), Some(NONCE))
            .await
    }
}

async fn read_token_answer(response: reqwest::Response) -> TokenAnswer {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let content_type = header("content-type");
    let cache_control = header("cache-control");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    TokenAnswer {
        status,
        content_type,
        cache_control,
        body,
    }
}

/// OIDC Core §3.1.3.3: 200, JSON, access_token, token_type, a valid expires_in, id_token.
fn check_token_response(answer: &TokenAnswer) -> Value {
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.content_type.starts_with("application/json"));
    assert_eq!(answer.cache_control, "no-store", "RFC 6749 §5.1");
    let body = &answer.body;
    let access_token = body["access_token"].as_str().expect("access_token");
    assert!(!access_token.is_empty());
    // RFC 6749 Appendix A.12: access_token = 1*VSCHAR.
    assert!(access_token.bytes().all(|b| (0x20..=0x7e).contains(&b)));
    assert!(
        body["token_type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("bearer"))
    );
    assert!(
        body["expires_in"].as_u64().is_some_and(|e| e > 0),
        "expires_in: {}",
        body["expires_in"]
    );
    assert!(body["id_token"].is_string(), "OIDC Core §3.1.3.3 id_token");
    body.clone()
}

/// The baseline ID token checks of every module (OIDC Core §2, §3.1.3.7): signature via the
/// JWKS, iss, aud, exp, iat, auth_time, nonce, acr, sub, and at_hash when present (§3.1.3.6).
async fn check_id_token(
    server: &TestServer,
    id_token: &str,
    client_id: &str,
    nonce: Option<&str>,
    access_token: Option<&str>,
) -> Value {
    let claims = verify_jws_with_jwks(server, id_token).await;
    let now = now(server);
    assert_eq!(claims["iss"], server.base.as_str(), "iss is the issuer");
    let aud_ok = match &claims["aud"] {
        Value::String(aud) => aud == client_id,
        Value::Array(auds) => auds.iter().any(|a| a == client_id),
        _ => false,
    };
    assert!(aud_ok, "aud contains client_id: {}", claims["aud"]);
    let exp = claims["exp"].as_u64().expect("exp");
    assert!(exp + 300 > now, "not expired (5 minutes skew)");
    assert!(exp < now + 365 * 86400, "exp not absurdly far off");
    let iat = claims["iat"].as_u64().expect("iat");
    assert!(iat <= now + 300, "iat not in the future");
    assert!(iat + 300 >= now, "iat not more than 5 minutes old");
    if let Some(auth_time) = claims.get("auth_time") {
        let auth_time = auth_time.as_u64().expect("auth_time is a number");
        assert!(auth_time <= now + 300, "auth_time not in the future");
        assert!(auth_time + 365 * 86400 > now, "auth_time under a year old");
    }
    match nonce {
        Some(nonce) => assert_eq!(claims["nonce"], nonce, "nonce is the request's"),
        None => assert!(claims.get("nonce").is_none(), "no nonce was sent"),
    }
    if let Some(acr) = claims.get("acr") {
        assert!(acr.as_str().is_some_and(|a| !a.is_empty()), "acr non-empty");
    }
    assert!(
        claims["sub"].as_str().is_some_and(|s| !s.is_empty()),
        "sub present"
    );
    if let (Some(at_hash), Some(access_token)) = (claims.get("at_hash"), access_token) {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
        assert_eq!(
            at_hash.as_str().unwrap(),
            URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16]),
            "at_hash is correct (OIDC Core §3.1.3.6)"
        );
    }
    check_claim_types(&claims);
    claims
}

/// OIDC Core §5.1: standard claims well typed.
fn check_claim_types(claims: &Value) {
    for name in [
        "name",
        "given_name",
        "family_name",
        "preferred_username",
        "email",
        "phone_number",
        "locale",
        "zoneinfo",
    ] {
        if let Some(v) = claims.get(name) {
            assert!(v.is_string(), "{name} is a string: {v}");
        }
    }
    for name in ["email_verified", "phone_number_verified"] {
        if let Some(v) = claims.get(name) {
            assert!(v.is_boolean(), "{name} is a boolean: {v}");
        }
    }
    if let Some(v) = claims.get("updated_at") {
        assert!(v.is_u64(), "updated_at is a number: {v}");
    }
    if let Some(v) = claims.get("address") {
        assert!(v.is_object(), "address is an object: {v}");
    }
}

/// OIDC Core §5.3: GET with the bearer header; 200 and JSON.
async fn userinfo_get(server: &TestServer, access_token: &str) -> Value {
    let response = reqwest::Client::new()
        .get(server.url("/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    read_userinfo(response).await
}

async fn read_userinfo(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200, "UserInfo accepts the access token");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let body: Value = response.json().await.unwrap();
    assert!(body["sub"].is_string());
    body
}

/// An error sent back to the client (OIDC Core §3.1.2.6): error, state, iss, no code and
/// well-formed error_description / error_uri.
fn check_error_redirect(server: &TestServer, response: &reqwest::Response) -> String {
    assert!(response.status().is_redirection(), "{}", response.status());
    let (base, params) = location_params(response);
    assert_eq!(base, REDIRECT);
    assert_eq!(params.get("state"), Some(STATE), "state is echoed");
    assert_eq!(params.get("iss"), Some(server.base.as_str()));
    assert!(params.get("code").is_none(), "no code with an error");
    assert!(valid_error_text(params.get("error").expect("error")));
    if let Some(description) = params.get("error_description") {
        assert!(valid_error_text(description), "{description}");
    }
    if let Some(uri) = params.get("error_uri") {
        assert!(valid_error_text(uri) && !uri.contains(' '), "{uri}");
    }
    params.get("error").unwrap().to_string()
}

/// An HTML error page: not a redirect, to the bad URI or to any other.
async fn check_error_page(response: reqwest::Response) {
    assert!(
        !response.status().is_redirection(),
        "must not redirect ({})",
        response.status()
    );
    assert!(response.headers().get("location").is_none());
    assert!(response.status().is_client_error(), "{}", response.status());
    let html = response.text().await.unwrap();
    assert!(
        !html.contains("name=\"password\""),
        "an error, not a login page"
    );
}

/// A token endpoint error (RFC 6749 §5.2): 400, JSON, `error`, valid description.
fn check_token_error(answer: &TokenAnswer, error: &str) {
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.content_type.starts_with("application/json"));
    assert_eq!(answer.body["error"], error);
    if let Some(description) = answer.body["error_description"].as_str() {
        assert!(valid_error_text(description), "{description}");
    }
}

/// An unsigned request object (alg none) carrying `claims`.
fn unsigned_request_object(claims: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

fn auth_time(claims: &Value) -> u64 {
    claims["auth_time"].as_u64().expect("auth_time")
}

// ---------------------------------------------------------------------------------------
// Happy path, ID token, client authentication
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn oidcc_server() {
    let server = suite_server().await;
    check_configuration(&server, "client_secret_basic").await;
    let rp = Rp::new(&server).await;
    let flow = rp.flow("openid", &[]).await;
    // RFC 6749 §10.10, RFC 6819 §5.1.4.2.2: at least 128 bits, 96 bits measured entropy.
    assert!(
        flow.code.len() * 8 >= 128,
        "code length {}",
        flow.code.len()
    );
    assert!(
        measured_entropy(&flow.code) > 96.0,
        "code entropy {}",
        measured_entropy(&flow.code)
    );
    // The suite warns about claims nobody asked for in the ID token.
    for name in ["name", "email", "phone_number", "address"] {
        assert!(flow.id_claims.get(name).is_none(), "{name} unrequested");
    }
}

#[tokio::test]
async fn oidcc_server_client_secret_post() {
    let server = suite_server().await;
    check_configuration(&server, "client_secret_post").await;
    let rp = Rp::with_client(&server, "suite-post", |c| {
        c.auth_method = Some("client_secret_post".into())
    })
    .await;
    let params = rp.authorize(&rp.request("openid")).await;
    // RFC 6749 §2.3.1: client_id and client_secret in the form body.
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", params.get("code").unwrap()),
            ("redirect_uri", REDIRECT),
            ("client_id", "suite-post"),
            ("client_secret", rp.secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let tokens = check_token_response(&read_token_answer(response).await);
    let access_token = tokens["access_token"].as_str().unwrap();
    let claims = check_id_token(
        &server,
        tokens["id_token"].as_str().unwrap(),
        "suite-post",
        Some(NONCE),
        Some(access_token),
    )
    .await;
    let userinfo = userinfo_get(&server, access_token).await;
    assert_eq!(userinfo["sub"], claims["sub"]);
}

#[tokio::test]
async fn oidcc_idtoken_signature() {
    // Run by the suite with a client registered without id_token_signed_response_alg; a
    // static client without one is the same case: RS256 by default (OIDC Registration §2).
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let flow = rp.flow("openid", &[]).await;
    let jws = CompactJws::parse(flow.id_token()).unwrap();
    assert_eq!(jws.header().alg, "RS256");
    let kid = jws.header().kid.clone().expect("a kid (OP-IDToken-kid)");
    let jwks: Value = reqwest::get(server.url("/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("the kid resolves in jwks_uri");
    assert_eq!(key["kty"], "RSA");
}

#[tokio::test]
async fn oidcc_idtoken_unsigned() {
    // Supporting alg=none is optional; the module is skipped when discovery does not list it.
    let server = suite_server().await;
    let document = discovery(&server).await;
    assert!(document["id_token_signing_alg_values_supported"].is_array());
    assert!(!list_contains(
        &document,
        "id_token_signing_alg_values_supported",
        "none"
    ));
    // And what is not advertised cannot be registered.
    let refused = oxid_provider::admin::add_client(
        server.provider.store(),
        server.provider.secret_box(),
        oxid_provider::admin::NewClient {
            client_id: "unsigned".into(),
            client_secret: Some("secret-of-unsigned-0123456789abcdefgh".into()),
            redirect_uris: vec![REDIRECT.into()],
            id_token_signed_response_alg: Some("none".into()),
            ..Default::default()
        },
        T0,
    )
    .await;
    assert!(refused.is_err(), "alg none is not registrable");
}

#[tokio::test]
async fn oidcc_ensure_request_with_valid_pkce_succeeds() {
    // RFC 7636 §4.3 / §4.5: S256 challenge on the request, verifier on the token request.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let pairs = rp.request_with(
        "openid",
        &[
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ],
    );
    let params = rp.authorize(&pairs).await;
    let answer = rp
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", params.get("code").unwrap()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .await;
    let tokens = check_token_response(&answer);
    check_id_token(
        &server,
        tokens["id_token"].as_str().unwrap(),
        &rp.client_id,
        Some(NONCE),
        tokens["access_token"].as_str(),
    )
    .await;
}

#[tokio::test]
async fn oidcc_ensure_post_request_succeeds() {
    // OIDC Core §3.1.2.1: the authorization endpoint supports POST (form-encoded).
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let body = encode_pairs(rp.request("openid"));
    let response = rp
        .browser
        .post(server.url("/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let response = rp.interact(response).await;
    let params = rp.callback(&response);
    let tokens = check_token_response(&rp.exchange(params.get("code").unwrap()).await);
    check_id_token(
        &server,
        tokens["id_token"].as_str().unwrap(),
        &rp.client_id,
        Some(NONCE),
        tokens["access_token"].as_str(),
    )
    .await;
}

#[tokio::test]
async fn oidcc_alternate_happy_flow() {
    // RFC 6749 §3.3: scope order does not matter; neither does parameter order.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let mut pairs = rp.request("email openid");
    pairs.reverse();
    let flow = rp.flow_with(&pairs, Some(NONCE)).await;
    assert_eq!(flow.userinfo["email"], "alice@example.com");
    assert!(flow.userinfo["email_verified"].is_boolean());
    assert!(flow.id_claims.get("email").is_none());
}

// ---------------------------------------------------------------------------------------
// UserInfo (OIDC Core §5.3)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn oidcc_userinfo_get() {
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let flow = rp.flow("openid email", &[]).await;
    let userinfo = userinfo_get(&server, flow.access_token()).await;
    assert_eq!(userinfo["sub"], flow.sub());
    assert_eq!(userinfo["email"], "alice@example.com");
    check_claim_types(&userinfo);
}

#[tokio::test]
async fn oidcc_userinfo_post_header() {
    // OIDC Core §5.3.1: POST must be supported too.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let flow = rp.flow("openid email", &[]).await;
    let response = reqwest::Client::new()
        .post(server.url("/userinfo"))
        .bearer_auth(flow.access_token())
        .send()
        .await
        .unwrap();
    let userinfo = read_userinfo(response).await;
    assert_eq!(userinfo["sub"], flow.sub());
    assert_eq!(userinfo, flow.userinfo);
}

#[tokio::test]
async fn oidcc_userinfo_post_body() {
    // RFC 6750 §2.2: access_token in a form-encoded body (optional; Oxid supports it).
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let flow = rp.flow("openid email", &[]).await;
    let response = reqwest::Client::new()
        .post(server.url("/userinfo"))
        .form(&[("access_token", flow.access_token())])
        .send()
        .await
        .unwrap();
    let userinfo = read_userinfo(response).await;
    assert_eq!(userinfo["sub"], flow.sub());
    assert_eq!(userinfo, flow.userinfo);
}

// ---------------------------------------------------------------------------------------
// Scopes and claims (OIDC Core §5.4, §5.5)
// ---------------------------------------------------------------------------------------

/// A flow with `scope` after checking that discovery lists every scope in it (otherwise the
/// suite skips the module).
async fn scope_flow(scope: &str) -> (TestServer, Value, Value) {
    let server = suite_server().await;
    let document = discovery(&server).await;
    for value in scope.split(' ') {
        assert!(
            list_contains(&document, "scopes_supported", value),
            "{value} in scopes_supported"
        );
    }
    let rp = Rp::new(&server).await;
    let flow = rp.flow(scope, &[]).await;
    (server, flow.userinfo, flow.id_claims)
}

#[tokio::test]
async fn oidcc_scope_profile() {
    let (_server, userinfo, id_claims) = scope_flow("openid profile").await;
    assert_eq!(userinfo["name"], "Alice Liddell");
    assert_eq!(userinfo["preferred_username"], "alice");
    assert!(userinfo["updated_at"].is_u64());
    assert!(userinfo.get("email").is_none(), "email not requested");
    // Code flow: the claims come from UserInfo, not the ID token (OIDC Core §5.4).
    assert!(id_claims.get("name").is_none());
}

#[tokio::test]
async fn oidcc_scope_email() {
    let (_server, userinfo, id_claims) = scope_flow("openid email").await;
    assert_eq!(userinfo["email"], "alice@example.com");
    assert_eq!(userinfo["email_verified"], true);
    assert!(userinfo.get("name").is_none(), "name not requested");
    assert!(
        id_claims.get("email").is_none(),
        "an access token was issued"
    );
}

#[tokio::test]
async fn oidcc_scope_address() {
    let (_server, userinfo, id_claims) = scope_flow("openid address").await;
    assert_eq!(userinfo["address"], json!({"country": "FR"}));
    assert!(userinfo.get("email").is_none());
    assert!(id_claims.get("address").is_none());
}

#[tokio::test]
async fn oidcc_scope_phone() {
    let (_server, userinfo, id_claims) = scope_flow("openid phone").await;
    assert_eq!(userinfo["phone_number"], "+33 1 23 45 67 89");
    assert!(userinfo.get("email").is_none());
    assert!(id_claims.get("phone_number").is_none());
}

#[tokio::test]
async fn oidcc_scope_all() {
    let (_server, userinfo, _) = scope_flow("openid address email phone profile").await;
    assert_eq!(userinfo["name"], "Alice Liddell");
    assert_eq!(userinfo["email"], "alice@example.com");
    assert_eq!(userinfo["email_verified"], true);
    assert_eq!(userinfo["phone_number"], "+33 1 23 45 67 89");
    assert!(userinfo["address"].is_object());
}

#[tokio::test]
async fn oidcc_claims_essential() {
    // OIDC Core §5.5: name as an essential UserInfo claim. Oxid advertises
    // claims_parameter_supported=false, so it may ignore the member (the suite then only warns
    // about a missing name); the flow must succeed and name must not go to the ID token.
    let server = suite_server().await;
    let document = discovery(&server).await;
    assert_eq!(document["claims_parameter_supported"], false);
    let rp = Rp::new(&server).await;
    let claims = json!({"userinfo": {"name": {"essential": true}}}).to_string();
    let flow = rp.flow("openid", &[("claims", claims.as_str())]).await;
    assert!(
        flow.id_claims.get("name").is_none(),
        "asked for in userinfo, not in the ID token"
    );
    if let Some(name) = flow.userinfo.get("name") {
        assert_eq!(name, "Alice Liddell");
    }
}

// ---------------------------------------------------------------------------------------
// Authorization request parameters, prompt, max_age (OIDC Core §3.1.2.1)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn oidcc_ensure_request_without_nonce_succeeds_for_code_flow() {
    // OIDC Core §3.1.2.1: nonce is optional when no ID token comes from the authorization
    // endpoint; the ID token then carries no nonce.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let pairs: Vec<(String, String)> = rp
        .request("openid")
        .into_iter()
        .filter(|(k, _)| k != "nonce")
        .collect();
    let flow = rp.flow_with(&pairs, None).await;
    assert!(flow.id_claims.get("nonce").is_none());
}

/// display=`value` in a fresh browser: a normal login page, then the flow completes.
async fn display_flow(value: &str) {
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let pairs = rp.request_with("openid", &[("display", value)]);
    let response = rp.send(&pairs).await;
    assert_eq!(response.status(), 200, "display={value} is accepted");
    let html = response.text().await.unwrap();
    assert!(html.contains("name=\"password\""), "a login page");
    let response = submit_login(&server, &rp.browser, &html, USER, PASSWORD).await;
    let response = rp.interact(response).await;
    let params = rp.callback(&response);
    let tokens = check_token_response(&rp.exchange(params.get("code").unwrap()).await);
    check_id_token(
        &server,
        tokens["id_token"].as_str().unwrap(),
        &rp.client_id,
        Some(NONCE),
        tokens["access_token"].as_str(),
    )
    .await;
}

#[tokio::test]
async fn oidcc_display_page() {
    display_flow("page").await;
}

#[tokio::test]
async fn oidcc_display_popup() {
    display_flow("popup").await;
}

#[tokio::test]
async fn oidcc_prompt_login() {
    // OIDC Core §3.1.2.1 prompt=login: re-authenticate although the session is alive; the
    // second auth_time is later than the first.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let first = rp.flow("openid", &[]).await;
    server.clock.advance(1);
    let response = rp
        .send(&rp.request_with("openid", &[("prompt", "login")]))
        .await;
    assert_eq!(response.status(), 200, "a login page despite the session");
    let html = response.text().await.unwrap();
    assert!(html.contains("name=\"password\""));
    let response = submit_login(&server, &rp.browser, &html, USER, PASSWORD).await;
    let response = rp.interact(response).await;
    let params = rp.callback(&response);
    let tokens = check_token_response(&rp.exchange(params.get("code").unwrap()).await);
    let second = check_id_token(
        &server,
        tokens["id_token"].as_str().unwrap(),
        &rp.client_id,
        Some(NONCE),
        tokens["access_token"].as_str(),
    )
    .await;
    assert_eq!(second["sub"], first.sub());
    assert!(auth_time(&second) > auth_time(&first.id_claims));
}

#[tokio::test]
async fn oidcc_prompt_none_not_logged_in() {
    // OIDC Core §3.1.2.6: no session and prompt=none is an error redirect, not a page.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let response = rp
        .send(&rp.request_with("openid", &[("prompt", "none")]))
        .await;
    let error = check_error_redirect(&server, &response);
    assert!(PROMPT_NONE_ERRORS.contains(&error.as_str()), "{error}");
}

#[tokio::test]
async fn oidcc_prompt_none_logged_in() {
    // OIDC Core §3.1.2.1 prompt=none with a session: a code without any page.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let first = rp.flow("openid", &[]).await;
    server.clock.advance(1);
    let response = rp
        .send(&rp.request_with("openid", &[("prompt", "none")]))
        .await;
    let params = rp.callback(&response);
    let tokens = check_token_response(&rp.exchange(params.get("code").unwrap()).await);
    let second = check_id_token(
        &server,
        tokens["id_token"].as_str().unwrap(),
        &rp.client_id,
        Some(NONCE),
        tokens["access_token"].as_str(),
    )
    .await;
    assert_eq!(second["sub"], first.sub());
    assert_eq!(second.get("auth_time"), first.id_claims.get("auth_time"));
}

#[tokio::test]
async fn oidcc_max_age_1() {
    // OIDC Core §3.1.2.1 max_age: a login older than max_age is redone, and auth_time is
    // REQUIRED in the ID token (§2), later than the first.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let first = rp.flow("openid", &[]).await;
    server.clock.advance(2);
    let response = rp
        .send(&rp.request_with("openid", &[("max_age", "1")]))
        .await;
    assert_eq!(response.status(), 200, "re-authentication is forced");
    let html = response.text().await.unwrap();
    assert!(html.contains("name=\"password\""));
    let response = submit_login(&server, &rp.browser, &html, USER, PASSWORD).await;
    let response = rp.interact(response).await;
    let params = rp.callback(&response);
    let tokens = check_token_response(&rp.exchange(params.get("code").unwrap()).await);
    let second = check_id_token(
        &server,
        tokens["id_token"].as_str().unwrap(),
        &rp.client_id,
        Some(NONCE),
        tokens["access_token"].as_str(),
    )
    .await;
    let second_auth = auth_time(&second);
    assert!(second_auth > auth_time(&first.id_claims));
    assert!(second_auth + 60 >= now(&server), "auth_time is recent");
}

#[tokio::test]
async fn oidcc_max_age_10000() {
    // OIDC Core §2: auth_time REQUIRED when max_age was sent; no login the second time.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let first = rp.flow("openid", &[("max_age", "15000")]).await;
    let first_auth = auth_time(&first.id_claims);
    server.clock.advance(2);
    let response = rp
        .send(&rp.request_with("openid", &[("max_age", "10000")]))
        .await;
    let params = rp.callback(&response);
    let tokens = check_token_response(&rp.exchange(params.get("code").unwrap()).await);
    let second = check_id_token(
        &server,
        tokens["id_token"].as_str().unwrap(),
        &rp.client_id,
        Some(NONCE),
        tokens["access_token"].as_str(),
    )
    .await;
    assert_eq!(auth_time(&second), first_auth);
    assert_eq!(second["sub"], first.sub());
}

#[tokio::test]
async fn oidcc_ensure_request_with_unknown_parameter_succeeds() {
    // RFC 6749 §3.1: unknown parameters are ignored.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    rp.flow("openid", &[("extra", "foobar")]).await;
}

#[tokio::test]
async fn oidcc_id_token_hint() {
    // OIDC Core §3.1.2.1 id_token_hint with prompt=none: succeed silently, same user.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let first = rp.flow("openid", &[]).await;
    server.clock.advance(1);
    let pairs = rp.request_with(
        "openid",
        &[("prompt", "none"), ("id_token_hint", first.id_token())],
    );
    let params = rp.callback(&rp.send(&pairs).await);
    let tokens = check_token_response(&rp.exchange(params.get("code").unwrap()).await);
    let second = check_id_token(
        &server,
        tokens["id_token"].as_str().unwrap(),
        &rp.client_id,
        Some(NONCE),
        tokens["access_token"].as_str(),
    )
    .await;
    assert_eq!(second["sub"], first.sub());
    assert_eq!(second.get("auth_time"), first.id_claims.get("auth_time"));
}

#[tokio::test]
async fn oidcc_login_hint() {
    // OIDC Core §3.1.2.1 login_hint: no error; the login form is prefilled.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let host = url::Url::parse(&server.base)
        .unwrap()
        .host_str()
        .unwrap()
        .to_string();
    let hint = format!("buffy@{host}");
    let response = rp
        .send(&rp.request_with("openid", &[("login_hint", hint.as_str())]))
        .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains(&format!("value=\"{hint}\"")), "prefilled");
    let response = submit_login(&server, &rp.browser, &html, USER, PASSWORD).await;
    rp.callback(&rp.interact(response).await);
}

#[tokio::test]
async fn oidcc_ui_locales() {
    // OIDC Core §3.1.2.1 ui_locales: never an error; a supported locale is used.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    // The suite's default value, which Oxid does not offer: the page in the default language.
    let response = rp
        .send(&rp.request_with("openid", &[("ui_locales", "se")]))
        .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("name=\"password\""));
    let response = submit_login(&server, &rp.browser, &html, USER, PASSWORD).await;
    rp.callback(&rp.interact(response).await);
    // A requested locale Oxid offers is used.
    let rp = rp.fresh_browser();
    let response = rp
        .send(&rp.request_with("openid", &[("ui_locales", "se de")]))
        .await;
    let html = response.text().await.unwrap();
    assert!(html.contains("lang=\"de\""), "{html}");
}

#[tokio::test]
async fn oidcc_claims_locales() {
    // OIDC Core §5.2, §15.1: claims_locales must not cause an error.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    rp.flow("openid profile", &[("claims_locales", "se")]).await;
}

#[tokio::test]
async fn oidcc_ensure_request_with_acr_values_succeeds() {
    // OIDC Core §3.1.2.1 acr_values: the suite sends acr_values_supported or "1 2"; the
    // request succeeds, and an acr claim, if any, is not empty (checked in check_id_token).
    let server = suite_server().await;
    let document = discovery(&server).await;
    let acr_values = match document["acr_values_supported"].as_array() {
        Some(values) => values
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect::<Vec<_>>()
            .join(" "),
        None => "1 2".to_string(),
    };
    let rp = Rp::new(&server).await;
    rp.flow("openid", &[("acr_values", acr_values.as_str())])
        .await;
}

// ---------------------------------------------------------------------------------------
// Negative tests at the authorization and token endpoints
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn oidcc_response_type_missing() {
    // RFC 6749 §4.1.2.1: an error page, or invalid_request / unsupported_response_type sent
    // back with the state and no code.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let pairs: Vec<(String, String)> = rp
        .request("openid")
        .into_iter()
        .filter(|(k, _)| k != "response_type")
        .collect();
    let response = rp.send(&pairs).await;
    if response.status().is_redirection() {
        let error = check_error_redirect(&server, &response);
        assert!(
            ["invalid_request", "unsupported_response_type"].contains(&error.as_str()),
            "{error}"
        );
    } else {
        check_error_page(response).await;
    }
}

#[tokio::test]
async fn oidcc_ensure_registered_redirect_uri() {
    // RFC 6749 §3.1.2.4, RFC 9700 §4.1.3: an unregistered redirect_uri (the registered one
    // plus a suffix) gets an error page, never a redirect.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let pairs: Vec<(String, String)> = rp
        .request("openid")
        .into_iter()
        .map(|(k, v)| {
            if k == "redirect_uri" {
                (k, format!("{v}Xk3q9T"))
            } else {
                (k, v)
            }
        })
        .collect();
    check_error_page(rp.send(&pairs).await).await;
    // Not even after a login: the same answer with a session.
    rp.flow("openid", &[]).await;
    check_error_page(rp.send(&pairs).await).await;
}

#[tokio::test]
async fn oidcc_codereuse() {
    // RFC 6749 §4.1.2: a code is single-use; the replay is 400 invalid_grant.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let flow = rp.flow("openid", &[]).await;
    let answer = rp.exchange(&flow.code).await;
    check_token_error(&answer, "invalid_grant");
}

#[tokio::test]
async fn oidcc_codereuse_30seconds() {
    // RFC 6749 §4.1.2: the replay 30 s later MUST fail, and SHOULD revoke the tokens
    // already issued from the code.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let flow = rp.flow("openid", &[]).await;
    server.clock.advance(30);
    let answer = rp.exchange(&flow.code).await;
    check_token_error(&answer, "invalid_grant");
    let response = reqwest::Client::new()
        .get(server.url("/userinfo"))
        .bearer_auth(flow.access_token())
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_client_error(),
        "the first access token is revoked: {}",
        response.status()
    );
}

// ---------------------------------------------------------------------------------------
// Request objects: not supported, and said so (OIDC Core §6, §3.1.2.6)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported() {
    let server = suite_server().await;
    let document = discovery(&server).await;
    // OIDC Discovery §3: discovery agrees with the behaviour.
    assert_eq!(document["request_uri_parameter_supported"], false);
    assert!(!list_contains(
        &document,
        "request_object_signing_alg_values_supported",
        "none"
    ));
    let rp = Rp::new(&server).await;
    let pairs = rp.request_with(
        "openid",
        &[("request_uri", "https://suite.example.com/requests/Xk3q9T")],
    );
    let error = check_error_redirect(&server, &rp.send(&pairs).await);
    assert_eq!(error, "request_uri_not_supported");
}

#[tokio::test]
async fn oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported() {
    let server = suite_server().await;
    let document = discovery(&server).await;
    assert_eq!(document["request_parameter_supported"], false);
    assert!(!list_contains(
        &document,
        "request_object_signing_alg_values_supported",
        "none"
    ));
    let rp = Rp::new(&server).await;
    let object = unsigned_request_object(&json!({
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": STATE,
        "nonce": NONCE,
    }));
    // Ignoring the object and answering with a code would fail the module.
    let pairs = rp.request_with("openid", &[("request", object.as_str())]);
    let error = check_error_redirect(&server, &rp.send(&pairs).await);
    assert_eq!(error, "request_not_supported");
}

#[tokio::test]
async fn oidcc_ensure_request_object_with_redirect_uri() {
    // Skipped by the suite when unsigned request objects are not supported: discovery says so.
    let server = suite_server().await;
    let document = discovery(&server).await;
    assert_eq!(document["request_parameter_supported"], false);
    assert!(!list_contains(
        &document,
        "request_object_signing_alg_values_supported",
        "none"
    ));
    // Whatever happens, the invalid query redirect_uri is never redirected to, and neither
    // is the registered one with request_not_supported (OIDC Core §6.1): an error page.
    let rp = Rp::new(&server).await;
    let object = unsigned_request_object(&json!({
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": STATE,
        "nonce": NONCE,
    }));
    let pairs: Vec<(String, String)> = rp
        .request_with("openid", &[("request", object.as_str())])
        .into_iter()
        .map(|(k, v)| {
            if k == "redirect_uri" {
                (k, "https://suite.example.com/invalid-redirect".to_string())
            } else {
                (k, v)
            }
        })
        .collect();
    check_error_page(rp.send(&pairs).await).await;
}

// ---------------------------------------------------------------------------------------
// Refresh tokens (RFC 6749 §6, OIDC Core §12)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn oidcc_refresh_token() {
    let server = suite_server().await;
    let document = discovery(&server).await;
    assert!(list_contains(
        &document,
        "grant_types_supported",
        "refresh_token"
    ));
    assert!(list_contains(
        &document,
        "scopes_supported",
        "offline_access"
    ));
    let rp = Rp::new(&server).await;
    // OIDC Core §11: offline_access with prompt=consent, as the suite sends it.
    let flow = rp
        .flow("openid offline_access", &[("prompt", "consent")])
        .await;
    let refresh_token = flow.tokens["refresh_token"]
        .as_str()
        .expect("a refresh token is issued")
        .to_string();
    server.clock.advance(10);
    let answer = rp
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.as_str()),
        ])
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.content_type.starts_with("application/json"));
    assert_eq!(answer.cache_control, "no-store", "RFC 6749 §5.1");
    let access_token = answer.body["access_token"].as_str().expect("access_token");
    assert!(access_token.bytes().all(|b| (0x20..=0x7e).contains(&b)));
    assert_ne!(access_token, flow.access_token());
    assert!(answer.body["expires_in"].as_u64().is_some_and(|e| e > 0));
    // OIDC Core §12.2: a refreshed ID token keeps iss, sub, aud, azp, auth_time; new iat.
    if let Some(id_token) = answer.body["id_token"].as_str() {
        // OIDC Core §12.2: no nonce in a refreshed ID token; the baseline checks otherwise.
        let refreshed =
            check_id_token(&server, id_token, &rp.client_id, None, Some(access_token)).await;
        for claim in ["iss", "sub", "aud", "azp", "auth_time"] {
            assert_eq!(refreshed.get(claim), flow.id_claims.get(claim), "{claim}");
        }
        assert!(refreshed["iat"].as_u64().unwrap() > flow.id_claims["iat"].as_u64().unwrap());
    }
    userinfo_get(&server, access_token).await;
    // RFC 6749 §6: a refresh token works only for the client it was issued to.
    let latest = answer.body["refresh_token"]
        .as_str()
        .unwrap_or(refresh_token.as_str());
    let other = Rp::with_client(&server, "suite-client-2", |_| {}).await;
    let answer = other
        .token(&[("grant_type", "refresh_token"), ("refresh_token", latest)])
        .await;
    check_token_error(&answer, "invalid_grant");
}

// ---------------------------------------------------------------------------------------
// Deployment profile for a certification run
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn suite_request_without_pkce_needs_require_pkce_off() {
    // The suite sends no code_challenge outside the PKCE module. With Oxid's default
    // (require_pkce = true, RFC 9700 §2.1.1) such a request is refused with invalid_request,
    // so a certification run must set require_pkce = false; this records that.
    let server = TestServer::start().await;
    let rp = Rp::new(&server).await;
    let response = rp.send(&rp.request("openid")).await;
    let error = check_error_redirect(&server, &response);
    assert_eq!(error, "invalid_request");
}

#[tokio::test]
async fn claims_parameter_id_token_member_releases_only_consented_claims_oidc_core_5_5() {
    // OIDC Core §3.1.2.4, §5.5: claims asked for through `claims` are user data like any
    // other; the user consented to scope=openid only, so none of them may be released.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let claims = json!({"id_token": {"email": null, "phone_number": null, "address": null}});
    let claims = claims.to_string();
    let flow = rp.flow("openid", &[("claims", claims.as_str())]).await;
    for name in ["email", "phone_number", "address"] {
        assert!(
            flow.id_claims.get(name).is_none(),
            "{name} released without consent: {}",
            flow.id_claims
        );
    }
}

// ---------------------------------------------------------------------------------------
// Plans whose features are not built (Implicit, Hybrid, Form Post): refused, never ignored
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn implicit_and_hybrid_plans_response_types_are_refused_not_ignored() {
    // OAuth 2.0 Multiple Response Types §3 / RFC 6749 §4.1.2.1: unsupported_response_type,
    // with no code or token anywhere in the redirect.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    rp.flow("openid", &[]).await;
    for response_type in [
        "id_token",
        "id_token token",
        "code id_token",
        "code token",
        "code id_token token",
    ] {
        let pairs: Vec<(String, String)> = rp
            .request("openid")
            .into_iter()
            .map(|(k, v)| {
                if k == "response_type" {
                    (k, response_type.to_string())
                } else {
                    (k, v)
                }
            })
            .collect();
        let response = rp.send(&pairs).await;
        let location = response.headers()["location"].to_str().unwrap().to_string();
        assert!(!location.contains("token="), "{location}");
        assert!(!location.contains("code="), "{location}");
        let error = check_error_redirect(&server, &response);
        assert_eq!(error, "unsupported_response_type", "{response_type}");
    }
}

#[tokio::test]
async fn formpost_plans_response_mode_form_post_is_refused_not_ignored() {
    // OAuth 2.0 Form Post Response Mode is not offered: discovery does not list it and a
    // request for it gets an error, never a code in the query.
    let server = suite_server().await;
    let document = discovery(&server).await;
    assert!(!list_contains(
        &document,
        "response_modes_supported",
        "form_post"
    ));
    let rp = Rp::new(&server).await;
    rp.flow("openid", &[]).await;
    let response = rp
        .send(&rp.request_with("openid", &[("response_mode", "form_post")]))
        .await;
    let error = check_error_redirect(&server, &response);
    assert_eq!(error, "invalid_request");
}

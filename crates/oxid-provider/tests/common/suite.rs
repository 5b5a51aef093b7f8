//! The OpenID conformance suite's relying party, as the Basic, Config and logout plans'
//! mirrors use it: one static confidential client (client_secret_basic), one browser, the
//! suite's authorization request (no PKCE) and its baseline checks on every flow.

use super::*;
use oxid_protocol::params::{Params, encode_pairs};
use oxid_provider::clock::Clock;
use serde_json::Value;

/// The suite's random `state` and `nonce` (fixed here so failures are readable).
pub const STATE: &str = "Qh7tW2zk9CxLpRv4";
pub const NONCE: &str = "n8Fj3KsW0pYdTq6a";
/// The error codes OIDC Core §3.1.2.6 allows for `prompt=none`.
pub const PROMPT_NONE_ERRORS: [&str; 4] = [
    "login_required",
    "interaction_required",
    "consent_required",
    "account_selection_required",
];

/// A provider configured for a certification run: PKCE not forced on confidential clients.
pub async fn suite_server() -> TestServer {
    TestServer::start_with(|s| s.require_pkce = false).await
}

pub fn now(server: &TestServer) -> u64 {
    server.clock.now()
}

pub async fn discovery(server: &TestServer) -> Value {
    let response = reqwest::get(server.url("/.well-known/openid-configuration"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

pub fn list_contains(document: &Value, member: &str, value: &str) -> bool {
    document[member]
        .as_array()
        .is_some_and(|values| values.iter().any(|v| v == value))
}

/// Baseline configuration checks (OIDC Core §10.1, RFC 7517 §4.5): the JWKS is valid, every
/// key has a kid and the kids are distinct; the client's auth method is advertised.
pub async fn check_configuration(server: &TestServer, auth_method: &str) {
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
pub struct Rp<'a> {
    pub server: &'a TestServer,
    pub client_id: String,
    pub secret: String,
    pub browser: reqwest::Client,
}

/// A token endpoint answer.
pub struct TokenAnswer {
    pub status: u16,
    pub content_type: String,
    pub cache_control: String,
    pub body: Value,
}

/// What a complete flow produced.
pub struct Flow {
    pub code: String,
    pub tokens: Value,
    pub id_claims: Value,
    pub userinfo: Value,
}

impl Flow {
    pub fn access_token(&self) -> &str {
        self.tokens["access_token"].as_str().unwrap()
    }

    pub fn id_token(&self) -> &str {
        self.tokens["id_token"].as_str().unwrap()
    }

    pub fn sub(&self) -> &str {
        self.id_claims["sub"].as_str().unwrap()
    }
}

impl<'a> Rp<'a> {
    pub async fn new(server: &'a TestServer) -> Rp<'a> {
        Self::with_client(server, "suite-client", |_| {}).await
    }

    pub async fn with_client(
        server: &'a TestServer,
        client_id: &str,
        adjust: impl FnOnce(&mut oxid_provider::admin::NewClient),
    ) -> Rp<'a> {
        // As a certification run registers it: `minimal`, since the suite warns about scope
        // claims in an ID token that came with an access token; `request_object_signing_alg
        // none`, since the suite's request-object modules send unsigned objects (accepted
        // only from a client that registered `none`).
        let secret = server
            .add_client(client_id, |c| {
                c.id_token_claims = Some("minimal".into());
                c.request_object_signing_alg = Some("none".into());
                adjust(c)
            })
            .await;
        Rp {
            server,
            client_id: client_id.to_string(),
            secret,
            browser: server.browser(),
        }
    }

    /// The same client in a fresh browser (the tester cleared the OP's cookies).
    pub fn fresh_browser(&self) -> Rp<'a> {
        Rp {
            server: self.server,
            client_id: self.client_id.clone(),
            secret: self.secret.clone(),
            browser: self.server.browser(),
        }
    }

    /// The suite's authorization request: response_type=code, client_id, redirect_uri,
    /// scope, state and nonce; no PKCE.
    pub fn request(&self, scope: &str) -> Vec<(String, String)> {
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

    pub fn request_with(&self, scope: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut pairs = self.request(scope);
        pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        pairs
    }

    /// The suite's request with parameter `name` set to `value` instead.
    pub fn request_replacing(&self, scope: &str, name: &str, value: &str) -> Vec<(String, String)> {
        let mut pairs = self.request(scope);
        for (k, v) in pairs.iter_mut() {
            if k == name {
                *v = value.to_string();
            }
        }
        pairs
    }

    /// GET of the authorization endpoint with `pairs` as the query.
    pub async fn send(&self, pairs: &[(String, String)]) -> reqwest::Response {
        let query = encode_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        self.browser
            .get(self.server.url(&format!("/authorize?{query}")))
            .send()
            .await
            .unwrap()
    }

    /// Goes through the login and consent pages, if shown, until the redirect to the client.
    pub async fn interact(&self, response: reqwest::Response) -> reqwest::Response {
        answer_pages(self.server, &self.browser, response, "allow").await
    }

    /// Sends `pairs`, completes the pages and checks the authorization response.
    pub async fn authorize(&self, pairs: &[(String, String)]) -> Params {
        let response = self.send(pairs).await;
        let response = self.interact(response).await;
        self.callback(&response)
    }

    /// Baseline authorization response checks: a redirect to the registered redirect_uri,
    /// `state` unchanged, `iss` equal to the issuer (RFC 9207 §2), a code and no error.
    pub fn callback(&self, response: &reqwest::Response) -> Params {
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
    pub async fn token(&self, form: &[(&str, &str)]) -> TokenAnswer {
        let response = reqwest::Client::new()
            .post(self.server.url("/token"))
            .basic_auth(&self.client_id, Some(&self.secret))
            .form(form)
            .send()
            .await
            .unwrap();
        read_token_answer(response).await
    }

    pub async fn exchange(&self, code: &str) -> TokenAnswer {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
        ])
        .await
    }

    /// Exchanges the code of an authorization response and runs the baseline token response
    /// and ID token checks (the request's nonce expected); returns the ID token's claims.
    pub async fn redeem(&self, params: &Params) -> Value {
        let code = params.get("code").expect("a code");
        let tokens = check_token_response(&self.exchange(code).await);
        check_id_token(
            self.server,
            tokens["id_token"].as_str().unwrap(),
            &self.client_id,
            Some(NONCE),
            tokens["access_token"].as_str(),
        )
        .await
    }

    /// Sends the suite's request (scope `openid`) plus `extra`, expects the login page
    /// (`expected` says why), logs in, completes the flow and returns the ID token's claims.
    pub async fn log_in_on_the_page(&self, extra: &[(&str, &str)], expected: &str) -> Value {
        let response = self.send(&self.request_with("openid", extra)).await;
        assert_eq!(response.status(), 200, "{expected}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("name=\"password\""),
            "a login page: {expected}"
        );
        let response = submit_login(self.server, &self.browser, &html, USER, PASSWORD).await;
        let params = self.callback(&self.interact(response).await);
        self.redeem(&params).await
    }

    /// The whole flow for `pairs`: authorization, token, ID token, UserInfo.
    pub async fn flow_with(&self, pairs: &[(String, String)], nonce: Option<&str>) -> Flow {
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

    pub async fn flow(&self, scope: &str, extra: &[(&str, &str)]) -> Flow {
        self.flow_with(&self.request_with(scope, extra), Some(NONCE))
            .await
    }
}

/// The value of header `name`, empty when absent.
pub fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

pub async fn read_token_answer(response: reqwest::Response) -> TokenAnswer {
    let content_type = header(&response, "content-type");
    let cache_control = header(&response, "cache-control");
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

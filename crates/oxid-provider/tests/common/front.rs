//! The suite's relying party for the Implicit, Hybrid and Form Post plans: the Basic plan's
//! [`Rp`] with the plan's `response_type` (and `response_mode=form_post` in the Form Post
//! plans), reading the answer where the response mode puts it and checking what comes from
//! the authorization endpoint (OIDC Core §3.2.2.5, §3.3.2.5, §3.3.2.11).

use super::*;
use oxid_protocol::params::Params;
use serde_json::Value;

/// A plan variant: its response type and whether it runs with `response_mode=form_post`.
#[derive(Debug, Clone, Copy)]
pub struct Variant {
    pub response_type: &'static str,
    pub form_post: bool,
}

impl Variant {
    fn has(&self, part: &str) -> bool {
        self.response_type.split(' ').any(|p| p == part)
    }
    pub fn code(&self) -> bool {
        self.has("code")
    }
    pub fn token(&self) -> bool {
        self.has("token")
    }
    pub fn id_token(&self) -> bool {
        self.has("id_token")
    }
}

/// The relying party of one plan variant.
pub struct FrontRp<'a> {
    pub rp: Rp<'a>,
    pub variant: Variant,
}

/// What a complete flow produced.
pub struct FrontFlow {
    /// The authorization response.
    pub params: Params,
    /// The claims of the ID token from the authorization endpoint.
    pub front_claims: Option<Value>,
    /// The token response, when a code was exchanged.
    pub tokens: Option<Value>,
    /// The claims of the last ID token (the token endpoint's when a code was exchanged).
    pub id_claims: Value,
    /// The access token used at UserInfo (the token endpoint's, else the front one).
    pub access_token: Option<String>,
    /// The UserInfo answer, when there was an access token.
    pub userinfo: Option<Value>,
}

impl FrontFlow {
    pub fn sub(&self) -> &str {
        self.id_claims["sub"].as_str().unwrap()
    }
}

/// A client registered for `response_type` (and the grants OIDC Registration §2 pairs
/// with it).
pub async fn front_client<'a>(
    server: &'a TestServer,
    client_id: &str,
    variant: Variant,
) -> FrontRp<'a> {
    let rp = Rp::with_client(server, client_id, |c| {
        c.response_types = vec![variant.response_type.into()];
        c.grant_types = vec![
            "authorization_code".into(),
            "implicit".into(),
            "refresh_token".into(),
        ];
    })
    .await;
    FrontRp { rp, variant }
}

/// The suite's client for `variant` that also registered `request_uris`.
pub async fn front_client_with<'a>(
    server: &'a TestServer,
    variant: Variant,
    request_uris: Vec<String>,
) -> FrontRp<'a> {
    let rp = Rp::with_client(server, "suite-client", |c| {
        c.response_types = vec![variant.response_type.into()];
        c.grant_types = vec![
            "authorization_code".into(),
            "implicit".into(),
            "refresh_token".into(),
        ];
        c.request_uris = request_uris;
    })
    .await;
    FrontRp { rp, variant }
}

/// The fields of the form in a form_post page, with its `action`.
pub fn form_post_fields(html: &str) -> (String, Params) {
    let attribute = |tag: &str, name: &str| -> Option<String> {
        let marker = format!("{name}=\"");
        let start = tag.find(&marker)? + marker.len();
        let end = tag[start..].find('"')? + start;
        Some(unescape(&tag[start..end]))
    };
    let form_start = html.find("<form").expect("a form");
    let form_tag = &html[form_start..form_start + html[form_start..].find('>').unwrap()];
    assert_eq!(attribute(form_tag, "method").as_deref(), Some("post"));
    let action = attribute(form_tag, "action").expect("an action");
    let mut pairs = Vec::new();
    for input in html.split("<input").skip(1) {
        let tag = &input[..input.find('>').unwrap()];
        assert_eq!(attribute(tag, "type").as_deref(), Some("hidden"));
        pairs.push((
            attribute(tag, "name").unwrap(),
            attribute(tag, "value").unwrap(),
        ));
    }
    let encoded = oxid_protocol::params::encode_pairs(pairs);
    (action, Params::parse_form(encoded.as_bytes()).unwrap())
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

impl<'a> FrontRp<'a> {
    pub async fn new(server: &'a TestServer, variant: Variant) -> FrontRp<'a> {
        front_client(server, "suite-client", variant).await
    }

    /// The suite's request for this variant.
    pub fn request(&self, scope: &str) -> Vec<(String, String)> {
        self.request_with(scope, &[])
    }

    pub fn request_with(&self, scope: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut pairs =
            self.rp
                .request_replacing(scope, "response_type", self.variant.response_type);
        if self.variant.form_post {
            pairs.push(("response_mode".into(), "form_post".into()));
        }
        pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        pairs
    }

    pub async fn send(&self, pairs: &[(String, String)]) -> reqwest::Response {
        self.rp.send(pairs).await
    }

    /// The answer to the client, read where the response mode puts it: the body of an
    /// auto-submitting form POSTed to the redirect URI (Form Post Response Mode §2, never
    /// anything in a URL), the fragment (Multiple Response Types §5, default of every
    /// response type with a token), or the query (`code` alone).
    pub async fn answer(&self, response: reqwest::Response) -> Params {
        if self.variant.form_post {
            assert_eq!(response.status(), 200, "the form_post page");
            let csp = response.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_string();
            assert!(csp.contains("script-src 'sha256-"), "{csp}");
            assert!(!csp.contains("unsafe-inline"), "{csp}");
            assert!(csp.contains(&format!("form-action {REDIRECT}")), "{csp}");
            let html = response.text().await.unwrap();
            let (action, params) = form_post_fields(&html);
            assert_eq!(
                action, REDIRECT,
                "posted to the redirect URI, nothing in its query"
            );
            assert!(html.contains("<noscript>"), "works without JavaScript");
            return params;
        }
        assert!(
            response.status().is_redirection(),
            "a redirect to the client, got {}",
            response.status()
        );
        let location = response.headers()["location"].to_str().unwrap().to_string();
        if self.variant.token() || self.variant.id_token() {
            let (base, fragment) = location.split_once('#').expect("a fragment");
            assert_eq!(
                base, REDIRECT,
                "nothing in the query (Multiple Response Types §7)"
            );
            Params::parse_form(fragment.as_bytes()).unwrap()
        } else {
            location_params(&response).1
        }
    }

    /// Sends `pairs`, completes the pages and checks the success response: state, iss and
    /// exactly the artefacts of the response type.
    pub async fn authorize(&self, pairs: &[(String, String)]) -> Params {
        let response = self.rp.interact(self.send(pairs).await).await;
        let params = self.answer(response).await;
        self.check_success(params)
    }

    /// The baseline checks of a success response (see [`FrontRp::authorize`]).
    pub fn check_success(&self, params: Params) -> Params {
        assert!(params.get("error").is_none(), "{params:?}");
        assert_eq!(params.get("state"), Some(STATE), "state is echoed");
        assert_eq!(params.get("iss"), Some(self.rp.server.base.as_str()));
        let variant = self.variant;
        assert_eq!(params.get("code").is_some(), variant.code(), "{params:?}");
        assert_eq!(params.get("access_token").is_some(), variant.token());
        assert_eq!(params.get("id_token").is_some(), variant.id_token());
        if variant.token() {
            assert!(
                params
                    .get("token_type")
                    .is_some_and(|t| t.eq_ignore_ascii_case("bearer"))
            );
            assert!(
                params
                    .get("expires_in")
                    .is_some_and(|e| e.parse::<u64>().is_ok())
            );
            assert!(params.get("refresh_token").is_none(), "RFC 6749 §4.2.2");
        }
        params
    }

    /// The error response to `response` in this variant's mode: error, state, iss, no code or
    /// token, well-formed text (OIDC Core §3.2.2.6, §3.3.2.6).
    pub async fn error(&self, response: reqwest::Response) -> String {
        let params = self.answer(response).await;
        assert_eq!(params.get("state"), Some(STATE), "state is echoed");
        assert_eq!(params.get("iss"), Some(self.rp.server.base.as_str()));
        for artefact in ["code", "access_token", "id_token"] {
            assert!(
                params.get(artefact).is_none(),
                "no {artefact} with an error"
            );
        }
        let error = params.get("error").expect("an error").to_string();
        assert!(valid_error_text(&error));
        if let Some(description) = params.get("error_description") {
            assert!(valid_error_text(description), "{description}");
        }
        error
    }

    /// The ID token from the authorization endpoint checked: the baseline, `nonce`, and
    /// `c_hash`, `at_hash` and `s_hash` REQUIRED and correct when their value came with it
    /// (OIDC Core §3.2.2.10, §3.3.2.11; FAPI's `s_hash` as oidc-provider sends it).
    pub async fn check_front_id_token(&self, params: &Params, nonce: Option<&str>) -> Value {
        let id_token = params.get("id_token").unwrap();
        let access_token = params.get("access_token");
        let claims = check_id_token(
            self.rp.server,
            id_token,
            &self.rp.client_id,
            nonce,
            access_token,
        )
        .await;
        let hashed = [
            ("c_hash", params.get("code")),
            ("at_hash", access_token),
            ("s_hash", params.get("state")),
        ];
        for (claim, value) in hashed {
            match value {
                Some(value) => assert_eq!(
                    claims[claim].as_str(),
                    Some(half_hash(id_token, value).as_str()),
                    "{claim}"
                ),
                None => assert!(claims.get(claim).is_none(), "no {claim}"),
            }
        }
        claims
    }

    /// The whole flow for `pairs`: authorization, the front ID token, the code exchanged
    /// (same `sub`), UserInfo with the access token.
    pub async fn flow_with(&self, pairs: &[(String, String)], nonce: Option<&str>) -> FrontFlow {
        let params = self.authorize(pairs).await;
        self.complete(params, nonce).await
    }

    /// The rest of a flow after its checked authorization response.
    pub async fn complete(&self, params: Params, nonce: Option<&str>) -> FrontFlow {
        let front_claims = match self.variant.id_token() {
            true => Some(self.check_front_id_token(&params, nonce).await),
            false => None,
        };
        let mut access_token = params.get("access_token").map(str::to_string);
        let mut id_claims = front_claims.clone().unwrap_or(Value::Null);
        let mut tokens = None;
        if let Some(code) = params.get("code") {
            let answer = check_token_response(&self.rp.exchange(code).await);
            let claims = check_id_token(
                self.rp.server,
                answer["id_token"].as_str().unwrap(),
                &self.rp.client_id,
                nonce,
                answer["access_token"].as_str(),
            )
            .await;
            if let Some(front) = &front_claims {
                assert_eq!(
                    front["sub"], claims["sub"],
                    "the same sub (OIDC Core §3.3.3.6)"
                );
            }
            access_token = answer["access_token"].as_str().map(str::to_string);
            id_claims = claims;
            tokens = Some(answer);
        }
        let userinfo = match &access_token {
            Some(token) => {
                let userinfo = userinfo_get(self.rp.server, token).await;
                assert_eq!(userinfo["sub"], id_claims["sub"], "OIDC Core §5.3.2");
                check_claim_types(&userinfo);
                Some(userinfo)
            }
            None => None,
        };
        FrontFlow {
            params,
            front_claims,
            tokens,
            id_claims,
            access_token,
            userinfo,
        }
    }

    pub async fn flow(&self, scope: &str, extra: &[(&str, &str)]) -> FrontFlow {
        self.flow_with(&self.request_with(scope, extra), Some(NONCE))
            .await
    }
}

//! The conformance suite's modules as the Implicit, Hybrid and Form Post plans run them:
//! one function per module, for any plan variant (response type, form_post or not). The
//! plan files (`conformance_implicit.rs`, `conformance_hybrid.rs`, `conformance_formpost.rs`)
//! instantiate them per variant with [`front_modules!`], so each test is named after its
//! module inside a module named after its variant.
#![allow(dead_code)]

use crate::common::front::*;
use crate::common::*;
use serde_json::{Value, json};

/// One `#[tokio::test]` per named module, for `$variant`.
macro_rules! front_modules {
    ($variant:expr; $($module:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $module() {
            crate::front_plan::$module($variant).await
        }
    )*};
}
pub(crate) use front_modules;

/// The modules that every list of the Implicit, Hybrid and Form Post plans runs (each plan
/// file adds its own), for `$variant`.
macro_rules! every_plan_modules {
    ($variant:expr) => {
        crate::front_plan::front_modules!($variant;
            oidcc_server,
            oidcc_idtoken_signature,
            oidcc_scope_profile,
            oidcc_scope_email,
            oidcc_scope_address,
            oidcc_scope_phone,
            oidcc_scope_all,
            oidcc_alternate_happy_flow,
            oidcc_display_page,
            oidcc_display_popup,
            oidcc_prompt_login,
            oidcc_prompt_none_not_logged_in,
            oidcc_prompt_none_logged_in,
            oidcc_max_age_1,
            oidcc_max_age_10000,
            oidcc_ensure_request_with_unknown_parameter_succeeds,
            oidcc_id_token_hint,
            oidcc_login_hint,
            oidcc_ui_locales,
            oidcc_claims_locales,
            oidcc_ensure_request_with_acr_values_succeeds,
            oidcc_ensure_registered_redirect_uri,
            oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported,
            oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported,
            oidcc_ensure_request_object_with_redirect_uri,
            oidcc_claims_essential,
        );
    };
}
pub(crate) use every_plan_modules;

pub const ID_TOKEN: Variant = Variant {
    response_type: "id_token",
    form_post: false,
};
pub const ID_TOKEN_TOKEN: Variant = Variant {
    response_type: "id_token token",
    form_post: false,
};
pub const CODE_ID_TOKEN: Variant = Variant {
    response_type: "code id_token",
    form_post: false,
};
pub const CODE_TOKEN: Variant = Variant {
    response_type: "code token",
    form_post: false,
};
pub const CODE_ID_TOKEN_TOKEN: Variant = Variant {
    response_type: "code id_token token",
    form_post: false,
};

/// The same variant with `response_mode=form_post`.
pub const fn form_post(variant: Variant) -> Variant {
    Variant {
        response_type: variant.response_type,
        form_post: true,
    }
}

async fn setup(variant: Variant) -> TestServer {
    let _ = variant;
    suite_server().await
}

pub async fn oidcc_server(variant: Variant) {
    let server = setup(variant).await;
    check_configuration(&server, "client_secret_basic").await;
    let rp = FrontRp::new(&server, variant).await;
    let flow = rp.flow("openid", &[]).await;
    if let Some(code) = flow.params.get("code") {
        // RFC 6749 §10.10: at least 128 bits, 96 bits measured entropy.
        assert!(code.len() * 8 >= 128 && measured_entropy(code) > 96.0);
    }
    // The suite warns about claims nobody asked for in the ID token.
    for name in ["name", "email", "phone_number", "address"] {
        assert!(flow.id_claims.get(name).is_none(), "{name} unrequested");
    }
}

pub async fn oidcc_server_client_secret_post(variant: Variant) {
    let server = setup(variant).await;
    check_configuration(&server, "client_secret_post").await;
    let rp = Rp::with_client(&server, "suite-post", |c| {
        c.auth_method = Some("client_secret_post".into());
        c.response_types = vec![variant.response_type.into()];
        c.grant_types = vec!["authorization_code".into(), "implicit".into()];
    })
    .await;
    let rp = FrontRp { rp, variant };
    let params = rp.authorize(&rp.request("openid")).await;
    // RFC 6749 §2.3.1: client_id and client_secret in the form body.
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", params.get("code").unwrap()),
            ("redirect_uri", REDIRECT),
            ("client_id", "suite-post"),
            ("client_secret", rp.rp.secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let tokens = check_token_response(&read_token_answer(response).await);
    let access_token = tokens["access_token"].as_str().unwrap();
    userinfo_get(&server, access_token).await;
}

pub async fn oidcc_idtoken_signature(variant: Variant) {
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let flow = rp.flow("openid", &[]).await;
    let params = &flow.params;
    let id_token = params
        .get("id_token")
        .map(str::to_string)
        .or_else(|| {
            flow.tokens
                .as_ref()
                .map(|t| t["id_token"].as_str().unwrap().into())
        })
        .unwrap();
    let jws = oxid_protocol::jose::CompactJws::parse(&id_token).unwrap();
    assert_eq!(jws.header().alg, "RS256", "OIDC Registration §2 default");
    let kid = jws.header().kid.clone().expect("a kid");
    assert_eq!(jwk_for_kid(&server, &kid).await["kty"], "RSA");
}

pub async fn oidcc_idtoken_unsigned(variant: Variant) {
    // Optional; skipped by the suite when discovery does not list `none` (it does not).
    let server = setup(variant).await;
    let document = discovery(&server).await;
    let algs = "id_token_signing_alg_values_supported";
    assert!(!list_contains(&document, algs, "none"));
}

pub async fn oidcc_ensure_request_without_nonce_fails(variant: Variant) {
    // OIDC Core §3.2.2.1, §3.3.2.1: nonce is REQUIRED when an ID token comes from the
    // authorization endpoint; refused with invalid_request, in the response mode, no tokens.
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let pairs: Vec<_> = rp
        .request("openid")
        .into_iter()
        .filter(|(k, _)| k != "nonce")
        .collect();
    let error = rp.error(rp.send(&pairs).await).await;
    assert_eq!(error, "invalid_request");
}

pub async fn oidcc_ensure_request_without_nonce_succeeds_for_code_flow(variant: Variant) {
    // OIDC Core §3.3.2.1: nonce is OPTIONAL for `code token` (and `code`); no nonce claim.
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let pairs: Vec<_> = rp
        .request("openid")
        .into_iter()
        .filter(|(k, _)| k != "nonce")
        .collect();
    let flow = rp.flow_with(&pairs, None).await;
    assert!(flow.id_claims.get("nonce").is_none());
}

/// The claims of `scope`, from UserInfo when an access token was issued, else from the ID
/// token (OIDC Core §5.4).
async fn scope_flow(variant: Variant, scope: &str, expected: &[&str]) -> Value {
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let flow = rp.flow(scope, &[]).await;
    let claims = flow.userinfo.unwrap_or_else(|| flow.id_claims.clone());
    for name in expected {
        assert!(claims.get(*name).is_some(), "{name} released: {claims}");
    }
    claims
}

pub async fn oidcc_scope_profile(variant: Variant) {
    let claims = scope_flow(variant, "openid profile", &["name", "preferred_username"]).await;
    assert!(claims.get("email").is_none(), "only the scope's claims");
}

pub async fn oidcc_scope_email(variant: Variant) {
    let claims = scope_flow(variant, "openid email", &["email", "email_verified"]).await;
    assert!(claims.get("name").is_none(), "name unrequested");
}

pub async fn oidcc_scope_address(variant: Variant) {
    scope_flow(variant, "openid address", &["address"]).await;
}

pub async fn oidcc_scope_phone(variant: Variant) {
    scope_flow(variant, "openid phone", &["phone_number"]).await;
}

pub async fn oidcc_scope_all(variant: Variant) {
    let all = ["name", "email", "address", "phone_number"];
    scope_flow(variant, "openid address email phone profile", &all).await;
}

pub async fn oidcc_claims_essential(variant: Variant) {
    // OIDC Core §5.5: name essential, in the ID token when no access token is issued.
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let member = if variant.token() || variant.code() {
        "userinfo"
    } else {
        "id_token"
    };
    let claims = json!({ member: {"name": {"essential": true}} }).to_string();
    let flow = rp.flow("openid profile", &[("claims", &claims)]).await;
    let holder = flow.userinfo.unwrap_or(flow.id_claims);
    assert_eq!(holder["name"], "Alice Liddell", "{holder}");
}

pub async fn oidcc_alternate_happy_flow(variant: Variant) {
    // RFC 6749 §3.3: scope order and parameter order do not matter.
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let mut pairs = rp.request("email openid");
    pairs.reverse();
    let flow = rp.flow_with(&pairs, Some(NONCE)).await;
    let claims = flow.userinfo.unwrap_or(flow.id_claims);
    assert!(claims.get("email").is_some(), "{claims}");
}

/// The flow with `extra`, in a fresh browser: a login page first.
async fn flow_with_extra(variant: Variant, extra: &[(&str, &str)]) -> FrontFlow {
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let response = rp.send(&rp.request_with("openid", extra)).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("name=\"password\""),
        "a login page: {extra:?}"
    );
    let response = submit_login(&server, &rp.rp.browser, &html, USER, PASSWORD).await;
    let params = rp.answer(rp.rp.interact(response).await).await;
    rp.complete(rp.check_success(params), Some(NONCE)).await
}

pub async fn oidcc_display_page(variant: Variant) {
    flow_with_extra(variant, &[("display", "page")]).await;
}

pub async fn oidcc_display_popup(variant: Variant) {
    flow_with_extra(variant, &[("display", "popup")]).await;
}

pub async fn oidcc_login_hint(variant: Variant) {
    flow_with_extra(variant, &[("login_hint", "buffy@127.0.0.1")]).await;
}

pub async fn oidcc_ui_locales(variant: Variant) {
    flow_with_extra(variant, &[("ui_locales", "se")]).await;
}

pub async fn oidcc_claims_locales(variant: Variant) {
    flow_with_extra(variant, &[("claims_locales", "se")]).await;
}

pub async fn oidcc_ensure_request_with_acr_values_succeeds(variant: Variant) {
    let flow = flow_with_extra(variant, &[("acr_values", "1 2")]).await;
    if let Some(acr) = flow.id_claims.get("acr") {
        assert!(acr.as_str().is_some_and(|a| !a.is_empty()));
    }
}

pub async fn oidcc_ensure_request_with_unknown_parameter_succeeds(variant: Variant) {
    flow_with_extra(variant, &[("extra", "foobar")]).await;
}

/// The ID token to look at in a flow: the front one when there is one.
fn claims_of(flow: &FrontFlow) -> &Value {
    flow.front_claims.as_ref().unwrap_or(&flow.id_claims)
}

fn auth_time_of(flow: &FrontFlow) -> u64 {
    auth_time(claims_of(flow))
}

pub async fn oidcc_prompt_login(variant: Variant) {
    // OIDC Core §3.1.2.1 prompt=login: a login page despite the session; a later auth_time.
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let first = rp.flow("openid", &[]).await;
    server.clock.advance(1);
    let response = rp
        .send(&rp.request_with("openid", &[("prompt", "login")]))
        .await;
    let html = response.text().await.unwrap();
    assert!(
        html.contains("name=\"password\""),
        "a login page despite the session"
    );
    let response = submit_login(&server, &rp.rp.browser, &html, USER, PASSWORD).await;
    let params = rp.answer(rp.rp.interact(response).await).await;
    let second = rp.complete(rp.check_success(params), Some(NONCE)).await;
    assert_eq!(second.sub(), first.sub());
    assert!(auth_time_of(&second) > auth_time_of(&first));
}

pub async fn oidcc_prompt_none_not_logged_in(variant: Variant) {
    // OIDC Core §3.1.2.6: an error in the response mode, not a page.
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let response = rp
        .send(&rp.request_with("openid", &[("prompt", "none")]))
        .await;
    let error = rp.error(response).await;
    assert!(PROMPT_NONE_ERRORS.contains(&error.as_str()), "{error}");
}

pub async fn oidcc_prompt_none_logged_in(variant: Variant) {
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let first = rp.flow("openid", &[]).await;
    // No page: the answer comes straight back.
    let second = rp.flow("openid", &[("prompt", "none")]).await;
    assert_eq!(second.sub(), first.sub());
    assert_eq!(auth_time_of(&second), auth_time_of(&first));
}

pub async fn oidcc_max_age_1(variant: Variant) {
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let first = rp.flow("openid", &[]).await;
    server.clock.advance(2);
    let response = rp
        .send(&rp.request_with("openid", &[("max_age", "1")]))
        .await;
    let html = response.text().await.unwrap();
    assert!(
        html.contains("name=\"password\""),
        "re-authentication (OIDC Core §3.1.2.1)"
    );
    let response = submit_login(&server, &rp.rp.browser, &html, USER, PASSWORD).await;
    let params = rp.answer(rp.rp.interact(response).await).await;
    let second = rp.complete(rp.check_success(params), Some(NONCE)).await;
    assert!(auth_time_of(&second) > auth_time_of(&first));
}

pub async fn oidcc_max_age_10000(variant: Variant) {
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let first = rp.flow("openid", &[("max_age", "15000")]).await;
    let second = rp
        .flow("openid", &[("max_age", "10000"), ("prompt", "none")])
        .await;
    assert_eq!(second.sub(), first.sub());
    assert_eq!(
        auth_time_of(&second),
        auth_time_of(&first),
        "auth_time in both"
    );
}

pub async fn oidcc_id_token_hint(variant: Variant) {
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let first = rp.flow("openid", &[]).await;
    let hint = first
        .params
        .get("id_token")
        .map(str::to_string)
        .unwrap_or_else(|| {
            first.tokens.as_ref().unwrap()["id_token"]
                .as_str()
                .unwrap()
                .to_string()
        });
    let extra = [("prompt", "none"), ("id_token_hint", hint.as_str())];
    let second = rp.flow("openid", &extra).await;
    assert_eq!(second.sub(), first.sub());
}

pub async fn oidcc_ensure_registered_redirect_uri(variant: Variant) {
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let bad = format!("{REDIRECT}/Xk2q");
    let pairs = rp.rp.request_replacing("openid", "redirect_uri", &bad);
    let mut pairs: Vec<_> = pairs
        .into_iter()
        .map(|(k, v)| match k.as_str() {
            "response_type" => (k, variant.response_type.to_string()),
            _ => (k, v),
        })
        .collect();
    if variant.form_post {
        pairs.push(("response_mode".into(), "form_post".into()));
    }
    check_error_page(rp.send(&pairs).await).await;
}

pub async fn oidcc_response_type_missing(variant: Variant) {
    // Without response_type, its default mode is unknown: the error goes to the query, or
    // the form_post body when that mode was asked for.
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let pairs: Vec<_> = rp
        .request("openid")
        .into_iter()
        .filter(|(k, _)| k != "response_type")
        .collect();
    let response = rp.send(&pairs).await;
    let error = if variant.form_post {
        rp.error(response).await
    } else {
        check_error_redirect(&server, &response)
    };
    assert!(["invalid_request", "unsupported_response_type"].contains(&error.as_str()));
}

pub async fn oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported(
    variant: Variant,
) {
    // OIDC Core §6.1: processed (the suite's client registered `none`); the object's nonce
    // is the one the ID tokens carry.
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let object = unsigned_request_object(&json!({"client_id": "suite-client", "nonce": NONCE}));
    let flow = rp.flow("openid", &[("request", &object)]).await;
    assert!(flow.id_claims.is_object());
}

pub async fn oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported(
    variant: Variant,
) {
    // OIDC Core §6.2: the suite-hosted object at a registered request_uri is fetched.
    let server = TestServer::start_with(|s| {
        s.require_pkce = false;
        s.outbound.allow_private_addresses = true;
    })
    .await;
    let (uri, served) = serve_request_object().await;
    *served.lock().unwrap() =
        unsigned_request_object(&json!({"client_id": "suite-client", "nonce": NONCE}));
    let rp = front_client_with(&server, variant, vec![uri.clone()]).await;
    rp.flow("openid", &[("request_uri", &uri)]).await;
    // Not registered: refused, never fetched.
    let pairs = rp.request_with("openid", &[("request_uri", "https://rp.example.com/ro")]);
    assert_eq!(rp.error(rp.send(&pairs).await).await, "invalid_request_uri");
}

pub async fn oidcc_ensure_request_object_with_redirect_uri(variant: Variant) {
    // OIDC Core §6.1, §6.3.3: the object's redirect_uri wins over the invalid plain one,
    // which is never redirected to.
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let object = unsigned_request_object(&json!({"redirect_uri": REDIRECT}));
    let bad = format!("{REDIRECT}/invalid");
    let mut pairs = rp.request_with("openid", &[("request", &object)]);
    for (k, v) in pairs.iter_mut() {
        if k == "redirect_uri" {
            *v = bad.clone();
        }
    }
    rp.flow_with(&pairs, Some(NONCE)).await;
}

/// A flow whose access token goes to UserInfo with `call`.
async fn userinfo_flow(variant: Variant) -> (TestServer, String, String) {
    let server = setup(variant).await;
    let (token, sub) = {
        let rp = FrontRp::new(&server, variant).await;
        let flow = rp.flow("openid", &[]).await;
        (
            flow.access_token.clone().expect("an access token"),
            flow.sub().to_string(),
        )
    };
    (server, token, sub)
}

pub async fn oidcc_userinfo_get(variant: Variant) {
    let (server, token, sub) = userinfo_flow(variant).await;
    assert_eq!(userinfo_get(&server, &token).await["sub"], sub.as_str());
}

pub async fn oidcc_userinfo_post_header(variant: Variant) {
    let (server, token, sub) = userinfo_flow(variant).await;
    let response = reqwest::Client::new()
        .post(server.url("/userinfo"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["sub"], sub.as_str());
}

pub async fn oidcc_userinfo_post_body(variant: Variant) {
    let (server, token, sub) = userinfo_flow(variant).await;
    let response = reqwest::Client::new()
        .post(server.url("/userinfo"))
        .form(&[("access_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "RFC 6750 §2.2");
    assert_eq!(response.json::<Value>().await.unwrap()["sub"], sub.as_str());
}

pub async fn oidcc_codereuse(variant: Variant) {
    // RFC 6749 §4.1.2: a code used twice is refused and revokes what it produced, the
    // access token of the authorization endpoint included (one grant).
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let flow = rp.flow("openid", &[]).await;
    let code = flow.params.get("code").unwrap();
    check_token_error(&rp.rp.exchange(code).await, "invalid_grant");
    let revoked = reqwest::Client::new()
        .get(server.url("/userinfo"))
        .bearer_auth(flow.access_token.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 401);
    if let Some(front) = flow.params.get("access_token") {
        let front = reqwest::Client::new()
            .get(server.url("/userinfo"))
            .bearer_auth(front)
            .send()
            .await
            .unwrap();
        assert_eq!(front.status(), 401, "the front access token is revoked too");
    }
}

pub async fn oidcc_codereuse_30seconds(variant: Variant) {
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let flow = rp.flow("openid", &[]).await;
    server.clock.advance(30);
    let code = flow.params.get("code").unwrap();
    check_token_error(&rp.rp.exchange(code).await, "invalid_grant");
}

pub async fn oidcc_refresh_token(variant: Variant) {
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let flow = rp
        .flow("openid offline_access", &[("prompt", "consent")])
        .await;
    let tokens = flow.tokens.expect("a token response");
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token");
    let answer = rp
        .rp
        .token(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .await;
    let refreshed = check_token_response(&answer);
    let claims = verify_jws_with_jwks(&server, refreshed["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["sub"], flow.id_claims["sub"], "OIDC Core §12.2");
}

pub async fn oidcc_ensure_request_with_valid_pkce_succeeds(variant: Variant) {
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let extra = [
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let params = rp.authorize(&rp.request_with("openid", &extra)).await;
    let code = params.get("code").unwrap();
    let answer = rp
        .rp
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .await;
    check_token_response(&answer);
}

pub async fn oidcc_ensure_post_request_succeeds(variant: Variant) {
    // OIDC Core §3.1.2.1: POST to the authorization endpoint.
    let server = setup(variant).await;
    let rp = FrontRp::new(&server, variant).await;
    let body = oxid_protocol::params::encode_pairs(rp.request("openid"));
    let response = rp
        .rp
        .browser
        .post(server.url("/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let params = rp.answer(rp.rp.interact(response).await).await;
    assert_eq!(params.get("state"), Some(STATE));
    assert!(params.get("error").is_none(), "{params:?}");
}

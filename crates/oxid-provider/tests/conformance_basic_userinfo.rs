//! The OpenID conformance suite's Basic OP plan, the modules about UserInfo (OIDC Core §5.3)
//! and the claims scopes release (§5.4, §5.5). One test per module, named after it (see
//! `docs/conformance.md`).
//!
//! The suite acts as a relying party with a static confidential client
//! (client_secret_basic) and sends no PKCE except in
//! `oidcc-ensure-request-with-valid-pkce-succeeds`. Oxid requires PKCE by default
//! (RFC 9700 §2.1.1), so these tests run the provider the way a certification run must
//! configure it: `require_pkce = false` (see
//! `conformance_basic::suite_request_without_pkce_needs_require_pkce_off`). The suite's
//! relying party and baseline checks are in `tests/common` (`suite`, `checks`).

mod common;

use common::*;
use serde_json::{Value, json};

// UserInfo (OIDC Core §5.3)

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
    assert_eq!(response.headers()["cache-control"], "no-store");
    let userinfo = read_userinfo(response).await;
    assert_eq!(userinfo["sub"], flow.sub());
    assert_eq!(userinfo, flow.userinfo);
    // RFC 6750 §2: the header and the body at once is invalid_request.
    let response = reqwest::Client::new()
        .post(server.url("/userinfo"))
        .bearer_auth(flow.access_token())
        .form(&[("access_token", flow.access_token())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

// Scopes and claims (OIDC Core §5.4, §5.5)

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
    assert_eq!(userinfo["address"]["country"], "FR");
    assert_eq!(userinfo["preferred_username"], "alice");
}

#[tokio::test]
async fn oidcc_claims_essential() {
    // OIDC Core §5.5: name as an essential UserInfo claim. Oxid advertises
    // claims_parameter_supported=true and honours both members within the consented scopes;
    // with scope=openid name is not consented (the suite then only warns about a missing
    // name); the flow must succeed and name must not go to the ID token.
    let server = suite_server().await;
    let document = discovery(&server).await;
    assert_eq!(document["claims_parameter_supported"], true);
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

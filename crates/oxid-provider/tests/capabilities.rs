//! What discovery says about the `claims` request parameter (OIDC Core §5.5) is what the
//! provider does: `claims_parameter_supported` is true (checked by the table test), and both
//! members are honoured within what the user consented to (the scopes; the consent page lists
//! scopes, OIDC Core §3.1.2.4).

mod common;

use common::*;
use oxid_protocol::jose::CompactJws;
use serde_json::{Value, json};

/// Authorize with `scope` and `claims`, log in, consent, exchange the code; the ID token's
/// claims and the UserInfo answer.
async fn flow_with_claims(server: &TestServer, scope: &str, claims: &Value) -> (Value, Value) {
    // `minimal`: only what the `claims` request names goes in the ID token (a client's
    // default `scope` would put every granted scope's claims there too).
    let secret = server
        .add_client("app", |c| c.id_token_claims = Some("minimal".into()))
        .await;
    let browser = server.browser();
    let claims = claims.to_string();
    let query = auth_query("app", scope, &[("claims", claims.as_str())]);
    let page = browser
        .get(server.url(&format!("/authorize?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let consent = submit_login(server, &browser, &html, USER, PASSWORD).await;
    assert_eq!(consent.status(), 200, "the consent page");
    let html = consent.text().await.unwrap();
    let redirect = submit_consent(server, &browser, &html, "allow").await;
    let (_, params) = location_params(&redirect);
    let code = params.get("code").expect("a code");
    let (status, tokens) = exchange_code(server, "app", &secret, code).await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = tokens["id_token"].as_str().unwrap();
    let id_claims = CompactJws::parse(id_token).unwrap().payload_json().unwrap();
    let access_token = tokens["access_token"].as_str().unwrap();
    let request = reqwest::Client::new().get(server.url("/userinfo"));
    let response = request.bearer_auth(access_token).send().await.unwrap();
    (id_claims, response.json().await.unwrap())
}

#[tokio::test]
async fn both_members_are_honoured_within_the_consented_scopes_oidc_core_5_5() {
    let server = TestServer::start().await;
    let claims = json!({
        "userinfo": {"name": {"essential": true}, "phone_number": null},
        "id_token": {"email": {"essential": true}},
    });
    let (id_claims, userinfo) = flow_with_claims(&server, "openid profile email", &claims).await;
    // The id_token member moves a consented claim into the ID token.
    assert_eq!(id_claims["email"], "alice@example.com");
    assert!(
        id_claims.get("name").is_none(),
        "asked for at UserInfo only"
    );
    // The userinfo member is answered at UserInfo, beside what the scopes release.
    assert_eq!(userinfo["name"], "Alice Liddell");
    assert_eq!(userinfo["email"], "alice@example.com");
    // phone was not consented to: asking by name does not release it (§5.5.1: a request
    // that cannot be met is not an error).
    assert!(userinfo.get("phone_number").is_none(), "{userinfo}");
}

#[tokio::test]
async fn an_essential_claim_outside_consent_is_not_released_and_not_an_error() {
    let server = TestServer::start().await;
    let claims = json!({"userinfo": {"email": {"essential": true}}});
    let (id_claims, userinfo) = flow_with_claims(&server, "openid", &claims).await;
    assert!(userinfo.get("email").is_none(), "{userinfo}");
    assert!(id_claims.get("email").is_none(), "{id_claims}");
    assert!(userinfo["sub"].is_string());
}

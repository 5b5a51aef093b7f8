//! OIDC Front-Channel Logout 1.0: the signed-out page frames each session client's
//! `frontchannel_logout_uri` with `iss` and `sid` (§2, §3). Mirrors the suite's FCL plan.

mod common;

use common::*;
use serde_json::Value;

const AFTER_LOGOUT: &str = "https://app.example.com/logged-out";
const FRONTCHANNEL: &str = "https://app.example.com/frontchannel_logout";

#[tokio::test]
async fn oidcc_frontchannel_logout_discovery_endpoint_verification() {
    let server = TestServer::start().await;
    let document: Value = reqwest::get(server.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["frontchannel_logout_supported"], true);
    assert_eq!(document["frontchannel_logout_session_supported"], true);
    assert!(document["end_session_endpoint"].is_string());
}

#[tokio::test]
async fn oidcc_frontchannel_rp_initiated_logout_frames_the_client_then_redirects() {
    let server = TestServer::start().await;
    let secret = server
        .add_client("app", |c| {
            c.frontchannel_logout_uri = Some(FRONTCHANNEL.into());
            c.post_logout_redirect_uris = vec![AFTER_LOGOUT.into()];
        })
        .await;
    let browser = server.browser();
    let code = obtain_code(&server, &browser, "app", "openid").await;
    let (_, tokens) = exchange_code(&server, "app", &secret, &code).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let sid = verify_jws_with_jwks(&server, id_token).await["sid"]
        .as_str()
        .unwrap()
        .to_string();
    let query = oxid_protocol::params::encode_pairs([
        ("id_token_hint", id_token),
        ("post_logout_redirect_uri", AFTER_LOGOUT),
        ("state", "s"),
    ]);
    let response = browser
        .get(server.url(&format!("/logout?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "a page holds the iframes");
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("frame-src https://app.example.com;"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"));
    let html = response.text().await.unwrap();
    let expected = oxid_protocol::params::append_query(
        FRONTCHANNEL,
        [("iss", server.base.as_str()), ("sid", sid.as_str())],
    );
    let escaped = expected.replace('&', "&amp;").replace('/', "&#x2f;");
    assert!(
        html.contains(&format!("<iframe src=\"{escaped}\"")),
        "{html}"
    );
    let redirect = format!("{AFTER_LOGOUT}?state=s").replace('/', "&#x2f;");
    assert!(
        html.contains(&format!("content=\"2;url={redirect}\"")),
        "{html}"
    );
    // The session is over.
    let query = auth_query("app", "openid", &[("prompt", "none")]);
    let response = browser
        .get(server.url(&format!("/authorize?{query}")))
        .send()
        .await
        .unwrap();
    let (_, params) = location_params(&response);
    assert_eq!(params.get("error"), Some("login_required"));
}

//! The native-app login of RFC 8252 and the `oxid discover` report, end to end against a
//! provider played by the test.

mod common;

use std::time::Duration;

use common::Mock;
use common::op::Op;
use oxid_client::loopback::{LoopbackListener, login};
use oxid_client::report::{DiscoverReport, parse_auth_params};
use oxid_client::{ClientAuth, ClientError, DiscoveryOptions, HttpClient};
use oxid_protocol::params::Params;
use oxid_protocol::scope::Scope;
use serde_json::json;

#[tokio::test]
async fn login_completes_through_the_loopback_redirect_rfc8252() {
    let op = Op::start().await;
    let client = op.client(ClientAuth::None).await;
    let mock = op.mock.clone();
    let op_key_token = |nonce: &str| op.id_token(json!({"nonce": nonce}));
    let scope = Scope::parse("openid").unwrap();
    // The "browser": reads the URL, lets the provider answer the token call, follows the
    // redirect to the loopback listener.
    let tokens = login(&client, &scope, &[], 0, Duration::from_secs(20), |url| {
        let sent = Params::parse_query(url.split_once('?').unwrap().1).unwrap();
        let redirect = sent.get("redirect_uri").unwrap().to_owned();
        assert!(redirect.starts_with("http://127.0.0.1:"));
        mock.set_json(
            "/token",
            200,
            &json!({"access_token": "at", "token_type": "Bearer", "id_token": op_key_token(sent.get("nonce").unwrap())}),
        );
        let iss: String = url::form_urlencoded::byte_serialize(mock.base.as_bytes()).collect();
        let callback = format!("{redirect}?code=c&state={}&iss={iss}", sent.get("state").unwrap());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            // A stray request first, as browsers do.
            let favicon = redirect.replace("/callback", "/favicon.ico");
            let _ = http.get(favicon).send().await;
            let page = http.get(callback).send().await.unwrap();
            assert_eq!(page.status(), 200);
        });
    })
    .await
    .unwrap();
    assert_eq!(tokens.id_token.unwrap().sub, "alice");
    assert_eq!(op.mock.last("/token").form()["code"], "c");
}

#[tokio::test]
async fn loopback_listener_times_out_without_a_callback() {
    let listener = LoopbackListener::bind(0).await.unwrap();
    assert!(listener.redirect_uri().starts_with("http://127.0.0.1:"));
    assert!(matches!(
        listener.wait_for_callback(Duration::from_millis(50)).await,
        Err(ClientError::Http { .. })
    ));
}

#[tokio::test]
async fn discover_report_has_the_summary_url_and_warnings() {
    let mock = Mock::start().await;
    let mut doc = mock.openid_configuration();
    doc["authorization_endpoint"] = json!("/authorize?tenant=t");
    mock.set_json("/.well-known/openid-configuration", 200, &doc);
    let params = parse_auth_params(&["prompt", "acr_values=a b", "acr_values=c"]).unwrap();
    let report = DiscoverReport::build(
        &HttpClient::new().unwrap(),
        &mock.base,
        DiscoveryOptions::default(),
        Some("my:client"),
        Some("sécret"),
        params,
    )
    .await
    .unwrap();
    let value = report.to_json();
    let keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "discovery_endpoint",
            "logout_endpoint",
            "auth_endpoint",
            "token_endpoint",
            "client_id",
            "authentication_header",
            "auth_query_params",
            "authorization_url",
            "warnings"
        ]
    );
    assert_eq!(
        value["authorization_url"],
        format!(
            "{}/authorize?tenant=t&prompt&acr_values=a%20b&acr_values=c",
            mock.base
        )
    );
    assert_eq!(
        value["auth_query_params"],
        json!({"prompt": [], "acr_values": ["a b", "c"]})
    );
    assert_eq!(
        value["authentication_header"],
        "Basic bXklM0FjbGllbnQ6cyVDMyVBOWNyZXQ="
    );
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
}

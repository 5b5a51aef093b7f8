//! Configured scopes and claims over HTTP (issue 11): the registry decides which scopes
//! exist (`invalid_scope` otherwise), the consent page shows their descriptions in the page
//! language, their claims reach UserInfo and the ID token, and the `claims` request
//! parameter's `value`, `values` and `essential` are honoured where OIDC Core §5.5.1 says.

mod common;

use common::*;
use oxid_provider::scopes::{Description, ScopeSetting};
use oxid_provider::users::{UserChanges, update_user};
use serde_json::{Value, json};

fn records_scope() -> ScopeSetting {
    let texts = [
        ("en", "Read your records"),
        ("fr", "Consulter vos dossiers"),
    ];
    ScopeSetting {
        name: "read:records".into(),
        description: Some(Description::PerLanguage(
            texts.map(|(l, t)| (l.to_string(), t.to_string())).into(),
        )),
        claims: Vec::new(),
    }
}

fn groups_scope() -> ScopeSetting {
    ScopeSetting {
        name: "groups".into(),
        description: Some(Description::Text("See your groups".into())),
        claims: vec!["groups".into()],
    }
}

/// A certification-style server (no PKCE forced) with `read:records` and `groups`
/// configured, and `alice` in groups `staff` and `ops`.
async fn server() -> TestServer {
    let server = TestServer::start_with(|s| {
        s.require_pkce = false;
        s.scopes = vec![records_scope(), groups_scope()];
        s.ui_locales = ["en-US", "fr-FR", "fr-CA"].map(String::from).to_vec();
    })
    .await;
    let changes = UserChanges {
        password: None,
        claims: json!({"groups": ["staff", "ops"]})
            .as_object()
            .unwrap()
            .clone(),
    };
    update_user(server.provider.store(), USER, changes, T0 + 1)
        .await
        .unwrap();
    server
}

#[tokio::test]
async fn an_unknown_scope_is_invalid_scope_at_authorize_rfc6749_4_1_2_1() {
    let server = server().await;
    let rp = Rp::new(&server).await;
    let response = rp.send(&rp.request("openid nope")).await;
    assert_eq!(check_error_redirect(&server, &response), "invalid_scope");
    let (_, params) = location_params(&response);
    assert!(params.get("error_description").unwrap().contains("nope"));
    // A configured scope is known: the login page follows.
    let response = rp.send(&rp.request("openid read:records groups")).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn an_unknown_scope_is_invalid_scope_at_the_token_endpoint_rfc6749_5_2() {
    let server = server().await;
    let rp = Rp::with_client(&server, "service", |c| {
        c.grant_types = vec!["client_credentials".into()];
        c.redirect_uris.clear();
    })
    .await;
    let grant = |scope: &'static str| [("grant_type", "client_credentials"), ("scope", scope)];
    check_token_error(&rp.token(&grant("nope")).await, "invalid_scope");
    // An API scope needs no user; a scope releasing claims does.
    let answer = rp.token(&grant("read:records")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["scope"], "read:records");
    check_token_error(&rp.token(&grant("groups")).await, "invalid_scope");
}

#[tokio::test]
async fn registering_a_client_with_an_unknown_scope_is_refused() {
    let server = server().await;
    let provider = &server.provider;
    let new = |scope: &str| oxid_provider::admin::NewClient {
        client_id: format!("c-{}", scope.len()),
        redirect_uris: vec![REDIRECT.into()],
        scopes: vec![scope.into()],
        ..Default::default()
    };
    let add = |scope: &'static str| {
        oxid_provider::admin::add_client(
            provider.capabilities(),
            provider.store(),
            provider.secret_box(),
            new(scope),
            T0,
        )
    };
    let refused = add("openid write:records").await.unwrap_err();
    assert!(refused.to_string().contains("write:records"), "{refused}");
    add("openid read:records").await.unwrap();
}

/// The consent page for `scope` in a browser that asks for `ui_locales`.
async fn consent_page(server: &TestServer, scope: &str, ui_locales: &str) -> String {
    let rp = Rp::new(server).await;
    let response = rp
        .send(&rp.request_with(scope, &[("ui_locales", ui_locales)]))
        .await;
    let html = response.text().await.unwrap();
    let response = submit_login(server, &rp.browser, &html, USER, PASSWORD).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("name=\"decision\""), "a consent page: {html}");
    html
}

#[tokio::test]
async fn the_consent_page_describes_configured_scopes_in_the_page_language() {
    let server = server().await;
    let html = consent_page(&server, "openid read:records groups", "fr-CA").await;
    assert!(html.contains("<html lang=\"fr-CA\">"), "{html}");
    assert!(html.contains("Consulter vos dossiers"), "{html}");
    assert!(
        html.contains("See your groups"),
        "one text for every language"
    );
    assert!(
        html.contains("Savoir qui vous êtes"),
        "the catalogue's openid"
    );
    let server = self::server().await;
    let html = consent_page(&server, "openid read:records", "en").await;
    assert!(html.contains("<html lang=\"en-US\">"), "{html}");
    assert!(html.contains("Read your records"));
    assert!(!html.contains("Consulter"));
}

#[tokio::test]
async fn configured_scope_claims_reach_userinfo_and_the_id_token_claims_request() {
    let server = server().await;
    let rp = Rp::new(&server).await;
    let claims = r#"{"id_token":{"groups":null}}"#;
    let flow = rp.flow("openid groups", &[("claims", claims)]).await;
    assert_eq!(flow.userinfo["groups"], json!(["staff", "ops"]));
    assert_eq!(flow.id_claims["groups"], json!(["staff", "ops"]));
    // Without the scope, the claim is not released, asked for or not (OIDC Core §5.5).
    let rp = Rp::with_client(&server, "other", |_| {}).await;
    let flow = rp.flow("openid", &[("claims", claims)]).await;
    assert!(flow.userinfo.get("groups").is_none(), "{}", flow.userinfo);
    assert!(flow.id_claims.get("groups").is_none(), "{}", flow.id_claims);
}

#[tokio::test]
async fn claims_value_and_values_leave_out_what_does_not_match_oidc_core_5_5_1() {
    let server = server().await;
    let rp = Rp::new(&server).await;
    let claims = json!({"id_token": {
        "email": {"essential": true, "value": "someone.else@example.com"},
        "name": {"values": ["Bob", "Alice Liddell"]},
        "phone_number": {"essential": true},
    }});
    let flow = rp
        .flow("openid email profile", &[("claims", &claims.to_string())])
        .await;
    let id: &Value = &flow.id_claims;
    assert_eq!(id["name"], "Alice Liddell", "one of the values");
    assert!(id.get("email").is_none(), "no match, no claim: {id}");
    // Essential but not consented (no phone scope): left out, and no error (§5.5.1).
    assert!(id.get("phone_number").is_none());
}

#[tokio::test]
async fn a_requested_sub_of_another_user_is_not_authenticated_oidc_core_3_1_2_2() {
    let server = server().await;
    let rp = Rp::new(&server).await;
    let sub = rp.flow("openid", &[]).await.sub().to_string();
    let asking_for = |sub: &str| json!({"id_token": {"sub": {"value": sub}}}).to_string();
    let other = asking_for("someone-else");
    let response = rp
        .send(&rp.request_with("openid", &[("prompt", "none"), ("claims", &other)]))
        .await;
    assert_eq!(check_error_redirect(&server, &response), "login_required");
    let same = asking_for(&sub);
    let params = rp
        .authorize(&rp.request_with("openid", &[("prompt", "none"), ("claims", &same)]))
        .await;
    assert_eq!(rp.redeem(&params).await["sub"], sub.as_str());
}

#[tokio::test]
async fn an_essential_acr_that_cannot_be_met_fails_the_authentication_oidc_core_5_5_1_1() {
    let server = server().await;
    let rp = Rp::new(&server).await;
    let essential = r#"{"id_token":{"acr":{"essential":true,"values":["urn:example:gold"]}}}"#;
    let response = rp
        .interact(
            rp.send(&rp.request_with("openid", &[("claims", essential)]))
                .await,
        )
        .await;
    assert_eq!(check_error_redirect(&server, &response), "access_denied");
    // Voluntary, the same request succeeds (the session's acr, if any, is returned).
    let voluntary = r#"{"id_token":{"acr":{"values":["urn:example:gold"]}}}"#;
    rp.flow("openid", &[("claims", voluntary)]).await;
}

#[tokio::test]
async fn the_userinfo_member_value_leaves_out_a_mismatch_also_after_refresh_oidc_core_5_5_1() {
    let server = server().await;
    let rp = Rp::new(&server).await;
    let claims = json!({"userinfo": {
        "email": {"value": "someone.else@example.com"},
        "groups": {"values": [["staff", "ops"]]},
        "name": null,
    }});
    let scope = "openid email profile groups offline_access";
    let flow = rp.flow(scope, &[("claims", &claims.to_string())]).await;
    let userinfo = &flow.userinfo;
    assert!(userinfo.get("email").is_none(), "no match: {userinfo}");
    assert_eq!(userinfo["groups"], json!(["staff", "ops"]), "a match");
    assert_eq!(
        userinfo["name"], "Alice Liddell",
        "null: the default manner"
    );
    // A refreshed access token keeps the grant's claims request.
    let refresh_token = flow.tokens["refresh_token"].as_str().unwrap();
    let refreshed = rp
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .await;
    let access_token = refreshed.body["access_token"].as_str().unwrap();
    let userinfo = userinfo_get(&server, access_token).await;
    assert!(userinfo.get("email").is_none(), "{userinfo}");
    assert_eq!(userinfo["name"], "Alice Liddell");
    // Without the claims parameter, the scope releases the email.
    let flow = Rp::with_client(&server, "plain", |_| {})
        .await
        .flow(scope, &[])
        .await;
    assert_eq!(flow.userinfo["email"], "alice@example.com");
}

//! The registration endpoint (OIDC Registration §3, RFC 7591 §3) and the client configuration
//! endpoint (RFC 7592 §2) over HTTP: who may register in each mode, the client information
//! response, errors, and read, update and delete with the registration access token.

mod common;

use common::*;
use oxid_provider::config::RegistrationMode;
use serde_json::{Value, json};

const INITIAL_TOKEN: &str = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg";

fn web_client() -> Value {
    json!({"redirect_uris": [REDIRECT], "client_name": "Shop"})
}

#[tokio::test]
async fn closed_registration_has_no_endpoint_and_answers_404() {
    let server = TestServer::start().await;
    let document = discovery(&server).await;
    assert!(
        document.get("registration_endpoint").is_none(),
        "{document}"
    );
    let answer = register(&server, None, &web_client()).await;
    assert_eq!(answer.status, 404);
    let read = reqwest::get(server.url("/register/anything"))
        .await
        .unwrap();
    assert_eq!(read.status(), 404);
}

#[tokio::test]
async fn token_registration_needs_the_initial_access_token_rfc7591_3() {
    let server =
        TestServer::start_with(|s| s.registration_token = Some(INITIAL_TOKEN.into())).await;
    let document = discovery(&server).await;
    assert_eq!(document["registration_endpoint"], server.url("/register"));
    let missing = register(&server, None, &web_client()).await;
    assert_eq!(missing.status, 401);
    assert!(
        missing.www_authenticate.starts_with("Bearer"),
        "RFC 6750 §3"
    );
    let wrong = register(&server, Some("Zm9vYmFyYmF6cXV4MTIzNDU2Nzh"), &web_client()).await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.www_authenticate.contains("invalid_token"));
    let right = register(&server, Some(INITIAL_TOKEN), &web_client()).await;
    assert_eq!(right.status, 201, "{}", right.body);
}

#[tokio::test]
async fn token_mode_by_its_name_works_like_the_token_alone() {
    let server = TestServer::start_with(|s| {
        s.registration = RegistrationMode::Token;
        s.registration_token = Some(INITIAL_TOKEN.into());
    })
    .await;
    assert_eq!(register(&server, None, &web_client()).await.status, 401);
    let right = register(&server, Some(INITIAL_TOKEN), &web_client()).await;
    assert_eq!(right.status, 201);
}

#[tokio::test]
async fn the_client_information_response_carries_credentials_and_defaults_rfc7591_3_2_1() {
    let server = open_registration_server().await;
    let info = register_ok(&server, &web_client()).await;
    let client_id = info["client_id"].as_str().unwrap();
    assert!(client_id.len() >= 16);
    assert!(info["client_secret"].as_str().unwrap().len() >= 32);
    assert_eq!(info["client_secret_expires_at"], 0);
    assert_eq!(info["client_id_issued_at"], T0);
    assert_eq!(
        info["registration_client_uri"],
        server.url(&format!("/register/{client_id}"))
    );
    assert!(info["registration_access_token"].as_str().unwrap().len() >= 32);
    for (member, value) in [
        ("token_endpoint_auth_method", json!("client_secret_basic")),
        ("grant_types", json!(["authorization_code"])),
        ("response_types", json!(["code"])),
        ("application_type", json!("web")),
        ("id_token_signed_response_alg", json!("RS256")),
        ("id_token_claims", json!("scope")),
        ("client_name", json!("Shop")),
        ("redirect_uris", json!([REDIRECT])),
    ] {
        assert_eq!(info[member], value, "{member}");
    }
    assert!(info["scope"].as_str().unwrap().contains("openid"));
    let stored = stored_client(&server, client_id).await;
    let token = info["registration_access_token"].as_str().unwrap();
    assert_ne!(
        stored.registration_token_hash.as_deref(),
        Some(token),
        "kept as a hash only"
    );
    assert!(!stored.skip_consent, "registration never skips consent");
    // A public client gets no secret.
    let public = json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"});
    let info = register_ok(&server, &public).await;
    assert!(info.get("client_secret").is_none() && info.get("client_secret_expires_at").is_none());
}

#[tokio::test]
async fn refusals_are_400_json_naming_the_member_rfc7591_3_2_2() {
    let server = open_registration_server().await;
    let fragment = json!({"redirect_uris": [format!("{REDIRECT}#x")]});
    let why = register_refused(&server, &fragment, "invalid_redirect_uri").await;
    assert!(why.starts_with("redirect_uris"), "{why}");
    let hybrid = json!({"redirect_uris": [REDIRECT], "response_types": ["code"],
        "grant_types": ["client_credentials"]});
    let why = register_refused(&server, &hybrid, "invalid_client_metadata").await;
    assert!(why.starts_with("grant_types"), "{why}");
    let none_cc =
        json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"});
    register_refused(&server, &none_cc, "invalid_client_metadata").await;
    // Token lifetimes and the refresh grace window are the operator's (docs/configuration.md).
    for member in ["access_token_format", "refresh_token_grace"] {
        let value = if member == "access_token_format" {
            json!("jwt")
        } else {
            json!(10)
        };
        let own = json!({"redirect_uris": [REDIRECT], member: value});
        let why = register_refused(&server, &own, "invalid_client_metadata").await;
        assert!(why.starts_with(member), "{why}");
    }
    let wrong_type = json!({"redirect_uris": "https://not.an.array/"});
    register_refused(&server, &wrong_type, "invalid_client_metadata").await;
    let answer = registration_call(
        reqwest::Client::new()
            .post(server.url("/register"))
            .body("{not json"),
        None,
    )
    .await;
    assert_eq!(
        (answer.status, answer.body["error"].as_str()),
        (400, Some("invalid_client_metadata"))
    );
}

async fn managed(server: &TestServer) -> (String, String, String) {
    let info = register_ok(server, &web_client()).await;
    let uri = info["registration_client_uri"]
        .as_str()
        .unwrap()
        .to_string();
    let token = info["registration_access_token"]
        .as_str()
        .unwrap()
        .to_string();
    (info["client_id"].as_str().unwrap().to_string(), uri, token)
}

#[tokio::test]
async fn read_needs_the_registration_access_token_rfc7592_2_1() {
    let server = open_registration_server().await;
    let (client_id, uri, token) = managed(&server).await;
    let http = reqwest::Client::new();
    let read = registration_call(http.get(&uri), Some(&token)).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.cache_control, "no-store");
    assert_eq!(read.body["client_id"], client_id.as_str());
    assert_eq!(read.body["registration_access_token"], token.as_str());
    assert_eq!(read.body["client_name"], "Shop");
    assert!(
        read.body.get("client_secret").is_none(),
        "kept only as a hash"
    );
    for bearer in [None, Some("Zm9vYmFyYmF6cXV4MTIzNDU2Nzg")] {
        let refused = registration_call(http.get(&uri), bearer).await;
        assert_eq!(refused.status, 401, "{bearer:?}");
        assert!(refused.www_authenticate.starts_with("Bearer"));
    }
    // Another client's token, or an unknown client, is the same 401 (RFC 7592 §2.1).
    let (_, other_uri, _) = managed(&server).await;
    assert_eq!(
        registration_call(http.get(&other_uri), Some(&token))
            .await
            .status,
        401
    );
    let unknown = server.url("/register/nobody");
    assert_eq!(
        registration_call(http.get(&unknown), Some(&token))
            .await
            .status,
        401
    );
    // A client the operator added has no registration access token.
    server.add_client("static", |_| {}).await;
    let static_uri = server.url("/register/static");
    assert_eq!(
        registration_call(http.get(&static_uri), Some(&token))
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn update_replaces_every_member_and_is_revalidated_rfc7592_2_2() {
    let server = open_registration_server().await;
    let (client_id, uri, token) = managed(&server).await;
    let http = reqwest::Client::new();
    let put = |body: Value| registration_call(http.put(&uri).json(&body), Some(&token));
    let changed = json!({"client_id": client_id, "redirect_uris": ["https://app.example.com/new"],
        "logo_uri": "https://app.example.com/logo.png"});
    let updated = put(changed).await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(
        updated.body["redirect_uris"],
        json!(["https://app.example.com/new"])
    );
    assert!(
        updated.body.get("client_name").is_none(),
        "omitted members are removed"
    );
    assert!(
        updated.body.get("client_secret").is_none(),
        "the secret is kept, not reissued"
    );
    let read = registration_call(http.get(&uri), Some(&token)).await;
    assert_eq!(read.body["logo_uri"], "https://app.example.com/logo.png");
    let record = stored_client(&server, &client_id).await;
    assert_eq!(record.redirect_uris, ["https://app.example.com/new"]);
    // Refusals: another client_id, server-set members, a wrong secret, bad metadata.
    for (body, member) in [
        (
            json!({"client_id": "someone-else", "redirect_uris": [REDIRECT]}),
            "client_id",
        ),
        (
            json!({"client_id": client_id, "redirect_uris": [REDIRECT], "client_id_issued_at": 1}),
            "client_id_issued_at",
        ),
        (
            json!({"client_id": client_id, "redirect_uris": [REDIRECT], "client_secret": "guess"}),
            "client_secret",
        ),
        (
            json!({"client_id": client_id, "redirect_uris": ["http://app.example.com/cb"]}),
            "redirect_uris",
        ),
    ] {
        let refused = put(body).await;
        assert_eq!(refused.status, 400, "{member}: {}", refused.body);
        let description = refused.body["error_description"].as_str().unwrap();
        assert!(description.starts_with(member), "{description}");
    }
    let unchanged = stored_client(&server, &client_id).await;
    assert_eq!(unchanged, record, "a refused update changes nothing");
}

#[tokio::test]
async fn an_update_to_a_public_client_drops_the_secret_and_back_issues_a_new_one() {
    let server = open_registration_server().await;
    let (client_id, uri, token) = managed(&server).await;
    let http = reqwest::Client::new();
    let put = |body: Value| registration_call(http.put(&uri).json(&body), Some(&token));
    let public = put(json!({"client_id": client_id, "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "none"}))
    .await;
    assert_eq!(public.status, 200, "{}", public.body);
    let record = stored_client(&server, &client_id).await;
    assert_eq!((record.secret_hash, record.secret_encrypted), (None, None));
    let confidential = put(json!({"client_id": client_id, "redirect_uris": [REDIRECT]})).await;
    let secret = confidential.body["client_secret"]
        .as_str()
        .expect("a new secret");
    assert_eq!(confidential.body["client_secret_expires_at"], 0);
    let rp = registered_rp(
        &server,
        &json!({"client_id": client_id, "client_secret": secret}),
    );
    let answer = rp
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("redirect_uri", REDIRECT),
        ])
        .await;
    assert_eq!(
        answer.body["error"], "invalid_grant",
        "the new secret authenticates"
    );
}

#[tokio::test]
async fn delete_removes_the_client_and_its_token_rfc7592_2_3() {
    let server = open_registration_server().await;
    let info = register_ok(&server, &web_client()).await;
    let uri = info["registration_client_uri"].as_str().unwrap();
    let token = info["registration_access_token"].as_str().unwrap();
    let http = reqwest::Client::new();
    assert_eq!(registration_call(http.delete(uri), None).await.status, 401);
    let deleted = registration_call(http.delete(uri), Some(token)).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        registration_call(http.get(uri), Some(token)).await.status,
        401
    );
    assert_eq!(
        registration_call(http.delete(uri), Some(token))
            .await
            .status,
        401
    );
    let rp = registered_rp(&server, &info);
    let answer = rp.token(&[("grant_type", "client_credentials")]).await;
    assert_eq!(
        answer.status, 401,
        "the client is gone at once on this instance"
    );
}

#[tokio::test]
async fn introspection_signed_response_alg_is_kept_when_supported_rfc9701_6() {
    let server = open_registration_server().await;
    let mut metadata = web_client();
    metadata["introspection_signed_response_alg"] = json!("RS256");
    let registered = register_ok(&server, &metadata).await;
    assert_eq!(registered["introspection_signed_response_alg"], "RS256");
    for refused in [json!("none"), json!("HS256"), json!("XX999"), json!(7)] {
        let mut metadata = web_client();
        metadata["introspection_signed_response_alg"] = refused;
        let why = register_refused(&server, &metadata, "invalid_client_metadata").await;
        assert!(
            why.starts_with("introspection_signed_response_alg"),
            "{why}"
        );
    }
}

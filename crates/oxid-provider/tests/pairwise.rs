//! Pairwise subject identifiers (OIDC Core §8.1) over HTTP: one `sub` per sector wherever a
//! `sub` reaches a client (ID token, UserInfo, introspection, JWT access token, logout token),
//! the plain id for public clients, the `sector_identifier_uri` document checked at
//! registration (OIDC Registration §5), and a pairwise `sub` sent back (`id_token_hint`,
//! a `claims` request's `sub` value) still naming its user.

mod common;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use common::*;
use oxid_protocol::params::{Params, encode_pairs};
use serde_json::{Value, json};
use std::time::Duration;

/// Serves sector identifier documents on 127.0.0.1:0: `/sector.json` lists [`REDIRECT`] and
/// another URI, `/other.json` lists only the other one, `/object.json` is not an array, and
/// anything else is a 404. Returns the base URL.
async fn sector_server() -> String {
    let app = Router::new()
        .route(
            "/sector.json",
            get(|| async { axum::Json(json!([REDIRECT, "https://other.example.org/cb"])) }),
        )
        .route(
            "/other.json",
            get(|| async { axum::Json(json!(["https://other.example.org/cb"])) }),
        )
        .route(
            "/object.json",
            get(|| async { axum::Json(json!({"redirect_uris": [REDIRECT]})) }),
        )
        .fallback(|| async { StatusCode::NOT_FOUND });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    base
}

/// A provider whose outbound fetches may reach 127.0.0.1 (the sector and back-channel test
/// servers), with open registration.
async fn server() -> TestServer {
    TestServer::start_with(|s| {
        s.outbound.allow_private_addresses = true;
        s.require_pkce = false;
        s.registration = oxid_provider::config::RegistrationMode::Open;
    })
    .await
}

/// Adds confidential client `id` with `subject_type` and `sector_identifier_uri`.
async fn pairwise_rp<'a>(
    server: &'a TestServer,
    id: &str,
    subject_type: &str,
    sector: Option<&str>,
) -> Rp<'a> {
    let subject_type = subject_type.to_string();
    let sector = sector.map(str::to_string);
    Rp::with_client(server, id, move |c| {
        c.subject_type = Some(subject_type);
        c.sector_identifier_uri = sector;
    })
    .await
}

/// Alice's local id.
async fn alice_id(server: &TestServer) -> String {
    let store = server.provider.store();
    store.get_user_by_username(USER).await.unwrap().unwrap().id
}

async fn introspect(server: &TestServer, rp: &Rp<'_>, token: &str) -> Value {
    reqwest::Client::new()
        .post(server.url("/introspect"))
        .basic_auth(&rp.client_id, Some(&rp.secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn one_sector_one_sub_and_another_sector_another_oidc_core_8_1() {
    let server = server().await;
    let sectors = sector_server().await;
    let sector_uri = format!("{sectors}/sector.json");
    // Sector 127.0.0.1 (the document's host), twice; sector app.example.com (the redirect
    // URI's host); and a public client.
    let a1 = pairwise_rp(&server, "a1", "pairwise", Some(&sector_uri)).await;
    let a2 = pairwise_rp(&server, "a2", "pairwise", Some(&sector_uri)).await;
    let b = pairwise_rp(&server, "b", "pairwise", None).await;
    let public = pairwise_rp(&server, "p", "public", None).await;
    let alice = alice_id(&server).await;

    // `flow` checks the ID token and that UserInfo's `sub` is the ID token's (§5.3.2).
    // offline_access (with prompt=consent, OIDC Core §11) for a refresh token below.
    let flow_a1 = a1
        .flow("openid email offline_access", &[("prompt", "consent")])
        .await;
    let flow_a2 = a2.flow("openid", &[]).await;
    let flow_b = b.flow("openid", &[]).await;
    let flow_public = public.flow("openid", &[]).await;
    assert_eq!(flow_a1.sub(), flow_a2.sub(), "one sector, one sub");
    assert_ne!(flow_a1.sub(), flow_b.sub(), "another sector, another sub");
    assert_ne!(flow_a1.sub(), alice, "the local id is never shown");
    assert_ne!(flow_b.sub(), alice);
    assert_eq!(
        flow_public.sub(),
        alice,
        "a public client keeps the plain sub"
    );
    assert_eq!(flow_a1.userinfo["sub"], flow_a1.sub());
    assert_eq!(flow_a1.userinfo["email"], "alice@example.com");

    // RFC 7662 §2.2: introspection tells the sub of the token's client.
    let answer = introspect(&server, &a1, flow_a1.access_token()).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["sub"], flow_a1.sub());
    let by_b = introspect(&server, &b, flow_a1.access_token()).await;
    assert_eq!(
        by_b["sub"],
        flow_a1.sub(),
        "whoever asks, the token's client's sub"
    );
    let public_answer = introspect(&server, &public, flow_public.access_token()).await;
    assert_eq!(public_answer["sub"], alice.as_str());

    // A refreshed ID token keeps the pairwise sub (OIDC Core §12.2).
    let refreshed = a1
        .token(&[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                flow_a1.tokens["refresh_token"].as_str().unwrap(),
            ),
        ])
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let claims = verify_jws_with_jwks(&server, refreshed.body["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["sub"], flow_a1.sub());
}

#[tokio::test]
async fn a_jwt_access_token_carries_the_pairwise_sub_rfc9068_2_2() {
    let server = server().await;
    let rp = Rp::with_client(&server, "jwt", |c| {
        c.subject_type = Some("pairwise".into());
        c.access_token_format = Some("jwt".into());
    })
    .await;
    let flow = rp.flow("openid", &[]).await;
    let claims = verify_jws_with_jwks(&server, flow.access_token()).await;
    assert_eq!(claims["sub"], flow.sub());
    assert_ne!(claims["sub"], alice_id(&server).await.as_str());
}

#[tokio::test]
async fn registration_checks_the_sector_identifier_document_oidc_registration_5() {
    let server = server().await;
    let sectors = sector_server().await;
    let metadata = |path: &str| {
        json!({"redirect_uris": [REDIRECT], "subject_type": "pairwise",
            "sector_identifier_uri": format!("{sectors}{path}")})
    };
    let info = register_ok(&server, &metadata("/sector.json")).await;
    assert_eq!(info["subject_type"], "pairwise");
    assert_eq!(
        info["sector_identifier_uri"],
        format!("{sectors}/sector.json")
    );
    // The registered client signs in with a pairwise sub.
    let flow = registered_rp(&server, &info).flow("openid", &[]).await;
    assert_ne!(flow.sub(), alice_id(&server).await);

    // "The values registered in redirect_uris MUST be included in the elements of the
    // array, or registration MUST fail."
    let why = register_refused(&server, &metadata("/other.json"), "invalid_client_metadata").await;
    assert!(why.starts_with("sector_identifier_uri"), "{why}");
    assert!(
        why.contains(REDIRECT),
        "names the missing redirect URI: {why}"
    );
    for path in ["/object.json", "/missing.json"] {
        let why = register_refused(&server, &metadata(path), "invalid_client_metadata").await;
        assert!(why.starts_with("sector_identifier_uri"), "{path}: {why}");
    }
    // OIDC Core §8.1: several redirect hosts and no sector_identifier_uri is refused.
    let two_hosts = json!({"subject_type": "pairwise",
        "redirect_uris": [REDIRECT, "https://other.example.org/cb"]});
    let why = register_refused(&server, &two_hosts, "invalid_client_metadata").await;
    assert!(why.starts_with("sector_identifier_uri"), "{why}");
    let unknown = json!({"subject_type": "secret", "redirect_uris": [REDIRECT]});
    register_refused(&server, &unknown, "invalid_client_metadata").await;
}

#[tokio::test]
async fn the_sector_document_is_fetched_only_where_outbound_calls_may_go() {
    // Without `[outbound] allow_private_addresses`, a sector document on 127.0.0.1 is refused
    // (SSRF), as a back-channel logout URI there would be.
    let server = TestServer::start_with(|s| {
        s.registration = oxid_provider::config::RegistrationMode::Open;
    })
    .await;
    let sectors = sector_server().await;
    let metadata = json!({"redirect_uris": [REDIRECT], "subject_type": "pairwise",
        "sector_identifier_uri": format!("{sectors}/sector.json")});
    let why = register_refused(&server, &metadata, "invalid_client_metadata").await;
    assert!(why.starts_with("sector_identifier_uri"), "{why}");
}

#[tokio::test]
async fn an_update_is_checked_against_the_sector_document_again() {
    let server = server().await;
    let sectors = sector_server().await;
    let rp = pairwise_rp(
        &server,
        "rp",
        "pairwise",
        Some(&format!("{sectors}/sector.json")),
    )
    .await;
    let provider = &server.provider;
    let update = |uri: String| {
        oxid_provider::admin::update_client(
            provider.capabilities(),
            provider.store(),
            provider.secret_box(),
            &rp.client_id,
            move |m, _| {
                m.registered.redirect_uris = vec![uri];
                Ok(())
            },
        )
    };
    // A redirect URI the document does not list is refused; one it lists is accepted.
    let refused = update("https://unlisted.example.org/cb".into()).await;
    assert!(refused.is_err(), "an unlisted redirect URI");
    assert!(update("https://other.example.org/cb".into()).await.is_ok());
}

#[tokio::test]
async fn a_pairwise_id_token_hint_and_claims_sub_name_their_user_oidc_core_3_1_2_2() {
    let server = server().await;
    let rp = pairwise_rp(&server, "rp", "pairwise", None).await;
    let flow = rp.flow("openid", &[]).await;
    let sub = flow.sub().to_string();
    // prompt=none with the hint of this session's user: a code, no login.
    let hinted = rp
        .authorize(&rp.request_with(
            "openid",
            &[("prompt", "none"), ("id_token_hint", flow.id_token())],
        ))
        .await;
    assert!(hinted.get("code").is_some());
    // §5.5.1: a requested sub value, as this client knows the user.
    let claims = json!({"id_token": {"sub": {"value": sub}}}).to_string();
    let requested = rp
        .authorize(&rp.request_with("openid", &[("prompt", "none"), ("claims", &claims)]))
        .await;
    assert!(requested.get("code").is_some());
    // The local id is not this client's sub for the user: another user, so a login.
    let alice = alice_id(&server).await;
    let local = json!({"id_token": {"sub": {"value": alice}}}).to_string();
    let response = rp
        .send(&rp.request_with("openid", &[("prompt", "none"), ("claims", &local)]))
        .await;
    let (_, params) = location_params(&response);
    assert_eq!(params.get("error"), Some("login_required"));
}

#[tokio::test]
async fn logout_tokens_carry_the_pairwise_sub_and_the_hint_ends_the_session() {
    const AFTER_LOGOUT: &str = "https://app.example.com/logged-out";
    let server = server().await;
    let (uri, mut received) = receiver().await;
    let secret = server
        .add_client("app", |c| {
            c.subject_type = Some("pairwise".into());
            c.backchannel_logout_uri = Some(uri.clone());
            c.post_logout_redirect_uris = vec![AFTER_LOGOUT.into()];
        })
        .await;
    let browser = server.browser();
    let code = obtain_code(&server, &browser, "app", "openid").await;
    let (_, tokens) = exchange_code(&server, "app", &secret, &code).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let id_claims = verify_jws_with_jwks(&server, id_token).await;
    assert_ne!(id_claims["sub"], alice_id(&server).await.as_str());

    // RP-Initiated Logout §2: a hint naming the session's user (by its pairwise sub) logs
    // out at once, without asking.
    let query = encode_pairs([
        ("id_token_hint", id_token),
        ("post_logout_redirect_uri", AFTER_LOGOUT),
    ]);
    let response = browser
        .get(server.url(&format!("/logout?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], AFTER_LOGOUT);

    // Back-Channel Logout §2.4: the logout token's sub is the ID token's.
    let (_, body) = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .expect("a logout token within 10 s")
        .unwrap();
    let form = Params::parse_form(body.as_bytes()).unwrap();
    let token = form.get("logout_token").expect("logout_token");
    let claims = verify_jws_with_jwks(&server, token).await;
    assert_eq!(claims["sub"], id_claims["sub"]);
    assert_eq!(claims["sid"], id_claims["sid"]);
}

#[tokio::test]
async fn a_pairwise_id_token_is_exchanged_through_its_login_session_rfc8693_3() {
    const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
    let server = TestServer::start_with(|s| {
        s.require_pkce = false;
        s.token_exchange =
            vec![toml::from_str("client_id = \"rp\"\nimpersonation = true").unwrap()];
    })
    .await;
    let rp = Rp::with_client(&server, "rp", |c| {
        c.subject_type = Some("pairwise".into());
        c.grant_types = vec!["authorization_code".into(), TOKEN_EXCHANGE.into()];
    })
    .await;
    let flow = rp.flow("openid", &[]).await;
    let form = [
        ("grant_type", TOKEN_EXCHANGE),
        ("subject_token", flow.id_token()),
        (
            "subject_token_type",
            "urn:ietf:params:oauth:token-type:id_token",
        ),
        (
            "requested_token_type",
            "urn:ietf:params:oauth:token-type:jwt",
        ),
    ];
    let answer = rp.token(&form).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // The new token is alice's, and says so with the sub this client knows her by.
    let token = answer.body["access_token"].as_str().unwrap();
    let claims = verify_jws_with_jwks(&server, token).await;
    assert_eq!(claims["sub"], flow.sub());
    let seen = introspect(&server, &rp, token).await;
    assert_eq!(
        (seen["username"].as_str(), &seen["sub"]),
        (Some(USER), &claims["sub"])
    );

    // A pairwise sub cannot be reversed: once its login session is over, the ID token names
    // no user any more (RFC 8693 §2.2.2 invalid_request).
    let sid = flow.id_claims["sid"].as_str().unwrap();
    let session = server
        .provider
        .store()
        .get_session_by_sid(sid, T0)
        .await
        .unwrap()
        .unwrap();
    server
        .provider
        .store()
        .delete_session(&session.id_hash)
        .await
        .unwrap();
    let answer = rp.token(&form).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(answer.body["error"], "invalid_request");
}

#[tokio::test]
async fn the_admin_api_takes_both_members_and_checks_the_document() {
    const ADMIN_TOKEN: &str = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA";
    let server = TestServer::start_with(|s| {
        s.admin_token = Some(ADMIN_TOKEN.into());
        s.outbound.allow_private_addresses = true;
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin = format!("http://{}/admin/v1/clients", listener.local_addr().unwrap());
    let app = oxid_provider::http::admin_router(server.provider.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let sectors = sector_server().await;
    let call = |method: reqwest::Method, url: String, body: Value| async move {
        let response = reqwest::Client::new()
            .request(method, url)
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    };
    let new = json!({"client_id": "shop", "redirect_uris": [REDIRECT], "subject_type": "pairwise",
        "sector_identifier_uri": format!("{sectors}/sector.json")});
    let (status, body) = call(reqwest::Method::POST, admin.clone(), new).await;
    assert_eq!(status, 201, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(created["subject_type"], "pairwise");
    // A redirect URI the document does not list (OIDC Registration §5).
    let change = json!({"redirect_uris": ["https://unlisted.example.org/cb"]});
    let (status, body) = call(reqwest::Method::PATCH, format!("{admin}/shop"), change).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("sector_identifier_uri"), "{body}");
}

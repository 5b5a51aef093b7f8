//! Token exchange over HTTP (RFC 8693): a client with a `[[token_exchange]]` policy trades an
//! access token or ID token Oxid issued, or a trusted issuer's JWT, for an access token
//! narrowed to an allowed audience and to the subject token's scopes; an actor token gives
//! `act` (delegation), impersonation only where the policy allows it.

mod common;

use common::trusted::*;
use common::*;
use serde_json::{Value, json};

const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";
const ID: &str = "urn:ietf:params:oauth:token-type:id_token";
const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
const API: &str = "https://api.example.com";

struct Setup {
    server: TestServer,
    idp: oxid_client::signing::SigningKey,
    /// `gw`'s secret: delegation only, for API.
    gw: String,
    /// `imp`'s secret: impersonation allowed.
    imp: String,
    /// `svc`'s secret (the client of the subject tokens).
    svc: String,
    /// Alice's access token (openid api:read, issued to `svc` by the JWT bearer grant).
    access_token: String,
    /// Alice's ID token from the same response.
    id_token: String,
    /// An access token of client `actor` alone (client_credentials).
    actor_token: String,
}

async fn setup() -> Setup {
    let idp = idp_key();
    let server = trusting_server(idp_jwks(&[&idp]), "username", |s| {
        s.token_exchange = vec![
            toml::from_str(&format!("client_id = \"gw\"\naudiences = [\"{API}\"]")).unwrap(),
            toml::from_str("client_id = \"imp\"\nimpersonation = true").unwrap(),
        ];
    })
    .await;
    let svc = register_for(&server, "svc", &[JWT_BEARER]).await;
    let gw = register_for(&server, "gw", &[TOKEN_EXCHANGE]).await;
    let imp = register_for(&server, "imp", &[TOKEN_EXCHANGE, JWT_BEARER]).await;
    let actor = register_for(&server, "actor", &["client_credentials"]).await;
    let assertion = sign(&idp, &idp_claims(&server, USER));
    let form = [
        ("grant_type", JWT_BEARER),
        ("assertion", assertion.as_str()),
        ("scope", "openid api:read"),
    ];
    let (status, body) = token_as(&server, "svc", &svc, &form).await;
    assert_eq!(status, 200, "{body}");
    let form = [("grant_type", "client_credentials"), ("scope", "api:write")];
    let (status, actor_body) = token_as(&server, "actor", &actor, &form).await;
    assert_eq!(status, 200, "{actor_body}");
    Setup {
        idp,
        svc,
        gw,
        imp,
        access_token: body["access_token"].as_str().unwrap().into(),
        id_token: body["id_token"].as_str().unwrap().into(),
        actor_token: actor_body["access_token"].as_str().unwrap().into(),
        server,
    }
}

async fn exchange(s: &Setup, client: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let secret = if client == "gw" { &s.gw } else { &s.imp };
    let mut form = vec![("grant_type", TOKEN_EXCHANGE)];
    form.extend_from_slice(params);
    token_as(&s.server, client, secret, &form).await
}

#[tokio::test]
async fn delegation_gives_an_act_claim_kept_with_the_grant_rfc8693_4_1() {
    let s = setup().await;
    let answer = exchange(
        &s,
        "gw",
        &[
            ("subject_token", &s.access_token),
            ("subject_token_type", ACCESS),
            ("actor_token", &s.actor_token),
            ("actor_token_type", ACCESS),
            ("audience", API),
            ("scope", "api:read"),
        ],
    )
    .await;
    let (status, body) = &answer;
    assert_eq!(*status, 200, "{body}");
    // RFC 8693 §2.2.1.
    assert_eq!(body["issued_token_type"], ACCESS);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "api:read");
    assert!(body.get("id_token").is_none() && body.get("refresh_token").is_none());
    let token = body["access_token"].as_str().unwrap().to_string();
    let seen = introspect_as(&s.server, "gw", &s.gw, &token).await;
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["username"], USER);
    assert_eq!(seen["client_id"], "gw");
    assert_eq!(seen["aud"], json!(API));
    assert_eq!(seen["act"], json!({"sub": "actor", "client_id": "actor"}));

    // Exchanged again by a new actor: the earlier actor nests inside (§4.1).
    let (status, body) = exchange(
        &s,
        "gw",
        &[
            ("subject_token", &token),
            ("subject_token_type", ACCESS),
            ("actor_token", &s.actor_token),
            ("actor_token_type", ACCESS),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let again = body["access_token"].as_str().unwrap();
    let seen = introspect_as(&s.server, "gw", &s.gw, again).await;
    assert_eq!(
        seen["act"]["act"],
        json!({"sub": "actor", "client_id": "actor"})
    );
    assert_eq!(seen["scope"], "api:read", "narrowed scopes stay narrowed");
}

#[tokio::test]
async fn impersonation_only_where_the_policy_allows_it_rfc8693_1_1() {
    let s = setup().await;
    let subject = [
        ("subject_token", s.access_token.as_str()),
        ("subject_token_type", ACCESS),
    ];
    let refused = exchange(&s, "gw", &subject).await;
    assert_error(&refused, "invalid_request", "impersonation is not allowed");
    let (status, body) = exchange(&s, "imp", &subject).await;
    assert_eq!(status, 200, "{body}");
    // No scope asked: the subject token's, which the client may have.
    assert_eq!(body["scope"], "openid api:read");
    let token = body["access_token"].as_str().unwrap();
    let seen = introspect_as(&s.server, "imp", &s.imp, token).await;
    assert_eq!(seen["username"], USER);
    assert!(seen.get("act").is_none(), "{seen}");
    assert_eq!(seen["aud"], json!("imp"));
}

#[tokio::test]
async fn audience_and_resource_are_limited_to_the_policy_rfc8693_2_2_2() {
    let s = setup().await;
    let with = |name: &'static str, value: &'static str| {
        [
            ("subject_token", s.access_token.clone()),
            ("subject_token_type", ACCESS.to_string()),
            ("actor_token", s.actor_token.clone()),
            ("actor_token_type", ACCESS.to_string()),
            (name, value.to_string()),
        ]
    };
    for (name, value) in [
        ("audience", "https://other.example.com"),
        ("resource", "https://other.example.com/api"),
    ] {
        let params = with(name, value);
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = exchange(&s, "gw", &params).await;
        assert_error(
            &refused,
            "invalid_target",
            "is not one this client may ask for",
        );
    }
    let params = with("resource", API);
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = exchange(&s, "gw", &params).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn scope_is_narrowed_never_widened_rfc8693_2_1() {
    let s = setup().await;
    let subject = [
        ("subject_token", s.access_token.as_str()),
        ("subject_token_type", ACCESS),
        ("scope", "api:read api:write"),
    ];
    let refused = exchange(&s, "imp", &subject).await;
    assert_error(&refused, "invalid_scope", "beyond what the subject_token");
}

#[tokio::test]
async fn id_tokens_and_trusted_jwts_are_subject_tokens_rfc8693_3() {
    let s = setup().await;
    // Only the client an ID token was issued to may exchange it.
    let params = [
        ("subject_token", s.id_token.as_str()),
        ("subject_token_type", ID),
    ];
    let refused = exchange(&s, "imp", &params).await;
    assert_error(
        &refused,
        "invalid_request",
        "its aud does not name this client",
    );
    let assertion = sign(&s.idp, &idp_claims(&s.server, USER));
    let form = [
        ("grant_type", JWT_BEARER),
        ("assertion", assertion.as_str()),
        ("scope", "openid api:read"),
    ];
    let (status, body) = token_as(&s.server, "imp", &s.imp, &form).await;
    assert_eq!(status, 200, "{body}");
    let id_token = body["id_token"].as_str().unwrap();
    for token_type in [ID, JWT] {
        let params = [
            ("subject_token", id_token),
            ("subject_token_type", token_type),
            ("scope", "api:read"),
        ];
        let (status, body) = exchange(&s, "imp", &params).await;
        assert_eq!(status, 200, "{token_type}: {body}");
        let token = body["access_token"].as_str().unwrap();
        let seen = introspect_as(&s.server, "imp", &s.imp, token).await;
        assert_eq!(seen["username"], USER);
    }
    // A JWT of the trusted issuer, about alice.
    let jwt = sign(&s.idp, &idp_claims(&s.server, USER));
    let params = [("subject_token", jwt.as_str()), ("subject_token_type", JWT)];
    let (status, body) = exchange(&s, "imp", &params).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "openid api:read", "the issuer's scopes");
    // ... and one that has expired.
    let mut claims = idp_claims(&s.server, USER);
    claims.insert("exp".into(), json!(1));
    let expired = sign(&s.idp, &claims);
    let params = [
        ("subject_token", expired.as_str()),
        ("subject_token_type", JWT),
    ];
    let refused = exchange(&s, "imp", &params).await;
    assert_error(
        &refused,
        "invalid_request",
        "subject_token refused: it has expired",
    );
}

#[tokio::test]
async fn bad_subject_tokens_and_types_are_invalid_request_rfc8693_2_2_2() {
    let s = setup().await;
    let cases: [(&str, &str, &str); 5] = [
        (
            &s.access_token,
            ID,
            "not an ID token signed by this provider",
        ),
        (&s.id_token, ACCESS, "not an active access token"),
        ("garbage", ACCESS, "not an active access token"),
        ("garbage", JWT, "subject_token refused"),
        (&s.access_token, "urn:example:unknown", "is not supported"),
    ];
    for (token, token_type, why) in cases {
        let params = [("subject_token", token), ("subject_token_type", token_type)];
        let refused = exchange(&s, "imp", &params).await;
        assert_error(&refused, "invalid_request", why);
    }
    // A revoked access token.
    let response = reqwest::Client::new()
        .post(s.server.url("/revoke"))
        .basic_auth("svc", Some(&s.svc))
        .form(&[("token", s.access_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let params = [
        ("subject_token", s.access_token.as_str()),
        ("subject_token_type", ACCESS),
    ];
    let refused = exchange(&s, "imp", &params).await;
    assert_error(&refused, "invalid_request", "not an active access token");
}

#[tokio::test]
async fn a_jwt_access_token_is_issued_when_asked_rfc8693_2_1_rfc9068() {
    let s = setup().await;
    let (status, body) = exchange(
        &s,
        "gw",
        &[
            ("subject_token", &s.access_token),
            ("subject_token_type", ACCESS),
            ("actor_token", &s.actor_token),
            ("actor_token_type", ACCESS),
            ("audience", API),
            ("requested_token_type", JWT),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["issued_token_type"], JWT);
    assert_eq!(body["token_type"], "Bearer");
    let token = body["access_token"].as_str().unwrap();
    let header: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            token.split('.').next().unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(header["typ"], "at+jwt", "RFC 9068 §2.1");
    let claims = verify_jws_with_jwks(&s.server, token).await;
    assert_eq!(claims["aud"], API);
    assert_eq!(claims["client_id"], "gw");
    assert_eq!(claims["act"], json!({"sub": "actor", "client_id": "actor"}));
    let seen = introspect_as(&s.server, "gw", &s.gw, token).await;
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["act"], claims["act"]);
}

#[tokio::test]
async fn only_access_tokens_are_issued_rfc8693_2_1() {
    let s = setup().await;
    for (requested, why) in [(
        "urn:ietf:params:oauth:token-type:refresh_token",
        "is not supported: only",
    )] {
        let params = [
            ("subject_token", s.access_token.as_str()),
            ("subject_token_type", ACCESS),
            ("requested_token_type", requested),
        ];
        let refused = exchange(&s, "imp", &params).await;
        assert_error(&refused, "invalid_request", why);
    }
    let params = [
        ("subject_token", s.access_token.as_str()),
        ("subject_token_type", ACCESS),
        ("requested_token_type", ACCESS),
    ];
    let (status, body) = exchange(&s, "imp", &params).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn only_clients_with_a_policy_may_exchange_rfc6749_5_2() {
    let s = setup().await;
    let discovery: Value = reqwest::get(s.server.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let grants = discovery["grant_types_supported"].as_array().unwrap();
    assert!(grants.contains(&json!(TOKEN_EXCHANGE)), "{grants:?}");
    let params = [
        ("grant_type", TOKEN_EXCHANGE),
        ("subject_token", s.access_token.as_str()),
        ("subject_token_type", ACCESS),
    ];
    // Registered for the grant, but no policy.
    let nopolicy = register_for(&s.server, "nopolicy", &[TOKEN_EXCHANGE]).await;
    let refused = token_as(&s.server, "nopolicy", &nopolicy, &params).await;
    assert_error(&refused, "unauthorized_client", "no token exchange policy");
    // A policy, but not registered for the grant.
    let unregistered = TestServer::start_with(|s| {
        s.token_exchange = vec![toml::from_str("client_id = \"x\"").unwrap()];
    })
    .await;
    let secret = unregistered
        .add_client("x", |c| c.grant_types = vec!["client_credentials".into()])
        .await;
    let refused = token_as(&unregistered, "x", &secret, &params).await;
    assert_error(&refused, "unauthorized_client", "may not use grant_type");
    // No policy at all: not supported.
    let plain = TestServer::start().await;
    let secret = plain
        .add_client("x", |c| c.grant_types = vec!["client_credentials".into()])
        .await;
    let refused = token_as(&plain, "x", &secret, &params).await;
    assert_error(&refused, "unsupported_grant_type", "is not supported");
}

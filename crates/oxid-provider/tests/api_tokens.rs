//! API tokens over HTTP: JWT access tokens (RFC 9068) for `[[resources]]` and for clients
//! that ask for them, resource indicators (RFC 8707) at the authorization and token
//! endpoints, and what introspection (RFC 7662, RFC 9701), revocation (RFC 7009) and UserInfo
//! make of JWT access tokens.

mod common;

use common::*;
use oxid_client::access_token::AccessTokenVerifier;
use oxid_client::{DiscoveryOptions, HttpClient, Provider as DiscoveredProvider};
use oxid_protocol::jose::CompactJws;
use oxid_provider::config::Settings;
use oxid_provider::resources::ResourceSetting;
use serde_json::Value;
use std::sync::Arc;

const RECORDS: &str = "https://api.example.com/records";
const LEDGER: &str = "https://ledger.example.com/";

/// Two resources: the records API (JWT, RS256 default) and the ledger (ES256, one minute).
fn with_resources(settings: &mut Settings) {
    settings.scopes = api_scopes(&["read:records", "write:records", "ledger"]);
    settings.resources = vec![
        ResourceSetting {
            identifier: RECORDS.into(),
            scopes: vec!["read:records".into(), "write:records".into()],
            access_token_format: None,
            alg: None,
            lifetime: None,
            introspection_clients: vec![],
        },
        ResourceSetting {
            identifier: LEDGER.into(),
            scopes: vec!["ledger".into()],
            access_token_format: Some("jwt".into()),
            alg: Some("ES256".into()),
            lifetime: Some(60),
            introspection_clients: vec![],
        },
    ];
}

/// A server with the resources, the user, a code-flow client `app` and a machine client `m2m`.
async fn server() -> (TestServer, String, String) {
    let server = TestServer::start_with(with_resources).await;
    let app = server.add_client("app", |_| {}).await;
    let m2m = server
        .add_client("m2m", |c| {
            c.grant_types = vec!["client_credentials".into()];
            c.redirect_uris = vec![];
        })
        .await;
    (server, app, m2m)
}

async fn post(
    server: &TestServer,
    path: &str,
    client: (&str, &str),
    form: &[(&str, &str)],
) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url(path))
        .basic_auth(client.0, Some(client.1))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

async fn machine_token(server: &TestServer, secret: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let mut pairs = vec![("grant_type", "client_credentials")];
    pairs.extend_from_slice(form);
    post(server, "/token", ("m2m", secret), &pairs).await
}

async fn introspect(server: &TestServer, secret: &str, token: &str) -> Value {
    let (status, body) = post(server, "/introspect", ("m2m", secret), &[("token", token)]).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// oxid-client's resource-server verifier for `audience`, on the provider's clock.
async fn verifier(server: &TestServer, audience: &str) -> AccessTokenVerifier {
    let http = HttpClient::new().unwrap();
    let provider = DiscoveredProvider::discover(&http, &server.base, DiscoveryOptions::default())
        .await
        .unwrap();
    AccessTokenVerifier::new(http, Arc::new(server.clock.clone()), &provider, audience)
}

fn header(token: &str) -> oxid_protocol::jose::JoseHeader {
    CompactJws::parse(token).expect("a JWT").header().clone()
}

#[tokio::test]
async fn a_resource_gets_a_jwt_access_token_its_verifier_accepts_rfc9068_2_rfc8707_2() {
    let (server, _, m2m) = server().await;
    let (status, body) = machine_token(
        &server,
        &m2m,
        &[("resource", RECORDS), ("scope", "read:records")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    let head = header(token);
    assert_eq!(head.typ.as_deref(), Some("at+jwt"), "RFC 9068 §2.1");
    assert_eq!(head.alg, "RS256");
    // RFC 9068 §2.2: the required claims; `sub` is the client itself without a user.
    let claims = verify_jws_with_jwks(&server, token).await;
    assert_eq!(claims["iss"], server.base.as_str());
    assert_eq!(claims["aud"], RECORDS);
    assert_eq!(claims["sub"], "m2m");
    assert_eq!(claims["client_id"], "m2m");
    assert_eq!(claims["scope"], "read:records");
    assert_eq!(claims["iat"], T0);
    assert_eq!(claims["exp"], body["expires_in"].as_u64().unwrap() + T0);
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));
    assert!(claims.get("auth_time").is_none(), "no user signed in");
    // The resource server's side (RFC 9068 §4), by oxid-client: its own audience only.
    let verified = verifier(&server, RECORDS).await.verify_jwt(token).await;
    assert_eq!(verified.unwrap().client_id.as_deref(), Some("m2m"));
    assert!(
        verifier(&server, LEDGER)
            .await
            .verify_jwt(token)
            .await
            .is_err()
    );
    // Another resource: its algorithm and lifetime.
    let (_, body) =
        machine_token(&server, &m2m, &[("resource", LEDGER), ("scope", "ledger")]).await;
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(header(token).alg, "ES256");
    assert_eq!(body["expires_in"], 60);
    assert!(
        verifier(&server, LEDGER)
            .await
            .verify_jwt(token)
            .await
            .is_ok()
    );
    // Past its minute and the verifier's leeway for clock skew.
    server.clock.advance(60 + 300);
    assert!(
        verifier(&server, LEDGER)
            .await
            .verify_jwt(token)
            .await
            .is_err(),
        "expired (RFC 9068 §4)"
    );
}

#[tokio::test]
async fn an_unknown_or_malformed_resource_is_invalid_target_rfc8707_2() {
    let (server, _, m2m) = server().await;
    for resource in [
        "https://unknown.example.com/",
        "records",
        "https://api.example.com/records#x",
    ] {
        let (status, body) = machine_token(&server, &m2m, &[("resource", resource)]).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_target")),
            "{resource}"
        );
        assert!(body["error_description"].as_str().is_some());
    }
    // RFC 8707 §2: scopes the resource does not accept.
    let (status, body) = machine_token(
        &server,
        &m2m,
        &[("resource", LEDGER), ("scope", "read:records")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    // Without a resource the client's own default stays: an opaque token.
    let (status, body) = machine_token(&server, &m2m, &[("scope", "read:records")]).await;
    assert_eq!(status, 200);
    assert!(CompactJws::parse(body["access_token"].as_str().unwrap()).is_err());
}

#[tokio::test]
async fn introspection_knows_a_jwt_until_it_is_revoked_or_expires_rfc7662_2_2_rfc7009_2() {
    let (server, _, m2m) = server().await;
    let (_, body) = machine_token(
        &server,
        &m2m,
        &[("resource", RECORDS), ("scope", "read:records")],
    )
    .await;
    let token = body["access_token"].as_str().unwrap();
    let answer = introspect(&server, &m2m, token).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["aud"], RECORDS);
    assert_eq!(answer["client_id"], "m2m");
    assert_eq!(answer["scope"], "read:records");
    // Revoked: the store remembers it until it expires, whichever instance is asked.
    let (status, _) = post(&server, "/revoke", ("m2m", &m2m), &[("token", token)]).await;
    assert_eq!(status, 200);
    assert_eq!(
        introspect(&server, &m2m, token).await,
        serde_json::json!({"active": false})
    );
    // Expired.
    let (_, body) =
        machine_token(&server, &m2m, &[("resource", LEDGER), ("scope", "ledger")]).await;
    let short = body["access_token"].as_str().unwrap();
    assert_eq!(introspect(&server, &m2m, short).await["active"], true);
    server.clock.advance(60);
    assert_eq!(introspect(&server, &m2m, short).await["active"], false);
    // A JWT we did not issue (its signature altered) is unknown.
    let forged = format!("{}x", &token[..token.len() - 1]);
    assert_eq!(introspect(&server, &m2m, &forged).await["active"], false);
}

#[tokio::test]
async fn a_jwt_client_gets_jwt_access_tokens_userinfo_accepts_until_revoked_rfc9068_2_2_1() {
    let server = TestServer::start_with(with_resources).await;
    let secret = server
        .add_client("app", |c| {
            c.access_token_format = Some("jwt".into());
            c.access_token_lifetime = Some(120);
        })
        .await;
    let code = obtain_code(&server, &server.browser(), "app", "openid email").await;
    let (status, body) = exchange_code(&server, "app", &secret, &code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in"], 120);
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(header(token).typ.as_deref(), Some("at+jwt"));
    let claims = verify_jws_with_jwks(&server, token).await;
    // RFC 9068 §3: no resource asked, the default audience is the provider (its UserInfo).
    assert_eq!(claims["aud"], server.base.as_str());
    let id_claims = verify_jws_with_jwks(&server, body["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["sub"], id_claims["sub"], "the user (RFC 9068 §2.2)");
    assert_eq!(claims["auth_time"], id_claims["auth_time"], "§2.2.1");
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    assert_eq!(claims["scope"], "openid email");
    assert_eq!(
        userinfo_get(&server, token).await["email"],
        "alice@example.com"
    );
    let (status, _) = post(&server, "/revoke", ("app", &secret), &[("token", token)]).await;
    assert_eq!(status, 200);
    assert_eq!(userinfo_status(&server, token).await, 401);
}

/// Authorization request for `app` with `extra`, answered by the user: the redirect's params.
async fn authorize(
    server: &TestServer,
    scope: &str,
    extra: &[(&str, &str)],
) -> oxid_protocol::params::Params {
    let browser = server.browser();
    let url = server.url(&format!("/authorize?{}", auth_query("app", scope, extra)));
    let page = browser.get(url).send().await.unwrap();
    let response = answer_pages(server, &browser, page, "allow").await;
    assert_eq!(response.status(), 303);
    location_params(&response).1
}

#[tokio::test]
async fn the_resource_of_the_authorization_request_binds_the_code_rfc8707_2_1_2_2() {
    let (server, app, _) = server().await;
    let scope = "openid read:records offline_access";
    let params = authorize(&server, scope, &[("resource", RECORDS)]).await;
    let code = params.get("code").unwrap();
    // Another resource for that code: invalid_target.
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
        ("resource", LEDGER),
    ];
    let (status, body) = post(&server, "/token", ("app", &app), &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_target"))
    );
    // The code was spent by that attempt (single use); a new one, redeemed without `resource`.
    let params = authorize(&server, scope, &[("resource", RECORDS)]).await;
    let (status, body) = exchange_code(&server, "app", &app, params.get("code").unwrap()).await;
    assert_eq!(status, 200, "{body}");
    let access_token = body["access_token"].as_str().unwrap();
    let claims = verify_jws_with_jwks(&server, access_token).await;
    assert_eq!(claims["aud"], RECORDS);
    // RFC 9068 §4: a token for the records API is not one for UserInfo, whatever its scopes.
    assert_eq!(userinfo_status(&server, access_token).await, 401);
    // The refresh token stays bound to that resource (RFC 8707 §2.2).
    let refresh = body["refresh_token"].as_str().unwrap();
    let refresh_form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("resource", LEDGER),
    ];
    let (status, body) = post(&server, "/token", ("app", &app), &refresh_form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_target"))
    );
    let (status, body) = post(&server, "/token", ("app", &app), &refresh_form[..2]).await;
    assert_eq!(status, 200, "{body}");
    let claims = verify_jws_with_jwks(&server, body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["aud"], RECORDS);
    // At the authorization endpoint: an unknown resource, or a scope it does not accept.
    let params = authorize(
        &server,
        "openid",
        &[("resource", "https://unknown.example/")],
    )
    .await;
    assert_eq!(params.get("error"), Some("invalid_target"));
    // RFC 8707 §2: a resource that is not an absolute URI is invalid_target too.
    let params = authorize(&server, "openid", &[("resource", "records")]).await;
    assert_eq!(params.get("error"), Some("invalid_target"));
    let params = authorize(&server, "openid ledger", &[("resource", RECORDS)]).await;
    assert_eq!(params.get("error"), Some("invalid_scope"));
}

#[tokio::test]
async fn introspection_answers_a_signed_jwt_when_asked_rfc9701_5() {
    let (server, _, m2m) = server().await;
    let metadata: Value = reqwest::get(server.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        metadata["introspection_signing_alg_values_supported"],
        serde_json::json!(["RS256", "ES256"]),
        "the key ring's algorithms, the default RS256 first (RFC 9701 §6, §7)"
    );
    let (_, body) = machine_token(
        &server,
        &m2m,
        &[("resource", RECORDS), ("scope", "read:records")],
    )
    .await;
    let token = body["access_token"].as_str().unwrap();
    let ask = |token: String| {
        let (server, m2m) = (&server, &m2m);
        async move {
            reqwest::Client::new()
                .post(server.url("/introspect"))
                .basic_auth("m2m", Some(m2m))
                .header("accept", "application/token-introspection+jwt")
                .form(&[("token", token)])
                .send()
                .await
                .unwrap()
        }
    };
    let response = ask(token.to_string()).await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(content_type, "application/token-introspection+jwt");
    let jwt = response.text().await.unwrap();
    assert_eq!(header(&jwt).typ.as_deref(), Some("token-introspection+jwt"));
    let claims = verify_jws_with_jwks(&server, &jwt).await;
    assert_eq!(claims["iss"], server.base.as_str());
    assert_eq!(claims["aud"], "m2m", "the caller");
    assert_eq!(claims["iat"], T0);
    assert!(
        claims.get("sub").is_none() && claims.get("exp").is_none(),
        "RFC 9701 §5"
    );
    assert_eq!(claims["token_introspection"]["active"], true);
    assert_eq!(claims["token_introspection"]["aud"], RECORDS);
    // An unknown token: `active: false` and nothing else (§5).
    let jwt = ask("nope".into()).await.text().await.unwrap();
    let claims = verify_jws_with_jwks(&server, &jwt).await;
    assert_eq!(
        claims["token_introspection"],
        serde_json::json!({"active": false})
    );
    // A caller that does not authenticate gets no JWT, the usual 401.
    let response = reqwest::Client::new()
        .post(server.url("/introspect"))
        .header("accept", "application/token-introspection+jwt")
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // A caller that registered introspection_signed_response_alg gets that algorithm (§6).
    let es_secret = server
        .add_client("rs-es", |c| {
            c.grant_types = vec!["client_credentials".into()];
            c.redirect_uris = vec![];
        })
        .await;
    // Set as the admin API or /register keep it (client_metadata/rules.rs validates it).
    let store = server.provider.store();
    let mut record = store.get_client("rs-es").await.unwrap().unwrap();
    record.metadata["introspection_signed_response_alg"] = "ES256".into();
    store.update_client(&record).await.unwrap();
    let jwt = reqwest::Client::new()
        .post(server.url("/introspect"))
        .basic_auth("rs-es", Some(es_secret))
        .header("accept", "application/token-introspection+jwt")
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(header(&jwt).alg, "ES256");
    let claims = verify_jws_with_jwks(&server, &jwt).await;
    assert_eq!(claims["token_introspection"]["active"], true);
}

#[tokio::test]
async fn a_resource_with_introspection_clients_shows_its_tokens_to_them_only_rfc9701_5() {
    let server = TestServer::start_with(|s| {
        with_resources(s);
        s.resources[0].introspection_clients = vec!["records-rs".into()];
    })
    .await;
    let machine = |id: &'static str| {
        server.add_client(id, |c| {
            c.grant_types = vec!["client_credentials".into()];
            c.redirect_uris = vec![];
        })
    };
    let m2m = machine("m2m").await;
    let records_rs = machine("records-rs").await;
    let other_rs = machine("other-rs").await;
    let (_, body) = machine_token(
        &server,
        &m2m,
        &[("resource", RECORDS), ("scope", "read:records")],
    )
    .await;
    let token = body["access_token"].as_str().unwrap();
    let seen_by = |id: &'static str, secret: String| {
        let server = &server;
        async move {
            let (status, body) =
                post(server, "/introspect", (id, &secret), &[("token", token)]).await;
            assert_eq!(status, 200, "{body}");
            body["active"].clone()
        }
    };
    // The resource's own server, and the client the token was issued to, see it active.
    assert_eq!(seen_by("records-rs", records_rs).await, true);
    assert_eq!(seen_by("m2m", m2m.clone()).await, true);
    // Another resource server is not its audience: inactive, with nothing else (§5).
    let (status, body) = post(
        &server,
        "/introspect",
        ("other-rs", &other_rs),
        &[("token", token)],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body, serde_json::json!({"active": false}));
    // A token for the ledger, which names no introspection clients, is seen by any.
    let (_, body) =
        machine_token(&server, &m2m, &[("resource", LEDGER), ("scope", "ledger")]).await;
    let ledger_token = body["access_token"].as_str().unwrap();
    let (_, body) = post(
        &server,
        "/introspect",
        ("other-rs", &other_rs),
        &[("token", ledger_token)],
    )
    .await;
    assert_eq!(body["active"], true, "{body}");
}

//! JWT client authentication over HTTP, where the keys come from: a `jwks_uri` fetched,
//! cached and fetched again for an unknown `kid` (OIDC Core §10.1.1), refused on a private
//! address by default; the introspection and revocation endpoints; discovery (RFC 8414 §2).

mod common;

use common::assertions::*;
use common::*;
use oxid_client::jws::JwsAlgorithm;
use serde_json::{Value, json};
use std::sync::Arc;

async fn jwks_server(
    keys: Arc<std::sync::Mutex<Value>>,
    fetches: Arc<std::sync::atomic::AtomicUsize>,
) -> String {
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/jwks",
        get(move || {
            let keys = keys.clone();
            let fetches = fetches.clone();
            async move {
                fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let body = keys.lock().unwrap().clone();
                axum::Json(body)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn oidcc_refresh_token_rp_key_rotation_unknown_kid_refetches_jwks_uri_rate_limited() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let server = server().await;
    let old = key(JwsAlgorithm::RS256, "old");
    let new = key(JwsAlgorithm::RS256, "new");
    let published = Arc::new(std::sync::Mutex::new(jwks(&[&old])));
    let fetches = Arc::new(AtomicUsize::new(0));
    let uri = jwks_server(published.clone(), fetches.clone()).await;
    register_jwt_client(&server, "pk", "private_key_jwt", json!({"jwks_uri": uri})).await;

    assert_accepted(token_with(&server, Some("pk"), &sign(&old, &claims(&server, "pk"))).await);
    assert_accepted(token_with(&server, Some("pk"), &sign(&old, &claims(&server, "pk"))).await);
    assert_eq!(fetches.load(Ordering::SeqCst), 1, "the set is cached");

    // The client rotates: a kid the cached set lacks, within the refetch interval, is not
    // fetched for (made-up kids cannot drive fetches) ...
    *published.lock().unwrap() = jwks(&[&new]);
    let refused = token_with(&server, Some("pk"), &sign(&new, &claims(&server, "pk"))).await;
    assert_refused(refused, "no key of the client has kid 'new'");
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    // ... and once it has passed, the set is fetched again and the new key accepted.
    server
        .clock
        .advance(oxid_provider::client_keys::REFETCH_INTERVAL);
    assert_accepted(token_with(&server, Some("pk"), &sign(&new, &claims(&server, "pk"))).await);
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    // The old key is gone from the set.
    let gone = token_with(&server, Some("pk"), &sign(&old, &claims(&server, "pk"))).await;
    assert_refused(gone, "no key of the client has kid 'old'");
}

#[tokio::test]
async fn a_jwks_uri_on_a_private_address_is_not_fetched_by_default() {
    let server = TestServer::start_with(|s| s.scopes = api_scopes(&["api:read"])).await;
    let k = key(JwsAlgorithm::RS256, "k1");
    let fetches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let uri = jwks_server(
        Arc::new(std::sync::Mutex::new(jwks(&[&k]))),
        fetches.clone(),
    )
    .await;
    register_jwt_client(&server, "pk", "private_key_jwt", json!({"jwks_uri": uri})).await;
    let refused = token_with(&server, Some("pk"), &sign(&k, &claims(&server, "pk"))).await;
    assert_refused(refused, "a private, loopback or link-local address");
    assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test]
async fn introspection_and_revocation_accept_assertions_with_their_own_url_as_aud() {
    let (server, k) = private_key_client(JwsAlgorithm::ES256).await;
    let (_, tokens) = token_with(&server, Some("pk"), &sign(&k, &claims(&server, "pk"))).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    for (path, aud) in [
        ("/introspect", server.url("/introspect")),
        ("/introspect", server.url("/token")),
        ("/revoke", server.url("/revoke")),
        ("/revoke", server.base.clone()),
    ] {
        let mut c = claims(&server, "pk");
        c.insert("aud".into(), json!(aud));
        let form = [("token", access_token)];
        let (status, body) = post_with(&server, path, Some("pk"), &sign(&k, &c), &form).await;
        assert_eq!(status, 200, "{path} with aud {aud}: {body}");
    }
    // The revocation endpoint's URL is not an audience at the introspection endpoint.
    let mut c = claims(&server, "pk");
    c.insert("aud".into(), json!(server.url("/revoke")));
    let form = [("token", access_token)];
    let answer = post_with(&server, "/introspect", Some("pk"), &sign(&k, &c), &form).await;
    assert_refused(answer, "aud must be one of");
}

#[tokio::test]
async fn discovery_lists_the_jwt_methods_and_their_algs_rfc8414_2() {
    let server = server().await;
    let md: Value = reqwest::get(server.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let algs = json!(["RS256", "PS256", "ES256", "EdDSA", "HS256"]);
    for endpoint in ["token", "revocation", "introspection"] {
        let methods = md[format!("{endpoint}_endpoint_auth_methods_supported")].clone();
        for method in ["client_secret_jwt", "private_key_jwt"] {
            assert!(
                methods.as_array().unwrap().contains(&json!(method)),
                "{endpoint}: {methods}"
            );
        }
        assert_eq!(
            md[format!("{endpoint}_endpoint_auth_signing_alg_values_supported")],
            algs
        );
    }
}

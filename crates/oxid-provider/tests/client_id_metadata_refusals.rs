//! Client ID Metadata Documents refused (draft-ietf-oauth-client-id-metadata-document-01):
//! each failure is the error page at `/authorize`, never a redirect to a redirect URI the
//! provider cannot trust (§4.3, RFC 6749 §4.1.2.1), and `invalid_client` at the token
//! endpoint (RFC 6749 §5.2).

#[path = "cimd_support/mod.rs"]
mod cimd_support;
mod common;

use cimd_support::*;
use common::*;
use serde_json::json;

#[tokio::test]
async fn a_document_naming_another_client_id_is_refused_draft_4_1() {
    let server = provider(true).await;
    let documents = DocumentServer::start().await;
    let id = documents.url("/client.json");
    let other = document("https://elsewhere.example.com/client.json", json!({}));
    documents.set("/client.json", Answer::json(&other));
    let page = error_page(&server, &id).await;
    assert!(page.contains("names client_id"), "{page}");
    assert!(page.contains("invalid_client"), "{page}");
}

#[tokio::test]
async fn an_oversized_document_is_refused_draft_6_6() {
    let server = provider(true).await;
    let documents = DocumentServer::start().await;
    let id = documents.publish("/big.json", json!({"padding": "x".repeat(6000)}));
    let page = error_page(&server, &id).await;
    assert!(page.contains("larger than 5120 bytes"), "{page}");
    // The limit is the operator's to set.
    let roomy = TestServer::start_with(|s| {
        s.client_id_metadata_documents = true;
        s.outbound.allow_private_addresses = true;
        s.metadata_documents.max_bytes = 10_000;
    })
    .await;
    login_page(&roomy, &id).await;
}

#[tokio::test]
async fn a_document_that_is_not_json_is_refused_draft_4_1() {
    let server = provider(true).await;
    let documents = DocumentServer::start().await;
    let id = documents.url("/page");
    let mut html = Answer::json(&document(&id, json!({})));
    html.content_type = "text/html".into();
    documents.set("/page", html);
    let page = error_page(&server, &id).await;
    assert!(page.contains("not served as JSON"), "{page}");
    let id = documents.url("/broken.json");
    let mut broken = Answer::json(&json!({}));
    broken.body = b"{\"client_id\": ".to_vec();
    documents.set("/broken.json", broken);
    let page = error_page(&server, &id).await;
    assert!(page.contains("not a JSON object"), "{page}");
}

#[tokio::test]
async fn a_missing_document_or_a_redirect_is_refused_not_followed_draft_4() {
    let server = provider(true).await;
    let documents = DocumentServer::start().await;
    let page = error_page(&server, &documents.url("/missing.json")).await;
    assert!(page.contains("status is 404"), "{page}");
    // §4: "MUST NOT automatically follow HTTP redirects".
    let target = documents.publish("/target.json", json!({}));
    let moved = Answer {
        status: 302,
        location: Some(target),
        ..Answer::json(&json!({}))
    };
    documents.set("/moved.json", moved);
    let page = error_page(&server, &documents.url("/moved.json")).await;
    assert!(page.contains("status is 302"), "{page}");
    assert_eq!(
        documents.hits("/target.json"),
        0,
        "the redirect was not followed"
    );
}

#[tokio::test]
async fn an_http_client_id_needs_the_tests_allowance_draft_3() {
    let server = TestServer::start_with(|s| s.client_id_metadata_documents = true).await;
    let documents = DocumentServer::start().await;
    let id = documents.publish("/client.json", json!({}));
    let page = error_page(&server, &id).await;
    assert!(page.contains("must use https"), "{page}");
    assert_eq!(documents.hits("/client.json"), 0, "nothing fetched");
    // An https URL on a loopback address is refused too: SSRF (draft §6.5).
    let loopback = id.replace("http://", "https://");
    let page = error_page(&server, &loopback).await;
    assert!(page.contains("loopback"), "{page}");
}

#[tokio::test]
async fn a_redirect_uri_not_in_the_document_is_refused_draft_4_5() {
    let server = provider(true).await;
    let documents = DocumentServer::start().await;
    let id = documents.publish("/client.json", json!({}));
    let query = oxid_protocol::params::encode_pairs(vec![
        ("response_type", "code"),
        ("client_id", id.as_str()),
        ("redirect_uri", "https://attacker.example.com/cb"),
        ("scope", "openid"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    let response = server
        .browser()
        .get(server.url(&format!("/authorize?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    let page = response.text().await.unwrap();
    assert!(page.contains("redirect_uri is not registered"), "{page}");
}

#[tokio::test]
async fn a_document_with_a_shared_secret_method_is_refused_draft_4_1() {
    let server = provider(true).await;
    let documents = DocumentServer::start().await;
    let id = documents.publish(
        "/client.json",
        json!({"token_endpoint_auth_method": "client_secret_basic"}),
    );
    let page = error_page(&server, &id).await;
    assert!(page.contains("none or private_key_jwt"), "{page}");
    let id = documents.publish("/secret.json", json!({"client_secret": "chosen"}));
    let page = error_page(&server, &id).await;
    assert!(page.contains("client_secret must not be used"), "{page}");
}

#[tokio::test]
async fn with_the_feature_off_a_url_client_id_is_an_unknown_client() {
    let server = provider(false).await;
    let documents = DocumentServer::start().await;
    let id = documents.publish("/client.json", json!({}));
    let page = error_page(&server, &id).await;
    assert!(page.contains("the client is not registered"), "{page}");
    let (status, body) = exchange_public(&server, &id, "some-code").await;
    assert_eq!((status, error_of(&body)), (401, "invalid_client"), "{body}");
    assert_eq!(documents.hits("/client.json"), 0, "nothing fetched");
}

#[tokio::test]
async fn a_failing_document_is_invalid_client_at_the_token_endpoint_rfc6749_5_2() {
    let server = provider(true).await;
    let documents = DocumentServer::start().await;
    let (status, body) = exchange_public(&server, &documents.url("/gone.json"), "code").await;
    assert_eq!((status, error_of(&body)), (401, "invalid_client"), "{body}");
    let why = body["error_description"].as_str().unwrap_or_default();
    assert!(why.contains("status is 404"), "{why}");
    let id = documents.url("/other.json");
    documents.set(
        "/other.json",
        Answer::json(&document("https://elsewhere.example.com/c.json", json!({}))),
    );
    let (status, body) = exchange_public(&server, &id, "code").await;
    assert_eq!((status, error_of(&body)), (401, "invalid_client"), "{body}");
}

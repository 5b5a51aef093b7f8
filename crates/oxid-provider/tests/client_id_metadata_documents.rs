//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document-01) over HTTP:
//! a client whose `client_id` is the URL of its metadata document, served on 127.0.0.1,
//! runs the code flow as a public client and with `private_key_jwt`; the document is kept
//! for its `max-age` within the configured bounds; discovery says so only when it is on.
//! The refusals are in `client_id_metadata_refusals.rs`.

#[path = "cimd_support/mod.rs"]
mod cimd_support;
mod common;

use cimd_support::*;
use common::assertions::{self, ASSERTION_TYPE};
use common::*;
use oxid_client::jws::JwsAlgorithm;
use serde_json::{Value, json};

#[tokio::test]
async fn a_public_document_client_runs_the_code_flow_with_pkce_draft_4() {
    let server = provider(true).await;
    let documents = DocumentServer::start().await;
    let client_id = documents.publish("/client.json", json!({}));
    let host = documents.base.trim_start_matches("http://").to_string();
    let browser = server.browser();

    let page = authorize(&server, &browser, &client_id, &[]).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let login = submit_login(&server, &browser, &html, USER, PASSWORD).await;
    assert_eq!(login.status(), 200);
    let consent = login.text().await.unwrap();
    // Draft §6.3: the consent page names the client and the host of its client_id.
    assert!(consent.contains("name=\"decision\""), "{consent}");
    assert!(consent.contains("Example MCP client"), "{consent}");
    assert!(
        consent.contains(&host),
        "the client_id's host on the page: {consent}"
    );
    let answer = submit_consent(&server, &browser, &consent, "allow").await;
    assert_eq!(answer.status(), 303);
    let (base, params) = location_params(&answer);
    assert_eq!(base, REDIRECT);
    let code = params.get("code").expect("a code");

    let (status, tokens) = exchange_public(&server, &client_id, code).await;
    assert_eq!(status, 200, "{tokens}");
    let claims = verify_jws_with_jwks(&server, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["aud"], json!(client_id), "the URL is the client_id");
    // RFC 7009 §2.1: the public client revokes its own token, found by its URL too.
    let revoked = reqwest::Client::new()
        .post(server.url("/revoke"))
        .form(&[
            ("client_id", client_id.as_str()),
            ("token", tokens["access_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    // The token endpoint found the client in the kept copy: one fetch in all.
    assert_eq!(documents.hits("/client.json"), 1);
    let stored = server
        .provider
        .store()
        .get_client(&client_id)
        .await
        .unwrap();
    let stored = stored.expect("kept as a client row, which its codes and tokens refer to");
    assert!(oxid_provider::cimd::is_document_client(&stored));
    assert_eq!(stored.token_endpoint_auth_method, "none");
}

#[tokio::test]
async fn a_private_key_jwt_document_client_authenticates_with_its_published_keys_draft_6_2() {
    let server = provider(true).await;
    let documents = DocumentServer::start().await;
    let key = assertions::key(JwsAlgorithm::ES256, "k1");
    let client_id = documents.publish(
        "/confidential.json",
        json!({
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": assertions::jwks(&[&key]),
        }),
    );
    let browser = server.browser();
    let code = obtain_code(&server, &browser, &client_id, "openid").await;

    let exchange = |assertion: String, code: String| {
        let server = &server;
        async move {
            let form = [
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", assertion.as_str()),
            ];
            let response = reqwest::Client::new()
                .post(server.url("/token"))
                .form(&form)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    // A key the document does not publish proves nothing (RFC 7523 §3).
    let stranger = assertions::key(JwsAlgorithm::ES256, "k1");
    let claims = assertions::claims(&server, &client_id);
    let refused = exchange(assertions::sign(&stranger, &claims), code.clone()).await;
    assertions::assert_refused(refused, "");
    // Without any authentication, a confidential client is refused too.
    let (status, body) = exchange_public(&server, &client_id, &code).await;
    assert_eq!((status, error_of(&body)), (401, "invalid_client"), "{body}");

    let code = obtain_code(&server, &server.browser(), &client_id, "openid").await;
    let claims = assertions::claims(&server, &client_id);
    let (status, tokens) = exchange(assertions::sign(&key, &claims), code).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["id_token"].is_string());
}

#[tokio::test]
async fn a_document_client_pushes_its_authorization_request_rfc9126() {
    let server = provider(true).await;
    let documents = DocumentServer::start().await;
    let client_id = documents.publish("/client.json", json!({}));
    let query = auth_query(&client_id, "openid", &[]);
    let response = reqwest::Client::new()
        .post(server.url("/par"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(query)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    let request_uri = body["request_uri"].as_str().unwrap();
    let pairs = [
        ("client_id", client_id.as_str()),
        ("request_uri", request_uri),
    ];
    let query = oxid_protocol::params::encode_pairs(pairs.to_vec());
    let page = server
        .browser()
        .get(server.url(&format!("/authorize?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200, "the login page for the pushed request");
}

#[tokio::test]
async fn a_document_is_kept_for_its_max_age_and_a_change_applies_after_it_draft_4_4() {
    let server = provider(true).await;
    let documents = DocumentServer::start().await;
    let path = "/client.json";
    let id = documents.url(path);
    let serve = |name: &str| {
        let mut answer = Answer::json(&document(&id, json!({"client_name": name})));
        answer.cache_control = Some("public, max-age=120".into());
        documents.set(path, answer);
    };
    serve("First name");
    assert!(login_page(&server, &id).await.contains("First name"));
    serve("Second name");
    let within = login_page(&server, &id).await;
    assert!(within.contains("First name"), "kept for its max-age");
    assert_eq!(documents.hits(path), 1);
    server.clock.advance(121);
    let after = login_page(&server, &id).await;
    assert!(after.contains("Second name"), "fetched again after max-age");
    assert_eq!(documents.hits(path), 2);

    // `max-age=0` is raised to the configured least (60 s by default).
    let mut answer = Answer::json(&document(&id, json!({"client_name": "Third name"})));
    answer.cache_control = Some("max-age=0".into());
    documents.set(path, answer);
    server.clock.advance(121);
    assert!(login_page(&server, &id).await.contains("Third name"));
    server.clock.advance(30);
    login_page(&server, &id).await;
    assert_eq!(
        documents.hits(path),
        3,
        "still fresh within the least lifetime"
    );

    // A failed fetch is not kept (§4.4): the next request fetches again.
    server.clock.advance(61);
    documents.set(
        path,
        Answer {
            status: 500,
            ..Answer::json(&json!({}))
        },
    );
    assert!(error_page(&server, &id).await.contains("status is 500"));
    serve("Fourth name");
    assert!(login_page(&server, &id).await.contains("Fourth name"));
    assert_eq!(documents.hits(path), 5);
}

#[tokio::test]
async fn concurrent_requests_share_one_fetch_draft_4_4() {
    let server = provider(true).await;
    let documents = DocumentServer::start().await;
    let id = documents.publish("/client.json", json!({}));
    let requests: Vec<_> = (0..8)
        .map(|_| {
            let (url, id) = (server.url("/token"), id.clone());
            tokio::spawn(async move {
                let form = [
                    ("grant_type", "authorization_code"),
                    ("client_id", id.as_str()),
                    ("code", "unknown"),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", VERIFIER),
                ];
                let response = reqwest::Client::new().post(url).form(&form).send().await;
                response.unwrap().json::<Value>().await.unwrap()
            })
        })
        .collect();
    for request in requests {
        let body = request.await.unwrap();
        // The client was found (authenticated with `none`); its made-up code was not.
        assert_eq!(error_of(&body), "invalid_grant", "{body}");
    }
    assert_eq!(documents.hits("/client.json"), 1, "one fetch for the burst");
}

#[tokio::test]
async fn a_url_registered_by_an_operator_is_used_as_registered_draft_6_10() {
    let server = provider(true).await;
    let documents = DocumentServer::start().await;
    let id = documents.publish(
        "/registered.json",
        json!({"client_name": "From the document"}),
    );
    server
        .add_client(&id, |c| {
            c.public = true;
            c.client_name = Some("From the operator".into());
        })
        .await;
    let html = login_page(&server, &id).await;
    assert!(html.contains("From the operator"), "{html}");
    assert_eq!(documents.hits("/registered.json"), 0, "never fetched");
}

#[tokio::test]
async fn discovery_lists_client_id_metadata_document_supported_only_when_on_draft_5() {
    for on in [true, false] {
        let server = provider(on).await;
        for path in [
            "/.well-known/openid-configuration",
            "/.well-known/oauth-authorization-server",
        ] {
            let metadata: Value = reqwest::get(server.url(path))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let flag = &metadata["client_id_metadata_document_supported"];
            if on {
                assert_eq!(flag, &json!(true), "{path}");
            } else {
                assert!(flag.is_null(), "not advertised when off: {path}");
            }
        }
    }
}

//! A server of Client ID Metadata Documents on 127.0.0.1 whose answers a test sets and
//! changes, counting the fetches; and a provider that resolves such documents (its outbound
//! fetches may reach 127.0.0.1, the tests' allowance for http).
#![allow(dead_code)]

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::common::*;

/// One answer of the document server.
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub cache_control: Option<String>,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    /// `document` as `application/json`, 200.
    pub fn json(document: &Value) -> Answer {
        Answer {
            status: 200,
            content_type: "application/json".into(),
            cache_control: None,
            location: None,
            body: serde_json::to_vec(document).unwrap(),
        }
    }
}

#[derive(Default)]
struct Served {
    answers: HashMap<String, Answer>,
    hits: HashMap<String, usize>,
}

/// The document server.
#[derive(Clone)]
pub struct DocumentServer {
    pub base: String,
    served: Arc<Mutex<Served>>,
}

impl DocumentServer {
    pub async fn start() -> DocumentServer {
        let served = Arc::new(Mutex::new(Served::default()));
        let app = Router::new().fallback(answer).with_state(served.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        DocumentServer { base, served }
    }

    /// The URL of `path`: a client_id.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Serves `answer` at `path` from now on.
    pub fn set(&self, path: &str, answer: Answer) {
        self.served
            .lock()
            .unwrap()
            .answers
            .insert(path.into(), answer);
    }

    /// Serves the public client document of `path` (its client_id is its URL).
    pub fn publish(&self, path: &str, extra: Value) -> String {
        let id = self.url(path);
        self.set(path, Answer::json(&document(&id, extra)));
        id
    }

    /// How many times `path` was fetched.
    pub fn hits(&self, path: &str) -> usize {
        *self.served.lock().unwrap().hits.get(path).unwrap_or(&0)
    }
}

async fn answer(State(served): State<Arc<Mutex<Served>>>, uri: Uri) -> Response {
    let mut served = served.lock().unwrap();
    *served.hits.entry(uri.path().into()).or_default() += 1;
    let Some(a) = served.answers.get(uri.path()).cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = (
        StatusCode::from_u16(a.status).unwrap(),
        [(header::CONTENT_TYPE, a.content_type)],
        a.body,
    )
        .into_response();
    let headers = response.headers_mut();
    if let Some(cc) = a.cache_control {
        headers.insert(header::CACHE_CONTROL, cc.parse().unwrap());
    }
    if let Some(location) = a.location {
        headers.insert(header::LOCATION, location.parse().unwrap());
    }
    response
}

/// A public client's document for `client_id` (redirect URI [`REDIRECT`]), with `extra`
/// members set (null removes one).
pub fn document(client_id: &str, extra: Value) -> Value {
    let mut doc = json!({
        "client_id": client_id,
        "client_name": "Example MCP client",
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "none",
    });
    for (name, value) in extra.as_object().unwrap() {
        if value.is_null() {
            doc.as_object_mut().unwrap().remove(name);
        } else {
            doc[name] = value.clone();
        }
    }
    doc
}

/// A provider with the feature `on` or off, whose outbound fetches may reach 127.0.0.1.
pub async fn provider(on: bool) -> TestServer {
    TestServer::start_with(|s| {
        s.client_id_metadata_documents = on;
        s.outbound.allow_private_addresses = true;
    })
    .await
}

/// `GET /authorize` for `client_id` with PKCE (and `extra`): the answer.
pub async fn authorize(
    server: &TestServer,
    browser: &reqwest::Client,
    client_id: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let query = auth_query(client_id, "openid", extra);
    let url = server.url(&format!("/authorize?{query}"));
    browser.get(url).send().await.unwrap()
}

/// The error page `/authorize` answers for `client_id`: 400, no redirect, its text.
pub async fn error_page(server: &TestServer, client_id: &str) -> String {
    let response = authorize(server, &server.browser(), client_id, &[]).await;
    assert_eq!(response.status(), 400, "an error page");
    assert!(
        response.headers().get("location").is_none(),
        "never a redirect to an untrusted redirect_uri (RFC 6749 §4.1.2.1)"
    );
    response.text().await.unwrap()
}

/// The login page `/authorize` answers for `client_id`.
pub async fn login_page(server: &TestServer, client_id: &str) -> String {
    let response = authorize(server, &server.browser(), client_id, &[]).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("name=\"password\""), "a login page: {html}");
    html
}

/// A public client's code exchange (`client_id` in the form, PKCE): status and answer.
pub async fn exchange_public(server: &TestServer, client_id: &str, code: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

//! A scriptable provider on 127.0.0.1:0: each path answers what the test put there, and every
//! request is recorded.
#![allow(dead_code)]

pub mod op;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: String,
}

impl Recorded {
    /// The form body as pairs.
    pub fn form(&self) -> HashMap<String, String> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .into_owned()
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

#[derive(Clone)]
pub struct Canned {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Default)]
pub struct MockState {
    routes: Mutex<HashMap<String, Canned>>,
    log: Mutex<Vec<Recorded>>,
}

/// The running mock; dropped with the test's runtime.
#[derive(Clone)]
pub struct Mock {
    pub base: String,
    state: Arc<MockState>,
}

impl Mock {
    pub async fn start() -> Mock {
        let state = Arc::new(MockState::default());
        let app = Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Mock { base, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn set(&self, path: &str, status: u16, content_type: &str, body: impl Into<Vec<u8>>) {
        self.set_with_headers(path, status, content_type, vec![], body);
    }

    pub fn set_with_headers(
        &self,
        path: &str,
        status: u16,
        content_type: &str,
        headers: Vec<(String, String)>,
        body: impl Into<Vec<u8>>,
    ) {
        self.state.routes.lock().unwrap().insert(
            path.to_owned(),
            Canned {
                status,
                content_type: content_type.to_owned(),
                headers,
                body: body.into(),
            },
        );
    }

    pub fn set_json(&self, path: &str, status: u16, body: &Value) {
        self.set(
            path,
            status,
            "application/json",
            serde_json::to_vec(body).unwrap(),
        );
    }

    pub fn requests(&self, path: &str) -> Vec<Recorded> {
        self.state
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    pub fn last(&self, path: &str) -> Recorded {
        self.requests(path).pop().expect("a request was made")
    }

    /// The last introspection request asked about `token`, an access token, with HTTP Basic
    /// client authentication (RFC 7662 §2.1).
    pub fn assert_introspected_with_basic(&self, token: &str) {
        let request = self.last("/introspect");
        assert_eq!(request.form()["token"], token);
        assert_eq!(request.form()["token_type_hint"], "access_token");
        assert!(
            request
                .header("authorization")
                .unwrap()
                .starts_with("Basic ")
        );
    }

    /// A complete, valid OpenID Provider document for this mock.
    pub fn openid_configuration(&self) -> Value {
        let b = &self.base;
        json!({
            "issuer": b,
            "authorization_endpoint": format!("{b}/authorize"),
            "token_endpoint": format!("{b}/token"),
            "userinfo_endpoint": format!("{b}/userinfo"),
            "jwks_uri": format!("{b}/jwks"),
            "introspection_endpoint": format!("{b}/introspect"),
            "revocation_endpoint": format!("{b}/revoke"),
            "end_session_endpoint": format!("{b}/logout"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA", "HS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"],
            "authorization_response_iss_parameter_supported": true
        })
    }

    pub fn serve_openid_configuration(&self) {
        let doc = self.openid_configuration();
        self.set_json("/.well-known/openid-configuration", 200, &doc);
    }
}

async fn handle(
    State(state): State<Arc<MockState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    state.log.lock().unwrap().push(Recorded {
        method: method.to_string(),
        path: path.clone(),
        query: uri.query().unwrap_or_default().to_owned(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let canned = state.routes.lock().unwrap().get(&path).cloned();
    match canned {
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
        Some(c) => {
            let mut response = (
                StatusCode::from_u16(c.status).unwrap(),
                [("content-type", c.content_type)],
                c.body,
            )
                .into_response();
            for (k, v) in c.headers {
                response.headers_mut().insert(
                    axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            response
        }
    }
}

//! The HTTP plumbing: one reqwest client, bounded bodies, no redirects followed.
//!
//! A hostile provider's responses are input: bodies are capped, statuses checked, and JSON
//! parsed into values before any type sees them.

use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use serde_json::Value;

use crate::error::ClientError;

/// The largest response body read (1 MiB): discovery documents and key sets are far smaller.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// A response read in full.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The URL requested.
    pub url: String,
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` without parameters, lowercased.
    pub content_type: String,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The body as a JSON value.
    pub fn json(&self) -> Result<Value, ClientError> {
        serde_json::from_slice(&self.body).map_err(|e| ClientError::InvalidResponse {
            url: self.url.clone(),
            detail: format!("not JSON: {e}"),
        })
    }

    /// The body as a JSON object, refusing anything else.
    pub fn json_object(&self) -> Result<serde_json::Map<String, Value>, ClientError> {
        match self.json()? {
            Value::Object(map) => Ok(map),
            _ => Err(ClientError::InvalidResponse {
                url: self.url.clone(),
                detail: "not a JSON object".into(),
            }),
        }
    }

    /// The body as text (lossy), shortened for error messages.
    pub fn body_excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        text.chars().take(300).collect()
    }

    /// Fails with [`ClientError::Status`] unless the status is 2xx.
    pub fn require_success(self) -> Result<Self, ClientError> {
        if (200..300).contains(&self.status) {
            Ok(self)
        } else {
            Err(ClientError::Status {
                url: self.url.clone(),
                status: self.status,
                body: self.body_excerpt(),
            })
        }
    }
}

/// An HTTP client for talking to providers.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
}

impl HttpClient {
    /// A client with rustls, a 30 s timeout and no redirects followed.
    pub fn new() -> Result<Self, ClientError> {
        let inner = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("oxid-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Http {
                url: String::new(),
                detail: e.to_string(),
            })?;
        Ok(Self { inner })
    }

    /// A client around a reqwest client the caller configured.
    pub fn with_client(inner: reqwest::Client) -> Self {
        Self { inner }
    }

    /// GET `url` asking for `accept`.
    pub async fn get(
        &self,
        url: &str,
        accept: &str,
        bearer: Option<&str>,
    ) -> Result<HttpResponse, ClientError> {
        let mut request = self.inner.get(url).header(ACCEPT, accept);
        if let Some(token) = bearer {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(url, request).await
    }

    /// POST a form to `url` with optional extra headers.
    pub async fn post_form(
        &self,
        url: &str,
        form: &[(String, String)],
        headers: &[(String, String)],
    ) -> Result<HttpResponse, ClientError> {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter())
            .finish();
        let mut request = self
            .inner
            .post(url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        self.send(url, request).await
    }

    async fn send(
        &self,
        url: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<HttpResponse, ClientError> {
        let http_err = |e: reqwest::Error| ClientError::Http {
            url: url.to_owned(),
            detail: e.to_string(),
        };
        let mut response = request.send().await.map_err(http_err)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(http_err)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(ClientError::Http {
                    url: url.to_owned(),
                    detail: format!("response body over {MAX_BODY_BYTES} bytes"),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            url: url.to_owned(),
            status,
            content_type,
            headers,
            body,
        })
    }
}

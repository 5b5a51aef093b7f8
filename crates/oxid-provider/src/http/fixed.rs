//! The fixed documents (discovery at both well-known paths, the JWK Set) answered in the
//! front layer, before the router: the same bytes and headers the router's handlers give,
//! without the router's per-request clone and boxing of the route's service (bench/README.md,
//! branch `front`). Only `GET` of an exact path is answered here; `HEAD`, `OPTIONS` and
//! anything else go to the router as before. The body is taken from the provider on every
//! request, so a key rotation shows in the JWK Set at once.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::Response;

use super::front::with_cors_headers;
use super::layers::REQUEST_ID;
use super::wellknown;
use crate::discovery::paths;
use crate::state::Provider;

/// Which document a path serves.
#[derive(Clone, Copy)]
enum Document {
    OpenidConfiguration,
    OauthMetadata,
    Jwks,
}

/// The paths of the fixed documents and each one's answer headers, built once.
pub struct FixedDocuments {
    routes: Vec<(String, Document)>,
    metadata_headers: HeaderMap,
    jwks_headers: HeaderMap,
}

impl FixedDocuments {
    /// The documents of an issuer whose path is `prefix` (empty at the host's root).
    pub fn new(prefix: &str) -> Self {
        let routes = vec![
            (
                format!("{prefix}{}", paths::OPENID_CONFIGURATION),
                Document::OpenidConfiguration,
            ),
            (
                format!("{prefix}{}", paths::OAUTH_METADATA),
                Document::OauthMetadata,
            ),
            (format!("{prefix}{}", paths::JWKS), Document::Jwks),
        ];
        let mut routes = routes;
        if !prefix.is_empty() {
            // RFC 8414 §3.1: the inserted form, served at the root (see `router`).
            routes.push((
                format!("{}{prefix}", paths::OAUTH_METADATA),
                Document::OauthMetadata,
            ));
        }
        FixedDocuments {
            routes,
            metadata_headers: answer_headers(wellknown::metadata_response(Bytes::new())),
            jwks_headers: answer_headers(wellknown::jwks_response(Bytes::new())),
        }
    }

    /// The answer to `request` when it is a `GET` of one of the documents.
    pub fn answer(&self, provider: &Provider, request: &Request) -> Option<Response> {
        if request.method() != Method::GET {
            return None;
        }
        let path = request.uri().path();
        let (_, document) = self.routes.iter().find(|(route, _)| route == path)?;
        let (body, headers) = match document {
            Document::OpenidConfiguration => {
                (provider.openid_configuration(), &self.metadata_headers)
            }
            Document::OauthMetadata => (provider.oauth_metadata(), &self.metadata_headers),
            Document::Jwks => (provider.keys().jwks_json(), &self.jwks_headers),
        };
        let length = HeaderValue::from(body.len());
        let mut response = Response::new(Body::from(body));
        let headers_out = response.headers_mut();
        *headers_out = headers.clone();
        headers_out.insert(header::CONTENT_LENGTH, length);
        Some(response)
    }
}

/// The headers of a handler's `response` as the router's layers leave them: CORS added, the
/// `Content-Length` axum's router sets, and a place for the request id; the inserts of the
/// length and the id then replace these values in place, in the same order, without growing
/// the map.
fn answer_headers(mut response: Response) -> HeaderMap {
    with_cors_headers(&mut response);
    let mut headers = std::mem::take(response.headers_mut());
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    headers.insert(REQUEST_ID, HeaderValue::from_static("-"));
    headers
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::{Body, Bytes, to_bytes};
    use axum::extract::Request;
    use axum::http::{Method, StatusCode};
    use tower::ServiceExt as _;

    use super::FixedDocuments;
    use crate::state::Provider;
    use crate::test_support::provider_with_keys;

    /// Status, headers in order and body of `method path` (with a request id of the caller's,
    /// which both answers echo).
    async fn answer(
        router: Router,
        method: Method,
        path: &str,
    ) -> (StatusCode, Vec<(String, String)>, Bytes) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("x-request-id", "fixed-test")
            .body(Body::empty())
            .unwrap();
        let response = router.oneshot(request).await.unwrap();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_string()))
            .collect();
        let status = response.status();
        (
            status,
            headers,
            to_bytes(response.into_body(), 1 << 20).await.unwrap(),
        )
    }

    async fn provider_at(path: &str) -> Provider {
        let issuer = format!("http://127.0.0.1:8080{path}");
        provider_with_keys(|settings| settings.issuer = issuer).await
    }

    #[tokio::test]
    async fn the_fixed_documents_are_answered_as_the_router_answers_them() {
        for prefix in ["", "/tenant"] {
            let provider = provider_at(prefix).await;
            let paths = [
                format!("{prefix}/.well-known/openid-configuration"),
                format!("{prefix}/.well-known/oauth-authorization-server"),
                format!("/.well-known/oauth-authorization-server{prefix}"),
                format!("{prefix}/jwks"),
                format!("{prefix}/jwks?ignored=1"),
            ];
            for path in &paths {
                for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
                    let fast = Router::new()
                        .fallback_service(super::super::app_with(provider.clone(), true));
                    let routed = Router::new()
                        .fallback_service(super::super::app_with(provider.clone(), false));
                    let fast = answer(fast, method.clone(), path).await;
                    let routed = answer(routed, method.clone(), path).await;
                    assert_eq!(fast, routed, "{method} {path}");
                    if method == Method::GET {
                        assert_eq!(fast.0, StatusCode::OK, "{path}");
                    }
                }
            }
        }
    }

    #[tokio::test]
    async fn only_a_get_of_a_document_path_is_answered_before_the_router() {
        let provider = provider_at("/tenant").await;
        let fixed = FixedDocuments::new(provider.config().issuer_path());
        let request = |method: Method, path: &str| {
            Request::builder()
                .method(method)
                .uri(path)
                .body(Body::empty())
                .unwrap()
        };
        for path in [
            "/tenant/.well-known/openid-configuration",
            "/.well-known/oauth-authorization-server/tenant",
            "/tenant/jwks",
        ] {
            assert!(
                fixed
                    .answer(&provider, &request(Method::GET, path))
                    .is_some()
            );
            assert!(
                fixed
                    .answer(&provider, &request(Method::HEAD, path))
                    .is_none()
            );
            assert!(
                fixed
                    .answer(&provider, &request(Method::POST, path))
                    .is_none()
            );
        }
        for path in [
            "/jwks",
            "/tenant/jwks/",
            "/tenant/token",
            "/.well-known/openid-configuration",
        ] {
            assert!(
                fixed
                    .answer(&provider, &request(Method::GET, path))
                    .is_none(),
                "{path}"
            );
        }
    }

    #[tokio::test]
    async fn a_key_rotation_shows_in_the_fixed_jwks_at_once() {
        let provider = provider_at("").await;
        let router = super::super::router(provider.clone());
        let (_, _, before) = answer(router.clone(), Method::GET, "/jwks").await;
        provider.rotate_keys().await.unwrap();
        let (_, _, after) = answer(router, Method::GET, "/jwks").await;
        assert_ne!(before, after);
        assert_eq!(after, provider.keys().jwks_json());
    }
}

//! Cross-cutting HTTP behaviour: the request log, CORS for what browsers read directly, and
//! the security headers of HTML pages.

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;

use super::form::no_store;

/// One log line per request: method, path without query, status, latency. Never a token,
/// code, password or secret: those travel in queries, bodies and headers, none of which are
/// logged.
pub async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        latency_ms = format!("{:.2}", started.elapsed().as_secs_f64() * 1000.0),
        "request"
    );
    response
}

/// `Access-Control-Allow-Origin: *` for discovery, JWKS, token and userinfo, which browser
/// clients call directly; they carry no cookies, so a wildcard origin is safe.
pub async fn cors(request: Request, next: Next) -> Response {
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type, DPoP"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("WWW-Authenticate"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

/// HTML pages may not be framed (clickjacking, RFC 9700 §4.16), cached or leak referrers.
pub async fn page_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // A page that frames others (front-channel logout) sets its own policy (this one, with
    // frames allowed from those origins); every other page gets this one.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(csp) = HeaderValue::from_str(&page_csp(&[]))
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if headers.contains_key(header::CACHE_CONTROL) {
        return response;
    }
    no_store(response)
}

/// The `Content-Security-Policy` of the pages: nothing but our stylesheet and inline images,
/// never framed; `frames` (front-channel logout URLs) may be framed, by origin, exactly.
pub fn page_csp(frames: &[String]) -> String {
    let mut origins: Vec<String> = frames
        .iter()
        .filter_map(|u| url::Url::parse(u).ok())
        .map(|u| u.origin().ascii_serialization())
        .collect();
    origins.sort();
    origins.dedup();
    let frame_src = if origins.is_empty() {
        String::new()
    } else {
        format!(" frame-src {};", origins.join(" "))
    };
    format!(
        "default-src 'none'; style-src 'self'; img-src 'self' data:;{frame_src} \
         frame-ancestors 'none'; base-uri 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::page_csp;

    #[test]
    fn pages_are_never_framed_and_frame_nothing_by_default() {
        assert_eq!(
            page_csp(&[]),
            "default-src 'none'; style-src 'self'; img-src 'self' data:; \
             frame-ancestors 'none'; base-uri 'none'"
        );
    }

    #[test]
    fn frames_are_allowed_from_the_clients_origins_only() {
        let csp = page_csp(&[
            "https://a.example.com/fc?iss=x&sid=y".into(),
            "https://a.example.com/other".into(),
            "http://127.0.0.1:3000/fc".into(),
        ]);
        assert!(csp.contains("frame-src http://127.0.0.1:3000 https://a.example.com;"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }
}

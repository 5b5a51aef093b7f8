//! Cross-cutting HTTP behaviour: the request log, CORS for what browsers read directly, and
//! the security headers of HTML pages.

use axum::extract::connect_info::MockConnectInfo;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::time::Instant;

use super::form::no_store;
use crate::client_address::ClientAddress;
use crate::limits::Refusal;
use crate::state::Provider;

/// The header proxies name the client in (the de-facto standard; RFC 7239 `Forwarded` is
/// rarely sent by the proxies operators run).
const FORWARDED_FOR: &str = "x-forwarded-for";

/// The header carrying a request's id, from the caller or made here, echoed in the answer.
pub const REQUEST_ID: &str = "x-request-id";

/// One log line per request: request id, method, route (the matched path: never the query,
/// and one `unmatched` label for every other path), status, duration, client address (see
/// `client_address`: the socket peer, or a trusted proxy's `X-Forwarded-For`) and socket
/// peer; counted in the metrics too. Never a token, code, password or secret: those travel
/// in queries, bodies and headers, none of which are logged. The client address is put in
/// the request's extensions for the handlers (throttling per IP).
pub async fn log_request(
    State(provider): State<Provider>,
    mut request: Request,
    next: Next,
) -> Response {
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane_request_id(v))
        .map(str::to_string)
        .unwrap_or_else(|| crate::crypto::secrets::random_id(12));
    let method = request.method().clone();
    let peer = socket_peer(request.extensions());
    let client = peer.map(|peer| {
        let forwarded_for = request
            .headers()
            .get_all(FORWARDED_FOR)
            .iter()
            .filter_map(|v| v.to_str().ok());
        let trusted = &provider.config().trusted_proxies;
        trusted.client_address(peer.ip(), forwarded_for)
    });
    if let Some(client) = client {
        request.extensions_mut().insert(ClientAddress(client));
    }
    let metrics = provider.metrics();
    let route = metrics.route_of(request.uri().path());
    let started = Instant::now();
    let mut response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    metrics.request(route, status, elapsed);
    if let Some(refusal) = response.extensions().get::<Refusal>() {
        metrics.throttled(refusal.reason);
    } else if status == 429 {
        metrics.throttled(crate::metrics::LOCKED);
    }
    tracing::info!(
        request_id = %request_id,
        method = %method,
        route = %route,
        status,
        duration_ms = elapsed.as_micros() as f64 / 1000.0,
        client = %OrDash(client),
        peer = %OrDash(peer),
        "request"
    );
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// A value of the log line, or `-` when there is none: written straight into the line, not
/// through a `String` per request (the token row's profile, bench/README.md).
struct OrDash<T>(Option<T>);

impl<T: std::fmt::Display> std::fmt::Display for OrDash<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(value) => value.fmt(f),
            None => f.write_str("-"),
        }
    }
}

/// The socket's peer, when the server was started with connect info (or a test set one with
/// `MockConnectInfo`).
pub fn socket_peer(extensions: &Extensions) -> Option<SocketAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr)
        .or_else(|| {
            extensions
                .get::<MockConnectInfo<SocketAddr>>()
                .map(|MockConnectInfo(addr)| *addr)
        })
}

/// A caller's request id is kept when it is short and plain (letters, digits, `-_.:`), so
/// that it can neither forge log lines nor carry anything large.
fn is_sane_request_id(value: &str) -> bool {
    (1..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// The request guard's refusals (413, 408, 503: `limits::guard`) of a request to one of the
/// HTML pages are shown as the error page, in the browser's language, instead of the JSON
/// body the other endpoints get; `Retry-After` and the status are kept.
pub async fn page_refusals(
    State(provider): State<Provider>,
    request: Request,
    next: Next,
) -> Response {
    let prefix = provider.config().issuer_path();
    let is_page = request
        .uri()
        .path()
        .strip_prefix(prefix)
        .is_some_and(|path| super::PAGE_PATHS.contains(&path));
    if !is_page {
        return next.run(request).await;
    }
    let mut headers = HeaderMap::new();
    if let Some(language) = request.headers().get(header::ACCEPT_LANGUAGE) {
        headers.insert(header::ACCEPT_LANGUAGE, language.clone());
    }
    let response = next.run(request).await;
    let Some(refusal) = response.extensions().get::<Refusal>().cloned() else {
        return response;
    };
    let status = response.status();
    let mut page = super::pages::error_page(
        &provider,
        &headers,
        status,
        refusal.error,
        &refusal.description,
    );
    if let Some(retry_after) = response.headers().get(header::RETRY_AFTER) {
        page.headers_mut()
            .insert(header::RETRY_AFTER, retry_after.clone());
    }
    page.extensions_mut().insert(refusal);
    with_page_headers(page)
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
        HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type, DPoP"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        // RFC 9449 §8: browser clients read the nonce to retry with.
        HeaderValue::from_static("WWW-Authenticate, DPoP-Nonce"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

/// HTML pages may not be framed (clickjacking, RFC 9700 §4.16), cached or leak referrers.
pub async fn page_headers(request: Request, next: Next) -> Response {
    with_page_headers(next.run(request).await)
}

/// The headers of [`page_headers`] on `response`.
fn with_page_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // A page that frames others (front-channel logout) sets its own policy (this one, with
    // frames allowed from those origins); every other page gets this one.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(csp) = HeaderValue::from_str(&page_csp(&[], &[]))
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
/// never framed; `frames` (front-channel logout URLs) may be framed and `images` (a client's
/// logo) shown, by origin, exactly.
pub fn page_csp(frames: &[String], images: &[String]) -> String {
    let frame_src = match origins(frames).as_str() {
        "" => String::new(),
        list => format!(" frame-src {list};"),
    };
    let image_origins = origins(images);
    let img_src = match image_origins.as_str() {
        "" => "'self' data:".to_string(),
        list => format!("'self' data: {list}"),
    };
    format!(
        "default-src 'none'; style-src 'self'; img-src {img_src};{frame_src} \
         frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The distinct origins of `urls`, space-separated.
fn origins(urls: &[String]) -> String {
    let mut origins: Vec<String> = urls
        .iter()
        .filter_map(|u| url::Url::parse(u).ok())
        .map(|u| u.origin().ascii_serialization())
        .filter(|origin| origin != "null")
        .collect();
    origins.sort();
    origins.dedup();
    origins.join(" ")
}

#[cfg(test)]
mod tests {
    use super::{is_sane_request_id, page_csp};

    #[test]
    fn only_short_plain_request_ids_are_kept() {
        assert!(is_sane_request_id("req-42_a.b:c"));
        assert!(!is_sane_request_id(""));
        assert!(!is_sane_request_id("two words"));
        assert!(!is_sane_request_id("line\nbreak"));
        assert!(!is_sane_request_id(&"x".repeat(129)));
    }

    #[test]
    fn pages_are_never_framed_and_frame_nothing_by_default() {
        assert_eq!(
            page_csp(&[], &[]),
            "default-src 'none'; style-src 'self'; img-src 'self' data:; \
             frame-ancestors 'none'; base-uri 'none'"
        );
    }

    #[test]
    fn a_client_logo_is_allowed_from_its_origin_only() {
        let csp = page_csp(&[], &["https://cdn.example.com/a/logo.png".into()]);
        assert!(
            csp.contains("img-src 'self' data: https://cdn.example.com;"),
            "{csp}"
        );
        assert!(!csp.contains("frame-src"));
    }

    #[test]
    fn frames_are_allowed_from_the_clients_origins_only() {
        let csp = page_csp(
            &[
                "https://a.example.com/fc?iss=x&sid=y".into(),
                "https://a.example.com/other".into(),
                "http://127.0.0.1:3000/fc".into(),
            ],
            &[],
        );
        assert!(csp.contains("frame-src http://127.0.0.1:3000 https://a.example.com;"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }
}

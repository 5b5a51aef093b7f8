//! Cross-cutting HTTP behaviour: what the request log line is made of (the line itself and
//! CORS are in `front`), and the security headers of HTML pages.

use axum::extract::ConnectInfo;
use axum::extract::Request;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Extensions, HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use std::net::{IpAddr, SocketAddr};

use super::form::no_store;
use crate::state::Provider;

/// The header proxies name the client in (the de-facto standard; RFC 7239 `Forwarded` is
/// rarely sent by the proxies operators run).
const FORWARDED_FOR: &str = "x-forwarded-for";

/// The header carrying a request's id, from the caller or made here, echoed in the answer.
pub const REQUEST_ID: &str = "x-request-id";

/// The client's address of a request from `peer` with `headers`: the peer itself, or the
/// rightmost untrusted `X-Forwarded-For` hop when the peer is a trusted proxy.
pub fn client_address(provider: &Provider, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    let forwarded_for = headers
        .get_all(FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok());
    provider
        .config()
        .trusted_proxies
        .client_address(peer.ip(), forwarded_for)
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
pub fn is_sane_request_id(value: &str) -> bool {
    (1..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// HTML pages may not be framed (clickjacking, RFC 9700 §4.16), cached or leak referrers.
pub async fn page_headers(request: Request, next: Next) -> Response {
    with_page_headers(next.run(request).await)
}

/// The headers of [`page_headers`] on `response`.
pub fn with_page_headers(mut response: Response) -> Response {
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

//! What every request goes through, hand-written as two tower layers rather than
//! `from_fn` middlewares (each of those clones and boxes the service below it and boxes its
//! future: bench/README.md, "The per-request cost"):
//! - [`FrontLayer`]: the request log line and metrics, the request id, the client address,
//!   the abuse limits of `limits::RequestGuard` (503, 413, 408), the page rendering of a
//!   refusal when the request was for an HTML page, and the fixed documents (`fixed`)
//!   answered without the router below it;
//! - [`CorsLayer`]: the CORS answer of the endpoints browsers call directly.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::fmt::Write as _;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Instant;
use tower::{Layer, Service};

use super::fixed::FixedDocuments;
use super::layers::{REQUEST_ID, client_address, is_sane_request_id, socket_peer};
use crate::client_address::ClientAddress;
use crate::limits::{Refusal, RequestGuard};
use crate::state::Provider;

type BoxedAnswer = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

/// The outermost layer of the router (see the module's comment).
#[derive(Clone)]
pub struct FrontLayer {
    provider: Provider,
    guard: RequestGuard,
    fixed: Option<Arc<FixedDocuments>>,
}

impl FrontLayer {
    /// The layer of `provider`, enforcing its configured limits and answering the fixed
    /// documents itself when `fixed` (otherwise the router below answers them).
    pub fn new(provider: Provider, fixed: bool) -> Self {
        let guard = RequestGuard::new(provider.config().limits);
        let fixed = fixed.then(|| Arc::new(FixedDocuments::new(provider.config().issuer_path())));
        FrontLayer {
            provider,
            guard,
            fixed,
        }
    }
}

impl<S> Layer<S> for FrontLayer {
    type Service = Front<S>;

    fn layer(&self, inner: S) -> Front<S> {
        Front {
            inner,
            provider: self.provider.clone(),
            guard: self.guard.clone(),
            fixed: self.fixed.clone(),
        }
    }
}

/// The service of [`FrontLayer`].
#[derive(Clone)]
pub struct Front<S> {
    inner: S,
    provider: Provider,
    guard: RequestGuard,
    fixed: Option<Arc<FixedDocuments>>,
}

/// What a request becomes once admitted or refused, before its answer is awaited.
enum Admitted<F, S> {
    Refused(Response),
    /// A fixed document, answered here.
    Answered(Response),
    /// No body to read: the handler was called already.
    Called(F),
    /// A body to read first, then the (ready) service to call.
    ReadBody(S, Request),
}

impl<S> Service<Request> for Front<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxedAnswer;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> BoxedAnswer {
        let started = Instant::now();
        let request_id = request
            .headers()
            .get(REQUEST_ID)
            .filter(|v| v.to_str().is_ok_and(is_sane_request_id))
            .cloned()
            .unwrap_or_else(new_request_id);
        let method = request.method().clone();
        let peer = socket_peer(request.extensions());
        let client = peer.map(|peer| client_address(&self.provider, peer, request.headers()));
        if let Some(client) = client {
            request.extensions_mut().insert(ClientAddress(client));
        }
        let metrics = self.provider.metrics();
        let route = metrics.route_index(request.uri().path());
        // A page's refusal is rendered in the browser's language: keep the header it needs.
        let page_language = is_page(&self.provider, request.uri().path())
            .then(|| request.headers().get(header::ACCEPT_LANGUAGE).cloned());
        let admitted = match self.guard.admit() {
            Err(refused) => (Admitted::Refused(refused), None),
            Ok(permit) => {
                let admitted = match self.guard.body_to_read(&request) {
                    Err(refused) => Admitted::Refused(refused),
                    Ok(false) => match self.fixed_answer(&request) {
                        Some(answer) => Admitted::Answered(answer),
                        None => Admitted::Called(self.inner.call(request)),
                    },
                    Ok(true) => {
                        // The ready service goes with the request; a fresh clone stays.
                        let clone = self.inner.clone();
                        Admitted::ReadBody(std::mem::replace(&mut self.inner, clone), request)
                    }
                };
                (admitted, Some(permit))
            }
        };
        let provider = self.provider.clone();
        let guard = self.guard.clone();
        Box::pin(async move {
            let (admitted, permit) = admitted;
            let response = match admitted {
                Admitted::Refused(answer) | Admitted::Answered(answer) => answer,
                Admitted::Called(answer) => guard.within_time(answer).await,
                Admitted::ReadBody(mut service, request) => match guard.read_body(request).await {
                    Ok(request) => guard.within_time(service.call(request)).await,
                    Err(refused) => refused,
                },
            };
            drop(permit);
            let mut response = match page_language {
                Some(language) => refusal_as_page(&provider, language, response),
                None => response,
            };
            let elapsed = started.elapsed();
            let status = response.status().as_u16();
            let metrics = provider.metrics();
            metrics.request_at(route, status, elapsed);
            if let Some(refusal) = response.extensions().get::<Refusal>() {
                metrics.throttled(refusal.reason);
            } else if status == 429 {
                metrics.throttled(crate::metrics::LOCKED);
            }
            // One line per request: request id, method, route (the matched path: never the
            // query, and one `unmatched` label for every other path), status, duration,
            // client address (the socket peer, or a trusted proxy's `X-Forwarded-For`) and
            // socket peer. Never a token, code, password or secret: those travel in queries,
            // bodies and headers, none of which are logged.
            tracing::info!(
                request_id = %HeaderText(&request_id),
                method = %method,
                route = %metrics.route_name(route),
                status,
                duration_ms = elapsed.as_micros() as f64 / 1000.0,
                client = %OrDash(client.map(AddressText)),
                peer = %OrDash(peer.map(AddressText)),
                "request"
            );
            response.headers_mut().insert(REQUEST_ID, request_id);
            Ok(response)
        })
    }
}

impl<S> Front<S> {
    fn fixed_answer(&self, request: &Request) -> Option<Response> {
        self.fixed.as_ref()?.answer(&self.provider, request)
    }
}

/// Whether `path` is one of the HTML pages, whose refusals are pages too.
fn is_page(provider: &Provider, path: &str) -> bool {
    path.strip_prefix(provider.config().issuer_path())
        .is_some_and(|path| super::PAGE_PATHS.contains(&path))
}

/// The guard's refusals (413, 408, 503) of a request to one of the HTML pages are shown as
/// the error page, in the browser's language, instead of the JSON body the other endpoints
/// get; `Retry-After` and the status are kept.
fn refusal_as_page(
    provider: &Provider,
    language: Option<HeaderValue>,
    response: Response,
) -> Response {
    let Some(refusal) = response.extensions().get::<Refusal>().cloned() else {
        return response;
    };
    let mut headers = HeaderMap::new();
    if let Some(language) = language {
        headers.insert(header::ACCEPT_LANGUAGE, language);
    }
    let mut page = super::pages::error_page(
        provider,
        &headers,
        response.status(),
        refusal.error,
        &refusal.description,
    );
    if let Some(retry_after) = response.headers().get(header::RETRY_AFTER) {
        page.headers_mut()
            .insert(header::RETRY_AFTER, retry_after.clone());
    }
    page.extensions_mut().insert(refusal);
    super::layers::with_page_headers(page)
}

/// A request id made here: a random prefix drawn once per process, then a counter. Unique
/// (across instances by the prefix's 48 random bits) and far cheaper than CSPRNG bytes per
/// request; it is not a secret: it is only logged and echoed in `X-Request-Id`.
fn new_request_id() -> HeaderValue {
    static PREFIX: OnceLock<String> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| crate::crypto::secrets::random_id(6));
    let mut id = String::with_capacity(prefix.len() + 17);
    id.push_str(prefix);
    // Writing to a String cannot fail.
    let _ = write!(id, "-{:x}", NEXT.fetch_add(1, Ordering::Relaxed));
    HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("-"))
}

/// A request id header as log text (a kept id is plain ASCII, one made here too).
struct HeaderText<'a>(&'a HeaderValue);

impl std::fmt::Display for HeaderText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.to_str().unwrap_or("-"))
    }
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

/// An address as log text, the same as its `Display`: an IPv4 address (and port) written
/// here, without the formatter's padding machinery std goes through for each octet (~1,000
/// instructions an address, twice per log line); IPv6 through std.
struct AddressText<T>(T);

impl std::fmt::Display for AddressText<IpAddr> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            IpAddr::V4(ip) => write_ipv4(f, ip, None),
            IpAddr::V6(ip) => ip.fmt(f),
        }
    }
}

impl std::fmt::Display for AddressText<SocketAddr> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            SocketAddr::V4(addr) => write_ipv4(f, *addr.ip(), Some(addr.port())),
            SocketAddr::V6(addr) => addr.fmt(f),
        }
    }
}

/// `a.b.c.d`, then `:port` when given.
fn write_ipv4(
    f: &mut std::fmt::Formatter<'_>,
    ip: Ipv4Addr,
    port: Option<u16>,
) -> std::fmt::Result {
    // The longest: "255.255.255.255:65535".
    let mut text = [0u8; 21];
    let mut len = 0;
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            text[len] = b'.';
            len += 1;
        }
        len += write_decimal(&mut text[len..], u16::from(octet));
    }
    if let Some(port) = port {
        text[len] = b':';
        len += 1;
        len += write_decimal(&mut text[len..], port);
    }
    f.write_str(std::str::from_utf8(&text[..len]).unwrap_or("-"))
}

/// `n` in decimal at the start of `out` (room for 5 digits); the digits written.
fn write_decimal(out: &mut [u8], mut n: u16) -> usize {
    let mut reversed = [0u8; 5];
    let mut count = 0;
    loop {
        reversed[count] = b'0' + (n % 10) as u8;
        count += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for (slot, digit) in out.iter_mut().zip(reversed[..count].iter().rev()) {
        *slot = *digit;
    }
    count
}

/// The layer of [`Cors`].
#[derive(Clone, Copy, Default)]
pub struct CorsLayer;

impl<S> Layer<S> for CorsLayer {
    type Service = Cors<S>;

    fn layer(&self, inner: S) -> Cors<S> {
        Cors(inner)
    }
}

/// `Access-Control-Allow-Origin: *` for discovery, JWKS, token and userinfo, which browser
/// clients call directly; they carry no cookies, so a wildcard origin is safe. A preflight
/// (`OPTIONS`) is answered 204 here.
#[derive(Clone)]
pub struct Cors<S>(S);

impl<S> Service<Request> for Cors<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxedAnswer;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> BoxedAnswer {
        if request.method() == Method::OPTIONS {
            let mut response = StatusCode::NO_CONTENT.into_response();
            with_cors_headers(&mut response);
            return Box::pin(std::future::ready(Ok(response)));
        }
        let answer = self.0.call(request);
        Box::pin(async move {
            let Ok(mut response) = answer.await;
            with_cors_headers(&mut response);
            Ok(response)
        })
    }
}

/// The CORS headers, added to `response`'s (room for them and the request id made first,
/// so that the map grows at most once).
pub fn with_cors_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.reserve(6);
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
}

#[cfg(test)]
mod tests {
    use super::{AddressText, new_request_id};
    use std::net::{IpAddr, SocketAddr};

    #[test]
    fn addresses_are_logged_as_their_display() {
        for text in [
            "0.0.0.0",
            "127.0.0.1",
            "10.20.3.255",
            "255.255.255.255",
            "::1",
            "2001:db8::7",
        ] {
            let ip: IpAddr = text.parse().unwrap();
            assert_eq!(AddressText(ip).to_string(), ip.to_string());
        }
        for text in [
            "0.0.0.0:0",
            "127.0.0.1:8080",
            "255.255.255.255:65535",
            "[::1]:443",
        ] {
            let addr: SocketAddr = text.parse().unwrap();
            assert_eq!(AddressText(addr).to_string(), addr.to_string());
        }
    }

    #[test]
    fn made_request_ids_are_distinct_plain_and_share_the_process_prefix() {
        let a = new_request_id();
        let b = new_request_id();
        let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
        assert_ne!(a, b);
        assert!(super::is_sane_request_id(a) && super::is_sane_request_id(b));
        // The prefix is 8 characters (6 random bytes, base64url), whatever they are.
        assert_eq!(a[..8], b[..8], "{a} {b}");
    }
}

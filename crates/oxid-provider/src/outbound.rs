//! Fetches of documents a client names by URL (its `jwks_uri` now; later
//! `sector_identifier_uri`, `request_uri`, client metadata documents). The URL comes from a
//! client, so the fetch must not become a way into the provider's own network (SSRF): every
//! address a name resolves to is checked, and the connection goes only to checked addresses,
//! so a name that resolves differently the second time (DNS rebinding) gains nothing. Private,
//! loopback, link-local and other non-public addresses are refused unless
//! `[outbound] allow_private_addresses` is set. Answers are bounded in size and time; TLS
//! trusts the system's roots plus the PEM bundle named by `SSL_CERT_FILE`.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use url::{Host, Url};

use crate::config::ConfigError;

/// The `[outbound]` settings (docs/configuration.md).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct OutboundSettings {
    /// Fetch from private, loopback and link-local addresses too (a test or an intranet
    /// deployment whose clients are all trusted).
    pub allow_private_addresses: bool,
    /// Milliseconds a fetch may take, connecting and reading the whole answer included.
    pub timeout_ms: u64,
    /// The largest answer accepted, in bytes.
    pub max_response_bytes: usize,
}

impl Default for OutboundSettings {
    fn default() -> Self {
        OutboundSettings {
            allow_private_addresses: false,
            timeout_ms: 5_000,
            max_response_bytes: 256 * 1024,
        }
    }
}

impl OutboundSettings {
    /// Checks the numbers; errors name the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let error = |key| ConfigError {
            key,
            message: "must be positive".into(),
        };
        if self.timeout_ms == 0 {
            return Err(error("outbound.timeout_ms"));
        }
        if self.max_response_bytes == 0 {
            return Err(error("outbound.max_response_bytes"));
        }
        Ok(())
    }
}

/// Why a fetch failed; the text is safe to show the client whose URL it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// Not an absolute `http` or `https` URL.
    #[error("{0:?} is not an http or https URL")]
    NotHttp(String),
    /// The host resolves to (or is) an address outbound fetches may not reach.
    #[error("{host} is at {address}, a private, loopback or link-local address")]
    RefusedAddress {
        /// The host as the URL names it.
        host: String,
        /// The refused address.
        address: IpAddr,
    },
    /// The host name does not resolve.
    #[error("{0} does not resolve")]
    Unresolved(String),
    /// No answer within the time limit.
    #[error("no complete answer within {0} ms")]
    Timeout(u64),
    /// The answer is larger than the limit.
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    /// The answer's status is not 200.
    #[error("the answer's status is {0}")]
    Status(u16),
    /// Connecting, TLS or HTTP failed.
    #[error("the fetch failed: {0}")]
    Failed(String),
}

impl FetchError {
    /// Whether the URL itself is refused (not http, or a forbidden address): trying again
    /// cannot help.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            FetchError::NotHttp(_) | FetchError::RefusedAddress { .. }
        )
    }
}

/// The HTTP client of outbound fetches, built once.
#[derive(Clone)]
pub struct Outbound {
    http: reqwest::Client,
    /// The same checks, without redirects (back-channel logout).
    no_redirects: reqwest::Client,
    settings: OutboundSettings,
}

/// Redirects followed at most (each target is checked like the first URL).
const MAX_REDIRECTS: usize = 3;

impl Outbound {
    /// The client for `settings`, trusting the system's roots and the PEM bundle at
    /// `extra_roots` (the value of `SSL_CERT_FILE`). An unreadable or empty bundle is an
    /// error: the operator named it, so it must be used.
    pub fn new(settings: OutboundSettings, extra_roots: Option<&Path>) -> Result<Self, String> {
        let allow_private = settings.allow_private_addresses;
        let http = builder(settings, extra_roots)?
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > MAX_REDIRECTS {
                    return attempt.error("too many redirects");
                }
                match check_url(attempt.url(), allow_private) {
                    Ok(()) => attempt.follow(),
                    Err(refused) => attempt.error(refused),
                }
            }))
            .build()
            .map_err(|e| e.to_string())?;
        // Back-Channel Logout §2.5: the RP's answer is final, a redirect is not followed.
        let no_redirects = builder(settings, extra_roots)?
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Outbound {
            http,
            no_redirects,
            settings,
        })
    }

    /// POSTs `form` (`application/x-www-form-urlencoded`) to `url`, not following
    /// redirects, within `timeout`; the answer's status (its body is not read).
    pub async fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<u16, FetchError> {
        let parsed = Url::parse(url).map_err(|_| FetchError::NotHttp(url.to_string()))?;
        check_url(&parsed, self.settings.allow_private_addresses)?;
        let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let response = self
            .no_redirects
            .post(parsed)
            .timeout(timeout)
            .form(form)
            .send()
            .await
            .map_err(|e| fetch_error(e, timeout_ms))?;
        Ok(response.status().as_u16())
    }

    /// Whether `url` is one outbound calls may reach as written: an http(s) URL whose host,
    /// when given as an address, is public (or private addresses are allowed). Names are
    /// checked again, resolved, at every call.
    pub fn check_target_url(url: &str, allow_private: bool) -> Result<(), FetchError> {
        let parsed = Url::parse(url).map_err(|_| FetchError::NotHttp(url.to_string()))?;
        check_url(&parsed, allow_private)?;
        match parsed.host() {
            Some(Host::Domain(name)) if !allow_private => check_name(name, &parsed),
            _ => Ok(()),
        }
    }

    /// GETs `url` (`Accept: accept`) and returns the body of a 200 answer, within the limits.
    pub async fn get(&self, url: &str, accept: &str) -> Result<Vec<u8>, FetchError> {
        let parsed = Url::parse(url).map_err(|_| FetchError::NotHttp(url.to_string()))?;
        check_url(&parsed, self.settings.allow_private_addresses)?;
        let timeout = self.settings.timeout_ms;
        let limit = self.settings.max_response_bytes;
        let mut response = self
            .http
            .get(parsed)
            .header(reqwest::header::ACCEPT, accept)
            .send()
            .await
            .map_err(|e| fetch_error(e, timeout))?;
        read_ok_body(&mut response, limit, timeout).await
    }

    /// GETs `url` (`Accept: accept`) without following redirects (a 3xx is
    /// [`FetchError::Status`]) and returns the body of a 200 answer of at most `limit` bytes
    /// (and the outbound limit), with the headers that say what it is and how long it keeps.
    pub async fn get_document(
        &self,
        url: &str,
        accept: &str,
        limit: usize,
    ) -> Result<FetchedDocument, FetchError> {
        let parsed = Url::parse(url).map_err(|_| FetchError::NotHttp(url.to_string()))?;
        check_url(&parsed, self.settings.allow_private_addresses)?;
        let timeout = self.settings.timeout_ms;
        let mut response = self
            .no_redirects
            .get(parsed)
            .header(reqwest::header::ACCEPT, accept)
            .send()
            .await
            .map_err(|e| fetch_error(e, timeout))?;
        let header = |name| {
            let value = response.headers().get(name)?;
            value.to_str().ok().map(str::to_string)
        };
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let cache_control = header(reqwest::header::CACHE_CONTROL);
        let limit = limit.min(self.settings.max_response_bytes);
        let body = read_ok_body(&mut response, limit, timeout).await?;
        Ok(FetchedDocument {
            body,
            content_type,
            cache_control,
        })
    }
}

/// A document fetched by [`Outbound::get_document`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedDocument {
    /// The body.
    pub body: Vec<u8>,
    /// `Content-Type`, when given.
    pub content_type: Option<String>,
    /// `Cache-Control`, when given.
    pub cache_control: Option<String>,
}

/// The body of a 200 answer, refused beyond `limit` bytes (announced or counted).
async fn read_ok_body(
    response: &mut reqwest::Response,
    limit: usize,
    timeout_ms: u64,
) -> Result<Vec<u8>, FetchError> {
    if response.status() != reqwest::StatusCode::OK {
        return Err(FetchError::Status(response.status().as_u16()));
    }
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(FetchError::TooLarge(limit));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| fetch_error(e, timeout_ms))?
    {
        if body.len() + chunk.len() > limit {
            return Err(FetchError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The client builder both clients share: time limits, no proxy, the checking resolver and
/// the trusted roots.
fn builder(
    settings: OutboundSettings,
    extra_roots: Option<&Path>,
) -> Result<reqwest::ClientBuilder, String> {
    let mut builder = reqwest::Client::builder()
        .timeout(Duration::from_millis(settings.timeout_ms))
        .connect_timeout(Duration::from_millis(settings.timeout_ms))
        // A proxy would resolve the name itself, past our checks.
        .no_proxy()
        .dns_resolver(Arc::new(CheckedResolver {
            allow_private: settings.allow_private_addresses,
        }));
    let system = system_roots();
    // Without a system bundle (a minimal container), the built-in Mozilla roots.
    builder = builder.tls_built_in_root_certs(system.is_empty());
    for cert in system {
        builder = builder.add_root_certificate(cert);
    }
    if let Some(path) = extra_roots {
        for cert in pem_bundle(path)? {
            builder = builder.add_root_certificate(cert);
        }
    }
    Ok(builder)
}

/// A host name that names a non-public address by itself, without asking a resolver
/// (`localhost` and its subdomains, RFC 6761 §6.3): refused at registration already.
fn check_name(name: &str, url: &Url) -> Result<(), FetchError> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return Err(FetchError::RefusedAddress {
            host: url.host_str().unwrap_or_default().to_string(),
            address: IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        });
    }
    Ok(())
}

/// The [`FetchError`] behind a reqwest error: our refusal when the resolver or the redirect
/// policy made it, else what kind of failure it was.
fn fetch_error(e: reqwest::Error, timeout_ms: u64) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(inner) = source {
        if let Some(ours) = inner.downcast_ref::<FetchError>() {
            return ours.clone();
        }
        source = inner.source();
    }
    if e.is_timeout() {
        FetchError::Timeout(timeout_ms)
    } else {
        FetchError::Failed(e.to_string())
    }
}

/// `http`/`https` only; a host given as an address is checked here (reqwest connects to it
/// without asking the resolver).
fn check_url(url: &Url, allow_private: bool) -> Result<(), FetchError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::NotHttp(url.to_string()));
    }
    let address = match url.host() {
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(Host::Domain(_)) => return Ok(()),
        None => return Err(FetchError::NotHttp(url.to_string())),
    };
    check_address(url.host_str().unwrap_or_default(), address, allow_private)
}

fn check_address(host: &str, address: IpAddr, allow_private: bool) -> Result<(), FetchError> {
    if allow_private || is_public(address) {
        Ok(())
    } else {
        Err(FetchError::RefusedAddress {
            host: host.to_string(),
            address,
        })
    }
}

/// Whether `address` is a public unicast address: not loopback, private (RFC 1918, RFC 4193),
/// link-local, shared (RFC 6598), unspecified, broadcast, multicast, documentation or
/// reserved; an IPv4-mapped or -compatible IPv6 address is judged as its IPv4 address.
pub fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (b == 18 || b == 19)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4() {
                // ::ffff:a.b.c.d and the deprecated ::a.b.c.d; `::` and `::1` are not IPv4.
                if !v6.is_unspecified() && !v6.is_loopback() {
                    return is_public(IpAddr::V4(v4));
                }
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local, RFC 4193
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first & 0xffc0) == 0xfec0 // site-local, deprecated
                || first == 0x2001 && v6.segments()[1] == 0x0db8 // documentation
                || first == 0x0064 && v6.segments()[1] == 0xff9b) // NAT64 to anything
        }
    }
}

/// Resolves with the system resolver and refuses the whole answer when any address is not
/// allowed: the connection then goes to one of the addresses checked here.
struct CheckedResolver {
    allow_private: bool,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| FetchError::Unresolved(host.clone()))?
                .collect();
            if addresses.is_empty() {
                return Err(FetchError::Unresolved(host).into());
            }
            for address in &addresses {
                check_address(&host, address.ip(), allow_private)?;
            }
            let addrs: Addrs = Box::new(addresses.into_iter());
            Ok(addrs)
        })
    }
}

/// Where Linux and BSD distributions keep their CA bundle (the paths openssl-probe knows).
const SYSTEM_BUNDLES: [&str; 6] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/ssl/cert.pem",
    "/usr/local/share/certs/ca-root-nss.crt",
];

/// The certificates of the first system bundle found; none when there is none.
fn system_roots() -> Vec<reqwest::Certificate> {
    SYSTEM_BUNDLES
        .iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
        .and_then(|path| pem_bundle(&path).ok())
        .unwrap_or_default()
}

/// Every certificate of the PEM bundle at `path`; an error names the file.
pub fn pem_bundle(path: &Path) -> Result<Vec<reqwest::Certificate>, String> {
    let shown = path.display();
    let pem = std::fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| format!("{shown}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{shown}: no PEM certificate in it"));
    }
    Ok(certs)
}

#[cfg(test)]
#[path = "outbound_tests.rs"]
mod tests;

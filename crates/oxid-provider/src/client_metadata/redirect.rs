//! The URI members: redirect URIs by application type (OIDC Registration §2, RFC 8252
//! §7), logout URIs (Front-Channel and Back-Channel Logout §2, RP-Initiated Logout §3.1),
//! and the web pages and logo a client links to.

use oxid_protocol::authorization::is_absolute_uri_without_fragment;
use url::Url;

use super::MetadataError;

/// Schemes a browser would run or read locally rather than send anywhere; never a target.
const DANGEROUS_SCHEMES: [&str; 6] = ["javascript", "data", "vbscript", "file", "blob", "about"];

/// At most this many characters of a refused value are echoed in the error.
const ECHO_LIMIT: usize = 100;

/// `value` quoted for an error message, cut short.
pub(super) fn quoted(value: &str) -> String {
    let cut: String = value.chars().take(ECHO_LIMIT).collect();
    if cut.len() < value.len() {
        format!("'{cut}...'")
    } else {
        format!("'{cut}'")
    }
}

/// The loopback host names of OIDC Registration §2: `localhost`, `127.0.0.1`, `[::1]`.
pub(super) fn is_loopback_host(url: &Url) -> bool {
    matches!(
        url.host_str(),
        Some("localhost") | Some("127.0.0.1") | Some("[::1]")
    )
}

/// Parses an absolute URI without a fragment (RFC 6749 §3.1.2) whose scheme is not one of
/// [`DANGEROUS_SCHEMES`]; `Err` says why not.
fn absolute_target(uri: &str) -> Result<Url, String> {
    if !is_absolute_uri_without_fragment(uri) {
        return Err(if uri.contains('#') {
            format!("{} has a fragment (RFC 6749 §3.1.2)", quoted(uri))
        } else {
            format!("{} is not an absolute URI (RFC 6749 §3.1.2)", quoted(uri))
        });
    }
    let url = Url::parse(uri).map_err(|_| format!("{} is not an absolute URI", quoted(uri)))?;
    if DANGEROUS_SCHEMES.contains(&url.scheme()) {
        return Err(format!("{} uses a forbidden scheme", quoted(uri)));
    }
    Ok(url)
}

/// OIDC Registration §2 `application_type`: web clients register https URIs (http only on
/// a loopback host, for development, and never with the implicit grant, which also forbids
/// `localhost`); native clients register custom schemes (RFC 8252 §7.1) or http on a
/// loopback host (RFC 8252 §7.3). Refusals are `invalid_redirect_uri` (RFC 7591 §3.2.2).
pub(super) fn check_redirect_uris(
    uris: &[String],
    native: bool,
    implicit: bool,
) -> Result<(), MetadataError> {
    for uri in uris {
        let refuse = |why: String| MetadataError::redirect("redirect_uris", why);
        let url = absolute_target(uri).map_err(refuse)?;
        let loopback = is_loopback_host(&url);
        let why = match (native, url.scheme()) {
            (false, "https") if implicit && loopback => {
                "web clients using the implicit grant must not use localhost (OIDC Registration §2)"
            }
            (false, "https") => continue,
            (false, "http") if implicit => {
                "web clients using the implicit grant must use https (OIDC Registration §2)"
            }
            (false, "http") if loopback => continue,
            (false, "http") => "web clients must use https (http only on a loopback host)",
            (false, _) => {
                "web clients must use https; custom schemes are for native clients \
                 (application_type native)"
            }
            (true, "http") if loopback => continue,
            (true, "http") | (true, "https") => {
                "native clients use a custom scheme or http on a loopback host \
                 (OIDC Registration §2, RFC 8252 §7)"
            }
            (true, _) => continue,
        };
        return Err(refuse(format!("{}: {why}", quoted(uri))));
    }
    Ok(())
}

/// RP-Initiated Logout §3.1 `post_logout_redirect_uris`: absolute, no fragment.
pub(super) fn check_post_logout_redirect_uris(uris: &[String]) -> Result<(), MetadataError> {
    for uri in uris {
        absolute_target(uri)
            .map_err(|why| MetadataError::metadata("post_logout_redirect_uris", why))?;
    }
    Ok(())
}

/// Front-Channel Logout §2 / Back-Channel Logout §2.2: an https URL (http only for a
/// confidential client), with no fragment.
pub(super) fn check_logout_uri(
    member: &str,
    uri: &str,
    confidential: bool,
) -> Result<(), MetadataError> {
    let url = absolute_target(uri).map_err(|why| MetadataError::metadata(member, why))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if confidential => Ok(()),
        "http" => Err(MetadataError::metadata(
            member,
            "http is allowed only for confidential clients; use https",
        )),
        _ => Err(MetadataError::metadata(member, "must be an https URL")),
    }
}

/// A page or image the consent page links to (`logo_uri`, `client_uri`, `policy_uri`,
/// `tos_uri`): an absolute http or https URL, so that it can never run script.
pub(super) fn check_web_url(member: &str, uri: &str) -> Result<(), MetadataError> {
    match Url::parse(uri) {
        Ok(url) if matches!(url.scheme(), "https" | "http") && url.host().is_some() => Ok(()),
        _ => Err(MetadataError::metadata(
            member,
            format!("{} is not an http or https URL", quoted(uri)),
        )),
    }
}

/// OIDC Registration §2 `jwks_uri`: it MUST use https; plain http is let through for a
/// loopback host only, for development and tests (where outbound fetches must also be
/// allowed private addresses).
pub(super) fn check_jwks_uri(uri: &str) -> Result<(), MetadataError> {
    match Url::parse(uri) {
        Ok(url) if url.scheme() == "https" && url.host().is_some() => Ok(()),
        Ok(url) if url.scheme() == "http" && is_loopback_host(&url) => Ok(()),
        _ => Err(MetadataError::metadata(
            "jwks_uri",
            format!("{} is not an https URL (OIDC Registration §2)", quoted(uri)),
        )),
    }
}

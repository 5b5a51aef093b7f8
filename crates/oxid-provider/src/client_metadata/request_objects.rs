//! The request-object members (OIDC Registration §2, RFC 9101 §10.5):
//! `request_object_signing_alg` (one we verify, or `none`; HS256 only with a secret; a key
//! pair's algorithm only with registered keys), `request_uris` (https, or http on a loopback
//! host, and reachable under the outbound SSRF rules) and `require_signed_request_object`.

use url::Url;

use super::redirect::{is_loopback_host, quoted};
use super::{ClientMetadata, MetadataError};
use crate::capabilities::Capabilities;

/// At most this many `request_uris`: each is a URL the provider may fetch.
pub const MAX_REQUEST_URIS: usize = 20;

/// The request-object members as registered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct RequestObjectMembers {
    pub alg: Option<String>,
    pub request_uris: Option<Vec<String>>,
    pub require_signed: bool,
}

/// Checks the members; what is kept.
pub(super) fn check(
    metadata: &ClientMetadata,
    caps: &Capabilities,
    public: bool,
) -> Result<RequestObjectMembers, MetadataError> {
    let m = &metadata.registered;
    let require_signed = metadata.require_signed_request_object == Some(true);
    if let Some(alg) = &m.request_object_signing_alg {
        let member = "request_object_signing_alg";
        if !caps.request_object_algs.contains(&alg.as_str()) {
            let why = format!(
                "{} is not one of {}",
                quoted(alg),
                caps.request_object_algs.join(", ")
            );
            return Err(MetadataError::metadata(member, why));
        }
        if alg == "HS256" && public {
            return Err(MetadataError::metadata(
                member,
                "HS256 needs a client secret, which a public client does not have",
            ));
        }
        let has_keys = m.jwks.as_ref().is_some_and(|j| !j.keys.is_empty()) || m.jwks_uri.is_some();
        if alg != "HS256" && alg != "none" && !has_keys {
            return Err(MetadataError::metadata(
                member,
                format!("{alg} needs the client's public keys in jwks or jwks_uri"),
            ));
        }
        if alg == "none" && require_signed {
            return Err(MetadataError::metadata(
                "require_signed_request_object",
                "contradicts request_object_signing_alg none",
            ));
        }
    }
    let request_uris = match &m.request_uris {
        None => None,
        Some(uris) if uris.is_empty() => None,
        Some(uris) => {
            if uris.len() > MAX_REQUEST_URIS {
                return Err(MetadataError::metadata(
                    "request_uris",
                    format!("at most {MAX_REQUEST_URIS} may be registered"),
                ));
            }
            for uri in uris {
                check_request_uri(uri, caps)?;
            }
            Some(uris.clone())
        }
    };
    Ok(RequestObjectMembers {
        alg: m.request_object_signing_alg.clone(),
        request_uris,
        require_signed,
    })
}

/// One `request_uris` entry: an https URL (OIDC Core §6.2), or http on a loopback host for
/// local development, that outbound fetches may reach (the provider fetches it).
fn check_request_uri(uri: &str, caps: &Capabilities) -> Result<(), MetadataError> {
    let member = "request_uris";
    let url = Url::parse(uri).ok().filter(|u| u.host().is_some());
    let scheme_ok = url
        .as_ref()
        .is_some_and(|u| u.scheme() == "https" || (u.scheme() == "http" && is_loopback_host(u)));
    if !scheme_ok {
        return Err(MetadataError::metadata(
            member,
            format!("{} is not an https URL (OIDC Core §6.2)", quoted(uri)),
        ));
    }
    let fetched = crate::request_uri::without_fragment(uri);
    crate::outbound::Outbound::check_target_url(fetched, caps.private_addresses_allowed)
        .map_err(|refused| MetadataError::metadata(member, refused.to_string()))
}

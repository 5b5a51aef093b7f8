//! The client identifier of a metadata document (draft-ietf-oauth-client-id-metadata-document-01
//! §3): an https URL with a path, without dot segments, fragment or user information.

use url::{Host, Url};

use super::DocumentError;

/// Whether `client_id` is written as an http(s) URL, so that, unregistered, it names a
/// metadata document rather than an unknown client.
pub fn is_url(client_id: &str) -> bool {
    let lower = client_id.get(..8).unwrap_or(client_id).to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// The URL `client_id` names, when it is one a metadata document may be fetched from (§3).
/// `http` is accepted only for a loopback address and only when `allow_loopback_http` (the
/// tests' `[outbound] allow_private_addresses`); the draft allows https alone.
pub fn document_url(client_id: &str, allow_loopback_http: bool) -> Result<Url, DocumentError> {
    let refuse = |why: &str| Err(DocumentError::ClientId(why.to_string()));
    if client_id.contains('#') {
        return refuse("must not contain a fragment");
    }
    let Ok(url) = Url::parse(client_id) else {
        return refuse("is not a URL");
    };
    let loopback = match url.host() {
        Some(Host::Ipv4(v4)) => v4.is_loopback(),
        Some(Host::Ipv6(v6)) => v6.is_loopback(),
        _ => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if allow_loopback_http && loopback => {}
        _ => return refuse("must use https"),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return refuse("must not contain a username or password");
    }
    if has_dot_segment(client_id) {
        return refuse("must not contain single-dot or double-dot path segments");
    }
    if url.path() == "/" {
        return refuse("must contain a path (e.g. https://app.example/client.json)");
    }
    // Simple string comparison (RFC 3986 §6.2.1) is how the document's `client_id` is
    // matched: a URL written otherwise than its normal form would name the same document
    // under two identifiers.
    if url.as_str() != client_id {
        return refuse(&format!(
            "must be written in its normal form, {}",
            url.as_str()
        ));
    }
    Ok(url)
}

/// Whether the path of `client_id` as written holds a `.` or `..` segment, percent-encoded
/// or not (the parser would remove them, hiding them from the comparison).
fn has_dot_segment(client_id: &str) -> bool {
    let after_scheme = client_id.split_once("://").map_or("", |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("", |at| &after_scheme[at..]);
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.split('/').any(|segment| {
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        decoded == "." || decoded == ".."
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(id: &str) -> String {
        document_url(id, false).unwrap_err().to_string()
    }

    #[test]
    fn an_https_url_with_a_path_is_a_client_id_draft_3() {
        let url = document_url("https://app.example.com/client.json", false).unwrap();
        assert_eq!(url.host_str(), Some("app.example.com"));
        assert!(document_url("https://app.example.com:8443/c?v=1", false).is_ok());
        assert!(is_url("https://x/y") && is_url("HTTP://x/y") && !is_url("my-app"));
    }

    #[test]
    fn the_restrictions_of_draft_3_are_refused() {
        assert!(why("http://app.example.com/c.json").contains("https"));
        assert!(why("ftp://app.example.com/c.json").contains("https"));
        assert!(why("https://app.example.com/c.json#x").contains("fragment"));
        assert!(why("https://u:p@app.example.com/c.json").contains("username"));
        assert!(why("https://app.example.com/a/../c.json").contains("dot"));
        assert!(why("https://app.example.com/./c.json").contains("dot"));
        assert!(why("https://app.example.com/a/%2E%2e/c.json").contains("dot"));
        assert!(why("https://app.example.com/").contains("path"));
        assert!(why("https://app.example.com").contains("path"));
        assert!(why("https://APP.example.com/c.json").contains("normal form"));
        assert!(why("https://app.example.com:443/c.json").contains("normal form"));
    }

    #[test]
    fn http_only_on_loopback_and_only_when_allowed() {
        assert!(document_url("http://127.0.0.1:8080/c.json", true).is_ok());
        assert!(document_url("http://[::1]:8080/c.json", true).is_ok());
        assert!(document_url("http://127.0.0.1:8080/c.json", false).is_err());
        assert!(document_url("http://app.example.com/c.json", true).is_err());
        assert!(document_url("http://localhost:8080/c.json", true).is_err());
    }
}

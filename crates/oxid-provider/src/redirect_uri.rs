//! Redirect URI matching at the authorization endpoint: exact string comparison (OIDC Core
//! §3.1.2.1, RFC 9700 §4.1.3), with the one exception RFC 8252 §7.3 makes for native apps: a
//! loopback IP redirect URI matches on any port. The exception compares the raw strings with
//! only the port taken out, so no other difference (case, host spelling, dot segments) gets
//! through a URL parser's normalisation.

/// The loopback IP literals RFC 8252 §7.3 names, as the raw string must spell them.
const LOOPBACK_PREFIXES: [&str; 2] = ["http://127.0.0.1", "http://[::1]"];

/// Whether `uri` is one of `registered`: exactly, or, for a `native` client only, as a
/// loopback IP redirect URI that differs in its port alone.
pub fn redirect_uri_registered(registered: &[String], uri: &str, native: bool) -> bool {
    if registered.iter().any(|r| r == uri) {
        return true;
    }
    if !native {
        return false;
    }
    let Some((host, _, rest)) = split_loopback(uri) else {
        return false;
    };
    registered
        .iter()
        .filter_map(|r| split_loopback(r))
        .any(|(h, _, r)| h == host && r == rest)
}

/// A loopback IP redirect URI as written: its scheme and host, its port (one in 1..=65535,
/// written without leading zeros), and the rest (path and query).
fn split_loopback(uri: &str) -> Option<(&str, Option<u16>, &str)> {
    let (prefix, after) = LOOPBACK_PREFIXES
        .iter()
        .find_map(|p| uri.strip_prefix(p).map(|after| (*p, after)))?;
    let (port, rest) = match after.strip_prefix(':') {
        Some(with_port) => {
            let end = with_port
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(with_port.len());
            let (digits, rest) = with_port.split_at(end);
            (Some(port_number(digits)?), rest)
        }
        None => (None, after),
    };
    let rest_starts_well = rest.is_empty() || rest.starts_with('/') || rest.starts_with('?');
    rest_starts_well.then_some((prefix, port, rest))
}

fn port_number(digits: &str) -> Option<u16> {
    if digits.starts_with('0') {
        return None;
    }
    digits.parse().ok().filter(|p| *p != 0)
}

/// Whether `uri` holds a control character (CR, LF, …): never a redirect URI of ours, and
/// never a header value.
pub fn has_control_characters(uri: &str) -> bool {
    uri.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered(uris: &[&str]) -> Vec<String> {
        uris.iter().map(|u| u.to_string()).collect()
    }

    #[test]
    fn redirect_uris_match_exactly_rfc9700_4_1_3() {
        let registered = registered(&["https://app.example.com/cb"]);
        for native in [false, true] {
            assert!(redirect_uri_registered(
                &registered,
                "https://app.example.com/cb",
                native
            ));
            for other in [
                "https://app.example.com/cb/",
                "https://app.example.com/cb?x=1",
                "https://app.example.com:8443/cb",
                "HTTPS://app.example.com/cb",
            ] {
                assert!(
                    !redirect_uri_registered(&registered, other, native),
                    "{other}"
                );
            }
        }
    }

    #[test]
    fn loopback_ip_redirect_uris_match_any_port_for_native_clients_only_rfc8252_7_3() {
        let registered = registered(&[
            "http://127.0.0.1/callback",
            "http://[::1]:5000/cb",
            "http://localhost:3000/cb",
        ]);
        let native = |uri| redirect_uri_registered(&registered, uri, true);
        let web = |uri| redirect_uri_registered(&registered, uri, false);
        assert!(native("http://127.0.0.1:53211/callback"));
        assert!(native("http://[::1]:6000/cb"));
        assert!(native("http://[::1]/cb"), "without a port too");
        // A web client gets exact matching (OIDC Core §3.1.2.1, RFC 9700 §4.1.3).
        assert!(!web("http://127.0.0.1:53211/callback"));
        assert!(web("http://127.0.0.1/callback") && web("http://[::1]:5000/cb"));
        assert!(!native("http://127.0.0.1:53211/other"));
        assert!(!native("https://127.0.0.1:53211/callback"));
        // `localhost` is not a loopback IP literal (RFC 8252 §8.3): exact match only.
        assert!(!native("http://localhost:3001/cb"));
        assert!(native("http://localhost:3000/cb"));
    }

    #[test]
    fn only_the_port_may_differ_on_a_loopback_redirect_uri() {
        let registered = registered(&["http://127.0.0.1/callback"]);
        for other in [
            "HTTP://127.0.0.1:5/callback",
            "http://127.1:5/callback",
            "http://0x7f.0.0.1:5/callback",
            "http://127.0.0.1:5/x/../callback",
            "http://127.0.0.1:0/callback",
            "http://127.0.0.1:05/callback",
            "http://127.0.0.1:65536/callback",
            "http://127.0.0.1:5/Callback",
            "http://127.0.0.1:5/callback\r\nSet-Cookie: x=1",
            "http://127.0.0.1:5/call\nback",
            "http://127.0.0.1:5@evil.example/callback",
            "http://127.0.0.1.evil.example:5/callback",
        ] {
            assert!(
                !redirect_uri_registered(&registered, other, true),
                "{other:?}"
            );
        }
        assert!(redirect_uri_registered(
            &registered,
            "http://127.0.0.1:65535/callback",
            true
        ));
    }

    #[test]
    fn control_characters_are_found() {
        assert!(has_control_characters("https://a.example/cb\r\nx"));
        assert!(has_control_characters("https://a.example/c\tb"));
        assert!(!has_control_characters("https://a.example/cb?x=%0D"));
    }
}

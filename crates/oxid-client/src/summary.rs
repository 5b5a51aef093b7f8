//! The provider summary (`Providers.OidcSummary`): the essentials of a provider for
//! configuration screens, and its rules for the authorization URL and the Basic header.

use indexmap::IndexMap;

/// The summary type and its URL rules live in the protocol crate; the client re-exports them.
pub use oxid_protocol::summary::OidcSummary;

/// Extra parameters for the authorization endpoint: key → values, in insertion order.
pub type AuthQueryParams = IndexMap<String, Vec<String>>;

/// Appends `params` to `endpoint` by the `OidcSummary` rules: nothing when the map is empty;
/// otherwise `?` (or `&` when the endpoint already has a query), then the pairs joined by `&`:
/// `k=v` for one value, `k` alone for an empty list, `k` repeated for several values. Keys and
/// values are percent-encoded (everything but RFC 3986 unreserved characters).
pub fn append_auth_query_params(endpoint: &str, params: &AuthQueryParams) -> String {
    oxid_protocol::params::append_multi_query(
        endpoint,
        params.iter().map(|(k, v)| (k.as_str(), v.clone())),
    )
}

/// The client_secret_basic header value, RFC 6749 §2.3.1: `Basic ` +
/// base64(urlencode(client_id) + ":" + urlencode(client_secret)), both encoded with the
/// `application/x-www-form-urlencoded` algorithm (so a `:` in the id cannot split it).
pub fn basic_authentication_header(client_id: &str, client_secret: &str) -> String {
    oxid_protocol::token::basic_authorization(client_id, client_secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    fn params(pairs: &[(&str, &[&str])]) -> AuthQueryParams {
        pairs
            .iter()
            .map(|(k, vs)| (k.to_string(), vs.iter().map(|v| v.to_string()).collect()))
            .collect()
    }

    #[test]
    fn empty_map_leaves_endpoint_unchanged() {
        let url = append_auth_query_params("https://op.example/auth", &AuthQueryParams::new());
        assert_eq!(url, "https://op.example/auth");
    }

    #[test]
    fn one_value_gives_key_equals_value() {
        let url = append_auth_query_params("https://op.example/auth", &params(&[("a", &["1"])]));
        assert_eq!(url, "https://op.example/auth?a=1");
    }

    #[test]
    fn empty_list_gives_key_alone() {
        let url = append_auth_query_params(
            "https://op.example/auth",
            &params(&[("prompt", &[]), ("a", &["1"])]),
        );
        assert_eq!(url, "https://op.example/auth?prompt&a=1");
    }

    #[test]
    fn several_values_repeat_the_key_in_order() {
        let url = append_auth_query_params(
            "https://op.example/auth",
            &params(&[("z", &["1"]), ("acr", &["b", "a", "c"]), ("m", &[])]),
        );
        assert_eq!(url, "https://op.example/auth?z=1&acr=b&acr=a&acr=c&m");
    }

    #[test]
    fn endpoint_with_query_gets_ampersand() {
        let url = append_auth_query_params(
            "https://op.example/auth?tenant=x",
            &params(&[("a", &["1"])]),
        );
        assert_eq!(url, "https://op.example/auth?tenant=x&a=1");
        let url = append_auth_query_params("https://op.example/auth?", &params(&[("a", &["1"])]));
        assert_eq!(url, "https://op.example/auth?a=1");
    }

    #[test]
    fn keys_and_values_are_percent_encoded() {
        let url = append_auth_query_params(
            "https://op.example/auth",
            &params(&[
                ("redirect uri", &["https://rp.example/cb?x=1&y=2"]),
                ("claims", &["{\"a\":1}", "é ü/+#"]),
                ("k&=", &[]),
            ]),
        );
        assert_eq!(
            url,
            "https://op.example/auth?redirect%20uri=https%3A%2F%2Frp.example%2Fcb%3Fx%3D1%26y%3D2\
             &claims=%7B%22a%22%3A1%7D&claims=%C3%A9%20%C3%BC%2F%2B%23&k%26%3D"
        );
    }

    #[test]
    fn summary_builds_its_authorization_url() {
        let summary = OidcSummary {
            discovery_endpoint: None,
            logout_endpoint: None,
            auth_endpoint: "https://op.example/a?x=1".into(),
            token_endpoint: "https://op.example/t".into(),
            client_id: "c".into(),
            authentication_header: String::new(),
            auth_query_params: params(&[("k", &["v w"])]),
        };
        assert_eq!(
            summary.authorization_url(),
            "https://op.example/a?x=1&k=v%20w"
        );
    }

    fn decode_basic(header: &str) -> String {
        let b64 = header.strip_prefix("Basic ").expect("Basic prefix");
        String::from_utf8(STANDARD.decode(b64).expect("base64")).expect("utf8")
    }

    #[test]
    fn basic_header_plain_ascii_rfc6749_2_3_1() {
        // The RFC's own example credentials: s6BhdRkqt3 / 7Fjfp0ZBr1KtDRbnfVdmIw.
        let header = basic_authentication_header("s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw");
        assert_eq!(header, "Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3");
    }

    #[test]
    fn basic_header_encodes_colons_rfc6749_2_3_1() {
        let header = basic_authentication_header("urn:client:1", "pa:ss");
        assert_eq!(decode_basic(&header), "urn%3Aclient%3A1:pa%3Ass");
    }

    #[test]
    fn basic_header_encodes_non_ascii_and_space_as_form_data() {
        let header = basic_authentication_header("clïent id", "sécret+/=");
        assert_eq!(decode_basic(&header), "cl%C3%AFent+id:s%C3%A9cret%2B%2F%3D");
    }

    #[test]
    fn summary_serializes_exactly_its_members() {
        let summary = OidcSummary {
            discovery_endpoint: Some("https://op.example/.well-known/openid-configuration".into()),
            logout_endpoint: None,
            auth_endpoint: "https://op.example/a".into(),
            token_endpoint: "https://op.example/t".into(),
            client_id: "c".into(),
            authentication_header: basic_authentication_header("c", "s"),
            auth_query_params: params(&[("k", &[])]),
        };
        let value = serde_json::to_value(&summary).expect("serialize");
        let keys: Vec<&str> = value
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "discovery_endpoint",
                "auth_endpoint",
                "token_endpoint",
                "client_id",
                "authentication_header",
                "auth_query_params"
            ]
        );
        assert_eq!(value["auth_query_params"], serde_json::json!({"k": []}));
    }
}

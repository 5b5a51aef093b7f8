//! Request and response parameters of the `application/x-www-form-urlencoded` format
//! (RFC 6749 §3.1, Appendix B).
//!
//! [`Params`] is an ordered map from parameter name to value. Parsing is strict where
//! RFC 6749 §3.1 is strict: a parameter that appears more than once is rejected, and so
//! is a malformed percent-encoding or a value that does not decode to UTF-8. Parameters
//! sent without a value are treated as if they were omitted.

use indexmap::IndexMap;
use std::fmt;

/// What is wrong with a parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamErrorKind {
    /// The parameter appears more than once (RFC 6749 §3.1).
    Repeated,
    /// The parameter's name or value is not valid percent-encoding (a `%` not followed by
    /// two hexadecimal digits).
    MalformedEncoding,
    /// The parameter's name or value does not decode to UTF-8.
    InvalidUtf8,
    /// A required parameter is missing.
    Missing,
    /// The value is not valid for this parameter; the text says why.
    InvalidValue(String),
}

/// A parameter that could not be accepted. Always maps to `invalid_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    /// The name of the offending parameter (decoded when possible, lossily otherwise).
    pub parameter: String,
    /// What is wrong with it.
    pub kind: ParamErrorKind,
}

impl ParamError {
    /// A new error for `parameter`.
    pub fn new(parameter: impl Into<String>, kind: ParamErrorKind) -> Self {
        ParamError {
            parameter: parameter.into(),
            kind,
        }
    }

    /// A missing required parameter.
    pub fn missing(parameter: impl Into<String>) -> Self {
        Self::new(parameter, ParamErrorKind::Missing)
    }

    /// An invalid value for `parameter`.
    pub fn invalid(parameter: impl Into<String>, why: impl Into<String>) -> Self {
        Self::new(parameter, ParamErrorKind::InvalidValue(why.into()))
    }

    /// A human-readable description naming the parameter, made of characters RFC 6749
    /// §5.2 allows in `error_description`.
    pub fn description(&self) -> String {
        let name = crate::error::sanitize_error_text(&self.parameter);
        let text = match &self.kind {
            ParamErrorKind::Repeated => format!("parameter '{name}' is repeated"),
            ParamErrorKind::MalformedEncoding => {
                format!("parameter '{name}' has a malformed percent-encoding")
            }
            ParamErrorKind::InvalidUtf8 => format!("parameter '{name}' is not valid UTF-8"),
            ParamErrorKind::Missing => format!("missing required parameter '{name}'"),
            ParamErrorKind::InvalidValue(why) => format!("invalid parameter '{name}': {why}"),
        };
        crate::error::sanitize_error_text(&text)
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

impl std::error::Error for ParamError {}

/// An ordered map of parameter name to value, as read from a query string or form body.
///
/// Values are never empty: a parameter sent without a value counts as absent
/// (RFC 6749 §3.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    map: IndexMap<String, String>,
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Strictly decodes one `application/x-www-form-urlencoded` component: `+` is a space,
/// `%XX` an octet; a `%` without two hex digits is an error.
fn decode_component(raw: &[u8]) -> Result<String, ParamErrorKind> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = raw.get(i + 1).copied().and_then(hex_val);
                let lo = raw.get(i + 2).copied().and_then(hex_val);
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h * 16 + l),
                    _ => return Err(ParamErrorKind::MalformedEncoding),
                }
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| ParamErrorKind::InvalidUtf8)
}

fn lossy_name(raw: &[u8]) -> String {
    match decode_component(raw) {
        Ok(s) => s,
        Err(_) => String::from_utf8_lossy(raw).into_owned(),
    }
}

impl Params {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a URL query string (without the leading `?`).
    pub fn parse_query(query: &str) -> Result<Self, ParamError> {
        let q = query.strip_prefix('?').unwrap_or(query);
        Self::parse_form(q.as_bytes())
    }

    /// Parses an `application/x-www-form-urlencoded` body.
    pub fn parse_form(body: &[u8]) -> Result<Self, ParamError> {
        let mut map: IndexMap<String, String> = IndexMap::new();
        for pair in body.split(|&b| b == b'&') {
            if pair.is_empty() {
                continue;
            }
            let (raw_name, raw_value) = match pair.iter().position(|&b| b == b'=') {
                Some(p) => (&pair[..p], &pair[p + 1..]),
                None => (pair, &[][..]),
            };
            let name = decode_component(raw_name)
                .map_err(|kind| ParamError::new(lossy_name(raw_name), kind))?;
            let value = decode_component(raw_value).map_err(|kind| ParamError::new(&name, kind))?;
            if name.is_empty() || value.is_empty() {
                // RFC 6749 §3.1: sent without a value = omitted.
                continue;
            }
            if map.contains_key(&name) {
                return Err(ParamError::new(name, ParamErrorKind::Repeated));
            }
            map.insert(name, value);
        }
        Ok(Params { map })
    }

    /// The value of `name`, or `None` when absent (or sent empty).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    /// The value of `name`, or a [`ParamErrorKind::Missing`] error.
    pub fn require(&self, name: &str) -> Result<&str, ParamError> {
        self.get(name).ok_or_else(|| ParamError::missing(name))
    }

    /// Whether `name` is present with a non-empty value.
    pub fn contains(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// Sets `name` to `value`, replacing an earlier value; an empty value removes it.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let (name, value) = (name.into(), value.into());
        if value.is_empty() {
            self.map.shift_remove(&name);
        } else {
            self.map.insert(name, value);
        }
    }

    /// Sets `name` when `value` is `Some`.
    pub fn insert_opt(&mut self, name: impl Into<String>, value: Option<impl Into<String>>) {
        if let Some(v) = value {
            self.insert(name, v);
        }
    }

    /// Removes `name`, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.map.shift_remove(name)
    }

    /// The number of parameters.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The parameters in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The parameters as owned pairs, in order.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        self.map
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Encodes as `application/x-www-form-urlencoded` (also valid as a query string).
    pub fn encode(&self) -> String {
        encode_pairs(self.iter())
    }

    /// Builds from pairs; a repeated name is an error, empty values are skipped.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, ParamError> {
        let mut map = IndexMap::new();
        for (k, v) in pairs {
            let (k, v) = (k.as_ref(), v.as_ref());
            if k.is_empty() || v.is_empty() {
                continue;
            }
            if map.contains_key(k) {
                return Err(ParamError::new(k, ParamErrorKind::Repeated));
            }
            map.insert(k.to_owned(), v.to_owned());
        }
        Ok(Params { map })
    }

    /// Names of the parameters that are not in `known`, in order.
    pub fn unknown<'a>(&'a self, known: &'a [&str]) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.iter().filter(move |(k, _)| !known.contains(k))
    }
}

impl<'a> IntoIterator for &'a Params {
    type Item = (&'a String, &'a String);
    type IntoIter = indexmap::map::Iter<'a, String, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.map.iter()
    }
}

/// Encodes pairs as `application/x-www-form-urlencoded`, skipping empty values.
pub fn encode_pairs<K: AsRef<str>, V: AsRef<str>>(
    pairs: impl IntoIterator<Item = (K, V)>,
) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !v.as_ref().is_empty() {
            ser.append_pair(k.as_ref(), v.as_ref());
        }
    }
    ser.finish()
}

/// What goes between `base` (a URL without fragment) and appended parameters: `?` when it
/// has no query, nothing when the query is empty or ends with `&`, `&` otherwise. Only the
/// first `?` starts the query; a later one is part of it (`?x=a?` needs `&`).
fn query_separator(base: &str) -> &'static str {
    match base.split_once('?') {
        None => "?",
        Some((_, q)) if q.is_empty() || q.ends_with('&') => "",
        Some(_) => "&",
    }
}

/// Appends encoded `pairs` to `url`'s query: `?` when it has none, `&` otherwise, keeping
/// any existing query and placing the parameters before a fragment.
pub fn append_query<K: AsRef<str>, V: AsRef<str>>(
    url: &str,
    pairs: impl IntoIterator<Item = (K, V)>,
) -> String {
    let encoded = encode_pairs(pairs);
    let (base, fragment) = match url.find('#') {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    };
    if encoded.is_empty() {
        return url.to_owned();
    }
    let sep = query_separator(base);
    format!("{base}{sep}{encoded}{fragment}")
}

/// Characters `append_multi_query` leaves as they are: RFC 3986 §2.3 unreserved only.
const UNRESERVED_KEPT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Appends `auth_query_params` to an authorization endpoint following the
/// `Providers.OidcSummary` rules: each value of a key is added as `k=v`, an empty list adds
/// the bare key `k`, several values repeat the key; nothing is added for an empty map.
pub fn append_multi_query<K: AsRef<str>, V: AsRef<str>>(
    url: &str,
    params: impl IntoIterator<Item = (K, Vec<V>)>,
) -> String {
    // Keys and values are percent-encoded: everything but RFC 3986 §2.3 unreserved characters.
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, UNRESERVED_KEPT).to_string();
    let mut parts = Vec::new();
    for (k, vs) in params {
        let k = enc(k.as_ref());
        if vs.is_empty() {
            parts.push(k);
        } else {
            for v in vs {
                parts.push(format!("{k}={}", enc(v.as_ref())));
            }
        }
    }
    if parts.is_empty() {
        return url.to_owned();
    }
    let (base, fragment) = match url.find('#') {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    };
    let sep = query_separator(base);
    format!("{base}{sep}{}{fragment}", parts.join("&"))
}

/// Splits a space-delimited list (RFC 6749 §3.3 style), skipping empty items.
pub fn split_space_list(value: &str) -> Vec<String> {
    value
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Joins a list with single spaces.
pub fn join_space_list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_decodes() {
        let p = Params::parse_query("a=1&b=hello+world&c=%2F%3D&d=").unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), Some("hello world"));
        assert_eq!(p.get("c"), Some("/="));
        assert_eq!(p.get("d"), None);
        assert_eq!(p.len(), 3);
    }

    #[test]
    fn rejects_repeated() {
        let e = Params::parse_query("scope=openid&scope=email").unwrap_err();
        assert_eq!(e.parameter, "scope");
        assert_eq!(e.kind, ParamErrorKind::Repeated);
        assert!(e.description().contains("scope"));
        assert!(crate::error::is_valid_error_text(&e.description()));
    }

    #[test]
    fn empty_values_do_not_count_as_repeats() {
        let p = Params::parse_query("state=&state=x").unwrap();
        assert_eq!(p.get("state"), Some("x"));
    }

    #[test]
    fn rejects_malformed() {
        let e = Params::parse_form(b"client_id=ab%zz").unwrap_err();
        assert_eq!(e.parameter, "client_id");
        assert_eq!(e.kind, ParamErrorKind::MalformedEncoding);
        let e = Params::parse_form(b"x=%FF").unwrap_err();
        assert_eq!(e.kind, ParamErrorKind::InvalidUtf8);
        let e = Params::parse_form(b"x=%4").unwrap_err();
        assert_eq!(e.kind, ParamErrorKind::MalformedEncoding);
    }

    #[test]
    fn round_trips() {
        let p = Params::from_pairs([("a b", "c&d"), ("e", "ü=+")]).unwrap();
        let q = Params::parse_form(p.encode().as_bytes()).unwrap();
        assert_eq!(p, q);
    }

    #[test]
    fn appends_query() {
        assert_eq!(append_query("https://a/x", [("k", "v")]), "https://a/x?k=v");
        assert_eq!(
            append_query("https://a/x?y=1", [("k", "v")]),
            "https://a/x?y=1&k=v"
        );
        assert_eq!(
            append_query("https://a/x?y=1#f", [("k", "v")]),
            "https://a/x?y=1&k=v#f"
        );
        let v: Vec<(&str, Vec<&str>)> =
            vec![("a", vec!["1"]), ("b", vec![]), ("c", vec!["1", "2"])];
        assert_eq!(
            append_multi_query("https://a/x", v),
            "https://a/x?a=1&b&c=1&c=2"
        );
        let empty: Vec<(&str, Vec<&str>)> = vec![];
        assert_eq!(append_multi_query("https://a/x", empty), "https://a/x");
    }
}

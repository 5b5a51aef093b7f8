//! The `scope` parameter: a space-delimited, ordered set of scope tokens (RFC 6749 §3.3).

use std::fmt;
use std::str::FromStr;

/// The value `openid` that makes an OAuth 2.0 request an OpenID Connect request.
pub const OPENID: &str = "openid";
/// The `offline_access` scope asking for a refresh token (OIDC Core §11).
pub const OFFLINE_ACCESS: &str = "offline_access";

/// A scope value is not valid (RFC 6749 §3.3:
/// `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeError {
    /// The offending token.
    pub token: String,
}

impl fmt::Display for ScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "scope token '{}' contains a character RFC 6749 section 3.3 does not allow",
            crate::error::sanitize_error_text(&self.token)
        )
    }
}

impl std::error::Error for ScopeError {}

/// Whether `token` is a valid scope token (RFC 6749 §3.3).
pub fn is_valid_scope_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// A space-delimited, ordered set of scope tokens (RFC 6749 §3.3). Order is the order of
/// first appearance; duplicates are dropped. Serializes as the space-delimited string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Scope {
    tokens: Vec<String>,
}

impl Scope {
    /// The empty scope.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a space-delimited scope string. Extra spaces are tolerated; a token with a
    /// character outside RFC 6749 §3.3 is an error.
    pub fn parse(value: &str) -> Result<Self, ScopeError> {
        let mut scope = Scope::new();
        for token in value.split(' ').filter(|t| !t.is_empty()) {
            if !is_valid_scope_token(token) {
                return Err(ScopeError {
                    token: token.to_owned(),
                });
            }
            scope.push_unchecked(token);
        }
        Ok(scope)
    }

    /// Builds a scope from tokens, validating each.
    pub fn from_tokens<S: AsRef<str>>(
        tokens: impl IntoIterator<Item = S>,
    ) -> Result<Self, ScopeError> {
        let mut scope = Scope::new();
        for t in tokens {
            scope.insert(t.as_ref())?;
        }
        Ok(scope)
    }

    fn push_unchecked(&mut self, token: &str) {
        if !self.contains(token) {
            self.tokens.push(token.to_owned());
        }
    }

    /// Adds a token at the end unless present; returns whether it was added.
    pub fn insert(&mut self, token: &str) -> Result<bool, ScopeError> {
        if !is_valid_scope_token(token) {
            return Err(ScopeError {
                token: token.to_owned(),
            });
        }
        let added = !self.contains(token);
        self.push_unchecked(token);
        Ok(added)
    }

    /// Removes a token; returns whether it was present.
    pub fn remove(&mut self, token: &str) -> bool {
        let before = self.tokens.len();
        self.tokens.retain(|t| t != token);
        before != self.tokens.len()
    }

    /// Whether `token` is in the set.
    pub fn contains(&self, token: &str) -> bool {
        self.tokens.iter().any(|t| t == token)
    }

    /// Whether this is an OpenID Connect scope (contains `openid`).
    pub fn is_openid(&self) -> bool {
        self.contains(OPENID)
    }

    /// The tokens in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.tokens.iter().map(String::as_str)
    }

    /// The number of tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Whether every token of `self` is in `other`.
    pub fn is_subset_of(&self, other: &Scope) -> bool {
        self.iter().all(|t| other.contains(t))
    }

    /// The tokens of `self` that are also in `other`, in `self`'s order.
    pub fn intersection(&self, other: &Scope) -> Scope {
        Scope {
            tokens: self
                .tokens
                .iter()
                .filter(|t| other.contains(t))
                .cloned()
                .collect(),
        }
    }

    /// The tokens as a slice.
    pub fn as_slice(&self) -> &[String] {
        &self.tokens
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tokens.join(" "))
    }
}

impl FromStr for Scope {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::parse(s)
    }
}

impl<'a> IntoIterator for &'a Scope {
    type Item = &'a String;
    type IntoIter = std::slice::Iter<'a, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.tokens.iter()
    }
}

impl serde::Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Scope {
    /// Accepts the space-delimited string; for robustness also a JSON array of tokens.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Repr {
            S(String),
            L(Vec<String>),
        }
        match Repr::deserialize(d)? {
            Repr::S(s) => Scope::parse(&s).map_err(serde::de::Error::custom),
            Repr::L(l) => Scope::from_tokens(l).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_order_dedupe() {
        let s = Scope::parse("openid  profile openid read:records").unwrap();
        assert_eq!(s.to_string(), "openid profile read:records");
        assert!(s.contains("read:records"));
        assert!(s.is_openid());
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            ["openid", "profile", "read:records"]
        );
    }

    #[test]
    fn rejects_bad_chars() {
        assert!(Scope::parse("open\"id").is_err());
        assert!(Scope::parse("a\\b").is_err());
        assert!(Scope::parse("caf\u{e9}").is_err());
        assert!(Scope::parse("a\tb").is_err());
    }

    #[test]
    fn serde_string() {
        let s = Scope::parse("openid email").unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"openid email\"");
        let back: Scope = serde_json::from_str("\"openid email\"").unwrap();
        assert_eq!(back, s);
        let arr: Scope = serde_json::from_str("[\"openid\",\"email\"]").unwrap();
        assert_eq!(arr, s);
    }
}

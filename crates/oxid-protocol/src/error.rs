//! Error text rules shared by every error response (RFC 6749 §5.2, §4.1.2.1).
//!
//! `error_description` and `error_uri` may only hold the characters `%x20-21 / %x23-5B /
//! %x5D-7E` (`error_uri` without the space); strict clients reject anything else.

use std::fmt;

/// Whether `text` is a valid `error_description` (RFC 6749 §5.2: `%x20-21 / %x23-5B /
/// %x5D-7E`, i.e. printable ASCII without `"` and `\`).
pub fn is_valid_error_text(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// Whether `uri` may be an `error_uri` (RFC 6749 §5.2: `%x21 / %x23-5B / %x5D-7E`) and is an
/// absolute URI.
pub fn is_valid_error_uri(uri: &str) -> bool {
    !uri.is_empty()
        && uri
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
        && url::Url::parse(uri).is_ok()
}

/// Rewrites `text` into a valid `error_description`: `"` becomes `'`, `\` becomes `/`,
/// whitespace and control characters become a space, other characters outside the allowed
/// set become `?`. Runs of spaces are kept as they are; the result is never longer in
/// characters than the input.
pub fn sanitize_error_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            ' '..='~' => c,
            c if c.is_whitespace() || c.is_control() => ' ',
            _ => '?',
        })
        .collect()
}

/// Longest quote of a client-supplied value in an `error_description`, in characters.
pub const ECHO_MAX_CHARS: usize = 64;

/// A client-supplied value to quote in an `error_description` (an unknown scope, a bad
/// parameter value): sanitized and cut to [`ECHO_MAX_CHARS`] characters plus `...` (ASCII:
/// RFC 6749 §5.2 allows nothing else), so that a huge value is not echoed whole.
pub fn echo_value(value: &str) -> String {
    let mut chars = value.chars();
    let head: String = chars.by_ref().take(ECHO_MAX_CHARS).collect();
    let mut echo = sanitize_error_text(&head);
    if chars.next().is_some() {
        echo.push_str("...");
    }
    echo
}

/// Returns `uri` when it is a valid `error_uri`, otherwise `None`.
pub fn sanitize_error_uri(uri: &str) -> Option<String> {
    is_valid_error_uri(uri).then(|| uri.to_owned())
}

/// A string that is not one of the values a closed enumeration accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    /// What kind of value was expected (for example `response_mode`).
    pub expected: &'static str,
    /// The value that was found.
    pub found: String,
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} value '{}'",
            self.expected,
            echo_value(&self.found)
        )
    }
}

impl std::error::Error for UnknownValue {}

/// Defines a closed string enumeration with `as_str`, `parse`, `FromStr`, `Display` and serde
/// as its wire string.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident => $s:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),*
        }

        impl $name {
            /// Every value, in definition order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The wire value.
            pub fn as_str(&self) -> &'static str {
                match self { $( $name::$variant => $s ),* }
            }

            /// Parses the wire value (case-sensitive); `None` when unknown.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $( $s => Some($name::$variant), )* _ => None }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = $crate::error::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s).ok_or_else(|| $crate::error::UnknownValue {
                    expected: $what,
                    found: s.to_owned(),
                })
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use string_enum;

/// Implements `Serialize`/`Deserialize` as a string through `Display` and `FromStr`.
macro_rules! serde_via_str {
    ($name:ty) => {
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use serde_via_str;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_are_cut_short_and_valid_error_text() {
        assert_eq!(echo_value("openid"), "openid");
        let long = "x\"".repeat(50_000);
        let echo = echo_value(&long);
        assert_eq!(echo.len(), ECHO_MAX_CHARS + 3);
        assert!(
            echo.ends_with("...") && is_valid_error_text(&echo),
            "{echo}"
        );
        assert_eq!(echo_value(&"é".repeat(64)), "?".repeat(64));
    }

    #[test]
    fn error_text_rules() {
        assert!(is_valid_error_text("client_id is missing! [x] {y} ~"));
        assert!(is_valid_error_text(""));
        assert!(!is_valid_error_text("a \"quoted\" word"));
        assert!(!is_valid_error_text("back\\slash"));
        assert!(!is_valid_error_text("line\nbreak"));
        assert!(!is_valid_error_text("caf\u{e9}"));
        assert!(!is_valid_error_text("\x7f"));
    }

    #[test]
    fn sanitizer_produces_valid_text() {
        for s in ["a \"b\" \\c", "tab\there\r\n", "żółć 🦀", "\x00\x1f\x7f"] {
            let t = sanitize_error_text(s);
            assert!(is_valid_error_text(&t), "{t:?}");
        }
        assert_eq!(sanitize_error_text("say \"hi\""), "say 'hi'");
        assert_eq!(sanitize_error_text("ok text"), "ok text");
    }

    #[test]
    fn error_uri_rules() {
        assert!(is_valid_error_uri(
            "https://example.com/errors/invalid_request"
        ));
        assert!(!is_valid_error_uri("https://example.com/a b"));
        assert!(!is_valid_error_uri("relative/path"));
        assert!(!is_valid_error_uri(""));
    }
}

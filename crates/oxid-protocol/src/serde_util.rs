//! Serde helpers shared by the message types (crate-private).

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serializer};

/// A JSON number that is a NumericDate (RFC 7519 §2): integers as they are, non-integer
/// numbers truncated; negative or non-finite values are rejected.
fn number_to_u64<E: de::Error>(v: &serde_json::Value) -> Result<u64, E> {
    match v {
        serde_json::Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Ok(u)
            } else if let Some(f) = n.as_f64() {
                if f.is_finite() && (0.0..1.8e19).contains(&f) {
                    Ok(f as u64)
                } else {
                    Err(E::custom("number out of range for a NumericDate"))
                }
            } else {
                Err(E::custom(
                    "negative number where a non-negative integer is expected",
                ))
            }
        }
        _ => Err(E::custom("expected a number")),
    }
}

/// Deserializes a NumericDate.
pub(crate) mod numeric_date {
    use super::*;
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        number_to_u64(&v)
    }
    pub(crate) fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(*v)
    }
}

/// Deserializes an optional NumericDate (null = absent).
pub(crate) mod opt_numeric_date {
    use super::*;
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        let v = Option::<serde_json::Value>::deserialize(d)?;
        match v {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(v) => number_to_u64(&v).map(Some),
        }
    }
    pub(crate) fn serialize<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_u64(*v),
            None => s.serialize_none(),
        }
    }
}

/// An optional non-negative integer that real-world servers sometimes send as a string
/// (`"expires_in": "3600"`); serialized as a JSON number.
pub(crate) mod opt_lenient_u64 {
    use super::*;
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        let v = Option::<serde_json::Value>::deserialize(d)?;
        match v {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => s
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| de::Error::custom("expected an integer")),
            Some(v) => number_to_u64(&v).map(Some),
        }
    }
    pub(crate) fn serialize<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_u64(*v),
            None => s.serialize_none(),
        }
    }
}

/// A list serialized as one space-delimited string; deserialized from such a string or,
/// for robustness, from a JSON array of strings.
#[allow(dead_code)]
pub(crate) mod space_list {
    use super::*;
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            S(String),
            L(Vec<String>),
            N(()),
        }
        Ok(match Repr::deserialize(d)? {
            Repr::S(s) => crate::params::split_space_list(&s),
            Repr::L(l) => l,
            Repr::N(()) => Vec::new(),
        })
    }
    pub(crate) fn serialize<S: Serializer>(v: &[String], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.join(" "))
    }
}

/// Whether a vector is empty (for `skip_serializing_if`).
#[allow(dead_code)]
pub(crate) fn is_empty_vec<T>(v: &[T]) -> bool {
    v.is_empty()
}

/// Whether a bool is false (for `skip_serializing_if`).
#[allow(dead_code)]
pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}

/// A required non-negative integer, also accepted as a numeric string.
pub(crate) mod lenient_u64 {
    use super::*;
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        match super::opt_lenient_u64::deserialize(d)? {
            Some(v) => Ok(v),
            None => Err(de::Error::custom("expected an integer")),
        }
    }
    pub(crate) fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(*v)
    }
}

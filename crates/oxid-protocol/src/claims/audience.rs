//! The `aud` claim (RFC 7519 §4.1.3).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The `aud` claim: one string or a list of strings (RFC 7519 §4.1.3). A single audience is
/// serialized as a string, several as an array.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Audience(pub Vec<String>);

impl Audience {
    /// A single audience.
    pub fn single(aud: impl Into<String>) -> Self {
        Audience(vec![aud.into()])
    }

    /// Whether `aud` is one of the audiences.
    pub fn contains(&self, aud: &str) -> bool {
        self.0.iter().any(|a| a == aud)
    }

    /// The audiences in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// The number of audiences.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no audience.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Audience {
    fn from(s: &str) -> Self {
        Audience::single(s)
    }
}

impl From<String> for Audience {
    fn from(s: String) -> Self {
        Audience::single(s)
    }
}

impl From<Vec<String>> for Audience {
    fn from(v: Vec<String>) -> Self {
        Audience(v)
    }
}

impl Serialize for Audience {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.len() == 1 {
            s.serialize_str(&self.0[0])
        } else {
            self.0.serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            One(String),
            Many(Vec<String>),
        }
        Ok(match Repr::deserialize(d)? {
            Repr::One(s) => Audience(vec![s]),
            Repr::Many(v) => Audience(v),
        })
    }
}

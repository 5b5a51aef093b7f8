//! JSON Web Key and JWK Set (RFC 7517), for RSA (RFC 7518 §6.3), EC P-256 (RFC 7518 §6.2),
//! OKP Ed25519 (RFC 8037 §2) and symmetric `oct` keys (RFC 7518 §6.4). Key material is kept
//! as the base64url strings of the wire format; no cryptography here.

use indexmap::IndexMap;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// The key-type specific members of a JWK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyParams {
    /// `kty: RSA` public members (RFC 7518 §6.3.1).
    Rsa {
        /// Modulus, base64url big-endian.
        n: String,
        /// Public exponent, base64url big-endian.
        e: String,
    },
    /// `kty: EC` public members (RFC 7518 §6.2.1).
    Ec {
        /// Curve (`P-256`, `P-384`, `P-521`).
        crv: String,
        /// X coordinate, base64url.
        x: String,
        /// Y coordinate, base64url.
        y: String,
    },
    /// `kty: OKP` public members (RFC 8037 §2).
    Okp {
        /// Curve (`Ed25519`, `X25519`, ...).
        crv: String,
        /// Public key, base64url.
        x: String,
    },
    /// `kty: oct` (RFC 7518 §6.4).
    Oct {
        /// The key value, base64url.
        k: String,
    },
    /// Any other key type; its members stay in [`Jwk::extra`].
    Unknown {
        /// The `kty` value.
        kty: String,
    },
}

impl KeyParams {
    /// The `kty` value.
    pub fn kty(&self) -> &str {
        match self {
            KeyParams::Rsa { .. } => "RSA",
            KeyParams::Ec { .. } => "EC",
            KeyParams::Okp { .. } => "OKP",
            KeyParams::Oct { .. } => "oct",
            KeyParams::Unknown { kty } => kty,
        }
    }
}

/// A JSON Web Key (RFC 7517 §4). Private members (`d`, `p`, `q`, ...) and every other member
/// stay in `extra`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwk {
    /// The key type and its public members.
    pub params: KeyParams,
    /// `kid`: key identifier.
    pub kid: Option<String>,
    /// `use`: `sig` or `enc`.
    pub use_: Option<String>,
    /// `alg`: the algorithm the key is meant for.
    pub alg: Option<String>,
    /// `key_ops`.
    pub key_ops: Option<Vec<String>>,
    /// Every other member (`x5c`, `x5t#S256`, private members, ...), in order.
    pub extra: IndexMap<String, Value>,
}

/// Members a JWK reads into typed fields, per key type.
fn typed_members(kty: &str) -> &'static [&'static str] {
    match kty {
        "RSA" => &["n", "e"],
        "EC" => &["crv", "x", "y"],
        "OKP" => &["crv", "x"],
        "oct" => &["k"],
        _ => &[],
    }
}

/// Members of a private key that must never be published (RFC 7518 §6.2.2, §6.3.2, §6.4,
/// RFC 8037 §2).
pub const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

impl Jwk {
    /// A key with `params` and nothing else.
    pub fn new(params: KeyParams) -> Self {
        Jwk {
            params,
            kid: None,
            use_: None,
            alg: None,
            key_ops: None,
            extra: IndexMap::new(),
        }
    }

    /// An RSA public key.
    pub fn rsa(n: impl Into<String>, e: impl Into<String>) -> Self {
        Self::new(KeyParams::Rsa {
            n: n.into(),
            e: e.into(),
        })
    }

    /// An EC P-256 public key.
    pub fn ec_p256(x: impl Into<String>, y: impl Into<String>) -> Self {
        Self::new(KeyParams::Ec {
            crv: "P-256".into(),
            x: x.into(),
            y: y.into(),
        })
    }

    /// An Ed25519 public key.
    pub fn ed25519(x: impl Into<String>) -> Self {
        Self::new(KeyParams::Okp {
            crv: "Ed25519".into(),
            x: x.into(),
        })
    }

    /// Sets `kid`.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Sets `alg`.
    pub fn with_alg(mut self, alg: impl Into<String>) -> Self {
        self.alg = Some(alg.into());
        self
    }

    /// Sets `use`.
    pub fn with_use(mut self, use_: impl Into<String>) -> Self {
        self.use_ = Some(use_.into());
        self
    }

    /// The `kty` value.
    pub fn kty(&self) -> &str {
        self.params.kty()
    }

    /// Whether the key holds private or symmetric material.
    pub fn is_private(&self) -> bool {
        matches!(self.params, KeyParams::Oct { .. }) || self.extra.contains_key("d")
    }

    /// The public part: private members removed (`None` for `oct` keys).
    pub fn to_public(&self) -> Option<Jwk> {
        if matches!(self.params, KeyParams::Oct { .. }) {
            return None;
        }
        let mut k = self.clone();
        for m in PRIVATE_MEMBERS {
            k.extra.shift_remove(*m);
        }
        Some(k)
    }

    /// Whether this key may be used to verify a JWS with `alg`: `use` absent or `sig`,
    /// `alg` absent or equal, and the key type fitting the algorithm family.
    pub fn fits_alg(&self, alg: &str) -> bool {
        if self.use_.as_deref().is_some_and(|u| u != "sig") {
            return false;
        }
        if self.alg.as_deref().is_some_and(|a| a != alg) {
            return false;
        }
        match (&self.params, alg) {
            (KeyParams::Rsa { .. }, a) => a.starts_with("RS") || a.starts_with("PS"),
            (KeyParams::Ec { crv, .. }, "ES256") => crv == "P-256",
            (KeyParams::Ec { crv, .. }, "ES384") => crv == "P-384",
            (KeyParams::Ec { crv, .. }, "ES512") => crv == "P-521",
            (KeyParams::Okp { crv, .. }, "EdDSA" | "Ed25519") => crv == "Ed25519" || crv == "Ed448",
            (KeyParams::Oct { .. }, a) => a.starts_with("HS"),
            _ => false,
        }
    }

    /// The canonical JSON the RFC 7638 thumbprint is the SHA-256 of (required members only,
    /// lexicographic order, no whitespace). `None` for unknown key types.
    pub fn thumbprint_input(&self) -> Option<String> {
        let s = |v: &str| serde_json::to_string(v).unwrap_or_default();
        Some(match &self.params {
            KeyParams::Rsa { n, e } => format!("{{\"e\":{},\"kty\":\"RSA\",\"n\":{}}}", s(e), s(n)),
            KeyParams::Ec { crv, x, y } => {
                format!(
                    "{{\"crv\":{},\"kty\":\"EC\",\"x\":{},\"y\":{}}}",
                    s(crv),
                    s(x),
                    s(y)
                )
            }
            KeyParams::Okp { crv, x } => {
                format!("{{\"crv\":{},\"kty\":\"OKP\",\"x\":{}}}", s(crv), s(x))
            }
            KeyParams::Oct { k } => format!("{{\"k\":{},\"kty\":\"oct\"}}", s(k)),
            KeyParams::Unknown { .. } => return None,
        })
    }

    /// Converts to a JSON object.
    pub fn to_json_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("kty".into(), Value::String(self.kty().to_owned()));
        let mut put = |k: &str, v: &str| {
            m.insert(k.to_owned(), Value::String(v.to_owned()));
        };
        match &self.params {
            KeyParams::Rsa { n, e } => {
                put("n", n);
                put("e", e);
            }
            KeyParams::Ec { crv, x, y } => {
                put("crv", crv);
                put("x", x);
                put("y", y);
            }
            KeyParams::Okp { crv, x } => {
                put("crv", crv);
                put("x", x);
            }
            KeyParams::Oct { k } => put("k", k),
            KeyParams::Unknown { .. } => {}
        }
        if let Some(v) = &self.kid {
            put("kid", v);
        }
        if let Some(v) = &self.use_ {
            put("use", v);
        }
        if let Some(v) = &self.alg {
            put("alg", v);
        }
        if let Some(ops) = &self.key_ops {
            m.insert(
                "key_ops".into(),
                Value::Array(ops.iter().cloned().map(Value::String).collect()),
            );
        }
        for (k, v) in &self.extra {
            if !m.contains_key(k) {
                m.insert(k.clone(), v.clone());
            }
        }
        m
    }

    /// Reads a JWK from a JSON object. `kty` is required; the members its type requires
    /// must be strings.
    pub fn from_json_map(mut m: Map<String, Value>) -> Result<Self, String> {
        let kty = match m.shift_remove("kty") {
            Some(Value::String(s)) => s,
            Some(_) => return Err("kty must be a string".into()),
            None => return Err("missing kty".into()),
        };
        let mut take = |k: &str| -> Result<String, String> {
            match m.shift_remove(k) {
                Some(Value::String(s)) => Ok(s),
                Some(_) => Err(format!("{k} must be a string")),
                None => Err(format!("missing {k} for kty {kty}")),
            }
        };
        let params = match kty.as_str() {
            "RSA" => KeyParams::Rsa {
                n: take("n")?,
                e: take("e")?,
            },
            "EC" => KeyParams::Ec {
                crv: take("crv")?,
                x: take("x")?,
                y: take("y")?,
            },
            "OKP" => KeyParams::Okp {
                crv: take("crv")?,
                x: take("x")?,
            },
            "oct" => KeyParams::Oct { k: take("k")? },
            _ => KeyParams::Unknown { kty: kty.clone() },
        };
        debug_assert!(typed_members(&kty).iter().all(|k| !m.contains_key(*k)));
        let mut opt_str = |k: &str| -> Result<Option<String>, String> {
            match m.shift_remove(k) {
                Some(Value::String(s)) => Ok(Some(s)),
                Some(Value::Null) | None => Ok(None),
                Some(_) => Err(format!("{k} must be a string")),
            }
        };
        let kid = opt_str("kid")?;
        let use_ = opt_str("use")?;
        let alg = opt_str("alg")?;
        let key_ops = match m.shift_remove("key_ops") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                serde_json::from_value::<Vec<String>>(v)
                    .map_err(|_| "key_ops must be an array of strings")?,
            ),
        };
        Ok(Jwk {
            params,
            kid,
            use_,
            alg,
            key_ops,
            extra: m.into_iter().collect(),
        })
    }
}

impl Serialize for Jwk {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json_map().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Jwk {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m = Map::<String, Value>::deserialize(d)?;
        Jwk::from_json_map(m).map_err(D::Error::custom)
    }
}

/// A JWK Set (RFC 7517 §5). Unknown key types are kept (as [`KeyParams::Unknown`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    /// The keys.
    pub keys: Vec<Jwk>,
    /// Every other member.
    #[serde(flatten)]
    pub extra: IndexMap<String, Value>,
}

impl JwkSet {
    /// A set of `keys`.
    pub fn new(keys: Vec<Jwk>) -> Self {
        JwkSet {
            keys,
            extra: IndexMap::new(),
        }
    }

    /// The first key with this `kid`.
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid.as_deref() == Some(kid))
    }

    /// The keys that may verify a JWS with header `kid` and `alg`: with a `kid`, the keys
    /// having that `kid`; without one, every key; in both cases only keys fitting `alg`
    /// ([`Jwk::fits_alg`]).
    pub fn candidates<'a>(
        &'a self,
        kid: Option<&'a str>,
        alg: &'a str,
    ) -> impl Iterator<Item = &'a Jwk> + 'a {
        self.keys
            .iter()
            .filter(move |k| kid.is_none_or(|kid| k.kid.as_deref() == Some(kid)))
            .filter(move |k| k.fits_alg(alg))
    }

    /// The set with private members removed and symmetric keys dropped, for publication.
    pub fn to_public(&self) -> JwkSet {
        JwkSet {
            keys: self.keys.iter().filter_map(Jwk::to_public).collect(),
            extra: self.extra.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7517_a1_public_keys() {
        let doc = r#"{"keys":
       [
         {"kty":"EC",
          "crv":"P-256",
          "x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
          "y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM",
          "use":"enc",
          "kid":"1"},
         {"kty":"RSA",
          "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
          "e":"AQAB",
          "alg":"RS256",
          "kid":"2011-04-29"}
       ]
     }"#;
        let set: JwkSet = serde_json::from_str(doc).unwrap();
        assert_eq!(set.keys.len(), 2);
        assert_eq!(set.find("1").unwrap().kty(), "EC");
        assert_eq!(
            set.find("2011-04-29").unwrap().alg.as_deref(),
            Some("RS256")
        );
        assert!(set.find("nope").is_none());
        assert_eq!(set.candidates(Some("2011-04-29"), "RS256").count(), 1);
        assert_eq!(
            set.candidates(None, "ES256").count(),
            0,
            "EC key is use=enc"
        );
        let back: JwkSet = serde_json::from_str(&serde_json::to_string(&set).unwrap()).unwrap();
        assert_eq!(back, set);
    }

    #[test]
    fn rfc7638_thumbprint_input() {
        let k = Jwk::rsa("0vx7", "AQAB").with_kid("x");
        assert_eq!(
            k.thumbprint_input().unwrap(),
            r#"{"e":"AQAB","kty":"RSA","n":"0vx7"}"#
        );
    }

    #[test]
    fn private_members_stay_in_extra_and_strip() {
        let k: Jwk = serde_json::from_str(
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qY","d":"nWGx","kid":"e"}"#,
        )
        .unwrap();
        assert!(k.is_private());
        let p = k.to_public().unwrap();
        assert!(!p.is_private());
        assert!(p.fits_alg("EdDSA"));
        assert!(serde_json::from_str::<Jwk>(r#"{"kty":"RSA","e":"AQAB"}"#).is_err());
        let u: Jwk = serde_json::from_str(r#"{"kty":"XYZ","foo":1}"#).unwrap();
        assert_eq!(u.kty(), "XYZ");
        assert_eq!(
            serde_json::to_value(&u).unwrap(),
            serde_json::json!({"kty":"XYZ","foo":1})
        );
    }
}

//! Creating compact JWS: the client's own keys, for private_key_jwt and client_secret_jwt
//! assertions (RFC 7523) and for tests that play a provider.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair, RsaPublicKeyComponents,
};
use aws_lc_rs::{encoding::AsDer as _, hmac};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use crate::error::ClientError;
use crate::jws::JwsAlgorithm;

enum KeyMaterial {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
    Hmac(Vec<u8>),
}

/// A key that signs compact JWS with one algorithm.
pub struct SigningKey {
    alg: JwsAlgorithm,
    kid: Option<String>,
    material: KeyMaterial,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn crypto(what: &str) -> ClientError {
    ClientError::Crypto(what.to_owned())
}

fn ecdsa_alg(alg: JwsAlgorithm) -> Option<&'static signature::EcdsaSigningAlgorithm> {
    match alg {
        JwsAlgorithm::ES256 => Some(&signature::ECDSA_P256_SHA256_FIXED_SIGNING),
        JwsAlgorithm::ES384 => Some(&signature::ECDSA_P384_SHA384_FIXED_SIGNING),
        _ => None,
    }
}

impl SigningKey {
    /// A key from a PKCS#8 (DER) private key, for an asymmetric `alg`.
    pub fn from_pkcs8(
        alg: JwsAlgorithm,
        der: &[u8],
        kid: Option<String>,
    ) -> Result<Self, ClientError> {
        use JwsAlgorithm::*;
        let material = match alg {
            RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => KeyMaterial::Rsa(
                RsaKeyPair::from_pkcs8(der).map_err(|_| crypto("not an RSA PKCS#8 key"))?,
            ),
            ES256 | ES384 => {
                let curve = ecdsa_alg(alg).ok_or_else(|| crypto("not an ECDSA algorithm"))?;
                KeyMaterial::Ec(
                    EcdsaKeyPair::from_pkcs8(curve, der)
                        .map_err(|_| crypto("not an EC PKCS#8 key of this curve"))?,
                )
            }
            EdDSA => KeyMaterial::Ed(
                Ed25519KeyPair::from_pkcs8(der).map_err(|_| crypto("not an Ed25519 PKCS#8 key"))?,
            ),
            HS256 | HS384 | HS512 => return Err(crypto("HMAC keys are secrets, not PKCS#8")),
        };
        Ok(Self { alg, kid, material })
    }

    /// A fresh random key for `alg` (RSA 2048 bits); for HMAC, a 32-byte random secret.
    pub fn generate(alg: JwsAlgorithm, kid: Option<String>) -> Result<Self, ClientError> {
        use JwsAlgorithm::*;
        let material = match alg {
            RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => KeyMaterial::Rsa(
                RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| crypto("RSA generation"))?,
            ),
            ES256 | ES384 => {
                let curve = ecdsa_alg(alg).ok_or_else(|| crypto("not an ECDSA algorithm"))?;
                KeyMaterial::Ec(EcdsaKeyPair::generate(curve).map_err(|_| crypto("EC generation"))?)
            }
            EdDSA => KeyMaterial::Ed(
                Ed25519KeyPair::generate().map_err(|_| crypto("Ed25519 generation"))?,
            ),
            HS256 | HS384 | HS512 => {
                KeyMaterial::Hmac(crate::random::random_string(32)?.into_bytes())
            }
        };
        Ok(Self { alg, kid, material })
    }

    /// An HMAC key from a shared secret (client_secret_jwt: the client secret's UTF-8 octets).
    pub fn hmac(
        alg: JwsAlgorithm,
        secret: &[u8],
        kid: Option<String>,
    ) -> Result<Self, ClientError> {
        if !alg.is_hmac() {
            return Err(crypto("not an HMAC algorithm"));
        }
        Ok(Self {
            alg,
            kid,
            material: KeyMaterial::Hmac(secret.to_vec()),
        })
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> JwsAlgorithm {
        self.alg
    }

    /// The key id put in the header, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The PKCS#8 DER of an asymmetric key (to store it and load it again).
    pub fn to_pkcs8(&self) -> Result<Vec<u8>, ClientError> {
        let der = match &self.material {
            KeyMaterial::Rsa(k) => k
                .as_der()
                .map_err(|_| crypto("RSA export"))?
                .as_ref()
                .to_vec(),
            KeyMaterial::Ec(k) => k
                .to_pkcs8v1()
                .map_err(|_| crypto("EC export"))?
                .as_ref()
                .to_vec(),
            KeyMaterial::Ed(k) => k
                .to_pkcs8()
                .map_err(|_| crypto("Ed25519 export"))?
                .as_ref()
                .to_vec(),
            KeyMaterial::Hmac(_) => return Err(crypto("an HMAC key has no PKCS#8 form")),
        };
        Ok(der)
    }

    /// The public JWK of an asymmetric key (with `kid`, `alg` and `use: sig`); `None` for HMAC.
    pub fn public_jwk(&self) -> Option<Value> {
        let mut jwk = match &self.material {
            KeyMaterial::Rsa(k) => {
                let parts = RsaPublicKeyComponents::<Vec<u8>>::from(k.public_key());
                json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode(parts.n), "e": URL_SAFE_NO_PAD.encode(parts.e)})
            }
            KeyMaterial::Ec(k) => {
                let point = k.public_key().as_ref();
                let len = (point.len().saturating_sub(1)) / 2;
                let crv = if self.alg == JwsAlgorithm::ES256 {
                    "P-256"
                } else {
                    "P-384"
                };
                let x = point.get(1..1 + len)?;
                let y = point.get(1 + len..)?;
                json!({"kty": "EC", "crv": crv, "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y)})
            }
            KeyMaterial::Ed(k) => {
                json!({"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(k.public_key().as_ref())})
            }
            KeyMaterial::Hmac(_) => return None,
        };
        let obj = jwk.as_object_mut()?;
        if let Some(kid) = &self.kid {
            obj.insert("kid".into(), Value::String(kid.clone()));
        }
        obj.insert("alg".into(), Value::String(self.alg.as_str().into()));
        obj.insert("use".into(), Value::String("sig".into()));
        Some(jwk)
    }

    /// The raw signature of `input`.
    pub fn sign(&self, input: &[u8]) -> Result<Vec<u8>, ClientError> {
        use JwsAlgorithm::*;
        match &self.material {
            KeyMaterial::Hmac(secret) => {
                let hmac_alg = match self.alg {
                    HS384 => hmac::HMAC_SHA384,
                    HS512 => hmac::HMAC_SHA512,
                    _ => hmac::HMAC_SHA256,
                };
                Ok(hmac::sign(&hmac::Key::new(hmac_alg, secret), input)
                    .as_ref()
                    .to_vec())
            }
            KeyMaterial::Rsa(k) => {
                let encoding: &'static dyn signature::RsaEncoding = match self.alg {
                    RS384 => &signature::RSA_PKCS1_SHA384,
                    RS512 => &signature::RSA_PKCS1_SHA512,
                    PS256 => &signature::RSA_PSS_SHA256,
                    PS384 => &signature::RSA_PSS_SHA384,
                    PS512 => &signature::RSA_PSS_SHA512,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(encoding, &SystemRandom::new(), input, &mut sig)
                    .map_err(|_| crypto("RSA signing"))?;
                Ok(sig)
            }
            KeyMaterial::Ec(k) => Ok(k
                .sign(&SystemRandom::new(), input)
                .map_err(|_| crypto("ECDSA signing"))?
                .as_ref()
                .to_vec()),
            KeyMaterial::Ed(k) => Ok(k.sign(input).as_ref().to_vec()),
        }
    }

    /// A compact JWS of `claims` with header `{alg, kid?, typ?}` plus `extra_header`.
    pub fn sign_compact(
        &self,
        typ: Option<&str>,
        extra_header: Map<String, Value>,
        claims: &Value,
    ) -> Result<String, ClientError> {
        let mut header = Map::new();
        header.insert("alg".into(), Value::String(self.alg.as_str().into()));
        if let Some(kid) = &self.kid {
            header.insert("kid".into(), Value::String(kid.clone()));
        }
        if let Some(typ) = typ {
            header.insert("typ".into(), Value::String(typ.into()));
        }
        header.extend(extra_header);
        let header =
            serde_json::to_vec(&Value::Object(header)).map_err(|e| crypto(&e.to_string()))?;
        let payload = serde_json::to_vec(claims).map_err(|e| crypto(&e.to_string()))?;
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let sig = self.sign(input.as_bytes())?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }
}

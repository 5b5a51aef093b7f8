//! Client authentication at the token, introspection and revocation endpoints:
//! RFC 6749 §2.3.1 (basic, post), OIDC Core §9 and RFC 7523 §2.2 (client_secret_jwt,
//! private_key_jwt), and none for public clients.

use std::sync::Arc;

use serde_json::{Map, json};

use crate::error::ClientError;
use crate::jws::JwsAlgorithm;
use crate::random::random_string;
use crate::signing::SigningKey;
use crate::summary::basic_authentication_header;

/// The `client_assertion_type` of RFC 7523 §2.2.
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Lifetime of a client assertion, in seconds.
pub const ASSERTION_LIFETIME: u64 = 60;

/// How the client proves who it is.
#[derive(Clone)]
pub enum ClientAuth {
    /// A public client: `client_id` in the body, no secret.
    None,
    /// HTTP Basic with the urlencoded id and secret (RFC 6749 §2.3.1).
    ClientSecretBasic(String),
    /// `client_id` and `client_secret` in the form body (RFC 6749 §2.3.1).
    ClientSecretPost(String),
    /// A JWT signed with HMAC over the secret (OIDC Core §9).
    ClientSecretJwt {
        /// The client secret.
        secret: String,
        /// HS256, HS384 or HS512.
        alg: JwsAlgorithm,
    },
    /// A JWT signed with the client's private key (OIDC Core §9).
    PrivateKeyJwt(Arc<SigningKey>),
}

impl std::fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.method())
    }
}

impl ClientAuth {
    /// The `token_endpoint_auth_method` name.
    pub fn method(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ClientSecretBasic(_) => "client_secret_basic",
            Self::ClientSecretPost(_) => "client_secret_post",
            Self::ClientSecretJwt { .. } => "client_secret_jwt",
            Self::PrivateKeyJwt(_) => "private_key_jwt",
        }
    }

    /// The client secret, when the method has one (it keys HS* ID tokens, OIDC Core §10.1).
    pub fn secret(&self) -> Option<&str> {
        match self {
            Self::ClientSecretBasic(s) | Self::ClientSecretPost(s) => Some(s),
            Self::ClientSecretJwt { secret, .. } => Some(secret),
            Self::None | Self::PrivateKeyJwt(_) => None,
        }
    }

    /// Picks a method for a secret from what the provider supports: basic when supported or
    /// unadvertised (its default, Discovery §3), else post; none without a secret.
    pub fn for_secret(secret: Option<String>, supported: Option<&[String]>) -> Self {
        let Some(secret) = secret else {
            return Self::None;
        };
        let supports = |m: &str| supported.is_none_or(|list| list.iter().any(|s| s == m));
        if supports("client_secret_basic") {
            Self::ClientSecretBasic(secret)
        } else if supports("client_secret_post") {
            Self::ClientSecretPost(secret)
        } else if supports("client_secret_jwt") {
            Self::ClientSecretJwt {
                secret,
                alg: JwsAlgorithm::HS256,
            }
        } else {
            Self::ClientSecretBasic(secret)
        }
    }

    /// Adds the authentication to a request: form pairs and headers. `audience` is the
    /// assertion's `aud` (the token endpoint URL, OIDC Core §9); `now` its `iat`.
    pub fn apply(
        &self,
        client_id: &str,
        audience: &str,
        now: u64,
        form: &mut Vec<(String, String)>,
        headers: &mut Vec<(String, String)>,
    ) -> Result<(), ClientError> {
        let mut put = |k: &str, v: &str| form.push((k.to_owned(), v.to_owned()));
        match self {
            Self::None => put("client_id", client_id),
            Self::ClientSecretBasic(secret) => headers.push((
                "authorization".into(),
                basic_authentication_header(client_id, secret),
            )),
            Self::ClientSecretPost(secret) => {
                put("client_id", client_id);
                put("client_secret", secret);
            }
            Self::ClientSecretJwt { secret, alg } => {
                let key = SigningKey::hmac(*alg, secret.as_bytes(), None)?;
                let assertion = client_assertion(&key, client_id, audience, now)?;
                put("client_id", client_id);
                put("client_assertion_type", JWT_BEARER_ASSERTION);
                put("client_assertion", &assertion);
            }
            Self::PrivateKeyJwt(key) => {
                let assertion = client_assertion(key, client_id, audience, now)?;
                put("client_id", client_id);
                put("client_assertion_type", JWT_BEARER_ASSERTION);
                put("client_assertion", &assertion);
            }
        }
        Ok(())
    }
}

/// A client assertion (RFC 7523 §3): `iss` and `sub` the client, `aud` the endpoint,
/// a fresh `jti`, `iat` now and a short `exp`.
pub fn client_assertion(
    key: &SigningKey,
    client_id: &str,
    audience: &str,
    now: u64,
) -> Result<String, ClientError> {
    let claims = json!({
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": random_string(16)?,
        "iat": now,
        "exp": now + ASSERTION_LIFETIME,
    });
    key.sign_compact(Some("JWT"), Map::new(), &claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jws::VerifyingKey;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    type Pairs = Vec<(String, String)>;

    fn apply(auth: &ClientAuth) -> (Pairs, Pairs) {
        let (mut form, mut headers) = (Vec::new(), Vec::new());
        auth.apply(
            "client:1",
            "https://op.example/token",
            1000,
            &mut form,
            &mut headers,
        )
        .unwrap();
        (form, headers)
    }

    #[test]
    fn basic_puts_the_secret_in_the_header_only() {
        let (form, headers) = apply(&ClientAuth::ClientSecretBasic("s".into()));
        assert!(form.is_empty());
        assert_eq!(headers[0].1, basic_authentication_header("client:1", "s"));
    }

    #[test]
    fn post_and_none_put_the_client_id_in_the_body() {
        let (form, headers) = apply(&ClientAuth::ClientSecretPost("s".into()));
        assert_eq!(
            form,
            [
                ("client_id".into(), "client:1".into()),
                ("client_secret".into(), "s".into())
            ]
        );
        assert!(headers.is_empty());
        let (form, _) = apply(&ClientAuth::None);
        assert_eq!(form, [("client_id".to_string(), "client:1".to_string())]);
    }

    #[test]
    fn client_secret_jwt_is_an_hmac_assertion_rfc7523_3() {
        let auth = ClientAuth::ClientSecretJwt {
            secret: "s3cret".into(),
            alg: JwsAlgorithm::HS256,
        };
        let (form, _) = apply(&auth);
        assert_eq!(form[1].1, JWT_BEARER_ASSERTION);
        let jwt = &form[2].1;
        let (input, sig) = jwt.rsplit_once('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        VerifyingKey::from_client_secret("s3cret")
            .verify(JwsAlgorithm::HS256, input.as_bytes(), &sig)
            .unwrap();
        let payload = input.split('.').nth(1).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        assert_eq!(claims["iss"], "client:1");
        assert_eq!(claims["sub"], "client:1");
        assert_eq!(claims["aud"], "https://op.example/token");
        assert_eq!(claims["exp"], 1060);
        assert!(claims["jti"].as_str().unwrap().len() >= 16);
    }

    #[test]
    fn method_choice_follows_the_provider() {
        let only_post = vec!["client_secret_post".to_string()];
        assert_eq!(
            ClientAuth::for_secret(Some("s".into()), Some(&only_post)).method(),
            "client_secret_post"
        );
        assert_eq!(
            ClientAuth::for_secret(Some("s".into()), None).method(),
            "client_secret_basic"
        );
        assert_eq!(ClientAuth::for_secret(None, None).method(), "none");
    }
}

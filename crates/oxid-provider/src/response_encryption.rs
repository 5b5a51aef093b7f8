//! Encrypted responses (OIDC Core §10.2, OIDC Registration §2): a client that registered
//! `id_token_encrypted_response_alg` (and `_enc`) gets its ID tokens signed then encrypted to
//! its `use: enc` key, a nested JWT (`cty: JWT`); with `userinfo_encrypted_response_alg`, its
//! UserInfo answers are encrypted likewise, signed first only when it also registered
//! `userinfo_signed_response_alg` (OIDC Core §5.3.2).
//!
//! The client's key comes from its registered `jwks`, or its `jwks_uri` through the
//! provider's cache (`client_keys`), looked up when a response is made, so a client rotating
//! its encryption key is followed.

use oxid_protocol::jose::{JweAlg, JweEnc};
use serde_json::Value;

use crate::client::Client;
use crate::client_keys::{KeysError, Want};
use crate::crypto::jwe::{JweError, encrypt_compact, recipient_key};
use crate::error::OAuthError;
use crate::state::Provider;

/// Metadata member names of the encryption a client registered.
pub mod member {
    /// `id_token_encrypted_response_alg`.
    pub const ID_TOKEN_ALG: &str = "id_token_encrypted_response_alg";
    /// `id_token_encrypted_response_enc`.
    pub const ID_TOKEN_ENC: &str = "id_token_encrypted_response_enc";
    /// `userinfo_encrypted_response_alg`.
    pub const USERINFO_ALG: &str = "userinfo_encrypted_response_alg";
    /// `userinfo_encrypted_response_enc`.
    pub const USERINFO_ENC: &str = "userinfo_encrypted_response_enc";
}

/// The `alg` and `enc` one kind of response is encrypted with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseEncryption {
    /// Key management (`alg`).
    pub alg: JweAlg,
    /// Content encryption (`enc`).
    pub enc: JweEnc,
}

impl ResponseEncryption {
    /// Reads the pair `alg_member` / `enc_member` of a stored registration: `None` when no
    /// `alg` is registered; `enc` defaults to A128CBC-HS256 (OIDC Registration §2).
    pub fn read(
        metadata: &Value,
        alg_member: &str,
        enc_member: &str,
    ) -> Result<Option<ResponseEncryption>, String> {
        let string = |name: &str| metadata.get(name).and_then(Value::as_str);
        let Some(alg) = string(alg_member) else {
            return Ok(None);
        };
        let alg = JweAlg::parse(alg).ok_or(format!("{alg_member}: unknown algorithm {alg:?}"))?;
        let enc = match string(enc_member) {
            Some(enc) => {
                JweEnc::parse(enc).ok_or(format!("{enc_member}: unknown algorithm {enc:?}"))?
            }
            None => JweEnc::DEFAULT,
        };
        Ok(Some(ResponseEncryption { alg, enc }))
    }
}

/// `payload` encrypted to `client`'s key with `encryption`; `cty: JWT` when the payload is a
/// signed JWT (a nested JWT, RFC 7519 §5.2).
///
/// A client whose key cannot be had (its `jwks_uri` down, no fitting key any more) cannot be
/// answered: `invalid_client` at the token endpoint, a server-side failure logged with the
/// reason, rather than a response in the clear it asked us never to send.
pub async fn encrypt_for_client(
    provider: &Provider,
    client: &Client,
    encryption: ResponseEncryption,
    payload: &[u8],
    nested_jwt: bool,
) -> Result<String, OAuthError> {
    let keys = provider
        .client_keys()
        .keys(provider.outbound(), client, Want::Any, provider.now())
        .await
        .map_err(|e| match e {
            // Its jwks_uri is down for now: worth asking again later.
            KeysError::Fetch(_) | KeysError::RecentlyFailed => {
                OAuthError::unavailable(format!("client {}: {e}", client.id()))
            }
            other => no_key(client, &other.to_string()),
        })?;
    let key = recipient_key(&keys, encryption.alg).map_err(|e| no_key(client, &e.to_string()))?;
    let cty = nested_jwt.then_some("JWT");
    encrypt_compact(payload, key, encryption.alg, encryption.enc, cty).map_err(|e| match e {
        JweError::Encrypt(_) => no_key(client, &e.to_string()),
        other => OAuthError::server(other),
    })
}

/// `signed`, an ID token (or logout token) signed for `client`, encrypted when the client
/// registered `id_token_encrypted_response_alg` (OIDC Core §10.2: "signed then encrypted,
/// with the result being a Nested JWT"); as it is otherwise.
pub async fn seal_id_token(
    provider: Option<&Provider>,
    client: &Client,
    signed: String,
) -> Result<String, OAuthError> {
    let Some(encryption) = client.id_token_encryption() else {
        return Ok(signed);
    };
    // Every issuer of the running provider has it; only a bare test issuer lacks it.
    let provider = provider.ok_or_else(|| {
        OAuthError::server("an ID token to encrypt, but no provider to find the client's keys")
    })?;
    encrypt_for_client(provider, client, encryption, signed.as_bytes(), true).await
}

fn no_key(client: &Client, why: &str) -> OAuthError {
    tracing::warn!(
        client_id = client.id(),
        why,
        "no encryption key for the client"
    );
    OAuthError::invalid_client(format!(
        "the client's encryption key could not be used ({why}); its responses must be encrypted"
    ))
}

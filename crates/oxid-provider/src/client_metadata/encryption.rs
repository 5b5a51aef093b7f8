//! The encryption members of OIDC Registration §2: `id_token_encrypted_response_alg` /
//! `_enc` and `userinfo_encrypted_response_alg` / `_enc`. An `alg` from the capability table;
//! `enc` only with an `alg`, defaulting to A128CBC-HS256; and a key to encrypt to: a
//! `use: enc` (or use-less) key of the right type in `jwks`, or a `jwks_uri` (read when a
//! response is made, OIDC Core §10.2).

use oxid_protocol::jose::{JweAlg, JweEnc};

use super::redirect::quoted;
use super::{MetadataError, RegisteredMetadata};
use crate::capabilities::Capabilities;
use crate::crypto::jwe::recipient_key;
use crate::response_encryption::{ResponseEncryption, member};

/// The two encryptions a client registered, checked; the registration defaults filled in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Encryptions {
    /// ID tokens (and logout tokens, Back-Channel Logout §2.4).
    pub id_token: Option<ResponseEncryption>,
    /// UserInfo answers.
    pub userinfo: Option<ResponseEncryption>,
}

impl Encryptions {
    /// Writes the checked values back, `enc` spelled out, as they are stored and returned.
    pub fn fill(&self, m: &mut RegisteredMetadata) {
        let pair = |e: Option<ResponseEncryption>| {
            (
                e.map(|e| e.alg.as_str().to_string()),
                e.map(|e| e.enc.as_str().to_string()),
            )
        };
        (
            m.id_token_encrypted_response_alg,
            m.id_token_encrypted_response_enc,
        ) = pair(self.id_token);
        (
            m.userinfo_encrypted_response_alg,
            m.userinfo_encrypted_response_enc,
        ) = pair(self.userinfo);
    }
}

/// Checks both pairs of `m` against `caps` and the client's keys.
pub(super) fn check_encryption(
    m: &RegisteredMetadata,
    caps: &Capabilities,
) -> Result<Encryptions, MetadataError> {
    Ok(Encryptions {
        id_token: pair(
            m,
            caps,
            (member::ID_TOKEN_ALG, &m.id_token_encrypted_response_alg),
            (member::ID_TOKEN_ENC, &m.id_token_encrypted_response_enc),
        )?,
        userinfo: pair(
            m,
            caps,
            (member::USERINFO_ALG, &m.userinfo_encrypted_response_alg),
            (member::USERINFO_ENC, &m.userinfo_encrypted_response_enc),
        )?,
    })
}

fn pair(
    m: &RegisteredMetadata,
    caps: &Capabilities,
    (alg_member, alg): (&str, &Option<String>),
    (enc_member, enc): (&str, &Option<String>),
) -> Result<Option<ResponseEncryption>, MetadataError> {
    let supported = &caps.response_encryption;
    let Some(alg_name) = alg else {
        // OIDC Registration §2: "If ..._enc is included, ..._alg MUST also be provided."
        return match enc {
            Some(_) => Err(MetadataError::metadata(
                enc_member,
                format!("needs {alg_member} (OIDC Registration §2)"),
            )),
            None => Ok(None),
        };
    };
    let listed = |names: Vec<&str>| names.join(", ");
    let alg = JweAlg::parse(alg_name)
        .filter(|a| supported.algs.contains(a))
        .ok_or_else(|| {
            let names = supported.algs.iter().map(|a| a.as_str()).collect();
            let why = format!("{} is not one of {}", quoted(alg_name), listed(names));
            MetadataError::metadata(alg_member, why)
        })?;
    let enc = match enc {
        // OIDC Registration §2: "the default, if omitted, is A128CBC-HS256".
        None => JweEnc::DEFAULT,
        Some(name) => JweEnc::parse(name)
            .filter(|e| supported.encs.contains(e))
            .ok_or_else(|| {
                let names = supported.encs.iter().map(|e| e.as_str()).collect();
                let why = format!("{} is not one of {}", quoted(name), listed(names));
                MetadataError::metadata(enc_member, why)
            })?,
    };
    check_key(m, alg, alg_member)?;
    Ok(Some(ResponseEncryption { alg, enc }))
}

/// A key to encrypt to must be there: in `jwks` now, or at `jwks_uri` when responses are made.
fn check_key(m: &RegisteredMetadata, alg: JweAlg, member: &str) -> Result<(), MetadataError> {
    if m.jwks_uri.is_some() {
        return Ok(());
    }
    let Some(jwks) = &m.jwks else {
        return Err(MetadataError::metadata(
            member,
            format!(
                "{} needs the client's public encryption key: jwks or jwks_uri holding a \
                 use=enc {} key",
                alg.as_str(),
                alg.key_type()
            ),
        ));
    };
    recipient_key(jwks, alg)
        .map(|_| ())
        .map_err(|e| MetadataError::metadata(member, format!("jwks has {e}")))
}

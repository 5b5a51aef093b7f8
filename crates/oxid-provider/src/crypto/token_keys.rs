//! Opaque access and refresh tokens, and the key the store finds each one by (issue 14).
//!
//! A token's key was its SHA-256 alone: random, so each new token went onto a random page of
//! the token table and of its client index (ordered by client, then key), each page a WAL frame
//! and a copy for the checkpoint, and with a large table a read from disk first; and the
//! expired-token sweep deleted from random pages too. A token made now starts with the time
//! in milliseconds (12 hex digits) and its key is that prefix, then the SHA-256 of the whole
//! token: tokens made one after the other go onto the same last page of each, and the sweep
//! deletes neighbours. The store keeps the time in clear and the secret only hashed.
//! A JWT access token (RFC 9068) cannot start with the time, so its `jti` does, and its key is
//! that prefix, then the SHA-256 of the whole JWT. A token of any other form (one made before
//! this) is keyed by its SHA-256 alone, at issue and at lookup alike.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::secrets::{millis_hex, random_token, sha256_hex_bytes};

/// Hex digits of the time prefix: milliseconds since 1970 fit 12 of them until year 10889.
const PREFIX: usize = 12;
/// A time-prefixed token's length: the prefix, then 256 random bits in base64url (43).
const TOKEN_LEN: usize = PREFIX + 43;

/// A new opaque access or refresh token: the time in milliseconds as 12 hex digits, then
/// 256 random bits (base64url without padding).
pub fn new_opaque_token() -> String {
    let mut token = millis_hex();
    token.push_str(&random_token());
    token
}

/// The key the store keeps for `token`: its SHA-256 (hex) after the time prefix of the token
/// (of [`new_opaque_token`]'s form) or of its `jti` (a JWT's, [`jwt_key`]), alone for any
/// other.
pub fn token_key(token: &str) -> String {
    match time_prefix(token) {
        Some(prefix) => prefixed_key(prefix, token),
        None => prefixed_key(jwt_prefix(token).as_deref().unwrap_or_default(), token),
    }
}

/// The key of the JWT `jwt` whose `jti` is `jti` (made by [`new_opaque_token`]), as
/// [`token_key`] finds it again, without decoding the JWT.
pub fn jwt_key(jwt: &str, jti: &str) -> String {
    prefixed_key(time_prefix(jti).unwrap_or_default(), jwt)
}

fn prefixed_key(prefix: &str, token: &str) -> String {
    let hash = sha256_hex_bytes(token);
    let mut key = String::with_capacity(prefix.len() + hash.len());
    key.push_str(prefix);
    key.extend(hash.into_iter().map(char::from));
    key
}

/// The first 12 characters of `value` when it has [`new_opaque_token`]'s form.
fn time_prefix(value: &str) -> Option<&str> {
    value
        .get(..PREFIX)
        .filter(|p| value.len() == TOKEN_LEN && p.bytes().all(is_lower_hex))
}

/// The time prefix of the `jti` of `token` when it is a compact JWS (three dot-separated
/// parts) whose payload is a JSON object with such a `jti`. The signature is not checked: the
/// key only says where to look; the row found must still match the whole token's hash. Not
/// `CompactJws::parse`: every JWT lookup (introspection, userinfo, revocation) runs this, and
/// it needs neither the header's JSON nor the signature's bytes.
fn jwt_prefix(token: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Payload<'a> {
        #[serde(borrow)]
        jti: Option<std::borrow::Cow<'a, str>>,
    }
    let mut parts = token.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let json = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let jti = serde_json::from_slice::<Payload<'_>>(&json).ok()?.jti?;
    time_prefix(&jti).map(str::to_string)
}

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::secrets::sha256_hex;

    #[test]
    fn a_new_token_is_a_time_prefix_and_256_random_bits() {
        let token = new_opaque_token();
        assert_eq!(token.len(), TOKEN_LEN);
        assert!(token[..PREFIX].bytes().all(is_lower_hex), "{token}");
        let random = base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            &token[PREFIX..],
        )
        .unwrap();
        assert_eq!(random.len(), 32);
        assert_ne!(new_opaque_token()[PREFIX..], token[PREFIX..]);
    }

    #[test]
    fn keys_of_new_tokens_sort_in_the_order_the_tokens_were_made() {
        let first = new_opaque_token();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let later = new_opaque_token();
        let (first_key, later_key) = (token_key(&first), token_key(&later));
        assert!(first_key < later_key, "{first_key} {later_key}");
        assert_eq!(
            first_key,
            format!("{}{}", &first[..PREFIX], sha256_hex(&first))
        );
        // The key holds no more of the secret than its hash.
        assert!(!first_key.contains(&first[PREFIX..]));
    }

    /// A compact JWS of `payload` (header and signature as they come: the key reads neither).
    fn jws(payload: &serde_json::Value) -> String {
        let body = URL_SAFE_NO_PAD.encode(payload.to_string());
        format!("eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.{body}.c2lnbmF0dXJl")
    }

    #[test]
    fn a_jwt_is_keyed_by_its_jtis_time_prefix_rfc9068_2_2() {
        let jti = new_opaque_token();
        let jwt = jws(&serde_json::json!({"iss": "https://op", "jti": jti, "exp": 1}));
        let key = jwt_key(&jwt, &jti);
        assert_eq!(key, format!("{}{}", &jti[..PREFIX], sha256_hex(&jwt)));
        assert_eq!(token_key(&jwt), key, "found again from the JWT alone");
        // A JWT whose jti has another form (one made before this), or none, or a payload
        // that is not JSON: its hash alone.
        for other in [
            jws(&serde_json::json!({"jti": "0123456789abcdef0123"})),
            jws(&serde_json::json!({"jti": 7})),
            jws(&serde_json::json!({"sub": "a"})),
            format!("a.{}.c", URL_SAFE_NO_PAD.encode("not json")),
            format!(
                "a.{}.c.d",
                URL_SAFE_NO_PAD.encode(format!("{{\"jti\":\"{jti}\"}}"))
            ),
            "a.!!!.c".to_string(),
        ] {
            assert_eq!(token_key(&other), sha256_hex(&other), "{other}");
        }
        assert_eq!(jwt_key("a.b.c", "short"), sha256_hex("a.b.c"));
    }

    #[test]
    fn other_tokens_are_keyed_by_their_hash_alone() {
        // A token of the form made before time prefixes (43 characters): its stored key.
        let old = random_token();
        assert_eq!(token_key(&old), sha256_hex(&old));
        // A JWT, and strings of the right length without a hex prefix, or with capitals.
        for other in [
            "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln".to_string(),
            format!("zzzzzzzzzzzz{}", random_token()),
            format!("ABCDEF012345{}", random_token()),
            format!("0123456789ab{}x", random_token()),
            String::new(),
            "é".repeat(TOKEN_LEN / 2),
        ] {
            assert_eq!(token_key(&other), sha256_hex(&other), "{other}");
        }
    }
}

//! Operator actions behind the CLI and the admin API: users and clients (clients through
//! `client_registry`, which the registration endpoint shares), sessions and keys. Validation
//! lives here and there so that the CLI, the registration endpoint and the admin API apply the
//! same rules.

pub mod access;
pub mod clients;
pub mod consents;
pub mod keys;
pub mod sessions;
pub mod views;

use oxid_store::{Store, StoreError, UserRecord};
use serde_json::{Map, Value};

use crate::client_metadata::MetadataError;
use crate::crypto::password::hash_password;
use crate::crypto::secrets::random_id;

pub use crate::client_registry::{
    ClientRegistration, NewClient, add_client, register_client, update_client,
};

/// Why an operator action was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The input breaks a rule; the text says which.
    #[error("{0}")]
    Invalid(String),
    /// Client metadata broke a rule; the error names the member.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// No client has this id.
    #[error("no client {0:?}")]
    UnknownClient(String),
    /// No such user, session or key; the text names it.
    #[error("{0}")]
    NotFound(String),
    /// The admin API was called without valid credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// The credentials are valid but do not carry the `oxid:admin` scope.
    #[error("{0}")]
    Forbidden(String),
    /// Another instance is doing the same now (a key rotation): try again in a moment.
    #[error("{0}")]
    Busy(String),
    /// The store failed or refused (e.g. a duplicate id).
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(message: impl Into<String>) -> AdminError {
    AdminError::Invalid(message.into())
}

/// A user to create.
#[derive(Debug, Default, Clone)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Password in clear; hashed with argon2id here.
    pub password: String,
    /// Claims: standard ones (OIDC Core §5.1, types checked by `users::check_claims`) and
    /// custom ones (`groups`, ...).
    pub claims: Map<String, Value>,
}

/// Creates a user with a random, stable `sub`.
pub async fn add_user(store: &dyn Store, new: NewUser, now: u64) -> Result<UserRecord, AdminError> {
    // Stored as logins compare it: case-mapped and NFC (RFC 8265 UsernameCaseMapped).
    let username = crate::throttle::normalize_username(&new.username);
    if username.is_empty() || username.len() > 255 {
        return Err(invalid("username must be 1 to 255 characters"));
    }
    if new.password.is_empty() {
        return Err(invalid("password must not be empty"));
    }
    crate::users::check_claims(&new.claims)?;
    let mut claims = new.claims;
    claims.retain(|_, value| !value.is_null());
    let password_hash = hash_password(&new.password).map_err(|e| invalid(e.to_string()))?;
    let user = UserRecord {
        id: random_id(16),
        username,
        password_hash,
        claims: Value::Object(claims),
        created_at: now,
        updated_at: now,
    };
    store.insert_user(&user).await?;
    Ok(user)
}

/// The entropy an operator-chosen client secret must have at least (a generated one has 256
/// bits): enough that guessing it online, even unthrottled, is hopeless.
pub const MIN_SECRET_BITS: f64 = 128.0;

/// Refuses a client secret chosen by an operator whose estimated entropy is below
/// [`MIN_SECRET_BITS`]: e.g. at least 22 base64url or 32 hex characters. The estimate is the
/// length times the bits of the smallest alphabet the characters come from (hex; digits,
/// lower case, upper case and other printable ASCII as classes; anything beyond ASCII counts
/// as 8 bits), so it trusts randomness it cannot check but refuses what is plainly short.
pub fn check_client_secret_strength(secret: &str) -> Result<(), AdminError> {
    let bits = estimated_entropy_bits(secret);
    if bits < MIN_SECRET_BITS {
        return Err(invalid(format!(
            "the client secret is too weak (about {bits:.0} bits; at least {MIN_SECRET_BITS:.0} \
             are needed, e.g. 22 random base64url characters or 32 random hex digits); omit \
             --client-secret to have one generated"
        )));
    }
    Ok(())
}

/// A test for one class of characters (digits, lower case, ...).
type CharClass = fn(&char) -> bool;

/// Length times log2 of the alphabet the characters suggest; 0 for a secret of fewer than
/// 8 distinct characters (`aaaa...`, `abab...`), which no random draw of this length makes.
pub(crate) fn estimated_entropy_bits(secret: &str) -> f64 {
    let distinct: std::collections::BTreeSet<char> = secret.chars().collect();
    if distinct.len() < 8 {
        return 0.0;
    }
    let classes: [(CharClass, u32); 4] = [
        (char::is_ascii_digit, 10),
        (char::is_ascii_lowercase, 26),
        (char::is_ascii_uppercase, 26),
        (|c: &char| !c.is_ascii_alphanumeric(), 33),
    ];
    let present: Vec<u32> = classes
        .iter()
        .filter(|(class, _)| distinct.iter().any(class))
        .map(|(_, size)| *size)
        .collect();
    let base64url = distinct
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    let hex = distinct.iter().all(char::is_ascii_hexdigit)
        && !(distinct.iter().any(char::is_ascii_lowercase)
            && distinct.iter().any(char::is_ascii_uppercase));
    let alphabet: u32 = if hex {
        16
    } else if !secret.is_ascii() {
        256
    } else if base64url && present.len() > 1 {
        64
    } else {
        present.iter().sum()
    };
    secret.chars().count() as f64 * f64::from(alphabet.max(2)).log2()
}

/// Binds a stored client secret to its client: a row's ciphertext cannot be moved to another.
pub fn client_secret_context(client_id: &str) -> Vec<u8> {
    format!("oxid/client-secret/{client_id}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::secrets::random_token;

    #[test]
    fn weak_operator_secrets_are_refused_strong_ones_accepted() {
        for weak in [
            "abc",
            "secret",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "0123456789abcdef",
        ] {
            let err = check_client_secret_strength(weak).unwrap_err();
            assert!(err.to_string().contains("too weak"), "{weak}: {err}");
        }
        for strong in [
            "Zm9vYmFyYmF6cXV4MTIzND",           // 22 base64url characters
            "9f86d081884c7d659a2feaa0c55ad015", // 32 hex digits
            &random_token(),
            "s+e/c=r:e%t &x?#Zm9vYmFyYmF6cXV4",
        ] {
            check_client_secret_strength(strong).unwrap();
        }
    }
}

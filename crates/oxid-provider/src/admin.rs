//! Operator actions behind the CLI: users and clients. Validation lives here so that the CLI
//! and (later) an admin API apply the same rules.

use oxid_store::{ClientRecord, Store, StoreError, UserRecord};
use serde_json::{Map, Value};
use url::Url;

use crate::capabilities::{Capabilities, ClientAuthMethod, GrantType, ResponseType};
use crate::crypto::jws::SigningAlg;
use crate::crypto::password::hash_password;
use crate::crypto::secrets::{SecretBox, random_id, random_token, sha256_hex};

/// Why an operator action was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The input breaks a rule; the text says which.
    #[error("{0}")]
    Invalid(String),
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
    /// Standard claims (OIDC Core §5.1): email, email_verified, name, given_name, ...
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
    let password_hash = hash_password(&new.password).map_err(|e| invalid(e.to_string()))?;
    let user = UserRecord {
        id: random_id(16),
        username,
        password_hash,
        claims: Value::Object(new.claims),
        created_at: now,
        updated_at: now,
    };
    store.insert_user(&user).await?;
    Ok(user)
}

/// A client to register.
#[derive(Debug, Default, Clone)]
pub struct NewClient {
    /// `client_id`.
    pub client_id: String,
    /// The secret to use; generated when `None` for a confidential client.
    pub client_secret: Option<String>,
    /// A public client (no secret, `token_endpoint_auth_method=none`, PKCE required).
    pub public: bool,
    /// Name shown on the consent page.
    pub client_name: Option<String>,
    /// Redirect URIs, matched exactly.
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Grant types; `authorization_code` + `refresh_token` when empty.
    pub grant_types: Vec<String>,
    /// Response types; `code` when empty.
    pub response_types: Vec<String>,
    /// Authentication method; `client_secret_basic` (or `none` for public clients) when `None`.
    pub auth_method: Option<String>,
    /// Allowed scopes; `openid profile email address phone offline_access` when empty.
    pub scopes: Vec<String>,
    /// ID token signing algorithm.
    pub id_token_signed_response_alg: Option<String>,
    /// Back-channel logout URI.
    pub backchannel_logout_uri: Option<String>,
    /// Front-channel logout URI.
    pub frontchannel_logout_uri: Option<String>,
    /// Skip the consent page.
    pub skip_consent: bool,
}

/// Registers a client, with the values `caps` supports; returns the record and, once only,
/// the secret in clear.
pub async fn add_client(
    caps: &Capabilities,
    store: &dyn Store,
    secret_box: &SecretBox,
    new: NewClient,
    now: u64,
) -> Result<(ClientRecord, Option<String>), AdminError> {
    let client_id = new.client_id.trim().to_string();
    if client_id.is_empty() || !client_id.chars().all(|c| ('\x20'..='\x7e').contains(&c)) {
        return Err(invalid("client id must be printable ASCII (RFC 6749 §A.1)"));
    }
    let auth_method = match (&new.auth_method, new.public) {
        (Some(name), public) => {
            let method = supported(
                "auth method",
                name,
                |m| caps.registrable_auth(*m),
                &all_auth_methods(caps),
            )?;
            if public && method != ClientAuthMethod::None {
                return Err(invalid("a public client authenticates with `none`"));
            }
            method
        }
        (None, true) => ClientAuthMethod::None,
        (None, false) => ClientAuthMethod::ClientSecretBasic,
    };
    let public = auth_method == ClientAuthMethod::None;
    if public && new.client_secret.is_some() {
        return Err(invalid("a public client has no secret"));
    }
    let grant_names: Vec<&str> = caps.grant_types.iter().map(|g| g.as_str()).collect();
    let grant_types = typed_or_default(
        &new.grant_types,
        &[GrantType::AuthorizationCode, GrantType::RefreshToken],
        |name| {
            supported(
                "grant type",
                name,
                |g| caps.supports_grant(*g),
                &grant_names,
            )
        },
    )?;
    if public && grant_types.contains(&GrantType::ClientCredentials) {
        return Err(invalid("client_credentials needs a confidential client"));
    }
    let response_names: Vec<&str> = caps.response_types.iter().map(|r| r.as_str()).collect();
    let response_types = typed_or_default(&new.response_types, &[ResponseType::CODE], |name| {
        supported(
            "response type",
            name,
            |r| caps.supports_response_type(*r),
            &response_names,
        )
    })?;
    if grant_types.contains(&GrantType::AuthorizationCode) && new.redirect_uris.is_empty() {
        return Err(invalid("the authorization_code grant needs a redirect URI"));
    }
    for uri in new
        .redirect_uris
        .iter()
        .chain(&new.post_logout_redirect_uris)
    {
        check_redirect_uri(uri)?;
    }
    for uri in new
        .backchannel_logout_uri
        .iter()
        .chain(&new.frontchannel_logout_uri)
    {
        check_redirect_uri(uri)?;
    }
    let alg = match &new.id_token_signed_response_alg {
        Some(name) => Some(
            name.parse::<SigningAlg>()
                .ok()
                .filter(|alg| caps.supports_id_token_alg(*alg))
                .ok_or_else(|| invalid(format!("unknown ID token algorithm {name:?}")))?,
        ),
        None => None,
    };
    if alg == Some(SigningAlg::HS256) && public {
        return Err(invalid("HS256 ID tokens need a client secret"));
    }
    let requested_scopes: Vec<String> = new
        .scopes
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(str::to_string)
        .collect();
    let scopes = if requested_scopes.is_empty() {
        caps.scope_names().map(str::to_string).collect()
    } else {
        requested_scopes
    };
    let secret = if public {
        None
    } else {
        Some(new.client_secret.unwrap_or_else(random_token))
    };
    // RFC 7518 §3.2: an HMAC key at least as long as the hash output.
    if alg == Some(SigningAlg::HS256) && secret.as_ref().is_some_and(|s| s.len() < 32) {
        return Err(invalid(
            "HS256 ID tokens need a client secret of at least 32 bytes",
        ));
    }
    // The secret is kept only as a hash, unless an HMAC algorithm needs the secret itself.
    let secret_encrypted = match (&secret, alg) {
        (Some(secret), Some(SigningAlg::HS256)) => Some(
            secret_box
                .encrypt_for(&client_secret_context(&client_id), secret.as_bytes())
                .map_err(|e| invalid(e.to_string()))?,
        ),
        _ => None,
    };
    let client = ClientRecord {
        client_id,
        secret_hash: secret.as_deref().map(sha256_hex),
        secret_encrypted,
        client_name: new.client_name,
        redirect_uris: new.redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        grant_types: grant_types.iter().map(|g| g.as_str().to_string()).collect(),
        response_types: response_types
            .iter()
            .map(|r| r.as_str().to_string())
            .collect(),
        token_endpoint_auth_method: auth_method.as_str().to_string(),
        scopes,
        id_token_signed_response_alg: alg.map(|a| a.as_str().to_string()),
        backchannel_logout_uri: new.backchannel_logout_uri,
        frontchannel_logout_uri: new.frontchannel_logout_uri,
        skip_consent: new.skip_consent,
        metadata: Value::Object(Map::new()),
        registration_token_hash: None,
        created_at: now,
    };
    store.insert_client(&client).await?;
    Ok((client, secret))
}

/// The registrable authentication method names, for the error message.
fn all_auth_methods(caps: &Capabilities) -> Vec<&'static str> {
    use crate::capabilities::WireName;
    ClientAuthMethod::ALL
        .iter()
        .filter(|m| caps.registrable_auth(**m))
        .map(|m| WireName::as_str(m))
        .collect()
}

/// `name` parsed, when the capability table supports it; the error lists what it does.
fn supported<T: std::str::FromStr>(
    what: &str,
    name: &str,
    is_supported: impl Fn(&T) -> bool,
    supported_names: &[&str],
) -> Result<T, AdminError> {
    name.parse::<T>()
        .ok()
        .filter(|value| is_supported(value))
        .ok_or_else(|| invalid(format!("{what} {name:?} is not one of {supported_names:?}")))
}

/// `names` parsed one by one, or `default` when none is given.
fn typed_or_default<T: Copy>(
    names: &[String],
    default: &[T],
    parse: impl Fn(&str) -> Result<T, AdminError>,
) -> Result<Vec<T>, AdminError> {
    if names.is_empty() {
        return Ok(default.to_vec());
    }
    names.iter().map(|name| parse(name)).collect()
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
fn estimated_entropy_bits(secret: &str) -> f64 {
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

/// RFC 6749 §3.1.2: absolute, no fragment. Plain http only for loopback or native-app schemes
/// are not our business here; RFC 8252 loopback and custom schemes are allowed.
fn check_redirect_uri(uri: &str) -> Result<(), AdminError> {
    let url = Url::parse(uri).map_err(|_| invalid(format!("{uri:?} is not an absolute URI")))?;
    if url.fragment().is_some() {
        return Err(invalid(format!("{uri:?} has a fragment (RFC 6749 §3.1.2)")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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

//! Operator actions behind the CLI: users and clients. Validation lives here so that the CLI
//! and (later) an admin API apply the same rules.

use oxid_store::{ClientRecord, Store, StoreError, UserRecord};
use serde_json::{Map, Value};
use url::Url;

use crate::crypto::jws::SigningAlg;
use crate::crypto::password::hash_password;
use crate::crypto::secrets::{SecretBox, random_id, random_token, sha256_hex};
use crate::discovery::SUPPORTED_SCOPES;

/// Grant types a client may be registered for (what the token endpoint implements).
pub const SUPPORTED_GRANT_TYPES: [&str; 3] =
    ["authorization_code", "refresh_token", "client_credentials"];
/// Client authentication methods the token endpoint implements.
pub const SUPPORTED_AUTH_METHODS: [&str; 3] = ["client_secret_basic", "client_secret_post", "none"];
/// Response types the authorization endpoint implements.
pub const SUPPORTED_RESPONSE_TYPES: [&str; 1] = ["code"];

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
    let username = new.username.trim();
    if username.is_empty() || username.len() > 255 {
        return Err(invalid("username must be 1 to 255 characters"));
    }
    if new.password.is_empty() {
        return Err(invalid("password must not be empty"));
    }
    let password_hash = hash_password(&new.password).map_err(|e| invalid(e.to_string()))?;
    let user = UserRecord {
        id: random_id(16),
        username: username.to_string(),
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

/// Registers a client; returns the record and, once only, the secret in clear.
pub async fn add_client(
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
        (Some(m), true) if m != "none" => {
            return Err(invalid("a public client authenticates with `none`"));
        }
        (Some(m), _) => m.clone(),
        (None, true) => "none".to_string(),
        (None, false) => "client_secret_basic".to_string(),
    };
    if !SUPPORTED_AUTH_METHODS.contains(&auth_method.as_str()) {
        return Err(invalid(format!(
            "auth method {auth_method:?} is not one of {SUPPORTED_AUTH_METHODS:?}"
        )));
    }
    let public = auth_method == "none";
    if public && new.client_secret.is_some() {
        return Err(invalid("a public client has no secret"));
    }
    let grant_types = or_default(new.grant_types, &["authorization_code", "refresh_token"]);
    for grant in &grant_types {
        if !SUPPORTED_GRANT_TYPES.contains(&grant.as_str()) {
            return Err(invalid(format!(
                "grant type {grant:?} is not one of {SUPPORTED_GRANT_TYPES:?}"
            )));
        }
    }
    if public && grant_types.iter().any(|g| g == "client_credentials") {
        return Err(invalid("client_credentials needs a confidential client"));
    }
    let response_types = or_default(new.response_types, &["code"]);
    for response_type in &response_types {
        if !SUPPORTED_RESPONSE_TYPES.contains(&response_type.as_str()) {
            return Err(invalid(format!(
                "response type {response_type:?} is not one of {SUPPORTED_RESPONSE_TYPES:?}"
            )));
        }
    }
    let uses_code = grant_types.iter().any(|g| g == "authorization_code");
    if uses_code && new.redirect_uris.is_empty() {
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
                .map_err(|_| invalid(format!("unknown ID token algorithm {name:?}")))?,
        ),
        None => None,
    };
    if alg == Some(SigningAlg::HS256) && public {
        return Err(invalid("HS256 ID tokens need a client secret"));
    }
    let scopes = or_default(
        new.scopes
            .iter()
            .flat_map(|s| s.split_whitespace())
            .map(str::to_string)
            .collect(),
        &SUPPORTED_SCOPES,
    );
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
        grant_types,
        response_types,
        token_endpoint_auth_method: auth_method,
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

/// Binds a stored client secret to its client: a row's ciphertext cannot be moved to another.
pub fn client_secret_context(client_id: &str) -> Vec<u8> {
    format!("oxid/client-secret/{client_id}").into_bytes()
}

fn or_default(values: Vec<String>, default: &[&str]) -> Vec<String> {
    if values.is_empty() {
        default.iter().map(|s| s.to_string()).collect()
    } else {
        values
    }
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

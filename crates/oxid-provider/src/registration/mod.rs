//! Dynamic client registration (OIDC Dynamic Client Registration 1.0 §3, RFC 7591 §3) and
//! its management at the client configuration endpoint (RFC 7592 §2): register, read,
//! update, delete. Metadata goes through the same `admin` operations as the CLI's.

pub mod config;

use oxid_protocol::registration::{RegistrationErrorCode, RegistrationResponse};
use oxid_store::ClientRecord;
use serde_json::Value;

use crate::admin::{self, AdminError, ClientRegistration};
use crate::client_metadata::{ClientMetadata, MetadataError};
use crate::config::Registration;
use crate::crypto::secrets::{constant_time_eq, random_id, random_token, sha256_hex};
use crate::discovery::paths;
use crate::error::{ErrorKind, OAuthError};
use crate::state::Provider;

/// Members a client may not send in an update (RFC 7592 §2.2): the server sets them.
const SERVER_MEMBERS: [&str; 4] = [
    "registration_access_token",
    "registration_client_uri",
    "client_secret_expires_at",
    "client_id_issued_at",
];

/// The client configuration endpoint of `client_id` (RFC 7592 §2).
pub fn configuration_uri(provider: &Provider, client_id: &str) -> String {
    let id: String = url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
    provider
        .config()
        .endpoint(&format!("{}/{id}", paths::REGISTRATION))
}

/// `POST /register` (RFC 7591 §3.1): checks the initial access token when one is
/// configured, registers the client, and answers its credentials and every registered
/// member (§3.2.1).
pub async fn register(
    provider: &Provider,
    bearer: Option<&str>,
    body: &[u8],
) -> Result<RegistrationResponse, OAuthError> {
    match &provider.config().registration {
        Registration::Closed => return Err(OAuthError::invalid_request("registration is closed")),
        Registration::Open => {}
        Registration::Token { token_hash } => {
            let token = bearer.ok_or_else(|| OAuthError::bearer(ErrorKind::MissingToken, ""))?;
            if !constant_time_eq(sha256_hex(token).as_bytes(), token_hash.as_bytes()) {
                return Err(invalid_token("the initial access token is not valid"));
            }
        }
    }
    let metadata = ClientMetadata::from_json(body)?;
    refuse_operator_members(&metadata)?;
    let registration_token = random_token();
    let new = ClientRegistration {
        client_id: random_id(16),
        client_secret: None,
        metadata,
        skip_consent: false,
        registration_token_hash: Some(sha256_hex(&registration_token)),
    };
    let caps = provider.capabilities();
    let (record, secret) = admin::register_client(
        caps,
        provider.store(),
        provider.secret_box(),
        new,
        provider.now(),
    )
    .await?;
    Ok(response(provider, &record, secret, &registration_token))
}

/// The token policy members (`token_policy`) are the operator's: a client registering
/// itself, open or with an initial access token, may not choose its own token lifetimes or
/// grace window (RFC 7591 §2 lets the server refuse members; `invalid_client_metadata`
/// names the member).
fn refuse_operator_members(metadata: &ClientMetadata) -> Result<(), MetadataError> {
    match crate::token_policy::first_member_set(metadata) {
        Some(member) => Err(MetadataError::metadata(
            member,
            "is set by the operator (oxid client, admin API), not through registration",
        )),
        None => Ok(()),
    }
}

/// `GET /register/{client_id}` (RFC 7592 §2.1).
pub async fn read(
    provider: &Provider,
    client_id: &str,
    bearer: Option<&str>,
) -> Result<RegistrationResponse, OAuthError> {
    let (record, token) = managed_client(provider, client_id, bearer).await?;
    Ok(response(provider, &record, None, token))
}

/// `PUT /register/{client_id}` (RFC 7592 §2.2): the body replaces every member; a new
/// secret is issued only when the new metadata needs one the client lacks.
pub async fn update(
    provider: &Provider,
    client_id: &str,
    bearer: Option<&str>,
    body: &[u8],
) -> Result<RegistrationResponse, OAuthError> {
    let (record, token) = managed_client(provider, client_id, bearer).await?;
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| MetadataError::metadata("request", format!("not JSON: {e}")))?;
    if value.get("client_id").and_then(Value::as_str) != Some(client_id) {
        return Err(MetadataError::metadata(
            "client_id",
            "must be the client's own (RFC 7592 §2.2)",
        )
        .into());
    }
    if let Some(member) = SERVER_MEMBERS.iter().find(|m| value.get(**m).is_some()) {
        let why = "is set by the server and must not be sent (RFC 7592 §2.2)";
        return Err(MetadataError::metadata(*member, why).into());
    }
    if let Some(secret) = value.get("client_secret") {
        let matches = secret
            .as_str()
            .zip(record.secret_hash.as_deref())
            .is_some_and(|(secret, hash)| {
                constant_time_eq(sha256_hex(secret).as_bytes(), hash.as_bytes())
            });
        if !matches {
            let why = "does not match the client's secret (RFC 7592 §2.2)";
            return Err(MetadataError::metadata("client_secret", why).into());
        }
    }
    let metadata = ClientMetadata::from_json(body)?;
    refuse_operator_members(&metadata)?;
    let (record, secret) = admin::update_client(
        provider.capabilities(),
        provider.store(),
        provider.secret_box(),
        client_id,
        |current, _| {
            *current = metadata;
            Ok(())
        },
    )
    .await?;
    provider.forget_client(client_id);
    Ok(response(provider, &record, secret, token))
}

/// `DELETE /register/{client_id}` (RFC 7592 §2.3): the client, its grants and tokens go.
pub async fn delete(
    provider: &Provider,
    client_id: &str,
    bearer: Option<&str>,
) -> Result<(), OAuthError> {
    managed_client(provider, client_id, bearer).await?;
    provider.store().delete_client(client_id).await?;
    provider.forget_client(client_id);
    Ok(())
}

/// The stored client whose registration access token `bearer` is. An unknown client, a
/// client registered by the operator, and a wrong token all answer 401 `invalid_token`
/// alike (RFC 7592 §2.1: nothing tells which).
async fn managed_client<'t>(
    provider: &Provider,
    client_id: &str,
    bearer: Option<&'t str>,
) -> Result<(ClientRecord, &'t str), OAuthError> {
    let token = bearer.ok_or_else(|| OAuthError::bearer(ErrorKind::MissingToken, ""))?;
    // Read from the store, not the cache: a deleted or updated client is seen at once.
    let record = provider.store().get_client(client_id).await?;
    let valid = record
        .as_ref()
        .and_then(|r| r.registration_token_hash.as_deref())
        .is_some_and(|hash| constant_time_eq(sha256_hex(token).as_bytes(), hash.as_bytes()));
    match record {
        Some(record) if valid => Ok((record, token)),
        _ => Err(invalid_token("the registration access token is not valid")),
    }
}

fn invalid_token(description: &'static str) -> OAuthError {
    OAuthError::bearer(ErrorKind::InvalidToken, description)
}

/// The client information response (RFC 7591 §3.2.1, RFC 7592 §3): the credentials and
/// every registered member, defaults included.
fn response(
    provider: &Provider,
    record: &ClientRecord,
    secret: Option<String>,
    registration_token: &str,
) -> RegistrationResponse {
    RegistrationResponse {
        client_id: record.client_id.clone(),
        // RFC 7591 §3.2.1: 0 means the secret does not expire.
        client_secret_expires_at: secret.as_ref().map(|_| 0),
        client_secret: secret,
        client_id_issued_at: Some(record.created_at),
        registration_access_token: Some(registration_token.to_string()),
        registration_client_uri: Some(configuration_uri(provider, &record.client_id)),
        metadata: ClientMetadata::from_record(record).to_wire(),
    }
}

impl From<MetadataError> for OAuthError {
    fn from(e: MetadataError) -> Self {
        OAuthError::registration(e.code, e.to_string())
    }
}

impl From<AdminError> for OAuthError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Metadata(e) => e.into(),
            AdminError::Invalid(why) => {
                OAuthError::registration(RegistrationErrorCode::InvalidClientMetadata, why)
            }
            AdminError::UnknownClient(_)
            | AdminError::NotFound(_)
            | AdminError::Unauthenticated(_)
            | AdminError::Forbidden(_) => {
                invalid_token("the registration access token is not valid")
            }
            AdminError::Busy(why) => OAuthError::unavailable(why),
            AdminError::Store(e) => e.into(),
        }
    }
}

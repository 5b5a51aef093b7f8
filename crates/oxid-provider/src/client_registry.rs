//! Adding and changing clients: the one write path of `oxid client add|update`, the
//! registration endpoint and its RFC 7592 management. Every client is described as
//! [`ClientMetadata`], checked by [`ClientMetadata::validate`], and stored from the
//! [`ValidatedClient`] it gives; secrets are generated, hashed and (for HMAC keys) encrypted
//! here only.

use oxid_store::{ClientRecord, Store};
use serde_json::Value;

use crate::admin::{AdminError, client_secret_context};
use crate::capabilities::Capabilities;
use crate::client_metadata::{
    ClientMetadata, MetadataError, ValidatedClient, check_sector_document,
};
use crate::crypto::jws::SigningAlg;
use crate::crypto::secrets::{SecretBox, random_token, sha256_hex};

/// A client as an operator describes it (the flags of `oxid client add|update`): each member
/// given is applied to the client's [`ClientMetadata`]; an empty list or `None` leaves the
/// member as it is.
#[derive(Debug, Default, Clone)]
pub struct NewClient {
    /// `client_id`.
    pub client_id: String,
    /// The secret to use; generated when `None` for a client that needs one.
    pub client_secret: Option<String>,
    /// A public client: `token_endpoint_auth_method=none`, no secret, PKCE required.
    pub public: bool,
    /// Name shown on the login and consent pages.
    pub client_name: Option<String>,
    /// Redirect URIs, matched exactly.
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Grant types; `authorization_code` + `refresh_token` for a new client when empty.
    pub grant_types: Vec<String>,
    /// Response types; `code` (with the authorization_code grant) when empty.
    pub response_types: Vec<String>,
    /// Authentication method; `client_secret_basic` (or `none` for public clients) when `None`.
    pub auth_method: Option<String>,
    /// Allowed scopes, space-separated values allowed; every scope when empty.
    pub scopes: Vec<String>,
    /// ID token signing algorithm.
    pub id_token_signed_response_alg: Option<String>,
    /// Back-channel logout URI.
    pub backchannel_logout_uri: Option<String>,
    /// Front-channel logout URI.
    pub frontchannel_logout_uri: Option<String>,
    /// Skip the consent page (first-party clients; never through registration).
    pub skip_consent: bool,
    /// `application_type`: `web` (default) or `native`.
    pub application_type: Option<String>,
    /// Which claims go in ID tokens: `scope` (default) or `minimal`.
    pub id_token_claims: Option<String>,
    /// `require_pkce`; `false` only for a confidential client. The deployment's default when
    /// `None`.
    pub require_pkce: Option<bool>,
    /// `jwks`: the client's JWK Set (for `private_key_jwt`).
    pub jwks: Option<Value>,
    /// `jwks_uri`: where the client publishes its JWK Set.
    pub jwks_uri: Option<String>,
    /// `token_endpoint_auth_signing_alg` for the JWT authentication methods.
    pub token_endpoint_auth_signing_alg: Option<String>,
    /// `userinfo_signed_response_alg`; plain JSON UserInfo when `None`.
    pub userinfo_signed_response_alg: Option<String>,
    /// `default_max_age` in seconds.
    pub default_max_age: Option<u64>,
    /// `require_auth_time` (set when true; an update leaves it as it is when false).
    pub require_auth_time: bool,
    /// `backchannel_logout_revoke_tokens`: revoke the tokens issued in a session when it
    /// ends; left as it is when `None`.
    pub backchannel_logout_revoke_tokens: Option<bool>,
    /// `access_token_format`: `opaque` or `jwt` (RFC 9068).
    pub access_token_format: Option<String>,
    /// `access_token_lifetime` in seconds.
    pub access_token_lifetime: Option<u64>,
    /// `refresh_token_lifetime` in seconds (absolute, per family).
    pub refresh_token_lifetime: Option<u64>,
    /// `refresh_token_idle` in seconds.
    pub refresh_token_idle: Option<u64>,
    /// `refresh_token_grace` in seconds (0 turns it off).
    pub refresh_token_grace: Option<u64>,
    /// `require_pushed_authorization_requests` (RFC 9126 §6); left as it is when `None`.
    pub require_pushed_authorization_requests: Option<bool>,
    /// `dpop_bound_access_tokens` (RFC 9449 §5.2); left as it is when `None`.
    pub dpop_bound_access_tokens: Option<bool>,
    /// `request_object_signing_alg` (OIDC Registration §2); `none` allows unsigned request
    /// objects.
    pub request_object_signing_alg: Option<String>,
    /// `request_uris`: the request objects by reference the provider may fetch; replaces
    /// the list when not empty.
    pub request_uris: Vec<String>,
    /// `require_signed_request_object` (RFC 9101 §10.5); left as it is when `None`.
    pub require_signed_request_object: Option<bool>,
    /// `id_token_encrypted_response_alg` (OIDC Registration §2); `none` removes it (and its
    /// `enc`).
    pub id_token_encrypted_response_alg: Option<String>,
    /// `id_token_encrypted_response_enc` (default A128CBC-HS256 with an `alg`).
    pub id_token_encrypted_response_enc: Option<String>,
    /// `userinfo_encrypted_response_alg`; `none` removes it (and its `enc`).
    pub userinfo_encrypted_response_alg: Option<String>,
    /// `userinfo_encrypted_response_enc` (default A128CBC-HS256 with an `alg`).
    pub userinfo_encrypted_response_enc: Option<String>,
    /// `subject_type`: `public` or `pairwise` (OIDC Core §8); left as it is when `None`.
    pub subject_type: Option<String>,
    /// `sector_identifier_uri` (OIDC Registration §5); left as it is when `None`.
    pub sector_identifier_uri: Option<String>,
}

impl NewClient {
    /// Sets the members given here on `metadata`.
    pub fn apply_to(&self, metadata: &mut ClientMetadata) -> Result<(), AdminError> {
        let m = &mut metadata.registered;
        let given = |values: &Vec<String>| (!values.is_empty()).then(|| values.clone());
        if self.public {
            if self.auth_method.as_deref().is_some_and(|a| a != "none") {
                return Err(MetadataError::metadata(
                    "token_endpoint_auth_method",
                    "a public client authenticates with none",
                )
                .into());
            }
            m.token_endpoint_auth_method = Some("none".into());
        } else if let Some(method) = &self.auth_method {
            m.token_endpoint_auth_method = Some(method.clone());
        }
        if !self.redirect_uris.is_empty() {
            m.redirect_uris = self.redirect_uris.clone();
        }
        m.post_logout_redirect_uris =
            given(&self.post_logout_redirect_uris).or_else(|| m.post_logout_redirect_uris.take());
        m.grant_types = given(&self.grant_types).or_else(|| m.grant_types.take());
        m.response_types = given(&self.response_types).or_else(|| m.response_types.take());
        if !self.scopes.is_empty() {
            m.scope = Some(self.scopes.join(" "));
        }
        let replace = |member: &mut Option<String>, value: &Option<String>| {
            if value.is_some() {
                *member = value.clone();
            }
        };
        replace(&mut m.client_name, &self.client_name);
        replace(
            &mut m.id_token_signed_response_alg,
            &self.id_token_signed_response_alg,
        );
        replace(&mut m.backchannel_logout_uri, &self.backchannel_logout_uri);
        replace(
            &mut m.frontchannel_logout_uri,
            &self.frontchannel_logout_uri,
        );
        replace(&mut m.application_type, &self.application_type);
        replace(&mut m.subject_type, &self.subject_type);
        replace(&mut m.sector_identifier_uri, &self.sector_identifier_uri);
        replace(&mut m.jwks_uri, &self.jwks_uri);
        replace(
            &mut m.token_endpoint_auth_signing_alg,
            &self.token_endpoint_auth_signing_alg,
        );
        replace(
            &mut m.userinfo_signed_response_alg,
            &self.userinfo_signed_response_alg,
        );
        if let Some(jwks) = &self.jwks {
            let jwks = serde_json::from_value(jwks.clone()).map_err(|e| {
                MetadataError::metadata("jwks", format!("not a JWK Set (RFC 7517 §5): {e}"))
            })?;
            m.jwks = Some(jwks);
            // One or the other (OIDC Registration §2): keys by value replace a URL.
            if self.jwks_uri.is_none() {
                m.jwks_uri = None;
            }
        } else if self.jwks_uri.is_some() {
            m.jwks = None;
        }
        if self.default_max_age.is_some() {
            m.default_max_age = self.default_max_age;
        }
        if self.require_auth_time {
            m.require_auth_time = Some(true);
        }
        if self.id_token_claims.is_some() {
            metadata.id_token_claims = self.id_token_claims.clone();
        }
        if self.require_pkce.is_some() {
            metadata.require_pkce = self.require_pkce;
        }
        if self.backchannel_logout_revoke_tokens.is_some() {
            metadata.backchannel_logout_revoke_tokens = self.backchannel_logout_revoke_tokens;
        }
        if self.access_token_format.is_some() {
            metadata.access_token_format = self.access_token_format.clone();
        }
        let seconds = [
            (
                &mut metadata.access_token_lifetime,
                self.access_token_lifetime,
            ),
            (
                &mut metadata.refresh_token_lifetime,
                self.refresh_token_lifetime,
            ),
            (&mut metadata.refresh_token_idle, self.refresh_token_idle),
            (&mut metadata.refresh_token_grace, self.refresh_token_grace),
        ];
        for (member, value) in seconds {
            if value.is_some() {
                *member = value;
            }
        }
        if self.require_pushed_authorization_requests.is_some() {
            metadata.require_pushed_authorization_requests =
                self.require_pushed_authorization_requests;
        }
        if self.dpop_bound_access_tokens.is_some() {
            metadata.dpop_bound_access_tokens = self.dpop_bound_access_tokens;
        }
        if self.request_object_signing_alg.is_some() {
            metadata.registered.request_object_signing_alg =
                self.request_object_signing_alg.clone();
        }
        if !self.request_uris.is_empty() {
            metadata.registered.request_uris = Some(self.request_uris.clone());
        }
        if self.require_signed_request_object.is_some() {
            metadata.require_signed_request_object = self.require_signed_request_object;
        }
        let m = &mut metadata.registered;
        for ((alg, enc), (new_alg, new_enc)) in [
            (
                (
                    &mut m.id_token_encrypted_response_alg,
                    &mut m.id_token_encrypted_response_enc,
                ),
                (
                    &self.id_token_encrypted_response_alg,
                    &self.id_token_encrypted_response_enc,
                ),
            ),
            (
                (
                    &mut m.userinfo_encrypted_response_alg,
                    &mut m.userinfo_encrypted_response_enc,
                ),
                (
                    &self.userinfo_encrypted_response_alg,
                    &self.userinfo_encrypted_response_enc,
                ),
            ),
        ] {
            // `none` turns encryption off again (an update cannot otherwise unset a member).
            if new_alg.as_deref() == Some("none") {
                (*alg, *enc) = (None, None);
                continue;
            }
            if new_alg.is_some() {
                *alg = new_alg.clone();
                // A new alg without an enc takes the registration default, not the old enc.
                *enc = new_enc.clone();
            } else if new_enc.is_some() {
                *enc = new_enc.clone();
            }
        }
        Ok(())
    }
}

/// A client to store: its id, metadata, and what only the operator or the registration
/// endpoint decides.
#[derive(Debug, Default, Clone)]
pub struct ClientRegistration {
    /// `client_id`.
    pub client_id: String,
    /// The operator's chosen secret; generated when `None` and the client needs one.
    pub client_secret: Option<String>,
    /// The client's metadata, not yet checked.
    pub metadata: ClientMetadata,
    /// Skip the consent page.
    pub skip_consent: bool,
    /// `sha256(registration_access_token)` of a dynamically registered client (RFC 7592).
    pub registration_token_hash: Option<String>,
}

/// Registers a client described by the operator's `new`, with the values `caps` supports;
/// returns the record and, once only, the secret in clear.
pub async fn add_client(
    caps: &Capabilities,
    store: &dyn Store,
    secret_box: &SecretBox,
    new: NewClient,
    now: u64,
) -> Result<(ClientRecord, Option<String>), AdminError> {
    let mut metadata = ClientMetadata::default();
    if new.grant_types.is_empty() {
        // The CLI's default, beyond RFC 7591's: operators' clients usually refresh.
        metadata.registered.grant_types =
            Some(vec!["authorization_code".into(), "refresh_token".into()]);
    }
    new.apply_to(&mut metadata)?;
    let registration = ClientRegistration {
        client_id: new.client_id,
        client_secret: new.client_secret,
        metadata,
        skip_consent: new.skip_consent,
        registration_token_hash: None,
    };
    register_client(caps, store, secret_box, registration, now).await
}

/// Checks and stores `registration`; returns the record and, once only, the secret.
pub async fn register_client(
    caps: &Capabilities,
    store: &dyn Store,
    secret_box: &SecretBox,
    registration: ClientRegistration,
    now: u64,
) -> Result<(ClientRecord, Option<String>), AdminError> {
    let client_id = registration.client_id.trim().to_string();
    if client_id.is_empty() || !client_id.chars().all(|c| ('\x20'..='\x7e').contains(&c)) {
        return Err(AdminError::Invalid(
            "client id must be printable ASCII (RFC 6749 §A.1)".into(),
        ));
    }
    let validated = registration.metadata.validate(caps)?;
    check_sector_document(caps, &validated.metadata).await?;
    if registration.client_secret.is_some() && !validated.needs_secret() {
        return Err(MetadataError::metadata(
            "client_secret",
            format!(
                "a client authenticating with {} has no secret",
                validated.auth_method
            ),
        )
        .into());
    }
    let secret = validated
        .needs_secret()
        .then(|| registration.client_secret.unwrap_or_else(random_token));
    let mut record = validated.to_record(&client_id, registration.skip_consent, now);
    set_secret(&mut record, &validated, secret.as_deref(), secret_box)?;
    record.registration_token_hash = registration.registration_token_hash;
    store.insert_client(&record).await?;
    Ok((record, secret))
}

/// Changes client `client_id`: `change` edits its metadata and consent setting, and the
/// result is checked as a whole. The secret is kept while the client still needs it; a new
/// one is issued (and returned) when the client now needs one it lacks, or needs as an HMAC
/// key while only its hash is kept.
pub async fn update_client(
    caps: &Capabilities,
    store: &dyn Store,
    secret_box: &SecretBox,
    client_id: &str,
    change: impl FnOnce(&mut ClientMetadata, &mut bool) -> Result<(), AdminError>,
) -> Result<(ClientRecord, Option<String>), AdminError> {
    let unknown = || AdminError::UnknownClient(client_id.to_string());
    let current = store.get_client(client_id).await?.ok_or_else(unknown)?;
    let mut metadata = ClientMetadata::from_record(&current);
    let mut skip_consent = current.skip_consent;
    change(&mut metadata, &mut skip_consent)?;
    let validated = metadata.validate(caps)?;
    // OIDC Registration §5: checked whenever the registration changes, as redirect URIs may.
    check_sector_document(caps, &validated.metadata).await?;
    let mut record = validated.to_record(client_id, skip_consent, current.created_at);
    record.registration_token_hash = current.registration_token_hash.clone();
    let in_clear = validated.needs_secret_in_clear();
    let keeps_secret = validated.needs_secret()
        && current.secret_hash.is_some()
        && (!in_clear || current.secret_encrypted.is_some());
    let new_secret = if keeps_secret {
        record.secret_hash = current.secret_hash;
        record.secret_encrypted = current.secret_encrypted.filter(|_| in_clear);
        None
    } else if validated.needs_secret() {
        let secret = random_token();
        set_secret(&mut record, &validated, Some(&secret), secret_box)?;
        Some(secret)
    } else {
        None
    };
    if !store.update_client(&record).await? {
        return Err(unknown());
    }
    Ok((record, new_secret))
}

/// Stores `secret` as a hash, and encrypted too when it is an HMAC key.
fn set_secret(
    record: &mut ClientRecord,
    validated: &ValidatedClient,
    secret: Option<&str>,
    secret_box: &SecretBox,
) -> Result<(), AdminError> {
    record.secret_hash = secret.map(sha256_hex);
    record.secret_encrypted = None;
    let Some(secret) = secret.filter(|_| validated.needs_secret_in_clear()) else {
        return Ok(());
    };
    // RFC 7518 §3.2: an HMAC key at least as long as the hash output.
    if secret.len() < 32 {
        let member = if validated.id_token_alg == SigningAlg::HS256 {
            "id_token_signed_response_alg"
        } else {
            "token_endpoint_auth_method"
        };
        let why = "HMAC needs a client secret of at least 32 bytes (RFC 7518 §3.2)";
        return Err(MetadataError::metadata(member, why).into());
    }
    let context = client_secret_context(&record.client_id);
    let sealed = secret_box
        .encrypt_for(&context, secret.as_bytes())
        .map_err(|e| AdminError::Invalid(e.to_string()))?;
    record.secret_encrypted = Some(sealed);
    Ok(())
}

#[cfg(test)]
#[path = "client_registry_tests.rs"]
mod tests;

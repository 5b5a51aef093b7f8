//! `oxid client`, `oxid keys`: thin wrappers over `oxid_provider::admin` (`oxid user` is in
//! `users.rs`).

use clap::Subcommand;
use oxid_provider::admin::keys as admin_keys;
use oxid_provider::admin::{self, NewClient, views};
use oxid_provider::capabilities::Capabilities;
use oxid_provider::client_metadata::ClientMetadata;
use oxid_provider::config::Settings;
use oxid_provider::server::{Backend, open_backend};
use serde_json::Value;
use std::process::ExitCode;

use crate::fail;

/// `oxid client ...`
#[derive(Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints its id and, once only, its secret.
    Add(Box<ClientAddArgs>),
    /// Change a client: only the members given change; the result is checked as a whole.
    /// Prints the client (and a new secret when the change needs one).
    Update(Box<ClientUpdateArgs>),
    /// List clients.
    List,
    /// Remove a client and everything issued to it.
    Remove {
        /// The client id.
        client_id: String,
    },
}

/// Flags of `oxid client add`.
#[derive(clap::Args)]
pub struct ClientAddArgs {
    /// The client id.
    #[arg(long)]
    client_id: String,
    /// The secret (generated when neither this nor --public is given).
    #[arg(long, conflicts_with = "public")]
    client_secret: Option<String>,
    #[command(flatten)]
    members: ClientMembers,
}

/// Flags of `oxid client update`.
#[derive(clap::Args)]
pub struct ClientUpdateArgs {
    /// The client id.
    client_id: String,
    #[command(flatten)]
    members: ClientMembers,
}

/// The client's registration members, as `oxid client add` and `update` take them.
#[derive(clap::Args)]
pub struct ClientMembers {
    /// A public client: no secret, PKCE required (`--auth-method none`).
    #[arg(long)]
    public: bool,
    /// Name shown on the login and consent pages.
    #[arg(long)]
    name: Option<String>,
    /// A redirect URI (repeatable), matched exactly.
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// A grant type (repeatable), one of discovery's `grant_types_supported` (default
    /// authorization_code and refresh_token; implicit with the token and id_token response
    /// types).
    #[arg(long = "grant-type")]
    grant_types: Vec<String>,
    /// A response type (repeatable), one of discovery's `response_types_supported`.
    #[arg(long = "response-type")]
    response_types: Vec<String>,
    /// Client authentication, one of discovery's `token_endpoint_auth_methods_supported`.
    #[arg(long)]
    auth_method: Option<String>,
    /// Allowed scopes, space-separated (repeatable).
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// A post-logout redirect URI (repeatable).
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// OIDC Back-Channel Logout URI.
    #[arg(long)]
    backchannel_logout_uri: Option<String>,
    /// Revoke the tokens issued to this client in a session when the session ends (logout,
    /// `oxid session revoke`); `false` turns it off again.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    backchannel_logout_revoke_tokens: Option<bool>,
    /// OIDC Front-Channel Logout URI.
    #[arg(long)]
    frontchannel_logout_uri: Option<String>,
    /// ID token signing algorithm (default RS256), one of discovery's
    /// `id_token_signing_alg_values_supported`.
    #[arg(long)]
    id_token_signing_alg: Option<String>,
    /// Skip the consent page (first-party applications); `--skip-consent false` asks again.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    skip_consent: Option<bool>,
    /// `application_type`: web (default) or native (RFC 8252 loopback redirects on any port).
    #[arg(long)]
    application_type: Option<String>,
    /// Which user claims go in ID tokens: scope (default: those of the granted scopes) or
    /// minimal (only what OIDC Core requires; the rest from UserInfo).
    #[arg(long)]
    id_token_claims: Option<String>,
    /// Whether PKCE is required (default true); false only for a confidential client.
    #[arg(long)]
    require_pkce: Option<bool>,
    /// The client's JWK Set, read from FILE: its public keys for private_key_jwt and request
    /// objects, and its `use: enc` keys for encrypted responses.
    #[arg(long, conflicts_with = "jwks_uri")]
    jwks_file: Option<std::path::PathBuf>,
    /// Where the client publishes its JWK Set (https).
    #[arg(long)]
    jwks_uri: Option<String>,
    /// The algorithm of the client's authentication JWTs (client_secret_jwt: HS256;
    /// private_key_jwt: RS256, PS256, ES256 or EdDSA).
    #[arg(long)]
    token_endpoint_auth_signing_alg: Option<String>,
    /// Sign UserInfo responses with ALG (absent: plain JSON).
    #[arg(long)]
    userinfo_signing_alg: Option<String>,
    /// `default_max_age` in seconds: sign in again when the session is older.
    #[arg(long)]
    default_max_age: Option<u64>,
    /// Always put `auth_time` in ID tokens.
    #[arg(long)]
    require_auth_time: bool,
    /// Access tokens as `opaque` values (default; checked by introspection) or `jwt`
    /// (RFC 9068, checked offline). A `[[resources]]` entry asked for with `resource` decides
    /// for its own tokens.
    #[arg(long, value_name = "opaque|jwt")]
    access_token_format: Option<String>,
    /// Seconds its access tokens live (default `lifetimes.access_token`; at most a day).
    #[arg(long, value_name = "S")]
    access_token_lifetime: Option<u64>,
    /// Seconds a refresh token family lives from its first token, whatever rotations follow
    /// (default: each refresh token lives `lifetimes.refresh_token`).
    #[arg(long, value_name = "S")]
    refresh_token_lifetime: Option<u64>,
    /// Seconds a refresh token lives unused (at most --refresh-token-lifetime).
    #[arg(long, value_name = "S")]
    refresh_token_idle: Option<u64>,
    /// Seconds after a refresh in which presenting the same refresh token again returns the
    /// same new tokens instead of revoking them all (off by default; at most 300; 0 turns it
    /// off).
    #[arg(long, value_name = "S")]
    refresh_token_grace: Option<u64>,
    /// Accept this client's authorization requests only when pushed (RFC 9126 §6);
    /// `--require-pushed-authorization-requests false` turns it off again.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    require_pushed_authorization_requests: Option<bool>,
    /// Refuse this client's token requests without a DPoP proof (RFC 9449 §5.2);
    /// `--dpop-bound-access-tokens false` turns it off again.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    dpop_bound_access_tokens: Option<bool>,
    /// The algorithm of the client's request objects (OIDC Core §6): one of discovery's
    /// `request_object_signing_alg_values_supported`; `none` accepts unsigned ones.
    #[arg(long, value_name = "ALG")]
    request_object_signing_alg: Option<String>,
    /// A request_uri the provider may fetch the client's request objects from (repeatable;
    /// https).
    #[arg(long = "request-uri", value_name = "URL")]
    request_uris: Vec<String>,
    /// Accept this client's authorization requests only in signed request objects
    /// (RFC 9101 §10.5); `--require-signed-request-object false` turns it off again.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    require_signed_request_object: Option<bool>,
    /// Encrypt ID tokens (and logout tokens) to the client's `use: enc` key (from --jwks-file
    /// or --jwks-uri) with ALG: RSA-OAEP-256, ECDH-ES, ECDH-ES+A128KW or ECDH-ES+A256KW;
    /// `none` turns it off again.
    #[arg(long, value_name = "ALG")]
    id_token_encrypted_response_alg: Option<String>,
    /// Content encryption of ID tokens: A128CBC-HS256 (default), A128GCM or A256GCM.
    #[arg(long, value_name = "ENC")]
    id_token_encrypted_response_enc: Option<String>,
    /// Encrypt UserInfo answers to the client's key with ALG (signed first when
    /// --userinfo-signing-alg is given); `none` turns it off again.
    #[arg(long, value_name = "ALG")]
    userinfo_encrypted_response_alg: Option<String>,
    /// Content encryption of UserInfo answers: A128CBC-HS256 (default), A128GCM or A256GCM.
    #[arg(long, value_name = "ENC")]
    userinfo_encrypted_response_enc: Option<String>,
    /// `public` (every client sees the user's id) or `pairwise` (a `sub` of its own per
    /// sector, OIDC Core §8.1).
    #[arg(long, value_name = "public|pairwise")]
    subject_type: Option<String>,
    /// An https URL whose JSON array lists every redirect URI; its host is the pairwise
    /// sector (OIDC Registration §5). Fetched and checked now.
    #[arg(long, value_name = "URL")]
    sector_identifier_uri: Option<String>,
}

impl ClientMembers {
    /// The members given, as the provider's operator description of a client.
    fn into_new_client(
        self,
        client_id: String,
        client_secret: Option<String>,
    ) -> Result<NewClient, String> {
        let jwks = self.jwks_file.as_deref().map(read_jwks).transpose()?;
        Ok(NewClient {
            client_id,
            client_secret,
            public: self.public,
            client_name: self.name,
            redirect_uris: self.redirect_uris,
            post_logout_redirect_uris: self.post_logout_redirect_uris,
            grant_types: self.grant_types,
            response_types: self.response_types,
            auth_method: self.auth_method,
            scopes: self.scopes,
            id_token_signed_response_alg: self.id_token_signing_alg,
            backchannel_logout_uri: self.backchannel_logout_uri,
            frontchannel_logout_uri: self.frontchannel_logout_uri,
            skip_consent: self.skip_consent.unwrap_or(false),
            application_type: self.application_type,
            id_token_claims: self.id_token_claims,
            require_pkce: self.require_pkce,
            jwks,
            jwks_uri: self.jwks_uri,
            token_endpoint_auth_signing_alg: self.token_endpoint_auth_signing_alg,
            userinfo_signed_response_alg: self.userinfo_signing_alg,
            default_max_age: self.default_max_age,
            require_auth_time: self.require_auth_time,
            backchannel_logout_revoke_tokens: self.backchannel_logout_revoke_tokens,
            access_token_format: self.access_token_format,
            access_token_lifetime: self.access_token_lifetime,
            refresh_token_lifetime: self.refresh_token_lifetime,
            refresh_token_idle: self.refresh_token_idle,
            refresh_token_grace: self.refresh_token_grace,
            require_pushed_authorization_requests: self.require_pushed_authorization_requests,
            dpop_bound_access_tokens: self.dpop_bound_access_tokens,
            request_object_signing_alg: self.request_object_signing_alg,
            request_uris: self.request_uris,
            require_signed_request_object: self.require_signed_request_object,
            id_token_encrypted_response_alg: self.id_token_encrypted_response_alg,
            id_token_encrypted_response_enc: self.id_token_encrypted_response_enc,
            userinfo_encrypted_response_alg: self.userinfo_encrypted_response_alg,
            userinfo_encrypted_response_enc: self.userinfo_encrypted_response_enc,
            subject_type: self.subject_type,
            sector_identifier_uri: self.sector_identifier_uri,
        })
    }
}

/// The JWK Set in `path`, as JSON.
fn read_jwks(path: &std::path::Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))
}

/// `oxid keys ...`
#[derive(Subcommand)]
pub enum KeysCommand {
    /// List signing keys and their state.
    List,
    /// Rotate now: the published next key starts signing, a new next key is published.
    Rotate,
    /// Retire one key now: it stops signing (the next key takes over) and leaves the JWKS
    /// once the tokens it signed have expired, or at once with --force.
    Retire {
        /// The key's id.
        kid: String,
        /// Unpublish it at once: tokens it signed stop verifying (a compromised key).
        #[arg(long)]
        force: bool,
    },
}

pub(crate) async fn backend(settings: &Settings) -> Result<Backend, ExitCode> {
    open_backend(settings).await.map_err(fail)
}

pub(crate) fn print_json(value: &Value) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("oxid: {e}"),
    }
}

/// Runs `oxid client ...`.
pub async fn run_client(command: ClientCommand, settings: &Settings) -> ExitCode {
    let backend = match backend(settings).await {
        Ok(b) => b,
        Err(code) => return code,
    };
    let now = backend.now();
    match command {
        ClientCommand::Add(args) => {
            let args = *args;
            // An operator-chosen secret must resist guessing (issue 13); generated ones do.
            if let Some(secret) = &args.client_secret
                && let Err(e) = admin::check_client_secret_strength(secret)
            {
                return fail(e);
            }
            let new = match args
                .members
                .into_new_client(args.client_id, args.client_secret)
            {
                Ok(new) => new,
                Err(e) => return fail(e),
            };
            let caps = Capabilities::from_config(&backend.config);
            let added =
                admin::add_client(&caps, backend.store.as_ref(), &backend.secret_box, new, now);
            print_client(added.await)
        }
        ClientCommand::Update(args) => {
            let ClientUpdateArgs { client_id, members } = *args;
            let skip_consent = members.skip_consent;
            let change = match members.into_new_client(client_id.clone(), None) {
                Ok(change) => change,
                Err(e) => return fail(e),
            };
            let caps = Capabilities::from_config(&backend.config);
            let apply = |metadata: &mut ClientMetadata, skip: &mut bool| {
                if let Some(value) = skip_consent {
                    *skip = value;
                }
                change.apply_to(metadata)
            };
            let store = backend.store.as_ref();
            let updated =
                admin::update_client(&caps, store, &backend.secret_box, &client_id, apply);
            print_client(updated.await)
        }
        ClientCommand::List => match backend.store.list_clients().await {
            Ok(clients) => {
                let rows: Vec<_> = clients.iter().map(views::client_view).collect();
                print_json(&serde_json::json!(rows));
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        ClientCommand::Remove { client_id } => {
            match backend.store.delete_client(&client_id).await {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => fail(format!("no client {client_id:?}")),
                Err(e) => fail(e),
            }
        }
    }
}

/// Prints a client added or changed, with its secret when one was just issued.
fn print_client(
    outcome: Result<(oxid_store::ClientRecord, Option<String>), admin::AdminError>,
) -> ExitCode {
    match outcome {
        Ok((client, secret)) => {
            print_json(&serde_json::json!(views::client_view_with_secret(
                &client, secret
            )));
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// Runs `oxid keys ...`.
pub async fn run_keys(command: KeysCommand, settings: &Settings) -> ExitCode {
    let backend = match backend(settings).await {
        Ok(b) => b,
        Err(code) => return code,
    };
    // The same code path as the admin API's /admin/v1/keys.
    let result = match command {
        KeysCommand::List => match backend.ensure_keys().await {
            Ok(_) => Ok(()),
            Err(e) => return fail(e),
        },
        KeysCommand::Rotate => admin_keys::rotate_keys(&backend).await,
        KeysCommand::Retire { kid, force } => admin_keys::retire_key(&backend, &kid, force)
            .await
            .map(|_| ()),
    };
    if let Err(e) = result {
        return fail(e);
    }
    match admin_keys::list_keys(&backend).await {
        Ok(keys) => {
            print_json(&serde_json::json!(keys));
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

//! One typed configuration: read as [`Settings`] (defaults, then TOML, then environment and
//! flags, merged by the binary), validated once into [`ProviderConfig`], from which the
//! capability table (`crate::capabilities`) is built.

use serde::Deserialize;
use std::path::PathBuf;
use url::Url;

use crate::crypto::jws::SigningAlg;
use crate::locales::Locales;
use crate::pages::LANGUAGES;
use crate::scopes::{ScopeInfo, ScopeSetting, registry};

pub use crate::registration::config::{Registration, RegistrationMode};

/// Settings as an operator writes them (every key is documented in docs/configuration.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The issuer identifier (OIDC Discovery §3 `issuer`); https, or http on loopback.
    pub issuer: String,
    /// Socket address to listen on.
    pub listen: String,
    /// `sqlite://PATH` or `postgres://...`.
    pub database: String,
    /// Milliseconds a request waits for the database before it is answered 503
    /// `temporarily_unavailable`.
    pub database_timeout_ms: u64,
    /// Seconds an instance trusts its in-process copies of client registrations and of the
    /// signing keys. On PostgreSQL every change reaches every instance at once (LISTEN/NOTIFY)
    /// and this only bounds a missed notification.
    pub cache_seconds: u64,
    /// Seconds between two maintenance runs: the key ring's reload and rotation check, and
    /// the expired-row sweep (on the instance holding the `sweep` lease).
    pub maintenance_interval_secs: u64,
    /// Where generated files (the encryption key) are kept; defaults to the SQLite file's folder.
    pub data_dir: Option<PathBuf>,
    /// The 32-byte encryption key for secrets at rest, base64; generated into `data_dir` when absent.
    pub secret_key: Option<String>,
    /// A folder whose templates (`login.html`, ...) and `style.css` replace the built-in ones.
    pub templates_dir: Option<PathBuf>,
    /// Token and session lifetimes.
    pub lifetimes: Lifetimes,
    /// Signing keys.
    pub keys: KeySettings,
    /// Require PKCE from every client, not only public ones (RFC 9700 §2.1.1).
    pub require_pkce: bool,
    /// Accept `code_challenge_method=plain` (RFC 7636 §4.2); S256 is always accepted.
    pub allow_plain_pkce: bool,
    /// Every client must use pushed authorization requests (RFC 9126 §5).
    pub require_pushed_authorization_requests: bool,
    /// Every client must send signed request objects (RFC 9101 §10.5).
    pub require_signed_request_object: bool,
    /// Socket address of the admin listener (`/metrics`, `/healthz`, `/readyz`); none by default.
    pub admin_listen: Option<String>,
    /// How log lines are written.
    pub log_format: LogFormat,
    /// Brute-force throttling of logins and client secrets.
    pub throttle: crate::throttle::ThrottleSettings,
    /// Connection and request limits (the `[limits]` section).
    pub limits: Limits,
    /// Where client addresses come from (the `[http]` section: trusted proxies).
    pub http: crate::client_address::HttpSettings,
    /// Grants that are off unless enabled (the `[grants]` section).
    pub grants: GrantSettings,
    /// Who may register clients at the registration endpoint; `closed` by default.
    pub registration: RegistrationMode,
    /// The initial access token of `registration = "token"` (RFC 7591 §3: sent as a
    /// Bearer token); setting it alone means `"token"`.
    pub registration_token: Option<String>,
    /// Scopes besides the OpenID ones, and new descriptions of those (`[[scopes]]`).
    pub scopes: Vec<ScopeSetting>,
    /// A page for developers about this provider (discovery `service_documentation`).
    pub service_documentation: Option<String>,
    /// The provider's policy on the use of data (discovery `op_policy_uri`).
    pub op_policy_uri: Option<String>,
    /// The provider's terms of service (discovery `op_tos_uri`).
    pub op_tos_uri: Option<String>,
    /// Languages of the pages, with regions or not (`ui_locales_supported`); each is
    /// served from the catalogue of its primary language (en, fr or de).
    pub ui_locales: Vec<String>,
    /// A static bearer token for the admin API (`/admin/v1` on `admin_listen`), for
    /// bootstrapping before an `oxid:admin` client exists; none by default.
    pub admin_token: Option<String>,
    /// Fetches of URLs clients name (the `[outbound]` section).
    pub outbound: crate::outbound::OutboundSettings,
    /// JWT client authentication (the `[client_assertions]` section).
    pub client_assertions: crate::client_assertion::AssertionSettings,
    /// Identity providers whose SAML 2.0 assertions are grants (`[[saml_idps]]`, RFC 7522).
    pub saml_idps: Vec<crate::saml::SamlIdpSetting>,
    /// Issuers whose JWTs are accepted (`[[trusted_issuers]]`).
    pub trusted_issuers: Vec<crate::trusted_issuers::TrustedIssuerSetting>,
    /// Token exchange policies (`[[token_exchange]]`).
    pub token_exchange: Vec<crate::exchange_policy::ExchangePolicy>,
    /// Durable back-channel logout delivery (the `[backchannel]` section).
    pub backchannel: crate::backchannel::BackchannelSettings,
    /// Login session lifetimes besides `lifetimes.session` (the `[sessions]` section).
    pub sessions: crate::session::SessionSettings,
    /// Protected resources (`[[resources]]`, RFC 8707 resource indicators).
    pub resources: Vec<crate::resources::ResourceSetting>,
    /// DPoP server nonces (the `[dpop]` section, RFC 9449 §8).
    pub dpop: crate::dpop_nonce::DpopSettings,
    /// The security profile: `"default"`, or `"fapi2"` for the FAPI 2.0 Security Profile.
    pub profile: crate::profile::Profile,
    /// Accept https URLs as `client_id`s naming Client ID Metadata Documents (off by default).
    pub client_id_metadata_documents: bool,
    /// How those documents are fetched and kept (the `[metadata_documents]` section).
    pub metadata_documents: crate::cimd::MetadataDocumentSettings,
    /// Not configuration: the binary's runtime reports its parks here, for the SQLite
    /// writer (`oxid_store::RuntimeIdle`).
    #[serde(skip)]
    pub runtime_idle: Option<oxid_store::RuntimeIdle>,
}

/// Grants off by default, each enabled by its key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GrantSettings {
    /// The resource owner password credentials grant (RFC 6749 §4.3); RFC 9700 §2.4 says it
    /// must not be used, so it is off unless set.
    pub password: bool,
}

/// The log line format: `text` for people, `json` (one object per line) for collectors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines; coloured only on a terminal.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            issuer: "http://localhost:8080".into(),
            listen: "127.0.0.1:8080".into(),
            database: "sqlite://oxid.db".into(),
            database_timeout_ms: 2000,
            cache_seconds: 10,
            maintenance_interval_secs: 300,
            data_dir: None,
            secret_key: None,
            templates_dir: None,
            lifetimes: Lifetimes::default(),
            keys: KeySettings::default(),
            require_pkce: true,
            allow_plain_pkce: true,
            require_pushed_authorization_requests: false,
            require_signed_request_object: false,
            admin_listen: None,
            log_format: LogFormat::Text,
            throttle: crate::throttle::ThrottleSettings::default(),
            limits: Limits::default(),
            http: crate::client_address::HttpSettings::default(),
            grants: GrantSettings::default(),
            registration: RegistrationMode::Closed,
            registration_token: None,
            scopes: Vec::new(),
            service_documentation: None,
            op_policy_uri: None,
            op_tos_uri: None,
            ui_locales: LANGUAGES.iter().map(|l| l.to_string()).collect(),
            admin_token: None,
            outbound: crate::outbound::OutboundSettings::default(),
            client_assertions: crate::client_assertion::AssertionSettings::default(),
            saml_idps: Vec::new(),
            trusted_issuers: Vec::new(),
            token_exchange: Vec::new(),
            backchannel: crate::backchannel::BackchannelSettings::default(),
            sessions: crate::session::SessionSettings::default(),
            resources: Vec::new(),
            dpop: crate::dpop_nonce::DpopSettings::default(),
            profile: crate::profile::Profile::Default,
            client_id_metadata_documents: false,
            metadata_documents: crate::cimd::MetadataDocumentSettings::default(),
            runtime_idle: None,
        }
    }
}

/// Connection and request limits, so that slow, idle or oversized requests cannot take the
/// server offline. Times are in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest request body; a larger one is answered 413.
    pub max_body_bytes: usize,
    /// Requests handled at once; more are answered 503 `temporarily_unavailable`.
    pub max_concurrent_requests: usize,
    /// Open connections; more wait in the listen backlog. Lowered at start-up below the
    /// process's open-file limit.
    pub max_connections: usize,
    /// Time a client has to send a request's headers; also the longest an idle keep-alive
    /// connection is kept waiting for its next request.
    pub header_read_timeout_ms: u64,
    /// Time a client has to send a request's body once its headers are in (408 after it).
    pub body_read_timeout_ms: u64,
    /// Time a request may take from its headers to its answer (503 after it).
    pub request_timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 64 * 1024,
            max_concurrent_requests: 1024,
            max_connections: 1000,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 10_000,
            request_timeout_ms: 30_000,
        }
    }
}

impl Limits {
    /// Checks that every limit is positive; errors name the key.
    fn validate(&self) -> Result<(), ConfigError> {
        for (key, value) in [
            ("limits.max_body_bytes", self.max_body_bytes as u64),
            (
                "limits.max_concurrent_requests",
                self.max_concurrent_requests as u64,
            ),
            ("limits.max_connections", self.max_connections as u64),
            ("limits.header_read_timeout_ms", self.header_read_timeout_ms),
            ("limits.body_read_timeout_ms", self.body_read_timeout_ms),
            ("limits.request_timeout_ms", self.request_timeout_ms),
        ] {
            if value == 0 {
                return Err(config_error(key, "must be positive"));
            }
        }
        Ok(())
    }
}

/// Lifetimes in seconds.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Lifetimes {
    /// Authorization codes; at most 60 (RFC 6749 §4.1.2 recommends at most 10 minutes; we keep 60 s).
    pub code: u64,
    /// Access tokens.
    pub access_token: u64,
    /// ID tokens.
    pub id_token: u64,
    /// Refresh tokens.
    pub refresh_token: u64,
    /// Login sessions.
    pub session: u64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            code: 60,
            access_token: 3600,
            id_token: 3600,
            refresh_token: 30 * 86400,
            session: 14 * 86400,
        }
    }
}

/// Signing key settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeySettings {
    /// Algorithms kept in the key ring; RS256 is required by OIDC Core §15.1.
    pub algs: Vec<String>,
    /// Days a key signs before the next one takes over.
    pub rotate_every_days: u64,
    /// Hours a new key is published in the JWKS before it signs.
    pub publish_ahead_hours: u64,
    /// Our own encryption keys (`use: enc` in the JWKS, for encrypted request objects):
    /// `RSA-OAEP-256` (an RSA key) and/or `ECDH-ES` (a P-256 key); `[]` publishes none.
    pub encryption_algs: Vec<String>,
}

impl Default for KeySettings {
    fn default() -> Self {
        KeySettings {
            algs: vec![
                "RS256".into(),
                "PS256".into(),
                "ES256".into(),
                "EdDSA".into(),
            ],
            rotate_every_days: 90,
            publish_ahead_hours: 24,
            encryption_algs: vec!["RSA-OAEP-256".into(), "ECDH-ES".into()],
        }
    }
}

impl Settings {
    /// How the store is opened: the time limit of each operation.
    pub fn store_options(&self) -> oxid_store::StoreOptions {
        oxid_store::StoreOptions {
            timeout: std::time::Duration::from_millis(self.database_timeout_ms),
            runtime_idle: self.runtime_idle.clone(),
        }
    }
}

/// A configuration error, naming the key.
#[derive(Debug, thiserror::Error)]
#[error("configuration key `{key}`: {message}")]
pub struct ConfigError {
    /// The offending key.
    pub key: &'static str,
    /// What is wrong with it.
    pub message: String,
}

pub(crate) fn config_error(key: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        key,
        message: message.into(),
    }
}

/// The validated configuration the provider runs with.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The issuer, exactly as published (no trailing slash unless configured so).
    pub issuer: String,
    /// The issuer parsed.
    pub issuer_url: Url,
    /// Lifetimes.
    pub lifetimes: Lifetimes,
    /// Algorithms the key ring holds, RS256 first.
    pub signing_algs: Vec<SigningAlg>,
    /// Our encryption keys' algorithms (`keys.encryption_algs`).
    pub encryption_key_algs: Vec<oxid_protocol::jose::JweAlg>,
    /// Seconds a key signs.
    pub rotate_every: u64,
    /// Seconds a key is published before it signs.
    pub publish_ahead: u64,
    /// PKCE required of confidential clients too.
    pub require_pkce: bool,
    /// `plain` accepted.
    pub allow_plain_pkce: bool,
    /// Pushed authorization requests required of every client (RFC 9126 §5).
    pub require_pushed_authorization_requests: bool,
    /// Signed request objects required of every client (RFC 9101 §10.5).
    pub require_signed_request_object: bool,
    /// Template override folder.
    pub templates_dir: Option<PathBuf>,
    /// Brute-force throttling.
    pub throttle: crate::throttle::ThrottleSettings,
    /// Connection and request limits.
    pub limits: Limits,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: crate::client_address::TrustedProxies,
    /// Grants enabled by configuration.
    pub grants: GrantSettings,
    /// Who may register clients.
    pub registration: Registration,
    /// The scope registry: the OpenID scopes, then the configured ones.
    pub scopes: Vec<ScopeInfo>,
    /// Documentation links for discovery.
    pub documents: Documents,
    /// The page languages.
    pub ui_locales: Locales,
    /// `sha256(admin_token)` hex, compared in constant time; none when not configured.
    pub admin_token_hash: Option<String>,
    /// How long in-process copies of clients and keys are trusted (`cache_seconds`).
    pub cache_lifetime: std::time::Duration,
    /// Time between maintenance runs (`maintenance_interval_secs`).
    pub maintenance_interval: std::time::Duration,
    /// Fetches of URLs clients name.
    pub outbound: crate::outbound::OutboundSettings,
    /// JWT client authentication.
    pub client_assertions: crate::client_assertion::AssertionSettings,
    /// Trusted SAML identity providers; the SAML bearer grant runs when there is one.
    pub saml_idps: Vec<crate::saml::SamlIdp>,
    /// Issuers whose JWTs are accepted (JWT bearer grant, token exchange).
    pub trusted_issuers: Vec<crate::trusted_issuers::TrustedIssuer>,
    /// Token exchange policies, one per client.
    pub token_exchange: Vec<crate::exchange_policy::ExchangePolicy>,
    /// Back-channel logout delivery.
    pub backchannel: crate::backchannel::BackchannelSettings,
    /// Login session lifetimes besides `lifetimes.session`.
    pub sessions: crate::session::SessionSettings,
    /// The protected resources tokens may be asked for.
    pub resources: crate::resources::Resources,
    /// DPoP server nonces.
    pub dpop: crate::dpop_nonce::DpopSettings,
    /// The security profile (`crate::profile`).
    pub profile: crate::profile::Profile,
    /// Client ID Metadata Documents are resolved (`crate::cimd`).
    pub client_id_metadata_documents: bool,
    /// How they are fetched and kept.
    pub metadata_documents: crate::cimd::MetadataDocumentSettings,
}

/// The documents discovery links to (OIDC Discovery §3), each an absolute http(s) URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Documents {
    /// `service_documentation`.
    pub service_documentation: Option<String>,
    /// `op_policy_uri`.
    pub op_policy_uri: Option<String>,
    /// `op_tos_uri`.
    pub op_tos_uri: Option<String>,
}

impl Documents {
    fn from_settings(settings: &Settings) -> Result<Documents, ConfigError> {
        let check = |key: &'static str, value: &Option<String>| match value {
            None => Ok(None),
            Some(text) => match Url::parse(text) {
                Ok(url) if matches!(url.scheme(), "https" | "http") => Ok(Some(text.clone())),
                _ => Err(config_error(key, "must be an absolute http(s) URL")),
            },
        };
        Ok(Documents {
            service_documentation: check("service_documentation", &settings.service_documentation)?,
            op_policy_uri: check("op_policy_uri", &settings.op_policy_uri)?,
            op_tos_uri: check("op_tos_uri", &settings.op_tos_uri)?,
        })
    }
}

impl ProviderConfig {
    /// Validates settings; errors name the key.
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let issuer_url = Url::parse(&settings.issuer)
            .map_err(|e| config_error("issuer", format!("not a URL: {e}")))?;
        // OIDC Discovery §3 / RFC 8414 §2: https, no query or fragment; http only on loopback.
        let loopback = matches!(
            issuer_url.host_str(),
            Some("localhost") | Some("127.0.0.1") | Some("[::1]")
        );
        if issuer_url.scheme() != "https" && !(issuer_url.scheme() == "http" && loopback) {
            return Err(config_error(
                "issuer",
                "must use https (http only for localhost)",
            ));
        }
        if issuer_url.query().is_some() || issuer_url.fragment().is_some() {
            return Err(config_error("issuer", "must not have a query or fragment"));
        }
        let issuer = settings.issuer.trim_end_matches('/').to_string();
        if !(100..=60_000).contains(&settings.database_timeout_ms) {
            return Err(config_error(
                "database_timeout_ms",
                "must be 100..=60000 milliseconds",
            ));
        }
        if !(1..=3600).contains(&settings.cache_seconds) {
            return Err(config_error("cache_seconds", "must be 1..=3600 seconds"));
        }
        if !(1..=86_400).contains(&settings.maintenance_interval_secs) {
            return Err(config_error(
                "maintenance_interval_secs",
                "must be 1..=86400 seconds",
            ));
        }
        let lt = settings.lifetimes;
        if lt.code == 0 || lt.code > 60 {
            return Err(config_error("lifetimes.code", "must be 1..=60 seconds"));
        }
        for (key, value) in [
            ("lifetimes.access_token", lt.access_token),
            ("lifetimes.id_token", lt.id_token),
            ("lifetimes.refresh_token", lt.refresh_token),
            ("lifetimes.session", lt.session),
        ] {
            if value == 0 {
                return Err(config_error(key, "must be positive"));
            }
        }
        let mut signing_algs = Vec::new();
        for name in &settings.keys.algs {
            let alg: SigningAlg = name
                .parse()
                .map_err(|_| config_error("keys.algs", format!("unknown algorithm {name:?}")))?;
            if alg == SigningAlg::HS256 {
                return Err(config_error(
                    "keys.algs",
                    "HS256 uses each client's secret, not a key-ring key",
                ));
            }
            if !signing_algs.contains(&alg) {
                signing_algs.push(alg);
            }
        }
        if !signing_algs.contains(&SigningAlg::RS256) {
            return Err(config_error(
                "keys.algs",
                "must contain RS256 (OIDC Core §15.1)",
            ));
        }
        signing_algs.sort_by_key(|a| *a != SigningAlg::RS256);
        settings.limits.validate()?;
        if settings.keys.rotate_every_days == 0 {
            return Err(config_error("keys.rotate_every_days", "must be positive"));
        }
        settings.throttle.validate()?;
        let registration = Registration::from_settings(settings)?;
        let scopes =
            registry(&settings.scopes).map_err(|e| config_error("scopes", e.to_string()))?;
        let ui_locales = Locales::new(&settings.ui_locales, &LANGUAGES)
            .map_err(|e| config_error("ui_locales", e))?;
        let admin_token_hash = strong_token_hash("admin_token", settings.admin_token.as_deref())?;
        settings.outbound.validate()?;
        settings.client_assertions.validate()?;
        let trusted_issuers =
            crate::trusted_issuers::validate(&settings.trusted_issuers, &issuer, &scopes)?;
        crate::exchange_policy::validate(&settings.token_exchange)?;
        settings.backchannel.validate()?;
        settings.metadata_documents.validate()?;
        let trusted_proxies = crate::client_address::TrustedProxies::from_settings(&settings.http)
            .map_err(|e| config_error("http.trusted_proxies", e))?;
        settings.dpop.validate()?;
        settings.profile.validate(settings, &signing_algs)?;
        let resources = crate::resources::Resources::from_settings(
            &settings.resources,
            &signing_algs,
            &scopes,
        )?;
        let encryption_key_algs = crate::crypto::enc_keys::key_algs(&settings.keys.encryption_algs)
            .map_err(|e| config_error("keys.encryption_algs", e))?;
        Ok(ProviderConfig {
            issuer,
            issuer_url,
            lifetimes: lt,
            signing_algs,
            encryption_key_algs,
            rotate_every: settings.keys.rotate_every_days * 86400,
            publish_ahead: settings.keys.publish_ahead_hours * 3600,
            require_pkce: settings.require_pkce,
            allow_plain_pkce: settings.allow_plain_pkce,
            require_pushed_authorization_requests: settings.require_pushed_authorization_requests,
            require_signed_request_object: settings.require_signed_request_object,
            templates_dir: settings.templates_dir.clone(),
            throttle: settings.throttle.clone(),
            limits: settings.limits,
            trusted_proxies,
            grants: settings.grants,
            registration,
            scopes,
            documents: Documents::from_settings(settings)?,
            ui_locales,
            admin_token_hash,
            cache_lifetime: std::time::Duration::from_secs(settings.cache_seconds),
            maintenance_interval: std::time::Duration::from_secs(
                settings.maintenance_interval_secs,
            ),
            outbound: settings.outbound,
            client_assertions: settings.client_assertions,
            saml_idps: crate::saml::idps_from_settings(&settings.saml_idps)?,
            trusted_issuers,
            token_exchange: settings.token_exchange.clone(),
            backchannel: settings.backchannel,
            sessions: settings.sessions,
            resources,
            dpop: settings.dpop,
            profile: settings.profile,
            client_id_metadata_documents: settings.client_id_metadata_documents,
            metadata_documents: settings.metadata_documents,
        })
    }

    /// An endpoint URL under the issuer.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }

    /// Whether the session cookie must be `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.issuer_url.scheme() == "https"
    }

    /// The issuer's path, used as the cookie path and for RFC 8414 §3.1 path insertion.
    pub fn issuer_path(&self) -> &str {
        self.issuer_url.path().trim_end_matches('/')
    }
}

/// `sha256(token)` hex of a configured bearer token, refused when it is too weak to resist
/// guessing.
fn strong_token_hash(
    key: &'static str,
    token: Option<&str>,
) -> Result<Option<String>, ConfigError> {
    let Some(token) = token else {
        return Ok(None);
    };
    if crate::admin::estimated_entropy_bits(token) < crate::admin::MIN_SECRET_BITS {
        return Err(config_error(
            key,
            "is too weak: use at least 22 random base64url characters",
        ));
    }
    Ok(Some(crate::crypto::secrets::sha256_hex(token)))
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;

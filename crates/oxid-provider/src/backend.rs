//! What the CLI and the server share: the validated configuration, the opened store, the
//! secret box and the clock (`Backend`), and how they are opened from `Settings`.

use oxid_store::Store;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::config::{ConfigError, ProviderConfig, Settings};
use crate::crypto::{self, CryptoError, KeyRing, RotationPolicy, SecretBox};

/// Why the provider could not start; one clear line each.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Store(#[from] oxid_store::StoreError),
    /// The encryption key could not be read or made.
    #[error("secret key {path}: {message}")]
    SecretKey {
        /// Where it was looked for.
        path: String,
        /// What failed.
        message: String,
    },
    /// Keys could not be made or loaded.
    #[error("signing keys: {0}")]
    Keys(#[from] CryptoError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {message}")]
    Listen {
        /// The address.
        addr: String,
        /// What failed.
        message: String,
    },
    /// The outgoing HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(String),
    /// Templates failed to load.
    #[error(transparent)]
    Pages(#[from] crate::pages::PagesError),
    /// The configured Redis of the throttle state (`throttle.redis_url`) cannot be used.
    #[error("throttle.redis_url: {0}")]
    ThrottleStore(oxid_store::StoreError),
}

/// What the CLI and the server share: configuration, store, secret box, clock.
pub struct Backend {
    /// Validated configuration.
    pub config: ProviderConfig,
    /// The store.
    pub store: Arc<dyn Store>,
    /// Encryption of secrets at rest.
    pub secret_box: SecretBox,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

impl Backend {
    /// The current time.
    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    /// The rotation policy derived from the configuration.
    pub fn rotation_policy(&self) -> RotationPolicy {
        rotation_policy(&self.config)
    }

    /// Creates missing keys and performs due rotations.
    pub async fn ensure_keys(&self) -> Result<Vec<crypto::KeyChange>, CryptoError> {
        crypto::ensure_keys(
            self.store.as_ref(),
            &self.secret_box,
            &self.rotation_policy(),
            self.now(),
        )
        .await
    }

    /// Rotates every algorithm's key now.
    pub async fn rotate_keys(&self) -> Result<Vec<crypto::KeyChange>, CryptoError> {
        crypto::rotate_now(
            self.store.as_ref(),
            &self.secret_box,
            &self.rotation_policy(),
            self.now(),
        )
        .await
    }

    /// Loads the key ring from the store.
    pub async fn load_keyring(&self) -> Result<KeyRing, CryptoError> {
        KeyRing::load(self.store.as_ref(), &self.secret_box, self.now()).await
    }

    /// The key ring as the store now has it, or `None` when that is `current`'s.
    pub async fn reload_keyring(&self, current: &KeyRing) -> Result<Option<KeyRing>, CryptoError> {
        KeyRing::reload(current, self.store.as_ref(), &self.secret_box, self.now()).await
    }
}

/// Seconds clients may cache the JWKS (its `Cache-Control: max-age`).
pub const JWKS_MAX_AGE: u64 = 300;

fn rotation_policy(config: &ProviderConfig) -> RotationPolicy {
    let lt = &config.lifetimes;
    RotationPolicy {
        algs: config.signing_algs.clone(),
        enc_algs: config.encryption_key_algs.clone(),
        rotate_every: config.rotate_every,
        publish_ahead: config.publish_ahead,
        // A retired key verifies everything it signed until that expires.
        retain_after: lt.id_token.max(lt.access_token) + 3600,
    }
}

/// Opens the store (running migrations) and the secret box, with the wall clock.
pub async fn open_backend(settings: &Settings) -> Result<Backend, StartError> {
    let config = ProviderConfig::from_settings(settings)?;
    check_rotation(&config)?;
    let store = oxid_store::open_with(&settings.database, &settings.store_options()).await?;
    let secret_box = open_secret_box(settings)?;
    Ok(Backend {
        config,
        store,
        secret_box,
        clock: Arc::new(SystemClock),
    })
}

/// Rotation must outlive every token a key signs and every cached JWKS.
fn check_rotation(config: &ProviderConfig) -> Result<(), StartError> {
    let lt = &config.lifetimes;
    let policy = rotation_policy(config);
    policy
        .check(lt.id_token.max(lt.access_token), JWKS_MAX_AGE)
        .map_err(|message| {
            StartError::Config(crate::config::ConfigError {
                key: "keys",
                message,
            })
        })
}

/// The key from `secret_key`, or the key file in the data folder, made on first start.
fn open_secret_box(settings: &Settings) -> Result<SecretBox, StartError> {
    if let Some(encoded) = &settings.secret_key {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| StartError::SecretKey {
                path: "secret_key".into(),
                message: "must be 32 bytes, base64".into(),
            })?;
        return Ok(SecretBox::new(bytes));
    }
    let path = data_dir(settings).join("oxid.key");
    SecretBox::load_or_create(&path).map_err(|e| StartError::SecretKey {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

/// `data_dir`, else the SQLite file's folder, else the working directory.
fn data_dir(settings: &Settings) -> PathBuf {
    if let Some(dir) = &settings.data_dir {
        return dir.clone();
    }
    let sqlite_path = settings
        .database
        .strip_prefix("sqlite://")
        .or_else(|| settings.database.strip_prefix("sqlite:"))
        .filter(|p| !p.starts_with(":memory:"));
    sqlite_path
        .map(|p| p.split('?').next().unwrap_or(p))
        .and_then(|p| Path::new(p).parent().map(Path::to_path_buf))
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_dir_follows_the_sqlite_file() {
        let settings = Settings {
            database: "sqlite:///var/lib/oxid/oxid.db".into(),
            ..Settings::default()
        };
        assert_eq!(data_dir(&settings), PathBuf::from("/var/lib/oxid"));
        let settings = Settings {
            database: "sqlite://oxid.db".into(),
            ..Settings::default()
        };
        assert_eq!(data_dir(&settings), PathBuf::from("."));
    }
}

//! The running provider: everything a handler needs, built once from one validated
//! configuration and shared behind an `Arc`.

use axum::body::Bytes;
use oxid_store::{Store, ThrottleStore};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::backend::{Backend, StartError};
use crate::capabilities::Capabilities;
use crate::cimd::MetadataDocuments;
use crate::client::Client;
use crate::client_cache::ClientCache;
use crate::client_keys::ClientKeys;
use crate::clock::Clock;
use crate::config::ProviderConfig;
use crate::crypto::{KeyRing, SecretBox};
use crate::discovery;
use crate::metrics::Metrics;
use crate::outbound::Outbound;
use crate::pages::Pages;
use crate::throttle::RecentClientLocks;

/// How long one outgoing call (a back-channel logout delivery) may take.
pub const OUTGOING_TIMEOUT: Duration = Duration::from_secs(5);

/// The HTTP client of calls to clients: no redirects (Back-Channel Logout §2.5: the RP's
/// answer is final), bounded time.
fn outgoing_http_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(OUTGOING_TIMEOUT)
        .build()
}

/// The provider; cheap to clone.
#[derive(Clone)]
pub struct Provider(Arc<Inner>);

/// What the provider shares; held weakly by its background tasks (`invalidation`).
pub(crate) struct Inner {
    backend: Backend,
    capabilities: Capabilities,
    clients: ClientCache,
    metadata_documents: MetadataDocuments,
    recent_client_locks: RecentClientLocks,
    /// Where failure counters live: Redis when `[throttle] redis_url` is set, else the store.
    throttle_store: Option<Arc<dyn ThrottleStore>>,
    http: reqwest::Client,
    outbound: Outbound,
    client_keys: ClientKeys,
    keys: RwLock<Arc<KeyRing>>,
    metrics: Metrics,
    pages: Pages,
    openid_configuration: Bytes,
    oauth_metadata: Bytes,
    /// This process's name in store leases (the outbox, the sweep): random per start.
    instance_id: String,
    /// Wakes the back-channel sender when a logout was just queued or a slot freed.
    backchannel_wakeup: tokio::sync::Notify,
}

impl Provider {
    /// Builds the provider over an opened backend whose keys exist (see `Backend::ensure_keys`).
    pub async fn start(backend: Backend) -> Result<Provider, StartError> {
        let ring = backend.load_keyring().await?;
        let assets = format!("{}/assets", backend.config.issuer_path());
        let pages = Pages::new(
            backend.config.templates_dir.as_deref(),
            assets,
            backend.config.ui_locales.clone(),
        )?;
        let capabilities = Capabilities::from_config(&backend.config);
        let cache_lifetime = backend.config.cache_lifetime;
        let openid_configuration =
            discovery::openid_configuration(&backend.config, &capabilities).into();
        let oauth_metadata =
            discovery::oauth_authorization_server(&backend.config, &capabilities).into();
        let metrics = Metrics::new(backend.config.issuer_path());
        let extra_roots = std::env::var_os("SSL_CERT_FILE").map(std::path::PathBuf::from);
        let outbound = Outbound::new(backend.config.outbound, extra_roots.as_deref())
            .map_err(StartError::Http)?;
        let throttle_store = crate::throttle::redis_store(&backend.config.throttle).await?;
        let provider = Provider(Arc::new(Inner {
            backend,
            capabilities,
            clients: ClientCache::new(cache_lifetime),
            metadata_documents: MetadataDocuments::default(),
            recent_client_locks: RecentClientLocks::default(),
            throttle_store,
            http: outgoing_http_client().map_err(|e| StartError::Http(e.to_string()))?,
            outbound,
            client_keys: ClientKeys::default(),
            keys: RwLock::new(Arc::new(ring)),
            metrics,
            pages,
            openid_configuration,
            oauth_metadata,
            instance_id: crate::crypto::secrets::random_id(16),
            backchannel_wakeup: tokio::sync::Notify::new(),
        }));
        crate::invalidation::spawn(&provider, Arc::downgrade(&provider.0));
        Ok(provider)
    }

    /// The provider behind `weak`, while it is still in use.
    pub(crate) fn upgrade(weak: &std::sync::Weak<Inner>) -> Option<Provider> {
        weak.upgrade().map(Provider)
    }

    /// This process's holder name in store leases.
    pub fn instance_id(&self) -> &str {
        &self.0.instance_id
    }

    /// Tells this instance's back-channel sender to look at the outbox now.
    pub fn wake_backchannel_sender(&self) {
        self.0.backchannel_wakeup.notify_one();
    }

    /// What the back-channel sender waits on between looks at the outbox.
    pub(crate) fn backchannel_wakeup(&self) -> &tokio::sync::Notify {
        &self.0.backchannel_wakeup
    }

    /// Starts this instance's back-channel logout sender (see `backchannel_sender`).
    pub fn spawn_backchannel_sender(&self) -> tokio::task::JoinHandle<()> {
        crate::backchannel_sender::spawn(self.clone())
    }

    /// The request, token, login and client authentication counters.
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    /// Client lock states recently read from the store (see `throttle`).
    pub fn recent_client_locks(&self) -> &RecentClientLocks {
        &self.0.recent_client_locks
    }

    /// Where brute-force failure counters are kept: Redis when configured, else the store.
    pub fn throttle_store(&self) -> &dyn ThrottleStore {
        match &self.0.throttle_store {
            Some(redis) => redis.as_ref(),
            None => self.store(),
        }
    }

    /// What the CLI and the server share (configuration, store, secret box, clock).
    pub fn backend(&self) -> &Backend {
        &self.0.backend
    }

    /// The configuration.
    pub fn config(&self) -> &ProviderConfig {
        &self.0.backend.config
    }

    /// What this deployment supports; discovery is derived from it and enforcement reads it.
    pub fn capabilities(&self) -> &Capabilities {
        &self.0.capabilities
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        self.0.backend.store.as_ref()
    }

    /// A client registration, typed, through the short-lived cache (see [`ClientCache`]).
    pub async fn client(
        &self,
        client_id: &str,
    ) -> oxid_store::StoreResult<Option<std::sync::Arc<Client>>> {
        self.0.clients.get(self.store(), client_id).await
    }

    /// A client registered, or described by its metadata document when `client_id` is a URL
    /// and the feature is on (see `cimd`): what the authorization and token-like endpoints
    /// look clients up with.
    pub async fn find_client(
        &self,
        client_id: &str,
    ) -> Result<Option<std::sync::Arc<Client>>, crate::cimd::LookupError> {
        crate::cimd::find_client(self, client_id).await
    }

    /// Which metadata documents this instance holds fresh copies of.
    pub(crate) fn metadata_documents(&self) -> &MetadataDocuments {
        &self.0.metadata_documents
    }

    /// Forgets the cached registration of `client_id`, which changed or went away.
    pub fn forget_client(&self, client_id: &str) {
        self.0.clients.forget(client_id);
    }

    /// Forgets every cached registration (changes may have been missed).
    pub fn forget_all_clients(&self) {
        self.0.clients.clear();
    }

    /// The HTTP client for calls to clients (back-channel logout).
    pub fn http(&self) -> &reqwest::Client {
        &self.0.http
    }

    /// Fetches of URLs that clients name (`jwks_uri`), with the SSRF checks and limits.
    pub fn outbound(&self) -> &Outbound {
        &self.0.outbound
    }

    /// Clients' key sets fetched from their `jwks_uri`.
    pub fn client_keys(&self) -> &ClientKeys {
        &self.0.client_keys
    }

    /// Encryption of secrets at rest.
    pub fn secret_box(&self) -> &SecretBox {
        &self.0.backend.secret_box
    }

    /// The clock.
    pub fn clock(&self) -> &dyn Clock {
        self.0.backend.clock.as_ref()
    }

    /// The current time.
    pub fn now(&self) -> u64 {
        self.0.backend.clock.now()
    }

    /// Decrypts a compact JWE a client encrypted to one of our `use: enc` keys (an encrypted
    /// request object, OIDC Core §6.1, RFC 9101 §6.1) with the current key ring: the
    /// plaintext, which the caller still verifies as the JWT it should be.
    pub fn jwe_decrypt_with_our_keys(
        &self,
        compact: &str,
    ) -> Result<Vec<u8>, crate::crypto::JweError> {
        crate::crypto::jwe_decrypt_with_our_keys(&self.keys(), compact)
    }

    /// The current key ring snapshot.
    pub fn keys(&self) -> Arc<KeyRing> {
        match self.0.keys.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The page renderer.
    pub fn pages(&self) -> &Pages {
        &self.0.pages
    }

    /// `/.well-known/openid-configuration`, serialized once.
    pub fn openid_configuration(&self) -> Bytes {
        self.0.openid_configuration.clone()
    }

    /// `/.well-known/oauth-authorization-server`, serialized once.
    pub fn oauth_metadata(&self) -> Bytes {
        self.0.oauth_metadata.clone()
    }

    /// Performs due key rotations and reloads the ring from the store, so that every instance
    /// sharing the database converges on the same keys.
    pub async fn refresh_keys(&self) -> Result<(), StartError> {
        self.0.backend.ensure_keys().await?;
        self.reload_keys().await
    }

    /// Reloads the key ring from the store (another instance rotated, or time passed).
    pub async fn reload_keys(&self) -> Result<(), StartError> {
        let Some(ring) = self.0.backend.reload_keyring(&self.keys()).await? else {
            return Ok(());
        };
        let ring = Arc::new(ring);
        match self.0.keys.write() {
            Ok(mut guard) => *guard = ring,
            Err(poisoned) => *poisoned.into_inner() = ring,
        }
        Ok(())
    }

    /// Rotates keys now and reloads the ring.
    pub async fn rotate_keys(&self) -> Result<(), StartError> {
        self.0.backend.rotate_keys().await?;
        self.refresh_keys().await
    }

    /// Every `period`: key rotation and reload, and purging of expired codes, tokens and
    /// sessions by one instance at a time (the `sweep` lease in the store: whoever holds it
    /// sweeps; it outlives one period, so a dead holder is replaced within two).
    pub fn spawn_maintenance(&self, period: Duration) {
        let provider = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(period);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                if let Err(e) = provider.refresh_keys().await {
                    tracing::error!(error = %e, "key maintenance failed");
                }
                provider.sweep_if_leased(period).await;
            }
        });
    }

    /// Sweeps (`sweep`: expired sessions ended with their logouts, finished deliveries past
    /// their retention and other expired rows purged) when this instance holds (or takes) the
    /// sweep lease for the next `period` and a half; true when it swept.
    pub async fn sweep_if_leased(&self, period: Duration) -> bool {
        let now = self.now();
        let until = now.saturating_add(period.as_secs().saturating_mul(3) / 2 + 1);
        match self
            .store()
            .acquire_lease(SWEEP_LEASE, self.instance_id(), now, until)
            .await
        {
            Ok(true) => {}
            Ok(false) => return false,
            Err(e) => {
                tracing::error!(error = %e, "taking the sweep lease failed");
                return false;
            }
        }
        crate::sweep::sweep(self, now).await;
        true
    }
}

/// The lease of the expired-row sweep (Issue 13: one instance at a time).
const SWEEP_LEASE: &str = "sweep";

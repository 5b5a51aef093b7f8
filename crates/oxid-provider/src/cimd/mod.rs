//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document-01, what MCP
//! clients use): when `client_id_metadata_documents` is on, a `client_id` that is an https
//! URL and not a registered client names a JSON document holding the client's metadata. It
//! is fetched through [`Outbound`](crate::outbound::Outbound) (SSRF checks, no redirects,
//! size and time limits), checked as a registration is, and kept as a client row marked
//! [`MARKER`] (the codes, tokens and consents of the client refer to that row). Each
//! instance fetches it again once its lifetime here ends (`Cache-Control: max-age` within
//! `[metadata_documents]` bounds, §4.4); a failed fetch is never kept (§4.4), and the request
//! fails (§4.3): the error page at `/authorize`, `invalid_client` at the token endpoint.

mod client_id;
mod document;
mod settings;
#[cfg(test)]
mod tests;

use oxid_store::{ClientRecord, StoreError};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::client::Client;
use crate::client_metadata::{MetadataError, ValidatedClient};
use crate::error::OAuthError;
use crate::outbound::FetchError;
use crate::state::Provider;

pub use client_id::{document_url, is_url};
pub use document::read_document;
pub use settings::MetadataDocumentSettings;

/// The member of [`ClientRecord::metadata`] that marks a client read from its metadata
/// document (fetched again when stale), as opposed to one an operator registered.
pub const MARKER: &str = "client_id_metadata_document";

/// `Accept` of a document fetch.
const ACCEPT: &str = "application/json";

/// Beyond this many documents the freshness table starts over, so it cannot grow without
/// bound (every document is then fetched again once).
const MAX_ENTRIES: usize = 10_000;

/// Why a `client_id` URL gives no usable client; the text is safe to show the client and
/// the user (it is the `error_description`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// The `client_id` is not a URL a document may be fetched from (§3).
    #[error("the client_id URL {0} (draft-ietf-oauth-client-id-metadata-document §3)")]
    ClientId(String),
    /// The fetch failed (§4.3).
    #[error("the client's metadata document could not be fetched: {0}")]
    Fetch(#[from] FetchError),
    /// Not served as JSON (§4.1).
    #[error("the client's metadata document is not served as JSON (Content-Type: {0})")]
    ContentType(String),
    /// Not a JSON object.
    #[error("the client's metadata document is not a JSON object: {0}")]
    NotJson(String),
    /// Its `client_id` is not the URL it was fetched from (§4.1).
    #[error(
        "the client's metadata document names client_id {0:?}, not the URL it was fetched from \
         (draft §4.1)"
    )]
    ClientIdMismatch(String),
    /// Its metadata breaks a rule of the draft or of registration.
    #[error("the client's metadata document is refused: {0}")]
    Metadata(MetadataError),
}

/// Why no client could be had for a `client_id`.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The client's metadata document cannot be used.
    #[error(transparent)]
    Document(#[from] DocumentError),
}

impl From<LookupError> for OAuthError {
    /// RFC 6749 §5.2: a client whose document cannot be used is not authenticated.
    fn from(e: LookupError) -> Self {
        match e {
            LookupError::Store(e) => e.into(),
            LookupError::Document(e) => OAuthError::invalid_client(e.to_string()),
        }
    }
}

/// Until when (provider seconds) each document read by this instance is used without
/// fetching it again.
#[derive(Default)]
pub struct MetadataDocuments {
    fresh_until: Mutex<HashMap<String, u64>>,
    /// One fetch of a document at a time: concurrent requests for a stale one wait for the
    /// fetch under way and use its result, so a burst is one fetch at the client's server.
    fetching: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl MetadataDocuments {
    /// The lock held while `client_id`'s document is fetched.
    fn fetch_lock(&self, client_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = match self.fetching.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        // Locks no one holds or waits for are dropped, so the table stays small.
        locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        locks.entry(client_id.to_string()).or_default().clone()
    }

    fn is_fresh(&self, client_id: &str, now: u64) -> bool {
        self.table()
            .get(client_id)
            .is_some_and(|until| now < *until)
    }

    fn remember(&self, client_id: &str, until: u64) {
        let mut table = self.table();
        if table.len() >= MAX_ENTRIES {
            table.clear();
        }
        table.insert(client_id.to_string(), until);
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<String, u64>> {
        match self.fresh_until.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// Whether `record` was read from a metadata document (see [`MARKER`]).
pub fn is_document_client(record: &ClientRecord) -> bool {
    record.metadata.get(MARKER) == Some(&Value::Bool(true))
}

/// What the pages show beside a document client's name (draft §6.3: "SHOULD display the
/// hostname of the client_id"): the host of its `client_id`, with its port if any.
pub fn display_host(record: &ClientRecord) -> Option<String> {
    if !is_document_client(record) {
        return None;
    }
    let url = url::Url::parse(&record.client_id).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

/// Whether `client_id` may name a metadata document here: the feature is on and it is a URL.
pub fn applies(provider: &Provider, client_id: &str) -> bool {
    provider
        .capabilities()
        .features
        .client_id_metadata_documents
        && is_url(client_id)
}

/// The client `client_id`: a registered one, or, when the feature is on and `client_id` is
/// a URL, the one its metadata document describes (fetched when this instance has no fresh
/// copy). `None` when there is no such client.
pub async fn find_client(
    provider: &Provider,
    client_id: &str,
) -> Result<Option<std::sync::Arc<Client>>, LookupError> {
    let known = provider.client(client_id).await?;
    if !applies(provider, client_id) {
        return Ok(known);
    }
    let now = provider.now();
    match &known {
        // Registered by an operator under its URL (§6.10): used as registered.
        Some(client) if !is_document_client(client.record()) => return Ok(known),
        Some(_) if provider.metadata_documents().is_fresh(client_id, now) => return Ok(known),
        _ => {}
    }
    let config = provider.config();
    let url = document_url(client_id, config.outbound.allow_private_addresses)?;
    let lock = provider.metadata_documents().fetch_lock(client_id);
    let _fetching = lock.lock().await;
    if provider.metadata_documents().is_fresh(client_id, now) {
        // Fetched by the request this one waited for.
        return Ok(provider.client(client_id).await?);
    }
    let settings = &config.metadata_documents;
    let fetched = provider
        .outbound()
        .get_document(url.as_str(), ACCEPT, settings.max_bytes)
        .await
        .map_err(DocumentError::Fetch)?;
    let validated = read_document(client_id, &fetched, provider.capabilities())?;
    let client = save(provider, client_id, &validated, now).await?;
    if is_document_client(client.record()) {
        let lifetime = settings.lifetime(fetched.cache_control.as_deref());
        let until = now.saturating_add(lifetime);
        provider.metadata_documents().remember(client_id, until);
    }
    Ok(Some(std::sync::Arc::new(client)))
}

/// Stores the client a document describes (a write only when it changed), unless an
/// operator registered `client_id` meanwhile, whose registration then stands.
async fn save(
    provider: &Provider,
    client_id: &str,
    validated: &ValidatedClient,
    now: u64,
) -> Result<Client, StoreError> {
    let store = provider.store();
    let typed = |record: ClientRecord| {
        Client::from_record(record).map_err(|e| StoreError::Backend(e.to_string()))
    };
    let stored = store.get_client(client_id).await?;
    if let Some(registered) = stored.clone().filter(|s| !is_document_client(s)) {
        return typed(registered);
    }
    let created_at = stored.as_ref().map_or(now, |s| s.created_at);
    let mut record = validated.to_record(client_id, false, created_at);
    if let Value::Object(members) = &mut record.metadata {
        members.insert(MARKER.into(), Value::Bool(true));
    }
    if stored.as_ref() == Some(&record) {
        return typed(record);
    }
    let written = match stored {
        Some(_) => store.update_client(&record).await?,
        None => match store.insert_client(&record).await {
            Ok(()) => true,
            // Another request or instance stored it first: that row is read again below.
            Err(StoreError::Conflict(_)) => false,
            Err(e) => return Err(e),
        },
    };
    provider.forget_client(client_id);
    if !written {
        let now_stored = store.get_client(client_id).await?;
        match now_stored {
            Some(current) if !is_document_client(&current) => return typed(current),
            Some(_) => {
                store.update_client(&record).await?;
                provider.forget_client(client_id);
            }
            // Removed meanwhile: the next request starts over.
            None => return Err(StoreError::MissingReference(client_id.to_string())),
        }
    }
    typed(record)
}

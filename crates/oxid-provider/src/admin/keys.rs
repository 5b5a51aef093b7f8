//! Signing keys as operators handle them (`oxid keys`, `/admin/v1/keys`): listed with their
//! ages and states, rotated now, or one retired (`crypto::retirement`). Rotation and
//! retirement are compare-and-sets under the store's rotation lease, so instances acting at
//! once cannot publish two next keys; the instance that lost is told `Busy`.

use oxid_store::{KeyRecord, StoreError};

use super::AdminError;
use super::views::{KeyView, key_view};
use crate::backend::Backend;
use crate::crypto::CryptoError;
use crate::crypto::retirement::{Retirement, retire_key as retire};

fn admin_error(e: CryptoError) -> AdminError {
    match e {
        CryptoError::RotationBusy => AdminError::Busy(e.to_string()),
        CryptoError::Store(e) => AdminError::Store(e),
        // A fault of ours (key generation, encryption): a 500 whose detail is logged only.
        e => AdminError::Store(StoreError::Backend(e.to_string())),
    }
}

/// The published keys (next, current, retired until they expire), oldest first, with
/// their ages at `now`.
pub async fn list_keys(backend: &Backend) -> Result<Vec<KeyView>, AdminError> {
    let now = backend.now();
    let keys = backend.store.list_keys(now).await?;
    Ok(keys.iter().map(|k| key_view(k, now)).collect())
}

/// Rotates every algorithm now: the next key signs, the current one retires, a new next
/// key is published.
pub async fn rotate_keys(backend: &Backend) -> Result<(), AdminError> {
    backend.rotate_keys().await.map_err(admin_error)?;
    Ok(())
}

/// Retires key `kid`: it stops signing at once and leaves the JWKS once what it signed has
/// expired, or at once with `force`.
pub async fn retire_key(
    backend: &Backend,
    kid: &str,
    force: bool,
) -> Result<KeyRecord, AdminError> {
    let policy = backend.rotation_policy();
    let outcome = retire(
        backend.store.as_ref(),
        &backend.secret_box,
        &policy,
        kid,
        force,
        backend.now(),
    )
    .await
    .map_err(admin_error)?;
    match outcome {
        Retirement::Retired(key) => Ok(key),
        Retirement::Unknown => Err(AdminError::NotFound(format!("no published key {kid:?}"))),
    }
}

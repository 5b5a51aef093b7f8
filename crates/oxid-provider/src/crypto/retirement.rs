//! Retiring one signing key on an operator's word (`oxid keys retire`, `POST
//! /admin/v1/keys/{kid}/retire`), for a key that must stop signing before its turn: it stops
//! signing at once and stays in the JWKS until everything it signed has expired (the
//! policy's `retain_after`), or, with `force` (a compromised key), leaves the JWKS at once,
//! so that tokens it signed no longer verify. The algorithm keeps a signer: a retired
//! current key is replaced by the next one (or a new one), and a new next key is published.
//! One compare-and-set under the rotation lease, as rotation is.

use oxid_store::{KeyChangeSet, KeyRecord, KeyState, KeyUpdate, Store};

use super::rotation::{RotationLease, RotationPolicy, change_set, plan};
use super::secrets::SecretBox;
use super::{CryptoError, Result};

/// What retiring asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retirement {
    /// The key was retired (or its retirement brought forward); its record now.
    Retired(KeyRecord),
    /// No published key has this kid.
    Unknown,
}

/// Retires key `kid` at `now` (see the module's text).
pub async fn retire_key(
    store: &dyn Store,
    secret_box: &SecretBox,
    policy: &RotationPolicy,
    kid: &str,
    force: bool,
    now: u64,
) -> Result<Retirement> {
    let Some(lease) = RotationLease::take(store, now).await? else {
        return Err(CryptoError::RotationBusy);
    };
    let outcome = retire_under_lease(store, secret_box, policy, kid, force, now).await;
    lease.release(store).await;
    outcome
}

async fn retire_under_lease(
    store: &dyn Store,
    secret_box: &SecretBox,
    policy: &RotationPolicy,
    kid: &str,
    force: bool,
    now: u64,
) -> Result<Retirement> {
    let records = store.list_keys(now).await?;
    let Some(before) = records.iter().find(|r| r.kid == kid) else {
        return Ok(Retirement::Unknown);
    };
    let mut retired = before.clone();
    retired.state = KeyState::Retired;
    retired.retired_at = Some(before.retired_at.unwrap_or(now));
    let expires_at = if force {
        now
    } else {
        now.saturating_add(policy.retain_after)
    };
    // Retiring again never keeps a key published longer than it already was.
    retired.expires_at = Some(before.expires_at.map_or(expires_at, |e| e.min(expires_at)));
    // What the keys look like once it is retired, and what then keeps the algorithm whole
    // (a next key promoted or made, a new next key published).
    let after: Vec<KeyRecord> = records
        .iter()
        .map(|r| {
            if r.kid == kid {
                retired.clone()
            } else {
                r.clone()
            }
        })
        .collect();
    let follow_up = plan(&after, policy, now, false);
    let mut set: KeyChangeSet = change_set(&after, &follow_up, secret_box, now).await?;
    set.updates.insert(
        0,
        KeyUpdate {
            expected: before.state,
            key: retired.clone(),
        },
    );
    if !store.apply_key_changes(&set).await? {
        return Err(CryptoError::RotationBusy);
    }
    tracing::info!(kid, force, changes = ?follow_up, "signing key retired by an operator");
    Ok(Retirement::Retired(retired))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::KeyRing;
    use crate::crypto::jws::SigningAlg;
    use crate::crypto::rotation::ensure_keys;

    const T0: u64 = 1_700_000_000;

    fn policy() -> RotationPolicy {
        RotationPolicy {
            algs: vec![SigningAlg::EdDSA],
            ..RotationPolicy::default()
        }
    }

    async fn store_with_keys() -> (std::sync::Arc<dyn Store>, SecretBox) {
        let store = oxid_store::open("sqlite::memory:").await.unwrap();
        let sb = SecretBox::new([5u8; 32]);
        ensure_keys(store.as_ref(), &sb, &policy(), T0)
            .await
            .unwrap();
        (store, sb)
    }

    fn in_state(records: &[KeyRecord], state: KeyState) -> Vec<String> {
        records
            .iter()
            .filter(|r| r.state == state)
            .map(|r| r.kid.clone())
            .collect()
    }

    #[tokio::test]
    async fn a_retired_current_key_stops_signing_and_stays_published_until_its_tokens_expire() {
        let (store, sb) = store_with_keys().await;
        let keys = store.list_keys(T0).await.unwrap();
        let (current, next) = (
            in_state(&keys, KeyState::Current),
            in_state(&keys, KeyState::Next),
        );
        let outcome = retire_key(store.as_ref(), &sb, &policy(), &current[0], false, T0 + 5)
            .await
            .unwrap();
        let Retirement::Retired(retired) = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(retired.expires_at, Some(T0 + 5 + policy().retain_after));
        let keys = store.list_keys(T0 + 5).await.unwrap();
        assert_eq!(
            in_state(&keys, KeyState::Current),
            next,
            "the next key signs"
        );
        assert_eq!(in_state(&keys, KeyState::Next).len(), 1, "a new next key");
        let ring = KeyRing::load(store.as_ref(), &sb, T0 + 5).await.unwrap();
        assert_eq!(ring.signer(SigningAlg::EdDSA).unwrap().kid(), next[0]);
        assert!(
            ring.key(&current[0]).is_some(),
            "still verifies what it signed"
        );
        let later = T0 + 5 + policy().retain_after;
        let ring = KeyRing::load(store.as_ref(), &sb, later).await.unwrap();
        assert!(
            ring.key(&current[0]).is_none(),
            "gone once its tokens expired"
        );
    }

    #[tokio::test]
    async fn a_forced_retirement_leaves_the_jwks_at_once_and_unknown_kids_are_reported() {
        let (store, sb) = store_with_keys().await;
        let keys = store.list_keys(T0).await.unwrap();
        let next = in_state(&keys, KeyState::Next);
        let outcome = retire_key(store.as_ref(), &sb, &policy(), &next[0], true, T0 + 5)
            .await
            .unwrap();
        assert!(matches!(outcome, Retirement::Retired(_)), "{outcome:?}");
        let keys = store.list_keys(T0 + 5).await.unwrap();
        assert!(keys.iter().all(|k| k.kid != next[0]), "unpublished at once");
        assert_eq!(in_state(&keys, KeyState::Next).len(), 1, "a new next key");
        assert_eq!(in_state(&keys, KeyState::Current).len(), 1);
        let unknown = retire_key(store.as_ref(), &sb, &policy(), &next[0], true, T0 + 6)
            .await
            .unwrap();
        assert_eq!(unknown, Retirement::Unknown);
    }
}

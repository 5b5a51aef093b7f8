//! Signing keys.

use super::fixtures::*;
use oxid_store::{KeyState, Store, StoreError};
use std::sync::Arc;

pub async fn key_round_trips_and_kid_is_unique(s: Arc<dyn Store>) {
    assert_eq!(s.list_keys(NOW).await.unwrap(), vec![]);
    let mut k = key("k1", KeyState::Current, NOW);
    (k.activated_at, k.expires_at) = (Some(NOW + 1), Some(NOW + 500));
    s.insert_key(&k).await.unwrap();
    let err = s
        .insert_key(&key("k1", KeyState::Next, NOW + 1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(s.list_keys(NOW).await.unwrap(), vec![k]);
}

pub async fn list_keys_is_oldest_first_and_drops_expired_keys(s: Arc<dyn Store>) {
    let newest = key("k-new", KeyState::Next, NOW + 20);
    let current = key("k-cur", KeyState::Current, NOW + 10);
    let mut retired = key("k-old", KeyState::Retired, NOW);
    (retired.retired_at, retired.expires_at) = (Some(NOW + 10), Some(NOW + 100));
    for k in [&newest, &retired, &current] {
        s.insert_key(k).await.unwrap();
    }
    let all = vec![retired.clone(), current.clone(), newest.clone()];
    assert_eq!(s.list_keys(NOW + 99).await.unwrap(), all);
    assert_eq!(s.list_keys(NOW + 100).await.unwrap(), vec![current, newest]);
}

pub async fn update_key_changes_state_and_times(s: Arc<dyn Store>) {
    let k = key("k1", KeyState::Next, NOW);
    s.insert_key(&k).await.unwrap();
    let mut current = k.clone();
    (current.state, current.activated_at) = (KeyState::Current, Some(NOW + 60));
    assert!(s.update_key(&current).await.unwrap());
    assert_eq!(s.list_keys(NOW).await.unwrap(), vec![current.clone()]);
    let mut retired = current;
    retired.state = KeyState::Retired;
    (retired.retired_at, retired.expires_at) = (Some(NOW + 90), Some(NOW + 120));
    assert!(s.update_key(&retired).await.unwrap());
    assert_eq!(s.list_keys(NOW + 119).await.unwrap(), vec![retired]);
    assert_eq!(s.list_keys(NOW + 120).await.unwrap(), vec![]);
    assert!(!s.update_key(&key("k2", KeyState::Next, NOW)).await.unwrap());
}

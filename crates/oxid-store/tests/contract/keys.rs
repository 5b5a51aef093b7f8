//! Signing keys.

use super::fixtures::*;
use oxid_store::{KeyChangeSet, KeyState, KeyUpdate, Store, StoreChange, StoreError};
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

/// Issue 13: the database holds at most one current and one next key per algorithm, so no
/// number of instances writing at once can publish two.
pub async fn keys_hold_one_current_and_one_next_per_alg(s: Arc<dyn Store>) {
    s.insert_key(&key("cur", KeyState::Current, NOW))
        .await
        .unwrap();
    s.insert_key(&key("next", KeyState::Next, NOW))
        .await
        .unwrap();
    for (kid, state) in [("cur-2", KeyState::Current), ("next-2", KeyState::Next)] {
        let err = s.insert_key(&key(kid, state, NOW)).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{kid}: {err:?}");
    }
    let mut other_alg = key("ed-next", KeyState::Next, NOW);
    other_alg.alg = "EdDSA".into();
    s.insert_key(&other_alg).await.unwrap();
    s.insert_key(&key("old", KeyState::Retired, NOW))
        .await
        .unwrap();
    s.insert_key(&key("old-2", KeyState::Retired, NOW))
        .await
        .unwrap();
    let mut promoted = key("next", KeyState::Current, NOW);
    promoted.activated_at = Some(NOW + 1);
    let err = s.update_key(&promoted).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(s.list_keys(NOW).await.unwrap().len(), 5);
}

/// The promotion of `next` over `cur` with a new next key `new`, as one rotation step.
fn promotion(cur: &str, next: &str, new: &str) -> KeyChangeSet {
    let mut retired = key(cur, KeyState::Retired, NOW);
    (retired.retired_at, retired.expires_at) = (Some(NOW + 10), Some(NOW + 100));
    let mut current = key(next, KeyState::Current, NOW);
    current.activated_at = Some(NOW + 10);
    KeyChangeSet {
        // Listed promotion first: the store orders retirements before it.
        updates: vec![
            KeyUpdate {
                expected: KeyState::Next,
                key: current,
            },
            KeyUpdate {
                expected: KeyState::Current,
                key: retired,
            },
        ],
        inserts: vec![key(new, KeyState::Next, NOW + 10)],
    }
}

pub async fn apply_key_changes_is_a_compare_and_set(s: Arc<dyn Store>) {
    s.insert_key(&key("cur", KeyState::Current, NOW))
        .await
        .unwrap();
    s.insert_key(&key("next", KeyState::Next, NOW))
        .await
        .unwrap();
    let before = s.list_keys(NOW).await.unwrap();
    // Expects `cur` to be next: stale, so nothing at all is applied.
    let mut stale = promotion("cur", "next", "new");
    stale.updates[1].expected = KeyState::Next;
    assert!(!s.apply_key_changes(&stale).await.unwrap());
    assert_eq!(s.list_keys(NOW).await.unwrap(), before);
    // A new next key while one is published: refused, and the updates with it.
    let mut second_next = promotion("cur", "next", "new");
    second_next.updates.clear();
    assert!(!s.apply_key_changes(&second_next).await.unwrap());
    assert_eq!(s.list_keys(NOW).await.unwrap(), before);

    assert!(
        s.apply_key_changes(&promotion("cur", "next", "new"))
            .await
            .unwrap()
    );
    let states: Vec<(String, KeyState)> = s
        .list_keys(NOW)
        .await
        .unwrap()
        .into_iter()
        .map(|k| (k.kid, k.state))
        .collect();
    let expected = [
        ("cur", KeyState::Retired),
        ("next", KeyState::Current),
        ("new", KeyState::Next),
    ];
    assert_eq!(states, expected.map(|(k, st)| (k.to_string(), st)));
    // The same step again finds the keys moved on.
    assert!(
        !s.apply_key_changes(&promotion("cur", "next", "new-2"))
            .await
            .unwrap()
    );
    assert!(s.apply_key_changes(&KeyChangeSet::default()).await.unwrap());
}

pub async fn concurrent_rotations_publish_exactly_one_next_key(s: Arc<dyn Store>) {
    s.insert_key(&key("cur", KeyState::Current, NOW))
        .await
        .unwrap();
    s.insert_key(&key("next", KeyState::Next, NOW))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.apply_key_changes(&promotion("cur", "next", &format!("new-{i}")))
                .await
                .unwrap()
        }));
    }
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap());
    }
    assert_eq!(winners, 1);
    let keys = s.list_keys(NOW).await.unwrap();
    let count = |state| keys.iter().filter(|k| k.state == state).count();
    assert_eq!((count(KeyState::Current), count(KeyState::Next)), (1, 1));
    assert_eq!(keys.len(), 3, "{keys:?}");
}

pub async fn rotation_lease_has_one_holder_until_released_or_expired(s: Arc<dyn Store>) {
    let mut tasks = Vec::new();
    for i in 0..50 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let holder = format!("h{i}");
            s.acquire_rotation_lease(&holder, NOW, NOW + 60)
                .await
                .unwrap()
                .then_some(holder)
        }));
    }
    let mut holders = Vec::new();
    for task in tasks {
        holders.extend(task.await.unwrap());
    }
    assert_eq!(holders.len(), 1, "{holders:?}");
    let holder = &holders[0];
    assert!(
        s.acquire_rotation_lease(holder, NOW + 1, NOW + 61)
            .await
            .unwrap()
    );
    assert!(
        !s.acquire_rotation_lease("other", NOW + 60, NOW + 120)
            .await
            .unwrap()
    );
    assert!(
        s.acquire_rotation_lease("other", NOW + 61, NOW + 121)
            .await
            .unwrap(),
        "expired"
    );
    s.release_rotation_lease(holder).await.unwrap();
    assert!(
        !s.acquire_rotation_lease(holder, NOW + 62, NOW + 122)
            .await
            .unwrap()
    );
    s.release_rotation_lease("other").await.unwrap();
    assert!(
        s.acquire_rotation_lease(holder, NOW + 62, NOW + 122)
            .await
            .unwrap()
    );
}

/// Issue 13: caches hear of changed clients and keys (on PostgreSQL from every instance).
pub async fn client_and_key_changes_are_announced(s: Arc<dyn Store>) {
    seed(&*s).await;
    let mut changes = s.subscribe_changes();
    let next = async |changes: &mut tokio::sync::broadcast::Receiver<StoreChange>| {
        let wait = std::time::Duration::from_secs(5);
        tokio::time::timeout(wait, changes.recv())
            .await
            .unwrap()
            .unwrap()
    };
    let mut c1 = client("c1");
    c1.client_name = Some("renamed".into());
    assert!(s.update_client(&c1).await.unwrap());
    assert_eq!(next(&mut changes).await, StoreChange::Client("c1".into()));
    assert!(s.delete_client("c2").await.unwrap());
    assert_eq!(next(&mut changes).await, StoreChange::Client("c2".into()));
    assert!(!s.delete_client("c2").await.unwrap(), "nothing to announce");
    s.insert_key(&key("k", KeyState::Next, NOW)).await.unwrap();
    assert_eq!(next(&mut changes).await, StoreChange::Keys);
    let mut retire = promotion("none", "k", "k2");
    retire.updates.remove(1);
    retire.inserts.clear();
    assert!(s.apply_key_changes(&retire).await.unwrap());
    assert_eq!(next(&mut changes).await, StoreChange::Keys);
    assert!(changes.try_recv().is_err(), "one announcement per change");
}

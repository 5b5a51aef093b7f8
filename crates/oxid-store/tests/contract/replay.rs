//! Assertion ids seen (RFC 7523 §3 `jti`): each is accepted once until it expires.

use super::fixtures::*;
use oxid_store::Store;
use std::sync::Arc;

pub async fn assertion_id_is_first_seen_once_until_purged(s: Arc<dyn Store>) {
    assert!(s.remember_jti("app:j-1", NOW + 10).await.unwrap());
    assert!(
        !s.remember_jti("app:j-1", NOW + 10).await.unwrap(),
        "a replay"
    );
    assert!(
        !s.remember_jti("app:j-1", NOW + 99).await.unwrap(),
        "a replay with a later expiry"
    );
    assert!(
        s.remember_jti("other:j-1", NOW + 10).await.unwrap(),
        "keys are distinct"
    );
    assert_eq!(
        s.purge_expired(NOW + 9).await.unwrap(),
        0,
        "not yet expired"
    );
    assert!(!s.remember_jti("app:j-1", NOW + 10).await.unwrap());
    assert_eq!(s.purge_expired(NOW + 10).await.unwrap(), 2);
    assert!(s.remember_jti("app:j-1", NOW + 20).await.unwrap(), "purged");
}

pub async fn concurrent_remembers_of_one_assertion_id_have_one_winner(s: Arc<dyn Store>) {
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.remember_jti("app:race", NOW + 60).await.unwrap() })
        })
        .collect();
    let mut firsts = 0;
    for task in tasks {
        firsts += usize::from(task.await.unwrap());
    }
    assert_eq!(firsts, 1);
}

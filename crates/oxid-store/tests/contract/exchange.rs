//! What the JWT bearer and token exchange grants read and keep: users found by their email
//! claim (a trusted issuer's `subject_mapping`, RFC 7523 §3), and the grants minted by token
//! exchange with their audiences and `act` claim (RFC 8693 §2.2.1, §4.1).

use super::fixtures::*;
use oxid_store::{ExchangedGrantRecord, Store, StoreError};
use serde_json::json;
use std::sync::Arc;

pub async fn users_are_found_by_email_at_most_two(s: Arc<dyn Store>) {
    s.insert_user(&user("u1", "alice")).await.unwrap();
    s.insert_user(&user("u2", "bob")).await.unwrap();
    let found = s.find_users_by_email("alice@example.com").await.unwrap();
    assert_eq!(found, vec![user("u1", "alice")]);
    assert!(
        s.find_users_by_email("nobody@example.com")
            .await
            .unwrap()
            .is_empty()
    );
    // Case is folded (providers treat addresses so; two users whose addresses differ only
    // by case are then both found, an ambiguous match the caller refuses); no pattern.
    let found = s.find_users_by_email("ALICE@Example.com").await.unwrap();
    assert_eq!(found, vec![user("u1", "alice")]);
    assert!(
        s.find_users_by_email("%@example.com")
            .await
            .unwrap()
            .is_empty()
    );
    // Email is not unique: the caller sees two and can refuse an ambiguous match.
    let mut twin = user("u3", "alice2");
    twin.claims = json!({"email": "alice@example.com"});
    s.insert_user(&twin).await.unwrap();
    s.insert_user(&{
        let mut third = user("u4", "alice3");
        third.claims = json!({"email": "alice@example.com"});
        third
    })
    .await
    .unwrap();
    let found = s.find_users_by_email("alice@example.com").await.unwrap();
    assert_eq!(found.len(), 2, "at most two are returned");
}

pub async fn exchanged_grant_round_trips_once_until_purged(s: Arc<dyn Store>) {
    let grant = ExchangedGrantRecord {
        grant_id: "g-x".into(),
        audiences: vec!["https://api.example.com".into(), "urn:b".into()],
        act: Some(json!({"sub": "svc", "act": {"sub": "earlier"}})),
        expires_at: NOW + 60,
    };
    s.insert_exchanged_grant(&grant).await.unwrap();
    assert_eq!(
        s.get_exchanged_grant("g-x").await.unwrap(),
        Some(grant.clone())
    );
    assert!(matches!(
        s.insert_exchanged_grant(&grant).await,
        Err(StoreError::Conflict(_))
    ));
    let plain = ExchangedGrantRecord {
        grant_id: "g-y".into(),
        audiences: Vec::new(),
        act: None,
        expires_at: NOW + 120,
    };
    s.insert_exchanged_grant(&plain).await.unwrap();
    assert_eq!(s.get_exchanged_grant("g-y").await.unwrap(), Some(plain));
    assert_eq!(s.get_exchanged_grant("unknown").await.unwrap(), None);
    assert_eq!(s.purge_expired(NOW + 60).await.unwrap(), 1);
    assert_eq!(s.get_exchanged_grant("g-x").await.unwrap(), None);
    assert!(s.get_exchanged_grant("g-y").await.unwrap().is_some());
}

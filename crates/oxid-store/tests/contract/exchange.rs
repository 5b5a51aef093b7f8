//! What the JWT bearer and token exchange grants read and keep: users found by their email
//! claim (a trusted issuer's `subject_mapping`, RFC 7523 §3), and the grants minted by token
//! exchange with their audiences and `act` claim (RFC 8693 §2.2.1, §4.1).

use super::fixtures::*;
use oxid_store::{ExchangedGrantRecord, Store, StoreError, TokenKind, TokenRecord, TokenView};
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

pub async fn a_token_view_holds_the_token_its_user_and_its_exchanged_grant(s: Arc<dyn Store>) {
    seed(&*s).await;
    let of_user = token("h-user", TokenKind::Access, "g-user", "c1", Some("u1"));
    let of_client = token("h-client", TokenKind::Access, "g-x", "c1", None);
    s.insert_token(&of_user).await.unwrap();
    s.insert_token(&of_client).await.unwrap();
    let grant = ExchangedGrantRecord {
        grant_id: "g-x".into(),
        audiences: vec!["urn:a".into()],
        act: Some(json!({"sub": "svc"})),
        expires_at: NOW + 60,
    };
    s.insert_exchanged_grant(&grant).await.unwrap();
    let alice = s.get_user("u1").await.unwrap();
    assert!(alice.is_some());
    let view = |token: &TokenRecord, user, exchanged_grant| {
        Some(TokenView {
            token: token.clone(),
            user,
            exchanged_grant,
        })
    };
    assert_eq!(
        s.get_token_view("h-user", true).await.unwrap(),
        view(&of_user, alice, None)
    );
    assert_eq!(
        s.get_token_view("h-client", true).await.unwrap(),
        view(&of_client, None, Some(grant))
    );
    // Not asked for, not read.
    assert_eq!(
        s.get_token_view("h-client", false).await.unwrap(),
        view(&of_client, None, None)
    );
    assert_eq!(s.get_token_view("unknown", true).await.unwrap(), None);
    // The token as it is now: a revocation shows at once.
    s.revoke_token("h-user", NOW + 1).await.unwrap();
    let revoked = s.get_token_view("h-user", false).await.unwrap().unwrap();
    assert_eq!(revoked.token.revoked_at, Some(NOW + 1));
}

//! The logout outbox and named leases (OIDC Back-Channel Logout 1.0 §2.7–2.8: a logout is
//! delivered, retried and given up, by one instance at a time).

use oxid_store::{
    DeliveryOutcome, DeliveryRecord, REVOKE_TOKENS_MEMBER, SessionKey, Store, TokenKind,
    TokenRecord,
};
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;

use super::fixtures::*;

const RACERS: usize = 50;
const GIVE_UP: u64 = NOW + 3600;

/// `u1`'s session `sid-1` (cookie hash `hash-1`) in which `c1` and `c2` (both with a
/// back-channel URI) and `p1` (public, none) received tokens.
async fn session_with_three_clients(s: &dyn Store) {
    seed(s).await;
    s.insert_client(&public_client("p1")).await.unwrap();
    s.insert_session(&session("hash-1", "sid-1", "u1", NOW + 600))
        .await
        .unwrap();
    for client in ["c1", "c2", "p1"] {
        s.add_session_client("sid-1", client).await.unwrap();
    }
}

/// `n` due deliveries: one session per delivery, each with client `c1`.
async fn due_deliveries(s: &dyn Store, n: usize) {
    seed(s).await;
    for i in 0..n {
        let sid = format!("sid-{i}");
        s.insert_session(&session(&format!("hash-{i}"), &sid, "u1", NOW + 600))
            .await
            .unwrap();
        s.add_session_client(&sid, "c1").await.unwrap();
        let ended = s.end_session(&SessionKey::Sid(sid), NOW, GIVE_UP).await;
        assert!(ended.unwrap().is_some());
    }
}

async fn claim(s: &dyn Store, holder: &str, now: u64) -> Vec<DeliveryRecord> {
    s.claim_deliveries(holder, now, now + 30, 10).await.unwrap()
}

pub async fn ending_a_session_queues_one_delivery_per_backchannel_client_once(s: Arc<dyn Store>) {
    session_with_three_clients(&*s).await;
    let key = SessionKey::IdHash("hash-1".into());
    let ended = s.end_session(&key, NOW, GIVE_UP).await.unwrap();
    assert_eq!(ended.map(|e| e.sid).as_deref(), Some("sid-1"));
    assert_eq!(s.get_session("hash-1", NOW).await.unwrap(), None);
    assert_eq!(s.pending_deliveries().await.unwrap(), 2, "p1 has no URI");
    // Ending it again (another instance, a second click) queues nothing more.
    assert_eq!(s.end_session(&key, NOW, GIVE_UP).await.unwrap(), None);
    let by_sid = SessionKey::Sid("sid-1".into());
    assert_eq!(s.end_session(&by_sid, NOW, GIVE_UP).await.unwrap(), None);
    assert_eq!(s.pending_deliveries().await.unwrap(), 2);

    let mut claimed = claim(&*s, "a", NOW).await;
    claimed.sort_by(|x, y| x.client_id.cmp(&y.client_id));
    let clients: Vec<_> = claimed.iter().map(|d| d.client_id.as_str()).collect();
    assert_eq!(clients, ["c1", "c2"]);
    for d in &claimed {
        assert_eq!((d.user_id.as_str(), d.sid.as_str()), ("u1", "sid-1"));
        assert_eq!((d.created_at, d.give_up_at, d.attempts), (NOW, GIVE_UP, 1));
        assert!(d.id.len() >= 30, "a random jti: {}", d.id);
    }
    assert_ne!(claimed[0].id, claimed[1].id);
}

pub async fn ending_a_session_revokes_its_tokens_for_clients_that_ask(s: Arc<dyn Store>) {
    session_with_three_clients(&*s).await;
    let mut asks = client("c1");
    asks.metadata = json!({ "contacts": [] });
    asks.metadata[REVOKE_TOKENS_MEMBER] = json!(true);
    assert!(s.update_client(&asks).await.unwrap());
    let in_session = |hash: &str, client: &str| -> TokenRecord {
        token(
            hash,
            TokenKind::Refresh,
            &format!("g-{hash}"),
            client,
            Some("u1"),
        )
    };
    let mut elsewhere = in_session("c1-other", "c1");
    elsewhere.sid = Some("sid-2".into());
    for t in [
        in_session("c1-rt", "c1"),
        in_session("c2-rt", "c2"),
        elsewhere,
    ] {
        s.insert_token(&t).await.unwrap();
    }
    let key = SessionKey::Sid("sid-1".into());
    assert!(
        s.end_session(&key, NOW + 5, GIVE_UP)
            .await
            .unwrap()
            .is_some()
    );
    let revoked_at = |hash: &'static str| {
        let s = s.clone();
        async move { s.get_token(hash).await.unwrap().unwrap().revoked_at }
    };
    assert_eq!(revoked_at("c1-rt").await, Some(NOW + 5), "c1 asked for it");
    assert_eq!(revoked_at("c2-rt").await, None, "c2 did not");
    assert_eq!(
        revoked_at("c1-other").await,
        None,
        "another session's token"
    );
}

pub async fn a_claimed_delivery_is_leased_until_its_lease_ends(s: Arc<dyn Store>) {
    due_deliveries(&*s, 1).await;
    let first = claim(&*s, "a", NOW).await;
    assert_eq!(first.len(), 1);
    assert!(claim(&*s, "b", NOW + 29).await.is_empty(), "a's lease runs");
    // a died: its lease ends and b takes over, with the same id (the token's jti).
    let second = claim(&*s, "b", NOW + 30).await;
    assert_eq!(second.len(), 1);
    assert_eq!(
        (second[0].id.as_str(), second[0].attempts),
        (first[0].id.as_str(), 2)
    );
    let id = &first[0].id;
    let late = s
        .finish_delivery(id, "a", DeliveryOutcome::Delivered, NOW + 31)
        .await;
    assert!(!late.unwrap(), "a's lease is over: b's outcome counts");
    assert_eq!(s.pending_deliveries().await.unwrap(), 1);
    let done = s
        .finish_delivery(id, "b", DeliveryOutcome::Delivered, NOW + 31)
        .await;
    assert!(done.unwrap());
    assert_eq!(s.pending_deliveries().await.unwrap(), 0);
    assert!(claim(&*s, "a", NOW + 100).await.is_empty());
}

pub async fn a_retry_waits_for_its_time_and_giving_up_removes_it(s: Arc<dyn Store>) {
    due_deliveries(&*s, 1).await;
    let id = claim(&*s, "a", NOW).await.remove(0).id;
    let retry = DeliveryOutcome::RetryAt(NOW + 4);
    assert!(s.finish_delivery(&id, "a", retry, NOW + 1).await.unwrap());
    assert!(
        claim(&*s, "a", NOW + 3).await.is_empty(),
        "backoff: not yet"
    );
    let again = claim(&*s, "b", NOW + 4).await;
    assert_eq!((again[0].id.as_str(), again[0].attempts), (id.as_str(), 2));
    assert_eq!(again[0].next_attempt_at, NOW + 4);
    let gave_up = s
        .finish_delivery(&id, "b", DeliveryOutcome::GivenUp, NOW + 5)
        .await;
    assert!(gave_up.unwrap());
    assert_eq!(s.pending_deliveries().await.unwrap(), 0);
}

pub async fn concurrent_claims_hand_each_delivery_to_one_holder(s: Arc<dyn Store>) {
    due_deliveries(&*s, 20).await;
    let tasks: Vec<_> = (0..RACERS)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                let holder = format!("instance-{i}");
                s.claim_deliveries(&holder, NOW, NOW + 30, 3).await
            })
        })
        .collect();
    let mut seen = HashSet::new();
    for t in tasks {
        for d in t.await.unwrap().unwrap() {
            assert!(seen.insert(d.id.clone()), "{} claimed twice", d.id);
            assert_eq!(d.attempts, 1);
        }
    }
    assert_eq!(seen.len(), 20, "every due delivery was claimed");
    assert!(claim(&*s, "late", NOW + 29).await.is_empty());
}

pub async fn a_lease_has_one_holder_until_it_ends(s: Arc<dyn Store>) {
    let take = |holder: &'static str, now: u64| {
        let s = s.clone();
        async move {
            s.acquire_lease("sweep", holder, now, now + 60)
                .await
                .unwrap()
        }
    };
    assert!(take("a", NOW).await);
    assert!(!take("b", NOW + 10).await, "a holds it");
    assert!(take("a", NOW + 10).await, "its holder renews it");
    assert!(!take("b", NOW + 69).await);
    assert!(take("b", NOW + 70).await, "a's lease ended");
    assert!(!take("a", NOW + 71).await);
    let tasks: Vec<_> = (0..RACERS)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                let holder = format!("racer-{i}");
                s.acquire_lease("other", &holder, NOW, NOW + 60).await
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap().unwrap());
    }
    assert_eq!(won, 1, "one holder among {RACERS} racers");
}

pub async fn a_live_session_is_renewed_and_an_expired_one_is_not(s: Arc<dyn Store>) {
    seed(&*s).await;
    s.insert_session(&session("hash-1", "sid-1", "u1", NOW + 600))
        .await
        .unwrap();
    assert!(s.renew_session("hash-1", NOW, NOW + 900).await.unwrap());
    let renewed = s.get_session("hash-1", NOW + 800).await.unwrap();
    assert_eq!(renewed.map(|r| r.expires_at), Some(NOW + 900));
    assert!(
        !s.renew_session("hash-1", NOW + 900, NOW + 2000)
            .await
            .unwrap(),
        "expired"
    );
    assert!(!s.renew_session("nope", NOW, NOW + 900).await.unwrap());
    assert_eq!(s.get_session("hash-1", NOW + 900).await.unwrap(), None);
}

//! The sweep's two outbox jobs (Issue 13): expired sessions end as a logout does (OIDC
//! Back-Channel Logout 1.0 §2.7: their clients are told; tokens revoked for clients that ask),
//! and finished deliveries are kept for a retention, then purged in chunks.

use oxid_store::{DeliveryOutcome, REVOKE_TOKENS_MEMBER, SessionKey, Store, TokenKind};
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;

use super::fixtures::*;

const GIVE_UP: u64 = NOW + 3600;

/// Session `sid-{i}` of `u1` expiring at `expires_at`, in which `c1` received tokens.
async fn session_of_c1(s: &dyn Store, i: usize, expires_at: u64) {
    let sid = format!("sid-{i}");
    s.insert_session(&session(&format!("hash-{i}"), &sid, "u1", expires_at))
        .await
        .unwrap();
    s.add_session_client(&sid, "c1").await.unwrap();
}

pub async fn expired_sessions_end_with_their_logouts_in_chunks_once(s: Arc<dyn Store>) {
    seed(&*s).await;
    // c1 asks for its tokens to be revoked with the session; c2 does not.
    let mut asks = client("c1");
    asks.metadata[REVOKE_TOKENS_MEMBER] = json!(true);
    assert!(s.update_client(&asks).await.unwrap());
    for i in 0..5 {
        session_of_c1(&*s, i, NOW - 10 + i as u64).await;
    }
    s.add_session_client("sid-0", "c2").await.unwrap();
    session_of_c1(&*s, 9, NOW + 1).await;
    let mut in_expired = token("rt-0", TokenKind::Refresh, "g0", "c1", Some("u1"));
    in_expired.sid = Some("sid-0".into());
    let mut c2_in_expired = token("rt-c2", TokenKind::Refresh, "g2", "c2", Some("u1"));
    c2_in_expired.sid = Some("sid-0".into());
    let mut in_live = token("rt-9", TokenKind::Refresh, "g9", "c1", Some("u1"));
    in_live.sid = Some("sid-9".into());
    for t in [&in_expired, &c2_in_expired, &in_live] {
        s.insert_token(t).await.unwrap();
    }

    // Oldest first, at most `limit` a call; fewer than the limit: none left.
    let first = s.end_expired_sessions(NOW, GIVE_UP, 3).await.unwrap();
    let sids: Vec<_> = first.iter().map(|e| e.sid.as_str()).collect();
    assert_eq!(sids, ["sid-0", "sid-1", "sid-2"]);
    let rest = s.end_expired_sessions(NOW, GIVE_UP, 3).await.unwrap();
    let sids: Vec<_> = rest.iter().map(|e| e.sid.as_str()).collect();
    assert_eq!(sids, ["sid-3", "sid-4"]);
    assert!(
        s.end_expired_sessions(NOW, GIVE_UP, 3)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.get_session("hash-9", NOW).await.unwrap().is_some(),
        "live"
    );

    // One delivery per back-channel client of each ended session, due now.
    assert_eq!(s.pending_deliveries().await.unwrap(), 6);
    let claimed = s.claim_deliveries("a", NOW, NOW + 30, 10).await.unwrap();
    assert_eq!(claimed.len(), 6);
    assert!(
        claimed
            .iter()
            .all(|d| d.give_up_at == GIVE_UP && d.user_id == "u1")
    );
    let of_sid0: HashSet<_> = claimed
        .iter()
        .filter(|d| d.sid == "sid-0")
        .map(|d| d.client_id.as_str())
        .collect();
    assert_eq!(of_sid0, HashSet::from(["c1", "c2"]));
    let revoked_at = |hash: &'static str| {
        let s = s.clone();
        async move { s.get_token(hash).await.unwrap().unwrap().revoked_at }
    };
    assert_eq!(revoked_at("rt-0").await, Some(NOW), "c1 asked for it");
    assert_eq!(revoked_at("rt-c2").await, None, "c2 did not");
    assert_eq!(revoked_at("rt-9").await, None, "a live session's token");
    // An ended session is not ended again, by the sweep or a logout.
    let key = SessionKey::Sid("sid-0".into());
    assert_eq!(s.end_session(&key, NOW, GIVE_UP).await.unwrap(), None);
    assert_eq!(s.pending_deliveries().await.unwrap(), 6);
}

pub async fn concurrent_sweeps_end_each_expired_session_once(s: Arc<dyn Store>) {
    seed(&*s).await;
    for i in 0..30 {
        session_of_c1(&*s, i, NOW - 1).await;
    }
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                if i % 2 == 0 {
                    // A logout racing the sweepers for one of the sessions.
                    let key = SessionKey::Sid(format!("sid-{i}"));
                    let ended = s.end_session(&key, NOW, GIVE_UP).await.unwrap();
                    ended.into_iter().collect::<Vec<_>>()
                } else {
                    let mut all = Vec::new();
                    loop {
                        let ended = s.end_expired_sessions(NOW, GIVE_UP, 4).await.unwrap();
                        if ended.is_empty() {
                            break all;
                        }
                        all.extend(ended);
                    }
                }
            })
        })
        .collect();
    let mut seen = HashSet::new();
    for t in tasks {
        for ended in t.await.unwrap() {
            assert!(seen.insert(ended.sid.clone()), "{} ended twice", ended.sid);
        }
    }
    assert_eq!(seen.len(), 30);
    assert_eq!(
        s.pending_deliveries().await.unwrap(),
        30,
        "one delivery each"
    );
}

pub async fn finished_deliveries_are_kept_then_purged_in_chunks(s: Arc<dyn Store>) {
    seed(&*s).await;
    for i in 0..5 {
        session_of_c1(&*s, i, NOW + 600).await;
        let key = SessionKey::Sid(format!("sid-{i}"));
        assert!(s.end_session(&key, NOW, GIVE_UP).await.unwrap().is_some());
    }
    let claimed = s.claim_deliveries("a", NOW, NOW + 30, 10).await.unwrap();
    assert_eq!(claimed.len(), 5);
    // Two delivered at NOW + 1, one given up at NOW + 2, one to retry, one still leased.
    for (d, outcome, at) in [
        (&claimed[0], DeliveryOutcome::Delivered, NOW + 1),
        (&claimed[1], DeliveryOutcome::Delivered, NOW + 1),
        (&claimed[2], DeliveryOutcome::GivenUp, NOW + 2),
        (&claimed[3], DeliveryOutcome::RetryAt(NOW + 5), NOW + 2),
    ] {
        assert!(s.finish_delivery(&d.id, "a", outcome, at).await.unwrap());
    }
    let twice = s.finish_delivery(&claimed[0].id, "a", DeliveryOutcome::Delivered, NOW + 3);
    assert!(
        !twice.await.unwrap(),
        "a finished delivery is finished once"
    );
    assert_eq!(
        s.pending_deliveries().await.unwrap(),
        2,
        "the finished are not pending"
    );
    let due = s
        .claim_deliveries("b", NOW + 100, NOW + 130, 10)
        .await
        .unwrap();
    let due: HashSet<_> = due.iter().map(|d| d.id.as_str()).collect();
    let expected = HashSet::from([claimed[3].id.as_str(), claimed[4].id.as_str()]);
    assert_eq!(due, expected, "a finished delivery is never claimed again");

    // Kept until the retention: only rows finished at or before `before` go, `limit` a call.
    assert_eq!(s.purge_finished_deliveries(NOW, 10).await.unwrap(), 0);
    assert_eq!(s.purge_finished_deliveries(NOW + 2, 1).await.unwrap(), 1);
    assert_eq!(s.purge_finished_deliveries(NOW + 2, 1).await.unwrap(), 1);
    assert_eq!(s.purge_finished_deliveries(NOW + 2, 5).await.unwrap(), 1);
    assert_eq!(s.purge_finished_deliveries(NOW + 1000, 5).await.unwrap(), 0);
    assert_eq!(
        s.pending_deliveries().await.unwrap(),
        2,
        "unfinished rows stay"
    );
}

//! Device authorization grants (RFC 8628): decided once, handed out once, slowed down,
//! expired, purged.

use super::fixtures::*;
use oxid_store::{
    DeviceApproval, DeviceDecision, DeviceGrantRecord, DevicePoll, DeviceState, SLOW_DOWN_STEP,
    Store, StoreError,
};
use std::sync::Arc;

/// A pending grant `tag` of client `c1`, polled every 5 s, expiring 600 s after `NOW`.
pub fn device_grant(tag: &str) -> DeviceGrantRecord {
    DeviceGrantRecord {
        device_code_hash: format!("dev-{tag}"),
        user_code_hash: format!("user-{tag}"),
        grant_id: format!("grant-{tag}"),
        client_id: "c1".into(),
        scopes: vec!["openid".into(), "offline_access".into()],
        interval: 5,
        last_polled_at: None,
        expires_at: NOW + 600,
        state: DeviceState::Pending,
    }
}

/// Alice's approval.
pub fn approval() -> DeviceApproval {
    DeviceApproval {
        user_id: "u1".into(),
        sid: Some("sid-1".into()),
        auth_time: NOW - 30,
        acr: Some("urn:acr:pwd".into()),
        amr: vec!["pwd".into()],
    }
}

pub async fn device_grant_is_decided_once_and_handed_out_once(s: Arc<dyn Store>) {
    seed(&*s).await;
    let grant = device_grant("a");
    s.insert_device_grant(&grant).await.unwrap();
    let found = s.pending_device_grant("user-a", NOW).await.unwrap();
    assert_eq!(found, Some(grant.clone()));
    assert_eq!(s.pending_device_grant("user-b", NOW).await.unwrap(), None);
    // RFC 8628 §3.5: pending, then too soon (slow_down, interval + 5), then pending again.
    let poll = |at| s.poll_device_grant("dev-a", "c1", at);
    assert_eq!(poll(NOW).await.unwrap(), DevicePoll::Pending);
    let slowed = 5 + SLOW_DOWN_STEP;
    assert_eq!(
        poll(NOW + 4).await.unwrap(),
        DevicePoll::SlowDown { interval: slowed }
    );
    assert_eq!(poll(NOW + 4 + slowed).await.unwrap(), DevicePoll::Pending);
    assert_eq!(
        s.poll_device_grant("dev-a", "c2", NOW + 30).await.unwrap(),
        DevicePoll::NotFound,
        "another client's device code is unknown to it"
    );
    let approve = DeviceDecision::Approve(approval());
    assert!(
        s.decide_device_grant("user-a", &approve, NOW + 20)
            .await
            .unwrap()
    );
    assert!(
        !s.decide_device_grant("user-a", &DeviceDecision::Deny, NOW + 21)
            .await
            .unwrap(),
        "the first answer stands"
    );
    assert_eq!(
        s.pending_device_grant("user-a", NOW + 21).await.unwrap(),
        None
    );
    let DevicePoll::Approved(approved) = poll(NOW + 40).await.unwrap() else {
        panic!("an approved grant is handed out");
    };
    assert_eq!(approved.state, DeviceState::Approved(approval()));
    assert_eq!(
        (approved.grant_id.as_str(), approved.scopes.clone()),
        (grant.grant_id.as_str(), grant.scopes.clone())
    );
    assert_eq!(poll(NOW + 60).await.unwrap(), DevicePoll::AlreadyGranted);
    assert_eq!(
        s.poll_device_grant("dev-x", "c1", NOW).await.unwrap(),
        DevicePoll::NotFound
    );
}

pub async fn denied_and_expired_device_grants_say_so_until_purged(s: Arc<dyn Store>) {
    seed(&*s).await;
    s.insert_device_grant(&device_grant("d")).await.unwrap();
    s.insert_device_grant(&device_grant("e")).await.unwrap();
    assert!(
        s.decide_device_grant("user-d", &DeviceDecision::Deny, NOW)
            .await
            .unwrap()
    );
    let poll = |code, at| s.poll_device_grant(code, "c1", at);
    assert_eq!(poll("dev-d", NOW + 10).await.unwrap(), DevicePoll::Denied);
    assert_eq!(poll("dev-d", NOW + 20).await.unwrap(), DevicePoll::Denied);
    // Expired: not found by its user code, not decidable, `expired_token` when polled.
    assert_eq!(
        s.pending_device_grant("user-e", NOW + 600).await.unwrap(),
        None
    );
    let approve = DeviceDecision::Approve(approval());
    assert!(
        !s.decide_device_grant("user-e", &approve, NOW + 600)
            .await
            .unwrap()
    );
    assert_eq!(poll("dev-e", NOW + 600).await.unwrap(), DevicePoll::Expired);
    // Either code taken again is a conflict.
    let mut again = device_grant("f");
    again.user_code_hash = "user-e".into();
    let conflict = s.insert_device_grant(&again).await;
    assert!(
        matches!(conflict, Err(StoreError::Conflict(_))),
        "{conflict:?}"
    );
    assert_eq!(s.purge_expired(NOW + 599).await.unwrap(), 0);
    assert_eq!(s.purge_expired(NOW + 600).await.unwrap(), 2);
    assert_eq!(
        poll("dev-e", NOW + 600).await.unwrap(),
        DevicePoll::NotFound
    );
}

pub async fn concurrent_polls_of_an_approved_device_grant_have_one_winner(s: Arc<dyn Store>) {
    seed(&*s).await;
    s.insert_device_grant(&device_grant("r")).await.unwrap();
    let approve = DeviceDecision::Approve(approval());
    assert!(
        s.decide_device_grant("user-r", &approve, NOW)
            .await
            .unwrap()
    );
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.poll_device_grant("dev-r", "c1", NOW + 10).await })
        })
        .collect();
    let (mut won, mut late) = (0, 0);
    for t in tasks {
        match t.await.unwrap().unwrap() {
            DevicePoll::Approved(_) => won += 1,
            DevicePoll::AlreadyGranted => late += 1,
            other => panic!("a racer saw {other:?}"),
        }
    }
    assert_eq!((won, late), (1, 15));
}

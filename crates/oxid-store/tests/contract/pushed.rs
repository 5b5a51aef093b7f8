//! Pushed authorization requests (RFC 9126): a `request_uri` is taken once, while live, and
//! goes with its client.

use super::fixtures::*;
use oxid_store::{PushedRequestRecord, Store, StoreError};
use std::sync::Arc;

fn pushed(hash: &str, client_id: &str, expires_at: u64) -> PushedRequestRecord {
    PushedRequestRecord {
        request_uri_hash: hash.into(),
        client_id: client_id.into(),
        params: "response_type=code&scope=openid+profile&state=%C3%A9%26x".into(),
        expires_at,
    }
}

/// RFC 9126 §4: the request_uri is one-time use; §2.2: it expires.
pub async fn pushed_request_is_taken_once_while_live(s: Arc<dyn Store>) {
    s.insert_client(&client("app")).await.unwrap();
    let record = pushed("p-1", "app", NOW + 60);
    s.insert_pushed_request(&record).await.unwrap();
    assert!(matches!(
        s.insert_pushed_request(&record).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.take_pushed_request("unknown", NOW).await.unwrap(), None);
    assert_eq!(
        s.take_pushed_request("p-1", NOW).await.unwrap(),
        Some(record),
        "round-trips unchanged"
    );
    assert_eq!(
        s.take_pushed_request("p-1", NOW).await.unwrap(),
        None,
        "used"
    );

    s.insert_pushed_request(&pushed("p-2", "app", NOW + 60))
        .await
        .unwrap();
    assert_eq!(
        s.take_pushed_request("p-2", NOW + 60).await.unwrap(),
        None,
        "expired at expires_at"
    );
    assert_eq!(s.purge_expired(NOW + 60).await.unwrap(), 1, "purged");

    s.insert_pushed_request(&pushed("p-3", "app", NOW + 60))
        .await
        .unwrap();
    assert!(s.delete_client("app").await.unwrap());
    assert_eq!(
        s.take_pushed_request("p-3", NOW).await.unwrap(),
        None,
        "gone with its client"
    );
    assert!(
        s.insert_pushed_request(&pushed("p-4", "nobody", NOW + 60))
            .await
            .is_err(),
        "the client must exist"
    );
}

pub async fn concurrent_takes_of_one_pushed_request_have_one_winner(s: Arc<dyn Store>) {
    s.insert_client(&client("app")).await.unwrap();
    s.insert_pushed_request(&pushed("race", "app", NOW + 60))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.take_pushed_request("race", NOW).await.unwrap() })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap().is_some());
    }
    assert_eq!(winners, 1);
}

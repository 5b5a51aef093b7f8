//! The expired-row sweep in chunks (issue 14): each chunk is bounded, chunks add up to the
//! whole purge, and live rows are never touched.

use super::fixtures::*;
use oxid_store::{PURGE_CHUNK, Store, TokenKind};
use std::sync::Arc;

pub async fn purge_runs_in_bounded_chunks_and_keeps_live_rows(s: Arc<dyn Store>) {
    seed(&*s).await;
    // 23 expired tokens, one expired session with a client link, 3 live tokens.
    for i in 0..23 {
        let mut t = token(
            &format!("at-old-{i:02}"),
            TokenKind::Access,
            "g1",
            "c1",
            None,
        );
        t.expires_at = NOW - 1;
        s.insert_token(&t).await.unwrap();
    }
    for i in 0..3 {
        let t = token(&format!("at-live-{i}"), TokenKind::Access, "g2", "c1", None);
        s.insert_token(&t).await.unwrap();
    }
    s.insert_session(&session("sess-old", "sid-old", "u1", NOW - 100))
        .await
        .unwrap();
    s.add_session_client("sid-old", "c1").await.unwrap();

    // 23 tokens: chunks of 10 take 10, 10, 3; then nothing. The expired session is not the
    // purge's: `end_expired_sessions` ends it, telling its clients first (contract/sweeps.rs).
    assert_eq!(s.purge_expired_chunk(NOW, 10).await.unwrap(), 10);
    assert_eq!(s.purge_expired_chunk(NOW, 10).await.unwrap(), 10);
    assert_eq!(s.purge_expired_chunk(NOW, 10).await.unwrap(), 3);
    assert_eq!(s.purge_expired_chunk(NOW, 10).await.unwrap(), 0);
    for i in 0..23 {
        assert_eq!(s.get_token(&format!("at-old-{i:02}")).await.unwrap(), None);
    }
    for i in 0..3 {
        assert!(
            s.get_token(&format!("at-live-{i}"))
                .await
                .unwrap()
                .is_some()
        );
    }
    assert_eq!(s.session_clients("sid-old").await.unwrap(), vec!["c1"]);
    // Once the session is gone, its client link is a row the purge takes.
    assert!(s.delete_session("sess-old").await.unwrap().is_some());
    assert_eq!(s.purge_expired_chunk(NOW, 10).await.unwrap(), 1);
    assert!(s.session_clients("sid-old").await.unwrap().is_empty());
}

pub async fn purge_expired_goes_on_past_one_chunk(s: Arc<dyn Store>) {
    seed(&*s).await;
    let expired = PURGE_CHUNK as usize * 2 + 7;
    for i in 0..expired {
        let mut t = token(
            &format!("at-old-{i:05}"),
            TokenKind::Access,
            "g1",
            "c1",
            None,
        );
        t.expires_at = NOW;
        s.insert_token(&t).await.unwrap();
    }
    s.insert_token(&token("at-live", TokenKind::Access, "g2", "c1", None))
        .await
        .unwrap();
    assert_eq!(s.purge_expired(NOW).await.unwrap(), expired as u64);
    assert_eq!(s.purge_expired(NOW).await.unwrap(), 0);
    assert!(s.get_token("at-live").await.unwrap().is_some());
}

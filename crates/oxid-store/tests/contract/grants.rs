//! Authorization codes and tokens: single use, rotation, revocation, purge, and races.

use super::fixtures::*;
use oxid_store::{CodeConsumption, RefreshRotation, Store, StoreError, TokenKind};
use std::sync::Arc;

/// How many tasks race for one code or one refresh token.
const RACERS: usize = 32;

pub async fn code_is_consumed_exactly_once_then_reported_as_replay(s: Arc<dyn Store>) {
    seed(&*s).await;
    let c = code("code-1", "grant-1", "c1", "u1");
    s.insert_code(&c).await.unwrap();
    let mut bare = code("code-2", "grant-2", "c2", "u2");
    (bare.redirect_uri, bare.nonce, bare.claims_request) = (None, None, None);
    (bare.code_challenge, bare.code_challenge_method, bare.sid) = (None, None, None);
    s.insert_code(&bare).await.unwrap();
    let err = s.insert_code(&c).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

    assert_eq!(
        s.consume_code("code-1", NOW).await.unwrap(),
        CodeConsumption::Consumed(c)
    );
    // RFC 6749 §4.1.2: a second use is a replay, reported with the grant to revoke.
    let replay = CodeConsumption::AlreadyConsumed {
        grant_id: "grant-1".into(),
    };
    assert_eq!(s.consume_code("code-1", NOW).await.unwrap(), replay);
    assert_eq!(s.consume_code("code-1", NOW + 1000).await.unwrap(), replay);
    assert_eq!(
        s.consume_code("code-2", NOW + 59).await.unwrap(),
        CodeConsumption::Consumed(bare)
    );
}

pub async fn expired_or_unknown_code_is_not_found(s: Arc<dyn Store>) {
    seed(&*s).await;
    s.insert_code(&code("code-1", "grant-1", "c1", "u1"))
        .await
        .unwrap();
    let expires = NOW + 60;
    assert_eq!(
        s.consume_code("code-1", expires).await.unwrap(),
        CodeConsumption::NotFound
    );
    assert_eq!(
        s.consume_code("code-1", expires + 1).await.unwrap(),
        CodeConsumption::NotFound
    );
    assert_eq!(
        s.consume_code("no-such-code", NOW).await.unwrap(),
        CodeConsumption::NotFound
    );
    // The failed attempts consumed nothing.
    assert!(matches!(
        s.consume_code("code-1", expires - 1).await.unwrap(),
        CodeConsumption::Consumed(_)
    ));
}

pub async fn concurrent_consumers_of_one_code_have_one_winner(s: Arc<dyn Store>) {
    seed(&*s).await;
    s.insert_code(&code("code-1", "grant-1", "c1", "u1"))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..RACERS)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.consume_code("code-1", NOW).await })
        })
        .collect();
    let (mut won, mut replays) = (0, 0);
    for t in tasks {
        match t.await.unwrap().unwrap() {
            CodeConsumption::Consumed(c) => {
                assert_eq!(c.grant_id, "grant-1");
                won += 1;
            }
            CodeConsumption::AlreadyConsumed { grant_id } => {
                assert_eq!(grant_id, "grant-1");
                replays += 1;
            }
            CodeConsumption::NotFound => panic!("a racer saw no code"),
        }
    }
    assert_eq!((won, replays), (1, RACERS - 1));
}

pub async fn many_concurrent_inserts_and_consumes_all_succeed(s: Arc<dyn Store>) {
    seed(&*s).await;
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                let c = code(&format!("code-{i}"), &format!("grant-{i}"), "c1", "u1");
                s.insert_code(&c).await?;
                let at = token(
                    &format!("at-{i}"),
                    TokenKind::Access,
                    &c.grant_id,
                    "c1",
                    None,
                );
                s.insert_token(&at).await?;
                s.consume_code(&c.code_hash, NOW).await
            })
        })
        .collect();
    for t in tasks {
        let outcome = t.await.unwrap();
        assert!(
            matches!(outcome, Ok(CodeConsumption::Consumed(_))),
            "{outcome:?}"
        );
    }
    assert_eq!(s.purge_expired(NOW + 3600).await.unwrap(), 400);
}

/// Issue 13: a client removed (by another instance) while a request still had it cached is
/// a `MissingReference`, which the token endpoint answers `invalid_client`, not a 500.
pub async fn insert_referencing_a_missing_client_or_user_is_a_missing_reference(s: Arc<dyn Store>) {
    seed(&*s).await;
    let err = s
        .insert_code(&code("code-1", "grant-1", "nobody", "u1"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::MissingReference(_)), "{err:?}");
    let t = token("at-1", TokenKind::Access, "g", "c1", Some("nobody"));
    let err = s.insert_token(&t).await.unwrap_err();
    assert!(matches!(err, StoreError::MissingReference(_)), "{err:?}");
    s.delete_client("c1").await.unwrap();
    let t = token("at-2", TokenKind::Access, "g", "c1", Some("u1"));
    let err = s.insert_token(&t).await.unwrap_err();
    assert!(matches!(err, StoreError::MissingReference(_)), "{err:?}");
}

pub async fn refresh_token_rotates_once_then_reports_reuse(s: Arc<dyn Store>) {
    seed(&*s).await;
    let old = refresh("rt-1", "grant-1");
    s.insert_token(&old).await.unwrap();
    let new = refresh("rt-2", "grant-1");
    let mut spent = old.clone();
    spent.consumed_at = Some(NOW + 10);
    assert_eq!(
        s.rotate_refresh_token("rt-1", std::slice::from_ref(&new), None, NOW + 10)
            .await
            .unwrap(),
        RefreshRotation::Rotated(spent.clone())
    );
    assert_eq!(s.get_token("rt-1").await.unwrap(), Some(spent));
    assert_eq!(s.get_token("rt-2").await.unwrap(), Some(new.clone()));
    // The spent token again: reuse, and the would-be successor is not stored.
    let reuse = RefreshRotation::Reused {
        grant_id: "grant-1".into(),
        consumed_at: Some(NOW + 10),
        revoked: false,
        sealed_reply: None,
    };
    let third = refresh("rt-3", "grant-1");
    assert_eq!(
        s.rotate_refresh_token("rt-1", std::slice::from_ref(&third), None, NOW + 20)
            .await
            .unwrap(),
        reuse
    );
    assert_eq!(s.get_token("rt-3").await.unwrap(), None);
    // The successor rotates in turn.
    assert!(matches!(
        s.rotate_refresh_token("rt-2", std::slice::from_ref(&third), None, NOW + 30)
            .await
            .unwrap(),
        RefreshRotation::Rotated(_)
    ));
}

pub async fn expired_unknown_or_access_token_does_not_rotate(s: Arc<dyn Store>) {
    seed(&*s).await;
    let new = refresh("rt-new", "grant-1");
    s.insert_token(&refresh("rt-1", "grant-1")).await.unwrap();
    let at = token("at-1", TokenKind::Access, "grant-1", "c1", Some("u1"));
    s.insert_token(&at).await.unwrap();
    for (hash, now) in [("rt-1", NOW + 3600), ("nothing", NOW), ("at-1", NOW)] {
        assert_eq!(
            s.rotate_refresh_token(hash, std::slice::from_ref(&new), None, now)
                .await
                .unwrap(),
            RefreshRotation::NotFound,
            "{hash} at {now}"
        );
    }
    assert_eq!(s.get_token("rt-new").await.unwrap(), None);
    assert_eq!(
        s.get_token("rt-1").await.unwrap().unwrap().consumed_at,
        None
    );
    assert_eq!(s.get_token("at-1").await.unwrap(), Some(at));
}

pub async fn revoked_refresh_token_counts_as_reuse(s: Arc<dyn Store>) {
    seed(&*s).await;
    s.insert_token(&refresh("rt-1", "grant-1")).await.unwrap();
    assert!(s.revoke_token("rt-1", NOW).await.unwrap());
    assert_eq!(
        s.rotate_refresh_token("rt-1", &[refresh("rt-2", "grant-1")], None, NOW)
            .await
            .unwrap(),
        RefreshRotation::Reused {
            grant_id: "grant-1".into(),
            consumed_at: None,
            revoked: true,
            sealed_reply: None,
        }
    );
    assert_eq!(s.get_token("rt-2").await.unwrap(), None);
}

pub async fn failed_rotation_leaves_the_old_token_live(s: Arc<dyn Store>) {
    seed(&*s).await;
    s.insert_token(&refresh("rt-1", "grant-1")).await.unwrap();
    s.insert_token(&refresh("rt-taken", "grant-9"))
        .await
        .unwrap();
    // The successor's hash already exists: the whole rotation rolls back.
    let err = s
        .rotate_refresh_token("rt-1", &[refresh("rt-taken", "grant-1")], None, NOW)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(
        s.get_token("rt-1").await.unwrap().unwrap().consumed_at,
        None
    );
    assert!(matches!(
        s.rotate_refresh_token("rt-1", &[refresh("rt-2", "grant-1")], None, NOW)
            .await
            .unwrap(),
        RefreshRotation::Rotated(_)
    ));
}

pub async fn concurrent_rotations_of_one_refresh_token_have_one_winner(s: Arc<dyn Store>) {
    seed(&*s).await;
    s.insert_token(&refresh("rt-0", "grant-1")).await.unwrap();
    let tasks: Vec<_> = (0..RACERS)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                let new = refresh(&format!("rt-new-{i}"), "grant-1");
                let reply = format!("reply-{i}").into_bytes();
                let outcome = s
                    .rotate_refresh_token("rt-0", std::slice::from_ref(&new), Some(&reply), NOW)
                    .await;
                (reply, outcome)
            })
        })
        .collect();
    let (mut won, mut reused) = (0, 0);
    let mut winner_reply = None;
    let mut replies_seen = Vec::new();
    for t in tasks {
        let (reply, outcome) = t.await.unwrap();
        match outcome.unwrap() {
            RefreshRotation::Rotated(old) => {
                assert_eq!(old.token_hash, "rt-0");
                winner_reply = Some(reply);
                won += 1;
            }
            RefreshRotation::Reused {
                grant_id,
                consumed_at,
                revoked,
                sealed_reply,
            } => {
                assert_eq!(grant_id, "grant-1");
                assert_eq!((consumed_at, revoked), (Some(NOW), false));
                replies_seen.push(sealed_reply);
                reused += 1;
            }
            RefreshRotation::NotFound => panic!("a racer saw no token"),
        }
    }
    assert_eq!((won, reused), (1, RACERS - 1));
    // Every loser reads the reply the winner committed with the rotation (grace window).
    assert!(replies_seen.iter().all(|r| *r == winner_reply));
    let mut stored = 0;
    for i in 0..RACERS {
        if s.get_token(&format!("rt-new-{i}")).await.unwrap().is_some() {
            stored += 1;
        }
    }
    assert_eq!(stored, 1, "exactly one successor is stored");
}

pub async fn revoke_token_marks_it_and_keeps_the_first_time(s: Arc<dyn Store>) {
    seed(&*s).await;
    s.insert_token(&refresh("rt-1", "grant-1")).await.unwrap();
    s.insert_token(&refresh("rt-2", "grant-1")).await.unwrap();
    assert!(s.revoke_token("rt-1", NOW + 5).await.unwrap());
    assert!(s.revoke_token("rt-1", NOW + 9).await.unwrap());
    assert!(!s.revoke_token("rt-none", NOW).await.unwrap());
    let revoked = s.get_token("rt-1").await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(NOW + 5));
    assert_eq!(s.get_token("rt-2").await.unwrap().unwrap().revoked_at, None);
}

pub async fn revoke_grant_revokes_every_live_token_of_the_family(s: Arc<dyn Store>) {
    seed(&*s).await;
    let family = [
        refresh("rt-1", "grant-1"),
        refresh("rt-2", "grant-1"),
        token("at-1", TokenKind::Access, "grant-1", "c1", Some("u1")),
        refresh("rt-3", "grant-1"),
    ];
    for t in &family {
        s.insert_token(t).await.unwrap();
    }
    s.insert_token(&refresh("rt-other", "grant-2"))
        .await
        .unwrap();
    s.revoke_token("rt-3", NOW).await.unwrap();
    assert_eq!(s.revoke_grant("grant-1", NOW + 7).await.unwrap(), 3);
    for t in &family[..3] {
        let got = s.get_token(&t.token_hash).await.unwrap().unwrap();
        assert_eq!(got.revoked_at, Some(NOW + 7), "{}", t.token_hash);
    }
    let earlier = s.get_token("rt-3").await.unwrap().unwrap();
    assert_eq!(earlier.revoked_at, Some(NOW));
    assert_eq!(
        s.get_token("rt-other").await.unwrap().unwrap().revoked_at,
        None
    );
    assert_eq!(s.revoke_grant("grant-1", NOW + 8).await.unwrap(), 0);
    assert_eq!(s.revoke_grant("no-grant", NOW).await.unwrap(), 0);
}

pub async fn purge_expired_deletes_only_what_expired(s: Arc<dyn Store>) {
    seed(&*s).await;
    let mut old_code = code("code-old", "g1", "c1", "u1");
    old_code.expires_at = NOW - 1;
    s.insert_code(&old_code).await.unwrap();
    s.insert_code(&code("code-live", "g2", "c1", "u1"))
        .await
        .unwrap();
    let mut old_token = refresh("rt-old", "g1");
    old_token.expires_at = NOW;
    s.insert_token(&old_token).await.unwrap();
    s.insert_token(&refresh("rt-live", "g2")).await.unwrap();
    s.insert_session(&session("sess-old", "sid-old", "u1", NOW - 100))
        .await
        .unwrap();
    s.insert_session(&session("sess-live", "sid-live", "u1", NOW + 1))
        .await
        .unwrap();
    s.add_session_client("sid-live", "c1").await.unwrap();

    assert_eq!(s.purge_expired(NOW).await.unwrap(), 2);
    assert_eq!(s.purge_expired(NOW).await.unwrap(), 0);
    assert_eq!(s.get_token("rt-old").await.unwrap(), None);
    assert!(s.get_token("rt-live").await.unwrap().is_some());
    // An expired session is left to `end_expired_sessions`, which tells its clients.
    assert!(s.delete_session("sess-old").await.unwrap().is_some());
    assert!(s.get_session("sess-live", NOW).await.unwrap().is_some());
    assert_eq!(s.session_clients("sid-live").await.unwrap(), vec!["c1"]);
    assert!(matches!(
        s.consume_code("code-live", NOW).await.unwrap(),
        CodeConsumption::Consumed(_)
    ));
    // Clients, users and consent are never purged.
    assert_eq!(s.list_clients().await.unwrap().len(), 2);
    assert_eq!(s.list_users().await.unwrap().len(), 2);
}

pub async fn rotation_stores_its_new_tokens_and_sealed_reply_together(s: Arc<dyn Store>) {
    seed(&*s).await;
    s.insert_token(&refresh("rt-1", "grant-1")).await.unwrap();
    let next = refresh("rt-2", "grant-1");
    let access = token("at-2", TokenKind::Access, "grant-1", "c1", Some("u1"));
    let (next_again, access_again) = (next.clone(), access.clone());
    let rotation = s
        .rotate_refresh_token("rt-1", &[next, access], Some(b"sealed"), NOW + 5)
        .await
        .unwrap();
    assert!(matches!(rotation, RefreshRotation::Rotated(_)));
    assert_eq!(s.get_token("rt-2").await.unwrap(), Some(next_again));
    assert_eq!(s.get_token("at-2").await.unwrap(), Some(access_again));
    // A retry reads the kept reply and when it was rotated; a revoked family says so.
    let reused = s
        .rotate_refresh_token("rt-1", &[refresh("rt-3", "grant-1")], None, NOW + 6)
        .await
        .unwrap();
    assert_eq!(
        reused,
        RefreshRotation::Reused {
            grant_id: "grant-1".into(),
            consumed_at: Some(NOW + 5),
            revoked: false,
            sealed_reply: Some(b"sealed".to_vec()),
        }
    );
    s.revoke_grant("grant-1", NOW + 7).await.unwrap();
    let after = s
        .rotate_refresh_token("rt-1", &[refresh("rt-3", "grant-1")], None, NOW + 8)
        .await
        .unwrap();
    assert!(matches!(
        after,
        RefreshRotation::Reused { revoked: true, .. }
    ));
    // A failing second insert rolls the whole rotation back (RFC 9700 §4.14.2 all or nothing).
    s.insert_token(&refresh("rt-4", "grant-2")).await.unwrap();
    let clash = token("at-2", TokenKind::Access, "grant-2", "c1", Some("u1"));
    let err = s
        .rotate_refresh_token("rt-4", &[refresh("rt-5", "grant-2"), clash], None, NOW)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(s.get_token("rt-5").await.unwrap(), None);
    assert_eq!(
        s.get_token("rt-4").await.unwrap().unwrap().consumed_at,
        None
    );
}

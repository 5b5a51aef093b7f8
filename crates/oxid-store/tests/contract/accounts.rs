//! Clients, users, sessions and consent.

use super::fixtures::*;
use oxid_store::{CodeConsumption, Store, StoreError, TokenKind, UserRecord};
use std::sync::Arc;

pub async fn client_round_trips_and_lists_by_id(s: Arc<dyn Store>) {
    assert_eq!(s.list_clients().await.unwrap(), vec![]);
    let (b, a) = (client("b-client"), public_client("a-client"));
    s.insert_client(&b).await.unwrap();
    s.insert_client(&a).await.unwrap();
    assert_eq!(s.get_client("b-client").await.unwrap(), Some(b.clone()));
    assert_eq!(s.get_client("a-client").await.unwrap(), Some(a.clone()));
    assert_eq!(s.get_client("c-client").await.unwrap(), None);
    assert_eq!(s.list_clients().await.unwrap(), vec![a, b]);
}

pub async fn client_id_is_unique(s: Arc<dyn Store>) {
    s.insert_client(&client("c1")).await.unwrap();
    let err = s.insert_client(&public_client("c1")).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(s.get_client("c1").await.unwrap(), Some(client("c1")));
}

pub async fn update_client_replaces_the_record(s: Arc<dyn Store>) {
    s.insert_client(&client("c1")).await.unwrap();
    let mut changed = public_client("c1");
    changed.redirect_uris = vec!["https://new.example/cb".into()];
    changed.metadata = serde_json::json!({"software_id": "x"});
    assert!(s.update_client(&changed).await.unwrap());
    assert_eq!(s.get_client("c1").await.unwrap(), Some(changed));
    assert!(!s.update_client(&client("nobody")).await.unwrap());
    assert_eq!(s.get_client("nobody").await.unwrap(), None);
}

pub async fn delete_client_removes_its_codes_tokens_consents_and_session_links(s: Arc<dyn Store>) {
    seed(&*s).await;
    for c in ["c1", "c2"] {
        s.put_consent(&consent("u1", c, &["openid"])).await.unwrap();
        s.insert_code(&code(&format!("code-{c}"), &format!("g-{c}"), c, "u1"))
            .await
            .unwrap();
        let t = token(&format!("at-{c}"), TokenKind::Access, "g", c, None);
        s.insert_token(&t).await.unwrap();
        s.add_session_client("sid-1", c).await.unwrap();
    }
    assert!(s.delete_client("c1").await.unwrap());
    assert!(!s.delete_client("c1").await.unwrap());
    assert_eq!(s.get_client("c1").await.unwrap(), None);
    assert_eq!(s.get_consent("u1", "c1").await.unwrap(), None);
    assert_eq!(s.get_token("at-c1").await.unwrap(), None);
    assert_eq!(
        s.consume_code("code-c1", NOW).await.unwrap(),
        CodeConsumption::NotFound
    );
    assert_eq!(s.session_clients("sid-1").await.unwrap(), vec!["c2"]);
    // The other client keeps everything.
    assert!(s.get_consent("u1", "c2").await.unwrap().is_some());
    assert!(s.get_token("at-c2").await.unwrap().is_some());
    assert!(matches!(
        s.consume_code("code-c2", NOW).await.unwrap(),
        CodeConsumption::Consumed(_)
    ));
}

pub async fn user_round_trips_by_id_and_username(s: Arc<dyn Store>) {
    let (zed, amy) = (user("u-z", "zed"), user("u-a", "amy"));
    s.insert_user(&zed).await.unwrap();
    s.insert_user(&amy).await.unwrap();
    assert_eq!(s.get_user("u-z").await.unwrap(), Some(zed.clone()));
    assert_eq!(
        s.get_user_by_username("amy").await.unwrap(),
        Some(amy.clone())
    );
    assert_eq!(s.get_user("zed").await.unwrap(), None, "id, not username");
    assert_eq!(s.get_user_by_username("u-a").await.unwrap(), None);
    assert_eq!(s.list_users().await.unwrap(), vec![amy, zed]);
}

pub async fn username_is_unique(s: Arc<dyn Store>) {
    s.insert_user(&user("u1", "alice")).await.unwrap();
    let err = s.insert_user(&user("u2", "alice")).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let err = s.insert_user(&user("u1", "alice2")).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(s.list_users().await.unwrap().len(), 1);
}

pub async fn update_user_replaces_password_claims_and_updated_at(s: Arc<dyn Store>) {
    s.insert_user(&user("u1", "alice")).await.unwrap();
    s.insert_user(&user("u2", "bob")).await.unwrap();
    // The username and created_at stay whatever the record says.
    let changed = changed_user("u1", "alice");
    let renamed = UserRecord {
        username: "mallory".into(),
        created_at: 1,
        ..changed.clone()
    };
    assert!(s.update_user(&renamed).await.unwrap());
    assert_eq!(s.get_user("u1").await.unwrap(), Some(changed.clone()));
    assert_eq!(
        s.get_user_by_username("alice").await.unwrap(),
        Some(changed)
    );
    assert_eq!(s.get_user("u2").await.unwrap(), Some(user("u2", "bob")));
    assert!(!s.update_user(&changed_user("nobody", "x")).await.unwrap());
    assert_eq!(s.get_user("nobody").await.unwrap(), None);
}

pub async fn replace_password_hash_is_a_compare_and_set(s: Arc<dyn Store>) {
    s.insert_user(&user("u1", "alice")).await.unwrap();
    s.insert_user(&user("u2", "bob")).await.unwrap();
    let old = user("u1", "alice").password_hash;
    let new = changed_user("u1", "alice").password_hash;
    // A stale old hash (the password was changed meanwhile) changes nothing.
    assert!(!s.replace_password_hash("u1", &new, "stale").await.unwrap());
    assert!(!s.replace_password_hash("nobody", &old, &new).await.unwrap());
    assert_eq!(s.get_user("u1").await.unwrap(), Some(user("u1", "alice")));
    // Only the hash changes: claims and updated_at stay.
    assert!(s.replace_password_hash("u1", &old, &new).await.unwrap());
    let expected = UserRecord {
        password_hash: new.clone(),
        ..user("u1", "alice")
    };
    assert_eq!(s.get_user("u1").await.unwrap(), Some(expected));
    assert!(!s.replace_password_hash("u1", &old, "again").await.unwrap());
    assert_eq!(s.get_user("u2").await.unwrap(), Some(user("u2", "bob")));
}

pub async fn delete_user_removes_sessions_consents_codes_and_tokens(s: Arc<dyn Store>) {
    seed(&*s).await;
    for (u, name) in [("u1", "alice"), ("u2", "bob")] {
        let sess = session(&format!("sess-{u}"), &format!("sid-{u}"), u, NOW + 100);
        s.insert_session(&sess).await.unwrap();
        s.put_consent(&consent(u, "c1", &["openid"])).await.unwrap();
        s.insert_code(&code(&format!("code-{u}"), &format!("g-{u}"), "c1", u))
            .await
            .unwrap();
        let rt = token(&format!("rt-{u}"), TokenKind::Refresh, "g", "c1", Some(u));
        s.insert_token(&rt).await.unwrap();
        assert!(s.get_user_by_username(name).await.unwrap().is_some());
    }
    assert!(s.delete_user("alice").await.unwrap());
    assert!(!s.delete_user("alice").await.unwrap());
    assert!(!s.delete_user("u2").await.unwrap(), "by username, not id");
    assert_eq!(s.get_user("u1").await.unwrap(), None);
    assert_eq!(s.get_session("sess-u1", NOW).await.unwrap(), None);
    assert_eq!(s.get_consent("u1", "c1").await.unwrap(), None);
    assert_eq!(s.get_token("rt-u1").await.unwrap(), None);
    assert_eq!(
        s.consume_code("code-u1", NOW).await.unwrap(),
        CodeConsumption::NotFound
    );
    assert!(s.get_session("sess-u2", NOW).await.unwrap().is_some());
    assert!(s.get_consent("u2", "c1").await.unwrap().is_some());
    assert!(s.get_token("rt-u2").await.unwrap().is_some());
}

pub async fn session_is_found_until_it_expires(s: Arc<dyn Store>) {
    seed(&*s).await;
    let sess = session("hash-1", "sid-1", "u1", NOW + 100);
    s.insert_session(&sess).await.unwrap();
    assert_eq!(
        s.get_session("hash-1", NOW).await.unwrap(),
        Some(sess.clone())
    );
    assert_eq!(
        s.get_session("hash-1", NOW + 99).await.unwrap(),
        Some(sess.clone())
    );
    assert_eq!(s.get_session("hash-1", NOW + 100).await.unwrap(), None);
    assert_eq!(
        s.get_session_by_sid("sid-1", NOW).await.unwrap(),
        Some(sess)
    );
    assert_eq!(
        s.get_session_by_sid("sid-1", NOW + 100).await.unwrap(),
        None
    );
    assert_eq!(s.get_session_by_sid("hash-1", NOW).await.unwrap(), None);
    assert_eq!(s.get_session("sid-1", NOW).await.unwrap(), None);
    let dup = session("hash-1", "sid-2", "u1", NOW + 100);
    let err = s.insert_session(&dup).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}

pub async fn sessions_are_listed_live_and_by_user(s: Arc<dyn Store>) {
    seed(&*s).await;
    let first = session("hash-1", "sid-1", "u1", NOW + 100);
    let mut second = session("hash-2", "sid-2", "u2", NOW + 200);
    second.auth_time = first.auth_time + 1;
    let expired = session("hash-3", "sid-3", "u1", NOW);
    for sess in [&second, &expired, &first] {
        s.insert_session(sess).await.unwrap();
    }
    let all = s.list_sessions(None, NOW).await.unwrap();
    assert_eq!(
        all,
        vec![first.clone(), second.clone()],
        "live only, oldest first"
    );
    let of_u1 = s.list_sessions(Some("u1"), NOW).await.unwrap();
    assert_eq!(of_u1, vec![first]);
    assert_eq!(s.list_sessions(Some("nobody"), NOW).await.unwrap(), vec![]);
    assert_eq!(s.list_sessions(None, NOW + 200).await.unwrap(), vec![]);
}

pub async fn delete_session_returns_it_once(s: Arc<dyn Store>) {
    seed(&*s).await;
    let sess = session("hash-1", "sid-1", "u1", NOW + 100);
    s.insert_session(&sess).await.unwrap();
    s.insert_session(&session("hash-2", "sid-2", "u1", NOW + 100))
        .await
        .unwrap();
    assert_eq!(s.delete_session("hash-1").await.unwrap(), Some(sess));
    assert_eq!(s.delete_session("hash-1").await.unwrap(), None);
    assert_eq!(s.get_session("hash-1", NOW).await.unwrap(), None);
    assert!(s.get_session("hash-2", NOW).await.unwrap().is_some());
}

pub async fn session_clients_are_recorded_once_and_outlive_the_session_until_purge(
    s: Arc<dyn Store>,
) {
    seed(&*s).await;
    s.insert_session(&session("hash-1", "sid-1", "u1", NOW + 100))
        .await
        .unwrap();
    assert_eq!(
        s.session_clients("sid-1").await.unwrap(),
        Vec::<String>::new()
    );
    for c in ["c2", "c1", "c2"] {
        s.add_session_client("sid-1", c).await.unwrap();
    }
    assert_eq!(s.session_clients("sid-1").await.unwrap(), vec!["c1", "c2"]);
    assert_eq!(
        s.session_clients("sid-2").await.unwrap(),
        Vec::<String>::new()
    );
    // Logout fan-out may read the list after ending the session.
    s.delete_session("hash-1").await.unwrap();
    assert_eq!(s.session_clients("sid-1").await.unwrap(), vec!["c1", "c2"]);
    assert_eq!(s.purge_expired(NOW).await.unwrap(), 2);
    assert_eq!(
        s.session_clients("sid-1").await.unwrap(),
        Vec::<String>::new()
    );
}

pub async fn put_consent_replaces_earlier_consent(s: Arc<dyn Store>) {
    seed(&*s).await;
    assert_eq!(s.get_consent("u1", "c1").await.unwrap(), None);
    let first = consent("u1", "c1", &["openid", "email"]);
    s.put_consent(&first).await.unwrap();
    assert_eq!(s.get_consent("u1", "c1").await.unwrap(), Some(first));
    let mut second = consent("u1", "c1", &["openid", "profile", "address"]);
    second.granted_at = NOW + 50;
    s.put_consent(&second).await.unwrap();
    assert_eq!(s.get_consent("u1", "c1").await.unwrap(), Some(second));
    assert_eq!(s.get_consent("u1", "c2").await.unwrap(), None);
    assert_eq!(s.get_consent("u2", "c1").await.unwrap(), None);
}

/// Revoking a consent takes the client's tokens and codes for that user with it (issue 13,
/// as Keycloak does), and nothing of another client or user.
pub async fn consents_are_listed_per_user_and_revoked_once_with_their_tokens(s: Arc<dyn Store>) {
    seed(&*s).await;
    let (a, b) = (
        consent("u1", "c2", &["openid"]),
        consent("u1", "c1", &["email"]),
    );
    for c in [&a, &b, &consent("u2", "c1", &["openid"])] {
        s.put_consent(c).await.unwrap();
    }
    assert_eq!(s.list_consents("u1").await.unwrap(), vec![b.clone(), a]);
    let tokens = [
        token("at-u1-c2", TokenKind::Access, "g1", "c2", Some("u1")),
        token("rt-u1-c2", TokenKind::Refresh, "g1", "c2", Some("u1")),
        token("rt-u1-c1", TokenKind::Refresh, "g2", "c1", Some("u1")),
        token("rt-u2-c2", TokenKind::Refresh, "g3", "c2", Some("u2")),
    ];
    for t in &tokens {
        s.insert_token(t).await.unwrap();
    }
    s.insert_code(&code("code-u1-c2", "g4", "c2", "u1"))
        .await
        .unwrap();
    s.insert_code(&code("code-u1-c1", "g5", "c1", "u1"))
        .await
        .unwrap();

    assert_eq!(
        s.revoke_consent("u1", "c2", NOW + 5).await.unwrap(),
        Some(2)
    );
    assert_eq!(s.revoke_consent("u1", "c2", NOW + 6).await.unwrap(), None);
    for (hash, revoked_at) in [
        ("at-u1-c2", Some(NOW + 5)),
        ("rt-u1-c2", Some(NOW + 5)),
        ("rt-u1-c1", None),
        ("rt-u2-c2", None),
    ] {
        let t = s.get_token(hash).await.unwrap().unwrap();
        assert_eq!(t.revoked_at, revoked_at, "{hash}");
    }
    let gone = s.consume_code("code-u1-c2", NOW).await.unwrap();
    assert_eq!(gone, CodeConsumption::NotFound);
    let kept = s.consume_code("code-u1-c1", NOW).await.unwrap();
    assert!(matches!(kept, CodeConsumption::Consumed(_)), "{kept:?}");
    assert_eq!(s.list_consents("u1").await.unwrap(), vec![b]);
    assert_eq!(s.list_consents("u2").await.unwrap().len(), 1);
    assert!(s.list_consents("nobody").await.unwrap().is_empty());
    let none = s.revoke_consent("nobody", "c1", NOW).await.unwrap();
    assert_eq!(none, None);
}

pub async fn odd_values_round_trip_unchanged(s: Arc<dyn Store>) {
    let mut c = public_client("client 'quoted' \"twice\"; DROP TABLE clients; --");
    c.client_name = Some("Ünïcødé ✓ 名前 😀".into());
    c.redirect_uris = vec![];
    c.scopes = vec!["".into(), "a b".into(), "x,y".into(), "[\"json\"]".into()];
    c.secret_encrypted = Some(vec![]);
    c.metadata = serde_json::json!({"nested": {"deep": [1, 2.5, null, true]}, "ü": "ß"});
    c.created_at = i64::MAX as u64;
    s.insert_client(&c).await.unwrap();
    assert_eq!(s.get_client(&c.client_id).await.unwrap(), Some(c.clone()));
    assert_eq!(s.list_clients().await.unwrap(), vec![c]);
    let mut u = user("ü-1", "Ünïcødé");
    u.claims = serde_json::json!({});
    u.updated_at = 0;
    s.insert_user(&u).await.unwrap();
    assert_eq!(s.get_user_by_username("Ünïcødé").await.unwrap(), Some(u));
    assert_eq!(
        s.get_user_by_username("ünïcødé").await.unwrap(),
        None,
        "case matters"
    );
}

pub async fn times_beyond_i64_are_clamped_not_wrapped(s: Arc<dyn Store>) {
    seed(&*s).await;
    // A session that never ends in practice: still found, never negative.
    s.insert_session(&session("hash-1", "sid-1", "u1", u64::MAX))
        .await
        .unwrap();
    let got = s.get_session("hash-1", NOW).await.unwrap().unwrap();
    assert_eq!(got.expires_at, i64::MAX as u64);
}

pub async fn interaction_is_claimed_once_until_purged(s: Arc<dyn Store>) {
    assert!(s.claim_interaction("i-1", NOW + 10).await.unwrap());
    assert!(
        !s.claim_interaction("i-1", NOW + 10).await.unwrap(),
        "a replay"
    );
    assert!(s.claim_interaction("i-2", NOW + 10).await.unwrap());
    assert_eq!(s.purge_expired(NOW + 10).await.unwrap(), 2);
    assert!(
        s.claim_interaction("i-1", NOW + 20).await.unwrap(),
        "purged"
    );
}

/// Every operation is timed under its own name, on every backend, as `open` returns the
/// store (`oxid_db_query_duration_seconds{op}`, issue 13).
pub async fn every_operation_is_timed_under_its_name(s: Arc<dyn Store>) {
    seed(&*s).await;
    s.get_client("c1").await.unwrap();
    s.get_client("nobody").await.unwrap();
    let err = s.insert_client(&client("c1")).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let times = s.query_times().expect("a store from `open` is metered");
    let count = |op: &str| times.iter().find(|t| t.op == op).map_or(0, |t| t.count);
    assert_eq!(count("insert_client"), 3, "failures are timed too");
    assert_eq!(count("insert_user"), 2);
    assert_eq!(count("get_client"), 2);
    assert_eq!(count("delete_client"), 0);
    for t in &times {
        assert_eq!(t.cumulative_buckets.len(), oxid_store::QUERY_BUCKETS.len());
        assert!(
            t.cumulative_buckets.windows(2).all(|w| w[0] <= w[1]),
            "{t:?}"
        );
        assert!(t.cumulative_buckets.last().copied().unwrap() <= t.count);
        assert!(t.sum_seconds > 0.0, "{t:?}");
    }
}

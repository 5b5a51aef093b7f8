//! DPoP-bound tokens (RFC 9449 §6): the key thumbprint a token is bound to is kept with it,
//! through refresh rotation; a code bound to a key (§10) keeps its thumbprint.

use super::fixtures::*;
use oxid_store::{CodeConsumption, CodeRecord, RefreshRotation, Store, TokenKind, TokenRecord};
use std::sync::Arc;

fn bound(hash: &str, kind: TokenKind, jkt: &str) -> TokenRecord {
    TokenRecord {
        dpop_jkt: Some(jkt.into()),
        ..token(hash, kind, "g-1", "c1", Some("u1"))
    }
}

pub async fn dpop_bound_tokens_keep_their_key_thumbprint(s: Arc<dyn Store>) {
    seed(s.as_ref()).await;
    let access = bound("at-1", TokenKind::Access, "jkt-A");
    s.insert_token(&access).await.unwrap();
    assert_eq!(s.get_token("at-1").await.unwrap(), Some(access));
    s.insert_token(&bound("rt-1", TokenKind::Refresh, "jkt-A"))
        .await
        .unwrap();
    let next = bound("rt-2", TokenKind::Refresh, "jkt-A");
    let rotated = s
        .rotate_refresh_token("rt-1", std::slice::from_ref(&next), None, NOW)
        .await
        .unwrap();
    assert!(
        matches!(&rotated, RefreshRotation::Rotated(old) if old.dpop_jkt.as_deref() == Some("jkt-A")),
        "{rotated:?}"
    );
    assert_eq!(s.get_token("rt-2").await.unwrap(), Some(next));
    let bearer = token("at-2", TokenKind::Access, "g-1", "c1", Some("u1"));
    s.insert_token(&bearer).await.unwrap();
    assert_eq!(s.get_token("at-2").await.unwrap().unwrap().dpop_jkt, None);
}

pub async fn a_code_keeps_the_dpop_key_it_is_bound_to(s: Arc<dyn Store>) {
    // RFC 9449 §10: the token request is checked against the code's `dpop_jkt`.
    seed(s.as_ref()).await;
    let bound = CodeRecord {
        dpop_jkt: Some("jkt-A".into()),
        ..code("code-bound", "g-1", "c1", "u1")
    };
    s.insert_code(&bound).await.unwrap();
    s.insert_code(&code("code-free", "g-2", "c1", "u1"))
        .await
        .unwrap();
    let taken = |c: CodeConsumption| match c {
        CodeConsumption::Consumed(record) => record.dpop_jkt,
        other => panic!("{other:?}"),
    };
    let consumed = s.consume_code("code-bound", NOW).await.unwrap();
    assert_eq!(taken(consumed).as_deref(), Some("jkt-A"));
    let consumed = s.consume_code("code-free", NOW).await.unwrap();
    assert_eq!(taken(consumed), None);
}

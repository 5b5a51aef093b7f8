//! DPoP-bound tokens (RFC 9449 §6): the key thumbprint a token is bound to is kept with it,
//! through refresh rotation.

use super::fixtures::*;
use oxid_store::{RefreshRotation, Store, TokenKind, TokenRecord};
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

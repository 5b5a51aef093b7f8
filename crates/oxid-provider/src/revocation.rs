//! The revocation endpoint's decision (RFC 7009): a client revokes one of its own tokens.
//!
//! Rules, all from RFC 7009 §2.1–2.2:
//! - the client authenticates exactly as at the token endpoint (public clients with `none`
//!   included: they hold their own tokens and may give them up);
//! - the token is looked up by hash whatever `token_type_hint` says, so the hint never
//!   changes the outcome and an unknown hint is ignored; `unsupported_token_type` is never
//!   sent because every kind of token this server issues can be revoked;
//! - a refresh token revokes its whole grant (§2.1 "SHOULD also invalidate all access tokens
//!   based on the same authorization grant"); an access token revokes only itself;
//! - an unknown token, or a token of another client, is answered 200 like a success (§2.2):
//!   the caller learns nothing about tokens that are not its own, and another client's token
//!   is left untouched.

use oxid_protocol::revocation::RevocationRequest;
use oxid_store::TokenKind;

use crate::client_auth::VerifiedClient;
use crate::crypto::token_keys::token_key;
use crate::error::OAuthError;
use crate::state::Provider;

/// Revokes `request.token` for `client`; `Ok` whether or not there was anything to revoke.
pub async fn revoke(
    provider: &Provider,
    client: &VerifiedClient,
    request: &RevocationRequest,
) -> Result<(), OAuthError> {
    let now = provider.now();
    let store = provider.store();
    let Some(record) = store.get_token(&token_key(&request.token)).await? else {
        return Ok(());
    };
    if record.client_id != client.id() {
        // §2.1: the server verifies the token was issued to the caller; §2.2 keeps it a 200.
        tracing::warn!(
            client_id = client.id(),
            "revocation of a token issued to another client refused"
        );
        return Ok(());
    }
    match record.kind {
        TokenKind::Refresh => {
            store.revoke_grant(&record.grant_id, now).await?;
        }
        TokenKind::Access => {
            store.revoke_token(&record.token_hash, now).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::secrets::{random_token, sha256_hex};
    use crate::test_support::{provider_with_alice, store_token, stored_token, verified};
    use crate::tokens::find_live_token;

    #[tokio::test]
    async fn a_client_revokes_its_own_token_rfc7009_2_1() {
        let provider = provider_with_alice().await;
        let token = stored_token(&provider, TokenKind::Access, "app", &["openid"]).await;
        let app = verified(&provider, "app").await;
        revoke(&provider, &app, &RevocationRequest::new(token.clone()))
            .await
            .unwrap();
        assert!(find_live_token(&provider, &token).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_token_keyed_by_its_hash_alone_is_still_found_and_revoked() {
        // Opaque tokens issued before time prefixes (43 characters, crypto::token_keys) are
        // stored under their SHA-256 alone, and stay valid until they expire.
        let provider = provider_with_alice().await;
        let token = random_token();
        store_token(&provider, &token, TokenKind::Access, "app", &["openid"]).await;
        let stored = provider
            .store()
            .get_token(&sha256_hex(&token))
            .await
            .unwrap();
        assert!(stored.is_some(), "keyed by its hash alone");
        assert!(find_live_token(&provider, &token).await.unwrap().is_some());
        let api = verified(&provider, "api").await;
        let request = oxid_protocol::introspection::IntrospectionRequest::new(token.clone());
        let answer = crate::introspection::introspect(&provider, &api, &request);
        assert!(answer.await.unwrap().active, "RFC 7662 §2.2");
        let app = verified(&provider, "app").await;
        revoke(&provider, &app, &RevocationRequest::new(token.clone()))
            .await
            .unwrap();
        assert!(find_live_token(&provider, &token).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn another_clients_token_is_left_alone_and_still_ok_rfc7009_2_2() {
        let provider = provider_with_alice().await;
        let token = stored_token(&provider, TokenKind::Access, "app", &["openid"]).await;
        let api = verified(&provider, "api").await;
        revoke(&provider, &api, &RevocationRequest::new(token.clone()))
            .await
            .unwrap();
        assert!(find_live_token(&provider, &token).await.unwrap().is_some());
        revoke(&provider, &api, &RevocationRequest::new("unknown"))
            .await
            .unwrap();
    }
}

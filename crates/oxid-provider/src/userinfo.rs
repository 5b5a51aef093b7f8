//! The UserInfo endpoint's decision (OIDC Core §5.3): which claims a presented access token
//! releases, or which RFC 6750 §3.1 error it gets.

use oxid_protocol::userinfo::UserinfoRequest;
use oxid_store::TokenKind;
use serde_json::{Map, Value};

use crate::claims::released_claims;
use crate::error::{ErrorKind, OAuthError};
use crate::state::Provider;
use crate::tokens::find_live_token;

/// The claims released to `request`'s access token by its scopes.
pub async fn userinfo_claims(
    provider: &Provider,
    request: &UserinfoRequest,
) -> Result<Map<String, Value>, OAuthError> {
    let invalid = || {
        OAuthError::bearer(
            ErrorKind::InvalidToken,
            "the access token is invalid or expired",
        )
    };
    let record = find_live_token(provider, &request.access_token).await?;
    let Some(record) = record.filter(|r| r.kind == TokenKind::Access) else {
        return Err(invalid());
    };
    if !record.scopes.iter().any(|s| s == "openid") {
        return Err(OAuthError::bearer(
            ErrorKind::InsufficientScope,
            "the access token lacks the openid scope",
        ));
    }
    let Some(user_id) = &record.user_id else {
        return Err(invalid());
    };
    let Some(user) = provider.store().get_user(user_id).await? else {
        return Err(invalid());
    };
    Ok(released_claims(
        &provider.capabilities().scopes,
        &user,
        record.scopes.iter().map(String::as_str),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{provider_with_alice, stored_token};

    fn request(token: &str) -> UserinfoRequest {
        UserinfoRequest {
            access_token: token.into(),
        }
    }

    #[tokio::test]
    async fn an_openid_access_token_releases_the_subject() {
        let provider = provider_with_alice().await;
        let token = stored_token(&provider, TokenKind::Access, "app", &["openid"]).await;
        let claims = userinfo_claims(&provider, &request(&token)).await.unwrap();
        assert!(claims["sub"].is_string(), "{claims:?}");
    }

    #[tokio::test]
    async fn unknown_tokens_and_refresh_tokens_are_invalid_token_rfc6750_3_1() {
        let provider = provider_with_alice().await;
        let refresh = stored_token(&provider, TokenKind::Refresh, "app", &["openid"]).await;
        for token in ["not-a-token", refresh.as_str()] {
            let error = userinfo_claims(&provider, &request(token))
                .await
                .unwrap_err();
            assert_eq!(error.kind, ErrorKind::InvalidToken, "{token}");
        }
    }

    #[tokio::test]
    async fn a_token_without_openid_is_insufficient_scope_oidc_core_5_3() {
        let provider = provider_with_alice().await;
        let token = stored_token(&provider, TokenKind::Access, "app", &["email"]).await;
        let error = userinfo_claims(&provider, &request(&token))
            .await
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::InsufficientScope);
    }
}

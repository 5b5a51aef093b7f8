//! Whether an issued opaque token (access or refresh) is live, the one rule every endpoint
//! that honours a presented token reads: UserInfo, introspection.

use oxid_store::{TokenRecord, TokenView};

use crate::crypto::token_keys::token_key;
use crate::error::OAuthError;
use crate::state::Provider;

/// Live at `now`: not expired, not revoked, and (for a refresh token) not yet rotated, since
/// a rotated refresh token can never be exchanged again (RFC 9700 §4.14.2). Access tokens are
/// never consumed, so the last rule only ever applies to refresh tokens.
pub fn is_live(record: &TokenRecord, now: u64) -> bool {
    record.expires_at > now && record.revoked_at.is_none() && record.consumed_at.is_none()
}

/// The record of the presented `token` when it is one of ours and live now.
pub async fn find_live_token(
    provider: &Provider,
    token: &str,
) -> Result<Option<TokenRecord>, OAuthError> {
    let record = provider.store().get_token(&token_key(token)).await?;
    Ok(record.filter(|r| is_live(r, provider.now())))
}

/// [`find_live_token`] with the token's user and, when `exchanged_grant`, its exchanged
/// grant's record, read together (`TokenStore::get_token_view`: one round trip to the store
/// for what introspection and UserInfo read of every token).
pub async fn find_live_token_view(
    provider: &Provider,
    token: &str,
    exchanged_grant: bool,
) -> Result<Option<TokenView>, OAuthError> {
    let view = provider
        .store()
        .get_token_view(&token_key(token), exchanged_grant)
        .await?;
    Ok(view.filter(|v| is_live(&v.token, provider.now())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxid_store::TokenKind;

    fn record() -> TokenRecord {
        TokenRecord {
            token_hash: "h".into(),
            kind: TokenKind::Refresh,
            grant_id: "g".into(),
            client_id: "c".into(),
            user_id: None,
            scopes: vec![],
            sid: None,
            auth_time: None,
            claims_request: None,
            audience: None,
            grant_expires_at: None,
            issued_at: 100,
            expires_at: 200,
            consumed_at: None,
            revoked_at: None,
            dpop_jkt: None,
        }
    }

    #[test]
    fn liveness_follows_expiry_revocation_and_rotation_rfc7662_2_2() {
        assert!(is_live(&record(), 199));
        assert!(!is_live(&record(), 200));
        let revoked = TokenRecord {
            revoked_at: Some(150),
            ..record()
        };
        assert!(!is_live(&revoked, 150));
        let rotated = TokenRecord {
            consumed_at: Some(150),
            ..record()
        };
        assert!(!is_live(&rotated, 150));
    }
}

//! Who may call the admin API: the holder of the configured `admin_token` (bootstrapping), or
//! of an access token Oxid issued by `client_credentials` with the `oxid:admin` scope to a
//! client an operator registered with that scope. Tokens are checked locally in the token
//! store (as introspection does, RFC 7662 §2.2), never through the network.

use oxid_store::TokenKind;

use super::AdminError;
use crate::crypto::secrets::{constant_time_eq, sha256_hex};
use crate::state::Provider;
use crate::tokens::find_live_token;

/// The scope an access token needs for the admin API.
pub const ADMIN_SCOPE: &str = "oxid:admin";

/// Who was let in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminCaller {
    /// The static `admin_token` of the configuration.
    StaticToken,
    /// An `oxid:admin` access token of this client.
    Client(String),
}

/// Checks the bearer token of an admin API request: `Unauthenticated` (401) without a valid
/// token, `Forbidden` (403) for a valid token that does not carry [`ADMIN_SCOPE`].
pub async fn authorize(
    provider: &Provider,
    bearer: Option<&str>,
) -> Result<AdminCaller, AdminError> {
    let unauthenticated = |why: &str| AdminError::Unauthenticated(why.to_string());
    let Some(token) = bearer else {
        return Err(unauthenticated(
            "a Bearer token is required (RFC 6750 §2.1)",
        ));
    };
    if let Some(expected) = &provider.config().admin_token_hash {
        // Hashes of equal length, compared in constant time: the token's length leaks nothing.
        if constant_time_eq(sha256_hex(token).as_bytes(), expected.as_bytes()) {
            return Ok(AdminCaller::StaticToken);
        }
    }
    let record = find_live_token(provider, token)
        .await
        .map_err(|e| AdminError::Invalid(e.description.to_string()))?;
    let Some(record) = record.filter(|r| r.kind == TokenKind::Access) else {
        return Err(unauthenticated("the access token is invalid or expired"));
    };
    let forbidden = || AdminError::Forbidden(format!("the token lacks the {ADMIN_SCOPE} scope"));
    // A token about a user (authorization code, device, ...) never administers the server,
    // whatever its scopes: only a client acting for itself does.
    if record.user_id.is_some() || !record.scopes.iter().any(|s| s == ADMIN_SCOPE) {
        return Err(forbidden());
    }
    // The scope counts only while the client still holds it, and only for a client an
    // operator registered: dynamic registration must not open the admin API to anyone.
    let client = provider.store().get_client(&record.client_id).await?;
    let holds_scope = client.is_some_and(|c| {
        c.registration_token_hash.is_none() && c.scopes.iter().any(|s| s == ADMIN_SCOPE)
    });
    if !holds_scope {
        return Err(forbidden());
    }
    Ok(AdminCaller::Client(record.client_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{provider_with_alice, provider_with_keys, stored_token};

    const STATIC: &str = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA";

    async fn provider() -> Provider {
        provider_with_keys(|s| s.admin_token = Some(STATIC.into())).await
    }

    #[tokio::test]
    async fn the_static_token_is_accepted_and_others_are_401() {
        let provider = provider().await;
        let caller = authorize(&provider, Some(STATIC)).await.unwrap();
        assert_eq!(caller, AdminCaller::StaticToken);
        for wrong in [None, Some(""), Some("Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MB")] {
            let refused = authorize(&provider, wrong).await.unwrap_err();
            assert!(
                matches!(refused, AdminError::Unauthenticated(_)),
                "{wrong:?}"
            );
        }
    }

    #[tokio::test]
    async fn without_a_configured_token_the_static_one_is_refused() {
        let provider = provider_with_keys(|_| {}).await;
        let refused = authorize(&provider, Some(STATIC)).await.unwrap_err();
        assert!(matches!(refused, AdminError::Unauthenticated(_)));
    }

    #[tokio::test]
    async fn a_user_token_with_the_scope_is_403() {
        let provider = provider_with_alice().await;
        // stored_token issues for alice's grant: a token about a user.
        let token = stored_token(&provider, TokenKind::Access, "app", &[ADMIN_SCOPE]).await;
        let refused = authorize(&provider, Some(&token)).await.unwrap_err();
        assert!(matches!(refused, AdminError::Forbidden(_)), "{refused:?}");
    }
}

//! The introspection endpoint's decision (RFC 7662): whether a token is active and what it
//! carries, for the authenticated client that asks.
//!
//! Who may see what (RFC 7662 §2.1 requires authorization, §2.2 lets the server decide which
//! tokens a caller may see):
//! - only confidential clients may call: a public client authenticates with `none`, which
//!   proves nothing, so it would turn the endpoint into a token-scanning oracle. It is
//!   answered `invalid_client` (401 with a `Basic` challenge) rather than
//!   `unauthorized_client`: §2.3 sends failed client credentials to RFC 6749 §5.2's 401, and
//!   `unauthorized_client` is about grant types at the token endpoint;
//! - any confidential client may introspect an access token, whoever it was issued to: the
//!   endpoint exists for protected resources (§1), which hold their own client credentials
//!   and receive tokens issued to other clients. The caller already holds the token;
//! - a refresh token is visible only to the client it was issued to; for anyone else it is
//!   `{"active": false}`, the same answer as an unknown, expired, revoked or already-rotated
//!   token, so the caller cannot tell them apart (§2.2).

use oxid_protocol::claims::Audience;
use oxid_protocol::introspection::{IntrospectionRequest, IntrospectionResponse};
use oxid_protocol::scope::Scope;
use oxid_store::{TokenKind, TokenView};

use crate::client_auth::VerifiedClient;
use crate::error::OAuthError;
use crate::state::Provider;
use crate::tokens::find_live_token_view;

/// Answers `request` for `client`.
pub async fn introspect(
    provider: &Provider,
    client: &VerifiedClient,
    request: &IntrospectionRequest,
) -> Result<IntrospectionResponse, OAuthError> {
    if client.is_public() {
        return Err(OAuthError::invalid_client(
            "introspection needs an authenticated (confidential) client",
        ));
    }
    // The hint is not needed: tokens are found by hash whatever their kind (RFC 7662 §2.1).
    // The token's user and exchanged grant come with it (one read of the store).
    let Some(TokenView {
        token: record,
        user,
        exchanged_grant: exchanged,
    }) = find_live_token_view(provider, &request.token, true).await?
    else {
        return Ok(IntrospectionResponse::inactive());
    };
    let own = record.client_id == client.id();
    let visible = own
        || (record.kind == TokenKind::Access
            && audience_admits(provider, record.audience.as_deref(), client.id()));
    if !visible {
        return Ok(IntrospectionResponse::inactive());
    }
    let username = match &record.user_id {
        Some(_) => match user {
            Some(user) => Some(user.username),
            // A token outliving its user is no longer honoured anywhere (userinfo, refresh).
            None => return Ok(IntrospectionResponse::inactive()),
        },
        None => None,
    };
    // Stored scopes were validated when granted; a failure here is a fault of ours.
    let scope = Scope::from_tokens(&record.scopes).map_err(OAuthError::server)?;
    // A client_credentials token granted no scope has none to report.
    let scope = (!scope.is_empty()).then_some(scope);
    // RFC 7662 §2.2 `sub`: the user's subject as the token's client knows it (OIDC Core §8),
    // so a resource server sees the `sub` of the client's ID token.
    let sub = match &record.user_id {
        Some(user_id) => match provider.client(&record.client_id).await? {
            Some(owner) => Some(crate::pairwise::subject_for(
                provider.secret_box(),
                owner.record(),
                user_id,
            )),
            None => return Ok(IntrospectionResponse::inactive()),
        },
        None => None,
    };
    let token_type = match (record.kind, &record.dpop_jkt) {
        // RFC 9449 §6.2: a bound token is `DPoP`, with its key's thumbprint in `cnf`.
        (TokenKind::Access, Some(_)) => "DPoP",
        (TokenKind::Access, None) => "Bearer",
        (TokenKind::Refresh, _) => "refresh_token",
    };
    // A token minted by exchange is for the audiences asked for, and names its actor
    // (RFC 8693 §2.2.1, §4.1).
    let audiences = exchanged
        .as_ref()
        .map(|x| x.audiences.clone())
        .filter(|a| !a.is_empty());
    let aud = match audiences {
        Some(audiences) => Audience::from(audiences),
        // The resource it is for (RFC 8707 §2, RFC 9068 §2.2), else the client.
        None => Audience::single(
            record
                .audience
                .clone()
                .unwrap_or_else(|| record.client_id.clone()),
        ),
    };
    let mut extra = indexmap::IndexMap::new();
    if let Some(act) = exchanged.and_then(|x| x.act) {
        extra.insert("act".to_string(), act);
    }
    // RFC 9449 §6.2: a DPoP-bound token names its key.
    if let Some(jkt) = &record.dpop_jkt {
        extra.insert("cnf".to_string(), serde_json::json!({ "jkt": jkt }));
    }
    Ok(IntrospectionResponse {
        active: true,
        scope,
        client_id: Some(record.client_id.clone()),
        username,
        token_type: Some(token_type.to_string()),
        exp: Some(record.expires_at),
        iat: Some(record.issued_at),
        sub,
        aud: Some(aud),
        iss: Some(provider.config().issuer.clone()),
        extra,
        ..IntrospectionResponse::default()
    })
}

/// Whether a token for `audience` may be shown to the resource server `caller` (RFC 9701
/// §5: a token not intended for the calling resource server is inactive to it).
fn audience_admits(provider: &Provider, audience: Option<&str>, caller: &str) -> bool {
    let resources = &provider.config().resources;
    audience
        .and_then(|aud| resources.get(aud))
        .is_none_or(|resource| resource.may_introspect(caller))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{provider_with_alice, stored_token, verified};

    #[tokio::test]
    async fn any_confidential_client_sees_an_access_token_rfc7662_2_2() {
        let provider = provider_with_alice().await;
        let token = stored_token(&provider, TokenKind::Access, "app", &["openid"]).await;
        let api = verified(&provider, "api").await;
        let answer = introspect(&provider, &api, &IntrospectionRequest::new(token))
            .await
            .unwrap();
        assert!(answer.active);
        assert_eq!(answer.client_id.as_deref(), Some("app"));
        assert_eq!(answer.username.as_deref(), Some("alice"));
    }

    #[tokio::test]
    async fn a_refresh_token_is_visible_to_its_own_client_only_rfc7662_2_2() {
        let provider = provider_with_alice().await;
        let token = stored_token(&provider, TokenKind::Refresh, "app", &["openid"]).await;
        let request = IntrospectionRequest::new(token);
        let api = verified(&provider, "api").await;
        let app = verified(&provider, "app").await;
        let to_api = introspect(&provider, &api, &request).await.unwrap();
        assert_eq!(to_api, IntrospectionResponse::inactive());
        assert!(introspect(&provider, &app, &request).await.unwrap().active);
    }

    #[tokio::test]
    async fn an_unknown_token_is_inactive() {
        let provider = provider_with_alice().await;
        let app = verified(&provider, "app").await;
        let answer = introspect(&provider, &app, &IntrospectionRequest::new("nope"))
            .await
            .unwrap();
        assert_eq!(answer, IntrospectionResponse::inactive());
    }
}

//! The introspection endpoint (RFC 7662): a client asks whether a token is active and what
//! it carries.
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

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use oxid_protocol::claims::Audience;
use oxid_protocol::introspection::{IntrospectionRequest, IntrospectionResponse};
use oxid_protocol::scope::Scope;
use oxid_protocol::token::TokenError;
use oxid_store::{TokenKind, TokenRecord};

use super::form::{authenticated_form, no_store};
use crate::crypto::secrets::sha256_hex;
use crate::error::OAuthError;
use crate::state::Provider;

/// `POST /introspect`.
pub async fn introspect(
    State(provider): State<Provider>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match introspection(&provider, &headers, &body).await {
        Ok(response) => no_store(Json(response).into_response()),
        Err(e) => e.into_response(),
    }
}

async fn introspection(
    provider: &Provider,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<IntrospectionResponse, OAuthError> {
    let (client, params) = authenticated_form(provider, headers, body).await?;
    if client.is_public() {
        return Err(OAuthError::invalid_client(
            "introspection needs an authenticated (confidential) client",
        ));
    }
    // The hint is not needed: tokens are found by hash whatever their kind (RFC 7662 §2.1).
    let request = IntrospectionRequest::from_params(&params).map_err(TokenError::from)?;
    let store = provider.store();
    let Some(record) = store.get_token(&sha256_hex(&request.token)).await? else {
        return Ok(IntrospectionResponse::inactive());
    };
    let visible = record.kind == TokenKind::Access || record.client_id == client.id();
    if !visible || !is_active(&record, provider.now()) {
        return Ok(IntrospectionResponse::inactive());
    }
    let username = match &record.user_id {
        Some(user_id) => match store.get_user(user_id).await? {
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
    let token_type = match record.kind {
        TokenKind::Access => "Bearer",
        TokenKind::Refresh => "refresh_token",
    };
    Ok(IntrospectionResponse {
        active: true,
        scope,
        client_id: Some(record.client_id.clone()),
        username,
        token_type: Some(token_type.to_string()),
        exp: Some(record.expires_at),
        iat: Some(record.issued_at),
        sub: record.user_id.clone(),
        aud: Some(Audience::single(record.client_id)),
        iss: Some(provider.config().issuer.clone()),
        ..IntrospectionResponse::default()
    })
}

/// Live at `now`: not expired, not revoked, and (for a refresh token) not yet rotated, since
/// a rotated refresh token can never be exchanged again (RFC 9700 §4.14.2).
fn is_active(record: &TokenRecord, now: u64) -> bool {
    record.expires_at > now && record.revoked_at.is_none() && record.consumed_at.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

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
            issued_at: 100,
            expires_at: 200,
            consumed_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn activity_follows_expiry_revocation_and_rotation_rfc7662_2_2() {
        assert!(is_active(&record(), 199));
        assert!(!is_active(&record(), 200));
        let revoked = TokenRecord {
            revoked_at: Some(150),
            ..record()
        };
        assert!(!is_active(&revoked, 150));
        let rotated = TokenRecord {
            consumed_at: Some(150),
            ..record()
        };
        assert!(!is_active(&rotated, 150));
    }
}

//! The UserInfo endpoint's decision (OIDC Core §5.3): which claims a presented access token
//! releases, or which RFC 6750 §3.1 error it gets.

use oxid_protocol::userinfo::UserinfoRequest;
use oxid_store::{TokenKind, TokenRecord, TokenView};
use serde_json::{Map, Value};

use crate::claims::{filter_by_request, released_claims};
use crate::dpop::{Presented, check_binding};
use crate::error::{ErrorKind, OAuthError};
use crate::issuer::Issuer;
use crate::pairwise::subject_for;
use crate::response_encryption::encrypt_for_client;
use crate::state::Provider;
use crate::tokens::find_live_token_view;

/// What UserInfo answers (OIDC Core §5.3.2): the claims as JSON, or as a signed and/or
/// encrypted JWT for a client that registered `userinfo_signed_response_alg` and/or
/// `userinfo_encrypted_response_alg`.
#[derive(Debug)]
pub enum UserinfoAnswer {
    /// `application/json`.
    Json(Map<String, Value>),
    /// `application/jwt`: a JWS, a JWE, or a JWE holding a JWS.
    Jwt(String),
}

/// The answer to `request`: its token's claims, signed when the client asked for that.
pub async fn userinfo_answer(
    provider: &Provider,
    request: &UserinfoRequest,
    dpop: Presented<'_>,
) -> Result<UserinfoAnswer, OAuthError> {
    let (claims, record) = released(provider, request, dpop).await?;
    let client = provider
        .client(&record.client_id)
        .await?
        .ok_or_else(invalid_token)?;
    let issuer = Issuer::for_provider(provider, provider.now());
    let signed = match client.userinfo_signed_response_alg() {
        None => None,
        Some(alg) => Some(issuer.userinfo_jwt(&client, alg, claims.clone())?),
    };
    // OIDC Core §5.3.2: signed, or encrypted, or "signed and then encrypted" (a nested JWT);
    // encrypted only, the plaintext is the JSON object itself.
    match (client.userinfo_encryption(), signed) {
        (None, None) => Ok(UserinfoAnswer::Json(claims)),
        (None, Some(jwt)) => Ok(UserinfoAnswer::Jwt(jwt)),
        (Some(encryption), signed) => {
            let nested = signed.is_some();
            let payload = match signed {
                Some(jwt) => jwt.into_bytes(),
                None => serde_json::to_vec(&claims).map_err(OAuthError::server)?,
            };
            let jwe = encrypt_for_client(provider, &client, encryption, &payload, nested).await?;
            Ok(UserinfoAnswer::Jwt(jwe))
        }
    }
}

fn invalid_token() -> OAuthError {
    OAuthError::bearer(
        ErrorKind::InvalidToken,
        "the access token is invalid or expired",
    )
}

/// The claims released to `request`'s access token by its scopes.
pub async fn userinfo_claims(
    provider: &Provider,
    request: &UserinfoRequest,
) -> Result<Map<String, Value>, OAuthError> {
    Ok(released(provider, request, Presented::Bearer).await?.0)
}

/// The claims released to `request`'s access token, and the token's record.
async fn released(
    provider: &Provider,
    request: &UserinfoRequest,
    dpop: Presented<'_>,
) -> Result<(Map<String, Value>, TokenRecord), OAuthError> {
    // The token's user comes with it (one read of the store).
    let view = find_live_token_view(provider, &request.access_token, false).await?;
    let Some(TokenView {
        token: record,
        user,
        ..
    }) = view.filter(|v| v.token.kind == TokenKind::Access)
    else {
        return Err(invalid_token());
    };
    check_binding(record.dpop_jkt.as_deref(), dpop)?;
    // RFC 8707 §2, RFC 9068 §4: a token issued for another resource is not for UserInfo,
    // as oidc-provider decides too; the issuer or this endpoint as resource are ours.
    if let Some(audience) = record.audience.as_deref() {
        let config = provider.config();
        let userinfo = config.endpoint(crate::discovery::paths::USERINFO);
        if audience != config.issuer && audience != userinfo {
            return Err(OAuthError::bearer(
                ErrorKind::InvalidToken,
                "the access token was issued for another resource, not for UserInfo",
            ));
        }
    }
    if !record.scopes.iter().any(|s| s == "openid") {
        return Err(OAuthError::bearer(
            ErrorKind::InsufficientScope,
            "the access token lacks the openid scope",
        ));
    }
    if record.user_id.is_none() {
        return Err(invalid_token());
    }
    // A token outliving its user (the view has none then) is not honoured.
    let Some(user) = user else {
        return Err(invalid_token());
    };
    let mut claims = released_claims(
        &provider.capabilities().scopes,
        &user,
        record.scopes.iter().map(String::as_str),
    );
    // OIDC Core §5.3.2, §8: the `sub` of the ID token this client got.
    if let Some(client) = provider.client(&record.client_id).await? {
        let sub = subject_for(provider.secret_box(), client.record(), &user.id);
        claims.insert("sub".into(), Value::String(sub));
    } else {
        return Err(invalid_token());
    }
    // OIDC Core §5.5.1: the `userinfo` member's `value`/`values` leave out what matches none.
    let member = record
        .claims_request
        .as_ref()
        .and_then(|c| c.get("userinfo"));
    Ok((filter_by_request(claims, member), record))
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

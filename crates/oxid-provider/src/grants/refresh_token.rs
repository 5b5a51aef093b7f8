//! `grant_type=refresh_token` (RFC 6749 §6, OIDC Core §12): rotation on every use, and reuse
//! of a rotated token revokes the whole family (RFC 9700 §4.14.2, done by the issuer).

use oxid_protocol::scope::Scope;
use oxid_protocol::token::TokenResponse;
use oxid_store::TokenKind;

use super::GrantContext;
use crate::crypto::token_keys::token_key;
use crate::error::OAuthError;
use crate::issuer::{Issuance, Refresh};
use crate::resources::invalid_target;

/// Exchanges a refresh token for new tokens; the scope may narrow, never widen; the resource
/// is the grant's (RFC 8707 §2.2), or any configured one for a grant bound to none.
pub async fn handle(
    ctx: &GrantContext<'_>,
    refresh_token: &str,
    scope: Option<&Scope>,
    resource: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let (store, client) = (ctx.store, ctx.client);
    let old_hash = token_key(refresh_token);
    let invalid = || OAuthError::invalid_grant("the refresh token is invalid or expired");
    let Some(old) = store.get_token(&old_hash).await? else {
        return Err(invalid());
    };
    if old.kind != TokenKind::Refresh || old.client_id != client.id() {
        return Err(invalid());
    }
    // RFC 9449 §5: a (public client's) refresh token bound to a key needs a proof by it.
    if old.dpop_jkt.is_some() && old.dpop_jkt != ctx.dpop_jkt {
        return Err(OAuthError::invalid_grant(
            "the refresh token is bound to a DPoP key this request did not prove",
        ));
    }
    // RFC 6749 §6: the requested scope must not include any scope not originally granted.
    let access_scopes: Vec<String> = match scope {
        Some(scope) => {
            if let Some(extra) = scope.iter().find(|s| !old.scopes.iter().any(|o| o == s)) {
                return Err(OAuthError::invalid_scope(format!(
                    "scope '{}' was not granted originally",
                    oxid_protocol::echo_value(extra)
                )));
            }
            scope.iter().map(str::to_string).collect()
        }
        None => old.scopes.clone(),
    };
    let resource = match (&old.audience, resource) {
        (Some(bound), Some(asked)) if bound != asked => {
            return Err(invalid_target(
                "resource differs from the one the grant was issued for (RFC 8707 §2.2)",
            ));
        }
        (Some(bound), _) => Some(bound.as_str()),
        (None, asked) => asked,
    };
    let resource = super::target(ctx, resource, &access_scopes)?;
    let user = match &old.user_id {
        Some(id) => match store.get_user(id).await? {
            Some(user) => Some(user),
            None => return Err(invalid()),
        },
        None => None,
    };
    let issuance = Issuance {
        client,
        user: user.as_ref(),
        grant_id: &old.grant_id,
        scopes: &access_scopes,
        sid: old.sid.as_deref(),
        auth_time: old.auth_time,
        nonce: None,
        acr: None,
        amr: &[],
        // The grant's `claims` request stays with its tokens (OIDC Core §5.5).
        claims_request: old.claims_request.as_ref(),
        resource,
    };
    // The new refresh token keeps the originally granted scopes and the family's end.
    let refresh = Refresh::Rotate {
        old_hash: &old_hash,
        scopes: &old.scopes,
        family_end: old.grant_expires_at,
        bound_resource: old.audience.as_deref(),
    };
    ctx.issuer.issue(&issuance, refresh).await
}

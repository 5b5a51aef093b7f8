//! `grant_type=urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4, §3.5): the
//! device polls with its device code until the user has answered on the verification page.

use oxid_protocol::token::{TokenErrorCode, TokenResponse};
use oxid_store::DevicePoll;

use super::{GrantContext, offline_refresh};
use crate::crypto::secrets::sha256_hex;
use crate::error::OAuthError;
use crate::issuer::Issuance;

/// One poll: the tokens once the user approved (handed out once), else the RFC 8628 §3.5
/// error that says what to do next.
pub async fn handle(
    ctx: &GrantContext<'_>,
    device_code: &str,
    resource: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let client = ctx.client;
    // RFC 8707 §2: an unknown resource is refused before the poll, which may hand out the
    // grant; whether the granted scopes suit it can be told only after.
    ctx.provider.config().resources.requested(resource)?;
    let polled = ctx
        .store
        .poll_device_grant(&sha256_hex(device_code), client.id(), ctx.now)
        .await?;
    let error = |code, description: String| Err(OAuthError::token(code, description));
    let record = match polled {
        DevicePoll::Approved(record) => record,
        DevicePoll::Pending => {
            return error(
                TokenErrorCode::AuthorizationPending,
                "the user has not answered yet".into(),
            );
        }
        DevicePoll::SlowDown { interval } => {
            return error(
                TokenErrorCode::SlowDown,
                format!("polling too fast: wait {interval} seconds between requests"),
            );
        }
        DevicePoll::Denied => {
            return error(
                TokenErrorCode::AccessDenied,
                "the user denied the request".into(),
            );
        }
        DevicePoll::Expired => {
            return error(
                TokenErrorCode::ExpiredToken,
                "the device code expired: start a new device authorization".into(),
            );
        }
        DevicePoll::AlreadyGranted => {
            return Err(OAuthError::invalid_grant(
                "the device code was already used",
            ));
        }
        DevicePoll::NotFound => {
            return Err(OAuthError::invalid_grant(
                "the device code is invalid or was issued to another client",
            ));
        }
    };
    let Some(approval) = record.state.approval() else {
        return Err(OAuthError::server(
            "an approved device grant without its approval",
        ));
    };
    let resource = super::target(ctx, resource, &record.scopes)?;
    let Some(user) = ctx.store.get_user(&approval.user_id).await? else {
        return Err(OAuthError::invalid_grant("the user no longer exists"));
    };
    let issuance = Issuance {
        client,
        user: Some(&user),
        grant_id: &record.grant_id,
        scopes: &record.scopes,
        sid: approval.sid.as_deref(),
        auth_time: Some(approval.auth_time),
        nonce: None,
        acr: approval.acr.as_deref(),
        amr: &approval.amr,
        claims_request: None,
        resource,
    };
    let refresh = offline_refresh(client, &record.scopes);
    ctx.issuer.issue(&issuance, refresh).await
}

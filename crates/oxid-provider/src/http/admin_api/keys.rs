//! `/admin/v1/keys` (listed, rotated, one retired, through `admin::keys`, the code path of
//! `oxid keys`) and `/admin/v1/scopes` (read).

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;

use super::doc::{BadRequest, Busy, NotFound};
use super::{Outcome, ok};
use crate::admin::views::{KeyView, ScopeView, key_view, scope_view};
use crate::admin::{AdminError, keys};
use crate::state::Provider;

async fn key_list(provider: &Provider) -> Outcome {
    ok(StatusCode::OK, keys::list_keys(provider.backend()).await?)
}

/// The signing keys and their state (never their private part).
#[utoipa::path(get, path = "/admin/v1/keys", operation_id = "listKeys", tag = "keys",
    responses((status = 200, description = "The keys.", body = Vec<KeyView>)))]
pub(super) async fn list_keys(State(provider): State<Provider>) -> Outcome {
    key_list(&provider).await
}

/// Rotates now: the published next key starts signing and a new next key is published.
#[utoipa::path(post, path = "/admin/v1/keys/rotate", operation_id = "rotateKeys", tag = "keys",
    responses(
        (status = 200, description = "The keys after rotation.", body = Vec<KeyView>),
        (status = 409, response = Busy),
    ))]
pub(super) async fn rotate_keys(State(provider): State<Provider>) -> Outcome {
    keys::rotate_keys(provider.backend()).await?;
    reload_keys(&provider).await;
    key_list(&provider).await
}

/// The `force` query parameter: `true` or absent.
fn force_flag(query: Option<String>) -> Result<bool, AdminError> {
    let query = query.unwrap_or_default();
    match url::form_urlencoded::parse(query.as_bytes()).find(|(name, _)| name == "force") {
        None => Ok(false),
        Some((_, value)) => match value.as_ref() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(AdminError::Invalid("force must be true or false".into())),
        },
    }
}

/// Retires one key: it stops signing now (the next key takes over, a new next key is
/// published) and leaves the JWKS once the tokens it signed have expired, or at once with
/// `force=true`.
#[utoipa::path(post, path = "/admin/v1/keys/{kid}/retire", operation_id = "retireKey",
    tag = "keys",
    params(
        ("kid" = String, Path, description = "The key's id."),
        ("force" = Option<bool>, Query, description = "true: the key leaves the JWKS at once, \
            so tokens it signed stop verifying (a compromised key). Otherwise it stays \
            published until what it signed has expired."),
    ),
    responses(
        (status = 200, description = "The retired key.", body = KeyView),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Busy),
    ))]
pub(super) async fn retire_key(
    State(provider): State<Provider>,
    Path(kid): Path<String>,
    RawQuery(query): RawQuery,
) -> Outcome {
    let force = force_flag(query)?;
    let key = keys::retire_key(provider.backend(), &kid, force).await?;
    reload_keys(&provider).await;
    ok(StatusCode::OK, key_view(&key, provider.now()))
}

/// This instance's ring follows at once (others through the store's change feed).
async fn reload_keys(provider: &Provider) {
    if let Err(e) = provider.reload_keys().await {
        tracing::warn!(error = %e, "reloading the signing keys failed");
    }
}

/// The scopes this deployment knows: the OpenID ones and the configured ones, with the
/// claims each releases.
#[utoipa::path(get, path = "/admin/v1/scopes", operation_id = "listScopes", tag = "scopes",
    responses((status = 200, description = "The scopes.", body = Vec<ScopeView>)))]
pub(super) async fn list_scopes(State(provider): State<Provider>) -> Outcome {
    let scopes: Vec<ScopeView> = provider.config().scopes.iter().map(scope_view).collect();
    ok(StatusCode::OK, scopes)
}

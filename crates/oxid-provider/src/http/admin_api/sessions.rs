//! `/admin/v1/sessions`: live login sessions, listed and revoked as logout does, through
//! `admin::sessions`, the code path of `oxid session`.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use super::doc::{BadRequest, NotFound};
use super::{Outcome, no_content, ok};
use crate::admin::AdminError;
use crate::admin::sessions::{self, SessionView};
use crate::state::Provider;

/// The answer of `DELETE /admin/v1/sessions?user=NAME`.
#[derive(Serialize, ToSchema)]
#[schema(as = Revoked)]
pub(super) struct Revoked {
    /// The sids of the sessions ended.
    revoked: Vec<String>,
}

/// The `user` query parameter, if any.
fn user_filter(query: Option<String>) -> Option<String> {
    let query = query?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "user")
        .map(|(_, value)| value.into_owned())
}

/// Live login sessions, of one user when `?user=` is given.
#[utoipa::path(get, path = "/admin/v1/sessions", operation_id = "listSessions", tag = "sessions",
    params(("user" = Option<String>, Query,
        description = "A username: only this user's sessions.")),
    responses(
        (status = 200, description = "The sessions.", body = Vec<SessionView>),
        (status = 404, response = NotFound),
    ))]
pub(super) async fn list_sessions(
    State(provider): State<Provider>,
    RawQuery(query): RawQuery,
) -> Outcome {
    let user = user_filter(query);
    let found = sessions::list_sessions(provider.store(), user.as_deref(), provider.now()).await?;
    ok(StatusCode::OK, found)
}

/// Ends every session of the user as logout does.
#[utoipa::path(delete, path = "/admin/v1/sessions", operation_id = "revokeUserSessions",
    tag = "sessions",
    params(("user" = String, Query, description = "The username whose sessions all end.")),
    responses(
        (status = 200, description = "The sessions ended.", body = Revoked),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    ))]
pub(super) async fn revoke_sessions(
    State(provider): State<Provider>,
    RawQuery(query): RawQuery,
) -> Outcome {
    let Some(user) = user_filter(query) else {
        let why = "name the user whose sessions end: ?user=NAME";
        return Err(AdminError::Invalid(why.into()));
    };
    let revoked = sessions::revoke_user_sessions(&provider, &user).await?;
    ok(StatusCode::OK, Revoked { revoked })
}

/// One live session.
#[utoipa::path(get, path = "/admin/v1/sessions/{id}", operation_id = "getSession",
    tag = "sessions", params(("id" = String, Path, description = "The session's id (its sid).")),
    responses(
        (status = 200, description = "The session.", body = SessionView),
        (status = 404, response = NotFound),
    ))]
pub(super) async fn get_session(
    State(provider): State<Provider>,
    Path(id): Path<String>,
) -> Outcome {
    let all = sessions::list_sessions(provider.store(), None, provider.now()).await?;
    match all.into_iter().find(|s| s.id == id) {
        Some(found) => ok(StatusCode::OK, found),
        None => Err(AdminError::NotFound(format!("no live session {id:?}"))),
    }
}

/// Ends the session as logout does (back-channel logout included).
#[utoipa::path(delete, path = "/admin/v1/sessions/{id}", operation_id = "revokeSession",
    tag = "sessions", params(("id" = String, Path, description = "The session's id (its sid).")),
    responses(
        (status = 204, description = "Done."),
        (status = 404, response = NotFound),
    ))]
pub(super) async fn revoke_session(
    State(provider): State<Provider>,
    Path(id): Path<String>,
) -> Outcome {
    sessions::revoke_session(&provider, &id).await?;
    no_content()
}

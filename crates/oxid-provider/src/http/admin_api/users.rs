//! `/admin/v1/users`: users (CRUD, password reset, claims) and the consents they gave, through
//! `crate::admin` and `crate::users`, the code path of `oxid user` and `oxid consent`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::doc::{BadRequest, Conflict, NotFound};
use super::{Outcome, no_content, ok};
use crate::admin::views::{ConsentView, UserView, user_view};
use crate::admin::{self, AdminError, NewUser, consents, sessions};
use crate::state::Provider;
use crate::users::{self, UserChanges};

/// The body of `POST /admin/v1/users`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UserCreate, examples(json!({"username": "carol",
    "password": "a long enough password", "claims": {"email": "carol@example.com"}})))]
pub(super) struct UserBody {
    /// The login name.
    username: String,
    /// The password (hashed with argon2id).
    password: String,
    /// OIDC Core §5.1 claims and custom ones.
    #[serde(default)]
    #[schema(value_type = Object)]
    claims: Map<String, Value>,
}

/// The body of `PATCH /admin/v1/users/{sub}`: claims to set (`null` removes one) and
/// optionally a new password, as `oxid user update` takes them.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UserChange)]
pub(super) struct UserChangeBody {
    /// Claims to set; `null` removes a claim.
    #[serde(default)]
    #[schema(value_type = Object)]
    claims: Map<String, Value>,
    /// A new password.
    #[schema(min_length = 1)]
    password: Option<String>,
}

/// The body of `PUT /admin/v1/users/{sub}/password`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PasswordReset)]
pub(super) struct PasswordBody {
    /// The new password (hashed with argon2id).
    #[schema(min_length = 1)]
    password: String,
}

fn parse<'a, T: Deserialize<'a>>(body: &'a [u8], what: &str) -> Result<T, AdminError> {
    serde_json::from_slice(body)
        .map_err(|e| AdminError::Invalid(format!("the body is not {what}: {e}")))
}

/// Every user.
#[utoipa::path(get, path = "/admin/v1/users", operation_id = "listUsers", tag = "users",
    responses((status = 200, description = "The users.", body = Vec<UserView>)))]
pub(super) async fn list_users(State(provider): State<Provider>) -> Outcome {
    let users = provider.store().list_users().await?;
    let views: Vec<UserView> = users.iter().map(user_view).collect();
    ok(StatusCode::OK, views)
}

/// Adds a user with a password (hashed with argon2id).
#[utoipa::path(post, path = "/admin/v1/users", operation_id = "createUser", tag = "users",
    request_body = UserBody,
    responses(
        (status = 201, description = "The user.", body = UserView, links(
            ("getUser" = (operation_id = "getUser", parameters(("sub" = "$response.body#/sub")))),
            ("deleteUser" = (operation_id = "deleteUser",
                parameters(("sub" = "$response.body#/sub")))),
        )),
        (status = 400, response = BadRequest),
        (status = 409, response = Conflict),
    ))]
pub(super) async fn create_user(State(provider): State<Provider>, body: Bytes) -> Outcome {
    let body: UserBody = parse(&body, "a user")?;
    let new = NewUser {
        username: body.username,
        password: body.password,
        claims: body.claims,
    };
    let user = admin::add_user(provider.store(), new, provider.now()).await?;
    ok(StatusCode::CREATED, user_view(&user))
}

async fn known_user(provider: &Provider, sub: &str) -> Result<oxid_store::UserRecord, AdminError> {
    let user = provider.store().get_user(sub).await?;
    user.ok_or_else(|| AdminError::NotFound(format!("no user with sub {sub:?}")))
}

/// One user.
#[utoipa::path(get, path = "/admin/v1/users/{sub}", operation_id = "getUser", tag = "users",
    params(("sub" = String, Path, description = "The user's subject identifier.")),
    responses(
        (status = 200, description = "The user.", body = UserView),
        (status = 404, response = NotFound),
    ))]
pub(super) async fn get_user(State(provider): State<Provider>, Path(sub): Path<String>) -> Outcome {
    ok(
        StatusCode::OK,
        user_view(&known_user(&provider, &sub).await?),
    )
}

/// Sets claims (a `null` value removes one) and optionally a new password, as
/// `oxid user update` does.
#[utoipa::path(patch, path = "/admin/v1/users/{sub}", operation_id = "updateUser", tag = "users",
    params(("sub" = String, Path, description = "The user's subject identifier.")),
    request_body = UserChangeBody,
    responses(
        (status = 200, description = "The user after the change.", body = UserView),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    ))]
pub(super) async fn patch_user(
    State(provider): State<Provider>,
    Path(sub): Path<String>,
    body: Bytes,
) -> Outcome {
    let body: UserChangeBody = parse(&body, "a user change")?;
    let changes = UserChanges {
        password: body.password,
        claims: body.claims,
    };
    let user = users::update_user_by_sub(provider.store(), &sub, changes, provider.now()).await?;
    ok(StatusCode::OK, user_view(&user))
}

/// Ends the user's sessions as logout does (back-channel logout included), then removes the
/// user with their tokens, codes and consents.
#[utoipa::path(delete, path = "/admin/v1/users/{sub}", operation_id = "deleteUser",
    tag = "users", params(("sub" = String, Path, description = "The user's subject identifier.")),
    responses(
        (status = 204, description = "Done."),
        (status = 404, response = NotFound),
    ))]
pub(super) async fn delete_user(
    State(provider): State<Provider>,
    Path(sub): Path<String>,
) -> Outcome {
    let user = known_user(&provider, &sub).await?;
    sessions::remove_user(&provider, &user.username).await?;
    no_content()
}

/// Replaces the user's password (hashed with argon2id).
#[utoipa::path(put, path = "/admin/v1/users/{sub}/password", operation_id = "resetPassword",
    tag = "users", params(("sub" = String, Path, description = "The user's subject identifier.")),
    request_body = PasswordBody,
    responses(
        (status = 204, description = "Done."),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    ))]
pub(super) async fn reset_password(
    State(provider): State<Provider>,
    Path(sub): Path<String>,
    body: Bytes,
) -> Outcome {
    let body: PasswordBody = parse(&body, "a password")?;
    let changes = UserChanges {
        password: Some(body.password),
        claims: Map::new(),
    };
    users::update_user_by_sub(provider.store(), &sub, changes, provider.now()).await?;
    no_content()
}

/// The consents the user gave, by client id.
#[utoipa::path(get, path = "/admin/v1/users/{sub}/consents", operation_id = "listConsents",
    tag = "consents",
    params(("sub" = String, Path, description = "The user's subject identifier.")),
    responses(
        (status = 200, description = "The consents.", body = Vec<ConsentView>),
        (status = 404, response = NotFound),
    ))]
pub(super) async fn list_consents(
    State(provider): State<Provider>,
    Path(sub): Path<String>,
) -> Outcome {
    let found = consents::list_consents(provider.store(), Some(&sub), None).await?;
    ok(StatusCode::OK, found)
}

/// Revokes the consent the user gave the client, and with it every access and refresh token
/// that client holds for the user: its next authorization request asks the user again.
#[utoipa::path(delete, path = "/admin/v1/users/{sub}/consents/{client_id}",
    operation_id = "revokeConsent", tag = "consents",
    params(
        ("sub" = String, Path, description = "The user's subject identifier."),
        ("client_id" = String, Path, description = "The client's id."),
    ),
    responses(
        (status = 204, description = "Done: the consent and the client's tokens for the user \
            are revoked."),
        (status = 404, response = NotFound),
    ))]
pub(super) async fn revoke_consent(
    State(provider): State<Provider>,
    Path((sub, client_id)): Path<(String, String)>,
) -> Outcome {
    consents::revoke_consent(provider.store(), &sub, &client_id, provider.now()).await?;
    no_content()
}

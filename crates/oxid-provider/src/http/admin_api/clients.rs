//! `/admin/v1/clients`: registered clients (CRUD), through `admin::clients`, the checks of
//! `oxid client` and `/register`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use super::doc::{BadRequest, Conflict, NotFound};
use super::{Outcome, no_content, ok};
use crate::admin::views::{ClientView, client_view, client_view_with_secret};
use crate::admin::{AdminError, clients};
use crate::client_metadata::ClientMetadata;
use crate::state::Provider;

/// The body of `POST /admin/v1/clients`: the members of OIDC Registration §2 / RFC 7591 §2
/// and Oxid's own, plus these. Parsed by `admin::clients` (as `oxid client add` and
/// `/register` are); this type is what the document says of it.
#[derive(Deserialize, ToSchema)]
#[schema(as = ClientCreate, examples(json!({"client_id": "shop", "client_name": "Shop",
    "redirect_uris": ["https://shop.example/cb"], "scope": "openid profile"})))]
#[allow(dead_code)] // read by the document only; the handler parses the raw members
pub(super) struct ClientCreate {
    /// The new client's id.
    client_id: String,
    /// At least 128 bits of entropy; generated when absent.
    client_secret: Option<String>,
    /// Skip the consent page (first-party applications).
    skip_consent: Option<bool>,
    #[serde(flatten)]
    metadata: ClientMetadata,
}

/// The body of `PUT` and `PATCH /admin/v1/clients/{client_id}`: registration members as in
/// `ClientCreate`; `client_id`, when given, must be the client's own; `client_secret` cannot
/// be set (a new one is issued when the change needs one).
#[derive(Deserialize, ToSchema)]
#[schema(as = ClientChange, examples(json!({"client_name": "Boutique",
    "redirect_uris": ["https://shop.example/cb"]})))]
#[allow(dead_code)] // read by the document only; the handler parses the raw members
pub(super) struct ClientChange {
    /// The client's own id, if given.
    client_id: Option<String>,
    /// Skip the consent page; left as it was when absent.
    skip_consent: Option<bool>,
    #[serde(flatten)]
    metadata: ClientMetadata,
}

/// Every client.
#[utoipa::path(get, path = "/admin/v1/clients", operation_id = "listClients", tag = "clients",
    responses((status = 200, description = "The clients.", body = Vec<ClientView>)))]
pub(super) async fn list_clients(State(provider): State<Provider>) -> Outcome {
    let clients = provider.store().list_clients().await?;
    let views: Vec<ClientView> = clients.iter().map(client_view).collect();
    ok(StatusCode::OK, views)
}

/// Registers a client: the members of OIDC Registration §2 plus `client_id` (and optionally
/// `client_secret`, `skip_consent`). The secret is shown in this answer only.
#[utoipa::path(post, path = "/admin/v1/clients", operation_id = "createClient", tag = "clients",
    request_body = ClientCreate,
    responses(
        (status = 201, description = "The client, with client_secret when it has one.",
            body = ClientView, links(
                ("getClient" = (operation_id = "getClient",
                    parameters(("client_id" = "$response.body#/client_id")))),
                ("patchClient" = (operation_id = "patchClient",
                    parameters(("client_id" = "$response.body#/client_id")))),
                ("replaceClient" = (operation_id = "replaceClient",
                    parameters(("client_id" = "$response.body#/client_id")))),
                ("deleteClient" = (operation_id = "deleteClient",
                    parameters(("client_id" = "$response.body#/client_id")))),
            )),
        (status = 400, response = BadRequest),
        (status = 409, response = Conflict),
    ))]
pub(super) async fn create_client(State(provider): State<Provider>, body: Bytes) -> Outcome {
    let (record, secret) = clients::create_client(&provider, &body).await?;
    ok(
        StatusCode::CREATED,
        client_view_with_secret(&record, secret),
    )
}

async fn known_client(
    provider: &Provider,
    client_id: &str,
) -> Result<oxid_store::ClientRecord, AdminError> {
    let client = provider.store().get_client(client_id).await?;
    client.ok_or_else(|| AdminError::UnknownClient(client_id.to_string()))
}

/// One client.
#[utoipa::path(get, path = "/admin/v1/clients/{client_id}", operation_id = "getClient",
    tag = "clients", params(("client_id" = String, Path, description = "The client id.")),
    responses(
        (status = 200, description = "The client.", body = ClientView),
        (status = 404, response = NotFound),
    ))]
pub(super) async fn get_client(
    State(provider): State<Provider>,
    Path(client_id): Path<String>,
) -> Outcome {
    let client = known_client(&provider, &client_id).await?;
    ok(StatusCode::OK, client_view(&client))
}

/// Replaces every registration member (RFC 7592 §2.2 style); a new `client_secret` is
/// answered only when the change needs one.
#[utoipa::path(put, path = "/admin/v1/clients/{client_id}", operation_id = "replaceClient",
    tag = "clients", params(("client_id" = String, Path, description = "The client id.")),
    request_body = ClientChange,
    responses(
        (status = 200, description = "The client.", body = ClientView),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    ))]
pub(super) async fn put_client(
    State(provider): State<Provider>,
    Path(client_id): Path<String>,
    body: Bytes,
) -> Outcome {
    let (record, secret) = clients::change_client(&provider, &client_id, &body, false).await?;
    ok(StatusCode::OK, client_view_with_secret(&record, secret))
}

/// Changes the members given (RFC 7396 JSON Merge Patch: `null` removes one).
#[utoipa::path(patch, path = "/admin/v1/clients/{client_id}", operation_id = "patchClient",
    tag = "clients", params(("client_id" = String, Path, description = "The client id.")),
    request_body = ClientChange,
    responses(
        (status = 200, description = "The client.", body = ClientView),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    ))]
pub(super) async fn patch_client(
    State(provider): State<Provider>,
    Path(client_id): Path<String>,
    body: Bytes,
) -> Outcome {
    let (record, secret) = clients::change_client(&provider, &client_id, &body, true).await?;
    ok(StatusCode::OK, client_view_with_secret(&record, secret))
}

/// Removes the client and everything issued to it.
#[utoipa::path(delete, path = "/admin/v1/clients/{client_id}", operation_id = "deleteClient",
    tag = "clients", params(("client_id" = String, Path, description = "The client id.")),
    responses(
        (status = 204, description = "Done."),
        (status = 404, response = NotFound),
    ))]
pub(super) async fn delete_client(
    State(provider): State<Provider>,
    Path(client_id): Path<String>,
) -> Outcome {
    if !provider.store().delete_client(&client_id).await? {
        return Err(AdminError::UnknownClient(client_id));
    }
    provider.forget_client(&client_id);
    no_content()
}

//! The admin API's OpenAPI 3.1 document, generated from the code (issue 13: "so it cannot
//! drift"): the operations are the handlers' `#[utoipa::path]` attributes, the bodies and
//! answers the `ToSchema` of the types the handlers parse and serialize, and the errors
//! RFC 9457 problem details. Every protected operation gets the answers the authentication
//! layer and an unreachable database give (401, 403, 503) here, once, so none can forget them.

use std::sync::OnceLock;

use serde_json::Value;

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{Modify, OpenApi, ToResponse};

use super::super::problem::Problem;
use super::{OPENAPI_PATH, clients, keys, sessions, users};
use crate::admin::sessions::SessionView;
use crate::admin::views::{ClientView, ConsentView, KeyStateView, KeyView, ScopeView, UserView};
use crate::client_metadata::ClientMetadata;

/// The request breaks a rule; `detail` names it.
#[derive(ToResponse)]
#[response(
    description = "The request breaks a rule; detail names it.",
    content_type = "application/problem+json"
)]
pub(super) struct BadRequest(#[allow(dead_code)] Problem);

/// No valid Bearer token.
#[derive(ToResponse)]
#[response(
    description = "No valid Bearer token.",
    content_type = "application/problem+json"
)]
pub(super) struct Unauthenticated(#[allow(dead_code)] Problem);

/// The token lacks the `oxid:admin` scope.
#[derive(ToResponse)]
#[response(
    description = "The token lacks the oxid:admin scope.",
    content_type = "application/problem+json"
)]
pub(super) struct Forbidden(#[allow(dead_code)] Problem);

/// No such client, user, session, consent or key.
#[derive(ToResponse)]
#[response(
    description = "No such client, user, session, consent or key.",
    content_type = "application/problem+json"
)]
pub(super) struct NotFound(#[allow(dead_code)] Problem);

/// The id or username is taken.
#[derive(ToResponse)]
#[response(
    description = "The id or username is taken.",
    content_type = "application/problem+json"
)]
pub(super) struct Conflict(#[allow(dead_code)] Problem);

/// Another instance is rotating the keys now.
#[derive(ToResponse)]
#[response(
    description = "Another instance is rotating the keys now; try again in a moment.",
    content_type = "application/problem+json"
)]
pub(super) struct Busy(#[allow(dead_code)] Problem);

/// The database cannot be reached now.
#[derive(ToResponse)]
#[response(
    description = "The database cannot be reached now.",
    content_type = "application/problem+json"
)]
pub(super) struct Unavailable(#[allow(dead_code)] Problem);

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Oxid admin API",
        version = "1",
        description = "Served on the admin listener (admin_listen). Every operation but this \
            document needs a Bearer token: the configured admin_token, or an access token Oxid \
            issued by client_credentials with the oxid:admin scope to a client an operator \
            registered with that scope. Errors are RFC 9457 problem details.",
    ),
    paths(
        super::openapi,
        clients::list_clients, clients::create_client, clients::get_client,
        clients::put_client, clients::patch_client, clients::delete_client,
        users::list_users, users::create_user, users::get_user, users::patch_user,
        users::delete_user, users::reset_password, users::list_consents, users::revoke_consent,
        sessions::list_sessions, sessions::revoke_sessions, sessions::get_session,
        sessions::revoke_session,
        keys::list_keys, keys::rotate_keys, keys::retire_key, keys::list_scopes,
    ),
    components(
        schemas(Problem, ClientView, ClientMetadata, UserView, ConsentView, KeyView, KeyStateView,
            ScopeView, SessionView),
        responses(BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Busy, Unavailable),
    ),
    modifiers(&Protected),
    security(("bearer" = [])),
)]
struct AdminApiDoc;

/// The bearer scheme, and the answers of the authentication layer and of an unreachable
/// database on every operation but the document itself (which needs no token).
struct Protected;

impl Modify for Protected {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                if path == OPENAPI_PATH {
                    // `security: []`: no token needed (OpenAPI 3.1 §4.8.10).
                    operation.security = Some(Vec::new());
                    continue;
                }
                let answers = &mut operation.responses.responses;
                for (status, name) in [
                    ("401", "Unauthenticated"),
                    ("403", "Forbidden"),
                    ("503", "Unavailable"),
                ] {
                    let reference = RefOr::Ref(Ref::from_response_name(name));
                    answers.entry(status.to_string()).or_insert(reference);
                }
            }
        }
    }
}

/// The document as generated from the code.
pub fn document() -> utoipa::openapi::OpenApi {
    AdminApiDoc::openapi()
}

/// The document as JSON, generated once.
pub fn openapi_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let text = serde_json::to_value(document()).and_then(|mut value| {
            camel_case_links(&mut value);
            serde_json::to_string_pretty(&value)
        });
        text.unwrap_or_else(|e| {
            // Serializing our own document cannot fail but for a bug: say so, do not panic.
            tracing::error!(error = %e, "the OpenAPI document could not be serialized");
            String::from("{}")
        })
    })
}

/// utoipa 5 writes a Link Object's members in snake case (`operation_id`); OpenAPI 3.1
/// §4.8.20.1 names them `operationId`, `operationRef` and `requestBody`, and tools that
/// follow links (schemathesis's stateful phase) refuse the others.
fn camel_case_links(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(links)) = map.get_mut("links") {
                for link in links.values_mut().filter_map(Value::as_object_mut) {
                    for (from, to) in [
                        ("operation_id", "operationId"),
                        ("operation_ref", "operationRef"),
                        ("request_body", "requestBody"),
                    ] {
                        if let Some(member) = link.remove(from) {
                            link.insert(to.to_string(), member);
                        }
                    }
                }
            }
            map.values_mut().for_each(camel_case_links);
        }
        Value::Array(items) => items.iter_mut().for_each(camel_case_links),
        _ => {}
    }
}

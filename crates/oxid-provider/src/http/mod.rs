//! The HTTP surface: the router and thin handlers that parse into protocol types, call the
//! logic, and render its outcome or error. Cookies are read and written here only.

mod admin_api;
mod admin_listener;
mod authorize;
mod cookies;
mod device;
mod errors;
mod fixed;
mod form;
mod form_post;
mod front;
mod health;
mod introspection;
mod layers;
mod logout;
mod page_form;
mod pages;
mod par;
mod problem;
mod registration;
mod revocation;
mod token;
mod userinfo;
mod wellknown;

use axum::Router;
use axum::routing::{get, post};

use crate::discovery::paths;
use crate::state::Provider;

pub use admin_api::{
    OPENAPI_PATH, openapi_json as admin_openapi_json, route_list as admin_api_routes,
};
pub use admin_listener::admin_router;

/// The HTML pages (under the issuer's path): their errors are pages, never JSON.
const PAGE_PATHS: [&str; 8] = [
    paths::AUTHORIZE,
    paths::LOGIN,
    paths::CONSENT,
    paths::DEVICE,
    paths::DEVICE_LOGIN,
    paths::DEVICE_CONSENT,
    paths::LOGOUT,
    paths::LOGOUT_CONFIRM,
];

/// The whole HTTP service as `oxid serve` runs it: the front layer around the router.
pub type App = front::Front<Router>;

/// Builds the router; endpoints live under the issuer's path. The same service as [`app`],
/// as an axum `Router` (one more routing step per request: `serve` uses [`app`]).
pub fn router(provider: Provider) -> Router {
    Router::new().fallback_service(app(provider))
}

/// The service of [`router`] without the extra routing step.
pub fn app(provider: Provider) -> App {
    app_with(provider, true)
}

/// The service, with the fixed documents answered in the front layer when `fixed_documents`
/// (always, but for the test that compares both answers).
fn app_with(provider: Provider, fixed_documents: bool) -> App {
    let prefix = provider.config().issuer_path().to_string();
    let provider_for_probes = provider.clone();
    let front = front::FrontLayer::new(provider.clone(), fixed_documents);
    // Each handler extracts, makes one call into the logic named beside it, and renders.
    let mut cors = Router::new()
        .route(
            paths::OPENID_CONFIGURATION,
            get(wellknown::openid_configuration),
        )
        .route(paths::OAUTH_METADATA, get(wellknown::oauth_metadata))
        .route(paths::JWKS, get(wellknown::jwks))
        // client_auth, then grants::dispatch
        .route(paths::TOKEN, post(token::token))
        // client_auth, then device::authorize_device (RFC 8628 §3.1)
        .route(
            paths::DEVICE_AUTHORIZATION,
            post(device::device_authorization),
        )
        // client_auth, then par::push (RFC 9126 §2)
        .route(paths::PUSHED_AUTHORIZATION_REQUEST, post(par::push))
        // client_auth, then revocation::revoke
        .route(paths::REVOCATION, post(revocation::revoke))
        // client_auth, then introspection::introspect
        .route(paths::INTROSPECTION, post(introspection::introspect))
        // userinfo::userinfo_claims
        .route(
            paths::USERINFO,
            get(userinfo::userinfo).post(userinfo::userinfo),
        );
    if provider.capabilities().features.registration {
        let configuration = format!("{}/{{client_id}}", paths::REGISTRATION);
        cors = cors
            // registration::register, through admin::add_client
            .route(paths::REGISTRATION, post(registration::register))
            // registration::{read, update, delete}, RFC 7592
            .route(
                &configuration,
                get(registration::read)
                    .put(registration::update)
                    .delete(registration::delete),
            );
    }
    let cors = cors.layer(front::CorsLayer);
    let pages = Router::new()
        // authorize::authorize: trust, check, then login page, consent page or code
        .route(
            paths::AUTHORIZE,
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        // login::log_in: checks the password, starts a fresh session
        .route(paths::LOGIN, post(authorize::login))
        // consent::answer_consent: remembers the consent
        .route(paths::CONSENT, post(authorize::consent))
        // device::find_user_code: the user code typed, throttled; then login or consent
        .route(
            paths::DEVICE,
            get(device::device_get).post(device::device_post),
        )
        // login::check_password, as the login page
        .route(paths::DEVICE_LOGIN, post(device::device_login))
        // device::answer_device: approve or deny the device
        .route(paths::DEVICE_CONSENT, post(device::device_consent))
        // logout::end_session_request; logout::log_out ends the session, notifies clients
        .route(
            paths::LOGOUT,
            get(logout::logout_get).post(logout::logout_post),
        )
        // logout::confirm_logout: logs out (logout::log_out) or stays
        .route(paths::LOGOUT_CONFIRM, post(logout::logout_confirm))
        .route("/assets/style.css", get(wellknown::style))
        .layer(axum::middleware::from_fn(layers::page_headers));
    let endpoints: Router = cors.merge(pages).with_state(provider.clone());
    let app: Router = if prefix.is_empty() {
        endpoints
    } else {
        // RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
        let inserted = format!("{}{}", paths::OAUTH_METADATA, prefix);
        let root: Router = Router::new()
            .route(&inserted, get(wellknown::oauth_metadata))
            .layer(front::CorsLayer)
            .with_state(provider);
        Router::new().nest(&prefix, endpoints).merge(root)
    };
    // Browsers ask the origin for an icon whatever the page says; an empty answer keeps
    // their consoles free of 404s.
    let probes: Router = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .with_state(provider_for_probes);
    let routes: Router = app
        .route("/favicon.ico", get(wellknown::favicon))
        .merge(probes)
        .fallback(wellknown::not_found);
    // The log line, the limits (shed and refused requests are logged too), a page's refusal
    // rendered as a page, and the fixed documents. Around the whole router, not each route
    // (`Router::layer`), so that the fixed documents are answered before any routing.
    tower::Layer::layer(&front, routes)
}

//! The Oxid authorization server as a library: configuration, keys, grants, sessions, pages
//! and the axum router. The `oxid` binary only wires it up.
//!
//! Logic modules (`authorize`, `login`, `consent`, `logout`, `userinfo`, `introspection`,
//! `revocation`, `grants`) take typed inputs and return typed outcomes; `http` extracts,
//! calls one of them, and renders.
#![deny(missing_docs)]
// No unwrap or expect outside tests: a bad input is an error value, never a panic on a
// request path (see CONTRIBUTING.md).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod access_token_jwt;
pub mod admin;
pub mod authorize;
pub mod authorize_request;
pub mod backchannel;
pub mod backchannel_sender;
pub mod backend;
pub mod capabilities;
pub mod cimd;
pub mod claims;
pub mod client;
pub mod client_address;
pub mod client_assertion;
pub mod client_auth;
pub mod client_cache;
pub mod client_keys;
pub mod client_metadata;
pub mod client_registry;
pub mod clock;
pub mod config;
pub mod consent;
pub mod crypto;
pub mod device;
pub mod discovery;
pub mod dpop;
pub mod dpop_nonce;
pub mod error;
pub mod exchange_policy;
pub mod exchange_tokens;
pub mod front_channel;
pub mod frontchannel;
pub mod grants;
pub mod http;
pub mod interaction;
pub mod introspection;
pub mod introspection_jwt;
mod invalidation;
pub mod issuer;
pub mod limits;
pub mod locales;
pub mod login;
pub mod logout;
pub mod metrics;
pub mod metrics_db;
pub mod metrics_store;
pub mod outbound;
pub mod outbox;
pub mod pages;
pub mod pairwise;
pub mod par;
pub mod profile;
pub mod redirect_uri;
pub mod refresh_rotation;
pub mod registration;
pub mod request_object;
mod request_object_verify;
pub mod request_uri;
pub mod resources;
pub mod response_encryption;
pub mod revocation;
pub mod saml;
pub mod scopes;
pub mod server;
pub mod session;
pub mod state;
pub mod subject_mapping;
pub mod sweep;
#[cfg(test)]
mod test_support;
pub mod throttle;
pub mod token_policy;
pub mod tokens;
pub mod trusted_issuers;
pub mod trusted_jwt;
pub mod userinfo;
pub mod users;

pub use state::Provider;

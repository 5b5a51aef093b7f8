//! The Oxid authorization server as a library: configuration, keys, grants, sessions, pages
//! and the axum router. The `oxid` binary only wires it up.
//!
//! Logic modules (`authorize`, `login`, `consent`, `logout`, `userinfo`, `introspection`,
//! `revocation`, `grants`) take typed inputs and return typed outcomes; `http` extracts,
//! calls one of them, and renders.
#![deny(missing_docs)]

pub mod admin;
pub mod authorize;
pub mod authorize_request;
pub mod backchannel;
pub mod backend;
pub mod capabilities;
pub mod claims;
pub mod client;
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
pub mod error;
pub mod front_channel;
pub mod frontchannel;
pub mod grants;
pub mod http;
pub mod interaction;
pub mod introspection;
mod invalidation;
pub mod issuer;
pub mod limits;
pub mod locales;
pub mod login;
pub mod logout;
pub mod metrics;
pub mod metrics_store;
pub mod outbound;
pub mod pages;
pub mod redirect_uri;
pub mod registration;
pub mod revocation;
pub mod scopes;
pub mod server;
pub mod session;
pub mod state;
#[cfg(test)]
mod test_support;
pub mod throttle;
pub mod tokens;
pub mod userinfo;
pub mod users;

pub use state::Provider;

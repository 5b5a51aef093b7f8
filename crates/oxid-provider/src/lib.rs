//! The Oxid authorization server as a library: configuration, keys, grants, sessions, pages
//! and the axum router. The `oxid` binary only wires it up.

pub mod admin;
pub mod authorize;
pub mod backchannel;
pub mod claims;
pub mod client_auth;
pub mod client_cache;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod discovery;
pub mod error;
pub mod frontchannel;
pub mod grants;
pub mod http;
pub mod interaction;
pub mod issuer;
pub mod logout;
pub mod pages;
pub mod server;
pub mod session;
pub mod state;

pub use state::Provider;

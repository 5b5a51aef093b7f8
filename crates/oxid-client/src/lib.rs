//! oxid-client: a relying-party library for any OpenID Connect provider.
//!
//! Discovery and the provider summary, authorization URLs and callbacks, token calls with
//! every client authentication method, ID token validation against the provider's keys,
//! protected resource discovery (RFC 9728), userinfo, introspection, revocation and logout;
//! for an API, access token verification ([`access_token`]: RFC 9068 JWTs or introspection).
//!
//! ```no_run
//! use oxid_client::{ClientAuth, DiscoveryOptions, OidcClient};
//! use oxid_protocol::scope::Scope;
//!
//! # async fn example() -> Result<(), oxid_client::ClientError> {
//! let client = OidcClient::discover(
//!     "https://login.example.com",
//!     "my-client",
//!     ClientAuth::ClientSecretBasic("my-secret".into()),
//!     DiscoveryOptions::default(),
//! )
//! .await?;
//! let scope = Scope::parse("openid email").map_err(|e| oxid_client::ClientError::Unsupported(e.to_string()))?;
//! let start = client.authorization_url("https://app.example.com/cb", &scope, &[])?;
//! // Send the user to `start.url`, keep `start.session`; on the callback:
//! # let query = "";
//! let response = client.handle_callback(&start.session, query)?;
//! let tokens = client
//!     .exchange_code(&start.session, response.code.as_deref().unwrap_or_default())
//!     .await?;
//! let claims = tokens.id_token; // validated: signature, iss, aud, nonce, exp, at_hash
//! # let _ = claims;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]
// No unwrap or expect outside tests: a bad input is an error value, never a panic on a
// request path (see CONTRIBUTING.md).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod access_token;
pub mod authorization;
pub mod client;
pub mod client_auth;
pub mod clock;
pub mod discovery;
pub mod endpoints;
pub mod error;
pub mod http;
pub mod id_token;
pub mod jwks;
pub mod jws;
pub mod loopback;
pub mod provider;
pub mod random;
pub mod report;
pub mod resource;
pub mod signing;
pub mod summary;
pub mod token;

pub use client::{OidcClient, Tokens};
pub use client_auth::ClientAuth;
pub use clock::{Clock, ManualClock, SystemClock};
pub use discovery::WellKnown;
pub use error::ClientError;
pub use http::HttpClient;
pub use id_token::AcrValidator;
pub use jws::{JwsAlgorithm, JwsError, VerifyingKey};
pub use provider::{DiscoveryOptions, Provider};
pub use random::Pkce;
pub use signing::SigningKey;
pub use summary::{
    AuthQueryParams, OidcSummary, append_auth_query_params, basic_authentication_header,
};

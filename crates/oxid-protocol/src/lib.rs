//! # oxid-protocol
//!
//! Every OpenID Connect and OAuth 2.0 message of Oxid as a type: parse, encode, validate.
//! No I/O (reading the system clock aside) and no cryptography: the provider and the client library do the HTTP, the storage
//! and the signatures, and speak through these types.
//!
//! - [`params`]: form / query parameters with RFC 6749 §3.1's rules (no repeats, empty =
//!   absent, strict percent-encoding).
//! - [`scope`]: the space-delimited `scope` set (RFC 6749 §3.3).
//! - [`error`]: the character rules of `error_description` / `error_uri` (RFC 6749 §5.2).
//! - [`authorization`]: authentication request, success and error responses (OIDC Core
//!   §3.1.2).
//! - [`token`]: token requests per grant, client authentication, token responses and errors
//!   (RFC 6749 §4-§6, RFC 7523, RFC 8628, RFC 8693).
//! - [`claims`]: ID token, JWT access token and logout token claims with `validate_extern`.
//! - [`jose`] and [`jwk`]: compact JWS framing, JOSE header, the JWS `alg` table ([`Alg`]),
//!   JWK and JWK Set.
//! - [`clock`]: the one [`clock::Clock`] of the provider and the client, and a test clock.
//! - [`metadata`]: provider metadata (OIDC Discovery §3, RFC 8414 §2) and its strict check.
//! - [`userinfo`], [`introspection`], [`revocation`], [`registration`], [`logout`],
//!   [`bearer`], [`device`]: the remaining endpoints' messages.
//! - [`summary`]: the client-side provider summary (`Providers.OidcSummary`).
//!
//! ```
//! use oxid_protocol::{AuthenticationRequest, AuthErrorCode, Params, ResponseType};
//!
//! // The provider reads an authorization request...
//! let params = Params::parse_query(
//!     "response_type=code&client_id=s6BhdRkqt3&redirect_uri=https%3A%2F%2Fclient.example.org%2Fcb\
//!      &scope=openid%20profile&state=af0ifjsldkj&nonce=n-0S6_WzA2Mj",
//! )?;
//! let request = AuthenticationRequest::from_params(&params)?;
//! assert_eq!(request.response_type, ResponseType::CODE);
//! assert!(request.scope.contains("openid"));
//!
//! // ...and a repeated parameter is a typed invalid_request naming it (RFC 6749 §3.1).
//! let err = Params::parse_query("scope=openid&scope=email").unwrap_err();
//! let err: oxid_protocol::AuthorizationError = err.into();
//! assert_eq!(err.error, AuthErrorCode::InvalidRequest);
//! assert!(err.error_description.unwrap().contains("scope"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
// No unwrap or expect outside tests: a bad input is an error value, never a panic on a
// request path (see CONTRIBUTING.md).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod error;
mod serde_util;

pub mod authorization;
pub mod bearer;
pub mod claims;
pub mod clock;
pub mod device;
pub mod introspection;
pub mod jose;
pub mod jwk;
pub mod logout;
pub mod metadata;
pub mod params;
pub mod registration;
pub mod revocation;
pub mod scope;
pub mod summary;
pub mod token;
pub mod userinfo;

pub use authorization::{
    AuthErrorCode, AuthenticationRequest, AuthorizationError, AuthorizationResponse,
    AuthorizationResult, CodeChallengeMethod, Display, Prompt, PromptSet, ResponseMode,
    ResponseType,
};
pub use bearer::{BearerChallenge, BearerErrorCode};
pub use claims::{
    AccessTokenClaims, Audience, ClaimsError, IdTokenClaims, IdTokenRules, LogoutTokenChecks,
    LogoutTokenClaims, LogoutTokenRules, Validation,
};
pub use device::{DeviceAuthorizationRequest, DeviceAuthorizationResponse};
pub use error::{UnknownValue, echo_value, is_valid_error_text, sanitize_error_text};
pub use introspection::{IntrospectionError, IntrospectionRequest, IntrospectionResponse};
pub use jose::{Alg, AlgFamily, CompactJws, JoseError, JoseHeader};
pub use jwk::{Jwk, JwkSet, KeyParams};
pub use logout::{BackchannelLogoutRequest, EndSessionRequest, FrontchannelLogoutNotification};
pub use metadata::{MetadataError, MetadataProfile, MetadataViolation, ProviderMetadata};
pub use params::{ParamError, ParamErrorKind, Params};
pub use registration::{
    ClientMetadata, RegistrationError, RegistrationErrorCode, RegistrationResponse,
};
pub use revocation::{RevocationError, RevocationRequest};
pub use scope::{Scope, ScopeError};
pub use summary::OidcSummary;
pub use token::{
    ClientAuthMethod, ClientAuthParams, TokenError, TokenErrorCode, TokenRequest, TokenResponse,
};
pub use userinfo::{UserinfoError, UserinfoErrorResponse, UserinfoRequest, UserinfoResponse};

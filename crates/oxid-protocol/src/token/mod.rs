//! The token endpoint: token requests for every grant (RFC 6749 §4.1.3, §4.3.2, §4.4.2,
//! §6; RFC 7523 §2.1; RFC 8628 §3.4; RFC 8693 §2.1), client authentication parameters
//! (RFC 6749 §2.3.1, RFC 7521 §4.2, RFC 7523 §2.2), the success response (RFC 6749 §5.1,
//! OIDC Core §3.1.3.3) and the error response (RFC 6749 §5.2, RFC 8628 §3.5).

mod client_auth;
mod error;
mod request;
mod response;

pub use client_auth::{
    CLIENT_AUTH_PARAMS, ClientAuthMethod, ClientAuthParams, basic_authorization,
    parse_basic_authorization,
};
pub use error::{TokenError, TokenErrorCode, TokenErrorResponse};
pub use request::TokenRequest;
pub use response::{TokenResponse, TokenSuccessResponse};

/// `grant_type` of the authorization code grant.
pub const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";
/// `grant_type` of the refresh token grant.
pub const GRANT_REFRESH_TOKEN: &str = "refresh_token";
/// `grant_type` of the client credentials grant.
pub const GRANT_CLIENT_CREDENTIALS: &str = "client_credentials";
/// `grant_type` of the resource owner password credentials grant.
pub const GRANT_PASSWORD: &str = "password";
/// `grant_type` of the JWT bearer grant (RFC 7523 §2.1).
pub const GRANT_JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// `grant_type` of the device authorization grant (RFC 8628 §3.4).
pub const GRANT_DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// `grant_type` of token exchange (RFC 8693 §2.1).
pub const GRANT_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// `client_assertion_type` for JWT client authentication (RFC 7523 §2.2).
pub const CLIENT_ASSERTION_TYPE_JWT_BEARER: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

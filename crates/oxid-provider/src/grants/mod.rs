//! The token endpoint's grants (RFC 6749 §4, §6): one file each, one shape each
//! (`handle(&GrantContext, ...) -> TokenResponse`), dispatched by `grant_type` to the grants
//! the capability table enables. No grant sees HTTP or reads the clock.

mod authorization_code;
mod client_credentials;
mod device_code;
mod jwt_bearer;
mod password;
mod refresh_token;
mod saml2_bearer;
#[cfg(test)]
mod tests;
mod token_exchange;

use oxid_protocol::token::{TokenErrorCode, TokenRequest, TokenResponse};
use oxid_store::Store;
use std::net::IpAddr;

use crate::capabilities::{Capabilities, GrantType};
use crate::client_auth::VerifiedClient;
use crate::error::OAuthError;
use crate::issuer::{Issuer, Refresh};
use crate::metrics::Metrics;
use crate::state::Provider;

/// What a grant may use: the time of the request (read once), the store, the capability
/// table, the issuer and the authenticated client.
pub struct GrantContext<'a> {
    /// The time of this token request.
    pub now: u64,
    /// The store.
    pub store: &'a dyn Store,
    /// What this deployment supports.
    pub caps: &'a Capabilities,
    /// Mints the tokens, at `now`.
    pub issuer: Issuer<'a>,
    /// The client the request authenticated.
    pub client: &'a VerifiedClient,
    /// Counts the tokens issued.
    pub metrics: &'a Metrics,
    /// The provider, for the checks shared with its pages (passwords and their throttling).
    pub provider: &'a Provider,
    /// The address the request came from, when known (for throttling).
    pub peer: Option<IpAddr>,
    /// The thumbprint of the DPoP key the request proved (RFC 9449 §5).
    pub dpop_jkt: Option<String>,
}

impl<'a> GrantContext<'a> {
    /// The context of one token request made at `now`.
    pub fn new(provider: &'a Provider, client: &'a VerifiedClient, now: u64) -> Self {
        GrantContext {
            now,
            store: provider.store(),
            caps: provider.capabilities(),
            issuer: Issuer::for_provider(provider, now),
            client,
            metrics: provider.metrics(),
            provider,
            peer: None,
            dpop_jkt: None,
        }
    }

    /// Binds what this grant issues to the DPoP key of thumbprint `jkt` (RFC 9449 §5).
    pub fn with_dpop(self, jkt: Option<String>) -> Self {
        let issuer = self.issuer.with_dpop_jkt(jkt.clone());
        GrantContext {
            issuer,
            dpop_jkt: jkt,
            ..self
        }
    }

    /// The same context for a request from `peer`.
    pub fn with_peer(self, peer: Option<IpAddr>) -> Self {
        GrantContext { peer, ..self }
    }
}

/// The requested scopes, each one the client may have; `invalid_scope` naming the first it
/// may not. None requested is none granted.
pub fn client_scopes(
    client: &crate::client::Client,
    scope: Option<&oxid_protocol::scope::Scope>,
) -> Result<Vec<String>, OAuthError> {
    let mut scopes = Vec::new();
    for s in scope.iter().flat_map(|scope| scope.iter()) {
        if !client.allows_scope(s) {
            return Err(OAuthError::invalid_scope(format!(
                "scope '{}' is not available to this client",
                oxid_protocol::echo_value(s)
            )));
        }
        scopes.push(s.to_string());
    }
    Ok(scopes)
}

/// RFC 8707 §2: the resource a token request names, when it names one: configured
/// (`invalid_target` else), and accepting every scope asked for it (`invalid_scope` else).
fn target<'a>(
    ctx: &GrantContext<'a>,
    requested: Option<&str>,
    scopes: &[String],
) -> Result<Option<&'a crate::resources::Resource>, OAuthError> {
    let resource = ctx.provider.config().resources.requested(requested)?;
    if let Some(resource) = resource {
        resource
            .check_scopes(scopes.iter().map(String::as_str), |s| {
                ctx.caps.is_user_scope(s)
            })
            .map_err(OAuthError::invalid_scope)?;
    }
    Ok(resource)
}

/// OIDC Core §11: a new refresh token only with `offline_access`, to clients allowed to
/// refresh.
fn offline_refresh<'s>(client: &VerifiedClient, scopes: &'s [String]) -> Refresh<'s> {
    let offline = scopes.iter().any(|s| s == "offline_access");
    if offline && client.allows_grant(GrantType::RefreshToken) {
        Refresh::New { scopes }
    } else {
        Refresh::None
    }
}

/// Runs the grant a token request names, when the table enables it and the client
/// registered it.
pub async fn dispatch(
    ctx: &GrantContext<'_>,
    request: TokenRequest,
) -> Result<TokenResponse, OAuthError> {
    let name = request.grant_type().to_string();
    let unsupported = || {
        OAuthError::token(
            TokenErrorCode::UnsupportedGrantType,
            format!("grant_type {name} is not supported"),
        )
    };
    let Some(grant) = name
        .parse::<GrantType>()
        .ok()
        .filter(|g| ctx.caps.supports_grant(*g))
    else {
        return Err(unsupported());
    };
    // RFC 6749 §5.2 unauthorized_client: the client is not registered for this grant.
    if !ctx.client.allows_grant(grant) {
        return Err(OAuthError::unauthorized_client(format!(
            "this client may not use grant_type {name}"
        )));
    }
    // RFC 8707 §2.2, for every grant (the SAML grant's parameters are all untyped).
    let resource = request.param("resource").map(str::to_string);
    let resource = resource.as_deref();
    let issued = match request {
        TokenRequest::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
            ..
        } => {
            let presented = authorization_code::Presented {
                code: &code,
                redirect_uri: &redirect_uri,
                code_verifier: code_verifier.as_deref(),
                resource,
            };
            authorization_code::handle(ctx, presented).await
        }
        TokenRequest::RefreshToken {
            refresh_token,
            scope,
            ..
        } => refresh_token::handle(ctx, &refresh_token, scope.as_ref(), resource).await,
        TokenRequest::ClientCredentials { scope, .. } => {
            client_credentials::handle(ctx, scope.as_ref(), resource).await
        }
        TokenRequest::DeviceCode { device_code, .. } => {
            device_code::handle(ctx, &device_code, resource).await
        }
        TokenRequest::Password {
            username,
            password,
            scope,
            ..
        } => password::handle(ctx, &username, &password, scope.as_ref(), resource).await,
        // RFC 7522 §2.1: the protocol crate reads this grant's parameters as `Other`.
        TokenRequest::Other { params, .. } if grant == GrantType::Saml2Bearer => {
            saml2_bearer::handle(ctx, &params, resource).await
        }
        TokenRequest::JwtBearer {
            assertion, scope, ..
        } => jwt_bearer::handle(ctx, &assertion, scope.as_ref(), resource).await,
        TokenRequest::TokenExchange {
            subject_token,
            subject_token_type,
            actor_token,
            actor_token_type,
            requested_token_type,
            resource,
            audience,
            scope,
            ..
        } => {
            let request = token_exchange::ExchangeRequest {
                subject_token: &subject_token,
                subject_token_type: &subject_token_type,
                actor: actor_token.as_deref().zip(actor_token_type.as_deref()),
                requested_token_type: requested_token_type.as_deref(),
                resource: resource.as_deref(),
                audience: audience.as_deref(),
                scope: scope.as_ref(),
            };
            token_exchange::handle(ctx, request).await
        }
        // A grant in the table without a handler here; the table test keeps this unreachable.
        _ => Err(unsupported()),
    };
    if let Ok(response) = &issued {
        let format = crate::access_token_jwt::format_of(&response.access_token);
        ctx.metrics.token_issued(grant, format);
    }
    issued
}

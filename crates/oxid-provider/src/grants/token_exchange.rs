//! `grant_type=urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693): a client with a
//! `[[token_exchange]]` policy trades a token representing a subject (an access token or ID
//! token Oxid issued, or a JWT of a trusted issuer; `exchange_tokens`) for an opaque access
//! token for that subject, narrowed to an audience the policy allows and to scopes the
//! subject token carried. With an `actor_token` the new token records the actor in `act`
//! (delegation, §4.1), kept with the grant and shown by introspection; without one it stands
//! for the subject alone (impersonation, §1.1), only where the policy allows it.

use oxid_protocol::scope::Scope;
use oxid_protocol::token::{TokenErrorCode, TokenResponse};
use oxid_store::ExchangedGrantRecord;
use serde_json::{Map, Value, json};

use super::GrantContext;
use crate::crypto::secrets::new_grant_id;
use crate::error::OAuthError;
use crate::exchange_policy::ExchangePolicy;
use crate::exchange_tokens::{ACCESS_TOKEN_TYPE, JWT_TYPE, Party, read_token};
use crate::issuer::{Issuance, Refresh};

/// The parameters of a token exchange request (RFC 8693 §2.1).
#[derive(Debug, Clone, Copy)]
pub struct ExchangeRequest<'r> {
    /// `subject_token`.
    pub subject_token: &'r str,
    /// `subject_token_type`.
    pub subject_token_type: &'r str,
    /// `actor_token` with its `actor_token_type`.
    pub actor: Option<(&'r str, &'r str)>,
    /// `requested_token_type`.
    pub requested_token_type: Option<&'r str>,
    /// `resource`.
    pub resource: Option<&'r str>,
    /// `audience`.
    pub audience: Option<&'r str>,
    /// `scope`.
    pub scope: Option<&'r Scope>,
}

/// Issues an access token for the subject of `request`.
pub async fn handle(
    ctx: &GrantContext<'_>,
    request: ExchangeRequest<'_>,
) -> Result<TokenResponse, OAuthError> {
    let client = ctx.client;
    // RFC 6749 §5.2: registering the grant is not enough; the policy says what it may do.
    let Some(policy) = ctx
        .provider
        .config()
        .token_exchange
        .iter()
        .find(|p| p.client_id == client.id())
    else {
        return Err(OAuthError::unauthorized_client(
            "this client has no token exchange policy",
        ));
    };
    let wants_jwt = check_requested_type(request.requested_token_type)?;
    let audiences = allowed_audiences(policy, &request)?;
    let subject = read_token(
        ctx,
        "subject_token",
        request.subject_token,
        request.subject_token_type,
    )
    .await?;
    let act = match request.actor {
        Some((token, token_type)) => {
            if !policy.delegation {
                return Err(OAuthError::invalid_request(
                    "actor_token: delegation is not allowed for this client (RFC 8693 §1.1)",
                ));
            }
            let actor = read_token(ctx, "actor_token", token, token_type).await?;
            Some(actor_claim(&actor, subject.act.clone()))
        }
        None if policy.impersonation => subject.act.clone(),
        None => {
            return Err(OAuthError::invalid_request(
                "an actor_token is required: impersonation is not allowed for this client \
                 (RFC 8693 §1.1)",
            ));
        }
    };
    let scopes = narrowed_scopes(ctx, &subject, request.scope)?;
    let grant_id = new_grant_id();
    // A JWT names one audience: the one asked for, else our issuer (RFC 9068 §3).
    let jwt_audience = audiences
        .first()
        .cloned()
        .unwrap_or_else(|| ctx.provider.config().issuer.clone());
    let jwt_act = act.clone();
    // Written before the token: no token of this grant exists without its audience and act.
    let record = ExchangedGrantRecord {
        grant_id: grant_id.clone(),
        audiences,
        act,
        expires_at: ctx
            .now
            .saturating_add(ctx.provider.config().lifetimes.access_token),
    };
    ctx.store.insert_exchanged_grant(&record).await?;
    let issuance = Issuance {
        client,
        user: subject.user.as_ref(),
        grant_id: &grant_id,
        scopes: &scopes,
        sid: None,
        auth_time: None,
        nonce: None,
        acr: None,
        amr: &[],
        claims_request: None,
        resource: None,
    };
    let mut response = if wants_jwt {
        let issuer = ctx.issuer.minting_jwt_for(jwt_audience, jwt_act);
        issuer.issue(&issuance, Refresh::None).await?
    } else {
        ctx.issuer.issue(&issuance, Refresh::None).await?
    };
    // §2.2.1: the issued token is the access token (a JWT one when asked, still usable as a
    // Bearer access token); no ID token comes with it.
    response.id_token = None;
    let issued = if wants_jwt {
        JWT_TYPE
    } else {
        ACCESS_TOKEN_TYPE
    };
    response.issued_token_type = Some(issued.to_string());
    Ok(response)
}

/// §2.1 `requested_token_type`: an access token (the default), or a JWT access token (RFC
/// 9068, signed by us); whether a JWT was asked for. Other types are not issued.
fn check_requested_type(requested: Option<&str>) -> Result<bool, OAuthError> {
    match requested {
        None | Some(ACCESS_TOKEN_TYPE) => Ok(false),
        Some(JWT_TYPE) => Ok(true),
        Some(other) => Err(OAuthError::invalid_request(format!(
            "requested_token_type {} is not supported: only {ACCESS_TOKEN_TYPE} and \
             {JWT_TYPE} are issued",
            oxid_protocol::echo_value(other)
        ))),
    }
}

/// §2.1 `audience` and `resource`, each one the policy allows; §2.2.2 `invalid_target`.
fn allowed_audiences(
    policy: &ExchangePolicy,
    request: &ExchangeRequest<'_>,
) -> Result<Vec<String>, OAuthError> {
    let mut audiences: Vec<String> = Vec::new();
    for (name, value) in [
        ("audience", request.audience),
        ("resource", request.resource),
    ] {
        let Some(value) = value else { continue };
        if !policy.allows_audience(value) {
            return Err(OAuthError::token(
                TokenErrorCode::InvalidTarget,
                format!(
                    "{name} {} is not one this client may ask for (RFC 8693 §2.2.2)",
                    oxid_protocol::echo_value(value)
                ),
            ));
        }
        if !audiences.iter().any(|a| a == value) {
            audiences.push(value.to_string());
        }
    }
    Ok(audiences)
}

/// The scopes of the new token: those asked for, each one the client may have and within
/// the subject token's (never more, §5); none asked for is the subject token's own that the
/// client may have. An ID token carries no scopes: only the client's registration bounds it.
fn narrowed_scopes(
    ctx: &GrantContext<'_>,
    subject: &Party,
    scope: Option<&Scope>,
) -> Result<Vec<String>, OAuthError> {
    let within = |s: &str| {
        subject
            .scopes
            .as_ref()
            .is_none_or(|have| have.iter().any(|h| h == s))
    };
    let Some(scope) = scope else {
        let carried = subject.scopes.iter().flatten();
        return Ok(carried
            .filter(|s| ctx.client.allows_scope(s))
            .cloned()
            .collect());
    };
    let mut scopes = Vec::new();
    for s in scope.iter() {
        if !ctx.client.allows_scope(s) || !within(s) {
            return Err(OAuthError::invalid_scope(format!(
                "scope '{}' is beyond what the subject_token and this client may have",
                oxid_protocol::echo_value(s)
            )));
        }
        scopes.push(s.to_string());
    }
    Ok(scopes)
}

/// §4.1: `act` names the actor; an earlier actor of the subject token nests inside.
fn actor_claim(actor: &Party, earlier: Option<Value>) -> Value {
    let mut act = Map::new();
    act.insert("sub".into(), json!(actor.subject));
    if let Some(iss) = &actor.foreign_issuer {
        act.insert("iss".into(), json!(iss));
    }
    if let Some(client_id) = &actor.client_id {
        act.insert("client_id".into(), json!(client_id));
    }
    if let Some(earlier) = earlier {
        act.insert("act".into(), earlier);
    }
    Value::Object(act)
}

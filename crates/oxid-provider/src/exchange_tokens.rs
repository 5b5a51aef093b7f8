//! The tokens token exchange accepts as `subject_token` and `actor_token` (RFC 8693 §3), read
//! into the party they stand for: an access token Oxid issued (opaque: looked up by hash,
//! live), an ID token Oxid issued (verified with our keys), or a JWT (one of our ID tokens, or
//! a trusted issuer's, verified in `trusted_jwt` and its `sub` mapped to a user). Each failure
//! is `invalid_request` naming the parameter and the check (§2.2.2).

use oxid_store::{TokenKind, UserRecord};
use serde_json::{Map, Value};

use crate::error::OAuthError;
use crate::grants::GrantContext;
use crate::pairwise::{names_user, subject_for};
use crate::subject_mapping::find_user;
use crate::tokens::find_live_token;
use crate::trusted_jwt;

/// An OAuth 2.0 access token (RFC 8693 §3).
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// An OpenID Connect ID token (RFC 8693 §3).
pub const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
/// A JWT (RFC 8693 §3).
pub const JWT_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";

/// Who a presented token stands for.
#[derive(Debug, Clone)]
pub struct Party {
    /// The user, when the token is about one.
    pub user: Option<UserRecord>,
    /// Its subject: our user's `sub` as the exchanging client knows it (OIDC Core §8), the
    /// client id of a token issued to a client alone, or the `sub` of a trusted issuer's JWT
    /// (as that issuer names it).
    pub subject: String,
    /// The client an access token of ours was issued to.
    pub client_id: Option<String>,
    /// The issuer of a trusted issuer's JWT (none for our own tokens).
    pub foreign_issuer: Option<String>,
    /// The scopes the token carried; `None` for a token that carries none (an ID token).
    pub scopes: Option<Vec<String>>,
    /// Its `act` claim, when it was itself issued by delegation.
    pub act: Option<Value>,
}

/// Reads `token` of type `token_type`, sent as the parameter `name`.
pub async fn read_token(
    ctx: &GrantContext<'_>,
    name: &str,
    token: &str,
    token_type: &str,
) -> Result<Party, OAuthError> {
    let refused = |why: &str| OAuthError::invalid_request(format!("{name} refused: {why}"));
    match token_type {
        ACCESS_TOKEN_TYPE => read_access_token(ctx, token).await?.ok_or_else(|| {
            refused("not an active access token of this provider (unknown, expired or revoked)")
        }),
        ID_TOKEN_TYPE => read_id_token(ctx, token)
            .await?
            .map_err(|why| refused(&why)),
        JWT_TYPE => {
            let ours = trusted_jwt::unverified_issuer(token)
                .is_some_and(|iss| iss == ctx.provider.config().issuer);
            let read = if ours {
                read_id_token(ctx, token).await?
            } else {
                read_trusted_jwt(ctx, token, name == "subject_token").await?
            };
            read.map_err(|why| refused(&why))
        }
        other => Err(OAuthError::invalid_request(format!(
            "{name}_type {} is not supported: use {ACCESS_TOKEN_TYPE}, {ID_TOKEN_TYPE} or \
             {JWT_TYPE}",
            oxid_protocol::echo_value(other)
        ))),
    }
}

/// An opaque access token of ours, live now; `None` when it is not one.
async fn read_access_token(
    ctx: &GrantContext<'_>,
    token: &str,
) -> Result<Option<Party>, OAuthError> {
    let Some(record) = find_live_token(ctx.provider, token).await? else {
        return Ok(None);
    };
    if record.kind != TokenKind::Access {
        return Ok(None);
    }
    let user = match &record.user_id {
        Some(id) => match ctx.store.get_user(id).await? {
            Some(user) => Some(user),
            // A token outliving its user is honoured nowhere.
            None => return Ok(None),
        },
        None => None,
    };
    let act = ctx
        .store
        .get_exchanged_grant(&record.grant_id)
        .await?
        .and_then(|grant| grant.act);
    Ok(Some(Party {
        subject: user.as_ref().map_or_else(
            || record.client_id.clone(),
            |u| subject_for(ctx.provider.secret_box(), ctx.client.record(), &u.id),
        ),
        user,
        client_id: Some(record.client_id),
        foreign_issuer: None,
        scopes: Some(record.scopes),
        act,
    }))
}

/// An ID token signed by our key ring, issued by us to this client, not expired, about a
/// user we know.
async fn read_id_token(
    ctx: &GrantContext<'_>,
    token: &str,
) -> Result<Result<Party, String>, OAuthError> {
    let Some(payload) = ctx.provider.keys().verify(token) else {
        return Ok(Err("not an ID token signed by this provider's keys".into()));
    };
    let Ok(claims) = serde_json::from_slice::<Map<String, Value>>(&payload) else {
        return Ok(Err("the payload is not a JSON object".into()));
    };
    let string = |claim: &str| claims.get(claim).and_then(Value::as_str);
    if string("iss") != Some(ctx.provider.config().issuer.as_str()) {
        return Ok(Err("iss is not this provider".into()));
    }
    // An ID token is the client's own proof of who signed in; held by anyone else it may
    // have leaked (an id_token_hint travels in URLs), so only its audience may exchange it.
    let for_this_client = match claims.get("aud") {
        Some(Value::String(aud)) => aud == ctx.client.id(),
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(ctx.client.id())),
        _ => false,
    };
    if !for_this_client {
        return Ok(Err("its aud does not name this client".into()));
    }
    let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
    if exp <= ctx.now {
        return Ok(Err("it has expired (exp)".into()));
    }
    let Some(sub) = string("sub") else {
        return Ok(Err("sub is missing".into()));
    };
    let Some(user) = id_token_user(ctx, sub, string("sid")).await? else {
        return Ok(Err(if crate::pairwise::is_pairwise(ctx.client.record()) {
            "its pairwise sub names no user: it is resolved through its login session (sid), \
             which is over"
                .into()
        } else {
            "its subject is not a user any more".into()
        }));
    };
    Ok(Ok(Party {
        subject: sub.to_string(),
        user: Some(user),
        client_id: None,
        foreign_issuer: None,
        scopes: None,
        act: None,
    }))
}

/// The user an ID token issued to this client names. A pairwise `sub` (OIDC Core §8.1) is
/// not reversible, so it is resolved through the token's login session (`sid`), while that
/// session lasts, and must then be that session user's subject for this client.
async fn id_token_user(
    ctx: &GrantContext<'_>,
    sub: &str,
    sid: Option<&str>,
) -> Result<Option<UserRecord>, OAuthError> {
    if !crate::pairwise::is_pairwise(ctx.client.record()) {
        return Ok(ctx.store.get_user(sub).await?);
    }
    let Some(session) = sid else {
        return Ok(None);
    };
    let Some(session) = ctx.store.get_session_by_sid(session, ctx.now).await? else {
        return Ok(None);
    };
    let secret_box = ctx.provider.secret_box();
    if !names_user(secret_box, ctx.client.record(), sub, &session.user_id) {
        return Ok(None);
    }
    Ok(ctx.store.get_user(&session.user_id).await?)
}

/// A trusted issuer's JWT: verified; it carries the scopes the issuer may grant. Its `sub`
/// must map to a user when it is the subject (the new token is that user's); an actor may be
/// a service of the issuer's, named by its `sub` there.
async fn read_trusted_jwt(
    ctx: &GrantContext<'_>,
    token: &str,
    needs_user: bool,
) -> Result<Result<Party, String>, OAuthError> {
    let jwt = match trusted_jwt::verify(ctx.provider, token).await {
        Ok(jwt) => jwt,
        Err(refused) => return Ok(Err(refused.0)),
    };
    let issuer = jwt.issuer;
    let user = match find_user(ctx.store, issuer.subject_mapping, &jwt.subject).await? {
        Ok(user) => Some(user),
        Err(unmapped) if needs_user => return Ok(Err(format!("sub: {unmapped}"))),
        Err(_) => None,
    };
    Ok(Ok(Party {
        subject: jwt.subject.clone(),
        user,
        client_id: None,
        foreign_issuer: Some(issuer.issuer.clone()),
        scopes: Some(issuer.scopes.clone()),
        act: jwt.claims.get("act").cloned(),
    }))
}

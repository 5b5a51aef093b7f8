//! `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523 §2.1): a JWT signed by
//! a trusted issuer (`[[trusted_issuers]]`, verified in `trusted_jwt`) is the grant. Its `jti`
//! is remembered until it expires, so an assertion is used once (RFC 7523 §3 rule 7; §5.2
//! `invalid_grant` for every failed check), its `sub` is mapped to a user
//! (`subject_mapping`), and the scopes are those asked for, each one both the issuer and the
//! client may have. No refresh token: the client holds the assertion, or can get another
//! (RFC 7521 §4.1 leaves it to the server; an assertion-based client needs none).

use oxid_protocol::scope::Scope;
use oxid_protocol::token::TokenResponse;

use super::{GrantContext, client_scopes};
use crate::crypto::secrets::{new_grant_id, sha256_hex};
use crate::error::OAuthError;
use crate::issuer::{Issuance, Refresh};
use crate::subject_mapping::find_user;
use crate::trusted_jwt;

/// The replay key of a JWT bearer assertion: its own namespace, so that it cannot collide
/// with a client assertion's (`client_assertion` keys are `sha256(client_id \n jti)`, and a
/// newline cannot be in a client_id), and per issuer, whose `jti`s are unique only to it.
fn replay_key(issuer: &str, jti: &str) -> String {
    sha256_hex(&format!("jwt-bearer\n{issuer}\n{jti}"))
}

/// Issues an access token (and an ID token with `openid`) for the user the assertion names.
pub async fn handle(
    ctx: &GrantContext<'_>,
    assertion: &str,
    scope: Option<&Scope>,
    resource: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let refused = |why: String| OAuthError::invalid_grant(format!("assertion refused: {why}"));
    let jwt = trusted_jwt::verify(ctx.provider, assertion)
        .await
        .map_err(|e| refused(e.0))?;
    let issuer = jwt.issuer;
    // Scopes before the jti is spent: a request refused for its scope can be corrected.
    let scopes = client_scopes(ctx.client, scope)?;
    if let Some(s) = scopes.iter().find(|s| !issuer.allows_scope(s)) {
        return Err(OAuthError::invalid_scope(format!(
            "scope '{}' is not available through issuer {}",
            oxid_protocol::echo_value(s),
            issuer.issuer
        )));
    }
    // RFC 8707 §2, before the jti is spent, like the scopes.
    let resource = super::target(ctx, resource, &scopes)?;
    let user = match find_user(ctx.store, issuer.subject_mapping, &jwt.subject).await? {
        Ok(user) => user,
        Err(unmapped) => return Err(refused(format!("sub: {unmapped}"))),
    };
    let Some(jti) = jwt.string("jti").filter(|j| !j.is_empty()) else {
        return Err(refused("jti is required, so that it is used once".into()));
    };
    let key = replay_key(&issuer.issuer, jti);
    if !ctx.store.remember_jti(&key, jwt.acceptable_until).await? {
        return Err(refused(
            "this jti was used before (a replayed assertion)".into(),
        ));
    }
    let grant_id = new_grant_id();
    let issuance = Issuance {
        client: ctx.client,
        user: Some(&user),
        grant_id: &grant_id,
        scopes: &scopes,
        sid: None,
        auth_time: None,
        nonce: None,
        acr: None,
        amr: &[],
        claims_request: None,
        resource,
    };
    ctx.issuer.issue(&issuance, Refresh::None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_keys_are_per_issuer_and_apart_from_client_assertions_rfc7523_3() {
        assert_ne!(replay_key("a", "j"), replay_key("b", "j"));
        assert_ne!(replay_key("a", "j"), sha256_hex("a\nj"));
        assert_eq!(replay_key("a", "j").len(), 64);
    }
}

//! `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6, OIDC Core §3.1.3).

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oxid_protocol::token::TokenResponse;
use oxid_store::{CodeConsumption, CodeRecord};

use super::{GrantContext, offline_refresh};
use crate::capabilities::PkceMethod;
use crate::client_auth::VerifiedClient;
use crate::crypto::secrets::{constant_time_eq, sha256_hex};
use crate::error::OAuthError;
use crate::issuer::Issuance;
use crate::resources::invalid_target;

/// What the token request presents with the code.
pub struct Presented<'a> {
    /// The code.
    pub code: &'a str,
    /// The redirect URI of the authorization request.
    pub redirect_uri: &'a str,
    /// The PKCE verifier.
    pub code_verifier: Option<&'a str>,
    /// The `resource` parameter (RFC 8707 §2.2).
    pub resource: Option<&'a str>,
}

/// Exchanges a code: single use (a replay revokes everything the code produced), bound to
/// the client, the redirect URI, the PKCE challenge and the resource it was asked for.
pub async fn handle(
    ctx: &GrantContext<'_>,
    presented: Presented<'_>,
) -> Result<TokenResponse, OAuthError> {
    let Presented {
        code,
        redirect_uri,
        code_verifier,
        resource,
    } = presented;
    let (store, client) = (ctx.store, ctx.client);
    let record = match store.consume_code(&sha256_hex(code), ctx.now).await? {
        CodeConsumption::Consumed(record) => record,
        CodeConsumption::AlreadyConsumed { grant_id } => {
            // RFC 6749 §4.1.2: a code used twice revokes the tokens issued from it.
            let revoked = store.revoke_grant(&grant_id, ctx.now).await?;
            tracing::warn!(
                client_id = client.id(),
                revoked,
                "authorization code replayed"
            );
            return Err(OAuthError::invalid_grant(
                "the authorization code was already used; tokens issued from it are revoked",
            ));
        }
        CodeConsumption::NotFound => {
            return Err(OAuthError::invalid_grant(
                "the authorization code is invalid or expired",
            ));
        }
    };
    check_binding(&record, client, redirect_uri, code_verifier)?;
    // RFC 9449 §10, §10.1: a code bound to a key (`dpop_jkt`, or a proof at PAR) is redeemed
    // only with a proof by that key.
    if let Some(bound) = &record.dpop_jkt
        && ctx.dpop_jkt.as_deref() != Some(bound.as_str())
    {
        return Err(OAuthError::invalid_grant(
            "the authorization code is bound to a DPoP key: the token request needs a DPoP \
             proof by that key (RFC 9449 §10)",
        ));
    }
    // RFC 9700 §2.1.1: a client that must use PKCE cannot redeem a code issued without it
    // (its registration may have changed since the code was issued).
    if record.code_challenge.is_none() && client.requires_pkce(ctx.caps.pkce_required) {
        return Err(OAuthError::invalid_grant(
            "this client must use PKCE and the code was issued without a code_challenge",
        ));
    }
    // RFC 8707 §2.2: a code asked for a resource is redeemed for that resource only.
    let resource = match (&record.resource, resource) {
        (Some(bound), Some(asked)) if bound != asked => {
            return Err(invalid_target(
                "resource differs from the one of the authorization request (RFC 8707 §2.2)",
            ));
        }
        (Some(bound), _) => Some(bound.as_str()),
        (None, asked) => asked,
    };
    let resource = super::target(ctx, resource, &record.scopes)?;
    let Some(user) = store.get_user(&record.user_id).await? else {
        return Err(OAuthError::invalid_grant("the user no longer exists"));
    };
    let issuance = Issuance {
        client,
        user: Some(&user),
        grant_id: &record.grant_id,
        scopes: &record.scopes,
        sid: record.sid.as_deref(),
        auth_time: Some(record.auth_time),
        nonce: record.nonce.as_deref(),
        acr: record.acr.as_deref(),
        amr: &record.amr,
        claims_request: record.claims_request.as_ref(),
        resource,
    };
    let refresh = offline_refresh(client, &record.scopes);
    ctx.issuer.issue(&issuance, refresh).await
}

/// RFC 6749 §4.1.3 and RFC 7636 §4.6: same client, same redirect URI, matching verifier.
fn check_binding(
    record: &CodeRecord,
    client: &VerifiedClient,
    redirect_uri: &str,
    code_verifier: Option<&str>,
) -> Result<(), OAuthError> {
    if record.client_id != client.id() {
        return Err(OAuthError::invalid_grant(
            "the authorization code was issued to another client",
        ));
    }
    if record
        .redirect_uri
        .as_deref()
        .is_some_and(|r| r != redirect_uri)
    {
        return Err(OAuthError::invalid_grant(
            "redirect_uri differs from the authorization request",
        ));
    }
    match (&record.code_challenge, code_verifier) {
        (Some(challenge), Some(verifier)) => {
            // RFC 7636 §4.3: no method means `plain`; an unknown stored one matches nothing.
            let method = match record.code_challenge_method.as_deref() {
                None => Some(PkceMethod::Plain),
                Some(name) => PkceMethod::parse(name),
            };
            if !method.is_some_and(|m| pkce_matches(challenge, m, verifier)) {
                return Err(OAuthError::invalid_grant("code_verifier does not match"));
            }
        }
        (Some(_), None) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier is required (PKCE, RFC 7636)",
            ));
        }
        // RFC 9700 §4.8.2: a verifier for a code issued without a challenge is a downgrade.
        (None, Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier sent but the authorization request had no code_challenge",
            ));
        }
        (None, None) => {}
    }
    Ok(())
}

/// RFC 7636 §4.6.
fn pkce_matches(challenge: &str, method: PkceMethod, verifier: &str) -> bool {
    let computed = match method {
        PkceMethod::S256 => {
            URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()))
        }
        PkceMethod::Plain => verifier.to_string(),
    };
    constant_time_eq(computed.as_bytes(), challenge.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_the_rfc7636_appendix_b_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(challenge, PkceMethod::S256, verifier));
        assert!(!pkce_matches(
            challenge,
            PkceMethod::S256,
            "wrong-verifier-wrong-verifier-wrong-verifier"
        ));
        assert!(pkce_matches(verifier, PkceMethod::Plain, verifier));
        assert!(!pkce_matches(challenge, PkceMethod::Plain, verifier));
    }
}

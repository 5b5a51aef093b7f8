//! The [`Issuer`]'s minting of access and refresh tokens and their records: the access
//! token's form (opaque or RFC 9068 JWT, `access_token_jwt`) and the refresh token's expiry
//! under the client's policy (`token_policy`).

use oxid_store::{TokenKind, TokenRecord};

use super::{Issuance, Issuer};
use crate::access_token_jwt::{AccessTokenForm, Confirmation, claims as access_token_claims};
use crate::crypto::jws::sign_compact;
use crate::crypto::token_keys::{jwt_key, new_opaque_token, token_key};
use crate::error::OAuthError;
use crate::token_policy::AccessTokenFormat;

impl Issuer<'_> {
    /// A new access token for `issuance`, its record, and its lifetime: opaque, or a JWT
    /// (RFC 9068) as the resource or the client's policy decides. A JWT's record is keyed by
    /// its `jti`'s time prefix and the hash of the whole JWT (`crypto::token_keys`).
    pub(super) fn access_token(
        &self,
        issuance: &Issuance<'_>,
    ) -> Result<(String, TokenRecord, u64), OAuthError> {
        let mut form = AccessTokenForm::decide(self.config, issuance.client, issuance.resource);
        if let Some((audience, _)) = &self.jwt_access_token {
            form.format = AccessTokenFormat::Jwt;
            form.audience = Some(audience.clone());
        }
        let expires_at = self.now.saturating_add(form.lifetime);
        let (token, key) = match (form.format, &form.audience) {
            (AccessTokenFormat::Jwt, Some(audience)) => {
                let mut claims = access_token_claims(
                    &self.config.issuer,
                    issuance,
                    audience,
                    self.now,
                    expires_at,
                    new_opaque_token(),
                );
                // RFC 9068 §2.2 `sub`: the user's subject as the client knows it (OIDC Core
                // §8), so the token says what the ID token says.
                if let Some(user) = issuance.user {
                    claims.sub = crate::pairwise::subject_for(
                        self.secret_box,
                        issuance.client.record(),
                        &user.id,
                    )
                    .into();
                }
                // RFC 8693 §4.1: the acting party, as the exchange recorded it.
                if let Some((_, Some(act))) = &self.jwt_access_token {
                    claims.act = Some(act);
                }
                // RFC 9449 §6.1: a DPoP-bound JWT names its key's thumbprint.
                if let Some(jkt) = self.bound_jkt(issuance, TokenKind::Access) {
                    claims.cnf = Some(Confirmation { jkt });
                }
                let key = self.keys.signer(form.alg).ok_or_else(|| {
                    OAuthError::server(format!("no current {} key", form.alg.as_str()))
                })?;
                let jwt = sign_compact(key, Some(oxid_protocol::jose::TYP_AT_JWT), &claims)?;
                let key = jwt_key(&jwt, &claims.jti);
                (jwt, key)
            }
            _ => {
                let token = new_opaque_token();
                let key = token_key(&token);
                (token, key)
            }
        };
        let mut record = self.record(issuance, key, TokenKind::Access, issuance.scopes);
        record.expires_at = expires_at;
        record.audience = form.audience;
        Ok((token, record, form.lifetime))
    }

    /// A new refresh token carrying `scopes`, in a family ending at `family_end` and bound to
    /// `resource`, expiring as the client's policy says.
    pub(super) fn mint_refresh(
        &self,
        issuance: &Issuance<'_>,
        scopes: &[String],
        family_end: Option<u64>,
        resource: Option<&str>,
    ) -> (String, TokenRecord) {
        let policy = issuance.client.token_policy();
        let token = new_opaque_token();
        let mut record = self.record(issuance, token_key(&token), TokenKind::Refresh, scopes);
        record.expires_at =
            policy.refresh_expiry(self.now, family_end, self.config.lifetimes.refresh_token);
        record.grant_expires_at = family_end;
        record.audience = resource.map(str::to_string);
        (token, record)
    }

    /// The record of a token under `key` (its `token_key`) for `issuance`; the caller sets
    /// its expiry.
    fn record(
        &self,
        issuance: &Issuance<'_>,
        key: String,
        kind: TokenKind,
        scopes: &[String],
    ) -> TokenRecord {
        TokenRecord {
            token_hash: key,
            kind,
            grant_id: issuance.grant_id.to_string(),
            client_id: issuance.client.id().to_string(),
            user_id: issuance.user.map(|u| u.id.clone()),
            scopes: scopes.to_vec(),
            sid: issuance.sid.map(str::to_string),
            auth_time: issuance.auth_time,
            // UserInfo reads the `userinfo` member from the access token (OIDC Core §5.5.1).
            claims_request: issuance.claims_request.cloned(),
            audience: None,
            grant_expires_at: None,
            issued_at: self.now,
            expires_at: self.now,
            consumed_at: None,
            revoked_at: None,
            dpop_jkt: self.bound_jkt(issuance, kind),
        }
    }
}

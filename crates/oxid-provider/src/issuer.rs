//! Minting: access tokens (opaque, or JWT per RFC 9068, see `access_token_jwt`), refresh
//! tokens (stored as hashes, rotated by `refresh_rotation`) and signed ID tokens. Every grant
//! goes through the [`Issuer`], so claims, lifetimes, refresh rotation and signing are decided
//! in one place, at one `now`.

use oxid_protocol::claims::{Audience, IdTokenClaims, LogoutTokenClaims};
use oxid_protocol::token::TokenResponse;
use oxid_store::{ClientRecord, Store, UserRecord};
use serde_json::Value;
use std::sync::Arc;

use crate::admin::client_secret_context;
use crate::claims::{released_claims, requested_claims};
use crate::client::{Client, IdTokenClaims as IdTokenClaimsSetting};
use crate::config::ProviderConfig;
use crate::crypto::jws::{SigningAlg, left_half_hash, sign_compact, sign_compact_hs256};
use crate::crypto::{KeyRing, SecretBox};
use crate::error::OAuthError;
use crate::pairwise::subject_for;
use crate::refresh_rotation::{Rotation, rotate};
use crate::resources::Resource;
use crate::response_encryption::seal_id_token;
use crate::state::Provider;

#[path = "issuer_minting.rs"]
mod minting;

/// What a grant decided to issue.
#[derive(Debug, Clone)]
pub struct Issuance<'a> {
    /// The client.
    pub client: &'a Client,
    /// The user, absent for client_credentials.
    pub user: Option<&'a UserRecord>,
    /// The grant (token family).
    pub grant_id: &'a str,
    /// Scopes of the access token.
    pub scopes: &'a [String],
    /// Session `sid`.
    pub sid: Option<&'a str>,
    /// `auth_time`.
    pub auth_time: Option<u64>,
    /// `nonce` (code flow only; never on refresh, OIDC Core §12.2).
    pub nonce: Option<&'a str>,
    /// `acr`.
    pub acr: Option<&'a str>,
    /// `amr`.
    pub amr: &'a [String],
    /// The `claims` request parameter (OIDC Core §5.5).
    pub claims_request: Option<&'a Value>,
    /// The resource the access token is for (RFC 8707 §2), checked by the grant.
    pub resource: Option<&'a Resource>,
}

impl Issuance<'_> {
    fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// Whether a refresh token comes with the access token, and how.
#[derive(Debug, Clone, Copy)]
pub enum Refresh<'a> {
    /// No refresh token.
    None,
    /// A new refresh token family member carrying `scopes`.
    New {
        /// The scopes the refresh token may later ask for.
        scopes: &'a [String],
    },
    /// Rotation (RFC 9700 §4.14.2): the token hashed `old_hash` is replaced by a new one
    /// carrying `scopes`; a token already rotated revokes its whole grant (see
    /// `refresh_rotation` for the client's grace window).
    Rotate {
        /// `sha256` of the presented refresh token.
        old_hash: &'a str,
        /// The originally granted scopes, kept by the new token.
        scopes: &'a [String],
        /// The family's absolute end, carried from the presented token.
        family_end: Option<u64>,
        /// The resource the family is bound to, carried from the presented token.
        bound_resource: Option<&'a str>,
    },
}

/// What the authorization endpoint hands out besides a code (OIDC Core §3.2.2.5,
/// §3.3.2.5), and the values the ID token binds by their hashes.
#[derive(Debug, Clone, Copy)]
pub struct FrontChannel<'a> {
    /// An access token (`token` in the response type).
    pub access_token: bool,
    /// An ID token (`id_token` in the response type).
    pub id_token: bool,
    /// The code issued with them, for `c_hash` (hybrid flow, §3.3.2.11).
    pub code: Option<&'a str>,
    /// The request's `state`, for `s_hash` (FAPI 1.0 Advanced §5.2.2.1, as oidc-provider).
    pub state: Option<&'a str>,
}

/// The tokens of a [`FrontChannel`] issuance.
#[derive(Debug, Clone, Default)]
pub struct FrontChannelTokens {
    /// The access token, when one was asked for.
    pub access_token: Option<String>,
    /// Its lifetime in seconds.
    pub expires_in: Option<u64>,
    /// The ID token, when one was asked for.
    pub id_token: Option<String>,
}

/// The values an ID token carries the left-half hashes of (OIDC Core §3.1.3.6, §3.3.2.11).
#[derive(Debug, Clone, Copy, Default)]
struct Hashed<'a> {
    access_token: Option<&'a str>,
    code: Option<&'a str>,
    state: Option<&'a str>,
}

/// Mints and stores tokens at one `now`, with the provider parts that takes.
pub struct Issuer<'a> {
    config: &'a ProviderConfig,
    keys: Arc<KeyRing>,
    secret_box: &'a SecretBox,
    store: &'a dyn Store,
    now: u64,
    /// The thumbprint of the DPoP key the token request proved (RFC 9449 §5).
    dpop_jkt: Option<String>,
    /// When set, access tokens are JWTs (RFC 9068) with this audience and, when given, this
    /// `act` claim, whatever the client's policy says (token exchange, RFC 8693 §2.1, §4.1).
    jwt_access_token: Option<(String, Option<Value>)>,
    /// The provider, for clients' encryption keys (`response_encryption`).
    provider: Option<&'a Provider>,
}

impl<'a> Issuer<'a> {
    /// An issuer over these parts at `now`.
    pub fn new(
        config: &'a ProviderConfig,
        keys: Arc<KeyRing>,
        secret_box: &'a SecretBox,
        store: &'a dyn Store,
        now: u64,
    ) -> Self {
        Issuer {
            config,
            keys,
            secret_box,
            store,
            now,
            dpop_jkt: None,
            jwt_access_token: None,
            provider: None,
        }
    }

    /// This issuer, minting its access tokens as JWTs for `audience`, with `act` (RFC 8693
    /// `requested_token_type` `urn:ietf:params:oauth:token-type:jwt`).
    pub fn minting_jwt_for(&self, audience: String, act: Option<Value>) -> Issuer<'a> {
        Issuer {
            config: self.config,
            keys: self.keys.clone(),
            secret_box: self.secret_box,
            store: self.store,
            now: self.now,
            dpop_jkt: self.dpop_jkt.clone(),
            jwt_access_token: Some((audience, act)),
            provider: self.provider,
        }
    }

    /// Binds what this issuer mints to the DPoP key of thumbprint `jkt` (RFC 9449 §5, §6).
    pub fn with_dpop_jkt(self, jkt: Option<String>) -> Self {
        Issuer {
            dpop_jkt: jkt,
            ..self
        }
    }

    /// RFC 9449 §5: access tokens are bound to the proof's key; refresh tokens only for
    /// public clients (a confidential client's are bound to it by its authentication).
    fn bound_jkt(&self, issuance: &Issuance<'_>, kind: oxid_store::TokenKind) -> Option<String> {
        match kind {
            oxid_store::TokenKind::Refresh if !issuance.client.is_public() => None,
            _ => self.dpop_jkt.clone(),
        }
    }

    /// The provider's issuer at `now`.
    pub fn for_provider(provider: &'a Provider, now: u64) -> Self {
        Issuer {
            provider: Some(provider),
            ..Issuer::new(
                provider.config(),
                provider.keys(),
                provider.secret_box(),
                provider.store(),
                now,
            )
        }
    }

    /// Issues an access token, the refresh token `refresh` asks for, and an ID token when
    /// `openid` was granted to a user (with the granted scopes' claims when the client's
    /// `id_token_claims` is `scope`). The tokens are stored (or the refresh token rotated)
    /// before the response is returned: a response is only made of tokens the store holds.
    pub async fn issue(
        &self,
        issuance: &Issuance<'_>,
        refresh: Refresh<'_>,
    ) -> Result<TokenResponse, OAuthError> {
        let policy = issuance.client.token_policy();
        let (access_token, access_record, expires_in) = self.access_token(issuance)?;
        let refresh_minted = match refresh {
            Refresh::None => None,
            // A new family is bound to the resource of its first token (RFC 8707 §2.2).
            Refresh::New { scopes } => Some(self.mint_refresh(
                issuance,
                scopes,
                policy.family_end(self.now),
                issuance.resource.map(|r| r.identifier.as_str()),
            )),
            Refresh::Rotate {
                scopes,
                family_end,
                bound_resource,
                ..
            } => Some(self.mint_refresh(
                issuance,
                scopes,
                family_end.or_else(|| policy.family_end(self.now)),
                bound_resource,
            )),
        };
        let id_token = match issuance.user {
            Some(user) if issuance.has_scope("openid") => {
                let hashed = Hashed {
                    access_token: Some(&access_token),
                    ..Hashed::default()
                };
                let scope_claims = issuance.client.id_token_claims() == IdTokenClaimsSetting::Scope;
                let signed = self.id_token(issuance, user, hashed, scope_claims)?;
                Some(seal_id_token(self.provider, issuance.client, signed).await?)
            }
            _ => None,
        };
        let mut response = TokenResponse::bearer(access_token);
        if self.dpop_jkt.is_some() {
            // RFC 9449 §5: "A token_type of DPoP MUST be included".
            response.token_type = "DPoP".into();
        }
        response.expires_in = Some(expires_in);
        response.id_token = id_token;
        // RFC 6749 §3.3: a scope is one or more tokens; with none granted the member is left out.
        if !issuance.scopes.is_empty() {
            response.scope = oxid_protocol::scope::Scope::from_tokens(issuance.scopes).ok();
        }
        let Some((refresh_token, refresh_record)) = refresh_minted else {
            self.store.insert_token(&access_record).await?;
            return Ok(response);
        };
        response.refresh_token = Some(refresh_token);
        // Every refresh token expires; its lifetime is told as other providers do.
        response.extra.insert(
            "refresh_token_expires_in".into(),
            Value::from(refresh_record.expires_at.saturating_sub(self.now)),
        );
        match refresh {
            Refresh::Rotate { old_hash, .. } => {
                let rotation = Rotation {
                    old_hash,
                    new_tokens: &[refresh_record, access_record],
                    reply: response,
                    grace: policy.refresh_token_grace,
                    client_id: issuance.client.id(),
                    now: self.now,
                };
                rotate(self.store, self.secret_box, rotation).await
            }
            _ => {
                self.store.insert_token(&refresh_record).await?;
                self.store.insert_token(&access_record).await?;
                Ok(response)
            }
        }
    }

    /// The tokens of the implicit and hybrid flows (OIDC Core §3.2.2.5, §3.3.2.5): an access
    /// token without a refresh token (RFC 6749 §4.2.2), and an ID token with `nonce` and the
    /// hashes of what comes with it. Without an access token, the ID token carries the
    /// claims of the granted scopes, since UserInfo cannot be asked (OIDC Core §5.4); with
    /// one, as the client's `id_token_claims` says.
    pub async fn issue_front_channel(
        &self,
        issuance: &Issuance<'_>,
        wanted: FrontChannel<'_>,
    ) -> Result<FrontChannelTokens, OAuthError> {
        let (access_token, expires_in) = if wanted.access_token {
            let (token, record, lifetime) = self.access_token(issuance)?;
            self.store.insert_token(&record).await?;
            (Some(token), Some(lifetime))
        } else {
            (None, None)
        };
        let id_token = match issuance.user {
            Some(user) if wanted.id_token && issuance.has_scope("openid") => {
                let hashed = Hashed {
                    access_token: access_token.as_deref(),
                    code: wanted.code,
                    state: wanted.state,
                };
                // OIDC Core §5.4: without an access token, UserInfo cannot be asked.
                let scope_claims = access_token.is_none()
                    || issuance.client.id_token_claims() == IdTokenClaimsSetting::Scope;
                let signed = self.id_token(issuance, user, hashed, scope_claims)?;
                Some(seal_id_token(self.provider, issuance.client, signed).await?)
            }
            _ => None,
        };
        Ok(FrontChannelTokens {
            access_token,
            expires_in,
            id_token,
        })
    }

    /// Builds and signs an ID token (OIDC Core §2): `at_hash`, `c_hash` and `s_hash` of the
    /// `hashed` values (§3.1.3.6, §3.3.2.11), and the claims of the granted scopes when
    /// `scope_claims` (§5.4), besides those the `claims` request names (§5.5).
    fn id_token(
        &self,
        issuance: &Issuance<'_>,
        user: &UserRecord,
        hashed: Hashed<'_>,
        scope_claims: bool,
    ) -> Result<String, OAuthError> {
        let client = issuance.client;
        let alg = crate::profile::id_token_alg(self.config, client)?;
        let hash = |value: Option<&str>| value.map(|v| left_half_hash(alg, v));
        let mut claims = IdTokenClaims {
            iss: self.config.issuer.clone(),
            // OIDC Core §8: the `sub` this client knows the user by.
            sub: subject_for(self.secret_box, client.record(), &user.id),
            aud: Audience::single(client.id()),
            exp: self.now + self.config.lifetimes.id_token,
            iat: self.now,
            auth_time: issuance.auth_time,
            nonce: issuance.nonce.map(str::to_string),
            acr: issuance.acr.map(str::to_string),
            amr: (!issuance.amr.is_empty()).then(|| issuance.amr.to_vec()),
            azp: Some(client.id().to_string()),
            sid: issuance.sid.map(str::to_string),
            at_hash: hash(hashed.access_token),
            c_hash: hash(hashed.code),
            extra: Default::default(),
        };
        // RFC 7519 §4.1.7: a unique identifier, so a relying party can tell replays apart
        // (as Keycloak's and seed 001's ID tokens carry one).
        let jti = crate::crypto::secrets::random_id(16);
        claims.extra.insert("jti".into(), Value::String(jti));
        if let Some(s_hash) = hash(hashed.state) {
            claims.extra.insert("s_hash".into(), Value::String(s_hash));
        }
        let scopes = || issuance.scopes.iter().map(String::as_str);
        if scope_claims {
            for (name, value) in released_claims(&self.config.scopes, user, scopes()) {
                if name != "sub" {
                    claims.extra.entry(name).or_insert(value);
                }
            }
        }
        // OIDC Core §5.5: claims asked for by name in the `id_token` member of `claims`,
        // within what the granted scopes release.
        if let Some(requested) = issuance.claims_request.and_then(|c| c.get("id_token")) {
            for (name, value) in requested_claims(&self.config.scopes, user, scopes(), requested) {
                claims.extra.entry(name).or_insert(value);
            }
        }
        self.sign_for_client(client, None, &claims)
    }

    /// Signs `claims` the way `client` asked for its ID tokens: its registered algorithm with
    /// the key ring, or HS256 with its own secret (OIDC Core §10.1).
    fn sign_for_client(
        &self,
        client: &Client,
        typ: Option<&str>,
        claims: &impl serde::Serialize,
    ) -> Result<String, OAuthError> {
        let alg = crate::profile::id_token_alg(self.config, client)?;
        self.sign_with(client, alg, typ, claims)
    }

    /// A signed UserInfo response (OIDC Core §5.3.2): the released claims with `iss` and
    /// `aud` (the client), signed with `alg`, the client's `userinfo_signed_response_alg`.
    pub fn userinfo_jwt(
        &self,
        client: &Client,
        alg: SigningAlg,
        mut claims: serde_json::Map<String, Value>,
    ) -> Result<String, OAuthError> {
        claims.insert("iss".into(), Value::String(self.config.issuer.clone()));
        claims.insert("aud".into(), Value::String(client.id().to_string()));
        claims.insert("iat".into(), Value::from(self.now));
        self.sign_with(client, alg, None, &claims)
    }

    /// Signs `claims` with `alg`: a key-ring key, or for HS256 the client's own secret.
    fn sign_with(
        &self,
        client: &Client,
        alg: SigningAlg,
        typ: Option<&str>,
        claims: &impl serde::Serialize,
    ) -> Result<String, OAuthError> {
        let client_id = client.id();
        if alg == SigningAlg::HS256 {
            let sealed = client.record().secret_encrypted.as_deref().ok_or_else(|| {
                OAuthError::server(format!(
                    "client {client_id} asks for HS256 but has no stored secret"
                ))
            })?;
            let secret = self
                .secret_box
                .decrypt_for(&client_secret_context(client_id), sealed)?;
            return Ok(sign_compact_hs256(&secret, typ, claims)?);
        }
        let key = self
            .keys
            .signer(alg)
            .ok_or_else(|| OAuthError::server(format!("no current {} key", alg.as_str())))?;
        Ok(sign_compact(key, typ, claims)?)
    }

    /// A back-channel logout token for `client` (OIDC Back-Channel Logout 1.0 §2.4): `sub`
    /// (the one `client` knows the user `user_id` by, OIDC Core §8) and `sid`, the logout
    /// event, no `nonce`, explicitly typed `logout+jwt`.
    pub fn logout_token(
        &self,
        client: &Client,
        user_id: &str,
        sid: &str,
        jti: &str,
    ) -> Result<String, OAuthError> {
        let mut claims = LogoutTokenClaims::new(
            self.config.issuer.clone(),
            Audience::single(client.id().to_string()),
            self.now,
            jti.to_string(),
            Some(subject_for(self.secret_box, client.record(), user_id)),
            Some(sid.to_string()),
        );
        claims.exp = Some(self.now + LOGOUT_TOKEN_TTL);
        self.sign_for_client(client, Some("logout+jwt"), &claims)
    }
}

/// The algorithm `client`'s ID tokens are signed with (see [`Client::id_token_alg`]); a
/// registration this provider cannot read is taken as the RS256 default, since the answer
/// only chooses how an `id_token_hint` is verified.
pub fn id_token_alg(client: &ClientRecord) -> SigningAlg {
    Client::from_record(client.clone())
        .map(|c| c.id_token_alg())
        .unwrap_or(SigningAlg::RS256)
}

/// Seconds a logout token is valid (Back-Channel Logout §2.4 wants `exp`; RPs should accept
/// it only briefly).
const LOGOUT_TOKEN_TTL: u64 = 120;

/// A back-channel logout token for `client` about the user `user_id`, signed now with the
/// delivery's stable `jti` (see [`Issuer::logout_token`]), and encrypted as its ID tokens are
/// (Back-Channel Logout §2.4: "the same keys are used to sign and encrypt Logout Tokens as
/// are used for ID Tokens").
pub async fn logout_token(
    provider: &Provider,
    client: &ClientRecord,
    user_id: &str,
    sid: &str,
    jti: &str,
) -> Result<String, OAuthError> {
    let client = Client::from_record(client.clone()).map_err(OAuthError::server)?;
    let signed =
        Issuer::for_provider(provider, provider.now()).logout_token(&client, user_id, sid, jti)?;
    seal_id_token(Some(provider), &client, signed).await
}

//! Minting: opaque access and refresh tokens (stored as hashes) and signed ID tokens. Every
//! grant goes through here, so claims, lifetimes and signing are decided in one place.

use oxid_protocol::claims::{Audience, IdTokenClaims, LogoutTokenClaims};
use oxid_protocol::token::TokenResponse;
use oxid_store::{ClientRecord, TokenKind, TokenRecord, UserRecord};
use serde_json::Value;

use crate::admin::client_secret_context;
use crate::claims::requested_claims;
use crate::crypto::jws::{SigningAlg, left_half_hash, sign_compact, sign_compact_hs256};
use crate::crypto::secrets::{random_id, random_token, sha256_hex};
use crate::error::OAuthError;
use crate::state::Provider;

/// What a grant decided to issue.
#[derive(Debug, Clone)]
pub struct Issuance<'a> {
    /// The client.
    pub client: &'a ClientRecord,
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
    /// The `claims` request parameter, for its `id_token` member.
    pub claims_request: Option<&'a Value>,
}

impl Issuance<'_> {
    fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// A new opaque token and its record.
pub fn new_token(
    provider: &Provider,
    issuance: &Issuance<'_>,
    kind: TokenKind,
    scopes: &[String],
) -> (String, TokenRecord) {
    let now = provider.now();
    let lifetimes = provider.config().lifetimes;
    let ttl = match kind {
        TokenKind::Access => lifetimes.access_token,
        TokenKind::Refresh => lifetimes.refresh_token,
    };
    let token = random_token();
    let record = TokenRecord {
        token_hash: sha256_hex(&token),
        kind,
        grant_id: issuance.grant_id.to_string(),
        client_id: issuance.client.client_id.clone(),
        user_id: issuance.user.map(|u| u.id.clone()),
        scopes: scopes.to_vec(),
        sid: issuance.sid.map(str::to_string),
        auth_time: issuance.auth_time,
        issued_at: now,
        expires_at: now + ttl,
        consumed_at: None,
        revoked_at: None,
    };
    (token, record)
}

/// Issues an access token, and an ID token when `openid` was granted to a user. The refresh
/// token, when there is one, is made and stored by the grant (rotation is the grant's concern).
pub async fn issue(
    provider: &Provider,
    issuance: &Issuance<'_>,
    refresh_token: Option<String>,
) -> Result<TokenResponse, OAuthError> {
    let (access_token, record) = new_token(provider, issuance, TokenKind::Access, issuance.scopes);
    provider.store().insert_token(&record).await?;
    let id_token = match issuance.user {
        Some(user) if issuance.has_scope("openid") => {
            Some(id_token(provider, issuance, user, &access_token)?)
        }
        _ => None,
    };
    let mut response = TokenResponse::bearer(access_token);
    response.expires_in = Some(provider.config().lifetimes.access_token);
    response.refresh_token = refresh_token;
    response.id_token = id_token;
    // RFC 6749 §3.3: a scope is one or more tokens; with none granted the member is left out.
    if !issuance.scopes.is_empty() {
        response.scope = oxid_protocol::scope::Scope::parse(&issuance.scopes.join(" ")).ok();
    }
    Ok(response)
}

/// The algorithm the client's ID tokens are signed with: its registered
/// `id_token_signed_response_alg`, RS256 otherwise (OIDC Registration §2).
pub fn id_token_alg(client: &ClientRecord) -> SigningAlg {
    client
        .id_token_signed_response_alg
        .as_deref()
        .and_then(|a| a.parse().ok())
        .unwrap_or(SigningAlg::RS256)
}

/// Builds and signs an ID token (OIDC Core §2, §3.1.3.6 `at_hash`).
fn id_token(
    provider: &Provider,
    issuance: &Issuance<'_>,
    user: &UserRecord,
    access_token: &str,
) -> Result<String, OAuthError> {
    let now = provider.now();
    let alg = id_token_alg(issuance.client);
    let client_id = issuance.client.client_id.as_str();
    let mut claims = IdTokenClaims {
        iss: provider.config().issuer.clone(),
        sub: user.id.clone(),
        aud: Audience::single(client_id),
        exp: now + provider.config().lifetimes.id_token,
        iat: now,
        auth_time: issuance.auth_time,
        nonce: issuance.nonce.map(str::to_string),
        acr: issuance.acr.map(str::to_string),
        amr: (!issuance.amr.is_empty()).then(|| issuance.amr.to_vec()),
        azp: Some(client_id.to_string()),
        sid: issuance.sid.map(str::to_string),
        at_hash: Some(left_half_hash(alg, access_token)),
        c_hash: None,
        extra: Default::default(),
    };
    // OIDC Core §5.5: claims asked for by name in the `id_token` member of `claims`, within
    // what the granted scopes release.
    if let Some(requested) = issuance.claims_request.and_then(|c| c.get("id_token")) {
        let scopes = issuance.scopes.iter().map(String::as_str);
        for (name, value) in requested_claims(user, scopes, requested) {
            claims.extra.entry(name).or_insert(value);
        }
    }
    sign_for_client(provider, issuance.client, None, &claims)
}

/// Signs `claims` the way `client` asked for its ID tokens: its registered algorithm with the
/// key ring, or HS256 with its own secret (OIDC Core §10.1).
fn sign_for_client(
    provider: &Provider,
    client: &ClientRecord,
    typ: Option<&str>,
    claims: &impl serde::Serialize,
) -> Result<String, OAuthError> {
    let alg = id_token_alg(client);
    let client_id = client.client_id.as_str();
    if alg == SigningAlg::HS256 {
        let sealed = client.secret_encrypted.as_deref().ok_or_else(|| {
            OAuthError::server(format!(
                "client {client_id} asks for HS256 but has no stored secret"
            ))
        })?;
        let secret = provider
            .secret_box()
            .decrypt_for(&client_secret_context(client_id), sealed)?;
        return Ok(sign_compact_hs256(&secret, typ, claims)?);
    }
    let keys = provider.keys();
    let key = keys
        .signer(alg)
        .ok_or_else(|| OAuthError::server(format!("no current {} key", alg.as_str())))?;
    Ok(sign_compact(key, typ, claims)?)
}

/// Seconds a logout token is valid (Back-Channel Logout §2.4 wants `exp`; RPs should accept
/// it only briefly).
const LOGOUT_TOKEN_TTL: u64 = 120;

/// A back-channel logout token for `client` (OIDC Back-Channel Logout 1.0 §2.4): `sub` and
/// `sid`, the logout event, no `nonce`, explicitly typed `logout+jwt`.
pub fn logout_token(
    provider: &Provider,
    client: &ClientRecord,
    sub: &str,
    sid: &str,
) -> Result<String, OAuthError> {
    let now = provider.now();
    let mut claims = LogoutTokenClaims::new(
        provider.config().issuer.clone(),
        Audience::single(client.client_id.clone()),
        now,
        random_id(16),
        Some(sub.to_string()),
        Some(sid.to_string()),
    );
    claims.exp = Some(now + LOGOUT_TOKEN_TTL);
    sign_for_client(provider, client, Some("logout+jwt"), &claims)
}

//! `grant_type=urn:ietf:params:oauth:grant-type:saml2-bearer` (RFC 7522 §2.1): a SAML 2.0
//! assertion signed by a configured identity provider (`[[saml_idps]]`) is the grant. The
//! signature and RFC 7522 §3's checks are `crate::saml`'s; here the assertion is decoded,
//! its ID remembered until it expires (a replay is `invalid_grant`), its `NameID` mapped to
//! a user, and tokens issued for the scopes requested, the IdP's and the client's.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use oxid_protocol::params::Params;
use oxid_protocol::scope::Scope;
use oxid_protocol::token::{TokenError, TokenResponse};

use super::{GrantContext, offline_refresh};
use crate::crypto::secrets::{new_grant_id, sha256_hex};
use crate::discovery::paths;
use crate::error::OAuthError;
use crate::issuer::Issuance;
use crate::saml::{self, Expected, find_user};

/// RFC 7522 §2.1: base64url (RFC 4648 §5), "pad characters SHOULD NOT be included": both
/// forms are accepted; line breaks and the standard alphabet are not.
const BASE64URL_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Issues tokens to the user an identity provider's assertion names.
pub async fn handle(
    ctx: &GrantContext<'_>,
    params: &Params,
    resource: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let assertion = params
        .require("assertion")
        .map_err(|e| OAuthError::from(TokenError::from(e)))?;
    let requested = params
        .get("scope")
        .map(Scope::parse)
        .transpose()
        .map_err(|e| OAuthError::invalid_scope(e.to_string()))?;
    let xml = BASE64URL_ANY_PADDING
        .decode(assertion)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            OAuthError::invalid_grant("the assertion is not base64url-encoded UTF-8 XML")
        })?;
    let config = ctx.provider.config();
    let token_endpoint = config.endpoint(paths::TOKEN);
    let audiences = [config.issuer.as_str(), token_endpoint.as_str()];
    let expected = Expected {
        audiences: &audiences,
        recipient: &token_endpoint,
        now: ctx.now,
    };
    let verified =
        saml::verify(&config.saml_idps, &xml, expected).map_err(OAuthError::invalid_grant)?;
    let idp = verified.idp;
    let accepted = &verified.accepted;
    let user = match find_user(ctx.store, idp.subject_mapping, &accepted.subject).await? {
        Ok(user) => user,
        Err(unmapped) => {
            return Err(OAuthError::invalid_grant(format!(
                "the assertion's NameID names no user of this server: {unmapped}"
            )));
        }
    };
    // RFC 6749 §3.3: the scopes requested that both the IdP and the client may have.
    let client = ctx.client;
    let scopes: Vec<String> = requested
        .iter()
        .flat_map(|scope| scope.iter())
        .filter(|s| idp.scopes.iter().any(|allowed| allowed == s) && client.allows_scope(s))
        .map(str::to_string)
        .collect();
    // RFC 8707 §2, before the ID is spent: a request refused for its target can be corrected.
    let resource = super::target(ctx, resource, &scopes)?;
    // RFC 7522 §3 item 6: the ID is remembered while the assertion could be accepted. One
    // row of fixed size per (IdP, ID), apart from client assertions' jti rows.
    let key = sha256_hex(&format!("saml2-bearer\n{}\n{}", idp.entity_id, verified.id));
    if !ctx.store.remember_jti(&key, accepted.expires_at).await? {
        return Err(OAuthError::invalid_grant(
            "this assertion was used before (its ID is remembered until it expires)",
        ));
    }
    let grant_id = new_grant_id();
    let issuance = Issuance {
        client,
        user: Some(&user),
        grant_id: &grant_id,
        scopes: &scopes,
        sid: None,
        auth_time: Some(accepted.auth_time.unwrap_or(ctx.now)),
        nonce: None,
        acr: None,
        amr: &[],
        claims_request: None,
        resource,
    };
    let refresh = offline_refresh(client, &scopes);
    ctx.issuer.issue(&issuance, refresh).await
}

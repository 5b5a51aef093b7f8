//! Which form an access token takes and, for JWT access tokens, what they say (RFC 9068).
//!
//! A token asked for a resource (RFC 8707) takes that resource's format, algorithm, lifetime
//! and identifier as its one audience; otherwise the client's token policy decides, and a JWT
//! names the issuer as its default audience (RFC 9068 §3: the provider's own UserInfo is the
//! resource a token without a `resource` is for). Either way the token is stored as
//! `sha256` of what the client receives, so introspection, revocation and UserInfo find a
//! JWT exactly as they find an opaque token, and a revoked JWT stays known until it expires.

use oxid_protocol::scope::Scope;
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;

use crate::client::Client;
use crate::config::ProviderConfig;
use crate::crypto::jws::SigningAlg;
use crate::issuer::Issuance;
use crate::resources::Resource;
use crate::token_policy::AccessTokenFormat;

/// The form of one access token: what a grant's issuance and the deployment decide.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessTokenForm {
    /// Opaque or JWT.
    pub format: AccessTokenFormat,
    /// Its audience: the resource, the issuer for a JWT without one, none for an opaque
    /// token without one.
    pub audience: Option<String>,
    /// The algorithm a JWT is signed with.
    pub alg: SigningAlg,
    /// Seconds it lives.
    pub lifetime: u64,
}

impl AccessTokenForm {
    /// The form of the access token `client` gets for `resource` (RFC 8707 §2).
    pub fn decide(
        config: &ProviderConfig,
        client: &Client,
        resource: Option<&Resource>,
    ) -> AccessTokenForm {
        let policy = client.token_policy();
        let client_lifetime = policy
            .access_token_lifetime
            .unwrap_or(config.lifetimes.access_token);
        match resource {
            Some(resource) => AccessTokenForm {
                format: resource.format,
                audience: Some(resource.identifier.clone()),
                alg: resource.alg,
                lifetime: resource.lifetime.unwrap_or(client_lifetime),
            },
            None => {
                let format = policy.access_token_format;
                AccessTokenForm {
                    format,
                    audience: (format == AccessTokenFormat::Jwt).then(|| config.issuer.clone()),
                    alg: SigningAlg::RS256,
                    lifetime: client_lifetime,
                }
            }
        }
    }
}

/// The claims of a JWT access token as they are signed, borrowed from the issuance: the
/// members of the protocol crate's `AccessTokenClaims` in its order (`act` and `cnf` last, as
/// its `extra`), without copying the strings into it first.
#[derive(Debug, Serialize)]
pub struct AccessTokenJwtClaims<'a> {
    /// `iss`.
    pub iss: &'a str,
    /// `exp`.
    pub exp: u64,
    /// `aud`: the one audience, as a string.
    pub aud: &'a str,
    /// `sub`.
    pub sub: Cow<'a, str>,
    /// `client_id`.
    pub client_id: &'a str,
    /// `iat`.
    pub iat: u64,
    /// `jti`.
    pub jti: String,
    /// `auth_time`, when a user signed in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<u64>,
    /// `acr`, when a user signed in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<&'a str>,
    /// `amr`, when a user signed in with named methods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amr: Option<&'a [String]>,
    /// `scope`, space-delimited, when any was granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// `act` (RFC 8693 §4.1), the acting party of an exchange.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub act: Option<&'a Value>,
    /// `cnf` (RFC 9449 §6.1), the DPoP key's thumbprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

/// `{"jkt": thumbprint}` (RFC 9449 §6.1).
#[derive(Debug, Serialize)]
pub struct Confirmation {
    /// The JWK SHA-256 thumbprint.
    pub jkt: String,
}

/// The claims of a JWT access token (RFC 9068 §2.2): `iss`, `exp`, `aud`, `sub` (the user,
/// or the client itself when there is none, §2.2 and RFC 6749 §4.4), `client_id`, `iat`,
/// `jti`, `scope` (§2.2.3), and `auth_time`, `acr`, `amr` when a user signed in (§2.2.1).
pub fn claims<'a>(
    issuer: &'a str,
    issuance: &Issuance<'a>,
    audience: &'a str,
    now: u64,
    expires_at: u64,
    jti: String,
) -> AccessTokenJwtClaims<'a> {
    let client_id = issuance.client.id();
    let scope = Scope::from_tokens(issuance.scopes)
        .ok()
        .filter(|s| !s.is_empty());
    let user = issuance.user;
    AccessTokenJwtClaims {
        iss: issuer,
        exp: expires_at,
        aud: audience,
        sub: Cow::Borrowed(user.map_or(client_id, |u| u.id.as_str())),
        client_id,
        iat: now,
        jti,
        auth_time: user.and(issuance.auth_time),
        acr: user.and(issuance.acr),
        amr: user
            .filter(|_| !issuance.amr.is_empty())
            .map(|_| issuance.amr),
        scope,
        act: None,
        cnf: None,
    }
}

/// The format of an access token we issued: a JWT is three dot-separated parts, an opaque
/// token (base64url) has no dot.
pub fn format_of(access_token: &str) -> AccessTokenFormat {
    if access_token.split('.').count() == 3 {
        AccessTokenFormat::Jwt
    } else {
        AccessTokenFormat::Opaque
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxid_store::{ClientRecord, UserRecord};
    use serde_json::json;

    fn client(metadata: serde_json::Value) -> Client {
        Client::from_record(ClientRecord {
            metadata,
            ..ClientRecord::new("app")
        })
        .unwrap()
    }

    /// A user `alice` with id `id` and no stored claims.
    fn alice(id: &str) -> UserRecord {
        UserRecord {
            id: id.into(),
            username: "alice".into(),
            password_hash: String::new(),
            claims: json!({}),
            created_at: 0,
            updated_at: 0,
        }
    }

    fn config() -> ProviderConfig {
        let settings = crate::config::Settings {
            issuer: "https://op.example".into(),
            ..Default::default()
        };
        ProviderConfig::from_settings(&settings).unwrap()
    }

    #[test]
    fn the_resource_decides_else_the_client_rfc8707_2_rfc9068_3() {
        let config = config();
        let api = Resource {
            identifier: "https://api.example/".into(),
            scopes: vec![],
            format: AccessTokenFormat::Jwt,
            alg: SigningAlg::ES256,
            lifetime: Some(60),
            introspection_clients: vec![],
        };
        let opaque_client = client(json!({}));
        let form = AccessTokenForm::decide(&config, &opaque_client, Some(&api));
        assert_eq!(form.format, AccessTokenFormat::Jwt);
        assert_eq!(form.audience.as_deref(), Some("https://api.example/"));
        assert_eq!((form.alg, form.lifetime), (SigningAlg::ES256, 60));
        let plain = AccessTokenForm::decide(&config, &opaque_client, None);
        assert_eq!(
            (plain.format, plain.audience),
            (AccessTokenFormat::Opaque, None)
        );
        let jwt_client = client(json!({"access_token_format": "jwt", "access_token_lifetime": 90}));
        let jwt = AccessTokenForm::decide(&config, &jwt_client, None);
        assert_eq!(jwt.audience.as_deref(), Some("https://op.example"));
        assert_eq!((jwt.format, jwt.lifetime), (AccessTokenFormat::Jwt, 90));
    }

    #[test]
    fn claims_name_the_user_or_else_the_client_rfc9068_2_2() {
        let app = client(json!({}));
        let user = alice("u1");
        let scopes = ["openid".to_string(), "read:records".to_string()];
        let amr = ["pwd".to_string()];
        let issuance = Issuance {
            client: &app,
            user: Some(&user),
            grant_id: "g",
            scopes: &scopes,
            sid: None,
            auth_time: Some(5),
            nonce: None,
            acr: Some("1"),
            amr: &amr,
            claims_request: None,
            resource: None,
        };
        let c = claims(
            "https://op.example",
            &issuance,
            "https://api.example/",
            10,
            70,
            "j".into(),
        );
        assert_eq!(c.sub, "u1");
        assert_eq!(c.client_id, "app");
        assert_eq!((c.auth_time, c.acr), (Some(5), Some("1")));
        assert_eq!(c.scope.unwrap().to_string(), "openid read:records");
        let machine = Issuance {
            user: None,
            scopes: &[],
            ..issuance
        };
        let c = claims(
            "https://op.example",
            &machine,
            "https://api.example/",
            10,
            70,
            "j".into(),
        );
        assert_eq!(c.sub, "app");
        assert_eq!((c.auth_time, c.amr, c.scope), (None, None, None));
    }

    #[test]
    fn the_signed_claims_read_as_the_protocol_crates_rfc9068_2_2() {
        // The borrowed claims must serialize to exactly the text `AccessTokenClaims` gives
        // (member order, `aud` as one string, `act` and `cnf` last): what resource servers and
        // introspection of JWTs already parse.
        use oxid_protocol::claims::{AccessTokenClaims, Audience};
        let app = client(json!({}));
        let user = alice("u\"1");
        let scopes = ["openid".to_string(), "read:records".to_string()];
        let amr = ["pwd".to_string(), "otp".to_string()];
        let act = json!({"sub": "actor"});
        for (with_user, extras) in [(true, true), (true, false), (false, true), (false, false)] {
            let issuance = Issuance {
                client: &app,
                user: with_user.then_some(&user),
                grant_id: "g",
                scopes: if with_user { &scopes } else { &scopes[1..] },
                sid: None,
                auth_time: Some(5),
                nonce: None,
                acr: Some("1"),
                amr: &amr,
                claims_request: None,
                resource: None,
            };
            let mut ours = claims(
                "https://op.example",
                &issuance,
                "https://api/",
                10,
                70,
                "j".into(),
            );
            let mut theirs = AccessTokenClaims {
                iss: "https://op.example".into(),
                exp: 70,
                aud: Some(Audience::single("https://api/")),
                sub: Some(if with_user { "u\"1" } else { "app" }.into()),
                client_id: Some("app".into()),
                iat: Some(10),
                jti: Some("j".into()),
                auth_time: with_user.then_some(5),
                acr: with_user.then(|| "1".into()),
                amr: with_user.then(|| amr.to_vec()),
                scope: Scope::from_tokens(issuance.scopes).ok(),
                extra: Default::default(),
            };
            if extras {
                ours.act = Some(&act);
                ours.cnf = Some(Confirmation { jkt: "t".into() });
                theirs.extra.insert("act".into(), act.clone());
                theirs.extra.insert("cnf".into(), json!({"jkt": "t"}));
            }
            assert_eq!(
                serde_json::to_string(&ours).unwrap(),
                serde_json::to_string(&theirs).unwrap(),
                "user {with_user}, act and cnf {extras}"
            );
        }
    }
}

//! A client's token policy, Oxid's own registration members: the form and lifetime of its
//! access tokens (opaque, or JWT per RFC 9068) and its refresh tokens' absolute and idle
//! lifetimes and grace window (RFC 9700 §4.14.2). Set by the operator (`oxid client`, the
//! admin API); the registration endpoint refuses them (see `registration`).

use serde_json::Value;
use std::str::FromStr;

use crate::client_metadata::{ClientMetadata, MetadataError};

/// The form of an access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccessTokenFormat {
    /// A random value, stored as its hash; checked by introspection.
    #[default]
    Opaque,
    /// A signed JWT (RFC 9068), checked offline by resource servers.
    Jwt,
}

impl AccessTokenFormat {
    /// The wire name: `opaque` or `jwt`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessTokenFormat::Opaque => "opaque",
            AccessTokenFormat::Jwt => "jwt",
        }
    }
}

impl FromStr for AccessTokenFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "opaque" => Ok(AccessTokenFormat::Opaque),
            "jwt" => Ok(AccessTokenFormat::Jwt),
            other => Err(format!(
                "access_token_format {other:?} is neither opaque nor jwt"
            )),
        }
    }
}

/// Member names of the token policy, as stored in the client's metadata.
pub mod member {
    /// `opaque` (default) or `jwt`.
    pub const ACCESS_TOKEN_FORMAT: &str = "access_token_format";
    /// Seconds an access token lives.
    pub const ACCESS_TOKEN_LIFETIME: &str = "access_token_lifetime";
    /// Seconds a refresh token family lives from its first token, whatever rotations follow.
    pub const REFRESH_TOKEN_LIFETIME: &str = "refresh_token_lifetime";
    /// Seconds a refresh token lives unused.
    pub const REFRESH_TOKEN_IDLE: &str = "refresh_token_idle";
    /// Seconds after a rotation in which a retry with the same token gets the same reply.
    pub const REFRESH_TOKEN_GRACE: &str = "refresh_token_grace";
    /// Every member, in order.
    pub const ALL: [&str; 5] = [
        ACCESS_TOKEN_FORMAT,
        ACCESS_TOKEN_LIFETIME,
        REFRESH_TOKEN_LIFETIME,
        REFRESH_TOKEN_IDLE,
        REFRESH_TOKEN_GRACE,
    ];
}

/// Longest access token lifetime a client may have (a day): longer ones outlive revocation's
/// reach for resource servers that check JWTs offline.
pub const MAX_ACCESS_TOKEN_LIFETIME: u64 = 86_400;
/// Longest grace window (RFC 9700 §4.14.2 wants reuse detected; a retry comes in seconds).
pub const MAX_REFRESH_TOKEN_GRACE: u64 = 300;

/// A client's token policy; `None` members take the deployment's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenPolicy {
    /// The form of its access tokens when no resource decides.
    pub access_token_format: AccessTokenFormat,
    /// Seconds its access tokens live.
    pub access_token_lifetime: Option<u64>,
    /// The absolute lifetime of a refresh token family.
    pub refresh_token_lifetime: Option<u64>,
    /// The idle lifetime of a refresh token.
    pub refresh_token_idle: Option<u64>,
    /// The grace window in seconds; 0 (default) is off.
    pub refresh_token_grace: u64,
}

impl TokenPolicy {
    /// Reads the members from a client's stored metadata; a member of the wrong type is an
    /// error (the stored client is unreadable rather than guessed at).
    pub fn read(metadata: &Value) -> Result<TokenPolicy, String> {
        let get = |name: &str| metadata.get(name).filter(|v| !v.is_null());
        let seconds = |name: &str| -> Result<Option<u64>, String> {
            get(name)
                .map(|v| {
                    v.as_u64()
                        .ok_or(format!("{name} is not a number of seconds"))
                })
                .transpose()
        };
        let access_token_format = match get(member::ACCESS_TOKEN_FORMAT) {
            None => AccessTokenFormat::Opaque,
            Some(v) => v
                .as_str()
                .ok_or(format!("{} is not a string", member::ACCESS_TOKEN_FORMAT))?
                .parse()?,
        };
        Ok(TokenPolicy {
            access_token_format,
            access_token_lifetime: seconds(member::ACCESS_TOKEN_LIFETIME)?,
            refresh_token_lifetime: seconds(member::REFRESH_TOKEN_LIFETIME)?,
            refresh_token_idle: seconds(member::REFRESH_TOKEN_IDLE)?,
            refresh_token_grace: seconds(member::REFRESH_TOKEN_GRACE)?.unwrap_or(0),
        })
    }

    /// The refresh token of a family ending at `family_end` (when it has an absolute
    /// lifetime), issued at `now`: when it expires, given the deployment's
    /// `default_lifetime`. Idle first, then the absolute end (RFC 9700 §4.14.2 lets either
    /// bound a refresh token).
    pub fn refresh_expiry(&self, now: u64, family_end: Option<u64>, default_lifetime: u64) -> u64 {
        let lifetime = self
            .refresh_token_idle
            .or(self.refresh_token_lifetime)
            .unwrap_or(default_lifetime);
        let expires = now.saturating_add(lifetime);
        family_end.map_or(expires, |end| expires.min(end))
    }

    /// The absolute end of a family started at `now`, when the client has one.
    pub fn family_end(&self, now: u64) -> Option<u64> {
        self.refresh_token_lifetime.map(|l| now.saturating_add(l))
    }
}

/// The token policy rules of client metadata, each naming its member.
pub fn check(metadata: &ClientMetadata) -> Result<(), MetadataError> {
    if let Some(format) = &metadata.access_token_format {
        format
            .parse::<AccessTokenFormat>()
            .map_err(|why| MetadataError::metadata(member::ACCESS_TOKEN_FORMAT, why))?;
    }
    let positive = |name: &str, value: Option<u64>, max: Option<u64>| match value {
        Some(0) => Err(MetadataError::metadata(
            name,
            "must be a positive number of seconds",
        )),
        Some(v) if max.is_some_and(|m| v > m) => Err(MetadataError::metadata(
            name,
            format!("must be at most {} seconds", max.unwrap_or_default()),
        )),
        _ => Ok(()),
    };
    positive(
        member::ACCESS_TOKEN_LIFETIME,
        metadata.access_token_lifetime,
        Some(MAX_ACCESS_TOKEN_LIFETIME),
    )?;
    positive(
        member::REFRESH_TOKEN_LIFETIME,
        metadata.refresh_token_lifetime,
        None,
    )?;
    positive(
        member::REFRESH_TOKEN_IDLE,
        metadata.refresh_token_idle,
        None,
    )?;
    if let (Some(idle), Some(lifetime)) =
        (metadata.refresh_token_idle, metadata.refresh_token_lifetime)
        && idle > lifetime
    {
        return Err(MetadataError::metadata(
            member::REFRESH_TOKEN_IDLE,
            "must not exceed refresh_token_lifetime",
        ));
    }
    if metadata
        .refresh_token_grace
        .is_some_and(|g| g > MAX_REFRESH_TOKEN_GRACE)
    {
        return Err(MetadataError::metadata(
            member::REFRESH_TOKEN_GRACE,
            format!("must be at most {MAX_REFRESH_TOKEN_GRACE} seconds (0 turns it off)"),
        ));
    }
    Ok(())
}

/// The first token policy member `metadata` sets, if any (the registration endpoint refuses
/// them: token lifetimes are the operator's choice, not a self-registered client's).
pub fn first_member_set(metadata: &ClientMetadata) -> Option<&'static str> {
    let set = [
        metadata.access_token_format.is_some(),
        metadata.access_token_lifetime.is_some(),
        metadata.refresh_token_lifetime.is_some(),
        metadata.refresh_token_idle.is_some(),
        metadata.refresh_token_grace.is_some(),
    ];
    member::ALL
        .iter()
        .zip(set)
        .find(|(_, set)| *set)
        .map(|(name, _)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_policy_reads_its_members_with_defaults() {
        assert_eq!(
            TokenPolicy::read(&json!({})).unwrap(),
            TokenPolicy::default()
        );
        let policy = TokenPolicy::read(&json!({
            "access_token_format": "jwt", "access_token_lifetime": 60,
            "refresh_token_lifetime": 1000, "refresh_token_idle": 100, "refresh_token_grace": 5
        }))
        .unwrap();
        assert_eq!(policy.access_token_format, AccessTokenFormat::Jwt);
        assert_eq!(policy.refresh_token_grace, 5);
        assert!(TokenPolicy::read(&json!({"access_token_format": "x"})).is_err());
        assert!(TokenPolicy::read(&json!({"refresh_token_idle": "1"})).is_err());
    }

    #[test]
    fn refresh_expiry_is_idle_then_bounded_by_the_family_end_rfc9700_4_14_2() {
        let policy = TokenPolicy {
            refresh_token_lifetime: Some(1000),
            refresh_token_idle: Some(100),
            ..TokenPolicy::default()
        };
        let end = policy.family_end(10);
        assert_eq!(end, Some(1010));
        assert_eq!(policy.refresh_expiry(10, end, 5000), 110);
        assert_eq!(policy.refresh_expiry(950, end, 5000), 1010);
        let absolute = TokenPolicy {
            refresh_token_lifetime: Some(1000),
            ..TokenPolicy::default()
        };
        assert_eq!(absolute.refresh_expiry(500, Some(1010), 5000), 1010);
        assert_eq!(TokenPolicy::default().refresh_expiry(10, None, 5000), 5010);
    }

    #[test]
    fn bad_members_are_refused_naming_the_member() {
        let member_of = |m: ClientMetadata| check(&m).unwrap_err().member;
        let m = ClientMetadata {
            access_token_format: Some("paseto".into()),
            ..ClientMetadata::default()
        };
        assert_eq!(member_of(m), "access_token_format");
        let m = ClientMetadata {
            access_token_lifetime: Some(0),
            ..ClientMetadata::default()
        };
        assert_eq!(member_of(m), "access_token_lifetime");
        let m = ClientMetadata {
            refresh_token_lifetime: Some(10),
            refresh_token_idle: Some(20),
            ..ClientMetadata::default()
        };
        assert_eq!(member_of(m), "refresh_token_idle");
        let m = ClientMetadata {
            refresh_token_grace: Some(3600),
            ..ClientMetadata::default()
        };
        assert_eq!(member_of(m), "refresh_token_grace");
        let ok = ClientMetadata {
            access_token_format: Some("jwt".into()),
            refresh_token_grace: Some(0),
            ..ClientMetadata::default()
        };
        assert!(check(&ok).is_ok());
        assert_eq!(first_member_set(&ok), Some("access_token_format"));
    }
}

//! JWT claim sets: the ID token (OIDC Core §2, §3.1.3.7), the JWT access token (RFC 9068
//! §2.2, §4) and the logout token (OIDC Back-Channel Logout §2.4, §2.6), each with the
//! checks a receiver makes against its own data (`validate_extern`). Signature checking
//! happens elsewhere; the current time is always passed in.

mod access_token;
mod audience;
mod error;
mod id_token;
mod logout_token;

pub use access_token::AccessTokenClaims;
pub use audience::Audience;
pub use error::ClaimsError;
pub use id_token::{IdTokenClaims, IdTokenRules};
pub use logout_token::{LogoutTokenChecks, LogoutTokenClaims, LogoutTokenRules};

/// The `events` member that marks a logout token (OIDC Back-Channel Logout §2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// The default clock-skew leeway in seconds.
pub const DEFAULT_LEEWAY: u64 = 60;

/// Options of every `validate_extern`: the current time and the clock-skew leeway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validation {
    /// Now, in seconds since the Unix epoch.
    pub now: u64,
    /// Allowed clock skew in seconds (default [`DEFAULT_LEEWAY`]), applied to `exp`, `iat`
    /// and `auth_time` comparisons.
    pub leeway: u64,
}

impl Validation {
    /// `now` with the default leeway of 60 seconds.
    pub fn new(now: u64) -> Self {
        Validation {
            now,
            leeway: DEFAULT_LEEWAY,
        }
    }

    /// Sets the leeway.
    pub fn with_leeway(mut self, leeway: u64) -> Self {
        self.leeway = leeway;
        self
    }

    fn check_exp(&self, exp: u64) -> Result<(), ClaimsError> {
        // RFC 7519 §4.1.4: now must be before exp (plus leeway).
        if self.now >= exp.saturating_add(self.leeway) {
            Err(ClaimsError::Expired { exp, now: self.now })
        } else {
            Ok(())
        }
    }
}

/// A callback that checks one value and explains a refusal.
pub type Check<'a> = &'a dyn Fn(&str) -> Result<(), String>;

fn check_audience(
    aud: &Audience,
    client_id: &str,
    extra_trusted_audiences: &[String],
) -> Result<(), ClaimsError> {
    if aud.is_empty() {
        return Err(ClaimsError::AudienceMissing);
    }
    if !aud.contains(client_id) {
        return Err(ClaimsError::AudienceMissingClient {
            client_id: client_id.to_owned(),
        });
    }
    for a in aud.iter() {
        if a != client_id && !extra_trusted_audiences.iter().any(|t| t == a) {
            return Err(ClaimsError::UntrustedAudience(a.to_owned()));
        }
    }
    Ok(())
}

fn check_min(value: u64, min: u64, leeway: u64) -> bool {
    value.saturating_add(leeway) >= min
}

/// Whether `sub` is a valid subject identifier: 1 to 255 ASCII characters (OIDC Core §2).
pub fn is_valid_subject(sub: &str) -> bool {
    !sub.is_empty() && sub.len() <= 255 && sub.is_ascii()
}

/// The seed name of [`IdTokenClaims`] (simple-openid-connect).
pub type IdToken = IdTokenClaims;
/// The seed name of [`AccessTokenClaims`] (simple-openid-connect).
pub type JwtAccessToken = AccessTokenClaims;
/// The seed name of [`LogoutTokenClaims`] (simple-openid-connect).
pub type BackChannelLogoutToken = LogoutTokenClaims;

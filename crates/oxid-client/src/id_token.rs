//! ID token and back-channel logout token validation: the signature first (OIDC Core
//! §3.1.3.7 steps 6-8), then the protocol library's `validate_extern`, then at_hash / c_hash
//! (§3.1.3.8, §3.3.2.11) and max_age (§3.1.3.7 step 13).

use std::sync::Arc;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::digest;
use oxid_protocol::claims::{
    IdTokenClaims, IdTokenRules, LogoutTokenClaims, LogoutTokenRules, Validation,
};
use oxid_protocol::jose::{CompactJws, TYP_AT_JWT, TYP_LOGOUT_JWT, left_half_hash};

use crate::error::ClientError;
use crate::http::HttpClient;
use crate::jwks::JwksCache;
use crate::jws::JwsAlgorithm;

/// The deployment's rule for `acr` values (seed 004's `validate_acr`): their meaning is
/// outside OpenID Connect, so the caller decides. It sees the `acr` of tokens that have one.
#[derive(Clone)]
pub struct AcrValidator(Arc<AcrCheck>);

/// The function behind an [`AcrValidator`].
type AcrCheck = dyn Fn(&str) -> Result<(), String> + Send + Sync;

impl AcrValidator {
    /// A validator from a function that accepts an `acr` or says why not.
    pub fn new(check: impl Fn(&str) -> Result<(), String> + Send + Sync + 'static) -> Self {
        Self(Arc::new(check))
    }

    /// Accepts exactly the `acr` values listed.
    pub fn one_of<S: AsRef<str>>(accepted: impl IntoIterator<Item = S>) -> Self {
        let accepted: Vec<String> = accepted
            .into_iter()
            .map(|s| s.as_ref().to_owned())
            .collect();
        Self::new(move |acr| {
            if accepted.iter().any(|a| a == acr) {
                Ok(())
            } else {
                Err(format!("acr '{acr}' is not one of {accepted:?}"))
            }
        })
    }

    /// Runs the check.
    pub fn check(&self, acr: &str) -> Result<(), String> {
        (self.0)(acr)
    }
}

impl std::fmt::Debug for AcrValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AcrValidator(..)")
    }
}

/// What the client knows that the ID token must match.
#[derive(Debug, Clone, Default)]
pub struct IdTokenExpectations<'a> {
    /// The issuer.
    pub issuer: &'a str,
    /// The client's own id.
    pub client_id: &'a str,
    /// The client secret, which alone may key HS* tokens (OIDC Core §10.1).
    pub client_secret: Option<&'a str>,
    /// The algorithms accepted (never `none`).
    pub algorithms: &'a [JwsAlgorithm],
    /// The `nonce` sent in the authorization request.
    pub nonce: Option<&'a str>,
    /// The access token issued with the ID token, for at_hash.
    pub access_token: Option<&'a str>,
    /// The code issued with the ID token (hybrid flow), for c_hash.
    pub code: Option<&'a str>,
    /// The `max_age` requested: `auth_time` is then required and must be recent enough.
    pub max_age: Option<u64>,
    /// Audiences other than the client that are trusted.
    pub extra_trusted_audiences: &'a [String],
    /// Clock skew allowed, in seconds.
    pub leeway: u64,
    /// The earliest `iat` accepted, ID and logout tokens alike (seed 004's `min_iat`; 0: any).
    pub min_iat: u64,
    /// The `acr` rule for ID tokens that carry one (seed 004's `validate_acr`).
    pub validate_acr: Option<&'a AcrValidator>,
}

/// Checks `value` against a left-half hash claim (OIDC Core §3.1.3.8): the base64url of the
/// left half of the hash of its ASCII octets, with the hash of the token's `alg`.
pub fn check_half_hash(claim: &str, value: &str, alg: JwsAlgorithm) -> bool {
    let expected =
        left_half_hash(digest(crate::jws::hash_algorithm(alg), value.as_bytes()).as_ref());
    verify_slices_are_equal(expected.as_bytes(), claim.as_bytes()).is_ok()
}

fn invalid(detail: impl Into<String>) -> ClientError {
    ClientError::InvalidToken(detail.into())
}

/// Validates an ID token and returns its claims.
pub async fn validate_id_token(
    http: &HttpClient,
    jwks: &JwksCache,
    token: &str,
    expect: &IdTokenExpectations<'_>,
    now: u64,
) -> Result<IdTokenClaims, ClientError> {
    let jws = CompactJws::parse(token)?;
    // Token confusion: a JWT access token (RFC 9068 §4) or a logout token (Back-Channel
    // Logout §2.4) is never an ID token, whatever its claims.
    let header = jws.header();
    if header.typ_is(TYP_AT_JWT) || header.typ_is(TYP_LOGOUT_JWT) {
        return Err(invalid("this JWT is not an ID token (typ)"));
    }
    let alg = jwks
        .verify(http, &jws, expect.algorithms, expect.client_secret, now)
        .await?;
    let claims: IdTokenClaims = jws
        .payload_json()
        .map_err(|e| invalid(format!("ID token claims: {e}")))?;
    let validation = Validation::new(now).with_leeway(expect.leeway);
    let min_auth_time = match expect.max_age {
        Some(max_age) => {
            // OIDC Core §3.1.2.1: with max_age, auth_time is required.
            if claims.auth_time.is_none() {
                return Err(invalid(
                    "max_age was requested but the ID token has no auth_time",
                ));
            }
            now.saturating_sub(max_age)
        }
        None => 0,
    };
    let acr_check = |acr: &str| expect.validate_acr.map_or(Ok(()), |v| v.check(acr));
    claims.validate_extern(
        &IdTokenRules {
            nonce: expect.nonce,
            extra_trusted_audiences: expect.extra_trusted_audiences,
            min_iat: expect.min_iat,
            min_auth_time,
            validate_acr: Some(&acr_check),
            ..IdTokenRules::new(expect.issuer, expect.client_id)
        },
        &validation,
    )?;
    if claims.iat > now.saturating_add(expect.leeway) {
        return Err(invalid("the ID token was issued in the future"));
    }
    // at_hash is checked when both are there (it is optional in the code flow, §3.1.3.8).
    if let (Some(at_hash), Some(access_token)) = (&claims.at_hash, expect.access_token)
        && !check_half_hash(at_hash, access_token, alg)
    {
        return Err(invalid("at_hash does not match the access token"));
    }
    if let Some(code) = expect.code {
        match &claims.c_hash {
            Some(c_hash) if check_half_hash(c_hash, code, alg) => {}
            Some(_) => return Err(invalid("c_hash does not match the code")),
            None => {}
        }
    }
    Ok(claims)
}

/// Callbacks of back-channel logout token validation (OIDC Back-Channel Logout §2.6): the
/// protocol library's, re-exported.
pub use oxid_protocol::claims::LogoutTokenChecks;

/// Validates a back-channel logout token (OIDC Back-Channel Logout §2.6): signature as for
/// ID tokens, `typ` absent or `logout+jwt` (§2.4), then the protocol library's rules.
pub async fn validate_logout_token(
    http: &HttpClient,
    jwks: &JwksCache,
    token: &str,
    expect: &IdTokenExpectations<'_>,
    checks: &LogoutTokenChecks<'_>,
    now: u64,
) -> Result<LogoutTokenClaims, ClientError> {
    let jws = CompactJws::parse(token)?;
    let header = jws.header();
    if header.typ.is_some() && !header.typ_is(TYP_LOGOUT_JWT) && !header.typ_is("JWT") {
        return Err(invalid("a logout token's typ must be logout+jwt"));
    }
    jwks.verify(http, &jws, expect.algorithms, expect.client_secret, now)
        .await?;
    let claims: LogoutTokenClaims = jws
        .payload_json()
        .map_err(|e| invalid(format!("logout token claims: {e}")))?;
    let validation = Validation::new(now).with_leeway(expect.leeway);
    claims.validate_extern(
        &LogoutTokenRules {
            extra_trusted_audiences: expect.extra_trusted_audiences,
            min_iat: expect.min_iat,
            checks: *checks,
            ..LogoutTokenRules::new(expect.issuer, expect.client_id)
        },
        &validation,
    )?;
    if claims.iat > now.saturating_add(expect.leeway) {
        return Err(invalid("the logout token was issued in the future"));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_oidc_core_example() {
        // OIDC Core Appendix A.3 / A.4: at_hash of "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y".
        assert!(check_half_hash(
            "77QmUPtjPfzWtF2AnpK9RQ",
            "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y",
            JwsAlgorithm::RS256
        ));
        assert!(!check_half_hash(
            "77QmUPtjPfzWtF2AnpK9RQ",
            "other",
            JwsAlgorithm::RS256
        ));
        // c_hash of Appendix A.4's code "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk".
        assert!(check_half_hash(
            "LDktKdoQak3Pk0cnXxCltA",
            "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk",
            JwsAlgorithm::RS256
        ));
    }
}

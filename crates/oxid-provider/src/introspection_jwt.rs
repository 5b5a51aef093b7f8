//! Introspection answers as signed JWTs (RFC 9701): a resource server that sends
//! `Accept: application/token-introspection+jwt` gets the RFC 7662 answer inside a
//! `token_introspection` claim, signed by the provider, so that it can keep or pass on proof of
//! what the provider said. The JWT carries `iss`, `aud` (the caller) and `iat`, and no `sub` or
//! `exp`, so it cannot pass for an access token (§5, §8.1). A caller that registered
//! `introspection_signed_response_alg` gets that algorithm (§6), any of the key ring's.

use oxid_protocol::introspection::IntrospectionResponse;
use serde::Serialize;

use crate::crypto::jws::{SigningAlg, sign_compact};
use crate::error::OAuthError;
use crate::state::Provider;

/// The media type a caller asks for, and the answer's `Content-Type` (RFC 9701 §4, §5).
pub const MEDIA_TYPE: &str = "application/token-introspection+jwt";

/// The JOSE `typ` of the answer (RFC 9701 §5).
pub const TYP: &str = "token-introspection+jwt";

/// The claims of the answer (RFC 9701 §5).
#[derive(Debug, Serialize)]
struct Claims<'a> {
    iss: &'a str,
    aud: &'a str,
    iat: u64,
    token_introspection: &'a IntrospectionResponse,
}

/// Whether an `Accept` header value asks for the JWT answer: one of its media ranges is
/// `application/token-introspection+jwt` (parameters and case aside, RFC 9110 §12.5.1),
/// with a non-zero quality.
pub fn wants_jwt(accept: &str) -> bool {
    accept.split(',').any(|range| {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default();
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        media.eq_ignore_ascii_case(MEDIA_TYPE) && !refused
    })
}

/// The client metadata member naming the algorithm of a caller's answers (RFC 9701 §6).
pub const SIGNED_RESPONSE_ALG: &str = "introspection_signed_response_alg";

/// The answer for the client `client_id`, signed with the algorithm it registered
/// (`introspection_signed_response_alg`), else RS256, the default of RFC 9701 §6.
pub async fn signed_answer(
    provider: &Provider,
    client_id: &str,
    answer: &IntrospectionResponse,
) -> Result<String, OAuthError> {
    let registered = provider.client(client_id).await?.and_then(|client| {
        client
            .record()
            .metadata
            .get(SIGNED_RESPONSE_ALG)
            .and_then(serde_json::Value::as_str)
            .and_then(|name| name.parse::<SigningAlg>().ok())
    });
    let algs = &provider.capabilities().introspection_response_algs;
    let alg = registered
        .filter(|alg| algs.contains(alg))
        .unwrap_or(SigningAlg::RS256);
    let keys = provider.keys();
    let key = keys
        .signer(alg)
        .ok_or_else(|| OAuthError::server(format!("no current {} key", alg.as_str())))?;
    let claims = Claims {
        iss: &provider.config().issuer,
        aud: client_id,
        iat: provider.now(),
        token_introspection: answer,
    };
    Ok(sign_compact(key, Some(TYP), &claims)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jwt_answer_is_asked_for_by_its_media_type_rfc9701_4() {
        assert!(wants_jwt("application/token-introspection+jwt"));
        assert!(wants_jwt(
            "application/json;q=0.5, Application/Token-Introspection+JWT"
        ));
        assert!(!wants_jwt("application/json"));
        assert!(!wants_jwt("*/*"));
        assert!(!wants_jwt("application/token-introspection+jwt;q=0"));
    }
}

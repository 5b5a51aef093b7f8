//! The authorization request and its callback: OIDC Core §3.1.2, RFC 7636 (PKCE S256),
//! RFC 9207 (`iss` in the response).

use oxid_protocol::authorization::{
    AuthenticationRequest, AuthorizationResponse, AuthorizationResult, CodeChallengeMethod,
};
use oxid_protocol::params::{Params, append_query};
use oxid_protocol::scope::Scope;

use crate::error::ClientError;
use crate::random::{Pkce, random_string};

/// Parameters the library sets itself; an extra parameter may not replace them.
const RESERVED: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
];

/// What the caller keeps between sending the user away and the callback.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuthorizationSession {
    /// The `state` sent (RFC 6749 §10.12).
    pub state: String,
    /// The `nonce` sent (OIDC Core §3.1.2.1).
    pub nonce: String,
    /// The PKCE `code_verifier` (RFC 7636 §4.1).
    pub code_verifier: String,
    /// The `redirect_uri` sent; the token request repeats it.
    pub redirect_uri: String,
    /// Whether `openid` was asked for: the token response must then carry an ID token.
    #[serde(default)]
    pub openid: bool,
}

/// An authorization URL and the session that goes with it.
#[derive(Debug, Clone)]
pub struct AuthorizationStart {
    /// The URL to send the user to.
    pub url: String,
    /// What to keep for the callback.
    pub session: AuthorizationSession,
}

/// Builds a code-flow authorization URL with fresh `state`, `nonce` and PKCE S256, plus
/// `extra` parameters (`prompt`, `login_hint`, … replace the defaults of the same name).
pub fn authorization_url(
    authorization_endpoint: &str,
    client_id: &str,
    redirect_uri: &str,
    scope: &Scope,
    extra: &[(String, String)],
) -> Result<AuthorizationStart, ClientError> {
    let pkce = Pkce::generate()?;
    let session = AuthorizationSession {
        state: random_string(32)?,
        nonce: random_string(32)?,
        code_verifier: pkce.verifier,
        redirect_uri: redirect_uri.to_owned(),
        openid: scope.is_openid(),
    };
    let mut request = AuthenticationRequest::new(client_id, redirect_uri, scope.clone());
    request.state = Some(session.state.clone());
    request.nonce = Some(session.nonce.clone());
    request.code_challenge = Some(pkce.challenge);
    request.code_challenge_method = Some(CodeChallengeMethod::S256);
    let mut pairs = request.to_query_pairs();
    for (key, value) in extra {
        if RESERVED.contains(&key.as_str()) {
            return Err(ClientError::InvalidUrl {
                url: authorization_endpoint.to_owned(),
                detail: format!("the library sets {key} itself"),
            });
        }
        match pairs.iter_mut().find(|(k, _)| k == key) {
            Some(pair) => pair.1 = value.clone(),
            None => pairs.push((key.clone(), value.clone())),
        }
    }
    Ok(AuthorizationStart {
        url: append_query(authorization_endpoint, pairs),
        session,
    })
}

/// Reads the callback parameters (the redirect's query, or a form_post body).
pub fn parse_callback(query: &str) -> Result<Params, ClientError> {
    let query = query.strip_prefix('?').unwrap_or(query);
    Params::parse_query(query).map_err(|e| ClientError::Callback(e.description()))
}

/// Checks a callback (RFC 6749 §4.1.2, §10.12; RFC 9207 §2.4): `state` must be the one sent;
/// `iss`, when present, must be the issuer, and must be present when the provider
/// advertises `authorization_response_iss_parameter_supported`; an error response becomes
/// [`ClientError::Authorization`]; a success must carry a code.
pub fn handle_callback(
    session: &AuthorizationSession,
    params: &Params,
    issuer: &str,
    iss_advertised: bool,
) -> Result<AuthorizationResponse, ClientError> {
    let result = AuthorizationResult::from_params(params)
        .map_err(|e| ClientError::Callback(e.description()))?;
    if result.state() != Some(session.state.as_str()) {
        return Err(ClientError::Callback(
            "state does not match the request's".into(),
        ));
    }
    match result.iss() {
        Some(iss) if iss != issuer => {
            return Err(ClientError::Callback(format!(
                "iss {iss:?} is not the issuer {issuer:?} (RFC 9207 §2.4)"
            )));
        }
        None if iss_advertised => {
            return Err(ClientError::Callback(
                "the provider advertises RFC 9207 but sent no iss".into(),
            ));
        }
        _ => {}
    }
    match result {
        AuthorizationResult::Error(error) => Err(ClientError::Authorization(error)),
        AuthorizationResult::Success(response) => {
            if response.code.as_deref().is_none_or(str::is_empty) {
                return Err(ClientError::Callback("no code in the response".into()));
            }
            Ok(response)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxid_protocol::authorization::AuthErrorCode;

    const ISSUER: &str = "https://op.example";

    fn start(extra: &[(String, String)]) -> AuthorizationStart {
        let scope = Scope::parse("openid profile").unwrap();
        authorization_url(
            "https://op.example/auth?tenant=t",
            "client",
            "http://127.0.0.1:9/cb",
            &scope,
            extra,
        )
        .unwrap()
    }

    fn query_of(url: &str) -> Params {
        parse_callback(url.split_once('?').unwrap().1).unwrap()
    }

    #[test]
    fn url_has_pkce_s256_state_nonce_and_keeps_endpoint_query() {
        let s = start(&[
            ("prompt".into(), "consent".into()),
            ("ui_locales".into(), "de".into()),
        ]);
        assert!(
            s.url
                .starts_with("https://op.example/auth?tenant=t&response_type=code&")
        );
        let p = query_of(&s.url);
        assert_eq!(p.get("state"), Some(s.session.state.as_str()));
        assert_eq!(p.get("nonce"), Some(s.session.nonce.as_str()));
        assert_eq!(p.get("code_challenge_method"), Some("S256"));
        assert_eq!(
            p.get("code_challenge"),
            Some(
                Pkce::from_verifier(s.session.code_verifier.clone())
                    .challenge
                    .as_str()
            )
        );
        assert_eq!(p.get("prompt"), Some("consent"));
        assert_eq!(p.get("scope"), Some("openid profile"));
        assert_ne!(s.session.state, start(&[]).session.state);
    }

    #[test]
    fn extra_parameters_cannot_replace_security_parameters() {
        let scope = Scope::parse("openid").unwrap();
        let r = authorization_url(
            "https://op.example/a",
            "c",
            "http://x/cb",
            &scope,
            &[("state".into(), "x".into())],
        );
        assert!(r.is_err());
    }

    fn callback(
        s: &AuthorizationSession,
        query: &str,
        advertised: bool,
    ) -> Result<AuthorizationResponse, ClientError> {
        handle_callback(s, &parse_callback(query).unwrap(), ISSUER, advertised)
    }

    #[test]
    fn callback_checks_state_rfc6749_10_12() {
        let s = start(&[]).session;
        let ok = callback(&s, &format!("code=abc&state={}", s.state), false).unwrap();
        assert_eq!(ok.code.as_deref(), Some("abc"));
        assert!(matches!(
            callback(&s, "code=abc&state=other", false),
            Err(ClientError::Callback(_))
        ));
        assert!(matches!(
            callback(&s, "code=abc", false),
            Err(ClientError::Callback(_))
        ));
    }

    #[test]
    fn callback_checks_iss_rfc9207_2_4() {
        let s = start(&[]).session;
        let good = format!("code=abc&state={}&iss=https%3A%2F%2Fop.example", s.state);
        assert!(callback(&s, &good, true).is_ok());
        let wrong = format!("code=abc&state={}&iss=https%3A%2F%2Fevil.example", s.state);
        assert!(callback(&s, &wrong, false).is_err());
        let missing = format!("code=abc&state={}", s.state);
        assert!(callback(&s, &missing, true).is_err());
        assert!(callback(&s, &missing, false).is_ok());
    }

    #[test]
    fn error_responses_map_to_the_protocol_enum_rfc6749_4_1_2_1() {
        let s = start(&[]).session;
        let q = format!("error=access_denied&error_description=no&state={}", s.state);
        match callback(&s, &q, false) {
            Err(ClientError::Authorization(e)) => {
                assert_eq!(e.error, AuthErrorCode::AccessDenied);
                assert_eq!(e.error_description.as_deref(), Some("no"));
            }
            other => panic!("unexpected {other:?}"),
        }
        // An injected error with the wrong state is a state failure, not a provider error.
        assert!(matches!(
            callback(&s, "error=access_denied&state=x", false),
            Err(ClientError::Callback(_))
        ));
        let q = format!("error=made_up&state={}", s.state);
        assert!(matches!(
            callback(&s, &q, false),
            Err(ClientError::Callback(_))
        ));
    }

    #[test]
    fn success_without_code_is_refused() {
        let s = start(&[]).session;
        assert!(callback(&s, &format!("state={}", s.state), false).is_err());
    }
}

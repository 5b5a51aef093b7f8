//! The resource-server side: an API checks the access tokens it receives, either as JWT
//! access tokens (RFC 9068 §4) against the provider's cached key set, like openid-client's
//! `validateJwtAccessToken`, or through the provider's introspection endpoint (RFC 7662 §2),
//! and answers a refusal with the Bearer challenge of RFC 6750 §3.
//!
//! ```no_run
//! use oxid_client::access_token::AccessTokenVerifier;
//! use oxid_protocol::scope::Scope;
//!
//! # async fn example(authorization_header: Option<&str>) -> Result<(), oxid_client::ClientError> {
//! let verifier = AccessTokenVerifier::discover("https://login.example.com", "https://api.example.com").await?;
//! let needed = Scope::parse("read:records").expect("a valid scope");
//! match verifier.authorize(authorization_header, &needed).await {
//!     Ok(token) => println!("call by {:?}", token.subject()),
//!     // Answer `denied.status` with `WWW-Authenticate: {denied.www_authenticate()}`.
//!     Err(denied) => println!("{} {}", denied.status, denied.www_authenticate()),
//! }
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;

use oxid_protocol::bearer::{BearerChallenge, BearerErrorCode, parse_bearer_authorization};
use oxid_protocol::claims::{AccessTokenClaims, DEFAULT_LEEWAY, Validation};
use oxid_protocol::introspection::{IntrospectionRequest, IntrospectionResponse};
use oxid_protocol::jose::{CompactJws, TYP_AT_JWT};
use oxid_protocol::scope::Scope;

use crate::client_auth::ClientAuth;
use crate::clock::{Clock, SystemClock};
use crate::endpoints;
use crate::error::ClientError;
use crate::http::HttpClient;
use crate::jwks::JwksCache;
use crate::jws::JwsAlgorithm;
use crate::provider::{DiscoveryOptions, Provider};
use crate::token::EndpointCall;

/// The algorithms accepted by default: every asymmetric one this library verifies. HMAC is
/// never accepted, since a resource server holds no secret shared with the provider
/// (RFC 9068 §4 verifies with the provider's published keys).
pub const DEFAULT_ACCESS_TOKEN_ALGORITHMS: &[JwsAlgorithm] = &[
    JwsAlgorithm::RS256,
    JwsAlgorithm::RS384,
    JwsAlgorithm::RS512,
    JwsAlgorithm::PS256,
    JwsAlgorithm::PS384,
    JwsAlgorithm::PS512,
    JwsAlgorithm::ES256,
    JwsAlgorithm::ES384,
    JwsAlgorithm::EdDSA,
];

/// How the resource server authenticates at the introspection endpoint (RFC 7662 §2.1).
#[derive(Debug)]
struct Introspection {
    endpoint: String,
    client_id: String,
    auth: ClientAuth,
}

/// An access token the resource server accepted.
#[derive(Debug, Clone, PartialEq)]
pub enum VerifiedAccessToken {
    /// A JWT access token, verified locally (RFC 9068).
    Jwt(AccessTokenClaims),
    /// A token the provider said is active (RFC 7662 §2.2).
    Introspected(IntrospectionResponse),
}

impl VerifiedAccessToken {
    /// The granted scope, if the token states one.
    pub fn scope(&self) -> Option<&Scope> {
        match self {
            VerifiedAccessToken::Jwt(c) => c.scope.as_ref(),
            VerifiedAccessToken::Introspected(r) => r.scope.as_ref(),
        }
    }

    /// The resource owner (or the client, for client credentials).
    pub fn subject(&self) -> Option<&str> {
        match self {
            VerifiedAccessToken::Jwt(c) => c.sub.as_deref(),
            VerifiedAccessToken::Introspected(r) => r.sub.as_deref(),
        }
    }

    /// The client the token was issued to.
    pub fn client_id(&self) -> Option<&str> {
        match self {
            VerifiedAccessToken::Jwt(c) => c.client_id.as_deref(),
            VerifiedAccessToken::Introspected(r) => r.client_id.as_deref(),
        }
    }
}

/// A refused request: the status and challenge to answer with, and why.
#[derive(Debug)]
pub struct AccessDenied {
    /// 400, 401 or 403 (RFC 6750 §3.1), or 503 when the provider could not be asked (its
    /// key set or introspection endpoint unreachable), so clients keep their token.
    pub status: u16,
    /// The `WWW-Authenticate` challenge (RFC 6750 §3).
    pub challenge: BearerChallenge,
    /// What went wrong, for the API's logs; `None` when the request had no token.
    pub cause: Option<ClientError>,
}

impl AccessDenied {
    /// The `WWW-Authenticate` header value.
    pub fn www_authenticate(&self) -> String {
        self.challenge.www_authenticate()
    }

    fn new(code: BearerErrorCode, description: &str, cause: Option<ClientError>) -> Self {
        AccessDenied {
            status: code.http_status(),
            challenge: BearerChallenge::error(code, description),
            cause,
        }
    }
}

/// Whether `error` is the provider's or the network's fault rather than the token's.
fn is_unavailable(error: &ClientError) -> bool {
    matches!(
        error,
        ClientError::Http { .. }
            | ClientError::Status { .. }
            | ClientError::InvalidResponse { .. }
            | ClientError::InvalidUrl { .. }
            | ClientError::Unsupported(_)
            | ClientError::Crypto(_)
    )
}

fn invalid(detail: impl Into<String>) -> ClientError {
    ClientError::InvalidToken(detail.into())
}

/// Checks the access tokens an API receives against one provider and one audience (the
/// API's resource identifier).
#[derive(Debug)]
pub struct AccessTokenVerifier {
    http: HttpClient,
    clock: Arc<dyn Clock>,
    issuer: String,
    audience: String,
    jwks: JwksCache,
    algorithms: Vec<JwsAlgorithm>,
    leeway: u64,
    assertion_audience: String,
    introspection: Option<Introspection>,
}

impl AccessTokenVerifier {
    /// A verifier for tokens of `provider` meant for `audience`.
    pub fn new(
        http: HttpClient,
        clock: Arc<dyn Clock>,
        provider: &Provider,
        audience: impl Into<String>,
    ) -> Self {
        let jwks_uri = provider.metadata.jwks_uri.clone().unwrap_or_default();
        let assertion_audience = provider
            .token_endpoint()
            .map_or_else(|_| provider.issuer.clone(), str::to_owned);
        Self {
            http,
            clock,
            issuer: provider.issuer.clone(),
            audience: audience.into(),
            jwks: JwksCache::new(jwks_uri),
            algorithms: DEFAULT_ACCESS_TOKEN_ALGORITHMS.to_vec(),
            leeway: DEFAULT_LEEWAY,
            assertion_audience,
            introspection: None,
        }
    }

    /// Discovers `issuer` (OpenID Connect document) and builds a verifier with the system
    /// clock.
    pub async fn discover(issuer: &str, audience: impl Into<String>) -> Result<Self, ClientError> {
        let http = HttpClient::new()?;
        let provider = Provider::discover(&http, issuer, DiscoveryOptions::default()).await?;
        Ok(Self::new(http, Arc::new(SystemClock), &provider, audience))
    }

    /// Also accepts tokens that are not JWT access tokens by asking the provider's
    /// introspection endpoint, authenticated as `client_id` (RFC 7662 §2.1).
    pub fn with_introspection(
        mut self,
        provider: &Provider,
        client_id: impl Into<String>,
        auth: ClientAuth,
    ) -> Result<Self, ClientError> {
        self.introspection = Some(Introspection {
            endpoint: provider.introspection_endpoint()?.to_owned(),
            client_id: client_id.into(),
            auth,
        });
        Ok(self)
    }

    /// The signing algorithms accepted (HMAC ones are ignored: see
    /// [`DEFAULT_ACCESS_TOKEN_ALGORITHMS`]).
    pub fn with_algorithms(mut self, algorithms: &[JwsAlgorithm]) -> Self {
        self.algorithms = algorithms
            .iter()
            .copied()
            .filter(|a| !a.is_hmac())
            .collect();
        self
    }

    /// Sets the allowed clock skew in seconds.
    pub fn with_leeway(mut self, leeway: u64) -> Self {
        self.leeway = leeway;
        self
    }

    /// Verifies a JWT access token (RFC 9068 §4): `typ` is `at+jwt`, the signature is the
    /// provider's (its key set cached, refetched on an unknown `kid`), `iss` is the
    /// provider, `aud` contains this API, `exp` is in the future, `iat` and `nbf` are not.
    /// The other claims RFC 9068 §2.2 requires are read when present, not required (seed
    /// 004: real providers omit some).
    pub async fn verify_jwt(&self, token: &str) -> Result<AccessTokenClaims, ClientError> {
        let jws = CompactJws::parse(token)?;
        AccessTokenClaims::validate_header(jws.header())?;
        let now = self.clock.now();
        self.jwks
            .verify(&self.http, &jws, &self.algorithms, None, now)
            .await?;
        let claims: AccessTokenClaims = jws
            .payload_json()
            .map_err(|e| invalid(format!("access token claims: {e}")))?;
        claims.validate_extern(&self.issuer, &Validation::new(now).with_leeway(self.leeway))?;
        claims.validate_audience(&self.audience)?;
        let future = |t: u64| t > now.saturating_add(self.leeway);
        if claims.iat.is_some_and(future) {
            return Err(invalid("the access token was issued in the future"));
        }
        // RFC 7519 §4.1.5.
        if claims
            .extra
            .get("nbf")
            .and_then(serde_json::Value::as_u64)
            .is_some_and(future)
        {
            return Err(invalid("the access token is not valid yet (nbf)"));
        }
        Ok(claims)
    }

    /// Asks the provider (RFC 7662 §2): the token must be active, and its `iss`, `aud`,
    /// `exp` and `nbf`, when the answer has them, must fit this provider, this API and now.
    pub async fn introspect(&self, token: &str) -> Result<IntrospectionResponse, ClientError> {
        let Some(introspection) = &self.introspection else {
            return Err(ClientError::Unsupported(
                "no introspection was configured for this verifier".into(),
            ));
        };
        let call = EndpointCall {
            endpoint: &introspection.endpoint,
            audience: &self.assertion_audience,
            client_id: &introspection.client_id,
            auth: &introspection.auth,
            now: self.clock.now(),
        };
        let mut request = IntrospectionRequest::new(token);
        request.token_type_hint = Some("access_token".into());
        let answer = endpoints::introspect(&self.http, call, &request).await?;
        let now = self.clock.now();
        if !answer.active {
            return Err(invalid("the token is not active (RFC 7662 §2.2)"));
        }
        if answer.iss.as_deref().is_some_and(|iss| iss != self.issuer) {
            return Err(invalid("the token is another issuer's"));
        }
        if answer
            .aud
            .as_ref()
            .is_some_and(|aud| !aud.contains(&self.audience))
        {
            return Err(invalid("the token is for another audience"));
        }
        if answer
            .exp
            .is_some_and(|exp| now >= exp.saturating_add(self.leeway))
        {
            return Err(invalid("the token has expired"));
        }
        if answer
            .nbf
            .is_some_and(|nbf| nbf > now.saturating_add(self.leeway))
        {
            return Err(invalid("the token is not valid yet (nbf)"));
        }
        Ok(answer)
    }

    /// Verifies `token`: a JWT access token (`typ` `at+jwt`) locally, any other token by
    /// introspection when it is configured (a JWT checked locally is not checked for
    /// revocation).
    pub async fn verify(&self, token: &str) -> Result<VerifiedAccessToken, ClientError> {
        let is_jwt_access_token = CompactJws::parse(token)
            .ok()
            .is_some_and(|jws| jws.header().typ_is(TYP_AT_JWT));
        if is_jwt_access_token || self.introspection.is_none() {
            self.verify_jwt(token).await.map(VerifiedAccessToken::Jwt)
        } else {
            self.introspect(token)
                .await
                .map(VerifiedAccessToken::Introspected)
        }
    }

    /// Checks a request's `Authorization` header value: a Bearer token (RFC 6750 §2.1),
    /// valid, holding every scope of `required` (§3.1 `insufficient_scope` otherwise).
    pub async fn authorize(
        &self,
        authorization: Option<&str>,
        required: &Scope,
    ) -> Result<VerifiedAccessToken, AccessDenied> {
        let Some(header) = authorization else {
            // RFC 6750 §3.1: no error code when the request had no token at all.
            return Err(AccessDenied {
                status: 401,
                challenge: BearerChallenge::default(),
                cause: None,
            });
        };
        let Some(token) = parse_bearer_authorization(header) else {
            let detail = "the Authorization header is not a Bearer token";
            return Err(AccessDenied::new(
                BearerErrorCode::InvalidRequest,
                detail,
                Some(invalid(detail)),
            ));
        };
        let verified = match self.verify(token).await {
            Ok(verified) => verified,
            Err(e) if is_unavailable(&e) => {
                return Err(AccessDenied {
                    status: 503,
                    challenge: BearerChallenge::default(),
                    cause: Some(e),
                });
            }
            Err(e) => {
                let description = "the access token is invalid or expired";
                return Err(AccessDenied::new(
                    BearerErrorCode::InvalidToken,
                    description,
                    Some(e),
                ));
            }
        };
        let granted = verified.scope();
        let missing: Vec<&str> = required
            .iter()
            .filter(|s| !granted.is_some_and(|g| g.contains(s)))
            .collect();
        if !missing.is_empty() {
            let description = format!("the access token lacks scope {}", missing.join(" "));
            let mut denied = AccessDenied::new(
                BearerErrorCode::InsufficientScope,
                &description,
                Some(invalid(description.clone())),
            );
            denied.challenge.scope = Some(required.to_string());
            return Err(denied);
        }
        Ok(verified)
    }
}

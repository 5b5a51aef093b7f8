//! [`OidcClient`]: one provider, one client registration, every call a relying party makes.

use std::sync::Arc;

use oxid_protocol::authorization::AuthorizationResponse;
use oxid_protocol::claims::{DEFAULT_LEEWAY, IdTokenClaims, LogoutTokenClaims};
use oxid_protocol::introspection::{IntrospectionRequest, IntrospectionResponse};
use oxid_protocol::revocation::RevocationRequest;
use oxid_protocol::scope::Scope;
use oxid_protocol::token::{TokenRequest, TokenResponse};
use oxid_protocol::userinfo::UserinfoResponse;

use crate::authorization::{
    AuthorizationSession, AuthorizationStart, authorization_url, handle_callback, parse_callback,
};
use crate::client_auth::ClientAuth;
use crate::clock::{Clock, SystemClock};
use crate::endpoints;
use crate::error::ClientError;
use crate::http::HttpClient;
use crate::id_token::{
    AcrValidator, IdTokenExpectations, LogoutTokenChecks, validate_id_token, validate_logout_token,
};
use crate::jwks::JwksCache;
use crate::jws::{JwsAlgorithm, supported_algorithms};
use crate::provider::{DiscoveryOptions, Provider};
use crate::token::{EndpointCall, request_token};

/// A token response and the validated claims of its ID token, when it had one.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// The token endpoint's answer.
    pub response: TokenResponse,
    /// The ID token's claims, validated.
    pub id_token: Option<IdTokenClaims>,
}

/// A relying party bound to one provider.
#[derive(Debug)]
pub struct OidcClient {
    http: HttpClient,
    clock: Arc<dyn Clock>,
    provider: Provider,
    client_id: String,
    auth: ClientAuth,
    jwks: JwksCache,
    leeway: u64,
    min_iat: u64,
    acr_validator: Option<AcrValidator>,
}

impl OidcClient {
    /// A client for an already discovered provider.
    pub fn new(
        http: HttpClient,
        clock: Arc<dyn Clock>,
        provider: Provider,
        client_id: impl Into<String>,
        auth: ClientAuth,
    ) -> Self {
        let jwks = JwksCache::new(provider.metadata.jwks_uri.clone().unwrap_or_default());
        Self {
            http,
            clock,
            provider,
            client_id: client_id.into(),
            auth,
            jwks,
            leeway: DEFAULT_LEEWAY,
            min_iat: 0,
            acr_validator: None,
        }
    }

    /// Discovers `issuer` and builds a client with the system clock.
    pub async fn discover(
        issuer: &str,
        client_id: impl Into<String>,
        auth: ClientAuth,
        options: DiscoveryOptions,
    ) -> Result<Self, ClientError> {
        let http = HttpClient::new()?;
        let provider = Provider::discover(&http, issuer, options).await?;
        Ok(Self::new(
            http,
            Arc::new(SystemClock),
            provider,
            client_id,
            auth,
        ))
    }

    /// Sets the allowed clock skew in seconds.
    pub fn with_leeway(mut self, leeway: u64) -> Self {
        self.leeway = leeway;
        self
    }

    /// Refuses ID and logout tokens issued before `min_iat` (seconds since the epoch; seed
    /// 004's `min_iat`, default 0: any), e.g. the time the client's keys or sessions were
    /// last reset.
    pub fn with_min_iat(mut self, min_iat: u64) -> Self {
        self.min_iat = min_iat;
        self
    }

    /// Checks the `acr` of every ID token that has one (seed 004's `validate_acr`).
    pub fn with_acr_validator(mut self, validator: AcrValidator) -> Self {
        self.acr_validator = Some(validator);
        self
    }

    /// The provider.
    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    /// The client identifier.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The ID token algorithms accepted: the provider's, that this library supports.
    pub fn id_token_algorithms(&self) -> Vec<JwsAlgorithm> {
        let advertised = self
            .provider
            .metadata
            .id_token_signing_alg_values_supported
            .as_deref();
        supported_algorithms(advertised, self.auth.secret().is_some())
    }

    fn expectations<'a>(&'a self, algorithms: &'a [JwsAlgorithm]) -> IdTokenExpectations<'a> {
        IdTokenExpectations {
            issuer: &self.provider.issuer,
            client_id: &self.client_id,
            client_secret: self.auth.secret(),
            algorithms,
            leeway: self.leeway,
            min_iat: self.min_iat,
            validate_acr: self.acr_validator.as_ref(),
            ..Default::default()
        }
    }

    fn call<'a>(&'a self, endpoint: &'a str) -> Result<EndpointCall<'a>, ClientError> {
        Ok(EndpointCall {
            endpoint,
            audience: self.provider.token_endpoint()?,
            client_id: &self.client_id,
            auth: &self.auth,
            now: self.clock.now(),
        })
    }

    /// An authorization URL (code flow, PKCE S256, fresh state and nonce) and its session.
    pub fn authorization_url(
        &self,
        redirect_uri: &str,
        scope: &Scope,
        extra: &[(String, String)],
    ) -> Result<AuthorizationStart, ClientError> {
        let endpoint = self.provider.authorization_endpoint()?;
        authorization_url(endpoint, &self.client_id, redirect_uri, scope, extra)
    }

    /// Checks the callback's query (state, RFC 9207 iss, errors) and returns the response.
    pub fn handle_callback(
        &self,
        session: &AuthorizationSession,
        query: &str,
    ) -> Result<AuthorizationResponse, ClientError> {
        let params = parse_callback(query)?;
        handle_callback(
            session,
            &params,
            &self.provider.issuer,
            self.provider.iss_in_authorization_response(),
        )
    }

    async fn token(&self, request: &TokenRequest) -> Result<TokenResponse, ClientError> {
        let endpoint = self.provider.token_endpoint()?;
        request_token(&self.http, self.call(endpoint)?, request, &[]).await
    }

    async fn with_id_token(
        &self,
        response: TokenResponse,
        nonce: Option<&str>,
        previous_sub: Option<&str>,
    ) -> Result<Tokens, ClientError> {
        let id_token = match &response.id_token {
            Some(token) => {
                let claims = self
                    .validate_id_token(token, nonce, Some(&response.access_token), None, None)
                    .await?;
                // OIDC Core §12.2: a refreshed ID token is about the same subject.
                if previous_sub.is_some_and(|sub| sub != claims.sub) {
                    return Err(ClientError::InvalidToken(
                        "the refreshed ID token has another sub".into(),
                    ));
                }
                Some(claims)
            }
            None => None,
        };
        Ok(Tokens { response, id_token })
    }

    /// Exchanges a code (RFC 6749 §4.1.3 with the PKCE verifier, RFC 7636 §4.5) and
    /// validates the ID token against the session's nonce; an `openid` flow must return one
    /// (OIDC Core §3.1.3.3), a plain OAuth flow may not.
    pub async fn exchange_code(
        &self,
        session: &AuthorizationSession,
        code: &str,
    ) -> Result<Tokens, ClientError> {
        let request = TokenRequest::AuthorizationCode {
            code: code.to_owned(),
            redirect_uri: session.redirect_uri.clone(),
            code_verifier: Some(session.code_verifier.clone()),
            extra: Default::default(),
        };
        let response = self.token(&request).await?;
        if session.openid && response.id_token.is_none() {
            return Err(ClientError::InvalidToken(
                "the token response has no id_token (OIDC Core §3.1.3.3)".into(),
            ));
        }
        self.with_id_token(response, Some(&session.nonce), None)
            .await
    }

    /// Refreshes (RFC 6749 §6); a new ID token must keep `previous_sub` (OIDC Core §12.2).
    pub async fn refresh(
        &self,
        refresh_token: &str,
        scope: Option<Scope>,
        previous_sub: Option<&str>,
    ) -> Result<Tokens, ClientError> {
        let request = TokenRequest::RefreshToken {
            refresh_token: refresh_token.to_owned(),
            scope,
            extra: Default::default(),
        };
        let response = self.token(&request).await?;
        self.with_id_token(response, None, previous_sub).await
    }

    /// The client credentials grant (RFC 6749 §4.4).
    pub async fn client_credentials(
        &self,
        scope: Option<Scope>,
    ) -> Result<TokenResponse, ClientError> {
        let request = TokenRequest::ClientCredentials {
            scope,
            extra: Default::default(),
        };
        self.token(&request).await
    }

    /// The resource owner password grant (RFC 6749 §4.3).
    pub async fn password(
        &self,
        username: &str,
        password: &str,
        scope: Option<Scope>,
    ) -> Result<Tokens, ClientError> {
        let request = TokenRequest::Password {
            username: username.to_owned(),
            password: password.to_owned(),
            scope,
            extra: Default::default(),
        };
        let response = self.token(&request).await?;
        self.with_id_token(response, None, None).await
    }

    /// Validates an ID token: signature, then the claims, then at_hash / c_hash.
    pub async fn validate_id_token(
        &self,
        token: &str,
        nonce: Option<&str>,
        access_token: Option<&str>,
        code: Option<&str>,
        max_age: Option<u64>,
    ) -> Result<IdTokenClaims, ClientError> {
        let algorithms = self.id_token_algorithms();
        let expect = IdTokenExpectations {
            nonce,
            access_token,
            code,
            max_age,
            ..self.expectations(&algorithms)
        };
        validate_id_token(&self.http, &self.jwks, token, &expect, self.clock.now()).await
    }

    /// Calls UserInfo; `expected_sub` (the ID token's) must match.
    pub async fn userinfo(
        &self,
        access_token: &str,
        expected_sub: Option<&str>,
    ) -> Result<UserinfoResponse, ClientError> {
        let endpoint = self.provider.userinfo_endpoint()?;
        let advertised = self
            .provider
            .metadata
            .userinfo_signing_alg_values_supported
            .as_deref();
        let algorithms = match advertised {
            Some(_) => supported_algorithms(advertised, self.auth.secret().is_some()),
            None => self.id_token_algorithms(),
        };
        let expect = self.expectations(&algorithms);
        endpoints::userinfo(
            &self.http,
            endpoint,
            access_token,
            &self.jwks,
            &expect,
            expected_sub,
            self.clock.now(),
        )
        .await
    }

    /// Introspects a token (RFC 7662).
    pub async fn introspect(
        &self,
        token: &str,
        token_type_hint: Option<&str>,
    ) -> Result<IntrospectionResponse, ClientError> {
        let endpoint = self.provider.introspection_endpoint()?;
        let mut request = IntrospectionRequest::new(token);
        request.token_type_hint = token_type_hint.map(str::to_owned);
        endpoints::introspect(&self.http, self.call(endpoint)?, &request).await
    }

    /// Revokes a token (RFC 7009).
    pub async fn revoke(
        &self,
        token: &str,
        token_type_hint: Option<&str>,
    ) -> Result<(), ClientError> {
        let endpoint = self.provider.revocation_endpoint()?;
        let mut request = RevocationRequest::new(token);
        request.token_type_hint = token_type_hint.map(str::to_owned);
        endpoints::revoke(&self.http, self.call(endpoint)?, &request).await
    }

    /// The RP-initiated logout URL.
    pub fn logout_url(
        &self,
        id_token_hint: Option<&str>,
        post_logout_redirect_uri: Option<&str>,
        state: Option<&str>,
    ) -> Result<String, ClientError> {
        let endpoint = self.provider.end_session_endpoint()?;
        Ok(endpoints::logout_url(
            endpoint,
            &self.client_id,
            id_token_hint,
            post_logout_redirect_uri,
            state,
        ))
    }

    /// Validates a back-channel logout token received at the client's logout URI.
    pub async fn validate_logout_token(
        &self,
        token: &str,
        checks: &LogoutTokenChecks<'_>,
    ) -> Result<LogoutTokenClaims, ClientError> {
        let algorithms = self.id_token_algorithms();
        let expect = self.expectations(&algorithms);
        validate_logout_token(
            &self.http,
            &self.jwks,
            token,
            &expect,
            checks,
            self.clock.now(),
        )
        .await
    }
}

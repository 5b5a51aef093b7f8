//! The relying-party library `oxid-client` driven against the provider, for the
//! `interop_oxid_client*` tests: strict discovery, the library's authorization URL, the
//! user's pages, the callback and the code exchange.

use super::*;
use oxid_client::authorization::AuthorizationSession;
use oxid_client::random::Pkce;
use oxid_client::{
    ClientAuth, ClientError, DiscoveryOptions, HttpClient, OidcClient, Provider, Tokens,
};
use oxid_protocol::authorization::AuthErrorCode;
use oxid_protocol::params::Params;
use oxid_protocol::scope::Scope;
use oxid_protocol::token::TokenErrorCode;
use std::sync::Arc;

/// Where the provider sends the user back after logout.
pub const POST_LOGOUT: &str = "https://app.example.com/logged-out";

pub fn strict() -> DiscoveryOptions {
    DiscoveryOptions {
        strict: true,
        ..DiscoveryOptions::default()
    }
}

pub fn scope(value: &str) -> Scope {
    Scope::parse(value).unwrap()
}

/// Strict discovery of `server`, and a client that reads the provider's own clock.
pub async fn relying_party(server: &TestServer, client_id: &str, auth: ClientAuth) -> OidcClient {
    let http = HttpClient::new().unwrap();
    let provider = Provider::discover(&http, &server.base, strict())
        .await
        .expect("strict discovery of our own provider");
    OidcClient::new(
        http,
        Arc::new(server.clock.clone()),
        provider,
        client_id,
        auth,
    )
}

/// A redirect's target without its query, and the raw query: what the RP's callback sees.
pub fn location(response: &reqwest::Response) -> (String, String) {
    let location = response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location; status {}", response.status()))
        .to_str()
        .unwrap();
    let (base, query) = location.split_once('?').unwrap_or((location, ""));
    (base.to_string(), query.to_string())
}

/// The user's side: opens `url` and answers the provider's login and consent pages (consent
/// with `decision`) until the provider redirects away; returns that redirect.
pub async fn browse(
    server: &TestServer,
    browser: &reqwest::Client,
    url: &str,
    decision: &str,
) -> reqwest::Response {
    let response = browser.get(url).send().await.unwrap();
    let response = answer_pages(server, browser, response, decision).await;
    assert!(
        response.status().is_redirection(),
        "expected a redirect to the client, got {}",
        response.status()
    );
    response
}

/// The front half of the code flow: the library's authorization URL (PKCE S256, state,
/// nonce), the provider's pages, and the library's callback check (state, RFC 9207 iss).
pub async fn authorize(
    server: &TestServer,
    browser: &reqwest::Client,
    client: &OidcClient,
    scope_value: &str,
) -> (AuthorizationSession, String) {
    let start = client
        .authorization_url(REDIRECT, &scope(scope_value), &[])
        .unwrap();
    let (endpoint, query) = start.url.split_once('?').unwrap();
    assert_eq!(endpoint, server.url("/authorize"));
    let sent = Params::parse_query(query).unwrap();
    assert_eq!(sent.get("response_type"), Some("code"));
    assert_eq!(sent.get("client_id"), Some(client.client_id()));
    assert_eq!(sent.get("state"), Some(start.session.state.as_str()));
    assert_eq!(sent.get("nonce"), Some(start.session.nonce.as_str()));
    // RFC 7636 §4.2-4.3: the challenge is S256 of the verifier the session keeps.
    assert_eq!(sent.get("code_challenge_method"), Some("S256"));
    assert_eq!(
        sent.get("code_challenge"),
        Some(
            Pkce::from_verifier(start.session.code_verifier.clone())
                .challenge
                .as_str()
        )
    );
    let redirect = browse(server, browser, &start.url, "allow").await;
    let (base, callback) = location(&redirect);
    assert_eq!(base, REDIRECT);
    let response = client
        .handle_callback(&start.session, &callback)
        .expect("the callback's state and iss (RFC 9207) check out");
    let code = response.code.expect("a code");
    (start.session, code)
}

/// The whole code flow with a fresh browser; the ID token is required and validated.
pub async fn code_flow(server: &TestServer, client: &OidcClient, scope_value: &str) -> Tokens {
    let browser = server.browser();
    let (session, code) = authorize(server, &browser, client, scope_value).await;
    client
        .exchange_code(&session, &code)
        .await
        .unwrap_or_else(|e| panic!("{} code exchange: {e:?}", client.client_id()))
}

pub fn token_error(result: Result<impl std::fmt::Debug, ClientError>) -> TokenErrorCode {
    match result {
        Err(ClientError::Token(e)) => e.error,
        other => panic!("expected the provider's token error, got {other:?}"),
    }
}

pub fn authorization_error(result: Result<impl std::fmt::Debug, ClientError>) -> AuthErrorCode {
    match result {
        Err(ClientError::Authorization(e)) => e.error,
        other => panic!("expected an authorization error response, got {other:?}"),
    }
}

//! Interop with ourselves (issue 5, "How we will know"): the relying-party library
//! `oxid-client` against Oxid's provider, every call a real HTTP conversation on 127.0.0.1.
//! Strict discovery and the summary; the code flow with PKCE for client_secret_basic,
//! client_secret_post and public clients; ID token validation against the provider's JWKS;
//! userinfo; refresh with rotation; client credentials; introspection and revocation; an
//! error callback; the RP-initiated logout URL.
//!
//! The provider's clock stands at `T0` and the library's [`ManualClock`] shows the same time,
//! so every time check the library makes is against the provider's own time.

mod common;

use std::sync::Arc;

use common::*;
use oxid_client::authorization::AuthorizationSession;
use oxid_client::random::Pkce;
use oxid_client::{
    AuthQueryParams, ClientAuth, ClientError, DiscoveryOptions, HttpClient, ManualClock,
    OidcClient, Provider, Tokens, basic_authentication_header,
};
use oxid_protocol::authorization::AuthErrorCode;
use oxid_protocol::bearer::BearerErrorCode;
use oxid_protocol::params::Params;
use oxid_protocol::scope::Scope;
use oxid_protocol::token::TokenErrorCode;

/// Where the provider sends the user back after logout.
const POST_LOGOUT: &str = "https://app.example.com/logged-out";

fn strict() -> DiscoveryOptions {
    DiscoveryOptions {
        strict: true,
        ..DiscoveryOptions::default()
    }
}

fn scope(value: &str) -> Scope {
    Scope::parse(value).unwrap()
}

/// Strict discovery of `server`, and a client whose clock shows the provider's time.
async fn relying_party(server: &TestServer, client_id: &str, auth: ClientAuth) -> OidcClient {
    let http = HttpClient::new().unwrap();
    let provider = Provider::discover(&http, &server.base, strict())
        .await
        .expect("strict discovery of our own provider");
    OidcClient::new(
        http,
        Arc::new(ManualClock::new(T0)),
        provider,
        client_id,
        auth,
    )
}

/// A redirect's target without its query, and the raw query: what the RP's callback sees.
fn location(response: &reqwest::Response) -> (String, String) {
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
async fn browse(
    server: &TestServer,
    browser: &reqwest::Client,
    url: &str,
    decision: &str,
) -> reqwest::Response {
    let mut response = browser.get(url).send().await.unwrap();
    for _ in 0..3 {
        if response.status() != 200 {
            break;
        }
        let html = response.text().await.unwrap();
        response = if html.contains("name=\"password\"") {
            submit_login(server, browser, &html, USER, PASSWORD).await
        } else if html.contains("name=\"decision\"") {
            submit_consent(server, browser, &html, decision).await
        } else {
            panic!("neither a login nor a consent page: {html}");
        };
    }
    assert!(
        response.status().is_redirection(),
        "expected a redirect to the client, got {}",
        response.status()
    );
    response
}

/// The front half of the code flow: the library's authorization URL (PKCE S256, state,
/// nonce), the provider's pages, and the library's callback check (state, RFC 9207 iss).
async fn authorize(
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
async fn code_flow(server: &TestServer, client: &OidcClient, scope_value: &str) -> Tokens {
    let browser = server.browser();
    let (session, code) = authorize(server, &browser, client, scope_value).await;
    client
        .exchange_code(&session, &code)
        .await
        .unwrap_or_else(|e| panic!("{} code exchange: {e:?}", client.client_id()))
}

fn token_error(result: Result<impl std::fmt::Debug, ClientError>) -> TokenErrorCode {
    match result {
        Err(ClientError::Token(e)) => e.error,
        other => panic!("expected the provider's token error, got {other:?}"),
    }
}

fn authorization_error(result: Result<impl std::fmt::Debug, ClientError>) -> AuthErrorCode {
    match result {
        Err(ClientError::Authorization(e)) => e.error,
        other => panic!("expected an authorization error response, got {other:?}"),
    }
}

#[tokio::test]
async fn oxid_client_discovers_our_provider_strictly_and_summarizes_it() {
    let server = TestServer::start().await;
    let secret = server.add_client("rp", |_| {}).await;
    // The convenience constructor, strict: any metadata violation would be an error.
    let client = OidcClient::discover(
        &server.base,
        "rp",
        ClientAuth::ClientSecretBasic(secret.clone()),
        strict(),
    )
    .await
    .expect("strict discovery: the metadata breaks no rule");
    let provider = client.provider();
    assert_eq!(provider.warnings(), Vec::<String>::new());
    assert!(provider.relative_urls.is_empty());
    assert_eq!(provider.issuer, server.base);
    assert_eq!(
        provider.discovery_url,
        server.url("/.well-known/openid-configuration")
    );
    assert_eq!(
        provider.authorization_endpoint().unwrap(),
        server.url("/authorize")
    );
    assert_eq!(provider.token_endpoint().unwrap(), server.url("/token"));
    assert_eq!(
        provider.userinfo_endpoint().unwrap(),
        server.url("/userinfo")
    );
    assert_eq!(
        provider.introspection_endpoint().unwrap(),
        server.url("/introspect")
    );
    assert_eq!(
        provider.revocation_endpoint().unwrap(),
        server.url("/revoke")
    );
    assert!(provider.iss_in_authorization_response());

    // The summary: the endpoints, the client, the RFC 6749 §2.3.1 Basic header.
    let mut params = AuthQueryParams::new();
    params.insert("ui_locales".into(), vec!["fr".into()]);
    params.insert("acr_values".into(), vec!["a b".into(), "c/d".into()]);
    params.insert("prompt".into(), vec![]);
    let summary = provider.summary("rp", Some(&secret), params).unwrap();
    assert_eq!(
        summary.discovery_endpoint.as_deref(),
        Some(provider.discovery_url.as_str())
    );
    assert_eq!(summary.auth_endpoint, server.url("/authorize"));
    assert_eq!(summary.token_endpoint, server.url("/token"));
    assert_eq!(summary.client_id, "rp");
    assert_eq!(
        summary.authentication_header,
        basic_authentication_header("rp", &secret)
    );
    assert_eq!(
        summary.logout_endpoint,
        provider.metadata.end_session_endpoint
    );
    if let Some(logout) = &summary.logout_endpoint {
        assert_eq!(*logout, server.url("/logout"));
    }
    assert_eq!(
        summary.authorization_url(),
        format!(
            "{}/authorize?ui_locales=fr&acr_values=a%20b&acr_values=c%2Fd&prompt",
            server.base
        )
    );

    // The Basic header is the one the token endpoint accepts: a client credentials call
    // made by hand with it gets past client authentication (this client lacks the grant).
    let response = reqwest::Client::new()
        .post(&summary.token_endpoint)
        .header("authorization", &summary.authentication_header)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{body}"
    );

    // auth_query_params carry a whole authorization request the provider accepts.
    let mut params = AuthQueryParams::new();
    let pkce = Pkce::generate().unwrap();
    for (k, v) in [
        ("response_type", "code"),
        ("client_id", "rp"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid email"),
        ("state", "s-1"),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("ui_locales", "fr"),
    ] {
        params.insert(k.into(), vec![v.into()]);
    }
    let summary = provider.summary("rp", Some(&secret), params).unwrap();
    let page = server
        .browser()
        .get(summary.authorization_url())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"password\""), "a login page: {html}");
    assert!(html.contains("lang=\"fr\""), "in French: {html}");
}

#[tokio::test]
async fn oxid_client_code_flow_validates_the_id_token_and_refreshes() {
    let server = TestServer::start().await;
    let secret = server.add_client("rp-basic", |_| {}).await;
    let client = relying_party(&server, "rp-basic", ClientAuth::ClientSecretBasic(secret)).await;
    let browser = server.browser();
    let (session, code) =
        authorize(&server, &browser, &client, "openid email offline_access").await;
    let tokens = client
        .exchange_code(&session, &code)
        .await
        .expect("code exchange with client_secret_basic");

    // OIDC Core §3.1.3.7: validated by the library (signature against jwks_uri, claims).
    let claims = tokens.id_token.clone().expect("validated ID token claims");
    assert_eq!(claims.iss, server.base);
    assert!(claims.aud.contains("rp-basic"));
    assert_eq!(claims.nonce.as_deref(), Some(session.nonce.as_str()));
    assert!(!claims.sub.is_empty());
    assert!(claims.auth_time.is_some_and(|t| t <= T0));
    assert!(claims.exp > T0);
    let raw = tokens.response.id_token.clone().unwrap();
    let access_token = tokens.response.access_token.clone();
    let jws = oxid_protocol::jose::CompactJws::parse(&raw).unwrap();
    let header = jws.header();
    assert_eq!(header.alg, "RS256");
    assert!(header.kid.is_some(), "kid (OIDC Core §10.1)");
    let again = client
        .validate_id_token(&raw, Some(&session.nonce), Some(&access_token), None, None)
        .await
        .expect("the ID token validates again, with at_hash");
    assert_eq!(again.sub, claims.sub);
    // The same token with another nonce, or a changed signature, is refused.
    let refused = client
        .validate_id_token(&raw, Some("another-nonce"), None, None, None)
        .await;
    assert!(
        matches!(
            refused,
            Err(ClientError::Claims(_) | ClientError::InvalidToken(_))
        ),
        "another nonce: {refused:?}"
    );
    let (input, signature) = raw.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
    let forged = format!("{input}.{flipped}{}", &signature[1..]);
    let refused = client
        .validate_id_token(&forged, None, None, None, None)
        .await;
    assert!(
        matches!(refused, Err(ClientError::Jws(_))),
        "a forged signature: {refused:?}"
    );

    // OIDC Core §5.3: userinfo, same sub.
    let userinfo = client
        .userinfo(&access_token, Some(&claims.sub))
        .await
        .expect("userinfo");
    assert_eq!(userinfo.sub, claims.sub);
    assert_eq!(userinfo.get_str("email"), Some("alice@example.com"));

    // RFC 6749 §6 with rotation; a refreshed ID token keeps sub (OIDC Core §12.2).
    let refresh_token = tokens
        .response
        .refresh_token
        .clone()
        .expect("offline_access gives a refresh token");
    let refreshed = client
        .refresh(&refresh_token, None, Some(&claims.sub))
        .await
        .expect("refresh");
    assert_ne!(refreshed.response.access_token, access_token);
    let rotated = refreshed
        .response
        .refresh_token
        .clone()
        .expect("a rotated refresh token");
    assert_ne!(rotated, refresh_token);
    let id_token = refreshed
        .id_token
        .as_ref()
        .expect("a validated refreshed ID token");
    assert_eq!(id_token.sub, claims.sub);
    assert_eq!(
        id_token.nonce, None,
        "no nonce on refresh (OIDC Core §12.2)"
    );
    let userinfo = client
        .userinfo(&refreshed.response.access_token, Some(&claims.sub))
        .await
        .expect("userinfo with the refreshed access token");
    assert_eq!(userinfo.sub, claims.sub);

    // The old refresh token fails, surfaced as the library's token error; RFC 9700 §4.14.2:
    // its reuse revokes the family, the rotated one too.
    assert_eq!(
        token_error(client.refresh(&refresh_token, None, None).await),
        TokenErrorCode::InvalidGrant
    );
    assert_eq!(
        token_error(client.refresh(&rotated, None, None).await),
        TokenErrorCode::InvalidGrant
    );
}

#[tokio::test]
async fn oxid_client_exchanges_codes_with_client_secret_post_and_as_a_public_client() {
    let server = TestServer::start().await;
    let secret = server
        .add_client("rp-post", |c| {
            c.auth_method = Some("client_secret_post".into());
        })
        .await;
    server.add_client("rp-public", |c| c.public = true).await;

    // client_secret_post: the secret in the body (RFC 6749 §2.3.1).
    let post = relying_party(
        &server,
        "rp-post",
        ClientAuth::ClientSecretPost(secret.clone()),
    )
    .await;
    let browser = server.browser();
    let (session, code) = authorize(&server, &browser, &post, "openid email offline_access").await;
    let tokens = post
        .exchange_code(&session, &code)
        .await
        .expect("code exchange with client_secret_post");
    let claims = tokens.id_token.expect("validated ID token claims");
    assert!(claims.aud.contains("rp-post"));
    let userinfo = post
        .userinfo(&tokens.response.access_token, Some(&claims.sub))
        .await
        .expect("userinfo");
    assert_eq!(userinfo.get_str("email"), Some("alice@example.com"));
    let refreshed = post
        .refresh(
            tokens.response.refresh_token.as_deref().unwrap(),
            None,
            Some(&claims.sub),
        )
        .await
        .expect("refresh with client_secret_post");
    assert!(refreshed.response.refresh_token.is_some());
    // RFC 6749 §4.1.2: the code is single use, and its replay revokes what it gave.
    assert_eq!(
        token_error(post.exchange_code(&session, &code).await),
        TokenErrorCode::InvalidGrant
    );
    assert!(matches!(
        post.userinfo(&refreshed.response.access_token, None).await,
        Err(ClientError::Userinfo(_))
    ));
    // The registered method is the only one accepted (OIDC Registration §2).
    let as_basic = relying_party(&server, "rp-post", ClientAuth::ClientSecretBasic(secret)).await;
    assert_eq!(
        token_error(as_basic.client_credentials(None).await),
        TokenErrorCode::InvalidClient
    );

    // none: a public client with PKCE, its ID token signed with the provider's keys.
    let public = relying_party(&server, "rp-public", ClientAuth::None).await;
    let tokens = code_flow(&server, &public, "openid email offline_access").await;
    let claims = tokens.id_token.expect("validated ID token claims");
    assert!(claims.aud.contains("rp-public"));
    let raw = tokens.response.id_token.as_deref().unwrap();
    let alg = oxid_protocol::jose::CompactJws::parse(raw)
        .unwrap()
        .header()
        .alg
        .clone();
    assert!(!alg.starts_with("HS"), "a public client's ID token: {alg}");
    let userinfo = public
        .userinfo(&tokens.response.access_token, Some(&claims.sub))
        .await
        .expect("userinfo");
    assert_eq!(userinfo.sub, claims.sub);
    let refresh_token = tokens.response.refresh_token.as_deref().unwrap();
    public
        .refresh(refresh_token, None, Some(&claims.sub))
        .await
        .expect("a public client refreshes with its client_id");
}

#[tokio::test]
async fn oxid_client_gets_client_credentials_tokens_only_for_registered_clients() {
    let server = TestServer::start().await;
    let secret = server
        .add_client("svc", |c| {
            c.grant_types = vec!["client_credentials".into()];
            c.scopes = vec!["api.read".into()];
        })
        .await;
    let svc = relying_party(&server, "svc", ClientAuth::ClientSecretBasic(secret)).await;
    // RFC 6749 §4.4.3: an access token, no refresh token; no user, so no ID token.
    let response = svc
        .client_credentials(Some(scope("api.read")))
        .await
        .expect("client credentials");
    assert!(response.refresh_token.is_none());
    assert!(response.id_token.is_none());
    let introspected = svc
        .introspect(&response.access_token, Some("access_token"))
        .await
        .expect("introspection");
    assert!(introspected.active);
    assert_eq!(introspected.client_id.as_deref(), Some("svc"));
    assert!(introspected.scope.is_some_and(|s| s.contains("api.read")));
    // OpenID scopes are about a user this grant has not.
    assert_eq!(
        token_error(svc.client_credentials(Some(scope("openid"))).await),
        TokenErrorCode::InvalidScope
    );

    // A client registered without the grant is refused (RFC 6749 §5.2 unauthorized_client).
    let secret = server.add_client("rp", |_| {}).await;
    let rp = relying_party(&server, "rp", ClientAuth::ClientSecretBasic(secret)).await;
    assert_eq!(
        token_error(rp.client_credentials(None).await),
        TokenErrorCode::UnauthorizedClient
    );
}

#[tokio::test]
async fn oxid_client_introspects_and_revokes_rfc7662_rfc7009() {
    let server = TestServer::start().await;
    let secret = server.add_client("rp", |_| {}).await;
    let other_secret = server.add_client("other", |_| {}).await;
    server.add_client("rp-public", |c| c.public = true).await;
    let client = relying_party(&server, "rp", ClientAuth::ClientSecretBasic(secret)).await;
    let tokens = code_flow(&server, &client, "openid email offline_access").await;
    let sub = tokens.id_token.as_ref().unwrap().sub.clone();
    let access_token = tokens.response.access_token.clone();
    let refresh_token = tokens.response.refresh_token.clone().unwrap();

    // RFC 7662 §2.2: active, with what the token carries.
    let info = client
        .introspect(&access_token, Some("access_token"))
        .await
        .expect("introspection of the access token");
    assert!(info.active);
    assert_eq!(info.client_id.as_deref(), Some("rp"));
    assert_eq!(info.sub.as_deref(), Some(sub.as_str()));
    assert!(info.scope.as_ref().is_some_and(|s| s.contains("email")));
    assert!(info.exp.is_some_and(|exp| exp > T0));
    let info = client
        .introspect(&refresh_token, Some("refresh_token"))
        .await
        .expect("introspection of the refresh token");
    assert!(info.active);
    // Another (resource server) client sees the access token (RFC 7662 §1) but not the
    // refresh token; a public client may not introspect.
    let other = relying_party(
        &server,
        "other",
        ClientAuth::ClientSecretBasic(other_secret),
    )
    .await;
    assert!(other.introspect(&access_token, None).await.unwrap().active);
    assert!(!other.introspect(&refresh_token, None).await.unwrap().active);
    let public = relying_party(&server, "rp-public", ClientAuth::None).await;
    assert_eq!(
        token_error(public.introspect(&access_token, None).await),
        TokenErrorCode::InvalidClient
    );

    // RFC 7009 §2.1: revoke the access token; it is inactive and userinfo refuses it.
    client
        .revoke(&access_token, Some("access_token"))
        .await
        .expect("revocation of the access token");
    assert!(!client.introspect(&access_token, None).await.unwrap().active);
    match client.userinfo(&access_token, Some(&sub)).await {
        Err(ClientError::Userinfo(e)) => assert_eq!(e.error, Some(BearerErrorCode::InvalidToken)),
        other => panic!("userinfo with a revoked token: {other:?}"),
    }
    // Revoke the refresh token: inactive, and refreshing with it is invalid_grant.
    client
        .revoke(&refresh_token, Some("refresh_token"))
        .await
        .expect("revocation of the refresh token");
    assert!(
        !client
            .introspect(&refresh_token, None)
            .await
            .unwrap()
            .active
    );
    assert_eq!(
        token_error(client.refresh(&refresh_token, None, None).await),
        TokenErrorCode::InvalidGrant
    );
    // RFC 7009 §2.2: an unknown or already revoked token is still a 200.
    client
        .revoke("no-such-token", None)
        .await
        .expect("200 for an unknown token");
    client
        .revoke(&refresh_token, None)
        .await
        .expect("200 again");
}

#[tokio::test]
async fn oxid_client_maps_a_denied_consent_to_access_denied() {
    let server = TestServer::start().await;
    let secret = server.add_client("rp", |_| {}).await;
    let client = relying_party(&server, "rp", ClientAuth::ClientSecretBasic(secret)).await;
    let start = client
        .authorization_url(REDIRECT, &scope("openid email"), &[])
        .unwrap();
    let redirect = browse(&server, &server.browser(), &start.url, "deny").await;
    let (base, callback) = location(&redirect);
    assert_eq!(base, REDIRECT);
    // RFC 6749 §4.1.2.1 with the state and (RFC 9207) iss: the library checks both before
    // it reports the provider's error.
    assert_eq!(
        authorization_error(client.handle_callback(&start.session, &callback)),
        AuthErrorCode::AccessDenied
    );
    // The same error with another state is a forged callback, not the provider's answer.
    let forged = callback.replace(&start.session.state, "forged-state");
    assert!(matches!(
        client.handle_callback(&start.session, &forged),
        Err(ClientError::Callback(_))
    ));
}

#[tokio::test]
async fn oxid_client_logout_url_ends_the_session_and_returns_to_the_rp() {
    let server = TestServer::start().await;
    let secret = server
        .add_client("rp", |c| {
            c.post_logout_redirect_uris = vec![POST_LOGOUT.into()];
        })
        .await;
    let client = relying_party(&server, "rp", ClientAuth::ClientSecretBasic(secret)).await;
    let Some(end_session) = client.provider().metadata.end_session_endpoint.clone() else {
        panic!(
            "the provider's discovery document has no end_session_endpoint \
             (OIDC RP-Initiated Logout 1.0 §2.1, expected {}): issue 5 requires the library's \
             logout URL to work against our provider",
            server.url("/logout")
        );
    };
    assert_eq!(end_session, server.url("/logout"));

    let browser = server.browser();
    let (session, code) = authorize(&server, &browser, &client, "openid email").await;
    let tokens = client.exchange_code(&session, &code).await.unwrap();
    let id_token = tokens.response.id_token.clone().unwrap();

    // While the session lives, prompt=none does not ask for a login (OIDC Core §3.1.2.1).
    let prompt_none = [("prompt".to_string(), "none".to_string())];
    let start = client
        .authorization_url(REDIRECT, &scope("openid email"), &prompt_none)
        .unwrap();
    let response = browser.get(&start.url).send().await.unwrap();
    let (_, callback) = location(&response);
    match client.handle_callback(&start.session, &callback) {
        Ok(_) => {}
        Err(ClientError::Authorization(e)) => assert_ne!(e.error, AuthErrorCode::LoginRequired),
        Err(other) => panic!("prompt=none with a session: {other:?}"),
    }

    // RP-Initiated Logout §2: the library's URL carries the hint, the client, the
    // registered post-logout redirect URI and the state.
    let url = client
        .logout_url(Some(&id_token), Some(POST_LOGOUT), Some("bye-123"))
        .unwrap();
    let (endpoint, query) = url.split_once('?').unwrap();
    assert_eq!(endpoint, end_session);
    let sent = Params::parse_query(query).unwrap();
    assert_eq!(sent.get("id_token_hint"), Some(id_token.as_str()));
    assert_eq!(sent.get("client_id"), Some("rp"));
    assert_eq!(sent.get("post_logout_redirect_uri"), Some(POST_LOGOUT));
    assert_eq!(sent.get("state"), Some("bye-123"));

    // RP-Initiated Logout §3: never back to a post-logout URI the client did not register.
    let unregistered = "https://evil.example/bye";
    let evil = client
        .logout_url(Some(&id_token), Some(unregistered), Some("bye-123"))
        .unwrap();
    let response = server.browser().get(&evil).send().await.unwrap();
    let target = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        !target.starts_with(unregistered),
        "redirected to an unregistered post_logout_redirect_uri: {target}"
    );

    // A valid hint for the session's user: no confirmation page, straight back to the RP
    // with the state (RP-Initiated Logout §3).
    let response = browser.get(&url).send().await.unwrap();
    assert!(
        response.status().is_redirection(),
        "GET {url}: expected a redirect to {POST_LOGOUT}, got {} {}",
        response.status(),
        response.text().await.unwrap_or_default()
    );
    let (base, query) = location(&response);
    assert_eq!(base, POST_LOGOUT);
    assert_eq!(
        Params::parse_query(&query).unwrap().get("state"),
        Some("bye-123")
    );

    // The session is gone: prompt=none now answers login_required (OIDC Core §3.1.2.6).
    let start = client
        .authorization_url(REDIRECT, &scope("openid email"), &prompt_none)
        .unwrap();
    let response = browser.get(&start.url).send().await.unwrap();
    let (base, callback) = location(&response);
    assert_eq!(base, REDIRECT);
    assert_eq!(
        authorization_error(client.handle_callback(&start.session, &callback)),
        AuthErrorCode::LoginRequired
    );
}

//! Interop with ourselves, the other endpoints: `oxid-client` against Oxid's provider for
//! client credentials, introspection and revocation (RFC 7662, RFC 7009), an error callback
//! and the RP-initiated logout URL. Every call is a real HTTP conversation on 127.0.0.1; the
//! library's clock is the provider's own.

mod common;

use common::oxid_rp::*;
use common::*;
use oxid_client::{ClientAuth, ClientError};
use oxid_protocol::authorization::AuthErrorCode;
use oxid_protocol::bearer::BearerErrorCode;
use oxid_protocol::params::Params;
use oxid_protocol::token::TokenErrorCode;

#[tokio::test]
async fn oxid_client_gets_client_credentials_tokens_only_for_registered_clients() {
    let server = TestServer::start_with(|s| s.scopes = api_scopes(&["api.read"])).await;
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
        Err(ClientError::Userinfo(e)) => {
            assert_eq!(e.bearer_code(), Some(BearerErrorCode::InvalidToken))
        }
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

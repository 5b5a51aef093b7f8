//! Interop with ourselves (issue 5, "How we will know"): the relying-party library
//! `oxid-client` against Oxid's provider, every call a real HTTP conversation on 127.0.0.1.
//! Strict discovery and the summary; the code flow with PKCE for client_secret_basic,
//! client_secret_post and public clients; ID token validation against the provider's JWKS;
//! userinfo; refresh with rotation. Client credentials, introspection, revocation, an
//! error callback and logout are in `interop_oxid_client_endpoints.rs`.
//!
//! The provider's clock stands at `T0` and the library's clock is the provider's
//! own, so every time check the library makes is against the provider's own time.

mod common;

use common::oxid_rp::*;
use common::*;
use oxid_client::random::Pkce;
use oxid_client::{
    AuthQueryParams, ClientAuth, ClientError, OidcClient, basic_authentication_header,
};
use oxid_protocol::token::TokenErrorCode;

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

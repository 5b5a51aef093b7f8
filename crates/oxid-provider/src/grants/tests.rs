//! Table-driven tests of the grants, over an in-memory store and no server: each case is a
//! stored record, a request and the expected outcome.

use oxid_protocol::jose::CompactJws;
use oxid_protocol::scope::Scope;
use oxid_protocol::token::{TokenRequest, TokenResponse};
use oxid_store::CodeRecord;
use serde_json::Value;

use super::{GrantContext, dispatch};
use crate::capabilities::{ClientAuthMethod, GrantType, ResponseType};
use crate::client_auth::VerifiedClient;
use crate::crypto::secrets::sha256_hex;
use crate::crypto::token_keys::token_key;
use crate::error::OAuthError;
use crate::state::Provider;
use crate::test_support::{REDIRECT, T0, bob, provider_with_keys, verified_as};

/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// The time of the token requests; the provider's clock stands at `T0`, so a token stamped
/// with `NOW` proves the grant used the time it was given.
const NOW: u64 = T0 + 5;

/// What a case expects: success, or the error code.
type Expected = Result<(), &'static str>;

/// Checks `outcome` against `expected` (success carrying a value to check, or an error
/// code); the response and that value when both are successes.
fn expect_outcome<T: std::fmt::Debug>(
    name: &str,
    outcome: Result<TokenResponse, OAuthError>,
    expected: Result<T, &str>,
) -> Option<(TokenResponse, T)> {
    match (outcome, expected) {
        (Ok(response), Ok(value)) => Some((response, value)),
        (Err(e), Err(code)) => {
            assert_eq!(e.code(), code, "{name}");
            None
        }
        (outcome, expected) => panic!("{name}: {outcome:?}, expected {expected:?}"),
    }
}

async fn client(provider: &Provider, id: &str, grants: &[GrantType]) -> VerifiedClient {
    let auth = ClientAuthMethod::ClientSecretBasic;
    verified_as(provider, id, auth, grants, &[ResponseType::CODE]).await
}

fn code_record(code: &str, client_id: &str, scopes: &[&str]) -> CodeRecord {
    CodeRecord {
        code_hash: sha256_hex(code),
        grant_id: format!("grant-{code}"),
        client_id: client_id.into(),
        user_id: "u-bob".into(),
        redirect_uri: Some(REDIRECT.into()),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        nonce: Some("n-1".into()),
        code_challenge: Some(CHALLENGE.into()),
        code_challenge_method: Some("S256".into()),
        sid: Some("sid-1".into()),
        auth_time: T0 - 10,
        acr: None,
        amr: vec!["pwd".into()],
        claims_request: None,
        resource: None,
        expires_at: T0 + 60,
        dpop_jkt: None,
    }
}

async fn run(
    provider: &Provider,
    client: &VerifiedClient,
    request: TokenRequest,
) -> Result<TokenResponse, OAuthError> {
    dispatch(&GrantContext::new(provider, client, NOW), request).await
}

fn code_request(code: &str, redirect_uri: &str, verifier: Option<&str>) -> TokenRequest {
    TokenRequest::AuthorizationCode {
        code: code.into(),
        redirect_uri: redirect_uri.into(),
        code_verifier: verifier.map(str::to_string),
        extra: Default::default(),
    }
}

fn id_claims(response: &TokenResponse) -> Value {
    let id_token = response.id_token.as_deref().expect("an ID token");
    CompactJws::parse(id_token).unwrap().payload_json().unwrap()
}

#[tokio::test]
async fn authorization_code_cases_rfc6749_4_1_3_rfc7636_4_6() {
    let provider = provider_with_keys(|_| {}).await;
    bob(&provider).await;
    let grants = [GrantType::AuthorizationCode, GrantType::RefreshToken];
    let app = client(&provider, "app", &grants).await;
    client(&provider, "other", &grants).await;
    // (name, change to the stored code, redirect_uri, code_verifier, expected error)
    type Case = (
        &'static str,
        fn(&mut CodeRecord),
        &'static str,
        Option<&'static str>,
        Expected,
    );
    let cases: [Case; 9] = [
        ("bound code", |_| {}, REDIRECT, Some(VERIFIER), Ok(())),
        (
            "plain when no method was sent (RFC 7636 §4.3)",
            |c| {
                c.code_challenge = Some(VERIFIER.into());
                c.code_challenge_method = None;
            },
            REDIRECT,
            Some(VERIFIER),
            Ok(()),
        ),
        (
            "another redirect URI",
            |_| {},
            "https://app.example.com/other",
            Some(VERIFIER),
            Err("invalid_grant"),
        ),
        (
            "another client's code",
            |c| c.client_id = "other".into(),
            REDIRECT,
            Some(VERIFIER),
            Err("invalid_grant"),
        ),
        ("no verifier", |_| {}, REDIRECT, None, Err("invalid_grant")),
        (
            "wrong verifier",
            |_| {},
            REDIRECT,
            Some("wrong-verifier-wrong-verifier-wrong-verifier"),
            Err("invalid_grant"),
        ),
        (
            "verifier without challenge (RFC 9700 §4.8.2)",
            |c| {
                c.code_challenge = None;
                c.code_challenge_method = None;
            },
            REDIRECT,
            Some(VERIFIER),
            Err("invalid_grant"),
        ),
        (
            "unknown stored method",
            |c| c.code_challenge_method = Some("S512".into()),
            REDIRECT,
            Some(VERIFIER),
            Err("invalid_grant"),
        ),
        (
            "expired",
            |c| c.expires_at = NOW,
            REDIRECT,
            Some(VERIFIER),
            Err("invalid_grant"),
        ),
    ];
    for (i, (name, adjust, redirect_uri, verifier, expected)) in cases.into_iter().enumerate() {
        let code = format!("code-{i}");
        let mut record = code_record(&code, "app", &["openid", "email"]);
        adjust(&mut record);
        provider.store().insert_code(&record).await.unwrap();
        let outcome = run(&provider, &app, code_request(&code, redirect_uri, verifier)).await;
        if let Some((response, ())) = expect_outcome(name, outcome, expected) {
            let claims = id_claims(&response);
            assert_eq!(claims["iat"], NOW, "{name}: the time of the request");
            assert_eq!(claims["nonce"], "n-1", "{name}");
            assert_eq!(claims["sid"], "sid-1", "{name}");
            assert!(
                response.refresh_token.is_none(),
                "{name}: no offline_access"
            );
            let stored = provider
                .store()
                .get_token(&token_key(&response.access_token))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(stored.issued_at, NOW, "{name}");
        }
    }
}

#[tokio::test]
async fn a_refresh_token_comes_with_offline_access_to_clients_that_may_refresh_oidc_core_11() {
    let provider = provider_with_keys(|_| {}).await;
    bob(&provider).await;
    let scopes = ["openid", "offline_access"];
    for (id, grants, refresh) in [
        (
            "refresher",
            &[GrantType::AuthorizationCode, GrantType::RefreshToken][..],
            true,
        ),
        ("code-only", &[GrantType::AuthorizationCode][..], false),
    ] {
        let app = client(&provider, id, grants).await;
        let code = format!("code-{id}");
        let record = code_record(&code, id, &scopes);
        provider.store().insert_code(&record).await.unwrap();
        let response = run(
            &provider,
            &app,
            code_request(&code, REDIRECT, Some(VERIFIER)),
        )
        .await
        .unwrap();
        assert_eq!(response.refresh_token.is_some(), refresh, "{id}");
    }
}

#[tokio::test]
async fn a_replayed_code_revokes_what_it_issued_rfc6749_4_1_2() {
    let provider = provider_with_keys(|_| {}).await;
    bob(&provider).await;
    let app = client(&provider, "app", &[GrantType::AuthorizationCode]).await;
    let record = code_record("once", "app", &["openid"]);
    provider.store().insert_code(&record).await.unwrap();
    let first = run(
        &provider,
        &app,
        code_request("once", REDIRECT, Some(VERIFIER)),
    )
    .await
    .unwrap();
    let replay = run(
        &provider,
        &app,
        code_request("once", REDIRECT, Some(VERIFIER)),
    )
    .await;
    assert_eq!(replay.unwrap_err().code(), "invalid_grant");
    let token = provider
        .store()
        .get_token(&token_key(&first.access_token))
        .await
        .unwrap()
        .unwrap();
    assert!(token.revoked_at.is_some());
}

/// An access and refresh token pair for `app`, with `openid email offline_access`.
async fn first_tokens(provider: &Provider, app: &VerifiedClient) -> TokenResponse {
    let record = code_record("start", app.id(), &["openid", "email", "offline_access"]);
    provider.store().insert_code(&record).await.unwrap();
    run(
        provider,
        app,
        code_request("start", REDIRECT, Some(VERIFIER)),
    )
    .await
    .unwrap()
}

fn refresh_request(token: &str, scope: Option<&str>) -> TokenRequest {
    TokenRequest::RefreshToken {
        refresh_token: token.into(),
        scope: scope.map(|s| Scope::parse(s).unwrap()),
        extra: Default::default(),
    }
}

#[tokio::test]
async fn refresh_token_cases_rfc6749_6() {
    let provider = provider_with_keys(|_| {}).await;
    bob(&provider).await;
    let grants = [GrantType::AuthorizationCode, GrantType::RefreshToken];
    let app = client(&provider, "app", &grants).await;
    let other = client(&provider, "other", &grants).await;
    let refresh = first_tokens(&provider, &app).await.refresh_token.unwrap();
    // (name, client, token, scope, expected error or the scope granted)
    type Case<'a> = (
        &'a str,
        &'a VerifiedClient,
        &'a str,
        Option<&'a str>,
        Result<&'a str, &'a str>,
    );
    let cases: [Case; 4] = [
        (
            "another client's token",
            &other,
            &refresh,
            None,
            Err("invalid_grant"),
        ),
        (
            "wider scope",
            &app,
            &refresh,
            Some("openid profile"),
            Err("invalid_scope"),
        ),
        ("unknown token", &app, "nope", None, Err("invalid_grant")),
        (
            "narrower scope",
            &app,
            &refresh,
            Some("openid"),
            Ok("openid"),
        ),
    ];
    for (name, client, token, scope, expected) in cases {
        let outcome = run(&provider, client, refresh_request(token, scope)).await;
        if let Some((response, scope)) = expect_outcome(name, outcome, expected) {
            let granted = response.scope.as_ref().map(|s| s.to_string());
            assert_eq!(granted.as_deref(), Some(scope), "{name}");
            assert_ne!(response.refresh_token.as_deref(), Some(token), "{name}");
            let claims = id_claims(&response);
            assert!(claims.get("nonce").is_none(), "{name}: OIDC Core §12.2");
            assert_eq!(claims["iat"], NOW, "{name}");
        }
    }
}

#[tokio::test]
async fn a_refresh_token_keyed_by_its_hash_alone_still_rotates_rfc6749_6() {
    // A refresh token issued before time prefixes (43 characters, crypto::token_keys) is
    // stored under its SHA-256 alone; it rotates into a time-prefixed one, and only once.
    let provider = provider_with_keys(|_| {}).await;
    bob(&provider).await;
    let grants = [GrantType::AuthorizationCode, GrantType::RefreshToken];
    let app = client(&provider, "app", &grants).await;
    let issued = first_tokens(&provider, &app).await.refresh_token.unwrap();
    let store = provider.store();
    let mut record = store.get_token(&token_key(&issued)).await.unwrap().unwrap();
    let old = crate::crypto::secrets::random_token();
    record.token_hash = sha256_hex(&old);
    store.insert_token(&record).await.unwrap();
    let rotated = run(&provider, &app, refresh_request(&old, None))
        .await
        .unwrap();
    let new = rotated.refresh_token.unwrap();
    assert_eq!(new.len(), 55, "{new}");
    assert!(store.get_token(&token_key(&new)).await.unwrap().is_some());
    let reuse = run(&provider, &app, refresh_request(&old, None)).await;
    assert_eq!(reuse.unwrap_err().code(), "invalid_grant");
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_its_family_rfc9700_4_14_2() {
    let provider = provider_with_keys(|_| {}).await;
    bob(&provider).await;
    let grants = [GrantType::AuthorizationCode, GrantType::RefreshToken];
    let app = client(&provider, "app", &grants).await;
    let first = first_tokens(&provider, &app).await.refresh_token.unwrap();
    let second = run(&provider, &app, refresh_request(&first, None))
        .await
        .unwrap();
    let reuse = run(&provider, &app, refresh_request(&first, None)).await;
    assert_eq!(reuse.unwrap_err().code(), "invalid_grant");
    let newest = second.refresh_token.unwrap();
    let revoked = run(&provider, &app, refresh_request(&newest, None)).await;
    assert_eq!(
        revoked.unwrap_err().code(),
        "invalid_grant",
        "family revoked"
    );
}

#[tokio::test]
async fn client_credentials_cases_rfc6749_4_4() {
    let provider = provider_with_keys(|_| {}).await;
    let grants = [GrantType::ClientCredentials];
    let service = client(&provider, "service", &grants).await;
    let public = verified_as(&provider, "spa", ClientAuthMethod::None, &grants, &[]).await;
    // (name, client, scope, expected scope or error)
    type Case<'a> = (
        &'a str,
        &'a VerifiedClient,
        Option<&'a str>,
        Result<Option<&'a str>, &'a str>,
    );
    let cases: [Case; 5] = [
        ("no scope", &service, None, Ok(None)),
        (
            "an API scope",
            &service,
            Some("api:read"),
            Ok(Some("api:read")),
        ),
        (
            "a scope about a user",
            &service,
            Some("openid"),
            Err("invalid_scope"),
        ),
        (
            "a scope not registered",
            &service,
            Some("api:write"),
            Err("invalid_scope"),
        ),
        ("a public client", &public, None, Err("unauthorized_client")),
    ];
    for (name, client, scope, expected) in cases {
        let request = TokenRequest::ClientCredentials {
            scope: scope.map(|s| Scope::parse(s).unwrap()),
            extra: Default::default(),
        };
        let outcome = run(&provider, client, request).await;
        if let Some((response, scope)) = expect_outcome(name, outcome, expected) {
            let granted = response.scope.as_ref().map(|s| s.to_string());
            assert_eq!(granted.as_deref(), scope, "{name}");
            assert!(response.id_token.is_none() && response.refresh_token.is_none());
        }
    }
}

#[tokio::test]
async fn a_grant_the_client_did_not_register_is_unauthorized_client_rfc6749_5_2() {
    let provider = provider_with_keys(|_| {}).await;
    let app = client(&provider, "app", &[GrantType::AuthorizationCode]).await;
    let request = TokenRequest::ClientCredentials {
        scope: None,
        extra: Default::default(),
    };
    let err = run(&provider, &app, request).await.unwrap_err();
    assert_eq!(err.code(), "unauthorized_client");
}

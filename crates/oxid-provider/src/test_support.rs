//! Fixtures for the unit tests, no server: for the browser flows, a provider over an
//! in-memory SQLite store with one user (`alice`) and two confidential clients (`app`,
//! `api`) and no signing keys (these flows sign nothing; key generation would only slow the
//! tests); for the capability table and the grants, a provider with keys and clients
//! registered for any value, supported or not.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use oxid_protocol::authorization::AuthenticationRequest;
use oxid_protocol::params::Params;
use oxid_protocol::token::basic_authorization;
use oxid_store::{TokenKind, TokenRecord};
use serde_json::Map;
use std::sync::Arc;

use crate::admin::{NewClient, NewUser, add_client, add_user};
use crate::authorize::{AwaitingUser, Progress};
use crate::backend::Backend;
use crate::capabilities::{AuthEndpoint, Capabilities, ClientAuthMethod, GrantType, ResponseType};
use crate::client::Client;
use crate::client_auth::{VerifiedClient, authenticate_client};
use crate::clock::TestClock;
use crate::config::{ProviderConfig, Settings};
use crate::crypto::SecretBox;
use crate::crypto::secrets::random_token;
use crate::crypto::token_keys::{new_opaque_token, token_key};
use crate::session::start_session;
use crate::state::Provider;

/// 2026-01-01T00:00:00Z.
pub const T0: u64 = 1_767_225_600;
/// The client's one redirect URI.
pub const REDIRECT: &str = "https://app.example.com/cb";

/// Two configured API scopes (`[[scopes]]`), `api:read` and `api:write`, besides the
/// OpenID ones.
pub fn api_scopes() -> Vec<crate::scopes::ScopeSetting> {
    ["api:read", "api:write"]
        .map(|name| crate::scopes::ScopeSetting {
            name: name.into(),
            description: None,
            claims: Vec::new(),
        })
        .to_vec()
}

/// A provider with user `alice` (password `correct horse`) and client `app`.
pub async fn provider_with_alice() -> Provider {
    let mut settings = Settings {
        issuer: "https://id.example.com".into(),
        ..Settings::default()
    };
    settings.keys.algs = vec!["ES256".into(), "RS256".into()];
    settings.scopes = api_scopes();
    let backend = Backend {
        config: ProviderConfig::from_settings(&settings).unwrap(),
        store: oxid_store::open("sqlite::memory:").await.unwrap(),
        secret_box: SecretBox::new([7; 32]),
        clock: Arc::new(TestClock::new(T0)),
    };
    let user = NewUser {
        username: "alice".into(),
        password: "correct horse".into(),
        claims: Map::new(),
    };
    add_user(backend.store.as_ref(), user, T0).await.unwrap();
    let client = NewClient {
        client_id: "app".into(),
        client_secret: Some(secret_of("app")),
        redirect_uris: vec![REDIRECT.into()],
        post_logout_redirect_uris: vec!["https://app.example.com/bye".into()],
        ..NewClient::default()
    };
    let caps = Capabilities::from_config(&backend.config);
    add_client(
        &caps,
        backend.store.as_ref(),
        &backend.secret_box,
        client,
        T0,
    )
    .await
    .unwrap();
    let api = NewClient {
        client_id: "api".into(),
        client_secret: Some(secret_of("api")),
        redirect_uris: vec![REDIRECT.into()],
        ..NewClient::default()
    };
    add_client(&caps, backend.store.as_ref(), &backend.secret_box, api, T0)
        .await
        .unwrap();
    Provider::start(backend).await.unwrap()
}

/// The secret of client `id`.
pub fn secret_of(id: &str) -> String {
    format!("secret-of-{id}-0123456789abcdefghijklmnop")
}

/// Client `id`, authenticated with its secret (HTTP Basic).
pub async fn verified(provider: &Provider, id: &str) -> VerifiedClient {
    let mut headers = HeaderMap::new();
    let basic = basic_authorization(id, &secret_of(id));
    headers.insert(AUTHORIZATION, basic.parse().unwrap());
    authenticate_client(provider, AuthEndpoint::Token, &headers, &Params::default())
        .await
        .unwrap()
}

/// Stores an opaque token of `kind` for `client_id` and alice, live until `T0 + 3600`;
/// returns the token.
pub async fn stored_token(
    provider: &Provider,
    kind: TokenKind,
    client_id: &str,
    scopes: &[&str],
) -> String {
    let token = new_opaque_token();
    store_token(provider, &token, kind, client_id, scopes).await;
    token
}

/// Stores `token` as [`stored_token`] does (under its key, `token_key`).
pub async fn store_token(
    provider: &Provider,
    token: &str,
    kind: TokenKind,
    client_id: &str,
    scopes: &[&str],
) {
    let user = alice(provider).await;
    let record = TokenRecord {
        token_hash: token_key(token),
        kind,
        grant_id: random_token(),
        client_id: client_id.into(),
        user_id: Some(user.id),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        sid: None,
        auth_time: Some(T0),
        claims_request: None,
        audience: None,
        grant_expires_at: None,
        issued_at: T0,
        expires_at: T0 + 3600,
        consumed_at: None,
        revoked_at: None,
        dpop_jkt: None,
    };
    provider.store().insert_token(&record).await.unwrap();
}

/// `app`'s request for `openid` (with PKCE), waiting on its page with `progress`.
pub fn awaiting(progress: Progress) -> AwaitingUser {
    let query = format!(
        "response_type=code&client_id=app&scope=openid&state=s1&redirect_uri={}\
         &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    );
    let params = Params::parse_query(&query).unwrap();
    AwaitingUser {
        request: AuthenticationRequest::from_params(&params).unwrap(),
        progress,
    }
}

/// Alice's record.
pub async fn alice(provider: &Provider) -> oxid_store::UserRecord {
    let user = provider.store().get_user_by_username("alice").await;
    user.unwrap().unwrap()
}

/// A session for `alice`: its token and her user id.
pub async fn logged_in_alice(provider: &Provider) -> (String, String) {
    let user = alice(provider).await;
    let session = start_session(provider, &user).await.unwrap();
    (session.token, user.id)
}

/// A provider over `sqlite::memory:` with signing keys, for `settings` adjusted from the
/// defaults, its clock standing at [`T0`]; no user, no client.
pub async fn provider_with_keys(adjust: impl FnOnce(&mut Settings)) -> Provider {
    let mut settings = Settings::default();
    // Two key types keep start-up fast; a test that needs others adds them.
    settings.keys.algs = vec!["RS256".into(), "ES256".into()];
    settings.keys.encryption_algs = vec!["ECDH-ES".into()];
    settings.scopes = api_scopes();
    adjust(&mut settings);
    let backend = Backend {
        config: ProviderConfig::from_settings(&settings).unwrap(),
        store: oxid_store::open("sqlite::memory:").await.unwrap(),
        secret_box: SecretBox::new([7; 32]),
        clock: Arc::new(TestClock::new(T0)),
    };
    backend.ensure_keys().await.unwrap();
    Provider::start(backend).await.unwrap()
}

/// A client registered through `admin::add_client` (secret [`secret_of`] unless `auth` is
/// `none`), then given `auth`, `grants` and `response_types` as the store holds them, whether
/// the table supports them or not.
pub async fn stored_client(
    provider: &Provider,
    id: &str,
    auth: ClientAuthMethod,
    grants: &[GrantType],
    response_types: &[ResponseType],
) -> oxid_store::ClientRecord {
    let public = auth == ClientAuthMethod::None;
    let new = NewClient {
        client_id: id.into(),
        client_secret: (!public).then(|| secret_of(id)),
        public,
        redirect_uris: vec![REDIRECT.into()],
        scopes: vec!["openid profile email offline_access api:read".into()],
        ..NewClient::default()
    };
    let caps = provider.capabilities();
    let added = add_client(caps, provider.store(), provider.secret_box(), new, T0);
    let (mut record, _) = added.await.unwrap();
    record.token_endpoint_auth_method = auth.as_str().into();
    record.grant_types = grants.iter().map(|g| g.as_str().to_string()).collect();
    record.response_types = response_types
        .iter()
        .map(|r| r.as_str().to_string())
        .collect();
    // What the JWT methods verify with: the secret itself, or the client's public key.
    match auth {
        ClientAuthMethod::ClientSecretJwt => {
            let context = crate::admin::client_secret_context(id);
            let sealed = provider
                .secret_box()
                .encrypt_for(&context, secret_of(id).as_bytes());
            record.secret_encrypted = Some(sealed.unwrap());
        }
        ClientAuthMethod::PrivateKeyJwt => {
            let jwk = CLIENT_KEY.public_jwk().unwrap();
            record.metadata = serde_json::json!({"jwks": {"keys": [jwk]}});
        }
        _ => {}
    }
    provider.store().update_client(&record).await.unwrap();
    record
}

/// The key of every [`stored_client`] that uses `private_key_jwt` (made once: key
/// generation is slow).
static CLIENT_KEY: std::sync::LazyLock<oxid_client::SigningKey> = std::sync::LazyLock::new(|| {
    oxid_client::SigningKey::generate(oxid_client::JwsAlgorithm::ES256, Some("client-key".into()))
        .unwrap()
});

/// A fresh client assertion (RFC 7523 §3) of [`stored_client`] `id` using `method` (HS256
/// with its secret, or ES256 with [`CLIENT_KEY`]), addressed to the issuer, at [`T0`].
pub fn client_assertion_of(provider: &Provider, id: &str, method: ClientAuthMethod) -> String {
    let hmac;
    let key = if method == ClientAuthMethod::ClientSecretJwt {
        let secret = secret_of(id);
        hmac = oxid_client::SigningKey::hmac(
            oxid_client::JwsAlgorithm::HS256,
            secret.as_bytes(),
            None,
        );
        hmac.as_ref().unwrap()
    } else {
        &*CLIENT_KEY
    };
    let claims = serde_json::json!({
        "iss": id, "sub": id, "aud": provider.config().issuer, "jti": random_token(),
        "iat": T0, "exp": T0 + 60,
    });
    key.sign_compact(Some("JWT"), Map::new(), &claims).unwrap()
}

/// A [`stored_client`] taken as authenticated.
pub async fn verified_as(
    provider: &Provider,
    id: &str,
    auth: ClientAuthMethod,
    grants: &[GrantType],
    response_types: &[ResponseType],
) -> VerifiedClient {
    let record = stored_client(provider, id, auth, grants, response_types).await;
    VerifiedClient::assume_verified(Client::from_record(record).unwrap())
}

/// Bob, stored with a fixed id and no password (he never logs in through a form).
pub async fn bob(provider: &Provider) -> oxid_store::UserRecord {
    let user = oxid_store::UserRecord {
        id: "u-bob".into(),
        username: "bob".into(),
        password_hash: String::new(),
        claims: serde_json::json!({"email": "bob@example.com", "name": "Bob"}),
        created_at: T0,
        updated_at: T0,
    };
    provider.store().insert_user(&user).await.unwrap();
    user
}

/// A login session of `user`: its token (what the browser's cookie holds).
pub async fn session_of(provider: &Provider, user: &oxid_store::UserRecord) -> String {
    start_session(provider, user).await.unwrap().token
}

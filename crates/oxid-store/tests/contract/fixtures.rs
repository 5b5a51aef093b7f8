//! Sample records for the contract tests.

use oxid_store::{
    ClientRecord, CodeRecord, ConsentRecord, KeyRecord, KeyState, SessionRecord, TokenKind,
    TokenRecord, UserRecord,
};
use serde_json::json;

/// The fixed "now" the tests count from.
pub const NOW: u64 = 1_700_000_000;

/// A confidential client with every optional field set.
pub fn client(client_id: &str) -> ClientRecord {
    ClientRecord {
        client_id: client_id.into(),
        secret_hash: Some(format!("{client_id}-secret-hash")),
        secret_encrypted: Some(vec![0, 1, 2, 255, 254]),
        client_name: Some(format!("Client {client_id}")),
        redirect_uris: vec![
            "https://rp.example/cb".into(),
            "https://rp.example/cb2?x=1".into(),
        ],
        post_logout_redirect_uris: vec!["https://rp.example/bye".into()],
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        response_types: vec!["code".into()],
        token_endpoint_auth_method: "client_secret_basic".into(),
        scopes: vec!["openid".into(), "profile".into(), "email".into()],
        id_token_signed_response_alg: Some("ES256".into()),
        backchannel_logout_uri: Some("https://rp.example/bc".into()),
        frontchannel_logout_uri: Some("https://rp.example/fc".into()),
        skip_consent: true,
        metadata: json!({"logo_uri": "https://rp.example/logo.png", "contacts": ["a@rp.example"]}),
        registration_token_hash: Some("reg-hash".into()),
        created_at: NOW,
    }
}

/// A public client with every optional field empty.
pub fn public_client(client_id: &str) -> ClientRecord {
    ClientRecord {
        redirect_uris: vec!["http://127.0.0.1/cb".into()],
        token_endpoint_auth_method: "none".into(),
        created_at: NOW + 1,
        ..ClientRecord::new(client_id)
    }
}

/// A user with a few claims.
pub fn user(id: &str, username: &str) -> UserRecord {
    UserRecord {
        id: id.into(),
        username: username.into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        claims: json!({"email": format!("{username}@example.com"), "email_verified": true,
                       "address": {"country": "NL"}}),
        created_at: NOW,
        updated_at: NOW + 5,
    }
}

/// `user(id, username)` with a new password hash, other claims and a later `updated_at`.
pub fn changed_user(id: &str, username: &str) -> UserRecord {
    UserRecord {
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdDI$aGFzaDI".into(),
        claims: json!({"groups": ["admins", "ops"], "phone_number": "+33 1 23 45 67 89",
                       "address": {"locality": "Lyon", "country": "FR"}}),
        updated_at: NOW + 60,
        ..user(id, username)
    }
}

/// A session of `user_id` that expires at `expires_at`.
pub fn session(id_hash: &str, sid: &str, user_id: &str, expires_at: u64) -> SessionRecord {
    SessionRecord {
        id_hash: id_hash.into(),
        sid: sid.into(),
        user_id: user_id.into(),
        auth_time: NOW - 10,
        amr: vec!["pwd".into(), "otp".into()],
        acr: Some("urn:oxid:acr:pwd".into()),
        expires_at,
    }
}

/// Consent of `user_id` to `client_id`.
pub fn consent(user_id: &str, client_id: &str, scopes: &[&str]) -> ConsentRecord {
    ConsentRecord {
        user_id: user_id.into(),
        client_id: client_id.into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        granted_at: NOW,
    }
}

/// A code for `client_id` and `user_id` in grant `grant_id`.
pub fn code(code_hash: &str, grant_id: &str, client_id: &str, user_id: &str) -> CodeRecord {
    CodeRecord {
        code_hash: code_hash.into(),
        grant_id: grant_id.into(),
        client_id: client_id.into(),
        user_id: user_id.into(),
        redirect_uri: Some("https://rp.example/cb".into()),
        scopes: vec!["openid".into(), "email".into()],
        nonce: Some("n-0S6_WzA2Mj".into()),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
        code_challenge_method: Some("S256".into()),
        sid: Some("sid-1".into()),
        auth_time: NOW - 10,
        acr: None,
        amr: vec!["pwd".into()],
        claims_request: Some(json!({"id_token": {"email": {"essential": true}}})),
        resource: Some("https://api.example/records".into()),
        expires_at: NOW + 60,
        dpop_jkt: None,
    }
}

/// A live token of `kind` for `client_id` in grant `grant_id`.
pub fn token(
    token_hash: &str,
    kind: TokenKind,
    grant_id: &str,
    client_id: &str,
    user_id: Option<&str>,
) -> TokenRecord {
    TokenRecord {
        token_hash: token_hash.into(),
        kind,
        grant_id: grant_id.into(),
        client_id: client_id.into(),
        user_id: user_id.map(str::to_string),
        scopes: vec!["openid".into(), "offline_access".into()],
        sid: Some("sid-1".into()),
        auth_time: Some(NOW - 10),
        claims_request: Some(json!({"userinfo": {"email": {"value": "a@example.com"}}})),
        audience: Some("https://api.example/records".into()),
        grant_expires_at: Some(NOW + 86400),
        issued_at: NOW,
        expires_at: NOW + 3600,
        consumed_at: None,
        revoked_at: None,
        dpop_jkt: None,
    }
}

/// A refresh token of user `u1` and client `c1`.
pub fn refresh(token_hash: &str, grant_id: &str) -> TokenRecord {
    token(token_hash, TokenKind::Refresh, grant_id, "c1", Some("u1"))
}

/// A signing key made at `created_at`.
pub fn key(kid: &str, state: KeyState, created_at: u64) -> KeyRecord {
    KeyRecord {
        kid: kid.into(),
        alg: "ES256".into(),
        private_key_encrypted: vec![9, 8, 7, 0, 255],
        state,
        created_at,
        activated_at: None,
        retired_at: None,
        expires_at: None,
    }
}

/// Clients `c1`, `c2` and users `u1` (alice), `u2` (bob).
pub async fn seed(s: &dyn oxid_store::Store) {
    s.insert_client(&client("c1")).await.unwrap();
    s.insert_client(&client("c2")).await.unwrap();
    s.insert_user(&user("u1", "alice")).await.unwrap();
    s.insert_user(&user("u2", "bob")).await.unwrap();
}

//! A provider played by the test: the mock server plus a signing key.
#![allow(dead_code)]

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oxid_client::{
    ClientAuth, DiscoveryOptions, HttpClient, JwsAlgorithm, ManualClock, OidcClient, Provider,
    SigningKey,
};
use serde_json::{Map, Value, json};

use super::Mock;

pub const NOW: u64 = 1_700_000_000;
pub const CLIENT_ID: &str = "client-1";

pub struct Op {
    pub mock: Mock,
    pub key: SigningKey,
    pub clock: Arc<ManualClock>,
}

impl Op {
    pub async fn start() -> Op {
        let mock = Mock::start().await;
        mock.serve_openid_configuration();
        let key = SigningKey::generate(JwsAlgorithm::ES256, Some("k1".into())).unwrap();
        let op = Op {
            mock,
            key,
            clock: Arc::new(ManualClock::new(NOW)),
        };
        op.publish(&[&op.key]);
        op
    }

    pub fn publish(&self, keys: &[&SigningKey]) {
        let keys: Vec<Value> = keys.iter().filter_map(|k| k.public_jwk()).collect();
        self.mock.set_json("/jwks", 200, &json!({ "keys": keys }));
    }

    pub async fn client(&self, auth: ClientAuth) -> OidcClient {
        let http = HttpClient::new().unwrap();
        let provider = Provider::discover(&http, &self.mock.base, DiscoveryOptions::default())
            .await
            .unwrap();
        OidcClient::new(http, self.clock.clone(), provider, CLIENT_ID, auth)
    }

    pub fn claims(&self, extra: Value) -> Value {
        let mut claims = json!({
            "iss": self.mock.base,
            "sub": "alice",
            "aud": CLIENT_ID,
            "iat": NOW,
            "exp": NOW + 300,
        });
        for (k, v) in extra.as_object().unwrap() {
            claims[k] = v.clone();
        }
        claims
    }

    pub fn sign_with(&self, key: &SigningKey, claims: &Value) -> String {
        key.sign_compact(Some("JWT"), Map::new(), claims).unwrap()
    }

    pub fn id_token(&self, extra: Value) -> String {
        self.sign_with(&self.key, &self.claims(extra))
    }
}

/// An unsigned token (`alg: none`).
pub fn unsigned(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
    format!("{header}.{payload}.")
}

/// The left half hash (OIDC Core §3.1.3.8) with SHA-256.
pub fn half_hash_256(value: &str) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, value.as_bytes());
    URL_SAFE_NO_PAD.encode(&d.as_ref()[..16])
}

//! The operator's path: add and update through the same rules, members read back by `Client`.

use super::*;
use crate::client::{ApplicationType, Client, IdTokenClaims};
use crate::test_support::{T0, provider_with_keys};

async fn add(adjust: impl FnOnce(&mut NewClient)) -> Result<Client, AdminError> {
    let provider = provider_with_keys(|_| {}).await;
    let mut new = NewClient {
        client_id: "rp".into(),
        redirect_uris: vec!["https://rp.example/cb".into()],
        ..NewClient::default()
    };
    adjust(&mut new);
    let caps = provider.capabilities();
    let (record, _) = add_client(caps, provider.store(), provider.secret_box(), new, T0).await?;
    Ok(Client::from_record(record).expect("a registered client reads back"))
}

#[tokio::test]
async fn registration_members_are_stored_and_read_back() {
    let client = add(|new| {
        new.application_type = Some("native".into());
        new.redirect_uris = vec!["http://127.0.0.1/cb".into()];
        new.id_token_claims = Some("minimal".into());
        new.require_pkce = Some(false);
        new.userinfo_signed_response_alg = Some("ES256".into());
        new.default_max_age = Some(300);
        new.require_auth_time = true;
        new.jwks = Some(serde_json::json!({"keys": []}));
    })
    .await
    .unwrap();
    assert_eq!(client.application_type(), ApplicationType::Native);
    assert_eq!(client.id_token_claims(), IdTokenClaims::Minimal);
    assert!(!client.requires_pkce(true));
    let alg = client.userinfo_signed_response_alg();
    assert_eq!(alg, Some(SigningAlg::ES256));
    assert_eq!(client.default_max_age(), Some(300));
    assert!(client.require_auth_time());
    assert!(client.jwks().is_some());
    let record = client.record();
    assert!(record.secret_encrypted.is_none(), "no HMAC: hash only");
    let hs = add(|new| new.userinfo_signed_response_alg = Some("HS256".into()));
    let hs = hs.await.unwrap();
    let sealed = hs.record().secret_encrypted.is_some();
    assert!(sealed, "HS256 needs the secret itself");
}

#[tokio::test]
async fn inconsistent_members_are_refused_naming_the_member() {
    type Adjust = fn(&mut NewClient);
    let cases: [(Adjust, &str); 7] = [
        (
            |n| n.application_type = Some("desktop".into()),
            "application_type",
        ),
        (
            |n| n.id_token_claims = Some("all".into()),
            "id_token_claims",
        ),
        (
            |n| {
                n.public = true;
                n.require_pkce = Some(false);
            },
            "require_pkce: a public client must use PKCE (RFC 9700 §2.1.1)",
        ),
        (
            |n| {
                n.jwks = Some(serde_json::json!({"keys": []}));
                n.jwks_uri = Some("https://rp.example/jwks".into());
            },
            "jwks: jwks and jwks_uri must not both be given",
        ),
        (
            |n| n.jwks = Some(serde_json::json!([])),
            "jwks: not a JWK Set",
        ),
        (
            |n| n.token_endpoint_auth_signing_alg = Some("RS256".into()),
            "RS256 does not fit client_secret_basic",
        ),
        (
            |n| {
                n.public = true;
                n.userinfo_signed_response_alg = Some("HS256".into());
            },
            "userinfo_signed_response_alg: HS256 needs a client secret",
        ),
    ];
    for (adjust, expected) in cases {
        let err = add(adjust).await.unwrap_err().to_string();
        assert!(err.contains(expected), "{expected}: {err}");
    }
}

#[tokio::test]
async fn an_update_changes_only_the_given_members_and_keeps_the_secret() {
    let provider = provider_with_keys(|_| {}).await;
    let (caps, store, secret_box) = (
        provider.capabilities(),
        provider.store(),
        provider.secret_box(),
    );
    let new = NewClient {
        client_id: "rp".into(),
        client_name: Some("Shop".into()),
        redirect_uris: vec!["https://rp.example/cb".into()],
        skip_consent: true,
        ..NewClient::default()
    };
    let (added, secret) = add_client(caps, store, secret_box, new, T0).await.unwrap();
    assert!(secret.is_some());
    let change = NewClient {
        client_name: Some("Boutique".into()),
        ..NewClient::default()
    };
    let apply = |m: &mut ClientMetadata, _: &mut bool| change.apply_to(m);
    let (updated, new_secret) = update_client(caps, store, secret_box, "rp", apply)
        .await
        .unwrap();
    assert_eq!(new_secret, None, "still a client_secret_basic client");
    assert_eq!(updated.client_name.as_deref(), Some("Boutique"));
    assert_eq!(updated.redirect_uris, added.redirect_uris);
    assert_eq!(updated.secret_hash, added.secret_hash);
    assert_eq!((updated.skip_consent, updated.created_at), (true, T0));
    // HS256 needs the secret as an HMAC key, which only its hash was kept of: a new one.
    let hs256 = |m: &mut ClientMetadata, _: &mut bool| {
        m.registered.id_token_signed_response_alg = Some("HS256".into());
        Ok(())
    };
    let (sealed, new_secret) = update_client(caps, store, secret_box, "rp", hs256)
        .await
        .unwrap();
    assert!(new_secret.is_some() && sealed.secret_encrypted.is_some());
    // A change that breaks a rule changes nothing.
    let public_cc = |m: &mut ClientMetadata, _: &mut bool| {
        m.registered.token_endpoint_auth_method = Some("none".into());
        m.registered.grant_types = Some(vec!["client_credentials".into()]);
        Ok(())
    };
    let refused = update_client(caps, store, secret_box, "rp", public_cc).await;
    assert!(refused.unwrap_err().to_string().starts_with("grant_types"));
    assert_eq!(store.get_client("rp").await.unwrap(), Some(sealed));
    let unknown = update_client(caps, store, secret_box, "nobody", |_, _| Ok(())).await;
    assert!(matches!(unknown, Err(AdminError::UnknownClient(_))));
}

/// OIDC Registration §2 through the operator's path (`oxid client add|update`): an `alg`
/// with its default `enc`, read back by `Client`; `--...-alg none` turns encryption off.
#[tokio::test]
async fn encryption_members_are_set_defaulted_and_turned_off() {
    use crate::response_encryption::ResponseEncryption;
    use oxid_protocol::jose::{JweAlg, JweEnc};
    let provider = provider_with_keys(|_| {}).await;
    let (caps, store, secret_box) = (
        provider.capabilities(),
        provider.store(),
        provider.secret_box(),
    );
    let key = crate::crypto::EncryptionKey::generate(JweAlg::EcdhEs).unwrap();
    let new = NewClient {
        client_id: "enc".into(),
        redirect_uris: vec!["https://rp.example/cb".into()],
        // Without `alg`, the P-256 key serves the whole ECDH-ES family.
        jwks: Some(serde_json::json!({"keys": [{
            "kty": "EC", "crv": "P-256", "use": "enc", "kid": "e1",
            "x": key.public_jwk()["x"], "y": key.public_jwk()["y"],
        }]})),
        id_token_encrypted_response_alg: Some("ECDH-ES+A128KW".into()),
        userinfo_encrypted_response_alg: Some("ECDH-ES".into()),
        userinfo_encrypted_response_enc: Some("A256GCM".into()),
        ..NewClient::default()
    };
    let (record, _) = add_client(caps, store, secret_box, new, T0).await.unwrap();
    let client = Client::from_record(record).unwrap();
    let expected = |alg, enc| Some(ResponseEncryption { alg, enc });
    assert_eq!(
        client.id_token_encryption(),
        expected(JweAlg::EcdhEsA128Kw, JweEnc::A128CbcHs256)
    );
    assert_eq!(
        client.userinfo_encryption(),
        expected(JweAlg::EcdhEs, JweEnc::A256Gcm)
    );
    let off = NewClient {
        id_token_encrypted_response_alg: Some("none".into()),
        ..NewClient::default()
    };
    let apply = |m: &mut ClientMetadata, _: &mut bool| off.apply_to(m);
    let (updated, _) = update_client(caps, store, secret_box, "enc", apply)
        .await
        .unwrap();
    let client = Client::from_record(updated).unwrap();
    assert_eq!(client.id_token_encryption(), None);
    assert!(client.userinfo_encryption().is_some(), "left as it was");
    // An RSA algorithm with only an EC key: refused, naming the member.
    let rsa = NewClient {
        id_token_encrypted_response_alg: Some("RSA-OAEP-256".into()),
        ..NewClient::default()
    };
    let apply = |m: &mut ClientMetadata, _: &mut bool| rsa.apply_to(m);
    let refused = update_client(caps, store, secret_box, "enc", apply).await;
    let refused = refused.unwrap_err().to_string();
    assert!(
        refused.contains("id_token_encrypted_response_alg"),
        "{refused}"
    );
}

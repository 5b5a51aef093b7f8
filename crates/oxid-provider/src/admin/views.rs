//! What the CLI prints and the admin API answers about clients, users and keys: the same
//! JSON for both, and never a secret, a password hash or a private key.

use oxid_store::{ClientRecord, KeyRecord, UserRecord};
use serde_json::{Value, json};

use crate::client_metadata::ClientMetadata;

/// A client as its registration members (OIDC Registration §2 names, as the registration
/// endpoint returns them), with its id and whether consent is skipped.
pub fn client_view(client: &ClientRecord) -> Value {
    let metadata = ClientMetadata::from_record(client);
    let mut out = serde_json::to_value(&metadata).unwrap_or_else(|_| json!({}));
    if let Value::Object(map) = &mut out {
        map.insert("client_id".into(), json!(client.client_id));
        map.insert("skip_consent".into(), json!(client.skip_consent));
        map.insert("client_id_issued_at".into(), json!(client.created_at));
        map.insert(
            "dynamically_registered".into(),
            json!(client.registration_token_hash.is_some()),
        );
    }
    out
}

/// [`client_view`] with the secret just issued, the one time it is shown.
pub fn client_view_with_secret(client: &ClientRecord, secret: Option<String>) -> Value {
    let mut out = client_view(client);
    if let (Some(secret), Value::Object(map)) = (secret, &mut out) {
        map.insert("client_secret".into(), Value::String(secret));
    }
    out
}

/// A user: `sub`, username and claims; never the password hash.
pub fn user_view(user: &UserRecord) -> Value {
    json!({
        "sub": user.id,
        "username": user.username,
        "claims": user.claims,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    })
}

/// A signing key's public facts and its age at `now`: never its private part.
pub fn key_view(key: &KeyRecord, now: u64) -> Value {
    json!({
        "kid": key.kid,
        "age_seconds": now.saturating_sub(key.created_at),
        "alg": key.alg,
        "state": key.state.as_str(),
        "created_at": key.created_at,
        "activated_at": key.activated_at,
        "retired_at": key.retired_at,
        "expires_at": key.expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{T0, alice, provider_with_alice};

    #[tokio::test]
    async fn views_hold_no_secret_hash_or_key() {
        let provider = provider_with_alice().await;
        let store = provider.store();
        let client = store.get_client("app").await.unwrap().unwrap();
        let hash = client.secret_hash.clone().unwrap();
        let view = client_view(&client);
        let text = view.to_string();
        assert!(
            text.contains("\"client_id\":\"app\"") && !text.contains(&hash),
            "{text}"
        );
        assert!(view.get("client_secret").is_none(), "{text}");
        let shown = client_view_with_secret(&client, Some("s3cr3t".into()));
        assert_eq!(shown["client_secret"], "s3cr3t");
        let user = alice(&provider).await;
        let text = user_view(&user).to_string();
        assert!(text.contains("alice") && !text.contains(&user.password_hash));
        for key in store.list_keys(T0).await.unwrap() {
            let view = key_view(&key, T0 + 5);
            assert_eq!(view.as_object().unwrap().len(), 8, "{view}");
            assert_eq!(view["age_seconds"], T0 + 5 - key.created_at);
        }
    }
}

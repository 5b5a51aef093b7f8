//! What the CLI prints and the admin API answers about clients, users, consents, keys and
//! scopes: the same typed views for both (their `ToSchema` is what the admin API's OpenAPI
//! document says of them, so the document follows the code), and never a secret, a password
//! hash or a private key.

use oxid_store::{ClientRecord, ConsentRecord, KeyRecord, KeyState, UserRecord};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::client_metadata::ClientMetadata;
use crate::scopes::ScopeInfo;

/// A client: its registration members (OIDC Registration §2 names, as the registration
/// endpoint returns them) and Oxid's own, with its id and whether consent is skipped.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Client)]
pub struct ClientView {
    /// The client's id.
    pub client_id: String,
    /// The secret just issued; only in the answer that issued it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Whether the consent page is skipped (first-party applications).
    pub skip_consent: bool,
    /// When the client was registered (seconds since the epoch).
    pub client_id_issued_at: u64,
    /// Whether it registered itself at `/register` (RFC 7591).
    pub dynamically_registered: bool,
    /// The registration members.
    #[serde(flatten)]
    pub metadata: ClientMetadata,
}

/// A client as [`ClientView`] shows it, without a secret.
pub fn client_view(client: &ClientRecord) -> ClientView {
    ClientView {
        client_id: client.client_id.clone(),
        client_secret: None,
        skip_consent: client.skip_consent,
        client_id_issued_at: client.created_at,
        dynamically_registered: client.registration_token_hash.is_some(),
        metadata: ClientMetadata::from_record(client),
    }
}

/// [`client_view`] with the secret just issued, the one time it is shown.
pub fn client_view_with_secret(client: &ClientRecord, secret: Option<String>) -> ClientView {
    ClientView {
        client_secret: secret,
        ..client_view(client)
    }
}

/// A user: `sub`, username and claims; never the password hash.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserView {
    /// The user's subject identifier.
    pub sub: String,
    /// The login name (case-mapped, RFC 8265).
    pub username: String,
    /// The user's claims (OIDC Core §5.1 and custom ones).
    #[schema(value_type = Object)]
    pub claims: Value,
    /// When the user was created (seconds since the epoch).
    pub created_at: u64,
    /// When the user last changed.
    pub updated_at: u64,
}

/// A user as [`UserView`] shows them.
pub fn user_view(user: &UserRecord) -> UserView {
    UserView {
        sub: user.id.clone(),
        username: user.username.clone(),
        claims: user.claims.clone(),
        created_at: user.created_at,
        updated_at: user.updated_at,
    }
}

/// A consent a user gave a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Consent)]
pub struct ConsentView {
    /// The user's `sub`.
    pub user_id: String,
    /// The client's id.
    pub client_id: String,
    /// The scopes consented to.
    pub scopes: Vec<String>,
    /// When (seconds since the epoch).
    pub granted_at: u64,
}

impl From<ConsentRecord> for ConsentView {
    fn from(consent: ConsentRecord) -> Self {
        ConsentView {
            user_id: consent.user_id,
            client_id: consent.client_id,
            scopes: consent.scopes,
            granted_at: consent.granted_at,
        }
    }
}

/// Where a signing key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeyStateView {
    /// Published, not signing yet.
    Next,
    /// Signing.
    Current,
    /// Published until what it signed has expired, no longer signing.
    Retired,
}

/// A signing key's public facts and its age: never its private part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Key)]
pub struct KeyView {
    /// The key id.
    pub kid: String,
    /// Seconds since the key was made.
    pub age_seconds: u64,
    /// The JWS algorithm it signs with.
    pub alg: String,
    /// Its state.
    pub state: KeyStateView,
    /// When it was made.
    pub created_at: u64,
    /// When it started signing.
    pub activated_at: Option<u64>,
    /// When it stopped signing.
    pub retired_at: Option<u64>,
    /// When it leaves the JWKS.
    pub expires_at: Option<u64>,
}

/// A signing key as [`KeyView`] shows it at `now`.
pub fn key_view(key: &KeyRecord, now: u64) -> KeyView {
    KeyView {
        kid: key.kid.clone(),
        age_seconds: now.saturating_sub(key.created_at),
        alg: key.alg.clone(),
        state: match key.state {
            KeyState::Next => KeyStateView::Next,
            KeyState::Current => KeyStateView::Current,
            KeyState::Retired => KeyStateView::Retired,
        },
        created_at: key.created_at,
        activated_at: key.activated_at,
        retired_at: key.retired_at,
        expires_at: key.expires_at,
    }
}

/// A scope this deployment knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Scope)]
pub struct ScopeView {
    /// The scope token.
    pub name: String,
    /// Whether it concerns a user (grants without one refuse it).
    pub about_user: bool,
    /// The user claims it releases (OIDC Core §5.4).
    pub claims: Vec<String>,
}

/// A scope as [`ScopeView`] shows it.
pub fn scope_view(scope: &ScopeInfo) -> ScopeView {
    ScopeView {
        name: scope.name.clone(),
        about_user: scope.about_user,
        claims: scope.claims.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{T0, alice, provider_with_alice};
    use serde_json::json;

    #[tokio::test]
    async fn views_hold_no_secret_hash_or_key() {
        let provider = provider_with_alice().await;
        let store = provider.store();
        let client = store.get_client("app").await.unwrap().unwrap();
        let hash = client.secret_hash.clone().unwrap();
        let view = json!(client_view(&client));
        let text = view.to_string();
        assert!(
            text.contains("\"client_id\":\"app\"") && !text.contains(&hash),
            "{text}"
        );
        assert!(view.get("client_secret").is_none(), "{text}");
        let shown = json!(client_view_with_secret(&client, Some("s3cr3t".into())));
        assert_eq!(shown["client_secret"], "s3cr3t");
        let user = alice(&provider).await;
        let text = json!(user_view(&user)).to_string();
        assert!(text.contains("alice") && !text.contains(&user.password_hash));
        for key in store.list_keys(T0).await.unwrap() {
            let view = json!(key_view(&key, T0 + 5));
            assert_eq!(view.as_object().unwrap().len(), 8, "{view}");
            assert_eq!(view["age_seconds"], T0 + 5 - key.created_at);
            assert_eq!(view["state"], key.state.as_str());
        }
    }
}

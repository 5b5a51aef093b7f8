//! Consents as operators see them (`/admin/v1/users/{sub}/consents`, `oxid user consents`):
//! listed per user and revoked one client at a time. Revoking forgets the consent, so the
//! client's next authorization request asks the user again (OIDC Core §3.1.2.4); tokens
//! already issued stay valid until they expire or are revoked.

use oxid_store::{ConsentRecord, Store};

use super::AdminError;

async fn known_user(store: &dyn Store, sub: &str) -> Result<(), AdminError> {
    match store.get_user(sub).await? {
        Some(_) => Ok(()),
        None => Err(AdminError::NotFound(format!("no user with sub {sub:?}"))),
    }
}

/// The consents user `sub` gave, by client id.
pub async fn list_consents(store: &dyn Store, sub: &str) -> Result<Vec<ConsentRecord>, AdminError> {
    known_user(store, sub).await?;
    Ok(store.list_consents(sub).await?)
}

/// Forgets the consent user `sub` gave client `client_id`.
pub async fn revoke_consent(
    store: &dyn Store,
    sub: &str,
    client_id: &str,
) -> Result<(), AdminError> {
    known_user(store, sub).await?;
    if !store.delete_consent(sub, client_id).await? {
        return Err(AdminError::NotFound(format!(
            "user {sub:?} has no consent for client {client_id:?}"
        )));
    }
    tracing::info!(sub, client_id, "consent revoked by an operator");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{T0, alice, provider_with_alice};

    #[tokio::test]
    async fn consents_are_listed_per_user_and_revoked_once() {
        let provider = provider_with_alice().await;
        let store = provider.store();
        let user = alice(&provider).await;
        let consent = ConsentRecord {
            user_id: user.id.clone(),
            client_id: "app".into(),
            scopes: vec!["openid".into(), "email".into()],
            granted_at: T0,
        };
        store.put_consent(&consent).await.unwrap();
        assert_eq!(list_consents(store, &user.id).await.unwrap(), vec![consent]);
        revoke_consent(store, &user.id, "app").await.unwrap();
        assert!(list_consents(store, &user.id).await.unwrap().is_empty());
        let again = revoke_consent(store, &user.id, "app").await;
        assert!(matches!(again, Err(AdminError::NotFound(_))), "{again:?}");
        let nobody = list_consents(store, "nobody").await;
        assert!(matches!(nobody, Err(AdminError::NotFound(_))), "{nobody:?}");
    }
}

//! Consents as operators see them (`/admin/v1/users/{sub}/consents`, `oxid consent`): listed
//! by user and client, and revoked one client at a time. Revoking forgets the consent, so the
//! client's next authorization request asks the user again (OIDC Core §3.1.2.4), and revokes
//! every access and refresh token the client holds for the user, as Keycloak does (issue 13):
//! a user who withdraws consent withdraws the access it gave. One store call does both, so
//! no token outlives a revoked consent whatever fails.

use oxid_store::Store;

use super::AdminError;
use super::views::ConsentView;

async fn known_user(store: &dyn Store, sub: &str) -> Result<(), AdminError> {
    match store.get_user(sub).await? {
        Some(_) => Ok(()),
        None => Err(AdminError::NotFound(format!("no user with sub {sub:?}"))),
    }
}

/// The consents user `sub` gave (every user's when `None`), only those to client `client_id`
/// when given; ordered by user, then client id.
pub async fn list_consents(
    store: &dyn Store,
    sub: Option<&str>,
    client_id: Option<&str>,
) -> Result<Vec<ConsentView>, AdminError> {
    let subs = match sub {
        Some(sub) => {
            known_user(store, sub).await?;
            vec![sub.to_string()]
        }
        None => store
            .list_users()
            .await?
            .into_iter()
            .map(|u| u.id)
            .collect(),
    };
    let mut found = Vec::new();
    for sub in subs {
        let consents = store.list_consents(&sub).await?;
        let wanted = consents
            .into_iter()
            .filter(|c| client_id.is_none_or(|id| c.client_id == id));
        found.extend(wanted.map(ConsentView::from));
    }
    Ok(found)
}

/// Revokes the consent user `sub` gave client `client_id` and the client's tokens for the
/// user; returns how many tokens were revoked. `NotFound` when there is no such consent.
pub async fn revoke_consent(
    store: &dyn Store,
    sub: &str,
    client_id: &str,
    now: u64,
) -> Result<u64, AdminError> {
    known_user(store, sub).await?;
    let Some(tokens) = store.revoke_consent(sub, client_id, now).await? else {
        return Err(AdminError::NotFound(format!(
            "user {sub:?} has no consent for client {client_id:?}"
        )));
    };
    tracing::info!(
        sub,
        client_id,
        tokens,
        "consent revoked with the client's tokens"
    );
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{T0, alice, provider_with_alice, stored_token};
    use oxid_store::{ConsentRecord, TokenKind};

    #[tokio::test]
    async fn consents_are_listed_and_revoked_once_with_the_clients_tokens() {
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
        let token = stored_token(&provider, TokenKind::Refresh, "app", &["openid"]).await;
        let listed = list_consents(store, Some(&user.id), None).await.unwrap();
        assert_eq!(listed, vec![ConsentView::from(consent.clone())]);
        assert_eq!(
            list_consents(store, None, Some("app")).await.unwrap().len(),
            1
        );
        assert!(
            list_consents(store, None, Some("other"))
                .await
                .unwrap()
                .is_empty()
        );

        assert_eq!(revoke_consent(store, &user.id, "app", T0).await.unwrap(), 1);
        let hash = crate::crypto::token_keys::token_key(&token);
        let record = store.get_token(&hash).await.unwrap().unwrap();
        assert!(record.revoked_at.is_some(), "the refresh token is revoked");
        assert!(
            list_consents(store, Some(&user.id), None)
                .await
                .unwrap()
                .is_empty()
        );
        let again = revoke_consent(store, &user.id, "app", T0).await;
        assert!(matches!(again, Err(AdminError::NotFound(_))), "{again:?}");
        let nobody = list_consents(store, Some("nobody"), None).await;
        assert!(matches!(nobody, Err(AdminError::NotFound(_))), "{nobody:?}");
    }
}

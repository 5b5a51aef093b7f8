//! How a subject named by another party (a trusted issuer's JWT `sub`, RFC 7523 §3; a SAML
//! `NameID`, RFC 7522 §3) is mapped to one of our users. Shared by the bearer assertion grants
//! (JWT and SAML) and token exchange, so the rule is written once.

use oxid_store::{Store, UserRecord};
use serde::Deserialize;

use crate::error::OAuthError;

/// How a foreign subject names a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectMapping {
    /// The subject is the user's `username`.
    Username,
    /// The subject is the user's `email` claim, which must be verified (`email_verified`)
    /// and belong to exactly one user: an unverified or shared address proves nothing.
    Email,
}

/// Why a subject maps to no user; the text is safe to send (it names no other user).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnmappedSubject {
    /// No user has it.
    #[error("no user is known by this subject")]
    Unknown,
    /// More than one user has it as their email.
    #[error("the subject's email belongs to more than one user")]
    Ambiguous,
    /// The only user with it as their email has not verified it.
    #[error("the subject's email is not verified")]
    Unverified,
}

/// The user `subject` names under `mapping`; `Ok(Err(..))` when it names none.
pub async fn find_user(
    store: &dyn Store,
    mapping: SubjectMapping,
    subject: &str,
) -> Result<Result<UserRecord, UnmappedSubject>, OAuthError> {
    match mapping {
        // Compared as the login page compares usernames (case-mapped, NFC).
        SubjectMapping::Username => Ok(store
            .get_user_by_username(&crate::throttle::normalize_username(subject))
            .await?
            .ok_or(UnmappedSubject::Unknown)),
        SubjectMapping::Email => {
            let mut users = store.find_users_by_email(subject).await?;
            Ok(match (users.pop(), users.is_empty()) {
                (None, _) => Err(UnmappedSubject::Unknown),
                (Some(_), false) => Err(UnmappedSubject::Ambiguous),
                (Some(user), true) if email_verified(&user) => Ok(user),
                (Some(_), true) => Err(UnmappedSubject::Unverified),
            })
        }
    }
}

fn email_verified(user: &UserRecord) -> bool {
    user.claims.get("email_verified") == Some(&serde_json::Value::Bool(true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::provider_with_alice;
    use serde_json::json;

    #[tokio::test]
    async fn username_and_verified_unique_email_map_rfc7523_3() {
        let provider = provider_with_alice().await;
        let store = provider.store();
        let by_name = find_user(store, SubjectMapping::Username, "alice").await;
        assert_eq!(by_name.unwrap().unwrap().username, "alice");
        let unknown = find_user(store, SubjectMapping::Username, "alice@example.com").await;
        assert_eq!(unknown.unwrap(), Err(UnmappedSubject::Unknown));
        let mut alice = store.get_user_by_username("alice").await.unwrap().unwrap();
        alice.claims = json!({"email": "alice@example.com", "email_verified": true});
        store.update_user(&alice).await.unwrap();
        let email = "alice@example.com";
        let by_email = find_user(store, SubjectMapping::Email, email).await;
        assert_eq!(by_email.unwrap().unwrap().id, alice.id);

        let mut unverified = alice.clone();
        unverified.claims["email_verified"] = json!(false);
        store.update_user(&unverified).await.unwrap();
        let refused = find_user(store, SubjectMapping::Email, email).await;
        assert_eq!(refused.unwrap(), Err(UnmappedSubject::Unverified));

        let twin = UserRecord {
            id: "twin".into(),
            username: "twin".into(),
            ..alice.clone()
        };
        store.insert_user(&twin).await.unwrap();
        let shared = find_user(store, SubjectMapping::Email, email).await;
        assert_eq!(shared.unwrap(), Err(UnmappedSubject::Ambiguous));
    }
}

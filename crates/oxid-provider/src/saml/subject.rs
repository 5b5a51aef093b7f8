//! How an identity provider's `NameID` names one of our users (`subject_mapping`).
//! Kept private to the SAML grant and minimal: the JWT bearer grant has its own mapping, and
//! the two are to be merged.

use oxid_store::{Store, UserRecord};
use serde::Deserialize;

use crate::error::OAuthError;
use crate::throttle::normalize_username;

/// What a `NameID` is matched with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectMapping {
    /// The username, compared as the login page compares it (case-mapped, NFC).
    Username,
    /// The user's `email` claim, compared without case, when `email_verified` is true:
    /// exactly one user must match.
    Email,
}

/// The user `name_id` names under `mapping`, if exactly one does.
pub async fn find_user(
    store: &dyn Store,
    mapping: SubjectMapping,
    name_id: &str,
) -> Result<Option<UserRecord>, OAuthError> {
    match mapping {
        SubjectMapping::Username => Ok(store
            .get_user_by_username(&normalize_username(name_id))
            .await?),
        SubjectMapping::Email => {
            // A scan: the store has no lookup by claim yet (merged with the JWT bearer
            // grant's mapping, it gets one).
            let mut matching = store
                .list_users()
                .await?
                .into_iter()
                .filter(|user| has_verified_email(user, name_id));
            let first = matching.next();
            Ok(if matching.next().is_some() {
                None
            } else {
                first
            })
        }
    }
}

fn has_verified_email(user: &UserRecord, email: &str) -> bool {
    let claims = &user.claims;
    claims["email_verified"] == serde_json::Value::Bool(true)
        && claims["email"]
            .as_str()
            .is_some_and(|e| e.eq_ignore_ascii_case(email))
}

//! Users' claims as an operator gives them (`--claim NAME=VALUE`) and changes to a user
//! (`oxid user update`): any claim a scope can release, standard ones (OIDC Core §5.1) with
//! their JSON types checked, custom ones (`groups`, ...) as given.

use oxid_store::{Store, UserRecord};
use serde_json::{Map, Value};

use crate::admin::AdminError;
use crate::claims::PROTOCOL_CLAIMS;
use crate::crypto::password::hash_password;

/// Claims Oxid derives itself: `preferred_username` is the username, `updated_at` the time
/// of the last change.
const DERIVED_CLAIMS: [&str; 2] = ["preferred_username", "updated_at"];

fn invalid(message: String) -> AdminError {
    AdminError::Invalid(message)
}

/// One `NAME=VALUE` pair: VALUE is JSON when it parses as JSON, else the string itself
/// (`groups=["a","b"]`, `address={"country":"FR"}`, `name=Alice`). A `null` value removes
/// the claim on update.
pub fn parse_claim(pair: &str) -> Result<(String, Value), AdminError> {
    let (name, text) = pair
        .split_once('=')
        .ok_or_else(|| invalid(format!("claim {pair:?} is not NAME=VALUE")))?;
    let value = serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()));
    Ok((name.trim().to_string(), value))
}

/// A JSON type: its name for messages, and the test of a value.
type JsonType = (&'static str, fn(&Value) -> bool);

/// OIDC Core §5.1: the JSON type of each standard claim a user carries.
fn standard_type(name: &str) -> Option<JsonType> {
    match name {
        "email_verified" | "phone_number_verified" => Some(("a boolean", Value::is_boolean)),
        "address" => Some(("a JSON object", Value::is_object)),
        "name" | "given_name" | "family_name" | "middle_name" | "nickname" | "profile"
        | "picture" | "website" | "email" | "gender" | "birthdate" | "zoneinfo" | "locale"
        | "phone_number" => Some(("a string", Value::is_string)),
        _ => None,
    }
}

/// Checks claims before they are stored: a printable name that the protocol or Oxid does
/// not set, and for standard claims the type OIDC Core §5.1 gives them (`null` removes).
pub fn check_claims(claims: &Map<String, Value>) -> Result<(), AdminError> {
    for (name, value) in claims {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_graphic()) {
            return Err(invalid(format!("claim name {name:?} is not printable")));
        }
        if PROTOCOL_CLAIMS.contains(&name.as_str()) || DERIVED_CLAIMS.contains(&name.as_str()) {
            return Err(invalid(format!("claim {name:?} is set by Oxid, not given")));
        }
        if let Some((what, is_type)) = standard_type(name)
            && !value.is_null()
            && !is_type(value)
        {
            return Err(invalid(format!(
                "claim {name:?} must be {what} (OIDC Core §5.1), not {value}"
            )));
        }
    }
    Ok(())
}

/// What `oxid user update` changes.
#[derive(Debug, Default, Clone)]
pub struct UserChanges {
    /// A new password, hashed with argon2id here.
    pub password: Option<String>,
    /// Claims to set; a `null` value removes the claim.
    pub claims: Map<String, Value>,
}

/// Applies `changes` to the user named `username` (as logins compare it) in one store write
/// (`oxid user update`).
pub async fn update_user(
    store: &dyn Store,
    username: &str,
    changes: UserChanges,
    now: u64,
) -> Result<UserRecord, AdminError> {
    let username = crate::throttle::normalize_username(username);
    let user = store
        .get_user_by_username(&username)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("no user {username:?}")))?;
    apply_changes(store, user, changes, now).await
}

/// Applies `changes` to the user whose `sub` is `sub` (`PATCH /admin/v1/users/{sub}`, its
/// password reset), through the same rules as [`update_user`].
pub async fn update_user_by_sub(
    store: &dyn Store,
    sub: &str,
    changes: UserChanges,
    now: u64,
) -> Result<UserRecord, AdminError> {
    let user = store
        .get_user(sub)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("no user with sub {sub:?}")))?;
    apply_changes(store, user, changes, now).await
}

async fn apply_changes(
    store: &dyn Store,
    mut user: UserRecord,
    changes: UserChanges,
    now: u64,
) -> Result<UserRecord, AdminError> {
    check_claims(&changes.claims)?;
    if let Some(password) = &changes.password {
        if password.is_empty() {
            return Err(invalid("password must not be empty".into()));
        }
        user.password_hash = hash_password(password).map_err(|e| invalid(e.to_string()))?;
    }
    let mut claims = match user.claims.take() {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    for (name, value) in changes.claims {
        if value.is_null() {
            claims.remove(&name);
        } else {
            claims.insert(name, value);
        }
    }
    user.claims = Value::Object(claims);
    user.updated_at = now.max(user.updated_at);
    if !store.update_user(&user).await? {
        let gone = format!("user {:?} was removed meanwhile", user.username);
        return Err(AdminError::NotFound(gone));
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_value_is_json_when_it_parses_else_a_string() {
        let parse = |pair| parse_claim(pair).unwrap();
        assert_eq!(
            parse("groups=[\"a\",\"b\"]"),
            ("groups".into(), json!(["a", "b"]))
        );
        assert_eq!(
            parse("address={\"country\":\"FR\"}"),
            ("address".into(), json!({"country": "FR"}))
        );
        assert_eq!(
            parse("name=Alice Smith"),
            ("name".into(), json!("Alice Smith"))
        );
        assert_eq!(
            parse("phone_number=+33 1 23"),
            ("phone_number".into(), json!("+33 1 23"))
        );
        assert_eq!(
            parse("email_verified=true"),
            ("email_verified".into(), json!(true))
        );
        assert_eq!(parse("note=a=b"), ("note".into(), json!("a=b")));
        assert!(parse_claim("no-equals-sign").is_err());
    }

    #[test]
    fn standard_claims_keep_their_types_and_protocol_claims_are_refused() {
        let claims = |value: Value| value.as_object().unwrap().clone();
        check_claims(&claims(
            json!({"address": {"country": "FR"}, "groups": ["a"],
            "phone_number": "+1", "email_verified": false, "x-custom": 3}),
        ))
        .unwrap();
        for bad in [
            json!({"address": "Lyon"}),
            json!({"email_verified": "yes"}),
            json!({"phone_number": 5}),
            json!({"sub": "other"}),
            json!({"updated_at": 1}),
            json!({"": 1}),
        ] {
            assert!(check_claims(&claims(bad.clone())).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn update_sets_and_removes_claims_and_changes_the_password() {
        let provider = crate::test_support::provider_with_alice().await;
        let store = provider.store();
        let before = store.get_user_by_username("alice").await.unwrap().unwrap();
        let changes = UserChanges {
            password: Some("a new password".into()),
            claims: json!({"groups": ["staff"], "email": null})
                .as_object()
                .unwrap()
                .clone(),
        };
        let after = update_user(store, "Alice", changes, before.updated_at + 10)
            .await
            .unwrap();
        assert_eq!(after.claims["groups"], json!(["staff"]));
        assert!(after.claims.get("email").is_none());
        assert_ne!(after.password_hash, before.password_hash);
        assert_eq!(after.updated_at, before.updated_at + 10);
        assert_eq!(store.get_user(&before.id).await.unwrap(), Some(after));
        let missing = update_user(store, "nobody", UserChanges::default(), 0).await;
        assert!(missing.unwrap_err().to_string().contains("no user"));
        let bad = UserChanges {
            claims: json!({"address": "x"}).as_object().unwrap().clone(),
            ..UserChanges::default()
        };
        assert!(update_user(store, "alice", bad, 0).await.is_err());
    }
}

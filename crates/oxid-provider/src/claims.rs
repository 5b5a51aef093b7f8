//! Which user claims a scope releases (OIDC Core §5.4) and the `claims` request (§5.5).

use oxid_store::UserRecord;
use serde_json::{Map, Value};

/// OIDC Core §5.4: the claims each standard scope asks for.
pub fn scope_claims(scope: &str) -> &'static [&'static str] {
    match scope {
        "profile" => &[
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
        "email" => &["email", "email_verified"],
        "address" => &["address"],
        "phone" => &["phone_number", "phone_number_verified"],
        _ => &[],
    }
}

/// The built-in scopes (OIDC Core §5.4, §11), as discovery lists them.
pub const OPENID_SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

/// The claims every ID token may carry besides user data (OIDC Core §2).
pub const ID_TOKEN_CLAIMS: [&str; 8] = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "sid",
];

/// The value of one claim of `user`, if the user has it.
fn user_claim(user: &UserRecord, name: &str) -> Option<Value> {
    match name {
        "sub" => Some(Value::String(user.id.clone())),
        "preferred_username" => Some(Value::String(user.username.clone())),
        "updated_at" => Some(Value::from(user.updated_at)),
        _ => user.claims.get(name).filter(|v| !v.is_null()).cloned(),
    }
}

/// The claims released for `scopes` (OIDC Core §5.4), with `sub`. At UserInfo this also
/// answers the `claims` parameter's `userinfo` member (§5.5): a claim it names is released
/// when a consented scope releases it, and every such claim is here already.
pub fn released_claims<'a>(
    user: &UserRecord,
    scopes: impl IntoIterator<Item = &'a str>,
) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("sub".into(), Value::String(user.id.clone()));
    for scope in scopes {
        for name in scope_claims(scope) {
            if let Some(value) = user_claim(user, name) {
                out.insert((*name).to_string(), value);
            }
        }
    }
    out
}

/// The claims a `claims` request member (OIDC Core §5.5) names, limited to what the granted
/// `scopes` release: the user consented to scopes, not to whatever a request may name.
pub fn requested_claims<'a>(
    user: &UserRecord,
    scopes: impl IntoIterator<Item = &'a str>,
    requested: &Value,
) -> Map<String, Value> {
    let Value::Object(requested) = requested else {
        return Map::new();
    };
    let mut released = released_claims(user, scopes);
    // `sub` is always a member of its own; only user data is added here.
    released.retain(|name, _| name != "sub" && requested.contains_key(name));
    released
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn alice() -> UserRecord {
        UserRecord {
            id: "u1".into(),
            username: "alice".into(),
            password_hash: String::new(),
            claims: json!({"email": "a@example.com", "email_verified": true, "name": "Alice",
                "phone_number": "+15550100", "address": {"country": "FR"}}),
            created_at: 1,
            updated_at: 2,
        }
    }

    #[test]
    fn scopes_release_only_their_claims_oidc_core_5_4() {
        let claims = released_claims(&alice(), ["openid", "email"]);
        assert_eq!(
            Value::Object(claims),
            json!({"sub": "u1", "email": "a@example.com", "email_verified": true})
        );
        let claims = released_claims(&alice(), ["openid", "profile"]);
        assert_eq!(claims["name"], "Alice");
        assert_eq!(claims["preferred_username"], "alice");
        assert_eq!(claims["updated_at"], 2);
        assert!(!claims.contains_key("email"));
        let claims = released_claims(&alice(), ["address", "phone"]);
        assert_eq!(claims["address"], json!({"country": "FR"}));
        assert_eq!(claims["phone_number"], "+15550100");
    }

    #[test]
    fn claims_request_names_only_what_the_scopes_release_oidc_core_5_5() {
        let requested =
            json!({"name": {"essential": true}, "email": null, "sub": null, "unknown": null});
        let claims = requested_claims(&alice(), ["openid", "profile"], &requested);
        assert_eq!(Value::Object(claims), json!({"name": "Alice"}));
        let claims = requested_claims(&alice(), ["openid"], &requested);
        assert!(claims.is_empty(), "no scope, no user data");
    }
}

//! Which user claims a scope releases (OIDC Core §5.4) and the `claims` request (§5.5).
//! The scopes come from the registry (`crate::scopes`): the OpenID ones and the configured.

use oxid_store::UserRecord;
use serde_json::{Map, Value};

use crate::scopes::{ScopeInfo, find};

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
pub const ID_TOKEN_CLAIMS: [&str; 9] = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "jti",
    "auth_time",
    "nonce",
    "sid",
];

/// Claims the protocol sets (OIDC Core §2, §3.1.3.6, RFC 7519 §4.1, OIDC Front/Back-Channel
/// Logout), which a user's stored claims never provide.
pub const PROTOCOL_CLAIMS: [&str; 17] = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "sid",
    "at_hash",
    "c_hash",
    "s_hash",
    "cnf",
];

/// The value of one claim of `user`, if the user has it.
fn user_claim(user: &UserRecord, name: &str) -> Option<Value> {
    match name {
        "sub" => Some(Value::String(user.id.clone())),
        "preferred_username" => Some(Value::String(user.username.clone())),
        "updated_at" => Some(Value::from(user.updated_at)),
        _ => stored_claim(user, name).filter(|v| !v.is_null()).cloned(),
    }
}

/// Claims of a user beyond which [`stored_claim`] looks them up by hash.
const SCANNED_CLAIMS: usize = 16;

/// The stored claim `name` of `user` (`user.claims.get(name)`). A user holds a handful of
/// claims, and every claim of every granted scope is looked up (16 for `profile email` at
/// UserInfo): comparing a few short names costs less than hashing each one (SipHash: ~3,000
/// instructions a UserInfo answer, bench/README.md branch `intro`). Names are unique in a
/// JSON object, so both ways find the same one.
fn stored_claim<'a>(user: &'a UserRecord, name: &str) -> Option<&'a Value> {
    let Value::Object(claims) = &user.claims else {
        return None;
    };
    if claims.len() > SCANNED_CLAIMS {
        return claims.get(name);
    }
    claims
        .iter()
        .find(|(stored, _)| stored.as_str() == name)
        .map(|(_, value)| value)
}

/// The claims released for `scopes` (OIDC Core §5.4) by the scopes of `registry`, with
/// `sub`. At UserInfo this also answers the `claims` parameter's `userinfo` member (§5.5):
/// a claim it names is released when a consented scope releases it, and every such claim is
/// here already ([`filter_by_request`] then applies its `value`/`values`).
pub fn released_claims<'a>(
    registry: &[ScopeInfo],
    user: &UserRecord,
    scopes: impl IntoIterator<Item = &'a str>,
) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("sub".into(), Value::String(user.id.clone()));
    for scope in scopes.into_iter().filter_map(|name| find(registry, name)) {
        for name in &scope.claims {
            if let Some(value) = user_claim(user, name) {
                out.insert(name.clone(), value);
            }
        }
    }
    out
}

/// The claims a `claims` request member (OIDC Core §5.5) names, limited to what the granted
/// `scopes` release: the user consented to scopes, not to whatever a request may name.
pub fn requested_claims<'a>(
    registry: &[ScopeInfo],
    user: &UserRecord,
    scopes: impl IntoIterator<Item = &'a str>,
    requested: &Value,
) -> Map<String, Value> {
    let Value::Object(members) = requested else {
        return Map::new();
    };
    let mut released = released_claims(registry, user, scopes);
    // `sub` is always a member of its own; only user data is added here.
    released.retain(|name, _| name != "sub" && members.contains_key(name));
    filter_by_request(released, Some(requested))
}

/// OIDC Core §5.5.1: a claim requested with `value` or `values` is left out when its value
/// matches none of them (an equality comparison). Claims the member does not name, or names
/// with `null` or only `essential`, are kept; `essential` never causes an error (§5.5.1).
pub fn filter_by_request(
    mut claims: Map<String, Value>,
    member: Option<&Value>,
) -> Map<String, Value> {
    let Some(Value::Object(member)) = member else {
        return claims;
    };
    claims.retain(|name, value| match member.get(name) {
        Some(request) if name != "sub" => value_matches(request, value),
        _ => true,
    });
    claims
}

/// Whether `value` satisfies one claim's request (`null` or an object with `value`/`values`).
pub fn value_matches(request: &Value, value: &Value) -> bool {
    let Value::Object(request) = request else {
        return true;
    };
    if let Some(wanted) = request.get("value") {
        return wanted == value;
    }
    match request.get("values") {
        Some(Value::Array(choices)) => choices.contains(value),
        _ => true,
    }
}

/// The `sub` a `claims` request asks for (OIDC Core §5.5.1 `"sub": {"value": ...}`) in its
/// `id_token` or `userinfo` member: the authentication must be of that user (§3.1.2.2).
pub fn requested_subject(claims_request: Option<&Value>) -> Option<&str> {
    let request = claims_request?;
    ["id_token", "userinfo"]
        .iter()
        .find_map(|member| request.get(member)?.get("sub")?.get("value")?.as_str())
}

/// OIDC Core §5.5.1.1: an Essential `acr` asked for in the ID token with `value` or
/// `values` that the session's `acr` does not match is a failed authentication.
pub fn essential_acr_unmet(claims_request: Option<&Value>, acr: Option<&str>) -> bool {
    let Some(request) = claims_request
        .and_then(|c| c.get("id_token"))
        .and_then(|m| m.get("acr"))
    else {
        return false;
    };
    let essential = request.get("essential") == Some(&Value::Bool(true));
    let constrained = request.get("value").is_some() || request.get("values").is_some();
    essential
        && constrained
        && !acr.is_some_and(|acr| value_matches(request, &Value::String(acr.to_string())))
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

    fn openid_registry() -> Vec<ScopeInfo> {
        crate::scopes::registry(&[]).unwrap()
    }

    #[test]
    fn a_stored_claim_is_found_as_by_its_hash_however_many_the_user_has() {
        let few = alice();
        let mut many = alice();
        for i in 0..SCANNED_CLAIMS {
            many.claims[format!("extra_{i}")] = json!(i);
        }
        for user in [&few, &many] {
            for name in [
                "email",
                "email_verified",
                "address",
                "name",
                "nickname",
                "extra_3",
            ] {
                assert_eq!(stored_claim(user, name), user.claims.get(name), "{name}");
            }
        }
        let not_an_object = UserRecord {
            claims: json!(["email"]),
            ..alice()
        };
        assert_eq!(stored_claim(&not_an_object, "email"), None);
    }

    #[test]
    fn scopes_release_only_their_claims_oidc_core_5_4() {
        let registry = openid_registry();
        let released_claims =
            |user: &UserRecord, scopes: [&str; 2]| released_claims(&registry, user, scopes);
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
        let registry = openid_registry();
        let requested =
            json!({"name": {"essential": true}, "email": null, "sub": null, "unknown": null});
        let claims = requested_claims(&registry, &alice(), ["openid", "profile"], &requested);
        assert_eq!(Value::Object(claims), json!({"name": "Alice"}));
        let claims = requested_claims(&registry, &alice(), ["openid"], &requested);
        assert!(claims.is_empty(), "no scope, no user data");
    }

    #[test]
    fn configured_scopes_release_their_claims_custom_ones_included() {
        let groups = crate::scopes::ScopeSetting {
            name: "groups".into(),
            description: None,
            claims: vec!["groups".into()],
        };
        let registry = crate::scopes::registry(&[groups]).unwrap();
        let mut user = alice();
        user.claims["groups"] = json!(["admins", "staff"]);
        let claims = released_claims(&registry, &user, ["openid", "groups"]);
        assert_eq!(claims["groups"], json!(["admins", "staff"]));
        let claims = released_claims(&registry, &user, ["openid", "unknown"]);
        assert!(!claims.contains_key("groups"));
    }

    #[test]
    fn value_and_values_leave_out_a_claim_that_matches_none_oidc_core_5_5_1() {
        let registry = openid_registry();
        let scopes = ["openid", "email", "profile"];
        let requested = json!({"email": {"value": "a@example.com"}, "name": {"values": ["Bob"]},
            "email_verified": {"essential": true, "values": [true, false]}});
        let claims = requested_claims(&registry, &alice(), scopes, &requested);
        assert_eq!(
            Value::Object(claims),
            json!({"email": "a@example.com", "email_verified": true}),
            "name matches no value, so it is left out; essential is no error"
        );
        let all = released_claims(&registry, &alice(), scopes);
        let filtered = filter_by_request(all.clone(), Some(&json!({"name": {"value": "Bob"}})));
        assert!(!filtered.contains_key("name") && filtered.contains_key("email"));
        assert_eq!(filter_by_request(all.clone(), None), all);
    }

    #[test]
    fn only_an_essential_acr_with_values_can_fail_oidc_core_5_5_1_1() {
        let essential = json!({"id_token": {"acr": {"essential": true, "values": ["gold"]}}});
        assert!(essential_acr_unmet(Some(&essential), None));
        assert!(essential_acr_unmet(Some(&essential), Some("bronze")));
        assert!(!essential_acr_unmet(Some(&essential), Some("gold")));
        let voluntary = json!({"id_token": {"acr": {"values": ["gold"]}}});
        assert!(!essential_acr_unmet(Some(&voluntary), None));
        let any_acr = json!({"id_token": {"acr": {"essential": true}}});
        assert!(!essential_acr_unmet(Some(&any_acr), None));
        assert!(!essential_acr_unmet(None, None));
    }

    #[test]
    fn a_requested_subject_is_read_from_either_member_oidc_core_5_5_1() {
        let request = json!({"id_token": {"sub": {"value": "u1"}}});
        assert_eq!(requested_subject(Some(&request)), Some("u1"));
        let request = json!({"userinfo": {"sub": {"value": "u2"}}, "id_token": {"sub": null}});
        assert_eq!(requested_subject(Some(&request)), Some("u2"));
        assert_eq!(
            requested_subject(Some(&json!({"id_token": {"sub": null}}))),
            None
        );
        assert_eq!(requested_subject(None), None);
    }
}

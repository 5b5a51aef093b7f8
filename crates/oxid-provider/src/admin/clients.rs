//! Clients from JSON (the admin API's `/admin/v1/clients`): the members of OIDC Registration
//! §2 plus `client_id`, and Oxid's own (`require_pkce`, `id_token_claims`, `skip_consent`),
//! through the same [`ClientMetadata`] checks as `oxid client add` and `/register`.

use oxid_store::ClientRecord;
use serde_json::{Map, Value};

use super::{AdminError, ClientRegistration, check_client_secret_strength};
use crate::client_metadata::{ClientMetadata, MetadataError};
use crate::state::Provider;

/// The body as a JSON object.
fn object(body: &[u8]) -> Result<Map<String, Value>, AdminError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(MetadataError::metadata("request", "the body must be a JSON object").into()),
        Err(e) => Err(MetadataError::metadata("request", format!("not JSON: {e}")).into()),
    }
}

/// Takes the string member `name` out of `members`.
fn take_string(members: &mut Map<String, Value>, name: &str) -> Result<Option<String>, AdminError> {
    match members.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(MetadataError::metadata(name, "must be a string").into()),
    }
}

/// Takes `skip_consent` out of `members`.
fn take_skip_consent(members: &mut Map<String, Value>) -> Result<Option<bool>, AdminError> {
    match members.remove("skip_consent") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(_) => Err(MetadataError::metadata("skip_consent", "must be a boolean").into()),
    }
}

/// Members the server sets, never taken from a request.
const SERVER_MEMBERS: [&str; 5] = [
    "client_id_issued_at",
    "client_secret_expires_at",
    "registration_access_token",
    "registration_client_uri",
    "dynamically_registered",
];

/// The metadata in `members` (with Oxid's own members removed first).
fn metadata(mut members: Map<String, Value>) -> Result<ClientMetadata, AdminError> {
    for member in SERVER_MEMBERS {
        members.remove(member);
    }
    let bytes = serde_json::to_vec(&Value::Object(members))
        .map_err(|e| AdminError::Invalid(e.to_string()))?;
    Ok(ClientMetadata::from_json(&bytes)?)
}

/// `POST /admin/v1/clients`: registers the client described by `body`; returns it and,
/// once only, its secret.
pub async fn create_client(
    provider: &Provider,
    body: &[u8],
) -> Result<(ClientRecord, Option<String>), AdminError> {
    let mut members = object(body)?;
    let client_id = take_string(&mut members, "client_id")?
        .ok_or_else(|| MetadataError::metadata("client_id", "is required"))?;
    let client_secret = take_string(&mut members, "client_secret")?;
    if let Some(secret) = &client_secret {
        check_client_secret_strength(secret)?;
    }
    let skip_consent = take_skip_consent(&mut members)?.unwrap_or(false);
    let registration = ClientRegistration {
        client_id,
        client_secret,
        metadata: metadata(members)?,
        skip_consent,
        registration_token_hash: None,
    };
    let store = provider.store();
    let (caps, secret_box, now) = (
        provider.capabilities(),
        provider.secret_box(),
        provider.now(),
    );
    super::register_client(caps, store, secret_box, registration, now).await
}

/// `PUT` (`merge` false: the body replaces every member) or `PATCH` (`merge` true: RFC 7396
/// JSON Merge Patch of the current members) of `/admin/v1/clients/{client_id}`.
pub async fn change_client(
    provider: &Provider,
    client_id: &str,
    body: &[u8],
    merge: bool,
) -> Result<(ClientRecord, Option<String>), AdminError> {
    let mut members = object(body)?;
    if let Some(id) = take_string(&mut members, "client_id")?
        && id != client_id
    {
        return Err(MetadataError::metadata("client_id", "must be the client's own").into());
    }
    if members.contains_key("client_secret") {
        let why = "cannot be set by an update; a new one is issued when the client needs it";
        return Err(MetadataError::metadata("client_secret", why).into());
    }
    let skip_consent = take_skip_consent(&mut members)?;
    let change = |current: &mut ClientMetadata, skip: &mut bool| {
        let members = if merge {
            let mut merged = match serde_json::to_value(&*current) {
                Ok(Value::Object(map)) => map,
                _ => Map::new(),
            };
            for (name, value) in members {
                // RFC 7396 §2: null removes the member.
                if value.is_null() {
                    merged.remove(&name);
                } else {
                    merged.insert(name, value);
                }
            }
            merged
        } else {
            members
        };
        *current = metadata(members)?;
        if let Some(value) = skip_consent {
            *skip = value;
        }
        Ok(())
    };
    let (caps, store, secret_box) = (
        provider.capabilities(),
        provider.store(),
        provider.secret_box(),
    );
    let changed = super::update_client(caps, store, secret_box, client_id, change).await?;
    provider.forget_client(client_id);
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::provider_with_keys;
    use serde_json::json;

    fn body(value: Value) -> Vec<u8> {
        serde_json::to_vec(&value).unwrap()
    }

    #[tokio::test]
    async fn a_client_is_created_put_and_patched_through_client_metadata() {
        let provider = provider_with_keys(|_| {}).await;
        let new = json!({"client_id": "shop", "redirect_uris": ["https://shop.example/cb"],
            "client_name": "Shop", "skip_consent": true});
        let (record, secret) = create_client(&provider, &body(new)).await.unwrap();
        assert!(secret.is_some() && record.skip_consent);
        let patch = json!({"client_name": "Boutique"});
        let (patched, secret) = change_client(&provider, "shop", &body(patch), true)
            .await
            .unwrap();
        assert_eq!(secret, None);
        assert_eq!(patched.client_name.as_deref(), Some("Boutique"));
        assert_eq!(patched.redirect_uris, record.redirect_uris);
        assert_eq!(
            patched.secret_hash, record.secret_hash,
            "the secret is kept"
        );
        let put = json!({"redirect_uris": ["https://shop.example/other"]});
        let (put, _) = change_client(&provider, "shop", &body(put), false)
            .await
            .unwrap();
        assert_eq!(put.client_name, None, "PUT replaces every member");
        assert!(put.skip_consent, "left as it was when not given");
    }

    #[tokio::test]
    async fn bad_clients_are_refused_naming_the_member() {
        let provider = provider_with_keys(|_| {}).await;
        let cases = [
            (
                json!({"redirect_uris": ["https://a.example/cb"]}),
                "client_id",
            ),
            (
                json!({"client_id": "a", "client_secret": "abc",
                "redirect_uris": ["https://a.example/cb"]}),
                "too weak",
            ),
            (
                json!({"client_id": "a", "redirect_uris": ["https://a.example/cb"],
                "grant_types": ["password-ish"]}),
                "grant_types",
            ),
            (
                json!({"client_id": "a", "redirect_uris": ["https://a.example/cb#frag"]}),
                "redirect_uris",
            ),
            (json!(["not", "an", "object"]), "request"),
        ];
        for (case, member) in cases {
            let err = create_client(&provider, &body(case.clone()))
                .await
                .unwrap_err();
            assert!(err.to_string().contains(member), "{case}: {err}");
        }
        let unknown = change_client(&provider, "nobody", b"{}", true)
            .await
            .unwrap_err();
        assert!(matches!(unknown, AdminError::UnknownClient(_)));
        let moved = change_client(&provider, "x", &body(json!({"client_id": "y"})), true).await;
        assert!(moved.unwrap_err().to_string().contains("client_id"));
    }
}

//! Pairwise subject identifiers (OIDC Core §8.1): a client registered with `subject_type`
//! `pairwise` knows each user by a `sub` of its own sector, which clients of other sectors
//! cannot correlate. [`subject_for`] is the one place a local user id becomes the `sub` a
//! client sees (ID tokens, UserInfo, introspection, JWT access tokens, logout tokens), and
//! [`names_user`] the one place a `sub` a client sends back (`id_token_hint`, a `claims`
//! request's `sub` value) is compared with a user.
//!
//! The `sub` is base64url(SHA-256(sector || 0x00 || local id || 0x00 || salt)) — OIDC Core
//! §8.1's first example method, with separators so that no two (sector, id) pairs hash the
//! same input. The salt is derived from the provider's secret key (`SecretBox::mac`), so
//! it is the same on every instance and after every restart, and is kept nowhere else.

use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oxid_store::ClientRecord;
use serde_json::Value;
use url::Url;

use crate::crypto::SecretBox;

/// The `subject_type` member (OIDC Registration §2).
pub const SUBJECT_TYPE: &str = "subject_type";
/// The `sector_identifier_uri` member (OIDC Registration §2).
pub const SECTOR_IDENTIFIER_URI: &str = "sector_identifier_uri";
/// `subject_type` value of pairwise subjects.
pub const PAIRWISE: &str = "pairwise";

/// What the salt is derived for (its own MAC message prefix).
const SALT_PURPOSE: &[u8] = b"oxid/pairwise-subject-salt";

/// The `sub` `client` knows the user `user_id` by: the user's id for a public client, else
/// the pairwise identifier of the client's sector.
pub fn subject_for(secret_box: &SecretBox, client: &ClientRecord, user_id: &str) -> String {
    match sector(client) {
        None => user_id.to_string(),
        Some(sector) => pairwise_subject(&secret_box.mac(SALT_PURPOSE), &sector, user_id),
    }
}

/// Whether `sub`, as `client` sent it back, names the user `user_id`.
pub fn names_user(secret_box: &SecretBox, client: &ClientRecord, sub: &str, user_id: &str) -> bool {
    subject_for(secret_box, client, user_id) == sub
}

/// Whether `client` registered pairwise subjects.
pub fn is_pairwise(client: &ClientRecord) -> bool {
    client.metadata.get(SUBJECT_TYPE).and_then(Value::as_str) == Some(PAIRWISE)
}

/// The Sector Identifier of a pairwise client (OIDC Core §8.1): the host of its
/// `sector_identifier_uri`, else the one host of its redirect URIs. `None` for a public
/// client. Registration refuses a pairwise client with neither; should a stored one have
/// neither, its own `client_id` is its sector, so its users' ids are still never shown.
pub fn sector(client: &ClientRecord) -> Option<String> {
    if !is_pairwise(client) {
        return None;
    }
    let declared = client
        .metadata
        .get(SECTOR_IDENTIFIER_URI)
        .and_then(Value::as_str)
        .and_then(host_of);
    let from_redirects = || match redirect_hosts(&client.redirect_uris).as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    };
    Some(
        declared
            .or_else(from_redirects)
            .unwrap_or_else(|| format!("client:{}", client.client_id)),
    )
}

/// The distinct hosts of `uris`, in order (a URI without a host, such as a native app's
/// `com.example.app:/cb`, counts by its scheme).
pub fn redirect_hosts(uris: &[String]) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    for uri in uris {
        let host = host_of(uri).unwrap_or_else(|| {
            Url::parse(uri)
                .map(|u| format!("{}:", u.scheme()))
                .unwrap_or_else(|_| uri.clone())
        });
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    hosts
}

/// The host of `uri`, lowercase, when it has one.
pub fn host_of(uri: &str) -> Option<String> {
    let url = Url::parse(uri).ok()?;
    url.host_str()
        .filter(|h| !h.is_empty())
        .map(str::to_ascii_lowercase)
}

/// OIDC Core §8.1: deterministic, distinct per sector, not reversible without the salt.
fn pairwise_subject(salt: &[u8], sector: &str, user_id: &str) -> String {
    let mut context = digest::Context::new(&digest::SHA256);
    context.update(sector.as_bytes());
    context.update(&[0]);
    context.update(user_id.as_bytes());
    context.update(&[0]);
    context.update(salt);
    URL_SAFE_NO_PAD.encode(context.finish().as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn client(id: &str, metadata: Value, redirect_uris: &[&str]) -> ClientRecord {
        ClientRecord {
            client_id: id.into(),
            secret_hash: None,
            secret_encrypted: None,
            client_name: None,
            redirect_uris: redirect_uris.iter().map(|s| s.to_string()).collect(),
            post_logout_redirect_uris: vec![],
            grant_types: vec![],
            response_types: vec![],
            token_endpoint_auth_method: "client_secret_basic".into(),
            scopes: vec![],
            id_token_signed_response_alg: None,
            backchannel_logout_uri: None,
            frontchannel_logout_uri: None,
            skip_consent: false,
            metadata,
            registration_token_hash: None,
            created_at: 0,
        }
    }

    #[test]
    fn pairwise_subjects_follow_the_sector_oidc_core_8_1() {
        let secret_box = SecretBox::new([1u8; 32]);
        let public = client("pub", json!({}), &["https://a.example/cb"]);
        let a1 = client(
            "a1",
            json!({"subject_type": "pairwise"}),
            &["https://a.example/cb"],
        );
        let a2 = client(
            "a2",
            json!({"subject_type": "pairwise"}),
            &["https://A.example/other"],
        );
        let sector_a = client(
            "a3",
            json!({"subject_type": "pairwise",
                "sector_identifier_uri": "https://a.example/sector.json"}),
            &["https://b.example/cb", "https://c.example/cb"],
        );
        let b = client(
            "b",
            json!({"subject_type": "pairwise"}),
            &["https://b.example/cb"],
        );
        assert_eq!(subject_for(&secret_box, &public, "u1"), "u1");
        let sub = subject_for(&secret_box, &a1, "u1");
        assert_ne!(sub, "u1");
        assert_eq!(sub.len(), 43, "base64url of 32 bytes");
        assert_eq!(subject_for(&secret_box, &a2, "u1"), sub);
        assert_eq!(subject_for(&secret_box, &sector_a, "u1"), sub);
        assert_ne!(subject_for(&secret_box, &b, "u1"), sub);
        assert_ne!(subject_for(&secret_box, &a1, "u2"), sub);
        // Another secret key (another deployment) gives other subjects.
        assert_ne!(subject_for(&SecretBox::new([2u8; 32]), &a1, "u1"), sub);
        assert!(names_user(&secret_box, &a2, &sub, "u1"));
        assert!(!names_user(&secret_box, &a1, "u1", "u1"));
        assert!(names_user(&secret_box, &public, "u1", "u1"));
    }

    #[test]
    fn a_pairwise_client_without_a_sector_never_shows_the_local_id() {
        let secret_box = SecretBox::new([1u8; 32]);
        let two_hosts = client(
            "x",
            json!({"subject_type": "pairwise"}),
            &["https://a.example/cb", "https://b.example/cb"],
        );
        assert_eq!(sector(&two_hosts).as_deref(), Some("client:x"));
        assert_ne!(subject_for(&secret_box, &two_hosts, "u1"), "u1");
    }

    #[test]
    fn separators_keep_sector_and_id_apart() {
        let salt = [0u8; 32];
        assert_ne!(
            pairwise_subject(&salt, "ab.example", "c"),
            pairwise_subject(&salt, "ab.exampl", "ec")
        );
    }
}

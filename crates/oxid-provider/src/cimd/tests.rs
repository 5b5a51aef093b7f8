//! Reading a fetched document (draft-ietf-oauth-client-id-metadata-document-01 §4.1), each
//! rule accepted and refused. The fetch, the cache and the endpoints are tested over HTTP in
//! `tests/client_id_metadata_documents.rs`.

use serde_json::{Value, json};

use super::*;
use crate::capabilities::{Capabilities, ClientAuthMethod};
use crate::config::{ProviderConfig, Settings};
use crate::outbound::FetchedDocument;

const ID: &str = "https://app.example.com/client.json";

fn caps() -> Capabilities {
    Capabilities::from_config(&ProviderConfig::from_settings(&Settings::default()).unwrap())
}

fn served(body: &Value, content_type: &str) -> FetchedDocument {
    FetchedDocument {
        body: serde_json::to_vec(body).unwrap(),
        content_type: Some(content_type.into()),
        cache_control: None,
    }
}

fn document(extra: Value) -> Value {
    let mut doc = json!({
        "client_id": ID,
        "client_name": "Example MCP client",
        "redirect_uris": ["https://app.example.com/callback"],
    });
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            doc.as_object_mut().unwrap().remove(k);
        } else {
            doc[k] = v.clone();
        }
    }
    doc
}

fn read(doc: &Value) -> Result<ValidatedClient, DocumentError> {
    read_document(ID, &served(doc, "application/json"), &caps())
}

fn refusal(doc: &Value) -> String {
    read(doc).unwrap_err().to_string()
}

#[test]
fn a_minimal_document_is_a_public_client_draft_4_1() {
    let client = read(&document(json!({}))).unwrap();
    assert_eq!(client.auth_method, ClientAuthMethod::None);
    assert_eq!(
        client.metadata.registered.client_name.as_deref(),
        Some("Example MCP client")
    );
    // A more specific JSON type is accepted too (§4.1), parameters ignored.
    let doc = document(json!({}));
    for ct in [
        "application/json; charset=utf-8",
        "application/oauth-client+json",
    ] {
        assert!(
            read_document(ID, &served(&doc, ct), &caps()).is_ok(),
            "{ct}"
        );
    }
}

#[test]
fn the_client_id_must_be_the_url_by_simple_string_comparison_draft_4_1() {
    let other = document(json!({"client_id": "https://evil.example.com/client.json"}));
    assert!(refusal(&other).contains("evil.example.com"));
    let slash = document(json!({"client_id": format!("{ID}/")}));
    assert!(matches!(
        read(&slash),
        Err(DocumentError::ClientIdMismatch(_))
    ));
    let missing = document(json!({"client_id": null}));
    assert!(matches!(
        read(&missing),
        Err(DocumentError::ClientIdMismatch(_))
    ));
}

#[test]
fn no_shared_secret_may_be_established_draft_4_1() {
    let secret = document(json!({"client_secret": "s3cr3t"}));
    assert!(refusal(&secret).contains("client_secret"));
    let expires = document(json!({"client_secret_expires_at": 0}));
    assert!(refusal(&expires).contains("client_secret_expires_at"));
    for method in [
        "client_secret_basic",
        "client_secret_post",
        "client_secret_jwt",
    ] {
        let doc = document(json!({"token_endpoint_auth_method": method}));
        assert!(
            refusal(&doc).contains("none or private_key_jwt"),
            "{method}"
        );
    }
}

#[test]
fn private_key_jwt_needs_published_keys_draft_6_2() {
    let without = document(json!({"token_endpoint_auth_method": "private_key_jwt"}));
    assert!(refusal(&without).contains("jwks"));
    let with_uri = document(json!({
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks_uri": "https://app.example.com/jwks.json",
    }));
    assert_eq!(
        read(&with_uri).unwrap().auth_method,
        ClientAuthMethod::PrivateKeyJwt
    );
}

#[test]
fn redirect_uris_are_required_and_checked_as_at_registration_draft_4_5() {
    assert!(refusal(&document(json!({"redirect_uris": null}))).contains("redirect_uris"));
    assert!(refusal(&document(json!({"redirect_uris": []}))).contains("redirect_uris"));
    let plain_http = document(json!({"redirect_uris": ["http://app.example.com/cb"]}));
    assert!(refusal(&plain_http).contains("https"));
}

#[test]
fn json_is_required_draft_4_1() {
    let doc = document(json!({}));
    let html = read_document(ID, &served(&doc, "text/html"), &caps());
    assert!(matches!(html, Err(DocumentError::ContentType(t)) if t == "text/html"));
    let none = FetchedDocument {
        content_type: None,
        ..served(&doc, "x")
    };
    assert!(read_document(ID, &none, &caps()).is_err());
    let not_json = FetchedDocument {
        body: b"<html>".to_vec(),
        ..served(&doc, "application/json")
    };
    assert!(matches!(
        read_document(ID, &not_json, &caps()),
        Err(DocumentError::NotJson(_))
    ));
    let array = served(&json!([doc]), "application/json");
    assert!(read_document(ID, &array, &caps()).is_err());
}

#[test]
fn operator_settings_and_logos_are_not_taken_from_a_document() {
    let doc = document(json!({
        "require_pkce": false,
        "access_token_lifetime": 999999,
        "logo_uri": "https://app.example.com/logo.png",
        "logo_uri#fr": "https://app.example.com/logo-fr.png",
        "dpop_bound_access_tokens": true,
    }));
    let client = read(&doc).unwrap();
    let m = &client.metadata;
    assert_eq!(m.require_pkce, None);
    assert_eq!(m.access_token_lifetime, None);
    assert_eq!(m.registered.logo_uri, None);
    assert!(
        m.registered
            .extra
            .keys()
            .all(|k| !k.starts_with("logo_uri"))
    );
    assert_eq!(
        m.dpop_bound_access_tokens,
        Some(true),
        "asks more of the client"
    );
}

#[test]
fn a_document_client_is_marked_and_shows_its_host() {
    let client = read(&document(json!({}))).unwrap();
    let mut record = client.to_record(ID, false, 0);
    assert!(!is_document_client(&record));
    assert_eq!(
        display_host(&record),
        None,
        "a registered client shows no host"
    );
    record.metadata[MARKER] = json!(true);
    assert!(is_document_client(&record));
    assert_eq!(display_host(&record).as_deref(), Some("app.example.com"));
    record.client_id = "https://app.example.com:8443/c.json".into();
    assert_eq!(
        display_host(&record).as_deref(),
        Some("app.example.com:8443")
    );
}

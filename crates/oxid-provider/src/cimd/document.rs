//! A fetched Client ID Metadata Document read into client metadata
//! (draft-ietf-oauth-client-id-metadata-document-01 §4.1): JSON, naming itself by the URL it
//! was fetched from, without anything a shared secret would need, then checked by the same
//! rules as a registration (`client_metadata`).

use serde_json::{Map, Value};

use super::DocumentError;
use crate::capabilities::Capabilities;
use crate::client_metadata::{ClientMetadata, MetadataError, ValidatedClient};
use crate::outbound::FetchedDocument;

/// Oxid's own members, which the operator sets for a registered client: a document names
/// itself, so it cannot grant itself longer tokens or skip PKCE. (Its
/// `require_pushed_authorization_requests` and `dpop_bound_access_tokens`, registered
/// metadata that only ask more of the client, are kept.)
const OPERATOR_MEMBERS: [&str; 8] = [
    "require_pkce",
    "id_token_claims",
    "backchannel_logout_revoke_tokens",
    "access_token_format",
    "access_token_lifetime",
    "refresh_token_lifetime",
    "refresh_token_idle",
    "refresh_token_grace",
];

/// Members a document must not hold (§4.1: no shared secret can be established).
const SECRET_MEMBERS: [&str; 2] = ["client_secret", "client_secret_expires_at"];

/// The authentication methods a document may name (§4.1, §6.2): none (a public client) or
/// a key pair whose public half it publishes. Absent, it is `none`: the RFC 7591 default,
/// `client_secret_basic`, is one a document cannot use.
const DOCUMENT_AUTH_METHODS: [&str; 2] = ["none", "private_key_jwt"];

/// The client `fetched` describes as `client_id`, checked against what `caps` supports.
pub fn read_document(
    client_id: &str,
    fetched: &FetchedDocument,
    caps: &Capabilities,
) -> Result<ValidatedClient, DocumentError> {
    check_content_type(fetched.content_type.as_deref())?;
    let value: Value =
        serde_json::from_slice(&fetched.body).map_err(|e| DocumentError::NotJson(e.to_string()))?;
    let Value::Object(mut members) = value else {
        return Err(DocumentError::NotJson("not a JSON object".into()));
    };
    // §4.1: "MUST contain a client_id property whose value MUST match the URL of the
    // document using simple string comparison".
    match members.remove("client_id") {
        Some(Value::String(named)) if named == client_id => {}
        Some(Value::String(named)) => return Err(DocumentError::ClientIdMismatch(named)),
        Some(_) | None => return Err(DocumentError::ClientIdMismatch(String::new())),
    }
    for member in SECRET_MEMBERS {
        if members.contains_key(member) {
            let why = format!("{member} must not be used: there is no shared secret (draft §4.1)");
            return Err(DocumentError::Metadata(MetadataError::metadata(
                member, why,
            )));
        }
    }
    check_auth_method(&mut members)?;
    check_redirect_uris_given(&members)?;
    for member in OPERATOR_MEMBERS {
        members.remove(member);
    }
    // §6.7: a logo would have to be fetched and kept by us to be shown safely; it is not shown.
    members.retain(|name, _| name != "logo_uri" && !name.starts_with("logo_uri#"));
    let metadata: ClientMetadata = serde_json::from_value(Value::Object(members))
        .map_err(|e| DocumentError::Metadata(MetadataError::metadata("document", e.to_string())))?;
    metadata.validate(caps).map_err(DocumentError::Metadata)
}

/// §4.1: JSON, `application/json` or a more specific `application/<name>+json`.
fn check_content_type(content_type: Option<&str>) -> Result<(), DocumentError> {
    let shown = content_type.unwrap_or("none").to_string();
    let essence = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let json = essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|subtype| subtype.ends_with("+json") && subtype.len() > 5);
    if json {
        Ok(())
    } else {
        Err(DocumentError::ContentType(shown))
    }
}

fn check_auth_method(members: &mut Map<String, Value>) -> Result<(), DocumentError> {
    let member = "token_endpoint_auth_method";
    let method = members
        .entry(member)
        .or_insert_with(|| Value::String("none".into()));
    if method
        .as_str()
        .is_some_and(|m| DOCUMENT_AUTH_METHODS.contains(&m))
    {
        return Ok(());
    }
    let why = format!(
        "must be none or private_key_jwt, not {method}: a document cannot establish a shared \
         secret (draft §4.1, §6.2)"
    );
    Err(DocumentError::Metadata(MetadataError::metadata(
        member, why,
    )))
}

/// The redirect URIs a request's `redirect_uri` is matched against (draft §4.5) must be in
/// the document.
fn check_redirect_uris_given(members: &Map<String, Value>) -> Result<(), DocumentError> {
    let given = members
        .get("redirect_uris")
        .and_then(Value::as_array)
        .is_some_and(|uris| !uris.is_empty());
    if given {
        Ok(())
    } else {
        let why = "a metadata document must list its redirect_uris (draft §4.5)";
        Err(DocumentError::Metadata(MetadataError::redirect(
            "redirect_uris",
            why,
        )))
    }
}

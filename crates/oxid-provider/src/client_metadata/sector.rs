//! `subject_type` and `sector_identifier_uri` (OIDC Registration §2, §5; OIDC Core §8.1):
//! the rules on the members themselves ([`check_subject_members`], run by `validate`), and the
//! fetch of the sector identifier document, which must list every registered redirect URI
//! ([`check_sector_document`], run by the registry before a client is stored or changed).

use url::Url;

use super::redirect::quoted;
use super::{ClientMetadata, MetadataError, RegisteredMetadata};
use crate::capabilities::Capabilities;
use crate::outbound::Outbound;
use crate::pairwise::{PAIRWISE, SECTOR_IDENTIFIER_URI, SUBJECT_TYPE, redirect_hosts};

/// The members' own rules: a supported `subject_type`; an https `sector_identifier_uri` the
/// provider may fetch (SSRF rules of `outbound`); and a pairwise client without one has a
/// single redirect URI host to be its sector (OIDC Core §8.1).
pub(super) fn check_subject_members(
    m: &RegisteredMetadata,
    caps: &Capabilities,
) -> Result<(), MetadataError> {
    if let Some(subject_type) = &m.subject_type
        && !caps.subject_types.contains(&subject_type.as_str())
    {
        return Err(MetadataError::metadata(
            SUBJECT_TYPE,
            format!(
                "{} is not one of {}",
                quoted(subject_type),
                caps.subject_types.join(", ")
            ),
        ));
    }
    if let Some(uri) = &m.sector_identifier_uri {
        check_sector_uri(uri, caps)?;
    }
    let pairwise = m.subject_type.as_deref() == Some(PAIRWISE);
    if pairwise && m.sector_identifier_uri.is_none() {
        let hosts = redirect_hosts(&m.redirect_uris);
        if hosts.len() != 1 {
            let why = if hosts.is_empty() {
                "required with subject_type pairwise when no redirect URI gives the sector \
                 (OIDC Core §8.1)"
                    .to_string()
            } else {
                format!(
                    "required with subject_type pairwise when the redirect URIs have more than \
                     one host ({}; OIDC Core §8.1)",
                    hosts.join(", ")
                )
            };
            return Err(MetadataError::metadata(SECTOR_IDENTIFIER_URI, why));
        }
    }
    Ok(())
}

/// OIDC Registration §2: "URL using the https scheme" (http only on a loopback host, for
/// development, as `jwks_uri`), with a host, that outbound fetches may reach.
fn check_sector_uri(uri: &str, caps: &Capabilities) -> Result<(), MetadataError> {
    let refused = |why: String| MetadataError::metadata(SECTOR_IDENTIFIER_URI, why);
    let url = Url::parse(uri).map_err(|_| refused(format!("{} is not a URL", quoted(uri))))?;
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let https = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    if !https || url.host_str().is_none_or(str::is_empty) {
        return Err(refused(format!(
            "{} is not an https URL (OIDC Registration §2)",
            quoted(uri)
        )));
    }
    if url.fragment().is_some() {
        return Err(refused(format!("{} has a fragment", quoted(uri))));
    }
    Outbound::check_target_url(uri, caps.private_addresses_allowed)
        .map_err(|e| refused(e.to_string()))
}

/// OIDC Registration §5: the document at `sector_identifier_uri` is a JSON array of
/// redirect URIs that holds every registered one, "or registration MUST fail"
/// (`invalid_client_metadata`). Fetched now, within the `[outbound]` limits, and not kept.
pub async fn check_sector_document(
    caps: &Capabilities,
    metadata: &ClientMetadata,
) -> Result<(), MetadataError> {
    let m = &metadata.registered;
    let Some(uri) = &m.sector_identifier_uri else {
        return Ok(());
    };
    let refused = |why: String| MetadataError::metadata(SECTOR_IDENTIFIER_URI, why);
    let extra_roots = std::env::var_os("SSL_CERT_FILE").map(std::path::PathBuf::from);
    let outbound = Outbound::new(caps.outbound, extra_roots.as_deref())
        .map_err(|e| refused(format!("the provider cannot fetch it: {e}")))?;
    let body = outbound
        .get(uri, "application/json")
        .await
        .map_err(|e| refused(format!("{}: {e}", quoted(uri))))?;
    let listed: Vec<String> = serde_json::from_slice(&body).map_err(|_| {
        refused(format!(
            "{} is not a JSON array of redirect URIs (OIDC Registration §5)",
            quoted(uri)
        ))
    })?;
    if let Some(missing) = m.redirect_uris.iter().find(|r| !listed.contains(r)) {
        return Err(refused(format!(
            "{} does not list the redirect URI {} (OIDC Registration §5)",
            quoted(uri),
            quoted(missing)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ProviderConfig, Settings};
    use serde_json::{Value, json};

    fn check(value: Value) -> Result<(), String> {
        let caps = Capabilities::from_config(
            &ProviderConfig::from_settings(&Settings::default()).unwrap(),
        );
        let metadata = ClientMetadata::from_json(value.to_string().as_bytes()).unwrap();
        metadata.validate(&caps).map(|_| ()).map_err(|e| {
            let code = oxid_protocol::registration::RegistrationErrorCode::InvalidClientMetadata;
            assert_eq!(e.code, code, "{e}");
            e.member
        })
    }

    #[test]
    fn pairwise_needs_one_redirect_host_or_a_sector_identifier_uri_oidc_core_8_1() {
        let one_host = json!({"redirect_uris": ["https://a.example/cb", "https://a.example/2"],
            "subject_type": "pairwise"});
        assert_eq!(check(one_host), Ok(()));
        let two_hosts = json!({"redirect_uris": ["https://a.example/cb", "https://b.example/cb"],
            "subject_type": "pairwise"});
        let refused = Err("sector_identifier_uri".to_string());
        assert_eq!(check(two_hosts.clone()), refused);
        let mut with_sector = two_hosts;
        with_sector["sector_identifier_uri"] = json!("https://sector.example/uris.json");
        assert_eq!(check(with_sector), Ok(()));
        // Two hosts are fine for a public client: it has no sector.
        let public = json!({"redirect_uris": ["https://a.example/cb", "https://b.example/cb"],
            "subject_type": "public"});
        assert_eq!(check(public), Ok(()));
    }

    #[test]
    fn subject_type_and_sector_identifier_uri_are_checked_oidc_registration_2() {
        let base = json!({"redirect_uris": ["https://a.example/cb"]});
        let with = |member: &str, value: &str| {
            let mut m = base.clone();
            m[member] = json!(value);
            check(m)
        };
        assert_eq!(with("subject_type", "secret"), Err("subject_type".into()));
        for bad in [
            "http://sector.example/uris.json",
            "not a url",
            "https://sector.example/uris.json#frag",
            // SSRF: a private address is refused unless `[outbound] allow_private_addresses`.
            "https://10.0.0.1/uris.json",
            "http://127.0.0.1:9/uris.json",
        ] {
            assert_eq!(
                with("sector_identifier_uri", bad),
                Err("sector_identifier_uri".into()),
                "{bad}"
            );
        }
        assert_eq!(
            with("sector_identifier_uri", "https://sector.example/u.json"),
            Ok(())
        );
    }
}

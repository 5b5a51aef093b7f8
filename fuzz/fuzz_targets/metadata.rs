//! Provider metadata documents: `parse_lenient` on arbitrary bytes never panics and fails
//! only when the input is not a JSON object (its documented contract); `check_strict`,
//! `check_strict_oauth`, `url_members` and `resolve_relative_urls` never panic; what
//! parsed serializes and parses leniently to the same value; `parse_strict` agrees with
//! `check_strict`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxid_protocol::ProviderMetadata;
use oxid_protocol::metadata::check_issuer;

const ISSUER: &str = "https://op.example.com";

fuzz_target!(|data: &[u8]| {
    let is_object =
        serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(data).is_ok();
    let (md, _warnings) = match ProviderMetadata::parse_lenient(data) {
        Ok(x) => x,
        Err(e) => {
            assert!(!is_object, "parse_lenient refused a JSON object: {e}");
            return;
        }
    };
    let violations = md.check_strict(ISSUER);
    let _ = md.check_strict_oauth(ISSUER);
    if let Some(iss) = &md.issuer {
        let _ = check_issuer(iss);
        let _ = ProviderMetadata::openid_configuration_url(iss);
        let _ = ProviderMetadata::oauth_authorization_server_url(iss);
    }
    let _ = md.url_members();
    let _ = (
        md.response_modes_supported(),
        md.grant_types_supported(),
        md.token_endpoint_auth_methods_supported(),
        md.claims_parameter_supported(),
    );

    // Serialize and parse again: same document.
    let text = md.to_string();
    let (again, _) = ProviderMetadata::parse_lenient(text.as_bytes())
        .unwrap_or_else(|e| panic!("re-parse of {text:?} failed: {e}"));
    assert_eq!(again, md, "lenient round trip changed the document");
    assert_eq!(again.to_string(), text, "serialization is not stable");

    // A strict parse succeeds exactly when the strict check finds nothing.
    match ProviderMetadata::parse_strict(data, ISSUER) {
        Ok(strict) => {
            assert!(violations.is_empty());
            assert_eq!(strict.check_strict(ISSUER), Vec::new());
        }
        Err(_) => {}
    }

    let mut resolved = md.clone();
    let _ = resolved.resolve_relative_urls(ISSUER);
});

//! SAML 2.0 assertions from configured identity providers (`[[saml_idps]]`), for the SAML
//! bearer grant (RFC 7522): which IdPs we trust, and the verification of one assertion —
//! its XML signature by libxmlsec1 (`oxid_xmldsig`), then RFC 7522 §3's checks on exactly
//! the bytes that signature covers.

mod assertion;
mod checks;
mod datetime;

use serde::Deserialize;
use std::path::PathBuf;

use oxid_xmldsig::{Root, TrustedCertificate, VerifyError};

use crate::config::{ConfigError, config_error};
pub use crate::subject_mapping::{SubjectMapping, find_user};
pub use checks::{Accepted, CLOCK_SKEW, Expected};

/// One `[[saml_idps]]` entry as written (docs/configuration.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamlIdpSetting {
    /// The IdP's entity ID: the assertions' `Issuer`.
    pub entity_id: String,
    /// Its signing certificate (PEM); the key in an assertion's `KeyInfo` is never used.
    pub certificate_file: PathBuf,
    /// How the `NameID` names a user.
    pub subject_mapping: SubjectMapping,
    /// The scopes tokens from its assertions may carry.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// A trusted SAML identity provider.
#[derive(Debug, Clone)]
pub struct SamlIdp {
    /// Its entity ID.
    pub entity_id: String,
    /// Its signing certificate.
    pub certificate: TrustedCertificate,
    /// How the `NameID` names a user.
    pub subject_mapping: SubjectMapping,
    /// The scopes its assertions may obtain.
    pub scopes: Vec<String>,
}

/// The configured identity providers: entity IDs unique, certificates readable and usable.
pub fn idps_from_settings(settings: &[SamlIdpSetting]) -> Result<Vec<SamlIdp>, ConfigError> {
    let mut idps: Vec<SamlIdp> = Vec::new();
    for setting in settings {
        if setting.entity_id.is_empty() {
            return Err(config_error("saml_idps.entity_id", "must not be empty"));
        }
        if idps.iter().any(|i| i.entity_id == setting.entity_id) {
            return Err(config_error(
                "saml_idps.entity_id",
                format!("{:?} is configured twice", setting.entity_id),
            ));
        }
        let file = &setting.certificate_file;
        let pem = std::fs::read(file).map_err(|e| {
            config_error(
                "saml_idps.certificate_file",
                format!("cannot read {}: {e}", file.display()),
            )
        })?;
        let certificate = TrustedCertificate::from_pem(&pem).map_err(|e| {
            config_error(
                "saml_idps.certificate_file",
                format!("{}: {e}", file.display()),
            )
        })?;
        idps.push(SamlIdp {
            entity_id: setting.entity_id.clone(),
            certificate,
            subject_mapping: setting.subject_mapping,
            scopes: setting.scopes.clone(),
        });
    }
    Ok(idps)
}

/// A verified assertion and the IdP that signed it.
#[derive(Debug)]
pub struct Verified<'a> {
    /// The identity provider.
    pub idp: &'a SamlIdp,
    /// The assertion's `ID`.
    pub id: String,
    /// What the checks accepted.
    pub accepted: Accepted,
}

/// Verifies `xml`, an assertion from one of `idps` (the one its `Issuer` names, with that
/// IdP's certificate), for `expected`.
pub fn verify<'a>(
    idps: &'a [SamlIdp],
    xml: &str,
    expected: Expected<'_>,
) -> Result<Verified<'a>, String> {
    // The unsigned Issuer only chooses the certificate; the signed one is compared below.
    let hint = assertion::unverified_issuer(xml)?;
    let idp = idps
        .iter()
        .find(|idp| idp.entity_id == hint)
        .ok_or("the Issuer is not a configured identity provider")?;
    let root = Root {
        namespace: assertion::SAML_NS,
        name: "Assertion",
    };
    let signed = oxid_xmldsig::verify_enveloped(xml.as_bytes(), &idp.certificate, root)
        .map_err(signature_refusal)?;
    let signed = String::from_utf8(signed).map_err(|_| "the signed assertion is not UTF-8")?;
    let assertion = assertion::read(&signed)?;
    let accepted = checks::check(&assertion, &idp.entity_id, &expected)?;
    Ok(Verified {
        idp,
        id: assertion.id,
        accepted,
    })
}

/// The `error_description` of a failed signature check: what failed, never libxml2's or
/// libxmlsec1's own messages.
fn signature_refusal(error: VerifyError) -> String {
    match error {
        VerifyError::Internal => "the assertion's signature could not be checked".into(),
        other => format!("signature check failed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{ProviderConfig, Settings};

    const CERT: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../oxid-xmldsig/tests/fixtures/saml/idp-cert.pem"
    );

    fn load(toml: &str) -> Result<ProviderConfig, crate::config::ConfigError> {
        let settings: Settings = toml::from_str(toml).unwrap();
        ProviderConfig::from_settings(&settings)
    }

    fn idp(entity_id: &str, certificate_file: &str) -> String {
        format!(
            "[[saml_idps]]\nentity_id = {entity_id:?}\ncertificate_file = {certificate_file:?}\n\
             subject_mapping = \"email\"\nscopes = [\"openid\"]\n"
        )
    }

    #[test]
    fn saml_idps_are_read_from_toml_and_their_certificates_checked_at_start() {
        let config = load(&idp("https://idp.test", CERT)).unwrap();
        assert_eq!(config.saml_idps.len(), 1);
        assert_eq!(
            config.saml_idps[0].subject_mapping,
            super::SubjectMapping::Email
        );
        assert_eq!(config.saml_idps[0].scopes, ["openid"]);
        let missing = load(&idp("https://idp.test", "/nonexistent.pem")).unwrap_err();
        assert_eq!(missing.key, "saml_idps.certificate_file");
        let not_a_certificate = load(&idp(
            "https://idp.test",
            concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
        ))
        .unwrap_err();
        assert_eq!(not_a_certificate.key, "saml_idps.certificate_file");
        let twice = format!(
            "{}{}",
            idp("https://idp.test", CERT),
            idp("https://idp.test", CERT)
        );
        assert_eq!(load(&twice).unwrap_err().key, "saml_idps.entity_id");
        let empty = load(&idp("", CERT)).unwrap_err();
        assert_eq!(empty.key, "saml_idps.entity_id");
    }
}

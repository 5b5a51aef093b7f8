//! The shim against documents signed by an independent implementation, the `xmlsec1`
//! command-line tool (Debian's xmlsec1): what verifies, what the caller gets, and the
//! signature-wrapping shapes refused (XML-DSig 1.1 §3.2 core validation; the checks of
//! `csrc/verify.c`).

use oxid_xmldsig::{Root, TrustedCertificate, VerifyError, verify_enveloped};
use std::path::Path;
use std::process::Command;

const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const ROOT: Root<'static> = Root {
    namespace: SAML,
    name: "Assertion",
};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/saml/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A `ds:Signature` template: exclusive c14n, `sig` (an rsa-shaN URI suffix), over `#id`.
fn signature(id: &str, sig: &str, digest: &str) -> String {
    format!(
        r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="{sig}"/><ds:Reference URI="#{id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/></ds:Signature>"##
    )
}

const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";

/// `template` signed by `xmlsec1 --sign` with the key `key` (`idp` or `other`).
fn xmlsec1_sign(template: &str, key: &str) -> String {
    let dir = std::env::temp_dir().join(format!(
        "oxid-xmldsig-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("template.xml");
    let output = dir.join("signed.xml");
    std::fs::write(&input, template).unwrap();
    let status = Command::new("xmlsec1")
        .arg("--sign")
        .arg("--privkey-pem")
        .arg(format!(
            "{},{}",
            fixture(&format!("{key}-key.pem")),
            fixture(&format!("{key}-cert.pem"))
        ))
        .args(["--id-attr:ID", &format!("{SAML}:Assertion")])
        .arg("--output")
        .arg(&output)
        .arg(&input)
        .output()
        .expect("xmlsec1 (Debian package xmlsec1) must be installed");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    std::fs::read_to_string(Path::new(&output)).unwrap()
}

fn assertion(id: &str, signature: &str, subject: &str) -> String {
    format!(
        r#"<saml:Assertion xmlns:saml="{SAML}" ID="{id}" Version="2.0"><saml:Issuer>https://idp.test</saml:Issuer>{signature}<saml:Subject><saml:NameID>{subject}</saml:NameID></saml:Subject></saml:Assertion>"#
    )
}

fn trusted(key: &str) -> TrustedCertificate {
    let pem = std::fs::read(fixture(&format!("{key}-cert.pem"))).unwrap();
    TrustedCertificate::from_pem(&pem).unwrap()
}

#[test]
fn a_signed_assertion_verifies_and_yields_its_canonical_form_without_the_signature() {
    let signed = xmlsec1_sign(
        &assertion("_a1", &signature("_a1", RSA_SHA256, SHA256), "alice"),
        "idp",
    );
    let bytes = verify_enveloped(signed.as_bytes(), &trusted("idp"), ROOT).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("<saml:Assertion"), "{text}");
    assert!(text.contains("<saml:NameID>alice</saml:NameID>"), "{text}");
    assert!(!text.contains("Signature"), "{text}");
}

#[test]
fn another_key_or_a_changed_byte_does_not_verify() {
    let signed = xmlsec1_sign(
        &assertion("_a1", &signature("_a1", RSA_SHA256, SHA256), "alice"),
        "idp",
    );
    assert_eq!(
        verify_enveloped(signed.as_bytes(), &trusted("other"), ROOT),
        Err(VerifyError::Invalid)
    );
    let changed = signed.replace(">alice<", ">mallory<");
    assert_eq!(
        verify_enveloped(changed.as_bytes(), &trusted("idp"), ROOT),
        Err(VerifyError::Invalid)
    );
}

#[test]
fn sha1_is_refused() {
    let signed = xmlsec1_sign(
        &assertion(
            "_a1",
            &signature(
                "_a1",
                "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
                "http://www.w3.org/2000/09/xmldsig#sha1",
            ),
            "alice",
        ),
        "idp",
    );
    assert_eq!(
        verify_enveloped(signed.as_bytes(), &trusted("idp"), ROOT),
        Err(VerifyError::Unsupported)
    );
}

#[test]
fn a_signature_over_another_element_is_refused() {
    // The signed assertion wrapped inside an unsigned one whose signature points to it.
    let signed = xmlsec1_sign(
        &assertion("_a1", &signature("_a1", RSA_SHA256, SHA256), "alice"),
        "idp",
    );
    let body = signed.trim_start_matches("<?xml version=\"1.0\"?>\n");
    let sig_start = body.find("<ds:Signature").unwrap();
    let sig_end = body.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let sig = &body[sig_start..sig_end];
    let wrapper = format!(
        r#"<saml:Assertion xmlns:saml="{SAML}" ID="_evil" Version="2.0">{sig}<saml:Advice>{body}</saml:Advice></saml:Assertion>"#
    );
    assert_eq!(
        verify_enveloped(wrapper.as_bytes(), &trusted("idp"), ROOT),
        Err(VerifyError::ReferenceTarget)
    );
}

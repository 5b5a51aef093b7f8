//! A SAML identity provider for tests: assertions written as text and signed by Debian's
//! `xmlsec1` tool (an independent XML-DSig implementation), never by our code. Keys and
//! certificates are oxid-xmldsig's test fixtures (`idp` trusted, `other` not).
#![allow(dead_code)]

pub mod grant;

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

pub const SAML_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const IDP: &str = "https://idp.example.test";
pub const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
pub const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
pub const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

/// oxid-xmldsig's test key material: `idp` or `other`, `key` or `cert`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../oxid-xmldsig/tests/fixtures/saml")
        .join(name)
}

/// `t` (seconds since the epoch) as a SAML time (`xs:dateTime` in UTC).
pub fn xs_time(t: u64) -> String {
    let days = (t / 86_400) as i64;
    let secs = t % 86_400;
    // H. Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// An assertion as an IdP would write it; every field can be changed before signing.
#[derive(Debug, Clone)]
pub struct AssertionSpec {
    pub id: String,
    pub issuer: String,
    pub name_id: String,
    pub method: String,
    pub recipient: String,
    /// `SubjectConfirmationData NotOnOrAfter`.
    pub confirmation_until: u64,
    pub not_before: u64,
    pub not_on_or_after: u64,
    pub audience: String,
    /// Extra elements at the end of `Conditions`.
    pub extra_conditions: String,
    pub signature_alg: String,
    pub digest_alg: String,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl AssertionSpec {
    /// A valid assertion from [`IDP`] about `name_id` for the provider `issuer` at `now`.
    pub fn new(issuer: &str, now: u64, name_id: &str) -> AssertionSpec {
        AssertionSpec {
            id: format!("_oxid-test-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed)),
            issuer: IDP.into(),
            name_id: name_id.into(),
            method: BEARER.into(),
            recipient: format!("{issuer}/token"),
            confirmation_until: now + 300,
            not_before: now - 60,
            not_on_or_after: now + 600,
            audience: issuer.into(),
            extra_conditions: String::new(),
            signature_alg: RSA_SHA256.into(),
            digest_alg: SHA256.into(),
        }
    }

    /// The `ds:Signature` template xmlsec1 fills in: enveloped, exclusive c14n, over `#ID`.
    pub fn signature_template(&self) -> String {
        format!(
            r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="{}"/><ds:Reference URI="#{}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="{}"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/></ds:Signature>"##,
            self.signature_alg, self.id, self.digest_alg
        )
    }

    /// The assertion with `signature` after its Issuer (SAML Core §2.3.3's order).
    pub fn xml_with(&self, signature: &str) -> String {
        format!(
            r#"<saml:Assertion xmlns:saml="{SAML_NS}" ID="{id}" Version="2.0" IssueInstant="{instant}"><saml:Issuer>{issuer}</saml:Issuer>{signature}<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">{name_id}</saml:NameID><saml:SubjectConfirmation Method="{method}"><saml:SubjectConfirmationData Recipient="{recipient}" NotOnOrAfter="{until}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{nb}" NotOnOrAfter="{noa}"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>{extra}</saml:Conditions><saml:AuthnStatement AuthnInstant="{instant}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement></saml:Assertion>"#,
            id = self.id,
            instant = xs_time(self.not_before),
            issuer = self.issuer,
            name_id = self.name_id,
            method = self.method,
            recipient = self.recipient,
            until = xs_time(self.confirmation_until),
            nb = xs_time(self.not_before),
            noa = xs_time(self.not_on_or_after),
            audience = self.audience,
            extra = self.extra_conditions,
        )
    }

    /// Signed by the `idp` key.
    pub fn signed(&self) -> String {
        self.signed_by("idp")
    }

    /// Signed by `key` (`idp` or `other`) with `xmlsec1 --sign`.
    pub fn signed_by(&self, key: &str) -> String {
        xmlsec1_sign(&self.xml_with(&self.signature_template()), key)
    }
}

/// `template` (holding an empty `ds:Signature`) signed by `xmlsec1` with `key`'s key; the
/// XML declaration xmlsec1 adds is dropped.
pub fn xmlsec1_sign(template: &str, key: &str) -> String {
    let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("oxid-saml-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("template.xml");
    let output = dir.join("signed.xml");
    std::fs::write(&input, template).unwrap();
    let key_and_cert = format!(
        "{},{}",
        fixture(&format!("{key}-key.pem")).display(),
        fixture(&format!("{key}-cert.pem")).display()
    );
    let run = Command::new("xmlsec1")
        .args(["--sign", "--privkey-pem", &key_and_cert])
        .args(["--id-attr:ID", &format!("{SAML_NS}:Assertion")])
        .arg("--output")
        .arg(&output)
        .arg(&input)
        .output()
        .expect("xmlsec1 (Debian package xmlsec1) must be installed");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let signed = std::fs::read_to_string(&output).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    signed
        .trim_start_matches("<?xml version=\"1.0\"?>")
        .trim()
        .to_string()
}

/// The `ds:Signature` element of a signed document.
pub fn signature_of(signed: &str) -> &str {
    let start = signed.find("<ds:Signature").unwrap();
    let end = signed.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    &signed[start..end]
}

/// base64url without padding (RFC 7522 §2.1's SHOULD).
pub fn encode(xml: &str) -> String {
    URL_SAFE_NO_PAD.encode(xml)
}

/// base64url with padding (accepted too).
pub fn encode_padded(xml: &str) -> String {
    URL_SAFE.encode(xml)
}

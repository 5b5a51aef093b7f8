//! Enveloped XML-DSig verification (XML Signature Syntax and Processing 1.1) of one signed
//! element, by libxmlsec1 with its OpenSSL backend through a small C shim
//! (`csrc/verify.c`): no canonicalization or signature code of our own.
//!
//! The shim fixes what signature-wrapping attacks play with: the document's root is the
//! element the caller expects, its `ID` is the only ID in the document, it holds exactly one
//! `ds:Signature` as a direct child, whose `SignedInfo` has exactly one `Reference`, to
//! `#ID`. The key is the caller's certificate, never `KeyInfo`. RSA or ECDSA with SHA-256 or
//! better; SHA-1, XPath/XSLT transforms and external URIs are refused. On success the caller
//! gets the bytes the digest covered — the signed element, canonicalized, without its
//! signature — and reads from them, so what it uses is exactly what was signed.

use std::ffi::{CString, c_char, c_int, c_uchar};
use std::sync::OnceLock;

unsafe extern "C" {
    fn oxid_xmldsig_init() -> c_int;
    fn oxid_xmldsig_check_certificate(pem: *const c_uchar, pem_len: usize) -> c_int;
    fn oxid_xmldsig_verify(
        xml: *const c_uchar,
        xml_len: usize,
        pem: *const c_uchar,
        pem_len: usize,
        root_ns: *const c_char,
        root_name: *const c_char,
        out: *mut *mut c_uchar,
        out_len: *mut usize,
    ) -> c_int;
    fn oxid_xmldsig_free(bytes: *mut c_uchar);
}

/// Why a document was not accepted, one variant per check of the shim (its codes, in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The bytes are not well-formed XML.
    #[error("the document is not well-formed XML")]
    Malformed,
    /// The document has a DTD (which could declare IDs and entities).
    #[error("the document has a document type declaration")]
    Dtd,
    /// The root element is not the one expected.
    #[error("the document's root is not the expected element")]
    WrongRoot,
    /// The root element has no `ID` attribute.
    #[error("the signed element has no ID")]
    NoId,
    /// Another element holds the root's ID.
    #[error("the signed element's ID is not unique in the document")]
    DuplicateId,
    /// The root does not hold exactly one `ds:Signature` as a direct child.
    #[error("the element does not hold exactly one enveloped signature")]
    SignaturePlacement,
    /// The signature uses an algorithm, transform or URI not accepted, or is malformed.
    #[error(
        "the signature is malformed or uses an algorithm or transform not accepted \
         (RSA or ECDSA with SHA-256 or better, canonical XML without comments)"
    )]
    Unsupported,
    /// The digest or the signature value does not match.
    #[error("the signature does not verify with the trusted certificate")]
    Invalid,
    /// `SignedInfo` has more than one reference.
    #[error("the signature must have exactly one reference")]
    References,
    /// The reference is not to the root element's ID.
    #[error("the signature does not reference the element it encloses")]
    ReferenceTarget,
    /// libxmlsec1 could not run (initialization or memory).
    #[error("the signature verifier failed internally")]
    Internal,
    /// The certificate is not a PEM certificate with a usable key.
    #[error("the certificate is not a PEM X.509 certificate with a usable public key")]
    BadCertificate,
}

impl VerifyError {
    fn from_code(code: c_int) -> VerifyError {
        match code {
            1 => VerifyError::Malformed,
            2 => VerifyError::Dtd,
            3 => VerifyError::WrongRoot,
            4 => VerifyError::NoId,
            5 => VerifyError::DuplicateId,
            6 => VerifyError::SignaturePlacement,
            7 => VerifyError::Unsupported,
            8 => VerifyError::Invalid,
            9 => VerifyError::References,
            10 => VerifyError::ReferenceTarget,
            12 => VerifyError::BadCertificate,
            _ => VerifyError::Internal,
        }
    }
}

/// Initializes libxml2 and libxmlsec1 once per process.
fn initialized() -> Result<(), VerifyError> {
    static INIT: OnceLock<c_int> = OnceLock::new();
    // SAFETY: the shim's init takes no arguments; OnceLock runs it once.
    match *INIT.get_or_init(|| unsafe { oxid_xmldsig_init() }) {
        0 => Ok(()),
        _ => Err(VerifyError::Internal),
    }
}

/// A certificate whose public key verifies signatures (PEM, checked when made).
#[derive(Clone, PartialEq, Eq)]
pub struct TrustedCertificate {
    pem: Vec<u8>,
}

impl std::fmt::Debug for TrustedCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrustedCertificate")
    }
}

impl TrustedCertificate {
    /// The certificate in `pem`, when libxmlsec1 can take a verification key from it.
    pub fn from_pem(pem: &[u8]) -> Result<TrustedCertificate, VerifyError> {
        initialized()?;
        // SAFETY: pointer and length describe `pem`, which outlives the call.
        match unsafe { oxid_xmldsig_check_certificate(pem.as_ptr(), pem.len()) } {
            0 => Ok(TrustedCertificate { pem: pem.to_vec() }),
            code => Err(VerifyError::from_code(code)),
        }
    }
}

/// The element a document's root must be: namespace URI and local name.
#[derive(Debug, Clone, Copy)]
pub struct Root<'a> {
    /// The namespace URI.
    pub namespace: &'a str,
    /// The local name.
    pub name: &'a str,
}

/// Verifies the enveloped signature of `xml`'s root element (which must be `root`) with
/// `certificate`'s key, and returns the bytes the signature covers: the root element in
/// its canonical form, without the signature.
pub fn verify_enveloped(
    xml: &[u8],
    certificate: &TrustedCertificate,
    root: Root<'_>,
) -> Result<Vec<u8>, VerifyError> {
    initialized()?;
    let namespace = CString::new(root.namespace).map_err(|_| VerifyError::Internal)?;
    let name = CString::new(root.name).map_err(|_| VerifyError::Internal)?;
    let mut out: *mut c_uchar = std::ptr::null_mut();
    let mut out_len: usize = 0;
    // SAFETY: every pointer/length pair describes a live buffer for the whole call; the
    // strings are NUL-terminated; `out`/`out_len` are written only by the shim.
    let code = unsafe {
        oxid_xmldsig_verify(
            xml.as_ptr(),
            xml.len(),
            certificate.pem.as_ptr(),
            certificate.pem.len(),
            namespace.as_ptr(),
            name.as_ptr(),
            &mut out,
            &mut out_len,
        )
    };
    if code != 0 {
        return Err(VerifyError::from_code(code));
    }
    if out.is_null() {
        return Err(VerifyError::Internal);
    }
    // SAFETY: on success the shim hands over a malloc'd buffer of `out_len` bytes, which we
    // copy and then give back to its allocator once.
    let signed = unsafe { std::slice::from_raw_parts(out, out_len) }.to_vec();
    unsafe { oxid_xmldsig_free(out) };
    Ok(signed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_must_be_pem() {
        assert_eq!(
            TrustedCertificate::from_pem(b"not a certificate"),
            Err(VerifyError::BadCertificate)
        );
    }

    #[test]
    fn malformed_documents_are_refused_before_any_key_is_used() {
        let root = Root {
            namespace: "urn:oasis:names:tc:SAML:2.0:assertion",
            name: "Assertion",
        };
        let cert = TrustedCertificate { pem: Vec::new() };
        assert_eq!(
            verify_enveloped(b"<a", &cert, root),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            verify_enveloped(b"<!DOCTYPE a []><a/>", &cert, root),
            Err(VerifyError::Dtd)
        );
        assert_eq!(
            verify_enveloped(b"<a/>", &cert, root),
            Err(VerifyError::WrongRoot)
        );
    }
}

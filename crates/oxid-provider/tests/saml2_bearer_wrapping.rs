//! Signature-wrapping attacks on the SAML 2.0 bearer grant (RFC 7522 §3 item 9; the
//! duo-labs "XML comment" family and the classic wrapping shapes): each fails over HTTP,
//! because the assertion used is exactly the element signed, read from the signed bytes.

mod common;
mod saml_idp;

use common::*;
use saml_idp::grant::*;
use saml_idp::*;

/// A signed assertion about `name_id`, which names no user of the server unless it is one.
fn signed_about(server: &TestServer, name_id: &str) -> (AssertionSpec, String) {
    let mut spec = spec(server);
    spec.name_id = name_id.into();
    let signed = spec.signed();
    (spec, signed)
}

/// `outer`, an unsigned assertion about alice, with `signature` after its Issuer and
/// `inner` in its Advice.
fn wrapper(server: &TestServer, id: &str, signature: &str, inner: &str) -> String {
    let mut outer = spec(server);
    outer.id = id.into();
    outer.xml_with(signature).replace(
        "<saml:Conditions",
        &format!("<saml:Advice>{inner}</saml:Advice><saml:Conditions"),
    )
}

#[tokio::test]
async fn wrapping_a_second_unsigned_assertion_around_the_signed_one_fails() {
    let (server, secret) = server().await;
    let (signed_spec, signed) = signed_about(&server, "nobody");
    let signature = signature_of(&signed);
    // The signed assertion kept intact inside an unsigned one about alice.
    let unsigned_root = wrapper(&server, "_evil", "", &signed);
    refused(
        &server,
        &secret,
        &unsigned_root,
        "exactly one enveloped signature",
    )
    .await;
    // Its signature moved up to the unsigned root: it references the inner assertion.
    let moved_up = wrapper(&server, "_evil", signature, &signed.replace(signature, ""));
    refused(
        &server,
        &secret,
        &moved_up,
        "does not reference the element it encloses",
    )
    .await;
    // The root takes the signed assertion's ID: the digest is of the root, which differs.
    let same_id = wrapper(
        &server,
        &signed_spec.id,
        signature,
        &signed.replace(signature, ""),
    );
    refused(&server, &secret, &same_id, "does not verify").await;
    // An unsigned assertion added inside the signed one changes what was signed.
    let unsigned = spec(&server).xml_with("");
    let inserted = signed.replace(
        "<saml:Conditions",
        &format!("<saml:Advice>{unsigned}</saml:Advice><saml:Conditions"),
    );
    refused(&server, &secret, &inserted, "does not verify").await;
    // Two assertions side by side: the document is not one Assertion (RFC 7522 §2.1).
    let response = format!(
        r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">{signed}{unsigned}</samlp:Response>"#
    );
    refused(&server, &secret, &response, "not a SAML 2.0 Assertion").await;
}

#[tokio::test]
async fn wrapping_a_moved_signature_fails() {
    let (server, secret) = server().await;
    let signed = spec(&server).signed();
    let signature = signature_of(&signed);
    // The enveloped transform would drop the signature from anywhere, so its digest still
    // matches: only its place, a direct child of the signed element, tells.
    let moved_into_subject = signed
        .replace(signature, "")
        .replace("</saml:Subject>", &format!("{signature}</saml:Subject>"));
    refused(
        &server,
        &secret,
        &moved_into_subject,
        "exactly one enveloped signature",
    )
    .await;
    let doubled = signed.replace(signature, &format!("{signature}{signature}"));
    refused(
        &server,
        &secret,
        &doubled,
        "exactly one enveloped signature",
    )
    .await;
}

#[tokio::test]
async fn wrapping_a_comment_inside_the_name_id_fails() {
    let (server, secret) = server().await;
    // Canonical XML drops comments, so the signature still verifies; a reader taking the
    // first text node would see "alice". We read the signed text: "alice.evil", nobody.
    let (_, signed) = signed_about(&server, "alice.evil");
    let commented = signed.replace(">alice.evil<", ">alice<!---->.evil<");
    refused(&server, &secret, &commented, "names no user").await;
    // The same comment in a genuine assertion about alice changes nothing either.
    let (_, genuine) = signed_about(&server, "alice");
    let split = genuine.replace(">alice<", ">al<!-- x -->ice<");
    let (status, body) = grant(&server, &secret, &encode(&split), "openid").await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_document_type_or_a_second_holder_of_the_id_is_refused() {
    let (server, secret) = server().await;
    let (spec, signed) = signed_about(&server, "alice");
    let dtd = format!("<!DOCTYPE saml:Assertion [<!ENTITY e \"alice\">]>{signed}");
    refused(&server, &secret, &dtd, "document type declaration").await;
    let xml_id = signed.replace(
        "<saml:Subject>",
        &format!(
            r#"<saml:Subject><x:e xmlns:x="urn:x" xml:id="{}"/>"#,
            spec.id
        ),
    );
    refused(&server, &secret, &xml_id, "not unique").await;
}

//! The SAML 2.0 bearer assertion grant (RFC 7522) over HTTP: assertions signed by `xmlsec1`
//! (see `saml_idp`), one test per check and per signature-wrapping attack, accepting and
//! rejecting.

mod common;
mod saml_idp;

use common::*;
use oxid_provider::clock::Clock;
use oxid_provider::saml::{SamlIdpSetting, SubjectMapping};
use saml_idp::*;
use serde_json::Value;

const SAML2_BEARER: &str = "urn:ietf:params:oauth:grant-type:saml2-bearer";
const IDP_SCOPES: [&str; 4] = ["openid", "email", "profile", "offline_access"];

fn idp_setting(entity_id: &str, mapping: SubjectMapping) -> SamlIdpSetting {
    SamlIdpSetting {
        entity_id: entity_id.into(),
        certificate_file: fixture("idp-cert.pem"),
        subject_mapping: mapping,
        scopes: IDP_SCOPES.iter().map(|s| s.to_string()).collect(),
    }
}

/// A server trusting [`IDP`] (NameID = username) and `urn:email-idp` (NameID = email), with
/// client `app` registered for the grant and allowed `openid email phone offline_access`.
async fn server() -> (TestServer, String) {
    let server = TestServer::start_with(|s| {
        s.saml_idps = vec![
            idp_setting(IDP, SubjectMapping::Username),
            idp_setting("urn:email-idp", SubjectMapping::Email),
        ];
    })
    .await;
    let secret = server
        .add_client("app", |c| {
            c.grant_types = vec![SAML2_BEARER.into(), "refresh_token".into()];
            c.redirect_uris = Vec::new();
            c.scopes = ["openid", "email", "phone", "offline_access"]
                .map(String::from)
                .to_vec();
        })
        .await;
    (server, secret)
}

/// A valid assertion about `alice` for `server`, at its clock's time.
fn spec(server: &TestServer) -> AssertionSpec {
    AssertionSpec::new(&server.base, server.clock.now(), USER)
}

/// The token request with `assertion` (already encoded) by client `app`.
async fn grant(server: &TestServer, secret: &str, assertion: &str, scope: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("app", Some(secret))
        .form(&[
            ("grant_type", SAML2_BEARER),
            ("assertion", assertion),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Asserts the request is refused with `invalid_grant` whose description has `why`.
async fn refused(server: &TestServer, secret: &str, xml: &str, why: &str) {
    let (status, body) = grant(server, secret, &encode(xml), "openid").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant", "{body}");
    let description = body["error_description"].as_str().unwrap_or_default();
    assert!(
        description.contains(why),
        "{description:?} should say {why:?}"
    );
}

#[tokio::test]
async fn rfc7522_2_1_a_signed_assertion_gets_tokens_for_its_subject() {
    let (server, secret) = server().await;
    let xml = spec(&server).signed();
    let (status, body) = grant(
        &server,
        &secret,
        &encode(&xml),
        "openid email offline_access",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["refresh_token"].is_string(), "offline_access: {body}");
    let claims = verify_jws_with_jwks(&server, body["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["aud"], "app");
    let info = userinfo_get(&server, body["access_token"].as_str().unwrap()).await;
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(claims["sub"], info["sub"]);
}

#[tokio::test]
async fn rfc7522_2_1_the_assertion_is_accepted_with_or_without_base64url_padding() {
    let (server, secret) = server().await;
    // Lengths 0, 1 and 2 modulo 3 give no, two and one pad characters.
    for pad in ["", "x", "xy"] {
        let mut spec = spec(&server);
        spec.id.push_str(pad);
        let xml = spec.signed();
        let (status, body) = grant(&server, &secret, &encode_padded(&xml), "openid").await;
        assert_eq!(status, 200, "padded {body}");
    }
    let (status, body) = grant(&server, &secret, "not base64url!", "openid").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, body) = grant(&server, &secret, &encode("<saml:Assertion"), "openid").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
}

#[tokio::test]
async fn rfc6749_3_3_scopes_are_those_requested_that_the_idp_and_the_client_may_have() {
    let (server, secret) = server().await;
    // phone: the client's, not the IdP's; profile: the IdP's, not the client's.
    let xml = spec(&server).signed();
    let (status, body) = grant(
        &server,
        &secret,
        &encode(&xml),
        "openid phone profile email",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "openid email");
    assert!(
        body.get("refresh_token").is_none(),
        "no offline_access: {body}"
    );
}

#[tokio::test]
async fn the_email_mapping_finds_the_user_with_that_verified_email() {
    let (server, secret) = server().await;
    let mut spec = spec(&server);
    spec.issuer = "urn:email-idp".into();
    spec.name_id = "Alice@Example.com".into();
    let (status, body) = grant(&server, &secret, &encode(&spec.signed()), "openid").await;
    assert_eq!(status, 200, "{body}");
    let claims = verify_jws_with_jwks(&server, body["id_token"].as_str().unwrap()).await;
    let info = userinfo_get(&server, body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["sub"], info["sub"]);
    // Under the username mapping, the same NameID names nobody.
    let mut by_username = self::spec(&server);
    by_username.name_id = "alice@example.com".into();
    refused(&server, &secret, &by_username.signed(), "names no user").await;
}

#[tokio::test]
async fn rfc7522_3_item_6_a_replayed_assertion_is_refused() {
    let (server, secret) = server().await;
    let assertion = encode(&spec(&server).signed());
    let (status, _) = grant(&server, &secret, &assertion, "openid").await;
    assert_eq!(status, 200);
    let (status, body) = grant(&server, &secret, &assertion, "openid").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("used before"),
        "{body}"
    );
}

#[tokio::test]
async fn rfc7522_3_item_9_a_signature_by_another_key_or_a_changed_assertion_is_refused() {
    let (server, secret) = server().await;
    refused(
        &server,
        &secret,
        &spec(&server).signed_by("other"),
        "signature",
    )
    .await;
    let changed = spec(&server).signed().replace(">alice<", ">admin<");
    refused(&server, &secret, &changed, "does not verify").await;
    let unsigned = spec(&server).xml_with("");
    refused(
        &server,
        &secret,
        &unsigned,
        "exactly one enveloped signature",
    )
    .await;
}

#[tokio::test]
async fn sha1_signatures_and_digests_are_refused() {
    let (server, secret) = server().await;
    let mut sha1 = spec(&server);
    sha1.signature_alg = RSA_SHA1.into();
    refused(&server, &secret, &sha1.signed(), "algorithm").await;
    let mut sha1_digest = spec(&server);
    sha1_digest.digest_alg = SHA1.into();
    refused(&server, &secret, &sha1_digest.signed(), "algorithm").await;
}

#[tokio::test]
async fn rfc7522_3_item_1_an_unknown_issuer_is_refused() {
    let (server, secret) = server().await;
    let mut spec = spec(&server);
    spec.issuer = "https://idp.example.test/other".into();
    refused(
        &server,
        &secret,
        &spec.signed(),
        "not a configured identity provider",
    )
    .await;
}

#[tokio::test]
async fn rfc7522_3_item_2_an_audience_other_than_us_is_refused() {
    let (server, secret) = server().await;
    let mut spec = spec(&server);
    spec.audience = "https://rp.example.test".into();
    refused(&server, &secret, &spec.signed(), "AudienceRestriction").await;
    // The token endpoint names us too.
    let mut token_endpoint = self::spec(&server);
    token_endpoint.audience = format!("{}/token", server.base);
    let (status, body) = grant(&server, &secret, &encode(&token_endpoint.signed()), "").await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn rfc7522_3_item_5_the_bearer_confirmation_must_be_to_our_token_endpoint() {
    let (server, secret) = server().await;
    let mut recipient = spec(&server);
    recipient.recipient = format!("{}/other", server.base);
    refused(&server, &secret, &recipient.signed(), "Recipient").await;
    let mut method = spec(&server);
    method.method = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key".into();
    refused(&server, &secret, &method.signed(), "Method bearer").await;
}

#[tokio::test]
async fn rfc7522_3_item_6_expired_or_not_yet_valid_assertions_are_refused() {
    let (server, secret) = server().await;
    let now = server.clock.now();
    let mut confirmation = spec(&server);
    confirmation.confirmation_until = now - 120;
    refused(
        &server,
        &secret,
        &confirmation.signed(),
        "SubjectConfirmation has expired",
    )
    .await;
    let mut conditions = spec(&server);
    conditions.not_before = now - 900;
    conditions.not_on_or_after = now - 120;
    refused(
        &server,
        &secret,
        &conditions.signed(),
        "expired (Conditions NotOnOrAfter)",
    )
    .await;
    let mut early = spec(&server);
    early.not_before = now + 300;
    refused(&server, &secret, &early.signed(), "not valid yet").await;
}

#[tokio::test]
async fn rfc7522_3_item_11_an_unknown_condition_is_refused() {
    let (server, secret) = server().await;
    let mut spec = spec(&server);
    spec.extra_conditions = r#"<saml:Condition xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:x="urn:x" xsi:type="x:Custom"/>"#.into();
    refused(&server, &secret, &spec.signed(), "does not understand").await;
}

#[tokio::test]
async fn a_client_that_did_not_register_the_grant_is_refused() {
    let (server, _) = server().await;
    let other = server
        .add_client("other", |c| {
            c.grant_types = vec!["authorization_code".into()]
        })
        .await;
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("other", Some(&other))
        .form(&[
            ("grant_type", SAML2_BEARER),
            ("assertion", &encode(&spec(&server).signed())),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized_client", "{body}");
}

#[tokio::test]
async fn discovery_lists_the_grant_only_when_an_idp_is_trusted() {
    let (with_idp, _) = server().await;
    let without = TestServer::start().await;
    for (server, listed) in [(&with_idp, true), (&without, false)] {
        let metadata: Value = reqwest::get(server.url("/.well-known/openid-configuration"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let grants = metadata["grant_types_supported"].as_array().unwrap();
        assert_eq!(grants.contains(&SAML2_BEARER.into()), listed, "{grants:?}");
    }
    // Without an IdP the grant does not run at all.
    let secret = without
        .add_client("app", |c| c.grant_types = vec!["authorization_code".into()])
        .await;
    let (status, body) = grant(&without, &secret, "eA", "openid").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
}

// ---- Signature wrapping: what is used is exactly what was signed --------------------------

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

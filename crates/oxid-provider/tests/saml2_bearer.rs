//! The SAML 2.0 bearer assertion grant (RFC 7522) over HTTP: assertions signed by `xmlsec1`
//! (see `saml_idp`), one test per check, accepting and rejecting. The signature-wrapping
//! attacks are in `saml2_bearer_wrapping.rs`.

mod common;
mod saml_idp;

use common::*;
use oxid_provider::clock::Clock;
use saml_idp::grant::*;
use saml_idp::*;
use serde_json::Value;

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
    // RFC 6749 §5.2: a missing parameter is invalid_request.
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("app", Some(&secret))
        .form(&[("grant_type", SAML2_BEARER)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
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
    // The shared subject mapping compares the address exactly (as the JWT bearer grant does).
    spec.name_id = "alice@example.com".into();
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

#[tokio::test]
async fn rfc8707_2_the_resource_is_the_tokens_audience_and_an_unknown_one_is_invalid_target() {
    const RECORDS: &str = "https://api.example.com/records";
    let server = TestServer::start_with(|s| {
        s.saml_idps = vec![idp_setting(
            IDP,
            oxid_provider::saml::SubjectMapping::Username,
        )];
        s.resources = vec![oxid_provider::resources::ResourceSetting {
            identifier: RECORDS.into(),
            scopes: vec![],
            access_token_format: None,
            alg: None,
            lifetime: None,
            introspection_clients: vec![],
        }];
    })
    .await;
    let secret = server
        .add_client("app", |c| {
            c.grant_types = vec![SAML2_BEARER.into()];
            c.redirect_uris = Vec::new();
        })
        .await;
    let assertion = encode(&spec(&server).signed());
    let post = |resource: &'static str| {
        let (server, secret, assertion) = (&server, &secret, &assertion);
        async move {
            let response = reqwest::Client::new()
                .post(server.url("/token"))
                .basic_auth("app", Some(secret))
                .form(&[
                    ("grant_type", SAML2_BEARER),
                    ("assertion", assertion.as_str()),
                    ("scope", "openid"),
                    ("resource", resource),
                ])
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    // Refused before the assertion's ID is remembered: the same assertion then works.
    let (status, body) = post("https://elsewhere.example.com/").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_target"))
    );
    let (status, body) = post(RECORDS).await;
    assert_eq!(status, 200, "{body}");
    let claims = verify_jws_with_jwks(&server, body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["aud"], RECORDS);
}

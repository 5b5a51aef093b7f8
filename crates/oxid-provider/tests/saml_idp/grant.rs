//! A test server trusting the test IdP, a client registered for the grant, and the token
//! request, for the SAML bearer grant's test files.

use oxid_provider::clock::Clock;
use oxid_provider::saml::{SamlIdpSetting, SubjectMapping};
use serde_json::Value;

use super::*;
use crate::common::*;

pub const SAML2_BEARER: &str = "urn:ietf:params:oauth:grant-type:saml2-bearer";
pub const IDP_SCOPES: [&str; 4] = ["openid", "email", "profile", "offline_access"];

pub fn idp_setting(entity_id: &str, mapping: SubjectMapping) -> SamlIdpSetting {
    SamlIdpSetting {
        entity_id: entity_id.into(),
        certificate_file: fixture("idp-cert.pem"),
        subject_mapping: mapping,
        scopes: IDP_SCOPES.iter().map(|s| s.to_string()).collect(),
    }
}

/// A server trusting [`IDP`] (NameID = username) and `urn:email-idp` (NameID = email), with
/// client `app` registered for the grant and allowed `openid email phone offline_access`.
pub async fn server() -> (TestServer, String) {
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
pub fn spec(server: &TestServer) -> AssertionSpec {
    AssertionSpec::new(&server.base, server.clock.now(), USER)
}

/// The token request with `assertion` (already encoded) by client `app`.
pub async fn grant(
    server: &TestServer,
    secret: &str,
    assertion: &str,
    scope: &str,
) -> (u16, Value) {
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
pub async fn refused(server: &TestServer, secret: &str, xml: &str, why: &str) {
    let (status, body) = grant(server, secret, &encode(xml), "openid").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant", "{body}");
    let description = body["error_description"].as_str().unwrap_or_default();
    assert!(
        description.contains(why),
        "{description:?} should say {why:?}"
    );
}

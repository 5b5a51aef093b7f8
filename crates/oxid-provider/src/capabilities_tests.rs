//! The table test: discovery and enforcement cannot disagree. Every value of every enum,
//! advertised or not, is put to its enforcement point: what discovery lists is accepted there,
//! and what it does not list is refused. Run on two deployments (the defaults, and one that
//! narrows PKCE and the signing algorithms) so that "not advertised" is never an empty set.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use oxid_protocol::params::Params;
use oxid_protocol::token::TokenRequest;
use tower::ServiceExt;

use super::*;
use crate::admin::{NewClient, add_client};
use crate::authorize::{AuthorizeOutcome, ReceivedAuthorization, authorize};
use crate::client_auth::authenticate_client;
use crate::discovery::metadata;
use crate::grants::{GrantContext, dispatch};
use crate::issuer::Issuer;
use crate::state::Provider;
use crate::test_support::{
    REDIRECT, T0, bob, provider_with_keys, secret_of, session_of, stored_client, verified_as,
};

/// A PKCE challenge valid for both methods (RFC 7636 §4.2: 43 characters).
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

async fn deployments() -> Vec<Provider> {
    vec![
        provider_with_keys(|_| {}).await,
        provider_with_keys(|s| {
            s.allow_plain_pkce = false;
            s.keys.algs = vec!["RS256".into()];
            s.grants.password = true;
            // RFC 7522: the SAML bearer grant runs once an identity provider is trusted.
            s.saml_idps = vec![crate::saml::SamlIdpSetting {
                entity_id: "https://idp.example.test".into(),
                certificate_file: concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../oxid-xmldsig/tests/fixtures/saml/idp-cert.pem"
                )
                .into(),
                subject_mapping: crate::saml::SubjectMapping::Username,
                scopes: vec!["openid".into()],
            }];
            s.trusted_issuers = vec![
                toml::from_str(
                    "issuer = \"https://idp.example\"\n\
                     jwks_uri = \"https://idp.example/jwks\"\nsubject_mapping = \"username\"",
                )
                .unwrap(),
            ];
            s.token_exchange = vec![toml::from_str("client_id = \"all\"").unwrap()];
        })
        .await,
    ]
}

/// Registers a client named `id` with `adjust` applied to a confidential code-flow client;
/// the record when registration accepts it.
async fn register(
    provider: &Provider,
    id: impl Into<String>,
    adjust: impl FnOnce(&mut NewClient),
) -> Option<oxid_store::ClientRecord> {
    let mut new = NewClient {
        client_id: id.into(),
        redirect_uris: vec![REDIRECT.into()],
        ..NewClient::default()
    };
    adjust(&mut new);
    let caps = provider.capabilities();
    let added = add_client(caps, provider.store(), provider.secret_box(), new, T0).await;
    added.ok().map(|(record, _)| record)
}

fn names<T>(values: &[T], name: impl Fn(&T) -> &'static str) -> Vec<String> {
    values.iter().map(|v| name(v).to_string()).collect()
}

#[tokio::test]
async fn discovery_lists_exactly_the_table() {
    for provider in deployments().await {
        let caps = provider.capabilities();
        let md = metadata(provider.config(), caps);
        let auth = |endpoint| names(&caps.auth(endpoint).methods, |m| m.as_str());
        let algs = |endpoint| names(&caps.auth(endpoint).signing_algs, |a| a.as_str());
        let members = [
            (
                &md.grant_types_supported,
                names(&caps.grant_types, |g| g.as_str()),
            ),
            (
                &md.response_types_supported,
                names(&caps.response_types, |r| r.as_str()),
            ),
            (
                &md.response_modes_supported,
                names(&caps.response_modes, |m| m.as_str()),
            ),
            (
                &md.code_challenge_methods_supported,
                names(&caps.pkce_methods, |m| m.as_str()),
            ),
            (
                &md.id_token_signing_alg_values_supported,
                names(&caps.id_token_algs, |a| a.as_str()),
            ),
            (
                &md.scopes_supported,
                caps.scope_names().map(String::from).collect(),
            ),
            (&md.claims_supported, caps.claims.clone()),
            (
                &md.token_endpoint_auth_methods_supported,
                auth(AuthEndpoint::Token),
            ),
            (
                &md.revocation_endpoint_auth_methods_supported,
                auth(AuthEndpoint::Revocation),
            ),
            (
                &md.introspection_endpoint_auth_methods_supported,
                auth(AuthEndpoint::Introspection),
            ),
            (
                &md.token_endpoint_auth_signing_alg_values_supported,
                algs(AuthEndpoint::Token),
            ),
            (
                &md.revocation_endpoint_auth_signing_alg_values_supported,
                algs(AuthEndpoint::Revocation),
            ),
            (
                &md.introspection_endpoint_auth_signing_alg_values_supported,
                algs(AuthEndpoint::Introspection),
            ),
        ];
        for (listed, table) in members {
            assert_eq!(listed.as_ref(), Some(&table));
        }
        let features = &caps.features;
        assert_eq!(
            md.claims_parameter_supported,
            Some(features.claims_parameter)
        );
        assert_eq!(
            md.request_parameter_supported,
            Some(features.request_objects)
        );
        assert_eq!(md.registration_endpoint, None, "registration is off");
        // RFC 8628 §4: the device authorization endpoint exactly when its grant runs.
        assert_eq!(
            md.device_authorization_endpoint.is_some(),
            caps.supports_grant(GrantType::DeviceCode)
        );
    }
}

#[tokio::test]
async fn registration_is_served_exactly_when_advertised() {
    use crate::config::RegistrationMode;
    for mode in [RegistrationMode::Closed, RegistrationMode::Open] {
        let provider = provider_with_keys(|s| s.registration = mode).await;
        let caps = provider.capabilities();
        let md = metadata(provider.config(), caps);
        assert_eq!(
            md.registration_endpoint.is_some(),
            caps.features.registration
        );
        let body = format!(r#"{{"redirect_uris": ["{REDIRECT}"]}}"#);
        let request = Request::post("/register")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        let response = crate::http::router(provider.clone())
            .oneshot(request)
            .await
            .unwrap();
        let expected = if caps.features.registration {
            StatusCode::CREATED
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(response.status(), expected, "{mode:?}");
    }
}

/// A form with every parameter any grant needs, so that only `grant_type` decides.
fn token_request(grant: GrantType) -> TokenRequest {
    let form = format!(
        "grant_type={}&code=c&redirect_uri={REDIRECT}&refresh_token=r&assertion=a&\
         device_code=d&subject_token=s&\
         subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token&\
         username=alice&password=p",
        url::form_urlencoded::byte_serialize(grant.as_str().as_bytes()).collect::<String>()
    );
    TokenRequest::from_params(&Params::parse_form(form.as_bytes()).unwrap()).unwrap()
}

#[tokio::test]
async fn every_grant_is_run_when_advertised_and_refused_otherwise() {
    for provider in deployments().await {
        let caps = provider.capabilities();
        let auth = ClientAuthMethod::ClientSecretBasic;
        let all = verified_as(
            &provider,
            "all",
            auth,
            GrantType::ALL,
            &[ResponseType::CODE],
        );
        let client = all.await;
        for grant in GrantType::ALL.iter().copied() {
            let ctx = GrantContext::new(&provider, &client, T0);
            let outcome = dispatch(&ctx, token_request(grant)).await;
            let refused_as_unsupported = outcome
                .as_ref()
                .is_err_and(|e| e.code() == "unsupported_grant_type");
            // `implicit` is a registration value: its enforcement point is the authorization
            // endpoint (response types with a token), never the token endpoint.
            let runs = caps.supports_grant(grant) && grant != GrantType::Implicit;
            assert_eq!(
                !refused_as_unsupported, runs,
                "{grant} at the token endpoint"
            );
            // Registration accepts exactly the advertised grants.
            let registered = register(&provider, format!("reg-{grant}"), |c| {
                c.grant_types = vec![grant.as_str().into()];
            });
            let registered = registered.await.is_some();
            assert_eq!(
                registered,
                caps.supports_grant(grant),
                "{grant} at registration"
            );
        }
    }
}

/// `GET /authorize` with `pairs` for `client_id`; the `error` of the redirect, if it is one.
async fn authorize_error(provider: &Provider, pairs: &[(&str, &str)]) -> Option<String> {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let request = Request::get(format!("/authorize?{query}"))
        .body(Body::empty())
        .unwrap();
    let response = crate::http::router(provider.clone())
        .oneshot(request)
        .await
        .unwrap();
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .map(str::to_string);
    match location.filter(|l| l.starts_with(REDIRECT)) {
        Some(location) => url::Url::parse(&location)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "error")
            .map(|(_, v)| v.into_owned()),
        None => {
            // Not sent back to the client: the login page, never an error page.
            assert_eq!(response.status(), StatusCode::OK, "{pairs:?}");
            None
        }
    }
}

/// An authorization request of `client_id` with `extra` pairs replacing the defaults.
async fn authorize_with(
    provider: &Provider,
    client_id: &str,
    extra: &[(&str, &str)],
) -> Option<String> {
    let mut pairs = vec![
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "s"),
        ("nonce", "n"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in extra {
        pairs.retain(|(n, _)| n != name);
        pairs.push((name, value));
    }
    authorize_error(provider, &pairs).await
}

#[tokio::test]
async fn every_response_type_mode_and_pkce_method_is_served_when_advertised() {
    for provider in deployments().await {
        let caps = provider.capabilities();
        // Registered (in the store directly) for everything, so only the table decides.
        stored_client(
            &provider,
            "everything",
            ClientAuthMethod::ClientSecretBasic,
            &[GrantType::AuthorizationCode, GrantType::Implicit],
            &ALL_RESPONSE_TYPES,
        )
        .await;
        for response_type in ALL_RESPONSE_TYPES {
            let error = authorize_with(
                &provider,
                "everything",
                &[("response_type", response_type.as_str())],
            )
            .await;
            let expected = (!caps.supports_response_type(response_type))
                .then(|| "unsupported_response_type".to_string());
            assert_eq!(error, expected, "response_type={response_type}");
            let registered = register(&provider, format!("reg-{response_type}"), |c| {
                c.response_types = vec![response_type.as_str().into()];
                // OIDC Registration §2: `code` with authorization_code, tokens with implicit.
                c.grant_types = [
                    (response_type.code(), GrantType::AuthorizationCode),
                    (
                        response_type.returns_tokens_from_authorization_endpoint(),
                        GrantType::Implicit,
                    ),
                ]
                .into_iter()
                .filter(|(needed, _)| *needed)
                .map(|(_, grant)| grant.as_str().into())
                .collect();
            });
            assert_eq!(
                registered.await.is_some(),
                caps.supports_response_type(response_type),
                "{response_type} at registration"
            );
        }
        for mode in ResponseMode::ALL.iter().copied() {
            let error =
                authorize_with(&provider, "everything", &[("response_mode", mode.as_str())]).await;
            let expected =
                (!caps.supports_response_mode(mode)).then(|| "invalid_request".to_string());
            assert_eq!(error, expected, "response_mode={mode}");
        }
        for method in PkceMethod::ALL.iter().copied() {
            let pairs = [("code_challenge_method", method.as_str())];
            let error = authorize_with(&provider, "everything", &pairs).await;
            let expected = (!caps.supports_pkce(method)).then(|| "invalid_request".to_string());
            assert_eq!(error, expected, "code_challenge_method={method}");
        }
    }
}

/// The parameters of the authorization endpoint's answer to `pairs` for a browser whose
/// session is `session`, from the redirect's query or fragment as the response mode says.
async fn answer(
    provider: &Provider,
    session: &str,
    pairs: &[(&str, &str)],
) -> Vec<(String, String)> {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let received = ReceivedAuthorization::from_query(&query);
    let outcome = authorize(provider, received, Some(session)).await.unwrap();
    let location = match outcome {
        AuthorizeOutcome::Redirect(location) => location,
        // form_post: the fields of the form.
        AuthorizeOutcome::FormPost {
            redirect_uri,
            params,
        } => {
            assert_eq!(redirect_uri, REDIRECT);
            return params;
        }
        outcome => panic!("{pairs:?}: not sent back to the client: {outcome:?}"),
    };
    let url = url::Url::parse(&location).unwrap();
    let value = |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
    let mode = crate::front_channel::response_mode(
        value("response_type").map(|rt| rt.parse().unwrap()),
        value("response_mode").map(|mode| mode.parse().unwrap()),
    );
    let encoded = match mode {
        ResponseMode::Fragment => url.fragment(),
        _ => url.query(),
    };
    url::form_urlencoded::parse(encoded.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

#[tokio::test]
async fn every_advertised_response_type_and_mode_is_answered_as_specified() {
    // OAuth 2.0 Multiple Response Types §3-§5: each part of the response type comes back,
    // in the place the response mode says. Accepting a request is not enough: the answer
    // must be what the table promised.
    for provider in deployments().await {
        let caps = provider.capabilities();
        let user = bob(&provider).await;
        let session = session_of(&provider, &user).await;
        let mut record = stored_client(
            &provider,
            "first-party",
            ClientAuthMethod::ClientSecretBasic,
            &[GrantType::AuthorizationCode, GrantType::Implicit],
            &ALL_RESPONSE_TYPES,
        )
        .await;
        record.skip_consent = true;
        provider.store().update_client(&record).await.unwrap();
        let mut requests: Vec<(ResponseType, Option<ResponseMode>)> =
            caps.response_types.iter().map(|rt| (*rt, None)).collect();
        for mode in &caps.response_modes {
            requests.extend(caps.response_types.iter().map(|rt| (*rt, Some(*mode))));
        }
        for (response_type, mode) in requests {
            let mut pairs = vec![
                ("client_id", "first-party"),
                ("redirect_uri", REDIRECT),
                ("response_type", response_type.as_str()),
                ("scope", "openid"),
                ("state", "s"),
                ("nonce", "n"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
            ];
            if let Some(mode) = mode {
                pairs.push(("response_mode", mode.as_str()));
            }
            let answer = answer(&provider, &session, &pairs).await;
            let has = |name: &str| answer.iter().any(|(k, _)| k == name);
            let what = format!("{response_type} in {mode:?}: {answer:?}");
            // Multiple Response Types §7: tokens never in the query; refused, in the fragment.
            if mode == Some(ResponseMode::Query)
                && response_type.returns_tokens_from_authorization_endpoint()
            {
                let error = answer.iter().find(|(k, _)| k == "error");
                assert_eq!(
                    error.map(|(_, v)| v.as_str()),
                    Some("invalid_request"),
                    "{what}"
                );
                assert!(!has("access_token") && !has("id_token"), "{what}");
                continue;
            }
            assert!(!has("error"), "{what}");
            assert!(has("state"), "{what}");
            assert_eq!(has("code"), response_type.code(), "{what}");
            assert_eq!(has("access_token"), response_type.token(), "{what}");
            assert_eq!(has("id_token"), response_type.id_token(), "{what}");
        }
    }
}

#[tokio::test]
async fn every_scope_is_granted_when_advertised() {
    for provider in deployments().await {
        let caps = provider.capabilities();
        // A client registered with the defaults may ask for every advertised scope.
        register(&provider, "defaults", |_| {}).await.unwrap();
        for scope in caps.scope_names() {
            let scopes = format!("openid {scope}");
            let error = authorize_with(&provider, "defaults", &[("scope", &scopes)]).await;
            assert_eq!(error, None, "scope {scope}");
        }
        let error = authorize_with(&provider, "defaults", &[("scope", "openid unknown")]).await;
        assert_eq!(error.as_deref(), Some("invalid_scope"));
    }
}

#[tokio::test]
async fn every_id_token_alg_signs_when_advertised() {
    for provider in deployments().await {
        let caps = provider.capabilities();
        let mut all_algs = SigningAlg::ASYMMETRIC.to_vec();
        all_algs.push(SigningAlg::HS256);
        for alg in all_algs {
            let registered = register(&provider, format!("alg-{}", alg.as_str()), |c| {
                c.client_secret = Some("a-client-secret-of-more-than-32-bytes".into());
                c.id_token_signed_response_alg = Some(alg.as_str().into());
            });
            let registered = registered.await;
            assert_eq!(
                registered.is_some(),
                caps.supports_id_token_alg(alg),
                "{} at registration",
                alg.as_str()
            );
            // What registration accepts, the issuer can sign.
            if let Some(record) = registered {
                let client = crate::client::Client::from_record(record).unwrap();
                let issuer = Issuer::for_provider(&provider, T0);
                let signed = issuer.logout_token(&client, "sub", "sid", "jti-1");
                assert!(signed.is_ok(), "{} signs", alg.as_str());
            }
        }
    }
}

#[tokio::test]
async fn every_userinfo_alg_signs_when_advertised_oidc_core_5_3_2() {
    for provider in deployments().await {
        let caps = provider.capabilities();
        let advertised = metadata(provider.config(), caps).userinfo_signing_alg_values_supported;
        let advertised = advertised.unwrap_or_default();
        let mut all_algs = SigningAlg::ASYMMETRIC.to_vec();
        all_algs.push(SigningAlg::HS256);
        for alg in all_algs {
            let name = alg.as_str();
            let registered = register(&provider, format!("ui-{name}"), |c| {
                c.client_secret = Some("a-client-secret-of-more-than-32-bytes".into());
                c.userinfo_signed_response_alg = Some(name.into());
            });
            let registered = registered.await;
            assert_eq!(
                registered.is_some(),
                advertised.iter().any(|a| a == name),
                "{name}"
            );
            assert_eq!(
                caps.userinfo_algs.contains(&alg),
                registered.is_some(),
                "{name}"
            );
            if let Some(record) = registered {
                let client = crate::client::Client::from_record(record).unwrap();
                assert_eq!(client.userinfo_signed_response_alg(), Some(alg));
                let issuer = Issuer::for_provider(&provider, T0);
                let signed = issuer.userinfo_jwt(&client, alg, Default::default());
                assert!(signed.is_ok(), "{name} signs");
            }
        }
        // `none` is listed, and means what no registration means: plain JSON.
        assert_eq!(advertised.first().map(String::as_str), Some("none"));
        let plain = register(&provider, "ui-none", |c| {
            c.userinfo_signed_response_alg = Some("none".into());
        });
        let record = plain.await.expect("none is registrable");
        let client = crate::client::Client::from_record(record).unwrap();
        assert_eq!(client.userinfo_signed_response_alg(), None);
    }
}
#[path = "capabilities_auth_tests.rs"]
mod auth;

//! The table test for client authentication: every method and every assertion algorithm is
//! accepted at an endpoint exactly when the table (and so discovery) lists it there.

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use oxid_protocol::params::Params;

use super::*;
use crate::test_support::client_assertion_of;

/// The credentials of `method` for client `id`, as a request would carry them; a JWT method's
/// assertion is fresh (its own `jti`) and addressed to the issuer, which every endpoint
/// accepts.
fn credentials(provider: &Provider, id: &str, method: ClientAuthMethod) -> (HeaderMap, Params) {
    let mut headers = HeaderMap::new();
    let form = match method {
        ClientAuthMethod::None => format!("client_id={id}"),
        ClientAuthMethod::ClientSecretBasic => {
            let basic = STANDARD.encode(format!("{id}:{}", secret_of(id)));
            let value = HeaderValue::from_str(&format!("Basic {basic}")).unwrap();
            headers.insert(header::AUTHORIZATION, value);
            String::new()
        }
        ClientAuthMethod::ClientSecretPost => {
            format!("client_id={id}&client_secret={}", secret_of(id))
        }
        ClientAuthMethod::ClientSecretJwt | ClientAuthMethod::PrivateKeyJwt => {
            let assertion = client_assertion_of(provider, id, method);
            format!(
                "client_id={id}&client_assertion={assertion}&client_assertion_type=\
                 urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
            )
        }
    };
    (headers, Params::parse_form(form.as_bytes()).unwrap())
}

#[tokio::test]
async fn every_auth_method_is_accepted_where_advertised() {
    for provider in deployments().await {
        let caps = provider.capabilities();
        for method in ClientAuthMethod::ALL.iter().copied() {
            let id = format!("auth-{method}");
            stored_client(&provider, &id, method, &[GrantType::AuthorizationCode], &[]).await;
            for endpoint in AuthEndpoint::ALL {
                let (headers, params) = credentials(&provider, &id, method);
                let outcome = authenticate_client(&provider, endpoint, &headers, &params).await;
                assert_eq!(
                    outcome.is_ok(),
                    caps.accepts_auth(endpoint, method),
                    "{method} at {endpoint:?}"
                );
                if let Err(e) = outcome {
                    assert_eq!(e.code(), "invalid_client", "{method} at {endpoint:?}");
                }
            }
            let registered = register(&provider, format!("reg-{method}"), |c| {
                c.public = method == ClientAuthMethod::None;
                c.auth_method = Some(method.as_str().into());
                // private_key_jwt is registered with the client's keys.
                if method == ClientAuthMethod::PrivateKeyJwt {
                    c.jwks_uri = Some("https://rp.example/jwks".into());
                }
            });
            assert_eq!(
                registered.await.is_some(),
                caps.registrable_auth(method),
                "{method} at registration"
            );
        }
    }
}

#[tokio::test]
async fn every_assertion_alg_is_accepted_where_advertised() {
    use oxid_client::{JwsAlgorithm, SigningKey};
    // One RSA key for every RSA algorithm: generation is slow.
    let rsa = SigningKey::generate(JwsAlgorithm::RS256, None).unwrap();
    let rsa_der = rsa.to_pkcs8().unwrap();
    for provider in deployments().await {
        let caps = provider.capabilities();
        for alg in JwsAlgorithm::ALL.iter().copied() {
            let id = format!("assert-{alg}");
            let (method, key) = match alg.key_type() {
                "oct" => (
                    ClientAuthMethod::ClientSecretJwt,
                    SigningKey::hmac(alg, secret_of(&id).as_bytes(), None),
                ),
                "RSA" => (
                    ClientAuthMethod::PrivateKeyJwt,
                    SigningKey::from_pkcs8(alg, &rsa_der, Some("k".into())),
                ),
                _ => (
                    ClientAuthMethod::PrivateKeyJwt,
                    SigningKey::generate(alg, Some("k".into())),
                ),
            };
            let key = key.unwrap();
            let grants = [GrantType::ClientCredentials];
            let mut record = stored_client(&provider, &id, method, &grants, &[]).await;
            if let Some(jwk) = key.public_jwk() {
                record.metadata = serde_json::json!({"jwks": {"keys": [jwk]}});
                provider.store().update_client(&record).await.unwrap();
            }
            let advertised = |endpoint| {
                SigningAlg::try_from(alg)
                    .is_ok_and(|alg| caps.auth(endpoint).signing_algs.contains(&alg))
                    && caps.accepts_auth(endpoint, method)
            };
            for endpoint in AuthEndpoint::ALL {
                let claims = serde_json::json!({
                    "iss": id, "sub": id, "aud": provider.config().issuer,
                    "jti": format!("{endpoint:?}"), "iat": T0, "exp": T0 + 60,
                });
                let assertion = key
                    .sign_compact(Some("JWT"), serde_json::Map::new(), &claims)
                    .unwrap();
                let form = format!(
                    "client_id={id}&client_assertion={assertion}&client_assertion_type=\
                     urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
                );
                let params = Params::parse_form(form.as_bytes()).unwrap();
                let outcome =
                    authenticate_client(&provider, endpoint, &HeaderMap::new(), &params).await;
                assert_eq!(
                    outcome.is_ok(),
                    advertised(endpoint),
                    "{alg} at {endpoint:?}: {outcome:?}"
                );
            }
        }
    }
}

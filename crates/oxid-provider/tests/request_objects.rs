//! Request objects (OIDC Core §6, RFC 9101) through a real server: by value (`request`) and
//! by reference (a pre-registered `request_uri` served on 127.0.0.1), at the authorization
//! endpoint and pushed (RFC 9126 §3); each verification rule accepting and refusing; the
//! client metadata and discovery. Objects are signed by our own client library here, and by
//! panva's `jose` in `signed_by_jose_is_accepted` (an independent implementation).

mod common;

use common::assertions::{jwks, key, rand_suffix};
use common::trusted::{JoseKey, jose_available};
use common::*;
use oxid_client::jws::JwsAlgorithm;
use oxid_client::signing::SigningKey;
use oxid_protocol::params::encode_pairs;
use oxid_provider::clock::Clock;
use serde_json::{Map, Value, json};

/// A server whose outbound fetches may reach 127.0.0.1 (the test's request_uri server).
async fn server() -> TestServer {
    TestServer::start_with(|s| s.outbound.allow_private_addresses = true).await
}

/// Registers `id` with `key`'s public half and `request_object_signing_alg` = `alg` (when
/// given), `request_uris` = `uris`; its secret.
async fn client(
    server: &TestServer,
    id: &str,
    key: Option<&SigningKey>,
    alg: Option<&str>,
    uris: &[String],
) -> String {
    server
        .add_client(id, |c| {
            c.jwks = key.map(|k| jwks(&[k]));
            c.request_object_signing_alg = alg.map(str::to_string);
            c.request_uris = uris.to_vec();
        })
        .await
}

/// Good request-object claims of `client_id`: the code flow with PKCE, aud the issuer,
/// 60 s to live, a fresh jti.
fn claims(server: &TestServer, client_id: &str) -> Map<String, Value> {
    let now = server.clock.now();
    json!({
        "iss": client_id,
        "aud": server.base,
        "iat": now,
        "nbf": now,
        "exp": now + 60,
        "jti": format!("jti-{}", rand_suffix()),
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "openid email",
        "state": "inside-state",
        "nonce": "inside-nonce",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    })
    .as_object()
    .unwrap()
    .clone()
}

/// A change made to good claims.
type Change = Box<dyn Fn(&mut Map<String, Value>)>;

fn sign(key: &SigningKey, claims: &Map<String, Value>) -> String {
    key.sign_compact(
        Some("oauth-authz-req+jwt"),
        Map::new(),
        &Value::Object(claims.clone()),
    )
    .unwrap()
}

async fn authorize(
    server: &TestServer,
    browser: &reqwest::Client,
    pairs: &[(&str, &str)],
) -> reqwest::Response {
    let query = encode_pairs(pairs.iter().copied());
    browser
        .get(server.url(&format!("/authorize?{query}")))
        .send()
        .await
        .unwrap()
}

/// Runs the login and consent pages; the code in the redirect, whose state must be `state`.
async fn code_of(
    server: &TestServer,
    browser: &reqwest::Client,
    response: reqwest::Response,
    state: &str,
) -> String {
    let done = answer_pages(server, browser, response, "allow").await;
    assert_eq!(done.status(), 303);
    let (base, params) = location_params(&done);
    assert_eq!(base, REDIRECT);
    assert_eq!(params.get("state"), Some(state), "{params:?}");
    params.get("code").expect("code").to_string()
}

/// The `error` of a redirect to the client (OIDC Core §3.1.2.6), with its description valid.
fn redirected_error(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), 303);
    let (base, params) = location_params(response);
    assert_eq!(base, REDIRECT);
    assert!(params.get("code").is_none());
    let description = params.get("error_description").unwrap_or_default();
    assert!(valid_error_text(description), "{description}");
    params.get("error").expect("error").to_string()
}

/// A request by value with the outer OpenID parameters (OIDC Core §6.1); the error it gets.
async fn refused_by_value(server: &TestServer, client_id: &str, object: &str) -> String {
    let browser = server.browser();
    let pairs = [
        ("client_id", client_id),
        ("response_type", "code"),
        ("scope", "openid"),
        ("redirect_uri", REDIRECT),
        ("state", "outer-state"),
        ("request", object),
    ];
    redirected_error(&authorize(server, &browser, &pairs).await)
}

/// Serves `body` at `/ro` on 127.0.0.1; the URL.
async fn serve(body: String) -> String {
    use axum::routing::get;
    let app = axum::Router::new().route("/ro", get(move || async move { body }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/ro", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn signed_request_object_by_value_runs_the_code_flow_and_its_values_win() {
    // OIDC Core §6.1, §6.3.3: the object's parameters win over the same ones outside it.
    let server = server().await;
    let rp_key = key(JwsAlgorithm::RS256, "rp-1");
    let secret = client(&server, "rp", Some(&rp_key), Some("RS256"), &[]).await;
    let object = sign(&rp_key, &claims(&server, "rp"));
    let browser = server.browser();
    let pairs = [
        ("client_id", "rp"),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "outer-state"),
        ("redirect_uri", "https://evil.example.com/callback"),
        ("request", object.as_str()),
    ];
    let response = authorize(&server, &browser, &pairs).await;
    let code = code_of(&server, &browser, response, "inside-state").await;
    let (status, tokens) = exchange_code(&server, "rp", &secret, &code).await;
    assert_eq!(status, 200, "{tokens}");
    let id_claims = verify_jws_with_jwks(&server, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(id_claims["nonce"], "inside-nonce");
}

#[tokio::test]
async fn plain_jar_request_uses_only_the_object() {
    // RFC 9101 §6.3, as openid-client sends it: client_id and request alone.
    let server = server().await;
    let rp_key = key(JwsAlgorithm::ES256, "rp-es");
    client(&server, "rp", Some(&rp_key), None, &[]).await;
    let object = sign(&rp_key, &claims(&server, "rp"));
    let browser = server.browser();
    let response = authorize(
        &server,
        &browser,
        &[("client_id", "rp"), ("request", &object)],
    )
    .await;
    code_of(&server, &browser, response, "inside-state").await;
}

#[tokio::test]
async fn alg_none_only_from_a_client_that_registered_it() {
    // OIDC Core §6.1; issue 15: `none` only when registered.
    let server = server().await;
    let rp_key = key(JwsAlgorithm::RS256, "rp-1");
    client(&server, "signer", Some(&rp_key), Some("RS256"), &[]).await;
    client(&server, "any", Some(&rp_key), None, &[]).await;
    client(&server, "open", None, Some("none"), &[]).await;
    for id in ["signer", "any"] {
        let object = unsigned_request_object(&Value::Object(claims(&server, id)));
        assert_eq!(
            refused_by_value(&server, id, &object).await,
            "invalid_request_object"
        );
    }
    let object = unsigned_request_object(&Value::Object(claims(&server, "open")));
    let browser = server.browser();
    let response = authorize(
        &server,
        &browser,
        &[("client_id", "open"), ("request", &object)],
    )
    .await;
    code_of(&server, &browser, response, "inside-state").await;
}

#[tokio::test]
async fn claims_are_checked() {
    // RFC 9101 §4 (iss, aud), RFC 7519 §4.1.4 (exp), §4.1.5 (nbf), RFC 9101 §5 (client_id).
    let server = server().await;
    let rp_key = key(JwsAlgorithm::RS256, "rp-1");
    client(&server, "rp", Some(&rp_key), Some("RS256"), &[]).await;
    let now = server.clock.now();
    let cases: Vec<(&str, Change)> = vec![
        (
            "wrong aud",
            Box::new(|c| {
                c.insert("aud".into(), json!("https://other.example.com"));
            }),
        ),
        (
            "no aud",
            Box::new(|c| {
                c.remove("aud");
            }),
        ),
        (
            "wrong iss",
            Box::new(|c| {
                c.insert("iss".into(), json!("someone-else"));
            }),
        ),
        (
            "expired",
            Box::new(move |c| {
                c.insert("exp".into(), json!(now - 120));
            }),
        ),
        (
            "no exp",
            Box::new(|c| {
                c.remove("exp");
            }),
        ),
        (
            "exp too far",
            Box::new(move |c| {
                c.insert("exp".into(), json!(now + 7200));
            }),
        ),
        (
            "nbf ahead",
            Box::new(move |c| {
                c.insert("nbf".into(), json!(now + 600));
            }),
        ),
        (
            "client_id differs",
            Box::new(|c| {
                c.insert("client_id".into(), json!("other"));
            }),
        ),
        (
            "response_type differs",
            Box::new(|c| {
                c.insert("response_type".into(), json!("id_token"));
            }),
        ),
        (
            "nested request_uri",
            Box::new(|c| {
                c.insert("request_uri".into(), json!("https://x.example/ro"));
            }),
        ),
    ];
    for (case, change) in cases {
        let mut claims = claims(&server, "rp");
        change(&mut claims);
        let error = refused_by_value(&server, "rp", &sign(&rp_key, &claims)).await;
        assert_eq!(error, "invalid_request_object", "{case}");
    }
    // The unchanged claims pass, so each refusal above is the change's.
    let object = sign(&rp_key, &claims(&server, "rp"));
    let browser = server.browser();
    let response = authorize(
        &server,
        &browser,
        &[("client_id", "rp"), ("request", &object)],
    )
    .await;
    code_of(&server, &browser, response, "inside-state").await;
}

#[tokio::test]
async fn wrong_key_wrong_alg_and_replayed_jti_are_refused() {
    let server = server().await;
    let rp_key = key(JwsAlgorithm::RS256, "rp-1");
    client(&server, "rp", Some(&rp_key), Some("RS256"), &[]).await;
    // Another key under the same kid: the signature does not verify.
    let stranger = key(JwsAlgorithm::RS256, "rp-1");
    let object = sign(&stranger, &claims(&server, "rp"));
    assert_eq!(
        refused_by_value(&server, "rp", &object).await,
        "invalid_request_object"
    );
    // OIDC Registration §2: the registered alg only.
    let es = key(JwsAlgorithm::ES256, "rp-1");
    let object = sign(&es, &claims(&server, "rp"));
    assert_eq!(
        refused_by_value(&server, "rp", &object).await,
        "invalid_request_object"
    );
    // A jti is accepted once (the replay store of client assertions).
    let object = sign(&rp_key, &claims(&server, "rp"));
    let browser = server.browser();
    let first = authorize(
        &server,
        &browser,
        &[("client_id", "rp"), ("request", &object)],
    )
    .await;
    assert_eq!(first.status(), 200, "the login page");
    assert_eq!(
        refused_by_value(&server, "rp", &object).await,
        "invalid_request_object"
    );
}

#[tokio::test]
async fn hs256_objects_are_verified_with_the_client_secret() {
    let server = server().await;
    let secret = client(&server, "rp", None, Some("HS256"), &[]).await;
    let hmac = SigningKey::hmac(JwsAlgorithm::HS256, secret.as_bytes(), None).unwrap();
    let object = sign(&hmac, &claims(&server, "rp"));
    let browser = server.browser();
    let response = authorize(
        &server,
        &browser,
        &[("client_id", "rp"), ("request", &object)],
    )
    .await;
    code_of(&server, &browser, response, "inside-state").await;
    let wrong = SigningKey::hmac(
        JwsAlgorithm::HS256,
        b"not the secret of rp 0123456789abcdef",
        None,
    )
    .unwrap();
    let object = sign(&wrong, &claims(&server, "rp"));
    assert_eq!(
        refused_by_value(&server, "rp", &object).await,
        "invalid_request_object"
    );
}

#[tokio::test]
async fn errors_reach_the_client_only_through_a_trusted_redirect_uri() {
    // OIDC Core §3.1.2.6 with RFC 6749 §4.1.2.1: an unverifiable object cannot vouch for
    // its redirect_uri, so without a registered one beside it the error page says why.
    let server = server().await;
    let rp_key = key(JwsAlgorithm::RS256, "rp-1");
    client(&server, "rp", Some(&rp_key), Some("RS256"), &[]).await;
    let mut bad = claims(&server, "rp");
    bad.insert("aud".into(), json!("https://other.example.com"));
    let object = sign(&rp_key, &bad);
    let browser = server.browser();
    let page = authorize(
        &server,
        &browser,
        &[("client_id", "rp"), ("request", &object)],
    )
    .await;
    check_error_page_naming(page, "invalid_request_object").await;
    // An encrypted (5-part) object that does not decrypt with our keys is refused
    // (request_objects_encrypted.rs has the accepted ones).
    let jwe = "eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIn0.a.b.c.d";
    assert_eq!(
        refused_by_value(&server, "rp", jwe).await,
        "invalid_request_object"
    );
}

#[tokio::test]
async fn request_uri_is_fetched_when_registered() {
    // OIDC Core §6.2, RFC 9101 §5.2.
    let server = server().await;
    let rp_key = key(JwsAlgorithm::RS256, "rp-1");
    // The object must be signed before it is served; its claims need the server's clock only.
    let object = sign(&rp_key, &claims(&server, "rp"));
    let uri = serve(object).await;
    let registered = format!("{uri}#v1");
    client(&server, "rp", Some(&rp_key), Some("RS256"), &[registered]).await;
    let browser = server.browser();
    let response = authorize(
        &server,
        &browser,
        &[("client_id", "rp"), ("request_uri", &uri)],
    )
    .await;
    code_of(&server, &browser, response, "inside-state").await;
    // Not registered: never fetched.
    let other = format!("{uri}?other=1");
    let pairs = [
        ("client_id", "rp"),
        ("response_type", "code"),
        ("scope", "openid"),
        ("redirect_uri", REDIRECT),
        ("request_uri", other.as_str()),
    ];
    assert_eq!(
        redirected_error(&authorize(&server, &browser, &pairs).await),
        "invalid_request_uri"
    );
}

#[tokio::test]
async fn request_uri_answer_over_the_size_limit_is_refused() {
    let server = TestServer::start_with(|s| {
        s.outbound.allow_private_addresses = true;
        s.outbound.max_response_bytes = 4096;
    })
    .await;
    let uri = serve("a".repeat(5000)).await;
    client(
        &server,
        "rp",
        None,
        Some("none"),
        std::slice::from_ref(&uri),
    )
    .await;
    let pairs = [
        ("client_id", "rp"),
        ("response_type", "code"),
        ("scope", "openid"),
        ("redirect_uri", REDIRECT),
        ("request_uri", uri.as_str()),
    ];
    let browser = server.browser();
    assert_eq!(
        redirected_error(&authorize(&server, &browser, &pairs).await),
        "invalid_request_uri"
    );
}

#[tokio::test]
async fn request_uri_answer_too_slow_is_refused() {
    // The outbound time limit (`outbound.timeout_ms`) holds for request_uri fetches.
    let server = TestServer::start_with(|s| {
        s.outbound.allow_private_addresses = true;
        s.outbound.timeout_ms = 300;
    })
    .await;
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            "late"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}/slow", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    client(
        &server,
        "rp",
        None,
        Some("none"),
        std::slice::from_ref(&uri),
    )
    .await;
    let pairs = [
        ("client_id", "rp"),
        ("response_type", "code"),
        ("scope", "openid"),
        ("redirect_uri", REDIRECT),
        ("request_uri", uri.as_str()),
    ];
    let started = std::time::Instant::now();
    let browser = server.browser();
    let error = redirected_error(&authorize(&server, &browser, &pairs).await);
    assert_eq!(error, "invalid_request_uri");
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
}

#[tokio::test]
async fn pushed_request_object_runs_the_flow() {
    // RFC 9126 §3: `request` at the PAR endpoint; the pushed request holds its parameters.
    let server = server().await;
    let rp_key = key(JwsAlgorithm::RS256, "rp-1");
    let secret = client(&server, "rp", Some(&rp_key), Some("RS256"), &[]).await;
    let push = |object: String| {
        let secret = secret.clone();
        let url = server.url("/par");
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .basic_auth("rp", Some(secret))
                .form(&[("client_id", "rp"), ("request", object.as_str())])
                .send()
                .await
                .unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let (status, body) = push(sign(&rp_key, &claims(&server, "rp"))).await;
    assert_eq!(status, 201, "{body}");
    let request_uri = body["request_uri"].as_str().unwrap();
    let browser = server.browser();
    let response = authorize(
        &server,
        &browser,
        &[("client_id", "rp"), ("request_uri", request_uri)],
    )
    .await;
    let code = code_of(&server, &browser, response, "inside-state").await;
    assert_eq!(exchange_code(&server, "rp", &secret, &code).await.0, 200);
    // An unsigned one from this client is refused at the push.
    let (status, body) = push(unsigned_request_object(&Value::Object(claims(
        &server, "rp",
    ))))
    .await;
    assert_eq!(
        (status, error_of(&body)),
        (400, "invalid_request_object"),
        "{body}"
    );
}

#[tokio::test]
async fn require_signed_request_object_refuses_plain_requests() {
    // RFC 9101 §10.5, per client and for the deployment (then said in discovery).
    let server = server().await;
    let rp_key = key(JwsAlgorithm::RS256, "rp-1");
    server
        .add_client("strict", |c| {
            c.jwks = Some(jwks(&[&rp_key]));
            c.require_signed_request_object = Some(true);
        })
        .await;
    let browser = server.browser();
    let plain = authorize(
        &server,
        &browser,
        &[
            ("client_id", "strict"),
            ("response_type", "code"),
            ("scope", "openid"),
            ("redirect_uri", REDIRECT),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(redirected_error(&plain), "invalid_request");
    let object = sign(&rp_key, &claims(&server, "strict"));
    let signed = authorize(
        &server,
        &browser,
        &[("client_id", "strict"), ("request", &object)],
    )
    .await;
    code_of(&server, &browser, signed, "inside-state").await;

    let strict = TestServer::start_with(|s| s.require_signed_request_object = true).await;
    let document = discovery(&strict).await;
    assert_eq!(document["require_signed_request_object"], true);
    assert!(
        discovery(&server)
            .await
            .get("require_signed_request_object")
            .is_none()
    );
}

#[tokio::test]
async fn discovery_and_metadata() {
    let server = TestServer::start_with(|s| {
        s.registration = oxid_provider::config::RegistrationMode::Open;
    })
    .await;
    let document = discovery(&server).await;
    assert_eq!(document["request_parameter_supported"], true);
    assert_eq!(document["request_uri_parameter_supported"], true);
    assert_eq!(document["require_request_uri_registration"], true);
    for alg in ["RS256", "ES256", "PS256", "EdDSA", "HS256", "none"] {
        assert!(
            list_contains(
                &document,
                "request_object_signing_alg_values_supported",
                alg
            ),
            "{alg}"
        );
    }
    // Registration keeps the members, and refuses what cannot work.
    let rp_key = key(JwsAlgorithm::RS256, "rp-1");
    let ok = register(
        &server,
        None,
        &json!({
            "redirect_uris": [REDIRECT],
            "jwks": jwks(&[&rp_key]),
            "request_object_signing_alg": "RS256",
            "request_uris": ["https://rp.example.com/ro#1"],
        }),
    )
    .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(ok.body["request_object_signing_alg"], "RS256");
    assert_eq!(
        ok.body["request_uris"],
        json!(["https://rp.example.com/ro#1"])
    );
    for (bad, member) in [
        (
            json!({"request_object_signing_alg": "RS512"}),
            "request_object_signing_alg",
        ),
        (
            json!({"request_object_signing_alg": "ES256"}),
            "request_object_signing_alg",
        ),
        (
            json!({"request_uris": ["ftp://rp.example.com/ro"]}),
            "request_uris",
        ),
        // The outbound SSRF rule: a private address is never fetched.
        (
            json!({"request_uris": ["https://10.0.0.7/ro"]}),
            "request_uris",
        ),
        (
            json!({"request_uris": ["http://127.0.0.1/ro"]}),
            "request_uris",
        ),
        (
            json!({"request_object_signing_alg": "none", "require_signed_request_object": true}),
            "require_signed_request_object",
        ),
    ] {
        let mut metadata = bad.as_object().unwrap().clone();
        metadata.insert("redirect_uris".into(), json!([REDIRECT]));
        let answer = register(&server, None, &Value::Object(metadata)).await;
        assert_eq!(answer.status, 400, "{}", answer.body);
        assert_eq!(answer.body["error"], "invalid_client_metadata");
        let description = answer.body["error_description"].as_str().unwrap();
        assert!(description.contains(member), "{description}");
    }
}

#[tokio::test]
async fn signed_by_jose_is_accepted() {
    // An implementation independent of ours signs the object (PS256, the FAPI one).
    if !jose_available() {
        return;
    }
    let server = server().await;
    let jose = JoseKey::generate("PS256", "jose-1");
    server
        .add_client("rp", |c| {
            c.jwks = Some(json!({"keys": [jose.public]}));
            c.request_object_signing_alg = Some("PS256".into());
        })
        .await;
    let object = jose.sign(&claims(&server, "rp"));
    let browser = server.browser();
    let response = authorize(
        &server,
        &browser,
        &[("client_id", "rp"), ("request", &object)],
    )
    .await;
    code_of(&server, &browser, response, "inside-state").await;
}

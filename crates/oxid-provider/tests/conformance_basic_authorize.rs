//! The OpenID conformance suite's Basic OP plan, the modules about the authorization request
//! (OIDC Core §3.1.2): parameters, prompt, max_age, hints, locales, errors and request
//! objects. One test per module, named after it (see `docs/conformance.md`).
//!
//! The suite acts as a relying party with a static confidential client
//! (client_secret_basic) and sends no PKCE except in
//! `oidcc-ensure-request-with-valid-pkce-succeeds`. Oxid requires PKCE by default
//! (RFC 9700 §2.1.1), so these tests run the provider the way a certification run must
//! configure it: `require_pkce = false` (see
//! `conformance_basic::suite_request_without_pkce_needs_require_pkce_off`). The suite's
//! relying party and baseline checks are in `tests/common` (`suite`, `checks`).

mod common;

use common::*;
use oxid_protocol::params::encode_pairs;
use serde_json::json;

#[tokio::test]
async fn oidcc_ensure_post_request_succeeds() {
    // OIDC Core §3.1.2.1: the authorization endpoint supports POST (form-encoded).
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let body = encode_pairs(rp.request("openid"));
    let response = rp
        .browser
        .post(server.url("/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let response = rp.interact(response).await;
    let params = rp.callback(&response);
    rp.redeem(&params).await;
    // With the session now alive, a POST carrying an unknown parameter (RFC 6749 §3.1:
    // ignored) is answered with the code straight away.
    let body = encode_pairs(rp.request_with("openid", &[("extra_param", "ignored")]));
    let response = rp
        .browser
        .post(server.url("/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    rp.callback(&response);
}

// Authorization request parameters, prompt, max_age (OIDC Core §3.1.2.1)

#[tokio::test]
async fn oidcc_ensure_request_without_nonce_succeeds_for_code_flow() {
    // OIDC Core §3.1.2.1: nonce is optional when no ID token comes from the authorization
    // endpoint; the ID token then carries no nonce.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let pairs: Vec<(String, String)> = rp
        .request("openid")
        .into_iter()
        .filter(|(k, _)| k != "nonce")
        .collect();
    let flow = rp.flow_with(&pairs, None).await;
    assert!(flow.id_claims.get("nonce").is_none());
}

/// display=`value` in a fresh browser: a normal login page, then the flow completes.
async fn display_flow(value: &str) {
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    rp.log_in_on_the_page(
        &[("display", value)],
        &format!("display={value} is accepted"),
    )
    .await;
}

#[tokio::test]
async fn oidcc_display_page() {
    display_flow("page").await;
}

#[tokio::test]
async fn oidcc_display_popup() {
    display_flow("popup").await;
}

#[tokio::test]
async fn oidcc_prompt_login() {
    // OIDC Core §3.1.2.1 prompt=login: re-authenticate although the session is alive; the
    // second auth_time is later than the first.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let first = rp.flow("openid", &[]).await;
    server.clock.advance(1);
    let second = rp
        .log_in_on_the_page(&[("prompt", "login")], "a login page despite the session")
        .await;
    assert_eq!(second["sub"], first.sub());
    assert!(auth_time(&second) > auth_time(&first.id_claims));
    // Again within the same second: the login page, then the code (no loop), without a
    // second consent.
    let response = rp
        .send(&rp.request_with("openid", &[("prompt", "login")]))
        .await;
    let html = response.text().await.unwrap();
    assert!(html.contains("name=\"password\""));
    let response = submit_login(&server, &rp.browser, &html, USER, PASSWORD).await;
    rp.callback(&response);
}

#[tokio::test]
async fn oidcc_prompt_none_not_logged_in() {
    // OIDC Core §3.1.2.6: no session and prompt=none is an error redirect, not a page.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let response = rp
        .send(&rp.request_with("openid", &[("prompt", "none")]))
        .await;
    let error = check_error_redirect(&server, &response);
    assert!(PROMPT_NONE_ERRORS.contains(&error.as_str()), "{error}");
    assert_eq!(error, "login_required", "Oxid's choice among them");
}

#[tokio::test]
async fn oidcc_prompt_none_logged_in() {
    // OIDC Core §3.1.2.1 prompt=none with a session: a code without any page.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let first = rp.flow("openid", &[]).await;
    server.clock.advance(1);
    let response = rp
        .send(&rp.request_with("openid", &[("prompt", "none")]))
        .await;
    let params = rp.callback(&response);
    let second = rp.redeem(&params).await;
    assert_eq!(second["sub"], first.sub());
    assert_eq!(second.get("auth_time"), first.id_claims.get("auth_time"));
}

#[tokio::test]
async fn oidcc_max_age_1() {
    // OIDC Core §3.1.2.1 max_age: a login older than max_age is redone, and auth_time is
    // REQUIRED in the ID token (§2), later than the first.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let first = rp.flow("openid", &[]).await;
    server.clock.advance(2);
    let second = rp
        .log_in_on_the_page(&[("max_age", "1")], "re-authentication is forced")
        .await;
    let second_auth = auth_time(&second);
    assert!(second_auth > auth_time(&first.id_claims));
    assert!(second_auth + 60 >= now(&server), "auth_time is recent");
    assert_eq!(second_auth, T0 + 2, "the time of the new login");
}

#[tokio::test]
async fn oidcc_max_age_10000() {
    // OIDC Core §2: auth_time REQUIRED when max_age was sent; no login the second time.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let first = rp.flow("openid", &[("max_age", "15000")]).await;
    let first_auth = auth_time(&first.id_claims);
    server.clock.advance(2);
    let response = rp
        .send(&rp.request_with("openid", &[("max_age", "10000")]))
        .await;
    let params = rp.callback(&response);
    let second = rp.redeem(&params).await;
    assert_eq!(auth_time(&second), first_auth);
    assert_eq!(second["sub"], first.sub());
}

#[tokio::test]
async fn oidcc_ensure_request_with_unknown_parameter_succeeds() {
    // RFC 6749 §3.1: unknown parameters are ignored.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    rp.flow("openid", &[("extra", "foobar")]).await;
}

#[tokio::test]
async fn oidcc_id_token_hint() {
    // OIDC Core §3.1.2.1 id_token_hint with prompt=none: succeed silently, same user.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let first = rp.flow("openid", &[]).await;
    server.clock.advance(1);
    let pairs = rp.request_with(
        "openid",
        &[("prompt", "none"), ("id_token_hint", first.id_token())],
    );
    let params = rp.callback(&rp.send(&pairs).await);
    let second = rp.redeem(&params).await;
    assert_eq!(second["sub"], first.sub());
    assert_eq!(second.get("auth_time"), first.id_claims.get("auth_time"));
    // A hint whose sub is not the session's user (unsigned: it only ever causes a login):
    // with prompt=none, login_required.
    let other = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzb21lb25lLWVsc2UifQ.";
    let pairs = rp.request_with("openid", &[("prompt", "none"), ("id_token_hint", other)]);
    let error = check_error_redirect(&server, &rp.send(&pairs).await);
    assert_eq!(error, "login_required");
}

#[tokio::test]
async fn oidcc_login_hint() {
    // OIDC Core §3.1.2.1 login_hint: no error; the login form is prefilled.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let host = url::Url::parse(&server.base)
        .unwrap()
        .host_str()
        .unwrap()
        .to_string();
    let hint = format!("buffy@{host}");
    let response = rp
        .send(&rp.request_with("openid", &[("login_hint", hint.as_str())]))
        .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains(&format!("value=\"{hint}\"")), "prefilled");
    let response = submit_login(&server, &rp.browser, &html, USER, PASSWORD).await;
    rp.callback(&rp.interact(response).await);
}

#[tokio::test]
async fn oidcc_ui_locales() {
    // OIDC Core §3.1.2.1 ui_locales: never an error; a supported locale is used.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    // The suite's default value, which Oxid does not offer: the page in the default language.
    let response = rp
        .send(&rp.request_with("openid", &[("ui_locales", "se")]))
        .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("name=\"password\""));
    let response = submit_login(&server, &rp.browser, &html, USER, PASSWORD).await;
    rp.callback(&rp.interact(response).await);
    // A requested locale Oxid offers is used.
    let rp = rp.fresh_browser();
    let response = rp
        .send(&rp.request_with("openid", &[("ui_locales", "se de")]))
        .await;
    let html = response.text().await.unwrap();
    assert!(html.contains("lang=\"de\""), "{html}");
    // A region subtag falls back to its language; the page may not be framed.
    let rp = rp.fresh_browser();
    let response = rp
        .send(&rp.request_with("openid", &[("ui_locales", "fr-FR en")]))
        .await;
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("frame-ancestors 'none'"));
    let html = response.text().await.unwrap();
    assert!(html.contains("lang=\"fr\""));
    assert!(html.contains("Mot de passe"));
}

#[tokio::test]
async fn oidcc_claims_locales() {
    // OIDC Core §5.2, §15.1: claims_locales must not cause an error.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    rp.flow("openid profile", &[("claims_locales", "se")]).await;
}

#[tokio::test]
async fn oidcc_ensure_request_with_acr_values_succeeds() {
    // OIDC Core §3.1.2.1 acr_values: the suite sends acr_values_supported or "1 2"; the
    // request succeeds, and an acr claim, if any, is not empty (checked in check_id_token).
    let server = suite_server().await;
    let document = discovery(&server).await;
    let acr_values = match document["acr_values_supported"].as_array() {
        Some(values) => values
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect::<Vec<_>>()
            .join(" "),
        None => "1 2".to_string(),
    };
    let rp = Rp::new(&server).await;
    rp.flow("openid", &[("acr_values", acr_values.as_str())])
        .await;
}

// Negative tests at the authorization and token endpoints

#[tokio::test]
async fn oidcc_response_type_missing() {
    // RFC 6749 §4.1.2.1: an error page, or invalid_request / unsupported_response_type sent
    // back with the state and no code.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let pairs: Vec<(String, String)> = rp
        .request("openid")
        .into_iter()
        .filter(|(k, _)| k != "response_type")
        .collect();
    // The suite also accepts an error page; Oxid knows the client and its redirect_uri, so
    // it sends invalid_request back.
    let error = check_error_redirect(&server, &rp.send(&pairs).await);
    assert_eq!(error, "invalid_request");
}

#[tokio::test]
async fn oidcc_ensure_registered_redirect_uri() {
    // RFC 6749 §3.1.2.4, RFC 9700 §4.1.3: an unregistered redirect_uri (the registered one
    // plus a suffix) gets an error page, never a redirect.
    let server = suite_server().await;
    let rp = Rp::new(&server).await;
    let pairs = rp.request_replacing("openid", "redirect_uri", &format!("{REDIRECT}Xk3q9T"));
    check_error_page(rp.send(&pairs).await).await;
    // Not even after a login: the same answer with a session.
    rp.flow("openid", &[]).await;
    check_error_page(rp.send(&pairs).await).await;
    // Another host altogether: a 400 page naming invalid_request.
    let pairs = rp.request_replacing(
        "openid",
        "redirect_uri",
        "https://evil.example.com/callback",
    );
    check_error_page_naming(rp.send(&pairs).await, "invalid_request").await;
}

// Request objects (OIDC Core §6): processed. A certification run registers the suite's
// client with `request_object_signing_alg none` (its objects are unsigned) and, for the
// request_uri module, the suite-hosted `request_uris`.

/// Discovery says what the suite reads before these modules (OIDC Discovery §3): the
/// `request` and `request_uri` parameters, and unsigned request objects.
async fn check_request_objects_advertised(server: &TestServer) {
    let document = discovery(server).await;
    assert_eq!(document["request_parameter_supported"], true);
    assert_eq!(document["request_uri_parameter_supported"], true);
    assert!(list_contains(
        &document,
        "request_object_signing_alg_values_supported",
        "none"
    ));
}

/// The suite's request as an unsigned request object (alg none).
fn suite_request_object(rp: &Rp<'_>) -> String {
    unsigned_request_object(&json!({
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": STATE,
        "nonce": NONCE,
    }))
}

#[tokio::test]
async fn oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported() {
    // OIDC Core §6.2: the suite-hosted object is fetched and honoured (its nonce is the one
    // the ID token carries).
    let server = TestServer::start_with(|s| {
        s.require_pkce = false;
        s.outbound.allow_private_addresses = true;
    })
    .await;
    check_request_objects_advertised(&server).await;
    let (uri, served) = serve_request_object().await;
    let registered = uri.clone();
    let rp = Rp::with_client(&server, "suite-client", move |c| {
        c.request_uris = vec![registered]
    })
    .await;
    *served.lock().unwrap() = suite_request_object(&rp);
    let pairs = rp.request_with("openid", &[("request_uri", uri.as_str())]);
    let params = rp.authorize(&pairs).await;
    rp.redeem(&params).await;
    // A request_uri the client did not register is never fetched (OIDC Core §3.1.2.6).
    let pairs = rp.request_with(
        "openid",
        &[("request_uri", "https://suite.example.com/requests/other")],
    );
    let error = check_error_redirect(&server, &rp.send(&pairs).await);
    assert_eq!(error, "invalid_request_uri");
}

#[tokio::test]
async fn oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported() {
    let server = suite_server().await;
    check_request_objects_advertised(&server).await;
    let rp = Rp::new(&server).await;
    let object = suite_request_object(&rp);
    // Processed: the flow completes with the object's nonce (checked by `redeem`).
    let pairs = rp.request_with("openid", &[("request", object.as_str())]);
    let params = rp.authorize(&pairs).await;
    rp.redeem(&params).await;
    // A client that did not register `none` gets invalid_request_object (OIDC Core §6.1).
    let strict = Rp::with_client(&server, "signing-client", |c| {
        c.request_object_signing_alg = None;
    })
    .await;
    let object = suite_request_object(&strict);
    let pairs = strict.request_with("openid", &[("request", object.as_str())]);
    let error = check_error_redirect(&server, &strict.send(&pairs).await);
    assert_eq!(error, "invalid_request_object");
}

#[tokio::test]
async fn oidcc_ensure_request_object_with_redirect_uri() {
    // OIDC Core §6.1, §6.3.3: the object's redirect_uri wins over the invalid one beside it;
    // the invalid one is never redirected to.
    let server = suite_server().await;
    check_request_objects_advertised(&server).await;
    let rp = Rp::new(&server).await;
    let mut pairs = rp.request_replacing(
        "openid",
        "redirect_uri",
        "https://suite.example.com/invalid-redirect",
    );
    pairs.push(("request".to_string(), suite_request_object(&rp)));
    let params = rp.authorize(&pairs).await;
    rp.redeem(&params).await;
}

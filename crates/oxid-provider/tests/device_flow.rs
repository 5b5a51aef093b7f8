//! The device authorization grant (RFC 8628) through a real server: the device
//! authorization endpoint, the verification pages (user code, login, confirmation), polling
//! and its errors, and the throttling of wrong user codes.

mod common;

use common::*;
use oxid_provider::throttle::ThrottleSettings;
use serde_json::Value;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A server with the public client `tv` (device grant and refresh) and the confidential
/// client `box`.
async fn server_with(
    adjust: impl FnOnce(&mut oxid_provider::config::Settings),
) -> (TestServer, String) {
    let server = TestServer::start_with(adjust).await;
    let grants = [DEVICE_GRANT, "refresh_token"];
    server.add_grant_client("tv", &grants, true).await;
    let secret = server.add_grant_client("box", &grants, false).await;
    (server, secret)
}

async fn server() -> (TestServer, String) {
    server_with(|_| {}).await
}

/// Status, `Cache-Control` and JSON body of a form post to `path` by the public client `tv`.
async fn post_as_tv(
    server: &TestServer,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, Value) {
    let mut form = form.to_vec();
    form.push(("client_id", "tv"));
    let response = reqwest::Client::new()
        .post(server.url(path))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let cache = response
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, cache, response.json().await.unwrap())
}

/// A device authorization for `tv` with `scope`: the response body.
async fn start(server: &TestServer, scope: &str) -> Value {
    let (status, cache, body) =
        post_as_tv(server, "/device_authorization", &[("scope", scope)]).await;
    assert_eq!((status, cache.as_str()), (200, "no-store"), "{body}");
    body
}

/// One poll of the token endpoint by `tv`.
async fn poll(server: &TestServer, device_code: &str) -> (u16, Value) {
    let form = [("grant_type", DEVICE_GRANT), ("device_code", device_code)];
    let (status, _, body) = post_as_tv(server, "/token", &form).await;
    (status, body)
}

/// The verification page's user code form, sent with `typed`.
async fn enter_code(
    server: &TestServer,
    browser: &reqwest::Client,
    typed: &str,
) -> reqwest::Response {
    let page = browser.get(server.url("/device")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"user_code\""), "{html}");
    let csrf = hidden_field(&html, "csrf_token");
    browser
        .post(server.url("/device"))
        .form(&[("csrf_token", csrf.as_str()), ("user_code", typed)])
        .send()
        .await
        .unwrap()
}

/// Enters `typed`, logs in when asked, answers the confirmation page with `decision`: the
/// final page's text.
async fn verify(
    server: &TestServer,
    browser: &reqwest::Client,
    typed: &str,
    decision: &str,
) -> String {
    let mut response = enter_code(server, browser, typed).await;
    for _ in 0..2 {
        assert_eq!(response.status(), 200);
        let html = response.text().await.unwrap();
        response = if html.contains("name=\"password\"") {
            let fields = [("username", USER), ("password", PASSWORD)];
            submit_form(server, browser, "/device/login", &html, &fields).await
        } else if html.contains("name=\"decision\"") {
            assert!(html.contains("value=\"allow\"") && html.contains("value=\"deny\""));
            submit_form(
                server,
                browser,
                "/device/consent",
                &html,
                &[("decision", decision)],
            )
            .await
        } else {
            return html;
        };
    }
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

#[tokio::test]
async fn rfc8628_3_2_the_response_has_both_codes_and_discovery_names_the_endpoint() {
    let (server, _) = server().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let metadata: Value = reqwest::get(server.url(path))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            metadata["device_authorization_endpoint"],
            server.url("/device_authorization"),
            "{path} (RFC 8628 §4)"
        );
        let grants = metadata["grant_types_supported"].as_array().unwrap();
        assert!(grants.iter().any(|g| g == DEVICE_GRANT), "{path}");
    }
    let body = start(&server, "openid").await;
    let user_code = body["user_code"].as_str().unwrap();
    // RFC 8628 §6.1: short, from an alphabet without vowels or look-alike digits.
    assert_eq!(user_code.len(), 9, "{user_code}");
    assert_eq!(&user_code[4..5], "-");
    assert!(
        user_code
            .replace('-', "")
            .bytes()
            .all(|b| b"BCDFGHJKLMNPQRSTVWXZ".contains(&b))
    );
    assert!(body["device_code"].as_str().unwrap().len() >= 43);
    assert_eq!(body["verification_uri"], server.url("/device"));
    let complete = body["verification_uri_complete"].as_str().unwrap();
    assert!(
        complete.starts_with(&server.url("/device?user_code=")),
        "{complete}"
    );
    assert_eq!(
        (body["expires_in"].as_u64(), body["interval"].as_u64()),
        (Some(600), Some(5))
    );
    assert_ne!(
        start(&server, "openid").await["user_code"],
        body["user_code"]
    );
}

#[tokio::test]
async fn rfc8628_3_1_clients_authenticate_as_at_the_token_endpoint() {
    let (server, secret) = server().await;
    let post = |auth: (&'static str, String)| {
        reqwest::Client::new()
            .post(server.url("/device_authorization"))
            .basic_auth(auth.0, Some(auth.1))
            .form(&[("scope", "openid")])
            .send()
    };
    assert_eq!(post(("box", secret.clone())).await.unwrap().status(), 200);
    let wrong = post(("box", "wrong-secret".into())).await.unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(error_of(&wrong.json().await.unwrap()), "invalid_client");
    // A client not registered for the grant, and a scope the client may not have.
    let web = server.add_client("web", |_| {}).await;
    let body: Value = post(("web", web)).await.unwrap().json().await.unwrap();
    assert_eq!(error_of(&body), "unauthorized_client", "{body}");
    let (status, _, body) = post_as_tv(
        &server,
        "/device_authorization",
        &[("scope", "openid admin")],
    )
    .await;
    assert_eq!((status, error_of(&body)), (400, "invalid_scope"), "{body}");
    let unknown = reqwest::Client::new()
        .post(server.url("/device_authorization"))
        .form(&[("client_id", "nobody")])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401);
}

#[tokio::test]
async fn rfc8628_3_5_polling_pending_slow_down_then_tokens_once() {
    let (server, _) = server().await;
    let body = start(&server, "openid email offline_access").await;
    let device_code = body["device_code"].as_str().unwrap();
    let (status, pending) = poll(&server, device_code).await;
    assert_eq!((status, error_of(&pending)), (400, "authorization_pending"));
    // Sooner than the interval: slow_down, and the interval grows by 5 s (RFC 8628 §3.5).
    server.clock.advance(4);
    let (_, slow) = poll(&server, device_code).await;
    assert_eq!(error_of(&slow), "slow_down", "{slow}");
    assert!(
        slow["error_description"]
            .as_str()
            .unwrap()
            .contains("10 seconds")
    );
    server.clock.advance(10);
    assert_eq!(
        error_of(&poll(&server, device_code).await.1),
        "authorization_pending"
    );
    let browser = server.browser();
    let user_code = body["user_code"].as_str().unwrap();
    let done = verify(
        &server,
        &browser,
        &user_code.to_lowercase().replace('-', " "),
        "allow",
    )
    .await;
    assert!(done.contains("device is now signed in"), "{done}");
    server.clock.advance(10);
    let (status, tokens) = poll(&server, device_code).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(
        tokens["refresh_token"].is_string(),
        "offline_access: {tokens}"
    );
    let claims = verify_jws_with_jwks(&server, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["aud"], "tv");
    let userinfo = userinfo_get(&server, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(userinfo["email"], "alice@example.com");
    // A code grants once.
    server.clock.advance(10);
    let (status, again) = poll(&server, device_code).await;
    assert_eq!(
        (status, error_of(&again)),
        (400, "invalid_grant"),
        "{again}"
    );
    // Signed in now: the next device goes straight to the confirmation page.
    let next = start(&server, "openid").await;
    let response = enter_code(&server, &browser, next["user_code"].as_str().unwrap()).await;
    let html = response.text().await.unwrap();
    assert!(html.contains("name=\"decision\"") && !html.contains("name=\"password\""));
}

#[tokio::test]
async fn rfc8628_3_5_a_denied_request_is_access_denied_and_stays_so() {
    let (server, _) = server().await;
    let body = start(&server, "openid").await;
    let browser = server.browser();
    let done = verify(
        &server,
        &browser,
        body["user_code"].as_str().unwrap(),
        "deny",
    )
    .await;
    assert!(done.contains("was not allowed"), "{done}");
    let device_code = body["device_code"].as_str().unwrap();
    for _ in 0..2 {
        server.clock.advance(5);
        let (status, denied) = poll(&server, device_code).await;
        assert_eq!((status, error_of(&denied)), (400, "access_denied"));
    }
    // Answered: the code is not accepted on the page again.
    let again = enter_code(&server, &browser, body["user_code"].as_str().unwrap()).await;
    assert_eq!(again.status(), 400);
}

#[tokio::test]
async fn rfc8628_3_5_an_expired_device_code_is_expired_token() {
    let (server, _) = server().await;
    let body = start(&server, "openid").await;
    server.clock.advance(600);
    let (status, expired) = poll(&server, body["device_code"].as_str().unwrap()).await;
    assert_eq!(
        (status, error_of(&expired)),
        (400, "expired_token"),
        "{expired}"
    );
    let page = enter_code(
        &server,
        &server.browser(),
        body["user_code"].as_str().unwrap(),
    )
    .await;
    assert_eq!(page.status(), 400);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("not valid or has expired")
    );
}

#[tokio::test]
async fn rfc8628_3_4_a_device_code_is_bound_to_its_client() {
    let (server, secret) = server().await;
    let body = start(&server, "openid").await;
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("box", Some(&secret))
        .form(&[
            ("grant_type", DEVICE_GRANT),
            ("device_code", body["device_code"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(error_of(&response.json().await.unwrap()), "invalid_grant");
    let (_, unknown) = poll(&server, "not-a-device-code").await;
    assert_eq!(error_of(&unknown), "invalid_grant");
}

#[tokio::test]
async fn rfc8628_5_4_verification_uri_complete_prefills_the_code_but_the_user_confirms() {
    let (server, _) = server().await;
    let body = start(&server, "openid").await;
    let browser = server.browser();
    let page = browser
        .get(body["verification_uri_complete"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    // RFC 9700 §4.16: the device verification page cannot be framed.
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let html = page.text().await.unwrap();
    let user_code = body["user_code"].as_str().unwrap();
    assert!(
        html.contains("name=\"user_code\"") && html.contains(user_code),
        "{html}"
    );
    assert!(html.contains("name=\"csrf_token\""));
    // Opening the link approved nothing.
    let (_, pending) = poll(&server, body["device_code"].as_str().unwrap()).await;
    assert_eq!(error_of(&pending), "authorization_pending");
    // A form without its CSRF token is refused.
    let forged = browser
        .post(server.url("/device"))
        .form(&[("user_code", user_code)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
}

#[tokio::test]
async fn rfc8628_5_1_wrong_user_codes_are_counted_and_then_locked_for_everyone() {
    // All wrong codes together lock after 50 times the account's number (here 2 × 50).
    let (server, _) = server_with(|s| {
        s.throttle = ThrottleSettings {
            max_failures_before_delay: 2,
            max_failures_before_lock: 2,
            delay_ms: 1,
            ..ThrottleSettings::default()
        }
    })
    .await;
    let body = start(&server, "openid").await;
    let browser = server.browser();
    let wrong = enter_code(&server, &browser, "BCDF-GHJK").await;
    assert_eq!(wrong.status(), 400);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("not valid or has expired")
    );
    for _ in 1..99 {
        assert_eq!(
            enter_code(&server, &browser, "BCDF-GHJK").await.status(),
            400
        );
    }
    let locked = enter_code(&server, &browser, "BCDF-GHJK").await;
    assert_eq!(locked.status(), 429);
    assert!(locked.headers().contains_key("retry-after"));
    // Locked: even the right code is refused unchecked, until the lock ends.
    let right = body["user_code"].as_str().unwrap();
    assert_eq!(enter_code(&server, &browser, right).await.status(), 429);
    server
        .clock
        .advance(ThrottleSettings::default().lock_seconds);
    let body = start(&server, "openid").await;
    let page = enter_code(&server, &browser, body["user_code"].as_str().unwrap()).await;
    assert_eq!(page.status(), 200);
}

#[tokio::test]
async fn the_device_login_page_refuses_a_wrong_password_and_is_localized() {
    let (server, _) = server().await;
    let body = start(&server, "openid").await;
    let browser = server.browser();
    let page = browser
        .get(server.url("/device"))
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("Saisissez le code"));
    let login = enter_code(&server, &browser, body["user_code"].as_str().unwrap()).await;
    let html = login.text().await.unwrap();
    let fields = [("username", USER), ("password", "wrong")];
    let again = submit_form(&server, &browser, "/device/login", &html, &fields).await;
    assert_eq!(again.status(), 200);
    let html = again.text().await.unwrap();
    assert!(
        html.contains("name=\"password\"") && html.contains("not correct"),
        "{html}"
    );
    // The right password logs in; the same form sent again is refused (each form once).
    let right = [("username", USER), ("password", PASSWORD)];
    for expected in [200, 400] {
        let sent = submit_form(&server, &browser, "/device/login", &html, &right).await;
        assert_eq!(sent.status(), expected);
    }
}

#[tokio::test]
async fn rfc8707_2_the_resource_of_the_poll_is_the_tokens_audience() {
    const RECORDS: &str = "https://api.example.com/records";
    let (server, _) = server_with(|s| {
        s.scopes = api_scopes(&["read:records"]);
        s.resources = vec![oxid_provider::resources::ResourceSetting {
            identifier: RECORDS.into(),
            scopes: vec!["read:records".into()],
            access_token_format: None,
            alg: None,
            lifetime: None,
            introspection_clients: vec![],
        }];
    })
    .await;
    let body = start(&server, "openid").await;
    let device_code = body["device_code"].as_str().unwrap();
    let browser = server.browser();
    verify(
        &server,
        &browser,
        body["user_code"].as_str().unwrap(),
        "allow",
    )
    .await;
    server.clock.advance(10);
    let poll_for = |resource: &'static str| {
        let server = &server;
        async move {
            let form = [
                ("grant_type", DEVICE_GRANT),
                ("device_code", device_code),
                ("resource", resource),
            ];
            let (status, _, body) = post_as_tv(server, "/token", &form).await;
            (status, body)
        }
    };
    // An unknown resource is refused before the approved grant is handed out.
    let (status, refused) = poll_for("https://elsewhere.example.com/").await;
    assert_eq!((status, error_of(&refused)), (400, "invalid_target"));
    let (status, tokens) = poll_for(RECORDS).await;
    assert_eq!(status, 200, "{tokens}");
    let claims = verify_jws_with_jwks(&server, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["aud"], RECORDS);
}

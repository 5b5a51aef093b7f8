//! Durable back-channel logout delivery (OIDC Back-Channel Logout 1.0 §2.5, §2.7, §2.8):
//! logout tokens are queued with the logout, retried with backoff while the client answers
//! an error or nothing, keep their `jti` across retries (§2.4), are given up after the
//! configured time, and never slow anyone's logout. The SSRF rule applies to the URI both at
//! registration and when sending.

mod common;

use common::*;
use oxid_protocol::params::Params;
use oxid_provider::admin::{NewClient, add_client};
use oxid_provider::backchannel::BackchannelSettings;
use oxid_provider::config::Settings;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;

/// Outbound calls may reach the receivers on 127.0.0.1; the outbox is looked at often.
fn local_receivers(s: &mut Settings) {
    s.outbound.allow_private_addresses = true;
    s.backchannel = BackchannelSettings {
        poll_interval_ms: 50,
        timeout_ms: 1_000,
        ..BackchannelSettings::default()
    };
}

/// Alice logs in to client `app` (whose back-channel URI is `uri`) with a browser, which
/// then logs out with the ID token as hint; returns how long the logout took.
async fn log_in_then_out(server: &TestServer, uri: &str) -> Duration {
    let secret = server
        .add_client("app", |c| c.backchannel_logout_uri = Some(uri.to_string()))
        .await;
    let browser = server.browser();
    let code = obtain_code(server, &browser, "app", "openid").await;
    let (status, tokens) = exchange_code(server, "app", &secret, &code).await;
    assert_eq!(status, 200, "{tokens}");
    let hint = tokens["id_token"].as_str().unwrap();
    let query = oxid_protocol::params::encode_pairs([("id_token_hint", hint)]);
    let started = Instant::now();
    let response = browser
        .get(server.url(&format!("/logout?{query}")))
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(response.status(), 200, "the signed-out page");
    took
}

/// The next POST the receiver gets, moving the provider's clock 5 s at a time so that
/// retries come due (the sender waits `first_retry_secs`, doubled each time).
async fn next_post(
    server: &TestServer,
    received: &mut UnboundedReceiver<(u16, String)>,
) -> (u16, String) {
    for _ in 0..100 {
        if let Ok(post) = tokio::time::timeout(Duration::from_millis(200), received.recv()).await {
            return post.unwrap();
        }
        server.clock.advance(5);
    }
    panic!("no delivery within 100 clock steps");
}

fn jti(body: &str) -> String {
    let form = Params::parse_form(body.as_bytes()).unwrap();
    let token = form.get("logout_token").expect("a logout_token (§2.5)");
    let jws = oxid_protocol::jose::CompactJws::parse(token).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(jws.payload()).unwrap();
    claims["jti"].as_str().unwrap().to_string()
}

/// The value of a metric line (`name{labels} value`) in `/metrics`' text.
fn metric(server: &TestServer, line_start: &str) -> u64 {
    let text = server.provider.metrics().render();
    text.lines()
        .find_map(|l| l.strip_prefix(line_start)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {line_start} in {text}"))
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..100 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen within 5 s");
}

const SENT: &str = "oxid_backchannel_deliveries_total{result=\"sent\"}";
const FAILED: &str = "oxid_backchannel_deliveries_total{result=\"failed\"}";
const GIVEN_UP: &str = "oxid_backchannel_deliveries_total{result=\"given_up\"}";
const PENDING: &str = "oxid_backchannel_deliveries_pending";

#[tokio::test]
async fn a_client_that_fails_twice_then_answers_gets_its_token_with_one_jti_2_8() {
    let server = TestServer::start_with(local_receivers).await;
    let (uri, mut received) = scripted_receiver(vec![500, 503]).await;
    log_in_then_out(&server, &uri).await;
    let (first, body) = next_post(&server, &mut received).await;
    assert_eq!(first, 500);
    let jti_first = jti(&body);
    let (second, body) = next_post(&server, &mut received).await;
    assert_eq!(
        (second, jti(&body)),
        (503, jti_first.clone()),
        "§2.4: the same jti"
    );
    let (third, body) = next_post(&server, &mut received).await;
    assert_eq!((third, jti(&body)), (200, jti_first));
    eventually("the delivery is recorded", || metric(&server, SENT) == 1).await;
    assert_eq!(metric(&server, FAILED), 2);
    assert_eq!(
        server.provider.store().pending_deliveries().await.unwrap(),
        0
    );
    eventually("the gauge follows", || metric(&server, PENDING) == 0).await;
    let nothing = tokio::time::timeout(Duration::from_millis(300), received.recv()).await;
    assert!(nothing.is_err(), "delivered once");
}

#[tokio::test]
async fn a_client_down_for_a_while_gets_its_token_when_it_is_back() {
    let server = TestServer::start_with(local_receivers).await;
    // A port nobody listens on for now: connections are refused.
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let uri = format!("http://127.0.0.1:{port}/backchannel");
    log_in_then_out(&server, &uri).await;
    eventually("a failed attempt", || metric(&server, FAILED) >= 1).await;
    server.clock.advance(5);
    eventually("a second failed attempt", || metric(&server, FAILED) >= 2).await;
    assert_eq!(
        server.provider.store().pending_deliveries().await.unwrap(),
        1
    );
    // The client comes back.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let mut received = serve_script(listener, Vec::new());
    let (status, body) = next_post(&server, &mut received).await;
    assert_eq!(status, 200);
    assert!(!jti(&body).is_empty());
    eventually("the delivery is recorded", || metric(&server, SENT) == 1).await;
}

#[tokio::test]
async fn a_client_that_never_answers_slows_no_logout_and_no_other_client() {
    let server = TestServer::start_with(local_receivers).await;
    let silent = silent_receiver().await;
    let took = log_in_then_out(&server, &silent).await;
    assert!(
        took < Duration::from_millis(900),
        "the logout took {took:?}"
    );
    // Another user's logout, to a client that answers, is delivered meanwhile.
    let (uri, mut received) = scripted_receiver(Vec::new()).await;
    server
        .add_client("other", |c| c.backchannel_logout_uri = Some(uri))
        .await;
    let second = {
        let alice = server.provider.store().get_user_by_username(USER).await;
        oxid_provider::session::start_session(&server.provider, &alice.unwrap().unwrap())
            .await
            .unwrap()
    };
    let sid = second.record.sid.clone();
    server
        .provider
        .store()
        .add_session_client(&sid, "other")
        .await
        .unwrap();
    let started = Instant::now();
    oxid_provider::admin::sessions::revoke_session(&server.provider, &sid)
        .await
        .unwrap();
    let (status, _) = tokio::time::timeout(Duration::from_secs(5), received.recv())
        .await
        .expect("delivered while the silent client holds its attempt")
        .unwrap();
    assert_eq!(status, 200);
    assert!(started.elapsed() < Duration::from_millis(900));
    // The silent client's attempt ends at the time limit and counts as failed.
    eventually("the silent attempt times out", || {
        metric(&server, FAILED) >= 1
    })
    .await;
}

#[tokio::test]
async fn a_delivery_is_given_up_after_the_configured_time() {
    let server = TestServer::start_with(|s| {
        local_receivers(s);
        s.backchannel.give_up_after_secs = 20;
    })
    .await;
    let (uri, mut received) = scripted_receiver(vec![500; 100]).await;
    log_in_then_out(&server, &uri).await;
    // Every attempt fails; the clock moves past the give-up time (20 s) in 5 s steps.
    let mut attempts = 0;
    for _ in 0..40 {
        if metric(&server, GIVEN_UP) == 1 {
            break;
        }
        if let Ok(post) = tokio::time::timeout(Duration::from_millis(200), received.recv()).await {
            assert_eq!(post.unwrap().0, 500);
            attempts += 1;
        }
        server.clock.advance(5);
    }
    assert_eq!(metric(&server, GIVEN_UP), 1, "given up");
    assert!(
        (2..10).contains(&attempts),
        "retried with backoff: {attempts} attempts"
    );
    assert_eq!(metric(&server, SENT), 0);
    assert_eq!(
        server.provider.store().pending_deliveries().await.unwrap(),
        0
    );
}

#[tokio::test]
async fn private_backchannel_uris_are_refused_unless_allowed_ssrf() {
    let server = TestServer::start().await;
    let provider = &server.provider;
    for uri in [
        "http://127.0.0.1:9/bc",
        "http://10.0.0.1/bc",
        "http://[::1]/bc",
        "http://169.254.169.254/latest",
        "http://localhost:8080/bc",
    ] {
        let new = NewClient {
            client_id: "rp".into(),
            client_secret: Some("s".repeat(43)),
            redirect_uris: vec![REDIRECT.into()],
            backchannel_logout_uri: Some(uri.into()),
            ..NewClient::default()
        };
        let refused = add_client(
            provider.capabilities(),
            provider.store(),
            provider.secret_box(),
            new,
            T0,
        )
        .await;
        let error = format!("{:?}", refused.expect_err(uri));
        assert!(error.contains("backchannel_logout_uri"), "{uri}: {error}");
    }
    // A public name is checked (resolved) when called; a front-channel URI is the browser's.
    server
        .add_client("rp", |c| {
            c.backchannel_logout_uri = Some("https://rp.example.com/bc".into());
            c.frontchannel_logout_uri = Some("http://127.0.0.1:9/fc".into());
        })
        .await;
}

#[tokio::test]
async fn a_delivery_to_a_private_address_is_dropped_when_not_allowed_ssrf() {
    // Registered while allowed (say, before the operator turned it off), sent while not.
    let server = TestServer::start_with(|s| s.backchannel.poll_interval_ms = 50).await;
    let provider = &server.provider;
    let (uri, mut received) = scripted_receiver(Vec::new()).await;
    let mut record = oxid_store::ClientRecord::new("rp");
    record.backchannel_logout_uri = Some(uri);
    provider.store().insert_client(&record).await.unwrap();
    let alice = provider
        .store()
        .get_user_by_username(USER)
        .await
        .unwrap()
        .unwrap();
    let session = oxid_provider::session::start_session(provider, &alice)
        .await
        .unwrap();
    let sid = session.record.sid.clone();
    provider
        .store()
        .add_session_client(&sid, "rp")
        .await
        .unwrap();
    oxid_provider::admin::sessions::revoke_session(provider, &sid)
        .await
        .unwrap();
    eventually("given up", || metric(&server, GIVEN_UP) == 1).await;
    let nothing = tokio::time::timeout(Duration::from_millis(300), received.recv()).await;
    assert!(nothing.is_err(), "127.0.0.1 was never called");
}

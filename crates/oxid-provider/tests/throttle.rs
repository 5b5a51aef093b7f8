//! Brute-force throttling (issue 13) through a real server: failed logins per account and
//! failed client secrets per client are slowed down, then locked (429 with `Retry-After`),
//! while other accounts and clients keep working; the same with the counters in Redis.

mod common;

use common::*;
use oxid_provider::admin::{NewUser, add_user};
use oxid_provider::throttle::ThrottleSettings;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Small numbers and short delays, so that 200 attempts take a moment.
const THROTTLE: ThrottleSettings = ThrottleSettings {
    max_failures_before_delay: 2,
    max_failures_before_lock: 5,
    window_seconds: 600,
    lock_seconds: 120,
    delay_ms: 20,
    redis_url: None,
    redis_key_prefix: String::new(),
};

async fn server() -> TestServer {
    TestServer::start_with(|s| s.throttle = THROTTLE).await
}

/// A fresh login page for the authorization of client `app`.
async fn login_page(server: &TestServer, browser: &reqwest::Client) -> String {
    let query = auth_query("app", "openid", &[]);
    let page = browser
        .get(server.url(&format!("/authorize?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}

/// One login attempt from a fresh login page: status, `Retry-After`, page, time taken.
async fn attempt(
    server: &TestServer,
    browser: &reqwest::Client,
    username: &str,
    password: &str,
) -> (u16, Option<u64>, String, Duration) {
    let html = login_page(server, browser).await;
    let started = Instant::now();
    let response = submit_login(server, browser, &html, username, password).await;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    let body = response.text().await.unwrap();
    (status, retry_after, body, started.elapsed())
}

#[tokio::test]
async fn wrong_passwords_are_slowed_then_locked_with_429_while_another_account_logs_in() {
    let server = server().await;
    server.add_client("app", |_| {}).await;
    let bob = NewUser {
        username: "Bob".into(),
        password: "bobs password".into(),
        ..NewUser::default()
    };
    add_user(server.provider.store(), bob, T0).await.unwrap();
    let browser = server.browser();
    let mut locked_at = None;
    for n in 1..=200u64 {
        let (status, retry_after, body, took) = attempt(&server, &browser, "bob", "guess").await;
        if n < 5 {
            assert_eq!(status, 200, "attempt {n}: the login page again");
            assert!(body.contains("name=\"password\""), "attempt {n}: {body}");
            if n >= 2 {
                // 20 ms, 40 ms, 80 ms: the delay grows with each failure.
                let delay = Duration::from_millis(20 << (n - 2));
                assert!(
                    took >= delay,
                    "attempt {n} took {took:?}, less than {delay:?}"
                );
            }
        } else {
            // RFC 6585 §4: 429, with when to come back (RFC 9110 §10.2.3).
            assert_eq!(status, 429, "attempt {n}: locked");
            let retry_after = retry_after.expect("Retry-After");
            assert!((1..=120).contains(&retry_after), "{retry_after}");
            assert!(body.contains("Too many attempts"), "{body}");
            assert!(!body.contains("name=\"password\""), "no form while locked");
            assert!(took < Duration::from_secs(1), "refused at once: {took:?}");
            locked_at.get_or_insert(n);
        }
    }
    assert_eq!(locked_at, Some(5));
    // The right password is refused too while locked, in any spelling of the name.
    let (status, ..) = attempt(&server, &browser, " BOB ", "bobs password").await;
    assert_eq!(status, 429);
    // An unknown account gets the very same answers: a lock says nothing about existence.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(attempt(&server, &browser, "nobody", "guess").await.0);
    }
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429]);
    // Another account logs in all along.
    let other = server.browser();
    obtain_code(&server, &other, "app", "openid").await;
    // After the lock the right password works, and clears the account's failures.
    server.clock.advance(121);
    let (status, _, body, _) = attempt(&server, &browser, "bob", "bobs password").await;
    assert_eq!(status, 200, "the consent page: {body}");
    assert!(body.contains("name=\"decision\""), "{body}");
    let (status, ..) = attempt(&server, &browser, "bob", "guess").await;
    assert_eq!(status, 200, "a fresh count after a success");
}

#[tokio::test]
async fn wrong_client_secrets_lock_that_client_with_429_while_another_client_works() {
    let server = server().await;
    let secret = server.add_client("target", |_| {}).await;
    let other_secret = server.add_client("other", |_| {}).await;
    let token = |id: &'static str, secret: String| {
        let url = server.url("/token");
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .basic_auth(id, Some(secret))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", "nope"),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", VERIFIER),
                ])
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let retry_after = response.headers().get("retry-after").cloned();
            let body: Value = response.json().await.unwrap();
            (status, retry_after, body)
        }
    };
    let mut locked_at = None;
    for n in 1..=200u64 {
        let (status, retry_after, body) = token("target", format!("wrong-{n}")).await;
        // RFC 6749 §5.2 has no "locked" code: the client keeps invalid_client.
        assert_eq!(body["error"], "invalid_client", "attempt {n}: {body}");
        if n < 5 {
            assert_eq!(status, 401, "attempt {n}: {body}");
        } else {
            assert_eq!(status, 429, "attempt {n}: {body}");
            let seconds: u64 = retry_after.unwrap().to_str().unwrap().parse().unwrap();
            assert!((1..=120).contains(&seconds), "{seconds}");
            let description = body["error_description"].as_str().unwrap();
            assert!(description.contains("locked for"), "{description}");
            locked_at.get_or_insert(n);
        }
    }
    assert_eq!(locked_at, Some(5));
    // The right secret is refused too during the lock, else the lock would be useless.
    let (status, _, body) = token("target", secret.clone()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("invalid_client"))
    );
    // Another client authenticates: its bad code is its only problem.
    let (status, _, body) = token("other", other_secret).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // Once the lock is over the client authenticates again.
    server.clock.advance(121);
    let (status, _, body) = token("target", secret).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn failures_from_one_address_lock_that_address_for_every_account() {
    // An address gets ADDRESS_FACTOR (5) times the account's numbers: locked at 25.
    let server = TestServer::start_with(|s| {
        s.throttle = ThrottleSettings {
            max_failures_before_delay: 5,
            delay_ms: 1,
            redis_url: None,
            redis_key_prefix: String::new(),
            ..THROTTLE
        }
    })
    .await;
    server.add_client("app", |_| {}).await;
    // The same provider, served with the peer's address as `oxid serve` does.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = oxid_provider::http::router(server.provider.clone())
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let browser = server.browser();
    let login = |username: String, password: &'static str| {
        let browser = browser.clone();
        async move {
            let query = auth_query("app", "openid", &[]);
            let page = browser
                .get(format!("http://{addr}/authorize?{query}"))
                .send()
                .await
                .unwrap();
            let html = page.text().await.unwrap();
            let form = [
                ("csrf_token", hidden_field(&html, "csrf_token")),
                ("interaction", hidden_field(&html, "interaction")),
                ("username", username),
                ("password", password.to_string()),
            ];
            let response = browser
                .post(format!("http://{addr}/login"))
                .form(&form)
                .send()
                .await
                .unwrap();
            response.status().as_u16()
        }
    };
    // A different account each time: no account reaches its own lock.
    for n in 1..25 {
        assert_eq!(login(format!("user{n}"), "guess").await, 200, "attempt {n}");
    }
    assert_eq!(login("user25".into(), "guess").await, 429);
    assert_eq!(
        login(USER.into(), PASSWORD).await,
        429,
        "the address is locked"
    );
    // Elsewhere (no address known here: the test listener has none) alice logs in.
    obtain_code(&server, &server.browser(), "app", "openid").await;
}

/// `[throttle] redis_url`: the counters live in Redis (not in the database) and lock the same
/// way. Skipped, loudly, when no Redis answers at `OXID_TEST_REDIS_URL` (default
/// `redis://127.0.0.1:6379`).
#[tokio::test]
async fn with_redis_the_counters_live_in_redis_and_lock_the_same() {
    let url = std::env::var("OXID_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string());
    use std::hash::{BuildHasher, RandomState};
    let prefix = format!(
        "oxid-test:{:016x}:",
        RandomState::new().hash_one(Instant::now())
    );
    let Ok(redis) = oxid_store::RedisThrottle::connect(&url, &prefix).await else {
        eprintln!("SKIPPED: no Redis at {url}; set OXID_TEST_REDIS_URL to run this");
        return;
    };
    let server = TestServer::start_with(|s| {
        s.throttle = THROTTLE;
        s.throttle.redis_url = Some(url.clone());
        s.throttle.redis_key_prefix = prefix.clone();
    })
    .await;
    let secret = server.add_client("target", |_| {}).await;
    let other_secret = server.add_client("other", |_| {}).await;
    let token = |id: &'static str, secret: String| {
        let url = server.url("/token");
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .basic_auth(id, Some(secret))
                .form(&[("grant_type", "authorization_code"), ("code", "nope")])
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let retry_after = response.headers().get("retry-after").is_some();
            (status, retry_after)
        }
    };
    let mut statuses = Vec::new();
    for n in 1..=6 {
        statuses.push(token("target", format!("wrong-{n}")).await);
    }
    let expected = [(401, false), (401, false), (401, false), (401, false)];
    assert_eq!(statuses[..4], expected);
    assert_eq!(
        statuses[4..],
        [(429, true), (429, true)],
        "locked at the 5th"
    );
    assert_eq!(token("target", secret).await.0, 429, "right or wrong");
    // Another client authenticates (its wrong code is invalid_grant, not invalid_client).
    assert_eq!(token("other", other_secret).await.0, 400);
    // The lock is in Redis, and the database holds no counter.
    let now = server.provider.now();
    let in_redis = oxid_store::ThrottleStore::locked_until(&redis, "client:target", now);
    assert!(in_redis.await.unwrap().is_some());
    let store = server.provider.store();
    assert_eq!(
        store.locked_until("client:target", now).await.unwrap(),
        None
    );
}

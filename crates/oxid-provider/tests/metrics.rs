//! `/metrics` on the admin listener (Prometheus text exposition format 0.0.4): read with a
//! strict parser, its counters move by exactly what the test did; the public listener has no
//! `/metrics`.

mod common;

use common::*;
use std::collections::BTreeMap;

/// One sample's identity: the metric name and its labels, sorted.
type Series = (String, Vec<(String, String)>);

/// Parses the text format strictly: every line is a `# HELP`, a `# TYPE` or a sample of a
/// family typed before it; label values are quoted with `\\`, `\"` and `\n` escapes;
/// histograms' buckets are cumulative and end with `+Inf` equal to `_count`.
fn parse(text: &str) -> BTreeMap<Series, f64> {
    assert!(text.ends_with('\n'), "the text ends with a newline");
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(
                ["counter", "gauge", "histogram"].contains(&kind),
                "type {kind}"
            );
            assert!(
                types.insert(name.into(), kind.into()).is_none(),
                "one TYPE per family"
            );
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = parse_sample(line);
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                series
                    .0
                    .strip_suffix(s)
                    .filter(|f| types.get(*f).map(String::as_str) == Some("histogram"))
            })
            .unwrap_or(&series.0)
            .to_string();
        assert!(types.contains_key(&family), "{line}: no TYPE before it");
        assert!(
            samples.insert(series, value).is_none(),
            "{line}: repeated series"
        );
    }
    check_histograms(&samples);
    samples
}

fn parse_sample(line: &str) -> (Series, f64) {
    let (head, value) = line.rsplit_once(' ').expect("sample has a value");
    let value: f64 = match value {
        "+Inf" => f64::INFINITY,
        v => v.parse().unwrap_or_else(|_| panic!("{line}: bad value")),
    };
    let (name, mut labels_text) = match head.split_once('{') {
        Some((name, rest)) => (name, rest.strip_suffix('}').expect("labels close")),
        None => (head, ""),
    };
    assert!(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
        "{line}: bad name"
    );
    let mut labels = Vec::new();
    while !labels_text.is_empty() {
        let (key, rest) = labels_text.split_once("=\"").expect("key=\"value\"");
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next().expect("closing quote") {
                (i, '"') => break i,
                (_, '\\') => match chars.next().expect("escape").1 {
                    'n' => value.push('\n'),
                    c @ ('\\' | '"') => value.push(c),
                    c => panic!("{line}: bad escape \\{c}"),
                },
                (_, c) => value.push(c),
            }
        };
        labels.push((key.to_string(), value));
        labels_text = &rest[end + 1..];
        labels_text = labels_text.strip_prefix(',').unwrap_or(labels_text);
    }
    labels.sort();
    ((name.to_string(), labels), value)
}

fn check_histograms(samples: &BTreeMap<Series, f64>) {
    for ((name, labels), count) in samples {
        let Some(family) = name.strip_suffix("_count") else {
            continue;
        };
        let mut buckets: Vec<(f64, f64)> = samples
            .iter()
            .filter(|((n, l), _)| {
                n == &format!("{family}_bucket")
                    && l.iter().filter(|(k, _)| k != "le").eq(labels.iter())
            })
            .map(|((_, l), v)| {
                let le = &l.iter().find(|(k, _)| k == "le").expect("le").1;
                let bound = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().expect("le is a number")
                };
                (bound, *v)
            })
            .collect();
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "cumulative");
        assert_eq!(
            buckets.last(),
            Some(&(f64::INFINITY, *count)),
            "+Inf is _count"
        );
    }
}

/// The counters (histograms aside) that changed between two scrapes, by how much.
fn moved(before: &BTreeMap<Series, f64>, after: &BTreeMap<Series, f64>) -> BTreeMap<String, f64> {
    after
        .iter()
        // Timings, and the database's own work (a scrape reads the store too).
        .filter(|((name, _), _)| !name.starts_with("oxid_http_request_duration_seconds"))
        .filter(|((name, _), _)| !name.starts_with("oxid_db_"))
        .filter_map(|(series, value)| {
            let delta = value - before.get(series).copied().unwrap_or(0.0);
            (delta != 0.0).then(|| {
                let labels: Vec<String> =
                    series.1.iter().map(|(k, v)| format!("{k}={v}")).collect();
                (format!("{}{{{}}}", series.0, labels.join(",")), delta)
            })
        })
        .collect()
}

async fn scrape(admin: &str) -> BTreeMap<Series, f64> {
    let response = reqwest::get(format!("{admin}/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    parse(&response.text().await.unwrap())
}

async fn admin_listener(server: &TestServer) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin = format!("http://{}", listener.local_addr().unwrap());
    let app = oxid_provider::http::admin_router(server.provider.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    admin
}

#[tokio::test]
async fn counters_move_by_exactly_what_was_done_and_metrics_are_admin_only() {
    let server = TestServer::start().await;
    let admin = admin_listener(&server).await;
    let secret = server.add_client("app", |_| {}).await;
    for probe in ["/healthz", "/readyz"] {
        let response = reqwest::get(format!("{admin}{probe}")).await.unwrap();
        assert_eq!(response.status(), 200, "{probe} on the admin listener");
    }
    let before = scrape(&admin).await;
    let build = before
        .iter()
        .find(|((name, _), _)| name == "oxid_build_info")
        .expect("oxid_build_info");
    assert_eq!(*build.1, 1.0);

    // A failed login: the page comes back (200) with the notice.
    let browser = server.browser();
    let page = browser
        .get(server.url(&format!("/authorize?{}", auth_query("app", "openid", &[]))))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    let rejected = submit_login(&server, &browser, &html, USER, "wrong password").await;
    assert_eq!(rejected.status(), 200);
    // A successful login (authorize 200, login 200 to the consent page, consent 303), a
    // token response, then a client that authenticates with the wrong secret.
    let code = obtain_code(&server, &server.browser(), "app", "openid").await;
    let (status, _) = exchange_code(&server, "app", &secret, &code).await;
    assert_eq!(status, 200);
    let (status, _) = exchange_code(&server, "app", "not-the-secret", &code).await;
    assert_eq!(status, 401);
    // Not on the public listener; counted under the one `unmatched` route.
    let public = reqwest::get(server.url("/metrics?x=1")).await.unwrap();
    assert_eq!(public.status(), 404);

    let after = scrape(&admin).await;
    let expected: BTreeMap<String, f64> = [
        ("oxid_http_requests_total{route=/authorize,status=200}", 2.0),
        ("oxid_http_requests_total{route=/login,status=200}", 2.0),
        ("oxid_http_requests_total{route=/consent,status=303}", 1.0),
        ("oxid_http_requests_total{route=/token,status=200}", 1.0),
        ("oxid_http_requests_total{route=/token,status=401}", 1.0),
        ("oxid_http_requests_total{route=unmatched,status=404}", 1.0),
        (
            "oxid_tokens_issued_total{format=opaque,grant_type=authorization_code}",
            1.0,
        ),
        ("oxid_logins_total{outcome=failed}", 1.0),
        ("oxid_logins_total{outcome=succeeded}", 1.0),
        ("oxid_client_auth_failures_total{}", 1.0),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(moved(&before, &after), expected);
    let token_count = after
        .iter()
        .find(|((name, labels), _)| {
            name == "oxid_http_request_duration_seconds_count"
                && labels == &[("route".to_string(), "/token".to_string())]
        })
        .expect("the token endpoint's histogram");
    assert_eq!(*token_count.1, 2.0, "two token requests timed");
}

/// How much the counter `name{labels}` moved between two scrapes.
fn delta(
    before: &BTreeMap<Series, f64>,
    after: &BTreeMap<Series, f64>,
    name: &str,
    labels: &[(&str, &str)],
) -> f64 {
    let series: Series = (
        name.to_string(),
        labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    let now = *after
        .get(&series)
        .unwrap_or_else(|| panic!("{series:?} missing"));
    now - before.get(&series).copied().unwrap_or(0.0)
}

/// Issue 13's abuse counters: logins refused unchecked while locked, client authentication
/// failures, and every 429 of a lock (RFC 6585 §4) counted as a throttled request.
#[tokio::test]
async fn throttled_logins_and_locked_clients_move_their_counters() {
    let server = TestServer::start_with(|s| {
        s.throttle = oxid_provider::throttle::ThrottleSettings {
            max_failures_before_delay: 2,
            max_failures_before_lock: 2,
            window_seconds: 600,
            lock_seconds: 120,
            delay_ms: 1,
            redis_url: None,
            redis_key_prefix: String::new(),
        };
    })
    .await;
    let admin = admin_listener(&server).await;
    let secret = server.add_client("app", |_| {}).await;
    let before = scrape(&admin).await;
    // Two wrong passwords (the second locks: 429), then one refused without a check.
    let browser = server.browser();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let query = auth_query("app", "openid", &[]);
        let page = browser
            .get(server.url(&format!("/authorize?{query}")))
            .send()
            .await
            .unwrap();
        let html = page.text().await.unwrap();
        let answer = submit_login(&server, &browser, &html, USER, "wrong password").await;
        statuses.push(answer.status().as_u16());
    }
    assert_eq!(statuses, [200, 429, 429]);
    // Two wrong client secrets (the second locks the client), then the right one, refused.
    let code = "no-such-code";
    let mut statuses = Vec::new();
    for attempt_secret in ["wrong-1", "wrong-2", secret.as_str()] {
        statuses.push(exchange_code(&server, "app", attempt_secret, code).await.0);
    }
    assert_eq!(statuses, [401, 429, 429]);
    let after = scrape(&admin).await;
    let logins = "oxid_logins_total";
    assert_eq!(
        delta(&before, &after, logins, &[("outcome", "failed")]),
        2.0
    );
    assert_eq!(
        delta(&before, &after, logins, &[("outcome", "throttled")]),
        1.0
    );
    assert_eq!(
        delta(&before, &after, logins, &[("outcome", "succeeded")]),
        0.0
    );
    let failures = "oxid_client_auth_failures_total";
    assert_eq!(delta(&before, &after, failures, &[]), 3.0);
    let throttled = "oxid_throttled_requests_total";
    assert_eq!(
        delta(&before, &after, throttled, &[("reason", "locked")]),
        4.0
    );
    assert_eq!(
        delta(&before, &after, throttled, &[("reason", "concurrency")]),
        0.0
    );
}

#[test]
fn the_parser_rejects_what_the_format_does_not_allow() {
    let bad = [
        "no_type 1\n",
        "# TYPE x counter\nx{a=\"b} 1\n",
        "# TYPE x counter\nx{a=\"\\q\"} 1\n",
        "# TYPE x counter\nx one\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",
    ];
    for text in bad {
        let result = std::panic::catch_unwind(|| parse(text));
        assert!(result.is_err(), "accepted {text:?}");
    }
    let good = parse("# TYPE x counter\nx{a=\"q\\\"\\n\"} 3\n");
    assert_eq!(
        good.get(&("x".into(), vec![("a".into(), "q\"\n".into())])),
        Some(&3.0)
    );
}

/// Issue 13: every published key's age, labelled by kid, alg and state, grows with time and
/// follows a rotation (the old current key appears as retired).
#[tokio::test]
async fn signing_key_ages_are_gauges_that_follow_time_and_rotation() {
    let server = TestServer::start().await;
    let admin = admin_listener(&server).await;
    let ages = |samples: &BTreeMap<Series, f64>| -> BTreeMap<(String, String), f64> {
        samples
            .iter()
            .filter(|((name, _), _)| name == "oxid_signing_key_age_seconds")
            .map(|((_, labels), value)| {
                let label = |k: &str| labels.iter().find(|(n, _)| n == k).unwrap().1.clone();
                ((label("kid"), label("state")), *value)
            })
            .collect()
    };
    let keys = server.provider.store().list_keys(T0).await.unwrap();
    let first = ages(&scrape(&admin).await);
    assert_eq!(first.len(), keys.len(), "{first:?}");
    assert!(first.values().all(|age| *age == 0.0), "{first:?}");
    server.clock.advance(120);
    let later = ages(&scrape(&admin).await);
    assert!(later.values().all(|age| *age == 120.0), "{later:?}");
    server.provider.rotate_keys().await.unwrap();
    let rotated = ages(&scrape(&admin).await);
    let retired = rotated
        .keys()
        .filter(|(_, state)| state == "retired")
        .count();
    // Our encryption key rotates with them (tests/common keeps an ECDH-ES one).
    assert_eq!(retired, 3, "RS256, ES256 and ECDH-ES: {rotated:?}");
    assert!(rotated.values().any(|age| *age == 0.0), "a new next key");
}

/// Issue 13's database metrics: `oxid_db_query_duration_seconds{op}` is a histogram per store
/// operation whose counts move with what the requests did (a code redeemed once, a token
/// stored), and SQLite reports its connections and queues too.
#[tokio::test]
async fn database_query_latencies_move_by_operation_and_sqlite_reports_its_pool() {
    let server = TestServer::start().await;
    let admin = admin_listener(&server).await;
    let secret = server.add_client("app", |_| {}).await;
    let code = obtain_code(&server, &server.browser(), "app", "openid").await;
    let before = scrape(&admin).await;
    let (status, _) = exchange_code(&server, "app", &secret, &code).await;
    assert_eq!(status, 200);
    let (status, _) = exchange_code(&server, "app", &secret, &code).await;
    assert_eq!(status, 400, "a code is redeemed once");
    let after = scrape(&admin).await;
    let count = "oxid_db_query_duration_seconds_count";
    assert_eq!(
        delta(&before, &after, count, &[("op", "consume_code")]),
        2.0
    );
    assert!(delta(&before, &after, count, &[("op", "insert_token")]) >= 1.0);
    let sum = "oxid_db_query_duration_seconds_sum";
    assert!(delta(&before, &after, sum, &[("op", "consume_code")]) > 0.0);
    // Each scrape reads the signing keys: the scrape's own operation is counted as well.
    assert!(delta(&before, &after, count, &[("op", "list_keys")]) >= 1.0);
    let gauge = |name: &str, labels: &[(&str, &str)]| {
        let series: Series = (
            name.to_string(),
            labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        *after
            .get(&series)
            .unwrap_or_else(|| panic!("{series:?} missing"))
    };
    // The test server's database is in memory: one connection, one queue.
    assert_eq!(gauge("oxid_db_pool_connections", &[("state", "max")]), 1.0);
    let queued = &[("queue", "write"), ("state", "queued")];
    assert_eq!(gauge("oxid_db_queue_operations", queued), 0.0);
}

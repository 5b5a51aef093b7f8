//! The abuse test of Issue 13 ("How we will know") on the real `oxid serve` binary, with short
//! limits configured so it takes seconds:
//! - 200 wrong passwords for one account and 200 wrong client secrets for one client are
//!   slowed, then refused with 429 and `Retry-After` (RFC 6585 §4, RFC 9110 §10.2.3), while
//!   another account (from another address) and another client keep working;
//! - started at the common limit of 1,024 open files (`prlimit`), 2,000 idle connections and
//!   slow-header and slow-body clients are closed by the timeouts while normal requests are
//!   answered all along, and the server never runs out of file descriptors;
//! - 16 concurrent wrong logins (argon2id on its bounded blocking pool) do not slow `/token`.
//!
//! Addresses: the attacker connects from 127.0.0.2, the others from 127.0.0.3 (all of
//! 127.0.0.0/8 is the loopback interface), so per-address counting is real.

mod abuse_support;
mod common;

use abuse_support::*;
use common::temp_dir;
use std::time::{Duration, Instant};

/// Delays from the 3rd failure (10 ms, doubling), a lock at the 10th, for 10 minutes.
const THROTTLE: &str = "[throttle]\nmax_failures_before_delay = 3\n\
    max_failures_before_lock = 10\nwindow_seconds = 600\nlock_seconds = 600\ndelay_ms = 10\n";

/// One-second header, idle and body timeouts; a throttle that never locks (the latency part
/// makes failures on purpose, and must hash each of them).
const LIMITS: &str = "[limits]\nheader_read_timeout_ms = 1000\nbody_read_timeout_ms = 1000\n\
    request_timeout_ms = 5000\n\n[throttle]\nmax_failures_before_delay = 1000000\n\
    max_failures_before_lock = 1000000\n";

#[test]
fn two_hundred_wrong_passwords_and_secrets_are_slowed_then_429_while_others_work() {
    let dir = temp_dir("abuse-throttle");
    std::fs::write(dir.join("oxid.toml"), THROTTLE).unwrap();
    let (svc_secret, other_secret) = populate(&dir);
    let (mut server, base, _lines) = serve(&dir, None);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let passwords = async {
            let attacker = browser(ATTACKER);
            let mut seen = Vec::new();
            for n in 0..200 {
                let guess = format!("guess-{n}");
                seen.push(login(&base, &attacker, "alice", &guess).await);
            }
            seen
        };
        let secrets = async {
            let attacker = browser(ATTACKER);
            let mut seen = Vec::new();
            for n in 0..200 {
                let started = Instant::now();
                let answer = token(&base, &attacker, "svc", &format!("wrong-{n}")).await;
                seen.push((answer, started.elapsed()));
            }
            seen
        };
        let (passwords, secrets) = tokio::join!(passwords, secrets);

        let statuses: Vec<u16> = passwords.iter().map(|p| p.0).collect();
        let lock = locked_from(&statuses, "wrong passwords");
        assert_eq!(lock, 9, "the 10th failure locks: {statuses:?}");
        assert!(
            statuses[..lock].iter().all(|s| *s == 200),
            "the login page again"
        );
        // Slowed before the lock: 10 ms from the 3rd failure, doubling.
        let (first, last) = (passwords[0].3, passwords[lock - 1].3);
        assert!(
            last >= Duration::from_millis(640) && last > first * 4,
            "slowed: first {first:?}, last {last:?}"
        );
        for (_, retry_after, body, took) in &passwords[lock..] {
            let seconds = retry_after.expect("Retry-After");
            assert!((1..=600).contains(&seconds), "{seconds}");
            assert!(!body.contains("name=\"password\""), "no form while locked");
            assert!(*took < Duration::from_secs(2), "refused at once: {took:?}");
        }

        let statuses: Vec<u16> = secrets.iter().map(|((s, _, _), _)| *s).collect();
        let lock = locked_from(&statuses, "wrong secrets");
        assert!(lock <= 10, "locked well within 200: {statuses:?}");
        assert!(statuses[..lock].iter().all(|s| *s == 401), "{statuses:?}");
        let ((_, _, _), slowest) = secrets[lock - 1];
        assert!(slowest >= Duration::from_millis(300), "slowed: {slowest:?}");
        for ((_, retry_after, body), _) in &secrets[lock..] {
            assert_eq!(body["error"], "invalid_client", "{body}");
            assert!(retry_after.is_some_and(|s| (1..=600).contains(&s)));
        }

        // Locked means refused, right password or not, from any address.
        let elsewhere = browser(OTHER);
        let (status, ..) = login(&base, &elsewhere, "alice", "alice's password").await;
        assert_eq!(status, 429, "alice is locked from any address");
        let (status, ..) = token(&base, &elsewhere, "svc", &svc_secret).await;
        assert_eq!(status, 429, "svc is locked whatever the secret");
        // Another account from another address, and another client, keep working.
        let (status, _, body, _) = login(&base, &elsewhere, "bob", "bob's password").await;
        assert!(
            status == 303 || body.contains("name=\"decision\""),
            "bob logs in: {status} {body}"
        );
        let (status, _, body) = token(&base, &elsewhere, "other", &other_secret).await;
        assert_eq!(status, 200, "{body}");
        let (status, _, body) = token(&base, &browser(ATTACKER), "other", &other_secret).await;
        assert_eq!(status, 200, "a client is locked, not an address: {body}");
    });
    assert!(server.try_wait().unwrap().is_none(), "still serving");
    server.kill().unwrap();
    server.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn at_1024_open_files_idle_and_slow_clients_are_closed_while_requests_are_answered() {
    let dir = temp_dir("abuse-limits");
    std::fs::write(dir.join("oxid.toml"), LIMITS).unwrap();
    let (svc_secret, _) = populate(&dir);
    let (mut server, base, lines) = serve(&dir, Some(1024));
    let address = base.trim_start_matches("http://").to_string();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let http = browser(OTHER);
        // Normal requests every 100 ms all along, each on a fresh connection.
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let normal = {
            let (base, http) = (base.clone(), http.clone());
            tokio::spawn(async move {
                let mut slowest = Duration::ZERO;
                let mut answered = 0;
                while !*stop_rx.borrow() {
                    let started = Instant::now();
                    let response = http.get(format!("{base}/healthz")).send().await;
                    assert_eq!(response.map(|r| r.status().as_u16()).ok(), Some(200));
                    slowest = slowest.max(started.elapsed());
                    answered += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                (answered, slowest)
            })
        };

        // 2,000 connections that never send a byte: twice what the server may keep open.
        let opened_at = Instant::now();
        let mut idle = Vec::with_capacity(2000);
        for i in 0..2000 {
            // 100 every 100 ms: two seconds of idle clients, twice the header timeout, so
            // the server sits at its cap (~1,000 kept at once, beyond the file limit's reach
            // without it) rather than the kernel dropping a burst's handshakes.
            if i % 100 == 0 && i > 0 {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let address = address.clone();
            idle.push(tokio::spawn(async move {
                let mut stream = connect(&address, ATTACKER).await?;
                let limit = Duration::from_secs(10);
                if closed_within(&mut stream, Instant::now(), limit)
                    .await
                    .is_some()
                {
                    return Some(Idle::Closed);
                }
                Some(probe(&mut stream).await)
            }));
        }
        let slow_header = trickle(
            &address,
            "GET /healthz HTTP/1.1\r\nHost: x\r\n",
            b"X-Slow: 1\r\n",
            Duration::from_secs(10),
        );
        let slow_body = trickle(
            &address,
            "POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\
             \r\nContent-Length: 1000\r\n\r\n",
            b"a",
            Duration::from_secs(10),
        );
        let (slow_header, slow_body) = tokio::join!(slow_header, slow_body);
        let header_took = slow_header.expect("the slow-header client is closed");
        let body_took = slow_body.expect("the slow-body client is closed");
        assert!(header_took < Duration::from_secs(5), "{header_took:?}");
        assert!(body_took < Duration::from_secs(5), "{body_took:?}");
        let mut outcomes = std::collections::HashMap::new();
        for handle in idle {
            *outcomes.entry(handle.await.unwrap()).or_insert(0) += 1;
        }
        eprintln!("idle connections (None: not connected): {outcomes:?}");
        let count = |what| outcomes.get(&what).copied().unwrap_or(0);
        assert_eq!(
            count(Some(Idle::Kept)),
            0,
            "idle connections kept open: {outcomes:?}"
        );
        // Beyond the server's cap and its listen backlog the kernel may drop handshakes the
        // client took for done: those the server never had are not its to close.
        assert!(count(Some(Idle::Closed)) >= 1800, "{outcomes:?}");
        let all_closed_after = opened_at.elapsed();
        assert!(
            all_closed_after < Duration::from_secs(15),
            "{all_closed_after:?}"
        );

        // 16 concurrent wrong logins (unknown accounts: argon2id runs for each) while
        // `/token` is timed: its median stays near the unloaded one.
        token_median_ms(&base, &http, &svc_secret, 5).await;
        let baseline = token_median_ms(&base, &http, &svc_secret, 21).await;
        let (stop_logins, _) = tokio::sync::watch::channel(false);
        let attackers: Vec<_> = (0..16)
            .map(|i| {
                let (base, stop) = (base.clone(), stop_logins.subscribe());
                tokio::spawn(async move {
                    let attacker = browser(ATTACKER);
                    let mut tries = 0;
                    while !*stop.borrow() {
                        let user = format!("nobody-{i}-{tries}");
                        let (status, ..) = login(&base, &attacker, &user, "guess").await;
                        assert_eq!(status, 200, "a failed login, not throttled");
                        tries += 1;
                    }
                    tries
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let loaded = token_median_ms(&base, &http, &svc_secret, 21).await;
        stop_logins.send(true).unwrap();
        let mut tries = 0;
        for attacker in attackers {
            tries += attacker.await.unwrap();
        }
        assert!(tries >= 16, "the wrong logins ran ({tries})");
        eprintln!("token median {baseline:.1} ms, {loaded:.1} ms under {tries} wrong logins");
        // With argon2id on the async workers the median grows by 100 ms and more; a bounded
        // blocking pool leaves it within a few ms (margin for a busy 2-core machine).
        assert!(
            loaded <= baseline * 3.0 + 25.0,
            "token median {loaded:.1} ms under 16 wrong logins, {baseline:.1} ms before"
        );

        stop_tx.send(true).unwrap();
        let (answered, slowest) = normal.await.unwrap();
        assert!(answered >= 10, "normal requests ran ({answered})");
        assert!(
            slowest < Duration::from_secs(3),
            "slowest normal answer {slowest:?}"
        );
    });
    assert!(server.try_wait().unwrap().is_none(), "still serving");
    server.kill().unwrap();
    server.wait().unwrap();
    let log: Vec<String> = lines.try_iter().collect();
    assert!(
        !log.iter().any(|l| l.contains("Too many open files")),
        "the server ran out of file descriptors"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

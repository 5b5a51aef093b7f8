//! An open-loop load at a fixed rate, for the p99 "at half the maximum rate" of issue 14.
//!
//! wrk is closed-loop: each connection sends its next request when the last one is
//! answered, so a slow answer also delays the requests behind it and its latency is never
//! seen (coordinated omission), and at full load its p99 is the queue's. Here request `i` is
//! due at `start + i / rate` whatever happened before; the first free connection (of at most
//! `CONNECTIONS`) sends it, and its latency is counted from when it was due, as wrk2 does. A
//! request that waits for a free connection waits in its latency.
//!
//! The row comes from the same environment as bench/lib/row.lua: ROW_METHOD, ROW_BODY,
//! ROW_AUTH (basic: CLIENT_ID/CLIENT_SECRET; bearer: ROW_TOKEN), ROW_EXPECT ("|"-separated
//! substrings every body must contain), ROW_POOL (refresh: a file of refresh tokens, each
//! request takes one and puts back the rotated one). Prints the RESULT line of row.lua; with
//! TRACE_FILE, also writes each request's due time and latency there.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;

/// Most requests in flight at once: one per connection.
const DEFAULT_CONNECTIONS: usize = 32;

/// Sleeping is left this long before a request is due; the rest is spent yielding, since
/// tokio's timer has millisecond ticks and the load generator has its own core.
const SPIN: Duration = Duration::from_millis(1);

struct Row {
    method: hyper::Method,
    authority: String,
    path: String,
    authorization: Option<String>,
    body: Option<String>,
    expect: Vec<String>,
    /// First in, first out: every token is used in turn. Taking the last one put back would
    /// leave the others idle for the whole slice, and oidc-provider's in-memory store (an LRU
    /// of 1,000 entries) forgets an idle one (`invalid_grant` when a burst reaches it).
    pool: Option<RefCell<VecDeque<String>>>,
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    /// (when it was due, µs after the start; its latency, µs) of each answered request, for
    /// TRACE_FILE.
    trace: Vec<(u64, u64)>,
    bad: usize,
    socket_errors: usize,
}

/// `rate` requests per second to `url` for `seconds`; prints the RESULT line.
pub async fn run(url: &str, rate: f64, seconds: u64) -> Result<(), String> {
    if !(rate > 0.0) {
        return Err(format!("the rate must be positive, not {rate}"));
    }
    let row = Rc::new(row(url)?);
    let connections: usize = std::env::var("CONNECTIONS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(DEFAULT_CONNECTIONS);
    let total = (rate * seconds as f64).round() as u64;
    let next = Rc::new(Cell::new(0u64));
    let tally = Rc::new(RefCell::new(Tally::default()));
    let start = Instant::now() + Duration::from_millis(50);
    let local = tokio::task::LocalSet::new();
    for _ in 0..connections {
        let (row, next, tally) = (row.clone(), next.clone(), tally.clone());
        local.spawn_local(async move {
            let mut sender = None;
            loop {
                let i = next.get();
                if i >= total {
                    break;
                }
                next.set(i + 1);
                let due = start + Duration::from_secs_f64(i as f64 / rate);
                wait_until(due).await;
                let outcome = send(&row, &mut sender).await;
                let mut tally = tally.borrow_mut();
                match outcome {
                    Ok(Ok(())) => {
                        let latency = due.elapsed().as_micros() as u64;
                        tally.latencies_us.push(latency);
                        let at = due.saturating_duration_since(start).as_micros() as u64;
                        tally.trace.push((at, latency));
                    }
                    Ok(Err(bad)) => {
                        if tally.bad < 3 {
                            eprintln!("oxid-bench-flow paced: {bad}");
                        }
                        tally.bad += 1;
                    }
                    Err(e) => {
                        if tally.socket_errors < 3 {
                            eprintln!("oxid-bench-flow paced: {e}");
                        }
                        tally.socket_errors += 1;
                        sender = None;
                    }
                }
            }
        });
    }
    local.await;
    let elapsed_us = start.elapsed().as_micros().max(1) as u64;
    let mut tally = tally.take();
    if let Ok(path) = std::env::var("TRACE_FILE") {
        write_trace(&path, &mut tally.trace)?;
    }
    let bad = tally.bad;
    let socket_errors = tally.socket_errors;
    crate::report(&mut tally.latencies_us, bad + socket_errors, elapsed_us)
}

/// TRACE_FILE: one "due_us latency_us" line per answered request, in the order they were
/// due, to see when in a run the slow ones came (a stall shows as a run of them).
fn write_trace(path: &str, trace: &mut [(u64, u64)]) -> Result<(), String> {
    use std::io::Write as _;
    trace.sort_unstable();
    let file = std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?;
    let mut out = std::io::BufWriter::new(file);
    for (at, latency) in trace.iter() {
        writeln!(out, "{at} {latency}").map_err(|e| format!("{path}: {e}"))?;
    }
    out.flush().map_err(|e| format!("{path}: {e}"))
}

/// Sleeps until shortly before `due`, then yields until it comes.
async fn wait_until(due: Instant) {
    if let Some(early) = due.checked_sub(SPIN)
        && early > Instant::now()
    {
        tokio::time::sleep_until(early.into()).await;
    }
    while Instant::now() < due {
        tokio::task::yield_now().await;
    }
}

/// One request on this task's connection (opened, or opened again after an error).
/// `Ok(Err(..))`: answered, but not 200 or without an expected substring.
async fn send(
    row: &Row,
    sender: &mut Option<http1::SendRequest<Full<Bytes>>>,
) -> Result<Result<(), String>, String> {
    if sender.as_ref().is_none_or(|s| s.is_closed()) {
        let stream = tokio::net::TcpStream::connect(&row.authority)
            .await
            .map_err(|e| format!("connect {}: {e}", row.authority))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (s, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::task::spawn_local(connection);
        *sender = Some(s);
    }
    let Some(s) = sender.as_mut() else {
        return Err("no connection".into());
    };
    let token = row.pool.as_ref().map(|pool| pool.borrow_mut().pop_front());
    let body = match &token {
        Some(Some(refresh)) => Some(format!("grant_type=refresh_token&refresh_token={refresh}")),
        Some(None) => return Err("the refresh token pool is empty".into()),
        None => row.body.clone(),
    };
    let mut request = hyper::Request::builder()
        .method(row.method.clone())
        .uri(&row.path)
        .header("host", &row.authority)
        .header("accept", "application/json");
    if let Some(authorization) = &row.authorization {
        request = request.header("authorization", authorization);
    }
    if body.is_some() {
        request = request.header("content-type", "application/x-www-form-urlencoded");
    }
    let request = request
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|e| e.to_string())?;
    s.ready().await.map_err(|e| e.to_string())?;
    let response = s.send_request(request).await.map_err(|e| e.to_string())?;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    let mut ok = status == 200 && row.expect.iter().all(|part| text.contains(part.as_str()));
    if let Some(pool) = &row.pool {
        match rotated_refresh_token(&text) {
            Some(rotated) if ok => pool.borrow_mut().push_back(rotated),
            _ => ok = false,
        }
    }
    if !ok {
        let start: String = text.chars().take(300).collect();
        return Ok(Err(format!("bad response {status}: {start}")));
    }
    Ok(Ok(()))
}

fn rotated_refresh_token(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    value["refresh_token"].as_str().map(str::to_string)
}

fn row(url: &str) -> Result<Row, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    if parsed.scheme() != "http" {
        return Err(format!("{url}: only http:// is paced"));
    }
    let authority = format!(
        "{}:{}",
        parsed.host_str().ok_or("no host")?,
        parsed.port_or_known_default().ok_or("no port")?
    );
    let path = match parsed.query() {
        Some(query) => format!("{}?{query}", parsed.path()),
        None => parsed.path().to_string(),
    };
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let method = var("ROW_METHOD").unwrap_or_else(|| "GET".into());
    let authorization = match var("ROW_AUTH").as_deref() {
        Some("basic") => Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                crate::env("CLIENT_ID")?,
                crate::env("CLIENT_SECRET")?
            ))
        )),
        Some("bearer") => Some(format!("Bearer {}", crate::env("ROW_TOKEN")?)),
        _ => None,
    };
    let pool = match var("ROW_POOL") {
        Some(file) => {
            let tokens = std::fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?;
            Some(RefCell::new(tokens.lines().map(str::to_string).collect()))
        }
        None => None,
    };
    Ok(Row {
        method: method.parse().map_err(|_| format!("bad method {method}"))?,
        authority,
        path,
        authorization,
        body: var("ROW_BODY"),
        expect: var("ROW_EXPECT")
            .unwrap_or_default()
            .split('|')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
        pool,
    })
}

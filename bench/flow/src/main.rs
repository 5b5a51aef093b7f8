//! bench/run's browser-like load generator (see bench/README.md).
//!
//!   oxid-bench-flow run    ISSUER SECONDS CONCURRENCY   complete code flows, one RESULT line
//!   oxid-bench-flow tokens ISSUER COUNT FILE            COUNT flows; "access refresh" lines
//!   oxid-bench-flow sign   ALG SECONDS                  raw signing rate, one SIGN line
//!   oxid-bench-flow paced  URL RATE SECONDS             an open-loop row at RATE req/s (`paced`)
//!   oxid-bench-flow bare   FILE ADDR                    bare axum serving FILE: the documents' floor
//!
//! Environment: CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, USERNAME, PASSWORD, SCOPE, and
//! HIST_FILE (append the latency histogram as "microseconds count" lines, like the wrk
//! scripts). Every step of every flow is checked (see `browser`); a failed flow is counted in
//! `non200` and the first few are printed. One thread: the core it is pinned to is the load
//! generator's.

mod bare;
mod browser;
mod paced;
mod sign;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::rc::Rc;
use std::time::{Duration, Instant};

use browser::Setup;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let outcome = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["run", issuer, seconds, concurrency] => {
            runtime.block_on(run(issuer, number(seconds), number(concurrency)))
        }
        ["tokens", issuer, count, file] => runtime.block_on(tokens(issuer, number(count), file)),
        ["sign", alg, seconds] => sign::run(alg, number(seconds)),
        ["bare", file, addr] => bare::run(file, addr),
        ["paced", url, rate, seconds] => match rate.parse::<f64>() {
            Ok(rate) => runtime.block_on(paced::run(url, rate, number(seconds))),
            Err(_) => Err(format!("not a rate: {rate}")),
        },
        _ => Err("usage: oxid-bench-flow run ISSUER SECONDS CONCURRENCY | \
                  tokens ISSUER COUNT FILE | sign ALG SECONDS | paced URL RATE SECONDS | \
                  bare FILE ADDR"
            .into()),
    };
    if let Err(e) = outcome {
        eprintln!("oxid-bench-flow: {e}");
        std::process::exit(1);
    }
}

fn number(s: &str) -> u64 {
    s.parse().unwrap_or_else(|_| {
        eprintln!("oxid-bench-flow: not a number: {s}");
        std::process::exit(2)
    })
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

fn api_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())
}

/// The endpoints from the provider's discovery document, the rest from the environment.
async fn setup(issuer: &str, api: &reqwest::Client) -> Result<Setup, String> {
    let url = format!("{issuer}/.well-known/openid-configuration");
    let doc: serde_json::Value = api
        .get(&url)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| format!("{url}: {e}"))?
        .json()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let endpoint = |name: &str| -> Result<url::Url, String> {
        let value = doc[name].as_str().ok_or(format!("no {name} in {url}"))?;
        url::Url::parse(value).map_err(|e| format!("{name}: {e}"))
    };
    Ok(Setup {
        authorization_endpoint: endpoint("authorization_endpoint")?,
        token_endpoint: endpoint("token_endpoint")?,
        userinfo_endpoint: endpoint("userinfo_endpoint")?,
        client_id: env("CLIENT_ID")?,
        client_secret: env("CLIENT_SECRET")?,
        redirect_uri: env("REDIRECT_URI")?,
        username: env("USERNAME")?,
        password: env("PASSWORD")?,
        scope: std::env::var("SCOPE").unwrap_or_else(|_| "openid profile email".into()),
    })
}

/// Complete flows on `concurrency` tasks for `seconds`; prints the RESULT line.
async fn run(issuer: &str, seconds: u64, concurrency: u64) -> Result<(), String> {
    let api = api_client()?;
    let setup = Rc::new(setup(issuer, &api).await?);
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let local = tokio::task::LocalSet::new();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (setup, api) = (setup.clone(), api.clone());
        tasks.push(local.spawn_local(async move {
            let mut latencies = Vec::new();
            let mut errors = Vec::new();
            while Instant::now() < until {
                let t = Instant::now();
                match browser::code_flow(&setup, &api).await {
                    Ok(_) => latencies.push(t.elapsed().as_micros() as u64),
                    Err(e) => errors.push(e),
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = Vec::new();
    local
        .run_until(async {
            for task in tasks {
                if let Ok((l, e)) = task.await {
                    latencies.extend(l);
                    errors.extend(e);
                }
            }
        })
        .await;
    let elapsed = started.elapsed().as_micros().max(1) as u64;
    for e in errors.iter().take(5) {
        eprintln!("oxid-bench-flow: flow failed: {e}");
    }
    report(&mut latencies, errors.len(), elapsed)
}

/// `count` flows, one after another, with their tokens written to `file`.
async fn tokens(issuer: &str, count: u64, file: &str) -> Result<(), String> {
    let api = api_client()?;
    let setup = setup(issuer, &api).await?;
    let mut out = String::new();
    for _ in 0..count {
        let tokens = browser::code_flow(&setup, &api).await?;
        let refresh = tokens.refresh_token.ok_or("no refresh token")?;
        out.push_str(&format!("{} {}\n", tokens.access_token, refresh));
    }
    std::fs::write(file, out).map_err(|e| format!("{file}: {e}"))
}

fn report(latencies: &mut [u64], failed: usize, elapsed_us: u64) -> Result<(), String> {
    latencies.sort_unstable();
    let pct = |p: f64| -> u64 {
        if latencies.is_empty() {
            return 0;
        }
        let i = ((p / 100.0) * latencies.len() as f64).ceil() as usize;
        latencies[i.clamp(1, latencies.len()) - 1]
    };
    if let Ok(path) = std::env::var("HIST_FILE") {
        let mut counts = BTreeMap::new();
        for l in latencies.iter() {
            *counts.entry(*l).or_insert(0u64) += 1;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("{path}: {e}"))?;
        for (value, count) in counts {
            writeln!(f, "{value} {count}").map_err(|e| e.to_string())?;
        }
    }
    let requests = latencies.len() + failed;
    println!(
        "RESULT requests={requests} duration_us={elapsed_us} rps={:.1} p50_us={} p90_us={} \
         p99_us={} max_us={} non200={failed} socket_errors=0",
        requests as f64 / (elapsed_us as f64 / 1e6),
        pct(50.0),
        pct(90.0),
        pct(99.0),
        latencies.last().copied().unwrap_or(0),
    );
    Ok(())
}

//! What the durability tests share: databases to run on (a SQLite file, a PostgreSQL schema
//! of their own), introspection of recorded tokens, and a small random source.
#![allow(dead_code)]

pub mod proxy;

use crate::common::TestServer;
use serde_json::Value;
use sqlx::Executor;
use std::io::Write;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

pub const POSTGRES_VAR: &str = "OXID_TEST_POSTGRES_URL";

/// A database a test runs on, removed when dropped (PostgreSQL: call [`Database::drop_schema`]).
pub struct Database {
    /// The store URL the provider opens.
    pub url: String,
    /// The PostgreSQL schema (also the sessions' `application_name`) and an admin pool.
    pub postgres: Option<(sqlx::PgPool, String)>,
    /// The SQLite file's directory.
    pub dir: Option<PathBuf>,
}

/// A name no concurrent test picks.
pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}_{}_{nanos}", std::process::id())
}

impl Database {
    /// A new SQLite file in a fresh temporary directory.
    pub fn sqlite(name: &str) -> Database {
        let dir = std::env::temp_dir().join(unique(name));
        std::fs::create_dir_all(&dir).unwrap();
        Database {
            url: format!("sqlite://{}", dir.join("oxid.db").display()),
            postgres: None,
            dir: Some(dir),
        }
    }

    /// A new schema in the test PostgreSQL database, reached at `host_port` (the real
    /// server, or a proxy in front of it); `None` (and a loud skip) without
    /// `OXID_TEST_POSTGRES_URL`.
    pub async fn postgres(name: &str, host_port: Option<&str>) -> Option<Database> {
        let Some(admin_url) = std::env::var(POSTGRES_VAR).ok().filter(|u| !u.is_empty()) else {
            let _ = writeln!(std::io::stderr(), "SKIPPED: {POSTGRES_VAR} not set");
            return None;
        };
        let admin = sqlx::PgPool::connect(&admin_url).await.unwrap();
        let schema = unique(name);
        admin
            .execute(format!("CREATE SCHEMA {schema}").as_str())
            .await
            .unwrap();
        let mut url = admin_url.clone();
        if let Some(host_port) = host_port {
            let real = url::Url::parse(&admin_url).unwrap();
            let real_host_port = format!(
                "{}:{}",
                real.host_str().unwrap(),
                real.port().unwrap_or(5432)
            );
            url = url.replacen(&real_host_port, host_port, 1);
            assert!(url.contains(host_port), "{url} goes through {host_port}");
        }
        let separator = if url.contains('?') { '&' } else { '?' };
        let url = format!(
            "{url}{separator}options=-c%20search_path%3D{schema}&application_name={schema}"
        );
        Some(Database {
            url,
            postgres: Some((admin, schema)),
            dir: None,
        })
    }

    /// Sessions of this test's schema left `idle in transaction` (always 0 on SQLite).
    pub async fn sessions_idle_in_transaction(&self) -> i64 {
        let Some((admin, schema)) = &self.postgres else {
            return 0;
        };
        sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE application_name = $1 AND state LIKE 'idle in transaction%'",
        )
        .bind(schema)
        .fetch_one(admin)
        .await
        .unwrap()
    }

    /// Removes the schema or the directory.
    pub async fn remove(self) {
        if let Some((admin, schema)) = self.postgres {
            let dropped = admin
                .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
                .await;
            if let Err(e) = dropped {
                eprintln!("could not drop schema {schema}: {e}");
            }
        }
        if let Some(dir) = self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The tokens of `tokens` that `server` does not call active, introspecting a few at a time.
pub async fn inactive_tokens(
    server: &TestServer,
    client_id: &str,
    secret: &str,
    tokens: &[String],
) -> Vec<String> {
    let http = reqwest::Client::new();
    let mut inactive = Vec::new();
    for chunk in tokens.chunks(16) {
        let mut checks = tokio::task::JoinSet::new();
        for token in chunk {
            let (http, url, client_id, secret, token) = (
                http.clone(),
                server.url("/introspect"),
                client_id.to_string(),
                secret.to_string(),
                token.clone(),
            );
            checks.spawn(async move {
                let response = http
                    .post(url)
                    .basic_auth(client_id, Some(secret))
                    .form(&[("token", token.as_str())])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
                let body: Value = response.json().await.unwrap();
                (body["active"] == true, token)
            });
        }
        while let Some(done) = checks.join_next().await {
            let (active, token) = done.unwrap();
            if !active {
                inactive.push(token);
            }
        }
    }
    inactive
}

/// A xorshift generator: enough randomness for abort timings, no dependency.
pub struct Random(u64);

impl Random {
    /// Seeded from the clock (the seed is printed, to replay a failure).
    pub fn new() -> Random {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            | 1;
        eprintln!("random seed {seed}");
        Random(seed)
    }

    /// A number below `bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

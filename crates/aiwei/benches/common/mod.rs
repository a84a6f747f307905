//! What the benchmarks share: a fresh database per backend, dropped after
//! (kept, and its location printed, when `AIWEI_BENCH_KEEP` is set, so that
//! a slow query can be looked at with EXPLAIN on the very data measured).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aiwei_store::DatabaseUrl;
use serde_json::json;
use sqlx::Connection;

#[allow(dead_code)]
/// The value at fraction `p` (0.5, 0.99) of sorted durations, in ms.
pub fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

pub const BACKENDS: [&str; 2] = ["sqlite", "postgres"];

fn pg_admin() -> String {
    std::env::var("AIWEI_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// `GET base+path` with the bearer token; panics if it cannot be sent.
#[allow(dead_code)]
pub async fn get(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
) -> reqwest::Response {
    client
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// A database created for one benchmark run.
pub struct BenchDb {
    #[allow(dead_code)]
    pub url: DatabaseUrl,
    /// The URL as given to `aiwei --database-url`.
    #[allow(dead_code)]
    pub raw: String,
    dir: tempfile::TempDir,
    pg_name: Option<String>,
}

impl BenchDb {
    /// A new SQLite file in a temporary directory, or a new PostgreSQL
    /// database on the server of `AIWEI_TEST_PG_URL`.
    pub async fn new(backend: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        if backend == "sqlite" {
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            );
            return Self {
                url: DatabaseUrl::parse(&url).unwrap(),
                raw: url,
                dir,
                pg_name: None,
            };
        }
        let name = format!("aiwei_bench_{}", uuid::Uuid::now_v7().simple());
        let mut c = sqlx::PgConnection::connect(&pg_admin()).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0"
        )))
        .execute(&mut c)
        .await
        .unwrap();
        let admin = pg_admin();
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_owned())
            .unwrap_or(admin);
        let raw = format!("{base}/{name}");
        Self {
            url: DatabaseUrl::parse(&raw).unwrap(),
            raw,
            dir,
            pg_name: Some(name),
        }
    }

    /// Drops the PostgreSQL database (the SQLite file goes with its
    /// directory), or keeps either when `AIWEI_BENCH_KEEP` is set.
    pub async fn drop_db(self) {
        if std::env::var_os("AIWEI_BENCH_KEEP").is_some() {
            match &self.pg_name {
                Some(name) => eprintln!("(kept PostgreSQL database {name})"),
                None => eprintln!("(kept {})", self.dir.keep().join("bench.db").display()),
            }
            return;
        }
        if let Some(name) = &self.pg_name {
            let mut c = sqlx::PgConnection::connect(&pg_admin()).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut c)
            .await
            .unwrap();
        }
    }
}

/// What a load of intakes gave.
#[allow(dead_code)]
pub struct Load {
    /// Successful intakes a second.
    pub rate: f64,
    pub p50: Option<f64>,
    pub p99: Option<f64>,
    pub errors: usize,
}

/// `total` complete phone complaints (`POST /api/v1/matters`) by `conc`
/// workers over loopback; throughput, p50 and p99 of the successful ones,
/// and how many failed (the first failure is printed).
#[allow(dead_code)]
pub async fn intake(base: &str, token: &str, conc: usize, total: usize) -> Load {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(conc)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..conc {
        let (client, next, errors, base, token) = (
            client.clone(),
            next.clone(),
            errors.clone(),
            base.to_owned(),
            token.to_owned(),
        );
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break lat;
                }
                let body = json!({
                    "channel": "phone", "ring_seconds": 5,
                    "caller": {"name": "压测", "phone": format!("139{:08}", i)},
                    "type": "complaint", "category": "env.garbage",
                    "content": "小区垃圾清运不及时，压测事项。",
                    "location": {"address": "幸福路12号"},
                    "agreed_reply_at": (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339()
                });
                let t = Instant::now();
                let ok = match client
                    .post(format!("{base}/api/v1/matters"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 201 => r.bytes().await.is_ok(),
                    Ok(r) => {
                        // The first refusal says why; the rest are counted.
                        if errors.load(Ordering::Relaxed) == 0 {
                            eprintln!("({} {})", r.status(), r.text().await.unwrap_or_default());
                        }
                        false
                    }
                    Err(e) => {
                        if errors.load(Ordering::Relaxed) == 0 {
                            eprintln!("({e})");
                        }
                        false
                    }
                };
                if ok {
                    lat.push(t.elapsed());
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort();
    Load {
        rate: all.len() as f64 / secs,
        p50: (!all.is_empty()).then(|| pct(&all, 0.5)),
        p99: (!all.is_empty()).then(|| pct(&all, 0.99)),
        errors: errors.load(Ordering::Relaxed),
    }
}

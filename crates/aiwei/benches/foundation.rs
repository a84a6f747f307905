//! Foundation benchmark: intake over HTTP at concurrency 1, 8 and 32, and
//! the ledger's first and a filtered page with many matters loaded, on
//! SQLite and PostgreSQL. Prints a table; see docs/BENCHMARKS.md.
//!
//! `cargo bench -p aiwei --bench foundation [-- --matters N --requests N]`
//! PostgreSQL comes from `AIWEI_TEST_PG_URL` (default
//! postgres://postgres@127.0.0.1:5432/postgres); a database is created and
//! dropped. Only loopback is contacted.

// A benchmark measures real time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aiwei_core::{DepartmentCode, Role, Username};
use aiwei_server::auth::{hash_password, new_api_token};
use aiwei_server::{AppConfig, Application, Clock, app_state};
use aiwei_store::users::NewUser;
use aiwei_store::{DatabaseUrl, Db, Keys, Store};
use serde_json::json;

struct Args {
    matters: u64,
    requests: usize,
}

fn args() -> Args {
    let mut a = Args {
        matters: 1_000_000,
        requests: 400,
    };
    let v: Vec<String> = std::env::args().collect();
    for w in v.windows(2) {
        match w[0].as_str() {
            "--matters" => a.matters = w[1].parse().expect("--matters N"),
            "--requests" => a.requests = w[1].parse().expect("--requests N"),
            _ => {}
        }
    }
    a
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn start(url: &DatabaseUrl) -> (Store, String, String) {
    let store = Store::connect(url, Keys::generate()).await.unwrap();
    store.migrate().await.unwrap();
    let code = DepartmentCode::parse("AWB").unwrap();
    store.add_department(&code, "爱卫办").await.unwrap();
    let user = store
        .add_user(&NewUser {
            username: Username::parse("bench").unwrap(),
            display_name: "压测".into(),
            password_hash: hash_password("bench-password").unwrap(),
            roles: vec![Role::Intake, Role::Supervisor],
            departments: vec![code],
        })
        .await
        .unwrap();
    let (token, hash) = new_api_token();
    store
        .add_api_token(
            user.id,
            &hash,
            "bench",
            store.clock().now() + chrono::Duration::days(30),
        )
        .await
        .unwrap();
    let state = app_state(store.clone(), AppConfig::default(), Clock::system()).unwrap();
    let app = Application::build(state, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", app.local_addr().unwrap());
    tokio::spawn(app.run_until(std::future::pending()));
    (store, base, token)
}

/// Runs `total` intakes with `conc` workers; returns (per second, p50, p99).
async fn intake(base: &str, token: &str, conc: usize, total: usize) -> (f64, f64, f64) {
    let client = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..conc {
        let (client, next, base, token) = (
            client.clone(),
            next.clone(),
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
                    "agreed_reply_at": (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339()
                });
                let t = Instant::now();
                let r = client
                    .post(format!("{base}/api/v1/matters"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
                lat.push(t.elapsed());
            }
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort();
    (total as f64 / secs, pct(&all, 0.5), pct(&all, 0.99))
}

/// Loads `n` matters straight into the table (a fixture, not intake: the
/// ledger query is what is measured).
async fn bulk_load(store: &Store, n: u64) {
    let user: uuid::Uuid = match store.db() {
        Db::Sqlite(p, _) => sqlx::query_scalar("SELECT id FROM users LIMIT 1")
            .fetch_one(p)
            .await
            .unwrap(),
        Db::Postgres(p) => sqlx::query_scalar("SELECT id FROM users LIMIT 1")
            .fetch_one(p)
            .await
            .unwrap(),
    };
    let now = chrono::Utc::now().timestamp_millis();
    // Spread over a year; types and channels rotate.
    let cols =
        "id, number, channel, received_at, intake_user, department, caller_kind, caller_name,
        caller_phone, caller_phone_hash, matter_type, content, sensitive, status, created_at,
        updated_at, event_count, last_hash";
    match store.db() {
        Db::Sqlite(p, _) => {
            let sql = format!(
                "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n})
                 INSERT INTO matters ({cols})
                 SELECT randomblob(16), 'BM2025-' || printf('%07d', i),
                   CASE i % 3 WHEN 0 THEN 'visit' ELSE 'phone' END, {now} - i * 31536, $1, 'AWB', 'person', '某某',
                   '139' || printf('%08d', i), hex(randomblob(16)),
                   CASE i % 4 WHEN 0 THEN 'consultation' WHEN 1 THEN 'complaint' WHEN 2 THEN 'suggestion' ELSE 'other' END,
                   '垃圾堆放无人清运', 0, CASE i % 5 WHEN 0 THEN 'received' ELSE 'closed' END, {now}, {now}, 0, ''
                 FROM s"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(user)
                .execute(p)
                .await
                .unwrap();
            sqlx::query("ANALYZE").execute(p).await.unwrap();
        }
        Db::Postgres(p) => {
            let sql = format!(
                "INSERT INTO matters ({cols})
                 SELECT md5(i::text)::uuid, 'BM2025-' || lpad(i::text, 7, '0'),
                   CASE i % 3 WHEN 0 THEN 'visit' ELSE 'phone' END, {now} - i * 31536, $1, 'AWB', 'person', '某某',
                   '139' || lpad(i::text, 8, '0'), md5(i::text),
                   CASE i % 4 WHEN 0 THEN 'consultation' WHEN 1 THEN 'complaint' WHEN 2 THEN 'suggestion' ELSE 'other' END,
                   '垃圾堆放无人清运', false, CASE i % 5 WHEN 0 THEN 'received' ELSE 'closed' END, {now}, {now}, 0, ''
                 FROM generate_series(1::bigint, {n}) AS i"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(user)
                .execute(p)
                .await
                .unwrap();
            sqlx::query("ANALYZE matters").execute(p).await.unwrap();
        }
    }
    // The bulk insert wrote callers in the first schema's plaintext columns;
    // seal them as the store does for old rows, so ledger pages pay for
    // opening them as they do in production.
    store.reseal_all(20_000, true, |_| {}).await.unwrap();
}

/// Median and p99 of `reps` GETs of `path`.
async fn page(base: &str, token: &str, path: &str, reps: usize) -> (f64, f64, usize) {
    let client = reqwest::Client::new();
    let mut lat = Vec::new();
    let mut items = 0;
    for _ in 0..reps {
        let t = Instant::now();
        let r = client
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().await.unwrap();
        lat.push(t.elapsed());
        items = v["items"].as_array().map(|a| a.len()).unwrap_or(0);
    }
    lat.sort();
    (pct(&lat, 0.5), pct(&lat, 0.99), items)
}

#[tokio::main]
async fn main() {
    let a = args();
    println!(
        "Aiwei Desk foundation benchmark ({} intakes per level, {} matters in the ledger)",
        a.requests, a.matters
    );
    println!(
        "{:<10} {:<32} {:>10} {:>9} {:>9}",
        "backend", "measure", "req/s", "p50 ms", "p99 ms"
    );
    for backend in common::BACKENDS {
        let db = common::BenchDb::new(backend).await;
        let url = db.url.clone();
        let (store, base, token) = start(&url).await;
        for conc in [1, 8, 32] {
            let (rps, p50, p99) = intake(&base, &token, conc, a.requests).await;
            println!(
                "{backend:<10} {:<32} {rps:>10.1} {p50:>9.2} {p99:>9.2}",
                format!("intake, concurrency {conc}")
            );
        }
        let t = Instant::now();
        bulk_load(&store, a.matters).await;
        eprintln!(
            "({backend}: loaded {} matters in {:.1} s)",
            a.matters,
            t.elapsed().as_secs_f64()
        );
        // A cursor halfway down the ledger (the fixture spaces matters 31.5 s apart).
        let middle = chrono::Utc::now().timestamp_millis() - (a.matters as i64 / 2) * 31_536;
        let deep =
            format!("/api/v1/matters?limit=50&cursor={middle}.ffffffffffffffffffffffffffffffff");
        for (label, path) in [
            (
                "ledger first page (50)",
                "/api/v1/matters?limit=50".to_owned(),
            ),
            (
                "ledger filtered page (50)",
                "/api/v1/matters?limit=50&type=complaint&channel=visit&status=received".to_owned(),
            ),
            ("ledger page halfway, by cursor", deep),
        ] {
            let (p50, p99, n) = page(&base, &token, &path, 30).await;
            println!(
                "{backend:<10} {:<32} {:>10} {p50:>9.2} {p99:>9.2}   ({n} rows)",
                label, "-"
            );
        }
        store.close().await;
        db.drop_db().await;
    }
}

//! The city-scale benchmark (issue 13): the real `aiwei serve` binary as a
//! child process on one backend, measured from outside over loopback, with
//! one table at the end.
//!
//! `cargo bench -p aiwei --bench city -- --backend sqlite|postgres [--requests N] [--only a,b]`
//!
//! Stages (all by default; `--only` picks some):
//! - `limit`: the storage's physical limit on this machine, single-row
//!   durable commits per second, one after another, with the settings the
//!   server uses (SQLite: WAL, `synchronous=FULL`, in the same directory;
//!   PostgreSQL: the same server, a table of its own);
//! - `intake`: `POST /api/v1/matters` at concurrency 1, 8, 32 and 128,
//!   `--requests` each (throughput, p50, p99, errors), and the ratio of
//!   intake throughput to the limit (`--concurrency 32,128` picks levels).
//!
//! The server's peak RSS (`VmHWM` of the child) is printed at the end.
//! PostgreSQL comes from `AIWEI_TEST_PG_URL` (default
//! postgres://postgres@127.0.0.1:5432/postgres); a database is created and
//! dropped. Only loopback is contacted.

// A benchmark measures real time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod common;

use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::{ConnectOptions, Connection};

const STAGES: [&str; 2] = ["limit", "intake"];

struct Args {
    backend: String,
    requests: usize,
    stages: Vec<String>,
    levels: Vec<usize>,
}

fn args() -> Args {
    let mut a = Args {
        backend: "sqlite".into(),
        requests: 4000,
        stages: STAGES.iter().map(|s| (*s).to_owned()).collect(),
        levels: vec![1, 8, 32, 128],
    };
    let v: Vec<String> = std::env::args().collect();
    for w in v.windows(2) {
        match w[0].as_str() {
            "--backend" => {
                assert!(
                    common::BACKENDS.contains(&w[1].as_str()),
                    "--backend sqlite|postgres"
                );
                a.backend = w[1].clone();
            }
            "--requests" => a.requests = w[1].parse().expect("--requests N"),
            "--concurrency" => {
                a.levels = w[1]
                    .split(',')
                    .map(|n| n.parse().expect("--concurrency 1,8,32,128"))
                    .collect();
            }
            "--only" => {
                a.stages = w[1].split(',').map(str::to_owned).collect();
                for s in &a.stages {
                    assert!(STAGES.contains(&s.as_str()), "--only {}", STAGES.join(","));
                }
            }
            _ => {}
        }
    }
    a
}

/// One line of the table.
struct Row {
    measure: String,
    rate: Option<f64>,
    p50: Option<f64>,
    p99: Option<f64>,
    errors: Option<usize>,
    note: String,
}

impl Row {
    fn print_header() {
        println!(
            "| {:<38} | {:>9} | {:>8} | {:>8} | {:>6} | note |",
            "measure", "per s", "p50 ms", "p99 ms", "errors"
        );
        println!("|---|---:|---:|---:|---:|---|");
    }

    fn print(&self) {
        let f = |v: Option<f64>, d: usize| v.map_or("–".to_owned(), |v| format!("{v:.d$}"));
        println!(
            "| {:<38} | {:>9} | {:>8} | {:>8} | {:>6} | {} |",
            self.measure,
            f(self.rate, 1),
            f(self.p50, 2),
            f(self.p99, 2),
            self.errors.map_or("–".to_owned(), |e| e.to_string()),
            self.note
        );
    }
}

/// The `aiwei` binary with the bench's data directory and database.
fn aiwei(dir: &Path, url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_aiwei"));
    c.arg("--data-dir")
        .arg(dir)
        .arg("--database-url")
        .arg(url)
        .env("AIWEI_LOG", "warn")
        .env("NO_COLOR", "1");
    c
}

fn run(mut c: Command, stdin: Option<&str>) -> String {
    c.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = c.spawn().unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{c:?} failed");
    String::from_utf8(out.stdout).unwrap()
}

/// Migrates, adds a department and an intake clerk who is also a
/// supervisor (so every page shows callers in clear and writes its audit
/// record, as in production), and returns an API token of theirs.
fn setup(dir: &Path, url: &str) -> String {
    let c = |args: &[&str]| {
        let mut c = aiwei(dir, url);
        c.args(args);
        c
    };
    run(c(&["migrate"]), None);
    run(c(&["department", "add", "AWB", "爱卫办"]), None);
    run(
        c(&[
            "user",
            "add",
            "bench",
            "--role",
            "intake",
            "--role",
            "supervisor",
            "--department",
            "AWB",
            "--name",
            "压测",
            "--password-stdin",
        ]),
        Some("Ledger-load-7\n"),
    );
    let out = run(c(&["token", "create", "bench", "--label", "bench"]), None);
    out.trim().to_owned()
}

/// The server, a child process.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(dir: &Path, url: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = Self {
            child: aiwei(dir, url)
                .arg("serve")
                .env("AIWEI_BIND", format!("127.0.0.1:{port}"))
                .stdout(Stdio::null())
                .spawn()
                .unwrap(),
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(r) = client.get(format!("{}/readyz", server.base)).send().await
                && r.status().is_success()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not start");
    }

    /// A field of the server's /proc status, in MiB (`VmRSS`, `VmHWM`).
    fn mib(&self, field: &str) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Single-row durable commits per second, one after another, `n` of them,
/// with the server's settings.
async fn storage_limit(backend: &str, dir: &Path, url: &str, n: usize) -> f64 {
    /// Creates the table (`$create`), then times `n` inserts, each its own
    /// transaction.
    macro_rules! commits {
        ($c:expr, $create:literal) => {{
            sqlx::query($create).execute(&mut $c).await.unwrap();
            let t = Instant::now();
            for i in 0..n {
                sqlx::query("INSERT INTO bench_limit (v) VALUES ($1)")
                    .bind(format!("row {i}"))
                    .execute(&mut $c)
                    .await
                    .unwrap();
            }
            let took = t.elapsed();
            sqlx::query("DROP TABLE bench_limit")
                .execute(&mut $c)
                .await
                .unwrap();
            took
        }};
    }
    let took = if backend == "sqlite" {
        let mut c = aiwei_store::sqlite_options(&dir.join("limit.db"))
            .create_if_missing(true)
            .connect()
            .await
            .unwrap();
        commits!(
            c,
            "CREATE TABLE bench_limit (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"
        )
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        commits!(
            c,
            "CREATE TABLE bench_limit (id BIGSERIAL PRIMARY KEY, v TEXT NOT NULL)"
        )
    };
    n as f64 / took.as_secs_f64()
}

/// A row of intake figures.
async fn intake(base: &str, token: &str, conc: usize, total: usize) -> Row {
    let l = common::intake(base, token, conc, total).await;
    Row {
        measure: format!("intake, concurrency {conc}"),
        rate: Some(l.rate),
        p50: l.p50,
        p99: l.p99,
        errors: Some(l.errors),
        note: format!("{total} requests"),
    }
}

#[tokio::main]
async fn main() {
    let a = args();
    let on = |s: &str| a.stages.iter().any(|x| x == s);
    let db = common::BenchDb::new(&a.backend).await;
    let url = db.raw.clone();
    let dir = tempfile::tempdir().unwrap();
    let mut rows = Vec::new();

    let limit = if on("limit") {
        let n = 3000;
        let rate = storage_limit(&a.backend, dir.path(), &url, n).await;
        rows.push(Row {
            measure: "storage limit: single-row durable commits".into(),
            rate: Some(rate),
            p50: None,
            p99: None,
            errors: None,
            note: format!("{n} in a row, one connection"),
        });
        Some(rate)
    } else {
        None
    };

    let token = setup(dir.path(), &url);
    let server = Server::start(dir.path(), &url).await;
    if on("intake") {
        for &conc in &a.levels {
            let row = intake(&server.base, &token, conc, a.requests).await;
            eprintln!("({} done)", row.measure);
            let rate = row.rate;
            rows.push(row);
            if let (Some(limit), Some(rate), 32) = (limit, rate, conc) {
                rows.push(Row {
                    measure: "intake at 32 ÷ storage limit".into(),
                    rate: None,
                    p50: None,
                    p99: None,
                    errors: None,
                    note: format!("{:.2}", rate / limit),
                });
            }
        }
    }
    rows.push(Row {
        measure: "server peak RSS (VmHWM)".into(),
        rate: None,
        p50: None,
        p99: None,
        errors: None,
        note: format!("{:.0} MiB", server.mib("VmHWM")),
    });
    drop(server);

    println!(
        "Aiwei Desk city benchmark, {} ({} cores), {}",
        a.backend,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        chrono::Local::now().format("%Y-%m-%d %H:%M")
    );
    Row::print_header();
    for r in &rows {
        r.print();
    }
    db.drop_db().await;
}

//! The city-scale benchmark (issue 13): the real `aiwei serve` binary as a
//! child process on one backend, measured from outside over loopback, with
//! one table at the end.
//!
//! `cargo bench -p aiwei --bench city -- --backend sqlite|postgres [--matters N]
//! [--requests N] [--only a,b]`, or on a data set built before with
//! `aiwei demo --matters N`: `-- --data-dir DIR --database-url URL`.
//!
//! With `--matters N` the data set is built first (`aiwei demo`, timed), in
//! a database of the run's own. Stages (all by default; `--only` picks
//! some):
//! - `limit`: the storage's physical limit on this machine, single-row
//!   durable commits per second, one after another, with the settings the
//!   server uses (SQLite: WAL, `synchronous=FULL`, in the same directory;
//!   PostgreSQL: the same server, a table of its own);
//! - `intake`: `POST /api/v1/matters` at concurrency 1, 8, 32 and 128,
//!   `--requests` each (throughput, p50, p99, errors), and the ratio of
//!   intake throughput to the limit (`--concurrency 32,128` picks levels);
//! - `reads`: each read an office makes all day, one after another, p50
//!   and p99: the ledger's first page, a filtered page and a page 10,000
//!   rows deep; a matter (API and page); search for a common character, a
//!   word and two words; a month's indicators, the figures page and the
//!   supervision board;
//! - `export`: the newest 1,000,000 matters (the whole ledger when smaller)
//!   as .xlsx, with the server's RSS before and after;
//! - `sweep`: with the server stopped, 1,000 clocks of old matters made due
//!   and one sweep of them, timed in process;
//! - `size`: the database's size per matter.
//!
//! The server's peak RSS (`VmHWM` of the child) is printed at the end.
//! The server runs with the environment `deploy/aiwei.service` gives it
//! (its `Environment=` lines: the allocator's settings);
//! `--malloc-defaults` runs it without them, for comparison.
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

use chrono::Datelike;
use sqlx::{ConnectOptions, Connection};

const STAGES: [&str; 6] = ["limit", "intake", "reads", "export", "sweep", "size"];

struct Args {
    backend: String,
    requests: usize,
    stages: Vec<String>,
    levels: Vec<usize>,
    /// Build a data set of this many matters first.
    matters: u64,
    /// Run on this data set instead (`--data-dir`, `--database-url`).
    existing: Option<(std::path::PathBuf, String)>,
    /// The server's environment from the systemd unit (`Environment=`).
    deployed_env: Vec<(String, String)>,
}

fn args() -> Args {
    let mut a = Args {
        backend: "sqlite".into(),
        requests: 4000,
        stages: STAGES.iter().map(|s| (*s).to_owned()).collect(),
        levels: vec![1, 8, 32, 128],
        matters: 0,
        existing: None,
        deployed_env: deployed_env(),
    };
    let v: Vec<String> = std::env::args().collect();
    let value = |name: &str| v.windows(2).find(|w| w[0] == name).map(|w| w[1].clone());
    if let Some(dir) = value("--data-dir") {
        let url = value("--database-url").expect("--data-dir needs --database-url");
        a.backend = if url.starts_with("postgres") {
            "postgres".into()
        } else {
            "sqlite".into()
        };
        a.existing = Some((dir.into(), url));
    }
    if v.iter().any(|a| a == "--malloc-defaults") {
        a.deployed_env.clear();
    }
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
            "--matters" => a.matters = w[1].parse().expect("--matters N"),
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

/// The `Environment=` settings of `deploy/aiwei.service`, so that the
/// server is measured as it is deployed.
fn deployed_env() -> Vec<(String, String)> {
    let unit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/aiwei.service");
    std::fs::read_to_string(&unit)
        .expect("deploy/aiwei.service")
        .lines()
        .filter_map(|l| l.strip_prefix("Environment="))
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
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

fn run(c: Command, stdin: Option<&str>) -> String {
    let name = format!("{c:?}");
    try_run(c, stdin).unwrap_or_else(|| panic!("{name} failed"))
}

/// The command's output, or `None` when it fails.
fn try_run(mut c: Command, stdin: Option<&str>) -> Option<String> {
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap())
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
    // A demo data set has the department and, run again, the user.
    try_run(c(&["department", "add", "AWB", "爱卫办"]), None);
    try_run(
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
    async fn start(dir: &Path, url: &str, env: &[(String, String)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = Self {
            child: aiwei(dir, url)
                .arg("serve")
                .env("AIWEI_BIND", format!("127.0.0.1:{port}"))
                .envs(env.iter().map(|(k, v)| (k, v)))
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

/// `reps` GETs of `path` read to the end, one after another: p50, p99.
async fn reads(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    paths: &[String],
    reps: usize,
) -> (f64, f64) {
    let mut lat = Vec::with_capacity(reps);
    for i in 0..reps {
        let path = &paths[i % paths.len()];
        let t = Instant::now();
        let r = common::get(client, base, token, path).await;
        let status = r.status();
        r.bytes().await.unwrap();
        assert!(status.is_success(), "{path}: {status}");
        lat.push(t.elapsed());
    }
    lat.sort();
    (common::pct(&lat, 0.5), common::pct(&lat, 0.99))
}

/// A read row.
fn read_row(measure: &str, (p50, p99): (f64, f64), reps: usize) -> Row {
    Row {
        measure: measure.to_owned(),
        rate: None,
        p50: Some(p50),
        p99: Some(p99),
        errors: Some(0),
        note: format!("{reps} in a row"),
    }
}

/// GETs `path` as JSON.
async fn get_json(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
) -> serde_json::Value {
    let r = common::get(client, base, token, path).await;
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap()
}

/// The read rows: what an office asks of its ledger all day.
async fn read_rows(base: &str, token: &str) -> Vec<Row> {
    let client = reqwest::Client::new();
    let mut rows = Vec::new();
    let first = "/api/v1/matters?limit=20".to_owned();
    rows.push(read_row(
        "ledger: first page",
        reads(&client, base, token, std::slice::from_ref(&first), 200).await,
        200,
    ));
    let filtered = vec![
        "/api/v1/matters?limit=20&type=complaint&lead_department=HJWS".to_owned(),
        "/api/v1/matters?limit=20&status=closed&satisfaction=dissatisfied".to_owned(),
        "/api/v1/matters?limit=20&channel=visit&category=vector.rodent".to_owned(),
    ];
    rows.push(read_row(
        "ledger: filtered page",
        reads(&client, base, token, &filtered, 201).await,
        201,
    ));
    // Walk 100 pages of 100 for a cursor 10,000 rows deep, and gather
    // numbers of matters on the way.
    let mut cursor: Option<String> = None;
    let mut numbers = Vec::new();
    for _ in 0..100 {
        let path = match &cursor {
            Some(c) => format!("/api/v1/matters?limit=100&cursor={c}"),
            None => "/api/v1/matters?limit=100".to_owned(),
        };
        let page = get_json(&client, base, token, &path).await;
        if let Some(n) = page["items"][0]["number"].as_str() {
            numbers.push(n.to_owned());
        }
        match page["next"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    if let Some(c) = &cursor {
        let deep = vec![format!("/api/v1/matters?limit=20&cursor={c}")];
        rows.push(read_row(
            "ledger: page 10,000 rows deep",
            reads(&client, base, token, &deep, 200).await,
            200,
        ));
    }
    let api: Vec<String> = numbers
        .iter()
        .map(|n| format!("/api/v1/matters/{n}"))
        .collect();
    rows.push(read_row(
        "matter (API)",
        reads(&client, base, token, &api, 200).await,
        200,
    ));
    let page: Vec<String> = numbers.iter().map(|n| format!("/matters/{n}")).collect();
    rows.push(read_row(
        "matter page",
        reads(&client, base, token, &page, 200).await,
        200,
    ));
    for (measure, q) in [
        ("search: a common character (区)", "区"),
        ("search: a word (垃圾)", "垃圾"),
        ("search: two words (垃圾 清运)", "垃圾%20清运"),
    ] {
        let path = vec![format!("/api/v1/search?q={q}&limit=20")];
        rows.push(read_row(
            measure,
            reads(&client, base, token, &path, 100).await,
            100,
        ));
    }
    let last_month = (chrono::Local::now().date_naive().with_day(1).unwrap()
        - chrono::Duration::days(1))
    .format("%Y-%m")
    .to_string();
    // The demo's last months hold only the matters that went through the
    // flows (about 750 a month); a month a year back lies among the
    // copies, with the data set's steady volume (27,000 at 1,000,000).
    let year_back = (chrono::Local::now().date_naive().with_day(1).unwrap()
        - chrono::Months::new(12))
    .format("%Y-%m")
    .to_string();
    for (measure, path) in [
        (
            "month's indicators (API)",
            format!("/api/v1/reports/indicators?period={last_month}"),
        ),
        (
            "indicators, a month a year back",
            format!("/api/v1/reports/indicators?period={year_back}"),
        ),
        (
            "report (.xlsx), a month a year back",
            format!("/api/v1/exports/report.xlsx?period={year_back}"),
        ),
        (
            "month's report (.xlsx)",
            format!("/api/v1/exports/report.xlsx?period={last_month}"),
        ),
        (
            "figures page (dashboard)",
            format!("/figures?period={last_month}"),
        ),
        ("supervision board", "/supervision".to_owned()),
        ("my desk (/work)", "/work".to_owned()),
    ] {
        rows.push(read_row(
            measure,
            reads(&client, base, token, &[path], 20).await,
            20,
        ));
    }
    rows
}

/// The day (Beijing time) from which the newest `n` matters were
/// received, when there are more than `n`.
async fn day_of_newest(url: &str, n: i64) -> Option<String> {
    use aiwei_store::{DatabaseUrl, Db, Keys, Store};
    let store = Store::connect(&DatabaseUrl::parse(url).unwrap(), Keys::generate())
        .await
        .unwrap();
    let sql = "SELECT received_at FROM matters ORDER BY received_at DESC LIMIT 1 OFFSET $1";
    let at: Option<i64> = match store.db() {
        Db::Sqlite(p, _) => sqlx::query_scalar(sql).bind(n - 1).fetch_optional(p).await,
        Db::Postgres(p) => sqlx::query_scalar(sql).bind(n - 1).fetch_optional(p).await,
    }
    .unwrap();
    store.close().await;
    at.map(|ms| {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap()
            .with_timezone(&aiwei_core::time::china())
            .format("%Y-%m-%d")
            .to_string()
    })
}

/// The ledger's newest 1,000,000 matters (from the day the millionth was
/// received; the whole ledger when smaller) as .xlsx: time, rows and
/// bytes, and the server's RSS before and after.
async fn export_row(server: &Server, token: &str, from: Option<String>) -> Row {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(7200))
        .build()
        .unwrap();
    let before = server.mib("VmRSS");
    let t = Instant::now();
    let filter = from
        .as_ref()
        .map_or(String::new(), |d| format!("?received_from={d}"));
    let r = client
        .get(format!(
            "{}/api/v1/exports/ledger.xlsx{filter}",
            server.base
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let mut bytes = 0usize;
    let mut stream = r;
    while let Some(chunk) = stream.chunk().await.unwrap() {
        bytes += chunk.len();
    }
    let took = t.elapsed().as_secs_f64();
    Row {
        measure: "ledger export (.xlsx, newest 1,000,000)".into(),
        rate: None,
        p50: Some(took * 1000.0),
        p99: None,
        errors: Some(usize::from(!status.is_success())),
        note: format!(
            "{status}{}, {:.0} MB; server RSS {before:.0} → {:.0} MiB, peak {:.0} MiB",
            from.map_or(String::new(), |d| format!(", received from {d}")),
            bytes as f64 / 1e6,
            server.mib("VmRSS"),
            server.mib("VmHWM")
        ),
    }
}

/// With the server stopped: 1,000 running clocks on the newest matters,
/// due a minute ago, and one sweep of them in process.
async fn sweep_row(url: &str) -> Row {
    use aiwei_store::{DatabaseUrl, Keys, Store};
    let store = Store::connect(&DatabaseUrl::parse(url).unwrap(), Keys::generate())
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let due = now.timestamp_millis() - 60_000;
    let new_id = match store.backend() {
        aiwei_store::Backend::Sqlite => "randomblob(16)",
        aiwei_store::Backend::Postgres => "gen_random_uuid()",
    };
    let sql = format!(
        "INSERT INTO deadlines (id, matter_id, kind, started_at, due_at, warn_at, state,
            policy_version)
         SELECT {new_id}, id, 'rectify_due', {due} - 86400000, {due}, {due} - 3600000,
            'running', 1
         FROM (SELECT id FROM matters ORDER BY received_at DESC LIMIT 1000) m"
    );
    on_db(&store, &sql).await;
    let t = Instant::now();
    let r = store.sweep(now, 10_000).await.unwrap();
    let took = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    store.sweep(now, 10_000).await.unwrap();
    let empty = t.elapsed().as_secs_f64() * 1000.0;
    store.close().await;
    Row {
        measure: "one sweep with 1,000 due".into(),
        rate: None,
        p50: Some(took),
        p99: None,
        errors: None,
        note: format!(
            "{} marked overdue; the next, with none due: {empty:.1} ms",
            r.overdue
        ),
    }
}

/// Runs one statement on the store's database.
async fn on_db(store: &aiwei_store::Store, sql: &str) {
    match store.db() {
        aiwei_store::Db::Sqlite(p, _) => {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(p)
                .await
                .unwrap();
        }
        aiwei_store::Db::Postgres(p) => {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(p)
                .await
                .unwrap();
        }
    }
}

/// The database's bytes per matter.
async fn size_row(url: &str, dir: &Path) -> Row {
    use aiwei_store::{DatabaseUrl, Db, Keys, Store};
    let store = Store::connect(&DatabaseUrl::parse(url).unwrap(), Keys::generate())
        .await
        .unwrap();
    let (matters, bytes): (i64, f64) = match store.db() {
        Db::Sqlite(p, _) => {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM matters")
                .fetch_one(p)
                .await
                .unwrap();
            let file = url
                .trim_start_matches("sqlite://")
                .split('?')
                .next()
                .unwrap()
                .to_owned();
            let size = |f: &str| std::fs::metadata(f).map_or(0, |m| m.len());
            let _ = dir;
            (n, (size(&file) + size(&format!("{file}-wal"))) as f64)
        }
        Db::Postgres(p) => {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM matters")
                .fetch_one(p)
                .await
                .unwrap();
            let b: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
                .fetch_one(p)
                .await
                .unwrap();
            (n, b as f64)
        }
    };
    store.close().await;
    Row {
        measure: "database size per matter".into(),
        rate: None,
        p50: None,
        p99: None,
        errors: None,
        note: format!(
            "{:.1} KB ({matters} matters, {:.2} GB)",
            bytes / matters.max(1) as f64 / 1000.0,
            bytes / 1e9
        ),
    }
}

#[tokio::main]
async fn main() {
    let a = args();
    let on = |s: &str| a.stages.iter().any(|x| x == s);
    let fresh = match &a.existing {
        Some(_) => None,
        None => Some(common::BenchDb::new(&a.backend).await),
    };
    let tmp = tempfile::tempdir().unwrap();
    let (dir, url) = match (&a.existing, &fresh) {
        (Some((dir, url)), _) => (dir.clone(), url.clone()),
        (None, Some(db)) => (tmp.path().to_owned(), db.raw.clone()),
        (None, None) => unreachable!(),
    };
    let dir = dir.as_path();
    let mut rows = Vec::new();

    let limit = if on("limit") {
        let n = 3000;
        let rate = storage_limit(&a.backend, tmp.path(), &url, n).await;
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

    if a.matters > 0 && a.existing.is_none() {
        let t = Instant::now();
        let mut c = aiwei(dir, &url);
        c.args(["demo", "--matters", &a.matters.to_string()]);
        run(c, None);
        let secs = t.elapsed().as_secs_f64();
        rows.push(Row {
            measure: "data set built (aiwei demo)".into(),
            rate: Some(a.matters as f64 / secs),
            p50: None,
            p99: None,
            errors: None,
            note: format!("{} matters in {secs:.0} s", a.matters),
        });
    }

    let token = setup(dir, &url);
    let export_from = if on("export") {
        day_of_newest(&url, 1_000_000).await
    } else {
        None
    };
    let server = Server::start(dir, &url, &a.deployed_env).await;
    if on("reads") {
        rows.extend(read_rows(&server.base, &token).await);
        eprintln!("(reads done)");
    }
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
    if on("export") {
        rows.push(export_row(&server, &token, export_from.clone()).await);
        eprintln!("(export done)");
    }
    rows.push(Row {
        measure: "server peak RSS (VmHWM)".into(),
        rate: None,
        p50: None,
        p99: None,
        errors: None,
        note: format!(
            "{:.0} MiB ({})",
            server.mib("VmHWM"),
            if a.deployed_env.is_empty() {
                "allocator's defaults".to_owned()
            } else {
                a.deployed_env
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        ),
    });
    drop(server);
    if on("sweep") {
        rows.push(sweep_row(&url).await);
    }
    if on("size") {
        rows.push(size_row(&url, dir).await);
    }

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
    if let Some(db) = fresh {
        db.drop_db().await;
    }
}

//! Sweep benchmark: one deadline sweep over a ledger of `--matters` matters,
//! each with a running clock, of which `--due` have come due. The sweep's
//! cost should follow the number due, not the number of matters.
//!
//! `cargo bench -p aiwei --bench sweep [-- --matters N --due N]`; SQLite and
//! PostgreSQL (`AIWEI_TEST_PG_URL`, a database created and dropped).

// A benchmark measures real time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod common;

use std::time::Instant;

use aiwei_core::{DepartmentCode, Role, Username};
use aiwei_server::auth::hash_password;
use aiwei_store::users::NewUser;
use aiwei_store::{Db, Keys, Store};

fn arg(name: &str, default: u64) -> u64 {
    let v: Vec<String> = std::env::args().collect();
    v.windows(2)
        .find(|w| w[0] == name)
        .map(|w| w[1].parse().expect("a number"))
        .unwrap_or(default)
}

/// `n` matters with one running `rectify_due` clock each; the first `due`
/// clocks are past due at `now`, the rest far in the future.
async fn load(store: &Store, n: u64, due: u64, now: i64) {
    let code = DepartmentCode::parse("HJWS").unwrap();
    store.add_department(&code, "环境卫生科").await.unwrap();
    let user = store
        .add_user(&NewUser {
            username: Username::parse("bench").unwrap(),
            display_name: "压测".into(),
            password_hash: hash_password("bench-password").unwrap(),
            roles: vec![Role::Intake, Role::Supervisor, Role::DeptLead],
            departments: vec![code],
        })
        .await
        .unwrap();
    let matter_cols = "id, number, channel, received_at, intake_user, department, lead_department,
        caller_kind, caller_name, caller_phone, caller_phone_hash, matter_type, content, sensitive,
        status, created_at, updated_at, event_count, last_hash";
    let far = now + 365 * 86_400_000;
    match store.db() {
        Db::Sqlite(p, _) => {
            let m = format!(
                "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n})
                 INSERT INTO matters ({matter_cols})
                 SELECT randomblob(16), 'SW2025-' || printf('%07d', i), 'phone', {now} - i * 1000, $1,
                   'HJWS', 'HJWS', 'person', '某某', '139' || printf('%08d', i), hex(randomblob(16)),
                   'complaint', '压测', 0, 'rectifying', {now}, {now}, 0, '' FROM s"
            );
            sqlx::query(sqlx::AssertSqlSafe(m))
                .bind(user.id.0)
                .execute(p)
                .await
                .unwrap();
            let d = format!(
                "INSERT INTO deadlines (id, matter_id, kind, started_at, due_at, warn_at, state, policy_version)
                 SELECT randomblob(16), id, 'rectify_due', {now} - 86400000,
                   CASE WHEN rowid <= {due} THEN {now} - 1000 ELSE {far} END,
                   CASE WHEN rowid <= {due} THEN {now} - 2000 ELSE {far} - 1000 END, 'running', 1
                 FROM matters"
            );
            sqlx::query(sqlx::AssertSqlSafe(d))
                .execute(p)
                .await
                .unwrap();
            sqlx::query("ANALYZE").execute(p).await.unwrap();
        }
        Db::Postgres(p) => {
            let m = format!(
                "INSERT INTO matters ({matter_cols})
                 SELECT md5(i::text)::uuid, 'SW2025-' || lpad(i::text, 7, '0'), 'phone', {now} - i * 1000, $1,
                   'HJWS', 'HJWS', 'person', '某某', '139' || lpad(i::text, 8, '0'), md5(i::text),
                   'complaint', '压测', false, 'rectifying', {now}, {now}, 0, ''
                 FROM generate_series(1::bigint, {n}) AS i"
            );
            sqlx::query(sqlx::AssertSqlSafe(m))
                .bind(user.id.0)
                .execute(p)
                .await
                .unwrap();
            let d = format!(
                "INSERT INTO deadlines (id, matter_id, kind, started_at, due_at, warn_at, state, policy_version)
                 SELECT md5('d' || number)::uuid, id, 'rectify_due', {now} - 86400000,
                   CASE WHEN substr(number, 8)::bigint <= {due} THEN {now} - 1000 ELSE {far} END,
                   CASE WHEN substr(number, 8)::bigint <= {due} THEN {now} - 2000 ELSE {far} - 1000 END,
                   'running', 1
                 FROM matters"
            );
            sqlx::query(sqlx::AssertSqlSafe(d))
                .execute(p)
                .await
                .unwrap();
            sqlx::query("ANALYZE").execute(p).await.unwrap();
        }
    }
}

#[tokio::main]
async fn main() {
    let n = arg("--matters", 1_000_000);
    let due = arg("--due", 1_000);
    println!("Aiwei Desk sweep benchmark ({n} matters with a running clock, {due} due)");
    println!(
        "{:<10} {:>12} {:>10} {:>14} {:>16}",
        "backend", "load s", "marked", "sweep ms", "empty sweep ms"
    );
    for backend in common::BACKENDS {
        let db = common::BenchDb::new(backend).await;
        let url = db.url.clone();
        let store = Store::connect(&url, Keys::generate()).await.unwrap();
        store.migrate().await.unwrap();
        let now = chrono::Utc::now();
        let t = Instant::now();
        load(&store, n, due, now.timestamp_millis()).await;
        let load_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let r = store.sweep(now, 10_000).await.unwrap();
        let sweep_ms = t.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        let again = store.sweep(now, 10_000).await.unwrap();
        let empty_ms = t.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(again.overdue, 0);
        println!(
            "{backend:<10} {load_s:>12.1} {:>10} {sweep_ms:>14.1} {empty_ms:>16.2}",
            r.overdue
        );
        store.close().await;
        db.drop_db().await;
    }
}

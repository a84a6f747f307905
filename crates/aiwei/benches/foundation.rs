//! Foundation benchmark: intake over HTTP at concurrency 1, 8 and 32, and
//! the ledger's first and a filtered page with many matters loaded, on
//! SQLite and PostgreSQL; then the search index of those matters: how long
//! it takes to build, what searches cost, and what the index adds to one
//! intake. Prints a table; see docs/BENCHMARKS.md.
//!
//! `cargo bench -p aiwei --bench foundation [-- --matters N --requests N --backend sqlite|postgres]`
//! PostgreSQL comes from `AIWEI_TEST_PG_URL` (default
//! postgres://postgres@127.0.0.1:5432/postgres); a database is created and
//! dropped. Only loopback is contacted. With `AIWEI_BENCH_KEEP=1` the
//! databases are kept for a closer look (EXPLAIN) and their location printed.

// A benchmark measures real time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod common;

use common::pct;

use std::time::{Duration, Instant};

use aiwei_core::access::EVERYTHING;
use aiwei_core::{DepartmentCode, Role, Username};
use aiwei_server::auth::{hash_password, new_api_token};
use aiwei_server::{AppConfig, Application, Clock, app_state};
use aiwei_store::matters::LedgerFilter;
use aiwei_store::users::NewUser;
use aiwei_store::{DatabaseUrl, Db, Keys, Store, Tx};

struct Args {
    matters: u64,
    requests: usize,
    /// One backend only; both when absent.
    backend: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        matters: 1_000_000,
        requests: 400,
        backend: None,
    };
    let v: Vec<String> = std::env::args().collect();
    for w in v.windows(2) {
        match w[0].as_str() {
            "--matters" => a.matters = w[1].parse().expect("--matters N"),
            "--requests" => a.requests = w[1].parse().expect("--requests N"),
            "--backend" => {
                assert!(
                    common::BACKENDS.contains(&w[1].as_str()),
                    "--backend sqlite|postgres"
                );
                a.backend = Some(w[1].clone());
            }
            _ => {}
        }
    }
    a
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
    let l = common::intake(base, token, conc, total).await;
    assert_eq!(l.errors, 0, "intakes failed");
    (l.rate, l.p50.unwrap(), l.p99.unwrap())
}

/// Complaint texts for the fixture, a few dozen as a hotline hears them:
/// rubbish, rats, mosquitoes, toilets, eating places, smoking. `{s}` is
/// the matter's street. Of 40, twelve hold 垃圾, ten 鼠 and four 蚊子, so
/// the searches below find about 30 %, 25 % and 10 % of the ledger.
const TEXTS: [&str; 40] = [
    "小区垃圾清运不及时，垃圾桶已经满了好几天，气味很大。",
    "{s}路边垃圾堆放无人清运，夏天蚊蝇很多，请尽快处理。",
    "楼道里堆满了居民的杂物和垃圾，存在消防隐患，物业不管。",
    "垃圾中转站离居民楼太近，每天早上清运时噪音和臭味扰民。",
    "菜市场门口的垃圾桶长期不清洗，污水横流，希望加强管理。",
    "建筑垃圾随意倾倒在{s}的绿化带里，已经半个多月了。",
    "垃圾分类投放点没有人看管，混投现象严重，建议增加督导员。",
    "河道里漂着生活垃圾和塑料袋，周边居民反映味道难闻。",
    "背街小巷卫生死角多，垃圾和落叶堆积，引来老鼠。",
    "垃圾桶旁边经常有老鼠出没，晚上特别多，孩子们很害怕。",
    "家里厨房发现老鼠，怀疑是楼下餐馆引来的，请求灭鼠。",
    "小区地下室鼠患严重，电线被咬坏，希望安排投放鼠药。",
    "{s}农贸市场老鼠成群，白天都能看到，影响食品安全。",
    "单位食堂后面有鼠洞，申请爱卫办上门指导防鼠。",
    "咨询灭鼠药在哪里可以免费领取，家里有小孩需要安全的。",
    "学校周边的绿化带里有很多鼠洞，担心传播疾病。",
    "老旧小区下水道里老鼠多，晚上在楼道里乱窜。",
    "投诉物业灭鼠不及时，毒饵站已经空了一个月。",
    "小区水池长期积水，蚊子滋生，晚上被咬得睡不着。",
    "{s}附近的废弃工地有积水，蚊虫很多，请求喷洒消杀。",
    "咨询登革热预防知识，家里蚊子多，需要怎么做。",
    "公园里的人工湖边蚊子成群，游客反映很多。",
    "楼顶天台有积水的花盆和轮胎，孳生蚊虫，邻居不清理。",
    "建议在夏季增加小区灭蚊消杀的次数，蚊子太多了。",
    "{s}公共厕所卫生很差，没有纸也没有洗手液。",
    "公厕夜间不开门，附近的商户和行人很不方便。",
    "旅游景区的厕所排队时间太长，建议增加临时厕所。",
    "旱厕改造后冲水设备坏了，一直没人来修。",
    "公园里的厕所气味很大，保洁人员一天只打扫一次。",
    "{s}一家餐馆后厨卫生很差，门口垃圾和泔水随意堆放。",
    "在饭店吃饭后腹泻，怀疑食材不新鲜，要求调查。",
    "小吃街的摊贩不戴口罩和手套，餐具消毒不到位。",
    "早餐店门口油污严重，地面很滑，已经有人摔倒。",
    "外卖店没有门面，厨房设在居民楼里，油烟扰民。",
    "烧烤店占道经营，深夜油烟和垃圾影响周边居民。",
    "商场室内有人吸烟，工作人员不制止，请依法处理。",
    "网吧里吸烟现象严重，没有禁烟标识，空气很差。",
    "医院楼梯间经常有人抽烟，烟头随地乱扔。",
    "建议在公交站台设立禁烟提示，很多人在等车时吸烟。",
    "咨询公共场所控制吸烟条例的具体规定和举报方式。",
];

/// Streets of the fixture's addresses; 幸福路 is one in 24.
const STREETS: [&str; 24] = [
    "幸福路",
    "人民路",
    "解放路",
    "建设路",
    "中山路",
    "和平街",
    "新华街",
    "文化路",
    "胜利路",
    "光明街",
    "民主路",
    "长江路",
    "黄河路",
    "青年路",
    "朝阳街",
    "东风路",
    "红旗街",
    "工农路",
    "南京路",
    "北京路",
    "滨江路",
    "花园街",
    "育才路",
    "团结路",
];

/// `CASE <index> WHEN 0 THEN '…' … END` over `items` (no quotes in them),
/// so that row `i` of the fixture picks its text in SQL, on both backends.
fn sql_case(index: &str, items: &[&str]) -> String {
    let mut out = format!("CASE {index}");
    for (k, t) in items.iter().enumerate() {
        assert!(!t.contains('\''));
        out.push_str(&format!(" WHEN {k} THEN '{t}'"));
    }
    out.push_str(" END");
    out
}

/// Loads `n` matters straight into the table (a fixture, not intake: the
/// ledger query is what is measured). Row `i` gets text `i % 40` and
/// street `(i / 40) % 24`, so that texts and streets vary independently.
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
        caller_phone, caller_phone_hash, matter_type, content, address, sensitive, status,
        created_at, updated_at, event_count, last_hash";
    let street = sql_case(
        &format!("(i / {}) % {}", TEXTS.len(), STREETS.len()),
        &STREETS,
    );
    let content = format!(
        "replace({}, '{{s}}', {street})",
        sql_case(&format!("i % {}", TEXTS.len()), &TEXTS)
    );
    let address = format!("{street} || CAST((i * 7) % 500 + 1 AS TEXT) || '号'");
    match store.db() {
        Db::Sqlite(p, _) => {
            let sql = format!(
                "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n})
                 INSERT INTO matters ({cols})
                 SELECT randomblob(16), 'BM2025-' || printf('%07d', i),
                   CASE i % 3 WHEN 0 THEN 'visit' ELSE 'phone' END, {now} - i * 31536, $1, 'AWB', 'person', '某某',
                   '139' || printf('%08d', i), hex(randomblob(16)),
                   CASE i % 4 WHEN 0 THEN 'consultation' WHEN 1 THEN 'complaint' WHEN 2 THEN 'suggestion' ELSE 'other' END,
                   {content}, {address}, 0, CASE i % 5 WHEN 0 THEN 'received' ELSE 'closed' END, {now}, {now}, 0, ''
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
                   {content}, {address}, false, CASE i % 5 WHEN 0 THEN 'received' ELSE 'closed' END, {now}, {now}, 0, ''
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

/// Median and p99 of `reps` GETs of `path` read to the end, and the size
/// of the last answer.
async fn download(base: &str, token: &str, path: &str, reps: usize) -> (f64, f64, usize) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3600))
        .build()
        .unwrap();
    let mut lat = Vec::new();
    let mut size = 0;
    for _ in 0..reps {
        let t = Instant::now();
        let r = common::get(&client, base, token, path).await;
        assert_eq!(r.status(), 200, "{path}");
        size = r.bytes().await.unwrap().len();
        lat.push(t.elapsed());
    }
    lat.sort();
    (pct(&lat, 0.5), pct(&lat, 0.99), size)
}

/// A figure of /proc/self/status in KiB (`VmRSS`, `VmHWM`).
fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Starts the peak-RSS count afresh (Linux `clear_refs` 5).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
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

/// Builds the search index of every loaded matter as `aiwei search reindex
/// --restart` does (its default batch of 500, one transaction each), until
/// nothing is left; returns how long each batch took.
async fn build_index(store: &Store) -> Vec<Duration> {
    let mut batches = Vec::new();
    let mut restart = true;
    loop {
        let t = Instant::now();
        let n = store.reindex_search(500, restart).await.unwrap();
        restart = false;
        if n == 0 {
            break;
        }
        batches.push(t.elapsed());
    }
    batches
}

/// The bytes the search index takes, as far as each backend tells: on
/// SQLite the pages the whole file uses (before and after indexing gives
/// the index's share) and, where `dbstat` is compiled in, the index's own
/// tables; on PostgreSQL `matter_search` with its GIN index, and the index
/// alone.
async fn sizes(store: &Store) -> (i64, Option<i64>) {
    match store.db() {
        Db::Sqlite(p, _) => {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(p)
                .await
                .unwrap();
            let used: i64 = sqlx::query_scalar(
                "SELECT (c.page_count - f.freelist_count) * s.page_size
                 FROM pragma_page_count() c, pragma_freelist_count() f, pragma_page_size() s",
            )
            .fetch_one(p)
            .await
            .unwrap();
            let own: Option<i64> = sqlx::query_scalar(
                "SELECT SUM(pgsize) FROM dbstat
                 WHERE name LIKE 'matter_search%' OR name LIKE '%search_docs%'",
            )
            .fetch_one(p)
            .await
            .ok()
            .flatten();
            (used, own)
        }
        Db::Postgres(p) => {
            let (total, gin): (i64, i64) = sqlx::query_as(
                "SELECT pg_total_relation_size('matter_search'), pg_relation_size('matter_search_doc')",
            )
            .fetch_one(p)
            .await
            .unwrap();
            (total, Some(gin))
        }
    }
}

/// Median and p99 of `reps` searches for `q` (50 a page), received on or
/// after the day `from` when given; the rows on the page and how many match
/// in all (the response's `total`, with `+` when it says there are more).
async fn search(
    base: &str,
    token: &str,
    q: &str,
    from: Option<chrono::NaiveDate>,
    reps: usize,
) -> (f64, f64, usize, String) {
    let client = reqwest::Client::new();
    let mut lat = Vec::new();
    let (mut items, mut total) = (0, String::new());
    let mut query = vec![("q", q.to_owned()), ("limit", "50".to_owned())];
    if let Some(d) = from {
        query.push(("received_from", d.to_string()));
    }
    for _ in 0..reps {
        let t = Instant::now();
        let r = client
            .get(format!("{base}/api/v1/search"))
            .query(&query)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().await.unwrap();
        lat.push(t.elapsed());
        items = v["items"].as_array().map(|a| a.len()).unwrap_or(0);
        let more = if v["total_more"].as_bool().unwrap() {
            "+"
        } else {
            ""
        };
        total = format!("{}{more}", v["total"].as_i64().unwrap());
    }
    lat.sort();
    (pct(&lat, 0.5), pct(&lat, 0.99), items, total)
}

/// Where a search's time goes: the two store calls it makes, timed
/// directly (`reps` each, no HTTP, no sealed callers opened, no audit
/// record): the page of 50 (`Store::ledger`) and the total
/// (`Store::ledger_count`, up to the default count limit). Returns the p50 and p99 of each, in ms.
async fn search_parts(
    store: &Store,
    q: &str,
    from: Option<chrono::NaiveDate>,
    reps: usize,
) -> ((f64, f64), (f64, f64)) {
    let query = aiwei_core::search::Query::parse(q).unwrap();
    let filter = LedgerFilter {
        text: store.search_conds(&query).unwrap(),
        received_from: from.map(|d| {
            d.and_hms_opt(0, 0, 0)
                .unwrap()
                .and_local_timezone(aiwei_core::time::china())
                .unwrap()
                .with_timezone(&chrono::Utc)
        }),
        ..LedgerFilter::default()
    };
    let (mut page, mut count) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let t = Instant::now();
        store.ledger(&filter, &EVERYTHING, None, 50).await.unwrap();
        page.push(t.elapsed());
        let t = Instant::now();
        store
            .ledger_count(&filter, &EVERYTHING, AppConfig::default().count_limit)
            .await
            .unwrap();
        count.push(t.elapsed());
    }
    page.sort();
    count.sort();
    (
        (pct(&page, 0.5), pct(&page, 0.99)),
        (pct(&count, 0.5), pct(&count, 0.99)),
    )
}

/// Runs `$body` with `$c` bound to the connection of either backend's
/// transaction (the store's own macro is private to it).
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            Tx::Sqlite(t) => {
                let $c = t.conn();
                $body
            }
            Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

/// Sets the rebuild's progress so that the next matter it takes is `id`.
async fn progress_before(store: &Store, id: uuid::Uuid) {
    let mut tx = store.db().begin().await.unwrap();
    on_tx!(&mut tx, c => {
        let before: Option<uuid::Uuid> = sqlx::query_scalar(
            "SELECT id FROM matters WHERE id < $1 ORDER BY id DESC LIMIT 1")
            .bind(id)
            .fetch_optional(&mut *c)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO search_progress (name, last_id) VALUES ('matters', $1)
             ON CONFLICT (name) DO UPDATE SET last_id = EXCLUDED.last_id")
            .bind(before)
            .execute(&mut *c)
            .await
            .unwrap();
    });
    tx.commit().await.unwrap();
}

/// What the search index adds to one intake, measured on the loaded
/// database with production code. Intake writes a matter's document with
/// `search::reindex` inside its own transaction; that function is private
/// to the store, but `reindex_search(1, …)` runs exactly it for the next
/// matter after the recorded progress, in a transaction of its own, with a
/// little bookkeeping: read the progress, pick (and on PostgreSQL lock) the
/// next id, write the progress, commit. So each of the freshly recorded
/// matters of `ids` loses its document first (as if just recorded, before
/// the index write), then is timed twice, alternately: once through
/// `reindex_search(1)`, and once through the same bookkeeping transaction
/// without the document. The difference is what the index write costs,
/// commit included (an FTS5 segment or GIN pending-list page more to make
/// durable). Returns (with document, without), each per matter.
async fn index_write_cost(store: &Store, ids: &[uuid::Uuid]) -> (Vec<Duration>, Vec<Duration>) {
    match store.db() {
        Db::Sqlite(p, _) => {
            for id in ids {
                sqlx::query(
                    "DELETE FROM matter_search WHERE rowid =
                     (SELECT rowid FROM search_docs WHERE matter_id = $1)",
                )
                .bind(id)
                .execute(p)
                .await
                .unwrap();
                sqlx::query("DELETE FROM search_docs WHERE matter_id = $1")
                    .bind(id)
                    .execute(p)
                    .await
                    .unwrap();
            }
        }
        Db::Postgres(p) => {
            sqlx::query("DELETE FROM matter_search WHERE matter_id = ANY($1)")
                .bind(ids)
                .execute(p)
                .await
                .unwrap();
        }
    }
    let lock = match store.db() {
        Db::Sqlite(..) => "",
        Db::Postgres(_) => " FOR UPDATE",
    };
    let pick =
        format!("SELECT id FROM matters WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2{lock}");
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for id in ids {
        progress_before(store, *id).await;
        let t = Instant::now();
        let mut tx = store.db().begin().await.unwrap();
        on_tx!(&mut tx, c => {
            let last: Option<uuid::Uuid> = sqlx::query_scalar(
                "SELECT last_id FROM search_progress WHERE name = 'matters'")
                .fetch_optional(&mut *c)
                .await
                .unwrap()
                .flatten();
            let next: Vec<uuid::Uuid> = sqlx::query_scalar(sqlx::AssertSqlSafe(pick.clone()))
                .bind(last)
                .bind(1_i64)
                .fetch_all(&mut *c)
                .await
                .unwrap();
            assert_eq!(next, [*id]);
            sqlx::query(
                "INSERT INTO search_progress (name, last_id) VALUES ('matters', $1)
                 ON CONFLICT (name) DO UPDATE SET last_id = EXCLUDED.last_id")
                .bind(next[0])
                .execute(&mut *c)
                .await
                .unwrap();
        });
        tx.commit().await.unwrap();
        without.push(t.elapsed());

        progress_before(store, *id).await;
        let t = Instant::now();
        assert_eq!(store.reindex_search(1, false).await.unwrap(), 1);
        with.push(t.elapsed());
    }
    // Every one of them has its document again, and the progress the
    // measurement left behind is not an owed rebuild.
    for id in ids {
        let back: i64 = match store.db() {
            Db::Sqlite(p, _) => sqlx::query_scalar(
                "SELECT COUNT(*) FROM search_docs d JOIN matter_search s ON s.rowid = d.rowid
                 WHERE d.matter_id = $1",
            )
            .bind(id)
            .fetch_one(p)
            .await
            .unwrap(),
            Db::Postgres(p) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM matter_search WHERE matter_id = $1")
                    .bind(id)
                    .fetch_one(p)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(back, 1);
    }
    let mut tx = store.db().begin().await.unwrap();
    on_tx!(&mut tx, c => {
        sqlx::query("DELETE FROM search_progress WHERE name = 'matters'")
            .execute(&mut *c)
            .await
            .unwrap();
    });
    tx.commit().await.unwrap();
    with.sort();
    without.sort();
    (with, without)
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
        if a.backend.as_deref().is_some_and(|b| b != backend) {
            continue;
        }
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
        let (before, _) = sizes(&store).await;
        let t = Instant::now();
        let mut batches = build_index(&store).await;
        let took = t.elapsed().as_secs_f64();
        // The database as autovacuum would leave it a minute after such a
        // rebuild: planner statistics of the new documents and, on
        // PostgreSQL, the dead row versions the fixture's re-sealing left
        // in every matter cleared and the visibility map set (the bench
        // server may run with autovacuum off; a production one does not).
        match store.db() {
            Db::Sqlite(p, _) => {
                sqlx::query("ANALYZE").execute(p).await.unwrap();
            }
            Db::Postgres(p) => {
                sqlx::query("VACUUM ANALYZE").execute(p).await.unwrap();
            }
        }
        let (after, own) = sizes(&store).await;
        batches.sort();
        eprintln!(
            "({backend}: indexed {} matters in {took:.1} s, {:.0} µs a matter; a batch of 500: \
             p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms)",
            a.matters,
            took * 1e6 / a.matters.max(1) as f64,
            pct(&batches, 0.5),
            pct(&batches, 0.99),
            pct(&batches, 1.0),
        );
        match backend {
            "sqlite" => eprintln!(
                "({backend}: database in use {:.1} MiB before indexing, {:.1} MiB after; \
                 dbstat of the index's tables: {})",
                before as f64 / 1048576.0,
                after as f64 / 1048576.0,
                own.map(|b| format!("{:.1} MiB", b as f64 / 1048576.0))
                    .unwrap_or_else(|| "not compiled in".into()),
            ),
            _ => eprintln!(
                "({backend}: matter_search {:.1} MiB with its indexes, of which the GIN index {:.1} MiB)",
                after as f64 / 1048576.0,
                own.unwrap_or(0) as f64 / 1048576.0,
            ),
        }
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
        // The figures of this month (about 83,000 matters received) and
        // its report as a workbook: what the dashboard and the monthly
        // report compute (figures::report).
        let month = aiwei_core::kpi::Period::containing(
            aiwei_core::kpi::PeriodKind::Month,
            chrono::Utc::now()
                .with_timezone(&aiwei_core::time::china())
                .date_naive(),
        )
        .key();
        for (label, path) in [
            (
                "indicators, this month",
                format!("/api/v1/reports/indicators?period={month}"),
            ),
            (
                "monthly report (dashboard), xlsx",
                format!("/api/v1/exports/report.xlsx?period={month}"),
            ),
        ] {
            let (p50, p99, bytes) = download(&base, &token, &path, 5).await;
            println!(
                "{backend:<10} {label:<32} {:>10} {p50:>9.2} {p99:>9.2}   ({bytes} bytes)",
                "-"
            );
        }
        // The whole ledger as a workbook, once, with the peak memory of the
        // process while it is written (the server runs in this process).
        reset_peak_rss();
        let base_rss = rss_kib("VmRSS");
        let (ms, _, bytes) = download(&base, &token, "/api/v1/exports/ledger.xlsx", 1).await;
        let peak = rss_kib("VmHWM");
        println!(
            "{backend:<10} {:<32} {:>10} {ms:>9.0} {:>9}   ({:.1} MiB file, peak RSS {:.0} MiB, {:.0} MiB above the start)",
            "ledger export, all rows, xlsx",
            "-",
            "-",
            bytes as f64 / 1048576.0,
            peak as f64 / 1024.0,
            peak.saturating_sub(base_rss) as f64 / 1024.0,
        );
        // The last seven days: about 19,000 matters, 4,800 of them with 鼠.
        let week = (chrono::Utc::now().with_timezone(&aiwei_core::time::china())
            - chrono::Duration::days(7))
        .date_naive();
        for (label, q, from) in [
            ("search, one character", "鼠", None),
            ("search, two characters", "垃圾", None),
            ("search, two terms", "垃圾 幸福路", None),
            ("search, one character, 7 days", "鼠", Some(week)),
        ] {
            let (p50, p99, n, total) = search(&base, &token, q, from, 30).await;
            println!(
                "{backend:<10} {:<32} {:>10} {p50:>9.2} {p99:>9.2}   ({q}: {n} rows of {total})",
                label, "-"
            );
            let ((p50, p99), (c50, c99)) = search_parts(&store, q, from, 10).await;
            println!(
                "{backend:<10} {:<32} {:>10} {p50:>9.2} {p99:>9.2}",
                "  of which the page's query", "-"
            );
            println!(
                "{backend:<10} {:<32} {:>10} {c50:>9.2} {c99:>9.2}",
                "  of which the total (COUNT)", "-"
            );
        }
        // Intake again, now into the loaded and indexed ledger; the
        // matters it records are the fresh ones of the next measure.
        let since = chrono::Utc::now().timestamp_millis();
        let (rps, p50, p99) = intake(&base, &token, 1, a.requests).await;
        println!(
            "{backend:<10} {:<32} {rps:>10.1} {p50:>9.2} {p99:>9.2}",
            "intake, concurrency 1, indexed"
        );
        let fresh: Vec<uuid::Uuid> = match store.db() {
            Db::Sqlite(p, _) => {
                sqlx::query_scalar("SELECT id FROM matters WHERE received_at >= $1 ORDER BY id")
                    .bind(since)
                    .fetch_all(p)
                    .await
                    .unwrap()
            }
            Db::Postgres(p) => {
                sqlx::query_scalar("SELECT id FROM matters WHERE received_at >= $1 ORDER BY id")
                    .bind(since)
                    .fetch_all(p)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(fresh.len(), a.requests);
        let (with, without) = index_write_cost(&store, &fresh).await;
        for (label, lat) in [
            ("reindex_search(1), fresh matter", &with),
            ("same transaction, no document", &without),
        ] {
            println!(
                "{backend:<10} {:<32} {:>10} {:>9.2} {:>9.2}",
                label,
                "-",
                pct(lat, 0.5),
                pct(lat, 0.99)
            );
        }
        eprintln!(
            "({backend}: the index write of one intake: p50 {:.2} ms, p99 {:.2} ms more)",
            pct(&with, 0.5) - pct(&without, 0.5),
            pct(&with, 0.99) - pct(&without, 0.99),
        );
        store.close().await;
        db.drop_db().await;
    }
}

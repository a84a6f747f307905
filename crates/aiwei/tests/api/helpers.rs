//! The test harness: a real app on port 0 against a fresh SQLite file or a
//! fresh PostgreSQL database, with helpers to make users and call the API.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use aiwei_core::{DepartmentCode, Role, Username};
use aiwei_server::auth::{hash_password, new_api_token};
use aiwei_server::{AppConfig, Application, Clock, app_state};
use aiwei_store::users::{NewUser, User};
use aiwei_store::{DatabaseUrl, Keys, Store};
use serde_json::{Value, json};
use sqlx::Connection;
use tokio::sync::oneshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Everything the app logged during this test run, at debug level: tests
/// grep it for personal data.
pub fn captured_log() -> String {
    let buf = log_buffer();
    let bytes = buf.lock().map(|b| b.clone()).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// With `AIWEI_TEST_LOG_FILE` set (the test command sets it), the app's
/// log and every error body the tests receive are also appended to that
/// file, which the test command searches for the canary caller afterwards.
fn suite_log() -> Option<&'static Mutex<std::fs::File>> {
    static FILE: OnceLock<Option<Mutex<std::fs::File>>> = OnceLock::new();
    FILE.get_or_init(|| {
        let path = std::env::var("AIWEI_TEST_LOG_FILE").ok()?;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()
            .map(Mutex::new)
    })
    .as_ref()
}

fn to_suite_log(bytes: &[u8]) {
    if let Some(f) = suite_log()
        && let Ok(mut f) = f.lock()
    {
        let _ = f.write_all(bytes);
    }
}

/// Reads an answer; an error body is kept for the canary search. A refused
/// page form is shown again to its author with what they typed (so nothing
/// is lost; `no-store`): of an HTML page only the error messages are kept,
/// the `role="alert"` elements.
pub async fn answer(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let kind = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let html = kind.starts_with("text/html");
    // A workbook is read as the text of its cells, so the canary and the
    // matrix look into it like into any other answer.
    let text = if kind == XLSX {
        let bytes = r.bytes().await.unwrap_or_default();
        workbook_rows(&bytes)
            .into_iter()
            .flatten()
            .map(|(_, rows)| {
                rows.iter()
                    .map(|r| r.join("\t"))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        r.text().await.unwrap_or_default()
    };
    if status >= 400 {
        let kept = if html {
            // Each alert and the few lines of its message list.
            let lines: Vec<&str> = text.lines().collect();
            let mut kept: Vec<&str> = Vec::new();
            for (i, l) in lines.iter().enumerate() {
                if l.contains("role=\"alert\"") {
                    kept.extend(lines.iter().skip(i).take(4));
                }
            }
            kept.join("\n")
        } else {
            text.clone()
        };
        to_suite_log(format!("error body {status}: {kept}\n").as_bytes());
    }
    (status, text)
}

/// The media type of an Excel workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Every sheet of a workbook: its name and its rows of cell texts (dates as
/// their Excel serial numbers), or `None` when the bytes are no workbook.
pub fn workbook_rows(bytes: &[u8]) -> Option<Vec<(String, Vec<Vec<String>>)>> {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).ok()?;
    let names = book.sheet_names();
    let mut out = Vec::new();
    for name in names {
        let range = book.worksheet_range(&name).ok()?;
        let rows = range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        out.push((name, rows));
    }
    Some(out)
}

pub async fn json_answer(r: reqwest::Response) -> (u16, Value) {
    let (status, text) = answer(r).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn log_buffer() -> Arc<Mutex<Vec<u8>>> {
    static BUF: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUF.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = SharedWriter(buf.clone());
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug,hyper=info,hyper_util=info,h2=info")
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .try_init();
        buf
    })
    .clone()
}

#[derive(Clone)]
struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl Write for SharedWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(b);
        }
        to_suite_log(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn pg_admin_url() -> String {
    std::env::var("AIWEI_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database created for one test and dropped when the test ends, even
/// when it fails.
pub struct TestDb {
    pub url: DatabaseUrl,
    /// The URL as `aiwei --database-url` takes it.
    pub url_text: String,
    _dir: tempfile::TempDir,
    pub dir: PathBuf,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_owned();
        match backend {
            Backend::Sqlite => {
                let file = path.join("aiwei.db");
                let url_text = format!("sqlite://{}?mode=rwc", file.display());
                TestDb {
                    url: DatabaseUrl::parse(&url_text).unwrap(),
                    url_text,
                    _dir: dir,
                    dir: path,
                    pg_name: None,
                }
            }
            Backend::Postgres => {
                let name = format!("aiwei_test_{}", uuid::Uuid::now_v7().simple());
                let admin = pg_admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .expect("PostgreSQL for tests (set AIWEI_TEST_PG_URL)");
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0"
                )))
                .execute(&mut conn)
                .await
                .unwrap();
                conn.close().await.unwrap();
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                let url_text = format!("{base}/{name}");
                TestDb {
                    url: DatabaseUrl::parse(&url_text).unwrap(),
                    url_text,
                    _dir: dir,
                    dir: path,
                    pg_name: Some(name),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop runs outside async context (and during panics): use a
        // runtime of its own on a plain thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&pg_admin_url()).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            })
        })
        .join();
    }
}

/// One running app instance.
pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub client: reqwest::Client,
    /// The client's cookies.
    jar: Arc<reqwest::cookie::Jar>,
    shutdown: Option<oneshot::Sender<()>>,
    pub db: Arc<TestDb>,
    pub keys: Keys,
    /// Added to the system time to give the app's "now".
    offset: Arc<Mutex<chrono::Duration>>,
    /// The running app's state, for the background work a test drives by
    /// hand (the outbox).
    pub state: aiwei_server::AppState,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// An app whose configuration `tune` adjusts.
    pub async fn spawn_with(backend: Backend, tune: impl FnOnce(&mut AppConfig)) -> Self {
        let db = Arc::new(TestDb::new(backend).await);
        Self::spawn_configured(db, Keys::generate(), tune).await
    }

    /// Another instance on the same database (several app servers sharing
    /// one PostgreSQL).
    pub async fn spawn_on(db: Arc<TestDb>, keys: Keys) -> Self {
        Self::spawn_configured(db, keys, |_| {}).await
    }

    /// [`TestApp::spawn_on`] with the configuration adjusted.
    pub async fn spawn_on_with(
        db: Arc<TestDb>,
        keys: Keys,
        tune: impl FnOnce(&mut AppConfig),
    ) -> Self {
        Self::spawn_configured(db, keys, tune).await
    }

    async fn spawn_configured(
        db: Arc<TestDb>,
        keys: Keys,
        tune: impl FnOnce(&mut AppConfig),
    ) -> Self {
        log_buffer();
        let store = Store::connect(&db.url, keys.clone()).await.unwrap();
        store.migrate().await.unwrap();
        let offset = Arc::new(Mutex::new(chrono::Duration::zero()));
        let clock = {
            let offset = offset.clone();
            Clock::from_fn(move || chrono::Utc::now() + *offset.lock().unwrap())
        };
        let mut config = AppConfig {
            attachments_dir: db.dir.join("attachments"),
            ..AppConfig::default()
        };
        tune(&mut config);
        let store = store.with_clock(clock.clone());
        let state = app_state(store.clone(), config, clock).unwrap();
        let app = Application::build(state.clone(), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let addr = app.local_addr().unwrap();
        let (tx, rx) = oneshot::channel();
        tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        let jar = Arc::new(reqwest::cookie::Jar::default());
        Self {
            base: format!("http://{addr}"),
            store,
            jar: jar.clone(),
            client: reqwest::Client::builder()
                .cookie_provider(jar)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            shutdown: Some(tx),
            db,
            keys,
            offset,
            state,
        }
    }

    /// The app's "now".
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + *self.offset.lock().unwrap()
    }

    /// Moves the app's clock so that "now" is `t`.
    pub fn set_now(&self, t: chrono::DateTime<chrono::Utc>) {
        *self.offset.lock().unwrap() = t - chrono::Utc::now();
    }

    /// The value of the session cookie the client holds (empty: none).
    pub fn session_cookie(&self) -> String {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().unwrap();
        let all = self
            .jar
            .cookies(&url)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        all.split("; ")
            .find_map(|c| c.strip_prefix("aiwei_session="))
            .unwrap_or_default()
            .to_owned()
    }

    /// Moves the app's clock forward.
    pub fn advance(&self, d: chrono::Duration) {
        *self.offset.lock().unwrap() += d;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Creates the department if needed and a user with these roles;
    /// returns the user and their password.
    pub async fn user(&self, name: &str, roles: &[Role], dept: Option<&str>) -> (User, String) {
        if let Some(d) = dept {
            let code = DepartmentCode::parse(d).unwrap();
            let _ = self.store.add_department(&code, &format!("{d}科")).await;
        }
        let password = format!("pw-{name}-{}", uuid::Uuid::now_v7().simple());
        let user = self
            .store
            .add_user(&NewUser {
                username: Username::parse(name).unwrap(),
                display_name: format!("测试{name}"),
                password_hash: hash_password(&password).unwrap(),
                roles: roles.to_vec(),
                departments: dept
                    .map(|d| DepartmentCode::parse(d).unwrap())
                    .into_iter()
                    .collect(),
            })
            .await
            .unwrap();
        (user, password)
    }

    /// A user with these roles and an API token for them.
    pub async fn token_user(
        &self,
        name: &str,
        roles: &[Role],
        dept: Option<&str>,
    ) -> (User, String) {
        let (user, _) = self.user(name, roles, dept).await;
        let token = self.token_for(&user).await;
        (user, token)
    }

    /// A new API token for `user`.
    pub async fn token_for(&self, user: &User) -> String {
        let (token, hash) = new_api_token();
        self.store
            .add_api_token(
                user.id,
                &hash,
                "test",
                self.now() + chrono::Duration::days(3650),
            )
            .await
            .unwrap();
        token
    }

    pub async fn post_json(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        json_answer(r).await
    }

    /// Records a phone complaint as `token`; returns its number.
    pub async fn complaint(&self, token: &str, phone: &str, name: &str) -> String {
        let (s, m) = self
            .post_json(token, "/api/v1/matters", &phone_complaint(phone, name))
            .await;
        assert_eq!(s, 201, "{m}");
        m["number"].as_str().unwrap().to_owned()
    }

    /// Puts `policy` as `token`: the status and the answer.
    pub async fn put_policy(&self, token: &str, policy: &Value) -> (u16, Value) {
        let r = self
            .client
            .put(self.url("/api/v1/policy"))
            .bearer_auth(token)
            .json(policy)
            .send()
            .await
            .unwrap();
        json_answer(r).await
    }

    /// Takes one flow step on matter `number` as `token`.
    pub async fn step(&self, token: &str, number: &str, body: Value) -> (u16, Value) {
        self.post_json(token, &format!("/api/v1/matters/{number}/actions"), &body)
            .await
    }

    /// A phone complaint dispatched to `lead`; returns its number.
    pub async fn dispatched(&self, token: &str, phone: &str, lead: &str) -> String {
        let n = self.complaint(token, phone, "派单").await;
        let (s, m) = self
            .step(
                token,
                &n,
                serde_json::json!({"action": "dispatch", "lead": lead}),
            )
            .await;
        assert_eq!(s, 200, "{m}");
        n
    }

    /// A page's HTML, with the client's cookies.
    pub async fn html(&self, path: &str) -> String {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Logs the cookie client in through the login form.
    pub async fn log_in(&self, user: &str, password: &str) {
        let r = self
            .post_form("/login", &[("username", user), ("password", password)])
            .await;
        assert_eq!(r.status(), 303, "login of {user}");
    }

    /// Posts an urlencoded form with the client's cookies (no token).
    pub async fn post_form<T: serde::Serialize + ?Sized>(
        &self,
        path: &str,
        form: &T,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Posts JSON with the client's cookies (no token), as a script on our
    /// own pages does: the browser says it comes from this origin.
    pub async fn post_cookie_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("origin", &self.base)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Deletes with the client's cookies, from this origin.
    pub async fn delete_cookie(&self, path: &str) -> reqwest::Response {
        self.client
            .delete(self.url(path))
            .header("origin", &self.base)
            .send()
            .await
            .unwrap()
    }

    /// "YYYY-MM-DDTHH:MM" in local time, `days` from the app's now: what a
    /// `datetime-local` field holds.
    pub fn local_input(&self, days: i64) -> String {
        (self.now() + chrono::Duration::days(days))
            .with_timezone(&aiwei_core::time::china())
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    }

    pub async fn get_json(&self, token: &str, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        json_answer(r).await
    }

    pub async fn matter_count(&self) -> i64 {
        match self.store.db() {
            aiwei_store::Db::Sqlite(p, _) => sqlx::query_scalar("SELECT COUNT(*) FROM matters")
                .fetch_one(p)
                .await
                .unwrap(),
            aiwei_store::Db::Postgres(p) => sqlx::query_scalar("SELECT COUNT(*) FROM matters")
                .fetch_one(p)
                .await
                .unwrap(),
        }
    }

    /// Loads the demo organisation with `matters` matters.
    pub async fn seed_demo(&self, matters: u32) -> aiwei::demo::DemoReport {
        let opts = aiwei::demo::DemoOptions {
            matters,
            ..Default::default()
        };
        aiwei::demo::seed(
            &self.store,
            &opts,
            &aiwei_server::auth::hash_password,
            self.now(),
        )
        .await
        .unwrap()
    }

    /// Runs a statement behind the program's back.
    pub async fn raw_execute(&self, sql: &str) -> u64 {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self.store.db() {
            aiwei_store::Db::Sqlite(p, _) => {
                sqlx::query(sql).execute(p).await.unwrap().rows_affected()
            }
            aiwei_store::Db::Postgres(p) => {
                sqlx::query(sql).execute(p).await.unwrap().rows_affected()
            }
        }
    }

    /// A count read behind the program's back.
    pub async fn raw_count(&self, sql: &str) -> i64 {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self.store.db() {
            aiwei_store::Db::Sqlite(p, _) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
            aiwei_store::Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.store.close().await;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The usual cast of a test, each with an API token: intake at AWB, a
/// handler and the head of HJWS, a handler of another department (BMFZ),
/// and a supervisor.
pub struct Desk {
    pub intake: String,
    pub handler: String,
    pub lead: String,
    pub other: String,
    pub supervisor: String,
}

impl TestApp {
    pub async fn desk(&self) -> Desk {
        Desk {
            intake: self
                .token_user("jieting", &[Role::Intake], Some("AWB"))
                .await
                .1,
            handler: self
                .token_user("jingban", &[Role::Handler], Some("HJWS"))
                .await
                .1,
            lead: self
                .token_user("keshi", &[Role::DeptLead], Some("HJWS"))
                .await
                .1,
            other: self
                .token_user("jingban2", &[Role::Handler], Some("BMFZ"))
                .await
                .1,
            supervisor: self
                .token_user("duban", &[Role::Supervisor], Some("AWB"))
                .await
                .1,
        }
    }
}

/// The canary caller: pushed through every path by
/// `confidentiality::the_canary_caller_stays_out_of_logs_and_error_bodies`;
/// the test command fails if the suite's log or any error body holds it.
pub const CANARY_PHONE: &str = "13900112233";
pub const CANARY_NAME: &str = "甄士隐";
pub const CANARY_ORG: &str = "金陵甄氏绸缎庄";

/// The kinds of a matter's events, oldest first.
pub fn kinds(m: &Value) -> Vec<String> {
    m["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// A complete, valid phone complaint.
pub fn phone_complaint(phone: &str, name: &str) -> Value {
    json!({
        "channel": "phone",
        "received_at": (chrono::Utc::now() - chrono::Duration::minutes(2)).to_rfc3339(),
        "ring_seconds": 7,
        "caller": {"kind": "person", "name": name, "phone": phone},
        "type": "complaint",
        "category": "env.garbage",
        "content": "幸福里小区3号楼门口垃圾堆放三天无人清运，气味很大。",
        "location": {"address": "解放路幸福里小区3号楼", "area_code": "330102", "latitude": 30.25, "longitude": 120.16},
        "sensitive": false,
        "agreed_reply_at": (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339()
    })
}

/// Declares a test that runs once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::helpers::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($body)($crate::helpers::Backend::Postgres).await
            }
        }
    };
}

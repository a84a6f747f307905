//! End to end in Debian's Chromium through chromedriver: log in, record a
//! complaint by phone, find it in the ledger, open its timeline.
//!
//! Skips itself when `AIWEI_CHROMEDRIVER` is not set, unless
//! `AIWEI_REQUIRE_BROWSER=1` (the test command sets both), so a plain
//! `cargo test` works on a machine without a browser.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aiwei_core::Role;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A minimal W3C WebDriver client: the handful of commands the tests use.
struct Driver {
    http: reqwest::Client,
    base: String,
    session: String,
    child: Child,
    _profile: tempfile::TempDir,
}

impl Driver {
    async fn start() -> Option<Self> {
        let required = std::env::var("AIWEI_REQUIRE_BROWSER").as_deref() == Ok("1");
        let driver = match std::env::var("AIWEI_CHROMEDRIVER") {
            Ok(d) => d,
            Err(_) if required => {
                panic!("AIWEI_REQUIRE_BROWSER=1 but AIWEI_CHROMEDRIVER is not set")
            }
            Err(_) => {
                eprintln!("browser test skipped: set AIWEI_CHROMEDRIVER (the test command does)");
                return None;
            }
        };
        let chromium =
            std::env::var("AIWEI_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && r.status().is_success()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--window-size=1366,768",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        }}});
        let r: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {r}"))
            .to_owned();
        Some(Self {
            http,
            base,
            session,
            child,
            _profile: profile,
        })
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{}", self.base, self.session, path);
        let mut req = self.http.request(method.clone(), url);
        if method != reqwest::Method::GET {
            req = req.json(&body);
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        if v["value"]["error"].is_string() {
            panic!("WebDriver {path}: {}", v["value"]);
        }
        v["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", json!({ "url": url }))
            .await;
    }

    /// Waits up to 10 s for `css` to appear.
    async fn find(&self, css: &str) -> String {
        for _ in 0..100 {
            let url = format!("{}/session/{}/element", self.base, self.session);
            let v: Value = self
                .http
                .post(url)
                .json(&json!({"using": "css selector", "value": css}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if let Some(id) = v["value"][ELEMENT].as_str() {
                return id.to_owned();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let src = self.cmd(reqwest::Method::GET, "/source", Value::Null).await;
        let url = self.cmd(reqwest::Method::GET, "/url", Value::Null).await;
        panic!(
            "{css} did not appear on {url}: {}",
            src.as_str()
                .unwrap_or_default()
                .chars()
                .take(600)
                .collect::<String>()
        );
    }

    async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{el}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{el}/click"),
            json!({}),
        )
        .await;
    }

    async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.cmd(
            reqwest::Method::GET,
            &format!("/element/{el}/text"),
            Value::Null,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    async fn script(&self, js: &str, args: Value) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": js, "args": args}),
        )
        .await
    }

    async fn quit(mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn log_in(&self, app: &TestApp, user: &str, password: &str) {
        self.goto(&app.url("/login")).await;
        self.type_into("#username", user).await;
        self.type_into("#password", password).await;
        self.click_and_wait("#login-submit").await;
        self.find("nav.side").await;
    }

    /// Clicks and waits until the next page has loaded.
    async fn click_and_wait(&self, css: &str) {
        self.script("window.__aiweiOldPage = true;", json!([]))
            .await;
        self.click(css).await;
        for _ in 0..100 {
            let v = self
                .script(
                    "return window.__aiweiOldPage === undefined && document.readyState === 'complete';",
                    json!([]),
                )
                .await;
            if v == json!(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no new page after clicking {css}");
    }

    /// Waits up to 10 s for the intake page's call banner to hold `text`.
    async fn banner_with(&self, text: &str) -> String {
        let mut banner = String::new();
        for _ in 0..100 {
            banner = self
                .script(
                    "return document.getElementById('call-banner').textContent;",
                    json!([]),
                )
                .await
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if banner.contains(text) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        banner
    }

    async fn log_out(&self) {
        self.click_and_wait("form[action='/logout'] button").await;
        self.find("#login-submit").await;
    }

    /// Fills and submits the step form `code` on the open matter page;
    /// `fields` are (field name, value) set by script, so selects and
    /// date inputs behave alike; returns the notice shown afterwards.
    async fn step(&self, code: &str, fields: &[(&str, &str)]) -> String {
        self.script(
            "const f = document.getElementById('step-' + arguments[0]); f.parentElement.open = true;\
             for (const [k, v] of arguments[1]) { document.getElementById(arguments[0] + '-' + k).value = v; }",
            json!([code, fields]),
        )
        .await;
        self.click_and_wait(&format!("#step-{code}-submit")).await;
        self.text("#done-notice").await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaint_walks_from_intake_to_the_department_and_back_to_closure() {
    let Some(browser) = Driver::start().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (_, intake_pw) = app.user("jieting", &[Role::Intake], Some("AWB")).await;
    let (_, handler_pw) = app.user("jingban", &[Role::Handler], Some("HJWS")).await;
    let (_, lead_pw) = app.user("keshi", &[Role::DeptLead], Some("HJWS")).await;

    // Intake records the complaint and dispatches it.
    browser.log_in(&app, "jieting", &intake_pw).await;
    browser.goto(&app.url("/intake")).await;
    browser.type_into("#caller_phone", "13877778888").await;
    browser.type_into("#caller_name", "三人流转").await;
    browser
        .type_into("#content", "幸福里小区垃圾房满溢，气味很大。")
        .await;
    browser
        .script(
            "document.getElementById('agreed_reply_at').value = arguments[0];",
            json!([app.local_input(3)]),
        )
        .await;
    browser.click("#intake-submit").await;
    let notice = browser.text("#created-notice").await;
    let number = notice
        .split_whitespace()
        .find(|w| w.starts_with("AW"))
        .map(|w| w.trim_end_matches('。').to_owned())
        .unwrap();
    assert!(
        browser
            .step("dispatch", &[("lead", "HJWS"), ("note", "请尽快处理")])
            .await
            .contains("派单")
    );
    browser.log_out().await;

    // The department lead signs for it; the handler does the rest.
    browser.log_in(&app, "keshi", &lead_pw).await;
    browser.goto(&app.url(&format!("/matters/{number}"))).await;
    assert!(browser.step("sign_for", &[]).await.contains("签收"));
    browser.log_out().await;
    browser.log_in(&app, "jingban", &handler_pw).await;
    browser.goto(&app.url(&format!("/matters/{number}"))).await;
    let phone = browser.text("dl.fields").await;
    assert!(
        phone.contains("138****8888"),
        "the handler sees the phone masked: {phone}"
    );
    assert!(
        browser
            .step("arrive", &[("who", "刘洋"), ("findings", "垃圾房满溢属实")])
            .await
            .contains("到场")
    );
    assert!(
        browser
            .step(
                "plan",
                &[
                    ("measures", "当日清运并消杀"),
                    ("planned_completion", app.local_input(5).as_str())
                ]
            )
            .await
            .contains("整改措施")
    );
    assert!(
        browser
            .step("complete", &[("result", "已清运消杀")])
            .await
            .contains("整改完成")
    );
    browser.log_out().await;

    // Intake gives feedback and revisits; the matter closes.
    browser.log_in(&app, "jieting", &intake_pw).await;
    browser.goto(&app.url(&format!("/matters/{number}"))).await;
    assert!(
        browser
            .step(
                "feedback",
                &[("channel", "phone"), ("content", "已清运并消杀")]
            )
            .await
            .contains("反馈")
    );
    assert!(
        browser
            .step(
                "revisit",
                &[("satisfaction", "satisfied"), ("words", "很满意")]
            )
            .await
            .contains("回访")
    );
    let title = browser.text("main h1").await;
    assert!(title.contains("已办结"), "{title}");
    let timeline = browser.text("#timeline").await;
    for step in [
        "派单",
        "签收",
        "到场核查",
        "整改完成",
        "反馈来电人",
        "回访满意并办结",
    ] {
        assert!(timeline.contains(step), "{step} missing from {timeline}");
    }
    browser.quit().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_record_a_complaint_find_it_and_open_its_timeline() {
    let Some(browser) = Driver::start().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (_, password) = app.user("jieting", &[Role::Intake], Some("AWB")).await;

    browser.goto(&app.url("/")).await;
    browser.type_into("#username", "jieting").await;
    browser.type_into("#password", &password).await;
    browser.click("#login-submit").await;
    // Home is "my work"; the intake page is one click away.
    browser.find("nav.side").await;
    browser.click("nav.side a[href='/intake']").await;
    browser.find("#intake-form").await;

    browser.type_into("#caller_phone", "13866667777").await;
    // The history panel answers as the number is typed.
    for _ in 0..50 {
        if browser.text("#history").await.contains("没有找到") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(browser.text("#history").await.contains("没有找到"));
    browser.type_into("#caller_name", "浏览器测试").await;
    browser
        .script(
            "document.getElementById('category').value = 'vector.rodent';",
            json!([]),
        )
        .await;
    browser
        .type_into("#content", "农贸市场后巷夜间老鼠很多，请尽快处理。")
        .await;
    browser.type_into("#address", "建设街农贸市场后巷").await;
    browser
        .script(
            "document.getElementById('agreed_reply_at').value = arguments[0];",
            json!([app.local_input(3)]),
        )
        .await;
    browser.click("#intake-submit").await;

    let notice = browser.text("#created-notice").await;
    let number = notice
        .split_whitespace()
        .find(|w| w.starts_with("AW"))
        .map(|w| w.trim_end_matches('。').to_owned())
        .unwrap_or_else(|| panic!("no number in {notice}"));

    browser.goto(&app.url("/ledger?type=complaint")).await;
    let table = browser.text("#ledger-table").await;
    assert!(table.contains(&number), "{table}");
    assert!(table.contains("农贸市场后巷"), "{table}");
    browser.click(&format!("a[href='/matters/{number}']")).await;
    let timeline = browser.text("#timeline").await;
    assert!(timeline.contains("登记受理"), "{timeline}");
    browser.quit().await;
    app.stop().await;
}

/// end to end: a handler asks for the caller's phone, a supervisor
/// approves, the handler signs the agreement and sees the number; after
/// expiry it is masked again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disclosure_is_requested_approved_signed_used_and_expires() {
    let Some(browser) = Driver::start().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (_, intake) = app
        .token_user("jieting", &[Role::Intake], Some("AWB"))
        .await;
    let (_, handler_pw) = app.user("jingban", &[Role::Handler], Some("HJWS")).await;
    let (_, supervisor_pw) = app.user("duban", &[Role::Supervisor], Some("AWB")).await;
    let phone = "13877770001";
    let number = app.dispatched(&intake, phone, "HJWS").await;
    let matter = format!("/matters/{number}");

    // The handler sees the caller masked and asks for the phone number.
    browser.log_in(&app, "jingban", &handler_pw).await;
    browser.goto(&app.url(&matter)).await;
    let shown = browser.text("#caller-phone").await;
    assert!(shown.contains("****") && !shown.contains(phone), "{shown}");
    browser
        .script(
            "document.getElementById('disclosure-box').open = true;",
            json!([]),
        )
        .await;
    browser.click("#disclose-phone").await;
    browser
        .type_into("#disclosure-purpose", "现场核查需与来电人约定时间")
        .await;
    browser.click_and_wait("#disclosure-submit").await;
    assert!(browser.text("#done-notice").await.contains("申请查阅"));
    assert!(browser.text("#disclosures").await.contains("待审批"));
    browser.log_out().await;

    // The supervisor approves it from the list of pending requests.
    browser.log_in(&app, "duban", &supervisor_pw).await;
    browser
        .click_and_wait("nav.side a[href='/disclosures']")
        .await;
    let pending = browser.text("#pending-disclosures").await;
    assert!(
        pending.contains(&number) && pending.contains("现场核查"),
        "{pending}"
    );
    browser
        .type_into(".decision-reason", "用途正当，同意")
        .await;
    browser.type_into(".decision-days", "3").await;
    browser.click_and_wait("button.approve").await;
    browser.find("#no-pending").await;
    browser.log_out().await;

    // The handler signs the agreement in the app and then sees the number.
    browser.log_in(&app, "jingban", &handler_pw).await;
    browser.goto(&app.url(&matter)).await;
    assert!(
        !browser.text("#caller-phone").await.contains(phone),
        "not before signing"
    );
    browser.click_and_wait("#sign-link").await;
    assert!(browser.text("#agreement-text").await.contains("保密协议"));
    browser.click_and_wait("#sign-submit").await;
    assert!(
        browser.text("#sign-error").await.contains("保密协议"),
        "signing needs the box ticked"
    );
    browser.click("#sign-agree").await;
    browser.click_and_wait("#sign-submit").await;
    assert!(browser.text("#done-notice").await.contains("签署保密协议"));
    assert_eq!(browser.text("#caller-phone").await.trim(), phone);
    assert!(browser.text("#disclosures").await.contains("已签署"));

    // Three days on, the access has lapsed.
    app.advance(chrono::Duration::days(3) + chrono::Duration::minutes(1));
    browser.log_in(&app, "jingban", &handler_pw).await;
    browser.goto(&app.url(&matter)).await;
    let shown = browser.text("#caller-phone").await;
    assert!(shown.contains("****") && !shown.contains(phone), "{shown}");
    assert!(browser.text("#disclosures").await.contains("已到期"));
    browser.quit().await;
    app.stop().await;
}

/// The daily desk in the browser: each role lands where its work is, the
/// most urgent first; a refused step form keeps what was typed and says
/// why beside the field; a handler asks for a return, the lead returns,
/// intake sees the mark and the message and re-dispatches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_finds_its_urgent_work_and_a_return_goes_round() {
    let Some(browser) = Driver::start().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (intake, intake_pw) = app.user("jieting", &[Role::Intake], Some("AWB")).await;
    let (_, handler_pw) = app.user("jingban", &[Role::Handler], Some("HJWS")).await;
    let (lead, lead_pw) = app.user("keshi", &[Role::DeptLead], Some("HJWS")).await;
    app.user("qita", &[Role::Handler], Some("BMFZ")).await;
    let (_, sup_pw) = app.user("duban", &[Role::Supervisor], Some("AWB")).await;
    let (_, audit_pw) = app.user("shenji", &[Role::Auditor], Some("AWB")).await;
    let (_, admin_pw) = app.user("guanli", &[Role::Admin], Some("AWB")).await;
    let intake_token = app.token_for(&intake).await;
    let lead_token = app.token_for(&lead).await;

    // Two matters for the department; the first is 3 hours old when the
    // second arrives, so its sign-for limit has passed.
    let late = app.dispatched(&intake_token, "13877770001", "HJWS").await;
    app.advance(chrono::Duration::hours(3));
    let fresh = app.dispatched(&intake_token, "13877770002", "HJWS").await;

    browser.log_in(&app, "jingban", &handler_pw).await;
    let path = browser.script("return location.pathname;", json!([])).await;
    assert_eq!(path, "/work");
    let first = browser
        .text("#queue-to_sign li.work-item:first-child")
        .await;
    assert!(first.starts_with(&late), "{first}");
    browser
        .find("#queue-to_sign li.work-item.urgency-overdue:first-child")
        .await;
    assert!(browser.text("#urgent-badge").await.contains("1 件已超时"));

    // A refused form keeps its text: the lead signs, the handler reports
    // the visit without saying who went.
    let (s, _) = app
        .step(&lead_token, &fresh, json!({"action": "sign_for"}))
        .await;
    assert_eq!(s, 200);
    browser.goto(&app.url(&format!("/matters/{fresh}"))).await;
    browser
        .script(
            "const f = document.getElementById('step-arrive'); f.parentElement.open = true; f.noValidate = true;\
             document.getElementById('arrive-findings').value = '现场垃圾约两吨，已拍照';",
            json!([]),
        )
        .await;
    browser.click_and_wait("#step-arrive-submit").await;
    assert!(browser.text("#arrive-who-error").await.contains("到场人员"));
    let kept = browser
        .script(
            "return document.getElementById('arrive-findings').value;",
            json!([]),
        )
        .await;
    assert_eq!(kept, "现场垃圾约两吨，已拍照");

    // The handler asks for a return of the late one.
    browser.goto(&app.url(&format!("/matters/{late}"))).await;
    assert!(
        browser
            .step("ask_return", &[("reason", "属物业管理范围，不归本科室")])
            .await
            .contains("申请退回")
    );
    browser.log_out().await;

    // The lead is told, and returns it.
    browser.log_in(&app, "keshi", &lead_pw).await;
    browser.goto(&app.url("/notifications")).await;
    assert!(browser.text("main").await.contains("申请退回"));
    browser.goto(&app.url(&format!("/matters/{late}"))).await;
    browser
        .script(
            "const f = document.getElementById('step-return'); f.parentElement.open = true;\
             document.getElementById('return-reason').value = '属物业管理范围';",
            json!([]),
        )
        .await;
    browser.click_and_wait("#step-return-submit").await;
    assert!(browser.text("#done-notice").await.contains("退回"));
    browser.log_out().await;

    // Intake sees the mark, the reason and the message, and re-dispatches.
    browser.log_in(&app, "jieting", &intake_pw).await;
    let item = browser.text("#queue-to_dispatch li.work-item").await;
    assert!(
        item.contains("退回") && item.contains("属物业管理范围"),
        "{item}"
    );
    assert!(browser.text("#unread-badge").await.parse::<u32>().unwrap() >= 1);
    browser.goto(&app.url(&format!("/matters/{late}"))).await;
    assert!(
        browser
            .step("dispatch", &[("lead", "BMFZ")])
            .await
            .contains("派单")
    );
    browser.log_out().await;

    // The roles without queues land on their own homes.
    for (user, pw, home) in [
        ("duban", &sup_pw, "/supervision"),
        ("shenji", &audit_pw, "/audit"),
        ("guanli", &admin_pw, "/admin"),
    ] {
        browser.log_in(&app, user, pw).await;
        let path = browser.script("return location.pathname;", json!([])).await;
        assert_eq!(path, home, "{user}");
        browser.log_out().await;
    }
    browser.quit().await;
    app.stop().await;
}

/// Every demo role logs in, lands on its home, and each of its work queues
/// lists the most urgent matter first (overdue, then due soon, then the
/// rest).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_lands_home_with_the_most_urgent_work_on_top() {
    let Some(browser) = Driver::start().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let report = app.seed_demo(300).await;
    app.store.sweep(app.now(), 5000).await.unwrap();
    let rank = |class: &str| {
        if class.contains("urgency-overdue") {
            0
        } else if class.contains("urgency-due_soon") {
            1
        } else {
            2
        }
    };
    let mut queues_seen = 0;
    for account in &report.accounts {
        browser
            .log_in(&app, &account.username, &account.password)
            .await;
        let path = browser.script("return location.pathname;", json!([])).await;
        let home = match account.username.as_str() {
            "duban" => "/supervision",
            "shenji" => "/audit",
            "admin" => "/admin",
            _ => "/work",
        };
        assert_eq!(path, home, "{}", account.username);
        if home == "/work" {
            let queues = browser
                .script(
                    "return Array.from(document.querySelectorAll('section.queue')).map(q =>\
                     Array.from(q.querySelectorAll('li.work-item')).map(li => li.className));",
                    json!([]),
                )
                .await;
            for q in queues.as_array().unwrap() {
                let ranks: Vec<i32> = q
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| rank(c.as_str().unwrap()))
                    .collect();
                assert!(
                    ranks.windows(2).all(|w| w[0] <= w[1]),
                    "{}: {ranks:?}",
                    account.username
                );
                queues_seen += usize::from(!ranks.is_empty());
            }
        }
        browser.log_out().await;
    }
    assert!(queues_seen >= 3, "{queues_seen} non-empty queues");
    browser.quit().await;
    app.stop().await;
}

/// Every step form with a required field, as the role that takes it: left
/// without that field and submitted past the browser's own check, the page
/// comes back with the error beside the field and everything else typed
/// still there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_step_form_keeps_its_text_when_a_required_field_is_missing() {
    let Some(browser) = Driver::start().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut tokens = std::collections::HashMap::new();
    let mut passwords = std::collections::HashMap::new();
    for (name, role, dept) in [
        ("jieting", Role::Intake, "AWB"),
        ("jingban", Role::Handler, "HJWS"),
        ("keshi", Role::DeptLead, "HJWS"),
        ("lingdao", Role::LeadingGroup, "AWB"),
    ] {
        let (user, pw) = app.user(name, &[role], Some(dept)).await;
        tokens.insert(name, app.token_for(&user).await);
        passwords.insert(name, pw);
    }
    let (desk, handler, lead, group) = (
        &tokens["jieting"],
        &tokens["jingban"],
        &tokens["keshi"],
        &tokens["lingdao"],
    );
    let later = (app.now() + chrono::Duration::days(3)).to_rfc3339();
    let earlier = (app.now() - chrono::Duration::minutes(1)).to_rfc3339();
    let record = |ty: &'static str, phone: &'static str| {
        let mut b = crate::helpers::phone_complaint(phone, "表单测试");
        b["type"] = json!(ty);
        if ty != "complaint" {
            b["category"] = Value::Null;
        }
        let app = &app;
        async move {
            let (s, m) = app.post_json(desk, "/api/v1/matters", &b).await;
            assert_eq!(s, 201, "{m}");
            m["number"].as_str().unwrap().to_owned()
        }
    };
    let dispatch = json!({"action": "dispatch", "lead": "HJWS"});
    let sign = json!({"action": "sign_for"});
    let arrive =
        json!({"action": "arrive", "arrived_at": earlier, "who": "刘洋", "findings": "属实"});
    let plan = json!({"action": "plan", "measures": "清运", "planned_completion": later});
    let complete = json!({"action": "complete", "result": "已清运"});
    let submit = json!({"action": "submit"});

    let consult = record("consultation", "13877771001").await;
    let other = record("other", "13877771002").await;
    let completed = walk(
        &app,
        record("complaint", "13877771003").await,
        vec![
            (desk, dispatch.clone()),
            (lead, sign.clone()),
            (handler, arrive.clone()),
            (handler, plan.clone()),
            (handler, complete.clone()),
        ],
    )
    .await;
    let decided = walk(
        &app,
        record("suggestion", "13877771004").await,
        vec![
            (desk, submit.clone()),
            (
                group,
                json!({"action": "evaluate", "adopted": false, "opinion": "暂不采纳"}),
            ),
        ],
    )
    .await;
    let dispatched = walk(
        &app,
        record("complaint", "13877771005").await,
        vec![(desk, dispatch.clone())],
    )
    .await;
    let signed = walk(
        &app,
        record("complaint", "13877771006").await,
        vec![(desk, dispatch.clone()), (lead, sign.clone())],
    )
    .await;
    let on_site = walk(
        &app,
        record("complaint", "13877771007").await,
        vec![
            (desk, dispatch.clone()),
            (lead, sign.clone()),
            (handler, arrive.clone()),
        ],
    )
    .await;
    let rectifying = walk(
        &app,
        record("complaint", "13877771008").await,
        vec![
            (desk, dispatch.clone()),
            (lead, sign.clone()),
            (handler, arrive.clone()),
            (handler, plan.clone()),
        ],
    )
    .await;
    let coordinating = walk(
        &app,
        record("consultation", "13877771009").await,
        vec![(
            desk,
            json!({"action": "coordinate", "departments": ["HJWS"]}),
        )],
    )
    .await;
    let evaluating = walk(
        &app,
        record("suggestion", "13877771010").await,
        vec![(desk, submit.clone())],
    )
    .await;
    let implementing = walk(
        &app,
        record("suggestion", "13877771011").await,
        vec![
            (desk, submit.clone()),
            (
                group,
                json!({"action": "evaluate", "adopted": true, "opinion": "采纳"}),
            ),
        ],
    )
    .await;

    // A consultation answered, then found to need a correction.
    let answered = walk(
        &app,
        record("consultation", "13877771012").await,
        vec![(
            desk,
            json!({"action": "reply", "channel": "phone", "answer": "已电话答复"}),
        )],
    )
    .await;

    let plan_for: Vec<(&str, Vec<(&String, &str)>)> = vec![
        (
            "jieting",
            vec![
                (&consult, "coordinate"),
                (&consult, "reply"),
                (&answered, "correct_answer"),
                (&other, "record_result"),
                (&completed, "feedback"),
                (&decided, "tell"),
            ],
        ),
        (
            "jingban",
            vec![
                (&dispatched, "ask_return"),
                (&signed, "arrive"),
                (&on_site, "plan"),
                (&rectifying, "report_progress"),
                (&rectifying, "complete"),
                (&coordinating, "provide_input"),
            ],
        ),
        ("keshi", vec![(&dispatched, "return")]),
        (
            "lingdao",
            vec![(&evaluating, "evaluate"), (&implementing, "implemented")],
        ),
    ];
    let future = app.local_input(5);
    let mut forms = 0;
    for (user, steps) in plan_for {
        browser.log_in(&app, user, &passwords[user]).await;
        for (number, code) in steps {
            browser.goto(&app.url(&format!("/matters/{number}"))).await;
            let out = browser
                .script(
                    "const code = arguments[0]; const f = document.getElementById('step-' + code);\
                     if (!f) { return null; }\
                     f.parentElement.open = true; f.noValidate = true;\
                     const fields = Array.from(f.querySelectorAll('textarea, input:not([type=hidden]), select'));\
                     const single = el => el.tagName === 'SELECT' && !el.multiple;\
                     const target = fields.find(el => el.required && !single(el));\
                     const typed = {};\
                     for (const el of fields) {\
                       if (el === target) {\
                         if (el.multiple) { for (const o of el.options) { o.selected = false; } } else { el.value = ''; }\
                         continue;\
                       }\
                       if (el.tagName === 'TEXTAREA' || (el.tagName === 'INPUT' && el.type === 'text')) {\
                         el.value = '已填写' + el.name; typed[el.name] = el.value;\
                       }\
                       if (el.type === 'datetime-local' && !el.value) { el.value = arguments[1]; }\
                     }\
                     return [target ? target.name : null, typed];",
                    json!([code, future]),
                )
                .await;
            assert!(!out.is_null(), "{user} is offered {code} on {number}");
            let target = out[0]
                .as_str()
                .unwrap_or_else(|| panic!("{code} has a required field"));
            browser
                .click_and_wait(&format!("#step-{code}-submit"))
                .await;
            browser.find(&format!("#{code}-{target}-error")).await;
            for (name, value) in out[1].as_object().unwrap() {
                let kept = browser
                    .script(
                        "return document.getElementById(arguments[0]).value;",
                        json!([format!("{code}-{name}")]),
                    )
                    .await;
                assert_eq!(&kept, value, "{code}: {name} kept");
            }
            forms += 1;
        }
        browser.log_out().await;
    }
    assert_eq!(forms, 15);
    browser.quit().await;
    app.stop().await;
}

/// Takes `steps` (who, request) on matter `n` through the API; returns `n`.
async fn walk(app: &TestApp, n: String, steps: Vec<(&String, Value)>) -> String {
    for (who, body) in steps {
        let (s, m) = app.step(who, &n, body).await;
        assert_eq!(s, 200, "{m}");
    }
    n
}

/// Issue 10 end to end: a clerk types a complaint and is offered the
/// earlier report of the same place, merges into it on saving; a supervisor
/// undoes the merge; the clerk searches from the box on every page and
/// opens a result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_is_offered_merged_and_unmerged_and_the_search_box_finds_it() {
    let Some(browser) = Driver::start().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (_, clerk_pw) = app.user("jieting", &[Role::Intake], Some("AWB")).await;
    let (_, sup_pw) = app.user("duban", &[Role::Supervisor], Some("AWB")).await;
    let (_, token) = app
        .token_user("jieting_api", &[Role::Intake], Some("AWB"))
        .await;
    app.user("jingban", &[Role::Handler], Some("HJWS")).await;
    // The first report of the heap, already with the department.
    let lead = app.dispatched(&token, "13877770001", "HJWS").await;

    browser.log_in(&app, "jieting", &clerk_pw).await;
    browser.goto(&app.url("/intake")).await;
    browser.type_into("#caller_phone", "13877770002").await;
    browser.type_into("#caller_name", "并单测试").await;
    browser
        .script(
            "document.getElementById('category').value = 'env.garbage';\
             document.getElementById('agreed_reply_at').value = arguments[0];",
            json!([app.local_input(3)]),
        )
        .await;
    browser.type_into("#address", "幸福里小区东门").await;
    browser
        .type_into("#content", "幸福里小区门口垃圾又堆起来了，好几天没人清运")
        .await;
    // The panel offers the earlier report as the content is typed.
    let radio = format!("#merge-into-{lead}");
    browser.find(&radio).await;
    assert!(browser.text("#duplicates").await.contains("同一地点"));
    browser.click(&radio).await;
    browser.click_and_wait("#intake-submit").await;
    let note = browser.text("#merged-note").await;
    assert!(note.contains(&lead), "{note}");
    let number = browser
        .script("return location.pathname.split('/').pop();", json!([]))
        .await
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(number, lead);
    browser.log_out().await;

    // The supervisor undoes it: back to the desk.
    browser.log_in(&app, "duban", &sup_pw).await;
    browser.goto(&app.url(&format!("/matters/{number}"))).await;
    browser
        .type_into("#unmerge-reason", "经核实是另一处垃圾点")
        .await;
    browser.click_and_wait("#unmerge-submit").await;
    assert!(browser.text("#done-notice").await.contains("撤销并单"));
    let gone = browser
        .script(
            "return document.getElementById('merged-note') === null;",
            json!([]),
        )
        .await;
    assert_eq!(gone, json!(true));
    browser.log_out().await;

    // The clerk finds it from the search box.
    browser.log_in(&app, "jieting", &clerk_pw).await;
    browser.type_into("#top-search", "东门 垃圾").await;
    browser.click_and_wait("form.top-search button").await;
    let results = browser.text("#search-results").await;
    assert!(results.contains(&number), "{results}");
    browser
        .click_and_wait(&format!("#search-results a[href='/matters/{number}']"))
        .await;
    let timeline = browser.text("#timeline").await;
    assert!(timeline.contains("撤销并单"), "{timeline}");
    browser.quit().await;
    app.stop().await;
}

/// a supervisor opens 统计分析 from the menu, finds each chart drawn
/// beside its table, picks last month, and opens the monthly report for
/// print; a department's lead sees their department's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervisor_dashboard_and_the_monthly_report_show_charts_and_tables() {
    let Some(browser) = Driver::start().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    // The page opens on this month (in China): a week into it at least,
    // so that the demo's matters fill it whatever day the suite runs.
    let day = chrono::Datelike::day(&app.now().with_timezone(&aiwei_core::time::china()));
    if day < 8 {
        app.advance(chrono::Duration::days(i64::from(8 - day)));
    }
    let report = app.seed_demo(300).await;
    let account = |name: &str| report.accounts.iter().find(|a| a.username == name).unwrap();
    let supervisor = account("duban");
    browser
        .log_in(&app, &supervisor.username, &supervisor.password)
        .await;
    browser.click_and_wait("nav.side a[href='/figures']").await;
    let title = browser.text("h1").await;
    assert!(title.starts_with("统计分析：全单位"), "{title}");
    // Every chart is drawn (it has a size on the page) and has its table.
    const DRAWN: &str = "return Array.from(document.querySelectorAll('figure.chart-box svg')).map(s => {\
        const r = s.getBoundingClientRect(); return [r.width > 200 && r.height > 40,\
        s.getAttribute('aria-label')]; });";
    let charts = browser.script(DRAWN, json!([])).await;
    assert_eq!(charts.as_array().unwrap().len(), 6, "{charts}");
    assert!(
        charts.as_array().unwrap().iter().all(|c| c[0] == true),
        "{charts}"
    );
    for table in [
        "#rates-table",
        "#counts-table",
        "#trend-table",
        "#categories-table",
    ] {
        let rows = browser
            .script(
                "return document.querySelectorAll(arguments[0] + ' tbody tr').length;",
                json!([table]),
            )
            .await;
        assert!(rows.as_u64().unwrap() > 0, "{table} has rows");
    }
    let rates = browser.text("#rates-table").await;
    assert!(
        rates.contains("接听及时率") && rates.contains("反馈满意度"),
        "{rates}"
    );
    let total = browser.text("#counts-table").await;
    assert!(total.contains("受理总量"), "{total}");
    // Last month, picked in the form.
    let last_month = browser
        .script(
            "const s = document.getElementById('pick-period'); s.selectedIndex = 1; return s.options[1].text;",
            json!([]),
        )
        .await;
    browser
        .click_and_wait("#figures-picker button[type=submit]")
        .await;
    let title = browser.text("h1").await;
    assert!(
        title.ends_with(last_month.as_str().unwrap()),
        "{title} / {last_month}"
    );
    // The monthly report for print: no menu, the same charts and tables.
    let href = browser
        .script(
            "return document.getElementById('print-report').getAttribute('href');",
            json!([]),
        )
        .await;
    browser.goto(&app.url(href.as_str().unwrap())).await;
    let head = browser.text(".print-head").await;
    assert!(head.contains("月度报告"), "{head}");
    let charts = browser.script(DRAWN, json!([])).await;
    assert_eq!(charts.as_array().unwrap().len(), 6, "{charts}");
    let menus = browser
        .script(
            "return document.querySelectorAll('nav.side').length;",
            json!([]),
        )
        .await;
    assert_eq!(menus, json!(0));
    assert!(browser.text("#rates-table").await.contains("接听及时率"));
    browser.goto(&app.url("/figures")).await;
    browser.log_out().await;

    // A department's lead: their department, with no organisation choice.
    let lead = account("keshi");
    browser.log_in(&app, &lead.username, &lead.password).await;
    browser.click_and_wait("nav.side a[href='/figures']").await;
    let title = browser.text("h1").await;
    assert!(title.contains("环境卫生科"), "{title}");
    let choices = browser.text("#pick-subject").await;
    assert!(!choices.contains("全单位"), "{choices}");
    browser.quit().await;
    app.stop().await;
}

/// The telephone exchange rings the clerk's extension: the call opens on
/// their intake page with the number, the caller's earlier matters and the
/// measured ring seconds; the matter recorded carries those seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ringing_extension_opens_the_call_on_the_clerks_page() {
    let Some(browser) = Driver::start().await else {
        return;
    };
    let app = crate::telephony::exchange_app(Backend::Sqlite).await;
    let (clerk, pw) = app.user("jieting", &[Role::Intake], Some("AWB")).await;
    crate::telephony::seat(&app, &clerk).await;
    let token = app.token_for(&clerk).await;
    let (s, m) = app
        .post_json(
            &token,
            "/api/v1/matters",
            &crate::helpers::phone_complaint("13855556666", "老来电"),
        )
        .await;
    assert_eq!(s, 201, "{m}");
    browser.log_in(&app, "jieting", &pw).await;
    browser.goto(&app.url("/intake")).await;
    browser.find("#intake-form").await;
    let rang = app.now() - chrono::Duration::seconds(9);
    crate::telephony::event(
        &app,
        &json!({"event": "ringing", "call_id": "web-1", "caller": "13855556666",
                "extension": "8001", "at": rang}),
    )
    .await;
    // The banner, the number and the history arrive without a reload.
    let banner = browser.banner_with("13855556666").await;
    assert!(banner.contains("振铃中"), "{banner}");
    let phone = browser
        .script(
            "return document.getElementById('caller_phone').value;",
            json!([]),
        )
        .await;
    assert_eq!(phone, json!("13855556666"));
    let history = browser.text("#history").await;
    assert!(history.contains(m["number"].as_str().unwrap()), "{history}");
    crate::telephony::event(&app, &json!({"event": "answered", "call_id": "web-1"})).await;
    let banner = browser.banner_with("通话中").await;
    assert!(
        banner.contains("响铃 9 秒") || banner.contains("响铃 10 秒"),
        "{banner}"
    );
    let ring = browser
        .script(
            "const r = document.getElementById('ring_seconds'); return [r.value, r.readOnly];",
            json!([]),
        )
        .await;
    assert_eq!(ring[1], json!(true), "{ring}");
    browser.type_into("#caller_name", "老来电").await;
    browser.type_into("#content", "楼道垃圾无人清运").await;
    browser
        .script(
            "document.getElementById('agreed_reply_at').value = arguments[0];",
            json!([app.local_input(3)]),
        )
        .await;
    browser.click("#intake-submit").await;
    let notice = browser.text("#created-notice").await;
    let number = notice
        .split_whitespace()
        .find(|w| w.starts_with("AW"))
        .map(|w| w.trim_end_matches('。').to_owned())
        .unwrap();
    let stored = app
        .store
        .matter_by_number(&number.parse().unwrap())
        .await
        .unwrap();
    assert!(
        matches!(stored.ring_seconds, Some(9 | 10)),
        "{:?}",
        stored.ring_seconds
    );
    browser.quit().await;
    app.stop().await;
}

/// A resident on a phone files a complaint on the public form without
/// logging in, then follows it with the number and query code shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_files_on_a_phone_and_follows_the_progress() {
    let Some(browser) = Driver::start().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.desk().await;
    browser
        .cmd(
            reqwest::Method::POST,
            "/window/rect",
            json!({"width": 390, "height": 844}),
        )
        .await;
    browser.goto(&app.url("/report")).await;
    browser.find("#report-form").await;
    let fits = browser
        .script(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            json!([]),
        )
        .await;
    assert_eq!(fits, json!(true), "no sideways scrolling on a phone");
    browser.type_into("#name", "孙居民").await;
    browser.type_into("#phone", "13799990000").await;
    browser
        .type_into("#content", "小区河道漂浮垃圾多，蚊虫滋生")
        .await;
    browser.type_into("#address", "滨河路3号").await;
    // A person takes longer than three seconds to fill the form.
    app.advance(chrono::Duration::seconds(30));
    browser.click_and_wait("#report-submit").await;
    let number = browser.text("#filed-number").await;
    let code = browser.text("#filed-code").await;
    assert!(
        number.starts_with("AW") && code.len() == 8,
        "{number} {code}"
    );
    browser.click_and_wait("a[href='/progress']").await;
    browser.type_into("#number", &number).await;
    browser.type_into("#code", &code).await;
    browser.click_and_wait("#progress-submit").await;
    assert_eq!(browser.text("#stage").await, "已受理，等待审核转办");
    let page = browser
        .script(
            "return document.querySelector('main').innerText;",
            json!([]),
        )
        .await;
    let page = page.as_str().unwrap_or_default();
    assert!(
        page.contains(&number) && !page.contains("13799990000"),
        "{page}"
    );
    // A wrong code: the same refusal as for a number that does not exist.
    browser.goto(&app.url("/progress")).await;
    browser.type_into("#number", &number).await;
    browser.type_into("#code", "ABCDEFGH").await;
    browser.click_and_wait("#progress-submit").await;
    let refused = browser.text("#progress-error").await;
    assert!(
        refused.contains("未找到该事项，或查询码不正确"),
        "{refused}"
    );
    browser.quit().await;
    app.stop().await;
}

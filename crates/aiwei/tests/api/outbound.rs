//! Notifications that leave the building, against real receivers started
//! on loopback: an SMTP server (Python's aiosmtpd, requiring AUTH) and an
//! HTTP receiver that can be taken down and brought back on its port.
//!
//! The mail tests skip themselves when aiosmtpd is not importable, unless
//! `AIWEI_REQUIRE_MAIL=1` (the test command sets it and provides the
//! interpreter in `AIWEI_TEST_MAIL_PYTHON`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use aiwei_core::Role;
use aiwei_server::AppConfig;
use aiwei_server::services::outbound::{
    AllowList, Delivered, OutboundConfig, SmtpConfig, SmtpSecurity, deliver_due, webhook_signature,
};
use chrono::Duration;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, Desk, TestApp, phone_complaint};

const SMTP_USER: &str = "aiwei";
const SMTP_PASSWORD: &str = "mail-pw-7f3a";
const SECRET: &str = "webhook-secret-9c1e";

/// aiosmtpd in a child process, writing each message to a directory.
pub struct MailSink {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl MailSink {
    pub fn start() -> Option<Self> {
        let required = std::env::var("AIWEI_REQUIRE_MAIL").as_deref() == Ok("1");
        let python =
            std::env::var("AIWEI_TEST_MAIL_PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let usable = Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !usable {
            assert!(
                !required,
                "AIWEI_REQUIRE_MAIL=1 but {python} cannot import aiosmtpd"
            );
            eprintln!("mail test skipped: no aiosmtpd (the test command provides it)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/mail-sink/smtp_sink.py");
        let mut child = Command::new(&python)
            .arg(script)
            .args(["--dir", dir.path().to_str().unwrap()])
            .args(["--user", SMTP_USER, "--password", SMTP_PASSWORD])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let port = line.trim().parse().expect("the sink prints its port");
        Some(Self { child, port, dir })
    }

    /// The messages received so far, oldest first, decoded: the envelope
    /// recipients, From, To, Subject and Message-ID, a blank line, the body.
    pub fn messages(&self) -> Vec<String> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
            .collect()
    }

    pub fn smtp(&self) -> SmtpConfig {
        SmtpConfig {
            host: "127.0.0.1".into(),
            port: self.port,
            security: SmtpSecurity::None,
            username: Some(SMTP_USER.into()),
            password: Some(SMTP_PASSWORD.into()),
            from: "爱卫办 <aiwei@example.gov.cn>".into(),
        }
    }
}

impl Drop for MailSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request the receiver took.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

/// A small HTTP server recording what is posted to it; stopped and started
/// again on the same port.
pub struct Receiver {
    pub addr: SocketAddr,
    pub got: Arc<Mutex<Vec<Received>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    /// The status it answers with.
    pub status: Arc<Mutex<u16>>,
}

impl Receiver {
    /// A receiver whose port is reserved but which is not yet listening.
    pub fn down() -> Self {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        Self {
            addr,
            got: Arc::default(),
            stop: None,
            task: None,
            status: Arc::new(Mutex::new(200)),
        }
    }

    pub async fn up(&mut self) {
        use axum::extract::{Request, State};
        type Shared = (Arc<Mutex<Vec<Received>>>, Arc<Mutex<u16>>);
        async fn take(
            State((got, status)): State<Shared>,
            req: Request,
        ) -> (axum::http::StatusCode, String) {
            let path = req.uri().to_string();
            let headers = req
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        v.to_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            let body = axum::body::to_bytes(req.into_body(), 1 << 20)
                .await
                .unwrap()
                .to_vec();
            got.lock().unwrap().push(Received {
                path,
                headers,
                body,
            });
            let code = *status.lock().unwrap();
            (
                axum::http::StatusCode::from_u16(code).unwrap(),
                r#"{"errcode":0,"errmsg":"ok"}"#.to_owned(),
            )
        }
        let listener = tokio::net::TcpListener::bind(self.addr).await.unwrap();
        let app = axum::Router::new()
            .fallback(take)
            .with_state((self.got.clone(), self.status.clone()));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        self.stop = Some(tx);
        self.task = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
        }));
    }

    pub async fn down_again(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// The outbound configuration of a test app.
fn outbound(receiver: &Receiver, mail: Option<&MailSink>) -> impl FnOnce(&mut AppConfig) + use<> {
    let allow = AllowList::parse(&[receiver.url("/hook")]).unwrap();
    let smtp = mail.map(MailSink::smtp);
    move |c: &mut AppConfig| {
        c.outbound = OutboundConfig {
            allow,
            smtp,
            public_url: Some("https://aiwei.example.gov.cn".into()),
            timeout: std::time::Duration::from_secs(5),
        };
    }
}

async fn deliver(app: &TestApp) -> Delivered {
    deliver_due(&app.state, 100).await.unwrap()
}

/// Checks the generic webhook's signature as a receiver would.
fn signed_correctly(r: &Received) -> bool {
    let ts: i64 = r.headers["x-aiwei-timestamp"].parse().unwrap();
    let sig = r.headers["x-aiwei-signature"]
        .strip_prefix("sha256=")
        .unwrap();
    // Recomputed here with the hmac crate, not with the code under test.
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{ts}.").as_bytes());
    mac.update(&r.body);
    let want = hex::encode(mac.finalize().into_bytes());
    assert_eq!(want, webhook_signature(SECRET, ts, &r.body));
    sig == want
}

/// An administrator's token, a webhook destination on the receiver, and
/// the rules: the handler's own dispatches by e-mail, the department's by
/// webhook.
async fn set_up(app: &TestApp, receiver: &Receiver, handler_email: bool) -> (String, Value) {
    let (_, admin) = app.token_user("guanli", &[Role::Admin], None).await;
    let (s, dest) = app
        .post_json(
            &admin,
            "/api/v1/outbound/destinations",
            &json!({"name": "环卫科系统", "channel": "webhook",
                    "url": receiver.url("/hook?key=k-123"), "secret": SECRET}),
        )
        .await;
    assert_eq!(s, 201, "{dest}");
    assert_eq!(
        dest["shown"],
        receiver.url("/hook?***"),
        "the key is not shown"
    );
    let (s, rule) = app
        .post_json(
            &admin,
            "/api/v1/outbound/rules",
            &json!({"department": "HJWS", "kinds": ["dispatched", "deadline_overdue"],
                    "destination": dest["id"]}),
        )
        .await;
    assert_eq!(s, 201, "{rule}");
    if handler_email {
        let jingban = app
            .store
            .user_by_name(&aiwei_core::Username::parse("jingban").unwrap())
            .await
            .unwrap();
        let (s, rule) = app
            .post_json(
                &admin,
                "/api/v1/outbound/rules",
                &json!({"user": jingban.id.0, "kinds": ["dispatched"],
                        "email": "jingban@example.gov.cn"}),
            )
            .await;
        assert_eq!(s, 201, "{rule}");
    }
    (admin, dest)
}

async fn dispatch(app: &TestApp, intake: &str, phone: &str) -> String {
    let (s, m) = app
        .post_json(intake, "/api/v1/matters", &phone_complaint(phone, "郑外发"))
        .await;
    assert_eq!(s, 201, "{m}");
    let n = m["number"].as_str().unwrap().to_owned();
    let (s, b) = app
        .post_json(
            intake,
            &format!("/api/v1/matters/{n}/actions"),
            &json!({"action": "dispatch", "lead": "HJWS"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    n
}

both_backends!(
    a_dispatch_sends_one_mail_and_one_signed_webhook_and_retries_until_received,
    |backend: Backend| async move {
        let Some(mail) = MailSink::start() else {
            return;
        };
        let mut receiver = Receiver::down();
        let app = TestApp::spawn_with(backend, outbound(&receiver, Some(&mail))).await;
        let Desk { intake, .. } = app.desk().await;
        let (admin, _) = set_up(&app, &receiver, true).await;

        let n = dispatch(&app, &intake, "13722334455").await;
        // Queued with the dispatch, not sent by it.
        assert!(mail.messages().is_empty());
        let (_, page) = app.get_json(&admin, "/api/v1/outbox").await;
        assert_eq!(page["counts"]["pending"], 2, "{page}");

        // The receiver is down: the mail goes, the webhook waits.
        let d = deliver(&app).await;
        assert_eq!((d.sent, d.retrying, d.failed), (1, 1, 0));
        let mails = mail.messages();
        assert_eq!(mails.len(), 1);
        let m = &mails[0];
        assert!(
            m.starts_with("Envelope-To: jingban@example.gov.cn\n"),
            "{m}"
        );
        assert!(m.contains("From: 爱卫办 <aiwei@example.gov.cn>"), "{m}");
        assert!(
            m.contains(&format!("Subject: 【有新派单，请及时签收】{n}")),
            "{m}"
        );
        assert!(m.contains(&n), "the number is in the message");
        // A handler does not see the caller: masked, in mail too.
        assert!(!m.contains("13722334455") && !m.contains("郑外发"), "{m}");
        let (_, page) = app.get_json(&admin, "/api/v1/outbox?state=pending").await;
        let waiting = &page["items"][0];
        assert_eq!(waiting["attempts"], 1);
        assert!(
            waiting["last_error"].as_str().unwrap().contains("无法连接"),
            "{waiting}"
        );
        assert!(!waiting["last_error"].as_str().unwrap().contains("k-123"));

        // Back up, but the backoff has not run out: nothing yet.
        receiver.up().await;
        assert_eq!(deliver(&app).await, Delivered::default());
        app.advance(Duration::seconds(31));
        let d = deliver(&app).await;
        assert_eq!((d.sent, d.retrying, d.failed), (1, 0, 0));
        let got = receiver.received();
        assert_eq!(got.len(), 1);
        let r = &got[0];
        assert_eq!(r.path, "/hook?key=k-123");
        assert!(signed_correctly(r), "the signature checks out");
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["event"], "dispatched");
        assert_eq!(body["id"], r.headers["x-aiwei-delivery"].as_str());
        let text = body["text"].as_str().unwrap();
        assert!(text.contains(&n) && text.contains("https://aiwei.example.gov.cn/matters/"));
        assert!(
            !text.contains("13722334455") && !text.contains("郑外发"),
            "{text}"
        );

        // Nothing is sent twice, however often the worker looks.
        app.advance(Duration::hours(2));
        assert_eq!(deliver(&app).await, Delivered::default());
        assert_eq!(receiver.received().len(), 1);
        assert_eq!(mail.messages().len(), 1);
        let (_, page) = app.get_json(&admin, "/api/v1/outbox").await;
        assert_eq!(
            page["counts"],
            json!({"pending": 0, "sent": 2, "failed": 0})
        );
        let sent = page["items"][0]["id"].as_str().unwrap().to_owned();
        let (s, b) = app
            .post_json(&admin, &format!("/api/v1/outbox/{sent}/retry"), &json!({}))
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (409, Some("already_sent"))
        );
        receiver.down_again().await;
    }
);

both_backends!(
    a_failed_message_is_sent_again_by_the_administrator,
    |backend: Backend| async move {
        let mut receiver = Receiver::down();
        let app = TestApp::spawn_with(backend, outbound(&receiver, None)).await;
        let Desk { intake, .. } = app.desk().await;
        let (admin, _) = set_up(&app, &receiver, false).await;
        receiver.up().await;
        // The receiver refuses (a 4xx will not get better by waiting).
        *receiver.status.lock().unwrap() = 403;
        dispatch(&app, &intake, "13722334466").await;
        let d = deliver(&app).await;
        assert_eq!((d.sent, d.retrying, d.failed), (0, 0, 1));
        let (_, page) = app.get_json(&admin, "/api/v1/outbox?state=failed").await;
        let failed = &page["items"][0];
        assert_eq!(failed["state_label"], "发送失败");
        assert!(failed["last_error"].as_str().unwrap().contains("403"));
        *receiver.status.lock().unwrap() = 200;
        let id = failed["id"].as_str().unwrap();
        let (s, b) = app
            .post_json(&admin, &format!("/api/v1/outbox/{id}/retry"), &json!({}))
            .await;
        assert_eq!((s, b["state"].as_str()), (200, Some("pending")), "{b}");
        let d = deliver(&app).await;
        assert_eq!(d.sent, 1);
        assert_eq!(receiver.received().len(), 2);
        let (_, trail) = app
            .get_json(&admin, "/api/v1/audit?action=outbox.retry")
            .await;
        assert_eq!(trail["items"].as_array().unwrap().len(), 1, "{trail}");
        receiver.down_again().await;
    }
);

both_backends!(
    destinations_and_rules_refuse_bad_input_and_change_nothing,
    |backend: Backend| async move {
        let receiver = Receiver::down();
        let app = TestApp::spawn_with(backend, outbound(&receiver, None)).await;
        app.desk().await;
        let (_, admin) = app.token_user("guanli", &[Role::Admin], None).await;
        let (_, handler) = app.token_user("jb9", &[Role::Handler], Some("HJWS")).await;
        let refused = [
            (
                json!({"name": "外部", "channel": "webhook", "url": "http://203.0.113.9/hook", "secret": "s"}),
                "url",
                "destination_not_allowed",
            ),
            (
                json!({"name": "内网", "channel": "webhook", "url": "http://127.0.0.1:1/hook", "secret": "s"}),
                "url",
                "destination_not_allowed",
            ),
            (
                json!({"name": "无密钥", "channel": "webhook", "url": receiver.url("/hook")}),
                "secret",
                "required",
            ),
            (
                json!({"name": "企微", "channel": "wecom", "url": receiver.url("/hook"), "secret": "x"}),
                "secret",
                "invalid_value",
            ),
            (
                json!({"name": "", "channel": "dingtalk", "url": receiver.url("/hook")}),
                "name",
                "required",
            ),
            (
                json!({"name": "邮件", "channel": "email", "url": receiver.url("/hook")}),
                "channel",
                "invalid_value",
            ),
            (
                json!({"name": "坏地址", "channel": "dingtalk", "url": "file:///etc/passwd"}),
                "url",
                "invalid_url",
            ),
        ];
        for (body, field, code) in refused {
            let (s, b) = app
                .post_json(&admin, "/api/v1/outbound/destinations", &body)
                .await;
            assert_eq!(s, 422, "{body} → {b}");
            assert_eq!(b["error"]["field"], field, "{b}");
            assert_eq!(b["error"]["code"], code, "{b}");
        }
        let (s, _) = app
            .post_json(
                &handler,
                "/api/v1/outbound/destinations",
                &json!({"name": "越权", "channel": "webhook", "url": receiver.url("/hook"), "secret": "s"}),
            )
            .await;
        assert_eq!(s, 403);
        let (_, list) = app.get_json(&admin, "/api/v1/outbound/destinations").await;
        assert_eq!(list, json!([]), "nothing was written");

        for (body, code) in [
            (
                json!({"department": "HJWS", "kinds": [], "email": "a@b.cn"}),
                "required",
            ),
            (
                json!({"department": "HJWS", "kinds": ["dispatched"], "email": "不是邮箱"}),
                "invalid_email",
            ),
            (
                json!({"department": "NOPE", "kinds": ["dispatched"], "email": "a@b.cn"}),
                "unknown_department",
            ),
            (
                json!({"kinds": ["dispatched"], "email": "a@b.cn"}),
                "required",
            ),
            (
                json!({"department": "HJWS", "kinds": ["dispatched"],
                    "destination": uuid::Uuid::now_v7()}),
                "unknown_destination",
            ),
        ] {
            let (s, b) = app.post_json(&admin, "/api/v1/outbound/rules", &body).await;
            assert_eq!(s, 422, "{body} → {b}");
            assert_eq!(b["error"]["code"], code, "{b}");
        }
        let (_, list) = app.get_json(&admin, "/api/v1/outbound/rules").await;
        assert_eq!(list, json!([]));

        // Templates: an unknown placeholder is named; the preview masks.
        let (s, b) = app
            .post_json(
                &admin,
                "/api/v1/outbound/preview",
                &json!({"kind": "dispatched", "subject": "{编号}", "body": "{来电人}{手机}"}),
            )
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (422, Some("unknown_placeholder"))
        );
        let (s, b) = app
            .post_json(
                &admin,
                "/api/v1/outbound/preview",
                &json!({"kind": "dispatched", "subject": "【{通知}】{编号}", "body": "{来电人} {联系电话}"}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["subject"], "【有新派单，请及时签收】AW2026-000123");
        assert_eq!(b["body"], "张* 138****5678");
    }
);

both_backends!(
    templates_are_saved_and_used_for_the_next_message,
    |backend: Backend| async move {
        let mut receiver = Receiver::down();
        let app = TestApp::spawn_with(backend, outbound(&receiver, None)).await;
        let Desk { intake, .. } = app.desk().await;
        let (admin, _) = set_up(&app, &receiver, false).await;
        receiver.up().await;
        let client = reqwest::Client::new();
        let r = client
            .put(app.url("/api/v1/outbound/templates/dispatched"))
            .bearer_auth(&admin)
            .json(&json!({"subject": "派单 {编号}", "body": "请签收：{编号}，{责任部门}"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let t: Value = r.json().await.unwrap();
        assert_eq!(t["custom"], true);
        let n = dispatch(&app, &intake, "13722334477").await;
        deliver(&app).await;
        let got = receiver.received();
        let body: Value = serde_json::from_slice(&got[0].body).unwrap();
        assert_eq!(body["subject"], format!("派单 {n}"));
        assert_eq!(body["text"], format!("请签收：{n}，HJWS科"));
        receiver.down_again().await;
    }
);

/// Two app instances on one PostgreSQL database, both delivering at once:
/// every message reaches the receiver exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_never_send_one_message_twice() {
    let mut receiver = Receiver::down();
    let one = TestApp::spawn_with(Backend::Postgres, outbound(&receiver, None)).await;
    let two =
        TestApp::spawn_on_with(one.db.clone(), one.keys.clone(), outbound(&receiver, None)).await;
    let Desk { intake, .. } = one.desk().await;
    set_up(&one, &receiver, false).await;
    receiver.up().await;
    let mut numbers = Vec::new();
    for i in 0..30 {
        numbers.push(dispatch(&one, &intake, &format!("137{:08}", 22330000 + i)).await);
    }
    let mut total = 0;
    for _ in 0..10 {
        let (a, b) = tokio::join!(deliver_due(&one.state, 7), deliver_due(&two.state, 7));
        let (a, b) = (a.unwrap(), b.unwrap());
        total += a.sent + b.sent;
        if a.sent + b.sent == 0 {
            break;
        }
    }
    assert_eq!(total, 30);
    let got = receiver.received();
    assert_eq!(got.len(), 30, "each message once");
    let mut ids: Vec<&str> = got
        .iter()
        .map(|r| r.headers["x-aiwei-delivery"].as_str())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 30, "no message twice");
    for n in &numbers {
        assert_eq!(
            got.iter()
                .filter(|r| String::from_utf8_lossy(&r.body).contains(n.as_str()))
                .count(),
            1,
            "{n}"
        );
    }
    receiver.down_again().await;
}

both_backends!(
    robots_get_their_documented_formats_and_a_supervisor_mail_names_the_caller,
    |backend: Backend| async move {
        let Some(mail) = MailSink::start() else {
            return;
        };
        let mut receiver = Receiver::down();
        let app = TestApp::spawn_with(backend, outbound(&receiver, Some(&mail))).await;
        let Desk { intake, .. } = app.desk().await;
        let (_, admin) = app.token_user("guanli", &[Role::Admin], None).await;
        receiver.up().await;
        let mut ids = Vec::new();
        for (name, channel, path, secret) in [
            ("企业微信群", "wecom", "/hook/wecom?key=wk", None),
            (
                "钉钉群",
                "dingtalk",
                "/hook/ding?access_token=dt",
                Some("SECdemo"),
            ),
        ] {
            let (s, d) = app
                .post_json(
                    &admin,
                    "/api/v1/outbound/destinations",
                    &json!({"name": name, "channel": channel, "url": receiver.url(path), "secret": secret}),
                )
                .await;
            assert_eq!(s, 201, "{d}");
            ids.push(d["id"].clone());
        }
        for id in &ids {
            let (s, r) = app
                .post_json(
                    &admin,
                    "/api/v1/outbound/rules",
                    &json!({"department": "HJWS", "kinds": ["dispatched"], "destination": id}),
                )
                .await;
            assert_eq!(s, 201, "{r}");
        }
        let duban = app
            .store
            .user_by_name(&aiwei_core::Username::parse("duban").unwrap())
            .await
            .unwrap();
        // The supervisor is told of overdue clocks; their mail may name the
        // caller (they see every caller, each read on the record).
        let (s, r) = app
            .post_json(
                &admin,
                "/api/v1/outbound/rules",
                &json!({"user": duban.id.0, "kinds": ["deadline_overdue"], "email": "duban@example.gov.cn"}),
            )
            .await;
        assert_eq!(s, 201, "{r}");
        let n = dispatch(&app, &intake, "13722334488").await;
        let d = deliver(&app).await;
        assert_eq!(d.sent, 2, "{d:?}");
        let got = receiver.received();
        let wecom = got
            .iter()
            .find(|r| r.path.starts_with("/hook/wecom"))
            .unwrap();
        let body: Value = serde_json::from_slice(&wecom.body).unwrap();
        assert_eq!(body["msgtype"], "text");
        assert!(body["text"]["content"].as_str().unwrap().contains(&n));
        let ding = got
            .iter()
            .find(|r| r.path.starts_with("/hook/ding"))
            .unwrap();
        let url = reqwest::Url::parse(&format!("http://x{}", ding.path)).unwrap();
        let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(q["access_token"], "dt");
        // DingTalk's 加签, recomputed here: Base64(HMAC-SHA256(secret,
        // "{timestamp}\n{secret}")).
        use base64::Engine as _;
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"SECdemo").unwrap();
        mac.update(format!("{}\nSECdemo", q["timestamp"]).as_bytes());
        let want = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(q["sign"], want);
        let body: Value = serde_json::from_slice(&ding.body).unwrap();
        assert_eq!(body["msgtype"], "text");
        assert!(mail.messages().is_empty(), "no overdue clock yet");

        // Forty days on, the sign-for clock is overdue.
        app.store
            .sweep(app.now() + Duration::days(40), 1000)
            .await
            .unwrap();
        app.advance(Duration::days(40));
        deliver(&app).await;
        let mails = mail.messages();
        assert!(!mails.is_empty());
        assert!(
            mails
                .iter()
                .all(|m| m.contains("13722334488") && m.contains("郑外发")),
            "{mails:?}"
        );
        let (_, trail) = app
            .get_json(&admin, "/api/v1/audit?action=caller.view")
            .await;
        assert!(
            trail["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["detail"]["via"] == "email"),
            "{trail}"
        );
        receiver.down_again().await;
    }
);

both_backends!(
    the_administrator_sets_up_and_follows_notifications_on_the_pages,
    |backend: Backend| async move {
        let mut receiver = Receiver::down();
        let app = TestApp::spawn_with(backend, outbound(&receiver, None)).await;
        let Desk { intake, .. } = app.desk().await;
        let (_, pw) = app.user("guanli", &[Role::Admin], None).await;
        app.log_in("guanli", &pw).await;
        let html = app.html("/admin/notify").await;
        assert!(html.contains("尚未设置推送地址") && html.contains("尚未配置发信服务器"));
        let csrf = crate::pages::csrf_of(&html);

        // Outside the allow-list: refused, what was typed kept, the secret
        // not echoed, nothing written.
        let r = app
            .post_form(
                "/admin/notify/destinations",
                &[
                    ("csrf", csrf.as_str()),
                    ("name", "外网接口"),
                    ("channel", "webhook"),
                    ("url", "http://198.51.100.7/hook"),
                    ("secret", "page-secret-1"),
                ],
            )
            .await;
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(page.contains("不在系统配置允许的推送地址范围内"), "{page}");
        assert!(page.contains("外网接口") && page.contains("http://198.51.100.7/hook"));
        assert!(!page.contains("page-secret-1"));
        assert!(page.contains("尚未设置推送地址"));

        let url = receiver.url("/hook?key=page");
        let r = app
            .post_form(
                "/admin/notify/destinations",
                &[
                    ("csrf", csrf.as_str()),
                    ("name", "环卫科对接"),
                    ("channel", "webhook"),
                    ("url", url.as_str()),
                    ("secret", SECRET),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        assert!(page.contains("已添加推送地址“环卫科对接”"), "{page}");
        assert!(page.contains("/hook?***") && !page.contains("key=page"));
        let (_, dests) = app
            .get_json(
                &app.token_for(
                    &app.store
                        .user_by_name(&aiwei_core::Username::parse("guanli").unwrap())
                        .await
                        .unwrap(),
                )
                .await,
                "/api/v1/outbound/destinations",
            )
            .await;
        let dest = dests[0]["id"].as_str().unwrap().to_owned();

        // A rule without any kind is refused; with kinds it is listed.
        let r = app
            .post_form(
                "/admin/notify/rules",
                &[
                    ("csrf", csrf.as_str()),
                    ("subscriber", "dept:HJWS"),
                    ("target", dest.as_str()),
                ],
            )
            .await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("此项必填"));
        let r = app
            .post_form(
                "/admin/notify/rules",
                &[
                    ("csrf", csrf.as_str()),
                    ("subscriber", "dept:HJWS"),
                    ("kind", "dispatched"),
                    ("kind", "returned"),
                    ("target", dest.as_str()),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("已添加规则：HJWS科的“有新派单，请及时签收；事项被部门退回，请重新派单或处理”发往环卫科对接"),
            "{page}"
        );

        // The template page previews unsaved text, and refuses an unknown
        // placeholder with the text kept.
        let r = app
            .post_form(
                "/admin/notify/templates/dispatched",
                &[
                    ("csrf", csrf.as_str()),
                    ("subject", "新派单 {编号}"),
                    ("body", "{责任部门}请签收：{事由}"),
                    ("step", "preview"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        assert!(page.contains("新派单 AW2026-000123") && page.contains("未保存文字的预览"));
        let r = app
            .post_form(
                "/admin/notify/templates/dispatched",
                &[
                    ("csrf", csrf.as_str()),
                    ("subject", "新派单 {编号}"),
                    ("body", "{部门}请签收"),
                    ("step", "save"),
                ],
            )
            .await;
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(page.contains("无法识别的占位符") && page.contains("{部门}请签收"));

        // A failed message is on the record with its reason, and sent
        // again from the page.
        receiver.up().await;
        *receiver.status.lock().unwrap() = 400;
        let n = dispatch(&app, &intake, "13722334499").await;
        deliver(&app).await;
        let page = app.html("/admin/outbox?state=failed").await;
        assert!(
            page.contains(&n) && page.contains("推送地址返回 400"),
            "{page}"
        );
        let id = page
            .split("id=\"message-")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_owned();
        *receiver.status.lock().unwrap() = 200;
        let r = app
            .post_form(
                &format!("/admin/outbox/{id}/retry"),
                &[("csrf", csrf.as_str())],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("已重新排队"));
        deliver(&app).await;
        let page = app.html("/admin/outbox").await;
        assert!(page.contains("已发送 <strong>1</strong> 条"), "{page}");
        receiver.down_again().await;
    }
);

//! The audit trail (审计日志): what is recorded, who may read it, and that
//! `aiwei audit verify` notices when it is edited behind the program's back.

use std::process::Command;

use aiwei_core::AuditAction;
use aiwei_core::Role;
use aiwei_store::trail::{AuditEntry, AuditFilter, AuditRecord};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::pages::csrf_of;

/// Every record, oldest first, straight from the store.
async fn all_records(app: &TestApp) -> Vec<AuditRecord> {
    let (mut records, next) = app
        .store
        .audit_trail(&AuditFilter::default(), None, 500)
        .await
        .unwrap();
    assert!(next.is_none());
    records.reverse();
    records
}

fn with_action<'a>(records: &'a [AuditRecord], action: &str) -> Vec<&'a AuditRecord> {
    records
        .iter()
        .filter(|r| r.action.as_str() == action)
        .collect()
}

fn aiwei(app: &TestApp, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_aiwei"))
        .args([
            "--data-dir",
            app.db.dir.to_str().unwrap(),
            "--database-url",
            &app.db.url_text,
        ])
        .args(args)
        .env("AIWEI_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

both_backends!(
    logins_and_failures_are_recorded_without_passwords,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (user, password) = app.user("jieting", &[Role::Intake], Some("AWB")).await;
        let wrong = "Wrong-Secret-Pw-4711";
        let login = |u: &str, p: &str| json!({"username": u, "password": p});

        let r = app
            .post_cookie_json("/api/v1/session", &login("jieting", wrong))
            .await;
        assert_eq!(r.status(), 401);
        let r = app
            .post_cookie_json("/api/v1/session", &login("nobody", wrong))
            .await;
        assert_eq!(r.status(), 401);
        let r = app
            .post_cookie_json("/api/v1/session", &login("Not A Name!", wrong))
            .await;
        assert_eq!(r.status(), 401);
        // The login page goes the same way.
        let r = app
            .post_form("/login", &[("username", "jieting"), ("password", wrong)])
            .await;
        assert_eq!(r.status(), 401);
        app.log_in("jieting", &password).await;
        // Logging out through the API ends the session and is recorded.
        let r = app.delete_cookie("/api/v1/session").await;
        assert_eq!(r.status(), 204);

        let records = all_records(&app).await;
        let failures = with_action(&records, "login.failure");
        assert_eq!(failures.len(), 4, "{records:?}");
        let reasons: Vec<&str> = failures
            .iter()
            .map(|r| r.detail["reason"].as_str().unwrap())
            .collect();
        assert_eq!(
            reasons,
            [
                "wrong_password",
                "unknown_user",
                "malformed_username",
                "wrong_password"
            ]
        );
        assert_eq!(failures[0].actor_name.as_deref(), Some("jieting"));
        assert_eq!(failures[1].actor_name, None, "an unknown name is not kept");
        assert_eq!(
            failures[1].detail["tried_sha256"].as_str().map(str::len),
            Some(16)
        );
        assert_eq!(failures[2].actor_name, None, "a malformed name is not kept");
        for f in &failures {
            assert_eq!(f.actor, None);
            assert_eq!(f.ip.as_deref(), Some("127.0.0.1"));
        }
        let success = with_action(&records, "login.success");
        assert_eq!(success.len(), 1);
        assert_eq!(success[0].actor, Some(user.id));
        assert_eq!(success[0].actor_name.as_deref(), Some("jieting"));
        assert_eq!(success[0].ip.as_deref(), Some("127.0.0.1"));
        let logout = with_action(&records, "logout");
        assert_eq!(logout.len(), 1);
        assert_eq!(logout[0].actor, Some(user.id));
        assert_eq!(logout[0].detail["sessions_ended"], 1);

        // Sequence numbers are gap-free from 1.
        let seqs: Vec<i64> = records.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, (1..=records.len() as i64).collect::<Vec<_>>());
        // No password anywhere in the stored rows.
        let dump = format!("{records:?}");
        assert!(!dump.contains(wrong), "{dump}");
        assert!(!dump.contains(&password), "{dump}");
        app.stop().await;
    }
);

both_backends!(
    admin_changes_are_recorded_with_their_change,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (admin, password) = app.user("admin", &[Role::Admin], None).await;
        app.log_in("admin", &password).await;
        let csrf = csrf_of(&app.html("/admin/users").await);
        let r = app
            .post_form(
                "/admin/departments",
                &[
                    ("csrf", csrf.as_str()),
                    ("code", "bmfz"),
                    ("name", "病媒防制科"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let r = app
            .post_form(
                "/admin/users",
                &[
                    ("csrf", csrf.as_str()),
                    ("username", "xiaoli"),
                    ("display_name", "小李"),
                    ("password", "long-enough-pw"),
                    ("role", "handler"),
                    ("department", "BMFZ"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        let xiaoli = app
            .store
            .user_by_name(&aiwei_core::Username::parse("xiaoli").unwrap())
            .await
            .unwrap();
        for active in ["0", "1"] {
            let r = app
                .post_form(
                    &format!("/admin/users/{}/active", xiaoli.id),
                    &[("csrf", csrf.as_str()), ("active", active)],
                )
                .await;
            assert_eq!(r.status(), 303);
        }
        // A refused change records nothing.
        let r = app
            .post_form(
                "/admin/users",
                &[
                    ("csrf", csrf.as_str()),
                    ("username", "xiaoli"),
                    ("display_name", "重复"),
                    ("password", "long-enough-pw"),
                    ("role", "handler"),
                ],
            )
            .await;
        assert_eq!(r.status(), 409);

        let records = all_records(&app).await;
        let actions: Vec<&str> = records.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "login.success",
                "department.create",
                "user.create",
                "user.disable",
                "user.enable"
            ]
        );
        for r in &records {
            assert_eq!(r.actor, Some(admin.id));
            assert_eq!(r.actor_name.as_deref(), Some("admin"));
            assert_eq!(r.ip.as_deref(), Some("127.0.0.1"));
        }
        assert_eq!(records[1].target.as_deref(), Some("BMFZ"));
        assert_eq!(records[1].detail["name"], "病媒防制科");
        let xiaoli_id = xiaoli.id.to_string();
        assert_eq!(records[2].target.as_deref(), Some(xiaoli_id.as_str()));
        assert_eq!(records[2].detail["username"], "xiaoli");
        assert_eq!(records[2].detail["roles"], json!(["handler"]));
        assert!(!format!("{:?}", records[2]).contains("long-enough-pw"));
        assert_eq!(records[3].target.as_deref(), Some(xiaoli_id.as_str()));
        assert_eq!(records[3].detail["was_active"], true);
        assert_eq!(records[4].detail["was_active"], false);
        app.stop().await;
    }
);

both_backends!(
    policy_and_calendar_changes_are_recorded,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (admin, token) = app.token_user("admin", &[Role::Admin], None).await;
        let (_, current) = app.get_json(&token, "/api/v1/policy").await;
        let r = app
            .client
            .put(app.url("/api/v1/policy"))
            .bearer_auth(&token)
            .json(&current["policy"])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let (_, password) = app.user("admin2", &[Role::Admin], None).await;
        app.log_in("admin2", &password).await;
        let csrf = csrf_of(&app.html("/admin/calendar").await);
        let year = |off: &str| {
            format!(
                "{{\"year\": 2027, \"days\": [{{\"name\": \"元旦\", \"date\": \"{off}\", \"isOffDay\": true}}]}}"
            )
        };
        for off in ["2027-01-01", "2027-01-04"] {
            let r = app
                .post_form(
                    "/admin/calendar",
                    &[("csrf", csrf.as_str()), ("data", year(off).as_str())],
                )
                .await;
            assert_eq!(r.status(), 303);
        }

        let records = all_records(&app).await;
        let policy = with_action(&records, "policy.update");
        assert_eq!(policy.len(), 1);
        assert_eq!(policy[0].actor, Some(admin.id));
        assert_eq!(policy[0].ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(policy[0].target.as_deref(), Some("2"));
        assert_eq!(policy[0].detail["previous_version"], 1);
        assert_eq!(policy[0].detail["body_sha256"].as_str().unwrap().len(), 64);
        let load = with_action(&records, "calendar.load");
        let update = with_action(&records, "calendar.update");
        assert_eq!((load.len(), update.len()), (1, 1));
        assert_eq!(load[0].target.as_deref(), Some("2027"));
        assert_eq!(update[0].actor_name.as_deref(), Some("admin2"));
        assert_ne!(
            load[0].detail["data_sha256"],
            update[0].detail["data_sha256"]
        );
        app.stop().await;
    }
);

both_backends!(
    auditors_list_and_filter_the_trail,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, auditor) = app.token_user("shenji", &[Role::Auditor], None).await;
        let (_, admin) = app.token_user("admin", &[Role::Admin], None).await;
        let (_, handler) = app
            .token_user("jingban", &[Role::Handler], Some("HJWS"))
            .await;
        let (_, password) = app.user("jieting", &[Role::Intake], Some("AWB")).await;
        for _ in 0..3 {
            app.post_cookie_json(
                "/api/v1/session",
                &json!({"username": "jieting", "password": "nope-nope"}),
            )
            .await;
        }
        app.log_in("jieting", &password).await;
        app.store
            .audit(
                &AuditEntry {
                    actor: None,
                    actor_name: Some("admin"),
                    ip: Some("10.1.2.3"),
                    action: AuditAction::DepartmentCreate,
                    target: Some("X_1"),
                    detail: json!({"name": "测试"}),
                },
                app.now(),
            )
            .await
            .unwrap();

        let (s, page) = app.get_json(&auditor, "/api/v1/audit").await;
        assert_eq!(s, 200, "{page}");
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 5);
        assert_eq!(page["next"], Value::Null);
        let seqs: Vec<i64> = items.iter().map(|i| i["seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs, [5, 4, 3, 2, 1], "newest first");
        assert_eq!(items[0]["action"], "department.create");
        assert_eq!(items[0]["detail"]["name"], "测试");
        assert_eq!(items[1]["action"], "login.success");
        assert_eq!(items[1]["ip"], "127.0.0.1");
        assert_eq!(items[1]["hash"].as_str().unwrap().len(), 64);

        // Filters: a prefix, an exact code, a user name, days.
        let (_, p) = app.get_json(&admin, "/api/v1/audit?action=login.").await;
        assert_eq!(p["items"].as_array().unwrap().len(), 4);
        let (_, p) = app
            .get_json(&auditor, "/api/v1/audit?action=login.failure&actor=jieting")
            .await;
        assert_eq!(p["items"].as_array().unwrap().len(), 3);
        let (_, p) = app.get_json(&auditor, "/api/v1/audit?actor=admin").await;
        assert_eq!(p["items"].as_array().unwrap().len(), 1);
        let today = app
            .now()
            .with_timezone(&aiwei_core::time::china())
            .date_naive();
        let (_, p) = app
            .get_json(&auditor, &format!("/api/v1/audit?from={today}&to={today}"))
            .await;
        assert_eq!(p["items"].as_array().unwrap().len(), 5);
        let tomorrow = today.succ_opt().unwrap();
        let (_, p) = app
            .get_json(&auditor, &format!("/api/v1/audit?from={tomorrow}"))
            .await;
        assert_eq!(p["items"].as_array().unwrap().len(), 0);

        // Paging by `before`.
        let (_, p1) = app.get_json(&auditor, "/api/v1/audit?limit=2").await;
        assert_eq!(p1["next"], 4);
        let (_, p2) = app
            .get_json(&auditor, "/api/v1/audit?limit=2&before=4")
            .await;
        let seqs: Vec<i64> = p2["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["seq"].as_i64().unwrap())
            .collect();
        assert_eq!(seqs, [3, 2]);
        let (_, p3) = app
            .get_json(&auditor, "/api/v1/audit?limit=2&before=2")
            .await;
        assert_eq!(p3["items"].as_array().unwrap().len(), 1);
        assert_eq!(p3["next"], Value::Null);

        // Bad filters are named.
        let (s, e) = app
            .get_json(&auditor, "/api/v1/audit?from=2026-13-01")
            .await;
        assert_eq!(s, 422);
        assert_eq!(e["error"]["field"], "from");
        let (s, _) = app.get_json(&auditor, "/api/v1/audit?limit=501").await;
        assert_eq!(s, 422);

        // Others may not read it.
        let (s, e) = app.get_json(&handler, "/api/v1/audit").await;
        assert_eq!(s, 403);
        assert_eq!(e["error"]["code"], "forbidden");
        // The cookie client is logged in as intake staff.
        let r = app
            .client
            .get(app.url("/api/v1/audit"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let doc: Value = app
            .client
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(doc["paths"]["/api/v1/audit"]["get"].is_object());
        app.stop().await;
    }
);

both_backends!(
    the_audit_page_is_for_auditors_and_admins,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, handler_pw) = app.user("jingban", &[Role::Handler], Some("HJWS")).await;
        app.log_in("jingban", &handler_pw).await;
        assert!(!app.html("/work").await.contains("href=\"/audit\""));
        let r = app.client.get(app.url("/audit")).send().await.unwrap();
        assert_eq!(r.status(), 403);

        let (_, pw) = app.user("shenji", &[Role::Auditor], None).await;
        app.post_cookie_json(
            "/api/v1/session",
            &json!({"username": "shenji", "password": "wrong-one"}),
        )
        .await;
        app.log_in("shenji", &pw).await;
        let html = app.html("/audit").await;
        assert!(
            html.contains("href=\"/audit\""),
            "linked from the navigation"
        );
        assert!(html.contains("<h1>审计日志</h1>"), "{html}");
        for header in ["时间", "操作人", "来源IP", "操作", "对象", "详情"] {
            assert!(html.contains(&format!("<th>{header}</th>")), "{header}");
        }
        assert!(
            html.contains("登录失败") && html.contains("原因：密码错误"),
            "{html}"
        );
        assert!(
            !html.contains("expires_at") && !html.contains("+00:00"),
            "details in Chinese and local time: {html}"
        );
        assert!(html.contains("127.0.0.1"));
        // What a person typed into the filter is trimmed on the page (the
        // API takes values as sent).
        let html = app.html("/audit?actor=+ShenJi+").await;
        assert!(html.contains("data-action=\"login.success\""), "{html}");
        assert!(!html.contains("role=\"alert\""), "{html}");
        // Filtered to failures only.
        let html = app.html("/audit?action=login.failure").await;
        assert_eq!(html.matches("data-action=\"login.failure\"").count(), 1);
        assert!(!html.contains("data-action=\"login.success\""));
        // Paged.
        let html = app.html("/audit?limit=1").await;
        assert!(html.contains("id=\"next-page\""), "{html}");
        // A bad date is shown, not a crash.
        let html = app.html("/audit?from=yesterday").await;
        assert!(html.contains("日期格式应为"), "{html}");

        let (_, admin_pw) = app.user("admin", &[Role::Admin], None).await;
        app.log_in("admin", &admin_pw).await;
        let r = app.client.get(app.url("/audit")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        app.stop().await;
    }
);

both_backends!(
    verify_names_an_edited_or_deleted_audit_record,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, password) = app.user("admin", &[Role::Admin], None).await;
        for _ in 0..2 {
            app.post_cookie_json(
                "/api/v1/session",
                &json!({"username": "admin", "password": "wrong-pw-1"}),
            )
            .await;
        }
        app.log_in("admin", &password).await;
        // The command line records what it does too.
        let (ok, out) = aiwei(&app, &["token", "create", "admin", "--label", "备份脚本"]);
        assert!(ok, "{out}");
        let records = all_records(&app).await;
        assert_eq!(records.len(), 4);
        let token = &records[3];
        assert_eq!(token.action.as_str(), "token.create");
        assert_eq!((token.actor, token.ip.as_deref()), (None, None));
        assert_eq!(token.detail["via"], "cli");
        assert_eq!(token.detail["label"], "备份脚本");
        let secret = out.lines().find(|l| l.starts_with("aw_")).unwrap();
        assert!(!format!("{records:?}").contains(secret), "no token");

        let (ok, out) = aiwei(&app, &["audit", "verify"]);
        assert!(ok, "{out}");
        assert!(
            out.contains("0 matters, 0 events, 4 audit records"),
            "{out}"
        );
        assert!(out.contains(&format!("#4 {}", token.hash)), "{out}");

        // Edit one record's detail behind the program's back.
        let n = app
            .raw_execute(
                "UPDATE audit_trail SET detail = '{\"reason\":\"unknown_user\"}' WHERE seq = 2",
            )
            .await;
        assert_eq!(n, 1);
        let (ok, out) = aiwei(&app, &["audit", "verify"]);
        assert!(!ok, "{out}");
        assert!(out.contains("BROKEN audit#2"), "{out}");
        assert!(
            !out.contains("audit#1") && !out.contains("audit#3"),
            "{out}"
        );
        assert!(out.contains("audit trail breaks: 1"), "{out}");

        // Deleting a record is found too, in the middle or at the end.
        app.raw_execute("DELETE FROM audit_trail WHERE seq = 3")
            .await;
        let (ok, out) = aiwei(&app, &["audit", "verify"]);
        assert!(!ok);
        assert!(out.contains("BROKEN audit#3"), "{out}");
        assert!(out.contains("audit trail breaks: 2"), "{out}");
        app.raw_execute("DELETE FROM audit_trail WHERE seq = 4")
            .await;
        let (ok, out) = aiwei(&app, &["audit", "verify"]);
        assert!(!ok);
        assert!(
            out.contains("BROKEN audit#3: the trail ends at record 2 but its head says 4"),
            "{out}"
        );
        let report = app.store.verify_chains().await.unwrap();
        assert_eq!(report.audit_records, 2);
        assert!(report.broken.iter().all(|b| b.in_audit_trail()));
        app.stop().await;
    }
);

both_backends!(
    concurrent_appends_from_two_instances_stay_one_chain,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let other = TestApp::spawn_on(app.db.clone(), app.keys.clone()).await;
        let mut tasks = Vec::new();
        for i in 0..40 {
            let store = if i % 2 == 0 {
                app.store.clone()
            } else {
                other.store.clone()
            };
            tasks.push(tokio::spawn(async move {
                let name = format!("user{i}");
                store
                    .audit(
                        &AuditEntry {
                            actor: None,
                            actor_name: Some(&name),
                            ip: None,
                            action: AuditAction::LoginFailure,
                            target: None,
                            detail: json!({"reason": "unknown_user"}),
                        },
                        chrono::Utc::now(),
                    )
                    .await
                    .unwrap()
            }));
        }
        let mut seqs = Vec::new();
        for t in tasks {
            seqs.push(t.await.unwrap());
        }
        seqs.sort();
        assert_eq!(seqs, (1..=40).collect::<Vec<i64>>());
        let report = app.store.verify_chains().await.unwrap();
        assert!(report.ok(), "{:?}", report.broken);
        assert_eq!(report.audit_records, 40);
        assert_eq!(report.audit_head.0, 40);
        other.stop().await;
        app.stop().await;
    }
);

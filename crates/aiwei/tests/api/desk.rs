//! The daily desk (issue 9): queues ordered by urgency, the ledger's
//! department, overdue and total, truthful clock states, and changing
//! one's own password.

use aiwei_core::Role;
use chrono::Duration;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, Desk, TestApp, phone_complaint};
use crate::pages::csrf_of;
use crate::work::queue;

fn numbers(items: &Value) -> Vec<&str> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["number"].as_str().unwrap())
        .collect()
}

both_backends!(
    the_queue_puts_the_most_urgent_work_first,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let Desk {
            intake, handler, ..
        } = app.desk().await;
        // An ordinary matter first (sign for within 2 h), then an urgent one
        // ten minutes later (within 1 h): the older one is the calmer.
        let calm = app.dispatched(&intake, "13811110001", "HJWS").await;
        app.advance(Duration::minutes(10));
        let mut body = phone_complaint("13811110002", "加急");
        body["urgent"] = json!(true);
        let (s, m) = app.post_json(&intake, "/api/v1/matters", &body).await;
        assert_eq!(s, 201, "{m}");
        let urgent = m["number"].as_str().unwrap().to_owned();
        let (s, _) = app
            .step(
                &intake,
                &urgent,
                json!({"action": "dispatch", "lead": "HJWS"}),
            )
            .await;
        assert_eq!(s, 200);

        // 50 minutes on: the urgent one is inside its warning window.
        app.advance(Duration::minutes(50));
        let (_, w) = app.get_json(&handler, "/api/v1/work").await;
        let q = queue(&w, "to_sign");
        assert_eq!(q["count"], 2);
        assert_eq!(numbers(&q["items"]), [urgent.as_str(), calm.as_str()]);
        assert_eq!(q["items"][0]["urgency"], "due_soon");
        assert_eq!(q["items"][0]["due_kind"], "sign_due");
        assert_eq!(q["items"][1]["urgency"], "normal");
        assert!(q["items"][1]["due_at"].is_string());

        // Past both limits: both overdue, the longest overdue first.
        app.advance(Duration::hours(2));
        let (_, w) = app.get_json(&handler, "/api/v1/work").await;
        let q = queue(&w, "to_sign");
        assert_eq!(q["items"][0]["urgency"], "overdue");
        assert_eq!(q["items"][1]["urgency"], "overdue");
        assert_eq!(numbers(&q["items"]), [urgent.as_str(), calm.as_str()]);

        // The navigation counter counts them, on every page.
        let (_, pw) = app.user("jingban3", &[Role::Handler], Some("HJWS")).await;
        app.log_in("jingban3", &pw).await;
        let html = app.html("/ledger").await;
        assert!(
            html.contains(r#"id="urgent-badge""#) && html.contains("2 件已超时"),
            "{html}"
        );
    }
);

both_backends!(
    the_ledger_filters_by_lead_department_and_overdue_and_counts_all,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let Desk { intake, lead, .. } = app.desk().await;
        app.user("fangzhi", &[Role::Handler], Some("BMFZ")).await;
        let env = app.dispatched(&intake, "13811110003", "HJWS").await;
        app.advance(Duration::hours(3));
        let vector = app.dispatched(&intake, "13811110004", "BMFZ").await;
        let undispatched = app.complaint(&intake, "13811110005", "未派").await;

        let (s, all) = app.get_json(&intake, "/api/v1/matters?limit=1").await;
        assert_eq!(s, 200, "{all}");
        assert_eq!(all["total"], 3, "the total counts every page");
        assert_eq!(all["items"].as_array().unwrap().len(), 1);

        let (_, by_lead) = app
            .get_json(&intake, "/api/v1/matters?lead_department=HJWS")
            .await;
        assert_eq!(numbers(&by_lead["items"]), [env.as_str()]);
        assert_eq!(by_lead["total"], 1);
        assert_eq!(by_lead["items"][0]["lead_department"]["code"], "HJWS");

        // Only the first one's sign-for limit has passed.
        let (_, late) = app.get_json(&intake, "/api/v1/matters?overdue=true").await;
        assert_eq!(numbers(&late["items"]), [env.as_str()]);
        assert_eq!(late["items"][0]["urgency"], "overdue");
        let (s, e) = app.get_json(&intake, "/api/v1/matters?overdue=false").await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some("overdue")));
        let (s, _) = app.get_json(&intake, "/api/v1/matters?urgent=yes").await;
        assert_eq!(s, 422);

        let (_, mine) = app.get_json(&intake, "/api/v1/me").await;
        let id = mine["id"].as_str().unwrap();
        let (_, by_clerk) = app
            .get_json(&intake, &format!("/api/v1/matters?intake_user={id}"))
            .await;
        assert_eq!(by_clerk["total"], 3);
        let (s, _) = app
            .get_json(&intake, &format!("/api/v1/matters?intake_user={{{id}}}"))
            .await;
        assert_eq!(s, 422, "only the plain forms of a UUID");

        // Scope still applies: the lead of HJWS sees its own only.
        let (_, theirs) = app.get_json(&lead, "/api/v1/matters").await;
        assert_eq!(theirs["total"], 1);
        let _ = (vector, undispatched);
    }
);

both_backends!(
    a_return_cancels_the_department_clocks,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let Desk { intake, lead, .. } = app.desk().await;
        let n = app.dispatched(&intake, "13811110006", "HJWS").await;
        app.advance(Duration::hours(5));
        let (s, m) = app
            .step(
                &lead,
                &n,
                json!({"action": "return", "reason": "不属于本科室职责"}),
            )
            .await;
        assert_eq!(s, 200, "{m}");
        let (_, m) = app.get_json(&intake, &format!("/api/v1/matters/{n}")).await;
        let states: Vec<(&str, &str)> = m["deadlines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["kind"].as_str().unwrap(), d["state"].as_str().unwrap()))
            .collect();
        for kind in ["sign_due", "on_site_due", "rectify_due"] {
            assert!(
                states.contains(&(kind, "cancelled")),
                "{kind} is cancelled, not met or late: {states:?}"
            );
        }
    }
);

both_backends!(
    a_password_is_changed_with_the_current_one_and_the_session_renewed,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (user, password) = app.user("mima", &[Role::Intake], Some("AWB")).await;
        app.log_in("mima", &password).await;
        let old_cookie = app.session_cookie();

        let change = |current: &str, new: &str| json!({"current": current, "new": new});
        let r = app
            .post_cookie_json(
                "/api/v1/me/password",
                &change("wrong-one-1", "Fresh-pass-2026"),
            )
            .await;
        assert_eq!(r.status(), 403);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "wrong_password");
        let r = app
            .post_cookie_json("/api/v1/me/password", &change(&password, "mima2026mima"))
            .await;
        assert_eq!(r.status(), 422, "the user name inside is weak");
        let r = app
            .post_cookie_json("/api/v1/me/password", &change(&password, "12345678"))
            .await;
        assert_eq!(r.status(), 422);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["field"], "new");

        // The page form: CSRF from the page, then the change.
        let html = app.html("/account").await;
        assert!(html.contains("修改密码"), "{html}");
        let r = app
            .post_form(
                "/account/password",
                &[
                    ("csrf", csrf_of(&html).as_str()),
                    ("current", password.as_str()),
                    ("new", "Fresh-pass-2026"),
                    ("new_again", "Fresh-pass-2026"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        assert_ne!(app.session_cookie(), old_cookie, "the session is renewed");
        let html = app.html("/account?changed=1").await;
        assert!(html.contains("密码已修改"), "{html}");

        // The old session is gone; the old password no longer logs in.
        let stale = reqwest::Client::new()
            .get(app.url("/api/v1/me"))
            .header("cookie", format!("aiwei_session={old_cookie}"))
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), 401);
        let (s, _) = app
            .post_json(
                "",
                "/api/v1/session",
                &json!({"username": "mima", "password": password}),
            )
            .await;
        assert_eq!(s, 401);
        let (s, _) = app
            .post_json(
                "",
                "/api/v1/session",
                &json!({"username": "mima", "password": "Fresh-pass-2026"}),
            )
            .await;
        assert_eq!(s, 200);
        let (audit_user, _) = app.user("shenji", &[Role::Auditor], Some("AWB")).await;
        let token = app.token_for(&audit_user).await;
        let (_, trail) = app
            .get_json(&token, "/api/v1/audit?action=user.password_change")
            .await;
        assert_eq!(
            trail["items"][0]["target"],
            user.id.0.to_string(),
            "{trail}"
        );
    }
);

both_backends!(
    a_handler_asks_the_lead_returns_and_intake_is_told,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let Desk {
            intake,
            handler,
            lead,
            ..
        } = app.desk().await;
        let n = app.dispatched(&intake, "13811110007", "HJWS").await;

        // The handler may not return it, only ask; the lead is told.
        let (s, _) = app
            .step(
                &handler,
                &n,
                json!({"action": "return", "reason": "不归我科"}),
            )
            .await;
        assert_eq!(s, 403);
        let (s, e) = app
            .step(&handler, &n, json!({"action": "ask_return", "reason": ""}))
            .await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some("reason")));
        let (s, m) = app
            .step(
                &handler,
                &n,
                json!({"action": "ask_return", "reason": "属物业管理范围，不归本科室"}),
            )
            .await;
        assert_eq!(s, 200, "{m}");
        assert_eq!(m["status"], "dispatched", "asking changes no state");
        let (_, notes) = app.get_json(&lead, "/api/v1/notifications").await;
        assert_eq!(notes["items"][0]["kind"], "return_asked", "{notes}");
        let (_, notes) = app.get_json(&handler, "/api/v1/notifications").await;
        assert!(
            notes["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["kind"] != "return_asked"),
            "only leads are asked"
        );

        // The lead returns it: the recorder is told, and the queue item
        // says why.
        let (s, _) = app
            .step(
                &lead,
                &n,
                json!({"action": "return", "reason": "属物业管理范围"}),
            )
            .await;
        assert_eq!(s, 200);
        let (_, notes) = app.get_json(&intake, "/api/v1/notifications").await;
        assert_eq!(notes["items"][0]["kind"], "returned", "{notes}");
        assert_eq!(notes["items"][0]["number"], n.as_str());
        let (_, w) = app.get_json(&intake, "/api/v1/work").await;
        let item = &queue(&w, "to_dispatch")["items"][0];
        assert_eq!(item["number"], n.as_str());
        assert_eq!(item["last_return"]["reason"], "属物业管理范围");
        assert_eq!(item["return_count"], 1);

        // Re-dispatched elsewhere, the mark's reason is history.
        let (s, _) = app
            .step(&intake, &n, json!({"action": "dispatch", "lead": "BMFZ"}))
            .await;
        assert_eq!(s, 200);
        let (_, w) = app.get_json(&intake, "/api/v1/work").await;
        assert_eq!(queue(&w, "to_dispatch")["count"], 0);
    }
);

both_backends!(
    a_lead_who_returns_from_the_page_lands_on_the_work_list,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let Desk { intake, .. } = app.desk().await;
        let (_, pw) = app.user("keshi2", &[Role::DeptLead], Some("HJWS")).await;
        let n = app.dispatched(&intake, "13811110008", "HJWS").await;
        app.log_in("keshi2", &pw).await;
        let html = app.html(&format!("/matters/{n}")).await;
        let csrf = csrf_of(&html);
        let csrf = csrf.as_str();

        // Refused first: the error beside the field, the form open.
        let r = app
            .post_form(
                &format!("/matters/{n}/actions"),
                &[("csrf", csrf), ("action", "return"), ("reason", "")],
            )
            .await;
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(page.contains(r#"id="return-reason-error""#), "{page}");

        let r = app
            .post_form(
                &format!("/matters/{n}/actions"),
                &[
                    ("csrf", csrf),
                    ("action", "return"),
                    ("reason", "属物业管理范围"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(to, format!("/work?done=returned&matter={n}"));
        let page = app.html(&to).await;
        assert!(page.contains("已完成“退回”"), "{page}");
        let page = app.html("/no/such/page").await;
        assert!(
            page.contains("页面不存在") && page.contains("我的工作"),
            "{page}"
        );
    }
);

both_backends!(
    notifications_page_filter_name_the_deadline_and_are_read_one_by_one,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let Desk {
            intake,
            handler,
            lead,
            supervisor,
            ..
        } = app.desk().await;
        let mut numbers = Vec::new();
        for i in 0..3 {
            numbers.push(
                app.dispatched(&intake, &format!("1381111002{i}"), "HJWS")
                    .await,
            );
        }
        // Past the sign-for limit: a warning and an overdue notice each.
        app.store
            .sweep(app.now() + Duration::minutes(100), 1000)
            .await
            .unwrap();
        app.store
            .sweep(app.now() + Duration::hours(3), 1000)
            .await
            .unwrap();

        let (s, all) = app
            .get_json(&handler, "/api/v1/notifications?limit=2")
            .await;
        assert_eq!(s, 200, "{all}");
        assert_eq!(
            all["total"], 9,
            "3 dispatched + 3 due soon + 3 overdue: {all}"
        );
        assert_eq!(all["items"].as_array().unwrap().len(), 2);
        let next = all["next"].as_str().unwrap();
        let (_, more) = app
            .get_json(
                &handler,
                &format!("/api/v1/notifications?limit=2&cursor={next}"),
            )
            .await;
        assert_ne!(more["items"][0]["id"], all["items"][0]["id"]);

        let (_, late) = app
            .get_json(&handler, "/api/v1/notifications?kind=deadline_overdue")
            .await;
        assert_eq!(late["total"], 3);
        let first = &late["items"][0];
        assert_eq!(first["deadline"], "sign_due");
        let text = first["text"].as_str().unwrap();
        assert!(
            text.contains(first["number"].as_str().unwrap())
                && text.contains("签收时限")
                && text.contains("请尽快签收"),
            "{text}"
        );
        let (s, _) = app
            .get_json(&handler, "/api/v1/notifications?kind=nonsense")
            .await;
        assert_eq!(s, 422);

        // One read; someone else's is not found.
        let id = first["id"].as_str().unwrap();
        let (s, _) = app
            .post_json(
                &lead,
                &format!("/api/v1/notifications/{id}/read"),
                &json!({}),
            )
            .await;
        assert_eq!(s, 404, "not the lead's notification");
        let (s, _) = app
            .post_json(
                &handler,
                &format!("/api/v1/notifications/{id}/read"),
                &json!({}),
            )
            .await;
        assert_eq!(s, 204);
        let (_, unread) = app
            .get_json(&handler, "/api/v1/notifications?unread=true")
            .await;
        assert_eq!(unread["total"], 8);
        assert_eq!(unread["unread"], 8);

        // An extension request reaches the supervisors; the decision, its
        // requester.
        let (s, x) = app
            .post_json(
                &lead,
                &format!("/api/v1/matters/{}/extensions", numbers[0]),
                &json!({"deadline": "rectify_due",
                        "new_due_at": (app.now() + Duration::days(30)).to_rfc3339(),
                        "reason": "需协调物业"}),
            )
            .await;
        assert_eq!(s, 201, "{x}");
        let (_, sup) = app
            .get_json(
                &supervisor,
                "/api/v1/notifications?kind=extension_requested",
            )
            .await;
        assert_eq!(sup["total"], 1, "{sup}");
        let (s, _) = app
            .post_json(
                &supervisor,
                &format!("/api/v1/extensions/{}/decision", x["id"].as_str().unwrap()),
                &json!({"approve": true}),
            )
            .await;
        assert_eq!(s, 200);
        let (_, told) = app
            .get_json(&lead, "/api/v1/notifications?kind=extension_decided")
            .await;
        assert_eq!(told["total"], 1, "{told}");
    }
);

both_backends!(
    the_board_names_the_work_counts_it_and_urges_the_department,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let Desk {
            intake,
            handler,
            lead,
            supervisor,
            ..
        } = app.desk().await;
        let n = app.dispatched(&intake, "13811110030", "HJWS").await;
        let (s, _) = app.step(&lead, &n, json!({"action": "sign_for"})).await;
        assert_eq!(s, 200);
        app.dispatched(&intake, "13811110031", "HJWS").await;
        app.advance(Duration::hours(30));
        app.store.sweep(app.now(), 1000).await.unwrap();

        let (s, b) = app.get_json(&supervisor, "/api/v1/supervision").await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(
            b["totals"]["overdue"], 3,
            "two sign-for and one on-site clock: {b}"
        );
        let rows = b["departments"][0]["items"].as_array().unwrap();
        let row = rows.iter().find(|r| r["number"] == n.as_str()).unwrap();
        assert_eq!(row["lead_department"], "HJWS科");
        assert_eq!(row["handler"], "测试keshi");
        assert!(row["summary"].as_str().unwrap().starts_with("幸福里小区"));
        assert_eq!(row["may_urge"], true);

        // Only supervisors urge; the department is told and the matter
        // records it.
        let (s, _) = app.step(&intake, &n, json!({"action": "urge"})).await;
        assert_eq!(s, 403);
        let (s, m) = app
            .step(
                &supervisor,
                &n,
                json!({"action": "urge", "note": "请今日内到场"}),
            )
            .await;
        assert_eq!(s, 200, "{m}");
        assert!(crate::helpers::kinds(&m).contains(&"urged".to_owned()));
        let (_, notes) = app
            .get_json(&handler, "/api/v1/notifications?kind=urged")
            .await;
        assert_eq!(notes["total"], 1, "{notes}");

        // From the board page: back to the board, which says so.
        let (_, pw) = app.user("duban2", &[Role::Supervisor], Some("AWB")).await;
        app.log_in("duban2", &pw).await;
        let html = app.html("/supervision").await;
        assert!(html.contains(&format!(r#"id="urge-{n}""#)), "{html}");
        let csrf = csrf_of(&html);
        let csrf = csrf.as_str();
        let r = app
            .post_form(
                &format!("/matters/{n}/actions"),
                &[
                    ("csrf", csrf),
                    ("action", "urge"),
                    ("back", "board"),
                    ("note", "再次催办"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(to, format!("/supervision?urged={n}"));
        let html = app.html(&to).await;
        assert!(html.contains("已催办") && html.contains("合计"), "{html}");
    }
);

both_backends!(
    intake_has_phone_and_visit_layouts_and_saves_then_starts_the_next,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, pw) = app.user("jieting", &[Role::Intake], Some("AWB")).await;
        app.log_in("jieting", &pw).await;
        let phone = app.html("/intake").await;
        assert!(phone.contains(r#"id="ring_seconds""#) && !phone.contains(r#"id="arrived_at""#));
        let visit = app.html("/intake?channel=visit").await;
        assert!(visit.contains(r#"id="arrived_at""#) && !visit.contains(r#"id="ring_seconds""#));
        assert!(visit.contains(r#"name="channel" value="visit""#));
        // The visit's times come before the caller.
        assert!(visit.find("开始接待时间").unwrap() < visit.find("联系电话").unwrap());

        let csrf = csrf_of(&visit);
        let attempt_at = visit.find(r#"name="attempt" value=""#).unwrap() + 22;
        let attempt =
            visit[attempt_at..attempt_at + visit[attempt_at..].find('"').unwrap()].to_owned();
        let now = app.local_input(0);
        let reply = app.local_input(3);
        let r = app
            .post_form(
                "/intake",
                &[
                    ("csrf", csrf.as_str()),
                    ("attempt", attempt.as_str()),
                    ("channel", "visit"),
                    ("received_at", now.as_str()),
                    ("caller_kind", "person"),
                    ("caller_name", "访客甲乙"),
                    ("caller_phone", "13811110040"),
                    ("type", "complaint"),
                    ("content", "小区门口积水孳生蚊虫。"),
                    ("agreed_reply_at", reply.as_str()),
                    ("action", "submit_next"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.starts_with("/intake?channel=visit&recorded=AW"), "{to}");
        let next = app.html(&to).await;
        assert!(next.contains(r#"id="recorded-notice""#), "{next}");
        assert!(next.contains(r#"name="channel" value="visit""#));
        assert!(!next.contains("访客甲乙"), "a fresh form");
    }
);

both_backends!(
    an_admin_edits_an_account_and_resets_its_password,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, admin_pw) = app.user("guanli", &[Role::Admin], Some("AWB")).await;
        let (clerk, clerk_pw) = app.user("xiaowang", &[Role::Intake], Some("AWB")).await;
        app.user("other", &[Role::Handler], Some("HJWS")).await;
        app.log_in("guanli", &admin_pw).await;
        let page = app.html(&format!("/admin/users/{}", clerk.id)).await;
        let csrf = csrf_of(&page);

        // No role: refused, nothing changed.
        let r = app
            .post_form(
                &format!("/admin/users/{}", clerk.id),
                &[("csrf", csrf.as_str()), ("display_name", "王小")],
            )
            .await;
        assert_eq!(r.status(), 422);
        assert_eq!(
            app.store.user(clerk.id).await.unwrap().display_name,
            "测试xiaowang"
        );

        let r = app
            .post_form(
                &format!("/admin/users/{}", clerk.id),
                &[
                    ("csrf", csrf.as_str()),
                    ("display_name", "王小明"),
                    ("role", "intake"),
                    ("role", "supervisor"),
                    ("department", "AWB"),
                    ("department", "HJWS"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        let u = app.store.user(clerk.id).await.unwrap();
        assert_eq!(u.display_name, "王小明");
        assert_eq!(u.roles, [Role::Intake, Role::Supervisor]);
        assert_eq!(u.departments, ["AWB", "HJWS"]);
        let list = app.html("/admin/users").await;
        assert!(list.contains("HJWS科"), "departments by name: {list}");

        // The reset shows a temporary password once; the old one is gone,
        // and the new one leads to the account page until it is changed.
        let r = app
            .post_form(
                &format!("/admin/users/{}/password", clerk.id),
                &[("csrf", csrf.as_str())],
            )
            .await;
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        let at = page.find(r#"<code class="secret">"#).unwrap() + 21;
        let temporary = page[at..at + page[at..].find('<').unwrap()].to_owned();
        assert_eq!(temporary.len(), 14, "{temporary}");
        // Not one's own: that is the account page's business.
        let me = app
            .store
            .user_by_name(&aiwei_core::Username::parse("guanli").unwrap())
            .await
            .unwrap();
        let r = app
            .post_form(
                &format!("/admin/users/{}/password", me.id),
                &[("csrf", csrf.as_str())],
            )
            .await;
        assert_eq!(r.status(), 409);
        assert!(
            app.html(&format!("/admin/users/{}", me.id))
                .await
                .contains(r#"id="own-password""#)
        );
        let (s, _) = app
            .post_json(
                "",
                "/api/v1/session",
                &json!({"username": "xiaowang", "password": clerk_pw}),
            )
            .await;
        assert_eq!(s, 401);
        app.log_in("xiaowang", &temporary).await;
        let r = app.client.get(app.url("/work")).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/account");
        let page = app.html("/account").await;
        assert!(page.contains(r#"id="must-change""#), "{page}");
        let csrf = csrf_of(&page);
        let r = app
            .post_form(
                "/account/password",
                &[
                    ("csrf", csrf.as_str()),
                    ("current", temporary.as_str()),
                    ("new", "Wang-2026-desk"),
                    ("new_again", "Wang-2026-desk"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let r = app.client.get(app.url("/work")).send().await.unwrap();
        assert_eq!(r.status(), 200, "free to work after the change");
        let (_, audit_pw) = app.user("shenji", &[Role::Auditor], Some("AWB")).await;
        let _ = audit_pw;
        let auditor = app
            .store
            .user_by_name(&aiwei_core::Username::parse("shenji").unwrap())
            .await
            .unwrap();
        let token = app.token_for(&auditor).await;
        for action in ["user.update", "user.password_reset", "user.password_change"] {
            let (_, trail) = app
                .get_json(&token, &format!("/api/v1/audit?action={action}"))
                .await;
            assert_eq!(
                trail["items"][0]["target"],
                clerk.id.0.to_string(),
                "{action}: {trail}"
            );
        }
    }
);

both_backends!(
    routing_defaults_preselect_the_dispatch_and_show_at_intake,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let Desk { intake, .. } = app.desk().await;
        app.user("fangzhi", &[Role::Handler], Some("BMFZ")).await;
        let (_, admin_pw) = app.user("guanli", &[Role::Admin], Some("AWB")).await;
        app.log_in("guanli", &admin_pw).await;
        let page = app.html("/admin/routing").await;
        let csrf = csrf_of(&page);
        // A lead that is also a co-handler is refused; nothing is saved.
        let r = app
            .post_form(
                "/admin/routing",
                &[
                    ("csrf", csrf.as_str()),
                    ("category", "env"),
                    ("lead", "BMFZ"),
                    ("co", "BMFZ"),
                ],
            )
            .await;
        assert_eq!(r.status(), 422);
        let r = app
            .post_form(
                "/admin/routing",
                &[
                    ("csrf", csrf.as_str()),
                    ("category", "env"),
                    ("lead", "BMFZ"),
                    ("co", "HJWS"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        assert!(page.contains("已保存"), "{page}");
        // env.garbage has none of its own: it follows env.
        assert!(page.contains("当前沿用：BMFZ科"), "{page}");

        // A garbage complaint: the dispatch form comes preselected, and says
        // why.
        let n = app.complaint(&intake, "13811110050", "派单预选").await;
        let (_, pw) = app.user("jieting9", &[Role::Intake], Some("AWB")).await;
        app.log_in("jieting9", &pw).await;
        let page = app.html(&format!("/matters/{n}")).await;
        assert!(page.contains(r#"<option value="BMFZ" selected>"#), "{page}");
        assert!(page.contains(r#"id="step-dispatch-hint""#), "{page}");
        let intake_page = app.html("/intake").await;
        assert!(
            intake_page
                .contains(r#"value="env.garbage" data-type="complaint" data-route="BMFZ科""#),
            "{intake_page}"
        );
    }
);

/// What page text must never hold: requirement codes, 64-hex digests and
/// instants finer than seconds (or in the wire's ISO form).
fn developer_text(html: &str) -> Vec<String> {
    // Only what a user reads: tags (and so attribute values such as CSRF
    // tokens and `datetime-local` values) and script/style bodies removed.
    let text = regex::Regex::new(r"(?s)<script.*?</script>|<style.*?</style>|<[^>]*>")
        .unwrap()
        .replace_all(html, " ");
    let bad = [
        (r"\bR-\d", "requirement code"),
        (r"\b[0-9a-f]{64}\b", "64-hex hash"),
        (r"\d{2}:\d{2}:\d{2}[.,]\d", "sub-second time"),
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", "ISO instant"),
    ];
    bad.iter()
        .filter_map(|(re, what)| {
            regex::Regex::new(re)
                .unwrap()
                .find(&text)
                .map(|m| format!("{what}: {:?}", &text[m.start().saturating_sub(40)..m.end()]))
        })
        .collect()
}

both_backends!(
    no_staff_page_shows_text_meant_for_developers,
    |backend: Backend| async move {
        // Positive controls: each rule finds what it is for, in text only.
        assert_eq!(developer_text("<p>依据 R-5.2.3</p>").len(), 1);
        assert_eq!(
            developer_text(&format!("<td>{}</td>", "ab".repeat(32))).len(),
            1
        );
        assert_eq!(developer_text("<td>2026-11-30 07:58:39.544</td>").len(), 1);
        assert_eq!(
            developer_text("<td>2026-11-30T07:58:39+00:00</td>").len(),
            1
        );
        assert!(developer_text(&format!(r#"<input value="{}">"#, "ab".repeat(32))).is_empty());
        let app = TestApp::spawn(backend).await;
        let report = app.seed_demo(120).await;
        // A sweep, so the pages have overdue work and notifications.
        app.store.sweep(app.now(), 5000).await.unwrap();
        let mut checked = 0;
        for account in &report.accounts {
            let fresh = TestApp::spawn_on(app.db.clone(), app.keys.clone()).await;
            fresh.log_in(&account.username, &account.password).await;
            let mut pages = vec![
                "/work".to_owned(),
                "/ledger".to_owned(),
                "/ledger?overdue=true".to_owned(),
                "/notifications".to_owned(),
                "/disclosures".to_owned(),
                "/account".to_owned(),
                "/no-such-page".to_owned(),
            ];
            let ledger = fresh.html("/ledger?limit=8").await;
            for part in ledger.split("href=\"/matters/").skip(1).take(8) {
                let number = &part[..part.find('"').unwrap()];
                pages.push(format!("/matters/{number}"));
                pages.push(format!("/matters/{number}/print"));
            }
            for extra in [
                "/intake",
                "/supervision",
                "/audit",
                "/admin/users",
                "/admin/policy",
                "/admin/routing",
                "/admin/tokens",
                "/admin/departments",
                "/admin/calendar",
            ] {
                pages.push(extra.to_owned());
            }
            for p in &pages {
                let html = fresh.html(p).await;
                let found = developer_text(&html);
                assert!(found.is_empty(), "{} on {p}: {found:?}", account.username);
                checked += 1;
            }
        }
        assert!(checked > 100, "{checked} pages");

        // The ledger's satisfaction filter finds exactly the revisits of
        // that level (the demo revisits older complaints).
        let sup = report
            .accounts
            .iter()
            .find(|a| a.username == "duban")
            .unwrap();
        let user = app
            .store
            .user_by_name(&aiwei_core::Username::parse(&sup.username).unwrap())
            .await
            .unwrap();
        let token = app.token_for(&user).await;
        let (_, all) = app.get_json(&token, "/api/v1/matters?limit=500").await;
        let satisfied = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["satisfaction"] == "satisfied")
            .count();
        assert!(satisfied > 0, "the demo revisits");
        let (_, only) = app
            .get_json(&token, "/api/v1/matters?satisfaction=satisfied&limit=500")
            .await;
        assert_eq!(only["total"], satisfied as i64);
        assert!(
            only["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["satisfaction"] == "satisfied")
        );
    }
);

both_backends!(
    refused_page_forms_keep_what_was_typed,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let Desk { intake, .. } = app.desk().await;
        let (_, pw) = app.user("keshi3", &[Role::DeptLead], Some("HJWS")).await;
        let n = app.dispatched(&intake, "13811110060", "HJWS").await;
        app.log_in("keshi3", &pw).await;
        let html = app.html(&format!("/matters/{n}")).await;
        let csrf = csrf_of(&html);

        // An extension without the new time: the reason stays, the error
        // is beside the time, the form is open.
        let r = app
            .post_form(
                &format!("/matters/{n}/extensions"),
                &[
                    ("csrf", csrf.as_str()),
                    ("deadline", "rectify_due"),
                    ("new_due_at", ""),
                    ("reason", "需协调物业公司共同整改"),
                ],
            )
            .await;
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(page.contains("需协调物业公司共同整改</textarea>"), "{page}");
        assert!(
            page.contains(r#"id="extension-new_due_at-error""#),
            "{page}"
        );
        assert!(
            page.contains(r#"<option value="rectify_due" selected>"#),
            "{page}"
        );
        assert!(page.contains(r#"id="extension-form-box" open"#), "{page}");

        // A reveal without a reason: the error beside the reason.
        let r = app
            .post_form(
                &format!("/matters/{n}/reveal"),
                &[("csrf", csrf.as_str()), ("reason", "")],
            )
            .await;
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(page.contains(r#"id="reveal-reason-error""#), "{page}");
    }
);

both_backends!(
    a_refused_new_account_keeps_what_was_typed_but_not_the_password,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, pw) = app.user("guanli", &[Role::Admin], Some("AWB")).await;
        app.log_in("guanli", &pw).await;
        let csrf = csrf_of(&app.html("/admin/users").await);
        let r = app
            .post_form(
                "/admin/users",
                &[
                    ("csrf", csrf.as_str()),
                    ("username", "xinren"),
                    ("display_name", "新同事"),
                    ("password", "12345678"),
                    ("role", "handler"),
                    ("department", "AWB"),
                ],
            )
            .await;
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(
            page.contains(r#"value="xinren""#) && page.contains(r#"value="新同事""#),
            "{page}"
        );
        assert!(page.contains(r#"value="handler" checked"#), "{page}");
        assert!(
            !page.contains("12345678"),
            "the password is never sent back"
        );
    }
);

both_backends!(
    the_admin_home_shows_the_desk_and_what_needs_attention,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let Desk { intake, .. } = app.desk().await;
        app.dispatched(&intake, "13811110070", "HJWS").await;
        app.advance(Duration::hours(3));
        let (_, pw) = app.user("guanli", &[Role::Admin], Some("AWB")).await;
        app.log_in("guanli", &pw).await;
        let r = app.client.get(app.url("/")).send().await.unwrap();
        assert_eq!(r.headers()["location"], "/admin");
        let page = app.html("/admin").await;
        assert!(page.contains("<dt>事项总数</dt><dd>1</dd>"), "{page}");
        assert!(
            page.contains(r#"<a href="/ledger?overdue=true">1</a>"#),
            "{page}"
        );
        // From November on, next year's holidays are asked for too.
        let cal = app.store.calendar().await.unwrap();
        let year = chrono::Datelike::year(&app.now().with_timezone(&aiwei_core::time::china()));
        let month = chrono::Datelike::month(&app.now().with_timezone(&aiwei_core::time::china()));
        let mut wanted = vec![year];
        if month >= 11 {
            wanted.push(year + 1);
        }
        let missing: Vec<i32> = wanted.into_iter().filter(|y| !cal.has_year(*y)).collect();
        assert_eq!(
            page.contains(r#"id="missing-years""#),
            !missing.is_empty(),
            "{page}"
        );
        for y in missing {
            assert!(page.contains(&y.to_string()), "{y} named: {page}");
        }
    }
);

//! The staff pages, driven as a browser without JavaScript would: forms,
//! cookies, CSRF tokens, redirects.

use aiwei_core::Role;

use crate::both_backends;
use crate::helpers::{Backend, TestApp};

/// The value of the first `name="csrf"` hidden input on a page.
pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

both_backends!(
    intake_form_to_ledger_to_matter_page,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, password) = app.user("jieting", &[Role::Intake], Some("AWB")).await;

        let r = app.client.get(app.url("/ledger")).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/login");
        let r = app
            .post_form("/login", &[("username", "jieting"), ("password", "wrong")])
            .await;
        assert_eq!(r.status(), 401);
        assert!(r.text().await.unwrap().contains("用户名或密码错误"));
        app.log_in("jieting", &password).await;

        let page = app.client.get(app.url("/intake")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["cache-control"], "no-store");
        assert!(
            page.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'")
        );
        let html = page.text().await.unwrap();
        assert!(html.contains("登记来电来访"));
        let csrf = csrf_of(&html);
        let reply_at = app.local_input(3);

        let mut form = vec![
            ("csrf", csrf.as_str()),
            ("channel", "phone"),
            ("caller_phone", "139 1111 2222"),
            ("caller_kind", "person"),
            ("caller_name", ""),
            ("type", "complaint"),
            ("category", "env.toilet"),
            (
                "content",
                "<script>alert(1)</script>人民公园公厕没有纸，地面湿滑。",
            ),
            ("address", "人民公园北门公厕"),
            ("agreed_reply_at", reply_at.as_str()),
            ("ring_seconds", "4"),
            ("action", "submit"),
        ];
        // Without a name the form comes back with the error and the typed text.
        let r = app.post_form("/intake", &form).await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("姓名：此项必填"), "error shown");
        assert!(html.contains("人民公园北门公厕"), "typed values kept");
        assert!(!html.contains("<script>alert(1)"), "text is escaped");
        assert_eq!(app.matter_count().await, 0);

        // Without the CSRF token nothing is written either.
        form.retain(|(k, _)| *k != "caller_name" && *k != "csrf");
        form.push(("caller_name", "陈一"));
        let r = app.post_form("/intake", &form).await;
        assert_eq!(r.status(), 403);
        assert_eq!(app.matter_count().await, 0);

        form.push(("csrf", csrf.as_str()));
        let r = app.post_form("/intake", &form).await;
        assert_eq!(r.status(), 303);
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("/matters/AW"), "{location}");
        let number = location
            .trim_start_matches("/matters/")
            .split('?')
            .next()
            .unwrap()
            .to_owned();

        let html = app.html(&location).await;
        assert!(html.contains("已登记"));
        assert!(html.contains("登记受理"), "timeline");
        assert!(html.contains("13911112222"));
        assert!(!html.contains("<script>alert(1)"), "escaped");
        assert!(html.contains("alert(1)"), "the text itself is kept");

        let html = app.html("/ledger?type=complaint").await;
        assert!(html.contains(&number));
        let html = app.html("/ledger?type=suggestion").await;
        assert!(!html.contains(&number));

        let html = app.html(&format!("/matters/{number}/print")).await;
        assert!(html.contains("爱国卫生来电来访登记表"));
        assert!(html.contains(&number));

        // History lookup without JavaScript: the same form, another button.
        let html = app.html("/intake").await;
        let csrf = csrf_of(&html);
        let r = app
            .post_form(
                "/intake",
                &[
                    ("csrf", csrf.as_str()),
                    ("caller_phone", "13911112222"),
                    ("action", "lookup"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains(&number));
        // And the fragment the script asks for.
        let r = app
            .post_form(
                "/intake/history",
                &[("csrf", csrf.as_str()), ("caller_phone", "139-1111-2222")],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains(&number));
        app.stop().await;
    }
);

both_backends!(pages_respect_roles, |backend: Backend| async move {
    let app = TestApp::spawn(backend).await;
    let (_, password) = app.user("jingban", &[Role::Handler], Some("HJWS")).await;
    app.log_in("jingban", &password).await;
    let r = app.client.get(app.url("/intake")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("无权执行此操作"));
    let r = app
        .client
        .get(app.url("/admin/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = app.client.get(app.url("/ledger")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .client
        .get(app.url("/matters/AW2026-999999"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    app.stop().await;
});

both_backends!(
    admin_creates_departments_and_users,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, password) = app.user("admin", &[Role::Admin], None).await;
        app.log_in("admin", &password).await;
        let html = app.html("/admin/departments").await;
        let csrf = csrf_of(&html);
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
                "/admin/departments",
                &[("csrf", csrf.as_str()), ("code", "BMFZ"), ("name", "重复")],
            )
            .await;
        assert_eq!(r.status(), 409);
        let r = app
            .post_form(
                "/admin/users",
                &[
                    ("csrf", csrf.as_str()),
                    ("username", "xiaoli"),
                    ("display_name", "小李"),
                    ("password", "long-enough-pw"),
                    ("role", "handler"),
                    ("role", "dept_lead"),
                    ("department", "BMFZ"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("已新增用户 xiaoli"));
        let u = app
            .store
            .user_by_name(&aiwei_core::Username::parse("xiaoli").unwrap())
            .await
            .unwrap();
        assert_eq!(u.roles, vec![Role::Handler, Role::DeptLead]);
        assert_eq!(u.departments, vec!["BMFZ".to_owned()]);
        let r = app
            .post_form(
                "/admin/users",
                &[
                    ("csrf", csrf.as_str()),
                    ("username", "x"),
                    ("display_name", "x"),
                    ("password", "short"),
                    ("role", "handler"),
                ],
            )
            .await;
        assert_eq!(r.status(), 422);
        app.stop().await;
    }
);

both_backends!(
    admin_edits_the_policy_and_loads_a_calendar_year,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, password) = app.user("admin", &[Role::Admin], None).await;
        app.log_in("admin", &password).await;
        let html = app.html("/admin/policy").await;
        assert!(
            html.contains("当前第 1 版") && html.contains("整改时限"),
            "{html}"
        );
        let csrf = csrf_of(&html);
        // Every default as shown, rectification for complaints set to 7
        // working days, warning at 75 %.
        let mut form: Vec<(String, String)> = vec![
            ("csrf".into(), csrf.clone()),
            ("warn_percent".into(), "75".into()),
        ];
        for (kind, value, unit) in [
            ("reply_due", "3", "working_days"),
            ("sign_due", "2", "hours"),
            ("on_site_due", "24", "hours"),
            ("rectify_due", "5", "working_days"),
            ("progress_due", "2", "working_days"),
            ("feedback_due", "1", "working_days"),
            ("revisit_due", "2", "working_days"),
            ("evaluation_due", "10", "working_days"),
        ] {
            form.push((format!("{kind}.default"), value.into()));
            form.push((format!("{kind}.default.unit"), unit.into()));
        }
        form.push(("rectify_due.complaint".into(), "7".into()));
        form.push(("rectify_due.complaint.unit".into(), "working_days".into()));
        // Knowledge-base articles: supervisors and department heads publish.
        assert!(html.contains("name=\"publishers\" value=\"supervisor\" checked"));
        form.push(("publishers".into(), "supervisor".into()));
        form.push(("duplicate_days".into(), "10".into()));
        form.push(("hotspot_days".into(), "30".into()));
        form.push(("hotspot_min".into(), "4".into()));
        form.push(("publishers".into(), "dept_lead".into()));
        // The assessment settings (docs/KPI.md).
        assert!(html.contains("id=\"answer-secs\" value=\"15\""));
        form.push(("kpi.answer_within_secs".into(), "12".into()));
        form.push(("kpi.reception_within_secs".into(), "600".into()));
        form.push(("kpi.training_interval_days".into(), "90".into()));
        form.push(("kpi.excellent".into(), "92".into()));
        form.push(("kpi.pass".into(), "75".into()));
        form.push(("target.accuracy".into(), "85".into()));
        form.push(("target.satisfaction".into(), "".into()));
        let mut none = form.clone();
        none.retain(|(k, _)| k != "publishers");
        let r = app.post_form("/admin/policy", &none).await;
        assert_eq!(r.status(), 422);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("请至少选择一个知识库发布角色")
        );
        let r = app.post_form("/admin/policy", &form).await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("已保存为第 2 版"));
        let (v, p) = app.store.policy().await.unwrap();
        assert_eq!(v, 2);
        assert_eq!(
            p.limit(
                aiwei_core::deadline::DeadlineKind::RectifyDue,
                aiwei_core::MatterType::Complaint,
                None,
                false
            ),
            aiwei_core::deadline::Limit::WorkingDays(7)
        );
        assert!((p.warn_fraction - 0.75).abs() < 1e-9);
        assert_eq!(p.publishers, vec![Role::Supervisor, Role::DeptLead]);
        assert_eq!(
            (p.duplicate_days, p.hotspot_min, p.hotspot_days),
            (10, 4, 30)
        );
        assert_eq!(
            (
                p.kpi.answer_within_secs,
                p.kpi.reception_within_secs,
                p.kpi.training_interval_days
            ),
            (12, 600, 90)
        );
        assert_eq!((p.kpi.excellent, p.kpi.pass), (92.0, 75.0));
        assert_eq!(
            p.kpi.targets.into_iter().collect::<Vec<_>>(),
            [(aiwei_core::kpi::Indicator::Accuracy, 85.0)]
        );
        // A bad value is refused and saves nothing.
        let mut bad = form.clone();
        bad.retain(|(k, _)| k != "sign_due.default");
        bad.push(("sign_due.default".into(), "两小时".into()));
        let r = app.post_form("/admin/policy", &bad).await;
        assert_eq!(r.status(), 422);
        assert_eq!(app.store.policy().await.unwrap().0, 2);

        // The calendar: a missing year is flagged; loading it clears the flag.
        let html = app.html("/admin/calendar").await;
        assert!(html.contains("2024") && html.contains("251"));
        let r = app
        .post_form("/admin/calendar", &[("csrf", csrf.as_str()), ("data", "{\"year\": 2027, \"days\": [{\"name\": \"x\", \"date\": \"2027-01-05\", \"isOffDay\": false}]}")])
        .await;
        assert_eq!(r.status(), 422, "a make-up day on a Tuesday is refused");
        let r = app
        .post_form("/admin/calendar", &[("csrf", csrf.as_str()), ("data", "{\"year\": 2027, \"days\": [{\"name\": \"元旦\", \"date\": \"2027-01-01\", \"isOffDay\": true}]}")])
        .await;
        assert_eq!(r.status(), 303);
        assert!(
            !app.store
                .calendar()
                .await
                .unwrap()
                .is_working_day("2027-01-01".parse().unwrap())
        );
        app.set_now("2028-03-01T02:00:00Z".parse().unwrap());
        // The old session expired with the jump in time.
        app.log_in("admin", &password).await;
        let html = app.html("/ledger").await;
        assert!(
            html.contains("id=\"calendar-missing\""),
            "2028 has no data: the page warns"
        );
        app.stop().await;
    }
);

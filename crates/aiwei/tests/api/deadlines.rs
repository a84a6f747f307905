//! Deadline clocks: due instants in hours and Chinese working
//! days, the policy's versions, and the sweeper marking clocks exactly once.

use std::sync::Arc;

use aiwei_core::Role;
use aiwei_core::deadline::{DeadlineKind, Limit, Policy};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp};

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn complaint_at(now: DateTime<Utc>) -> Value {
    json!({
        "channel": "phone",
        "received_at": (now - Duration::minutes(5)).to_rfc3339(),
        "caller": {"name": "计时", "phone": "13900009999"},
        "type": "complaint",
        "category": "env.garbage",
        "content": "垃圾清运不及时",
        "agreed_reply_at": (now + Duration::days(20)).to_rfc3339()
    })
}

fn deadline<'a>(m: &'a Value, kind: &str) -> &'a Value {
    m["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {}", m["deadlines"]))
}

fn at(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

async fn dispatched(app: &TestApp, intake: &str) -> (String, Value) {
    let (s, m) = app
        .post_json(intake, "/api/v1/matters", &complaint_at(app.now()))
        .await;
    assert_eq!(s, 201, "{m}");
    let n = m["number"].as_str().unwrap().to_owned();
    let (s, m) = app
        .post_json(
            intake,
            &format!("/api/v1/matters/{n}/actions"),
            &json!({"action": "dispatch", "lead": "HJWS"}),
        )
        .await;
    assert_eq!(s, 200, "{m}");
    (n, m)
}

both_backends!(
    due_instants_follow_the_working_day_calendar,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, intake) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        app.user("jingban", &[Role::Handler], Some("HJWS")).await;

        // Dispatched 2025-09-30 14:00 local: five working days end on 10-14.
        app.set_now(utc("2025-09-30T06:00:00Z"));
        let (first, m) = dispatched(&app, &intake).await;
        let rectify = deadline(&m, "rectify_due");
        assert_eq!(at(&rectify["due_at"]), utc("2025-10-14T16:00:00Z"));
        assert_eq!(rectify["state"], "running");
        assert_eq!(rectify["policy_version"], 1);
        let sign = at(&deadline(&m, "sign_due")["due_at"]);
        let on_site = at(&deadline(&m, "on_site_due")["due_at"]);
        assert!(
            (sign - utc("2025-09-30T08:00:00Z")).num_seconds().abs() < 5,
            "{sign}"
        );
        assert!(
            (on_site - utc("2025-10-01T06:00:00Z")).num_seconds().abs() < 5,
            "{on_site}"
        );
        assert_eq!(
            at(&deadline(&m, "reply_due")["due_at"]),
            at(&m["agreed_reply_at"])
        );
        let dispatched_event = m["events"].as_array().unwrap().last().unwrap();
        assert_eq!(
            dispatched_event["payload"]["deadlines"]["rectify_due"],
            utc("2025-10-14T16:00:00Z").timestamp_millis(),
            "the event records the clocks it started"
        );

        // A new policy: rectification in one working day. Running clocks keep
        // theirs; new ones use it.
        let mut p = Policy::default();
        p.defaults
            .insert(DeadlineKind::RectifyDue, Limit::WorkingDays(1));
        assert_eq!(app.store.set_policy(&p, "test").await.unwrap(), 2);
        app.set_now(utc("2026-02-14T01:00:00Z"));
        let (_, m) = dispatched(&app, &intake).await;
        let rectify = deadline(&m, "rectify_due");
        assert_eq!(
            at(&rectify["due_at"]),
            utc("2026-02-24T16:00:00Z"),
            "Saturday 02-14 is a make-up working day"
        );
        assert_eq!(rectify["policy_version"], 2);
        let (_, again) = app
            .get_json(&intake, &format!("/api/v1/matters/{first}"))
            .await;
        let old = deadline(&again, "rectify_due");
        assert_eq!(at(&old["due_at"]), utc("2025-10-14T16:00:00Z"));
        assert_eq!(old["policy_version"], 1);
        app.stop().await;
    }
);

both_backends!(steps_stop_and_start_clocks, |backend: Backend| async move {
    let app = TestApp::spawn(backend).await;
    let (_, intake) = app
        .token_user("jieting", &[Role::Intake], Some("AWB"))
        .await;
    let (_, handler) = app
        .token_user("jingban", &[Role::Handler], Some("HJWS"))
        .await;
    let (n, _) = dispatched(&app, &intake).await;
    let act = |token: &str, body: Value| {
        let path = format!("/api/v1/matters/{n}/actions");
        let token = token.to_owned();
        let app = &app;
        async move { app.post_json(&token, &path, &body).await }
    };
    act(&handler, json!({"action": "sign_for"})).await;
    app.advance(Duration::hours(30));
    let (_, m) = act(&handler, json!({"action": "arrive", "arrived_at": app.now().to_rfc3339(), "who": "张伟", "findings": "属实"})).await;
    assert_eq!(deadline(&m, "sign_due")["state"], "met");
    assert_eq!(
        deadline(&m, "on_site_due")["state"],
        "late",
        "arrived after 24 hours"
    );
    assert_eq!(deadline(&m, "progress_due")["state"], "running");
    act(&handler, json!({"action": "plan", "measures": "清运", "planned_completion": (app.now() + Duration::days(1)).to_rfc3339()})).await;
    let (_, m) = act(&handler, json!({"action": "complete", "result": "已清运"})).await;
    assert_eq!(deadline(&m, "rectify_due")["state"], "met");
    assert_eq!(deadline(&m, "progress_due")["state"], "met");
    assert_eq!(deadline(&m, "feedback_due")["state"], "running");
    act(
        &intake,
        json!({"action": "feedback", "channel": "phone", "content": "已处理"}),
    )
    .await;
    let (_, m) = act(
        &intake,
        json!({"action": "revisit", "satisfaction": "satisfied"}),
    )
    .await;
    assert_eq!(m["status"], "closed");
    let open: Vec<&Value> = m["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["ended_at"].is_null())
        .collect();
    assert!(
        open.is_empty(),
        "a closed matter has no running clock: {open:?}"
    );
    app.stop().await;
});

both_backends!(
    overdue_is_marked_exactly_once_by_two_sweepers,
    |backend: Backend| async move {
        let a = TestApp::spawn(backend).await;
        let b = TestApp::spawn_on(a.db.clone(), a.keys.clone()).await;
        let (_, intake) = a.token_user("jieting", &[Role::Intake], Some("AWB")).await;
        let (lead, _) = a.user("keshi", &[Role::DeptLead], Some("HJWS")).await;
        let (sup, _) = a.user("duban", &[Role::Supervisor], Some("AWB")).await;
        let mut numbers = Vec::new();
        for _ in 0..6 {
            numbers.push(dispatched(&a, &intake).await.0);
        }
        // 1.7 hours on: sign-for (2 h) is due soon, nothing is overdue.
        let soon = a.now() + Duration::minutes(102);
        let r = a.store.sweep(soon, 1000).await.unwrap();
        assert_eq!((r.due_soon, r.overdue), (6, 0));
        assert_eq!(a.store.sweep(soon, 1000).await.unwrap().due_soon, 0, "once");

        // Forty days on, both instances sweep at the same time, repeatedly.
        let later = a.now() + Duration::days(40);
        let (sa, sb) = (Arc::new(a.store.clone()), Arc::new(b.store.clone()));
        let mut total = 0;
        for _ in 0..3 {
            let (x, y) = tokio::join!(sa.sweep(later, 1000), sb.sweep(later, 1000));
            total += x.unwrap().overdue + y.unwrap().overdue;
        }
        // Each matter: reply, sign, on-site and rectify clocks.
        assert_eq!(total, 6 * 4);
        for n in &numbers {
            let (_, m) = a.get_json(&intake, &format!("/api/v1/matters/{n}")).await;
            let overdue_events = m["events"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["kind"] == "deadline_overdue")
                .count();
            assert_eq!(overdue_events, 4, "{n}");
            for d in m["deadlines"].as_array().unwrap() {
                assert_eq!(d["state"], "overdue", "{d}");
            }
        }
        // The department and the supervisor were told; the chain still holds.
        let count = |user: uuid::Uuid| {
            let store = a.store.clone();
            async move {
                match store.db() {
                    aiwei_store::Db::Sqlite(p, _) => sqlx::query_scalar::<_, i64>(
                        "SELECT COUNT(*) FROM notifications WHERE user_id = $1",
                    )
                    .bind(user)
                    .fetch_one(p)
                    .await
                    .unwrap(),
                    aiwei_store::Db::Postgres(p) => sqlx::query_scalar::<_, i64>(
                        "SELECT COUNT(*) FROM notifications WHERE user_id = $1",
                    )
                    .bind(user)
                    .fetch_one(p)
                    .await
                    .unwrap(),
                }
            }
        };
        assert_eq!(
            count(lead.id.0).await,
            6 + 6 * 3 + 6,
            "dispatch, sign/on-site/rectify overdue, and sign due soon"
        );
        assert_eq!(count(sup.id.0).await, 6 * 4);
        assert!(a.store.verify_chains().await.unwrap().ok());
        b.stop().await;
    }
);

both_backends!(
    urgent_matters_and_category_limits,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, intake) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let (_, admin) = app.token_user("admin", &[Role::Admin], None).await;
        app.user("jingban", &[Role::Handler], Some("HJWS")).await;
        // Drinking water: three working days to rectify, by sub-category.
        let (s, current) = app.get_json(&admin, "/api/v1/policy").await;
        assert_eq!(s, 200);
        let mut policy = current["policy"].clone();
        policy["by_category"] =
            json!({"hazard.water_supply": {"rectify_due": {"working_days": 3}}});
        let (s, saved) = app.put_policy(&admin, &policy).await;
        assert_eq!(s, 200, "{saved}");
        assert_eq!(saved["version"], 2);
        let (s, saved) = app.put_policy(&intake, &policy).await;
        assert_eq!(s, 403, "{saved}");

        app.set_now(utc("2025-09-30T06:00:00Z"));
        let mut body = complaint_at(app.now());
        body["urgent"] = json!(true);
        body["category"] = json!("hazard.water_supply");
        let (s, m) = app.post_json(&intake, "/api/v1/matters", &body).await;
        assert_eq!(s, 201, "{m}");
        assert_eq!(m["urgent"], true);
        let n = m["number"].as_str().unwrap();
        let (_, m) = app
            .step(&intake, n, json!({"action": "dispatch", "lead": "HJWS"}))
            .await;
        // Urgent: on site in 12 hours instead of 24; rectification 3 − 1 = 2
        // working days (10-09 and 10-10 after National Day).
        let on_site = at(&deadline(&m, "on_site_due")["due_at"]);
        assert!(
            (on_site - utc("2025-09-30T18:00:00Z")).num_seconds().abs() < 5,
            "{on_site}"
        );
        assert_eq!(
            at(&deadline(&m, "rectify_due")["due_at"]),
            utc("2025-10-10T16:00:00Z")
        );
        app.stop().await;
    }
);

//! The assessment indicators (docs/KPI.md) over a fixed month of work whose
//! figures are worked out by hand below, not by the code under test.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use aiwei_core::Role;

/// 2026-10-`day` `h`:`m` in Beijing time.
fn local(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    aiwei_core::time::china()
        .with_ymd_and_hms(2026, 10, day, h, m, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// What happens at one instant: a matter recorded, or a step on one.
enum Act {
    Intake(Value),
    Step(Value),
}

struct Cast {
    a: String,
    b: String,
    handler: String,
    bmfz_lead: String,
}

fn intake(channel: &str, ty: &str, received: DateTime<Utc>, extra: Value) -> Act {
    let mut body = json!({
        "channel": channel,
        "received_at": received.to_rfc3339(),
        "caller": {"kind": "person", "name": "王五", "phone": "13800138000"},
        "type": ty,
        "category": match ty {
            "complaint" => "env.garbage",
            "consultation" => "policy.regulation",
            _ => "other",
        },
        "content": "考核指标测试事项",
        "location": {"address": "解放路1号", "area_code": "330102"},
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    Act::Intake(body)
}

/// A call that rang `ring` seconds, with a reply agreed for `day`.
fn call_by(ring: u32, day: u32) -> Value {
    json!({"ring_seconds": ring, "agreed_reply_at": local(day, 17, 0).to_rfc3339()})
}

fn arrive(at: DateTime<Utc>) -> Act {
    Act::Step(
        json!({"action": "arrive", "arrived_at": at.to_rfc3339(), "who": "张伟", "findings": "情况属实"}),
    )
}

fn plan() -> Act {
    Act::Step(
        json!({"action": "plan", "measures": "当日清运", "planned_completion": local(16, 17, 0).to_rfc3339()}),
    )
}

fn step(action: &str) -> Act {
    Act::Step(match action {
        "dispatch" => json!({"action": "dispatch", "lead": "HJWS"}),
        "sign" => json!({"action": "sign_for"}),
        "complete" => json!({"action": "complete", "result": "已清运"}),
        "feedback" => json!({"action": "feedback", "channel": "phone", "content": "已电话反馈"}),
        other => panic!("{other}"),
    })
}

fn revisit(satisfaction: &str) -> Act {
    Act::Step(json!({"action": "revisit", "satisfaction": satisfaction, "cause": "仍有堆放"}))
}

/// The month: eight matters, numbered as in the comments of the test.
/// Each entry is (when, which matter, who, what).
fn month(c: &Cast) -> Vec<(DateTime<Utc>, usize, String, Act)> {
    let (a, b, h, bl) = (&c.a, &c.b, &c.handler, &c.bmfz_lead);
    let mut plan_of = vec![
        // M1: A, call answered after 7 s; right first time, very satisfied.
        (
            local(12, 9, 0),
            1,
            a,
            intake(
                "phone",
                "complaint",
                local(12, 9, 0),
                json!({"ring_seconds": 7, "agreed_reply_at": local(15, 17, 0).to_rfc3339()}),
            ),
        ),
        (local(12, 9, 5), 1, a, step("dispatch")),
        (local(12, 9, 30), 1, h, step("sign")),
        (local(12, 10, 0), 1, h, arrive(local(12, 9, 55))),
        (local(12, 10, 30), 1, h, plan()),
        (local(13, 10, 0), 1, h, step("complete")),
        (local(13, 11, 0), 1, a, step("feedback")),
        (local(13, 15, 0), 1, a, revisit("very_satisfied")),
        // M2: A, answered after 20 s; recorded as an other matter and sent
        // to the wrong department, returned, reclassified as a complaint and
        // sent again; signed for 3.5 h after dispatch (late); satisfied.
        (
            local(12, 9, 10),
            2,
            a,
            intake(
                "phone",
                "other",
                local(12, 9, 10),
                json!({"ring_seconds": 20, "agreed_reply_at": local(15, 17, 0).to_rfc3339()}),
            ),
        ),
        (
            local(12, 9, 15),
            2,
            a,
            Act::Step(json!({"action": "dispatch", "lead": "BMFZ"})),
        ),
        (
            local(12, 9, 40),
            2,
            bl,
            Act::Step(json!({"action": "return", "reason": "不属本科室职责"})),
        ),
        (
            local(12, 9, 50),
            2,
            a,
            Act::Step(
                json!({"action": "reclassify", "type": "complaint", "category": "env.garbage"}),
            ),
        ),
        (local(12, 10, 0), 2, a, step("dispatch")),
        (local(12, 13, 30), 2, h, step("sign")),
        (local(12, 14, 0), 2, h, arrive(local(12, 13, 55))),
        (local(12, 14, 30), 2, h, plan()),
        (local(13, 10, 30), 2, h, step("complete")),
        (local(13, 11, 30), 2, a, step("feedback")),
        (local(13, 15, 30), 2, a, revisit("satisfied")),
        // M3: B, a visitor received 10 minutes after arriving (late);
        // redone after an unsatisfied revisit, then fairly satisfied.
        (
            local(12, 10, 0),
            3,
            b,
            intake(
                "visit",
                "complaint",
                local(12, 10, 0),
                json!({"arrived_at": local(12, 9, 50).to_rfc3339(), "agreed_reply_at": local(15, 17, 0).to_rfc3339()}),
            ),
        ),
        (local(12, 10, 5), 3, b, step("dispatch")),
        (local(12, 10, 30), 3, h, step("sign")),
        (local(12, 11, 0), 3, h, arrive(local(12, 10, 55))),
        (local(12, 11, 30), 3, h, plan()),
        (local(13, 9, 0), 3, h, step("complete")),
        (local(13, 9, 30), 3, b, step("feedback")),
        (local(13, 14, 0), 3, b, revisit("dissatisfied")),
        (local(13, 14, 30), 3, h, step("sign")),
        (local(13, 15, 0), 3, h, arrive(local(13, 14, 55))),
        (local(13, 15, 30), 3, h, plan()),
        (local(14, 10, 0), 3, h, step("complete")),
        (local(14, 10, 30), 3, b, step("feedback")),
        (local(14, 16, 0), 3, b, revisit("fairly_satisfied")),
        // M4: B, a consultation answered at once after 15 s of ringing
        // (exactly the threshold: in time); recorded 5 minutes after the
        // call began.
        (
            local(12, 11, 5),
            4,
            b,
            intake(
                "phone",
                "consultation",
                local(12, 11, 0),
                json!({"ring_seconds": 15, "answer": "已当场答复"}),
            ),
        ),
        // The next day B finds the answer was wrong and corrects it.
        (
            local(13, 10, 0),
            4,
            b,
            Act::Step(
                json!({"action": "correct_answer", "channel": "phone", "answer": "正确的答复", "reason": "引用的标准已废止"}),
            ),
        ),
        // M5: A, a visitor received 2 minutes after arriving; left open.
        (
            local(12, 12, 0),
            5,
            a,
            intake(
                "visit",
                "consultation",
                local(12, 12, 0),
                json!({"arrived_at": local(12, 11, 58).to_rfc3339(), "agreed_reply_at": local(15, 17, 0).to_rfc3339()}),
            ),
        ),
        // M6: A, answered after 3 s; dispatched and never signed for.
        (
            local(12, 13, 0),
            6,
            a,
            intake("phone", "complaint", local(12, 13, 0), call_by(3, 15)),
        ),
        (local(12, 13, 5), 6, a, step("dispatch")),
        // M7: B, answered after 10 s; fed back, never revisited.
        (
            local(12, 14, 0),
            7,
            b,
            intake("phone", "complaint", local(12, 14, 0), call_by(10, 15)),
        ),
        (local(12, 14, 5), 7, b, step("dispatch")),
        (local(12, 14, 30), 7, h, step("sign")),
        (local(12, 15, 0), 7, h, arrive(local(12, 14, 55))),
        (local(12, 15, 30), 7, h, plan()),
        (local(13, 9, 0), 7, h, step("complete")),
        (local(13, 9, 30), 7, b, step("feedback")),
        // M8: B, answered after 30 s; completed, never fed back.
        (
            local(12, 15, 0),
            8,
            b,
            intake("phone", "complaint", local(12, 15, 0), call_by(30, 15)),
        ),
        (local(12, 15, 5), 8, b, step("dispatch")),
        (local(12, 15, 30), 8, h, step("sign")),
        (local(12, 16, 0), 8, h, arrive(local(12, 15, 55))),
        (local(12, 16, 30), 8, h, plan()),
        (local(13, 9, 10), 8, h, step("complete")),
    ];
    plan_of.sort_by_key(|(t, n, _, _)| (*t, *n));
    plan_of
        .into_iter()
        .map(|(t, n, who, act)| (t, n, who.clone(), act))
        .collect()
}

/// Sets up the cast and plays the month; returns the app and the ids of
/// intake staff A and B.
async fn played(backend: Backend) -> (TestApp, String, String, String) {
    let app = TestApp::spawn(backend).await;
    app.set_now(local(11, 9, 0));
    let (ua, a) = app
        .token_user("jieting", &[Role::Intake], Some("AWB"))
        .await;
    let (ub, b) = app
        .token_user("jieting2", &[Role::Intake], Some("AWB"))
        .await;
    let (_, handler) = app
        .token_user("jingban", &[Role::Handler], Some("HJWS"))
        .await;
    let (_, bmfz_lead) = app
        .token_user("keshi2", &[Role::DeptLead], Some("BMFZ"))
        .await;
    let (_, supervisor) = app
        .token_user("duban", &[Role::Supervisor], Some("AWB"))
        .await;
    let cast = Cast {
        a,
        b,
        handler,
        bmfz_lead,
    };
    let mut numbers: Vec<Option<String>> = vec![None; 9];
    for (t, n, who, act) in month(&cast) {
        app.set_now(t);
        match act {
            Act::Intake(body) => {
                let (s, m) = app.post_json(&who, "/api/v1/matters", &body).await;
                assert_eq!(s, 201, "M{n}: {m}");
                numbers[n] = Some(m["number"].as_str().unwrap().to_owned());
            }
            Act::Step(body) => {
                let number = numbers[n].clone().unwrap();
                let (s, m) = app.step(&who, &number, body.clone()).await;
                assert_eq!(s, 200, "M{n} {body}: {m}");
            }
        }
    }
    // On the 14th HJWS's head asks to extend M6's rectification by a
    // week, and the supervisor approves.
    let (_, hjws_lead) = app
        .token_user("keshi", &[Role::DeptLead], Some("HJWS"))
        .await;
    app.set_now(local(14, 9, 0));
    let (s, x) = app
        .post_json(
            &hjws_lead,
            &format!("/api/v1/matters/{}/extensions", numbers[6].clone().unwrap()),
            &json!({"deadline": "rectify_due", "new_due_at": local(26, 17, 0).to_rfc3339(), "reason": "需协调环卫车辆"}),
        )
        .await;
    assert_eq!(s, 201, "{x}");
    app.set_now(local(14, 10, 0));
    let (s, x) = app
        .post_json(
            &supervisor,
            &format!("/api/v1/extensions/{}/decision", x["id"].as_str().unwrap()),
            &json!({"approve": true, "note": "同意"}),
        )
        .await;
    assert_eq!(s, 200, "{x}");
    // The report is read after the month has ended.
    app.set_now(
        aiwei_core::time::china()
            .with_ymd_and_hms(2026, 11, 5, 10, 0, 0)
            .unwrap()
            .with_timezone(&Utc),
    );
    (app, supervisor, ua.id.0.to_string(), ub.id.0.to_string())
}

async fn figures(app: &TestApp, token: &str, query: &str) -> Value {
    let (s, f) = app
        .get_json(token, &format!("/api/v1/reports/indicators?{query}"))
        .await;
    assert_eq!(s, 200, "{query}: {f}");
    f
}

fn ratio(v: &Value) -> (u64, u64) {
    (v["num"].as_u64().unwrap(), v["den"].as_u64().unwrap())
}

both_backends!(
    indicators_over_a_month_match_the_figures_worked_by_hand,
    |backend| async move {
        let (app, supervisor, a, b) = played(backend).await;
        let f = figures(&app, &supervisor, "period=2026-10").await;
        assert_eq!(f["period"]["title"], "2026年10月");
        assert_eq!(f["previous_period"]["key"], "2026-09");
        assert_eq!(f["subject"]["kind"], "organisation");
        let k = &f["indicators"];
        // Calls: M1 7 s, M2 20 s, M4 15 s, M6 3 s, M7 10 s, M8 30 s; in time
        // at most 15 s: M1, M4, M6, M7.
        assert_eq!(ratio(&k["answer_timely"]), (4, 6));
        // Visits: M3 after 600 s (late), M5 after 120 s.
        assert_eq!(ratio(&k["reception_timely"]), (1, 2));
        // Closed in October: M1, M2, M3, M4. Wrong: M2 (returned and
        // reclassified after dispatch), M3 (redone), M4 (answer corrected).
        assert_eq!(ratio(&k["accuracy"]), (1, 4));
        assert_eq!(k["wrong_returned"], 1);
        assert_eq!(k["wrong_reclassified"], 1);
        assert_eq!(k["wrong_redone"], 1);
        assert_eq!(k["wrong_corrected"], 1);
        // Revisits: M1 very satisfied, M2 satisfied, M3 dissatisfied, then
        // M3 fairly satisfied.
        assert_eq!(ratio(&k["satisfaction"]), (2, 4));
        assert_eq!(k["very_satisfied"], 1);
        assert_eq!(k["satisfied"], 1);
        assert_eq!(k["fairly_satisfied"], 1);
        assert_eq!(k["dissatisfied"], 1);
        // Feedback on complaints: M1, M2, M3 twice, M7; revisited all but
        // M7's.
        assert_eq!(ratio(&k["revisit_rate"]), (4, 5));
        // Work completed: M1, M2, M3 twice, M7, M8; fed back all but M8's.
        assert_eq!(ratio(&k["feedback_rate"]), (5, 6));
        // Sign-for clocks ended: M1, M2 (timed from its dispatch as a
        // complaint), M3 twice, M7, M8; late: M2's.
        assert_eq!(ratio(&k["on_time"]["sign_due"]), (5, 6));
        assert_eq!(k["late"], 1);
        // Open and past due at the end of October: M5's reply; M6's reply,
        // sign-for, arrival and rectification; M7's revisit; M8's feedback
        // and reply.
        assert_eq!(k["overdue_open"], 8);
        assert_eq!(k["returns"], 1);
        // One extension asked for (M6's rectification) and approved.
        assert_eq!(
            (
                k["extensions_requested"].as_u64(),
                k["extensions_approved"].as_u64()
            ),
            (Some(1), Some(1))
        );
        assert_eq!(k["received"], 8);
        assert_eq!(k["by_channel"]["visit"], 2);
        assert_eq!(k["by_type"]["consultation"], 2);
        // Hours from receipt to closing: M1 30, M2 30⅓, M3 54, M4 23 (its
        // answer corrected the next day at 10:00 closes it again).
        let mean = (30.0 + 30.0 + 1.0 / 3.0 + 54.0 + 23.0) / 4.0;
        let got = k["handling_hours_mean"].as_f64().unwrap();
        assert!((got - mean).abs() < 0.01, "{got} vs {mean}");
        let p90 = k["handling_hours_p90"].as_f64().unwrap();
        assert!((p90 - 54.0).abs() < 0.01, "{p90}");
        // Nothing happened in September.
        assert_eq!(ratio(&f["previous"]["answer_timely"]), (0, 0));
        assert_eq!(f["previous"]["received"], 0);
        assert_eq!(f["targets"]["answer_timely"], 95.0);

        // The department that led: M1, M2, M3 handled by HJWS.
        let d = figures(&app, &supervisor, "period=2026-10&department=hjws").await;
        assert_eq!(d["subject"]["name"], "HJWS科");
        let k = &d["indicators"];
        assert_eq!(ratio(&k["accuracy"]), (1, 3));
        assert_eq!(ratio(&k["satisfaction"]), (2, 4));
        assert_eq!(ratio(&k["on_time"]["sign_due"]), (5, 6));
        // Its own clocks only: M6's sign-for, arrival, rectification.
        assert_eq!(k["overdue_open"], 3);
        assert_eq!(k["returns"], 0);
        assert_eq!(k["extensions_requested"], 1);
        // BMFZ returned one, and asked for no extension.
        let d = figures(&app, &supervisor, "period=2026-10&department=BMFZ").await;
        assert_eq!(d["indicators"]["returns"], 1);
        assert_eq!(d["indicators"]["extensions_requested"], 0);
        // The receiving office: the intake figures and the handled matter
        // without a department (M4, corrected).
        let d = figures(&app, &supervisor, "period=2026-10&department=AWB").await;
        assert_eq!(ratio(&d["indicators"]["answer_timely"]), (4, 6));
        assert_eq!(ratio(&d["indicators"]["accuracy"]), (0, 1));

        // Staff A recorded M1, M2, M5, M6; B recorded M3, M4, M7, M8.
        let sa = figures(&app, &supervisor, &format!("period=2026-10&staff={a}")).await;
        let k = &sa["indicators"];
        assert_eq!(ratio(&k["answer_timely"]), (2, 3));
        assert_eq!(ratio(&k["reception_timely"]), (1, 1));
        assert_eq!(ratio(&k["accuracy"]), (1, 2));
        // A's desk clocks past due: M5's and M6's replies.
        assert_eq!(k["overdue_open"], 2);
        assert!(k["on_time"].get("sign_due").is_none());
        let sb = figures(&app, &supervisor, &format!("period=2026-10&staff={b}")).await;
        let k = &sb["indicators"];
        assert_eq!(ratio(&k["answer_timely"]), (2, 3));
        assert_eq!(ratio(&k["reception_timely"]), (0, 1));
        assert_eq!(ratio(&k["accuracy"]), (0, 2));
        assert_eq!(k["overdue_open"], 3);

        // The quarter holds the month; custom days hold part of it.
        let q = figures(&app, &supervisor, "period=2026-Q4").await;
        assert_eq!(ratio(&q["indicators"]["answer_timely"]), (4, 6));
        let c = figures(&app, &supervisor, "from=2026-10-13&to=2026-10-13").await;
        assert_eq!(c["indicators"]["received"], 0);
        assert_eq!(ratio(&c["indicators"]["satisfaction"]), (2, 3));

        // The clocks ended in a period are read from their tally (migration
        // 0034), which agrees with the clocks themselves, and PostgreSQL's
        // fold of its deltas changes no figure.
        assert_eq!(app.store.tally_drift().await.unwrap(), 0);
        app.store.fold_tally().await.unwrap();
        assert_eq!(
            app.raw_count("SELECT COUNT(*) FROM clock_tally_delta")
                .await,
            0
        );
        let again = figures(&app, &supervisor, "period=2026-10").await;
        assert_eq!(again["indicators"], f["indicators"]);
        // A matter whose lead department changes takes its ended clocks
        // along.
        let sign = |v: &Value| {
            v["indicators"]["on_time"]
                .get("sign_due")
                .map_or((0, 0), ratio)
        };
        let hjws = "period=2026-10&department=HJWS";
        let bmfz = "period=2026-10&department=BMFZ";
        let before = sign(&figures(&app, &supervisor, bmfz).await);
        assert_eq!(sign(&figures(&app, &supervisor, hjws).await), (5, 6));
        app.raw_execute(
            "UPDATE matters SET lead_department = 'BMFZ' WHERE lead_department = 'HJWS'",
        )
        .await;
        assert_eq!(app.store.tally_drift().await.unwrap(), 0);
        assert_eq!(sign(&figures(&app, &supervisor, hjws).await), (0, 0));
        assert_eq!(
            sign(&figures(&app, &supervisor, bmfz).await),
            (before.0 + 5, before.1 + 6)
        );
        // A tally gone wrong is found and rebuilt from the clocks.
        app.raw_execute("UPDATE clock_tally SET n = n + 1").await;
        assert!(app.store.tally_drift().await.unwrap() > 0);
        app.store.rebuild_tally().await.unwrap();
        assert_eq!(app.store.tally_drift().await.unwrap(), 0);
        app.stop().await;
    }
);

both_backends!(
    figures_are_seen_only_by_whom_they_concern,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (ua, a) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let (ub, _) = app
            .token_user("jieting2", &[Role::Intake], Some("AWB"))
            .await;
        let (_, lead) = app
            .token_user("keshi", &[Role::DeptLead], Some("HJWS"))
            .await;
        let (_, group) = app.token_user("lingdao", &[Role::LeadingGroup], None).await;
        let get = |token: String, q: String| {
            let app = &app;
            async move {
                app.get_json(&token, &format!("/api/v1/reports/indicators?{q}"))
                    .await
                    .0
            }
        };
        let (ida, idb) = (ua.id.0.to_string(), ub.id.0.to_string());
        // Staff see their own figures, by default and by id, and nobody
        // else's.
        let (s, mine) = app.get_json(&a, "/api/v1/reports/indicators").await;
        assert_eq!(s, 200);
        assert_eq!(mine["subject"]["id"], ida.as_str());
        assert_eq!(get(a.clone(), format!("staff={ida}")).await, 200);
        assert_eq!(get(a.clone(), format!("staff={idb}")).await, 403);
        assert_eq!(get(a.clone(), "department=AWB".into()).await, 403);
        // A department's lead sees the department's, not another's.
        let (_, d) = app.get_json(&lead, "/api/v1/reports/indicators").await;
        assert_eq!(d["subject"]["id"], "HJWS");
        assert_eq!(get(lead.clone(), "department=BMFZ".into()).await, 403);
        assert_eq!(get(lead.clone(), format!("staff={ida}")).await, 403);
        // The leading group sees everything.
        assert_eq!(get(group.clone(), format!("staff={idb}")).await, 200);
        assert_eq!(get(group.clone(), "department=HJWS".into()).await, 200);
        // Bad queries are refused with the field.
        for (q, field) in [
            ("period=2026-13", "period"),
            ("period=2026-Q5", "period"),
            ("period=1999", "period"),
            ("from=2026-10-32", "from"),
            ("staff=not-a-uuid", "staff"),
        ] {
            let (s, e) = app
                .get_json(&group, &format!("/api/v1/reports/indicators?{q}"))
                .await;
            assert_eq!(s, 422, "{q}: {e}");
            assert_eq!(e["error"]["field"], field, "{q}: {e}");
        }
        // Whom nobody is: 404.
        for q in [
            "department=NOPE",
            "staff=0190aaaa-0000-7000-8000-000000000000",
        ] {
            let (s, _) = app
                .get_json(&group, &format!("/api/v1/reports/indicators?{q}"))
                .await;
            assert_eq!(s, 404, "{q}");
        }
        // Open or reversed ends of a custom range, and a range given with a
        // period: the range, from the first records or to today.
        for (q, first, last) in [
            ("from=2026-10-05&to=2026-10-01", "2026-10-01", "2026-10-05"),
            ("to=2026-01-31", "2000-01-01", "2026-01-31"),
            (
                "period=2026-10&from=2026-10-01&to=2026-10-02",
                "2026-10-01",
                "2026-10-02",
            ),
        ] {
            let (s, f) = app
                .get_json(&group, &format!("/api/v1/reports/indicators?{q}"))
                .await;
            assert_eq!(s, 200, "{q}: {f}");
            assert_eq!(
                (f["period"]["first"].as_str(), f["period"]["last"].as_str()),
                (Some(first), Some(last)),
                "{q}"
            );
        }
        app.stop().await;
    }
);

both_backends!(
    the_dashboard_its_print_and_its_workbook_show_the_months_figures,
    |backend| async move {
        let (app, supervisor, a, _) = played(backend).await;
        // The report as a workbook.
        let r = app
            .client
            .get(app.url("/api/v1/exports/report.xlsx?period=2026-10"))
            .bearer_auth(&supervisor)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("report-2026-10.xlsx")
        );
        let bytes = r.bytes().await.unwrap();
        let book = crate::helpers::workbook_rows(&bytes).unwrap();
        let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "考核指标",
                "受理与办理",
                "受理量趋势",
                "类型与渠道",
                "主要问题",
                "区域分布",
                "热点问题",
                "超时未办"
            ]
        );
        let sheet = |name: &str| &book.iter().find(|(n, _)| n == name).unwrap().1;
        let rates = sheet("考核指标");
        assert!(rates[0][0].contains("全单位 2026年10月"), "{:?}", rates[0]);
        assert_eq!(rates[1], ["指标", "本期", "上期", "变化", "目标", "达标"]);
        let answer = rates.iter().find(|r| r[0] == "接听及时率").unwrap();
        assert_eq!(answer[1], "66.7%（4/6）");
        assert_eq!(answer[2], "—");
        assert_eq!(answer[5], "未达标");
        let counts = sheet("受理与办理");
        let total = counts.iter().find(|r| r[0] == "受理总量").unwrap();
        assert_eq!((total[1].as_str(), total[2].as_str()), ("8", "0"));
        let overdue = sheet("超时未办");
        assert!(overdue.len() > 2, "the open clocks past due are listed");

        // The dashboard and its print, as a supervisor sees them.
        let (user, password) = app
            .user("duban2", &[aiwei_core::Role::Supervisor], Some("AWB"))
            .await;
        app.log_in(user.username.as_str(), &password).await;
        let page = app.html("/figures?period=2026-10").await;
        assert!(
            page.contains("统计分析：全单位 · 2026年10月"),
            "{page:.600}"
        );
        assert_eq!(page.matches("<svg ").count(), 6, "six charts");
        for table in [
            "rates-table",
            "counts-table",
            "trend-table",
            "types-table",
            "channels-table",
            "categories-table",
            "areas-table",
            "overdue-table",
        ] {
            assert!(page.contains(&format!("id=\"{table}\"")), "{table}");
        }
        // The count may go under its rate on a narrow screen.
        assert!(page.contains("66.7%<wbr>（4/6）") && page.contains("垃圾堆放与清运"));
        assert!(page.contains("2026年9月"), "compared with September");
        // The picker offers the departments and the clerks.
        assert!(page.contains("value=\"department:HJWS\""));
        assert!(page.contains(&format!("value=\"staff:{a}\"")));
        // A department, picked in the form.
        let page = app
            .html("/figures?period=2026-10&subject=department:HJWS")
            .await;
        assert!(page.contains("统计分析：HJWS科 · 2026年10月"));
        assert!(page.contains("33.3%<wbr>（1/3）"), "HJWS's accuracy");
        // A custom range wins over the month the picker also sends.
        let page = app
            .html("/figures?period=2026-10&from=2026-10-13&to=2026-10-13")
            .await;
        assert!(
            page.contains("2026年10月13日至2026年10月13日"),
            "{page:.800}"
        );
        let print = app.html("/figures/print?period=2026-10").await;
        assert!(
            print.contains("<body class=\"print report\">"),
            "the A4 style"
        );
        let css = app.html("/static/app.css").await;
        assert!(css.contains("@page { size: A4;"));
        assert!(print.contains("全单位来电来访工作月度报告"));
        assert!(print.contains("id=\"hotspots\""), "hotspots on paper");
        assert_eq!(print.matches("<svg ").count(), 6);
        assert!(!print.contains("class=\"side\""), "no menu on paper");

        // A clerk sees their own figures, and not a department's.
        let (clerk, password) = app
            .user("jieting9", &[aiwei_core::Role::Intake], Some("AWB"))
            .await;
        app.log_in(clerk.username.as_str(), &password).await;
        let page = app.html("/figures?period=2026-10").await;
        assert!(
            page.contains("统计分析：测试jieting9 · 2026年10月"),
            "{page:.600}"
        );
        assert!(!page.contains("value=\"department:"));
        let r = app
            .client
            .get(app.url("/figures?subject=department:AWB"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        app.stop().await;
    }
);

both_backends!(
    a_supervisor_assesses_a_clerk_on_the_months_figures,
    |backend| async move {
        let (app, supervisor, a, b) = played(backend).await;
        let body = json!({
            "staff": a,
            "period": "2026-10",
            "items": [{"name": "服务态度", "points": 6}],
            "comment": "接听及时，准确率有待提高",
            "consequences": [{"kind": "criticism", "reason": "派单错误导致退回"}],
        });
        let (s, v) = app
            .post_json(&supervisor, "/api/v1/assessments", &body)
            .await;
        assert_eq!(s, 200, "{v}");
        // A: calls 2/3 and visits 1/1 in time (3/4 = 75 %), accuracy 1/2
        // (50 %), satisfaction 2/2 (100 %): a mean of 75, plus 6 = 81,
        // which rates 合格 (80 to 95).
        assert_eq!(v["indicators"]["accuracy"], json!({"num": 1, "den": 2}));
        assert!((v["score"].as_f64().unwrap() - 81.0).abs() < 1e-9, "{v}");
        assert_eq!(v["rating"], "pass");
        assert_eq!(v["consequences"][0]["kind"], "criticism");
        // Assessing again replaces the assessment, keeps the consequence.
        let mut again = body.clone();
        again["items"] =
            json!([{"name": "服务态度", "points": 20}, {"name": "工作纪律", "points": 5}]);
        again["consequences"] = json!([]);
        let (_, v) = app
            .post_json(&supervisor, "/api/v1/assessments", &again)
            .await;
        // 75 + 25 is kept within 100: 优秀.
        assert_eq!(
            (v["score"].as_f64(), v["rating"].as_str()),
            (Some(100.0), Some("excellent"))
        );
        let (_, list) = app
            .get_json(&supervisor, "/api/v1/assessments?period=2026-10")
            .await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["consequences"].as_array().unwrap().len(), 1);
        // Staff see their own and nobody else's.
        let (ua, ta) = (
            a.clone(),
            app.token_for(
                &app.store
                    .user(aiwei_core::UserId(a.parse().unwrap()))
                    .await
                    .unwrap(),
            )
            .await,
        );
        let (_, own) = app
            .get_json(&ta, "/api/v1/assessments?period=2026-10")
            .await;
        assert_eq!(own.as_array().unwrap().len(), 1);
        assert_eq!(own[0]["staff"], ua.as_str());
        let tb = app
            .token_for(
                &app.store
                    .user(aiwei_core::UserId(b.parse().unwrap()))
                    .await
                    .unwrap(),
            )
            .await;
        let (_, theirs) = app
            .get_json(&tb, "/api/v1/assessments?period=2026-10")
            .await;
        assert_eq!(theirs, json!([]));
        let (s, _) = app.post_json(&tb, "/api/v1/assessments", &body).await;
        assert_eq!(s, 403);
        // Bad requests name the field.
        let mut bad = body.clone();
        bad["items"] = json!([{"name": "加分", "points": 50}]);
        let (s, e) = app
            .post_json(&supervisor, "/api/v1/assessments", &bad)
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("items.0.points"))
        );
        // The results as a workbook.
        let r = app
            .client
            .get(app.url("/api/v1/exports/assessments.xlsx?period=2026-10"))
            .bearer_auth(&supervisor)
            .send()
            .await
            .unwrap();
        let book = crate::helpers::workbook_rows(&r.bytes().await.unwrap()).unwrap();
        let rows = &book[0].1;
        assert!(rows[0][0].contains("2026年10月工作人员考核结果"));
        assert_eq!(rows[2][0], "测试jieting");
        assert_eq!(rows[2][1], "75.0%");
        assert_eq!(rows[2][6], "优秀");
        assert!(rows[2][8].contains("批评教育：派单错误导致退回"));
        let audit = crate::confidentiality::audit_of(&app, "staff.assess").await;
        assert_eq!(audit.len(), 2);
        app.stop().await;
    }
);

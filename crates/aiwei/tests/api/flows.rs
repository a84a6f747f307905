//! The handling flows of, end to end through the API,
//! with users of the right roles and departments.

use aiwei_core::Role;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, kinds, phone_complaint};

struct Org {
    app: TestApp,
    intake: String,
    wrong_lead: String,
    handler: String,
    lead: String,
    co_handler: String,
    leader: String,
    supervisor: String,
}

async fn org(backend: Backend) -> Org {
    let app = TestApp::spawn(backend).await;
    let (_, intake) = app
        .token_user("jieting", &[Role::Intake], Some("AWB"))
        .await;
    let (_, wrong_lead) = app
        .token_user("bmfz_lead", &[Role::DeptLead], Some("BMFZ"))
        .await;
    let (_, handler) = app
        .token_user("jingban", &[Role::Handler], Some("HJWS"))
        .await;
    let (_, lead) = app
        .token_user("keshi", &[Role::DeptLead], Some("HJWS"))
        .await;
    let (_, co_handler) = app.token_user("wygl", &[Role::Handler], Some("WYGL")).await;
    let (_, leader) = app
        .token_user("lingdao", &[Role::LeadingGroup], Some("AWB"))
        .await;
    let (_, supervisor) = app
        .token_user("duban", &[Role::Supervisor], Some("AWB"))
        .await;
    Org {
        app,
        intake,
        wrong_lead,
        handler,
        lead,
        co_handler,
        leader,
        supervisor,
    }
}

impl Org {
    async fn record(&self, ty: &str, category: &str) -> String {
        let mut body = phone_complaint("13812340000", "张三");
        body["type"] = json!(ty);
        body["category"] = json!(category);
        let (s, m) = self
            .app
            .post_json(&self.intake, "/api/v1/matters", &body)
            .await;
        assert_eq!(s, 201, "{m}");
        m["number"].as_str().unwrap().to_owned()
    }

    async fn act(&self, token: &str, number: &str, body: Value) -> (u16, Value) {
        self.app
            .post_json(token, &format!("/api/v1/matters/{number}/actions"), &body)
            .await
    }

    async fn ok(&self, token: &str, number: &str, body: Value) -> Value {
        let (s, m) = self.act(token, number, body.clone()).await;
        assert_eq!(s, 200, "{body} → {m}");
        m
    }
}

fn soon(hours: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(hours)).to_rfc3339()
}

both_backends!(
    complaint_returned_redispatched_redone_and_closed,
    |backend: Backend| async move {
        let o = org(backend).await;
        let n = o.record("complaint", "env.garbage").await;
        // Dispatched to the wrong department, which returns it with a reason.
        let m = o
            .ok(&o.intake, &n, json!({"action": "dispatch", "lead": "BMFZ"}))
            .await;
        assert_eq!(m["status"], "dispatched");
        assert_eq!(m["lead_department"]["code"], "BMFZ");
        let m = o
            .ok(
                &o.wrong_lead,
                &n,
                json!({"action": "return", "reason": "垃圾清运不属于病媒防制科职责"}),
            )
            .await;
        assert_eq!(m["status"], "received");
        assert_eq!(m["return_count"], 1);
        assert!(m["lead_department"].is_null());
        let returned = m["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            returned["payload"]["department"], "BMFZ",
            "returns count per department"
        );
        assert_eq!(returned["texts"][0]["text"], "垃圾清运不属于病媒防制科职责");
        // The supervision board counts the return against the department.
        let (_, board) = o.app.get_json(&o.supervisor, "/api/v1/supervision").await;
        assert_eq!(board["returns"][0]["department"], "BMFZ");
        assert_eq!(board["returns"][0]["count"], 1);
        // The department that returned it no longer sees it.
        let (s, _) = o
            .app
            .get_json(&o.wrong_lead, &format!("/api/v1/matters/{n}"))
            .await;
        assert_eq!(s, 404);

        // Re-dispatched to the right department with a co-handler.
        o.ok(
            &o.intake,
            &n,
            json!({"action": "dispatch", "lead": "HJWS", "co": ["WYGL"], "note": "请物业配合"}),
        )
        .await;
        let (s, seen) = o
            .app
            .get_json(&o.co_handler, &format!("/api/v1/matters/{n}"))
            .await;
        assert_eq!(s, 200, "the co-handling department sees it");
        assert_eq!(seen["caller"]["masked"], true);
        o.ok(&o.handler, &n, json!({"action": "sign_for"})).await;
        let arrived = (chrono::Utc::now() - chrono::Duration::minutes(30)).to_rfc3339();
        o.ok(&o.handler, &n, json!({"action": "arrive", "arrived_at": arrived, "who": "张伟、李明", "findings": "情况属实，垃圾约2吨"})).await;
        o.ok(&o.handler, &n, json!({"action": "plan", "measures": "联系环卫所当日清运，增设垃圾桶", "planned_completion": soon(48)})).await;
        o.ok(
            &o.co_handler,
            &n,
            json!({"action": "report_progress", "text": "物业已清理楼道堆放物"}),
        )
        .await;
        o.ok(
            &o.handler,
            &n,
            json!({"action": "complete", "result": "已全部清运，增设垃圾桶4个"}),
        )
        .await;
        o.ok(
            &o.intake,
            &n,
            json!({"action": "feedback", "channel": "phone", "content": "已清运并增设垃圾桶"}),
        )
        .await;
        // Not satisfied: redone with the cause, back to the same department.
        let m = o
        .ok(&o.intake, &n, json!({"action": "revisit", "satisfaction": "dissatisfied", "words": "第二天又堆了", "cause": "清运不彻底"}))
        .await;
        assert_eq!(m["status"], "dispatched");
        assert_eq!(m["redo_count"], 1);
        assert_eq!(m["lead_department"]["code"], "HJWS");
        for step in [
            json!({"action": "sign_for"}),
            json!({"action": "arrive", "arrived_at": chrono::Utc::now().to_rfc3339(), "who": "张伟", "findings": "仍有少量堆放"}),
            json!({"action": "plan", "measures": "每日清运两次", "planned_completion": soon(24)}),
            json!({"action": "complete", "result": "已建立每日两次清运制度"}),
        ] {
            o.ok(&o.handler, &n, step).await;
        }
        o.ok(
            &o.intake,
            &n,
            json!({"action": "feedback", "channel": "in_person", "content": "已建立每日两次清运"}),
        )
        .await;
        let m = o
            .ok(
                &o.intake,
                &n,
                json!({"action": "revisit", "satisfaction": "satisfied", "words": "现在干净了"}),
            )
            .await;
        assert_eq!(m["status"], "closed");
        assert!(m["closed_at"].is_string());
        assert_eq!(
            kinds(&m),
            [
                "received",
                "dispatched",
                "returned",
                "dispatched",
                "signed_for",
                "arrived_on_site",
                "rectification_planned",
                "progress_reported",
                "completed",
                "feedback_given",
                "redo_ordered",
                "signed_for",
                "arrived_on_site",
                "rectification_planned",
                "completed",
                "feedback_given",
                "revisited"
            ]
        );
        o.app.stop().await;
    }
);

both_backends!(
    suggestions_adopted_and_not_adopted,
    |backend: Backend| async move {
        let o = org(backend).await;
        let yes = o.record("suggestion", "improve.publicity").await;
        let no = o.record("suggestion", "improve.activity").await;
        for n in [&yes, &no] {
            let m = o.ok(&o.intake, n, json!({"action": "submit"})).await;
            assert_eq!(m["status"], "evaluating");
        }
        let m = o.ok(&o.leader, &yes, json!({"action": "evaluate", "adopted": true, "opinion": "可行，纳入爱国卫生月宣传"})).await;
        assert_eq!(m["status"], "implementing");
        o.ok(
            &o.leader,
            &yes,
            json!({"action": "implemented", "result": "已在各社区张贴宣传海报"}),
        )
        .await;
        let m = o
            .ok(
                &o.intake,
                &yes,
                json!({"action": "tell", "channel": "phone", "content": "您的建议已采纳并实施"}),
            )
            .await;
        assert_eq!(m["status"], "closed");
        let (s, err) = o
            .act(
                &o.leader,
                &no,
                json!({"action": "evaluate", "adopted": false, "opinion": " "}),
            )
            .await;
        assert_eq!(
            (s, err["error"]["field"].as_str()),
            (422, Some("opinion")),
            "the reason is required"
        );
        let m = o
            .ok(
                &o.leader,
                &no,
                json!({"action": "evaluate", "adopted": false, "opinion": "经费不足，暂不采纳"}),
            )
            .await;
        assert_eq!(m["status"], "decided");
        let m = o.ok(&o.intake, &no, json!({"action": "tell", "channel": "written", "content": "暂不采纳，原因：经费不足"})).await;
        assert_eq!(m["status"], "closed");
        assert_eq!(
            kinds(&m),
            [
                "received",
                "submitted_to_leading_group",
                "not_adopted",
                "proposer_told"
            ]
        );
        o.app.stop().await;
    }
);

both_backends!(
    consultation_coordinated_with_two_departments,
    |backend: Backend| async move {
        let o = org(backend).await;
        let n = o.record("consultation", "policy.standard").await;
        o.app.user("jkzx", &[Role::Handler], Some("JKZX")).await;
        let (_, jkzx) = o
            .app
            .token_user("jkzx2", &[Role::Handler], Some("JKZX"))
            .await;
        let m = o.ok(&o.intake, &n, json!({"action": "coordinate", "departments": ["JKZX", "HJWS"], "question": "学校食堂病媒防制标准"})).await;
        assert_eq!(m["status"], "coordinating");
        let co: Vec<&Value> = m["co_departments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| &d["code"])
            .collect();
        assert_eq!(co, [&json!("HJWS"), &json!("JKZX")]);
        assert!(m["co_departments"][0]["name"].is_string());
        o.ok(
            &jkzx,
            &n,
            json!({"action": "provide_input", "text": "依据GB/T 27770，鼠密度不超过1%"}),
        )
        .await;
        o.ok(
            &o.handler,
            &n,
            json!({"action": "provide_input", "text": "环卫部分无特别要求"}),
        )
        .await;
        let (s, _) = o
            .act(
                &o.co_handler,
                &n,
                json!({"action": "provide_input", "text": "x"}),
            )
            .await;
        assert_eq!(s, 404, "a department not asked does not see it");
        let m = o
            .ok(
                &o.intake,
                &n,
                json!({"action": "reply", "channel": "phone", "answer": "已电话告知标准要求"}),
            )
            .await;
        assert_eq!(m["status"], "closed");
        assert_eq!(
            kinds(&m),
            [
                "received",
                "coordination_requested",
                "input_provided",
                "input_provided",
                "replied"
            ]
        );
        o.app.stop().await;
    }
);

both_backends!(
    other_matters_and_reclassification,
    |backend: Backend| async move {
        let o = org(backend).await;
        let n = o.record("consultation", "policy.regulation").await;
        let m = o.ok(&o.intake, &n, json!({"action": "reclassify", "type": "other", "category": "other.praise", "reason": "实为表扬"})).await;
        assert_eq!(
            (m["type"].as_str(), m["category"]["code"].as_str()),
            (Some("other"), Some("other.praise"))
        );
        let (s, e) = o
            .act(
                &o.intake,
                &n,
                json!({"action": "reclassify", "type": "complaint", "category": "policy.standard"}),
            )
            .await;
        assert_eq!((s, e["error"]["code"].as_str()), (422, Some("not_of_type")));
        o.ok(&o.intake, &n, json!({"action": "dispatch", "lead": "HJWS"}))
            .await;
        o.ok(
            &o.handler,
            &n,
            json!({"action": "record_result", "result": "已转达表扬"}),
        )
        .await;
        let m = o
            .ok(
                &o.handler,
                &n,
                json!({"action": "feedback", "channel": "phone", "content": "已转达"}),
            )
            .await;
        assert_eq!(m["status"], "closed");
        o.app.stop().await;
    }
);

both_backends!(
    illegal_steps_change_nothing,
    |backend: Backend| async move {
        let o = org(backend).await;
        let n = o.record("complaint", "env.toilet").await;
        let before = o
            .app
            .get_json(&o.supervisor, &format!("/api/v1/matters/{n}"))
            .await
            .1;
        // Revisit before feedback: 409 naming state and action.
        let (s, e) = o
            .act(
                &o.intake,
                &n,
                json!({"action": "revisit", "satisfaction": "satisfied"}),
            )
            .await;
        assert_eq!(s, 409);
        assert_eq!(e["error"]["code"], "invalid_transition");
        assert_eq!(e["error"]["state"], "received");
        assert_eq!(e["error"]["action"], "revisit");
        // A handler may not dispatch.
        let (s, _) = o
            .act(
                &o.handler,
                &n,
                json!({"action": "dispatch", "lead": "HJWS"}),
            )
            .await;
        assert_eq!(s, 404, "not yet the handler's department: not visible");
        o.ok(
            &o.intake,
            &n,
            json!({"action": "dispatch", "lead": "HJWS", "co": ["WYGL"]}),
        )
        .await;
        let mid = o
            .app
            .get_json(&o.supervisor, &format!("/api/v1/matters/{n}"))
            .await
            .1;
        // Sign-for by another (co-handling) department: 403.
        let (s, e) = o
            .act(&o.co_handler, &n, json!({"action": "sign_for"}))
            .await;
        assert_eq!((s, e["error"]["code"].as_str()), (403, Some("forbidden")));
        // Return by a handler (only the department lead may): 403.
        let (s, _) = o
            .act(
                &o.handler,
                &n,
                json!({"action": "return", "reason": "不归我们管"}),
            )
            .await;
        assert_eq!(s, 403);
        // Evaluation by a non-member of the leading group: 403 even on a suggestion.
        let sug = o.record("suggestion", "improve.measures").await;
        o.ok(&o.intake, &sug, json!({"action": "submit"})).await;
        let (s, _) = o
            .act(
                &o.supervisor,
                &sug,
                json!({"action": "evaluate", "adopted": true, "opinion": "好"}),
            )
            .await;
        assert_eq!(s, 403);
        // Unknown step names and bad values: 422 / 400.
        let (s, _) = o.act(&o.intake, &n, json!({"action": "approve"})).await;
        assert_eq!(s, 422);
        let (s, e) = o
            .act(&o.lead, &n, json!({"action": "dispatch", "lead": "NOPE"}))
            .await;
        assert_eq!(s, 403, "{e}");
        let after = o
            .app
            .get_json(&o.supervisor, &format!("/api/v1/matters/{n}"))
            .await
            .1;
        assert_eq!(after["status"], "dispatched");
        assert_eq!(
            after["events"].as_array().unwrap().len(),
            mid["events"].as_array().unwrap().len()
        );
        assert_eq!(
            before["events"].as_array().unwrap().len() + 1,
            after["events"].as_array().unwrap().len()
        );
        // The chain still verifies after all the refusals.
        let report = o.app.store.verify_chains().await.unwrap();
        assert!(report.ok(), "{report:?}");
        o.app.stop().await;
    }
);

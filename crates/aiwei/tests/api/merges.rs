//! Merging (并单) and linking matters (issue 10), on both backends: a merged
//! matter follows its lead's handling and keeps its own caller; a
//! supervisor undoes merges and links; everything is an event on both.

use aiwei_core::Role;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, kinds};

/// The numbers in `token`'s work queue `code`.
async fn queue(app: &TestApp, token: &str, code: &str) -> Vec<String> {
    let (_, w) = app.get_json(token, "/api/v1/work").await;
    crate::work::queue(&w, code)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["number"].as_str().unwrap().to_owned())
        .collect()
}

fn numbers(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|n| n.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

both_backends!(
    a_merged_matter_follows_its_lead_and_its_caller_is_revisited_on_its_own,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, clerk) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let (handler_user, handler) = app
            .token_user("jingban", &[Role::Handler], Some("HJWS"))
            .await;
        let lead = app.dispatched(&clerk, "13811117001", "HJWS").await;
        let m = app.complaint(&clerk, "13811117002", "邻居").await;
        let other = app.complaint(&clerk, "13811117003", "另一人").await;

        // Handlers do not merge; intake does.
        let merge = format!("/api/v1/matters/{m}/merge");
        let (s, _) = app
            .post_json(&handler, &merge, &json!({"other": lead}))
            .await;
        assert_eq!(s, 404, "the handler does not see the new matter");
        let (s, e) = app.post_json(&clerk, &merge, &json!({"other": m})).await;
        assert_eq!((s, e["error"]["code"].as_str()), (409, Some("same_matter")));
        let (s, e) = app
            .post_json(&clerk, &merge, &json!({"other": "AW2026-999999"}))
            .await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some("other")));
        let (s, v) = app.post_json(&clerk, &merge, &json!({"other": lead})).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["merged_into"], lead.as_str());
        assert_eq!(
            (v["status"].as_str(), v["lead_department"]["code"].as_str()),
            (Some("dispatched"), Some("HJWS"))
        );
        assert!(kinds(&v).contains(&"merged_into".to_owned()));
        let (_, l) = app
            .get_json(&clerk, &format!("/api/v1/matters/{lead}"))
            .await;
        assert_eq!(numbers(&l["merged"]), vec![m.clone()]);
        assert!(kinds(&l).contains(&"merge_received".to_owned()));
        // No chains, no second merge.
        let (s, e) = app
            .post_json(
                &clerk,
                &format!("/api/v1/matters/{other}/merge"),
                &json!({"other": m}),
            )
            .await;
        assert_eq!((s, e["error"]["code"].as_str()), (409, Some("merge_chain")));
        let (s, e) = app
            .post_json(&clerk, &merge, &json!({"other": other}))
            .await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (409, Some("already_merged"))
        );

        // Its own steps are refused: it is handled on the lead.
        let (s, e) = app.step(&handler, &m, json!({"action": "sign_for"})).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (409, Some("merged_step")),
            "{e}"
        );
        // Only the lead is in the department's queue.
        let q = queue(&app, &handler, "to_sign").await;
        assert!(q.contains(&lead) && !q.contains(&m), "{q:?}");
        let _ = handler_user;

        // The lead's handling is recorded on it, through to the feedback.
        for step in [
            json!({"action": "sign_for"}),
            json!({"action": "arrive", "arrived_at": app.now().to_rfc3339(), "who": "张三", "findings": "垃圾堆放属实"}),
            json!({"action": "plan", "measures": "当日清运", "planned_completion": (app.now() + chrono::Duration::days(1)).to_rfc3339()}),
            json!({"action": "complete", "result": "已清运完毕"}),
            json!({"action": "feedback", "channel": "phone", "content": "已清运完毕并加强巡查"}),
        ] {
            let (s, v) = app.step(&handler, &lead, step.clone()).await;
            assert_eq!(s, 200, "{step}: {v}");
        }
        let (_, v) = app.get_json(&clerk, &format!("/api/v1/matters/{m}")).await;
        assert_eq!(v["status"], "fed_back", "{v}");
        let feedback = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "feedback_given")
            .unwrap();
        assert_eq!(feedback["payload"]["via"], lead.as_str());
        // Both callers wait for their revisit at the desk.
        let q = queue(&app, &clerk, "to_revisit").await;
        assert!(q.contains(&lead) && q.contains(&m), "{q:?}");

        // Its caller is satisfied: it closes; the lead waits for its own.
        let (s, v) = app
            .step(
                &clerk,
                &m,
                json!({"action": "revisit", "satisfaction": "satisfied"}),
            )
            .await;
        assert_eq!((s, v["status"].as_str()), (200, Some("closed")), "{v}");
        let (_, l) = app
            .get_json(&clerk, &format!("/api/v1/matters/{lead}"))
            .await;
        assert_eq!(l["status"], "fed_back");

        // The ledger page shows it under its lead.
        let (_, pw) = app.user("jieting9", &[Role::Intake], Some("AWB")).await;
        app.log_in("jieting9", &pw).await;
        let page = app.html("/ledger").await;
        let at_lead = page.find(&format!(">{lead}</a>")).unwrap();
        let at_m = page.find(&format!(">{m}</a>")).unwrap();
        assert!(at_m > at_lead, "the merged row follows its lead");
        assert!(page.contains(&format!("并入 {lead}")));
        let matter = app.html(&format!("/matters/{lead}")).await;
        assert!(
            matter.contains("已并入本事项") && matter.contains(&m),
            "{matter}"
        );
        app.stop().await;
    }
);

both_backends!(
    a_supervisor_undoes_a_merge_and_an_unsatisfied_caller_is_redone_alone,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, clerk) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let (_, sup) = app
            .token_user("duban", &[Role::Supervisor], Some("AWB"))
            .await;
        let (_, handler) = app
            .token_user("jingban", &[Role::Handler], Some("HJWS"))
            .await;
        let lead = app.dispatched(&clerk, "13811117101", "HJWS").await;
        let m = app.complaint(&clerk, "13811117102", "邻居").await;
        let (s, _) = app
            .post_json(
                &clerk,
                &format!("/api/v1/matters/{m}/merge"),
                &json!({"other": lead}),
            )
            .await;
        assert_eq!(s, 200);

        let unmerge = format!("/api/v1/matters/{m}/unmerge");
        let (s, _) = app
            .post_json(&clerk, &unmerge, &json!({"reason": "并非同一问题"}))
            .await;
        assert_eq!(s, 403);
        let (s, e) = app
            .post_json(&sup, &unmerge, &json!({"reason": "并"}))
            .await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some("reason")));
        let (s, v) = app
            .post_json(&sup, &unmerge, &json!({"reason": "经核实并非同一问题"}))
            .await;
        assert_eq!(s, 200, "{v}");
        assert!(v["merged_into"].is_null());
        assert_eq!(v["status"], "received");
        assert!(v["lead_department"].is_null());
        assert!(kinds(&v).contains(&"unmerged".to_owned()));
        let (_, l) = app.get_json(&sup, &format!("/api/v1/matters/{lead}")).await;
        assert!(kinds(&l).contains(&"unmerged".to_owned()));
        assert_eq!(numbers(&l["merged"]), Vec::<String>::new());
        let (s, e) = app
            .post_json(&sup, &unmerge, &json!({"reason": "再次撤销"}))
            .await;
        assert_eq!((s, e["error"]["code"].as_str()), (409, Some("not_merged")));
        // Back at the desk, it is dispatched on its own.
        let (s, v) = app
            .step(&clerk, &m, json!({"action": "dispatch", "lead": "HJWS"}))
            .await;
        assert_eq!(s, 200, "{v}");

        // Merged again into another lead, whose caller is told; this
        // matter's caller is not satisfied: it is redone on its own.
        let lead2 = app.dispatched(&clerk, "13811117103", "HJWS").await;
        let m2 = app.complaint(&clerk, "13811117104", "邻居二").await;
        let (s, _) = app
            .post_json(
                &clerk,
                &format!("/api/v1/matters/{m2}/merge"),
                &json!({"other": lead2}),
            )
            .await;
        assert_eq!(s, 200);
        for step in [
            json!({"action": "sign_for"}),
            json!({"action": "arrive", "arrived_at": app.now().to_rfc3339(), "who": "张三", "findings": "属实"}),
            json!({"action": "plan", "measures": "清运", "planned_completion": (app.now() + chrono::Duration::days(1)).to_rfc3339()}),
            json!({"action": "complete", "result": "已清运"}),
            json!({"action": "feedback", "channel": "phone", "content": "已清运"}),
        ] {
            let (s, v) = app.step(&handler, &lead2, step.clone()).await;
            assert_eq!(s, 200, "{step}: {v}");
        }
        let (s, v) = app
            .step(
                &clerk,
                &m2,
                json!({"action": "revisit", "satisfaction": "dissatisfied", "cause": "仍有垃圾"}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        assert!(v["merged_into"].is_null(), "{v}");
        let k = kinds(&v);
        assert!(
            k.contains(&"redo_ordered".to_owned()) && k.contains(&"unmerged".to_owned()),
            "{k:?}"
        );
        // Now its own: the department signs it for itself.
        let (s, v) = app.step(&handler, &m2, json!({"action": "sign_for"})).await;
        assert_eq!(s, 200, "{v}");
        let (_, l2) = app
            .get_json(&clerk, &format!("/api/v1/matters/{lead2}"))
            .await;
        assert_eq!(l2["status"], "fed_back");
        app.stop().await;
    }
);

both_backends!(
    links_are_recorded_on_both_and_removed_by_a_supervisor,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, clerk) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let (_, sup) = app
            .token_user("duban", &[Role::Supervisor], Some("AWB"))
            .await;
        let (_, handler) = app
            .token_user("jingban", &[Role::Handler], Some("HJWS"))
            .await;
        let (_, bmfz) = app
            .token_user("fangzhi", &[Role::Handler], Some("BMFZ"))
            .await;
        let a = app.dispatched(&clerk, "13811117201", "HJWS").await;
        let b = app.dispatched(&clerk, "13811117202", "HJWS").await;
        let c = app.dispatched(&clerk, "13811117203", "BMFZ").await;
        let link = format!("/api/v1/matters/{a}/links");
        let (s, v) = app.post_json(&handler, &link, &json!({"other": b})).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(numbers(&v["linked"]), vec![b.clone()]);
        let (_, vb) = app
            .get_json(&handler, &format!("/api/v1/matters/{b}"))
            .await;
        assert_eq!(numbers(&vb["linked"]), vec![a.clone()]);
        assert!(kinds(&vb).contains(&"linked".to_owned()));
        let (s, e) = app
            .post_json(
                &handler,
                &format!("/api/v1/matters/{b}/links"),
                &json!({"other": a}),
            )
            .await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (409, Some("already_linked"))
        );
        // A matter the handler does not see cannot be named.
        let (s, e) = app.post_json(&handler, &link, &json!({"other": c})).await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some("other")));
        // The supervisor links across departments; the handler is not told
        // the number of a matter it may not see.
        let (s, _) = app.post_json(&sup, &link, &json!({"other": c})).await;
        assert_eq!(s, 200);
        let (_, va) = app
            .get_json(&handler, &format!("/api/v1/matters/{a}"))
            .await;
        assert_eq!(numbers(&va["linked"]), vec![b.clone()]);
        let (_, vc) = app.get_json(&bmfz, &format!("/api/v1/matters/{c}")).await;
        assert_eq!(numbers(&vc["linked"]), Vec::<String>::new());
        // Only a supervisor removes a link.
        let unlink = format!("/api/v1/matters/{a}/unlink");
        let (s, _) = app.post_json(&handler, &unlink, &json!({"other": b})).await;
        assert_eq!(s, 403);
        let (s, v) = app.post_json(&sup, &unlink, &json!({"other": b})).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(numbers(&v["linked"]), vec![c.clone()]);
        let (s, e) = app.post_json(&sup, &unlink, &json!({"other": b})).await;
        assert_eq!((s, e["error"]["code"].as_str()), (409, Some("not_linked")));
        let (_, vb) = app.get_json(&sup, &format!("/api/v1/matters/{b}")).await;
        assert!(kinds(&vb).contains(&"unlinked".to_owned()));
        app.stop().await;
    }
);

//! Extension requests (延期): before the deadline, with a reason and a new
//! date, effective only when a supervisor approves.

use aiwei_core::Role;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, Desk, TestApp, phone_complaint};

fn due(m: &Value, kind: &str) -> (DateTime<Utc>, String) {
    let d = m["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|d| d["kind"] == kind)
        .unwrap();
    (
        d["due_at"].as_str().unwrap().parse().unwrap(),
        d["state"].as_str().unwrap().to_owned(),
    )
}

both_backends!(
    extensions_need_approval_and_move_the_reply_time,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let Desk {
            intake,
            handler,
            lead,
            supervisor: sup,
            ..
        } = app.desk().await;
        let mut body = phone_complaint("13822223333", "延期");
        body["agreed_reply_at"] = json!((app.now() + Duration::days(3)).to_rfc3339());
        let (_, m) = app.post_json(&intake, "/api/v1/matters", &body).await;
        let n = m["number"].as_str().unwrap().to_owned();
        let (_, m) = app
            .post_json(
                &intake,
                &format!("/api/v1/matters/{n}/actions"),
                &json!({"action": "dispatch", "lead": "HJWS"}),
            )
            .await;
        let (rectify, _) = due(&m, "rectify_due");
        let wanted = rectify + Duration::days(10);
        let ask = |token: &str, kind: &str, at: DateTime<Utc>| {
            let (app, n, token, kind) = (&app, n.clone(), token.to_owned(), kind.to_owned());
            async move {
                app.post_json(
                &token,
                &format!("/api/v1/matters/{n}/extensions"),
                &json!({"deadline": kind, "new_due_at": at.to_rfc3339(), "reason": "需协调环卫车辆，整改周期较长"}),
            )
            .await
            }
        };
        // Only the department head may ask for the department's clocks.
        assert_eq!(ask(&handler, "rectify_due", wanted).await.0, 403);
        let (s, e) = ask(&lead, "rectify_due", rectify - Duration::hours(1)).await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some("new_due_at")));
        let (s, e) = ask(&lead, "revisit_due", wanted).await;
        assert_eq!(s, 403, "{e}");
        let (s, x) = ask(&lead, "rectify_due", wanted).await;
        assert_eq!(s, 201, "{x}");
        assert_eq!(x["state"], "pending");
        assert_eq!(
            ask(&lead, "rectify_due", wanted).await.1["error"]["code"],
            "extension_pending"
        );
        // Nothing moves before approval.
        let (_, m) = app.get_json(&sup, &format!("/api/v1/matters/{n}")).await;
        assert_eq!(due(&m, "rectify_due").0, rectify);
        let (_, pending) = app.get_json(&sup, "/api/v1/extensions").await;
        assert_eq!(pending["items"].as_array().unwrap().len(), 1);
        let id = x["id"].as_str().unwrap();
        let (s, _) = app
            .post_json(
                &lead,
                &format!("/api/v1/extensions/{id}/decision"),
                &json!({"approve": true}),
            )
            .await;
        assert_eq!(s, 403, "a department head may not approve");
        let (s, x) = app
            .post_json(
                &sup,
                &format!("/api/v1/extensions/{id}/decision"),
                &json!({"approve": true, "note": "同意"}),
            )
            .await;
        assert_eq!(s, 200, "{x}");
        assert_eq!(x["state"], "approved");
        let (s, e) = app
            .post_json(
                &sup,
                &format!("/api/v1/extensions/{id}/decision"),
                &json!({"approve": false}),
            )
            .await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (409, Some("already_decided"))
        );
        // The clock and the agreed reply time moved; the caller must be told.
        let (_, m) = app.get_json(&intake, &format!("/api/v1/matters/{n}")).await;
        assert_eq!(due(&m, "rectify_due").0, wanted);
        assert_eq!(
            m["agreed_reply_at"]
                .as_str()
                .unwrap()
                .parse::<DateTime<Utc>>()
                .unwrap(),
            wanted
        );
        assert_eq!(due(&m, "reply_due").0, wanted);
        assert_eq!(m["caller_to_be_told"], true);
        let kinds: Vec<&str> = m["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert!(
            kinds.ends_with(&["extension_requested", "extension_approved"]),
            "{kinds:?}"
        );
        let (_, m) = app
        .post_json(&intake, &format!("/api/v1/matters/{n}/actions"), &json!({"action": "inform_caller", "channel": "phone", "content": "整改延期至下月，已电话告知"}))
        .await;
        assert_eq!(m["caller_to_be_told"], false);

        // After the deadline no extension can be asked.
        app.advance(Duration::days(30));
        let (_, m) = app.get_json(&sup, &format!("/api/v1/matters/{n}")).await;
        let (on_site, _) = due(&m, "on_site_due");
        assert!(on_site < app.now());
        let (s, e) = ask(&lead, "on_site_due", app.now() + Duration::days(1)).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (409, Some("deadline_passed"))
        );
        assert!(app.store.verify_chains().await.unwrap().ok());
        app.stop().await;
    }
);

both_backends!(
    a_refused_extension_changes_nothing,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, intake) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let (_, sup) = app
            .token_user("duban", &[Role::Supervisor], Some("AWB"))
            .await;
        let (_, m) = app
            .post_json(
                &intake,
                "/api/v1/matters",
                &phone_complaint("13822224444", "拒绝"),
            )
            .await;
        let n = m["number"].as_str().unwrap().to_owned();
        let (reply, _) = due(&m, "reply_due");
        let (s, x) = app
        .post_json(
            &intake,
            &format!("/api/v1/matters/{n}/extensions"),
            &json!({"deadline": "reply_due", "new_due_at": (reply + Duration::days(2)).to_rfc3339(), "reason": "等待部门意见"}),
        )
        .await;
        assert_eq!(s, 201, "{x}");
        let id = x["id"].as_str().unwrap();
        let (_, x) = app
            .post_json(
                &sup,
                &format!("/api/v1/extensions/{id}/decision"),
                &json!({"approve": false, "note": "请按原时间答复"}),
            )
            .await;
        assert_eq!(x["state"], "refused");
        let (_, m) = app.get_json(&intake, &format!("/api/v1/matters/{n}")).await;
        assert_eq!(due(&m, "reply_due").0, reply);
        assert_eq!(m["caller_to_be_told"], false);
        app.stop().await;
    }
);

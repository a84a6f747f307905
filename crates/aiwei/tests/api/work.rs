//! Work queues, the supervision board and notifications.

use aiwei_core::Role;
use chrono::Duration;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, Desk, TestApp, phone_complaint};

/// The queue `code` of a `GET /api/v1/work` answer.
pub fn queue<'a>(work: &'a Value, code: &str) -> &'a Value {
    work["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["code"] == code)
        .unwrap_or_else(|| panic!("no queue {code} in {work}"))
}

both_backends!(
    queues_boards_and_notifications_follow_the_work,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let Desk {
            intake,
            handler,
            other,
            supervisor: sup,
            ..
        } = app.desk().await;
        let (_, m) = app
            .post_json(
                &intake,
                "/api/v1/matters",
                &phone_complaint("13811112222", "队列"),
            )
            .await;
        let n = m["number"].as_str().unwrap().to_owned();

        let (_, w) = app.get_json(&intake, "/api/v1/work").await;
        assert_eq!(queue(&w, "to_dispatch")["count"], 1);
        assert_eq!(queue(&w, "to_dispatch")["items"][0]["number"], n.as_str());
        let (_, w) = app.get_json(&handler, "/api/v1/work").await;
        assert_eq!(queue(&w, "to_sign")["count"], 0);

        app.post_json(
            &intake,
            &format!("/api/v1/matters/{n}/actions"),
            &json!({"action": "dispatch", "lead": "HJWS"}),
        )
        .await;
        let (_, w) = app.get_json(&intake, "/api/v1/work").await;
        assert_eq!(queue(&w, "to_dispatch")["count"], 0);
        let (_, w) = app.get_json(&handler, "/api/v1/work").await;
        assert_eq!(queue(&w, "to_sign")["count"], 1);
        let (_, w) = app.get_json(&other, "/api/v1/work").await;
        assert_eq!(
            queue(&w, "to_sign")["count"],
            0,
            "another department's queue stays empty"
        );

        // The department was told at once.
        let (_, notes) = app.get_json(&handler, "/api/v1/notifications").await;
        assert_eq!(notes["unread"], 1);
        assert_eq!(notes["items"][0]["kind"], "dispatched");
        assert_eq!(notes["items"][0]["number"], n.as_str());
        let (s, _) = app
            .post_json(&handler, "/api/v1/notifications/read", &json!({}))
            .await;
        assert_eq!(s, 204);
        let (_, notes) = app.get_json(&handler, "/api/v1/notifications").await;
        assert_eq!(notes["unread"], 0);

        // Forty days later everything is overdue: the board groups it.
        let (s, _) = app.get_json(&handler, "/api/v1/supervision").await;
        assert_eq!(s, 403);
        app.store
            .sweep(app.now() + Duration::days(40), 1000)
            .await
            .unwrap();
        app.advance(Duration::days(40));
        let (s, board) = app.get_json(&sup, "/api/v1/supervision").await;
        assert_eq!(s, 200);
        let groups = board["departments"].as_array().unwrap();
        let hjws = groups.iter().find(|g| g["department"] == "HJWS").unwrap();
        assert_eq!(hjws["overdue"], 3, "{hjws}");
        assert!(hjws["items"][0]["overdue_minutes"].as_i64().unwrap() > 30 * 24 * 60);
        let desk = groups.iter().find(|g| g["department"].is_null()).unwrap();
        assert_eq!(desk["items"][0]["kind"], "reply_due");
        let (_, notes) = app.get_json(&sup, "/api/v1/notifications").await;
        assert_eq!(notes["unread"], 4);
        app.stop().await;
    }
);

both_backends!(work_pages_render, |backend: Backend| async move {
    let app = TestApp::spawn(backend).await;
    let (_, intake) = app
        .token_user("jieting", &[Role::Intake], Some("AWB"))
        .await;
    let (_, password) = app
        .user("duban", &[Role::Supervisor, Role::Handler], Some("HJWS"))
        .await;
    let n = app.dispatched(&intake, "13811113333", "HJWS").await;
    app.log_in("duban", &password).await;
    let r = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/work");
    let html = app.html("/work").await;
    assert!(
        html.contains("待签收") && html.contains(&n),
        "the queue lists the matter"
    );
    assert!(
        html.contains("id=\"unread-badge\">1<"),
        "the unread count is shown"
    );
    app.store
        .sweep(app.now() + Duration::days(40), 1000)
        .await
        .unwrap();
    let html = app.html("/supervision").await;
    assert!(html.contains("HJWS科") && html.contains("超时"), "{html}");
    let html = app.html(&format!("/matters/{n}")).await;
    assert!(html.contains("已超时"), "the matter page shows its clocks");
    let html = app.html("/notifications").await;
    assert!(html.contains("时限已超期"));
    let csrf = crate::pages::csrf_of(&html);
    let r = app
        .post_form("/notifications", &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.store
            .unread_count(
                app.store
                    .user_by_name(&aiwei_core::Username::parse("duban").unwrap())
                    .await
                    .unwrap()
                    .id
            )
            .await
            .unwrap(),
        0
    );
    app.stop().await;
});

both_backends!(
    extensions_through_the_pages,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, intake) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let (_, lead_pw) = app.user("keshi", &[Role::DeptLead], Some("HJWS")).await;
        let (_, sup_pw) = app.user("duban", &[Role::Supervisor], Some("AWB")).await;
        let n = app.dispatched(&intake, "13833334444", "HJWS").await;

        app.log_in("keshi", &lead_pw).await;
        let html = app.html(&format!("/matters/{n}")).await;
        assert!(html.contains("申请延期"));
        let csrf = crate::pages::csrf_of(&html);
        let later = (app.now() + Duration::days(40))
            .with_timezone(&aiwei_core::time::china())
            .format("%Y-%m-%dT%H:%M")
            .to_string();
        let r = app
            .post_form(
                &format!("/matters/{n}/extensions"),
                &[
                    ("csrf", csrf.as_str()),
                    ("deadline", "rectify_due"),
                    ("new_due_at", later.as_str()),
                    ("reason", ""),
                ],
            )
            .await;
        assert_eq!(r.status(), 422, "a reason is required");
        let r = app
            .post_form(
                &format!("/matters/{n}/extensions"),
                &[
                    ("csrf", csrf.as_str()),
                    ("deadline", "rectify_due"),
                    ("new_due_at", later.as_str()),
                    ("reason", "雨季施工受限"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);

        app.log_in("duban", &sup_pw).await;
        let html = app.html("/supervision").await;
        assert!(
            html.contains("待审批的延期申请") && html.contains("雨季施工受限"),
            "{html}"
        );
        let id = html
            .split("id=\"approve-")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let csrf = crate::pages::csrf_of(&html);
        let r = app
            .post_form(
                &format!("/extensions/{id}/decision"),
                &[("csrf", csrf.as_str()), ("approve", "1"), ("note", "同意")],
            )
            .await;
        assert_eq!(r.status(), 303);
        let html = app.html(&format!("/matters/{n}")).await;
        assert!(html.contains("已批准"));
        assert!(
            html.contains("id=\"tell-caller\""),
            "the caller must be told"
        );
        let (_, m) = app.get_json(&intake, &format!("/api/v1/matters/{n}")).await;
        assert_eq!(m["caller_to_be_told"], true);
        app.stop().await;
    }
);

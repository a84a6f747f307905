//! Hotspots (R-3.1.2, issue 10): places with repeated complaints of one
//! sub-category within the window, acknowledged and closed by supervisors,
//! on both backends.

use aiwei_core::Role;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, phone_complaint};

fn places(v: &Value) -> Vec<(String, i64)> {
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|h| {
            (
                h["place"].as_str().unwrap().to_owned(),
                h["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

both_backends!(
    repeated_complaints_at_one_place_are_a_hotspot_until_solved,
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
        let mut n = 0;
        let mut record = |category: &'static str, address: &'static str| {
            n += 1;
            let phone = format!("138111160{n:02}");
            let app = &app;
            let clerk = clerk.clone();
            async move {
                let mut body = phone_complaint(&phone, "热点");
                body["category"] = json!(category);
                body["location"]["address"] = json!(address);
                body["received_at"] = json!(app.now().to_rfc3339());
                let (s, m) = app.post_json(&clerk, "/api/v1/matters", &body).await;
                assert_eq!(s, 201, "{m}");
            }
        };
        for (category, address) in [
            ("vector.rodent", "解放路幸福里小区3号楼"),
            ("vector.rodent", "幸福里小区东门"),
            ("vector.rodent", "幸福里小区5号楼后面"),
            ("env.garbage", "幸福里小区东门"),
            ("vector.rodent", "幸福路12号"),
            ("vector.rodent", "幸福路12号院内"),
        ] {
            record(category, address).await;
        }
        let (s, h) = app.get_json(&sup, "/api/v1/hotspots").await;
        assert_eq!(s, 200, "{h}");
        assert_eq!(places(&h), vec![("幸福里小区".to_owned(), 3)]);
        assert_eq!((h["min"].as_i64(), h["days"].as_i64()), (Some(3), Some(30)));
        let one = &h["items"][0];
        assert_eq!(one["category"]["name"], "鼠患");
        assert_eq!(one["matters"].as_array().unwrap().len(), 3);
        let weekly: i64 = one["weekly"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_i64().unwrap())
            .sum();
        assert_eq!(weekly, 3);
        assert!(one["acknowledged"].is_null());
        let (s, _) = app.get_json(&handler, "/api/v1/hotspots").await;
        assert_eq!(s, 403);

        // Acknowledged with a note.
        let mark = |place: &str, note: &str| json!({"place": place, "category": "vector.rodent", "note": note});
        let (s, e) = app
            .post_json(
                &sup,
                "/api/v1/hotspots/acknowledge",
                &mark("幸福里小区", "好"),
            )
            .await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some("note")));
        let (s, e) = app
            .post_json(
                &sup,
                "/api/v1/hotspots/acknowledge",
                &mark("文三路88号", "已安排排查"),
            )
            .await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (422, Some("not_a_hotspot"))
        );
        let (s, h) = app
            .post_json(
                &sup,
                "/api/v1/hotspots/acknowledge",
                &mark("幸福里小区", "已协调街道集中灭鼠"),
            )
            .await;
        assert_eq!(s, 200, "{h}");
        assert_eq!(h["items"][0]["acknowledged"]["note"], "已协调街道集中灭鼠");
        // Closed when solved: its complaints no longer count.
        let (s, h) = app
            .post_json(
                &sup,
                "/api/v1/hotspots/close",
                &mark("幸福里小区", "鼠洞已封堵，复查无鼠迹"),
            )
            .await;
        assert_eq!((s, places(&h)), (200, vec![]));
        let (_, admin) = app.token_user("admin", &[Role::Admin], None).await;
        let (_, trail) = app.get_json(&admin, "/api/v1/audit?limit=50").await;
        let actions: Vec<&str> = trail["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["action"].as_str().unwrap())
            .collect();
        assert!(
            actions.contains(&"hotspot.acknowledge") && actions.contains(&"hotspot.close"),
            "{actions:?}"
        );

        // New complaints there make a new hotspot, not yet acknowledged.
        app.advance(chrono::Duration::minutes(5));
        for _ in 0..3 {
            record("vector.rodent", "幸福里小区2号楼").await;
        }
        let (_, h) = app.get_json(&sup, "/api/v1/hotspots").await;
        assert_eq!(places(&h), vec![("幸福里小区".to_owned(), 3)]);
        assert!(h["items"][0]["acknowledged"].is_null(), "{h}");

        // The rule is the policy's: two complaints make one.
        let (_, current) = app.get_json(&admin, "/api/v1/policy").await;
        let mut policy = current["policy"].clone();
        policy["hotspot_min"] = json!(2);
        let (s, saved) = app.put_policy(&admin, &policy).await;
        assert_eq!(s, 200, "{saved}");
        let (_, h) = app.get_json(&sup, "/api/v1/hotspots").await;
        assert_eq!(
            places(&h),
            vec![("幸福里小区".to_owned(), 3), ("幸福路12号".to_owned(), 2)]
        );

        // The board shows them.
        let (_, pw) = app.user("duban2", &[Role::Supervisor], Some("AWB")).await;
        app.log_in("duban2", &pw).await;
        let board = app.html("/supervision").await;
        assert!(
            board.contains("热点问题") && board.contains("幸福路12号") && board.contains("鼠患"),
            "{board}"
        );
        app.stop().await;
    }
);

//! Likely duplicates (并单) proposed before and after saving, and merging
//! into one from the intake form (issue 10), on both backends.

use aiwei_core::Role;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, phone_complaint};
use crate::pages::csrf_of;

fn found(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|d| d["number"].as_str().unwrap().to_owned())
        .collect()
}

/// The intake form's idempotency key.
fn attempt_of(form: &str) -> String {
    form.split("name=\"attempt\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned()
}

both_backends!(
    recent_complaints_of_one_kind_at_one_place_are_proposed_and_merged_from_intake,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, pw) = app.user("jieting", &[Role::Intake], Some("AWB")).await;
        let (_, clerk) = app
            .token_user("jieting_t", &[Role::Intake], Some("AWB"))
            .await;
        let (_, bmfz) = app
            .token_user("fangzhi", &[Role::Handler], Some("BMFZ"))
            .await;
        app.user("jingban", &[Role::Handler], Some("HJWS")).await;
        // The first report, dispatched to HJWS.
        let lead = app.dispatched(&clerk, "13811118001", "HJWS").await;

        let draft = |category: &str, address: &str, content: &str| json!({"type": "complaint", "category": category, "address": address, "content": content});
        let same = draft(
            "env.garbage",
            "幸福里小区东门",
            "小区东门垃圾堆了好几天，没人来清运",
        );
        let (s, d) = app.post_json(&clerk, "/api/v1/duplicates", &same).await;
        assert_eq!(s, 200, "{d}");
        assert_eq!(found(&d), vec![lead.clone()]);
        assert_eq!(d["items"][0]["same_place"], true);
        assert_eq!(d["items"][0]["mergeable"], true);
        let score = d["items"][0]["score"].as_f64().unwrap();
        assert!((0.5..=1.0).contains(&score), "{d}");
        // Another kind, or another place in other words: none.
        for other in [
            draft("vector.rodent", "幸福里小区东门", "小区东门老鼠很多"),
            draft("env.garbage", "文三路88号", "路边广告牌破损掉落"),
        ] {
            let (s, d) = app.post_json(&clerk, "/api/v1/duplicates", &other).await;
            assert_eq!((s, found(&d)), (200, Vec::<String>::new()), "{other}");
        }
        // The same words at another address: still proposed.
        let (_, d) = app
            .post_json(
                &clerk,
                "/api/v1/duplicates",
                &draft(
                    "env.garbage",
                    "",
                    "幸福里小区3号楼门口垃圾堆放三天无人清运，气味很大。",
                ),
            )
            .await;
        assert_eq!(found(&d), vec![lead.clone()]);
        // Only intake asks before saving.
        let (s, _) = app.post_json(&bmfz, "/api/v1/duplicates", &same).await;
        assert_eq!(s, 403);

        // After saving, the matter page proposes it too; a department that
        // does not see the lead is not shown it.
        let mut body = phone_complaint("13811118002", "邻居");
        body["location"]["address"] = json!("幸福里小区东门");
        let (s, m) = app.post_json(&clerk, "/api/v1/matters", &body).await;
        assert_eq!(s, 201);
        let m = m["number"].as_str().unwrap().to_owned();
        let (s, d) = app
            .get_json(&clerk, &format!("/api/v1/matters/{m}/duplicates"))
            .await;
        assert_eq!((s, found(&d)), (200, vec![lead.clone()]), "{d}");
        let own = app.dispatched(&clerk, "13811118003", "BMFZ").await;
        let (_, d) = app
            .get_json(&bmfz, &format!("/api/v1/matters/{own}/duplicates"))
            .await;
        assert_eq!(found(&d), Vec::<String>::new(), "BMFZ does not see {lead}");

        // Out of the window (7 days by default): none.
        app.advance(chrono::Duration::days(8));
        let (_, d) = app.post_json(&clerk, "/api/v1/duplicates", &same).await;
        assert_eq!(found(&d), Vec::<String>::new());
        app.advance(chrono::Duration::days(-8));

        // From the intake form: chosen in the panel, merged once saved.
        app.log_in("jieting", &pw).await;
        let form = app.html("/intake").await;
        let csrf = csrf_of(&form);
        let r = app
            .post_form(
                "/intake/assist",
                &[
                    ("csrf", csrf.as_str()),
                    ("content", "小区东门垃圾堆了好几天"),
                    ("type", "complaint"),
                    ("category", "env.garbage"),
                    ("address", "幸福里小区东门"),
                ],
            )
            .await;
        let html = r.text().await.unwrap();
        assert!(
            html.contains(&format!("name=\"merge_into\" value=\"{lead}\"")),
            "{html}"
        );
        assert!(html.contains("同一地点"));
        let attempt = attempt_of(&form);
        let r = app
            .post_form(
                "/intake",
                &[
                    ("csrf", csrf.as_str()),
                    ("attempt", attempt.as_str()),
                    ("channel", "phone"),
                    ("caller_kind", "person"),
                    ("caller_name", "又一位邻居"),
                    ("caller_phone", "13811118004"),
                    ("type", "complaint"),
                    ("category", "env.garbage"),
                    ("content", "小区东门垃圾堆了好几天"),
                    ("address", "幸福里小区东门"),
                    ("agreed_reply_at", app.local_input(3).as_str()),
                    ("merge_into", lead.as_str()),
                    ("action", "submit"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.ends_with("&done=merged_into"), "{to}");
        let page = app.html(&to).await;
        assert!(
            page.contains("本事项已并入") && page.contains(&lead),
            "{page}"
        );
        // A refused merge leaves the matter recorded and says why.
        let form = app.html("/intake").await;
        let attempt = attempt_of(&form);
        let before = app.matter_count().await;
        let r = app
            .post_form(
                "/intake",
                &[
                    ("csrf", csrf_of(&form).as_str()),
                    ("attempt", attempt.as_str()),
                    ("channel", "phone"),
                    ("caller_kind", "person"),
                    ("caller_name", "咨询人"),
                    ("caller_phone", "13811118005"),
                    ("type", "consultation"),
                    ("content", "咨询垃圾清运时间"),
                    ("answer", "每日清运一次"),
                    ("merge_into", lead.as_str()),
                    ("action", "submit"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        assert_eq!(app.matter_count().await, before + 1);
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.ends_with("&refused=not_mergeable"), "{to}");
        let page = app.html(&to).await;
        assert!(page.contains("已登记，但未能并单"), "{page}");
        app.stop().await;
    }
);

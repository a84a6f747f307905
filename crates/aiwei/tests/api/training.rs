//! Training of the staff: sessions with attendance, scores and
//! materials; each one's record; who is due again.

use serde_json::json;

use crate::both_backends;
use crate::helpers::*;
use aiwei_core::Role;

both_backends!(
    sessions_records_materials_and_who_is_due,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (a, ta) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let (b, tb) = app
            .token_user("jieting2", &[Role::Intake], Some("AWB"))
            .await;
        let (_, sup) = app
            .token_user("duban", &[Role::Supervisor], Some("AWB"))
            .await;
        let today = app
            .now()
            .with_timezone(&aiwei_core::time::china())
            .date_naive();
        let body = json!({
            "held_on": (today - chrono::Duration::days(10)).to_string(),
            "topic": "communication",
            "title": "来电接听礼仪与沟通技巧",
            "trainer": "李老师",
            "hours": 2,
            "attendees": [
                {"user": a.id.0, "attended": true, "score": 92.5},
                {"user": b.id.0, "attended": false},
            ],
        });
        let (s, v) = app
            .post_json(&sup, "/api/v1/training/sessions", &body)
            .await;
        assert_eq!(s, 201, "{v}");
        let id = v["session"]["id"].as_str().unwrap().to_owned();
        assert_eq!(v["session"]["attended"], 1);
        assert_eq!(v["session"]["invited"], 2);
        // Only supervisors record sessions.
        let (s, _) = app.post_json(&ta, "/api/v1/training/sessions", &body).await;
        assert_eq!(s, 403);
        // A score for someone absent, or out of range, is refused.
        let mut bad = body.clone();
        bad["attendees"][1]["score"] = json!(60);
        let (s, e) = app.post_json(&sup, "/api/v1/training/sessions", &bad).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("attendees.1.score"))
        );
        // A material.
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(crate::matrix::PNG.to_vec()).file_name("讲义.png"),
        );
        let r = app
            .client
            .post(app.url(&format!("/api/v1/training/sessions/{id}/materials")))
            .bearer_auth(&sup)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let m: serde_json::Value = r.json().await.unwrap();
        let r = app
            .client
            .get(app.url(&format!(
                "/api/v1/training/materials/{}",
                m["id"].as_str().unwrap()
            )))
            .bearer_auth(&ta)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.bytes().await.unwrap().as_ref(), crate::matrix::PNG);
        let (_, detail) = app
            .get_json(&sup, &format!("/api/v1/training/sessions/{id}"))
            .await;
        assert_eq!(detail["materials"][0]["file_name"], "讲义.png");
        // Records: A attended 10 days ago and is not due; B never attended.
        let (_, rec) = app.get_json(&ta, "/api/v1/training/record").await;
        assert_eq!(
            rec["last"],
            json!((today - chrono::Duration::days(10)).to_string())
        );
        assert_eq!(rec["overdue"], false);
        assert_eq!(rec["sessions"][0]["score"], 92.5);
        let (_, rec) = app
            .get_json(&sup, &format!("/api/v1/training/record?staff={}", b.id.0))
            .await;
        assert_eq!(rec["overdue"], true);
        assert_eq!(rec["sessions"][0]["attended"], false);
        // Nobody reads another's record but a supervisor.
        let (s, _) = app
            .get_json(&tb, &format!("/api/v1/training/record?staff={}", a.id.0))
            .await;
        assert_eq!(s, 403);
        let (_, due) = app.get_json(&sup, "/api/v1/training/due").await;
        let due = due.as_array().unwrap();
        let of = |name: &str| due.iter().find(|d| d["name"] == name).unwrap().clone();
        assert_eq!(of("测试jieting2")["overdue"], true);
        assert_eq!(of("测试jieting")["overdue"], false);
        // The overdue come first.
        assert_eq!(due[0]["overdue"], true);
        app.stop().await;
    }
);

both_backends!(
    the_training_and_assessment_pages_record_and_show,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (clerk, clerk_pw) = app.user("jieting", &[Role::Intake], Some("AWB")).await;
        let (sup, sup_pw) = app.user("duban", &[Role::Supervisor], Some("AWB")).await;
        app.log_in(sup.username.as_str(), &sup_pw).await;
        let page = app.html("/training").await;
        assert!(page.contains("登记培训") && page.contains("id=\"due-table\""));
        let csrf = crate::pages::csrf_of(&page);
        let id = clerk.id.0.to_string();
        let today = app
            .now()
            .with_timezone(&aiwei_core::time::china())
            .date_naive()
            .to_string();
        let form = [
            ("csrf", csrf.as_str()),
            ("held_on", today.as_str()),
            ("topic", "emergency"),
            ("title", "病媒生物突发事件应急处置"),
            ("trainer", "王老师"),
            ("hours", "1.5"),
            ("invited", id.as_str()),
            ("present", id.as_str()),
            (&format!("score.{id}"), "88"),
        ];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, *v)).collect();
        let r = app.post_form("/training", &form).await;
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        let page = app.html(&to).await;
        assert!(
            page.contains("病媒生物突发事件应急处置") && page.contains("出席 1 / 应到 1"),
            "{page}"
        );
        // A form without a title comes back with the reason.
        let mut bad = form.clone();
        bad[3] = ("title", " ");
        let r = app.post_form("/training", &bad).await;
        let page = r.text().await.unwrap();
        assert!(page.contains("id=\"training-error\""), "{page}");

        // Assessing on the page.
        let page = app.html("/assessments?period=2026-10").await;
        assert!(page.contains("考核：2026年10月") && page.contains("测试jieting"));
        let csrf = crate::pages::csrf_of(&page);
        let r = app
            .post_form(
                "/assessments",
                &[
                    ("csrf", csrf.as_str()),
                    ("staff", id.as_str()),
                    ("period", "2026-10"),
                    ("items", "服务态度 +3\n工作纪律 -1"),
                    ("comment", "表现良好"),
                    ("consequence", "commendation"),
                    ("reason", "群众来信表扬"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let page = app.html("/assessments?period=2026-10").await;
        // No figures in October: no score, no rating.
        assert!(
            page.contains("无数据，未评级") && page.contains("表彰：群众来信表扬"),
            "{page}"
        );
        let r = app
            .post_form(
                "/assessments",
                &[
                    ("csrf", csrf.as_str()),
                    ("staff", id.as_str()),
                    ("period", "2026-10"),
                    ("items", "服务态度 +30"),
                ],
            )
            .await;
        let page = r.text().await.unwrap();
        assert!(page.contains("id=\"assess-error\""), "{page}");

        // The clerk sees their own record and result.
        app.log_in(clerk.username.as_str(), &clerk_pw).await;
        let page = app.html("/training").await;
        assert!(page.contains("病媒生物突发事件应急处置") && page.contains("88"));
        assert!(!page.contains("登记培训"));
        let page = app.html("/assessments?period=2026-10").await;
        assert!(page.contains("本人考核结果") && page.contains("群众来信表扬"));
        assert!(!page.contains("id=\"assess-table\""));
        app.stop().await;
    }
);

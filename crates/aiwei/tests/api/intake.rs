//! Intake through the API.

use aiwei_core::Role;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, captured_log, phone_complaint};

both_backends!(phone_and_visit_round_trip, |backend: Backend| async move {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app
        .token_user("jieting", &[Role::Intake], Some("AWB"))
        .await;
    let received = chrono::Utc::now() - chrono::Duration::minutes(5);
    let reply = received + chrono::Duration::days(2);
    let call = json!({
        "channel": "phone",
        "received_at": received.to_rfc3339(),
        "ring_seconds": 9,
        "caller": {"kind": "person", "name": "张三", "phone": "138-1234-5678"},
        "type": "complaint",
        "category": "vector.mosquito",
        "content": "公园东门水池积水，蚊虫很多。",
        "location": {"address": "人民路128号人民公园东门", "area_code": "330105", "latitude": 30.3, "longitude": 120.1},
        "sensitive": true,
        "agreed_reply_at": reply.to_rfc3339()
    });
    let (status, created) = app.post_json(&token, "/api/v1/matters", &call).await;
    assert_eq!(status, 201, "{created}");
    let number = created["number"].as_str().unwrap().to_owned();
    assert!(
        number.starts_with("AW") && number.ends_with("-000001"),
        "{number}"
    );
    assert!(created["id"].is_string());
    assert_eq!(created["status"], "received");

    let (status, m) = app
        .get_json(&token, &format!("/api/v1/matters/{number}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(m["channel"], "phone");
    assert_eq!(m["ring_seconds"], 9);
    assert_eq!(m["caller"]["kind"], "person");
    assert_eq!(m["caller"]["name"], "张三");
    assert_eq!(m["caller"]["phone"], "13812345678");
    assert_eq!(m["caller"]["masked"], false);
    assert_eq!(m["type"], "complaint");
    assert_eq!(m["category"]["code"], "vector.mosquito");
    assert_eq!(m["content"], "公园东门水池积水，蚊虫很多。");
    assert_eq!(m["location"]["address"], "人民路128号人民公园东门");
    assert_eq!(m["location"]["area_code"], "330105");
    assert_eq!(m["location"]["latitude"], 30.3);
    assert_eq!(m["location"]["longitude"], 120.1);
    assert_eq!(m["sensitive"], true);
    assert_eq!(m["department"]["code"], "AWB");
    let at = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
            .unwrap()
            .timestamp_millis()
    };
    assert_eq!(at(&m["received_at"]), received.timestamp_millis());
    assert_eq!(at(&m["agreed_reply_at"]), reply.timestamp_millis());
    let events = m["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["kind"], "received");
    assert_eq!(events[0]["payload"]["number"], number.as_str());

    // By id as well as by number.
    let (status, by_id) = app
        .get_json(
            &token,
            &format!("/api/v1/matters/{}", created["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(by_id["number"], number.as_str());

    let arrived = chrono::Utc::now() - chrono::Duration::minutes(30);
    let began = arrived + chrono::Duration::minutes(4);
    let visit = json!({
        "channel": "visit",
        "received_at": began.to_rfc3339(),
        "arrived_at": arrived.to_rfc3339(),
        "caller": {"kind": "organization", "name": "李经理", "organization": "阳光物业服务有限公司", "phone": "0571-88886666"},
        "type": "consultation",
        "category": "policy.regulation",
        "content": "咨询小区病媒生物防制的责任划分。",
        "answer": "依据《病媒生物预防控制管理规定》，物业服务企业负责小区公共区域的病媒生物防制。"
    });
    let (status, created) = app.post_json(&token, "/api/v1/matters", &visit).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "closed");
    let number = created["number"].as_str().unwrap();
    assert!(number.ends_with("-000002"));
    let (_, m) = app
        .get_json(&token, &format!("/api/v1/matters/{number}"))
        .await;
    assert_eq!(m["channel"], "visit");
    assert_eq!(at(&m["arrived_at"]), arrived.timestamp_millis());
    assert_eq!(m["ring_seconds"], Value::Null);
    assert_eq!(m["caller"]["organization"], "阳光物业服务有限公司");
    assert_eq!(m["caller"]["name"], "李经理");
    assert_eq!(m["caller"]["phone"], "057188886666");
    assert!(m["answer"].as_str().unwrap().contains("物业服务企业"));
    assert!(m["closed_at"].is_string());
    let kinds: Vec<&str> = m["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["received", "answered"]);
    app.stop().await;
});

both_backends!(
    bad_input_is_refused_by_field_and_writes_nothing,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, token) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let good = phone_complaint("13900001111", "王五");
        let with = |path: &[&str], v: Value| {
            let mut body = good.clone();
            let mut at = &mut body;
            for p in &path[..path.len() - 1] {
                at = at.get_mut(*p).unwrap();
            }
            at[path[path.len() - 1]] = v;
            body
        };
        let cases: Vec<(Value, u16, &str, &str)> = vec![
            (
                with(&["caller", "phone"], Value::Null),
                422,
                "caller.phone",
                "required",
            ),
            (
                with(&["caller", "name"], Value::Null),
                422,
                "caller.name",
                "required",
            ),
            (
                with(&["type"], json!("praise")),
                422,
                "type",
                "unknown_value",
            ),
            (
                with(&["category"], json!("no.such")),
                422,
                "category",
                "unknown_value",
            ),
            (
                with(&["category"], json!("policy.regulation")),
                422,
                "category",
                "not_of_type",
            ),
            (
                with(
                    &["received_at"],
                    json!((chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339()),
                ),
                422,
                "received_at",
                "in_future",
            ),
            (
                with(&["received_at"], json!("yesterday")),
                422,
                "received_at",
                "invalid_value",
            ),
            (
                with(&["ring_seconds"], json!("seven")),
                422,
                "ring_seconds",
                "invalid_value",
            ),
            // A whole number may be written 12.0 (JSON Schema's integer),
            // a fraction may not.
            (
                with(&["ring_seconds"], json!(12.5)),
                422,
                "ring_seconds",
                "invalid_value",
            ),
            // Codes are taken as sent, exactly as the API document lists them.
            (
                with(&["channel"], json!(" phone")),
                422,
                "channel",
                "unknown_value",
            ),
            (
                with(&["caller", "kind"], json!("")),
                422,
                "caller.kind",
                "unknown_value",
            ),
            (
                with(&["content"], json!("垃".repeat(1_000_000 / 3))),
                422,
                "content",
                "too_long",
            ),
            (
                with(&["caller", "phone"], json!("12")),
                422,
                "caller.phone",
                "invalid_phone",
            ),
            (
                with(&["channel"], json!("fax")),
                422,
                "channel",
                "unknown_value",
            ),
            (
                with(&["colour"], json!("red")),
                422,
                "colour",
                "unknown_field",
            ),
            // Unknown fields are refused inside `caller` and `location` too.
            (
                with(&["caller", "nickname"], json!("老王")),
                422,
                "caller.nickname",
                "unknown_field",
            ),
            (
                with(&["location", "floor"], json!(3)),
                422,
                "location.floor",
                "unknown_field",
            ),
            // A reply agreed for year 9999 would never fall due.
            (
                with(&["agreed_reply_at"], json!("9999-01-01T00:00:00Z")),
                422,
                "agreed_reply_at",
                "too_far",
            ),
        ];
        for (body, status, field, code) in cases {
            let (got, err) = app.post_json(&token, "/api/v1/matters", &body).await;
            assert_eq!(got, status, "{field}: {err}");
            assert_eq!(err["error"]["field"], field, "{err}");
            assert_eq!(err["error"]["code"], code, "{err}");
            assert!(!err["error"]["message"].as_str().unwrap().is_empty());
        }
        // Malformed JSON and a wrong content type.
        let r = app
            .client
            .post(app.url("/api/v1/matters"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body("{\"channel\": \"phone\",")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "malformed_json");
        let r = app
            .client
            .post(app.url("/api/v1/matters"))
            .bearer_auth(&token)
            .header("content-type", "text/plain")
            .body(good.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 415);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unsupported_media_type");
        assert_eq!(app.matter_count().await, 0);
        // The good one goes through, with its ring time written as 12.0.
        let mut good = good;
        good["ring_seconds"] = json!(12.0);
        let (status, m) = app.post_json(&token, "/api/v1/matters", &good).await;
        assert_eq!(status, 201, "{m}");
        assert_eq!(m["ring_seconds"], 12, "{m}");
        assert_eq!(app.matter_count().await, 1);
        app.stop().await;
    }
);

both_backends!(callers_stay_out_of_the_log, |backend: Backend| async move {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app
        .token_user("jieting", &[Role::Intake], Some("AWB"))
        .await;
    // A canary number and name that appear nowhere else in the suite.
    let suffix = format!("{:04}", rand_suffix());
    let phone = format!("1370000{suffix}");
    let name = format!("金丝雀{suffix}");
    let mut body = phone_complaint(&phone, &name);
    body["caller"]["organization"] = json!(format!("金丝雀公司{suffix}"));
    let (status, _) = app.post_json(&token, "/api/v1/matters", &body).await;
    assert_eq!(status, 201);
    // An invalid request echoing the data must not log it either.
    body["type"] = json!("nonsense");
    let (status, err) = app.post_json(&token, "/api/v1/matters", &body).await;
    assert_eq!(status, 422);
    assert!(!err.to_string().contains(&phone));
    let (status, history) = app
        .post_json(&token, "/api/v1/callers/history", &json!({"phone": phone}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(history["items"].as_array().unwrap().len(), 1);
    let log = captured_log();
    assert!(log.contains("matter recorded"), "the log was captured");
    assert!(!log.contains(&phone), "phone number in the log");
    assert!(!log.contains(&name), "caller name in the log");
    assert!(
        !log.contains(&format!("金丝雀公司{suffix}")),
        "organisation in the log"
    );
    app.stop().await;
});

fn rand_suffix() -> u32 {
    (uuid::Uuid::now_v7().as_u128() % 10_000) as u32
}

both_backends!(
    caller_history_finds_earlier_matters_by_any_spelling,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, token) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        for _ in 0..2 {
            let (s, _) = app
                .post_json(
                    &token,
                    "/api/v1/matters",
                    &phone_complaint("13655556666", "赵六"),
                )
                .await;
            assert_eq!(s, 201);
        }
        app.post_json(
            &token,
            "/api/v1/matters",
            &phone_complaint("13655557777", "钱七"),
        )
        .await;
        let (s, h) = app
            .post_json(
                &token,
                "/api/v1/callers/history",
                &json!({"phone": "+86 136-5555-6666"}),
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(h["items"].as_array().unwrap().len(), 2);
        let (s, _) = app
            .post_json(&token, "/api/v1/callers/history", &json!({"phone": "abc"}))
            .await;
        assert_eq!(s, 422);
        app.stop().await;
    }
);

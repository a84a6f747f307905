//! The telephone exchange: call events measured into the intake, the
//! clerk's page told as the extension rings, missed calls called back, and
//! bad events refused without a trace.

use aiwei_core::Role;
use chrono::Duration;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, phone_complaint};

pub const KEY: &str = "exchange-key-0123456789";

pub async fn exchange_app(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |c| c.telephony_key = Some(KEY.into())).await
}

/// Posts one event as the exchange.
pub async fn event(app: &TestApp, body: &Value) -> (u16, Value) {
    app.post_json(KEY, "/api/v1/telephony/events", body).await
}

/// Seats `user` at extension 8001.
pub async fn seat(app: &TestApp, user: &aiwei_store::users::User) {
    app.store
        .set_extension_audited(
            user.id,
            Some("8001"),
            &aiwei_store::trail::AuditActor::cli(),
            app.now(),
        )
        .await
        .unwrap();
}

/// A clerk seated at extension 8001, with their token.
pub async fn seated_clerk(app: &TestApp, name: &str) -> (aiwei_store::users::User, String) {
    let (clerk, token) = app.token_user(name, &[Role::Intake], Some("AWB")).await;
    seat(app, &clerk).await;
    (clerk, token)
}

both_backends!(
    a_call_rings_is_answered_and_its_matter_carries_the_measured_seconds,
    |backend: Backend| async move {
        let app = exchange_app(backend).await;
        let (_, clerk) = seated_clerk(&app, "jieting").await;
        let rang = app.now() - Duration::seconds(12);
        let (s, b) = event(
            &app,
            &json!({"event": "ringing", "call_id": "1764490000.17", "caller": "13811112222",
                    "extension": "8001", "at": rang}),
        )
        .await;
        assert_eq!(
            (s, &b["state"], &b["changed"]),
            (200, &json!("ringing"), &json!(true)),
            "{b}"
        );
        let (s, b) = event(
            &app,
            &json!({"event": "answered", "call_id": "1764490000.17", "at": app.now()}),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["ring_seconds"], 12);
        // The exchange resends: nothing changes.
        let (s, b) = event(
            &app,
            &json!({"event": "answered", "call_id": "1764490000.17", "at": app.now()}),
        )
        .await;
        assert_eq!((s, &b["changed"]), (200, &json!(false)));
        // The clerk types 3 seconds; the exchange's 12 are recorded.
        let mut body = phone_complaint("13811112222", "来电人");
        body["ring_seconds"] = json!(3);
        body["call_id"] = json!("1764490000.17");
        let (s, m) = app.post_json(&clerk, "/api/v1/matters", &body).await;
        assert_eq!(s, 201, "{m}");
        assert_eq!(m["ring_seconds"], 12, "{m}");
        let (s, b) = event(&app, &json!({"event": "ended", "call_id": "1764490000.17"})).await;
        assert_eq!((s, &b["state"]), (200, &json!("ended")));
        // One call, one matter.
        let (s, b) = app.post_json(&clerk, "/api/v1/matters", &body).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (409, Some("call_taken")),
            "{b}"
        );
        // A call that was never answered cannot be recorded as answered.
        event(
            &app,
            &json!({"event": "ringing", "call_id": "c-2", "caller": "13811113333", "extension": "8001"}),
        )
        .await;
        body["call_id"] = json!("c-2");
        let (s, b) = app.post_json(&clerk, "/api/v1/matters", &body).await;
        assert_eq!(
            (s, b["error"]["field"].as_str()),
            (422, Some("call_id")),
            "{b}"
        );
    }
);

both_backends!(
    a_missed_call_lands_on_the_call_back_list_and_is_worked_once,
    |backend: Backend| async move {
        let app = exchange_app(backend).await;
        let (_, clerk) = seated_clerk(&app, "jieting").await;
        let (_, handler) = app
            .token_user("jingban", &[Role::Handler], Some("HJWS"))
            .await;
        // Rang and hung up before anyone answered …
        event(
            &app,
            &json!({"event": "ringing", "call_id": "m-1", "caller": "13822223333", "extension": "8001"}),
        )
        .await;
        let (s, b) = event(&app, &json!({"event": "ended", "call_id": "m-1"})).await;
        assert_eq!((s, &b["state"]), (200, &json!("missed")), "{b}");
        // … or missed in the queue before any extension rang.
        let (s, b) = event(
            &app,
            &json!({"event": "missed", "call_id": "m-2", "caller": "010-12345678"}),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        let (s, list) = app.get_json(&clerk, "/api/v1/callbacks").await;
        assert_eq!(s, 200);
        assert_eq!(list["pending"], 2, "{list}");
        let first = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["caller"] == "13822223333")
            .unwrap();
        let id = first["id"].as_str().unwrap();
        let (s, _) = app.get_json(&handler, "/api/v1/callbacks").await;
        assert_eq!(s, 403, "callers' numbers are for the desk");
        let (s, b) = app
            .post_json(
                &clerk,
                &format!("/api/v1/callbacks/{id}"),
                &json!({"outcome": "reached", "note": "已答复"}),
            )
            .await;
        assert_eq!((s, &b["outcome"]), (200, &json!("reached")), "{b}");
        assert_eq!(b["worked_by"], "测试jieting");
        let (s, b) = app
            .post_json(
                &clerk,
                &format!("/api/v1/callbacks/{id}"),
                &json!({"outcome": "unreachable"}),
            )
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (409, Some("already_called_back"))
        );
        let (_, list) = app.get_json(&clerk, "/api/v1/callbacks").await;
        assert_eq!(
            (list["pending"].as_i64(), list["reached"].as_i64()),
            (Some(1), Some(1))
        );
        let (_, all) = app.get_json(&clerk, "/api/v1/callbacks?all=true").await;
        assert_eq!(all["items"].as_array().unwrap().len(), 2);
    }
);

both_backends!(
    bad_events_are_refused_and_change_nothing,
    |backend: Backend| async move {
        let app = exchange_app(backend).await;
        let (_, clerk) = seated_clerk(&app, "jieting").await;
        let ring = json!({"event": "ringing", "call_id": "b-1", "caller": "13833334444", "extension": "8001"});
        for (token, want) in [
            ("", 401),
            ("wrong-key-0123456789", 401),
            (clerk.as_str(), 401),
        ] {
            let r = app
                .client
                .post(app.url("/api/v1/telephony/events"))
                .bearer_auth(token)
                .json(&ring)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), want, "{token}");
        }
        for (body, status, field_or_code) in [
            (json!({"event": "hangup", "call_id": "b-1"}), 422, "event"),
            (
                json!({"event": "ringing", "call_id": "b-1", "caller": "13833334444"}),
                422,
                "extension",
            ),
            (
                json!({"event": "ringing", "call_id": "b-1", "caller": "13833334444", "extension": "9999"}),
                422,
                "extension",
            ),
            (
                json!({"event": "ringing", "call_id": "b-1", "caller": "不是号码", "extension": "8001"}),
                422,
                "caller",
            ),
            (
                json!({"event": "ringing", "call_id": "b 1", "caller": "13833334444", "extension": "8001"}),
                422,
                "call_id",
            ),
            (
                json!({"event": "ringing", "call_id": "b-1", "caller": "13833334444", "extension": "8001",
                    "at": (app.now() + Duration::hours(1))}),
                422,
                "at",
            ),
            (
                json!({"event": "answered", "call_id": "never-rang"}),
                409,
                "unknown_call",
            ),
            (
                json!({"event": "ringing", "call_id": "b-1", "caller": "13833334444", "extension": "8001", "extra": 1}),
                422,
                "extra",
            ),
        ] {
            let (s, b) = event(&app, &body).await;
            assert_eq!(s, status, "{body} → {b}");
            let e = &b["error"];
            assert!(
                e["field"] == field_or_code || e["code"] == field_or_code,
                "{body} → {b}"
            );
        }
        let r = app
            .client
            .post(app.url("/api/v1/telephony/events"))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(
            app.store
                .call_by_exchange_id("b-1")
                .await
                .unwrap_err()
                .to_string(),
            "not found",
            "nothing was recorded"
        );
        let (_, list) = app.get_json(&clerk, "/api/v1/callbacks?all=true").await;
        assert_eq!(list["items"], json!([]));
        // An ended call takes no more events.
        event(&app, &ring).await;
        event(&app, &json!({"event": "answered", "call_id": "b-1"})).await;
        event(&app, &json!({"event": "ended", "call_id": "b-1"})).await;
        let (s, b) = event(&app, &json!({"event": "answered", "call_id": "b-1"})).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (409, Some("call_finished"))
        );
        // Without a configured key the endpoint is closed.
        let closed = TestApp::spawn(backend).await;
        let (s, _) = closed
            .post_json(KEY, "/api/v1/telephony/events", &ring)
            .await;
        assert_eq!(s, 401);
    }
);

/// The clerk's page stream: a ringing call at their extension arrives as a
/// `call` event, numbers and state included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clerks_stream_carries_the_ringing_call() {
    let app = exchange_app(Backend::Sqlite).await;
    let (_, pw) = app.user("jieting", &[Role::Intake], Some("AWB")).await;
    let clerk = app
        .store
        .user_by_name(&aiwei_core::Username::parse("jieting").unwrap())
        .await
        .unwrap();
    seat(&app, &clerk).await;
    app.log_in("jieting", &pw).await;
    let mut r = app
        .client
        .get(app.url("/intake/calls"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    event(
        &app,
        &json!({"event": "ringing", "call_id": "s-1", "caller": "13844445555", "extension": "8001"}),
    )
    .await;
    let mut got = String::new();
    while !got.contains("\n\n") || !got.contains("event: call") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), r.chunk())
            .await
            .expect("an event within ten seconds")
            .unwrap()
            .unwrap();
        got.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(got.contains("\"caller\":\"13844445555\""), "{got}");
    assert!(got.contains("\"state\":\"ringing\""), "{got}");
}

both_backends!(
    the_call_back_list_refuses_a_filter_it_does_not_know,
    |backend: Backend| async move {
        let app = exchange_app(backend).await;
        let (_, clerk) = seated_clerk(&app, "jieting").await;
        let (s, b) = app.get_json(&clerk, "/api/v1/callbacks?all=AAA").await;
        assert_eq!((s, b["error"]["field"].as_str()), (422, Some("all")));
        assert_eq!(app.get_json(&clerk, "/api/v1/callbacks?all=").await.0, 200);
    }
);

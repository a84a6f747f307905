//! Idempotent intake and steps: a client whose connection drops after the
//! server committed retries with the same `Idempotency-Key` and gets the
//! same matter, and nothing is written twice.

use std::net::SocketAddr;

use aiwei_core::Role;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::both_backends;
use crate::helpers::*;

/// A loopback proxy that forwards each request to `upstream` and, as soon as
/// the answer begins, drops both connections: the server has committed, the
/// client sees its connection reset and never learns the answer.
async fn lossy_proxy(upstream: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut up, mut down) = ([0u8; 16 * 1024], [0u8; 1]);
                loop {
                    tokio::select! {
                        n = client.read(&mut up) => match n {
                            Ok(0) | Err(_) => return,
                            Ok(n) => {
                                if server.write_all(&up[..n]).await.is_err() {
                                    return;
                                }
                            }
                        },
                        // The first byte of the answer: lose it, and the
                        // connection with it.
                        _ = server.read(&mut down) => return,
                    }
                }
            });
        }
    });
    addr
}

fn base_addr(app: &TestApp) -> SocketAddr {
    app.base.trim_start_matches("http://").parse().unwrap()
}

async fn events_of(app: &TestApp, number: &str) -> usize {
    app.store
        .events(
            app.store
                .matter_by_number(&number.parse().unwrap())
                .await
                .unwrap()
                .id,
        )
        .await
        .unwrap()
        .len()
}

both_backends!(
    a_retried_intake_and_step_write_once,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let desk = app.desk().await;
        let proxy = format!("http://{}", lossy_proxy(base_addr(&app)).await);
        let body = phone_complaint("13811112222", "重试人");

        // The answer to the first attempt is lost after the commit.
        let lost = app
            .client
            .post(format!("{proxy}/api/v1/matters"))
            .bearer_auth(&desk.intake)
            .header("idempotency-key", "intake-0001")
            .json(&body)
            .send()
            .await;
        assert!(lost.is_err(), "the client sees no answer");
        assert_eq!(app.matter_count().await, 1, "the server committed");
        let (stored, _) = app
            .store
            .ledger(
                &Default::default(),
                &aiwei_core::access::EVERYTHING,
                None,
                5,
            )
            .await
            .unwrap();
        let number = stored[0].number.clone();

        // The retry with the same key and body answers with that matter and
        // writes nothing.
        let retry = |key: &'static str, body: Value| {
            let c = app.client.clone();
            let url = app.url("/api/v1/matters");
            let token = desk.intake.clone();
            async move {
                let r = c
                    .post(url)
                    .bearer_auth(token)
                    .header("idempotency-key", key)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                (status, r.json::<Value>().await.unwrap())
            }
        };
        let events = events_of(&app, &number).await;
        let (s, m) = retry("intake-0001", body.clone()).await;
        assert_eq!(s, 201, "{m}");
        assert_eq!(m["number"], number.as_str());
        assert_eq!(app.matter_count().await, 1);
        assert_eq!(events_of(&app, &number).await, events);
        // The same key with another request is refused, and writes nothing.
        let mut other = body.clone();
        other["content"] = json!("另一件事：楼道堆物");
        let (s, e) = retry("intake-0001", other).await;
        assert_eq!(s, 422, "{e}");
        assert_eq!(e["error"]["code"], "idempotency_key_reused");
        assert_eq!(e["error"]["field"], "Idempotency-Key");
        assert_eq!(app.matter_count().await, 1);
        // A malformed key is refused before anything happens.
        for bad in ["bad key", "", "钥匙"] {
            let (s, e) = retry(bad, body.clone()).await;
            assert_eq!(s, 422, "{bad:?}: {e}");
            assert_eq!(e["error"]["code"], "invalid_idempotency_key");
        }
        assert_eq!(app.matter_count().await, 1);
        // Without a key, a second intake is a second matter, as before.
        let (s, _) = app.post_json(&desk.intake, "/api/v1/matters", &body).await;
        assert_eq!(s, 201);
        assert_eq!(app.matter_count().await, 2);

        // A step: dispatch, lost, retried.
        let step = json!({"action": "dispatch", "lead": "HJWS"});
        let lost = app
            .client
            .post(format!("{proxy}/api/v1/matters/{number}/actions"))
            .bearer_auth(&desk.intake)
            .header("idempotency-key", "step-0001")
            .json(&step)
            .send()
            .await;
        assert!(lost.is_err());
        let after_step = events_of(&app, &number).await;
        assert_eq!(after_step, events + 1, "the step committed once");
        let r = app
            .client
            .post(app.url(&format!("/api/v1/matters/{number}/actions")))
            .bearer_auth(&desk.intake)
            .header("idempotency-key", "step-0001")
            .json(&step)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "a replay, not a 409 for a second dispatch");
        let m: Value = r.json().await.unwrap();
        assert_eq!(m["status"], "dispatched");
        assert_eq!(
            events_of(&app, &number).await,
            after_step,
            "nothing written"
        );
        // The intake's key names the intake, not a step.
        let r = app
            .client
            .post(app.url(&format!("/api/v1/matters/{number}/actions")))
            .bearer_auth(&desk.intake)
            .header("idempotency-key", "intake-0001")
            .json(&json!({"action": "inform_caller", "channel": "phone", "content": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        app.stop().await;
    }
);

both_backends!(
    racing_attempts_with_one_key_make_one_matter,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, token) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let body = phone_complaint("13811113333", "并发人");
        let mut attempts = Vec::new();
        for _ in 0..6 {
            let c = app.client.clone();
            let url = app.url("/api/v1/matters");
            let (token, body) = (token.clone(), body.clone());
            attempts.push(tokio::spawn(async move {
                let r = c
                    .post(url)
                    .bearer_auth(token)
                    .header("idempotency-key", "race-1")
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                (status, r.json::<Value>().await.unwrap())
            }));
        }
        let mut numbers = Vec::new();
        for a in attempts {
            let (s, m) = a.await.unwrap();
            assert_eq!(s, 201, "{m}");
            numbers.push(m["number"].as_str().unwrap().to_owned());
        }
        numbers.dedup();
        assert_eq!(numbers.len(), 1, "{numbers:?}");
        assert_eq!(app.matter_count().await, 1);
        app.stop().await;
    }
);

both_backends!(
    a_form_sent_twice_records_one_matter,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, password) = app.user("jieting", &[Role::Intake], Some("AWB")).await;
        app.log_in("jieting", &password).await;
        let html = app.html("/intake").await;
        let csrf = crate::pages::csrf_of(&html);
        let attempt = html
            .split("name=\"attempt\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap()
            .to_owned();
        assert_eq!(attempt.len(), 64);
        let reply_at = app.local_input(3);
        let form = [
            ("csrf", csrf.as_str()),
            ("attempt", attempt.as_str()),
            ("channel", "phone"),
            ("caller_kind", "person"),
            ("caller_name", "双击人"),
            ("caller_phone", "13811114444"),
            ("type", "complaint"),
            ("content", "双击提交也只登记一件"),
            ("agreed_reply_at", reply_at.as_str()),
        ];
        let first = app.post_form("/intake", &form).await;
        assert_eq!(first.status(), 303);
        let second = app.post_form("/intake", &form).await;
        assert_eq!(second.status(), 303);
        assert_eq!(first.headers()["location"], second.headers()["location"]);
        assert_eq!(app.matter_count().await, 1);
        app.stop().await;
    }
);

//! Authentication and authorisation at the edge.

use aiwei_core::Role;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, phone_complaint};

both_backends!(
    unauthenticated_and_wrong_role,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let body = phone_complaint("13800001234", "张三");
        let r = app.post_cookie_json("/api/v1/matters", &body).await;
        assert_eq!(r.status(), 401);
        let err: Value = r.json().await.unwrap();
        assert_eq!(err["error"]["code"], "unauthenticated");
        for path in ["/api/v1/matters", "/api/v1/categories", "/api/v1/me"] {
            let r = app.client.get(app.url(path)).send().await.unwrap();
            assert_eq!(r.status(), 401, "{path}");
        }
        let r = app
            .client
            .get(app.url("/api/v1/matters"))
            .bearer_auth("aw_not_a_real_token")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);

        let (_, handler) = app
            .token_user("jingban", &[Role::Handler], Some("HJWS"))
            .await;
        let (status, err) = app.post_json(&handler, "/api/v1/matters", &body).await;
        assert_eq!(status, 403);
        assert_eq!(err["error"]["code"], "forbidden");
        let (status, _) = app
            .post_json(
                &handler,
                "/api/v1/callers/history",
                &json!({"phone": "13800001234"}),
            )
            .await;
        assert_eq!(status, 403);
        assert_eq!(app.matter_count().await, 0);
        app.stop().await;
    }
);

both_backends!(
    session_login_logout_and_throttle,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, password) = app.user("jieting", &[Role::Intake], Some("AWB")).await;
        // Wrong password and unknown user answer alike.
        let login = |u: &str, p: &str| json!({"username": u, "password": p});
        let r1 = app
            .post_cookie_json("/api/v1/session", &login("jieting", "nope"))
            .await;
        let s1 = r1.status();
        let b1: Value = r1.json().await.unwrap();
        let r2 = app
            .post_cookie_json("/api/v1/session", &login("nobody", "nope"))
            .await;
        let s2 = r2.status();
        let b2: Value = r2.json().await.unwrap();
        assert_eq!(s1, 401);
        assert_eq!((s1, &b1), (s2, &b2));

        let r = app
            .post_cookie_json("/api/v1/session", &login("jieting", &password))
            .await;
        assert_eq!(r.status(), 200);
        let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        let me: Value = r.json().await.unwrap();
        assert_eq!(me["username"], "jieting");
        let csrf = me["csrf_token"].as_str().unwrap().to_owned();
        assert_eq!(csrf.len(), 64);
        // The cookie now authenticates, also for intake, from our own
        // pages (the browser's Origin) ...
        let r = app
            .post_cookie_json("/api/v1/matters", &phone_complaint("13800005678", "李四"))
            .await;
        assert_eq!(r.status(), 201);
        assert_eq!(r.headers()["cache-control"], "no-store");
        // ... or from a script sending the session's token.
        let r = app
            .client
            .post(app.url("/api/v1/matters"))
            .header("x-csrf-token", &csrf)
            .json(&phone_complaint("13800005679", "李五"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        // A cookie-authenticated write with no proof of origin is refused,
        // whatever its body: JSON, an empty POST, a multipart upload.
        let before = app.matter_count().await;
        let r = app
            .client
            .post(app.url("/api/v1/matters"))
            .json(&phone_complaint("13800005680", "李六"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(app.matter_count().await, before);
        let r = app
            .client
            .post(app.url("/api/v1/notifications/read"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = app
            .client
            .post(app.url("/api/v1/matters/AW2026-000001/attachments"))
            .multipart(reqwest::multipart::Form::new().text("stage", "document"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = app
            .client
            .post(app.url("/api/v1/matters"))
            .header("x-csrf-token", "0".repeat(64))
            .json(&phone_complaint("13800005680", "李六"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "a wrong token is no proof");
        // A cross-site POST carrying the cookie is refused.
        let r = app
            .client
            .post(app.url("/api/v1/matters"))
            .header("origin", "http://evil.example")
            .json(&phone_complaint("13800005678", "李四"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        // Logout ends the session on the server.
        let r = app.delete_cookie("/api/v1/session").await;
        assert_eq!(r.status(), 204);
        let sid = cookie.split(';').next().unwrap().to_owned();
        let r = app
            .client
            .get(app.url("/api/v1/me"))
            .header("cookie", sid)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "the old cookie no longer works");

        // Five failures lock the account name, existing or not, even for the
        // right password.
        for _ in 0..5 {
            app.post_cookie_json("/api/v1/session", &login("jieting", "bad"))
                .await;
        }
        let r = app
            .post_cookie_json("/api/v1/session", &login("jieting", &password))
            .await;
        assert_eq!(r.status(), 429);
        app.stop().await;
    }
);

both_backends!(
    disabled_users_lose_sessions_and_tokens,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (user, token) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let (status, _) = app.get_json(&token, "/api/v1/me").await;
        assert_eq!(status, 200);
        app.store.set_user_active(user.id, false).await.unwrap();
        let (status, _) = app.get_json(&token, "/api/v1/me").await;
        assert_eq!(status, 401);
        app.stop().await;
    }
);

both_backends!(
    openapi_document_describes_the_api,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let r = app
            .client
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let doc: Value = r.json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let paths = doc["paths"].as_object().unwrap();
        for p in [
            "/api/v1/session",
            "/api/v1/matters",
            "/api/v1/matters/{key}",
            "/api/v1/categories",
            "/api/v1/callers/history",
        ] {
            assert!(paths.contains_key(p), "{p} missing");
        }
        assert!(paths["/api/v1/matters"]["post"].is_object());
        assert!(doc["components"]["schemas"]["IntakeRequest"].is_object());
        // No personal data in URLs: no query parameter is a phone or name.
        for (_, item) in paths {
            for (_, op) in item.as_object().unwrap() {
                for p in op["parameters"].as_array().cloned().unwrap_or_default() {
                    let name = p["name"].as_str().unwrap_or("");
                    assert!(!name.contains("phone") && !name.contains("name"), "{name}");
                }
            }
        }
        let r = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let r = app.client.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        app.stop().await;
    }
);

both_backends!(
    a_login_replaces_the_session_the_browser_held,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, pw1) = app.user("jieting", &[Role::Intake], Some("AWB")).await;
        let (_, pw2) = app.user("duban", &[Role::Supervisor], Some("AWB")).await;
        let login = |u: &str, p: &str| json!({"username": u, "password": p});
        let sid_of = |r: &reqwest::Response| {
            r.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_owned()
        };
        let r = app
            .post_cookie_json("/api/v1/session", &login("jieting", &pw1))
            .await;
        assert_eq!(r.status(), 200);
        let first = sid_of(&r);
        // Logging in again (here as someone else, on the same browser)
        // issues a new id and ends the old session on the server.
        let r = app
            .post_cookie_json("/api/v1/session", &login("duban", &pw2))
            .await;
        assert_eq!(r.status(), 200);
        let second = sid_of(&r);
        assert_ne!(first, second);
        let me = |sid: String| {
            let c = reqwest::Client::new();
            let url = app.url("/api/v1/me");
            async move {
                c.get(url)
                    .header("cookie", sid)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        assert_eq!(me(first).await, 401);
        assert_eq!(me(second).await, 200);
        app.stop().await;
    }
);

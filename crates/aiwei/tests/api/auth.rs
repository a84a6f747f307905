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
    disabled_users_lose_sessions_and_tokens_for_good,
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
        // Enabling the account again does not bring its old token back.
        app.store.set_user_active(user.id, true).await.unwrap();
        let (status, _) = app.get_json(&token, "/api/v1/me").await;
        assert_eq!(status, 401);
        app.stop().await;
    }
);

/// Adds an API token for `user` valid until `until` and returns it.
async fn token_until(
    app: &TestApp,
    user: &aiwei_store::users::User,
    until: chrono::DateTime<chrono::Utc>,
) -> (String, uuid::Uuid) {
    let (token, hash) = aiwei_server::auth::new_api_token();
    let t = app
        .store
        .add_api_token(user.id, &hash, "集成测试", until)
        .await
        .unwrap();
    (token, t.id)
}

both_backends!(
    tokens_are_revoked_one_by_one_at_once_and_expire,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (user, _) = app.user("jieting", &[Role::Intake], Some("AWB")).await;
        let (_, admin_pw) = app.user("guanli", &[Role::Admin], None).await;
        let year = app.now() + chrono::Duration::days(365);
        let (a, a_id) = token_until(&app, &user, year).await;
        let (b, _) = token_until(&app, &user, year).await;
        let (c, _) = token_until(&app, &user, app.now() + chrono::Duration::hours(1)).await;
        for t in [&a, &b, &c] {
            assert_eq!(app.get_json(t, "/api/v1/me").await.0, 200);
        }
        // An administrator revokes one token on the tokens page: its next
        // request is refused, the others still work.
        app.log_in("guanli", &admin_pw).await;
        let html = app.html("/admin/tokens").await;
        assert!(html.contains(&a_id.to_string()), "listed");
        assert!(!html.contains(&a), "the token itself is never shown again");
        let csrf = crate::pages::csrf_of(&html);
        let r = app
            .post_form(
                &format!("/admin/tokens/{a_id}/revoke"),
                &[("csrf", csrf.as_str())],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("已吊销"));
        assert_eq!(app.get_json(&a, "/api/v1/me").await.0, 401);
        assert_eq!(app.get_json(&b, "/api/v1/me").await.0, 200);
        // Revoking it again says so.
        let r = app
            .post_form(
                &format!("/admin/tokens/{a_id}/revoke"),
                &[("csrf", csrf.as_str())],
            )
            .await;
        assert_eq!(r.status(), 409);
        // Logging out with a token revokes it.
        let r = app
            .client
            .delete(app.url("/api/v1/session"))
            .bearer_auth(&b)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        assert_eq!(app.get_json(&b, "/api/v1/me").await.0, 401);
        // A token past its expiry is refused.
        app.advance(chrono::Duration::hours(2));
        assert_eq!(app.get_json(&c, "/api/v1/me").await.0, 401);
        // Each revocation is on the record.
        let (records, _) = app
            .store
            .audit_trail(
                &aiwei_store::trail::AuditFilter {
                    action: Some("token.revoke".into()),
                    ..Default::default()
                },
                None,
                50,
            )
            .await
            .unwrap();
        assert_eq!(records.len(), 2);
        app.stop().await;
    }
);

both_backends!(
    the_login_throttle_holds_across_instances_and_restarts,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, password) = app.user("jieting", &[Role::Intake], Some("AWB")).await;
        let second = TestApp::spawn_on(app.db.clone(), app.keys.clone()).await;
        let login = |u: &str, p: &str| json!({"username": u, "password": p});
        // Five wrong passwords through the first instance ...
        for _ in 0..5 {
            let r = app
                .post_cookie_json("/api/v1/session", &login("jieting", "wrong-pass"))
                .await;
            assert_eq!(r.status(), 401);
        }
        // ... and the sixth attempt through the second is throttled, even
        // with the right password.
        let r = second
            .post_cookie_json("/api/v1/session", &login("jieting", &password))
            .await;
        assert_eq!(r.status(), 429);
        second.stop().await;
        // A new instance (a restart) still knows.
        let third = TestApp::spawn_on(app.db.clone(), app.keys.clone()).await;
        let r = third
            .post_cookie_json("/api/v1/session", &login("jieting", &password))
            .await;
        assert_eq!(r.status(), 429);
        // Fifteen minutes after the last failure the account may try again.
        third.advance(chrono::Duration::minutes(16));
        let r = third
            .post_cookie_json("/api/v1/session", &login("jieting", &password))
            .await;
        assert_eq!(r.status(), 200);
        third.stop().await;
        app.stop().await;
    }
);

both_backends!(
    hsts_comes_with_secure_cookies_only,
    |backend: Backend| async move {
        let plain = TestApp::spawn(backend).await;
        let r = plain.client.get(plain.url("/login")).send().await.unwrap();
        assert!(r.headers().get("strict-transport-security").is_none());
        plain.stop().await;
        let tls = TestApp::spawn_with(backend, |c| c.secure_cookies = true).await;
        let r = tls.client.get(tls.url("/login")).send().await.unwrap();
        assert_eq!(
            r.headers()["strict-transport-security"],
            "max-age=31536000; includeSubDomains"
        );
        tls.stop().await;
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

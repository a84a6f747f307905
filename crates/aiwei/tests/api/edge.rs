//! The HTTP edge itself: the framework's own refusals come in the project's
//! JSON error shape, and what the program stores on disk is private to it.

use aiwei_core::Role;
use serde_json::Value;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    framework_refusals_come_in_the_json_error_shape,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, token) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let n = app.complaint(&token, "13800002222", "边界").await;
        let check = |r: reqwest::Response, status: u16, code: &'static str| async move {
            assert_eq!(r.status().as_u16(), status);
            let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
            assert!(ct.starts_with("application/json"), "{ct}");
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["error"]["code"], code, "{body}");
            assert!(!body["error"]["message"].as_str().unwrap().is_empty());
            body
        };
        let get = |path: &str| app.client.get(app.url(path)).bearer_auth(&token).send();
        // A query parameter of the wrong shape names itself.
        let body = check(
            get("/api/v1/matters?limit=-1").await.unwrap(),
            422,
            "invalid_value",
        )
        .await;
        assert_eq!(body["error"]["field"], "limit");
        check(
            get("/api/v1/matters?limit=0").await.unwrap(),
            422,
            "out_of_range",
        )
        .await;
        check(
            get("/api/v1/audit?limit=x").await.unwrap(),
            403,
            "forbidden",
        )
        .await;
        // A path segment that does not decode names nothing.
        check(
            get("/api/v1/matters/%FF%FE").await.unwrap(),
            404,
            "not_found",
        )
        .await;
        // No such route, no such method.
        check(
            get("/api/v1/no-such-thing").await.unwrap(),
            404,
            "not_found",
        )
        .await;
        let r = app
            .client
            .put(app.url(&format!("/api/v1/matters/{n}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        check(r, 405, "method_not_allowed").await;
        // A multipart body without its boundary.
        let r = app
            .client
            .post(app.url(&format!("/api/v1/matters/{n}/attachments")))
            .bearer_auth(&token)
            .header("content-type", "multipart/form-data")
            .body("--x\r\n")
            .send()
            .await
            .unwrap();
        check(r, 400, "malformed_request").await;
        // An unknown query parameter of a strict list.
        let body = check(
            get("/api/v1/disclosures?which=everyone").await.unwrap(),
            422,
            "invalid_value",
        )
        .await;
        assert_eq!(body["error"]["field"], "which");
        // Pages answer in HTML, the same code behind it.
        let r = app
            .client
            .get(app.url("/no-such-page"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        app.stop().await;
    }
);

#[cfg(unix)]
both_backends!(
    the_database_and_evidence_files_are_private,
    |backend: Backend| async move {
        use std::os::unix::fs::PermissionsExt;
        let app = TestApp::spawn(backend).await;
        let (_, token) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let n = app.complaint(&token, "13800003333", "权限").await;
        let r = app
            .client
            .post(app.url(&format!("/api/v1/matters/{n}/attachments")))
            .bearer_auth(&token)
            .multipart(
                reqwest::multipart::Form::new()
                    .text("stage", "document")
                    .part(
                        "file",
                        reqwest::multipart::Part::bytes(crate::matrix::PNG.to_vec())
                            .file_name("a.png"),
                    ),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let a: Value = r.json().await.unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let id: uuid::Uuid = a["id"].as_str().unwrap().parse().unwrap();
        let dir = app.db.dir.join("attachments");
        let file = aiwei_store::attachments::file_path(&dir, id);
        assert_eq!(mode(&file), 0o600, "evidence file");
        assert_eq!(mode(file.parent().unwrap()), 0o700, "its directory");
        assert_eq!(mode(&dir), 0o700, "the attachments directory");
        if backend == Backend::Sqlite {
            let db = app.db.dir.join("aiwei.db");
            assert_eq!(mode(&db), 0o600, "the database");
            let wal = app.db.dir.join("aiwei.db-wal");
            if wal.exists() {
                assert_eq!(mode(&wal), 0o600, "its WAL");
            }
        }
        app.stop().await;
    }
);

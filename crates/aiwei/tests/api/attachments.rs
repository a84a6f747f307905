//! Evidence attachments: type and size limits judged by content, stored
//! outside the rows, downloadable only where the matter is visible.

use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::both_backends;
use crate::helpers::{Backend, Desk, TestApp};

const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1, 2, 3,
];

async fn upload(
    app: &TestApp,
    token: &str,
    number: &str,
    name: &str,
    bytes: Vec<u8>,
    stage: &str,
) -> (u16, Value) {
    try_upload(&app.client, app, token, number, name, bytes, stage)
        .await
        .unwrap()
}

/// An upload; a server that refuses a too-large body may close the
/// connection before the client has sent it all, which is an `Err` here.
async fn try_upload(
    client: &reqwest::Client,
    app: &TestApp,
    token: &str,
    number: &str,
    name: &str,
    bytes: Vec<u8>,
    stage: &str,
) -> Result<(u16, Value), reqwest::Error> {
    let form = Form::new().text("stage", stage.to_owned()).part(
        "file",
        Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str("image/jpeg")
            .unwrap(),
    );
    let r = client
        .post(app.url(&format!("/api/v1/matters/{number}/attachments")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await?;
    let status = r.status().as_u16();
    Ok((status, r.json().await.unwrap_or(Value::Null)))
}

both_backends!(
    evidence_is_checked_stored_and_scoped,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let Desk {
            intake,
            handler,
            other,
            ..
        } = app.desk().await;
        let n = app.dispatched(&intake, "13844445555", "HJWS").await;

        let (s, a) = upload(
            &app,
            &handler,
            &n,
            "../../整改前.jpg",
            JPEG.to_vec(),
            "before",
        )
        .await;
        assert_eq!(s, 201, "{a}");
        assert_eq!(a["file_name"], "整改前.jpg", "no path survives");
        assert_eq!(a["content_type"], "image/jpeg");
        assert_eq!(a["stage"], "before");
        // A script disguised as a photo, an empty file, a bad stage: refused.
        let (s, e) = upload(
            &app,
            &handler,
            &n,
            "x.jpg",
            b"<svg onload=alert(1)>".to_vec(),
            "after",
        )
        .await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (422, Some("unsupported_file_type"))
        );
        let (s, _) = upload(&app, &handler, &n, "x.jpg", Vec::new(), "after").await;
        assert_eq!(s, 422);
        let (s, _) = upload(&app, &handler, &n, "x.jpg", JPEG.to_vec(), "someday").await;
        assert_eq!(s, 422);
        // A part the form does not have, or no stage: refused, naming it.
        let post = |form: Form| {
            app.client
                .post(app.url(&format!("/api/v1/matters/{n}/attachments")))
                .bearer_auth(&handler)
                .multipart(form)
                .send()
        };
        let jpeg = || Part::bytes(JPEG.to_vec()).file_name("x.jpg");
        let r = post(
            Form::new()
                .text("stage", "after")
                .text("note", "extra")
                .part("file", jpeg()),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 422);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["field"], "note", "{e}");
        let r = post(Form::new().part("file", jpeg())).await.unwrap();
        assert_eq!(r.status(), 422);
        // Too large: 11 MiB.
        let mut big = JPEG.to_vec();
        big.resize(11 * 1024 * 1024, 0);
        // A client of its own: the server may close the connection it
        // refuses the body on, which must not break the shared one.
        let once = reqwest::Client::new();
        match try_upload(&once, &app, &handler, &n, "big.jpg", big, "after").await {
            Ok((s, _)) => assert!(s == 413 || s == 422, "{s}"),
            Err(e) => assert!(e.is_request(), "{e}"),
        }
        // Another department neither sees nor uploads.
        let (s, _) = upload(&app, &other, &n, "x.jpg", JPEG.to_vec(), "after").await;
        assert_eq!(s, 404);

        let (_, m) = app.get_json(&intake, &format!("/api/v1/matters/{n}")).await;
        let files = m["attachments"].as_array().unwrap();
        assert_eq!(files.len(), 1);
        let url = files[0]["url"].as_str().unwrap();
        let r = app
            .client
            .get(app.url(url))
            .bearer_auth(&handler)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment;")
        );
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert_eq!(r.bytes().await.unwrap().as_ref(), JPEG);
        let r = app
            .client
            .get(app.url(url))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "the matter decides who sees its evidence");
        // The file is outside the database, named by id.
        let stored = std::fs::read_dir(app.db.dir.join("attachments"))
            .unwrap()
            .count();
        assert_eq!(stored, 1);
        let kinds: Vec<&str> = m["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert!(kinds.contains(&"attachment_added"));
        assert!(app.store.verify_chains().await.unwrap().ok());
        app.stop().await;
    }
);

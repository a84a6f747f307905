//! Residents filing and following matters themselves: the public form
//! becomes a `web` matter in the intake queue, the progress lookup shows
//! the status and the replies told to the caller and nothing internal,
//! and bad or abusive input is refused without a trace.

use aiwei_core::Role;
use chrono::Duration;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, Desk, TestApp, phone_complaint};
use crate::matrix::PNG;

/// The form's token, read from a freshly shown form.
async fn token(app: &TestApp) -> String {
    let html = app.html("/report").await;
    html.split("name=\"token\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned()
}

/// Posts the public form as a browser would, `fields` and `photos`.
async fn post_report(
    app: &TestApp,
    fields: &[(&str, &str)],
    photos: Vec<(&str, Vec<u8>)>,
) -> (u16, String) {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    for (name, bytes) in photos {
        form = form.part(
            "photos",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    }
    let r = reqwest::Client::new()
        .post(app.url("/report"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn between<'a>(page: &'a str, id: &str) -> &'a str {
    page.split(&format!("id=\"{id}\">"))
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_default()
}

async fn look_up(app: &TestApp, number: &str, code: &str) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(app.url("/progress"))
        .form(&[("number", number), ("code", code)])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The part of a page a resident reads: its `<main>`.
fn main_of(page: &str) -> String {
    page.split("<main")
        .nth(1)
        .unwrap_or_default()
        .split("</main>")
        .next()
        .unwrap_or_default()
        .to_owned()
}

both_backends!(
    a_resident_files_and_follows_a_complaint_and_sees_nothing_internal,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let Desk {
            intake, handler, ..
        } = app.desk().await;
        let t = token(&app).await;
        app.advance(Duration::seconds(10));
        let (s, page) = post_report(
            &app,
            &[
                ("token", &t),
                ("website", ""),
                ("type", "complaint"),
                ("name", "钱网民"),
                ("phone", "13766667777"),
                ("content", "公园公厕多日无人打扫，气味很大"),
                ("address", "人民公园北门"),
            ],
            vec![("ce suo.png", PNG.to_vec())],
        )
        .await;
        assert_eq!(s, 200, "{page}");
        let number = between(&page, "filed-number").to_owned();
        let code = between(&page, "filed-code").to_owned();
        assert!(number.starts_with("AW") && code.len() == 8, "{page}");

        // In the intake queue, for review before dispatch.
        let (_, w) = app.get_json(&intake, "/api/v1/work").await;
        let queue = crate::work::queue(&w, "to_dispatch");
        assert_eq!(queue["items"][0]["number"], number.as_str(), "{w}");
        let (_, m) = app
            .get_json(&intake, &format!("/api/v1/matters/{number}"))
            .await;
        assert_eq!(m["channel"], "web");
        assert_eq!(m["status"], "received");
        assert_eq!(m["attachments"].as_array().map(Vec::len), Some(1), "{m}");

        let (s, page) = look_up(&app, &number, &code.to_lowercase()).await;
        assert_eq!(s, 200, "{page}");
        assert!(page.contains("已受理，等待审核转办"), "{page}");

        // Dispatched with an internal note, handled, fed back.
        let arrived = (chrono::Utc::now() - Duration::minutes(30)).to_rfc3339();
        let planned = (chrono::Utc::now() + Duration::hours(48)).to_rfc3339();
        let steps = [
            (
                &intake,
                json!({"action": "dispatch", "lead": "HJWS", "note": "内部派单说明甲乙"}),
            ),
            (
                &handler,
                json!({"action": "sign_for", "note": "签收备注丙丁"}),
            ),
            (
                &handler,
                json!({"action": "arrive", "arrived_at": arrived, "who": "张伟", "findings": "现场核查记录戊己"}),
            ),
            (
                &handler,
                json!({"action": "plan", "measures": "整改措施庚辛", "planned_completion": planned}),
            ),
            (
                &handler,
                json!({"action": "complete", "result": "办理结果壬癸"}),
            ),
            (
                &intake,
                json!({"action": "feedback", "channel": "phone", "content": "已安排每日保洁两次，感谢您的监督"}),
            ),
        ];
        for (who, body) in steps {
            let (s, b) = app.step(who, &number, body).await;
            assert_eq!(s, 200, "{b}");
        }
        let (s, page) = look_up(&app, &number, &code).await;
        assert_eq!(s, 200);
        let shown = main_of(&page);
        assert!(
            shown.contains("办理中") && shown.contains("HJWS科"),
            "{shown}"
        );
        assert!(shown.contains("反馈来电人"), "{shown}");
        assert!(
            shown.contains("已安排每日保洁两次，感谢您的监督"),
            "{shown}"
        );
        for inside in [
            "内部派单说明甲乙",
            "签收备注丙丁",
            "现场核查记录戊己",
            "整改措施庚辛",
            "办理结果壬癸",
            "测试jieting",
            "测试jingban",
        ] {
            assert!(!shown.contains(inside), "{inside} leaked: {shown}");
        }
        assert!(!shown.contains("钱网民") && !shown.contains("13766667777"));

        // A wrong code and a wrong number answer the same way.
        let (s1, wrong_code) = look_up(&app, &number, "ABCDEFGH").await;
        let (s2, wrong_number) = look_up(&app, "AW2026-999999", &code).await;
        let (s3, garbage) = look_up(&app, "不是编号", "?").await;
        assert_eq!((s1, s2, s3), (404, 404, 404));
        let error = |p: &str| between(p, "progress-error").to_owned();
        assert_eq!(error(&wrong_code), error(&wrong_number));
        assert_eq!(error(&wrong_code), error(&garbage));
        assert!(error(&wrong_code).contains("未找到该事项，或查询码不正确"));

        // The desk records web filings; it does not type them.
        let mut body = phone_complaint("13766668888", "冒充网民");
        body["channel"] = json!("web");
        body.as_object_mut().unwrap().remove("ring_seconds");
        let (s, b) = app.post_json(&intake, "/api/v1/matters", &body).await;
        assert_eq!(
            (s, b["error"]["field"].as_str()),
            (422, Some("channel")),
            "{b}"
        );
        let _ = Role::Intake;
    }
);

both_backends!(
    bad_or_abusive_filings_are_refused_and_write_nothing,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        app.desk().await;
        let before = app.matter_count().await;
        let fields = |t: &str| -> Vec<(&'static str, String)> {
            vec![
                ("token", t.to_owned()),
                ("type", "complaint".into()),
                ("name", "钱网民".into()),
                ("phone", "13766667777".into()),
                ("content", "公园公厕多日无人打扫".into()),
            ]
        };
        let send = |f: Vec<(&'static str, String)>, photos: Vec<(&'static str, Vec<u8>)>| {
            let app = &app;
            async move {
                let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
                post_report(app, &pairs, photos).await
            }
        };
        // Sent within three seconds of showing the form: a robot.
        let t = token(&app).await;
        let (s, page) = send(fields(&t), vec![]).await;
        assert_eq!(s, 422);
        assert!(page.contains("页面已过期或提交过快"), "{page}");
        app.advance(Duration::seconds(10));
        // The field people never see, filled in.
        let mut trapped = fields(&t);
        trapped.push(("website", "http://spam.example".into()));
        assert_eq!(send(trapped, vec![]).await.0, 422);
        // A forged token.
        assert_eq!(send(fields("00.11"), vec![]).await.0, 422);
        // A photo that is no image, one too large, and too many.
        let (s, page) = send(
            fields(&t),
            vec![("x.png", b"MZ\x90\x00not an image".to_vec())],
        )
        .await;
        assert_eq!(s, 422);
        assert!(page.contains("照片只能是 JPG 或 PNG 图片"), "{page}");
        let mut big = PNG.to_vec();
        big.resize(5 * 1024 * 1024 + 1, 0);
        assert_eq!(send(fields(&t), vec![("big.png", big)]).await.0, 422);
        let four = (0..4).map(|_| ("p.png", PNG.to_vec())).collect();
        let (s, page) = send(fields(&t), four).await;
        assert_eq!(s, 422);
        assert!(page.contains("最多上传3张照片"));
        // Missing fields are named, and what was typed stays.
        let (s, page) = send(
            vec![
                ("token", t.clone()),
                ("type", "complaint".into()),
                ("content", "只写了内容".into()),
            ],
            vec![],
        )
        .await;
        assert_eq!(s, 422);
        assert!(page.contains("只写了内容"), "{page}");
        assert_eq!(app.matter_count().await, before, "nothing was recorded");

        // Five filings an hour from one address, then 429.
        for i in 0..5 {
            let (s, page) = send(fields(&t), vec![]).await;
            assert_eq!(s, 200, "filing {i}: {page}");
        }
        let (s, page) = send(fields(&t), vec![]).await;
        assert_eq!(s, 429);
        assert!(page.contains("提交过于频繁"), "{page}");
        assert_eq!(app.matter_count().await, before + 5);
        app.advance(Duration::hours(1));
        let t = token(&app).await;
        app.advance(Duration::seconds(5));
        assert_eq!(send(fields(&t), vec![]).await.0, 200, "a new hour");
    }
);

both_backends!(
    the_desk_gives_a_caller_a_query_code_by_phone,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (clerk, pw) = app.user("luru", &[Role::Intake], Some("AWB")).await;
        let token = app.token_for(&clerk).await;
        let (s, m) = app
            .post_json(
                &token,
                "/api/v1/matters",
                &phone_complaint("13766669999", "电话人"),
            )
            .await;
        assert_eq!(s, 201, "{m}");
        let n = m["number"].as_str().unwrap();
        app.log_in("luru", &pw).await;
        let html = app.html(&format!("/matters/{n}")).await;
        assert!(html.contains("生成进度查询码"));
        let csrf = crate::pages::csrf_of(&html);
        let r = app
            .post_form(
                &format!("/matters/{n}/query-code"),
                &[("csrf", csrf.as_str())],
            )
            .await;
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        let code = between(&page, "query-code").to_owned();
        assert_eq!(code.len(), 8, "{page}");
        let (s, page) = look_up(&app, n, &code).await;
        assert_eq!(s, 200);
        assert!(main_of(&page).contains("已受理，等待审核转办"));
        // A second code replaces the first.
        let r = app
            .post_form(
                &format!("/matters/{n}/query-code"),
                &[("csrf", csrf.as_str())],
            )
            .await;
        let second = between(&r.text().await.unwrap(), "query-code").to_owned();
        assert_ne!(second, code);
        assert_eq!(look_up(&app, n, &code).await.0, 404);
        assert_eq!(look_up(&app, n, &second).await.0, 200);
    }
);

//! Open311 GeoReport v2, in JSON and XML: discovery, services, filing with
//! an issued key (into the intake queue), reading requests back with the
//! real status, department and deadline, and errors in the
//! specification's shape.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, Desk, TestApp};

async fn get(app: &TestApp, path: &str) -> (u16, String, String) {
    let r = reqwest::Client::new()
        .get(app.url(path))
        .send()
        .await
        .unwrap();
    let kind = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (r.status().as_u16(), kind, r.text().await.unwrap())
}

async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn issue_key(app: &TestApp) -> (uuid::Uuid, String) {
    let key = format!("o311_{}", aiwei_server::auth::new_secret());
    let id = app
        .store
        .add_open311_key_audited(
            "市民服务App",
            &aiwei_server::auth::secret_hash(&key),
            &aiwei_store::trail::AuditActor::cli(),
            app.now(),
        )
        .await
        .unwrap();
    (id, key)
}

both_backends!(
    open311_answers_per_the_specification_in_json_and_xml,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let Desk { intake, .. } = app.desk().await;
        let (s, kind, body) = get(&app, "/open311/v2/discovery.json").await;
        assert_eq!((s, kind.as_str()), (200, "application/json"));
        let d: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            d["endpoints"]["endpoint"][0]["specification"],
            "http://wiki.open311.org/GeoReport_v2"
        );
        let (s, kind, body) = get(&app, "/open311/v2/discovery.xml").await;
        assert_eq!(s, 200);
        assert!(kind.starts_with("text/xml"), "{kind}");
        assert!(
            body.contains("<discovery>") && body.contains("<format>text/xml</format>"),
            "{body}"
        );

        let (s, _, body) = get(&app, "/open311/v2/services.json").await;
        assert_eq!(s, 200);
        let services: Value = serde_json::from_str(&body).unwrap();
        let garbage = services
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["service_code"] == "env.garbage")
            .unwrap_or_else(|| panic!("{body}"));
        assert_eq!(garbage["metadata"], false);
        assert_eq!(garbage["type"], "realtime");
        let (_, _, xml) = get(&app, "/open311/v2/services.xml").await;
        assert!(xml.contains("<services><service><service_code>"), "{xml}");
        let (s, _, body) = get(&app, "/open311/v2/services/env.garbage.json").await;
        assert_eq!(s, 200);
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap()["service_code"],
            "env.garbage"
        );

        // Errors in the specification's shape, in both formats.
        let (s, _, body) = get(&app, "/open311/v2/services/no.such.json").await;
        assert_eq!(s, 404);
        let e: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(e[0]["code"], 404);
        assert!(e[0]["description"].is_string());
        let (s, _, body) = get(&app, "/open311/v2/services/no.such.xml").await;
        assert_eq!(s, 404);
        assert!(
            body.contains("<errors><error><code>404</code><description>"),
            "{body}"
        );

        // Filing needs an issued key.
        let form = [
            ("service_code", "env.garbage"),
            ("first_name", "明"),
            ("last_name", "李"),
            ("phone", "13755554444"),
            ("description", "菜场门口垃圾桶满溢"),
            ("lat", "30.2741"),
            ("long", "120.1551"),
        ];
        let (s, body) = post(&app, "/open311/v2/requests.json", &form).await;
        assert_eq!(s, 403, "{body}");
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap()[0]["code"],
            403
        );
        let (key_id, key) = issue_key(&app).await;
        let mut with_key = form.to_vec();
        with_key.push(("api_key", &key));
        let (s, body) = post(&app, "/open311/v2/requests.json", &with_key).await;
        assert_eq!(s, 201, "{body}");
        let created: Value = serde_json::from_str(&body).unwrap();
        let id = created[0]["service_request_id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            created[0]["service_notice"]
                .as_str()
                .unwrap()
                .contains("查询码")
        );

        // In the intake queue, channel open311.
        let (_, w) = app.get_json(&intake, "/api/v1/work").await;
        assert_eq!(
            crate::work::queue(&w, "to_dispatch")["items"][0]["number"],
            id.as_str()
        );
        let (_, m) = app
            .get_json(&intake, &format!("/api/v1/matters/{id}"))
            .await;
        assert_eq!(m["channel"], "open311");

        let (s, _, body) = get(&app, &format!("/open311/v2/requests/{id}.json")).await;
        assert_eq!(s, 200, "{body}");
        let r: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(r[0]["status"], "open");
        assert_eq!(r[0]["service_code"], "env.garbage");
        assert_eq!(r[0]["lat"], 30.2741);
        assert!(
            !body.contains("13755554444") && !body.contains("李明"),
            "{body}"
        );

        let (s, b) = app
            .step(&intake, &id, json!({"action": "dispatch", "lead": "HJWS"}))
            .await;
        assert_eq!(s, 200, "{b}");
        let (_, _, body) = get(&app, &format!("/open311/v2/requests/{id}.json")).await;
        let r: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(r[0]["agency_responsible"], "HJWS科");
        assert!(
            r[0]["expected_datetime"]
                .as_str()
                .unwrap()
                .ends_with("+08:00"),
            "{body}"
        );
        let (_, _, xml) = get(&app, "/open311/v2/requests.xml").await;
        assert!(
            xml.contains(&format!("<service_request_id>{id}</service_request_id>")),
            "{xml}"
        );
        let (_, _, closed) = get(&app, "/open311/v2/requests.json?status=closed").await;
        assert_eq!(closed, "[]");
        let (s, _, _) = get(&app, "/open311/v2/requests.json?status=maybe").await;
        assert_eq!(s, 400);
        let (s, _, _) = get(&app, "/open311/v2/requests/AW2026-999999.json").await;
        assert_eq!(s, 404);

        // Bad requests, and a revoked key.
        let mut no_place = with_key.clone();
        no_place.retain(|(k, _)| *k != "lat" && *k != "long");
        let (s, body) = post(&app, "/open311/v2/requests.xml", &no_place).await;
        assert_eq!(s, 400, "{body}");
        assert!(body.contains("<errors><error><code>400</code>"), "{body}");
        let mut bad_lat = with_key.clone();
        bad_lat.push(("lat", "north"));
        bad_lat.retain(|(k, v)| !(*k == "lat" && *v == "30.2741"));
        assert_eq!(
            post(&app, "/open311/v2/requests.json", &bad_lat).await.0,
            400
        );
        let mut unknown = with_key.clone();
        unknown[0] = ("service_code", "no.such");
        assert_eq!(
            post(&app, "/open311/v2/requests.json", &unknown).await.0,
            404
        );
        let mut no_phone = with_key.clone();
        no_phone.retain(|(k, _)| *k != "phone");
        let (s, body) = post(&app, "/open311/v2/requests.json", &no_phone).await;
        assert_eq!(s, 400, "{body}");
        assert!(body.contains("联系电话"), "{body}");
        app.store
            .revoke_open311_key_audited(key_id, &aiwei_store::trail::AuditActor::cli(), app.now())
            .await
            .unwrap();
        assert_eq!(
            post(&app, "/open311/v2/requests.json", &with_key).await.0,
            403
        );
        let (s, _, _) = get(&app, "/open311/v2/services.csv").await;
        assert_eq!(s, 404);
    }
);

both_backends!(
    the_administrator_issues_and_revokes_open311_keys_on_a_page,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        app.desk().await;
        let (_, pw) = app.user("guanli", &[aiwei_core::Role::Admin], None).await;
        app.log_in("guanli", &pw).await;
        let html = app.html("/admin/open311").await;
        assert!(html.contains("尚未签发密钥"));
        let csrf = crate::pages::csrf_of(&html);
        let r = app
            .post_form(
                "/admin/open311",
                &[("csrf", csrf.as_str()), ("name", "市民服务App")],
            )
            .await;
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        let key = page
            .split("id=\"new-key\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .unwrap()
            .to_owned();
        assert!(key.starts_with("o311_"), "{page}");
        let form = [
            ("api_key", key.as_str()),
            ("service_code", "env.garbage"),
            ("first_name", "明"),
            ("last_name", "李"),
            ("phone", "13755554444"),
            ("description", "菜场门口垃圾桶满溢"),
            ("address_string", "菜场路1号"),
        ];
        assert_eq!(post(&app, "/open311/v2/requests.json", &form).await.0, 201);
        let id = page
            .split("action=\"/admin/open311/")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .unwrap()
            .to_owned();
        let r = app
            .post_form(
                &format!("/admin/open311/{id}/revoke"),
                &[("csrf", csrf.as_str())],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("已吊销"));
        assert_eq!(post(&app, "/open311/v2/requests.json", &form).await.0, 403);
    }
);

//! The authorization matrix (docs/SECURITY.md): every endpoint of the
//! OpenAPI document, called by every role and anonymously, on a matter of
//! the caller's own department and of another, ordinary and sensitive. The
//! status and whether unmasked caller data came back must match the table
//! in docs/SECURITY.md exactly: no unexpected 2xx, no unmasked field where
//! the table says masked.
//!
//! Cells: `2c` an accepted call (2xx, or a 409/422 from the handler: it got
//! past authentication, role and scope) whose answer holds a caller's data
//! in clear; `2m` the same with no caller data in clear; `F` 403; `N` 404;
//! `U` 401. A matter-scoped endpoint has four results: own department
//! ordinary, own sensitive, other department ordinary, other sensitive.

use std::collections::BTreeMap;

use aiwei_core::Role;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

/// The roles in table order; each test user holds one role and belongs to
/// department HJWS.
const ROLES: &[Role] = &[
    Role::Intake,
    Role::Handler,
    Role::DeptLead,
    Role::LeadingGroup,
    Role::Supervisor,
    Role::Auditor,
    // Last: its anonymisation call must not run before the others read.
    Role::Admin,
];

/// Phone numbers and names of the four matters and of the one intake
/// records during the run; none may appear in clear where the table says
/// masked.
const PHONES: [&str; 5] = [
    "13960000001",
    "13960000002",
    "13960000003",
    "13960000004",
    "13960000005",
];
const NAMES: [&str; 5] = ["矩阵甲", "矩阵乙", "矩阵丙", "矩阵丁", "矩阵戊"];

struct Fixture {
    /// own, own sensitive, other, other sensitive.
    matters: [String; 4],
    attachments: [String; 4],
    disclosure: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let (recorder, token) = app.token_user("luru", &[Role::Intake], Some("AWB")).await;
    let _ = app.user("qita", &[Role::Handler], Some("BMFZ")).await;
    let mut matters = Vec::new();
    for (i, (lead, sensitive)) in [
        ("HJWS", false),
        ("HJWS", true),
        ("BMFZ", false),
        ("BMFZ", true),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = phone_complaint(PHONES[i], NAMES[i]);
        body["sensitive"] = json!(sensitive);
        let (s, m) = app.post_json(&token, "/api/v1/matters", &body).await;
        assert_eq!(s, 201, "{m}");
        let n = m["number"].as_str().unwrap().to_owned();
        let (s, v) = app
            .step(&token, &n, json!({"action": "dispatch", "lead": lead}))
            .await;
        assert_eq!(s, 200, "{v}");
        matters.push(n);
    }
    let mut attachments = Vec::new();
    for n in &matters {
        let m = app
            .store
            .matter_by_number(&n.parse().unwrap())
            .await
            .unwrap();
        let a = app
            .store
            .add_attachment(
                &app.db.dir.join("attachments"),
                m.id,
                recorder.id,
                "document",
                "a.png",
                PNG,
                app.now(),
            )
            .await
            .unwrap();
        attachments.push(a.id.to_string());
    }
    // A disclosure someone else asked for.
    let (_, other) = app
        .token_user("qita2", &[Role::Handler], Some("BMFZ"))
        .await;
    let (s, d) = app
        .post_json(
            &other,
            &format!("/api/v1/matters/{}/disclosures", matters[2]),
            &json!({"purpose": "矩阵测试", "fields": ["phone"]}),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    Fixture {
        matters: matters.try_into().unwrap(),
        attachments: attachments.try_into().unwrap(),
        disclosure: d["id"].as_str().unwrap().to_owned(),
    }
}

/// A 1×1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// One call of the matrix: the URL, and the body (JSON, or a multipart
/// upload).
enum Body {
    None,
    Json(Value),
    Upload,
}

/// How to call each endpoint. An endpoint of the document missing here
/// fails the test: every new endpoint gets a row.
fn call(method: &str, path: &str, fx: &Fixture, variant: usize) -> Option<(String, Body)> {
    let m = &fx.matters[variant];
    let future = (chrono::Utc::now() + chrono::Duration::days(20)).to_rfc3339();
    let (url, body) = match (method, path) {
        ("POST", "/api/v1/session") => (
            path.into(),
            // A fresh name each time, so the login throttle stays out of it.
            Body::Json(json!({
                "username": format!("nobody-{}", uuid::Uuid::now_v7().simple()),
                "password": "wrong",
            })),
        ),
        ("DELETE", "/api/v1/session") | ("GET", "/api/v1/me") => (path.into(), Body::None),
        ("POST", "/api/v1/matters") => {
            let mut b = phone_complaint(PHONES[4], NAMES[4]);
            b["sensitive"] = json!(false);
            (path.into(), Body::Json(b))
        }
        ("GET", "/api/v1/matters") => ("/api/v1/matters?limit=500".into(), Body::None),
        ("GET", "/api/v1/exports/ledger.csv") => (path.into(), Body::None),
        ("GET", "/api/v1/matters/{key}") => (format!("/api/v1/matters/{m}"), Body::None),
        ("POST", "/api/v1/matters/{key}/actions") => (
            format!("/api/v1/matters/{m}/actions"),
            Body::Json(json!({"action": "sign_for"})),
        ),
        ("POST", "/api/v1/matters/{key}/anonymise") => (
            format!("/api/v1/matters/{m}/anonymise"),
            // Not confirmed: the call is judged, the callers stay.
            Body::Json(json!({"confirm": false})),
        ),
        ("POST", "/api/v1/matters/{key}/attachments") => {
            (format!("/api/v1/matters/{m}/attachments"), Body::Upload)
        }
        ("POST", "/api/v1/matters/{key}/disclosures") => (
            format!("/api/v1/matters/{m}/disclosures"),
            Body::Json(json!({"purpose": "矩阵测试", "fields": ["phone"]})),
        ),
        ("POST", "/api/v1/matters/{key}/extensions") => (
            format!("/api/v1/matters/{m}/extensions"),
            Body::Json(json!({"deadline": "sign_due", "new_due_at": future, "reason": "矩阵测试"})),
        ),
        ("POST", "/api/v1/matters/{key}/people") => (
            format!("/api/v1/matters/{m}/people"),
            Body::Json(json!({"username": "qita"})),
        ),
        ("POST", "/api/v1/matters/{key}/reveal") => (
            format!("/api/v1/matters/{m}/reveal"),
            Body::Json(json!({"reason": "矩阵测试"})),
        ),
        ("GET", "/api/v1/attachments/{id}") => (
            format!("/api/v1/attachments/{}", fx.attachments[variant]),
            Body::None,
        ),
        ("POST", "/api/v1/callers/history") => {
            (path.into(), Body::Json(json!({"phone": PHONES[0]})))
        }
        ("GET", "/api/v1/disclosures") => (path.into(), Body::None),
        ("POST", "/api/v1/disclosures/{id}/decision") => (
            format!("/api/v1/disclosures/{}/decision", fx.disclosure),
            Body::Json(json!({"approve": false, "reason": "矩阵测试"})),
        ),
        ("POST", "/api/v1/disclosures/{id}/signature") => (
            format!("/api/v1/disclosures/{}/signature", fx.disclosure),
            Body::Json(json!({"agree": true})),
        ),
        ("POST", "/api/v1/extensions/{id}/decision") => (
            format!("/api/v1/extensions/{}/decision", uuid::Uuid::now_v7()),
            Body::Json(json!({"approve": false, "note": "矩阵测试"})),
        ),
        ("PUT", "/api/v1/policy") => (path.into(), Body::Json(json!({}))),
        ("POST", "/api/v1/notifications/read") => (path.into(), Body::None),
        (
            "GET",
            "/api/v1/audit"
            | "/api/v1/categories"
            | "/api/v1/departments"
            | "/api/v1/extensions"
            | "/api/v1/notifications"
            | "/api/v1/policy"
            | "/api/v1/supervision"
            | "/api/v1/work",
        ) => (path.into(), Body::None),
        _ => return None,
    };
    Some((url, body))
}

fn matter_scoped(path: &str) -> bool {
    path.contains("{key}") || path == "/api/v1/attachments/{id}"
}

async fn send(
    app: &TestApp,
    token: Option<&str>,
    method: &str,
    url: &str,
    body: Body,
) -> (u16, String) {
    let mut req = app.client.request(method.parse().unwrap(), app.url(url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req = match body {
        Body::None => req,
        Body::Json(v) => req.json(&v),
        Body::Upload => req.multipart(
            reqwest::multipart::Form::new()
                .text("stage", "document")
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("a.png"),
                ),
        ),
    };
    answer(req.send().await.unwrap()).await
}

/// The cell token of one answer; `secrets` are the caller values that must
/// not appear unless the table says `c`.
fn token(status: u16, body: &str, secrets: &[&str]) -> String {
    match status {
        200..=299 | 409 | 422 => {
            if secrets.iter().any(|s| body.contains(s)) {
                "2c".into()
            } else {
                "2m".into()
            }
        }
        401 => "U".into(),
        403 => "F".into(),
        404 => "N".into(),
        other => other.to_string(),
    }
}

/// The table of docs/SECURITY.md: endpoint → cells (anonymous, then roles).
fn documented() -> BTreeMap<String, Vec<String>> {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/SECURITY.md"
    ))
    .expect("docs/SECURITY.md");
    let start = doc
        .find("<!-- matrix:start -->")
        .expect("matrix start marker");
    let end = doc.find("<!-- matrix:end -->").expect("matrix end marker");
    doc[start..end]
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect();
            (cells[0].trim_matches('`').to_owned(), cells[1..].to_vec())
        })
        .collect()
}

both_backends!(
    every_role_on_every_endpoint_matches_the_documented_matrix,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let mut tokens = Vec::new();
        for role in ROLES {
            let (_, t) = app
                .token_user(&format!("r_{}", role.as_str()), &[*role], Some("HJWS"))
                .await;
            tokens.push(t);
        }
        let fx = fixture(&app).await;
        let (_, doc) = app.get_json(&tokens[0], "/api/v1/openapi.json").await;
        let mut endpoints = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in ["get", "post", "put", "delete", "patch"] {
                if item.get(method).is_some() {
                    endpoints.push((method.to_uppercase(), path.clone()));
                }
            }
        }
        assert!(endpoints.len() >= 25, "{endpoints:?}");
        let mut actual: BTreeMap<String, Vec<String>> = BTreeMap::new();
        // Roles in order, endpoints inside, so state changes (a sign-for, a
        // refused disclosure) happen in one fixed order.
        let who: Vec<Option<&str>> = std::iter::once(None)
            .chain(tokens.iter().map(|t| Some(t.as_str())))
            .collect();
        for (col, token_of) in who.iter().enumerate() {
            for (method, path) in &endpoints {
                let key = format!("{method} {path}");
                let variants = if matter_scoped(path) { 4 } else { 1 };
                let mut cell = Vec::new();
                for v in 0..variants {
                    let (url, body) = call(method, path, &fx, v)
                        .unwrap_or_else(|| panic!("no matrix call for {key}: add one"));
                    let (status, text) = send(&app, *token_of, method, &url, body).await;
                    let secrets: Vec<&str> = if matter_scoped(path) {
                        vec![PHONES[v], NAMES[v]]
                    } else {
                        PHONES.iter().chain(NAMES.iter()).copied().collect()
                    };
                    cell.push(token(status, &text, &secrets));
                }
                let row = actual
                    .entry(key)
                    .or_insert_with(|| vec![String::new(); who.len()]);
                row[col] = cell.join(" ");
            }
        }
        let expected = documented();
        let mut table = String::from(
            "| endpoint | anonymous | intake | handler | dept_lead | leading_group | supervisor | auditor | admin |\n|---|---|---|---|---|---|---|---|---|\n",
        );
        let mut diffs = Vec::new();
        for (key, row) in &actual {
            table.push_str(&format!("| `{key}` | {} |\n", row.join(" | ")));
            match expected.get(key) {
                None => diffs.push(format!("{key}: not in docs/SECURITY.md")),
                Some(e) if e != row => diffs.push(format!("{key}: documented {e:?}, got {row:?}")),
                Some(_) => {}
            }
        }
        for key in expected.keys() {
            if !actual.contains_key(key) {
                diffs.push(format!("{key}: documented but not in the OpenAPI document"));
            }
        }
        assert!(
            diffs.is_empty(),
            "{} differences:\n{}\n\nactual table:\n{table}",
            diffs.len(),
            diffs.join("\n")
        );
        app.stop().await;
    }
);

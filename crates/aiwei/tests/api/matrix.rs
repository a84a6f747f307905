//! The authorization matrix (docs/SECURITY.md): every operation of the
//! OpenAPI document, called anonymously and by a user of every role (each a
//! member of department HJWS), on matters of that department and of another
//! (BMFZ), ordinary and sensitive.
//!
//! What each call should answer is not written down by hand: it is computed
//! from `aiwei_core::access` and the flow, over a model of the fixture that
//! follows what the calls do (a sign-for moves a matter on, a clerk's intake
//! adds one). The server must answer exactly that, and docs/SECURITY.md must
//! show exactly that table, so the document, the rules and the program
//! cannot drift apart.
//!
//! Cells: `2c` an accepted call (2xx, or a 409/422 from the handler: it got
//! past authentication, role and scope) whose answer holds a caller's data
//! in clear; `2m` the same with no caller data in clear; `F` 403; `N` 404;
//! `U` 401. A matter-scoped operation has four results: own department
//! ordinary, own sensitive, other department ordinary, other sensitive.

use std::collections::BTreeMap;

use aiwei_core::access::{
    self, Actor, Cond, DisclosureFacts, MatterFacts, Permission, Queue, Ties,
};
use aiwei_core::flow::{self, Action, MatterState, Refusal};
use aiwei_core::knowledge;
use aiwei_core::merge;
use aiwei_core::time::to_millis;
use aiwei_core::{DisclosedField, DisclosureStatus, MatterStatus, MatterType, Role};
use aiwei_store::users::User;
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
    Role::Admin,
];

/// Phone numbers and names of the four matters and of the one intake
/// records during the run; none may appear in clear where the rules say
/// masked.
const PHONES: [&str; 5] = [
    "13960000001",
    "13960000002",
    "13960000003",
    "13960000004",
    "13960000005",
];
const NAMES: [&str; 5] = ["矩阵甲", "矩阵乙", "矩阵丙", "矩阵丁", "矩阵戊"];

/// A 1×1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// One matter of the model.
struct Modelled {
    number: String,
    facts: MatterFacts,
    ties: Ties,
    phone: &'static str,
    name: &'static str,
}

/// What the test knows of the fixture, kept in step with the calls.
struct Model {
    /// own ordinary, own sensitive, other ordinary, other sensitive; then
    /// the matter the clerk records during the run.
    matters: Vec<Modelled>,
    attachments: [String; 4],
    disclosure_id: String,
    disclosure: DisclosureFacts,
    /// The department of the colleague named in `POST …/people`.
    colleague_departments: Vec<String>,
    /// A knowledge-base article with version 1 in force, and a retired one.
    article: String,
    retired_article: String,
    now_ms: i64,
}

async fn fixture(app: &TestApp) -> Model {
    let (recorder, token) = app.token_user("luru", &[Role::Intake], Some("AWB")).await;
    let (colleague, _) = app.user("qita", &[Role::Handler], Some("BMFZ")).await;
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
        matters.push(Modelled {
            number: n,
            facts: MatterFacts {
                flow: MatterState {
                    matter_type: MatterType::Complaint,
                    status: MatterStatus::Dispatched,
                    lead: Some(lead.to_owned()),
                    co: Vec::new(),
                    caller_to_be_told: false,
                    merged: false,
                },
                received_by: Some("AWB".into()),
                recorded_by: recorder.id,
                sensitive,
                anonymised: false,
            },
            ties: Ties {
                named: vec![recorder.id],
                content_grants: Vec::new(),
            },
            phone: PHONES[i],
            name: NAMES[i],
        });
    }
    let mut attachments = Vec::new();
    for m in &matters {
        let stored = app
            .store
            .matter_by_number(&m.number.parse().unwrap())
            .await
            .unwrap();
        let a = app
            .store
            .add_attachment(
                &app.db.dir.join("attachments"),
                stored.id,
                recorder.id,
                aiwei_core::AttachmentStage::Document,
                "a.png",
                PNG,
                app.now(),
            )
            .await
            .unwrap();
        attachments.push(a.id.to_string());
    }
    // A disclosure someone else asked for, of another department's matter.
    let (other, other_token) = app
        .token_user("qita2", &[Role::Handler], Some("BMFZ"))
        .await;
    let (s, d) = app
        .post_json(
            &other_token,
            &format!("/api/v1/matters/{}/disclosures", matters[2].number),
            &json!({"purpose": "矩阵测试", "fields": ["phone"]}),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    matters[2].ties.named.push(other.id);
    let (editor, _) = app.user("zhishi", &[Role::Supervisor], None).await;
    let mut articles = Vec::new();
    for retire in [false, true] {
        let (content, _) = aiwei_core::knowledge::ArticleInput {
            kind: Some("faq".into()),
            title: Some("矩阵测试条目".into()),
            answer: Some("矩阵测试答复口径".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        let publishers = [Role::Supervisor];
        let by = aiwei_store::trail::AuditActor::cli();
        let id = app
            .store
            .create_article(&editor.actor(), &publishers, &content, None, &by, app.now())
            .await
            .unwrap();
        app.store
            .publish_article(&editor.actor(), &publishers, id, 1, &by, app.now())
            .await
            .unwrap();
        if retire {
            app.store
                .retire_article(&editor.actor(), &publishers, id, "矩阵测试", &by, app.now())
                .await
                .unwrap();
        }
        articles.push(id.to_string());
    }
    Model {
        matters,
        attachments: attachments.try_into().unwrap(),
        disclosure_id: d["id"].as_str().unwrap().to_owned(),
        disclosure: DisclosureFacts {
            status: DisclosureStatus::Requested,
            filed_by: other.id,
            recipient: other.id,
            expires_at_ms: None,
        },
        colleague_departments: colleague.departments,
        retired_article: articles.pop().unwrap(),
        article: articles.pop().unwrap(),
        now_ms: to_millis(app.now()),
    }
}

/// One call of the matrix: the URL, and the body.
enum Body {
    None,
    Json(Value),
    Upload,
}

/// How to call each operation. An operation of the document missing here
/// fails the test: every new operation gets a row.
fn call(method: &str, path: &str, model: &Model, variant: usize) -> Option<(String, Body)> {
    let m = model
        .matters
        .get(variant)
        .map(|m| m.number.as_str())
        .unwrap_or("");
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
        // Someone else's notification, or none: the same 404.
        ("POST", "/api/v1/notifications/{id}/read") => (
            format!("/api/v1/notifications/{}/read", uuid::Uuid::now_v7()),
            Body::None,
        ),
        // A wrong current password: judged without changing anything.
        ("POST", "/api/v1/me/password") => (
            path.into(),
            Body::Json(json!({"current": "not-the-password-1", "new": "Matrix-test-2026"})),
        ),
        ("POST", "/api/v1/matters") => {
            let mut b = phone_complaint(PHONES[4], NAMES[4]);
            b["sensitive"] = json!(false);
            (path.into(), Body::Json(b))
        }
        ("GET", "/api/v1/matters") => ("/api/v1/matters?limit=500".into(), Body::None),
        // Every matrix matter's content holds 垃圾.
        ("GET", "/api/v1/search") => ("/api/v1/search?q=垃圾&limit=500".into(), Body::None),
        ("GET", "/api/v1/exports/ledger.csv" | "/api/v1/exports/ledger.xlsx") => {
            (path.into(), Body::None)
        }
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
        // The matter with itself: judged past role and scope, refused
        // with 409 `same_matter`, nothing changes.
        (
            "POST",
            "/api/v1/matters/{key}/merge"
            | "/api/v1/matters/{key}/links"
            | "/api/v1/matters/{key}/unlink",
        ) => (path.replace("{key}", m), Body::Json(json!({"other": m}))),
        ("GET", "/api/v1/matters/{key}/duplicates") => {
            (format!("/api/v1/matters/{m}/duplicates"), Body::None)
        }
        // No hotspot there: 422 for a supervisor, nothing recorded.
        ("POST", "/api/v1/hotspots/acknowledge" | "/api/v1/hotspots/close") => (
            path.into(),
            Body::Json(
                json!({"place": "矩阵路1号", "category": "env.garbage", "note": "矩阵测试"}),
            ),
        ),
        // Refused as a field for a supervisor: nothing recorded.
        ("POST", "/api/v1/training/sessions") => (
            path.into(),
            Body::Json(
                json!({"held_on": "2026-11-01", "topic": "law", "title": " ", "trainer": "矩阵"}),
            ),
        ),
        ("POST", "/api/v1/assessments") => (
            path.into(),
            Body::Json(json!({"staff": uuid::Uuid::now_v7(), "period": "矩阵"})),
        ),
        // No such session or material: 404 once past the role.
        ("GET", "/api/v1/training/sessions/{id}" | "/api/v1/training/materials/{id}") => (
            path.replace("{id}", &uuid::Uuid::now_v7().to_string()),
            Body::None,
        ),
        ("POST", "/api/v1/training/sessions/{id}/materials") => (
            path.replace("{id}", &uuid::Uuid::now_v7().to_string()),
            Body::Upload,
        ),
        // Notifications setup: refused as fields (no allow-list in the
        // test configuration, no kinds, an empty template) or of ids that
        // do not exist, so nothing is written; the preview writes nothing.
        ("POST", "/api/v1/outbound/destinations") => (
            path.into(),
            Body::Json(json!({"name": "矩阵", "channel": "webhook",
                              "url": "http://127.0.0.1:9/hook", "secret": "s"})),
        ),
        ("POST", "/api/v1/outbound/destinations/{id}/active") => (
            path.replace("{id}", &uuid::Uuid::now_v7().to_string()),
            Body::Json(json!({"active": false})),
        ),
        ("POST", "/api/v1/outbound/rules") => (
            path.into(),
            Body::Json(json!({"department": "HJWS", "kinds": [], "email": "a@example.gov.cn"})),
        ),
        ("DELETE", "/api/v1/outbound/rules/{id}") | ("POST", "/api/v1/outbox/{id}/retry") => (
            path.replace("{id}", &uuid::Uuid::now_v7().to_string()),
            Body::None,
        ),
        ("PUT", "/api/v1/outbound/templates/{kind}") => (
            path.replace("{kind}", "dispatched"),
            Body::Json(json!({"subject": "", "body": ""})),
        ),
        ("POST", "/api/v1/outbound/preview") => (
            path.into(),
            Body::Json(json!({"kind": "dispatched", "subject": "{编号}", "body": "{事由}"})),
        ),
        // The exchange's key is no staff token: refused before the body
        // is read.
        ("POST", "/api/v1/telephony/events") => (
            path.into(),
            Body::Json(json!({"event": "ringing", "call_id": "m-1",
                              "caller": PHONES[0], "extension": "8001"})),
        ),
        ("POST", "/api/v1/callbacks/{id}") => (
            path.replace("{id}", &uuid::Uuid::now_v7().to_string()),
            Body::Json(json!({"outcome": "reached"})),
        ),
        // Words no fixture matter holds: an empty list.
        ("POST", "/api/v1/duplicates") => (path.into(), Body::Json(json!({"content": "矩阵测试"}))),
        // Not merged: 409 `not_merged` for a supervisor.
        ("POST", "/api/v1/matters/{key}/unmerge") => (
            format!("/api/v1/matters/{m}/unmerge"),
            Body::Json(json!({"reason": "矩阵测试"})),
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
            format!("/api/v1/attachments/{}", model.attachments[variant]),
            Body::None,
        ),
        ("POST", "/api/v1/callers/history") => {
            (path.into(), Body::Json(json!({"phone": PHONES[0]})))
        }
        ("GET", "/api/v1/disclosures") => (path.into(), Body::None),
        ("POST", "/api/v1/disclosures/{id}/decision") => (
            format!("/api/v1/disclosures/{}/decision", model.disclosure_id),
            Body::Json(json!({"approve": false, "reason": "矩阵测试"})),
        ),
        ("POST", "/api/v1/disclosures/{id}/signature") => (
            format!("/api/v1/disclosures/{}/signature", model.disclosure_id),
            Body::Json(json!({"agree": true})),
        ),
        ("POST", "/api/v1/extensions/{id}/decision") => (
            format!("/api/v1/extensions/{}/decision", uuid::Uuid::now_v7()),
            Body::Json(json!({"approve": false, "note": "矩阵测试"})),
        ),
        ("PUT", "/api/v1/policy") => (path.into(), Body::Json(json!({}))),
        ("POST", "/api/v1/notifications/read") => (path.into(), Body::None),
        ("GET", "/api/v1/articles") => ("/api/v1/articles?limit=500".into(), Body::None),
        ("POST", "/api/v1/articles") => (
            path.into(),
            Body::Json(json!({"kind": "faq", "title": "矩阵新条目", "answer": "矩阵答复"})),
        ),
        ("POST", "/api/v1/suggestions") => (path.into(), Body::Json(json!({"text": "矩阵测试"}))),
        ("POST", "/api/v1/articles/offers") => {
            (path.into(), Body::Json(json!({"text": "矩阵测试"})))
        }
        ("GET", "/api/v1/articles/{id}") => {
            (format!("/api/v1/articles/{}", model.article), Body::None)
        }
        ("GET", "/api/v1/articles/{id}/diff") => (
            format!("/api/v1/articles/{}/diff?from=1&to=1", model.article),
            Body::None,
        ),
        ("GET", "/api/v1/articles/{id}/versions/{version}") => (
            format!("/api/v1/articles/{}/versions/1", model.article),
            Body::None,
        ),
        // Made from a version that is not the newest: judged, refused
        // with 409, nothing written.
        ("POST", "/api/v1/articles/{id}/versions") => (
            format!("/api/v1/articles/{}/versions", model.article),
            Body::Json(json!({"kind": "faq", "title": "改", "answer": "改", "base_version": 99})),
        ),
        // Version 1 is in force already: 409 for a publisher.
        ("POST", "/api/v1/articles/{id}/publish") => (
            format!("/api/v1/articles/{}/publish", model.article),
            Body::Json(json!({"version": 1})),
        ),
        // Retired already: 409 for a publisher.
        ("POST", "/api/v1/articles/{id}/retire") => (
            format!("/api/v1/articles/{}/retire", model.retired_article),
            Body::Json(json!({"reason": "矩阵测试"})),
        ),
        (
            "GET",
            "/api/v1/audit"
            | "/api/v1/categories"
            | "/api/v1/departments"
            | "/api/v1/extensions"
            | "/api/v1/hotspots"
            | "/api/v1/notifications"
            | "/api/v1/policy"
            | "/api/v1/reports/indicators"
            | "/api/v1/exports/report.xlsx"
            | "/api/v1/training/sessions"
            | "/api/v1/training/record"
            | "/api/v1/training/due"
            | "/api/v1/assessments"
            | "/api/v1/exports/assessments.xlsx"
            | "/api/v1/supervision"
            | "/api/v1/outbound/destinations"
            | "/api/v1/outbound/rules"
            | "/api/v1/outbound/templates"
            | "/api/v1/outbox"
            | "/api/v1/callbacks"
            | "/api/v1/work",
        ) => (path.into(), Body::None),
        _ => return None,
    };
    Some((url, body))
}

fn matter_scoped(path: &str) -> bool {
    path.contains("{key}") || path == "/api/v1/attachments/{id}"
}

/// An expected or actual answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    Clear,
    Masked,
    Forbidden,
    NotFound,
    Unauthenticated,
    Other(u16),
}

impl Cell {
    fn text(self) -> String {
        match self {
            Cell::Clear => "2c".into(),
            Cell::Masked => "2m".into(),
            Cell::Forbidden => "F".into(),
            Cell::NotFound => "N".into(),
            Cell::Unauthenticated => "U".into(),
            Cell::Other(s) => s.to_string(),
        }
    }

    /// `Clear` when `clear`, else `Masked`.
    fn shown(clear: bool) -> Cell {
        if clear { Cell::Clear } else { Cell::Masked }
    }
}

impl From<access::Denial> for Cell {
    fn from(d: access::Denial) -> Self {
        match d {
            access::Denial::Hidden => Cell::NotFound,
            access::Denial::Forbidden(_) => Cell::Forbidden,
            // The handler's own 409 and 422: past authentication, role
            // and scope.
            access::Denial::Conflict(_) | access::Denial::Invalid(_) => Cell::Masked,
        }
    }
}

fn granted(p: Permission, actor: &Actor<'_>) -> bool {
    p.granted(actor)
}

impl Model {
    fn visible(&self, actor: &Actor<'_>, m: &Modelled) -> bool {
        access::visibility(actor, self.now_ms).holds(&m.facts, &m.ties)
    }

    fn clear(actor: &Actor<'_>, m: &Modelled) -> bool {
        !m.facts.anonymised && access::caller_clear(actor, &m.facts, &[]).any()
    }

    /// A list of the visible matters for which `keep` holds: `2c` if any
    /// shows its caller in clear.
    fn list(
        &self,
        actor: &Actor<'_>,
        keep: impl Fn(&Modelled) -> bool,
        clear: impl Fn(&Modelled) -> bool,
    ) -> Cell {
        Cell::shown(
            self.matters
                .iter()
                .filter(|m| self.visible(actor, m) && keep(m))
                .any(clear),
        )
    }

    /// What the rules say `actor` (`id`, the test user) gets from one call,
    /// and what the call does to the model when it succeeds.
    fn expect(&mut self, method: &str, path: &str, actor: &Actor<'_>, v: usize) -> Cell {
        use Cell::*;
        let key = format!("{method} {path}");
        // The permission in a handler's type is checked before anything
        // about the matter.
        let needs = |p: Permission| -> Option<Cell> { (!granted(p, actor)).then_some(Forbidden) };
        match key.as_str() {
            "POST /api/v1/session" | "POST /api/v1/telephony/events" => Unauthenticated,
            // No missed calls in the fixture: an empty list for the desk.
            "GET /api/v1/callbacks" => needs(Permission::LookUpCallers).unwrap_or(Masked),
            "POST /api/v1/callbacks/{id}" => needs(Permission::LookUpCallers).unwrap_or(NotFound),
            "POST /api/v1/me/password" => Forbidden,
            "POST /api/v1/notifications/{id}/read" => NotFound,
            "DELETE /api/v1/session"
            | "GET /api/v1/me"
            | "GET /api/v1/categories"
            | "GET /api/v1/departments"
            | "GET /api/v1/disclosures"
            | "GET /api/v1/notifications"
            | "POST /api/v1/notifications/read" => Masked,
            "GET /api/v1/audit" => needs(Permission::ReadAudit).unwrap_or(Masked),
            // The knowledge base holds no caller data; every staff member
            // reads it.
            "GET /api/v1/articles"
            | "GET /api/v1/articles/{id}"
            | "GET /api/v1/articles/{id}/diff"
            | "GET /api/v1/articles/{id}/versions/{version}" => Masked,
            "POST /api/v1/articles" | "POST /api/v1/articles/{id}/versions" => {
                knowledge::may_propose(actor, &knowledge::default_publishers())
                    .map_or_else(Cell::from, |()| Masked)
            }
            "POST /api/v1/articles/{id}/publish" => {
                let facts = knowledge::ArticleFacts {
                    latest: 1,
                    published: Some(1),
                    retired: false,
                };
                knowledge::may_publish(actor, &knowledge::default_publishers(), &facts, 1)
                    .map_or_else(Cell::from, |()| Masked)
            }
            "POST /api/v1/articles/{id}/retire" => {
                let facts = knowledge::ArticleFacts {
                    latest: 1,
                    published: Some(1),
                    retired: true,
                };
                knowledge::may_retire(actor, &knowledge::default_publishers(), &facts)
                    .map_or_else(Cell::from, |()| Masked)
            }
            "POST /api/v1/articles/offers"
            | "POST /api/v1/suggestions"
            | "POST /api/v1/duplicates" => needs(Permission::RecordIntake).unwrap_or(Masked),
            "GET /api/v1/policy"
            | "PUT /api/v1/policy"
            | "GET /api/v1/outbound/destinations"
            | "POST /api/v1/outbound/destinations"
            | "GET /api/v1/outbound/rules"
            | "POST /api/v1/outbound/rules"
            | "GET /api/v1/outbound/templates"
            | "PUT /api/v1/outbound/templates/{kind}"
            | "POST /api/v1/outbound/preview"
            | "GET /api/v1/outbox" => needs(Permission::Administer).unwrap_or(Masked),
            "POST /api/v1/outbound/destinations/{id}/active"
            | "DELETE /api/v1/outbound/rules/{id}"
            | "POST /api/v1/outbox/{id}/retry" => needs(Permission::Administer).unwrap_or(NotFound),
            "GET /api/v1/supervision"
            | "GET /api/v1/extensions"
            | "GET /api/v1/hotspots"
            | "POST /api/v1/hotspots/acknowledge"
            | "POST /api/v1/hotspots/close" => needs(Permission::Supervise).unwrap_or(Masked),
            "POST /api/v1/extensions/{id}/decision" => {
                needs(Permission::Supervise).unwrap_or(NotFound)
            }
            "GET /api/v1/matters" => self.list(actor, |_| true, |m| Self::clear(actor, m)),
            // A sensitive matter's text is sealed and not searched.
            "GET /api/v1/search" => {
                self.list(actor, |m| !m.facts.sensitive, |m| Self::clear(actor, m))
            }
            // Everyone sees at least their own figures; none name a caller.
            "GET /api/v1/reports/indicators" | "GET /api/v1/exports/report.xlsx" => {
                assert!(access::may_see_figures(
                    actor,
                    &access::default_figures(actor)
                ));
                Masked
            }
            // Training and assessment hold no caller data; sessions and
            // assessing are for supervisors, records and results are each
            // one's own (assessment::may_see).
            "GET /api/v1/training/record"
            | "GET /api/v1/assessments"
            | "GET /api/v1/exports/assessments.xlsx" => Masked,
            "GET /api/v1/training/materials/{id}" => NotFound,
            "GET /api/v1/training/sessions"
            | "POST /api/v1/training/sessions"
            | "GET /api/v1/training/due"
            | "POST /api/v1/assessments" => needs(Permission::Supervise).unwrap_or(Masked),
            // No such session: 404 once past the role.
            "GET /api/v1/training/sessions/{id}"
            | "POST /api/v1/training/sessions/{id}/materials" => {
                needs(Permission::Supervise).unwrap_or(NotFound)
            }
            "GET /api/v1/exports/ledger.csv" | "GET /api/v1/exports/ledger.xlsx" => self.list(
                actor,
                |_| true,
                |m| access::export_clear(actor, &m.facts, &[Role::Supervisor]).any(),
            ),
            "GET /api/v1/work" => {
                let queues: Vec<Cond> = Queue::for_actor(actor)
                    .into_iter()
                    .map(|q| q.condition(actor))
                    .collect();
                let queued = Cond::any(queues);
                self.list(
                    actor,
                    |m| queued.holds(&m.facts, &m.ties),
                    |m| Self::clear(actor, m),
                )
            }
            "POST /api/v1/callers/history" => {
                needs(Permission::LookUpCallers).unwrap_or_else(|| {
                    self.list(actor, |m| m.phone == PHONES[0], |m| Self::clear(actor, m))
                })
            }
            "POST /api/v1/matters" => needs(Permission::RecordIntake).unwrap_or_else(|| {
                self.matters.push(Modelled {
                    number: String::new(),
                    facts: MatterFacts {
                        flow: MatterState {
                            matter_type: MatterType::Complaint,
                            status: MatterStatus::Received,
                            lead: None,
                            co: Vec::new(),
                            caller_to_be_told: false,
                            merged: false,
                        },
                        received_by: actor.departments.first().cloned(),
                        recorded_by: actor.id,
                        sensitive: false,
                        anonymised: false,
                    },
                    ties: Ties {
                        named: vec![actor.id],
                        content_grants: Vec::new(),
                    },
                    phone: PHONES[4],
                    name: NAMES[4],
                });
                Clear
            }),
            "POST /api/v1/disclosures/{id}/decision" => needs(Permission::Supervise)
                .unwrap_or_else(
                    || match access::may_decide_disclosure(actor, &self.disclosure) {
                        Ok(()) => {
                            self.disclosure.status = DisclosureStatus::Refused;
                            Masked
                        }
                        Err(d) => d.into(),
                    },
                ),
            "POST /api/v1/disclosures/{id}/signature" => {
                match access::may_sign_disclosure(actor, &self.disclosure, self.now_ms) {
                    Ok(()) => Masked,
                    Err(d) => d.into(),
                }
            }
            "POST /api/v1/matters/{key}/anonymise" => needs(Permission::Administer)
                .unwrap_or_else(|| self.on_matter(actor, v, key.as_str())),
            _ => self.on_matter(actor, v, key.as_str()),
        }
    }

    /// An operation on fixture matter `v`: 404 unless visible, then the
    /// operation's own rule.
    fn on_matter(&mut self, actor: &Actor<'_>, v: usize, key: &str) -> Cell {
        use Cell::*;
        let m = &self.matters[v];
        if !self.visible(actor, m) {
            return NotFound;
        }
        let facts = m.facts.clone();
        let name = |ties: &mut Ties| {
            if !ties.named.contains(&actor.id) {
                ties.named.push(actor.id);
            }
        };
        match key {
            "GET /api/v1/matters/{key}" => Cell::shown(Self::clear(actor, m)),
            "GET /api/v1/attachments/{id}" => Masked,
            "POST /api/v1/matters/{key}/actions" => {
                match flow::decide(&facts.flow, actor, &Action::SignFor) {
                    Ok(t) => {
                        let m = &mut self.matters[v];
                        m.facts.flow.status = t.to;
                        name(&mut m.ties);
                        Cell::shown(Self::clear(actor, m))
                    }
                    Err(Refusal::Forbidden) => Forbidden,
                    Err(_) => Masked,
                }
            }
            "POST /api/v1/matters/{key}/anonymise" => match access::may_anonymise(actor, &facts) {
                // Not confirmed: refused as a field, nothing changes.
                Ok(()) => Masked,
                Err(d) => d.into(),
            },
            "POST /api/v1/matters/{key}/attachments" => {
                if access::may_upload(actor, &facts) {
                    name(&mut self.matters[v].ties);
                    Masked
                } else {
                    Forbidden
                }
            }
            "POST /api/v1/matters/{key}/disclosures" => {
                match access::may_file_disclosure(actor, &facts, actor, &[DisclosedField::Phone]) {
                    Ok(()) => {
                        name(&mut self.matters[v].ties);
                        Masked
                    }
                    Err(d) => d.into(),
                }
            }
            "POST /api/v1/matters/{key}/extensions" => {
                if access::may_request_extension(
                    actor,
                    aiwei_core::deadline::DeadlineKind::SignDue,
                    facts.flow.lead.as_deref(),
                ) {
                    // 201, or 409 once the clock stopped or one is pending;
                    // either names the lead, who sees the matter anyway.
                    Masked
                } else {
                    Forbidden
                }
            }
            "GET /api/v1/matters/{key}/duplicates" => Masked,
            "POST /api/v1/matters/{key}/merge" => {
                merge::merges(actor).map_or_else(Cell::from, |()| Masked)
            }
            "POST /api/v1/matters/{key}/unmerge" => {
                let f = merge::MergeFacts {
                    matter_type: facts.flow.matter_type,
                    status: facts.flow.status,
                    merged: false,
                    has_merged: false,
                };
                merge::may_unmerge(actor, &f).map_or_else(Cell::from, |()| Masked)
            }
            "POST /api/v1/matters/{key}/links" => {
                merge::may_link(actor, false).map_or_else(Cell::from, |()| Masked)
            }
            "POST /api/v1/matters/{key}/unlink" => {
                merge::may_link(actor, true).map_or_else(Cell::from, |()| Masked)
            }
            "POST /api/v1/matters/{key}/people" => {
                match access::may_name(actor, &facts, Some(&self.colleague_departments)) {
                    Ok(()) => Masked,
                    Err(d) => d.into(),
                }
            }
            "POST /api/v1/matters/{key}/reveal" => match access::may_reveal(actor, &facts) {
                Ok(()) => {
                    name(&mut self.matters[v].ties);
                    Clear
                }
                Err(d) => d.into(),
            },
            other => panic!("no rule for {other}: add one to the matrix model"),
        }
    }
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

/// The cell of one answer; `secrets` are the caller values that must not
/// appear unless the cell is `2c`.
fn actual(status: u16, body: &str, secrets: &[&str]) -> Cell {
    match status {
        200..=299 | 409 | 422 => Cell::shown(secrets.iter().any(|s| body.contains(s))),
        401 => Cell::Unauthenticated,
        403 => Cell::Forbidden,
        404 => Cell::NotFound,
        other => Cell::Other(other),
    }
}

/// The table of docs/SECURITY.md: operation → cells (anonymous, then roles).
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
    every_role_on_every_operation_answers_as_the_rules_of_access_say,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let mut users: Vec<(User, String)> = Vec::new();
        for role in ROLES {
            users.push(
                app.token_user(&format!("r_{}", role.as_str()), &[*role], Some("HJWS"))
                    .await,
            );
        }
        let mut model = fixture(&app).await;
        let (_, doc) = app.get_json(&users[0].1, "/api/v1/openapi.json").await;
        let mut operations = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in ["get", "post", "put", "delete", "patch"] {
                if item.get(method).is_some() {
                    operations.push((method.to_uppercase(), path.clone()));
                }
            }
        }
        assert!(operations.len() >= 25, "{operations:?}");
        // Logging out revokes the token used: last in every column.
        operations.sort_by_key(|(m, p)| (m == "DELETE" && p == "/api/v1/session", p.clone()));
        let columns = ROLES.len() + 1;
        let mut expected: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut actual_table: BTreeMap<String, Vec<String>> = BTreeMap::new();
        // Column by column, operations inside, so state changes (a
        // sign-for, a refused disclosure) happen in one fixed order, which
        // the model follows.
        for col in 0..columns {
            let who = col.checked_sub(1).map(|i| &users[i]);
            for (method, path) in &operations {
                let key = format!("{method} {path}");
                let variants = if matter_scoped(path) { 4 } else { 1 };
                let (mut want, mut got) = (Vec::new(), Vec::new());
                for v in 0..variants {
                    let (url, body) = call(method, path, &model, v)
                        .unwrap_or_else(|| panic!("no matrix call for {key}: add one"));
                    let e = match who {
                        None => Cell::Unauthenticated,
                        Some((u, _)) => model.expect(method, path, &u.actor(), v),
                    };
                    let (status, text) =
                        send(&app, who.map(|(_, t)| t.as_str()), method, &url, body).await;
                    if method == "POST" && path == "/api/v1/matters" && status == 201 {
                        let n: Value = serde_json::from_str(&text).unwrap();
                        if let Some(m) = model.matters.get_mut(4) {
                            m.number = n["number"].as_str().unwrap().to_owned();
                        }
                    }
                    let secrets: Vec<&str> = if matter_scoped(path) {
                        vec![model.matters[v].phone, model.matters[v].name]
                    } else {
                        PHONES.iter().chain(NAMES.iter()).copied().collect()
                    };
                    want.push(e.text());
                    got.push(actual(status, &text, &secrets).text());
                }
                for (table, cell) in [(&mut expected, want), (&mut actual_table, got)] {
                    table
                        .entry(key.clone())
                        .or_insert_with(|| vec![String::new(); columns])[col] = cell.join(" ");
                }
            }
        }
        let render = |t: &BTreeMap<String, Vec<String>>| {
            let mut out = String::from(
                "| endpoint | anonymous | intake | handler | dept_lead | leading_group | supervisor | auditor | admin |\n|---|---|---|---|---|---|---|---|---|\n",
            );
            for (key, row) in t {
                out.push_str(&format!("| `{key}` | {} |\n", row.join(" | ")));
            }
            out
        };
        let mut diffs = Vec::new();
        for (key, want) in &expected {
            let got = &actual_table[key];
            if want != got {
                diffs.push(format!(
                    "{key}: the rules say {want:?}, the server answered {got:?}"
                ));
            }
        }
        let doc = documented();
        if doc != expected {
            diffs.push(format!(
                "docs/SECURITY.md's matrix differs from the rules; it should read:\n{}",
                render(&expected)
            ));
        }
        assert!(
            diffs.is_empty(),
            "{} differences:\n{}",
            diffs.len(),
            diffs.join("\n")
        );
        app.stop().await;
    }
);

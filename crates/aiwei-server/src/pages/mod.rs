//! Server-rendered staff pages (Simplified Chinese). They work without
//! JavaScript; `static/app.js` only adds comfort (caller history as the
//! phone is typed, Ctrl+Enter to save).
//!
//! Handlers are thin: they read the request, call the same functions as the
//! API, and render a template. Errors are the API's errors; a layer turns
//! them into an HTML page, or a redirect to the login page for a 401.

mod account;
mod admin;
mod audit;
mod disclosures;
mod figures;
mod handling;
mod import;
mod intake;
mod knowledge;
mod ledger;
mod outbound;
mod public;
mod search;
mod settings;
mod staff;
mod telephony;
mod work;

use aiwei_core::access;
use aiwei_core::{ErrorCode, Role};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{AppendHeaders, Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use serde::Deserialize;

use crate::auth::{ClientIp, FormRoutes, Staff};
use crate::error::{ApiError, ErrorInfo};
use crate::extract::CsrfForm;
use crate::session::{clear_cookie, login_user, logout_session};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/intake", get(intake::form).post(intake::submit))
        .route("/intake/history", post(intake::history))
        .route("/ledger", get(ledger::ledger))
        .route("/search", get(search::page))
        .route("/knowledge", get(knowledge::list).post(knowledge::create))
        .route("/knowledge/new", get(knowledge::new_form))
        .route("/knowledge/{id}", get(knowledge::article))
        .route("/knowledge/{id}/edit", get(knowledge::edit_form))
        .route("/knowledge/{id}/versions", post(knowledge::propose))
        .route(
            "/knowledge/{id}/versions/{version}",
            get(knowledge::version),
        )
        .route("/knowledge/{id}/diff", get(knowledge::diff))
        .route("/knowledge/{id}/publish", post(knowledge::publish))
        .route("/knowledge/{id}/retire", post(knowledge::retire))
        .route("/intake/assist", post(knowledge::assist))
        .route("/work", get(work::work))
        .route("/supervision", get(work::supervision))
        .route("/figures", get(figures::dashboard))
        .route("/figures/print", get(figures::print))
        .route("/training", get(staff::training).post(staff::add_session))
        .route("/training/{id}", get(staff::session))
        .route(
            "/training/{id}/materials",
            post(staff::upload_material).layer(axum::extract::DefaultBodyLimit::max(
                aiwei_store::attachments::MAX_ATTACHMENT + 64 * 1024,
            )),
        )
        .route("/assessments", get(staff::assessments).post(staff::assess))
        .route("/supervision/hotspots", post(work::mark_hotspot))
        .route(
            "/notifications",
            get(work::notifications).post(work::read_all),
        )
        .route("/matters/{number}", get(ledger::matter))
        .route("/matters/{number}/actions", post(ledger::act))
        .route(
            "/matters/{number}/attachments",
            post(ledger::upload).layer(axum::extract::DefaultBodyLimit::max(
                aiwei_store::attachments::MAX_ATTACHMENT + 64 * 1024,
            )),
        )
        .route(
            "/matters/{number}/extensions",
            post(ledger::request_extension),
        )
        .route("/extensions/{id}/decision", post(work::decide_extension))
        .route("/matters/{number}/reveal", post(ledger::reveal))
        .route("/matters/{number}/query-code", post(ledger::issue_code))
        .route(
            "/matters/{number}/disclosures",
            post(ledger::request_disclosure),
        )
        .route("/matters/{number}/anonymise", post(ledger::anonymise))
        .route("/matters/{number}/people", post(ledger::name_person))
        .route("/matters/{number}/merge", post(ledger::merge))
        .route("/matters/{number}/unmerge", post(ledger::unmerge))
        .route("/matters/{number}/link", post(ledger::link))
        .route("/matters/{number}/unlink", post(ledger::unlink))
        .route("/disclosures", get(disclosures::list))
        .route(
            "/disclosures/{id}",
            get(disclosures::show).post(disclosures::sign).layer(
                axum::extract::DefaultBodyLimit::max(
                    aiwei_store::attachments::MAX_ATTACHMENT + 64 * 1024,
                ),
            ),
        )
        .route("/disclosures/{id}/decision", post(disclosures::decide))
        .route("/matters/{number}/print", get(ledger::print))
        .route("/admin", get(settings::status))
        .route("/admin/users", get(admin::users).post(admin::add_user))
        .route(
            "/admin/import",
            get(import::form)
                .post(import::submit)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::services::import::MAX_BYTES + 64 * 1024,
                )),
        )
        .route(
            "/admin/users/{id}",
            get(admin::user).post(admin::update_user),
        )
        .route("/admin/users/{id}/active", post(admin::set_active))
        .route("/admin/users/{id}/password", post(admin::reset_password))
        .route("/admin/users/{id}/extension", post(admin::set_extension))
        .route("/intake/calls", get(telephony::calls))
        .route(
            "/report",
            get(public::report)
                .post(public::file)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::services::public::MAX_PHOTO * crate::services::public::MAX_PHOTOS
                        + 64 * 1024,
                )),
        )
        .route("/progress", get(public::progress).post(public::look_up))
        .route("/callbacks", get(telephony::callbacks))
        .route("/callbacks/{id}", post(telephony::work))
        .route(
            "/admin/tokens",
            get(admin::tokens).post(admin::create_token),
        )
        .route("/admin/tokens/{id}/revoke", post(admin::revoke_token))
        .route(
            "/admin/departments",
            get(admin::departments).post(admin::add_department),
        )
        .route(
            "/admin/policy",
            get(settings::policy).post(settings::save_policy),
        )
        .route(
            "/admin/routing",
            get(settings::routing).post(settings::save_routing),
        )
        .route(
            "/admin/calendar",
            get(settings::calendar).post(settings::load_calendar),
        )
        .route("/admin/notify", get(outbound::notify))
        .route(
            "/admin/notify/destinations",
            post(outbound::add_destination),
        )
        .route(
            "/admin/notify/destinations/{id}/active",
            post(outbound::set_destination_active),
        )
        .route("/admin/notify/rules", post(outbound::add_rule))
        .route(
            "/admin/notify/rules/{id}/delete",
            post(outbound::delete_rule),
        )
        .route("/admin/notify/templates", get(outbound::templates))
        .route(
            "/admin/notify/templates/{kind}",
            post(outbound::save_template),
        )
        .route(
            "/admin/open311",
            get(outbound::open311).post(outbound::issue_open311_key),
        )
        .route(
            "/admin/open311/{id}/revoke",
            post(outbound::revoke_open311_key),
        )
        .route("/admin/outbox", get(outbound::outbox))
        .route("/admin/outbox/{id}/retry", post(outbound::retry))
        .route("/audit", get(audit::trail))
        .route("/account", get(account::page))
        .route("/account/password", post(account::change_password))
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
        // Page forms carry the session's CSRF token in a field, which
        // their extractors check.
        .layer(Extension(FormRoutes))
}

/// What was typed into a refused form, shown again so nothing is lost
/// (never a password or secret: the handler leaves those out).
#[derive(Debug, Clone, Default)]
pub struct Typed(pub Vec<(String, String)>);

impl Typed {
    /// A posted form's fields, less its CSRF token and the fields named in
    /// `secret`.
    pub fn of(form: &[(String, String)], secret: &[&str]) -> Self {
        Typed(
            form.iter()
                .filter(|(k, _)| k != "csrf" && !secret.contains(&k.as_str()))
                .cloned()
                .collect(),
        )
    }

    /// The value typed for `name`, or empty.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Whether `value` was chosen for `name` (a box ticked, an option
    /// selected).
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v == value)
    }
}

/// A page answered with the status of what was refused (a form shown
/// again with its error).
pub(super) fn with_status(page: impl IntoResponse, status: StatusCode) -> Response {
    let mut r = page.into_response();
    *r.status_mut() = status;
    r
}

/// A link in the sidebar.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every page's frame shows.
pub struct Layout {
    pub org_name: String,
    pub display_name: String,
    pub roles_zh: String,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    /// Unread notifications, shown beside 消息.
    pub unread: i64,
    /// The viewer's queued work overdue and due soon, shown beside 我的工作.
    pub overdue: usize,
    pub due_soon: usize,
    /// For administrators and supervisors: a year in use without holiday
    /// data, whose working days are only Monday–Friday.
    pub calendar_missing: Option<i32>,
}

impl Layout {
    pub async fn new(state: &AppState, staff: &Staff, current: &str) -> Self {
        let u = &staff.user;
        let mut nav = Vec::new();
        let mut add = |href: &'static str, label: &'static str| {
            nav.push(NavItem {
                href,
                label,
                current: href == current,
            })
        };
        add("/work", "我的工作");
        if u.may(access::Permission::RecordIntake) {
            add("/intake", "登记来电来访");
        }
        if u.may(access::Permission::LookUpCallers) {
            add("/callbacks", "漏接回拨");
        }
        add("/ledger", "来电来访台账");
        add("/knowledge", "知识库");
        if u.may(access::Permission::Supervise) {
            add("/supervision", "督办");
        }
        if u.may(access::Permission::ReadFigures) {
            add("/figures", "统计分析");
        }
        // Training and assessment concern the staff who handle calls,
        // visits and matters, not administrators or auditors alone.
        if u.roles.iter().any(|r| {
            matches!(
                r,
                Role::Intake
                    | Role::Handler
                    | Role::DeptLead
                    | Role::LeadingGroup
                    | Role::Supervisor
            )
        }) {
            add("/training", "培训");
            add("/assessments", "考核");
        }
        add("/notifications", "消息");
        add("/disclosures", "信息查阅申请");
        if u.may(access::Permission::ReadAudit) {
            add("/audit", "审计日志");
        }
        if u.may(access::Permission::Administer) {
            add("/admin", "系统状态");
            add("/admin/users", "用户管理");
            add("/admin/tokens", "API令牌");
            add("/admin/departments", "部门管理");
            add("/admin/policy", "时限设置");
            add("/admin/routing", "派单设置");
            add("/admin/calendar", "工作日历");
            add("/admin/import", "导入原台账");
            add("/admin/notify", "消息推送");
            add("/admin/notify/templates", "消息模板");
            add("/admin/outbox", "发送记录");
            add("/admin/open311", "Open311接口");
        }
        // A count that cannot be read is shown as none rather than failing
        // the page.
        let unread = state.store.unread_count(u.id).await.unwrap_or(0);
        let (overdue, due_soon) = state
            .store
            .queue_urgency(u, state.clock.now())
            .await
            .unwrap_or((0, 0));
        let calendar_missing = if u.may(access::Permission::SeeSetupWarnings) {
            let year = chrono::Datelike::year(
                &state.clock.now().with_timezone(&aiwei_core::time::china()),
            );
            match state.store.calendar().await {
                Ok(c) if !c.has_year(year) => Some(year),
                _ => None,
            }
        } else {
            None
        };
        Self {
            unread,
            overdue,
            due_soon,
            calendar_missing,
            org_name: state.config.org_name.clone(),
            display_name: u.display_name.clone(),
            roles_zh: roles_zh(&u.roles),
            csrf: staff.csrf().to_owned(),
            nav,
        }
    }
}

pub fn roles_zh(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.label())
        .collect::<Vec<_>>()
        .join("、")
}

/// A count as pages print it, thousands grouped by commas (共 1,016,000
/// 件): totals from the ledger's tally run into the millions.
pub fn grouped(n: impl std::borrow::Borrow<i64>) -> String {
    let n = *n.borrow();
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A matter number from a page's address (a notice after a redirect),
/// echoed only when it is one: the address is the client's to write.
pub fn echoed_number(raw: Option<&str>) -> Option<String> {
    raw.and_then(|n| n.parse::<aiwei_core::MatterNumber>().ok())
        .map(|n| n.to_string())
}

/// (code, Chinese) pairs of a vocabulary, for selects.
pub fn options<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(&'static str, &'static str)> {
    all.iter().map(|v| (code(*v), label(*v))).collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    message: String,
}

/// Turns error responses of everything but the API into HTML: a 401
/// becomes a redirect to the login page, anything else an error page with
/// the same status.
pub async fn html_errors(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    if api {
        return resp;
    }
    let Some(info) = resp.extensions().get::<ErrorInfo>().cloned() else {
        return resp;
    };
    if info.status == StatusCode::UNAUTHORIZED && info.code == ErrorCode::Unauthenticated {
        return Redirect::to("/login").into_response();
    }
    if info.code == ErrorCode::PasswordChangeRequired {
        return Redirect::to("/account").into_response();
    }
    let mut page = ErrorPage {
        status: info.status.as_u16(),
        message: info.message,
    }
    .into_response();
    *page.status_mut() = info.status;
    page
}

/// Each role's home: where its most urgent work is. Roles with work
/// queues land on them; a supervisor without queues on the supervision
/// board, an administrator on the accounts, an auditor on the audit trail.
async fn home(staff: Staff) -> Redirect {
    let u = &staff.user;
    let queues = !access::Queue::for_actor(&u.actor()).is_empty();
    Redirect::to(if queues {
        "/work"
    } else if u.may(access::Permission::Supervise) {
        "/supervision"
    } else if u.may(access::Permission::Administer) {
        "/admin"
    } else if u.may(access::Permission::ReadAudit) {
        "/audit"
    } else {
        "/work"
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "not_found.html")]
struct NotFoundPage {
    layout: Layout,
}

/// Any unknown address: a page that says so, inside the frame when someone
/// is logged in.
pub async fn not_found(State(state): State<AppState>, req: Request) -> Response {
    let (mut parts, _) = req.into_parts();
    let staff = <Staff as axum::extract::FromRequestParts<AppState>>::from_request_parts(
        &mut parts, &state,
    )
    .await;
    let mut page = match &staff {
        Ok(s) => NotFoundPage {
            layout: Layout::new(&state, s, "").await,
        }
        .into_response(),
        Err(ApiError { .. }) => ErrorPage {
            status: 404,
            message: "页面不存在。".to_owned(),
        }
        .into_response(),
    };
    *page.status_mut() = StatusCode::NOT_FOUND;
    page
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    org_name: String,
    error: Option<String>,
    username: String,
}

async fn login_page(State(state): State<AppState>) -> LoginPage {
    LoginPage {
        org_name: state.config.org_name.clone(),
        error: None,
        username: String::new(),
    }
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn login_submit(
    State(state): State<AppState>,
    ip: ClientIp,
    old: crate::auth::SessionCookie,
    Form(f): Form<LoginForm>,
) -> Response {
    match login_user(&state, &f.username, &f.password, &ip, old.0.as_deref()).await {
        Ok(s) => (
            StatusCode::SEE_OTHER,
            AppendHeaders([(SET_COOKIE, s.cookie), (LOCATION, "/".to_owned())]),
        )
            .into_response(),
        Err(e) => {
            let status = e.status;
            let mut page = LoginPage {
                org_name: state.config.org_name.clone(),
                error: Some(e.message()),
                username: f.username,
            }
            .into_response();
            *page.status_mut() = status;
            page
        }
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn logout(
    State(state): State<AppState>,
    form: CsrfForm<Empty>,
) -> Result<Response, ApiError> {
    logout_session(&state, &form.staff).await?;
    Ok((
        StatusCode::SEE_OTHER,
        AppendHeaders([
            (SET_COOKIE, clear_cookie(&state)),
            (LOCATION, "/login".to_owned()),
        ]),
    )
        .into_response())
}

const APP_CSS: &str = include_str!("../../static/app.css");
const APP_JS: &str = include_str!("../../static/app.js");

async fn css() -> impl IntoResponse {
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/css; charset=utf-8"),
        )],
        APP_CSS,
    )
}

async fn js() -> impl IntoResponse {
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        )],
        APP_JS,
    )
}

/// A fragment of HTML (for script-driven partial updates).
pub fn fragment(html: String) -> Html<String> {
    Html(html)
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(10_000), "10,000");
        assert_eq!(grouped(1_016_000), "1,016,000");
        assert_eq!(grouped(-12_345), "-12,345");
        assert_eq!(grouped(i64::MIN), "-9,223,372,036,854,775,808");
    }
}

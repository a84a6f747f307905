//! The ledger (台账) page, the matter page with its timeline, and the
//! printable 来电来访登记表.

use aiwei_core::access;
use aiwei_core::deadline::DeadlineKind;
use aiwei_core::time::local_minute;
use aiwei_core::{
    Channel, DisclosedField, ErrorCode, EventKind, FieldError, MatterStatus, MatterType,
};
use aiwei_store::departments::Department;
use aiwei_store::disclosures::DisclosureList;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::handling::{StepForm, available, to_request};
use super::intake::{CategoryOption, category_options};
use super::{Layout, options};
use crate::auth::{Administer, Staff};
use crate::error::ApiError;
use crate::extract::{ApiMultipart, ApiPath, ApiQuery, CsrfForm, IdempotencyKey};
use crate::services::attachments::{read_upload, store_upload};
use crate::services::confidential::{self, DisclosureRequest};
use crate::services::extensions::{ExtensionRequest, submit};
use crate::services::ledger::{LedgerQuery, find_visible, page};
use crate::services::once;
use crate::state::AppState;
use crate::views::{AttachmentView, DisclosureView, EventView, ExtensionView, MatterView};

#[derive(Template, WebTemplate)]
#[template(path = "ledger.html")]
pub struct LedgerPage {
    layout: Layout,
    q: LedgerQuery,
    items: Vec<MatterView>,
    error: Option<String>,
    next_href: Option<String>,
    first_href: String,
    /// The CSV export of the same filters (all pages).
    export_href: String,
    types: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    channels: Vec<(&'static str, &'static str)>,
    departments: Vec<Department>,
    categories: Vec<CategoryOption>,
}

fn href_at(base: &str, q: &LedgerQuery) -> String {
    match serde_urlencoded::to_string(q) {
        Ok(s) if !s.is_empty() => format!("{base}?{s}"),
        _ => base.to_owned(),
    }
}

fn href(q: &LedgerQuery) -> String {
    href_at("/ledger", q)
}

pub async fn ledger(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> Result<LedgerPage, ApiError> {
    let (items, next, error) = match page(&state, &staff, &q).await {
        Ok(p) => (p.items, p.next, None),
        Err(e) if !e.errors.is_empty() => (Vec::new(), None, Some(e.message())),
        Err(e) => return Err(e),
    };
    let next_href = next.map(|c| {
        href(&LedgerQuery {
            cursor: Some(c),
            ..q.clone()
        })
    });
    let first_href = href(&LedgerQuery {
        cursor: None,
        ..q.clone()
    });
    let export_href = href_at(
        "/api/v1/exports/ledger.csv",
        &LedgerQuery {
            cursor: None,
            limit: None,
            ..q.clone()
        },
    );
    Ok(LedgerPage {
        layout: Layout::new(&state, &staff, "/ledger").await,
        items,
        error,
        next_href,
        first_href,
        export_href,
        types: options(MatterType::ALL, MatterType::as_str, MatterType::label),
        statuses: options(MatterStatus::ALL, MatterStatus::as_str, MatterStatus::label),
        channels: options(Channel::ALL, Channel::as_str, Channel::label),
        departments: state.store.list_departments().await?,
        categories: category_options(&state).await?,
        q,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "matter.html")]
pub struct MatterPage {
    layout: Layout,
    m: MatterView,
    events: Vec<EventView>,
    created: bool,
    done: Option<String>,
    error: Option<String>,
    steps: Vec<StepForm>,
    extensions: Vec<ExtensionView>,
    /// Open clocks the viewer may ask to extend: (kind, name).
    extendable: Vec<(DeadlineKind, &'static str)>,
    attachments: Vec<AttachmentView>,
    may_upload: bool,
    /// The caller's data was just revealed on request (shown in clear once).
    revealed: bool,
    /// The idempotency key of the step forms of this rendering.
    attempt: String,
    conf: ConfidentialBox,
}

/// The confidentiality part of the matter page.
pub struct ConfidentialBox {
    may_reveal: bool,
    may_request: bool,
    /// Supervisors file disclosures for other staff.
    for_others: bool,
    sensitive: bool,
    may_anonymise: bool,
    /// A lead may name colleagues on this sensitive matter.
    may_name: bool,
    /// This matter's disclosures: all of them for supervisors, the
    /// viewer's own for others.
    disclosures: Vec<DisclosureView>,
}

#[derive(Deserialize)]
pub struct MatterQuery {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// The view of a matter already found visible, and its timeline.
async fn load(
    state: &AppState,
    staff: &Staff,
    m: aiwei_store::matters::Matter,
) -> Result<(MatterView, Vec<EventView>), ApiError> {
    let clear = crate::services::confidential::clear_for(state, staff, &m).await?;
    let events = state.store.events(m.id).await?;
    let mut view = MatterView::shown(m, clear, Some(events));
    let events = view.events.take().unwrap_or_default();
    Ok((view, events))
}

async fn matter_page(
    state: &AppState,
    staff: &Staff,
    number: &str,
    created: bool,
    done: Option<String>,
    error: Option<String>,
) -> Result<MatterPage, ApiError> {
    let matter = find_visible(state, &staff.user, number).await?;
    let now = state.clock.now();
    let steps = available(
        &matter,
        &staff.user,
        now,
        &state.store.list_departments().await?,
        &category_options(state).await?,
    );
    let (m, events) = load(state, staff, matter.clone()).await?;
    let deadlines = state.store.deadlines(matter.id).await?;
    let u = &staff.user;
    let actor = u.actor();
    let facts = matter.facts();
    // The same rule the store applies when the request comes.
    let extendable = deadlines
        .iter()
        .filter(|d| {
            d.ended_at.is_none()
                && d.due_at > now
                && access::may_request_extension(&actor, d.kind, facts.flow.lead.as_deref())
        })
        .map(|d| (d.kind, d.kind.label()))
        .collect();
    let extensions = state
        .store
        .extensions(matter.id)
        .await?
        .into_iter()
        .map(ExtensionView::from)
        .collect();
    let attachments = state
        .store
        .attachments(matter.id)
        .await?
        .into_iter()
        .map(AttachmentView::from)
        .collect();
    let may_upload = access::may_upload(&actor, &facts);
    let m = m.with_deadlines(deadlines);
    let disclosures = state
        .store
        .disclosures(DisclosureList::OfMatter(matter.id))
        .await?
        .into_iter()
        .filter(|d| access::may_see_disclosure(&actor, &d.facts()))
        .map(|d| DisclosureView::new(d, u.id, now, &state.config.agreement_text))
        .collect();
    let conf = ConfidentialBox {
        may_reveal: access::may_reveal(&actor, &facts).is_ok(),
        may_request: access::may_ask_disclosure(&actor, &facts),
        for_others: access::files_for_others(&actor),
        sensitive: matter.sensitive,
        may_anonymise: access::may_anonymise(&actor, &facts).is_ok(),
        may_name: access::offers_naming(&actor, &facts),
        disclosures,
    };
    Ok(MatterPage {
        layout: Layout::new(state, staff, "/ledger").await,
        m,
        events,
        created,
        done,
        error,
        steps,
        extensions,
        extendable,
        attachments,
        may_upload,
        revealed: false,
        attempt: crate::auth::new_secret(),
        conf,
    })
}

/// Where a form on the matter page leads: back to the page with `done`
/// on success; the page with the refusal (and its status) otherwise.
async fn back_to_matter(
    state: &AppState,
    staff: &Staff,
    number: &str,
    result: Result<EventKind, ApiError>,
) -> Result<Response, ApiError> {
    match result {
        Ok(done) => Ok(Redirect::to(&format!("/matters/{number}?done={done}")).into_response()),
        Err(e) if e.status.is_client_error() => {
            let status = e.status;
            let mut page = matter_page(state, staff, number, false, None, Some(e.message()))
                .await?
                .into_response();
            *page.status_mut() = status;
            Ok(page)
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

/// Reveal the caller on the matter page: the page once more, with the
/// caller in clear.
pub async fn reveal(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
    form: CsrfForm<ReasonForm>,
) -> Result<Response, ApiError> {
    let staff = form.staff;
    let m = find_visible(&state, &staff.user, &number).await?;
    match confidential::reveal(&state, &staff, m, &form.form.reason).await {
        Ok(caller) => {
            let mut page = matter_page(&state, &staff, &number, false, None, None).await?;
            page.m.caller = caller;
            page.revealed = true;
            Ok(page.into_response())
        }
        Err(e) => back_to_matter(&state, &staff, &number, Err(e)).await,
    }
}

#[derive(Deserialize)]
pub struct DisclosureForm {
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    organization: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    content: Option<String>,
    /// Supervisors: whom the disclosure is for.
    #[serde(default)]
    recipient: Option<String>,
}

/// Ask for a disclosure from the matter page.
pub async fn request_disclosure(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
    form: CsrfForm<DisclosureForm>,
) -> Result<Response, ApiError> {
    let staff = form.staff;
    let m = find_visible(&state, &staff.user, &number).await?;
    let f = &form.form;
    let fields = [
        (DisclosedField::Name, &f.name),
        (DisclosedField::Organization, &f.organization),
        (DisclosedField::Phone, &f.phone),
        (DisclosedField::Content, &f.content),
    ]
    .into_iter()
    .filter(|(_, v)| v.is_some())
    .map(|(k, _)| k)
    .collect();
    let req = DisclosureRequest {
        purpose: f.purpose.clone(),
        fields,
        recipient: f.recipient.clone(),
    };
    let result = confidential::request(&state, &staff, &m, &req)
        .await
        .map(|_| EventKind::DisclosureRequested);
    back_to_matter(&state, &staff, &number, result).await
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    username: String,
}

/// Name a colleague on a sensitive matter from the matter page.
pub async fn name_person(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
    form: CsrfForm<NameForm>,
) -> Result<Response, ApiError> {
    let staff = form.staff;
    let m = find_visible(&state, &staff.user, &number).await?;
    let result = confidential::name_person(&state, &staff, &m, &form.form.username)
        .await
        .map(|_| EventKind::PersonNamed);
    back_to_matter(&state, &staff, &number, result).await
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    confirm: Option<String>,
}

/// Anonymise the caller from the matter page (administrators).
pub async fn anonymise(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
    form: CsrfForm<ConfirmForm, Administer>,
) -> Result<Response, ApiError> {
    let staff = form.staff;
    let m = find_visible(&state, &staff.user, &number).await?;
    let result = confidential::anonymise(&state, &staff, &m, form.form.confirm.is_some())
        .await
        .map(|_| EventKind::CallerAnonymised);
    back_to_matter(&state, &staff, &number, result).await
}

/// The upload form of the matter page (multipart, so the CSRF token is
/// read from the form's own fields).
pub async fn upload(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(number): ApiPath<String>,
    ApiMultipart(mp): ApiMultipart,
) -> Result<Response, ApiError> {
    let m = find_visible(&state, &staff.user, &number).await?;
    let up = read_upload(mp, &[]).await?;
    crate::extract::check_form_token(&up.csrf, &staff)?;
    let result = store_upload(&state, &staff.user, &m, &up)
        .await
        .map(|_| EventKind::AttachmentAdded);
    back_to_matter(&state, &staff, &m.number, result).await
}

#[derive(Deserialize)]
pub struct ExtensionForm {
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    new_due_at: String,
    #[serde(default)]
    reason: String,
}

/// The extension form of the matter page.
pub async fn request_extension(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
    form: CsrfForm<ExtensionForm>,
) -> Result<Response, ApiError> {
    let staff = form.staff;
    let m = find_visible(&state, &staff.user, &number).await?;
    let result = async {
        let new_due_at = super::intake::parse_local(&form.form.new_due_at).ok_or_else(|| {
            ApiError::invalid_field(FieldError::new("new_due_at", ErrorCode::InvalidDateTime))
        })?;
        let deadline = DeadlineKind::parse(&form.form.deadline).map_err(ApiError::invalid_field)?;
        let req = ExtensionRequest {
            deadline,
            new_due_at,
            reason: form.form.reason.clone(),
        };
        submit(&state, &staff, m.id, &req).await
    }
    .await
    .map(|_| EventKind::ExtensionRequested);
    back_to_matter(&state, &staff, &m.number, result).await
}

pub async fn matter(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(number): ApiPath<String>,
    ApiQuery(q): ApiQuery<MatterQuery>,
) -> Result<MatterPage, ApiError> {
    // An unknown code in the address shows nothing rather than itself.
    let done = q
        .done
        .as_deref()
        .and_then(EventKind::from_code)
        .map(|k| k.label().to_owned());
    matter_page(&state, &staff, &number, q.created.is_some(), done, None).await
}

/// A step form posted from the matter page. Success redirects back to the
/// page; a refusal is shown there with the refusal's status.
pub async fn act(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
    form: CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let staff = form.staff;
    let m = find_visible(&state, &staff.user, &number).await?;
    let result = async {
        let req = to_request(&form.form)?;
        let attempt = form
            .form
            .iter()
            .find(|(k, _)| k == "attempt")
            .map(|(_, v)| v.as_str());
        let attempt = IdempotencyKey::parse(attempt)?.0;
        Ok::<_, ApiError>(once::step(&state, &staff.user, &m, &req, attempt).await?.0)
    }
    .await;
    let result = match result {
        Ok(after) => Ok(state
            .store
            .events(after.id)
            .await?
            .last()
            .map(|e| e.kind)
            .unwrap_or(EventKind::Received)),
        Err(e) => Err(e),
    };
    back_to_matter(&state, &staff, &m.number, result).await
}

#[derive(Template, WebTemplate)]
#[template(path = "print.html")]
pub struct PrintPage {
    org_name: String,
    printed_at: String,
    m: MatterView,
    events: Vec<EventView>,
}

pub async fn print(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(number): ApiPath<String>,
) -> Result<PrintPage, ApiError> {
    let matter = find_visible(&state, &staff.user, &number).await?;
    let (m, events) = load(&state, &staff, matter).await?;
    Ok(PrintPage {
        org_name: state.config.org_name.clone(),
        printed_at: local_minute(state.clock.now()),
        m,
        events,
    })
}

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
use crate::auth::{Administer, RecordIntake, Staff};
use crate::error::ApiError;
use crate::extract::{ApiMultipart, ApiPath, ApiQuery, CsrfForm, IdempotencyKey};
use crate::services::attachments::{read_upload, store_upload};
use crate::services::confidential::Showing;
use crate::services::confidential::{self, DisclosureRequest};
use crate::services::extensions::{ExtensionRequest, submit};
use crate::services::ledger::{LedgerQuery, find_visible, page};
use crate::services::merges::{self, OtherMatter, UnmergeRequest};
use crate::services::once;
use crate::state::AppState;
use crate::views::{AttachmentView, DisclosureView, EventView, ExtensionView, MatterView};

#[derive(Template, WebTemplate)]
#[template(path = "ledger.html")]
pub struct LedgerPage {
    layout: Layout,
    q: LedgerQuery,
    items: Vec<MatterView>,
    total: i64,
    /// More than `total` match (counting stopped).
    total_more: bool,
    error: Option<String>,
    next_href: Option<String>,
    first_href: String,
    /// The CSV export of the same filters (all pages).
    export_href: String,
    xlsx_href: String,
    types: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    channels: Vec<(&'static str, &'static str)>,
    satisfactions: Vec<(&'static str, &'static str)>,
    departments: Vec<Department>,
    categories: Vec<CategoryOption>,
    /// (id, name) of the staff who record matters.
    clerks: Vec<(String, String)>,
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

/// The page's rows with each merged matter moved under its lead when the
/// lead is on the same page (并单 shown where it is handled); the rest keep
/// the ledger's order.
fn under_leads(items: Vec<MatterView>) -> Vec<MatterView> {
    let on_page: std::collections::HashSet<String> =
        items.iter().map(|m| m.number.clone()).collect();
    let (children, rest): (Vec<MatterView>, Vec<MatterView>) = items
        .into_iter()
        .partition(|m| m.merged_into.as_ref().is_some_and(|l| on_page.contains(l)));
    let mut children: Vec<Option<MatterView>> = children.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(rest.len() + children.len());
    for m in rest {
        let number = m.number.clone();
        out.push(m);
        for c in children.iter_mut() {
            if c.as_ref().and_then(|c| c.merged_into.as_deref()) == Some(number.as_str()) {
                out.extend(c.take());
            }
        }
    }
    out
}

pub async fn ledger(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> Result<LedgerPage, ApiError> {
    let (items, next, (total, total_more), error) = match page(&state, &staff, &q).await {
        Ok(p) => (p.items, p.next, (p.total, p.total_more), None),
        Err(e) if !e.errors.is_empty() => (Vec::new(), None, (0, false), Some(e.message())),
        Err(e) => return Err(e),
    };
    let items = under_leads(items);
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
    let export_query = LedgerQuery {
        cursor: None,
        limit: None,
        ..q.clone()
    };
    let export_href = href_at("/api/v1/exports/ledger.csv", &export_query);
    let xlsx_href = href_at("/api/v1/exports/ledger.xlsx", &export_query);
    Ok(LedgerPage {
        layout: Layout::new(&state, &staff, "/ledger").await,
        items,
        total,
        total_more,
        error,
        next_href,
        first_href,
        export_href,
        xlsx_href,
        types: options(MatterType::ALL, MatterType::as_str, MatterType::label),
        statuses: options(MatterStatus::ALL, MatterStatus::as_str, MatterStatus::label),
        channels: options(Channel::ALL, Channel::as_str, Channel::label),
        satisfactions: options(
            aiwei_core::Satisfaction::ALL,
            aiwei_core::Satisfaction::as_str,
            aiwei_core::Satisfaction::label,
        ),
        departments: state.store.list_departments().await?,
        categories: category_options(&state).await?,
        clerks: state
            .store
            .list_users()
            .await?
            .into_iter()
            .filter(|u| u.may(access::Permission::RecordIntake))
            .map(|u| (u.id.0.to_string(), u.display_name))
            .collect(),
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
    /// A step form was refused and is shown again, open, with its input.
    any_refused: bool,
    /// Another form of the page was refused: shown again the same way.
    refused: Option<Refused>,
    /// The caller's data was just revealed on request (shown in clear once).
    revealed: bool,
    /// A query code just issued for the caller (shown once).
    query_code: Option<String>,
    /// The viewer records intake and may issue a query code.
    may_issue_code: bool,
    /// The idempotency key of the step forms of this rendering.
    attempt: String,
    conf: ConfidentialBox,
    rel: RelatedBox,
}

/// The merge (并单) and links part of the matter page.
pub struct RelatedBox {
    /// The lead it is merged into.
    lead: Option<String>,
    /// Matters merged into it, and linked to it, that the viewer sees.
    merged: Vec<String>,
    linked: Vec<String>,
    may_merge: bool,
    may_unmerge: bool,
    may_link: bool,
    may_unlink: bool,
    /// Likely duplicates to merge into, for those who merge.
    duplicates: Vec<crate::services::duplicates::Duplicate>,
}

impl RelatedBox {
    fn any(&self) -> bool {
        self.lead.is_some()
            || !self.merged.is_empty()
            || !self.linked.is_empty()
            || self.may_merge
            || self.may_link
    }

    /// The likely duplicates that can be merged into.
    fn merge_targets(&self) -> Vec<&crate::services::duplicates::Duplicate> {
        self.duplicates.iter().filter(|d| d.mergeable).collect()
    }
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
    /// Why a merge chosen at intake was refused (an error code).
    #[serde(default)]
    refused: Option<String>,
}

/// The view of a matter already found visible, and its timeline.
async fn load(
    state: &AppState,
    staff: &Staff,
    m: aiwei_store::matters::Matter,
) -> Result<(MatterView, Vec<EventView>), ApiError> {
    let clear = crate::services::confidential::clear_for(state, staff, &m, Showing::Read).await?;
    let events = state.store.events(m.id).await?;
    let mut view = MatterView::shown(m, clear, Some(events), state.clock.now());
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
    let related = crate::services::merges::related(state, staff, &matter).await?;
    let merge_facts = aiwei_core::merge::MergeFacts {
        matter_type: matter.matter_type,
        status: matter.status,
        merged: matter.merged_into.is_some(),
        has_merged: related.has_merged,
    };
    let may_merge = aiwei_core::merge::offers_merge(&actor, &merge_facts);
    let duplicates = if may_merge {
        crate::services::duplicates::of_matter(state, staff, &matter)
            .await?
            .items
    } else {
        Vec::new()
    };
    let rel = RelatedBox {
        lead: matter.merged_into.clone(),
        duplicates,
        may_merge,
        may_unmerge: aiwei_core::merge::may_unmerge(&actor, &merge_facts).is_ok(),
        may_link: aiwei_core::merge::may_link(&actor, false).is_ok(),
        may_unlink: aiwei_core::merge::may_link(&actor, true).is_ok(),
        merged: related.merged,
        linked: related.linked,
    };
    Ok(MatterPage {
        layout: Layout::new(state, staff, "/ledger").await,
        rel,
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
        query_code: None,
        may_issue_code: staff.user.may(aiwei_core::access::Permission::RecordIntake),
        any_refused: false,
        refused: None,
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
    back_with(state, staff, number, result, None).await
}

/// [`back_to_matter`] for a form of the page whose input, when refused,
/// comes back: (the form's name, what was posted).
async fn back_with(
    state: &AppState,
    staff: &Staff,
    number: &str,
    result: Result<EventKind, ApiError>,
    form: Option<(&'static str, Vec<(String, String)>)>,
) -> Result<Response, ApiError> {
    match result {
        Ok(done) => Ok(Redirect::to(&format!("/matters/{number}?done={done}")).into_response()),
        Err(e) if e.status.is_client_error() => {
            let status = e.status;
            let mut page =
                matter_page(state, staff, number, false, None, Some(e.message())).await?;
            page.refused = form.map(|(name, values)| Refused {
                form: name,
                values,
                field: e.first_field().map(str::to_owned),
                message: e.message(),
            });
            let mut page = page.into_response();
            *page.status_mut() = status;
            Ok(page)
        }
        Err(e) => Err(e),
    }
}

/// A form of the matter page that was posted and refused.
pub struct Refused {
    form: &'static str,
    values: Vec<(String, String)>,
    field: Option<String>,
    message: String,
}

impl MatterPage {
    /// Whether `form` is the one refused: shown open.
    pub fn open_form(&self, form: &str) -> bool {
        self.refused.as_ref().is_some_and(|r| r.form == form)
    }

    /// What was typed into `name` of the refused `form`.
    pub fn typed(&self, form: &str, name: &str) -> &str {
        self.refused
            .as_ref()
            .filter(|r| r.form == form)
            .and_then(|r| r.values.iter().find(|(k, _)| k == name))
            .map_or("", |(_, v)| v.as_str())
    }

    /// Whether checkbox `name` of the refused `form` was ticked.
    pub fn ticked(&self, form: &str, name: &str) -> bool {
        !self.typed(form, name).is_empty()
    }

    /// The refusal, beside field `name` of `form`.
    pub fn error_of(&self, form: &str, name: &str) -> Option<&str> {
        self.refused
            .as_ref()
            .filter(|r| r.form == form && r.field.as_deref() == Some(name))
            .map(|r| r.message.as_str())
    }
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

/// Reveal the caller on the matter page: the page once more, with the
/// caller in clear.
/// Issues a new query code for the caller (办理进度查询), replacing any
/// earlier one; shown once on the page, only its hash kept.
pub async fn issue_code(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
    form: CsrfForm<super::admin::Empty, RecordIntake>,
) -> Result<Response, ApiError> {
    let staff = form.staff;
    let m = find_visible(&state, &staff.user, &number).await?;
    let (code, hash) = crate::services::public::new_code().await?;
    state
        .store
        .set_query_code(m.id, &hash, state.clock.now())
        .await?;
    let mut page = matter_page(&state, &staff, &number, false, None, None).await?;
    page.query_code = Some(code);
    Ok(page.into_response())
}

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
        Err(e) => {
            let typed = vec![("reason".to_owned(), form.form.reason.clone())];
            back_with(&state, &staff, &number, Err(e), Some(("reveal", typed))).await
        }
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
    let tick = |on: &Option<String>| if on.is_some() { "1" } else { "" }.to_owned();
    let typed = vec![
        ("purpose".to_owned(), f.purpose.clone()),
        ("name".to_owned(), tick(&f.name)),
        ("organization".to_owned(), tick(&f.organization)),
        ("phone".to_owned(), tick(&f.phone)),
        ("content".to_owned(), tick(&f.content)),
        (
            "recipient".to_owned(),
            f.recipient.clone().unwrap_or_default(),
        ),
    ];
    back_with(&state, &staff, &number, result, Some(("disclosure", typed))).await
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
    let typed = vec![("username".to_owned(), form.form.username.clone())];
    back_with(&state, &staff, &number, result, Some(("name", typed))).await
}

#[derive(Deserialize)]
pub struct OtherForm {
    #[serde(default)]
    other: String,
}

/// Merge this matter into another, from the matter page.
pub async fn merge(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
    form: CsrfForm<OtherForm>,
) -> Result<Response, ApiError> {
    let staff = form.staff;
    let m = find_visible(&state, &staff.user, &number).await?;
    let req = OtherMatter {
        other: Some(form.form.other.clone()),
    };
    let result = merges::merge(&state, &staff, &m, &req)
        .await
        .map(|()| EventKind::MergedInto);
    let typed = vec![("other".to_owned(), form.form.other.clone())];
    back_with(&state, &staff, &number, result, Some(("merge", typed))).await
}

/// Undo the merge, from the matter page (supervisors).
pub async fn unmerge(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
    form: CsrfForm<ReasonForm>,
) -> Result<Response, ApiError> {
    let staff = form.staff;
    let m = find_visible(&state, &staff.user, &number).await?;
    let req = UnmergeRequest {
        reason: Some(form.form.reason.clone()),
    };
    let result = merges::unmerge(&state, &staff, &m, &req)
        .await
        .map(|()| EventKind::Unmerged);
    let typed = vec![("reason".to_owned(), form.form.reason.clone())];
    back_with(&state, &staff, &number, result, Some(("unmerge", typed))).await
}

/// Link with another matter, or remove a link, from the matter page.
async fn link_form(
    state: AppState,
    number: String,
    form: CsrfForm<OtherForm>,
    undo: bool,
) -> Result<Response, ApiError> {
    let staff = form.staff;
    let m = find_visible(&state, &staff.user, &number).await?;
    let req = OtherMatter {
        other: Some(form.form.other.clone()),
    };
    let result = merges::link(&state, &staff, &m, &req, undo)
        .await
        .map(|()| {
            if undo {
                EventKind::Unlinked
            } else {
                EventKind::Linked
            }
        });
    let typed = vec![("other".to_owned(), form.form.other.clone())];
    let name = if undo { "unlink" } else { "link" };
    back_with(&state, &staff, &number, result, Some((name, typed))).await
}

pub async fn link(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
    form: CsrfForm<OtherForm>,
) -> Result<Response, ApiError> {
    link_form(state, number, form, false).await
}

pub async fn unlink(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
    form: CsrfForm<OtherForm>,
) -> Result<Response, ApiError> {
    link_form(state, number, form, true).await
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
        let raw = form.form.new_due_at.trim();
        let new_due_at = super::intake::parse_local(raw).ok_or_else(|| {
            let code = if raw.is_empty() {
                ErrorCode::Required
            } else {
                ErrorCode::InvalidDateTime
            };
            ApiError::invalid_field(FieldError::new("new_due_at", code))
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
    let f = &form.form;
    let typed = vec![
        ("deadline".to_owned(), f.deadline.clone()),
        ("new_due_at".to_owned(), f.new_due_at.clone()),
        ("reason".to_owned(), f.reason.clone()),
    ];
    back_with(
        &state,
        &staff,
        &m.number,
        result,
        Some(("extension", typed)),
    )
    .await
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
    let error = q
        .refused
        .as_deref()
        .and_then(aiwei_core::ErrorCode::from_code)
        .map(|c| format!("已登记，但未能并单：{}", c.label()));
    matter_page(&state, &staff, &number, q.created.is_some(), done, error).await
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
    match result {
        Ok(after) => {
            let done = state
                .store
                .events(after.id)
                .await?
                .last()
                .map(|e| e.kind)
                .unwrap_or(EventKind::Received);
            // A step can take the matter out of the actor's sight (a
            // return leaves the department): their work list says so
            // instead of a page they may no longer open.
            // Urged from the supervision board: back to the board.
            if form.form.iter().any(|(k, v)| k == "back" && v == "board") {
                return Ok(
                    Redirect::to(&format!("/supervision?urged={}", m.number)).into_response()
                );
            }
            if find_visible(&state, &staff.user, &m.number).await.is_err() {
                return Ok(
                    Redirect::to(&format!("/work?done={done}&matter={}", m.number)).into_response(),
                );
            }
            back_to_matter(&state, &staff, &m.number, Ok(done)).await
        }
        Err(e) if e.status.is_client_error() => {
            let status = e.status;
            let mut page =
                matter_page(&state, &staff, &m.number, false, None, Some(e.message())).await?;
            let action = form
                .form
                .iter()
                .find(|(k, _)| k == "action")
                .map(|(_, v)| v.as_str());
            if let Some(st) = page.steps.iter_mut().find(|s| Some(s.code) == action) {
                st.refill(&form.form, e.first_field(), e.message());
                page.any_refused = true;
            }
            let mut resp = page.into_response();
            *resp.status_mut() = status;
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "print.html")]
pub struct PrintPage {
    org_name: String,
    printed_at: String,
    m: MatterView,
    events: Vec<EventView>,
}

impl PrintPage {
    /// The latest text `field` of the latest event of one of `kinds`.
    fn latest_text(&self, kinds: &[EventKind], field: &str) -> String {
        self.events
            .iter()
            .rev()
            .filter(|e| kinds.contains(&e.kind))
            .find_map(|e| e.texts.iter().find(|t| t.field == field))
            .map(|t| t.text.clone())
            .unwrap_or_default()
    }

    /// 办理结果: the rectification's or the department's result, or the
    /// answer given to the caller.
    pub fn result(&self) -> String {
        let r = self.latest_text(&[EventKind::Completed, EventKind::ResultRecorded], "result");
        if r.is_empty() {
            self.latest_text(&[EventKind::Replied], "answer")
        } else {
            r
        }
    }

    /// 反馈情况: what the caller was told.
    pub fn feedback(&self) -> String {
        self.latest_text(&[EventKind::FeedbackGiven], "content")
    }

    /// 回访满意度 of the latest revisit, in words.
    pub fn satisfaction(&self) -> String {
        self.events
            .iter()
            .rev()
            .filter(|e| matches!(e.kind, EventKind::Revisited | EventKind::RedoOrdered))
            .find_map(|e| e.payload["satisfaction"].as_str())
            .and_then(aiwei_core::Satisfaction::from_code)
            .map(|s| s.label().to_owned())
            .unwrap_or_default()
    }
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
        // Who looked at the caller is the audit's business, not the form's.
        events: events
            .into_iter()
            .filter(|e| !e.kind.records_access())
            .collect(),
    })
}

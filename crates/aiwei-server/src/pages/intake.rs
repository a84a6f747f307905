//! The intake page: record a call or a visit while it happens (R-2.2,
//! Sensible defaults (now, the staff member's department), keyboard
//! first, the caller's earlier matters beside the form.

use aiwei_core::intake::{CallerInput, IntakeRequest, LocationInput};
use aiwei_core::knowledge::AnsweredFrom;
use aiwei_core::time::china;
use aiwei_core::{Channel, ErrorCode, FieldError, FieldErrors, MatterType, PhoneNumber};
use aiwei_store::departments::Department;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;

use super::{Layout, fragment, options};
use crate::auth::{Can, LookUpCallers, RecordIntake, Staff};
use crate::error::ApiError;
use crate::extract::IdempotencyKey;
use crate::extract::{ApiQuery, CsrfForm};
use crate::messages::field_message;
use crate::services::ledger::visible_to;
use crate::services::once;
use crate::state::AppState;
use crate::views::MatterView;

/// The form as posted: every field a string, so nothing the staff member
/// typed is lost when the form comes back with errors.
#[derive(Debug, Default, Deserialize)]
pub struct IntakeForm {
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub received_at: String,
    #[serde(default)]
    pub ring_seconds: String,
    /// The exchange's id of the call the page opened as it rang.
    #[serde(default)]
    pub call_id: String,
    #[serde(default)]
    pub arrived_at: String,
    #[serde(default)]
    pub caller_kind: String,
    #[serde(default)]
    pub caller_name: String,
    #[serde(default)]
    pub caller_organization: String,
    #[serde(default)]
    pub caller_phone: String,
    #[serde(default, rename = "type")]
    pub matter_type: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub area_code: String,
    #[serde(default)]
    pub sensitive: Option<String>,
    #[serde(default)]
    pub urgent: Option<String>,
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub agreed_reply_at: String,
    /// The knowledge-base article and version whose answer was inserted
    /// (set by the page's script, cleared when the answer is).
    #[serde(default)]
    pub answered_article: String,
    #[serde(default)]
    pub answered_version: String,
    /// The suggestions the page showed (set by its script).
    #[serde(default)]
    pub suggested_category: String,
    #[serde(default)]
    pub suggested_department: String,
    /// A likely duplicate chosen to merge the new matter into.
    #[serde(default)]
    pub merge_into: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub action: String,
    /// This form's idempotency key: a second submission of the same form
    /// (a double click, a resend) finds the matter the first one made.
    #[serde(default)]
    pub attempt: String,
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// A `datetime-local` value (local time, minutes or seconds) as an instant.
pub fn parse_local(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M"))
        .ok()
        .and_then(|n| china().from_local_datetime(&n).single())
        .map(|t| t.with_timezone(&Utc))
}

/// [`parse_local`] for a form field: blank is absent, garbage is an error.
fn local_instant(field: &str, raw: &str, errs: &mut FieldErrors) -> Option<DateTime<Utc>> {
    if raw.trim().is_empty() {
        return None;
    }
    let parsed = parse_local(raw);
    if parsed.is_none() {
        errs.push(field, ErrorCode::InvalidDateTime);
    }
    parsed
}

fn local_input(t: DateTime<Utc>) -> String {
    t.with_timezone(&china())
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

impl IntakeForm {
    /// The API request this form stands for, or the fields that could not
    /// even be read (dates, numbers).
    fn to_request(&self) -> Result<IntakeRequest, FieldErrors> {
        let mut errs = FieldErrors::default();
        let received_at = local_instant("received_at", &self.received_at, &mut errs);
        let arrived_at = local_instant("arrived_at", &self.arrived_at, &mut errs);
        let agreed_reply_at = local_instant("agreed_reply_at", &self.agreed_reply_at, &mut errs);
        let ring_seconds = match self.ring_seconds.trim() {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errs.push("ring_seconds", ErrorCode::InvalidValue);
                    None
                }
            },
        };
        let answered_from = match (self.answered_article.trim(), self.answered_version.trim()) {
            ("", "") => None,
            (a, v) => match (a.parse(), v.parse()) {
                (Ok(article), Ok(version)) => Some(AnsweredFrom { article, version }),
                _ => {
                    errs.push("answered_from", ErrorCode::NotOfferable);
                    None
                }
            },
        };
        let visit = Channel::from_code(&self.channel) == Some(Channel::Visit);
        let req = IntakeRequest {
            channel: opt(&self.channel),
            received_at,
            // The form shows both inputs; keep only the one of the channel.
            ring_seconds: if visit { None } else { ring_seconds },
            arrived_at: if visit { arrived_at } else { None },
            call_id: if visit { None } else { opt(&self.call_id) },
            caller: CallerInput {
                kind: opt(&self.caller_kind),
                name: opt(&self.caller_name),
                organization: opt(&self.caller_organization),
                phone: opt(&self.caller_phone),
            },
            matter_type: opt(&self.matter_type),
            category: opt(&self.category),
            content: opt(&self.content),
            location: Some(LocationInput {
                address: opt(&self.address),
                area_code: opt(&self.area_code),
                latitude: None,
                longitude: None,
            }),
            sensitive: self.sensitive.is_some(),
            urgent: self.urgent.is_some(),
            answer: opt(&self.answer),
            agreed_reply_at,
            answered_from,
            suggested_category: opt(&self.suggested_category),
            suggested_department: opt(&self.suggested_department),
            department: opt(&self.department),
        };
        if errs.is_empty() { Ok(req) } else { Err(errs) }
    }
}

pub struct CategoryOption {
    pub code: String,
    pub label: String,
    pub matter_type: String,
    /// Where its matters usually go (its own setting or its parent's).
    pub route: Option<Route>,
}

/// A sub-category's routing default, as dispatch and intake show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub lead: String,
    pub lead_name: String,
    pub co: Vec<String>,
    /// The sub-category whose setting it is (itself or a parent).
    pub from: String,
}

impl CategoryOption {
    /// `病媒防制科`, for the intake hint.
    pub fn route_text(&self) -> String {
        self.route
            .as_ref()
            .map(|r| r.lead_name.clone())
            .unwrap_or_default()
    }
}

/// The routing default of `code`: its own, else its nearest parent's.
fn route_of(
    all: &[aiwei_store::categories::Category],
    departments: &[Department],
    code: &str,
) -> Option<Route> {
    let mut at = all.iter().find(|c| c.code == code);
    // The tree is shallow; the bound keeps a corrupt cycle from looping.
    for _ in 0..8 {
        let c = at?;
        if let Some(lead) = &c.default_lead {
            return Some(Route {
                lead_name: departments
                    .iter()
                    .find(|d| &d.code == lead)
                    .map_or_else(|| lead.clone(), |d| d.name.clone()),
                lead: lead.clone(),
                co: c.default_co.clone(),
                from: c.name.clone(),
            });
        }
        at = c
            .parent
            .as_ref()
            .and_then(|p| all.iter().find(|x| &x.code == p));
    }
    None
}

#[derive(Template, WebTemplate)]
#[template(path = "intake.html")]
pub struct IntakePage {
    layout: Layout,
    f: IntakeForm,
    errors: Vec<(String, String)>,
    types: Vec<(&'static str, &'static str)>,
    categories: Vec<CategoryOption>,
    departments: Vec<Department>,
    history: Option<Vec<MatterView>>,
    /// The matter saved just before, when the staff member chose "保存并登记
    /// 下一条".
    recorded: Option<String>,
}

impl IntakePage {
    fn err(&self, field: &str) -> &str {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .unwrap_or("")
    }

    fn has_err(&self, field: &str) -> bool {
        self.errors.iter().any(|(f, _)| f == field)
    }

    fn is_visit(&self) -> bool {
        Channel::from_code(&self.f.channel) == Some(Channel::Visit)
    }
}

pub async fn category_options(state: &AppState) -> Result<Vec<CategoryOption>, ApiError> {
    let all = state.store.list_categories().await?;
    let departments = state.store.list_departments().await?;
    Ok(all
        .iter()
        .map(|c| {
            let label = match c
                .parent
                .as_ref()
                .and_then(|p| all.iter().find(|x| &x.code == p))
            {
                Some(p) => format!("{} / {}", p.name, c.name),
                None => c.name.clone(),
            };
            CategoryOption {
                code: c.code.clone(),
                label,
                matter_type: c.matter_type.as_str().to_owned(),
                route: route_of(&all, &departments, &c.code),
            }
        })
        .collect())
}

async fn render(
    state: &AppState,
    staff: &Staff,
    f: IntakeForm,
    errors: &[FieldError],
    history: Option<Vec<MatterView>>,
) -> Result<Response, ApiError> {
    render_with(state, staff, f, errors, history, None).await
}

async fn render_with(
    state: &AppState,
    staff: &Staff,
    f: IntakeForm,
    errors: &[FieldError],
    history: Option<Vec<MatterView>>,
    recorded: Option<String>,
) -> Result<Response, ApiError> {
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = IntakePage {
        layout: Layout::new(state, staff, "/intake").await,
        errors: errors
            .iter()
            .map(|e| (e.field.clone(), field_message(&e.field, e.code)))
            .collect(),
        f,
        types: options(MatterType::ALL, MatterType::as_str, MatterType::label),
        categories: category_options(state).await?,
        departments: state.store.list_departments().await?,
        history,
        recorded,
    };
    let mut resp = page.into_response();
    *resp.status_mut() = status;
    Ok(resp)
}

#[derive(Deserialize)]
pub struct IntakeQuery {
    #[serde(default)]
    channel: Option<String>,
    /// The matter just saved with "保存并登记下一条".
    #[serde(default)]
    recorded: Option<String>,
}

pub async fn form(
    State(state): State<AppState>,
    can: Can<RecordIntake>,
    ApiQuery(q): ApiQuery<IntakeQuery>,
) -> Result<Response, ApiError> {
    let channel = q
        .channel
        .as_deref()
        .and_then(Channel::from_code)
        .unwrap_or(Channel::Phone);
    let f = IntakeForm {
        channel: channel.as_str().into(),
        caller_kind: aiwei_core::CallerKind::Person.as_str().into(),
        matter_type: MatterType::Complaint.as_str().into(),
        received_at: local_input(state.clock.now()),
        attempt: crate::auth::new_secret(),
        ..Default::default()
    };
    let recorded = super::echoed_number(q.recorded.as_deref());
    render_with(&state, &can.staff, f, &[], None, recorded).await
}

async fn lookup(
    state: &AppState,
    staff: &Staff,
    phone: &str,
) -> Result<Option<Vec<MatterView>>, ApiError> {
    let Ok(p) = PhoneNumber::parse("caller_phone", phone) else {
        return Ok(None);
    };
    let (actor, now) = (staff.user.actor(), state.clock.now());
    let items = state
        .store
        .caller_history(&p, &visible_to(state, &staff.user), 10)
        .await?
        .into_iter()
        .map(|m| MatterView::listed(m, &actor, now))
        .collect::<Vec<_>>();
    crate::services::confidential::record_list_view(
        state,
        staff,
        "caller_history",
        &items.iter().collect::<Vec<_>>(),
    )
    .await?;
    Ok(Some(items))
}

pub async fn submit(
    State(state): State<AppState>,
    form: CsrfForm<IntakeForm, RecordIntake>,
) -> Result<Response, ApiError> {
    let staff = form.staff;
    let f = form.form;
    if f.action == "lookup" {
        let history = lookup(&state, &staff, &f.caller_phone).await?;
        return render(&state, &staff, f, &[], history).await;
    }
    let req = match f.to_request() {
        Ok(r) => r,
        Err(errs) => return render(&state, &staff, f, &errs.0, None).await,
    };
    let attempt = IdempotencyKey::parse(Some(&f.attempt))?.0;
    let recorded = once::record(&state, &staff.user, &req, attempt).await;
    // Merged into the duplicate chosen, once recorded; a refused merge
    // leaves the matter recorded, and its page says why.
    let mut merge_refused = None;
    if let (Ok((m, _)), false) = (&recorded, f.merge_into.trim().is_empty()) {
        let other = crate::services::merges::OtherMatter {
            other: Some(f.merge_into.trim().to_owned()),
        };
        if let Err(e) = crate::services::merges::merge(&state, &staff, m, &other).await {
            if !e.status.is_client_error() {
                return Err(e);
            }
            merge_refused = Some(e.errors.first().map_or(e.code, |f| f.code));
        }
    }
    match recorded {
        Ok((m, _)) if !f.merge_into.trim().is_empty() => Ok(Redirect::to(&match merge_refused {
            None => format!("/matters/{}?created=1&done=merged_into", m.number),
            Some(code) => format!("/matters/{}?created=1&refused={code}", m.number),
        })
        .into_response()),
        Ok((m, _)) if f.action == "submit_next" => Ok(Redirect::to(&format!(
            "/intake?channel={}&recorded={}",
            m.channel.as_str(),
            m.number
        ))
        .into_response()),
        Ok((m, _)) => Ok(Redirect::to(&format!("/matters/{}?created=1", m.number)).into_response()),
        Err(e) if !e.errors.is_empty() => {
            let errors = e.errors.clone();
            render(&state, &staff, f, &errors, None).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "history_fragment.html")]
struct HistoryFragment {
    history: Option<Vec<MatterView>>,
}

#[derive(Deserialize)]
pub struct HistoryForm {
    #[serde(default)]
    caller_phone: String,
}

/// The caller-history panel as an HTML fragment, for the script on the
/// intake page. A POST so that the number stays out of URLs and logs.
pub async fn history(
    State(state): State<AppState>,
    form: CsrfForm<HistoryForm, LookUpCallers>,
) -> Result<Response, ApiError> {
    let staff = form.staff;
    let history = lookup(&state, &staff, &form.form.caller_phone).await?;
    let html = HistoryFragment { history }
        .render()
        .map_err(ApiError::internal)?;
    Ok(fragment(html).into_response())
}

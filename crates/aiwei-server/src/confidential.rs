//! Confidentiality, shared by the API and the pages: which caller
//! fields a viewer sees in clear on a matter, revealing them with a reason,
//! disclosure to another department or person, and anonymisation. Every
//! read of unmasked caller data goes on the audit trail.

use aiwei_core::error::bounded_text;
use aiwei_core::time::local_minute;
use aiwei_core::{DisclosedField, DisclosureStatus, FieldError, FieldErrors, MatterStatus, Role};
use aiwei_store::disclosures::{Disclosure, NewDisclosure};
use aiwei_store::matters::Matter;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::Staff;
use crate::error::ApiError;
use crate::state::AppState;
use crate::views::{CallerView, Clear, MatterView, sees_caller};

/// The caller fields `staff` sees in clear on `m`: all of them for intake
/// and supervisors, otherwise those a signed, unexpired disclosure grants.
/// Seeing any field in clear is recorded (`caller.view`).
pub async fn clear_for(state: &AppState, staff: &Staff, m: &Matter) -> Result<Clear, ApiError> {
    let role = Clear::for_role(&staff.user);
    let disclosed = if sees_caller(&staff.user) {
        Vec::new()
    } else {
        state
            .store
            .disclosed_fields(m.id, staff.user.id, state.clock.now())
            .await?
    };
    let clear = role.with_disclosed(&disclosed);
    if clear.any() && !m.caller.anonymised {
        let via = if role.any() { "role" } else { "disclosure" };
        record_view(state, staff, Some(&m.number), json!({ "via": via })).await?;
    }
    Ok(clear)
}

/// Records that `staff` was shown unmasked caller data: of one matter
/// (`target`), or of a list (`detail` says which and how many).
pub async fn record_view(
    state: &AppState,
    staff: &Staff,
    target: Option<&str>,
    detail: serde_json::Value,
) -> Result<(), ApiError> {
    let by = staff.audit_actor();
    state
        .store
        .audit(&by.entry("caller.view", target, detail), state.clock.now())
        .await?;
    Ok(())
}

/// Records a list read when the viewer's role shows callers in clear.
pub async fn record_list_view(
    state: &AppState,
    staff: &Staff,
    list: &str,
    shown: usize,
) -> Result<(), ApiError> {
    if shown > 0 && sees_caller(&staff.user) {
        record_view(
            state,
            staff,
            None,
            json!({ "list": list, "matters": shown }),
        )
        .await?;
    }
    Ok(())
}

/// Whether `staff` may reveal the caller of `m` with a reason, without a
/// disclosure: handlers and leads of the lead department, while the matter
/// is in their hands (they may have to reach the caller on site). Everyone
/// else asks for a disclosure.
pub fn may_reveal(staff: &Staff, m: &Matter) -> bool {
    let u = &staff.user;
    !sees_caller(u)
        && (u.has(Role::Handler) || u.has(Role::DeptLead))
        && m.lead_department
            .as_ref()
            .is_some_and(|d| u.departments.contains(d))
        && m.status != MatterStatus::Closed
        && !m.caller.anonymised
}

/// Whether `staff` may ask for a disclosure on `m`: anyone who sees it with
/// the caller masked.
pub fn may_request(staff: &Staff, m: &Matter) -> bool {
    !sees_caller(&staff.user) && !m.caller.anonymised
}

/// A required free text of 2–500 characters (a reason, a purpose).
fn text_field(field: &str, raw: &str) -> Result<String, FieldError> {
    let text = bounded_text(field, Some(raw), 500, true)?.unwrap_or_default();
    if text.chars().count() < 2 {
        return Err(FieldError::new(field, "too_short"));
    }
    Ok(text)
}

fn reason(field: &str, raw: &str) -> Result<String, ApiError> {
    text_field(field, raw).map_err(ApiError::invalid_field)
}

/// Reveals the caller of `m` to `staff` for `raw_reason`; the reveal is an
/// event on the matter and an audit record.
pub async fn reveal(
    state: &AppState,
    staff: &Staff,
    m: Matter,
    raw_reason: &str,
) -> Result<CallerView, ApiError> {
    if !may_reveal(staff, &m) {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "reveal_not_allowed",
        ));
    }
    let why = reason("reason", raw_reason)?;
    state
        .store
        .record_reveal(m.id, &why, &staff.audit_actor(), state.clock.now())
        .await?;
    Ok(MatterView::shown(m, Clear::ALL, None).caller)
}

/// Anonymises the caller of `m` (an admin, on the caller's request).
pub async fn anonymise(
    state: &AppState,
    staff: &Staff,
    m: &Matter,
    confirm: bool,
) -> Result<aiwei_store::callers::Anonymised, ApiError> {
    if !confirm {
        return Err(ApiError::invalid_field(FieldError::new(
            "confirm", "required",
        )));
    }
    Ok(state
        .store
        .anonymise_caller(m.id, &staff.audit_actor(), state.clock.now())
        .await?)
}

/// Whether `staff` may name colleagues on `m`: a lead of a department
/// handling the sensitive matter.
pub fn may_name(staff: &Staff, m: &Matter) -> bool {
    m.sensitive && leads_a_handling_department(staff, m)
}

fn leads_a_handling_department(staff: &Staff, m: &Matter) -> bool {
    staff.user.has(Role::DeptLead) && m.handled_by(&staff.user.departments)
}

/// The active account named `name`, or 422 `unknown_user` on `field`.
async fn active_user(
    state: &AppState,
    field: &str,
    name: &str,
) -> Result<aiwei_store::users::User, ApiError> {
    let unknown = || ApiError::invalid_field(FieldError::new(field, "unknown_user"));
    let name = aiwei_core::Username::parse(name.trim()).map_err(|_| unknown())?;
    match state.store.user_by_name(&name).await {
        Ok(u) if u.active => Ok(u),
        Ok(_) | Err(aiwei_store::StoreError::NotFound) => Err(unknown()),
        Err(e) => Err(e.into()),
    }
}

/// A department lead names a colleague of a handling department on a
/// sensitive matter, so they see and handle it.
pub async fn name_person(
    state: &AppState,
    staff: &Staff,
    m: &Matter,
    username: &str,
) -> Result<String, ApiError> {
    if !leads_a_handling_department(staff, m) {
        return Err(ApiError::forbidden());
    }
    if !m.sensitive {
        return Err(ApiError::conflict("not_sensitive_matter"));
    }
    let person = active_user(state, "username", username).await?;
    if !m.handled_by(&person.departments) {
        return Err(ApiError::invalid_field(FieldError::new(
            "username",
            "not_in_department",
        )));
    }
    state
        .store
        .name_person(m.id, person.id, &staff.audit_actor(), state.clock.now())
        .await?;
    Ok(person.username)
}

/// A request for caller data, or for a sensitive matter's content.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DisclosureRequest {
    /// What the data is needed for.
    pub purpose: String,
    /// `name`, `organization`, `phone`; `content` (sensitive matters only)
    /// opens the matter itself to the recipient while the grant lasts.
    pub fields: Vec<String>,
    /// Supervisors only: the user name of the department member or person
    /// the disclosure is for (they sign the agreement). Default: the caller.
    #[serde(default)]
    pub recipient: Option<String>,
}

impl DisclosureRequest {
    fn validate(&self) -> Result<(String, Vec<DisclosedField>), ApiError> {
        let mut errs = FieldErrors::default();
        let purpose = errs.take(text_field("purpose", &self.purpose));
        let mut fields = Vec::new();
        for f in &self.fields {
            if let Some(f) = errs.take(
                DisclosedField::parse(f).map_err(|_| FieldError::new("fields", "unknown_value")),
            ) {
                fields.push(f);
            }
        }
        if self.fields.is_empty() {
            errs.push("fields", "required");
        }
        match purpose {
            Some(p) if errs.is_empty() => Ok((p, fields)),
            _ => Err(ApiError::invalid(errs)),
        }
    }
}

/// Files a request: for oneself, or, by a supervisor, for another staff
/// member (who then signs). Only a sensitive matter's content may be asked
/// for, and caller fields only by someone who sees them masked.
pub async fn request(
    state: &AppState,
    staff: &Staff,
    m: &Matter,
    req: &DisclosureRequest,
) -> Result<Disclosure, ApiError> {
    let (purpose, fields) = req.validate()?;
    let recipient = match req
        .recipient
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        None => staff.user.clone(),
        Some(_) if !staff.user.has(Role::Supervisor) => return Err(ApiError::forbidden()),
        Some(name) => active_user(state, "recipient", name).await?,
    };
    let content = fields.contains(&DisclosedField::Content);
    if content && !m.sensitive {
        return Err(ApiError::invalid_field(FieldError::new(
            "fields",
            "not_sensitive",
        )));
    }
    let caller_fields = fields.iter().any(|f| *f != DisclosedField::Content);
    if caller_fields && (sees_caller(&recipient) || m.caller.anonymised) {
        return Err(ApiError::conflict("already_visible"));
    }
    let new = NewDisclosure {
        matter: m.id,
        requester: recipient.id,
        purpose,
        fields,
    };
    Ok(state
        .store
        .request_disclosure(&new, &staff.audit_actor(), state.clock.now())
        .await?)
}

/// A supervisor's decision.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DecisionRequest {
    pub approve: bool,
    /// Why approved or refused.
    pub reason: String,
    /// Days the grant stays open (1–90); default: the configured days.
    #[serde(default)]
    pub days: Option<i64>,
}

pub async fn decide(
    state: &AppState,
    staff: &Staff,
    id: uuid::Uuid,
    req: &DecisionRequest,
) -> Result<Disclosure, ApiError> {
    let why = reason("reason", &req.reason)?;
    let days = req.days.unwrap_or(state.config.disclosure_days);
    if !(1..=90).contains(&days) {
        return Err(ApiError::invalid_field(FieldError::new(
            "days",
            "out_of_range",
        )));
    }
    Ok(state
        .store
        .decide_disclosure(
            id,
            req.approve,
            &why,
            Duration::days(days),
            &staff.audit_actor(),
            state.clock.now(),
        )
        .await?)
}

/// The recipient's signature.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SignRequest {
    /// Must be true: "I have read and accept the agreement".
    pub agree: bool,
}

/// A scan of the signed paper agreement (JPEG, PNG or PDF).
pub struct Scan<'a> {
    pub file_name: &'a str,
    pub bytes: &'a [u8],
}

/// The recipient signs; an optional scan of the paper copy is kept with
/// the matter's files (stage `agreement`).
pub async fn sign(
    state: &AppState,
    staff: &Staff,
    id: uuid::Uuid,
    agree: bool,
    scan: Option<Scan<'_>>,
) -> Result<Disclosure, ApiError> {
    if !agree {
        return Err(ApiError::invalid_field(FieldError::new(
            "agree", "required",
        )));
    }
    let d = state.store.disclosure(id).await?;
    if d.requester != staff.user.id {
        return Err(ApiError::not_found());
    }
    let now = state.clock.now();
    // Check before storing a scan, so a refused signature leaves no file.
    if d.status != DisclosureStatus::Approved || d.expires_at.is_none_or(|e| e <= now) {
        return Err(ApiError::conflict("disclosure_not_approved"));
    }
    let scan_id = match scan {
        Some(s) => Some(
            crate::api::attachments::save_file(
                state,
                d.matter,
                staff.user.id,
                "agreement",
                s.file_name,
                s.bytes,
            )
            .await?
            .id,
        ),
        None => None,
    };
    Ok(state
        .store
        .sign_disclosure(
            id,
            &state.config.agreement_text,
            scan_id,
            &staff.audit_actor(),
            now,
        )
        .await?)
}

/// A disclosure as the API and the pages show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DisclosureView {
    pub id: uuid::Uuid,
    pub matter: String,
    pub requester: String,
    pub purpose: String,
    pub fields: Vec<DisclosedField>,
    pub status: DisclosureStatus,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<String>,
    pub signed_at: Option<DateTime<Utc>>,
    /// When access ends (set at approval).
    pub expires_at: Option<DateTime<Utc>>,
    /// Access is open now.
    pub open: bool,
    /// The agreement to sign: present to the requester while approved.
    pub agreement: Option<String>,
    /// Download of the uploaded scan of the signed paper agreement.
    pub scan_url: Option<String>,
}

impl DisclosureView {
    pub fn new(d: Disclosure, viewer: &Staff, state: &AppState) -> Self {
        let now = state.clock.now();
        let open = d.open_at(now);
        let expired = d.expires_at.is_some_and(|e| e <= now);
        let agreement =
            (d.status == DisclosureStatus::Approved && d.requester == viewer.user.id && !expired)
                .then(|| state.config.agreement_text.clone());
        Self {
            id: d.id,
            matter: d.number,
            requester: d.requester_name,
            purpose: d.purpose,
            fields: d.fields,
            // Access ends at expiry whether or not the sweeper has put the
            // end on the record yet.
            status: if expired
                && matches!(
                    d.status,
                    DisclosureStatus::Approved | DisclosureStatus::Signed
                ) {
                DisclosureStatus::Expired
            } else {
                d.status
            },
            requested_at: d.requested_at,
            decided_by: d.decided_by_name,
            decided_at: d.decided_at,
            decision_reason: d.decision_reason,
            signed_at: d.signed_at,
            expires_at: d.expires_at,
            open,
            agreement,
            scan_url: d.scan.map(|id| format!("/api/v1/attachments/{id}")),
        }
    }

    pub fn status_zh(&self) -> String {
        crate::messages::zh_in("disclosure", self.status.as_str())
    }

    pub fn fields_zh(&self) -> String {
        self.fields
            .iter()
            .map(|f| crate::messages::zh_in("disclosed", f.as_str()))
            .collect::<Vec<_>>()
            .join("、")
    }

    pub fn requested_local(&self) -> String {
        local_minute(self.requested_at)
    }

    pub fn expires_local(&self) -> String {
        self.expires_at.map(local_minute).unwrap_or_default()
    }

    pub fn is_pending(&self) -> bool {
        self.status == DisclosureStatus::Requested
    }
}

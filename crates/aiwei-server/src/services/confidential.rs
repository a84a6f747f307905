//! Confidentiality, shared by the API and the pages: which caller
//! fields a viewer sees in clear on a matter, revealing them with a reason,
//! disclosure to another department or person, and anonymisation. Every
//! read of unmasked caller data goes on the audit trail.

use aiwei_core::access::{self, Clear};
use aiwei_core::error::reason_text;
use aiwei_core::time::to_millis;
use aiwei_core::{AuditAction, DisclosedField, ErrorCode, FieldError, FieldErrors};
use aiwei_store::disclosures::{Disclosure, NewDisclosure};
use aiwei_store::matters::Matter;
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::Staff;
use crate::error::ApiError;
use crate::state::AppState;
use crate::views::{CallerView, MatterView};

/// Why a matter is being shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Showing {
    /// Looked up or listed: a view of the caller's data.
    Read,
    /// The answer to the request that recorded it, to whoever recorded it:
    /// they typed the caller's data themselves, and the `received` event
    /// names them, so no view is recorded: the record of views
    /// is of who saw data they were not the source of.
    Recorded,
}

/// The caller fields `staff` sees in clear on `m` ([`access::caller_clear`]):
/// by their part in the matter, or those a signed, unexpired disclosure
/// grants them. Seeing any field in clear is recorded (`caller.view`, with
/// why), unless it is the recorder's own answer ([`Showing::Recorded`]).
pub async fn clear_for(
    state: &AppState,
    staff: &Staff,
    m: &Matter,
    showing: Showing,
) -> Result<Clear, ApiError> {
    let actor = staff.user.actor();
    let facts = m.facts();
    let because = access::sees_caller(&actor, &facts);
    let disclosed = if because.is_some() {
        Vec::new()
    } else {
        state
            .store
            .disclosed_fields(m.id, staff.user.id, state.clock.now())
            .await?
    };
    let clear = access::caller_clear(&actor, &facts, &disclosed);
    let own = showing == Showing::Recorded && facts.recorded_by == actor.id;
    if clear.any() && !m.caller.anonymised && !own {
        let via = because.map_or("disclosure", |b| b.as_str());
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
        .audit(
            &by.entry(AuditAction::CallerView, target, detail),
            state.clock.now(),
        )
        .await?;
    Ok(())
}

/// Records a list read that showed callers in clear: which list and how
/// many of its matters.
pub async fn record_list_view(
    state: &AppState,
    staff: &Staff,
    list: &str,
    items: &[&MatterView],
) -> Result<(), ApiError> {
    let shown = items
        .iter()
        .filter(|v| !v.caller.masked && !v.caller.anonymised)
        .count();
    if shown > 0 {
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

/// A reason or purpose ([`reason_text`]), refused as a 422.
fn reason(field: &str, raw: &str) -> Result<String, ApiError> {
    reason_text(field, raw).map_err(ApiError::invalid_field)
}

/// Reveals the caller of `m` to `staff` for `raw_reason`; the reveal is an
/// event on the matter and an audit record.
pub async fn reveal(
    state: &AppState,
    staff: &Staff,
    m: Matter,
    raw_reason: &str,
) -> Result<CallerView, ApiError> {
    access::may_reveal(&staff.user.actor(), &m.facts())?;
    let why = reason("reason", raw_reason)?;
    state
        .store
        .record_reveal(m.id, &why, &staff.audit_actor(), state.clock.now())
        .await?;
    Ok(MatterView::shown(m, Clear::ALL, None, state.clock.now()).caller)
}

/// Anonymises the caller of `m` (an admin, on the caller's request).
pub async fn anonymise(
    state: &AppState,
    staff: &Staff,
    m: &Matter,
    confirm: bool,
) -> Result<aiwei_store::callers::Anonymised, ApiError> {
    // Who may comes first, then what was sent, then the matter's state.
    let verdict = access::may_anonymise(&staff.user.actor(), &m.facts());
    if let Err(denial @ (access::Denial::Forbidden(_) | access::Denial::Hidden)) = verdict {
        return Err(denial.into());
    }
    if !confirm {
        return Err(ApiError::invalid_field(FieldError::new(
            "confirm",
            ErrorCode::Required,
        )));
    }
    verdict?;
    Ok(state
        .store
        .anonymise_caller(m.id, &staff.audit_actor(), state.clock.now())
        .await?)
}

/// The active account named `name`, or 422 `unknown_user` on `field`.
async fn active_user(
    state: &AppState,
    field: &str,
    name: &str,
) -> Result<aiwei_store::users::User, ApiError> {
    let unknown = || ApiError::invalid_field(FieldError::new(field, ErrorCode::UnknownUser));
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
    let actor = staff.user.actor();
    let facts = m.facts();
    access::may_name(&actor, &facts, None)?;
    let person = active_user(state, "username", username).await?;
    access::may_name(&actor, &facts, Some(&person.departments))?;
    state
        .store
        .name_person(m.id, person.id, &staff.audit_actor(), state.clock.now())
        .await?;
    Ok(person.username)
}

/// A request for caller data, or for a sensitive matter's content.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisclosureRequest {
    /// What the data is needed for (2–500 characters).
    #[schema(schema_with = aiwei_core::schema::reason)]
    pub purpose: String,
    /// `name`, `organization`, `phone`; `content` (sensitive matters only)
    /// opens the matter itself to the recipient while the grant lasts.
    #[schema(min_items = 1)]
    pub fields: Vec<DisclosedField>,
    /// Supervisors only: the user name of the department member or person
    /// the disclosure is for (they sign the agreement). Default: the caller.
    #[serde(default)]
    pub recipient: Option<String>,
}

impl DisclosureRequest {
    fn validate(&self) -> Result<(String, Vec<DisclosedField>), ApiError> {
        let mut errs = FieldErrors::default();
        let purpose = errs.take(reason_text("purpose", &self.purpose));
        let mut fields = self.fields.clone();
        fields.sort();
        fields.dedup();
        if self.fields.is_empty() {
            errs.push("fields", ErrorCode::Required);
        }
        match purpose {
            Some(p) if errs.is_empty() => Ok((p, fields)),
            _ => Err(ApiError::invalid(errs)),
        }
    }
}

/// Files a request: for oneself, or, by a supervisor, for another staff
/// member (who then signs); [`access::may_file_disclosure`] decides.
pub async fn request(
    state: &AppState,
    staff: &Staff,
    m: &Matter,
    req: &DisclosureRequest,
) -> Result<Disclosure, ApiError> {
    let (purpose, fields) = req.validate()?;
    let actor = staff.user.actor();
    let recipient = match req
        .recipient
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        None => staff.user.clone(),
        // Naming someone else is a supervisor's; say so before looking
        // the name up, so nobody else learns which names exist.
        Some(_) if !access::files_for_others(&actor) => {
            return Err(ApiError::forbidden());
        }
        Some(name) => active_user(state, "recipient", name).await?,
    };
    access::may_file_disclosure(&actor, &m.facts(), &recipient.actor(), &fields)?;
    let new = NewDisclosure {
        matter: m.id,
        recipient: recipient.id,
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
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub approve: bool,
    /// Why approved or refused (2–500 characters).
    #[schema(schema_with = aiwei_core::schema::reason)]
    pub reason: String,
    /// Days the grant stays open (1–90); default: the configured days.
    #[serde(default, deserialize_with = "aiwei_core::wire::opt_integer")]
    #[schema(minimum = 1, maximum = 90)]
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
            ErrorCode::OutOfRange,
        )));
    }
    Ok(state
        .store
        .decide_disclosure(
            id,
            req.approve,
            &why,
            Duration::days(days),
            &staff.user.actor(),
            &staff.audit_actor(),
            state.clock.now(),
        )
        .await?)
}

/// The recipient's signature.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignRequest {
    /// Must be true: "I have read and accept the agreement".
    #[schema(schema_with = aiwei_core::schema::must_be_true)]
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
            "agree",
            ErrorCode::Required,
        )));
    }
    let d = state.store.disclosure(id).await?;
    let now = state.clock.now();
    let actor = staff.user.actor();
    // Checked before a scan is stored, so a refused signature leaves no
    // file; the store checks again in its transaction.
    access::may_sign_disclosure(&actor, &d.facts(), to_millis(now))?;
    let scan_id = match scan {
        Some(s) => Some(
            crate::services::attachments::save_file(
                state,
                d.matter,
                staff.user.id,
                aiwei_core::AttachmentStage::Agreement,
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
            &actor,
            &staff.audit_actor(),
            now,
        )
        .await?)
}

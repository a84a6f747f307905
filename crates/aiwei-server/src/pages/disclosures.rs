//! Disclosure pages: the requests waiting for a supervisor, the
//! viewer's own requests, and the confidentiality agreement to sign.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Layout;
use crate::auth::{Staff, Supervise};
use crate::error::ApiError;
use crate::extract::{ApiMultipart, ApiPath, CsrfForm};
use crate::services::attachments::read_upload;
use crate::services::confidential::{self, DecisionRequest};
use crate::state::AppState;
use crate::views::DisclosureView;
use aiwei_core::ErrorCode;
use aiwei_core::access;
use aiwei_store::disclosures::{Disclosure, DisclosureList};

/// `d` as `staff` sees it now.
fn view(state: &AppState, staff: &Staff, d: Disclosure) -> DisclosureView {
    DisclosureView::new(
        d,
        staff.user.id,
        state.clock.now(),
        &state.config.agreement_text,
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "disclosures.html")]
pub struct ListPage {
    layout: Layout,
    /// Waiting for a decision (supervisors only).
    /// Each request waiting for a decision, and whether the viewer may
    /// decide it.
    pending: Vec<(DisclosureView, bool)>,
    mine: Vec<DisclosureView>,
    is_supervisor: bool,
    error: Option<String>,
}

async fn list_page(
    state: &AppState,
    staff: &Staff,
    error: Option<String>,
) -> Result<ListPage, ApiError> {
    let is_supervisor = access::sees_pending_disclosures(&staff.user.actor());
    let views = |ds: Vec<Disclosure>| -> Vec<DisclosureView> {
        ds.into_iter().map(|d| view(state, staff, d)).collect()
    };
    // Four eyes: a request the viewer filed or receives is listed, but the
    // page says another supervisor decides it instead of offering a form
    // that could only be refused.
    let actor = staff.user.actor();
    let pending = if is_supervisor {
        state
            .store
            .disclosures(DisclosureList::Pending)
            .await?
            .into_iter()
            .map(|d| {
                let decidable = access::may_decide_disclosure(&actor, &d.facts()).is_ok();
                (view(state, staff, d), decidable)
            })
            .collect()
    } else {
        Vec::new()
    };
    let mine = views(
        state
            .store
            .disclosures(DisclosureList::Involving(staff.user.id))
            .await?,
    );
    Ok(ListPage {
        layout: Layout::new(state, staff, "/disclosures").await,
        pending,
        mine,
        is_supervisor,
        error,
    })
}

pub async fn list(State(state): State<AppState>, staff: Staff) -> Result<ListPage, ApiError> {
    list_page(&state, &staff, None).await
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    approve: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    days: String,
}

/// A supervisor's decision from the list.
pub async fn decide(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    form: CsrfForm<DecisionForm, Supervise>,
) -> Result<Response, ApiError> {
    let staff = form.staff;
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    let days = match form.form.days.trim() {
        "" => None,
        d => Some(d.parse().map_err(|_| {
            ApiError::invalid_field(aiwei_core::FieldError::new("days", ErrorCode::OutOfRange))
        })?),
    };
    let req = DecisionRequest {
        approve: form.form.approve == "1",
        reason: form.form.reason.clone(),
        days,
    };
    match confidential::decide(&state, &staff, id, &req).await {
        Ok(_) => Ok(Redirect::to("/disclosures").into_response()),
        Err(e) if e.status.is_client_error() => {
            let status = e.status;
            // The form calls the decision's `reason` 审批意见: say it so.
            let message = match e.errors.first() {
                Some(f) if f.field == "reason" => format!("审批意见：{}", f.code.label()),
                _ => e.message(),
            };
            let mut page = list_page(&state, &staff, Some(message))
                .await?
                .into_response();
            *page.status_mut() = status;
            Ok(page)
        }
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "disclosure.html")]
pub struct SignPage {
    layout: Layout,
    d: DisclosureView,
    error: Option<String>,
}

async fn sign_page(
    state: &AppState,
    staff: &Staff,
    id: &str,
    error: Option<String>,
) -> Result<SignPage, ApiError> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    let d = state.store.disclosure(id).await?;
    // Only its filer, its recipient and supervisors know a request exists.
    if !access::may_see_disclosure(&staff.user.actor(), &d.facts()) {
        return Err(ApiError::not_found());
    }
    Ok(SignPage {
        layout: Layout::new(state, staff, "/disclosures").await,
        d: view(state, staff, d),
        error,
    })
}

/// One request, with the agreement to sign while it is approved.
pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<String>,
) -> Result<SignPage, ApiError> {
    sign_page(&state, &staff, &id, None).await
}

/// The signature: the authenticated acknowledgment of the agreement, with
/// an optional scan of the signed paper copy (a multipart form, so the
/// CSRF token is read from its own fields).
pub async fn sign(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<String>,
    ApiMultipart(mp): ApiMultipart,
) -> Result<Response, ApiError> {
    let up = read_upload(mp, &["agree"]).await?;
    crate::extract::check_form_token(&up.csrf, &staff)?;
    let uid: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    let agree = up.fields.iter().any(|(k, v)| k == "agree" && v == "1");
    let scan = (!up.bytes.is_empty()).then(|| confidential::Scan {
        file_name: &up.file_name,
        bytes: &up.bytes,
    });
    match confidential::sign(&state, &staff, uid, agree, scan).await {
        Ok(d) => Ok(Redirect::to(&format!(
            "/matters/{}?done={}",
            d.number,
            aiwei_core::EventKind::DisclosureSigned
        ))
        .into_response()),
        Err(e) if e.status.is_client_error() => {
            let status = e.status;
            let mut page = sign_page(&state, &staff, &id, Some(e.message()))
                .await?
                .into_response();
            *page.status_mut() = status;
            Ok(page)
        }
        Err(e) => Err(e),
    }
}

//! Extension requests (延期) over the API.

use aiwei_core::FieldError;
use aiwei_core::deadline::DeadlineKind;
use aiwei_store::extensions::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Can, Staff, Supervise};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::ledger;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRequest {
    /// The clock to extend, e.g. `rectify_due`.
    pub deadline: String,
    /// The new due time; later than the current one.
    pub new_due_at: DateTime<Utc>,
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionDecision {
    pub approve: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// One extension request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExtensionView {
    pub id: uuid::Uuid,
    pub number: String,
    pub deadline: String,
    pub requested_by: String,
    pub reason: String,
    pub old_due_at: DateTime<Utc>,
    pub new_due_at: DateTime<Utc>,
    /// `pending`, `approved` or `refused`.
    pub state: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Extension> for ExtensionView {
    fn from(x: Extension) -> Self {
        Self {
            id: x.id,
            number: x.number,
            deadline: x.kind.as_str().to_owned(),
            requested_by: x.requested_by_name,
            reason: x.reason,
            old_due_at: x.old_due_at,
            new_due_at: x.new_due_at,
            state: x.state,
            decided_by: x.decided_by_name,
            decided_at: x.decided_at,
            decision_note: x.decision_note,
            created_at: x.created_at,
        }
    }
}

impl ExtensionView {
    pub fn deadline_zh(&self) -> &str {
        crate::messages::zh(&self.deadline)
    }
    pub fn old_local(&self) -> String {
        aiwei_core::time::local_minute(self.old_due_at)
    }
    pub fn new_local(&self) -> String {
        aiwei_core::time::local_minute(self.new_due_at)
    }
    pub fn state_zh(&self) -> String {
        crate::messages::zh_in("extension", &self.state)
    }
}

/// Ask to extend a running clock, before it runs out (the department head
/// for department clocks, intake for the desk's).
#[utoipa::path(post, path = "/api/v1/matters/{key}/extensions", tag = "extensions",
    params(("key" = String, Path, description = "UUID or number")),
    request_body = ExtensionRequest,
    responses(
        (status = 201, body = ExtensionView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`deadline_passed`, `no_running_deadline` or `extension_pending`", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn request(
    State(state): State<AppState>,
    staff: Staff,
    Path(key): Path<String>,
    ApiJson(req): ApiJson<ExtensionRequest>,
) -> ApiResult<(StatusCode, Json<ExtensionView>)> {
    let m = ledger::find_visible(&state, &staff.user, &key).await?;
    let x = submit(&state, &staff, m.id, &req).await?;
    Ok((StatusCode::CREATED, Json(x.into())))
}

/// Shared by the API and the matter page.
pub async fn submit(
    state: &AppState,
    staff: &Staff,
    matter: aiwei_core::MatterId,
    req: &ExtensionRequest,
) -> Result<Extension, ApiError> {
    let kind = DeadlineKind::parse(&req.deadline)
        .ok_or_else(|| ApiError::invalid_field(FieldError::new("deadline", "unknown_value")))?;
    Ok(state
        .store
        .request_extension(
            matter,
            &staff.user,
            kind,
            req.new_due_at,
            &req.reason,
            state.clock.now(),
        )
        .await?)
}

#[derive(Serialize, ToSchema)]
pub struct ExtensionList {
    pub items: Vec<ExtensionView>,
}

/// Pending extension requests, oldest first. Supervisors only.
#[utoipa::path(get, path = "/api/v1/extensions", tag = "extensions",
    responses((status = 200, body = ExtensionList), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn pending(
    State(state): State<AppState>,
    _can: Can<Supervise>,
) -> ApiResult<Json<ExtensionList>> {
    Ok(Json(ExtensionList {
        items: state
            .store
            .pending_extensions()
            .await?
            .into_iter()
            .map(ExtensionView::from)
            .collect(),
    }))
}

/// Approve or refuse an extension. Supervisors only.
#[utoipa::path(post, path = "/api/v1/extensions/{id}/decision", tag = "extensions",
    params(("id" = String, Path)),
    request_body = ExtensionDecision,
    responses(
        (status = 200, body = ExtensionView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`already_decided`", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn decide(
    State(state): State<AppState>,
    can: Can<Supervise>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ExtensionDecision>,
) -> ApiResult<Json<ExtensionView>> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    let x = state
        .store
        .decide_extension(
            id,
            &can.staff.user,
            req.approve,
            req.note.as_deref(),
            state.clock.now(),
        )
        .await?;
    Ok(Json(x.into()))
}

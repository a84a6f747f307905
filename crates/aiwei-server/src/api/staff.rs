//! Training and assessment of the staff over the API.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::auth::{Can, Staff, Supervise};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiMultipart, ApiPath, ApiQuery};
use crate::services::query::{self, blank_to_none, opt_blank};
use crate::services::staff::{
    self, AssessmentView, DueLine, MaterialView, SessionDetail, SessionView, TrainingRecord,
};
use crate::state::AppState;
use aiwei_core::assessment::AssessmentRequest;
use aiwei_core::training::SessionRequest;

/// Training sessions, the latest first (at most 500). Supervisors.
#[utoipa::path(get, path = "/api/v1/training/sessions", operation_id = "list_training_sessions", tag = "staff",
    responses((status = 200, body = Vec<SessionView>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn sessions(
    State(state): State<AppState>,
    _can: Can<Supervise>,
) -> ApiResult<Json<Vec<SessionView>>> {
    Ok(Json(
        state
            .store
            .sessions(500)
            .await?
            .into_iter()
            .map(SessionView::from)
            .collect(),
    ))
}

/// Plan or record a training session with its attendees, their attendance
/// and test scores (0–100, only for those who attended). Supervisors.
#[utoipa::path(post, path = "/api/v1/training/sessions", operation_id = "add_training_session", tag = "staff",
    request_body = SessionRequest,
    responses(
        (status = 201, body = SessionDetail),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn add_session(
    State(state): State<AppState>,
    can: Can<Supervise>,
    ApiJson(req): ApiJson<SessionRequest>,
) -> ApiResult<(StatusCode, Json<SessionDetail>)> {
    Ok((
        StatusCode::CREATED,
        Json(staff::add_session(&state, &can.staff, &req).await?),
    ))
}

/// One session with its attendees and materials. Supervisors.
#[utoipa::path(get, path = "/api/v1/training/sessions/{id}", operation_id = "get_training_session", tag = "staff",
    params(("id" = String, Path)),
    responses((status = 200, body = SessionDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn session(
    State(state): State<AppState>,
    _can: Can<Supervise>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<SessionDetail>> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    Ok(Json(state.store.training_session(id).await?.into()))
}

/// The multipart form of a material (read part by part in the handler).
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct MaterialForm {
    /// The file: JPEG, PNG or PDF by its content, at most 10 MiB.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Add a material to a session: multipart `file` (JPEG, PNG or PDF, at
/// most 10 MiB). Supervisors.
#[utoipa::path(post, path = "/api/v1/training/sessions/{id}/materials", operation_id = "add_training_material", tag = "staff",
    params(("id" = String, Path)),
    request_body(content = MaterialForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = MaterialView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn add_material(
    State(state): State<AppState>,
    can: Can<Supervise>,
    ApiPath(id): ApiPath<String>,
    ApiMultipart(mp): ApiMultipart,
) -> ApiResult<(StatusCode, Json<MaterialView>)> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    let up = crate::services::attachments::read_upload(mp, &[]).await?;
    Ok((
        StatusCode::CREATED,
        Json(staff::add_material(&state, &can.staff, id, &up).await?),
    ))
}

/// Download a training material. Any staff member.
#[utoipa::path(get, path = "/api/v1/training/materials/{id}", operation_id = "get_training_material", tag = "staff",
    params(("id" = String, Path)),
    responses((status = 200, description = "The file"), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn material(
    State(state): State<AppState>,
    _staff: Staff,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    let m = state.store.material(id).await?;
    crate::api::attachments::file_response(
        &aiwei_store::attachments::file_path(&state.config.attachments_dir, m.id),
        &m.file_name,
        &m.content_type,
    )
    .await
}

/// Whose record.
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StaffQuery {
    /// A staff member's id; oneself when absent.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::uuid)]
    pub staff: Option<String>,
}

impl StaffQuery {
    fn staff(&self, me: aiwei_core::UserId) -> Result<aiwei_core::UserId, ApiError> {
        let mut errs = aiwei_core::FieldErrors::default();
        let id = match blank_to_none(&self.staff) {
            None => Some(me),
            Some(u) => query::uuid("staff", u, &mut errs).map(aiwei_core::UserId),
        };
        id.filter(|_| errs.is_empty())
            .ok_or_else(|| ApiError::invalid(errs))
    }
}

/// A staff member's training record: the sessions they were listed for,
/// the last attended and whether they are due again. Oneself; supervisors
/// anyone's.
#[utoipa::path(get, path = "/api/v1/training/record", operation_id = "training_record", tag = "staff",
    params(StaffQuery),
    responses(
        (status = 200, body = TrainingRecord),
        (status = 403, body = ErrorBody),
        (status = 404, description = "No such staff member", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn record(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<StaffQuery>,
) -> ApiResult<Json<TrainingRecord>> {
    let who = q.staff(staff.user.id)?;
    Ok(Json(staff::record(&state, &staff, who).await?))
}

/// Every staff member and whether they are due for training (the policy's
/// `kpi.training_interval_days` after the last session attended), the
/// most overdue first. Supervisors.
#[utoipa::path(get, path = "/api/v1/training/due", operation_id = "training_due", tag = "staff",
    responses((status = 200, body = Vec<DueLine>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn due(
    State(state): State<AppState>,
    _can: Can<Supervise>,
) -> ApiResult<Json<Vec<DueLine>>> {
    Ok(Json(staff::due(&state).await?))
}

/// Which period.
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// `2026-10`, `2026-Q4` or `2026`; the current month when absent.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = crate::services::figures::period_schema)]
    pub period: Option<String>,
}

impl PeriodQuery {
    pub fn period(&self, state: &AppState) -> Result<aiwei_core::kpi::Period, ApiError> {
        match blank_to_none(&self.period) {
            None => Ok(aiwei_core::kpi::Period::containing(
                aiwei_core::kpi::PeriodKind::Month,
                crate::services::figures::today(state),
            )),
            Some(p) => aiwei_core::kpi::Period::parse(p).map_err(ApiError::invalid_field),
        }
    }
}

/// The assessments of a period: every staff member's for supervisors,
/// one's own for everyone else.
#[utoipa::path(get, path = "/api/v1/assessments", operation_id = "list_assessments", tag = "staff",
    params(PeriodQuery),
    responses((status = 200, body = Vec<AssessmentView>), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn assessments(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<Vec<AssessmentView>>> {
    let period = q.period(&state)?;
    Ok(Json(staff::assessments(&state, &staff, period).await?))
}

/// Assess a staff member for a period: their indicators are computed now
/// (docs/KPI.md), the items' points added, the score rated by the
/// policy's thresholds; consequences are recorded with their reasons.
/// Assessing again replaces the assessment; consequences stay. Supervisors.
#[utoipa::path(post, path = "/api/v1/assessments", operation_id = "assess", tag = "staff",
    request_body = AssessmentRequest,
    responses(
        (status = 200, body = AssessmentView),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn assess(
    State(state): State<AppState>,
    can: Can<Supervise>,
    ApiJson(req): ApiJson<AssessmentRequest>,
) -> ApiResult<Json<AssessmentView>> {
    Ok(Json(staff::assess(&state, &can.staff, &req).await?))
}

/// The assessments of a period as a workbook (as `GET /api/v1/assessments`
/// shows them).
#[utoipa::path(get, path = "/api/v1/exports/assessments.xlsx", operation_id = "export_assessments", tag = "staff",
    params(PeriodQuery),
    responses(
        (status = 200, description = "The workbook",
         content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Response, ApiError> {
    let period = q.period(&state)?;
    let views = staff::assessments(&state, &staff, period).await?;
    let title = period.title();
    let file =
        tokio::task::spawn_blocking(move || crate::services::xlsx::assessment_book(&views, &title))
            .await
            .map_err(ApiError::internal)??;
    Ok(
        crate::api::exports::workbook(file, &format!("assessments-{}.xlsx", period.key()))?
            .into_response(),
    )
}

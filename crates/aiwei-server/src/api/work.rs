//! "My work", the supervision board and notifications over the API.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Can, Staff, Supervise};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery};
use crate::services::work;
use crate::services::work::NotificationQuery;
use crate::state::AppState;
use crate::views::{BoardGroup, BoardTotals, NotificationPage, QueueView};

#[derive(Serialize, ToSchema)]
pub struct WorkList {
    pub queues: Vec<QueueView>,
}

/// The caller's work queues: what waits for them, by role.
#[utoipa::path(get, path = "/api/v1/work", tag = "work",
    responses((status = 200, body = WorkList), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn my_work(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<WorkList>> {
    Ok(Json(WorkList {
        queues: work::queues(&state, &staff).await?,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Board {
    /// Overdue and due-soon clocks of all departments.
    pub totals: BoardTotals,
    pub departments: Vec<BoardGroup>,
    /// Returns (退回) per department, most first.
    pub returns: Vec<ReturnCount>,
}

#[derive(Serialize, ToSchema)]
pub struct ReturnCount {
    pub department: String,
    pub name: String,
    pub count: i64,
}

/// The supervision board (督办): overdue and due-soon clocks by department,
/// with how long overdue. Supervisors only.
#[utoipa::path(get, path = "/api/v1/supervision", tag = "work",
    responses((status = 200, body = Board), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn supervision(
    State(state): State<AppState>,
    can: Can<Supervise>,
) -> ApiResult<Json<Board>> {
    let departments = work::board(&state, &can.staff.user).await?;
    Ok(Json(Board {
        totals: work::totals(&departments),
        departments,
        returns: state
            .store
            .returns_by_department()
            .await?
            .into_iter()
            .map(|(department, name, count)| ReturnCount {
                department,
                name,
                count,
            })
            .collect(),
    }))
}

/// The caller's notifications, newest first, paged, filtered by kind or
/// unread; with the unread count.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "work",
    params(NotificationQuery),
    responses((status = 200, body = NotificationPage), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn notifications(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> ApiResult<Json<NotificationPage>> {
    Ok(Json(work::notifications(&state, &staff.user, &q).await?))
}

/// Mark one of the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "work",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody),
        (status = 404, description = "No such notification of the caller's", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn read_one(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    state
        .store
        .mark_one_read(staff.user.id, id, state.clock.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mark all of the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "work",
    responses((status = 204), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn read_all(State(state): State<AppState>, staff: Staff) -> ApiResult<StatusCode> {
    state
        .store
        .mark_read(staff.user.id, state.clock.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

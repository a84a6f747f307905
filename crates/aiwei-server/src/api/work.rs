//! "My work", the supervision board and notifications over the API.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Can, Staff, Supervise};
use crate::error::{ApiResult, ErrorBody};
use crate::services::work;
use crate::state::AppState;
use crate::views::{BoardGroup, NotificationView, QueueView};

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
    _can: Can<Supervise>,
) -> ApiResult<Json<Board>> {
    Ok(Json(Board {
        departments: work::board(&state).await?,
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

#[derive(Serialize, ToSchema)]
pub struct Notifications {
    pub unread: i64,
    pub items: Vec<NotificationView>,
}

/// The caller's notifications, newest first, and the unread count.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "work",
    responses((status = 200, body = Notifications), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn notifications(
    State(state): State<AppState>,
    staff: Staff,
) -> ApiResult<Json<Notifications>> {
    Ok(Json(Notifications {
        unread: state.store.unread_count(staff.user.id).await?,
        items: work::notifications(&state, &staff.user).await?,
    }))
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

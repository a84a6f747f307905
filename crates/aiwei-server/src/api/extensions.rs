//! Extension requests (延期) over the API.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Can, Staff, Supervise};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::services::extensions::{ExtensionDecision, ExtensionRequest, submit};
use crate::services::ledger;
use crate::state::AppState;
use crate::views::ExtensionView;

/// Ask to extend a running clock, before it runs out (the department head
/// for department clocks, intake for the desk's).
#[utoipa::path(post, path = "/api/v1/matters/{key}/extensions", operation_id = "request_extension", tag = "extensions",
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
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<ExtensionRequest>,
) -> ApiResult<(StatusCode, Json<ExtensionView>)> {
    let m = ledger::find_visible(&state, &staff.user, &key).await?;
    let x = submit(&state, &staff, m.id, &req).await?;
    Ok((StatusCode::CREATED, Json(x.into())))
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
#[utoipa::path(post, path = "/api/v1/extensions/{id}/decision", operation_id = "decide_extension", tag = "extensions",
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
    ApiPath(id): ApiPath<String>,
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

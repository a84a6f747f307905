//! Hotspots over the API, for supervisors.

use axum::Json;
use axum::extract::State;

use crate::auth::{Can, Supervise};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::services::hotspots::{self, HotspotList, HotspotMarkRequest};
use crate::state::AppState;

/// Places with repeated complaints of one sub-category within the window
/// (the policy's `hotspot_min` in `hotspot_days`, by default 3 in 30),
/// most complaints first, each with its complaints over time.
/// Supervisors only.
#[utoipa::path(get, path = "/api/v1/hotspots", operation_id = "list_hotspots", tag = "supervision",
    responses((status = 200, body = HotspotList), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _can: Can<Supervise>,
) -> ApiResult<Json<HotspotList>> {
    Ok(Json(hotspots::list(&state).await?))
}

/// Acknowledge a hotspot with a note of what is being done about it.
#[utoipa::path(post, path = "/api/v1/hotspots/acknowledge", operation_id = "acknowledge_hotspot", tag = "supervision",
    request_body = HotspotMarkRequest,
    responses(
        (status = 200, body = HotspotList),
        (status = 403, body = ErrorBody),
        (status = 422, description = "`not_a_hotspot`, or the note", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn acknowledge(
    State(state): State<AppState>,
    can: Can<Supervise>,
    ApiJson(req): ApiJson<HotspotMarkRequest>,
) -> ApiResult<Json<HotspotList>> {
    hotspots::mark(&state, &can.staff, &req, false).await?;
    Ok(Json(hotspots::list(&state).await?))
}

/// Close a hotspot as solved at the root; its complaints no longer count,
/// new ones make a new hotspot.
#[utoipa::path(post, path = "/api/v1/hotspots/close", operation_id = "close_hotspot", tag = "supervision",
    request_body = HotspotMarkRequest,
    responses(
        (status = 200, body = HotspotList),
        (status = 403, body = ErrorBody),
        (status = 422, description = "`not_a_hotspot`, or the note", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn close(
    State(state): State<AppState>,
    can: Can<Supervise>,
    ApiJson(req): ApiJson<HotspotMarkRequest>,
) -> ApiResult<Json<HotspotList>> {
    hotspots::mark(&state, &can.staff, &req, true).await?;
    Ok(Json(hotspots::list(&state).await?))
}

//! The deadline policy over the API: read the version in force, save a new
//! one (administrators). Running clocks keep the version they started with.

use aiwei_core::deadline::Policy;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Administer, Can};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct PolicyVersion {
    pub version: i32,
    pub policy: Policy,
}

/// The deadline policy in force.
#[utoipa::path(get, path = "/api/v1/policy", tag = "settings",
    responses((status = 200, body = PolicyVersion), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_policy(
    State(state): State<AppState>,
    _can: Can<Administer>,
) -> ApiResult<Json<PolicyVersion>> {
    let (version, policy) = state.store.policy().await?;
    Ok(Json(PolicyVersion { version, policy }))
}

/// Save a new version of the deadline policy: a default limit for every
/// clock, limits of 1 to 10000 hours or working days, a warning share of
/// 0.01 to 0.99, and sub-category codes that exist.
#[utoipa::path(put, path = "/api/v1/policy", tag = "settings",
    request_body(content = Policy, description = "A whole policy, as `GET` returns it under `policy`"),
    responses((status = 200, body = PolicyVersion), (status = 403, body = ErrorBody),
        (status = 409, description = "Another version was saved at the same time", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_policy(
    State(state): State<AppState>,
    can: Can<Administer>,
    ApiJson(policy): ApiJson<Policy>,
) -> ApiResult<Json<PolicyVersion>> {
    let version = state
        .store
        .set_policy_audited(&policy, &can.staff.audit_actor(), state.clock.now())
        .await?;
    tracing::info!(admin = %can.staff.user.id, version, "deadline policy changed");
    Ok(Json(PolicyVersion { version, policy }))
}

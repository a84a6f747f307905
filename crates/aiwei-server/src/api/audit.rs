//! The audit trail (审计日志) over the API, for auditors and administrators.

use axum::Json;
use axum::extract::State;

use crate::auth::{Can, ReadAudit};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::services::trail::{self, AuditQuery};
use crate::state::AppState;
use crate::views::AuditPage;

/// The audit trail: security-relevant events (logins, failed logins,
/// logouts, accounts, departments, policy, calendar, API tokens), newest
/// first, filtered, paged by `before`. Auditors and administrators only.
#[utoipa::path(get, path = "/api/v1/audit", operation_id = "list_audit", tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, body = AuditPage),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Neither auditor nor administrator", body = ErrorBody),
        (status = 422, description = "A filter is invalid; `field` names it", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _can: Can<ReadAudit>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    Ok(Json(trail::page(&state, &q).await?))
}

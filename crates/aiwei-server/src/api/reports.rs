//! Assessment indicators and reports over the API (R-6.2, docs/KPI.md).

use axum::Json;
use axum::extract::State;

use crate::auth::Staff;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::services::figures::{self, Figures, FiguresQuery};
use crate::state::AppState;

/// The indicators of a period (docs/KPI.md) for the organisation, a
/// department or a staff member, with those of the period before and the
/// targets. Supervisors and the leading group see any; a department's
/// lead sees their department's; everyone sees their own. Without
/// `department` or `staff`, the asker's widest view.
#[utoipa::path(get, path = "/api/v1/reports/indicators", operation_id = "indicators", tag = "reports",
    params(FiguresQuery),
    responses(
        (status = 200, body = Figures),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "No such department or staff member", body = ErrorBody),
        (status = 422, description = "`invalid_period`, `invalid_date`, `unknown_value` (staff)", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn indicators(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<FiguresQuery>,
) -> ApiResult<Json<Figures>> {
    Ok(Json(figures::figures(&state, &staff, &q).await?.figures))
}

//! Exports of the ledger for spreadsheet programs.

use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::IntoResponse;

use crate::auth::Staff;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::services::ledger::{self, LedgerQuery};
use crate::state::AppState;

/// The ledger as CSV (UTF-8 with BOM), with the ledger's filters: only the
/// matters the caller may see; callers in clear only for the roles the
/// configuration names (`export_clear_roles`, default supervisors), masked
/// for everyone else; cells that would start a spreadsheet formula
/// neutralised. At most 50,000 rows. Every export is an audit record.
#[utoipa::path(get, path = "/api/v1/exports/ledger.csv", tag = "matters",
    params(LedgerQuery),
    responses(
        (status = 200, description = "The CSV file", content_type = "text/csv"),
        (status = 401, body = ErrorBody),
        (status = 409, description = "`export_too_large`: narrow the filters", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn ledger_csv(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> ApiResult<impl IntoResponse> {
    let (csv, _) = ledger::export_csv(&state, &staff, &q).await?;
    let day = state
        .clock
        .now()
        .with_timezone(&aiwei_core::time::china())
        .format("%Y%m%d");
    // An array of headers replaces the text/plain the body would set.
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"ledger-{day}.csv\""),
            ),
        ],
        csv,
    ))
}

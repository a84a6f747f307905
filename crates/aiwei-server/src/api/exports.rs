//! Exports of the ledger for spreadsheet programs.

use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::IntoResponse;

use crate::auth::Staff;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::services::figures::{self, FiguresQuery};
use crate::services::ledger::{self, LedgerQuery};
use crate::state::AppState;
use axum::body::Body;

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
    let day = file_day(&state);
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

/// The ledger as an Excel workbook (.xlsx) with the columns of an office's
/// 台账: 编号, 受理时间, 渠道, 来电来访人, 联系电话, 类型, 子类, 事项内容, 地址,
/// 责任部门, 签收时间, 到场时间, 整改措施, 完成时间, 反馈方式, 回访结果, 满意度,
/// 状态, 是否超期. The ledger's filters and scope, callers masked as in the
/// CSV export, every text a text cell (never a formula), times as Excel
/// dates in Beijing time, the header frozen with filters on. At most
/// 1,048,575 rows (one sheet). Every export is an audit record.
#[utoipa::path(get, path = "/api/v1/exports/ledger.xlsx", tag = "matters",
    params(LedgerQuery),
    responses(
        (status = 200, description = "The workbook",
         content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = ErrorBody),
        (status = 409, description = "`export_too_large`: narrow the filters", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn ledger_xlsx(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> ApiResult<impl IntoResponse> {
    let (file, _) = ledger::export_xlsx(&state, &staff, &q).await?;
    workbook(file, &format!("ledger-{}.xlsx", file_day(&state)))
}

/// A report of a period (the page 统计分析 as a workbook): the indicators
/// against their targets and the period before, the counts, the trend,
/// the types and channels, the top problems and areas, the overdue list.
/// Whose figures and who may see them as `GET /api/v1/reports/indicators`.
#[utoipa::path(get, path = "/api/v1/exports/report.xlsx", tag = "reports",
    params(FiguresQuery),
    responses(
        (status = 200, description = "The workbook",
         content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "No such department or staff member", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn report_xlsx(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<FiguresQuery>,
) -> ApiResult<impl IntoResponse> {
    let r = figures::report(&state, &staff, &q).await?;
    let name = format!("report-{}.xlsx", r.figures.period.key.replace("..", "_"));
    let file = tokio::task::spawn_blocking(move || crate::services::xlsx::report_book(&r))
        .await
        .map_err(crate::error::ApiError::internal)??;
    workbook(file, &name)
}

/// A finished workbook as a download, streamed from its file.
pub fn workbook(
    file: std::fs::File,
    name: &str,
) -> ApiResult<([(axum::http::HeaderName, String); 3], Body)> {
    let len = file
        .metadata()
        .map_err(crate::error::ApiError::internal)?
        .len();
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(
        tokio::fs::File::from_std(file),
    ));
    Ok((
        [
            (CONTENT_TYPE, XLSX.to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (axum::http::header::CONTENT_LENGTH, len.to_string()),
        ],
        body,
    ))
}

/// The media type of an Excel workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Today's local date as export file names carry it: `20261130`.
fn file_day(state: &AppState) -> String {
    state
        .clock
        .now()
        .with_timezone(&aiwei_core::time::china())
        .format("%Y%m%d")
        .to_string()
}

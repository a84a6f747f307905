//! Search over the API.

use axum::Json;
use axum::extract::State;

use crate::auth::Staff;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::services::ledger::LedgerQuery;
use crate::services::search::{self, SearchPage, SearchTerms};
use crate::state::AppState;

/// Find matters by what their texts hold (content, address, answer, the
/// texts of their steps), as Ctrl-F would, within the ledger's filters and
/// what the caller may see; newest first, paged by cursor. A sensitive
/// matter's texts are sealed and not searched.
#[utoipa::path(get, path = "/api/v1/search", tag = "matters",
    params(SearchTerms, LedgerQuery),
    responses(
        (status = 200, body = SearchPage),
        (status = 401, body = ErrorBody),
        (status = 422, description = "`q` empty, only punctuation, or over 200 characters; or a filter refused", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn search(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(terms): ApiQuery<SearchTerms>,
    ApiQuery(filters): ApiQuery<LedgerQuery>,
) -> ApiResult<Json<SearchPage>> {
    Ok(Json(
        search::search(&state, &staff, &terms, &filters).await?,
    ))
}

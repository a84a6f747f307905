//! Suggestions over the API: the sub-category and lead department learned
//! from the office's history, for what intake has typed.

use axum::Json;
use axum::extract::State;

use crate::auth::{Can, RecordIntake};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::services::suggest::{self, SuggestRequest, SuggestionList};
use crate::state::AppState;

/// The likely sub-categories and lead departments for the text typed so
/// far (intake only), best first with their confidence; empty until the
/// models are trained (`aiwei suggest train`, or the server's daily run).
/// The clerk's own choice always wins: send what was shown as
/// `suggested_category` and `suggested_department` with the intake so that
/// suggestions can be measured.
#[utoipa::path(post, path = "/api/v1/suggestions", operation_id = "suggest", tag = "knowledge",
    request_body = SuggestRequest,
    responses(
        (status = 200, body = SuggestionList),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn suggest(
    State(state): State<AppState>,
    _can: Can<RecordIntake>,
    ApiJson(req): ApiJson<SuggestRequest>,
) -> ApiResult<Json<SuggestionList>> {
    Ok(Json(suggest::suggest(&state, &req).await?))
}

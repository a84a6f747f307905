//! Matters over the API: intake, the ledger, one matter with its timeline,
//! and a caller's earlier matters.

use aiwei_core::PhoneNumber;
use aiwei_core::handling::ActionRequest;
use aiwei_core::intake::IntakeRequest;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Can, LookUpCallers, RecordIntake, Staff};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IdempotencyKey};
use crate::services::confidential::Showing;
use crate::services::duplicates::{self as dups, DraftMatter, DuplicateList};
use crate::services::ledger::{self, LedgerQuery};
use crate::services::merges::{self, OtherMatter, UnmergeRequest};
use crate::services::once;
use crate::state::AppState;
use crate::views::{LedgerPage, MatterView};

/// A matter with its timeline and clocks, as `viewer` may see it.
pub async fn full_view(
    state: &AppState,
    m: aiwei_store::matters::Matter,
    viewer: &Staff,
) -> Result<MatterView, ApiError> {
    view_of(state, m, viewer, Showing::Read).await
}

async fn view_of(
    state: &AppState,
    m: aiwei_store::matters::Matter,
    viewer: &Staff,
    showing: Showing,
) -> Result<MatterView, ApiError> {
    let clear = crate::services::confidential::clear_for(state, viewer, &m, showing).await?;
    let events = state.store.events(m.id).await?;
    let deadlines = state.store.deadlines(m.id).await?;
    let (attachments, merged, linked) = match showing {
        // Made by this very request: nothing is attached, merged or linked
        // yet, so there is nothing to read.
        Showing::Recorded => Default::default(),
        Showing::Read => {
            let related = crate::services::merges::related(state, viewer, &m).await?;
            (
                state.store.attachments(m.id).await?,
                related.merged,
                related.linked,
            )
        }
    };
    Ok(MatterView::shown(m, clear, Some(events), state.clock.now())
        .with_deadlines(deadlines)
        .with_attachments(attachments)
        .with_related(merged, linked))
}

/// Record a call or a visit. Intake staff only.
#[utoipa::path(post, path = "/api/v1/matters", tag = "matters",
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$",
        description = "Names this attempt: a retry with the same key and body returns the first \
                       answer and records nothing; the same key with another body is a 422 \
                       `idempotency_key_reused`. Keys are kept at least 24 hours.")),
    request_body = IntakeRequest,
    responses(
        (status = 201, description = "Recorded", body = MatterView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not an intake role", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Invalid fields; `field` names the first", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    can: Can<RecordIntake>,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(req): ApiJson<IntakeRequest>,
) -> ApiResult<(StatusCode, Json<MatterView>)> {
    let user = &can.staff.user;
    let (m, replayed) = once::record(&state, user, &req, key).await?;
    // A replay shows the matter as it is now, which others may have moved.
    let showing = if replayed {
        Showing::Read
    } else {
        Showing::Recorded
    };
    Ok((
        StatusCode::CREATED,
        Json(view_of(&state, m, &can.staff, showing).await?),
    ))
}

/// The tracking ledger (台账, R-4.1.2): newest first, filtered, paged by
/// cursor.
#[utoipa::path(get, path = "/api/v1/matters", operation_id = "list_matters", tag = "matters",
    params(LedgerQuery),
    responses(
        (status = 200, body = LedgerPage),
        (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> ApiResult<Json<LedgerPage>> {
    Ok(Json(ledger::page(&state, &staff, &q).await?))
}

/// One matter with its full event timeline, by id or number.
#[utoipa::path(get, path = "/api/v1/matters/{key}", tag = "matters",
    params(("key" = String, Path, description = "UUID or number such as AW2026-000123")),
    responses(
        (status = 200, body = MatterView),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such matter, or not visible to the caller", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<MatterView>> {
    let m = ledger::find_visible(&state, &staff.user, &key).await?;
    Ok(Json(full_view(&state, m, &staff).await?))
}

/// Move a matter one step through its flow: dispatch,
/// sign for, return, arrive, plan, report progress, complete, feed back,
/// revisit, submit, evaluate, and so on. The roles, departments and state
/// that allow each step are checked in one place.
#[utoipa::path(post, path = "/api/v1/matters/{key}/actions", tag = "matters",
    params(("key" = String, Path, description = "UUID or number"),
        ("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$",
        description = "Names this attempt, as on `POST /api/v1/matters`")),
    request_body = ActionRequest,
    responses(
        (status = 200, description = "Done; the matter with its timeline", body = MatterView),
        (status = 403, description = "The role or department may not take this step", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`invalid_transition`: the state forbids the step; `state` and `action` name them", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn act(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(key): ApiPath<String>,
    IdempotencyKey(attempt): IdempotencyKey,
    ApiJson(req): ApiJson<ActionRequest>,
) -> ApiResult<Json<MatterView>> {
    let user = &staff.user;
    let m = ledger::find_visible(&state, user, &key).await?;
    let (m, _) = once::step(&state, user, &m, &req, attempt).await?;
    Ok(Json(full_view(&state, m, &staff).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryRequest {
    /// The caller's number, any common punctuation.
    #[schema(schema_with = aiwei_core::schema::phone)]
    pub phone: String,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryResponse {
    pub items: Vec<MatterView>,
}

/// A caller's earlier matters, newest first (the phone number travels in the
/// body, never in a URL, so it stays out of access logs).
#[utoipa::path(post, path = "/api/v1/callers/history", tag = "matters",
    request_body = HistoryRequest,
    responses(
        (status = 200, body = HistoryResponse),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn caller_history(
    State(state): State<AppState>,
    can: Can<LookUpCallers>,
    ApiJson(req): ApiJson<HistoryRequest>,
) -> ApiResult<Json<HistoryResponse>> {
    let phone = PhoneNumber::parse("phone", &req.phone).map_err(ApiError::invalid_field)?;
    let user = &can.staff.user;
    let actor = user.actor();
    let now = state.clock.now();
    let items = state
        .store
        .caller_history(&phone, &ledger::visible_to(&state, user), 20)
        .await?
        .into_iter()
        .map(|m| MatterView::listed(m, &actor, now))
        .collect::<Vec<_>>();
    crate::services::confidential::record_list_view(
        &state,
        &can.staff,
        "caller_history",
        &items.iter().collect::<Vec<_>>(),
    )
    .await?;
    Ok(Json(HistoryResponse { items }))
}

/// Merge this matter into another (并单): same type (complaint or other),
/// both open. It keeps its number and caller and is handled through the
/// other (the lead): every step on the lead is recorded on it too, while
/// its own caller is revisited. Intake and supervisors.
#[utoipa::path(post, path = "/api/v1/matters/{key}/merge", operation_id = "merge_matter", tag = "matters",
    params(("key" = String, Path, description = "UUID or number of the matter to merge")),
    request_body = OtherMatter,
    responses(
        (status = 200, body = MatterView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`not_mergeable`, `already_merged`, `merge_chain` or `same_matter`", body = ErrorBody),
        (status = 422, description = "`other` missing or not a matter you see", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn merge(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<OtherMatter>,
) -> ApiResult<Json<MatterView>> {
    let m = ledger::find_visible(&state, &staff.user, &key).await?;
    merges::merge(&state, &staff, &m, &req).await?;
    let m = ledger::find_visible(&state, &staff.user, &key).await?;
    Ok(Json(full_view(&state, m, &staff).await?))
}

/// Undo a merge (supervisors): the matter goes back to the desk, to be
/// dispatched on its own. Recorded on both matters with the reason.
#[utoipa::path(post, path = "/api/v1/matters/{key}/unmerge", operation_id = "unmerge_matter", tag = "matters",
    params(("key" = String, Path, description = "UUID or number of the merged matter")),
    request_body = UnmergeRequest,
    responses(
        (status = 200, body = MatterView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`not_merged`, or the matter is closed", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn unmerge(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<UnmergeRequest>,
) -> ApiResult<Json<MatterView>> {
    let m = ledger::find_visible(&state, &staff.user, &key).await?;
    merges::unmerge(&state, &staff, &m, &req).await?;
    let m = ledger::find_visible(&state, &staff.user, &key).await?;
    Ok(Json(full_view(&state, m, &staff).await?))
}

/// Link this matter with another as related, without merging (intake,
/// handlers, department heads, supervisors). Recorded on both.
#[utoipa::path(post, path = "/api/v1/matters/{key}/links", operation_id = "link_matter", tag = "matters",
    params(("key" = String, Path, description = "UUID or number")),
    request_body = OtherMatter,
    responses(
        (status = 200, body = MatterView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`already_linked` or `same_matter`", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn link(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<OtherMatter>,
) -> ApiResult<Json<MatterView>> {
    let m = ledger::find_visible(&state, &staff.user, &key).await?;
    merges::link(&state, &staff, &m, &req, false).await?;
    Ok(Json(full_view(&state, m, &staff).await?))
}

/// Remove the link between two matters (supervisors). Recorded on both.
#[utoipa::path(post, path = "/api/v1/matters/{key}/unlink", operation_id = "unlink_matter", tag = "matters",
    params(("key" = String, Path, description = "UUID or number")),
    request_body = OtherMatter,
    responses(
        (status = 200, body = MatterView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`not_linked` or `same_matter`", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn unlink(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<OtherMatter>,
) -> ApiResult<Json<MatterView>> {
    let m = ledger::find_visible(&state, &staff.user, &key).await?;
    merges::link(&state, &staff, &m, &req, true).await?;
    Ok(Json(full_view(&state, m, &staff).await?))
}

/// Likely duplicates of this matter (并单): recent open matters you see, of
/// its type and sub-category, about the same place or in nearly the same
/// words, best first.
#[utoipa::path(get, path = "/api/v1/matters/{key}/duplicates", operation_id = "matter_duplicates", tag = "matters",
    params(("key" = String, Path, description = "UUID or number")),
    responses(
        (status = 200, body = DuplicateList),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn duplicates(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<DuplicateList>> {
    let m = ledger::find_visible(&state, &staff.user, &key).await?;
    Ok(Json(dups::of_matter(&state, &staff, &m).await?))
}

/// Likely duplicates of a matter being recorded, before it is saved
/// (intake): send what has been typed.
#[utoipa::path(post, path = "/api/v1/duplicates", operation_id = "draft_duplicates", tag = "matters",
    request_body = DraftMatter,
    responses(
        (status = 200, body = DuplicateList),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn draft_duplicates(
    State(state): State<AppState>,
    can: Can<RecordIntake>,
    ApiJson(draft): ApiJson<DraftMatter>,
) -> ApiResult<Json<DuplicateList>> {
    Ok(Json(dups::of_draft(&state, &can.staff, &draft).await?))
}

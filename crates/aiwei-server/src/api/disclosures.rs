//! Confidential caller data over the API: revealing it with a reason,
//! disclosure requests, decisions and signatures, and anonymisation.

use aiwei_store::disclosures::{Disclosure, DisclosureList};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Administer, Can, Staff, Supervise};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::services::confidential::{self, DecisionRequest, DisclosureRequest, SignRequest};
use crate::services::ledger;
use crate::state::AppState;
use crate::views::{CallerView, DisclosureView};

/// `d` as `staff` sees it now.
fn view(state: &AppState, staff: &Staff, d: Disclosure) -> DisclosureView {
    DisclosureView::new(
        d,
        staff.user.id,
        state.clock.now(),
        &state.config.agreement_text,
    )
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    /// Why the caller's data is needed (2–500 characters).
    #[schema(schema_with = aiwei_core::schema::reason)]
    pub reason: String,
}

/// Reveal a matter's caller in clear, stating why: handlers and leads of
/// the lead department while the matter is open. Recorded on the matter
/// and in the audit trail.
#[utoipa::path(post, path = "/api/v1/matters/{key}/reveal", tag = "confidentiality",
    params(("key" = String, Path, description = "UUID or number")),
    request_body = RevealRequest,
    responses(
        (status = 200, body = CallerView),
        (status = 403, description = "`reveal_not_allowed`: ask for a disclosure instead", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn reveal(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<RevealRequest>,
) -> ApiResult<Json<CallerView>> {
    let m = ledger::find_visible(&state, &staff.user, &key).await?;
    Ok(Json(
        confidential::reveal(&state, &staff, m, &req.reason).await?,
    ))
}

/// Ask for a matter's caller data: a supervisor decides, then
/// the recipient signs the confidentiality agreement. A supervisor may
/// name another staff member as the recipient; neither the filer nor the
/// recipient decides.
#[utoipa::path(post, path = "/api/v1/matters/{key}/disclosures", operation_id = "request_disclosure", tag = "confidentiality",
    params(("key" = String, Path, description = "UUID or number")),
    request_body = DisclosureRequest,
    responses(
        (status = 201, body = DisclosureView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`disclosure_open` or `already_visible`", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn request(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<DisclosureRequest>,
) -> ApiResult<(StatusCode, Json<DisclosureView>)> {
    let m = ledger::find_visible(&state, &staff.user, &key).await?;
    let d = confidential::request(&state, &staff, &m, &req).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &staff, d))))
}

/// Which disclosures to list.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Which {
    /// Those the caller filed or receives.
    #[default]
    Mine,
    /// Those waiting for a decision (supervisors).
    Pending,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `mine` (default) or `pending` (supervisors).
    #[serde(default)]
    #[param(inline)]
    pub which: Which,
}

#[derive(Serialize, ToSchema)]
pub struct DisclosureListView {
    pub items: Vec<DisclosureView>,
}

/// Disclosures: the caller's own requests, or those waiting for a decision.
#[utoipa::path(get, path = "/api/v1/disclosures", operation_id = "list_disclosures", tag = "confidentiality",
    params(ListQuery),
    responses(
        (status = 200, body = DisclosureListView),
        (status = 403, description = "`pending` is for supervisors", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<DisclosureListView>> {
    let which = match q.which {
        Which::Mine => DisclosureList::Involving(staff.user.id),
        Which::Pending if aiwei_core::access::sees_pending_disclosures(&staff.user.actor()) => {
            DisclosureList::Pending
        }
        Which::Pending => return Err(ApiError::forbidden()),
    };
    let items = state
        .store
        .disclosures(which)
        .await?
        .into_iter()
        .map(|d| view(&state, &staff, d))
        .collect();
    Ok(Json(DisclosureListView { items }))
}

fn disclosure_id(raw: &str) -> Result<uuid::Uuid, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// Approve or refuse a request, with the reason. Supervisors only, and
/// never the filer or the recipient of the request (four eyes).
#[utoipa::path(post, path = "/api/v1/disclosures/{id}/decision", operation_id = "decide_disclosure", tag = "confidentiality",
    params(("id" = String, Path)),
    request_body = DecisionRequest,
    responses(
        (status = 200, body = DisclosureView),
        (status = 403, description = "`forbidden`, or `own_request`: the decider filed or receives it", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`already_decided`", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn decide(
    State(state): State<AppState>,
    can: Can<Supervise>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> ApiResult<Json<DisclosureView>> {
    let d = confidential::decide(&state, &can.staff, disclosure_id(&id)?, &req).await?;
    Ok(Json(view(&state, &can.staff, d)))
}

/// Sign the confidentiality agreement of an approved request; access to
/// the named fields opens until the request expires. The recipient only.
#[utoipa::path(post, path = "/api/v1/disclosures/{id}/signature", tag = "confidentiality",
    params(("id" = String, Path)),
    request_body = SignRequest,
    responses(
        (status = 200, body = DisclosureView),
        (status = 404, description = "No such request of the caller's", body = ErrorBody),
        (status = 409, description = "`disclosure_not_approved`: not approved, or expired", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn sign(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<SignRequest>,
) -> ApiResult<Json<DisclosureView>> {
    let d = confidential::sign(&state, &staff, disclosure_id(&id)?, req.agree, None).await?;
    Ok(Json(view(&state, &staff, d)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnonymiseRequest {
    /// Must be true.
    #[schema(schema_with = aiwei_core::schema::must_be_true)]
    pub confirm: bool,
}

#[derive(Serialize, ToSchema)]
pub struct AnonymiseResult {
    /// The caller's matters, all anonymised.
    pub matters: Vec<String>,
    /// Free texts in which the name or number was blanked out.
    pub texts_redacted: u64,
}

/// Erase a caller's personal data on their request: on every matter with
/// the same phone number. The matters, events and statistics remain.
/// Administrators only.
#[utoipa::path(post, path = "/api/v1/matters/{key}/anonymise", tag = "confidentiality",
    params(("key" = String, Path)),
    request_body = AnonymiseRequest,
    responses(
        (status = 200, body = AnonymiseResult),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`already_anonymised`", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn anonymise(
    State(state): State<AppState>,
    can: Can<Administer>,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<AnonymiseRequest>,
) -> ApiResult<Json<AnonymiseResult>> {
    let m = ledger::find_visible(&state, &can.staff.user, &key).await?;
    let out = confidential::anonymise(&state, &can.staff, &m, req.confirm).await?;
    Ok(Json(AnonymiseResult {
        matters: out.matters,
        texts_redacted: out.texts_redacted,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NameRequest {
    /// The colleague's user name.
    pub username: String,
}

#[derive(Serialize, ToSchema)]
pub struct Named {
    pub username: String,
}

/// Name a colleague on a sensitive matter: a lead of a handling
/// department hands it to a member of such a department, who then sees and
/// handles it. Recorded on the matter and in the audit trail.
#[utoipa::path(post, path = "/api/v1/matters/{key}/people", tag = "confidentiality",
    params(("key" = String, Path, description = "UUID or number")),
    request_body = NameRequest,
    responses(
        (status = 200, body = Named),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`not_sensitive_matter`", body = ErrorBody),
        (status = 422, description = "`unknown_user` or `not_in_department`", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn name_person(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<NameRequest>,
) -> ApiResult<Json<Named>> {
    let m = ledger::find_visible(&state, &staff.user, &key).await?;
    let username = confidential::name_person(&state, &staff, &m, &req.username).await?;
    Ok(Json(Named { username }))
}

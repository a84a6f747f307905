//! The knowledge base (知识库) over the API: articles, their versions,
//! proposals, publication and retirement, differences, and the articles
//! offered to intake while it types.

use aiwei_core::knowledge::ArticleInput;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Can, RecordIntake, Staff};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::services::knowledge::{
    self, ArticleDetail, ArticlePage, ArticleQuery, DiffView, OfferList, OfferRequest,
    PublishRequest, RetireRequest, VersionView, article_id,
};
use crate::state::AppState;

/// The knowledge base, last changed first: filtered by kind, review
/// status, sub-category, tag, words, or only what is in force today. Any
/// staff member.
#[utoipa::path(get, path = "/api/v1/articles", operation_id = "list_articles", tag = "knowledge",
    params(ArticleQuery),
    responses(
        (status = 200, body = ArticlePage),
        (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Staff,
    ApiQuery(q): ApiQuery<ArticleQuery>,
) -> ApiResult<Json<ArticlePage>> {
    Ok(Json(knowledge::list(&state, &q).await?))
}

/// Write a new article: version 1, a draft until a publisher publishes it.
/// Intake, handlers, department heads and supervisors (and the publishing
/// roles).
#[utoipa::path(post, path = "/api/v1/articles", operation_id = "create_article", tag = "knowledge",
    request_body = ArticleInput,
    responses(
        (status = 201, body = ArticleDetail),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<ArticleInput>,
) -> ApiResult<(StatusCode, Json<ArticleDetail>)> {
    let id = knowledge::create(&state, &staff, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(knowledge::detail(&state, id).await?),
    ))
}

/// One article: the version in force (else the newest) in full, every
/// version, and how often it answered matters.
#[utoipa::path(get, path = "/api/v1/articles/{id}", operation_id = "get_article", tag = "knowledge",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = ArticleDetail),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    _staff: Staff,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ArticleDetail>> {
    Ok(Json(knowledge::detail(&state, article_id(&id)?).await?))
}

/// Propose an edit: a new version made from `base_version`, which must be
/// the newest. It is in force only once published.
#[utoipa::path(post, path = "/api/v1/articles/{id}/versions", operation_id = "propose_article", tag = "knowledge",
    params(("id" = String, Path)),
    request_body = ArticleInput,
    responses(
        (status = 201, body = ArticleDetail),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`article_changed` or `nothing_changed`", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn propose(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<ArticleInput>,
) -> ApiResult<(StatusCode, Json<ArticleDetail>)> {
    let id = article_id(&id)?;
    knowledge::propose(&state, &staff, id, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(knowledge::detail(&state, id).await?),
    ))
}

/// One version in full.
#[utoipa::path(get, path = "/api/v1/articles/{id}/versions/{version}", operation_id = "get_article_version", tag = "knowledge",
    params(("id" = String, Path), ("version" = i64, Path, minimum = 1)),
    responses(
        (status = 200, body = VersionView),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn version(
    State(state): State<AppState>,
    _staff: Staff,
    ApiPath((id, n)): ApiPath<(String, i64)>,
) -> ApiResult<Json<VersionView>> {
    Ok(Json(knowledge::version(&state, article_id(&id)?, n).await?))
}

/// Put a version in force (publishers only): the one offered at intake
/// from now on. Publishing an older version rolls back; publishing on a
/// retired article restores it.
#[utoipa::path(post, path = "/api/v1/articles/{id}/publish", operation_id = "publish_article", tag = "knowledge",
    params(("id" = String, Path)),
    request_body = PublishRequest,
    responses(
        (status = 200, body = ArticleDetail),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`already_published`", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn publish(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<PublishRequest>,
) -> ApiResult<Json<ArticleDetail>> {
    let id = article_id(&id)?;
    knowledge::publish(&state, &staff, id, &req).await?;
    Ok(Json(knowledge::detail(&state, id).await?))
}

/// Retire an article (publishers only): never offered again until a
/// version is published anew.
#[utoipa::path(post, path = "/api/v1/articles/{id}/retire", operation_id = "retire_article", tag = "knowledge",
    params(("id" = String, Path)),
    request_body = RetireRequest,
    responses(
        (status = 200, body = ArticleDetail),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`already_retired`", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn retire(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<RetireRequest>,
) -> ApiResult<Json<ArticleDetail>> {
    let id = article_id(&id)?;
    knowledge::retire(&state, &staff, id, &req).await?;
    Ok(Json(knowledge::detail(&state, id).await?))
}

/// Which versions to compare.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The older version.
    #[param(minimum = 1)]
    pub from: i64,
    /// The newer version.
    #[param(minimum = 1)]
    pub to: i64,
}

/// The difference of two versions, field by field; within a changed text,
/// by paragraph and character.
#[utoipa::path(get, path = "/api/v1/articles/{id}/diff", operation_id = "diff_article", tag = "knowledge",
    params(("id" = String, Path), DiffQuery),
    responses(
        (status = 200, body = DiffView),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn diff(
    State(state): State<AppState>,
    _staff: Staff,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> ApiResult<Json<DiffView>> {
    Ok(Json(
        knowledge::diff(&state, article_id(&id)?, q.from, q.to).await?,
    ))
}

/// The articles in force today that best match what intake has typed so
/// far (intake only): at most five, best first, each with the answer to
/// insert and the version a matter then records as `answered_from`. The
/// text travels in the body, not the address, because it may hold a
/// caller's words.
#[utoipa::path(post, path = "/api/v1/articles/offers", operation_id = "offer_articles", tag = "knowledge",
    request_body = OfferRequest,
    responses(
        (status = 200, body = OfferList),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn offers(
    State(state): State<AppState>,
    _can: Can<RecordIntake>,
    ApiJson(req): ApiJson<OfferRequest>,
) -> ApiResult<Json<OfferList>> {
    Ok(Json(knowledge::offers(&state, &req).await?))
}

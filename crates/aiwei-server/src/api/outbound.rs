//! Notifications that leave the building, over the API (administrators):
//! destinations, rules, templates with their preview, and the outbox with
//! its retry.

use aiwei_core::NotificationKind;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::auth::{Administer, Can};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::services::channels::{
    self, ActiveRequest, DestinationRequest, DestinationView, OutboxPage, OutboxQuery, OutboxView,
    PreviewRequest, PreviewView, RuleRequest, RuleView, TemplateRequest, TemplateView,
};
use crate::state::AppState;

fn id_of(raw: &str) -> Result<uuid::Uuid, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// The group robots and webhooks notifications may be sent to; addresses
/// shown with their keys masked.
#[utoipa::path(get, path = "/api/v1/outbound/destinations", operation_id = "list_destinations", tag = "notifications",
    responses((status = 200, body = Vec<DestinationView>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn destinations(
    State(state): State<AppState>,
    _can: Can<Administer>,
) -> ApiResult<Json<Vec<DestinationView>>> {
    Ok(Json(channels::destinations(&state).await?))
}

/// Add a WeCom or DingTalk group robot or a signed webhook. The address
/// must be on the operator's allow-list (`destination_not_allowed`).
#[utoipa::path(post, path = "/api/v1/outbound/destinations", operation_id = "add_destination", tag = "notifications",
    request_body = DestinationRequest,
    responses(
        (status = 201, body = DestinationView),
        (status = 403, body = ErrorBody),
        (status = 409, description = "`name_taken`", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn add_destination(
    State(state): State<AppState>,
    can: Can<Administer>,
    ApiJson(req): ApiJson<DestinationRequest>,
) -> ApiResult<(StatusCode, Json<DestinationView>)> {
    let d = channels::add_destination(&state, &can.staff, &req).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// Turn a destination off (its rules stop matching; queued messages fail)
/// or on again.
#[utoipa::path(post, path = "/api/v1/outbound/destinations/{id}/active", operation_id = "set_destination_active", tag = "notifications",
    params(("id" = String, Path)),
    request_body = ActiveRequest,
    responses((status = 200, body = DestinationView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_active(
    State(state): State<AppState>,
    can: Can<Administer>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ActiveRequest>,
) -> ApiResult<Json<DestinationView>> {
    let id = id_of(&id)?;
    state
        .store
        .set_destination_active_audited(id, req.active, &can.staff.audit_actor(), state.clock.now())
        .await?;
    Ok(Json(channels::destination(&state, id).await?))
}

/// The rules saying whose notifications go out, and where.
#[utoipa::path(get, path = "/api/v1/outbound/rules", operation_id = "list_rules", tag = "notifications",
    responses((status = 200, body = Vec<RuleView>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn rules(
    State(state): State<AppState>,
    _can: Can<Administer>,
) -> ApiResult<Json<Vec<RuleView>>> {
    Ok(Json(channels::rules(&state).await?))
}

/// Add a rule: one staff member's or one department's notifications of
/// the given kinds to a mailbox or a destination.
#[utoipa::path(post, path = "/api/v1/outbound/rules", operation_id = "add_rule", tag = "notifications",
    request_body = RuleRequest,
    responses((status = 201, body = RuleView), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_rule(
    State(state): State<AppState>,
    can: Can<Administer>,
    ApiJson(req): ApiJson<RuleRequest>,
) -> ApiResult<(StatusCode, Json<RuleView>)> {
    let r = channels::add_rule(&state, &can.staff, &req).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Remove a rule; what it already queued is still sent.
#[utoipa::path(delete, path = "/api/v1/outbound/rules/{id}", operation_id = "delete_rule", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_rule(
    State(state): State<AppState>,
    can: Can<Administer>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_rule_audited(id_of(&id)?, &can.staff.audit_actor(), state.clock.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every notification kind's message template (the built-in text until an
/// administrator writes one), with a preview on a made-up matter.
#[utoipa::path(get, path = "/api/v1/outbound/templates", operation_id = "list_templates", tag = "notifications",
    responses((status = 200, body = Vec<TemplateView>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn templates(
    State(state): State<AppState>,
    _can: Can<Administer>,
) -> ApiResult<Json<Vec<TemplateView>>> {
    Ok(Json(channels::templates(&state).await?))
}

/// Save a kind's template. Placeholders are written `{编号}`; an unknown
/// one is refused (`unknown_placeholder`).
#[utoipa::path(put, path = "/api/v1/outbound/templates/{kind}", operation_id = "save_template", tag = "notifications",
    params(("kind" = NotificationKind, Path)),
    request_body = TemplateRequest,
    responses((status = 200, body = TemplateView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn save_template(
    State(state): State<AppState>,
    can: Can<Administer>,
    ApiPath(kind): ApiPath<String>,
    ApiJson(req): ApiJson<TemplateRequest>,
) -> ApiResult<Json<TemplateView>> {
    let kind = NotificationKind::from_code(&kind).ok_or_else(ApiError::not_found)?;
    Ok(Json(
        channels::save_template(&state, &can.staff, kind, Some(&req)).await?,
    ))
}

/// A template filled in with a made-up matter, caller masked, without
/// saving it.
#[utoipa::path(post, path = "/api/v1/outbound/preview", operation_id = "preview_template", tag = "notifications",
    request_body = PreviewRequest,
    responses((status = 200, body = PreviewView), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn preview(
    State(_state): State<AppState>,
    _can: Can<Administer>,
    ApiJson(req): ApiJson<PreviewRequest>,
) -> ApiResult<Json<PreviewView>> {
    let t = channels::parse_template(&req.subject, &req.body)?;
    let (subject, body) = crate::services::outbound::preview(&t, req.kind);
    Ok(Json(PreviewView { subject, body }))
}

/// Outgoing messages, newest first, fifty a page: waiting, sent or
/// failed, with the last error.
#[utoipa::path(get, path = "/api/v1/outbox", operation_id = "list_outbox", tag = "notifications",
    params(OutboxQuery),
    responses((status = 200, body = OutboxPage), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn outbox(
    State(state): State<AppState>,
    _can: Can<Administer>,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> ApiResult<Json<OutboxPage>> {
    Ok(Json(channels::outbox(&state, &q).await?))
}

/// Send a failed or waiting message again now (`already_sent` when it
/// went out).
#[utoipa::path(post, path = "/api/v1/outbox/{id}/retry", operation_id = "retry_message", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 200, body = OutboxView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "`already_sent`", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn retry(
    State(state): State<AppState>,
    can: Can<Administer>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<OutboxView>> {
    let id = id_of(&id)?;
    state
        .store
        .retry_outbox_audited(id, &can.staff.audit_actor(), state.clock.now())
        .await?;
    let entry = state
        .store
        .outbox_entry(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(OutboxView::from(entry)))
}

//! The telephone exchange over the API (docs/CTI.md): its call events, and
//! the call-back list of missed calls the intake desk works.

use aiwei_core::telephony::CallEventRequest;
use axum::Json;
use axum::extract::State;

use crate::auth::{Can, LookUpCallers};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::services::telephony::{
    self, CallEventAnswer, CallbackList, CallbackRequest, CallbackView, Exchange,
};
use crate::state::AppState;

/// A call event from the telephone exchange (Asterisk, FreeSWITCH, a cloud
/// call centre), authenticated with the configured key as
/// `Authorization: Bearer <telephony_key>`. `ringing` opens the call on the
/// page of the clerk at `extension`; `answered` fixes the ring-to-answer
/// seconds; `missed` (or `ended` before anyone answered) puts it on the
/// call-back list. A resent event changes nothing (`changed: false`).
#[utoipa::path(post, path = "/api/v1/telephony/events", operation_id = "telephony_event", tag = "telephony",
    request_body = CallEventRequest,
    responses(
        (status = 200, body = CallEventAnswer),
        (status = 401, description = "No or a wrong exchange key", body = ErrorBody),
        (status = 409, description = "`unknown_call` (never rang) or `call_finished`", body = ErrorBody),
        (status = 422, description = "A malformed event, or `unknown_extension`", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn event(
    State(state): State<AppState>,
    _exchange: Exchange,
    ApiJson(req): ApiJson<CallEventRequest>,
) -> ApiResult<Json<CallEventAnswer>> {
    Ok(Json(telephony::record_event(&state, &req).await?))
}

/// Which missed calls to list.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// `true`: worked ones too; otherwise only those waiting.
    #[param(schema_with = crate::services::query::schema::only_true)]
    #[serde(default)]
    pub all: Option<String>,
}

/// Missed calls to call back (漏接回拨), newest first, with how many wait,
/// were reached, or could not be reached. Intake staff and supervisors.
#[utoipa::path(get, path = "/api/v1/callbacks", operation_id = "list_callbacks", tag = "telephony",
    params(CallbackQuery),
    responses((status = 200, body = CallbackList), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn callbacks(
    State(state): State<AppState>,
    _can: Can<LookUpCallers>,
    ApiQuery(q): ApiQuery<CallbackQuery>,
) -> ApiResult<Json<CallbackList>> {
    let all = match q.all.as_deref() {
        None | Some("") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::invalid_field(aiwei_core::FieldError::new(
                "all",
                aiwei_core::ErrorCode::InvalidValue,
            )));
        }
    };
    Ok(Json(telephony::callbacks(&state, all).await?))
}

/// Record that a missed call was called back (`reached`) or could not be
/// (`unreachable`).
#[utoipa::path(post, path = "/api/v1/callbacks/{id}", operation_id = "work_callback", tag = "telephony",
    params(("id" = String, Path)),
    request_body = CallbackRequest,
    responses((status = 200, body = CallbackView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`already_called_back`", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn work(
    State(state): State<AppState>,
    can: Can<LookUpCallers>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<CallbackRequest>,
) -> ApiResult<Json<CallbackView>> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    Ok(Json(
        telephony::work_callback(&state, can.staff.user.id, id, &req).await?,
    ))
}

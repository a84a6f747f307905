//! The one error type at the HTTP edge, and the error policy.
//!
//! Policy:
//! - Every error has a stable snake_case `code`; it is also the UI's message
//!   key (see [`crate::messages`]).
//! - Status codes are honest: 400 malformed body, 401 no valid session or
//!   token, 403 a role that may not act, 404 absent *or not visible to the
//!   caller* (so ids cannot be probed), 409 the current state forbids the
//!   action, 413 too large, 415 wrong content type, 422 well-formed but
//!   invalid fields (naming the field), 429 throttled, 500 our fault.
//! - Internal detail (database errors, cause chains) goes to the log with a
//!   request-scoped error id; the client gets the code, a Chinese message and
//!   the id, never the detail. Nothing personal is put into either.
//!
//! API responses carry `{"error":{"code","message","field"?,"errors"?}}`.
//! Page routes turn the same error into an HTML page (see `pages`), using the
//! [`ErrorInfo`] extension every error response carries.

use aiwei_core::access::Denial;
use aiwei_core::flow::{ActionKind, Refusal};
use aiwei_core::{ErrorCode, FieldError, FieldErrors, MatterStatus};
use aiwei_store::StoreError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::messages::field_message;

/// An error answer, before it is rendered.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub errors: Vec<FieldError>,
    /// A message more specific than the code's text (no personal data).
    detail: Option<String>,
    /// For `invalid_transition`: the matter's status and the refused step.
    transition: Option<(MatterStatus, ActionKind)>,
    internal: Option<anyhow::Error>,
}

/// What a page needs to render an error; attached to every error response.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code.
    pub code: ErrorCode,
    /// Human-readable text (Simplified Chinese).
    pub message: String,
    /// The first refused field, as a dotted path (`caller.phone`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `invalid_transition`: the matter's current status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<MatterStatus>,
    /// For `invalid_transition`: the refused step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<ActionKind>,
    /// Every refused field, when there were several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldErrorBody>,
    /// Quote this id when reporting a 500; the log has the detail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FieldErrorBody {
    pub field: String,
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode) -> Self {
        Self {
            status,
            code,
            errors: Vec::new(),
            detail: None,
            transition: None,
            internal: None,
        }
    }

    /// 409: the matter's state does not allow the step.
    pub fn invalid_transition(state: MatterStatus, action: ActionKind) -> Self {
        Self {
            detail: Some(format!(
                "当前状态（{}）不能执行“{}”",
                state.label(),
                action.label()
            )),
            transition: Some((state, action)),
            ..Self::new(StatusCode::CONFLICT, ErrorCode::InvalidTransition)
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated)
    }

    pub fn login_failed() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::LoginFailed)
    }

    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden)
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound)
    }

    pub fn conflict(code: ErrorCode) -> Self {
        Self::new(StatusCode::CONFLICT, code)
    }

    pub fn csrf() -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::CsrfFailed)
    }

    /// 429: one address filed or looked up too often.
    pub fn rate_limited() -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited)
    }

    /// 404: the same answer for a wrong number and a wrong query code.
    pub fn no_such_filing() -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NoSuchFiling)
    }

    pub fn too_many_attempts() -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyAttempts)
    }

    /// 400: the request could not be read (a query, path or form that does
    /// not parse, a multipart body without its boundary).
    pub fn malformed() -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::MalformedRequest)
    }

    pub fn payload_too_large() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge)
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
        )
    }

    /// 422 naming the refused fields; the code is the first field's.
    pub fn invalid(errors: FieldErrors) -> Self {
        let code = errors
            .first()
            .map(|e| e.code)
            .unwrap_or(ErrorCode::ValidationFailed);
        Self {
            errors: errors.0,
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, code)
        }
    }

    pub fn invalid_field(e: FieldError) -> Self {
        Self::invalid(FieldErrors(vec![e]))
    }

    /// 500; `e` goes to the log only.
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        Self {
            internal: Some(e.into()),
            ..Self::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal)
        }
    }

    pub fn first_field(&self) -> Option<&str> {
        self.errors.first().map(|e| e.field.as_str())
    }

    /// The Chinese message: the first field's when fields were refused.
    pub fn message(&self) -> String {
        match (self.errors.first(), &self.detail) {
            (Some(f), _) => field_message(&f.field, f.code),
            (None, Some(d)) => d.clone(),
            (None, None) => self.code.label().to_owned(),
        }
    }
}

impl From<Denial> for ApiError {
    fn from(d: Denial) -> Self {
        match d {
            Denial::Hidden => Self::not_found(),
            Denial::Forbidden(code) => Self::new(StatusCode::FORBIDDEN, code),
            Denial::Conflict(code) => Self::conflict(code),
            Denial::Invalid(f) => Self::invalid_field(f),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found(),
            StoreError::Conflict(code) => Self::conflict(code),
            StoreError::Invalid(f) => Self::invalid_field(f),
            StoreError::InvalidFields(fs) => Self::invalid(fs),
            StoreError::Denied(d) => d.into(),
            StoreError::Refused(Refusal::Forbidden) => Self::forbidden(),
            StoreError::Refused(Refusal::State { action, status }) => {
                Self::invalid_transition(status, action)
            }
            StoreError::Refused(Refusal::Invalid { field }) => {
                Self::invalid_field(FieldError::new(field, ErrorCode::InvalidValue))
            }
            StoreError::Refused(Refusal::Merged) => Self::conflict(ErrorCode::MergedStep),
            other => Self::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error_id = if let Some(e) = &self.internal {
            let id = uuid::Uuid::now_v7().simple().to_string();
            // `{:#}` prints the cause chain. Store and sqlx errors carry no
            // caller data, only statements and constraint names.
            tracing::error!(error_id = %id, error = format!("{e:#}"), "request failed");
            Some(id)
        } else {
            None
        };
        let message = self.message();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: message.clone(),
                field: self.first_field().map(str::to_owned),
                errors: if self.errors.len() > 1 {
                    self.errors
                        .iter()
                        .map(|f| FieldErrorBody {
                            field: f.field.clone(),
                            code: f.code,
                            message: field_message(&f.field, f.code),
                        })
                        .collect()
                } else {
                    Vec::new()
                },
                error_id,
                state: self.transition.map(|t| t.0),
                action: self.transition.map(|t| t.1),
            },
        };
        let mut resp = (self.status, Json(body)).into_response();
        resp.extensions_mut().insert(ErrorInfo {
            status: self.status,
            code: self.code,
            message,
        });
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

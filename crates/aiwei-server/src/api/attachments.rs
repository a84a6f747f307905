//! Evidence attachments over the API: upload to a matter (multipart, one
//! file and its stage), download with the matter's visibility checked.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use aiwei_store::attachments::file_path;

use crate::auth::Staff;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiMultipart, ApiPath};
use crate::services::attachments::{read_upload, store_upload};
use crate::services::ledger;
use crate::state::AppState;
use crate::views::AttachmentView;

/// The multipart form of an upload, as the document describes it (the
/// handler reads the parts one by one, in `read_upload`).
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file: JPEG, PNG or PDF by its content, at most 10 MiB.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    stage: aiwei_core::AttachmentStage,
}

/// Add evidence to a matter: a multipart form with `file` (JPEG, PNG or
/// PDF, at most 10 MiB, judged by content) and `stage` (`before`, `after`
/// or `document`). The desk, supervisors, and the staff of the lead and
/// co-handling departments.
#[utoipa::path(post, path = "/api/v1/matters/{key}/attachments", tag = "matters",
    params(("key" = String, Path, description = "UUID or number")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = AttachmentView),
        (status = 400, description = "Not a multipart body", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, description = "`unsupported_file_type`, `too_large`, `required`, `unknown_value`", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(key): ApiPath<String>,
    ApiMultipart(mp): ApiMultipart,
) -> ApiResult<(StatusCode, Json<AttachmentView>)> {
    let m = ledger::find_visible(&state, &staff.user, &key).await?;
    let up = read_upload(mp, &[]).await?;
    let a = store_upload(&state, &staff.user, &m, &up).await?;
    Ok((StatusCode::CREATED, Json(a.into())))
}

/// Download an attachment, as a download (never rendered inline).
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "matters",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "The file, as a download", content(
            ("image/jpeg"), ("image/png"), ("application/pdf"))),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such file, or its matter is not visible", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn download(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    let a = state.store.attachment(id).await?;
    // The matter decides who may see its evidence.
    ledger::find_visible(&state, &staff.user, &a.matter.to_string()).await?;
    file_response(
        &file_path(&state.config.attachments_dir, a.id),
        &a.file_name,
        &a.content_type,
    )
    .await
}

/// A stored file as a download named `name` (RFC 5987, so Chinese names
/// arrive whole).
pub async fn file_response(
    path: &std::path::Path,
    name: &str,
    content_type: &str,
) -> Result<Response, ApiError> {
    let bytes = tokio::fs::read(path).await.map_err(ApiError::internal)?;
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let mut resp = Body::from(bytes).into_response();
    let h = resp.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{encoded}")) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

//! Evidence attachments over the API: upload to a matter (multipart, one
//! file and its stage), download with the matter's visibility checked.

use aiwei_core::{FieldError, Role};
use aiwei_store::attachments::{Attachment, MAX_ATTACHMENT, file_path};
use aiwei_store::matters::Matter;
use aiwei_store::users::User;
use axum::Json;
use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Staff;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::ledger;
use crate::state::AppState;

/// An attachment as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: uuid::Uuid,
    /// `before`, `after` or `document`.
    pub stage: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub created_at: DateTime<Utc>,
    /// Where to download it (the matter's visibility is checked).
    pub url: String,
}

impl From<Attachment> for AttachmentView {
    fn from(a: Attachment) -> Self {
        Self {
            url: format!("/api/v1/attachments/{}", a.id),
            id: a.id,
            stage: a.stage,
            file_name: a.file_name,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            uploaded_by: a.uploaded_by_name,
            created_at: a.created_at,
        }
    }
}

impl AttachmentView {
    pub fn stage_zh(&self) -> String {
        crate::messages::zh_in("stage", &self.stage)
    }
    pub fn size_kb(&self) -> i64 {
        (self.size + 1023) / 1024
    }
}

/// Whether `user` may add evidence to `m`: the desk, supervisors, and the
/// staff of its lead and co-handling departments.
pub fn may_upload(user: &User, m: &Matter) -> bool {
    let dept =
        (user.has(Role::Handler) || user.has(Role::DeptLead)) && m.handled_by(&user.departments);
    dept || user.has(Role::Intake) || user.has(Role::Supervisor)
}

/// The fields of an upload form: `stage`, `file`, and `csrf` for pages.
pub struct Upload {
    pub stage: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub csrf: String,
    /// Any other text fields of the form.
    pub fields: Vec<(String, String)>,
}

pub async fn read_upload(mut mp: Multipart) -> Result<Upload, ApiError> {
    let mut up = Upload {
        stage: "document".into(),
        file_name: String::new(),
        bytes: Vec::new(),
        csrf: String::new(),
        fields: Vec::new(),
    };
    let bad = |_| ApiError::new(StatusCode::BAD_REQUEST, "invalid_value");
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        match field.name().unwrap_or("") {
            "stage" => up.stage = field.text().await.map_err(bad)?,
            "csrf" => up.csrf = field.text().await.map_err(bad)?,
            "file" => {
                up.file_name = field.file_name().unwrap_or("").to_owned();
                let bytes = field.bytes().await.map_err(|_| {
                    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
                })?;
                up.bytes = bytes.to_vec();
            }
            name => {
                let name = name.to_owned();
                let value = field.text().await.map_err(bad)?;
                up.fields.push((name, value));
            }
        }
    }
    Ok(up)
}

/// Stores an upload for `m` after the permission check.
pub async fn store_upload(
    state: &AppState,
    user: &User,
    m: &Matter,
    up: &Upload,
) -> Result<Attachment, ApiError> {
    if !may_upload(user, m) {
        return Err(ApiError::forbidden());
    }
    save_file(
        state,
        m.id,
        user.id,
        up.stage.trim(),
        &up.file_name,
        &up.bytes,
    )
    .await
}

/// Keeps a file with matter `matter` (the caller has checked who may):
/// at most [`MAX_ATTACHMENT`] bytes, the type judged by content.
pub async fn save_file(
    state: &AppState,
    matter: aiwei_core::MatterId,
    uploader: aiwei_core::UserId,
    stage: &str,
    file_name: &str,
    bytes: &[u8],
) -> Result<Attachment, ApiError> {
    if bytes.len() > MAX_ATTACHMENT {
        return Err(ApiError::invalid_field(FieldError::new(
            "file",
            "too_large",
        )));
    }
    let a = state
        .store
        .add_attachment(
            &state.config.attachments_dir,
            matter,
            uploader,
            stage,
            file_name,
            bytes,
            state.clock.now(),
        )
        .await?;
    tracing::info!(matter = %matter, attachment = %a.id, size = a.size, "attachment stored");
    Ok(a)
}

/// Add evidence to a matter: a multipart form with `file` (JPEG, PNG or
/// PDF, at most 10 MiB, judged by content) and `stage` (`before`, `after`
/// or `document`).
#[utoipa::path(post, path = "/api/v1/matters/{key}/attachments", tag = "matters",
    params(("key" = String, Path, description = "UUID or number")),
    request_body(content_type = "multipart/form-data", description = "`file` and `stage`"),
    responses(
        (status = 201, body = AttachmentView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, description = "`unsupported_file_type`, `too_large`, `required`", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    staff: Staff,
    Path(key): Path<String>,
    mp: Multipart,
) -> ApiResult<(StatusCode, Json<AttachmentView>)> {
    let m = ledger::find_visible(&state, &staff.user, &key).await?;
    let up = read_upload(mp).await?;
    let a = store_upload(&state, &staff.user, &m, &up).await?;
    Ok((StatusCode::CREATED, Json(a.into())))
}

/// Download an attachment, as a download (never rendered inline).
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "matters",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 404, description = "No such file, or its matter is not visible", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn download(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    let a = state.store.attachment(id).await?;
    // The matter decides who may see its evidence.
    ledger::find_visible(&state, &staff.user, &a.matter.to_string()).await?;
    let path = file_path(&state.config.attachments_dir, a.id);
    let bytes = tokio::fs::read(&path).await.map_err(ApiError::internal)?;
    let encoded: String = a
        .file_name
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
        HeaderValue::from_str(&a.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{encoded}")) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

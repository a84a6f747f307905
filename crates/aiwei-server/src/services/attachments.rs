//! Evidence files: reading an upload form, checking who may add evidence,
//! keeping the file. Shared by the API and the pages.

use aiwei_core::access;
use aiwei_core::{AttachmentStage, ErrorCode, FieldError};
use aiwei_store::attachments::{Attachment, MAX_ATTACHMENT};
use aiwei_store::matters::Matter;
use aiwei_store::users::User;
use axum::extract::Multipart;

use crate::error::ApiError;
use crate::state::AppState;

/// The fields of an upload form: `stage`, `file`, and `csrf` for pages.
pub struct Upload {
    pub stage: Option<String>,
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub csrf: String,
    /// Any other text fields of the form.
    pub fields: Vec<(String, String)>,
}

impl Upload {
    /// The stage the form names; a form must name one.
    pub fn stage(&self) -> Result<AttachmentStage, ApiError> {
        let Some(stage) = self.stage.as_deref() else {
            return Err(ApiError::invalid_field(FieldError::new(
                "stage",
                ErrorCode::Required,
            )));
        };
        AttachmentStage::parse(stage).map_err(ApiError::invalid_field)
    }
}

/// Reads a multipart form; a body that is not one is a 400. Parts other
/// than `file`, `stage`, `csrf` and the `extra` names the form has are
/// refused (422 naming the part), as unknown JSON fields are.
pub async fn read_upload(mut mp: Multipart, extra: &[&str]) -> Result<Upload, ApiError> {
    let mut up = Upload {
        stage: None,
        file_name: String::new(),
        bytes: Vec::new(),
        csrf: String::new(),
        fields: Vec::new(),
    };
    let bad = |_| ApiError::malformed();
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        match field.name().unwrap_or("") {
            "stage" => up.stage = Some(field.text().await.map_err(bad)?),
            "csrf" => up.csrf = field.text().await.map_err(bad)?,
            "file" => {
                up.file_name = field.file_name().unwrap_or("").to_owned();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| ApiError::payload_too_large())?;
                up.bytes = bytes.to_vec();
            }
            name if extra.contains(&name) => {
                let name = name.to_owned();
                let value = field.text().await.map_err(bad)?;
                up.fields.push((name, value));
            }
            name => {
                return Err(ApiError::invalid_field(FieldError::new(
                    name,
                    ErrorCode::UnknownField,
                )));
            }
        }
    }
    Ok(up)
}

/// Stores an upload for `m`, if `user` may add evidence to it
/// ([`access::may_upload`]).
pub async fn store_upload(
    state: &AppState,
    user: &User,
    m: &Matter,
    up: &Upload,
) -> Result<Attachment, ApiError> {
    if !access::may_upload(&user.actor(), &m.facts()) {
        return Err(ApiError::forbidden());
    }
    let stage = up.stage()?;
    save_file(state, m.id, user.id, stage, &up.file_name, &up.bytes).await
}

/// Keeps a file with matter `matter` (the caller has checked who may):
/// at most [`MAX_ATTACHMENT`] bytes, the type judged by content.
pub async fn save_file(
    state: &AppState,
    matter: aiwei_core::MatterId,
    uploader: aiwei_core::UserId,
    stage: AttachmentStage,
    file_name: &str,
    bytes: &[u8],
) -> Result<Attachment, ApiError> {
    if bytes.len() > MAX_ATTACHMENT {
        return Err(ApiError::invalid_field(FieldError::new(
            "file",
            ErrorCode::TooLarge,
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

//! An evidence file as the API and the pages show it.

use aiwei_core::AttachmentStage;
use aiwei_store::attachments::Attachment;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// An attachment as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: uuid::Uuid,
    pub stage: AttachmentStage,
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
    pub fn stage_zh(&self) -> &'static str {
        self.stage.label()
    }
    pub fn size_kb(&self) -> i64 {
        (self.size + 1023) / 1024
    }
}

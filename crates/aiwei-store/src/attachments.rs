//! Evidence attachments: photos before and after rectification, and
//! documents. Files are kept outside the database rows, in a directory of
//! their own, named by a random id (never by the uploaded name); the row
//! keeps the name, type, size and SHA-256, and an event on the matter
//! records the upload.

use std::path::{Path, PathBuf};

use aiwei_core::time::{from_millis, to_millis};
use aiwei_core::{AttachmentStage, ErrorCode, EventKind, FieldError, MatterId, UserId};
use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::Store;
use crate::error::StoreError;
use crate::events::append_event;

/// The largest file accepted.
pub const MAX_ATTACHMENT: usize = 10 * 1024 * 1024;

/// What a file is, judged by its first bytes rather than by its name or
/// the type the browser claimed.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub id: Uuid,
    pub matter: MatterId,
    pub uploaded_by: UserId,
    pub uploaded_by_name: String,
    pub stage: AttachmentStage,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    matter_id: Uuid,
    uploaded_by: Uuid,
    uploaded_by_name: String,
    stage: String,
    file_name: String,
    content_type: String,
    size: i64,
    sha256: String,
    created_at: i64,
}

impl TryFrom<Row> for Attachment {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(Attachment {
            id: r.id,
            matter: MatterId(r.matter_id),
            uploaded_by: UserId(r.uploaded_by),
            uploaded_by_name: r.uploaded_by_name,
            stage: AttachmentStage::from_code(&r.stage)
                .ok_or_else(|| StoreError::Corrupt("attachment stage".into()))?,
            file_name: r.file_name,
            content_type: r.content_type,
            size: r.size,
            sha256: r.sha256,
            created_at: from_millis(r.created_at),
        })
    }
}

const SELECT: &str =
    "SELECT a.id, a.matter_id, a.uploaded_by, u.display_name AS uploaded_by_name, a.stage,
    a.file_name, a.content_type, a.size, a.sha256, a.created_at
    FROM attachments a JOIN users u ON u.id = a.uploaded_by";

/// Where the file of attachment `id` lives under `dir`.
pub fn file_path(dir: &Path, id: Uuid) -> PathBuf {
    let s = id.simple().to_string();
    dir.join(&s[s.len() - 2..]).join(s)
}

/// Checks a file (not empty, at most [`MAX_ATTACHMENT`], a JPEG, PNG or
/// PDF) and writes it under `dir`, synced, as a new id; returns the id, its
/// SHA-256 and its type. The row that names it is the caller's to write.
pub(crate) async fn write_checked(
    dir: &Path,
    bytes: &[u8],
) -> Result<(Uuid, String, &'static str), StoreError> {
    if bytes.is_empty() {
        return Err(StoreError::Invalid(FieldError::new(
            "file",
            ErrorCode::Required,
        )));
    }
    if bytes.len() > MAX_ATTACHMENT {
        return Err(StoreError::Invalid(FieldError::new(
            "file",
            ErrorCode::TooLarge,
        )));
    }
    let content_type = sniff(bytes).ok_or_else(|| {
        StoreError::Invalid(FieldError::new("file", ErrorCode::UnsupportedFileType))
    })?;
    let id = Uuid::now_v7();
    let sha = hex::encode(Sha256::digest(bytes));
    let path = file_path(dir, id);
    let data = bytes.to_vec();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            crate::files::private_dir_all(parent)?;
        }
        let mut f = crate::files::create_private(&path)?;
        std::io::Write::write_all(&mut f, &data)?;
        f.sync_all()
    })
    .await
    .map_err(|e| StoreError::Io(std::io::Error::other(e.to_string())))??;
    Ok((id, sha, content_type))
}

/// Keeps a file name to a plain, bounded label: no path, no control
/// characters.
pub(crate) fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(100).collect();
    if cleaned.trim().is_empty() {
        "附件".to_owned()
    } else {
        cleaned
    }
}

impl Store {
    /// Checks and stores one file for a matter. The file is written and
    /// synced before the row commits, so an acknowledged upload survives a
    /// crash; a failed commit leaves only an orphan file, never a row
    /// without its file.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_attachment(
        &self,
        dir: &Path,
        matter: MatterId,
        uploader: UserId,
        stage: AttachmentStage,
        file_name: &str,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Attachment, StoreError> {
        let (id, sha, content_type) = write_checked(dir, bytes).await?;
        let name = clean_name(file_name);
        let mut tx = self.db.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO attachments (id, matter_id, uploaded_by, stage, file_name, content_type, size, sha256, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(id)
            .bind(matter.0)
            .bind(uploader.0)
            .bind(stage.as_str())
            .bind(&name)
            .bind(content_type)
            .bind(bytes.len() as i64)
            .bind(&sha)
            .bind(to_millis(now))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        append_event(
            &mut tx,
            matter,
            Some(uploader),
            EventKind::AttachmentAdded,
            &json!({ "attachment": id, "stage": stage, "content_type": content_type,
                     "size": bytes.len(), "sha256": sha }),
            now,
        )
        .await?;
        tx.commit().await?;
        self.attachment(id).await
    }

    pub async fn attachment(&self, id: Uuid) -> Result<Attachment, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE a.id = $1"));
        let row = on_pool!(&self.db, p => sqlx::query_as::<_, Row>(sql).bind(id).fetch_optional(p).await)?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    pub async fn attachments(&self, matter: MatterId) -> Result<Vec<Attachment>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE a.matter_id = $1 ORDER BY a.created_at"
        ));
        let rows = on_pool!(&self.db, p => sqlx::query_as::<_, Row>(sql).bind(matter.0).fetch_all(p).await)?;
        rows.into_iter().map(Attachment::try_from).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_judged_by_their_bytes() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff(b"<svg onload=alert(1)>"), None);
        assert_eq!(sniff(b"MZ\x90\x00"), None);
    }

    #[test]
    fn names_lose_their_paths() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\\\photos\\\\整改前.jpg"), "整改前.jpg");
        assert_eq!(clean_name(""), "附件");
        assert_eq!(clean_name("a\u{0}b.png"), "ab.png");
    }
}

//! Keys for Open311 clients: issued by an administrator, kept as their
//! SHA-256 only, revoked one by one.

use aiwei_core::AuditAction;
use aiwei_core::time::{from_millis, to_millis};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::Store;
use crate::error::StoreError;
use crate::trail::{AuditActor, commit_audited};

/// A key as listed (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open311Key {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Records a new key's hash for the client `name`, with `token.create`.
    pub async fn add_open311_key_audited(
        &self,
        name: &str,
        hash: &str,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<Uuid, StoreError> {
        let name = aiwei_core::error::bounded_text("name", Some(name), 64, true)
            .map_err(StoreError::Invalid)?
            .unwrap_or_default();
        let id = Uuid::now_v7();
        let mut tx = self.db.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO open311_keys (id, name, key_hash, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(&name)
            .bind(hash)
            .bind(by.user.map(|u| u.0))
            .bind(to_millis(now))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        let detail = serde_json::json!({ "open311": true, "label": name });
        commit_audited(
            tx,
            by,
            AuditAction::TokenCreate,
            &id.to_string(),
            detail,
            now,
        )
        .await?;
        Ok(id)
    }

    /// Every key, newest first.
    pub async fn open311_keys(&self) -> Result<Vec<Open311Key>, StoreError> {
        let rows: Vec<(Uuid, String, i64, Option<i64>)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, name, created_at, revoked_at FROM open311_keys ORDER BY created_at DESC")
            .fetch_all(p)
            .await)?;
        Ok(rows
            .into_iter()
            .map(|(id, name, c, r)| Open311Key {
                id,
                name,
                created_at: from_millis(c),
                revoked_at: r.map(from_millis),
            })
            .collect())
    }

    /// Revokes a key at once, with `token.revoke`.
    pub async fn revoke_open311_key_audited(
        &self,
        id: Uuid,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        let n = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE open311_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(to_millis(now))
            .bind(id)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        let detail = serde_json::json!({ "open311": true });
        commit_audited(
            tx,
            by,
            AuditAction::TokenRevoke,
            &id.to_string(),
            detail,
            now,
        )
        .await
    }

    /// Whether `hash` is of a key in force.
    pub async fn open311_key_valid(&self, hash: &str) -> Result<bool, StoreError> {
        let n: i64 = on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM open311_keys WHERE key_hash = $1 AND revoked_at IS NULL")
            .bind(hash)
            .fetch_one(p)
            .await)?;
        Ok(n > 0)
    }
}

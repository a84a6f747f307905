//! Server-side login sessions. The cookie carries a random token; only its
//! SHA-256 is stored, so a copy of the database does not yield live
//! sessions.

use aiwei_core::{AuditAction, UserId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::Store;
use crate::db::Tx;
use crate::error::StoreError;
use crate::trail::{AuditActor, append_audit};
use crate::users::User;

/// A live session and its owner.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    user_id: Uuid,
    csrf_token: String,
    expires_at: i64,
}

impl Store {
    pub async fn create_session(
        &self,
        id_hash: &str,
        user: UserId,
        csrf_token: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        insert(&mut tx, id_hash, user, csrf_token, now, expires_at).await?;
        tx.commit().await
    }

    /// [`Store::create_session`] for a login, recording `login.success` by
    /// `by` (the user logging in) in the same transaction.
    pub async fn create_session_audited(
        &self,
        id_hash: &str,
        csrf_token: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        by: &AuditActor<'_>,
    ) -> Result<(), StoreError> {
        let user = by.user.ok_or(StoreError::NotFound)?;
        let mut tx = self.db.begin().await?;
        insert(&mut tx, id_hash, user, csrf_token, now, expires_at).await?;
        let detail = serde_json::json!({ "expires_at": expires_at.to_rfc3339() });
        append_audit(
            &mut tx,
            &by.entry(AuditAction::LoginSuccess, None, detail),
            now,
        )
        .await?;
        tx.commit().await
    }

    /// The session with this id hash, if it is live and its user active.
    pub async fn session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError> {
        let row = on_pool!(&self.db, p => sqlx::query_as::<_, SessionRow>(
            "SELECT s.user_id, s.csrf_token, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.active")
            .bind(id_hash)
            .bind(now.timestamp_millis())
            .fetch_optional(p)
            .await)?;
        let Some(row) = row else { return Ok(None) };
        let user = self.user(UserId(row.user_id)).await?;
        Ok(Some(Session {
            user,
            csrf_token: row.csrf_token,
            expires_at: aiwei_core::time::from_millis(row.expires_at),
        }))
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        write_once!(&self.db, p => sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// [`Store::delete_session`] for a logout, recording `logout` by `by` in
    /// the same transaction.
    pub async fn delete_session_audited(
        &self,
        id_hash: &str,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        let ended = on_tx!(&mut tx, c => sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        let detail = serde_json::json!({ "sessions_ended": ended });
        append_audit(&mut tx, &by.entry(AuditAction::Logout, None, detail), now).await?;
        tx.commit().await
    }

    /// Drops expired sessions; returns how many.
    pub async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let r = write_once!(&self.db, p => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now.timestamp_millis())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(r)
    }
}

/// Opens a session in `tx`: only the hash of its id is stored.
pub(crate) async fn insert(
    tx: &mut Tx,
    id_hash: &str,
    user: UserId,
    csrf_token: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $4, $5)")
        .bind(id_hash)
        .bind(user.0)
        .bind(csrf_token)
        .bind(now.timestamp_millis())
        .bind(expires_at.timestamp_millis())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

//! What residents use themselves: query codes (only an argon2id hash is
//! kept), the system accounts their filings are recorded under, and the
//! rate limits shared by every app instance.

use aiwei_core::time::to_millis;
use aiwei_core::{MatterId, Role, Username};
use chrono::{DateTime, Utc};

use crate::Store;
use crate::db::Tx;
use crate::error::StoreError;
use crate::users::{NewUser, User};

/// Writes (or replaces) `matter`'s query code hash in `tx`.
pub(crate) async fn put_code(
    tx: &mut Tx,
    matter: MatterId,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    on_tx!(&mut *tx, c => sqlx::query("DELETE FROM query_codes WHERE matter_id = $1")
        .bind(matter.0)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    on_tx!(&mut *tx, c => sqlx::query(
        "INSERT INTO query_codes (matter_id, code_hash, issued_at) VALUES ($1, $2, $3)")
        .bind(matter.0)
        .bind(hash)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

impl Store {
    /// Issues a new query code for `matter` (its hash), replacing any
    /// earlier one: the desk gives it to a caller on the phone.
    pub async fn set_query_code(
        &self,
        matter: MatterId,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        put_code(&mut tx, matter, hash, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The hash of `matter`'s query code, if one was issued.
    pub async fn query_code_hash(&self, matter: MatterId) -> Result<Option<String>, StoreError> {
        Ok(on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT code_hash FROM query_codes WHERE matter_id = $1")
            .bind(matter.0)
            .fetch_optional(p)
            .await)?)
    }

    /// The account residents' filings of one kind are recorded under
    /// (`web`, `open311`): created on first use, never able to log in (no
    /// password hash verifies, and it is inactive).
    pub async fn system_account(
        &self,
        username: &Username,
        display_name: &str,
    ) -> Result<User, StoreError> {
        match self.user_by_name(username).await {
            Ok(u) => return Ok(u),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e),
        }
        let created = self
            .add_user(&NewUser {
                username: username.clone(),
                display_name: display_name.to_owned(),
                password_hash: "!system-account".into(),
                roles: vec![Role::Intake],
                departments: Vec::new(),
            })
            .await;
        match created {
            Ok(u) => {
                self.set_user_active(u.id, false).await?;
                self.user(u.id).await
            }
            // Another instance created it at the same moment.
            Err(StoreError::Conflict(_)) => self.user_by_name(username).await,
            Err(e) => Err(e),
        }
    }

    /// The department residents' filings are received at: the first (by
    /// code) with an active intake clerk, who will review them.
    pub async fn public_department(&self) -> Result<Option<String>, StoreError> {
        Ok(on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT MIN(ud.department_code) FROM user_departments ud
             JOIN user_roles r ON r.user_id = ud.user_id
             JOIN users u ON u.id = ud.user_id
             WHERE r.role = $1 AND u.active")
            .bind(Role::Intake.as_str())
            .fetch_one(p)
            .await)?)
    }

    /// Counts one hit of `bucket` in the window of `window_secs` that holds
    /// `now`, and returns the hits so far: one counter for all instances.
    pub async fn rate_hit(
        &self,
        bucket: &str,
        window_secs: i64,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let span = window_secs.max(1) * 1000;
        let start = to_millis(now).div_euclid(span) * span;
        let hits: i32 = write_once!(&self.db, p => sqlx::query_scalar(
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1)
             ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1
             RETURNING hits")
            .bind(bucket)
            .bind(start)
            .fetch_one(p)
            .await)?;
        Ok(i64::from(hits))
    }

    /// Forgets counters older than `before`.
    pub async fn purge_rate_limits(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(
            write_once!(&self.db, p => sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
            .bind(to_millis(before))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?,
        )
    }
}

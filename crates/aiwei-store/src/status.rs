//! The figures of the administrator's status page: how much the desk
//! holds and what needs an administrator's or a supervisor's attention.

use aiwei_core::time::to_millis;
use aiwei_core::{DisclosureStatus, ExtensionStatus};
use chrono::{DateTime, Utc};

use crate::Store;
use crate::error::StoreError;

/// Counts for the status page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    pub matters: i64,
    /// Matters not yet closed.
    pub open: i64,
    /// Open clocks past their due time.
    pub overdue_clocks: i64,
    pub users_active: i64,
    pub users_disabled: i64,
    pub departments: i64,
    pub pending_extensions: i64,
    pub pending_disclosures: i64,
    /// Records in the audit trail.
    pub audit_records: i64,
}

impl Store {
    pub async fn status(&self, now: DateTime<Utc>) -> Result<Status, StoreError> {
        let one = |sql: &'static str| async move {
            Ok::<i64, StoreError>(
                on_pool!(&self.db, p => sqlx::query_scalar(sql).fetch_one(p).await)?,
            )
        };
        let bound = |sql: &'static str, v: String| async move {
            Ok::<i64, StoreError>(
                on_pool!(&self.db, p => sqlx::query_scalar(sql).bind(v.clone()).fetch_one(p).await)?,
            )
        };
        Ok(Status {
            matters: one("SELECT COUNT(*) FROM matters").await?,
            open: one("SELECT COUNT(*) FROM matters WHERE closed_at IS NULL").await?,
            overdue_clocks: on_pool!(&self.db, p => sqlx::query_scalar(
                "SELECT COUNT(*) FROM deadlines WHERE ended_at IS NULL AND due_at <= $1")
                .bind(to_millis(now))
                .fetch_one(p)
                .await)?,
            users_active: one("SELECT COUNT(*) FROM users WHERE active").await?,
            users_disabled: one("SELECT COUNT(*) FROM users WHERE NOT active").await?,
            departments: one("SELECT COUNT(*) FROM departments").await?,
            pending_extensions: bound(
                "SELECT COUNT(*) FROM extension_requests WHERE state = $1",
                ExtensionStatus::Pending.as_str().to_owned(),
            )
            .await?,
            pending_disclosures: bound(
                "SELECT COUNT(*) FROM disclosures WHERE status = $1",
                DisclosureStatus::Requested.as_str().to_owned(),
            )
            .await?,
            audit_records: one("SELECT COUNT(*) FROM audit_trail").await?,
        })
    }
}

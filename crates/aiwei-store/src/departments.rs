//! Departments (部门): where matters are received and, later, dispatched.

use aiwei_core::{AuditAction, DepartmentCode, ErrorCode, FieldError};
use chrono::{DateTime, Utc};

use crate::Store;
use crate::error::StoreError;
use crate::trail::{AuditActor, append_audit};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct Department {
    pub code: String,
    pub name: String,
}

/// Longest department name in characters.
pub const MAX_DEPARTMENT_NAME: usize = 64;

impl Store {
    pub async fn add_department(
        &self,
        code: &DepartmentCode,
        name: &str,
    ) -> Result<Department, StoreError> {
        self.insert_department(code, name, None, self.clock.now())
            .await
    }

    /// [`Store::add_department`], recording `department.create` by `by` in
    /// the same transaction (target: the code; detail: the name).
    pub async fn add_department_audited(
        &self,
        code: &DepartmentCode,
        name: &str,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<Department, StoreError> {
        self.insert_department(code, name, Some(by), now).await
    }

    async fn insert_department(
        &self,
        code: &DepartmentCode,
        name: &str,
        audit: Option<&AuditActor<'_>>,
        now: DateTime<Utc>,
    ) -> Result<Department, StoreError> {
        let name = aiwei_core::error::bounded_text("name", Some(name), MAX_DEPARTMENT_NAME, true)
            .map_err(StoreError::Invalid)?
            .unwrap_or_default();
        let mut tx = self.db.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO departments (code, name, created_at) VALUES ($1, $2, $3)")
            .bind(code.as_str())
            .bind(&name)
            .bind(now.timestamp_millis())
            .execute(c)
            .await
            .map(|r| r.rows_affected()))
        .map_err(|e| StoreError::on_unique(e, ErrorCode::DepartmentExists))?;
        if let Some(by) = audit {
            let detail = serde_json::json!({ "name": name });
            append_audit(
                &mut tx,
                &by.entry(AuditAction::DepartmentCreate, Some(code.as_str()), detail),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Department {
            code: code.as_str().to_owned(),
            name,
        })
    }

    pub async fn list_departments(&self) -> Result<Vec<Department>, StoreError> {
        Ok(on_pool!(&self.db, p => sqlx::query_as::<_, Department>(
            "SELECT code, name FROM departments ORDER BY code")
            .fetch_all(p)
            .await)?)
    }

    /// The department, or [`StoreError::Invalid`] naming `field` when it
    /// does not exist.
    pub async fn require_department(
        &self,
        field: &str,
        code: &str,
    ) -> Result<Department, StoreError> {
        let found = on_pool!(&self.db, p => sqlx::query_as::<_, Department>(
            "SELECT code, name FROM departments WHERE code = $1")
            .bind(code)
            .fetch_optional(p)
            .await)?;
        found.ok_or_else(|| {
            StoreError::Invalid(FieldError::new(field, ErrorCode::UnknownDepartment))
        })
    }
}

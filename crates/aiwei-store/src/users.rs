//! Staff accounts, their roles and departments, and their API tokens.

use aiwei_core::{DepartmentCode, Role, UserId, Username};
use chrono::Utc;
use uuid::Uuid;

use crate::Store;
use crate::error::StoreError;

/// A staff member as the rest of the program sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub active: bool,
    pub roles: Vec<Role>,
    pub departments: Vec<String>,
}

impl User {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// What is needed to create an account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: Username,
    pub display_name: String,
    /// An argon2id PHC string; never the password itself.
    pub password_hash: String,
    pub roles: Vec<Role>,
    pub departments: Vec<DepartmentCode>,
}

/// The login view of an account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub id: Uuid,
    pub password_hash: String,
    pub active: bool,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    username: String,
    display_name: String,
    active: bool,
}

impl Store {
    pub async fn add_user(&self, new: &NewUser) -> Result<User, StoreError> {
        for d in &new.departments {
            self.require_department("department", d.as_str()).await?;
        }
        let id = UserId::new();
        let now = Utc::now().timestamp_millis();
        let mut tx = self.db.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO users (id, username, display_name, password_hash, active, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id.0)
            .bind(new.username.as_str())
            .bind(&new.display_name)
            .bind(&new.password_hash)
            .bind(true)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))
        .map_err(|e| StoreError::on_unique(e, "username_taken"))?;
        let mut roles = new.roles.clone();
        roles.sort();
        roles.dedup();
        for r in &roles {
            on_tx!(&mut tx, c => sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                .bind(id.0)
                .bind(r.as_str())
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        let mut depts: Vec<String> = new.departments.iter().map(|d| d.to_string()).collect();
        depts.sort();
        depts.dedup();
        for d in &depts {
            on_tx!(&mut tx, c => sqlx::query(
                "INSERT INTO user_departments (user_id, department_code) VALUES ($1, $2)")
                .bind(id.0)
                .bind(d)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(User {
            id,
            username: new.username.to_string(),
            display_name: new.display_name.clone(),
            active: true,
            roles,
            departments: depts,
        })
    }

    pub async fn credentials(
        &self,
        username: &Username,
    ) -> Result<Option<Credentials>, StoreError> {
        Ok(on_pool!(&self.db, p => sqlx::query_as::<_, Credentials>(
            "SELECT id, password_hash, active FROM users WHERE username = $1")
            .bind(username.as_str())
            .fetch_optional(p)
            .await)?)
    }

    pub async fn user(&self, id: UserId) -> Result<User, StoreError> {
        let row = on_pool!(&self.db, p => sqlx::query_as::<_, UserRow>(
            "SELECT id, username, display_name, active FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(p)
            .await)?
        .ok_or(StoreError::NotFound)?;
        self.complete_user(row).await
    }

    pub async fn user_by_name(&self, username: &Username) -> Result<User, StoreError> {
        let row = on_pool!(&self.db, p => sqlx::query_as::<_, UserRow>(
            "SELECT id, username, display_name, active FROM users WHERE username = $1")
            .bind(username.as_str())
            .fetch_optional(p)
            .await)?
        .ok_or(StoreError::NotFound)?;
        self.complete_user(row).await
    }

    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let rows = on_pool!(&self.db, p => sqlx::query_as::<_, UserRow>(
            "SELECT id, username, display_name, active FROM users ORDER BY username")
            .fetch_all(p)
            .await)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.complete_user(r).await?);
        }
        Ok(out)
    }

    /// Disables or re-enables an account; disabling ends its sessions and
    /// revokes nothing else (tokens stop working because the account is
    /// inactive).
    pub async fn set_user_active(&self, id: UserId, active: bool) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        let n = on_tx!(&mut tx, c => sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
            .bind(active)
            .bind(id.0)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        if !active {
            on_tx!(&mut tx, c => sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id.0)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        tx.commit().await
    }

    async fn complete_user(&self, row: UserRow) -> Result<User, StoreError> {
        let roles: Vec<String> = on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role")
            .bind(row.id)
            .fetch_all(p)
            .await)?;
        let departments: Vec<String> = on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT department_code FROM user_departments WHERE user_id = $1 ORDER BY department_code")
            .bind(row.id)
            .fetch_all(p)
            .await)?;
        let mut parsed = Vec::with_capacity(roles.len());
        for r in roles {
            parsed.push(
                Role::parse(&r).map_err(|_| StoreError::Corrupt(format!("unknown role {r}")))?,
            );
        }
        parsed.sort();
        Ok(User {
            id: UserId(row.id),
            username: row.username,
            display_name: row.display_name,
            active: row.active,
            roles: parsed,
            departments,
        })
    }

    /// Stores the hash of a new API token.
    pub async fn add_api_token(
        &self,
        user: UserId,
        token_hash: &str,
        label: &str,
    ) -> Result<(), StoreError> {
        on_pool!(&self.db, p => sqlx::query(
            "INSERT INTO api_tokens (id, user_id, token_hash, label, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(Uuid::now_v7())
            .bind(user.0)
            .bind(token_hash)
            .bind(label)
            .bind(Utc::now().timestamp_millis())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The active user holding the token with this hash.
    pub async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let id: Option<Uuid> = on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active")
            .bind(token_hash)
            .fetch_optional(p)
            .await)?;
        match id {
            Some(id) => Ok(Some(self.user(UserId(id)).await?)),
            None => Ok(None),
        }
    }
}

//! Staff accounts, their roles and departments, and their API tokens.

use aiwei_core::{DepartmentCode, Role, UserId, Username};
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::Store;
use crate::error::StoreError;
use crate::trail::{AuditActor, append_audit};

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
        self.insert_user(new, None, Utc::now()).await
    }

    /// [`Store::add_user`], recording `user.create` by `by` in the same
    /// transaction (target: the new user's id; detail: user name, roles and
    /// departments).
    pub async fn add_user_audited(
        &self,
        new: &NewUser,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        self.insert_user(new, Some(by), now).await
    }

    async fn insert_user(
        &self,
        new: &NewUser,
        audit: Option<&AuditActor<'_>>,
        at: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        for d in &new.departments {
            self.require_department("department", d.as_str()).await?;
        }
        let id = UserId::new();
        let now = at.timestamp_millis();
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
        if let Some(by) = audit {
            let target = id.to_string();
            let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            let detail = json!({
                "username": new.username.as_str(),
                "roles": roles,
                "departments": depts,
            });
            append_audit(&mut tx, &by.entry("user.create", Some(&target), detail), at).await?;
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
        self.update_user_active(id, active, None, Utc::now()).await
    }

    /// [`Store::set_user_active`], recording `user.disable` or `user.enable`
    /// by `by` in the same transaction (target: the user's id; detail: user
    /// name, whether the account was active before, sessions ended).
    pub async fn set_user_active_audited(
        &self,
        id: UserId,
        active: bool,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.update_user_active(id, active, Some(by), now).await
    }

    async fn update_user_active(
        &self,
        id: UserId,
        active: bool,
        audit: Option<&AuditActor<'_>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        let before: Option<(String, bool)> = on_tx!(&mut tx, c => sqlx::query_as(
            "SELECT username, active FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(c)
            .await)?;
        let Some((username, was_active)) = before else {
            return Err(StoreError::NotFound);
        };
        on_tx!(&mut tx, c => sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
            .bind(active)
            .bind(id.0)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        let mut ended = 0;
        if !active {
            ended = on_tx!(&mut tx, c => sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id.0)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        if let Some(by) = audit {
            let target = id.to_string();
            let action = if active {
                "user.enable"
            } else {
                "user.disable"
            };
            let detail = json!({
                "username": username,
                "was_active": was_active,
                "sessions_ended": ended,
            });
            append_audit(&mut tx, &by.entry(action, Some(&target), detail), now).await?;
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

    /// [`Store::add_api_token`], recording `token.create` by `by` in the
    /// same transaction (target: the token owner's id; detail: the owner's
    /// user name, the label and the token's id, never the token or its hash).
    pub async fn add_api_token_audited(
        &self,
        user: UserId,
        token_hash: &str,
        label: &str,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        let username: Option<String> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT username FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(c)
            .await)?;
        let username = username.ok_or(StoreError::NotFound)?;
        let token_id = Uuid::now_v7();
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO api_tokens (id, user_id, token_hash, label, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_id)
            .bind(user.0)
            .bind(token_hash)
            .bind(label)
            .bind(now.timestamp_millis())
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        let target = user.to_string();
        let detail = json!({"username": username, "label": label, "token_id": token_id});
        append_audit(
            &mut tx,
            &by.entry("token.create", Some(&target), detail),
            now,
        )
        .await?;
        tx.commit().await
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

//! Staff accounts, their roles and departments, and their API tokens.

use aiwei_core::kinds::TokenState;
use aiwei_core::time::{from_millis, to_millis};
use aiwei_core::{AuditAction, DepartmentCode, ErrorCode, Role, UserId, Username};
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
    /// The password is a temporary one an administrator set: the user must
    /// choose their own before doing anything else.
    pub must_change_password: bool,
}

impl User {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the user's roles grant `p`.
    pub fn may(&self, p: aiwei_core::access::Permission) -> bool {
        p.granted(&self.actor())
    }

    /// This user as the rules of access see them.
    pub fn actor(&self) -> aiwei_core::access::Actor<'_> {
        aiwei_core::access::Actor {
            id: self.id,
            roles: &self.roles,
            departments: &self.departments,
        }
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

/// A session to open in place of the ones a password change ends: only the
/// hash of its id is stored.
pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub csrf_token: &'a str,
    pub expires_at: DateTime<Utc>,
}

/// What an administrator may change about an account.
#[derive(Debug, Clone)]
pub struct UserChange {
    pub display_name: String,
    pub roles: Vec<Role>,
    pub departments: Vec<DepartmentCode>,
}

/// Writes an account's roles and departments (none held before), each
/// once; returns them sorted, as stored.
async fn write_memberships(
    tx: &mut crate::db::Tx,
    id: UserId,
    roles: &[Role],
    departments: &[DepartmentCode],
) -> Result<(Vec<Role>, Vec<String>), StoreError> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    for r in &roles {
        on_tx!(&mut *tx, c => sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
            .bind(id.0)
            .bind(r.as_str())
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    let mut depts: Vec<String> = departments.iter().map(|d| d.to_string()).collect();
    depts.sort();
    depts.dedup();
    for d in &depts {
        on_tx!(&mut *tx, c => sqlx::query(
            "INSERT INTO user_departments (user_id, department_code) VALUES ($1, $2)")
            .bind(id.0)
            .bind(d)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok((roles, depts))
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
    must_change_password: bool,
}

/// A live API token with its owner, read in one query.
#[derive(sqlx::FromRow)]
struct TokenUserRow {
    token: Uuid,
    last_used_at: Option<i64>,
    #[sqlx(flatten)]
    user: UserRow,
}

impl Store {
    pub async fn add_user(&self, new: &NewUser) -> Result<User, StoreError> {
        self.insert_user(new, None, self.clock.now()).await
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
        .map_err(|e| StoreError::on_unique(e, ErrorCode::UsernameTaken))?;
        let (roles, depts) = write_memberships(&mut tx, id, &new.roles, &new.departments).await?;
        if let Some(by) = audit {
            let target = id.to_string();
            let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            let detail = json!({
                "username": new.username.as_str(),
                "roles": roles,
                "departments": depts,
            });
            append_audit(
                &mut tx,
                &by.entry(AuditAction::UserCreate, Some(&target), detail),
                at,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(User {
            id,
            username: new.username.to_string(),
            display_name: new.display_name.clone(),
            active: true,
            roles,
            departments: depts,
            must_change_password: false,
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
            "SELECT id, username, display_name, active, must_change_password FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(p)
            .await)?
        .ok_or(StoreError::NotFound)?;
        self.complete_user(row).await
    }

    pub async fn user_by_name(&self, username: &Username) -> Result<User, StoreError> {
        let row = on_pool!(&self.db, p => sqlx::query_as::<_, UserRow>(
            "SELECT id, username, display_name, active, must_change_password FROM users WHERE username = $1")
            .bind(username.as_str())
            .fetch_optional(p)
            .await)?
        .ok_or(StoreError::NotFound)?;
        self.complete_user(row).await
    }

    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let rows = on_pool!(&self.db, p => sqlx::query_as::<_, UserRow>(
            "SELECT id, username, display_name, active, must_change_password FROM users ORDER BY username")
            .fetch_all(p)
            .await)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.complete_user(r).await?);
        }
        Ok(out)
    }

    /// Replaces `id`'s password with `hash` (an argon2id PHC string) and
    /// ends every session of the account, in one transaction with its audit
    /// record. `own`: the user changed their own password
    /// (`user.password_change`), and `session`, if any, is the new browser
    /// session that replaces the one they used; otherwise an administrator
    /// reset it (`user.password_reset`) to a temporary one that must be
    /// changed at the next login.
    pub async fn set_password_audited(
        &self,
        id: UserId,
        hash: &str,
        own: bool,
        session: Option<NewSession<'_>>,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        let username: Option<String> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT username FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(c)
            .await)?;
        let username = username.ok_or(StoreError::NotFound)?;
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3")
            .bind(hash)
            .bind(!own)
            .bind(id.0)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        let ended = on_tx!(&mut tx, c => sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id.0)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        if let Some(s) = &session {
            crate::sessions::insert(&mut tx, s.id_hash, id, s.csrf_token, now, s.expires_at)
                .await?;
        }
        let action = if own {
            AuditAction::PasswordChange
        } else {
            AuditAction::PasswordReset
        };
        let detail = json!({ "username": username, "sessions_ended": ended });
        let target = id.0.to_string();
        append_audit(&mut tx, &by.entry(action, Some(&target), detail), now).await?;
        tx.commit().await
    }

    /// Changes an account's name shown, roles and departments, in one
    /// transaction with its `user.update` record (detail: what it was and
    /// what it is now).
    pub async fn update_user_audited(
        &self,
        id: UserId,
        change: &UserChange,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        for d in &change.departments {
            self.require_department("department", d.as_str()).await?;
        }
        let before = self.user(id).await?;
        let mut tx = self.db.begin().await?;
        on_tx!(&mut tx, c => sqlx::query("UPDATE users SET display_name = $1 WHERE id = $2")
            .bind(&change.display_name)
            .bind(id.0)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        for sql in [
            "DELETE FROM user_roles WHERE user_id = $1",
            "DELETE FROM user_departments WHERE user_id = $1",
        ] {
            on_tx!(&mut tx, c => sqlx::query(sql)
                .bind(id.0)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        let (roles, depts) =
            write_memberships(&mut tx, id, &change.roles, &change.departments).await?;
        let codes = |rs: &[Role]| rs.iter().map(|r| r.as_str()).collect::<Vec<_>>();
        let detail = json!({
            "username": before.username,
            "display_name_before": before.display_name,
            "display_name": change.display_name,
            "roles_before": codes(&before.roles),
            "roles": codes(&roles),
            "departments_before": before.departments,
            "departments": depts,
        });
        let target = id.to_string();
        append_audit(
            &mut tx,
            &by.entry(AuditAction::UserUpdate, Some(&target), detail),
            now,
        )
        .await?;
        tx.commit().await?;
        self.user(id).await
    }

    /// The stored hash of `id`'s password, to check a current password.
    pub async fn password_hash(&self, id: UserId) -> Result<String, StoreError> {
        on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT password_hash FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(p)
            .await)?
        .ok_or(StoreError::NotFound)
    }

    /// Disables or re-enables an account; disabling ends its sessions and
    /// revokes its API tokens.
    pub async fn set_user_active(&self, id: UserId, active: bool) -> Result<(), StoreError> {
        self.update_user_active(id, active, None, self.clock.now())
            .await
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
        let (mut ended, mut revoked) = (0, 0);
        if !active {
            ended = on_tx!(&mut tx, c => sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id.0)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
            // Revoked, not merely refused while the account is off: enabling
            // the account again must not bring its old tokens back.
            revoked = on_tx!(&mut tx, c => sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(to_millis(now))
                .bind(id.0)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        if let Some(by) = audit {
            let target = id.to_string();
            let action = if active {
                AuditAction::UserEnable
            } else {
                AuditAction::UserDisable
            };
            let detail = json!({
                "username": username,
                "was_active": was_active,
                "sessions_ended": ended,
                "tokens_revoked": revoked,
            });
            append_audit(&mut tx, &by.entry(action, Some(&target), detail), now).await?;
        }
        tx.commit().await
    }

    async fn complete_user(&self, row: UserRow) -> Result<User, StoreError> {
        // Roles and departments in one round trip: every request loads
        // its user.
        let rows: Vec<(bool, String)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT TRUE, role FROM user_roles WHERE user_id = $1
             UNION ALL
             SELECT FALSE, department_code FROM user_departments WHERE user_id = $1")
            .bind(row.id)
            .fetch_all(p)
            .await)?;
        let mut parsed = Vec::new();
        let mut departments = Vec::new();
        for (is_role, v) in rows {
            if is_role {
                parsed.push(
                    Role::parse(&v)
                        .map_err(|_| StoreError::Corrupt(format!("unknown role {v}")))?,
                );
            } else {
                departments.push(v);
            }
        }
        parsed.sort();
        departments.sort();
        Ok(User {
            id: UserId(row.id),
            username: row.username,
            display_name: row.display_name,
            active: row.active,
            roles: parsed,
            departments,
            must_change_password: row.must_change_password,
        })
    }

    /// Stores the hash of a new API token (tests, demo data), valid until
    /// `expires_at`.
    pub async fn add_api_token(
        &self,
        user: UserId,
        token_hash: &str,
        label: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<ApiToken, StoreError> {
        let mut tx = self.db.begin().await?;
        let id = insert_token(
            &mut tx,
            user,
            token_hash,
            label,
            self.clock.now(),
            expires_at,
        )
        .await?;
        tx.commit().await?;
        self.api_token(id).await
    }

    /// [`Store::add_api_token`], recording `token.create` by `by` in the
    /// same transaction (target: the token owner's id; detail: the owner's
    /// user name, the label, the token's id and expiry, never the token or
    /// its hash).
    pub async fn add_api_token_audited(
        &self,
        user: UserId,
        token_hash: &str,
        label: &str,
        expires_at: DateTime<Utc>,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<ApiToken, StoreError> {
        let label = aiwei_core::error::bounded_text("label", Some(label), 100, true)
            .map_err(StoreError::Invalid)?
            .unwrap_or_default();
        let mut tx = self.db.begin().await?;
        let username: Option<String> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT username FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(c)
            .await)?;
        let username = username.ok_or(StoreError::NotFound)?;
        let token_id = insert_token(&mut tx, user, token_hash, &label, now, expires_at).await?;
        let target = user.to_string();
        let detail = json!({
            "username": username,
            "label": label,
            "token_id": token_id,
            "expires_at": expires_at.to_rfc3339(),
        });
        append_audit(
            &mut tx,
            &by.entry(AuditAction::TokenCreate, Some(&target), detail),
            now,
        )
        .await?;
        tx.commit().await?;
        self.api_token(token_id).await
    }

    /// Revokes one token, at once (its next request is refused), recording
    /// `token.revoke` by `by` in the same transaction.
    pub async fn revoke_api_token(
        &self,
        id: Uuid,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<ApiToken, StoreError> {
        let t = self.api_token(id).await?;
        let mut tx = self.db.begin().await?;
        let n = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(to_millis(now))
            .bind(id)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::Conflict(ErrorCode::TokenRevoked));
        }
        let target = t.user.to_string();
        let detail = json!({ "username": t.username, "label": t.label, "token_id": id });
        append_audit(
            &mut tx,
            &by.entry(AuditAction::TokenRevoke, Some(&target), detail),
            now,
        )
        .await?;
        tx.commit().await?;
        self.api_token(id).await
    }

    pub async fn api_token(&self, id: Uuid) -> Result<ApiToken, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("{TOKEN_SELECT} WHERE t.id = $1"));
        let row = on_pool!(&self.db, p => sqlx::query_as::<_, TokenRow>(sql)
            .bind(id)
            .fetch_optional(p)
            .await)?;
        Ok(row.ok_or(StoreError::NotFound)?.into())
    }

    /// The tokens of `user`, or of everyone; newest first.
    pub async fn api_tokens(&self, user: Option<UserId>) -> Result<Vec<ApiToken>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{TOKEN_SELECT} WHERE ($1 OR t.user_id = $2) ORDER BY t.created_at DESC, t.id DESC LIMIT 1000"
        ));
        let rows = on_pool!(&self.db, p => sqlx::query_as::<_, TokenRow>(sql)
            .bind(user.is_none())
            .bind(user.map(|u| u.0).unwrap_or_default())
            .fetch_all(p)
            .await)?;
        Ok(rows.into_iter().map(ApiToken::from).collect())
    }

    /// The active user holding the token with this hash, if it is neither
    /// revoked nor expired at `now`. Notes when it was used, at most once an
    /// hour, so a busy integration does not write on every request.
    pub async fn user_by_token_hash(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(User, Uuid)>, StoreError> {
        let now_ms = to_millis(now);
        let found: Option<TokenUserRow> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT t.id AS token, t.last_used_at, u.id, u.username, u.display_name, u.active,
                u.must_change_password
             FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 AND u.active")
            .bind(token_hash)
            .bind(now_ms)
            .fetch_optional(p)
            .await)?;
        let Some(TokenUserRow {
            token,
            last_used_at: last_used,
            user,
        }) = found
        else {
            return Ok(None);
        };
        if last_used.is_none_or(|t| t < now_ms - 3_600_000) {
            write_once!(&self.db, p => sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now_ms)
                .bind(token)
                .execute(p)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Ok(Some((self.complete_user(user).await?, token)))
    }
}

/// One API token as administrators see it: never the token or its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: Uuid,
    pub user: UserId,
    pub username: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl ApiToken {
    /// Where it stands at `now` (its owner's account aside).
    pub fn state_at(&self, now: DateTime<Utc>) -> TokenState {
        match (self.revoked_at, self.expires_at > now) {
            (Some(_), _) => TokenState::Revoked,
            (None, false) => TokenState::Expired,
            (None, true) => TokenState::Valid,
        }
    }
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: Uuid,
    user_id: Uuid,
    username: String,
    label: String,
    created_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
    last_used_at: Option<i64>,
}

impl From<TokenRow> for ApiToken {
    fn from(r: TokenRow) -> Self {
        Self {
            id: r.id,
            user: UserId(r.user_id),
            username: r.username,
            label: r.label,
            created_at: from_millis(r.created_at),
            expires_at: from_millis(r.expires_at),
            revoked_at: r.revoked_at.map(from_millis),
            last_used_at: r.last_used_at.map(from_millis),
        }
    }
}

const TOKEN_SELECT: &str =
    "SELECT t.id, t.user_id, u.username, t.label, t.created_at, t.expires_at,
    t.revoked_at, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id";

async fn insert_token(
    tx: &mut crate::db::Tx,
    user: UserId,
    token_hash: &str,
    label: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO api_tokens (id, user_id, token_hash, label, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(user.0)
        .bind(token_hash)
        .bind(label)
        .bind(to_millis(now))
        .bind(to_millis(expires_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(id)
}

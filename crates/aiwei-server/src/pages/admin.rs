//! Administration pages: users, departments and API tokens.

use aiwei_core::kinds::TokenState;
use aiwei_core::time::local_minute;
use aiwei_core::{DepartmentCode, ErrorCode, FieldError, Role, UserId, Username};
use aiwei_store::departments::Department;
use aiwei_store::users::NewUser;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use super::{Layout, options, roles_zh};
use crate::auth::{
    Administer, Can, Staff, hash_password_off_thread, new_api_token, temporary_password,
};
use crate::error::ApiError;
use crate::extract::{ApiPath, CsrfForm};
use crate::state::AppState;

pub struct UserRow {
    id: String,
    username: String,
    display_name: String,
    roles_zh: String,
    departments: String,
    active: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_users.html")]
pub struct UsersPage {
    layout: Layout,
    users: Vec<UserRow>,
    roles: Vec<(&'static str, &'static str)>,
    departments: Vec<Department>,
    error: Option<String>,
    notice: Option<String>,
    /// What was typed into the refused new-user form (never the password).
    typed: super::Typed,
}

async fn users_page(
    state: &AppState,
    staff: &Staff,
    error: Option<String>,
    notice: Option<String>,
) -> Result<UsersPage, ApiError> {
    let departments = state.store.list_departments().await?;
    let name_of = |code: &String| {
        departments
            .iter()
            .find(|d| &d.code == code)
            .map_or(code.as_str(), |d| d.name.as_str())
            .to_owned()
    };
    let users = state
        .store
        .list_users()
        .await?
        .into_iter()
        .map(|u| UserRow {
            id: u.id.to_string(),
            roles_zh: roles_zh(&u.roles),
            departments: u
                .departments
                .iter()
                .map(name_of)
                .collect::<Vec<_>>()
                .join("、"),
            username: u.username,
            display_name: u.display_name,
            active: u.active,
        })
        .collect();
    Ok(UsersPage {
        layout: Layout::new(state, staff, "/admin/users").await,
        users,
        roles: options(Role::ALL, Role::as_str, Role::label),
        departments,
        error,
        notice,
        typed: Default::default(),
    })
}

pub async fn users(
    State(state): State<AppState>,
    can: Can<Administer>,
) -> Result<UsersPage, ApiError> {
    users_page(&state, &can.staff, None, None).await
}

/// The new-user form. `role` repeats, so it is read as pairs.
pub async fn add_user(
    State(state): State<AppState>,
    form: CsrfForm<Vec<(String, String)>, Administer>,
) -> Result<Response, ApiError> {
    let get = |k: &str| {
        form.form
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let checked = (|| {
        let username = Username::parse(&get("username"))?;
        let display_name =
            aiwei_core::error::bounded_text("display_name", Some(&get("display_name")), 64, true)?
                .unwrap_or_default();
        let password = get("password");
        aiwei_core::password::check("password", &password, username.as_str())?;
        let roles = form
            .form
            .iter()
            .filter(|(k, _)| k == "role")
            .map(|(_, v)| Role::parse(v))
            .collect::<Result<Vec<_>, _>>()?;
        if roles.is_empty() {
            return Err(FieldError::new("role", ErrorCode::Required));
        }
        let departments = match get("department").as_str() {
            "" => Vec::new(),
            d => vec![DepartmentCode::parse(d)?],
        };
        Ok((username, display_name, password, roles, departments))
    })();
    let outcome = match checked {
        Ok((username, display_name, password, roles, departments)) => {
            // argon2 is slow on purpose: off the async workers.
            let password_hash = hash_password_off_thread(password)
                .await
                .map_err(ApiError::internal)?;
            let new = NewUser {
                username,
                display_name,
                password_hash,
                roles,
                departments,
            };
            state
                .store
                .add_user_audited(&new, &form.staff.audit_actor(), state.clock.now())
                .await
                .map_err(ApiError::from)
        }
        Err(e) => Err(ApiError::invalid_field(e)),
    };
    match outcome {
        Ok(u) => {
            tracing::info!(admin = %form.staff.user.id, user = %u.id, "user created");
            let page = users_page(
                &state,
                &form.staff,
                None,
                Some(format!("已新增用户 {}", u.username)),
            )
            .await?;
            Ok(page.into_response())
        }
        Err(e) if e.status.is_client_error() => {
            let mut page = users_page(&state, &form.staff, Some(e.message()), None).await?;
            page.typed = super::Typed::of(&form.form, &["password"]);
            let mut page = page.into_response();
            *page.status_mut() = e.status;
            Ok(page)
        }
        Err(e) => Err(e),
    }
}

#[derive(serde::Deserialize)]
pub struct ActiveForm {
    active: String,
}

pub async fn set_active(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    form: CsrfForm<ActiveForm, Administer>,
) -> Result<Redirect, ApiError> {
    let id = user_id(&id)?;
    let active = form.form.active == "1";
    if !active && id == form.staff.user.id {
        return Err(ApiError::conflict(ErrorCode::CannotDisableSelf));
    }
    state
        .store
        .set_user_active_audited(id, active, &form.staff.audit_actor(), state.clock.now())
        .await?;
    tracing::info!(admin = %form.staff.user.id, user = %id, active, "user activity changed");
    Ok(Redirect::to("/admin/users"))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_departments.html")]
pub struct DepartmentsPage {
    layout: Layout,
    departments: Vec<Department>,
    error: Option<String>,
    /// What was typed into a refused form: (code, name).
    typed: (String, String),
}

pub async fn departments(
    State(state): State<AppState>,
    can: Can<Administer>,
) -> Result<DepartmentsPage, ApiError> {
    Ok(DepartmentsPage {
        layout: Layout::new(&state, &can.staff, "/admin/departments").await,
        departments: state.store.list_departments().await?,
        error: None,
        typed: Default::default(),
    })
}

#[derive(serde::Deserialize)]
pub struct DepartmentForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
}

pub async fn add_department(
    State(state): State<AppState>,
    form: CsrfForm<DepartmentForm, Administer>,
) -> Result<Response, ApiError> {
    let outcome = match DepartmentCode::parse(form.form.code.trim()) {
        Ok(code) => state
            .store
            .add_department_audited(
                &code,
                &form.form.name,
                &form.staff.audit_actor(),
                state.clock.now(),
            )
            .await
            .map_err(ApiError::from),
        Err(e) => Err(ApiError::invalid_field(e)),
    };
    match outcome {
        Ok(_) => Ok(Redirect::to("/admin/departments").into_response()),
        Err(e) if e.status.is_client_error() => {
            let mut page = DepartmentsPage {
                layout: Layout::new(&state, &form.staff, "/admin/departments").await,
                departments: state.store.list_departments().await?,
                error: Some(e.message()),
                typed: (form.form.code.clone(), form.form.name.clone()),
            }
            .into_response();
            *page.status_mut() = e.status;
            Ok(page)
        }
        Err(e) => Err(e),
    }
}

pub struct TokenRow {
    id: String,
    username: String,
    label: String,
    created: String,
    expires: String,
    last_used: String,
    status: &'static str,
    valid: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_tokens.html")]
pub struct TokensPage {
    layout: Layout,
    tokens: Vec<TokenRow>,
    /// Active accounts: (user name, how they are shown).
    users: Vec<(String, String)>,
    token_days: i64,
    error: Option<String>,
    notice: Option<String>,
    /// A token just created: shown this once.
    created: Option<String>,
}

async fn tokens_page(
    state: &AppState,
    staff: &Staff,
    error: Option<String>,
    notice: Option<String>,
    created: Option<String>,
) -> Result<TokensPage, ApiError> {
    let now = state.clock.now();
    let people = state.store.list_users().await?;
    // "王芳（jieting）": the name a colleague knows, and the login a
    // script's owner is looked up by.
    let who = |username: &str| match people.iter().find(|u| u.username == username) {
        Some(u) => format!("{}（{}）", u.display_name, u.username),
        None => username.to_owned(),
    };
    let tokens = state
        .store
        .api_tokens(None)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id.to_string(),
            status: t.state_at(now).label(),
            valid: t.state_at(now) == TokenState::Valid,
            username: who(&t.username),
            label: t.label,
            created: local_minute(t.created_at),
            expires: local_minute(t.expires_at),
            last_used: t
                .last_used_at
                .map(local_minute)
                .unwrap_or_else(|| "—".into()),
        })
        .collect();
    let users = people
        .iter()
        .filter(|u| u.active)
        .map(|u| (u.username.clone(), who(&u.username)))
        .collect();
    Ok(TokensPage {
        layout: Layout::new(state, staff, "/admin/tokens").await,
        tokens,
        users,
        token_days: state.config.token_days,
        error,
        notice,
        created,
    })
}

/// API tokens: every token with its owner, expiry and last use; revoke.
pub async fn tokens(
    State(state): State<AppState>,
    can: Can<Administer>,
) -> Result<TokensPage, ApiError> {
    tokens_page(&state, &can.staff, None, None, None).await
}

#[derive(serde::Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    days: String,
}

/// Creates a token for a user; the token is shown on the answer once.
pub async fn create_token(
    State(state): State<AppState>,
    form: CsrfForm<TokenForm, Administer>,
) -> Result<Response, ApiError> {
    let staff = &form.staff;
    let f = &form.form;
    let now = state.clock.now();
    let outcome = async {
        let unknown =
            || ApiError::invalid_field(FieldError::new("username", ErrorCode::UnknownUser));
        let name = Username::parse(f.username.trim()).map_err(|_| unknown())?;
        let user = match state.store.user_by_name(&name).await {
            Ok(u) if u.active => u,
            Ok(_) | Err(aiwei_store::StoreError::NotFound) => return Err(unknown()),
            Err(e) => return Err(e.into()),
        };
        let days = match f.days.trim() {
            "" => state.config.token_days,
            d => d
                .parse::<i64>()
                .ok()
                .filter(|d| (1..=crate::state::MAX_TOKEN_DAYS).contains(d))
                .ok_or_else(|| {
                    ApiError::invalid_field(FieldError::new("days", ErrorCode::OutOfRange))
                })?,
        };
        let (token, hash) = new_api_token();
        state
            .store
            .add_api_token_audited(
                user.id,
                &hash,
                &f.label,
                now + chrono::Duration::days(days),
                &staff.audit_actor(),
                now,
            )
            .await?;
        Ok::<_, ApiError>((token, user.username))
    }
    .await;
    match outcome {
        Ok((token, username)) => {
            tracing::info!(admin = %staff.user.id, "api token created");
            let notice = format!("已为 {username} 创建令牌。令牌只显示这一次，请立即复制保存。");
            let page = tokens_page(&state, staff, None, Some(notice), Some(token)).await?;
            Ok(page.into_response())
        }
        Err(e) if e.status.is_client_error() => {
            let status = e.status;
            let mut page = tokens_page(&state, staff, Some(e.message()), None, None)
                .await?
                .into_response();
            *page.status_mut() = status;
            Ok(page)
        }
        Err(e) => Err(e),
    }
}

#[derive(serde::Deserialize)]
pub struct Empty {}

/// Revokes one token, at once.
pub async fn revoke_token(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    form: CsrfForm<Empty, Administer>,
) -> Result<Response, ApiError> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    let staff = &form.staff;
    match state
        .store
        .revoke_api_token(id, &staff.audit_actor(), state.clock.now())
        .await
    {
        Ok(t) => {
            let notice = format!("已吊销 {} 的令牌“{}”。", t.username, t.label);
            Ok(tokens_page(&state, staff, None, Some(notice), None)
                .await?
                .into_response())
        }
        Err(e) => {
            let e = ApiError::from(e);
            if !e.status.is_client_error() {
                return Err(e);
            }
            let status = e.status;
            let mut page = tokens_page(&state, staff, Some(e.message()), None, None)
                .await?
                .into_response();
            *page.status_mut() = status;
            Ok(page)
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_user.html")]
pub struct UserPage {
    layout: Layout,
    id: String,
    username: String,
    display_name: String,
    active: bool,
    /// (code, label, held)
    roles: Vec<(&'static str, &'static str, bool)>,
    /// (code, name, member)
    departments: Vec<(String, String, bool)>,
    error: Option<String>,
    notice: Option<String>,
    /// A temporary password just set, shown this once.
    temporary: Option<String>,
    /// The administrator's own account: its password is changed on the
    /// account page, not reset here (a reset would end their own session).
    own: bool,
    /// The telephone extension the user sits at, or empty.
    extension: String,
}

async fn user_page(state: &AppState, staff: &Staff, id: UserId) -> Result<UserPage, ApiError> {
    let u = state.store.user(id).await?;
    Ok(UserPage {
        layout: Layout::new(state, staff, "/admin/users").await,
        id: u.id.to_string(),
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), r.label(), u.roles.contains(r)))
            .collect(),
        departments: state
            .store
            .list_departments()
            .await?
            .into_iter()
            .map(|d| {
                let member = u.departments.contains(&d.code);
                (d.code, d.name, member)
            })
            .collect(),
        username: u.username,
        display_name: u.display_name,
        active: u.active,
        error: None,
        notice: None,
        temporary: None,
        own: id == staff.user.id,
        extension: state
            .store
            .phone_extensions()
            .await?
            .into_iter()
            .find(|(_, u)| *u == id)
            .map(|(e, _)| e)
            .unwrap_or_default(),
    })
}

#[derive(serde::Deserialize)]
pub struct ExtensionForm {
    #[serde(default)]
    extension: String,
}

/// Seats a user at a telephone extension (blank: at none): the exchange's
/// calls to it open on their intake page.
pub async fn set_extension(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    form: CsrfForm<ExtensionForm, Administer>,
) -> Result<Response, ApiError> {
    let id = user_id(&id)?;
    state.store.user(id).await?;
    let raw = form.form.extension.trim();
    let outcome = match raw {
        "" => Ok(None),
        e => aiwei_core::telephony::extension("extension", e).map(Some),
    };
    let outcome = match outcome {
        Ok(ext) => state
            .store
            .set_extension_audited(
                id,
                ext.as_deref(),
                &form.staff.audit_actor(),
                state.clock.now(),
            )
            .await
            .map(|()| ext)
            .map_err(ApiError::from),
        Err(e) => Err(ApiError::invalid_field(e)),
    };
    let mut page = user_page(&state, &form.staff, id).await?;
    match outcome {
        Ok(Some(e)) => {
            page.notice = Some(format!(
                "已设置分机号 {e}：该分机的来电将在此人的登记页面弹出。"
            ));
            Ok(page.into_response())
        }
        Ok(None) => {
            page.notice = Some("已取消分机号。".to_owned());
            Ok(page.into_response())
        }
        Err(e) if e.status.is_client_error() => {
            page.error = Some(e.message());
            page.extension = raw.to_owned();
            let mut resp = page.into_response();
            *resp.status_mut() = e.status;
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

fn user_id(raw: &str) -> Result<UserId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// One account: name, roles, departments, password reset.
pub async fn user(
    State(state): State<AppState>,
    can: Can<Administer>,
    ApiPath(id): ApiPath<String>,
) -> Result<UserPage, ApiError> {
    user_page(&state, &can.staff, user_id(&id)?).await
}

/// Saves an account's name, roles and departments; `role` and
/// `department` repeat, so the form is read as pairs.
pub async fn update_user(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    form: CsrfForm<Vec<(String, String)>, Administer>,
) -> Result<Response, ApiError> {
    let id = user_id(&id)?;
    let values = |k: &str| {
        form.form
            .iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect::<Vec<_>>()
    };
    let checked = (|| {
        let display_name = aiwei_core::error::bounded_text(
            "display_name",
            values("display_name").first().map(String::as_str),
            64,
            true,
        )?
        .unwrap_or_default();
        let roles = values("role")
            .iter()
            .map(|v| Role::parse(v))
            .collect::<Result<Vec<_>, _>>()?;
        if roles.is_empty() {
            return Err(FieldError::new("role", ErrorCode::Required));
        }
        let departments = values("department")
            .iter()
            .map(|d| DepartmentCode::parse(d))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(aiwei_store::users::UserChange {
            display_name,
            roles,
            departments,
        })
    })();
    let outcome = match checked {
        Ok(change) => state
            .store
            .update_user_audited(id, &change, &form.staff.audit_actor(), state.clock.now())
            .await
            .map_err(ApiError::from),
        Err(e) => Err(ApiError::invalid_field(e)),
    };
    let mut page = user_page(&state, &form.staff, id).await?;
    match outcome {
        Ok(u) => {
            tracing::info!(admin = %form.staff.user.id, user = %u.id, "user updated");
            page.notice = Some("已保存。".to_owned());
            Ok(page.into_response())
        }
        Err(e) if e.status.is_client_error() => {
            page.error = Some(e.message());
            let mut resp = page.into_response();
            *resp.status_mut() = e.status;
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

#[derive(serde::Deserialize)]
pub struct ResetForm {}

/// Sets a temporary password, shown once on the page, that the user must
/// replace at the next login; every session of the account ends.
pub async fn reset_password(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    form: CsrfForm<ResetForm, Administer>,
) -> Result<UserPage, ApiError> {
    let id = user_id(&id)?;
    if id == form.staff.user.id {
        return Err(ApiError::conflict(ErrorCode::CannotResetSelf));
    }
    let temporary = temporary_password();
    let hash = hash_password_off_thread(temporary.clone())
        .await
        .map_err(ApiError::internal)?;
    state
        .store
        .set_password_audited(
            id,
            &hash,
            false,
            None,
            &form.staff.audit_actor(),
            state.clock.now(),
        )
        .await?;
    tracing::info!(admin = %form.staff.user.id, user = %id, "password reset");
    let mut page = user_page(&state, &form.staff, id).await?;
    page.temporary = Some(temporary);
    Ok(page)
}

//! Administration pages: users and departments.

use aiwei_core::{DepartmentCode, FieldError, Role, UserId, Username};
use aiwei_store::departments::Department;
use aiwei_store::users::NewUser;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::{Layout, options, roles_zh};
use crate::auth::{Administer, Can, Staff, hash_password};
use crate::error::ApiError;
use crate::extract::CsrfForm;
use crate::state::AppState;

/// Shortest password an administrator may set.
pub const MIN_PASSWORD: usize = 8;

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
}

async fn users_page(
    state: &AppState,
    staff: &Staff,
    error: Option<String>,
    notice: Option<String>,
) -> Result<UsersPage, ApiError> {
    let users = state
        .store
        .list_users()
        .await?
        .into_iter()
        .map(|u| UserRow {
            id: u.id.to_string(),
            roles_zh: roles_zh(&u.roles),
            departments: u.departments.join("、"),
            username: u.username,
            display_name: u.display_name,
            active: u.active,
        })
        .collect();
    Ok(UsersPage {
        layout: Layout::new(state, staff, "/admin/users").await,
        users,
        roles: options(Role::ALL, Role::as_str),
        departments: state.store.list_departments().await?,
        error,
        notice,
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
    let result: Result<NewUser, FieldError> = (|| {
        let username = Username::parse(&get("username"))?;
        let display_name =
            aiwei_core::error::bounded_text("display_name", Some(&get("display_name")), 64, true)?
                .unwrap_or_default();
        let password = get("password");
        if password.chars().count() < MIN_PASSWORD {
            return Err(FieldError::new("password", "too_short"));
        }
        let roles = form
            .form
            .iter()
            .filter(|(k, _)| k == "role")
            .map(|(_, v)| Role::parse(v))
            .collect::<Result<Vec<_>, _>>()?;
        if roles.is_empty() {
            return Err(FieldError::new("role", "required"));
        }
        let departments = match get("department").as_str() {
            "" => Vec::new(),
            d => vec![DepartmentCode::parse(d)?],
        };
        let password_hash =
            hash_password(&password).map_err(|_| FieldError::new("password", "invalid_value"))?;
        Ok(NewUser {
            username,
            display_name,
            password_hash,
            roles,
            departments,
        })
    })();
    let outcome = match result {
        Ok(new) => state
            .store
            .add_user_audited(&new, &form.staff.audit_actor(), state.clock.now())
            .await
            .map_err(ApiError::from),
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
            let mut page = users_page(&state, &form.staff, Some(e.message()), None)
                .await?
                .into_response();
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
    Path(id): Path<String>,
    form: CsrfForm<ActiveForm, Administer>,
) -> Result<Redirect, ApiError> {
    let id: UserId = id.parse().map_err(|_| ApiError::not_found())?;
    let active = form.form.active == "1";
    if !active && id == form.staff.user.id {
        return Err(ApiError::conflict("cannot_disable_self"));
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
}

pub async fn departments(
    State(state): State<AppState>,
    can: Can<Administer>,
) -> Result<DepartmentsPage, ApiError> {
    Ok(DepartmentsPage {
        layout: Layout::new(&state, &can.staff, "/admin/departments").await,
        departments: state.store.list_departments().await?,
        error: None,
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
    let outcome = match DepartmentCode::parse(&form.form.code) {
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
            }
            .into_response();
            *page.status_mut() = e.status;
            Ok(page)
        }
        Err(e) => Err(e),
    }
}

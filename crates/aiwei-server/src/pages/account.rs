//! "账号设置": one's own account and password.

use aiwei_core::{ErrorCode, FieldError};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::response::{AppendHeaders, IntoResponse, Response};
use serde::Deserialize;

use super::{Layout, roles_zh};
use crate::auth::Staff;
use crate::error::ApiError;
use crate::extract::{ApiQuery, CsrfForm};
use crate::messages::field_message;
use crate::session::change_own_password;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
pub struct AccountPage {
    layout: Layout,
    username: String,
    display_name: String,
    roles: String,
    departments: String,
    /// The password was just changed.
    changed: bool,
    /// An administrator set a temporary password: it must be replaced.
    must_change: bool,
    /// The refused field and its message, shown beside it.
    error: Option<(String, String)>,
}

impl AccountPage {
    async fn new(state: &AppState, staff: &Staff) -> Result<Self, ApiError> {
        let u = &staff.user;
        let names = state.store.list_departments().await?;
        let departments = u
            .departments
            .iter()
            .map(|c| {
                names
                    .iter()
                    .find(|d| &d.code == c)
                    .map_or(c.as_str(), |d| d.name.as_str())
            })
            .collect::<Vec<_>>()
            .join("、");
        Ok(Self {
            layout: Layout::new(state, staff, "/account").await,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            roles: roles_zh(&u.roles),
            departments,
            changed: false,
            must_change: u.must_change_password,
            error: None,
        })
    }

    /// The message for `field`, if it was the one refused.
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Deserialize)]
pub struct Shown {
    #[serde(default)]
    changed: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<Shown>,
) -> Result<AccountPage, ApiError> {
    let mut page = AccountPage::new(&state, &staff).await?;
    page.changed = q.changed.is_some();
    Ok(page)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    new_again: String,
}

/// Changes the password; on success a new session cookie and a redirect to
/// the account page that says so (post/redirect/get), otherwise the page
/// again with the reason beside the field. Passwords are never put back
/// into the form.
pub async fn change_password(
    State(state): State<AppState>,
    form: CsrfForm<PasswordForm>,
) -> Result<Response, ApiError> {
    let f = &form.form;
    let outcome = if f.new != f.new_again {
        Err(ApiError::invalid_field(FieldError::new(
            "new_again",
            ErrorCode::Mismatch,
        )))
    } else {
        change_own_password(&state, &form.staff, &f.current, &f.new).await
    };
    match outcome {
        Ok(cookie) => {
            let mut headers = vec![(LOCATION, "/account?changed=1".to_owned())];
            headers.extend(cookie.map(|c| (SET_COOKIE, c)));
            Ok((StatusCode::SEE_OTHER, AppendHeaders(headers)).into_response())
        }
        Err(e) if e.status.is_client_error() && e.status != StatusCode::TOO_MANY_REQUESTS => {
            let (field, message) = match e.errors.first() {
                Some(fe) => (fe.field.clone(), field_message(&fe.field, fe.code)),
                None => ("current".to_owned(), e.message()),
            };
            let mut page = AccountPage::new(&state, &form.staff).await?;
            page.error = Some((field, message));
            let mut resp = page.into_response();
            *resp.status_mut() = e.status;
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

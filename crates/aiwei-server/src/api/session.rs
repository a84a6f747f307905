//! Logging in and out over the API.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{ClientIp, Staff};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::session::{change_own_password, clear_cookie, login_user, logout_session};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// The new session: who logged in, and the token a script sends in
/// `X-CSRF-Token` with every write it makes with the session cookie.
#[derive(Serialize, ToSchema)]
pub struct LoginAnswer {
    #[serde(flatten)]
    pub me: Me,
    pub csrf_token: String,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: uuid::Uuid,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<aiwei_core::Role>,
    pub departments: Vec<String>,
}

impl From<&aiwei_store::users::User> for Me {
    fn from(u: &aiwei_store::users::User) -> Self {
        Self {
            id: u.id.0,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            roles: u.roles.clone(),
            departments: u.departments.clone(),
        }
    }
}

/// Log in; the answer sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; `Set-Cookie` holds the session", body = Me),
        (status = 401, description = "Wrong user name or password (the same answer for both)", body = ErrorBody),
        (status = 429, description = "Too many failed attempts for this account", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    old: crate::auth::SessionCookie,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    let s = login_user(&state, &req.username, &req.password, &ip, old.0.as_deref()).await?;
    Ok((
        AppendHeaders([(SET_COOKIE, s.cookie)]),
        Json(LoginAnswer {
            me: Me::from(&s.user),
            csrf_token: s.csrf,
        }),
    ))
}

/// Log out: a browser session ends on the server; an API token used here
/// is revoked at once.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "Logged out")))]
pub async fn logout(State(state): State<AppState>, staff: Staff) -> ApiResult<impl IntoResponse> {
    logout_session(&state, &staff).await?;
    Ok((
        StatusCode::NO_CONTENT,
        AppendHeaders([(SET_COOKIE, clear_cookie(&state))]),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password in use now.
    pub current: String,
    /// The new password: at least 8 characters with letters and digits or
    /// signs, not containing the user name, not a common password.
    #[schema(min_length = 8, max_length = 256)]
    pub new: String,
}

/// Change one's own password. Every session of the account ends; a browser
/// session that asked gets a fresh cookie in the answer.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "session",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed"),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`wrong_password`: the current password is not right", body = ErrorBody),
        (status = 422, description = "`weak_password`, `too_short` or `too_long`: the new password is refused", body = ErrorBody),
        (status = 429, description = "Too many wrong passwords", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn change_password(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(req): ApiJson<PasswordChange>,
) -> ApiResult<impl IntoResponse> {
    let cookie = change_own_password(&state, &staff, &req.current, &req.new).await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    if let Some(c) = cookie
        && let Ok(v) = axum::http::HeaderValue::from_str(&c)
    {
        resp.headers_mut().insert(SET_COOKIE, v);
    }
    Ok(resp)
}

/// Who is logged in.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn me(staff: Staff) -> Json<Me> {
    Json(Me::from(&staff.user))
}

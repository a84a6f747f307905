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
use crate::session::{clear_cookie, login_user, logout_session};
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

/// Who is logged in.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn me(staff: Staff) -> Json<Me> {
    Json(Me::from(&staff.user))
}

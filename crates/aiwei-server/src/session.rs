//! Session life cycle shared by the API and the login page.

use aiwei_core::Username;
use aiwei_store::users::User;
use chrono::Duration;

use crate::auth::{SESSION_COOKIE, Staff, Via, new_secret, secret_hash, verify_password};
use crate::error::ApiError;
use crate::state::AppState;

/// Checks the password and opens a new session. Always a fresh session id
/// (no fixation); the same error whether the account is missing, disabled or
/// the password wrong, and the same work done in each case.
pub async fn login_user(
    state: &AppState,
    username: &Username,
    password: &str,
) -> Result<(User, String), ApiError> {
    if !state.throttle.allowed(username.as_str()) {
        tracing::warn!("login throttled");
        return Err(ApiError::too_many_attempts());
    }
    let creds = state.store.credentials(username).await?;
    let (hash, active, id) = match &creds {
        Some(c) => (c.password_hash.clone(), c.active, Some(c.id)),
        None => (state.dummy_hash.as_ref().clone(), false, None),
    };
    let password = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .map_err(ApiError::internal)?;
    let Some(id) = id.filter(|_| ok && active) else {
        state.throttle.failed(username.as_str());
        tracing::info!(outcome = "failure", "login");
        return Err(ApiError::login_failed());
    };
    state.throttle.succeeded(username.as_str());
    let user = state.store.user(aiwei_core::UserId(id)).await?;
    let sid = new_secret();
    let now = state.clock.now();
    state
        .store
        .create_session(
            &secret_hash(&sid),
            user.id,
            &new_secret(),
            now,
            now + Duration::hours(state.config.session_hours),
        )
        .await?;
    tracing::info!(outcome = "success", user = %user.id, "login");
    Ok((user, session_cookie(state, &sid)))
}

pub async fn logout_session(state: &AppState, staff: &Staff) -> Result<(), ApiError> {
    if let Via::Session { id_hash, .. } = &staff.via {
        state.store.delete_session(id_hash).await?;
    }
    Ok(())
}

fn session_cookie(state: &AppState, sid: &str) -> String {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{SESSION_COOKIE}={sid}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        state.config.session_hours * 3600
    )
}

pub fn clear_cookie(state: &AppState) -> String {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

//! Session life cycle shared by the API and the login page. Every login,
//! failed login and logout is recorded in the audit trail with the address
//! it came from.

use aiwei_core::kinds::LoginFailureReason;
use aiwei_core::{AuditAction, Username};
use aiwei_store::trail::{AuditActor, AuditEntry};
use aiwei_store::users::User;
use chrono::Duration;
use serde_json::json;
use sha2::Digest;

use crate::auth::{
    ClientIp, SESSION_COOKIE, Staff, Via, new_secret, secret_hash, verify_password_off_thread,
};
use crate::error::ApiError;
use crate::state::AppState;

/// Records a failed login, never the password. The name tried is kept
/// only when it is an existing account's: an unknown "name" is often a
/// password or a phone number typed into the wrong field, so it is kept as
/// a short digest that still ties repeated attempts together.
async fn record_failure(
    state: &AppState,
    tried: Option<&Username>,
    known: bool,
    ip: &ClientIp,
    reason: LoginFailureReason,
) -> Result<(), ApiError> {
    let mut detail = json!({ "reason": reason });
    if let (Some(t), false) = (tried, known) {
        let digest = sha2::Sha256::digest(t.as_str().as_bytes());
        detail["tried_sha256"] = json!(hex::encode(&digest[..8]));
    }
    let entry = AuditEntry {
        actor: None,
        actor_name: tried.filter(|_| known).map(Username::as_str),
        ip: ip.as_deref(),
        action: AuditAction::LoginFailure,
        target: None,
        detail,
    };
    state.store.audit(&entry, state.clock.now()).await?;
    Ok(())
}

/// Checks the password and opens a new session. Always a fresh session id
/// (no fixation); the same error whether the name is malformed, the account
/// missing or disabled, or the password wrong, and the same work done
/// whether the account exists or not. The audit trail records which it was,
/// with the name tried and the address, never the password.
pub async fn login_user(
    state: &AppState,
    username: &str,
    password: &str,
    ip: &ClientIp,
    old_session: Option<&str>,
) -> Result<LoggedIn, ApiError> {
    let Ok(username) = Username::parse(username.trim()) else {
        record_failure(
            state,
            None,
            false,
            ip,
            LoginFailureReason::MalformedUsername,
        )
        .await?;
        return Err(ApiError::login_failed());
    };
    let username = &username;
    let creds = state.store.credentials(username).await?;
    let known = creds.is_some();
    let rule = state.config.throttle();
    let now = state.clock.now();
    if !state
        .store
        .login_allowed(username.as_str(), ip.as_deref(), rule, now)
        .await?
    {
        tracing::warn!("login throttled");
        record_failure(
            state,
            Some(username),
            known,
            ip,
            LoginFailureReason::Throttled,
        )
        .await?;
        return Err(ApiError::too_many_attempts());
    }
    let (hash, active, id) = match &creds {
        Some(c) => (c.password_hash.clone(), c.active, Some(c.id)),
        None => (state.dummy_hash.as_ref().clone(), false, None),
    };
    let ok = verify_password_off_thread(hash, password.to_owned())
        .await
        .map_err(ApiError::internal)?;
    let Some(id) = id.filter(|_| ok && active) else {
        state
            .store
            .login_failed(username.as_str(), ip.as_deref(), rule, now)
            .await?;
        tracing::info!(outcome = "failure", "login");
        let reason = match (id, ok) {
            (None, _) => LoginFailureReason::UnknownUser,
            (Some(_), false) => LoginFailureReason::WrongPassword,
            (Some(_), true) => LoginFailureReason::Disabled,
        };
        record_failure(state, Some(username), known, ip, reason).await?;
        return Err(ApiError::login_failed());
    };
    state
        .store
        .login_succeeded(username.as_str(), ip.as_deref())
        .await?;
    // The session the browser held before (anyone's) ends: a login always
    // starts a fresh one.
    if let Some(old) = old_session {
        state.store.delete_session(&secret_hash(old)).await?;
    }
    let user = state.store.user(aiwei_core::UserId(id)).await?;
    let sid = new_secret();
    let csrf = new_secret();
    let by = AuditActor {
        user: Some(user.id),
        name: Some(&user.username),
        ip: ip.as_deref(),
        cli: false,
    };
    state
        .store
        .create_session_audited(
            &secret_hash(&sid),
            &csrf,
            now,
            now + Duration::hours(state.config.session_hours),
            &by,
        )
        .await?;
    tracing::info!(outcome = "success", user = %user.id, "login");
    Ok(LoggedIn {
        user,
        cookie: session_cookie(state, &sid),
        csrf,
    })
}

/// Changes `staff`'s own password: the current one must be right (a 403
/// `wrong_password` otherwise, counted like a failed login so that a stolen
/// session cannot guess it), the new one strong enough (422). Every session
/// of the account ends; a browser that used a session gets a fresh one,
/// whose cookie is returned, so the person stays logged in.
pub async fn change_own_password(
    state: &AppState,
    staff: &Staff,
    current: &str,
    new: &str,
) -> Result<Option<String>, ApiError> {
    let user = &staff.user;
    aiwei_core::password::check("new", new, &user.username).map_err(ApiError::invalid_field)?;
    let now = state.clock.now();
    let rule = state.config.throttle();
    let ip = ClientIp(staff.ip.clone());
    if !state
        .store
        .login_allowed(&user.username, ip.as_deref(), rule, now)
        .await?
    {
        return Err(ApiError::too_many_attempts());
    }
    let hash = state.store.password_hash(user.id).await?;
    let ok = verify_password_off_thread(hash, current.to_owned())
        .await
        .map_err(ApiError::internal)?;
    if !ok {
        state
            .store
            .login_failed(&user.username, ip.as_deref(), rule, now)
            .await?;
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            aiwei_core::ErrorCode::WrongPassword,
        ));
    }
    let new_hash = crate::auth::hash_password_off_thread(new.to_owned())
        .await
        .map_err(ApiError::internal)?;
    let fresh = matches!(staff.via, Via::Session { .. }).then(|| (new_secret(), new_secret()));
    let session = fresh.as_ref().map(|(sid, csrf)| (secret_hash(sid), csrf));
    state
        .store
        .set_password_audited(
            user.id,
            &new_hash,
            true,
            session
                .as_ref()
                .map(|(id_hash, csrf)| aiwei_store::users::NewSession {
                    id_hash,
                    csrf_token: csrf,
                    expires_at: now + Duration::hours(state.config.session_hours),
                }),
            &staff.audit_actor(),
            now,
        )
        .await?;
    tracing::info!(user = %user.id, "password changed");
    Ok(fresh.map(|(sid, _)| session_cookie(state, &sid)))
}

/// A new session: its owner, the cookie to set, and the token scripts send
/// in `X-CSRF-Token` with cookie-authenticated writes.
pub struct LoggedIn {
    pub user: User,
    pub cookie: String,
    pub csrf: String,
}

/// Logs out: a browser session ends on the server; an API token is revoked,
/// so that logging out with it is final.
pub async fn logout_session(state: &AppState, staff: &Staff) -> Result<(), ApiError> {
    let now = state.clock.now();
    match &staff.via {
        Via::Session { id_hash, .. } => {
            state
                .store
                .delete_session_audited(id_hash, &staff.audit_actor(), now)
                .await?;
        }
        Via::Token { id } => {
            state
                .store
                .revoke_api_token(*id, &staff.audit_actor(), now)
                .await?;
        }
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

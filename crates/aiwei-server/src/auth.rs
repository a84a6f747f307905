//! Authentication: passwords, sessions, API tokens, login throttling, and
//! the extractors that put the caller's identity, permission and address
//! into the type a handler receives.

use std::collections::HashMap;
use std::convert::Infallible;
use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aiwei_core::Role;
use aiwei_store::trail::AuditActor;
use aiwei_store::users::User;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "aiwei_session";

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
}

/// Checks a password against a PHC string; any malformed hash is a mismatch.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A fresh random secret (session id, CSRF token, API token): 32 bytes, hex.
pub fn new_secret() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// The stored form of a session id or API token.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Prefix of API tokens, so a leaked one is recognisable in a scan.
pub const TOKEN_PREFIX: &str = "aw_";

/// A new API token and the hash to store.
pub fn new_api_token() -> (String, String) {
    let token = format!("{TOKEN_PREFIX}{}", new_secret());
    let hash = secret_hash(&token);
    (token, hash)
}

/// Counts failed logins, keyed by address and account name together (so
/// nobody can lock a colleague out from another machine by failing on
/// purpose) and by address alone with a ten times higher limit (so one
/// machine cannot spray passwords over many names). Unknown names count
/// like known ones, so the throttle does not reveal which names exist.
#[derive(Debug)]
pub struct LoginThrottle {
    max_failures: u32,
    lockout: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

fn account_key(name: &str, ip: Option<&str>) -> String {
    format!("{}|{name}", ip.unwrap_or("-"))
}

fn address_key(ip: Option<&str>) -> String {
    format!("{}|", ip.unwrap_or("-"))
}

impl LoginThrottle {
    pub fn new(max_failures: u32, lockout: Duration) -> Self {
        Self {
            max_failures,
            lockout,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn under(&self, map: &mut HashMap<String, (u32, Instant)>, key: &str, max: u32) -> bool {
        match map.get(key) {
            Some((n, since)) if *n >= max => {
                if since.elapsed() >= self.lockout {
                    map.remove(key);
                    true
                } else {
                    false
                }
            }
            _ => true,
        }
    }

    /// Whether `name` may try to log in from `ip` now.
    pub fn allowed(&self, name: &str, ip: Option<&str>) -> bool {
        let Ok(mut map) = self.failures.lock() else {
            return false;
        };
        self.under(&mut map, &account_key(name, ip), self.max_failures)
            && self.under(&mut map, &address_key(ip), self.max_failures * 10)
    }

    pub fn failed(&self, name: &str, ip: Option<&str>) {
        if let Ok(mut map) = self.failures.lock() {
            // Bound memory under a spray of random names.
            if map.len() > 100_000 {
                let lockout = self.lockout;
                map.retain(|_, (_, since)| since.elapsed() < lockout);
            }
            for key in [account_key(name, ip), address_key(ip)] {
                let e = map.entry(key).or_insert((0, Instant::now()));
                e.0 += 1;
                e.1 = Instant::now();
            }
        }
    }

    /// A success forgets this account's failures from this address (not the
    /// address's count: a spray that guessed one password stays throttled).
    pub fn succeeded(&self, name: &str, ip: Option<&str>) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&account_key(name, ip));
        }
    }
}

/// The session cookie a request carries, if any (for login, which ends
/// it). Never fails.
pub struct SessionCookie(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for SessionCookie {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(cookie(parts, SESSION_COOKIE).map(str::to_owned)))
    }
}

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    /// A browser session; `csrf` is the token its forms must carry.
    Session {
        id_hash: String,
        csrf: String,
    },
    Token,
}

/// An authenticated, active staff member.
#[derive(Debug, Clone)]
pub struct Staff {
    pub user: User,
    pub via: Via,
    /// Where the request came from (see [`ClientIp`]).
    pub ip: Option<String>,
}

impl Staff {
    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf, .. } => csrf,
            Via::Token => "",
        }
    }

    /// This staff member, from this address, as the audit trail names them.
    pub fn audit_actor(&self) -> AuditActor<'_> {
        AuditActor {
            user: Some(self.user.id),
            name: Some(&self.user.username),
            ip: self.ip.as_deref(),
            cli: false,
        }
    }
}

/// The address a request came from: the peer of the TCP connection, or,
/// only when the configuration says the server is behind a reverse proxy
/// (`behind_proxy`), the address that proxy put last into
/// `X-Forwarded-For`. Otherwise that header is ignored, since any client
/// can send it. `None` when the server was not started with connection
/// info (a router driven directly in a test).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIp(pub Option<String>);

impl ClientIp {
    pub fn of(parts: &Parts, behind_proxy: bool) -> Self {
        let forwarded = behind_proxy
            .then(|| forwarded_for(&parts.headers))
            .flatten();
        let peer = || {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
        };
        Self(
            forwarded
                .or_else(peer)
                .map(|ip| ip.to_canonical().to_string()),
        )
    }

    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// The right-most address of `X-Forwarded-For`: the one our own proxy
/// appended; anything left of it was sent by the client and proves nothing.
fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .rfind(|s| !s.is_empty())?;
    last.parse().ok()
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(Self::of(parts, state.config.behind_proxy))
    }
}

/// The value of cookie `name` in the request, if any.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(cached) = parts.extensions.get::<Staff>() {
            return Ok(cached.clone());
        }
        let staff = if let Some(auth) = parts.headers.get(AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(ApiError::unauthenticated)?;
            let user = state
                .store
                .user_by_token_hash(&secret_hash(token))
                .await?
                .ok_or_else(ApiError::unauthenticated)?;
            Staff {
                user,
                via: Via::Token,
                ip: ClientIp::of(parts, state.config.behind_proxy).0,
            }
        } else {
            let sid = cookie(parts, SESSION_COOKIE).ok_or_else(ApiError::unauthenticated)?;
            let id_hash = secret_hash(sid);
            let session = state
                .store
                .session(&id_hash, state.clock.now())
                .await?
                .ok_or_else(ApiError::unauthenticated)?;
            Staff {
                user: session.user,
                via: Via::Session {
                    id_hash,
                    csrf: session.csrf_token,
                },
                ip: ClientIp::of(parts, state.config.behind_proxy).0,
            }
        };
        parts.extensions.insert(staff.clone());
        Ok(staff)
    }
}

/// A permission: the roles that grant it.
pub trait Permission: Send + Sync + 'static {
    const ROLES: &'static [Role];
}

/// Any logged-in staff member.
pub struct AnyStaff;
impl Permission for AnyStaff {
    const ROLES: &'static [Role] = Role::ALL;
}

/// Record calls and visits.
pub struct RecordIntake;
impl Permission for RecordIntake {
    const ROLES: &'static [Role] = &[Role::Intake];
}

/// Look up a caller's earlier matters by phone: the people who see caller
/// data in full.
pub struct LookUpCallers;
impl Permission for LookUpCallers {
    const ROLES: &'static [Role] = &[Role::Intake, Role::Supervisor];
}

/// See the supervision board (督办).
pub struct Supervise;
impl Permission for Supervise {
    const ROLES: &'static [Role] = &[Role::Supervisor];
}

/// Manage users, departments and settings.
pub struct Administer;
impl Permission for Administer {
    const ROLES: &'static [Role] = &[Role::Admin];
}

/// Read the audit trail (审计日志).
pub struct ReadAudit;
impl Permission for ReadAudit {
    const ROLES: &'static [Role] = &[Role::Auditor, Role::Admin];
}

/// A staff member holding permission `P`; a handler that takes `Can<P>`
/// cannot run for anyone else (403).
pub struct Can<P: Permission> {
    pub staff: Staff,
    _p: PhantomData<P>,
}

impl<P: Permission> FromRequestParts<AppState> for Can<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let staff = Staff::from_request_parts(parts, state).await?;
        if P::ROLES.iter().any(|r| staff.user.has(*r)) {
            Ok(Self {
                staff,
                _p: PhantomData,
            })
        } else {
            Err(ApiError::forbidden())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_hashes_are_salted() {
        let a = hash_password("correct horse").unwrap();
        let b = hash_password("correct horse").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password(&a, "correct horse"));
        assert!(!verify_password(&a, "wrong"));
        assert!(!verify_password("not a hash", "x"));
    }

    #[test]
    fn throttle_locks_after_the_limit_and_forgets_on_success() {
        let t = LoginThrottle::new(3, Duration::from_secs(60));
        let here = Some("10.0.0.1");
        for _ in 0..3 {
            assert!(t.allowed("a", here));
            t.failed("a", here);
        }
        assert!(!t.allowed("a", here));
        assert!(t.allowed("b", here));
        // Failing on purpose elsewhere does not lock the owner out.
        assert!(t.allowed("a", Some("10.0.0.2")));
        t.succeeded("a", here);
        assert!(t.allowed("a", here));
    }

    #[test]
    fn one_address_cannot_spray_many_names() {
        let t = LoginThrottle::new(3, Duration::from_secs(60));
        let here = Some("10.0.0.1");
        for i in 0..30 {
            assert!(t.allowed(&format!("u{i}"), here), "{i}");
            t.failed(&format!("u{i}"), here);
        }
        assert!(!t.allowed("fresh", here));
        assert!(t.allowed("fresh", Some("10.0.0.2")));
    }

    fn parts(xff: &[&str], peer: Option<&str>) -> Parts {
        let mut req = axum::http::Request::builder();
        for v in xff {
            req = req.header("x-forwarded-for", *v);
        }
        let (mut parts, _) = req.body(()).unwrap().into_parts();
        if let Some(p) = peer {
            parts
                .extensions
                .insert(ConnectInfo(p.parse::<SocketAddr>().unwrap()));
        }
        parts
    }

    #[test]
    fn the_client_address_is_the_peer_unless_behind_a_proxy() {
        let p = parts(&["203.0.113.9"], Some("10.0.0.2:5000"));
        assert_eq!(ClientIp::of(&p, false).as_deref(), Some("10.0.0.2"));
        assert_eq!(ClientIp::of(&p, true).as_deref(), Some("203.0.113.9"));
        // Only the right-most entry, the one our proxy added, counts.
        let p = parts(
            &["1.1.1.1, 203.0.113.9", "198.51.100.7"],
            Some("10.0.0.2:1"),
        );
        assert_eq!(ClientIp::of(&p, true).as_deref(), Some("198.51.100.7"));
        // Garbage in the header falls back to the peer.
        let p = parts(&["not-an-ip"], Some("[::ffff:10.0.0.3]:1"));
        assert_eq!(ClientIp::of(&p, true).as_deref(), Some("10.0.0.3"));
        assert_eq!(ClientIp::of(&parts(&[], None), false), ClientIp(None));
    }

    #[test]
    fn api_tokens_are_prefixed_and_stored_hashed() {
        let (token, hash) = new_api_token();
        assert!(token.starts_with(TOKEN_PREFIX));
        assert_eq!(secret_hash(&token), hash);
        assert!(!hash.contains(&token));
    }
}

//! Authentication: passwords, sessions, API tokens, and the extractors that
//! put the caller's identity, permission and address into the type a
//! handler receives; and the proof of same-origin that every
//! cookie-authenticated write must carry (CSRF).

use std::convert::Infallible;
use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};

use aiwei_core::access::Permission as Grant;
use aiwei_store::trail::AuditActor;
use aiwei_store::users::User;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "aiwei_session";

/// The shortest password anyone may set (ASVS 6.2.1 asks for at least 8).
pub const MIN_PASSWORD: usize = aiwei_core::password::MIN_LEN;

/// A temporary password an administrator hands over by word of mouth:
/// twelve characters without look-alikes, in groups of four
/// (`k7mp-2xqa-9rtw`); it passes [`aiwei_core::password::check`] and must
/// be replaced at the next login.
pub fn temporary_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut b = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut b);
    let chars: Vec<char> = b
        .iter()
        .map(|x| char::from(ALPHABET[usize::from(*x) % ALPHABET.len()]))
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Hashes a password with argon2id and a random salt (PHC string). Slow on
/// purpose: from async code use [`hash_password_off_thread`].
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
}

/// [`hash_password`] on the blocking pool, so that an administrator adding
/// a user does not stall the async worker serving everyone else.
pub async fn hash_password_off_thread(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_password(&password)).await?
}

/// [`verify_password`] on the blocking pool: argon2 is slow on purpose.
pub async fn verify_password_off_thread(hash: String, password: String) -> anyhow::Result<bool> {
    Ok(tokio::task::spawn_blocking(move || verify_password(&hash, &password)).await?)
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
    Session { id_hash: String, csrf: String },
    /// An API token (its id, for revocation at logout).
    Token { id: uuid::Uuid },
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
            Via::Token { .. } => "",
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

/// The header a script sends its session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Page routes carry this marker: their forms carry the session's CSRF token
/// in a field, which their extractors check.
#[derive(Debug, Clone, Copy)]
pub struct FormRoutes;

/// Whether a state-changing request authenticated by its session cookie
/// proves it comes from our own pages: the session's token in
/// [`CSRF_HEADER`], or a browser's word that it is same-origin
/// (`Sec-Fetch-Site: same-origin`, or an `Origin` naming this host).
/// Cross-site requests with another `Origin` are refused before they get
/// here ([`crate::security::same_origin`]).
fn proves_same_origin(headers: &HeaderMap, csrf: &str) -> bool {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let token_ok = header(CSRF_HEADER).is_some_and(|t| {
        !t.is_empty() && crate::extract::constant_time_eq(t.as_bytes(), csrf.as_bytes())
    });
    let fetch_ok = header("sec-fetch-site") == Some("same-origin");
    let origin_ok = match (header(ORIGIN.as_str()), header(HOST.as_str())) {
        (Some(o), Some(host)) => o
            .split_once("://")
            .is_some_and(|(_, rest)| rest.trim_end_matches('/') == host),
        _ => false,
    };
    token_ok || fetch_ok || origin_ok
}

/// What a browser session with a temporary password may still reach.
const PASSWORD_PATHS: &[&str] = &[
    "/account",
    "/account/password",
    "/api/v1/me/password",
    "/logout",
];

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(cached) = parts.extensions.get::<Staff>() {
            return Ok(cached.clone());
        }
        let now = state.clock.now();
        let staff = if let Some(auth) = parts.headers.get(AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(ApiError::unauthenticated)?;
            let (user, id) = state
                .store
                .user_by_token_hash(&secret_hash(token), now)
                .await?
                .ok_or_else(ApiError::unauthenticated)?;
            Staff {
                user,
                via: Via::Token { id },
                ip: ClientIp::of(parts, state.config.behind_proxy).0,
            }
        } else {
            let sid = cookie(parts, SESSION_COOKIE).ok_or_else(ApiError::unauthenticated)?;
            let id_hash = secret_hash(sid);
            let session = state
                .store
                .session(&id_hash, now)
                .await?
                .ok_or_else(ApiError::unauthenticated)?;
            // Every cookie-authenticated write proves it comes from our own
            // pages, whatever its body: forms by their token field (checked
            // by their extractor), everything else here.
            let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            let form_route = parts.extensions.get::<FormRoutes>().is_some();
            if !safe && !form_route && !proves_same_origin(&parts.headers, &session.csrf_token) {
                tracing::warn!("cookie-authenticated write without proof of origin refused");
                return Err(ApiError::csrf());
            }
            // A temporary password set by an administrator is replaced
            // before anything else is done in the browser.
            if session.user.must_change_password && !PASSWORD_PATHS.contains(&parts.uri.path()) {
                return Err(ApiError::new(
                    axum::http::StatusCode::FORBIDDEN,
                    aiwei_core::ErrorCode::PasswordChangeRequired,
                ));
            }
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

/// A permission in a handler's type; which roles grant it is the core's
/// ([`aiwei_core::access::Permission`]).
pub trait Permission: Send + Sync + 'static {
    const GRANT: Grant;
}

macro_rules! permission {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name;
        impl Permission for $name {
            const GRANT: Grant = Grant::$name;
        }
    };
}

permission!(
    /// Any logged-in staff member.
    AnyStaff
);
permission!(
    /// Record calls and visits.
    RecordIntake
);
permission!(
    /// Look up a caller's earlier matters by phone.
    LookUpCallers
);
permission!(
    /// The supervision board (督办) and the decisions supervisors make.
    Supervise
);
permission!(
    /// Users, departments, settings and tokens.
    Administer
);
permission!(
    /// Read the audit trail (审计日志).
    ReadAudit
);

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
        if P::GRANT.granted(&staff.user.actor()) {
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
    fn only_a_token_or_a_browser_proves_same_origin() {
        let mut h = HeaderMap::new();
        assert!(!proves_same_origin(&h, "secret"));
        h.insert(CSRF_HEADER, "wrong".parse().unwrap());
        assert!(!proves_same_origin(&h, "secret"));
        h.insert(CSRF_HEADER, "secret".parse().unwrap());
        assert!(proves_same_origin(&h, "secret"));
        let mut h = HeaderMap::new();
        h.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(!proves_same_origin(&h, "secret"));
        h.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert!(proves_same_origin(&h, "secret"));
        let mut h = HeaderMap::new();
        h.insert(HOST, "desk.example:8080".parse().unwrap());
        h.insert(ORIGIN, "http://evil.example".parse().unwrap());
        assert!(!proves_same_origin(&h, "secret"));
        h.insert(ORIGIN, "https://desk.example:8080".parse().unwrap());
        assert!(proves_same_origin(&h, "secret"));
        // An empty session token never matches an empty header.
        let mut h = HeaderMap::new();
        h.insert(CSRF_HEADER, "".parse().unwrap());
        assert!(!proves_same_origin(&h, ""));
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

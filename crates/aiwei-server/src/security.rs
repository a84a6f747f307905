//! Response headers and the same-origin rule for state-changing requests.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::http::header::{self, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use aiwei_core::ErrorCode;
use axum::http::StatusCode;

use crate::error::{ApiError, ErrorInfo};
use crate::state::AppState;

/// No inline scripts or styles, nothing from elsewhere.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Browsers that once reached us over TLS keep to TLS for a year.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Security headers on every response. Everything but the static assets is
/// `no-store`: pages and API answers may hold caller data. When cookies are
/// `Secure` the site is served over TLS, and HSTS says so to browsers.
pub async fn headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !is_static {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    resp
}

/// Refuses state-changing requests whose `Origin` names another site. A
/// browser always sends `Origin` on cross-site POSTs. Requests without it
/// pass here; if they are authenticated by a session cookie they must still
/// prove same-origin another way (see `auth::Staff`).
pub async fn same_origin(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if let (false, Some(origin)) = (safe, req.headers().get(header::ORIGIN)) {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        let origin_host = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .map(|(_, rest)| rest.trim_end_matches('/'));
        if host.is_none() || origin_host != host {
            tracing::warn!("cross-origin request refused");
            return ApiError::csrf().into_response();
        }
    }
    next.run(req).await
}

/// Gives the framework's own refusals (no route, wrong method, a body too
/// large before any extractor ran) the project's error shape and code, so
/// that no client ever meets a bare `text/plain` error.
pub async fn framework_errors(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    // A page rendered with an error status (the login form after a wrong
    // password) is the handler's answer, not the framework's.
    let bare = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| t.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error())
        || !bare
        || resp.extensions().get::<ErrorInfo>().is_some()
    {
        return resp;
    }
    let code = match status {
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::UNPROCESSABLE_ENTITY => ErrorCode::ValidationFailed,
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthenticated,
        StatusCode::FORBIDDEN => ErrorCode::Forbidden,
        s if s.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::MalformedRequest,
    };
    let mut out = ApiError::new(status, code).into_response();
    if let Some(allow) = resp.headers().get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    out
}

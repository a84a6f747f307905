//! Request body extractors that fail with the project's error shape.

use aiwei_core::FieldError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

use std::marker::PhantomData;

use crate::auth::{AnyStaff, Can, Permission, Staff, Via};
use crate::error::ApiError;
use crate::state::AppState;

/// A JSON body: 415 unless the content type is JSON, 400 when it does not
/// parse, 422 naming the field whose value has the wrong shape.
///
/// Requiring `application/json` also keeps cookie-authenticated API calls
/// safe from cross-site forms: a browser cannot send that content type to
/// another origin without a CORS preflight, which this server never grants.
pub struct ApiJson<T>(pub T);

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let mime = v
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        if !is_json(&req) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"))?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON, telling syntax errors (400) from shape errors (422 with the
/// path of the offending field).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::new(StatusCode::BAD_REQUEST, "malformed_json")
        } else {
            let msg = inner.to_string();
            let key = msg.split('`').nth(1).unwrap_or_default().to_owned();
            let at = |fallback: String| if path == "." { fallback } else { path.clone() };
            if msg.starts_with("unknown field") {
                // The path already ends with the unknown key.
                ApiError::invalid_field(FieldError::new(at(key), "unknown_field"))
            } else if msg.starts_with("missing field") {
                let field = if path == "." {
                    key
                } else {
                    format!("{path}.{key}")
                };
                ApiError::invalid_field(FieldError::new(field, "required"))
            } else {
                ApiError::invalid_field(FieldError::new(at("body".into()), "invalid_value"))
            }
        }
    })
}

/// An urlencoded form posted by a staff page: the caller must be logged in
/// with a browser session, hold permission `P`, and the form must carry that
/// session's CSRF token in its `csrf` field.
pub struct CsrfForm<T, P: Permission = AnyStaff> {
    pub staff: Staff,
    pub form: T,
    _p: PhantomData<P>,
}

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

impl<T: DeserializeOwned, P: Permission> FromRequest<AppState> for CsrfForm<T, P> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (mut parts, body) = req.into_parts();
        let staff = Can::<P>::from_request_parts(&mut parts, state).await?.staff;
        let req = Request::from_parts(parts, body);
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"))?;
        let token: CsrfField =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| ApiError::csrf())?;
        match &staff.via {
            Via::Session { csrf, .. }
                if constant_time_eq(csrf.as_bytes(), token.csrf.as_bytes()) => {}
            _ => return Err(ApiError::csrf()),
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            tracing::debug!(error = %e, "form did not parse");
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_value")
        })?;
        Ok(Self {
            staff,
            form,
            _p: PhantomData,
        })
    }
}

/// Compares secrets without an early exit on the first differing byte.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        n: Option<i64>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        inner: Option<Inner>,
        name: Option<String>,
    }

    fn field(bytes: &str) -> (StatusCode, Option<String>) {
        let e = parse_json::<Outer>(bytes.as_bytes()).unwrap_err();
        (e.status, e.first_field().map(str::to_owned))
    }

    #[test]
    fn syntax_errors_are_400_and_shape_errors_name_the_field() {
        assert_eq!(field("{").0, StatusCode::BAD_REQUEST);
        assert_eq!(field("not json").0, StatusCode::BAD_REQUEST);
        assert_eq!(
            field(r#"{"inner":{"n":"x"}}"#),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("inner.n".into()))
        );
        assert_eq!(
            field(r#"{"nmae":"x"}"#),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("nmae".into()))
        );
        assert_eq!(
            field(r#"{"inner":{"m":1}}"#),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("inner.m".into()))
        );
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}

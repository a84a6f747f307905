//! Extractors of bodies, queries, paths and multipart forms that fail with
//! the project's JSON error shape, never the framework's plain text.

use aiwei_core::{ErrorCode, FieldError};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Path, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

use std::marker::PhantomData;

use axum::http::request::Parts;

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
            return Err(ApiError::unsupported_media_type());
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::payload_too_large())?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Query parameters: a value of the wrong shape (`?limit=-1`) is a 422
/// naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let raw = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(raw));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| shape_error(e.path().to_string(), &e.into_inner().to_string()))
    }
}

/// The pairs of a query string, as `serde_urlencoded` reads them.
fn form_urlencoded_parse(raw: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(raw.as_bytes())
}

/// The header a client names an attempt with, to retry it safely.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The `Idempotency-Key` header, if sent: 1–255 visible ASCII characters,
/// else 422 naming the header.
pub struct IdempotencyKey(pub Option<String>);

/// What a key may be, as the API document states it.
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]{1,255}$";

fn valid_key(k: &str) -> bool {
    (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic())
}

fn invalid_key() -> ApiError {
    ApiError::invalid_field(FieldError::new(
        "Idempotency-Key",
        ErrorCode::InvalidIdempotencyKey,
    ))
}

impl IdempotencyKey {
    /// Checks a key from a page form's hidden field: blank is none.
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        match raw.map(str::trim).filter(|k| !k.is_empty()) {
            None => Ok(Self(None)),
            Some(k) if valid_key(k) => Ok(Self(Some(k.to_owned()))),
            Some(_) => Err(invalid_key()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    /// A header that is sent must be a key: an empty one is a client's
    /// mistake, not a request without a key.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match parts.headers.get(IDEMPOTENCY_KEY) {
            None => Ok(Self(None)),
            Some(v) => match v.to_str() {
                Ok(k) if valid_key(k) => Ok(Self(Some(k.to_owned()))),
                _ => Err(invalid_key()),
            },
        }
    }
}

/// A path segment that does not decode (bad percent-encoding, not UTF-8)
/// names no resource: 404, like any unknown id.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| ApiPath(v))
            .map_err(|_| ApiError::not_found())
    }
}

/// A multipart body; one that is not (no boundary, wrong content type) is a
/// 400 in the project's shape.
pub struct ApiMultipart(pub Multipart);

impl<S: Send + Sync> FromRequest<S> for ApiMultipart {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Multipart::from_request(req, state)
            .await
            .map(ApiMultipart)
            .map_err(|_| ApiError::malformed())
    }
}

/// A refused shape as a field error: unknown and missing fields by name,
/// anything else as an invalid value at its path.
fn shape_error(path: String, msg: &str) -> ApiError {
    let key = msg.split('`').nth(1).unwrap_or_default().to_owned();
    let at = |fallback: String| if path == "." { fallback } else { path.clone() };
    if msg.starts_with("unknown field") {
        // The path already ends with the unknown key.
        ApiError::invalid_field(FieldError::new(at(key), ErrorCode::UnknownField))
    } else if msg.starts_with("missing field") {
        let field = if path == "." {
            key
        } else {
            format!("{path}.{key}")
        };
        ApiError::invalid_field(FieldError::new(field, ErrorCode::Required))
    } else {
        ApiError::invalid_field(FieldError::new(at("body".into()), ErrorCode::InvalidValue))
    }
}

/// Parses JSON, telling syntax errors (400) from shape errors (422 with the
/// path of the offending field).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Every body of the API is a JSON object. serde would also fill a
    // struct from an array of its fields in order (`[]` for a struct whose
    // fields are all optional), which no document describes.
    if let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace())
        && *first != b'{'
        && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
    {
        return Err(ApiError::invalid_field(FieldError::new(
            "body",
            ErrorCode::InvalidValue,
        )));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::MalformedJson)
        } else {
            shape_error(path, &inner.to_string())
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
            .map_err(|_| ApiError::payload_too_large())?;
        let token: CsrfField =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| ApiError::csrf())?;
        check_form_token(&token.csrf, &staff)?;
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            tracing::debug!(error = %e, "form did not parse");
            ApiError::malformed()
        })?;
        Ok(Self {
            staff,
            form,
            _p: PhantomData,
        })
    }
}

/// Checks the CSRF token a page form sent (`csrf` field) against the
/// session's: only a browser session has one, and it never matches empty.
pub fn check_form_token(sent: &str, staff: &Staff) -> Result<(), ApiError> {
    match &staff.via {
        Via::Session { csrf, .. }
            if !sent.is_empty() && constant_time_eq(csrf.as_bytes(), sent.as_bytes()) =>
        {
            Ok(())
        }
        _ => Err(ApiError::csrf()),
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

    #[test]
    fn a_body_that_is_not_an_object_is_refused_naming_it() {
        #[derive(Debug, serde::Deserialize)]
        struct AllOptional {
            #[serde(default)]
            #[allow(dead_code)]
            text: Option<String>,
        }
        for body in ["[]", "[null]", " 1", "\"x\"", "null"] {
            let e = parse_json::<AllOptional>(body.as_bytes()).unwrap_err();
            assert_eq!(e.first_field(), Some("body"), "{body}");
        }
        assert!(parse_json::<AllOptional>(b" {}").is_ok());
        // Not JSON at all is still malformed.
        let e = parse_json::<AllOptional>(b"[").unwrap_err();
        assert_eq!(e.code, ErrorCode::MalformedJson);
    }
}

//! Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2), in JSON and XML:
//! discovery, the services (the public sub-categories), filing a request
//! (with a key an administrator issued) and reading requests back with
//! their status, the department responsible and the expected time, all
//! from the desk's own data. Errors use the specification's shape. Only
//! requests filed through Open311 are listed, and never a caller's data.

use aiwei_core::deadline::RunningClock;
use aiwei_core::{Channel, open311};
use aiwei_store::StoreError;
use aiwei_store::categories::Category;
use aiwei_store::matters::{LedgerFilter, Matter};
use axum::extract::{Path, Query, RawForm, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::auth::ClientIp;
use crate::error::ApiError;
use crate::services::public::{self as filing};
use crate::state::AppState;

/// The two formats the specification defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

/// `name.json` or `name.xml`: the name and the format.
fn split(file: &str) -> Option<(&str, Format)> {
    let (name, ext) = file.rsplit_once('.')?;
    match ext {
        "json" => Some((name, Format::Json)),
        "xml" => Some((name, Format::Xml)),
        _ => None,
    }
}

/// A list in `format`: a JSON array, or `<root>` holding one `<item>` per
/// element.
pub fn list<T: Serialize>(
    format: Format,
    status: StatusCode,
    root: &str,
    item: &str,
    items: &[T],
) -> Response {
    match format {
        Format::Json => (status, axum::Json(items)).into_response(),
        Format::Xml => {
            let mut out = format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><{root}>");
            for i in items {
                match quick_xml::se::to_string_with_root(item, i) {
                    Ok(s) => out.push_str(&s),
                    Err(e) => {
                        tracing::error!(error = %e, "writing Open311 XML failed");
                        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                    }
                }
            }
            out.push_str(&format!("</{root}>"));
            (
                status,
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                out,
            )
                .into_response()
        }
    }
}

/// One object in `format`, `<root>` in XML.
fn one<T: Serialize>(format: Format, root: &str, value: &T) -> Response {
    match format {
        Format::Json => axum::Json(value).into_response(),
        Format::Xml => match quick_xml::se::to_string_with_root(root, value) {
            Ok(s) => (
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>{s}"),
            )
                .into_response(),
            Err(e) => {
                tracing::error!(error = %e, "writing Open311 XML failed");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        },
    }
}

/// One error of the specification's list.
#[derive(Serialize)]
struct Open311Error {
    code: u16,
    description: String,
}

/// The specification's error answer: a list of `{code, description}`.
fn error(format: Format, status: StatusCode, description: impl Into<String>) -> Response {
    list(
        format,
        status,
        "errors",
        "error",
        &[Open311Error {
            code: status.as_u16(),
            description: description.into(),
        }],
    )
}

/// A desk refusal in the specification's shape (its Chinese message; no
/// internal detail).
fn refused(format: Format, e: ApiError) -> Response {
    if e.status.is_server_error() {
        // Logged by the error's own rendering; the client learns no more.
        let _ = e.into_response();
        return error(
            format,
            StatusCode::INTERNAL_SERVER_ERROR,
            "系统内部错误，请稍后重试",
        );
    }
    // The specification answers a refused parameter with 400.
    let status = if e.status == StatusCode::UNPROCESSABLE_ENTITY {
        StatusCode::BAD_REQUEST
    } else {
        e.status
    };
    error(format, status, e.message())
}

fn unknown_format() -> Response {
    error(Format::Json, StatusCode::NOT_FOUND, "请使用 .json 或 .xml")
}

#[derive(Serialize)]
struct Endpoint {
    specification: &'static str,
    url: String,
    changeset: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    formats: Formats,
}

#[derive(Serialize)]
struct Formats {
    format: [&'static str; 2],
}

#[derive(Serialize)]
struct Endpoints {
    endpoint: Vec<Endpoint>,
}

#[derive(Serialize)]
struct Discovery {
    changeset: &'static str,
    contact: String,
    key_service: String,
    endpoints: Endpoints,
}

/// When this service's interface last changed.
const CHANGESET: &str = "2026-11-30T00:00:00Z";

fn base(state: &AppState) -> String {
    state
        .outbound
        .config
        .public_url
        .clone()
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_owned()
}

/// One service: a public sub-category.
#[derive(Serialize)]
struct Service {
    service_code: String,
    service_name: String,
    description: String,
    metadata: bool,
    #[serde(rename = "type")]
    kind: &'static str,
    keywords: String,
    group: &'static str,
}

#[derive(Serialize)]
struct Definition {
    service_code: String,
    attributes: Vec<()>,
}

/// The public sub-categories: those of a type residents may file.
async fn services(state: &AppState) -> Result<Vec<Category>, StoreError> {
    Ok(state
        .store
        .list_categories()
        .await?
        .into_iter()
        .filter(|c| c.parent.is_some() && aiwei_core::public::PUBLIC_TYPES.contains(&c.matter_type))
        .collect())
}

fn service(c: &Category) -> Service {
    Service {
        service_code: c.code.clone(),
        service_name: c.name.clone(),
        description: format!("{}：{}", c.matter_type.label(), c.name),
        metadata: false,
        kind: "realtime",
        keywords: c.name.clone(),
        group: c.matter_type.label(),
    }
}

/// `GET /open311/v2/{discovery|services|requests}.{json|xml}` and
/// `POST /open311/v2/requests.{json|xml}`.
pub async fn get_root(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let Some((name, format)) = split(&file) else {
        return unknown_format();
    };
    match name {
        "discovery" => one(
            format,
            "discovery",
            &Discovery {
                changeset: CHANGESET,
                contact: state.config.org_name.clone(),
                key_service: format!("{}（系统管理员签发 API 密钥）", state.config.org_name),
                endpoints: Endpoints {
                    endpoint: vec![Endpoint {
                        specification: "http://wiki.open311.org/GeoReport_v2",
                        url: format!("{}/open311/v2", base(&state)),
                        changeset: CHANGESET,
                        kind: "production",
                        formats: Formats {
                            format: ["application/json", "text/xml"],
                        },
                    }],
                },
            },
        ),
        "services" => match services(&state).await {
            Ok(cs) => {
                let list_: Vec<Service> = cs.iter().map(service).collect();
                list(format, StatusCode::OK, "services", "service", &list_)
            }
            Err(e) => refused(format, e.into()),
        },
        "requests" => match requests(&state, &q).await {
            Ok(rs) => list(format, StatusCode::OK, "service_requests", "request", &rs),
            Err(r) => refused(format, r),
        },
        _ => error(format, StatusCode::NOT_FOUND, "没有这个接口"),
    }
}

/// `GET /open311/v2/services/{code}.{json|xml}`: a service's definition
/// (no extra attributes: `metadata` is false for every service).
pub async fn get_service(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((code, format)) = split(&file) else {
        return unknown_format();
    };
    match services(&state).await {
        Ok(cs) if cs.iter().any(|c| c.code == code) => one(
            format,
            "service_definition",
            &Definition {
                service_code: code.to_owned(),
                attributes: Vec::new(),
            },
        ),
        Ok(_) => error(format, StatusCode::NOT_FOUND, "没有这个服务代码"),
        Err(e) => refused(format, e.into()),
    }
}

/// `GET /open311/v2/requests/{id}.{json|xml}`: one request, as a list of
/// one.
pub async fn get_request(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((id, format)) = split(&file) else {
        return unknown_format();
    };
    let q = vec![("service_request_id".to_owned(), id.to_owned())];
    match requests(&state, &q).await {
        Ok(rs) if !rs.is_empty() => {
            list(format, StatusCode::OK, "service_requests", "request", &rs)
        }
        Ok(_) => error(format, StatusCode::NOT_FOUND, "没有这个请求"),
        Err(e) => refused(format, e),
    }
}

/// A request as the specification describes it.
#[derive(Serialize)]
pub struct Request {
    service_request_id: String,
    status: &'static str,
    status_notes: Option<String>,
    service_name: Option<String>,
    service_code: Option<String>,
    description: String,
    agency_responsible: Option<String>,
    service_notice: Option<String>,
    requested_datetime: String,
    updated_datetime: String,
    expected_datetime: Option<String>,
    address: Option<String>,
    address_id: Option<String>,
    zipcode: Option<String>,
    lat: Option<f64>,
    long: Option<f64>,
    media_url: Option<String>,
}

/// An instant as the specification writes it (W3C, local offset).
fn w3c(t: DateTime<Utc>) -> String {
    t.with_timezone(&aiwei_core::time::china()).to_rfc3339()
}

async fn to_request(state: &AppState, m: &Matter) -> Result<Request, ApiError> {
    // The latest thing the caller was told.
    let notes = filing::replies(state, m).await?.pop().map(|r| r.text);
    let expected = RunningClock::most_urgent(m.open_clocks.iter().cloned(), state.clock.now())
        .map(|c| c.due_at)
        .or(m.agreed_reply_at.filter(|_| m.closed_at.is_none()));
    Ok(Request {
        service_request_id: m.number.clone(),
        status: open311::status(m.status),
        status_notes: notes,
        service_name: m.category_name.clone(),
        service_code: m.category.clone(),
        description: if m.sensitive {
            String::new()
        } else {
            m.content.clone()
        },
        agency_responsible: m.lead_department_name.clone(),
        service_notice: None,
        requested_datetime: w3c(m.received_at),
        updated_datetime: w3c(m.updated_at),
        expected_datetime: expected.map(w3c),
        address: m.location.address.clone().filter(|_| !m.sensitive),
        address_id: None,
        zipcode: None,
        lat: m.location.latitude.filter(|_| !m.sensitive),
        long: m.location.longitude.filter(|_| !m.sensitive),
        media_url: None,
    })
}

fn param<'a>(q: &'a [(String, String)], k: &str) -> Option<&'a str> {
    q.iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn bad(what: &str) -> ApiError {
    ApiError::invalid_field(aiwei_core::FieldError::new(
        what,
        aiwei_core::ErrorCode::InvalidValue,
    ))
}

/// The requests a `GET requests` asks for: filed through Open311, by id,
/// service, dates and status; the last 90 days and at most 1,000 unless
/// told otherwise (the specification's defaults).
async fn requests(state: &AppState, q: &[(String, String)]) -> Result<Vec<Request>, ApiError> {
    let now = state.clock.now();
    let date = |k: &str| -> Result<Option<DateTime<Utc>>, ApiError> {
        param(q, k)
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| bad(k))
            })
            .transpose()
    };
    let status = match param(q, "status") {
        None => None,
        Some(s) => Some(open311::closed_filter(s).ok_or_else(|| bad("status"))?),
    };
    let mut out = Vec::new();
    if let Some(ids) = param(q, "service_request_id") {
        for id in ids
            .split(',')
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .take(100)
        {
            let Ok(n) = id.to_ascii_uppercase().parse() else {
                continue;
            };
            match state.store.matter_by_number(&n).await {
                Ok(m) if m.channel == Channel::Open311 => out.push(to_request(state, &m).await?),
                Ok(_) | Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        return Ok(out);
    }
    let filter = LedgerFilter {
        channel: Some(Channel::Open311),
        category: param(q, "service_code").map(str::to_owned),
        received_from: Some(date("start_date")?.unwrap_or(now - chrono::Duration::days(90))),
        received_to: date("end_date")?,
        ..Default::default()
    };
    let (matters, _) = state
        .store
        .ledger(&filter, &aiwei_core::access::EVERYTHING, None, 1000)
        .await?;
    for m in matters {
        if status.is_none_or(|closed| closed == (m.status == aiwei_core::MatterStatus::Closed)) {
            out.push(to_request(state, &m).await?);
        }
    }
    Ok(out)
}

/// What a filing answers.
#[derive(Serialize)]
struct Created {
    service_request_id: String,
    service_notice: String,
    account_id: Option<String>,
}

/// `POST /open311/v2/requests.{json|xml}`: files a request with an issued
/// `api_key`; it waits in the intake queue for review like a web filing.
pub async fn post_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    ip: ClientIp,
    RawForm(body): RawForm,
) -> Response {
    let Some(("requests", format)) = split(&file) else {
        return match split(&file) {
            Some((_, f)) => error(f, StatusCode::NOT_FOUND, "没有这个接口"),
            None => unknown_format(),
        };
    };
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let key = param(&pairs, "api_key").unwrap_or_default();
    let valid = !key.is_empty()
        && matches!(
            state
                .store
                .open311_key_valid(&crate::auth::secret_hash(key))
                .await,
            Ok(true)
        );
    if !valid {
        return error(format, StatusCode::FORBIDDEN, "api_key 无效或已吊销");
    }
    let mut req = match open311::filing(&pairs) {
        Ok(r) => r,
        Err(field) => return error(format, StatusCode::BAD_REQUEST, format!("{field} 不是数字")),
    };
    let Some(code) = req.category.clone() else {
        return error(format, StatusCode::BAD_REQUEST, "缺少 service_code");
    };
    let ty = match services(&state).await {
        Ok(cs) => match cs.iter().find(|c| c.code == code) {
            Some(c) => c.matter_type,
            None => return error(format, StatusCode::NOT_FOUND, "没有这个服务代码"),
        },
        Err(e) => return refused(format, e.into()),
    };
    if req.address.is_empty() && (req.latitude.is_none() || req.longitude.is_none()) {
        return error(
            format,
            StatusCode::BAD_REQUEST,
            "须提供 address_string，或 lat 与 long",
        );
    }
    req.matter_type = ty.as_str().to_owned();
    match filing::file(&state, Channel::Open311, ip.0.as_deref(), &req, &[], None).await {
        Ok(f) => list(
            format,
            StatusCode::CREATED,
            "service_requests",
            "request",
            &[Created {
                service_request_id: f.number,
                service_notice: format!(
                    "已受理，工作人员审核后转交责任部门办理。进度查询码：{}",
                    f.code
                ),
                account_id: None,
            }],
        ),
        Err(e) => refused(format, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_lists_name_their_root_and_items() {
        #[derive(Serialize)]
        struct S {
            service_code: &'static str,
            metadata: bool,
            lat: Option<f64>,
        }
        let r = list(
            Format::Xml,
            StatusCode::OK,
            "services",
            "service",
            &[S {
                service_code: "env.garbage",
                metadata: false,
                lat: None,
            }],
        );
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(split("requests.xml"), Some(("requests", Format::Xml)));
        assert_eq!(
            split("AW2026-000001.json"),
            Some(("AW2026-000001", Format::Json))
        );
        assert_eq!(split("services.csv"), None);
    }
}

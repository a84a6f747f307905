//! The public pages, without a login: 我要反映, the form a
//! resident files a consultation, complaint or suggestion with, photos
//! included; and 办理进度查询, where they follow it with its number and
//! query code. Mobile-first, no scripts required, no third-party captcha:
//! a sealed form token, a field people never see, and per-address limits.

use aiwei_core::Channel;
use aiwei_core::public::{FilingRequest, PUBLIC_TYPES};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Response};

use crate::auth::ClientIp;
use crate::error::ApiError;
use crate::extract::ApiMultipart;
use crate::messages::field_message;
use crate::services::public::{self, Photo, Progress};
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "public_report.html")]
pub struct ReportPage {
    org_name: String,
    token: String,
    /// (code, label)
    types: Vec<(&'static str, &'static str)>,
    typed: FilingRequest,
    /// (field, message)
    errors: Vec<(String, String)>,
    error: Option<String>,
    filed: Option<(String, String)>,
}

impl ReportPage {
    fn err(&self, field: &str) -> &str {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map_or("", |(_, m)| m.as_str())
    }
}

fn report_page(state: &AppState) -> Result<ReportPage, ApiError> {
    Ok(ReportPage {
        org_name: state.config.org_name.clone(),
        token: public::form_token(state, state.clock.now())?,
        types: PUBLIC_TYPES
            .iter()
            .map(|t| (t.as_str(), t.label()))
            .collect(),
        typed: FilingRequest {
            matter_type: "complaint".into(),
            ..Default::default()
        },
        errors: Vec::new(),
        error: None,
        filed: None,
    })
}

/// 我要反映: the empty form.
pub async fn report(State(state): State<AppState>) -> Result<ReportPage, ApiError> {
    report_page(&state)
}

/// Files the form: a matter waiting for the desk's review, and its number
/// and query code shown once.
pub async fn file(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiMultipart(mut mp): ApiMultipart,
) -> Result<Response, ApiError> {
    let mut req = FilingRequest::default();
    let (mut token, mut trap) = (String::new(), String::new());
    let mut photos = Vec::new();
    let bad = |_| ApiError::malformed();
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "photos" {
            let file = field.file_name().unwrap_or("").to_owned();
            let bytes = field
                .bytes()
                .await
                .map_err(|_| ApiError::payload_too_large())?;
            // An empty file input sends a part with no name and no bytes.
            if !bytes.is_empty() {
                photos.push(Photo {
                    name: file,
                    bytes: bytes.to_vec(),
                });
            }
            continue;
        }
        let value = field.text().await.map_err(bad)?;
        match name.as_str() {
            "type" => req.matter_type = value,
            "name" => req.name = value,
            "phone" => req.phone = value,
            "content" => req.content = value,
            "address" => req.address = value,
            "token" => token = value,
            "website" => trap = value,
            _ => {}
        }
    }
    let proof = public::FormProof {
        token: &token,
        trap: &trap,
    };
    let outcome = public::file(
        &state,
        Channel::Web,
        ip.0.as_deref(),
        &req,
        &photos,
        Some(proof),
    )
    .await;
    let mut page = report_page(&state)?;
    match outcome {
        Ok(f) => {
            page.filed = Some((f.number, f.code));
            Ok(page.into_response())
        }
        Err(e) if e.status.is_client_error() => {
            let status = e.status;
            page.errors = public::field_errors(&e)
                .0
                .iter()
                .map(|f| (f.field.clone(), field_message(&f.field, f.code)))
                .collect();
            page.error = Some(e.message());
            page.typed = req;
            Ok(super::with_status(page, status))
        }
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "public_progress.html")]
pub struct ProgressPage {
    org_name: String,
    number: String,
    error: Option<String>,
    progress: Option<Progress>,
}

/// 办理进度查询: the empty form.
pub async fn progress(State(state): State<AppState>) -> ProgressPage {
    ProgressPage {
        org_name: state.config.org_name.clone(),
        number: String::new(),
        error: None,
        progress: None,
    }
}

#[derive(serde::Deserialize)]
pub struct LookupForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    code: String,
}

/// Looks a matter up; a wrong number and a wrong code get the same page.
pub async fn look_up(
    State(state): State<AppState>,
    ip: ClientIp,
    Form(f): Form<LookupForm>,
) -> Result<Response, ApiError> {
    let mut page = ProgressPage {
        org_name: state.config.org_name.clone(),
        number: f.number.trim().to_owned(),
        error: None,
        progress: None,
    };
    match public::lookup(&state, ip.0.as_deref(), &f.number, &f.code).await {
        Ok(p) => {
            page.progress = Some(p);
            Ok(page.into_response())
        }
        Err(e) if e.status.is_client_error() => {
            page.error = Some(e.message());
            Ok(super::with_status(page, e.status))
        }
        Err(e) => Err(e),
    }
}

//! The telephone on the staff pages: the stream that opens a ringing call
//! on the clerk's intake page, and the call-back list (漏接回拨).

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use aiwei_core::telephony::{CallState, CallbackOutcome};
use aiwei_core::time::local_minute;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;

use super::Layout;
use crate::auth::{Can, LookUpCallers, RecordIntake, Staff};
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, CsrfForm};
use crate::services::telephony::{self, CallbackRequest, LiveCall};
use crate::state::AppState;

/// How often the stream looks for the clerk's calls. The database is the
/// source, so a call reported to any app instance reaches a page served by
/// any other.
const POLL: Duration = Duration::from_millis(500);

/// The clerk's calls as they ring, are answered and end: one `call` event
/// per change, its data a [`LiveCall`].
pub async fn calls(
    State(state): State<AppState>,
    can: Can<RecordIntake>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let user = can.staff.user.id;
    // Calls that began ringing just before the page opened count too.
    let since = state.clock.now() - chrono::Duration::minutes(2);
    let seen: HashMap<String, CallState> = HashMap::new();
    let stream = futures_util::stream::unfold((state, seen), move |(state, mut seen)| async move {
        loop {
            let events: Vec<Result<Event, Infallible>> =
                match state.store.live_calls(user, since).await {
                    Ok(calls) => calls
                        .iter()
                        .filter(|c| seen.insert(c.call_id.clone(), c.state) != Some(c.state))
                        .filter_map(|c| {
                            Event::default()
                                .event("call")
                                .json_data(LiveCall::from(c))
                                .ok()
                                .map(Ok)
                        })
                        .collect(),
                    Err(e) => {
                        tracing::error!(error = %e, "reading a clerk's calls failed");
                        Vec::new()
                    }
                };
            if !events.is_empty() {
                return Some((futures_util::stream::iter(events), (state, seen)));
            }
            tokio::time::sleep(POLL).await;
        }
    });
    Sse::new(futures_util::StreamExt::flatten(stream)).keep_alive(KeepAlive::default())
}

/// One missed call on the page.
pub struct CallbackRow {
    id: String,
    caller: String,
    extension: String,
    missed: String,
    pending: bool,
    outcome: &'static str,
    worked: String,
    note: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "callbacks.html")]
pub struct CallbacksPage {
    layout: Layout,
    rows: Vec<CallbackRow>,
    pending: i64,
    reached: i64,
    unreachable: i64,
    all: bool,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct AllQuery {
    #[serde(default)]
    all: Option<String>,
}

async fn callbacks_page(
    state: &AppState,
    staff: &Staff,
    all: bool,
    error: Option<String>,
    notice: Option<String>,
) -> Result<CallbacksPage, ApiError> {
    let list = telephony::callbacks(state, all).await?;
    let rows = list
        .items
        .into_iter()
        .map(|c| CallbackRow {
            id: c.id.to_string(),
            caller: c.caller,
            extension: c.extension.unwrap_or_else(|| "—".into()),
            missed: local_minute(c.missed_at),
            pending: c.outcome == CallbackOutcome::Pending,
            outcome: c.outcome_label,
            worked: match (c.worked_by, c.worked_at) {
                (Some(b), Some(t)) => format!("{b} {}", local_minute(t)),
                _ => String::new(),
            },
            note: c.note.unwrap_or_default(),
        })
        .collect();
    Ok(CallbacksPage {
        layout: Layout::new(state, staff, "/callbacks").await,
        rows,
        pending: list.pending,
        reached: list.reached,
        unreachable: list.unreachable,
        all,
        error,
        notice,
    })
}

/// 漏接回拨: missed calls waiting to be called back.
pub async fn callbacks(
    State(state): State<AppState>,
    can: Can<LookUpCallers>,
    ApiQuery(q): ApiQuery<AllQuery>,
) -> Result<CallbacksPage, ApiError> {
    let all = q.all.as_deref() == Some("true");
    callbacks_page(&state, &can.staff, all, None, None).await
}

#[derive(serde::Deserialize)]
pub struct WorkForm {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
}

/// Records how one missed call was worked.
pub async fn work(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    form: CsrfForm<WorkForm, LookUpCallers>,
) -> Result<Response, ApiError> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    let outcome = match CallbackOutcome::parse(&form.form.outcome) {
        Ok(outcome) => {
            let req = CallbackRequest {
                outcome,
                note: Some(form.form.note.clone()),
            };
            telephony::work_callback(&state, form.staff.user.id, id, &req).await
        }
        Err(e) => Err(ApiError::invalid_field(e)),
    };
    match outcome {
        Ok(c) => {
            let notice = format!("已记录：{} {}。", c.caller, c.outcome_label);
            Ok(
                callbacks_page(&state, &form.staff, false, None, Some(notice))
                    .await?
                    .into_response(),
            )
        }
        Err(e) if e.status.is_client_error() => {
            let page = callbacks_page(&state, &form.staff, false, Some(e.message()), None).await?;
            Ok(super::with_status(page, e.status))
        }
        Err(e) => Err(e),
    }
}

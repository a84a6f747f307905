//! The telephone exchange at the edge: the exchange's key,
//! its events, the calls a clerk's intake page opens as they ring, the
//! measured ring seconds an intake takes from its call, and the call-back
//! list of missed calls (漏接回拨).

use aiwei_core::telephony::{self, CallEventRequest, CallState, CallbackOutcome};
use aiwei_core::time::local_second;
use aiwei_core::{ErrorCode, FieldError, FieldErrors};
use aiwei_store::StoreError;
use aiwei_store::calls::{Call, Recorded};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

/// The telephone exchange, authenticated by the key the operator
/// configured (`telephony_key`): `Authorization: Bearer <key>`. Without a
/// configured key the endpoint answers 401 to everyone.
pub struct Exchange;

impl FromRequestParts<AppState> for Exchange {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(key) = state.config.telephony_key.as_deref() else {
            return Err(ApiError::unauthenticated());
        };
        let sent = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if bool::from(sent.as_bytes().ct_eq(key.as_bytes())) {
            Ok(Exchange)
        } else {
            Err(ApiError::unauthenticated())
        }
    }
}

/// What the desk made of an event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallEventAnswer {
    /// The desk's id of the call.
    pub id: Uuid,
    pub state: CallState,
    /// `false` for a resent event: nothing changed.
    pub changed: bool,
    /// Seconds from the first ring to answering, once answered.
    pub ring_seconds: Option<i32>,
}

/// Records one event of the exchange.
pub async fn record_event(
    state: &AppState,
    req: &CallEventRequest,
) -> Result<CallEventAnswer, ApiError> {
    let ev = req.parse(state.clock.now()).map_err(ApiError::invalid)?;
    let recorded = state
        .store
        .record_call_event(&ev, state.clock.now())
        .await?;
    let call = state.store.call_by_exchange_id(&ev.call_id).await?;
    let (state_now, changed) = match recorded {
        Recorded::Changed(s) => (s, true),
        Recorded::Unchanged(_) => (call.state, false),
    };
    Ok(CallEventAnswer {
        id: call.id,
        state: state_now,
        changed,
        ring_seconds: measured(&call),
    })
}

fn measured(call: &Call) -> Option<i32> {
    call.answered_at
        .map(|a| telephony::ring_seconds(call.ringing_at, a))
}

/// A call as the clerk at its extension sees it: the number in clear (the
/// phone shows it anyway).
#[derive(Debug, Clone, Serialize)]
pub struct LiveCall {
    pub call_id: String,
    pub caller: String,
    pub extension: Option<String>,
    pub state: CallState,
    pub state_label: &'static str,
    /// Local time for the form's `datetime-local` input: when the call was
    /// answered, or when it began to ring.
    pub received_at_local: String,
    pub ring_seconds: Option<i32>,
}

impl From<&Call> for LiveCall {
    fn from(c: &Call) -> Self {
        let received = c.answered_at.unwrap_or(c.ringing_at);
        Self {
            call_id: c.call_id.clone(),
            caller: c.caller.clone(),
            extension: c.extension.clone(),
            state: c.state,
            state_label: c.state.label(),
            received_at_local: local_second(received).replace(' ', "T"),
            ring_seconds: measured(c),
        }
    }
}

/// The ring seconds and time of answering an intake takes from its call,
/// and the call's desk id to mark taken; `None` when the intake names no
/// call.
pub async fn call_for_intake(
    state: &AppState,
    call_id: Option<&str>,
) -> Result<Option<(Uuid, i32, DateTime<Utc>)>, ApiError> {
    let Some(id) = call_id.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let unknown = || {
        let mut e = FieldErrors::default();
        e.push("call_id", ErrorCode::UnknownCall);
        ApiError::invalid(e)
    };
    let call = match state.store.call_by_exchange_id(id).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Err(unknown()),
        Err(e) => return Err(e.into()),
    };
    if call.matter.is_some() {
        return Err(ApiError::conflict(ErrorCode::CallTaken));
    }
    // Only an answered call is recorded as answered.
    let answered = call.answered_at.ok_or_else(unknown)?;
    Ok(Some((
        call.id,
        telephony::ring_seconds(call.ringing_at, answered),
        answered,
    )))
}

/// A missed call on the call-back list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallbackView {
    pub id: Uuid,
    /// The caller's number: the clerk calls it back.
    pub caller: String,
    pub extension: Option<String>,
    pub missed_at: DateTime<Utc>,
    pub outcome: CallbackOutcome,
    pub outcome_label: &'static str,
    pub worked_by: Option<String>,
    pub worked_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

impl From<&Call> for CallbackView {
    fn from(c: &Call) -> Self {
        let outcome = c.callback.unwrap_or(CallbackOutcome::Pending);
        Self {
            id: c.id,
            caller: c.caller.clone(),
            extension: c.extension.clone(),
            missed_at: c.ended_at.unwrap_or(c.ringing_at),
            outcome,
            outcome_label: outcome.label(),
            worked_by: c.callback_by_name.clone(),
            worked_at: c.callback_at,
            note: c.callback_note.clone(),
        }
    }
}

/// The call-back list with its counts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallbackList {
    pub pending: i64,
    pub reached: i64,
    pub unreachable: i64,
    pub items: Vec<CallbackView>,
}

/// Missed calls, waiting ones or all, with the counts of each outcome.
pub async fn callbacks(state: &AppState, all: bool) -> Result<CallbackList, ApiError> {
    let items = state
        .store
        .callbacks(!all, 200)
        .await?
        .iter()
        .map(CallbackView::from)
        .collect();
    let mut list = CallbackList {
        pending: 0,
        reached: 0,
        unreachable: 0,
        items,
    };
    for (o, n) in state.store.callback_counts().await? {
        match o {
            CallbackOutcome::Pending => list.pending = n,
            CallbackOutcome::Reached => list.reached = n,
            CallbackOutcome::Unreachable => list.unreachable = n,
        }
    }
    Ok(list)
}

/// How a missed call was worked.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallbackRequest {
    /// `reached` or `unreachable`.
    pub outcome: CallbackOutcome,
    /// What was agreed, up to 500 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// Records how a missed call was worked.
pub async fn work_callback(
    state: &AppState,
    user: aiwei_core::UserId,
    id: Uuid,
    req: &CallbackRequest,
) -> Result<CallbackView, ApiError> {
    if req.outcome == CallbackOutcome::Pending {
        return Err(ApiError::invalid_field(FieldError::new(
            "outcome",
            ErrorCode::InvalidValue,
        )));
    }
    let note = aiwei_core::error::bounded_text("note", req.note.as_deref(), 500, false)
        .map_err(ApiError::invalid_field)?;
    let call = state
        .store
        .work_callback(id, req.outcome, note.as_deref(), user, state.clock.now())
        .await?;
    Ok(CallbackView::from(&call))
}

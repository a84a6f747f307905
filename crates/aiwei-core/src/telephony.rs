//! Calls as the telephone exchange reports them (R-2.2: answered within
//! three rings, measured by the exchange, not typed: the hotline
//! always reachable, so a missed call is called back).
//!
//! The exchange posts events (`ringing`, `answered`, `ended`, `missed`)
//! keyed by its own call id. [`step`] decides, purely, what an event does
//! to a call; exchanges resend, so a repeated event changes nothing.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use crate::kinds::code_enum;
use crate::{ErrorCode, FieldError, FieldErrors, PhoneNumber};

code_enum!(
    /// What the exchange reports about a call.
    CallEventKind, "event" {
        Ringing => ("ringing", "振铃"),
        Answered => ("answered", "接听"),
        Ended => ("ended", "挂断"),
        Missed => ("missed", "未接"),
    }
);

code_enum!(
    /// Where a call stands.
    CallState, "state" {
        Ringing => ("ringing", "振铃中"),
        Answered => ("answered", "通话中"),
        Ended => ("ended", "已结束"),
        Missed => ("missed", "未接"),
    }
);

code_enum!(
    /// How a missed call was worked (漏接回拨).
    CallbackOutcome, "outcome" {
        Pending => ("pending", "待回拨"),
        Reached => ("reached", "已回拨"),
        Unreachable => ("unreachable", "多次回拨未接通"),
    }
);

/// A call event as the exchange sends it.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CallEventRequest {
    /// `ringing`, `answered`, `ended` or `missed`.
    #[cfg_attr(feature = "openapi", schema(value_type = CallEventKind))]
    pub event: String,
    /// The exchange's id of the call (Asterisk `UNIQUEID`, FreeSWITCH
    /// `uuid`): 1–128 visible ASCII characters.
    pub call_id: String,
    /// The caller's number: required for `ringing` and `missed`.
    #[serde(default)]
    pub caller: Option<String>,
    /// The extension ringing or answering: required for `ringing`.
    #[serde(default)]
    pub extension: Option<String>,
    /// When it happened; defaults to when the desk receives it.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

/// A checked call event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    pub kind: CallEventKind,
    pub call_id: String,
    pub caller: Option<PhoneNumber>,
    pub extension: Option<String>,
    pub at: DateTime<Utc>,
}

/// The longest call id.
pub const MAX_CALL_ID: usize = 128;

/// An extension: 1 to 16 digits.
pub fn extension(field: &str, raw: &str) -> Result<String, FieldError> {
    let t = raw.trim();
    if !t.is_empty() && t.len() <= 16 && t.bytes().all(|b| b.is_ascii_digit()) {
        Ok(t.to_owned())
    } else {
        Err(FieldError::new(field, ErrorCode::InvalidExtension))
    }
}

impl CallEventRequest {
    /// The event checked field by field; `now` is the desk's time. An
    /// event more than five minutes ahead of it or a day behind is refused
    /// (a wrong clock on the exchange would otherwise skew every figure).
    pub fn parse(&self, now: DateTime<Utc>) -> Result<CallEvent, FieldErrors> {
        let mut errs = FieldErrors::default();
        let kind = errs.take(
            CallEventKind::parse(&self.event)
                .map_err(|_| FieldError::new("event", ErrorCode::InvalidValue)),
        );
        let id = self.call_id.trim();
        if id.is_empty() {
            errs.push("call_id", ErrorCode::Required);
        } else if id.len() > MAX_CALL_ID || !id.bytes().all(|b| b.is_ascii_graphic()) {
            errs.push("call_id", ErrorCode::InvalidValue);
        }
        let caller = match self.caller.as_deref().map(str::trim) {
            Some(c) if !c.is_empty() => errs.take(PhoneNumber::parse("caller", c)),
            _ => None,
        };
        let extension = match self.extension.as_deref().map(str::trim) {
            Some(e) if !e.is_empty() => errs.take(extension("extension", e)),
            _ => None,
        };
        // What each event must name beyond its call.
        let (needs_caller, needs_extension) = match kind {
            Some(CallEventKind::Ringing) => (true, true),
            Some(CallEventKind::Missed) => (true, false),
            _ => (false, false),
        };
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|x| x.trim().is_empty());
        if needs_caller && blank(&self.caller) {
            errs.push("caller", ErrorCode::Required);
        }
        if needs_extension && blank(&self.extension) {
            errs.push("extension", ErrorCode::Required);
        }
        let at = self.at.unwrap_or(now);
        if at > now + Duration::minutes(5) || at < now - Duration::days(1) {
            errs.push("at", ErrorCode::OutOfRange);
        }
        match kind {
            Some(kind) if errs.is_empty() => Ok(CallEvent {
                kind,
                call_id: id.to_owned(),
                caller,
                extension,
                at: crate::time::truncate(at),
            }),
            _ => Err(errs),
        }
    }
}

/// What an event does to a call in `state` (`None`: the desk has not
/// heard of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A new call in this state.
    Open(CallState),
    /// The call moves to this state.
    Move(CallState),
    /// Already so (a resent event): nothing changes.
    Same,
}

/// Why an event does not fit the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallRefusal {
    /// `answered` or `ended` of a call the desk never heard ring.
    UnknownCall,
    /// The event comes after the call ended or was missed.
    Finished,
}

/// The pure decision of every event.
pub fn step(state: Option<CallState>, kind: CallEventKind) -> Result<Step, CallRefusal> {
    use CallEventKind as E;
    use CallState as S;
    match (state, kind) {
        (None, E::Ringing) => Ok(Step::Open(S::Ringing)),
        (None, E::Missed) => Ok(Step::Open(S::Missed)),
        (None, E::Answered | E::Ended) => Err(CallRefusal::UnknownCall),
        (Some(S::Ringing), E::Ringing)
        | (Some(S::Answered), E::Answered | E::Ringing)
        | (Some(S::Ended), E::Ended)
        | (Some(S::Missed), E::Missed | E::Ended) => Ok(Step::Same),
        (Some(S::Ringing), E::Answered) => Ok(Step::Move(S::Answered)),
        // Hung up before anyone answered: a missed call.
        (Some(S::Ringing), E::Ended | E::Missed) => Ok(Step::Move(S::Missed)),
        (Some(S::Answered), E::Ended) => Ok(Step::Move(S::Ended)),
        (Some(S::Answered), E::Missed) => Err(CallRefusal::Finished),
        (Some(S::Ended | S::Missed), _) => Err(CallRefusal::Finished),
    }
}

/// Seconds from the first ring to answering, as measures them.
pub fn ring_seconds(ringing_at: DateTime<Utc>, answered_at: DateTime<Utc>) -> i32 {
    let s = (answered_at - ringing_at).num_seconds().clamp(0, 3600);
    i32::try_from(s).unwrap_or(3600)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap() + Duration::seconds(s)
    }

    #[test]
    fn events_are_checked_field_by_field() {
        let now = at(0);
        let ok = CallEventRequest {
            event: "ringing".into(),
            call_id: "1732950000.42".into(),
            caller: Some("13800138000".into()),
            extension: Some("8001".into()),
            at: Some(at(-3)),
        }
        .parse(now)
        .unwrap();
        assert_eq!(ok.kind, CallEventKind::Ringing);
        assert_eq!(ok.extension.as_deref(), Some("8001"));
        let codes = |r: CallEventRequest| -> Vec<(String, ErrorCode)> {
            r.parse(now)
                .unwrap_err()
                .0
                .iter()
                .map(|e| (e.field.clone(), e.code))
                .collect()
        };
        assert_eq!(
            codes(CallEventRequest {
                event: "ringing".into(),
                call_id: "a b".into(),
                ..Default::default()
            }),
            [
                ("call_id".into(), ErrorCode::InvalidValue),
                ("caller".into(), ErrorCode::Required),
                ("extension".into(), ErrorCode::Required),
            ]
        );
        assert_eq!(
            codes(CallEventRequest {
                event: "hangup".into(),
                call_id: "x".into(),
                extension: Some("80a1".into()),
                at: Some(at(3600)),
                ..Default::default()
            }),
            [
                ("event".into(), ErrorCode::InvalidValue),
                ("extension".into(), ErrorCode::InvalidExtension),
                ("at".into(), ErrorCode::OutOfRange),
            ]
        );
    }

    #[test]
    fn each_event_moves_a_call_once_and_repeats_change_nothing() {
        use CallEventKind as E;
        use CallState as S;
        assert_eq!(step(None, E::Ringing), Ok(Step::Open(S::Ringing)));
        assert_eq!(
            step(Some(S::Ringing), E::Answered),
            Ok(Step::Move(S::Answered))
        );
        assert_eq!(step(Some(S::Answered), E::Answered), Ok(Step::Same));
        assert_eq!(step(Some(S::Answered), E::Ended), Ok(Step::Move(S::Ended)));
        assert_eq!(step(Some(S::Ringing), E::Ended), Ok(Step::Move(S::Missed)));
        assert_eq!(step(None, E::Answered), Err(CallRefusal::UnknownCall));
        assert_eq!(
            step(Some(S::Ended), E::Answered),
            Err(CallRefusal::Finished)
        );
        assert_eq!(step(None, E::Missed), Ok(Step::Open(S::Missed)));
        assert_eq!(step(Some(S::Missed), E::Ended), Ok(Step::Same));
    }

    #[test]
    fn ring_seconds_are_whole_seconds_from_the_first_ring() {
        assert_eq!(ring_seconds(at(0), at(12)), 12);
        assert_eq!(ring_seconds(at(5), at(0)), 0);
        assert_eq!(ring_seconds(at(0), at(99_999)), 3600);
    }
}

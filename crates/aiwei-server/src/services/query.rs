//! How list queries are read, the same for every list: blank parameters are
//! absent, local calendar days bound a period with both ends included, and
//! pages hold 1–500 rows.

use aiwei_core::time::local_day_start;
use aiwei_core::{ErrorCode, FieldErrors};
use chrono::{DateTime, Days, NaiveDate, Utc};

/// Rows of a page when the query names none, and the most it may name.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;

/// For `skip_serializing_if`: a parameter absent or blank.
pub fn opt_blank(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(|s| s.trim().is_empty())
}

/// A parameter's value, trimmed; blank counts as absent.
pub fn blank_to_none(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn day(field: &str, raw: &str, errs: &mut FieldErrors) -> Option<NaiveDate> {
    let d = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok();
    if d.is_none() {
        errs.push(field, ErrorCode::InvalidDate);
    }
    d
}

/// The instant local day `raw` (`YYYY-MM-DD`) begins: a period's start.
pub fn from_day(field: &str, raw: &str, errs: &mut FieldErrors) -> Option<DateTime<Utc>> {
    day(field, raw, errs).and_then(local_day_start)
}

/// The instant after local day `raw` ends: a period's end, the day
/// included.
pub fn to_day(field: &str, raw: &str, errs: &mut FieldErrors) -> Option<DateTime<Utc>> {
    day(field, raw, errs)
        .and_then(|d| d.checked_add_days(Days::new(1)))
        .and_then(local_day_start)
}

/// The page size asked for, or the default; out of range is refused.
pub fn limit(asked: Option<u32>, errs: &mut FieldErrors) -> u32 {
    let limit = asked.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        errs.push("limit", ErrorCode::OutOfRange);
    }
    limit
}

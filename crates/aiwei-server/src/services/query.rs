//! How list queries are read, the same for every list: blank parameters are
//! absent, local calendar days bound a period with both ends included, and
//! pages hold 1–500 rows.

use aiwei_core::time::local_day_start;
use aiwei_core::{ErrorCode, FieldErrors};
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};

/// Rows of a page when the query names none, and the most it may name.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;

/// For `skip_serializing_if`: a parameter absent or empty.
pub fn opt_blank(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(str::is_empty)
}

/// A parameter's value; empty (as a page's filter form sends an unset
/// field) counts as absent. Anything else is checked as sent, so the API
/// accepts exactly what its document states.
pub fn blank_to_none(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// A calendar day, `YYYY-MM-DD` exactly, years 1 to 9999.
pub fn day(field: &str, raw: &str, errs: &mut FieldErrors) -> Option<NaiveDate> {
    let shaped = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    let d = shaped
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
        .filter(|d| d.year() >= 1);
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
/// The text forms of a UUID a query accepts: hyphenated or simple.
pub const UUID_PATTERN: &str = "^([0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$";

/// A UUID of a query, in exactly the forms of [`UUID_PATTERN`] (the
/// parser would also take braces and `urn:uuid:`).
pub fn uuid(field: &str, raw: &str, errs: &mut FieldErrors) -> Option<uuid::Uuid> {
    match raw.parse::<uuid::Uuid>() {
        Ok(id) if raw.len() == 32 || raw.len() == 36 => Some(id),
        _ => {
            errs.push(field, ErrorCode::UnknownValue);
            None
        }
    }
}

/// A strict boolean of a query: exactly `true` or `false`.
pub fn boolean(field: &str, raw: &str, errs: &mut FieldErrors) -> Option<bool> {
    match raw {
        "true" => Some(true),
        "false" => Some(false),
        _ => {
            errs.push(field, ErrorCode::UnknownValue);
            None
        }
    }
}

/// A filter that only switches on (`schema::only_true`): `true` asks for
/// it; `false` would ask for its opposite, which is no filter offered, and
/// is refused like any other value.
pub fn only_true(field: &str, raw: &str, errs: &mut FieldErrors) -> bool {
    if raw == "true" {
        true
    } else {
        errs.push(field, ErrorCode::UnknownValue);
        false
    }
}

pub fn limit(asked: Option<u32>, errs: &mut FieldErrors) -> u32 {
    let limit = asked.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        errs.push("limit", ErrorCode::OutOfRange);
    }
    limit
}

/// The document's schemas of list parameters, from the same rules.
pub mod schema {
    use utoipa::openapi::schema::{AnyOfBuilder, Object, ObjectBuilder, SchemaFormat, Type};
    use utoipa::openapi::{KnownFormat, RefOr, Schema};

    use super::{DEFAULT_LIMIT, MAX_LIMIT};

    fn string() -> ObjectBuilder {
        ObjectBuilder::new().schema_type(Type::String)
    }

    /// A page size.
    pub fn limit() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(MAX_LIMIT))
            .default(Some(DEFAULT_LIMIT.into()))
            .build()
    }

    /// A day, or empty for none.
    pub fn day() -> RefOr<Schema> {
        AnyOfBuilder::new()
            .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))))
            .item(string().max_length(Some(0)))
            .into()
    }

    /// Empty, or a value matching `pattern` (which is anchored).
    pub fn or_empty(pattern: &str) -> Object {
        let inner = pattern.trim_start_matches('^').trim_end_matches('$');
        string().pattern(Some(format!("^({inner})?$"))).build()
    }

    /// The ledger's cursor, or empty.
    /// `true`, or empty for no filter.
    pub fn only_true() -> Object {
        string().enum_values(Some(["", "true"])).build()
    }

    /// `true`, `false`, or empty for no filter.
    pub fn boolean() -> Object {
        string().enum_values(Some(["", "true", "false"])).build()
    }

    /// A UUID, or empty for no filter.
    pub fn uuid() -> Object {
        or_empty(super::UUID_PATTERN)
    }

    pub fn cursor() -> Object {
        or_empty(aiwei_store::matters::CURSOR_PATTERN)
    }

    /// An audit action code or prefix (`login.`), or empty.
    pub fn audit_action() -> Object {
        string().pattern(Some("^[a-z0-9._]{0,64}$")).build()
    }

    /// A user name, or empty.
    pub fn username() -> Object {
        or_empty(&aiwei_core::schema::username_pattern())
    }

    /// An audit record number to page before, or empty.
    pub fn before() -> Object {
        or_empty("^[1-9][0-9]{0,17}$")
    }
}

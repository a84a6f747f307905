//! The audit trail (审计日志) for auditors and administrators, shared by the
//! API and the page: how its query parameters are read and what one page of
//! records looks like.

use aiwei_core::time::local_day_start;
use aiwei_core::{FieldErrors, Username};
use aiwei_store::trail::{AuditFilter, AuditRecord};
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::state::AppState;

/// Audit trail filters as query parameters. Dates are local (Asia/Shanghai)
/// calendar days, both ends included.
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// An action code (`login.failure`) or a prefix ending in `.` (`login.`).
    #[serde(default, skip_serializing_if = "opt_blank")]
    pub action: Option<String>,
    /// A user name: what they did, and failed logins that tried the name.
    #[serde(default, skip_serializing_if = "opt_blank")]
    pub actor: Option<String>,
    /// First day, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "opt_blank")]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "opt_blank")]
    pub to: Option<String>,
    /// `next` of the previous page: only records older than this one.
    #[serde(default, skip_serializing_if = "opt_blank")]
    pub before: Option<String>,
    /// Page size, 1–500 (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

fn opt_blank(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(|s| s.trim().is_empty())
}

fn blank_to_none(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn day(field: &'static str, raw: &str, errs: &mut FieldErrors) -> Option<NaiveDate> {
    let d = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok();
    if d.is_none() {
        errs.push(field, "invalid_date");
    }
    d
}

/// An action code or prefix: lower-case letters, digits, `.` and `_`.
fn valid_action(a: &str) -> bool {
    a.len() <= 64
        && a.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_')
}

impl AuditQuery {
    pub fn parse(&self) -> Result<(AuditFilter, Option<i64>, u32), ApiError> {
        let mut errs = FieldErrors::default();
        let mut f = AuditFilter::default();
        if let Some(a) = blank_to_none(&self.action) {
            if valid_action(a) {
                f.action = Some(a.to_owned());
            } else {
                errs.push("action", "invalid_value");
            }
        }
        if let Some(a) = blank_to_none(&self.actor) {
            match Username::parse(a) {
                Ok(u) => f.actor = Some(u.as_str().to_owned()),
                Err(e) => errs.push("actor", e.code),
            }
        }
        if let Some(d) = blank_to_none(&self.from) {
            f.from = day("from", d, &mut errs).and_then(local_day_start);
        }
        if let Some(d) = blank_to_none(&self.to) {
            f.to = day("to", d, &mut errs)
                .and_then(|d| d.checked_add_days(Days::new(1)))
                .and_then(local_day_start);
        }
        let before = match blank_to_none(&self.before) {
            Some(b) => match b.parse::<i64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    errs.push("before", "invalid_cursor");
                    None
                }
            },
            None => None,
        };
        let limit = self.limit.unwrap_or(50);
        if !(1..=500).contains(&limit) {
            errs.push("limit", "out_of_range");
        }
        if errs.is_empty() {
            Ok((f, before, limit))
        } else {
            Err(ApiError::invalid(errs))
        }
    }
}

/// One record of the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditItem {
    /// Position in the trail: 1, 2, 3 … without gaps.
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// The staff member's id; null for failed logins and the command line.
    pub actor: Option<uuid::Uuid>,
    /// User name at the time, or the name tried in a failed login.
    pub actor_name: Option<String>,
    /// Where the request came from.
    pub ip: Option<String>,
    /// Stable code such as `login.failure` or `user.create`.
    pub action: String,
    /// What was acted on: a user id, a department code, a version, a year.
    pub target: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// This record's link in the hash chain.
    pub hash: String,
}

impl From<AuditRecord> for AuditItem {
    fn from(r: AuditRecord) -> Self {
        Self {
            seq: r.seq,
            at: r.at,
            actor: r.actor.map(|a| a.0),
            actor_name: r.actor_name,
            ip: r.ip,
            action: r.action,
            target: r.target,
            detail: r.detail,
            hash: r.hash,
        }
    }
}

/// One page of the audit trail, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditItem>,
    /// Pass as `before` for the next page; null on the last page.
    pub next: Option<i64>,
}

/// Reads one page. The caller has checked the permission through its type.
pub async fn page(state: &AppState, q: &AuditQuery) -> Result<AuditPage, ApiError> {
    let (filter, before, limit) = q.parse()?;
    let (records, next) = state.store.audit_trail(&filter, before, limit).await?;
    Ok(AuditPage {
        items: records.into_iter().map(AuditItem::from).collect(),
        next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_and_name_bad_fields() {
        let q = AuditQuery {
            action: Some("login.".into()),
            actor: Some(" Admin ".into()),
            from: Some("2026-03-01".into()),
            to: Some("2026-03-01".into()),
            before: Some("42".into()),
            limit: None,
        };
        let (f, before, limit) = q.parse().unwrap();
        assert_eq!(f.action.as_deref(), Some("login."));
        assert_eq!(f.actor.as_deref(), Some("admin"));
        assert_eq!(f.from.unwrap().to_rfc3339(), "2026-02-28T16:00:00+00:00");
        assert_eq!(f.to.unwrap().to_rfc3339(), "2026-03-01T16:00:00+00:00");
        assert_eq!((before, limit), (Some(42), 50));

        let bad = AuditQuery {
            action: Some("login%".into()),
            from: Some("2026-13-01".into()),
            before: Some("x".into()),
            limit: Some(0),
            ..Default::default()
        };
        let e = bad.parse().unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["action", "from", "before", "limit"]);
    }
}

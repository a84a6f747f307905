//! The audit trail (审计日志) for auditors and administrators, shared by the
//! API and the page: how its query parameters are read and what one page of
//! records looks like.

use aiwei_core::{ErrorCode, FieldErrors, Username};
use aiwei_store::trail::AuditFilter;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::query::{self, blank_to_none, from_day, limit, opt_blank, to_day};
use crate::error::ApiError;
use crate::state::AppState;
use crate::views::{AuditItem, AuditPage};

/// Audit trail filters as query parameters. Dates are local (Asia/Shanghai)
/// calendar days, both ends included.
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// An action code (`login.failure`) or a prefix ending in `.` (`login.`).
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::audit_action)]
    pub action: Option<String>,
    /// A user name: what they did, and failed logins that tried the name.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::username)]
    pub actor: Option<String>,
    /// First day, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::day)]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::day)]
    pub to: Option<String>,
    /// `next` of the previous page: only records older than this one.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::before)]
    pub before: Option<String>,
    /// Page size (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(schema_with = query::schema::limit)]
    pub limit: Option<u32>,
}

/// An action code or prefix: lower-case letters, digits, `.` and `_`.
fn valid_action(a: &str) -> bool {
    a.len() <= 64
        && a.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_')
}

impl AuditQuery {
    /// The filter as a person typed it on the page, blanks trimmed.
    pub fn tidied(mut self) -> Self {
        for s in [
            &mut self.action,
            &mut self.actor,
            &mut self.from,
            &mut self.to,
            &mut self.before,
        ]
        .into_iter()
        .flatten()
        {
            *s = s.trim().to_owned();
        }
        self
    }

    pub fn parse(&self) -> Result<(AuditFilter, Option<i64>, u32), ApiError> {
        let mut errs = FieldErrors::default();
        let mut f = AuditFilter::default();
        if let Some(a) = blank_to_none(&self.action) {
            if valid_action(a) {
                f.action = Some(a.to_owned());
            } else {
                errs.push("action", ErrorCode::InvalidValue);
            }
        }
        if let Some(a) = blank_to_none(&self.actor) {
            match Username::parse(a) {
                Ok(u) => f.actor = Some(u.as_str().to_owned()),
                Err(e) => errs.push("actor", e.code),
            }
        }
        if let Some(d) = blank_to_none(&self.from) {
            f.from = from_day("from", d, &mut errs);
        }
        if let Some(d) = blank_to_none(&self.to) {
            f.to = to_day("to", d, &mut errs);
        }
        let before = match blank_to_none(&self.before) {
            Some(b) => match b.parse::<i64>() {
                Ok(n) if n > 0 && b.bytes().all(|c| c.is_ascii_digit()) => Some(n),
                _ => {
                    errs.push("before", ErrorCode::InvalidCursor);
                    None
                }
            },
            None => None,
        };
        let limit = limit(self.limit, &mut errs);
        if errs.is_empty() {
            Ok((f, before, limit))
        } else {
            Err(ApiError::invalid(errs))
        }
    }
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
            actor: Some("Admin".into()),
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

        let padded = AuditQuery {
            actor: Some(" admin ".into()),
            ..Default::default()
        };
        assert!(padded.parse().is_err(), "the API takes values as sent");
        assert!(
            padded.tidied().parse().is_ok(),
            "a page trims what was typed"
        );
    }
}

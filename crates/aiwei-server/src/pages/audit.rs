//! The auditor's page of the audit trail (审计日志): a filter form, a table
//! of records newest first, and a link to the next page.

use aiwei_core::time::local_second;
use aiwei_store::trail::ACTIONS;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use serde_json::Value;

use super::Layout;
use crate::auth::{Can, ReadAudit};
use crate::error::ApiError;
use crate::messages::{zh, zh_in};
use crate::state::AppState;
use crate::trail::{AuditItem, AuditQuery, page};

/// Groups of actions offered as prefixes in the filter: (prefix, message key).
const GROUPS: &[(&str, &str)] = &[
    ("login.", "audit.group.login"),
    ("user.", "audit.group.user"),
    ("calendar.", "audit.group.calendar"),
];

/// One row of the table, ready to show.
pub struct Row {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub ip: String,
    pub action: String,
    pub code: String,
    pub target: String,
    pub detail: String,
}

impl From<AuditItem> for Row {
    fn from(r: AuditItem) -> Self {
        let via_cli = r.detail.get("via").and_then(Value::as_str) == Some("cli");
        let actor = match r.actor_name {
            Some(n) => n,
            None if via_cli => zh("audit.via_cli").to_owned(),
            None => "—".to_owned(),
        };
        Self {
            seq: r.seq,
            at: local_second(r.at),
            actor,
            ip: r.ip.unwrap_or_else(|| "—".to_owned()),
            action: zh_in("audit", &r.action),
            target: r.target.unwrap_or_default(),
            detail: detail_text(&r.detail),
            code: r.action,
        }
    }
}

/// `key=value` pairs of a record's detail; failure reasons in Chinese.
fn detail_text(v: &Value) -> String {
    match v {
        Value::Object(m) => m
            .iter()
            .filter(|(k, _)| k.as_str() != "via")
            .map(|(k, v)| match (k.as_str(), v) {
                ("reason", Value::String(s)) => format!("{k}={}", zh_in("audit.reason", s)),
                _ => format!("{k}={}", scalar(v)),
            })
            .collect::<Vec<_>>()
            .join("，"),
        other => scalar(other),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(scalar).collect::<Vec<_>>().join("、"),
        Value::Null => "—".to_owned(),
        other => other.to_string(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
pub struct AuditTrailPage {
    layout: Layout,
    q: AuditQuery,
    rows: Vec<Row>,
    error: Option<String>,
    next_href: Option<String>,
    first_href: String,
    /// (value, label) of the action filter.
    actions: Vec<(&'static str, String)>,
}

fn href(q: &AuditQuery) -> String {
    match serde_urlencoded::to_string(q) {
        Ok(s) if !s.is_empty() => format!("/audit?{s}"),
        _ => "/audit".to_owned(),
    }
}

pub async fn trail(
    State(state): State<AppState>,
    can: Can<ReadAudit>,
    Query(q): Query<AuditQuery>,
) -> Result<AuditTrailPage, ApiError> {
    let (rows, next, error) = match page(&state, &q).await {
        Ok(p) => (p.items.into_iter().map(Row::from).collect(), p.next, None),
        Err(e) if !e.errors.is_empty() => (Vec::new(), None, Some(e.message())),
        Err(e) => return Err(e),
    };
    let next_href = next.map(|n| {
        href(&AuditQuery {
            before: Some(n.to_string()),
            ..q.clone()
        })
    });
    let first_href = href(&AuditQuery {
        before: None,
        ..q.clone()
    });
    let actions = GROUPS
        .iter()
        .map(|(prefix, key)| (*prefix, zh(key).to_owned()))
        .chain(ACTIONS.iter().map(|a| (*a, zh_in("audit", a))))
        .collect();
    Ok(AuditTrailPage {
        layout: Layout::new(&state, &can.staff, "/audit").await,
        q,
        rows,
        error,
        next_href,
        first_href,
        actions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_read_as_pairs_with_reasons_in_chinese() {
        let v = serde_json::json!({"reason": "wrong_password", "roles": ["intake", "admin"], "n": 2, "via": "cli"});
        assert_eq!(detail_text(&v), "n=2，reason=密码错误，roles=intake、admin");
    }

    #[test]
    fn every_action_has_chinese_text() {
        for a in ACTIONS {
            assert_ne!(zh_in("audit", a), *a, "{a}");
        }
        for (_, key) in GROUPS {
            assert_ne!(zh(key), *key);
        }
    }
}

//! The auditor's page of the audit trail (审计日志): a filter form, a table
//! of records newest first, and a link to the next page.

use aiwei_core::AuditAction;
use aiwei_core::kinds::LoginFailureReason;
use aiwei_core::time::local_second;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use serde_json::Value;

use super::Layout;
use crate::auth::{Can, ReadAudit};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::services::trail::{AuditQuery, page};
use crate::state::AppState;
use crate::views::AuditItem;

/// Groups of actions offered as prefixes in the filter: (prefix, label).
const GROUPS: &[(&str, &str)] = &[
    ("login.", "登录与登录失败（全部）"),
    ("user.", "用户管理（全部）"),
    ("calendar.", "工作日历（全部）"),
    ("token.", "API令牌（全部）"),
    ("disclosure.", "信息查阅申请（全部）"),
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
            None if via_cli => "（命令行）".to_owned(),
            None => "—".to_owned(),
        };
        Self {
            seq: r.seq,
            at: local_second(r.at),
            actor,
            ip: r.ip.unwrap_or_else(|| "—".to_owned()),
            action: r.action.label().to_owned(),
            target: r.target.unwrap_or_default(),
            detail: detail_text(&r.detail),
            code: r.action.as_str().to_owned(),
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
                ("reason", Value::String(s)) => format!(
                    "{k}={}",
                    LoginFailureReason::from_code(s).map_or(s.as_str(), |r| r.label())
                ),
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
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<AuditTrailPage, ApiError> {
    let q = q.tidied();
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
        .map(|(prefix, label)| (*prefix, (*label).to_owned()))
        .chain(
            AuditAction::ALL
                .iter()
                .map(|a| (a.as_str(), a.label().to_owned())),
        )
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
    fn every_group_names_actions() {
        for (prefix, _) in GROUPS {
            assert!(
                AuditAction::ALL
                    .iter()
                    .any(|a| a.as_str().starts_with(prefix))
            );
        }
    }
}

//! The auditor's page of the audit trail (审计日志): a filter form, a table
//! of records newest first, and a link to the next page.

use aiwei_core::kinds::LoginFailureReason;
use aiwei_core::time::{from_millis, local_second};
use aiwei_core::{AuditAction, DisclosedField, Role};
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

/// The Chinese name of a detail key; unknown keys are shown as they are.
fn key_label(k: &str) -> &str {
    match k {
        "expires_at" => "有效期至",
        "reason" => "原因",
        "sessions_ended" => "结束会话数",
        "username" => "用户名",
        "roles" => "角色",
        "roles_before" => "原角色",
        "departments" => "部门",
        "departments_before" => "原部门",
        "display_name" => "姓名",
        "display_name_before" => "原姓名",
        "name" => "名称",
        "previous_version" => "原版本",
        "body_sha256" | "data_sha256" => "内容摘要",
        "year" => "年份",
        "holidays" => "节假日天数",
        "makeup_days" => "调休上班天数",
        "label" => "用途",
        "token_id" => "令牌编号",
        "was_active" => "原为启用",
        "matter" | "matters" => "事项",
        "list" => "列表",
        "count" | "n" => "数量",
        "rows" => "行数",
        "in_clear" => "含明文来电人",
        "fields" => "查阅项目",
        "recipient" => "接收人",
        "purpose" => "用途",
        "days" => "天数",
        "filter" => "筛选条件",
        "texts_redacted" => "已脱敏文本数",
        "person" => "指定人员",
        "status" => "状态",
        "deadline" => "时限",
        "category" => "子类别",
        "lead" => "主办部门",
        "co" => "协办部门",
        "due_at" => "到期时间",
        "scan" => "扫描件",
        "extension" => "延期申请",
        other => other,
    }
}

/// `名称：值` pairs of a record's detail, in Chinese where the value is a
/// code the program knows, instants in local time.
fn detail_text(v: &Value) -> String {
    match v {
        Value::Object(m) => m
            .iter()
            .filter(|(k, _)| k.as_str() != "via")
            .map(|(k, v)| {
                let shown = match (k.as_str(), v) {
                    ("reason", Value::String(s)) => LoginFailureReason::from_code(s)
                        .map_or_else(|| s.clone(), |r| r.label().to_owned()),
                    ("roles" | "roles_before", Value::Array(a)) => {
                        labels(a, |s| Role::from_code(s).map(Role::label))
                    }
                    ("fields", Value::Array(a)) => labels(a, |s| {
                        DisclosedField::from_code(s).map(DisclosedField::label)
                    }),
                    // Stored joined, as in the disclosure's row.
                    ("fields", Value::String(s)) => {
                        let a: Vec<Value> = s.split(',').map(Value::from).collect();
                        labels(&a, |s| {
                            DisclosedField::from_code(s).map(DisclosedField::label)
                        })
                    }
                    // Instants stored as milliseconds (`expires_at` of a
                    // token) read like the others.
                    (k, Value::Number(n)) if k.ends_with("_at") => n
                        .as_i64()
                        .map_or_else(|| scalar(v), |ms| local_second(from_millis(ms))),
                    _ => scalar(v),
                };
                format!("{}：{shown}", key_label(k))
            })
            .collect::<Vec<_>>()
            .join("；"),
        other => scalar(other),
    }
}

/// The Chinese labels of a list of codes; a code the program does not know
/// is shown as it is.
fn labels(a: &[Value], label: impl Fn(&str) -> Option<&'static str>) -> String {
    a.iter()
        .map(|v| match v {
            Value::String(s) => label(s).map_or_else(|| s.clone(), str::to_owned),
            other => scalar(other),
        })
        .collect::<Vec<_>>()
        .join("、")
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => {
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
                local_second(t.with_timezone(&chrono::Utc))
            } else {
                s.clone()
            }
        }
        Value::Array(a) => a.iter().map(scalar).collect::<Vec<_>>().join("、"),
        Value::Bool(true) => "是".to_owned(),
        Value::Bool(false) => "否".to_owned(),
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
    fn details_read_as_pairs_in_chinese() {
        let v = serde_json::json!({"reason": "wrong_password", "roles": ["intake", "admin"], "n": 2, "via": "cli"});
        assert_eq!(
            detail_text(&v),
            "数量：2；原因：密码错误；角色：接听/接待人员、系统管理员"
        );
        // Instants in local time; a user name that happens to be a role's
        // code stays a name; joined field codes read as labels.
        let v = serde_json::json!({
            "expires_at": "2026-11-30T11:05:51.315075054+00:00",
            "username": "admin",
            "fields": "name,phone",
            "was_active": true,
        });
        assert_eq!(
            detail_text(&v),
            "有效期至：2026-11-30 19:05:51；查阅项目：姓名、联系电话；用户名：admin；原为启用：是"
        );
        let v = serde_json::json!({"expires_at": 1_796_594_713_877_i64, "n": 3});
        assert_eq!(detail_text(&v), "有效期至：2026-12-07 06:05:13；数量：3");
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

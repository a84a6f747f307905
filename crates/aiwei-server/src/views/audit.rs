//! A page of the audit trail (审计日志) as the API shows it.

use aiwei_core::AuditAction;
use aiwei_store::trail::AuditRecord;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

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
    /// What happened, such as `login.failure` or `user.create`.
    pub action: AuditAction,
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

//! An extension request (延期) as the API and the pages show it.

use aiwei_core::ExtensionStatus;
use aiwei_core::deadline::DeadlineKind;
use aiwei_store::extensions::Extension;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// One extension request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExtensionView {
    pub id: uuid::Uuid,
    pub number: String,
    pub deadline: DeadlineKind,
    pub requested_by: String,
    pub reason: String,
    pub old_due_at: DateTime<Utc>,
    pub new_due_at: DateTime<Utc>,
    pub state: ExtensionStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Extension> for ExtensionView {
    fn from(x: Extension) -> Self {
        Self {
            id: x.id,
            number: x.number,
            deadline: x.kind,
            requested_by: x.requested_by_name,
            reason: x.reason,
            old_due_at: x.old_due_at,
            new_due_at: x.new_due_at,
            state: x.state,
            decided_by: x.decided_by_name,
            decided_at: x.decided_at,
            decision_note: x.decision_note,
            created_at: x.created_at,
        }
    }
}

impl ExtensionView {
    pub fn deadline_zh(&self) -> &'static str {
        self.deadline.label()
    }
    pub fn old_local(&self) -> String {
        aiwei_core::time::local_minute(self.old_due_at)
    }
    pub fn new_local(&self) -> String {
        aiwei_core::time::local_minute(self.new_due_at)
    }
    pub fn state_zh(&self) -> &'static str {
        self.state.label()
    }
}

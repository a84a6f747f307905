//! What waits for whom: work queues, the supervision board and
//! notifications, as the API and the pages show them.

use aiwei_core::access::Queue;
use aiwei_core::deadline::DeadlineKind;
use aiwei_core::{ClockState, NotificationKind};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::MatterView;

/// One queue of the viewer's work.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueView {
    pub code: Queue,
    pub name: String,
    /// How many matters wait in the queue.
    pub count: i64,
    /// The longest-waiting ones (at most 20).
    pub items: Vec<MatterView>,
}

/// A clock on the supervision board.
#[derive(Debug, Serialize, ToSchema)]
pub struct LateView {
    pub number: String,
    pub kind: DeadlineKind,
    pub kind_name: String,
    /// `overdue` or `due_soon`.
    pub state: ClockState,
    pub due_at: DateTime<Utc>,
    /// Minutes past due (negative: minutes left).
    pub overdue_minutes: i64,
    /// The start of the matter's content (empty for a sensitive matter).
    pub summary: String,
    pub sensitive: bool,
    /// The lead department's name, whoever's clock it is.
    pub lead_department: Option<String>,
    /// Who signed for it.
    pub handler: Option<String>,
    /// The viewer may urge the department on now (催办).
    pub may_urge: bool,
}

impl LateView {
    /// `3天4小时` past due, or `剩余 40分钟`.
    pub fn overdue_text(&self) -> String {
        aiwei_core::deadline::left_text(self.overdue_minutes)
    }

    pub fn due_local(&self) -> String {
        aiwei_core::time::local_due(self.due_at)
    }
}

/// Overdue and due-soon clocks of all departments together.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct BoardTotals {
    pub overdue: usize,
    pub due_soon: usize,
}

/// The late clocks of one department (or of the intake desk).
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardGroup {
    /// Department code; null for the intake desk's clocks.
    pub department: Option<String>,
    pub name: String,
    pub overdue: usize,
    pub due_soon: usize,
    pub items: Vec<LateView>,
}

/// One notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: uuid::Uuid,
    pub kind: NotificationKind,
    /// What happened, which matter and deadline, and what to do.
    pub text: String,
    pub number: Option<String>,
    /// The deadline a deadline notification is about.
    pub deadline: Option<DeadlineKind>,
    pub due_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

impl From<aiwei_store::work::Notification> for NotificationView {
    fn from(n: aiwei_store::work::Notification) -> Self {
        let mut text = n.kind.label().to_owned();
        if let Some(num) = &n.number {
            text = format!("{num}：{text}");
        }
        if let Some((k, due)) = n.clock {
            text.push_str(&format!(
                "。{}（{}到期），{}",
                k.label(),
                aiwei_core::time::local_due(due),
                k.todo()
            ));
        }
        Self {
            id: n.id,
            text,
            kind: n.kind,
            number: n.number,
            deadline: n.clock.map(|(k, _)| k),
            due_at: n.clock.map(|(_, d)| d),
            created_at: n.created_at,
            read: n.read,
        }
    }
}

impl NotificationView {
    pub fn created_local(&self) -> String {
        aiwei_core::time::local_minute(self.created_at)
    }
}

/// A page of notifications.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPage {
    /// Unread notifications in all.
    pub unread: i64,
    /// How many the filters hold, on all pages.
    pub total: i64,
    pub items: Vec<NotificationView>,
    /// Cursor of the next (older) page; null on the last.
    pub next: Option<String>,
}

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
}

impl LateView {
    /// `3天4小时` past due, or `剩余 40分钟`.
    pub fn overdue_text(&self) -> String {
        let m = self.overdue_minutes.abs();
        let text = match (m / 1440, (m % 1440) / 60, m % 60) {
            (0, 0, min) => format!("{min}分钟"),
            (0, h, min) => format!("{h}小时{min}分钟"),
            (d, h, _) => format!("{d}天{h}小时"),
        };
        if self.overdue_minutes >= 0 {
            format!("超时 {text}")
        } else {
            format!("剩余 {text}")
        }
    }

    pub fn due_local(&self) -> String {
        aiwei_core::time::local_minute(self.due_at)
    }
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
    pub text: String,
    pub number: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

impl NotificationView {
    pub fn created_local(&self) -> String {
        aiwei_core::time::local_minute(self.created_at)
    }
}

//! "My work", the supervision board and notifications, shared by the API
//! and the pages.

use aiwei_store::users::User;
use aiwei_store::work::Queue;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::messages::zh;
use crate::state::AppState;
use crate::views::MatterView;

/// One queue of the viewer's work.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueView {
    /// Stable code, e.g. `to_sign`.
    pub code: String,
    pub name: String,
    /// How many matters wait in the queue.
    pub count: i64,
    /// The longest-waiting ones (at most 20).
    pub items: Vec<MatterView>,
}

pub async fn queues(
    state: &AppState,
    staff: &crate::auth::Staff,
) -> Result<Vec<QueueView>, ApiError> {
    let user = &staff.user;
    let mut out = Vec::new();
    for q in Queue::for_user(user) {
        let (items, count) = state.store.queue(q, user, 20, state.clock.now()).await?;
        out.push(QueueView {
            code: q.code().to_owned(),
            name: crate::messages::zh_in("queue", q.code()),
            count,
            items: items
                .into_iter()
                .map(|m| MatterView::new(m, user, None))
                .collect(),
        });
    }
    let shown = out.iter().map(|q| q.items.len()).sum();
    crate::confidential::record_list_view(state, staff, "work", shown).await?;
    Ok(out)
}

/// A clock on the supervision board.
#[derive(Debug, Serialize, ToSchema)]
pub struct LateView {
    pub number: String,
    pub kind: String,
    pub kind_name: String,
    /// `overdue` or `due_soon`.
    pub state: String,
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

pub async fn board(state: &AppState) -> Result<Vec<BoardGroup>, ApiError> {
    let now = state.clock.now();
    let mut groups: Vec<BoardGroup> = Vec::new();
    for c in state.store.late_clocks(2000).await? {
        let key = c.department.clone();
        let view = LateView {
            kind_name: zh(&c.kind).to_owned(),
            overdue_minutes: (now - c.due_at).num_minutes(),
            number: c.number,
            kind: c.kind,
            state: c.state,
            due_at: c.due_at,
        };
        match groups.iter_mut().find(|g| g.department == key) {
            Some(g) => g.items.push(view),
            None => groups.push(BoardGroup {
                name: c
                    .department_name
                    .unwrap_or_else(|| "受理台（接听/接待）".to_owned()),
                department: key,
                overdue: 0,
                due_soon: 0,
                items: vec![view],
            }),
        }
    }
    for g in &mut groups {
        g.overdue = g.items.iter().filter(|i| i.state == "overdue").count();
        g.due_soon = g.items.len() - g.overdue;
    }
    // Departments with the most overdue work first.
    groups.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.name.cmp(&b.name)));
    Ok(groups)
}

/// One notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: uuid::Uuid,
    pub kind: String,
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

pub async fn notifications(
    state: &AppState,
    user: &User,
) -> Result<Vec<NotificationView>, ApiError> {
    Ok(state
        .store
        .notifications(user.id, 200)
        .await?
        .into_iter()
        .map(|n| NotificationView {
            id: n.id,
            text: crate::messages::zh_in("notify", &n.kind),
            kind: n.kind,
            number: n.number,
            created_at: n.created_at,
            read: n.read,
        })
        .collect())
}

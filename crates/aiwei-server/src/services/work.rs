//! "My work", the supervision board and notifications, shared by the API
//! and the pages.

use aiwei_core::ClockState;
use aiwei_core::access::Queue;
use aiwei_store::users::User;

use crate::auth::Staff;
use crate::error::ApiError;
use crate::state::AppState;
use crate::views::{BoardGroup, LateView, MatterView, NotificationView, QueueView};

/// The viewer's queues, each with its longest-waiting matters.
pub async fn queues(state: &AppState, staff: &Staff) -> Result<Vec<QueueView>, ApiError> {
    let user = &staff.user;
    let actor = user.actor();
    let mut out = Vec::new();
    for q in Queue::for_actor(&actor) {
        let (items, count) = state.store.queue(q, user, 20, state.clock.now()).await?;
        out.push(QueueView {
            code: q,
            name: q.label().to_owned(),
            count,
            items: items
                .into_iter()
                .map(|m| MatterView::listed(m, &actor))
                .collect(),
        });
    }
    let items: Vec<&MatterView> = out.iter().flat_map(|q| q.items.iter()).collect();
    crate::services::confidential::record_list_view(state, staff, "work", &items).await?;
    Ok(out)
}

/// The late clocks, grouped by the department whose work they time.
pub async fn board(state: &AppState) -> Result<Vec<BoardGroup>, ApiError> {
    let now = state.clock.now();
    let mut groups: Vec<BoardGroup> = Vec::new();
    for c in state.store.late_clocks(2000).await? {
        let key = c.department.clone();
        let view = LateView {
            kind_name: c.kind.label().to_owned(),
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
        g.overdue = g
            .items
            .iter()
            .filter(|i| i.state == ClockState::Overdue)
            .count();
        g.due_soon = g.items.len() - g.overdue;
    }
    // Departments with the most overdue work first.
    groups.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.name.cmp(&b.name)));
    Ok(groups)
}

/// The user's notifications, newest first.
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
            text: n.kind.label().to_owned(),
            kind: n.kind,
            number: n.number,
            created_at: n.created_at,
            read: n.read,
        })
        .collect())
}

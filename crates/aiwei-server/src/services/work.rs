//! "My work", the supervision board and notifications, shared by the API
//! and the pages.

use aiwei_core::access::Queue;
use aiwei_core::{ClockState, EventKind, MatterId, MatterStatus};
use aiwei_core::{FieldErrors, NotificationKind};
use aiwei_store::users::User;
use aiwei_store::work::{NotificationCursor, NotificationFilter};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::query::{self, blank_to_none, opt_blank};

use crate::auth::Staff;
use crate::error::ApiError;
use crate::state::AppState;
use crate::views::{
    BoardGroup, BoardTotals, LateView, MatterView, NotificationPage, NotificationView, QueueView,
    ReturnNote,
};

/// The viewer's queues, each with its most urgent matters; a matter
/// returned to the desk carries its latest return's reason.
pub async fn queues(state: &AppState, staff: &Staff) -> Result<Vec<QueueView>, ApiError> {
    let user = &staff.user;
    let actor = user.actor();
    let now = state.clock.now();
    let mut out = Vec::new();
    for q in Queue::for_actor(&actor) {
        let (items, count) = state.store.queue(q, user, 20, now).await?;
        let mut views = Vec::with_capacity(items.len());
        for m in items {
            let returned = m.return_count > 0 && m.status == MatterStatus::Received;
            let id = m.id;
            let mut v = MatterView::listed(m, &actor, now);
            if returned {
                v.last_return = last_return(state, id).await?;
            }
            views.push(v);
        }
        out.push(QueueView {
            code: q,
            name: q.label().to_owned(),
            count,
            items: views,
        });
    }
    let items: Vec<&MatterView> = out.iter().flat_map(|q| q.items.iter()).collect();
    crate::services::confidential::record_list_view(state, staff, "work", &items).await?;
    Ok(out)
}

/// The latest `returned` event of a matter, with its reason.
async fn last_return(state: &AppState, id: MatterId) -> Result<Option<ReturnNote>, ApiError> {
    Ok(state
        .store
        .events(id)
        .await?
        .into_iter()
        .rev()
        .find(|e| e.kind == EventKind::Returned)
        .map(|e| ReturnNote {
            at: e.at,
            by: e.actor_name.unwrap_or_default(),
            reason: e
                .texts
                .into_iter()
                .find(|(f, _)| f == "reason")
                .map(|(_, t)| t)
                .unwrap_or_default(),
        }))
}

/// The late clocks, grouped by the department whose work they time, as
/// `viewer` may act on them.
pub async fn board(state: &AppState, viewer: &User) -> Result<Vec<BoardGroup>, ApiError> {
    let now = state.clock.now();
    let actor = viewer.actor();
    let mut groups: Vec<BoardGroup> = Vec::new();
    for c in state.store.late_clocks(2000).await? {
        let key = c.department.clone();
        let view = LateView {
            kind_name: c.kind.label().to_owned(),
            overdue_minutes: (now - c.due_at).num_minutes(),
            may_urge: aiwei_core::flow::may(&c.flow, &actor, aiwei_core::flow::ActionKind::Urge),
            number: c.number,
            kind: c.kind,
            state: c.state,
            due_at: c.due_at,
            summary: c.summary,
            sensitive: c.sensitive,
            lead_department: c.lead_name,
            handler: c.handler,
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

/// The board's totals over all departments.
pub fn totals(groups: &[BoardGroup]) -> BoardTotals {
    BoardTotals {
        overdue: groups.iter().map(|g| g.overdue).sum(),
        due_soon: groups.iter().map(|g| g.due_soon).sum(),
    }
}

/// Which notifications a list shows, as query parameters.
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// A notification kind, or empty for all.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = NotificationKind::filter_schema)]
    pub kind: Option<String>,
    /// `true`: unread ones only.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::boolean)]
    pub unread: Option<String>,
    /// `next` of the previous page.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::cursor)]
    pub cursor: Option<String>,
    /// Page size (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(schema_with = query::schema::limit)]
    pub limit: Option<u32>,
}

/// A page of the user's notifications, newest first.
pub async fn notifications(
    state: &AppState,
    user: &User,
    q: &NotificationQuery,
) -> Result<NotificationPage, ApiError> {
    let mut errs = FieldErrors::default();
    let filter = NotificationFilter {
        kind: blank_to_none(&q.kind).and_then(|k| errs.take(NotificationKind::parse(k))),
        unread_only: blank_to_none(&q.unread)
            .and_then(|u| query::boolean("unread", u, &mut errs))
            .unwrap_or(false),
    };
    let cursor = blank_to_none(&q.cursor).and_then(|c| errs.take(c.parse::<NotificationCursor>()));
    let limit = query::limit(q.limit, &mut errs);
    if !errs.is_empty() {
        return Err(ApiError::invalid(errs));
    }
    let (items, next) = state
        .store
        .notifications(user.id, filter, cursor, limit)
        .await?;
    Ok(NotificationPage {
        unread: state.store.unread_count(user.id).await?,
        total: state.store.notification_count(user.id, filter).await?,
        items: items.into_iter().map(NotificationView::from).collect(),
        next: next.map(|c| c.to_string()),
    })
}

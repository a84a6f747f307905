//! Work queues ("my work"), the supervision board and in-app
//! notifications: what each person has to do now.

use aiwei_core::access::{self, Cond, Queue};
use aiwei_core::deadline::{ClockOwner, DeadlineKind};
use aiwei_core::time::{from_millis, to_millis};
use aiwei_core::{ClockState, EventKind, MatterId, NotificationKind, Role, UserId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::Store;
use crate::db::Tx;
use crate::error::StoreError;
use crate::matters::{MATTER_SELECT, Matter, MatterRow};
use crate::users::User;

/// An open clock past its warning or due time, for the supervision board.
#[derive(Debug, Clone, PartialEq)]
pub struct LateClock {
    pub matter: MatterId,
    pub number: String,
    pub kind: DeadlineKind,
    pub state: ClockState,
    pub due_at: DateTime<Utc>,
    /// The lead department for its clocks, or `None` for the intake desk's
    /// and the leading group's.
    pub department: Option<String>,
    pub department_name: Option<String>,
}

#[derive(sqlx::FromRow)]
struct LateRow {
    matter_id: Uuid,
    number: String,
    kind: String,
    state: String,
    due_at: i64,
    lead_department: Option<String>,
    department_name: Option<String>,
}

/// One in-app notification.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: Uuid,
    pub matter: Option<MatterId>,
    pub number: Option<String>,
    pub kind: NotificationKind,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: Uuid,
    matter_id: Option<Uuid>,
    number: Option<String>,
    kind: String,
    created_at: i64,
    read_at: Option<i64>,
}

impl Store {
    /// The oldest `limit` matters of queue `q` for `user`, and the queue's
    /// size. Which matters are in it is the core's answer
    /// ([`Queue::condition`]), within what the user may see
    /// ([`access::visibility`]): a sensitive matter is not counted for
    /// whoever may not see it.
    pub async fn queue(
        &self,
        q: Queue,
        user: &User,
        limit: i64,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Matter>, i64), StoreError> {
        let actor = user.actor();
        let cond = Cond::all(vec![
            q.condition(&actor),
            access::visibility(&actor, to_millis(now)),
        ]);
        let (count, rows): (i64, Vec<MatterRow>) = on_pool!(&self.db, p => {
            let build = |select: &'static str| {
                let mut q = sqlx::QueryBuilder::new(select);
                q.push(" WHERE 1=1");
                crate::scope::push_and(&mut q, &cond);
                q
            };
            async {
                let count: i64 = build("SELECT COUNT(*) FROM matters m")
                    .build_query_scalar()
                    .fetch_one(p)
                    .await?;
                let mut list = build(MATTER_SELECT);
                list.push(" ORDER BY m.updated_at, m.id LIMIT ")
                    .push_bind(limit.clamp(1, 500));
                let rows = list.build_query_as::<MatterRow>().fetch_all(p).await?;
                Ok::<_, sqlx::Error>((count, rows))
            }
            .await
        })?;
        let matters = rows
            .into_iter()
            .map(|r| self.open_matter(r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((matters, count))
    }

    /// Open clocks that are overdue or due soon, most overdue first.
    pub async fn late_clocks(&self, limit: i64) -> Result<Vec<LateClock>, StoreError> {
        let rows = on_pool!(&self.db, p => sqlx::query_as::<_, LateRow>(
            "SELECT d.matter_id, m.number, d.kind, d.state, d.due_at, m.lead_department,
                    dep.name AS department_name
             FROM deadlines d JOIN matters m ON m.id = d.matter_id
             LEFT JOIN departments dep ON dep.code = m.lead_department
             WHERE d.ended_at IS NULL AND d.state IN ($1, $2)
             ORDER BY d.due_at LIMIT $3")
            .bind(ClockState::DueSoon.as_str())
            .bind(ClockState::Overdue.as_str())
            .bind(limit)
            .fetch_all(p)
            .await)?;
        let corrupt = |what: &str| StoreError::Corrupt(format!("deadline {what}"));
        rows.into_iter()
            .map(|r| {
                let kind = DeadlineKind::from_code(&r.kind).ok_or_else(|| corrupt("kind"))?;
                let dept_clock = kind.owner() == ClockOwner::LeadDepartment;
                Ok(LateClock {
                    matter: MatterId(r.matter_id),
                    number: r.number,
                    kind,
                    state: ClockState::from_code(&r.state).ok_or_else(|| corrupt("state"))?,
                    due_at: from_millis(r.due_at),
                    department: if dept_clock { r.lead_department } else { None },
                    department_name: if dept_clock { r.department_name } else { None },
                })
            })
            .collect()
    }

    /// How often each department returned a matter (退回), most first: the
    /// measure of R-1.3 "不推诿". Read from the `returned` events.
    pub async fn returns_by_department(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        let payloads: Vec<String> = on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT payload FROM matter_events WHERE kind = $1")
            .bind(EventKind::Returned.as_str())
            .fetch_all(p)
            .await)?;
        let mut counts: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
        for text in payloads {
            let v: serde_json::Value = serde_json::from_str(&text)
                .map_err(|_| StoreError::Corrupt("event payload".into()))?;
            if let Some(d) = v["department"].as_str() {
                *counts.entry(d.to_owned()).or_default() += 1;
            }
        }
        let names = self.list_departments().await?;
        let mut out: Vec<(String, String, i64)> = counts
            .into_iter()
            .map(|(code, n)| {
                let name = names
                    .iter()
                    .find(|d| d.code == code)
                    .map(|d| d.name.clone())
                    .unwrap_or_else(|| code.clone());
                (code, name, n)
            })
            .collect();
        out.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        Ok(out)
    }

    pub async fn notifications(
        &self,
        user: UserId,
        limit: i64,
    ) -> Result<Vec<Notification>, StoreError> {
        let rows = on_pool!(&self.db, p => sqlx::query_as::<_, NotificationRow>(
            "SELECT n.id, n.matter_id, m.number, n.kind, n.created_at, n.read_at
             FROM notifications n LEFT JOIN matters m ON m.id = n.matter_id
             WHERE n.user_id = $1 ORDER BY n.created_at DESC, n.id DESC LIMIT $2")
            .bind(user.0)
            .bind(limit)
            .fetch_all(p)
            .await)?;
        rows.into_iter()
            .map(|r| {
                Ok(Notification {
                    id: r.id,
                    matter: r.matter_id.map(MatterId),
                    number: r.number,
                    kind: NotificationKind::from_code(&r.kind)
                        .ok_or_else(|| StoreError::Corrupt("notification kind".into()))?,
                    created_at: from_millis(r.created_at),
                    read: r.read_at.is_some(),
                })
            })
            .collect()
    }

    pub async fn unread_count(&self, user: UserId) -> Result<i64, StoreError> {
        Ok(on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
            .bind(user.0)
            .fetch_one(p)
            .await)?)
    }

    /// Marks all of `user`'s notifications read; returns how many.
    pub async fn mark_read(&self, user: UserId, now: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(on_pool!(&self.db, p => sqlx::query(
            "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
            .bind(to_millis(now))
            .bind(user.0)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?)
    }

    /// Tells the staff of `departments` that a matter needs them (dispatch,
    /// coordination, redo): R-3.3 "第一时间通知相关责任部门". A sensitive
    /// matter is announced to the departments' leads only: the others may
    /// not see it.
    pub(crate) async fn notify_departments(
        tx: &mut Tx,
        matter: MatterId,
        departments: &[String],
        kind: NotificationKind,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for d in departments {
            let users: Vec<Uuid> = on_tx!(&mut *tx, c => sqlx::query_scalar(
                "SELECT ud.user_id FROM user_departments ud JOIN users u ON u.id = ud.user_id
                 WHERE ud.department_code = $1 AND u.active
                   AND ((SELECT sensitive FROM matters WHERE id = $2) = FALSE
                        OR EXISTS (SELECT 1 FROM user_roles r
                                   WHERE r.user_id = u.id AND r.role = $3))")
                .bind(d)
                .bind(matter.0)
                .bind(Role::DeptLead.as_str())
                .fetch_all(c)
                .await)?;
            notify_users(tx, matter, &users, kind, now).await?;
        }
        Ok(())
    }
}

/// One notification of `kind` about `matter` for each of `users`, in `tx`.
pub(crate) async fn notify_users(
    tx: &mut Tx,
    matter: MatterId,
    users: &[Uuid],
    kind: NotificationKind,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for u in users {
        on_tx!(&mut *tx, c => sqlx::query(
            "INSERT INTO notifications (id, user_id, matter_id, kind, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(Uuid::now_v7())
            .bind(*u)
            .bind(matter.0)
            .bind(kind.as_str())
            .bind(to_millis(now))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// The active accounts holding `role`.
pub(crate) async fn holders_of(tx: &mut Tx, role: Role) -> Result<Vec<Uuid>, StoreError> {
    Ok(on_tx!(tx, c => sqlx::query_scalar(
        "SELECT r.user_id FROM user_roles r JOIN users u ON u.id = r.user_id WHERE r.role = $1 AND u.active")
        .bind(role.as_str())
        .fetch_all(c)
        .await)?)
}

//! Work queues ("my work"), the supervision board and in-app
//! notifications: what each person has to do now.

use aiwei_core::time::{from_millis, to_millis};
use aiwei_core::{MatterId, MatterStatus, MatterType, Role, UserId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::Store;
use crate::error::StoreError;
use crate::matters::{MATTER_SELECT, Matter, MatterRow};
use crate::users::User;

/// A queue of matters waiting for one kind of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Intake: complaints and other matters to dispatch, suggestions to
    /// submit, consultations to answer.
    ToDispatch,
    /// Intake: completed matters whose caller must be told.
    ToFeedBack,
    /// Intake: fed-back complaints to revisit.
    ToRevisit,
    /// Intake: coordinated consultations and decided suggestions to answer.
    ToReply,
    /// Department: dispatched to us, to sign for.
    ToSign,
    /// Department: signed, to arrive on site.
    ToVisit,
    /// Department: on site or rectifying.
    Rectifying,
    /// Department: our input is asked for, or an `other` matter to handle.
    ToAdvise,
    /// Leading group: suggestions to evaluate.
    ToEvaluate,
    /// Leading group: adopted suggestions being implemented.
    Implementing,
}

impl Queue {
    pub fn code(self) -> &'static str {
        match self {
            Queue::ToDispatch => "to_dispatch",
            Queue::ToFeedBack => "to_feed_back",
            Queue::ToRevisit => "to_revisit",
            Queue::ToReply => "to_reply",
            Queue::ToSign => "to_sign",
            Queue::ToVisit => "to_visit",
            Queue::Rectifying => "rectifying",
            Queue::ToAdvise => "to_advise",
            Queue::ToEvaluate => "to_evaluate",
            Queue::Implementing => "implementing",
        }
    }

    /// The queues of a user's roles, in the order a person works them.
    pub fn for_user(user: &User) -> Vec<Queue> {
        let mut q = Vec::new();
        if user.has(Role::Intake) {
            q.extend([
                Queue::ToDispatch,
                Queue::ToFeedBack,
                Queue::ToRevisit,
                Queue::ToReply,
            ]);
        }
        if user.has(Role::Handler) || user.has(Role::DeptLead) {
            q.extend([
                Queue::ToSign,
                Queue::ToVisit,
                Queue::Rectifying,
                Queue::ToAdvise,
            ]);
        }
        if user.has(Role::LeadingGroup) {
            q.extend([Queue::ToEvaluate, Queue::Implementing]);
        }
        q
    }

    /// (statuses, types or empty for all, whether restricted to the user's
    /// departments as lead, as co-department).
    fn filter(self) -> (&'static [MatterStatus], &'static [MatterType], Dept) {
        use MatterStatus as S;
        use MatterType as T;
        match self {
            Queue::ToDispatch => (
                &[S::Received],
                &[T::Complaint, T::Other, T::Suggestion, T::Consultation],
                Dept::Any,
            ),
            Queue::ToFeedBack => (&[S::Completed], &[], Dept::Any),
            Queue::ToRevisit => (&[S::FedBack], &[], Dept::Any),
            Queue::ToReply => (&[S::Coordinating, S::Decided], &[], Dept::Any),
            Queue::ToSign => (&[S::Dispatched], &[], Dept::Lead),
            Queue::ToVisit => (&[S::Signed], &[], Dept::Lead),
            Queue::Rectifying => (&[S::OnSite, S::Rectifying], &[], Dept::LeadOrCo),
            Queue::ToAdvise => (&[S::Coordinating, S::Handling], &[], Dept::LeadOrCo),
            Queue::ToEvaluate => (&[S::Evaluating], &[], Dept::Any),
            Queue::Implementing => (&[S::Implementing], &[], Dept::Any),
        }
    }
}

#[derive(Clone, Copy)]
enum Dept {
    Any,
    Lead,
    LeadOrCo,
}

/// An open clock past its warning or due time, for the supervision board.
#[derive(Debug, Clone, PartialEq)]
pub struct LateClock {
    pub matter: MatterId,
    pub number: String,
    pub kind: String,
    pub state: String,
    pub due_at: DateTime<Utc>,
    /// The lead department, or `None` for the intake desk's clocks.
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
    pub kind: String,
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
    /// The oldest `limit` matters of a queue for `user`, and the queue's
    /// size.
    pub async fn queue(
        &self,
        q: Queue,
        user: &User,
        limit: i64,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Matter>, i64), StoreError> {
        let (statuses, types, dept) = q.filter();
        let depts = user.departments.clone();
        // The queue's own filter, then the same visibility rule as the
        // ledger: a sensitive matter is not counted for whoever may not see
        // it.
        let scope = crate::matters::Scope::for_user(user, now);
        let (count, rows): (i64, Vec<MatterRow>) = on_pool!(&self.db, p => {
            let build = |select: &'static str| {
                let mut q = sqlx::QueryBuilder::new(select);
                q.push(" WHERE m.status IN (");
                let mut sep = q.separated(", ");
                for st in statuses {
                    sep.push_bind(st.as_str());
                }
                sep.push_unseparated(")");
                if !types.is_empty() {
                    q.push(" AND m.matter_type IN (");
                    let mut sep = q.separated(", ");
                    for t in types {
                        sep.push_bind(t.as_str());
                    }
                    sep.push_unseparated(")");
                }
                let lead_or_co = match dept {
                    Dept::Any => None,
                    _ if depts.is_empty() => {
                        q.push(" AND 1=0");
                        None
                    }
                    Dept::Lead => Some(false),
                    Dept::LeadOrCo => Some(true),
                };
                if let Some(co) = lead_or_co {
                    q.push(" AND (m.lead_department IN (");
                    let mut sep = q.separated(", ");
                    for d in &depts {
                        sep.push_bind(d.clone());
                    }
                    sep.push_unseparated(")");
                    if co {
                        q.push(" OR EXISTS (SELECT 1 FROM matter_departments md
                           WHERE md.matter_id = m.id AND md.department_code IN (");
                        let mut sep = q.separated(", ");
                        for d in &depts {
                            sep.push_bind(d.clone());
                        }
                        sep.push_unseparated(")");
                        q.push(")");
                    }
                    q.push(")");
                }
                push_scope!(q, &scope);
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
             WHERE d.ended_at IS NULL AND d.state IN ('due_soon', 'overdue')
             ORDER BY d.due_at LIMIT $1")
            .bind(limit)
            .fetch_all(p)
            .await)?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let dept_clock = matches!(
                    r.kind.as_str(),
                    "sign_due" | "on_site_due" | "rectify_due" | "progress_due"
                );
                LateClock {
                    matter: MatterId(r.matter_id),
                    number: r.number,
                    kind: r.kind,
                    state: r.state,
                    due_at: from_millis(r.due_at),
                    department: if dept_clock { r.lead_department } else { None },
                    department_name: if dept_clock { r.department_name } else { None },
                }
            })
            .collect())
    }

    /// How often each department returned a matter (退回), most first: the
    /// measure of R-1.3 "不推诿". Read from the `returned` events.
    pub async fn returns_by_department(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        let payloads: Vec<String> = on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT payload FROM matter_events WHERE kind = 'returned'")
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
        Ok(rows
            .into_iter()
            .map(|r| Notification {
                id: r.id,
                matter: r.matter_id.map(MatterId),
                number: r.number,
                kind: r.kind,
                created_at: from_millis(r.created_at),
                read: r.read_at.is_some(),
            })
            .collect())
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
    /// coordination, redo): R-3.3 "第一时间通知相关责任部门".
    pub(crate) async fn notify_departments(
        tx: &mut crate::db::Tx,
        matter: MatterId,
        departments: &[String],
        kind: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for d in departments {
            // A sensitive matter is announced to the department's leads
            // only: the others may not see it.
            let users: Vec<Uuid> = on_tx!(&mut *tx, c => sqlx::query_scalar(
                "SELECT ud.user_id FROM user_departments ud JOIN users u ON u.id = ud.user_id
                 WHERE ud.department_code = $1 AND u.active
                   AND ((SELECT sensitive FROM matters WHERE id = $2) = FALSE
                        OR EXISTS (SELECT 1 FROM user_roles r
                                   WHERE r.user_id = u.id AND r.role = 'dept_lead'))")
                .bind(d)
                .bind(matter.0)
                .fetch_all(c)
                .await)?;
            for u in users {
                on_tx!(&mut *tx, c => sqlx::query(
                    "INSERT INTO notifications (id, user_id, matter_id, kind, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(Uuid::now_v7())
                    .bind(u)
                    .bind(matter.0)
                    .bind(kind)
                    .bind(to_millis(now))
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected()))?;
            }
        }
        Ok(())
    }
}

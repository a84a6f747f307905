//! Work queues ("my work"), the supervision board and in-app
//! notifications: what each person has to do now.

use aiwei_core::access::{self, Cond, Queue};
use aiwei_core::deadline::{ClockOwner, DeadlineKind, RunningClock, Urgency};
use aiwei_core::time::{from_millis, to_millis};
use aiwei_core::{
    ClockState, EventKind, MatterId, MatterStatus, MatterType, NotificationKind, Role, UserId,
};
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
    /// The lead department's name, whoever's clock it is.
    pub lead_name: Option<String>,
    /// The start of the matter's content; empty for a sensitive matter,
    /// whose content is sealed.
    pub summary: String,
    pub sensitive: bool,
    /// Who signed for it in the lead department, once someone has.
    pub handler: Option<String>,
    /// The matter as its flow sees it (co-departments left out).
    pub flow: aiwei_core::flow::MatterState,
}

/// A matter of a queue, as the queue orders it.
struct QueueEntry {
    id: Uuid,
    updated_at: i64,
    urgency: Option<Urgency>,
    due_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: Uuid,
    updated_at: i64,
    kind: Option<String>,
    due_at: Option<i64>,
    warn_at: Option<i64>,
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
    content: String,
    sensitive: bool,
    handler: Option<String>,
    matter_type: String,
    status: String,
    caller_to_be_told: bool,
    merged: bool,
}

/// One in-app notification.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: Uuid,
    pub matter: Option<MatterId>,
    pub number: Option<String>,
    pub kind: NotificationKind,
    /// The clock a deadline notification is about, and its due time.
    pub clock: Option<(DeadlineKind, DateTime<Utc>)>,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: Uuid,
    matter_id: Option<Uuid>,
    number: Option<String>,
    kind: String,
    deadline: Option<String>,
    due_at: Option<i64>,
    created_at: i64,
    read_at: Option<i64>,
}

/// Which of a user's notifications a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NotificationFilter {
    pub kind: Option<NotificationKind>,
    pub unread_only: bool,
}

/// A position in a user's notifications (newest first): the last one of a
/// page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationCursor {
    pub created_at_ms: i64,
    pub id: Uuid,
}

impl std::fmt::Display for NotificationCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.created_at_ms, self.id.simple())
    }
}

impl std::str::FromStr for NotificationCursor {
    type Err = aiwei_core::FieldError;
    /// The same text form as the ledger's cursor.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let c: crate::matters::Cursor = s.parse()?;
        Ok(Self {
            created_at_ms: c.received_at_ms,
            id: c.id,
        })
    }
}

/// Which open clocks [`Store::open_clocks_where`] reads.
enum OpenClocks {
    /// Marked due soon or overdue by the sweeper.
    Marked,
    /// Past due at this instant (milliseconds), marked or not.
    PastDue(i64),
}

impl Store {
    /// The `limit` most urgent matters of queue `q` for `user`, and the
    /// queue's size. Which matters are in it is the core's answer
    /// ([`Queue::condition`]), within what the user may see
    /// ([`access::visibility`]): a sensitive matter is not counted for
    /// whoever may not see it. The order is the core's too:
    /// overdue first, then due soon, then by due time
    /// ([`RunningClock::sort_key`]); matters without an open clock last,
    /// longest waiting first.
    pub async fn queue(
        &self,
        q: Queue,
        user: &User,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Matter>, i64), StoreError> {
        let entries = self.queue_entries(&[q], user, now).await?;
        let count = entries.len() as i64;
        let ids: Vec<Uuid> = entries
            .iter()
            .take(limit.clamp(1, 500))
            .map(|e| e.id)
            .collect();
        if ids.is_empty() {
            return Ok((Vec::new(), count));
        }
        let rows: Vec<MatterRow> = on_pool!(&self.db, p => {
            let mut q = sqlx::QueryBuilder::new(MATTER_SELECT);
            q.push(" WHERE m.id IN (");
            let mut sep = q.separated(", ");
            for id in &ids {
                sep.push_bind(*id);
            }
            sep.push_unseparated(")");
            q.build_query_as::<MatterRow>().fetch_all(p).await
        })?;
        let mut matters = self.open_list(rows).await?;
        matters.sort_by_key(|m| ids.iter().position(|id| *id == m.id.0));
        Ok((matters, count))
    }

    /// How many matters of `user`'s queues are overdue and due soon now:
    /// the counter beside "我的工作".
    pub async fn queue_urgency(
        &self,
        user: &User,
        now: DateTime<Utc>,
    ) -> Result<(usize, usize), StoreError> {
        let queues = Queue::for_actor(&user.actor());
        let entries = self.queue_entries(&queues, user, now).await?;
        let of = |u: Urgency| entries.iter().filter(|e| e.urgency == Some(u)).count();
        Ok((of(Urgency::Overdue), of(Urgency::DueSoon)))
    }

    /// Every matter in any of `queues` for `user`, most urgent first, with
    /// its most urgent open clock.
    async fn queue_entries(
        &self,
        queues: &[Queue],
        user: &User,
        now: DateTime<Utc>,
    ) -> Result<Vec<QueueEntry>, StoreError> {
        if queues.is_empty() {
            return Ok(Vec::new());
        }
        let actor = user.actor();
        let queued = Cond::any(queues.iter().map(|q| q.condition(&actor)).collect());
        let cond = Cond::all(vec![queued, access::visibility(&actor, to_millis(now))]);
        // Queues hold open matters. Their statuses, said outright and read
        // first, keep the query to the open matters (the status index)
        // instead of every matter ever closed: left to itself, a planner
        // serves each queue's lane from the index that lane names best,
        // which for a lane of every type is the whole ledger.
        let bound = cond.statuses();
        let rows: Vec<EntryRow> = on_pool!(&self.db, p => {
            let mut q = sqlx::QueryBuilder::new("");
            if let Some(statuses) = &bound {
                q.push("WITH queued AS MATERIALIZED (SELECT * FROM matters m WHERE 1=1");
                crate::scope::push_and(&mut q, &Cond::StatusIn(statuses.clone()));
                q.push(") ");
            }
            q.push("SELECT m.id, m.updated_at, d.kind, d.due_at, d.warn_at FROM ");
            q.push(if bound.is_some() { "queued m" } else { "matters m" });
            q.push(
                " LEFT JOIN deadlines d ON d.matter_id = m.id AND d.ended_at IS NULL
                 WHERE 1=1",
            );
            crate::scope::push_and(&mut q, &cond);
            // A merged matter's work is its lead's, but for its own
            // caller's revisit (aiwei_core::merge).
            q.push(" AND (m.merged_into IS NULL OR m.status IN (");
            let mut sep = q.separated(", ");
            for s in aiwei_core::merge::QUEUED_WHILE_MERGED {
                sep.push_bind(s.as_str().to_owned());
            }
            sep.push_unseparated("))");
            q.build_query_as::<EntryRow>().fetch_all(p).await
        })?;
        let mut by_matter: std::collections::HashMap<Uuid, (i64, Vec<RunningClock>)> =
            std::collections::HashMap::new();
        for r in rows {
            let e = by_matter.entry(r.id).or_insert((r.updated_at, Vec::new()));
            if let (Some(kind), Some(due_at), Some(warn_at)) = (&r.kind, r.due_at, r.warn_at) {
                e.1.push(crate::deadlines::running_clock(kind, due_at, warn_at)?);
            }
        }
        let mut entries: Vec<QueueEntry> = by_matter
            .into_iter()
            .map(|(id, (updated_at, clocks))| {
                let clock = RunningClock::most_urgent(clocks, now);
                QueueEntry {
                    id,
                    updated_at,
                    urgency: clock.map(|c| c.urgency(now)),
                    due_at: clock.map(|c| c.due_at),
                }
            })
            .collect();
        // `None` sorts before `Some`: matters without a clock are put last
        // by the flag, then the longest waiting first.
        entries.sort_by_key(|e| (e.urgency.is_none(), e.urgency, e.due_at, e.updated_at, e.id));
        Ok(entries)
    }

    /// Open clocks that are overdue or due soon, most overdue first.
    pub async fn late_clocks(&self, limit: i64) -> Result<Vec<LateClock>, StoreError> {
        self.open_clocks_where(OpenClocks::Marked, limit).await
    }

    /// Open clocks past their due time at `now`, whether or not the sweeper
    /// has marked them yet, most overdue first.
    pub async fn past_due_clocks(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<LateClock>, StoreError> {
        self.open_clocks_where(OpenClocks::PastDue(to_millis(now)), limit)
            .await
    }

    /// Open clocks of `which`, earliest due first.
    async fn open_clocks_where(
        &self,
        which: OpenClocks,
        limit: i64,
    ) -> Result<Vec<LateClock>, StoreError> {
        let rows = on_pool!(&self.db, p => {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT d.matter_id, m.number, d.kind, d.state, d.due_at, m.lead_department,
                    dep.name AS department_name, m.content, m.sensitive,
                    m.matter_type, m.status, m.caller_to_be_told,
                    (m.merged_into IS NOT NULL) AS merged,
                    (SELECT u.display_name FROM matter_events e JOIN users u ON u.id = e.actor
                     WHERE e.matter_id = m.id AND e.kind = ",
            );
            q.push_bind(EventKind::SignedFor.as_str());
            q.push(
                " ORDER BY e.seq DESC LIMIT 1) AS handler
                 FROM deadlines d JOIN matters m ON m.id = d.matter_id
                 LEFT JOIN departments dep ON dep.code = m.lead_department
                 WHERE d.ended_at IS NULL AND ",
            );
            match which {
                OpenClocks::Marked => {
                    q.push("d.state IN (");
                    q.push_bind(ClockState::DueSoon.as_str());
                    q.push(", ");
                    q.push_bind(ClockState::Overdue.as_str());
                    q.push(")");
                }
                OpenClocks::PastDue(ms) => {
                    q.push("d.due_at < ");
                    q.push_bind(ms);
                }
            }
            q.push(" ORDER BY d.due_at LIMIT ");
            q.push_bind(limit);
            q.build_query_as::<LateRow>().fetch_all(p).await
        })?;
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
                    department: if dept_clock {
                        r.lead_department.clone()
                    } else {
                        None
                    },
                    lead_name: r.department_name.clone(),
                    department_name: if dept_clock { r.department_name } else { None },
                    summary: r.content.chars().take(40).collect(),
                    sensitive: r.sensitive,
                    handler: r.handler,
                    flow: aiwei_core::flow::MatterState {
                        matter_type: MatterType::parse(&r.matter_type)
                            .map_err(|_| corrupt("matter type"))?,
                        status: MatterStatus::parse(&r.status).map_err(|_| corrupt("status"))?,
                        lead: r.lead_department.clone(),
                        co: Vec::new(),
                        caller_to_be_told: r.caller_to_be_told,
                        merged: r.merged,
                    },
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

    /// A page of `user`'s notifications, newest first, and the cursor of
    /// the next page when there is one.
    pub async fn notifications(
        &self,
        user: UserId,
        filter: NotificationFilter,
        after: Option<NotificationCursor>,
        limit: u32,
    ) -> Result<(Vec<Notification>, Option<NotificationCursor>), StoreError> {
        let limit = i64::from(limit.clamp(1, 500));
        let mut rows: Vec<NotificationRow> = on_pool!(&self.db, p => {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT n.id, n.matter_id, m.number, n.kind, n.deadline, n.due_at, n.created_at, n.read_at
                 FROM notifications n LEFT JOIN matters m ON m.id = n.matter_id
                 WHERE n.user_id = ",
            );
            q.push_bind(user.0);
            push_notification_filter(&mut q, filter);
            if let Some(c) = after {
                q.push(" AND (n.created_at, n.id) < (")
                    .push_bind(c.created_at_ms)
                    .push(", ")
                    .push_bind(c.id)
                    .push(")");
            }
            q.push(" ORDER BY n.created_at DESC, n.id DESC LIMIT ").push_bind(limit + 1);
            q.build_query_as::<NotificationRow>().fetch_all(p).await
        })?;
        let next = crate::split_page(&mut rows, limit, |r| NotificationCursor {
            created_at_ms: r.created_at,
            id: r.id,
        });
        let corrupt = |what: &str| StoreError::Corrupt(format!("notification {what}"));
        let items = rows
            .into_iter()
            .map(|r| {
                let clock = match (r.deadline.as_deref(), r.due_at) {
                    (Some(k), Some(due)) => Some((
                        DeadlineKind::from_code(k).ok_or_else(|| corrupt("deadline"))?,
                        from_millis(due),
                    )),
                    _ => None,
                };
                Ok(Notification {
                    id: r.id,
                    matter: r.matter_id.map(MatterId),
                    number: r.number,
                    kind: NotificationKind::from_code(&r.kind).ok_or_else(|| corrupt("kind"))?,
                    clock,
                    created_at: from_millis(r.created_at),
                    read: r.read_at.is_some(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((items, next))
    }

    /// How many of `user`'s notifications `filter` holds.
    pub async fn notification_count(
        &self,
        user: UserId,
        filter: NotificationFilter,
    ) -> Result<i64, StoreError> {
        Ok(on_pool!(&self.db, p => {
            let mut q = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM notifications n WHERE n.user_id = ");
            q.push_bind(user.0);
            push_notification_filter(&mut q, filter);
            q.build_query_scalar::<i64>().fetch_one(p).await
        })?)
    }

    /// Marks one of `user`'s notifications read; `NotFound` when it is not
    /// theirs (or does not exist).
    pub async fn mark_one_read(
        &self,
        user: UserId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let found = write_once!(&self.db, p => sqlx::query(
            "UPDATE notifications SET read_at = COALESCE(read_at, $1) WHERE id = $2 AND user_id = $3")
            .bind(to_millis(now))
            .bind(id)
            .bind(user.0)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        if found == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
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
        Ok(write_once!(&self.db, p => sqlx::query(
            "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
            .bind(to_millis(now))
            .bind(user.0)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?)
    }

    /// Tells the staff of `departments` (their leads only, when
    /// `leads_only`) that a matter needs them (dispatch, coordination, redo,
    /// a return asked for): R-3.3 "第一时间通知相关责任部门". A sensitive
    /// matter is announced to the departments' leads only: the others may
    /// not see it.
    pub(crate) async fn notify_departments(
        tx: &mut Tx,
        matter: MatterId,
        departments: &[String],
        kind: NotificationKind,
        leads_only: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for d in departments {
            let users: Vec<Uuid> = on_tx!(&mut *tx, c => sqlx::query_scalar(
                "SELECT ud.user_id FROM user_departments ud JOIN users u ON u.id = ud.user_id
                 WHERE ud.department_code = $1 AND u.active
                   AND (($4 = FALSE AND (SELECT sensitive FROM matters WHERE id = $2) = FALSE)
                        OR EXISTS (SELECT 1 FROM user_roles r
                                   WHERE r.user_id = u.id AND r.role = $3))")
                .bind(d)
                .bind(matter.0)
                .bind(Role::DeptLead.as_str())
                .bind(leads_only)
                .fetch_all(c)
                .await)?;
            notify_in(tx, matter, &users, kind, None, Some(d), now).await?;
        }
        Ok(())
    }
}

fn push_notification_filter<DB>(q: &mut sqlx::QueryBuilder<DB>, f: NotificationFilter)
where
    DB: sqlx::Database,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    if let Some(k) = f.kind {
        q.push(" AND n.kind = ").push_bind(k.as_str().to_owned());
    }
    if f.unread_only {
        q.push(" AND n.read_at IS NULL");
    }
}

/// One notification of `kind` about `matter` for each of `users`, in `tx`;
/// `clock` names the deadline it is about.
pub(crate) async fn notify_users(
    tx: &mut Tx,
    matter: MatterId,
    users: &[Uuid],
    kind: NotificationKind,
    clock: Option<(DeadlineKind, DateTime<Utc>)>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    notify_in(tx, matter, users, kind, clock, None, now).await
}

/// [`notify_users`], with the outgoing messages of `department`'s rules when
/// it is named, else of the recipients' departments.
pub(crate) async fn notify_in(
    tx: &mut Tx,
    matter: MatterId,
    users: &[Uuid],
    kind: NotificationKind,
    clock: Option<(DeadlineKind, DateTime<Utc>)>,
    department: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let notice = crate::outbox::Notice {
        matter,
        kind,
        clock,
    };
    insert_notifications(tx, &[(&notice, users)], now).await?;
    // the same transaction queues what leaves the building.
    crate::outbox::enqueue(tx, &notice, users, department, now).await?;
    Ok(())
}

/// The in-app notifications of `notices`, one row per recipient, in a
/// statement per few thousand rows.
async fn insert_notifications(
    tx: &mut Tx,
    notices: &[(&crate::outbox::Notice, &[Uuid])],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rows: Vec<(&crate::outbox::Notice, Uuid)> = notices
        .iter()
        .flat_map(|(n, users)| users.iter().map(move |u| (*n, *u)))
        .collect();
    use crate::rows::{Column, Rows};
    let at = to_millis(now);
    let batch = Rows::new(
        "id, user_id, matter_id, kind, deadline, due_at, created_at",
        vec![
            Column::Uuid(rows.iter().map(|_| Uuid::now_v7()).collect()),
            Column::Uuid(rows.iter().map(|(_, u)| *u).collect()),
            Column::Uuid(rows.iter().map(|(n, _)| n.matter.0).collect()),
            Column::Text(rows.iter().map(|(n, _)| n.kind.as_str()).collect()),
            Column::OptText(
                rows.iter()
                    .map(|(n, _)| n.clock.map(|(k, _)| k.as_str()))
                    .collect(),
            ),
            Column::OptInt(
                rows.iter()
                    .map(|(n, _)| n.clock.map(|(_, d)| to_millis(d)))
                    .collect(),
            ),
            Column::Int(vec![at; rows.len()]),
        ],
    )?;
    batch
        .execute(
            tx,
            "INSERT INTO notifications (id, user_id, matter_id, kind, deadline, due_at, created_at)
             SELECT id, user_id, matter_id, kind, deadline, due_at, created_at FROM v",
        )
        .await?;
    Ok(())
}

/// [`notify_users`] for many notices at once (the sweeper's): the
/// notifications in a statement per few thousand, and the outgoing
/// messages of the rules that match, when any rule is about these kinds.
pub(crate) async fn notify_each(
    tx: &mut Tx,
    notices: &[(crate::outbox::Notice, Vec<Uuid>)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let refs: Vec<(&crate::outbox::Notice, &[Uuid])> =
        notices.iter().map(|(n, u)| (n, u.as_slice())).collect();
    insert_notifications(tx, &refs, now).await?;
    let mut kinds: Vec<NotificationKind> = notices.iter().map(|(n, _)| n.kind).collect();
    kinds.sort();
    kinds.dedup();
    for kind in kinds {
        // the same transaction queues what leaves the building. Most
        // offices have rules for few kinds: skipped unless one matches.
        if !crate::outbox::any_rule_for(tx, kind).await? {
            continue;
        }
        for (n, users) in notices.iter().filter(|(n, _)| n.kind == kind) {
            crate::outbox::enqueue(tx, n, users, None, now).await?;
        }
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

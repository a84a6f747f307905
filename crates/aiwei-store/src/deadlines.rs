//! Deadline clocks: rows with a due instant, started and stopped by the
//! steps of a matter in the same transaction, and the sweeper that marks
//! them `due_soon` and `overdue` exactly once, however many app instances
//! sweep the same database.

use aiwei_core::calendar::Calendar;
use aiwei_core::deadline::{ClockOwner, DeadlineKind, Policy, RunningClock, cancels, clocks_for};
use aiwei_core::time::{from_millis, to_millis};
use aiwei_core::{
    AuditAction, ClockState, ErrorCode, EventKind, FieldErrors, MatterId, MatterType,
    NotificationKind, Role,
};
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::Store;
use crate::db::{Backend, Tx};
use crate::error::StoreError;
use crate::rows::{Column, Rows};
use crate::trail::{AuditActor, append_audit, sha256_hex};

/// One clock of a matter.
#[derive(Debug, Clone, PartialEq)]
pub struct Deadline {
    pub kind: DeadlineKind,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub warn_at: DateTime<Utc>,
    pub state: ClockState,
    pub policy_version: i32,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct DeadlineRow {
    kind: String,
    started_at: i64,
    due_at: i64,
    warn_at: i64,
    state: String,
    policy_version: i32,
    ended_at: Option<i64>,
}

/// An open clock as lists read it.
#[derive(sqlx::FromRow)]
pub(crate) struct OpenRow {
    pub(crate) matter_id: Uuid,
    pub(crate) kind: String,
    pub(crate) due_at: i64,
    pub(crate) warn_at: i64,
}

impl OpenRow {
    pub(crate) fn clock(&self) -> Result<RunningClock, StoreError> {
        running_clock(&self.kind, self.due_at, self.warn_at)
    }
}

/// An open clock from its stored columns.
pub(crate) fn running_clock(
    kind: &str,
    due_at: i64,
    warn_at: i64,
) -> Result<RunningClock, StoreError> {
    Ok(RunningClock {
        kind: DeadlineKind::from_code(kind)
            .ok_or_else(|| StoreError::Corrupt("deadline kind".into()))?,
        due_at: from_millis(due_at),
        warn_at: from_millis(warn_at),
    })
}

/// Clocks marked in one transaction by a sweep.
const SWEEP_BATCH: usize = 500;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub due_soon: u64,
    pub overdue: u64,
}

/// Policy, its version and the calendar: what starting clocks needs.
pub struct Clocks {
    pub version: i32,
    pub policy: Policy,
    pub calendar: Calendar,
}

impl Clocks {
    /// Starts `kinds` for the step's matter at the step's time; returns
    /// (kind, due).
    pub(crate) async fn start(
        &self,
        tx: &mut Tx,
        s: &StepClock<'_>,
        kinds: &[DeadlineKind],
    ) -> Result<Vec<(DeadlineKind, DateTime<Utc>)>, StoreError> {
        let start = s.now;
        let mut out = Vec::with_capacity(kinds.len());
        for kind in kinds {
            let due = self
                .policy
                .limit(*kind, s.ty, s.category, s.urgent)
                .due(start, &self.calendar);
            insert(
                tx,
                s.matter,
                *kind,
                start,
                due,
                self.policy.warn_at(start, due),
                self.version,
            )
            .await?;
            out.push((*kind, due));
        }
        Ok(out)
    }
}

/// Inserts one running clock.
pub(crate) async fn insert(
    tx: &mut Tx,
    matter: MatterId,
    kind: DeadlineKind,
    start: DateTime<Utc>,
    due: DateTime<Utc>,
    warn: DateTime<Utc>,
    version: i32,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO deadlines (id, matter_id, kind, started_at, due_at, warn_at, state, policy_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(Uuid::now_v7())
        .bind(matter.0)
        .bind(kind.as_str())
        .bind(to_millis(start))
        .bind(to_millis(due))
        .bind(to_millis(warn))
        .bind(ClockState::Running.as_str())
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Ends the open clocks of `kinds` (all open clocks when `None`): `met` when
/// ended in time, `late` otherwise, or `cancelled` when `cancel`
/// ([`aiwei_core::deadline::cancels`]).
pub(crate) async fn stop(
    tx: &mut Tx,
    matter: MatterId,
    kinds: Option<&[DeadlineKind]>,
    now: DateTime<Utc>,
    cancel: bool,
) -> Result<(), StoreError> {
    let (met, late) = if cancel {
        (ClockState::Cancelled, ClockState::Cancelled)
    } else {
        (ClockState::Met, ClockState::Late)
    };
    let all: Vec<&str> = DeadlineKind::ALL.iter().map(|k| k.as_str()).collect();
    let wanted: Vec<&str> = match kinds {
        Some(ks) => ks.iter().map(|k| k.as_str()).collect(),
        None => all,
    };
    for kind in wanted {
        on_tx!(tx, c => sqlx::query(
            "UPDATE deadlines SET ended_at = $1,
                state = CASE WHEN due_at >= $1 THEN $4 ELSE $5 END
             WHERE matter_id = $2 AND kind = $3 AND ended_at IS NULL")
            .bind(to_millis(now))
            .bind(matter.0)
            .bind(kind)
            .bind(met.as_str())
            .bind(late.as_str())
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// A step as the clocks see it.
pub(crate) struct StepClock<'a> {
    pub matter: MatterId,
    pub event: EventKind,
    pub ty: MatterType,
    pub category: Option<&'a str>,
    pub urgent: bool,
    pub closes: bool,
    pub now: DateTime<Utc>,
}

/// Applies a step's effect on the clocks; returns the clocks started.
pub(crate) async fn on_step(
    tx: &mut Tx,
    clocks: &Clocks,
    s: StepClock<'_>,
) -> Result<Vec<(DeadlineKind, DateTime<Utc>)>, StoreError> {
    let (stops, starts) = clocks_for(s.event, s.ty);
    if s.closes {
        stop(tx, s.matter, None, s.now, false).await?;
        return Ok(Vec::new());
    }
    stop(tx, s.matter, Some(stops), s.now, cancels(s.event)).await?;
    clocks.start(tx, &s, starts).await
}

impl Store {
    /// Puts the default policy in place as version 1 on a fresh database.
    pub(crate) async fn seed_default_policy(&self) -> Result<(), StoreError> {
        let count: i64 = on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM policy_versions").fetch_one(p).await)?;
        if count == 0 {
            self.insert_policy(1, &Policy::default(), "system", self.clock.now())
                .await?;
        }
        Ok(())
    }

    async fn insert_policy(
        &self,
        version: i32,
        p: &Policy,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let body = serde_json::to_string(p).map_err(|_| StoreError::Corrupt("policy".into()))?;
        write_once!(&self.db, c => sqlx::query(
            "INSERT INTO policy_versions (version, body, created_at, created_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT (version) DO NOTHING")
            .bind(version)
            .bind(&body)
            .bind(to_millis(now))
            .bind(by)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The policy in force and its version.
    pub async fn policy(&self) -> Result<(i32, Policy), StoreError> {
        let row: Option<(i32, String)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT version, body FROM policy_versions ORDER BY version DESC LIMIT 1")
            .fetch_optional(p)
            .await)?;
        match row {
            Some((v, body)) => Ok((
                v,
                serde_json::from_str(&body).map_err(|_| StoreError::Corrupt("policy".into()))?,
            )),
            None => Ok((1, Policy::default())),
        }
    }

    /// Refuses a policy that breaks [`Policy::validate`] or names a
    /// sub-category that does not exist.
    async fn check_policy(&self, p: &Policy) -> Result<(), StoreError> {
        let mut errs = match p.validate() {
            Ok(()) => FieldErrors::default(),
            Err(e) => e,
        };
        let known = self.list_categories().await?;
        for code in p.by_category.keys() {
            if !known.iter().any(|c| &c.code == code) {
                errs.push(format!("by_category.{code}"), ErrorCode::UnknownValue);
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(StoreError::InvalidFields(errs))
        }
    }

    /// Stores a new policy version; running clocks keep theirs.
    pub async fn set_policy(&self, p: &Policy, by: &str) -> Result<i32, StoreError> {
        self.check_policy(p).await?;
        let (current, _) = self.policy().await?;
        let next = current + 1;
        self.insert_policy(next, p, by, self.clock.now()).await?;
        Ok(next)
    }

    /// Stores a new policy version and records `policy.update` by `by` in
    /// the same transaction (target: the new version; detail: the version
    /// replaced and the SHA-256 of the stored body, which
    /// `policy_versions` keeps). A version saved concurrently by someone
    /// else is a conflict (`policy_changed`), not a silent loss.
    pub async fn set_policy_audited(
        &self,
        p: &Policy,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<i32, StoreError> {
        self.check_policy(p).await?;
        let body = serde_json::to_string(p).map_err(|_| StoreError::Corrupt("policy".into()))?;
        let mut tx = self.db.begin().await?;
        let current: i32 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) FROM policy_versions")
            .fetch_one(c)
            .await)?;
        let next = current + 1;
        let inserted = on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO policy_versions (version, body, created_at, created_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT (version) DO NOTHING")
            .bind(next)
            .bind(&body)
            .bind(to_millis(now))
            .bind(by.name.unwrap_or("cli"))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        if inserted == 0 {
            return Err(StoreError::Conflict(ErrorCode::PolicyChanged));
        }
        let target = next.to_string();
        let detail = json!({
            "version": next,
            "previous_version": current,
            "body_sha256": sha256_hex(&body),
        });
        append_audit(
            &mut tx,
            &by.entry(AuditAction::PolicyUpdate, Some(&target), detail),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// What starting clocks needs, read once before a write.
    pub async fn clocks(&self) -> Result<Clocks, StoreError> {
        let (version, policy) = self.policy().await?;
        Ok(Clocks {
            version,
            policy,
            calendar: self.calendar().await?,
        })
    }

    /// The clocks of a matter, oldest first.
    pub async fn deadlines(&self, id: MatterId) -> Result<Vec<Deadline>, StoreError> {
        let rows = on_pool!(&self.db, p => sqlx::query_as::<_, DeadlineRow>(
            "SELECT kind, started_at, due_at, warn_at, state, policy_version, ended_at
             FROM deadlines WHERE matter_id = $1 ORDER BY started_at, kind")
            .bind(id.0)
            .fetch_all(p)
            .await)?;
        rows.into_iter()
            .map(|r| {
                Ok(Deadline {
                    kind: DeadlineKind::from_code(&r.kind)
                        .ok_or_else(|| StoreError::Corrupt("deadline kind".into()))?,
                    started_at: from_millis(r.started_at),
                    due_at: from_millis(r.due_at),
                    warn_at: from_millis(r.warn_at),
                    state: ClockState::from_code(&r.state)
                        .ok_or_else(|| StoreError::Corrupt("deadline state".into()))?,
                    policy_version: r.policy_version,
                    ended_at: r.ended_at.map(from_millis),
                })
            })
            .collect()
    }

    /// The open clocks of `matters`, by matter: what lists show as each
    /// matter's running deadline. One query per call, not per matter.
    pub(crate) async fn open_clocks(
        &self,
        matters: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, Vec<RunningClock>>, StoreError> {
        let mut out: std::collections::HashMap<Uuid, Vec<RunningClock>> = Default::default();
        // Bounded IN lists: SQLite allows 32,766 bound values, PostgreSQL
        // 65,535; pages and queues are far smaller, this keeps any caller safe.
        for chunk in matters.chunks(1000) {
            let rows: Vec<OpenRow> = on_pool!(&self.db, p => {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT matter_id, kind, due_at, warn_at FROM deadlines
                     WHERE ended_at IS NULL AND matter_id IN (",
                );
                let mut sep = q.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                sep.push_unseparated(")");
                q.build_query_as::<OpenRow>().fetch_all(p).await
            })?;
            for r in rows {
                out.entry(r.matter_id).or_default().push(r.clock()?);
            }
        }
        Ok(out)
    }

    /// Marks open clocks whose warning time has passed `due_soon` and those
    /// whose due time has passed `overdue`, each exactly once, recording an
    /// event on the matter and notifying the people responsible. Reads only
    /// the clocks that came due (partial indexes), at most `limit` of each
    /// kind per call.
    pub async fn sweep(&self, now: DateTime<Utc>, limit: i64) -> Result<SweepReport, StoreError> {
        let mut report = SweepReport::default();
        let now_ms = to_millis(now);
        // The states are written into the text, not bound, so that the
        // planners match the partial indexes' own `WHERE` (see migration
        // 0004); they come from the vocabulary, never from input.
        let overdue_sql = format!(
            "SELECT id, matter_id FROM deadlines WHERE state IN {} AND due_at <= $1
             ORDER BY due_at LIMIT $2",
            sql_states(&[ClockState::Running, ClockState::DueSoon])
        );
        let overdue: Vec<(Uuid, Uuid)> = on_pool!(&self.db, p => sqlx::query_as(
            sqlx::AssertSqlSafe(overdue_sql.clone()))
            .bind(now_ms)
            .bind(limit)
            .fetch_all(p)
            .await)?;
        for batch in overdue.chunks(SWEEP_BATCH) {
            report.overdue += self.mark(batch, ClockState::Overdue, now).await?;
        }
        let soon_sql = format!(
            "SELECT id, matter_id FROM deadlines WHERE state = {} AND warn_at <= $1 AND due_at > $1
             ORDER BY warn_at LIMIT $2",
            sql_states(&[ClockState::Running])
        );
        let soon: Vec<(Uuid, Uuid)> = on_pool!(&self.db, p => sqlx::query_as(
            sqlx::AssertSqlSafe(soon_sql.clone()))
            .bind(now_ms)
            .bind(limit)
            .fetch_all(p)
            .await)?;
        for batch in soon.chunks(SWEEP_BATCH) {
            report.due_soon += self.mark(batch, ClockState::DueSoon, now).await?;
        }
        Ok(report)
    }

    /// Marks the clocks of `batch` (clock, matter) `to` (`due_soon` or
    /// `overdue`) in one transaction, each unless another sweeper or a step
    /// got there first; returns how many it marked. Each marked clock gets
    /// its event on the matter and its notices, as one would alone, but the
    /// batch is written with a few statements in all rather than a dozen
    /// per clock: the state change, the events (heads read and moved once),
    /// who must hear of each, the notifications. Locks the matters before
    /// the clocks, in id order, as steps and other sweepers do, so none
    /// waits on another in a cycle.
    async fn mark(
        &self,
        batch: &[(Uuid, Uuid)],
        to: ClockState,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let overdue = to == ClockState::Overdue;
        let mut tx = self.db.begin().await?;
        let mut matters: Vec<Uuid> = batch.iter().map(|(_, m)| *m).collect();
        matters.sort();
        matters.dedup();
        if tx.backend() == Backend::Postgres {
            let _: Vec<(Uuid,)> = Rows::new("id", vec![Column::Uuid(matters)])?
                .fetch_all(
                    &mut tx,
                    "SELECT id FROM matters WHERE id IN (SELECT id FROM v) ORDER BY id FOR UPDATE",
                )
                .await?;
        }
        // A clock turns due soon only while running; overdue also from due
        // soon. The states are the vocabulary's, never input.
        let from = if overdue {
            ClockState::DueSoon
        } else {
            ClockState::Running
        };
        // Dialect: each planner is led to find the batch's clocks by id.
        // With the states written out, PostgreSQL given `id IN (…)` walked
        // the open clocks' partial index and probed the whole batch for
        // each (40 ms for 500), and SQLite given a join from `v` walked
        // the open clocks too.
        let by_id = match tx.backend() {
            Backend::Postgres => "FROM v WHERE deadlines.id = v.id",
            Backend::Sqlite => "WHERE deadlines.id IN (SELECT id FROM v)",
        };
        let marked: Vec<(Uuid, Uuid, String, i64)> = Rows::new(
            "id",
            vec![Column::Uuid(batch.iter().map(|(id, _)| *id).collect())],
        )?
        .fetch_all(
            &mut tx,
            &format!(
                "UPDATE deadlines SET state = {} {by_id}
                 AND deadlines.ended_at IS NULL AND deadlines.state IN {}
                 RETURNING deadlines.id, deadlines.matter_id, deadlines.kind, deadlines.due_at",
                sql_codes(&[to.as_str()]),
                sql_states(&[ClockState::Running, from]),
            ),
        )
        .await?;
        // In the batch's order (most overdue first), whatever order the
        // database returned them in.
        let order: std::collections::HashMap<Uuid, usize> = batch
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (*id, i))
            .collect();
        let mut marked: Vec<(usize, MatterId, DeadlineKind, i64)> = marked
            .into_iter()
            .map(|(id, matter, kind, due_at)| {
                let kind = DeadlineKind::from_code(&kind)
                    .ok_or_else(|| StoreError::Corrupt("deadline kind".into()))?;
                Ok((
                    order.get(&id).copied().unwrap_or(usize::MAX),
                    MatterId(matter),
                    kind,
                    due_at,
                ))
            })
            .collect::<Result<_, StoreError>>()?;
        marked.sort_by_key(|(i, ..)| *i);
        if marked.is_empty() {
            tx.commit().await?;
            return Ok(0);
        }
        let (event, notice) = if overdue {
            (
                EventKind::DeadlineOverdue,
                NotificationKind::DeadlineOverdue,
            )
        } else {
            (
                EventKind::DeadlineDueSoon,
                NotificationKind::DeadlineDueSoon,
            )
        };
        let events: Vec<(MatterId, EventKind, serde_json::Value)> = marked
            .iter()
            .map(|(_, m, kind, due_at)| (*m, event, json!({ "deadline": kind, "due_at": due_at })))
            .collect();
        crate::events::append_system_events(&mut tx, &events, now).await?;
        let clocks: Vec<(MatterId, DeadlineKind)> =
            marked.iter().map(|(_, m, k, _)| (*m, *k)).collect();
        let users = responsible(&mut tx, &clocks, overdue).await?;
        let notices: Vec<(crate::outbox::Notice, Vec<Uuid>)> = marked
            .iter()
            .zip(users)
            .map(|((_, matter, kind, due_at), users)| {
                (
                    crate::outbox::Notice {
                        matter: *matter,
                        kind: notice,
                        clock: Some((*kind, from_millis(*due_at))),
                    },
                    users,
                )
            })
            .collect();
        crate::work::notify_each(&mut tx, &notices, now).await?;
        tx.commit().await?;
        Ok(marked.len() as u64)
    }
}

/// `('a', 'b')` for states of the vocabulary: literal SQL for the few
/// queries that must match a partial index's predicate.
pub(crate) fn sql_states(states: &[ClockState]) -> String {
    let codes: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
    sql_codes(&codes)
}

/// `'a'` or `('a', 'b')`: vocabulary codes (never input) as literal SQL.
pub(crate) fn sql_codes(codes: &[&str]) -> String {
    let quoted: Vec<String> = codes.iter().map(|c| format!("'{c}'")).collect();
    if quoted.len() == 1 {
        quoted.concat()
    } else {
        format!("({})", quoted.join(", "))
    }
}

/// Who must hear about each of `clocks` (matter, kind): the lead
/// department's staff for the department's clocks (only its leads and the
/// people named on a sensitive matter, R-5.1.2), the intake staff member for
/// the desk's clocks, the leading group for evaluations; supervisors too
/// once it is overdue. One query per kind of owner, whatever the number of
/// clocks; the answer in the clocks' order.
async fn responsible(
    tx: &mut Tx,
    clocks: &[(MatterId, DeadlineKind)],
    overdue: bool,
) -> Result<Vec<Vec<Uuid>>, StoreError> {
    use std::collections::HashMap;
    let of = |owner: ClockOwner| -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = clocks
            .iter()
            .filter(|(_, k)| k.owner() == owner)
            .map(|(m, _)| m.0)
            .collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let mut department: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let led = of(ClockOwner::LeadDepartment);
    if !led.is_empty() {
        // The clocks' matters first, read by id: left to itself, a planner
        // may walk every matter of each department instead.
        let rows: Vec<(Uuid, Uuid)> = Rows::new("id", vec![Column::Uuid(led)])?
            .fetch_all(
                tx,
                &format!(
                    ", clocked AS MATERIALIZED (SELECT id, lead_department, sensitive FROM matters
                        WHERE id IN (SELECT id FROM v))
                     SELECT m.id, ud.user_id FROM clocked m
                     JOIN user_departments ud ON ud.department_code = m.lead_department
                     JOIN users u ON u.id = ud.user_id
                     WHERE u.active
                       AND (m.sensitive = FALSE
                            OR EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id
                                       AND r.role = {})
                            OR EXISTS (SELECT 1 FROM matter_people mp
                                       WHERE mp.matter_id = m.id AND mp.user_id = u.id))",
                    sql_codes(&[Role::DeptLead.as_str()])
                ),
            )
            .await?;
        for (m, u) in rows {
            department.entry(m).or_default().push(u);
        }
    }
    let mut desk: HashMap<Uuid, Uuid> = HashMap::new();
    let desk_clocks = of(ClockOwner::IntakeDesk);
    if !desk_clocks.is_empty() {
        let rows: Vec<(Uuid, Uuid)> = Rows::new("id", vec![Column::Uuid(desk_clocks)])?
            .fetch_all(
                tx,
                "SELECT id, intake_user FROM matters WHERE id IN (SELECT id FROM v)",
            )
            .await?;
        desk.extend(rows);
    }
    let leading_group = if of(ClockOwner::LeadingGroup).is_empty() {
        Vec::new()
    } else {
        crate::work::holders_of(tx, Role::LeadingGroup).await?
    };
    let supervisors = if overdue {
        crate::work::holders_of(tx, Role::Supervisor).await?
    } else {
        Vec::new()
    };
    Ok(clocks
        .iter()
        .map(|(m, kind)| {
            let mut users: Vec<Uuid> = match kind.owner() {
                ClockOwner::LeadDepartment => department.get(&m.0).cloned().unwrap_or_default(),
                ClockOwner::LeadingGroup => leading_group.clone(),
                ClockOwner::IntakeDesk => desk.get(&m.0).copied().into_iter().collect(),
            };
            users.extend(&supervisors);
            users.sort();
            users.dedup();
            users
        })
        .collect())
}

//! Deadline clocks: rows with a due instant, started and stopped by the
//! steps of a matter in the same transaction, and the sweeper that marks
//! them `due_soon` and `overdue` exactly once, however many app instances
//! sweep the same database.

use aiwei_core::calendar::Calendar;
use aiwei_core::deadline::{DeadlineKind, Policy, clocks_for};
use aiwei_core::time::{from_millis, to_millis};
use aiwei_core::{MatterId, MatterType, Role};
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::Store;
use crate::db::{Backend, Tx};
use crate::error::StoreError;
use crate::matters::append_event;
use crate::trail::{AuditActor, append_audit, sha256_hex};

/// One clock of a matter.
#[derive(Debug, Clone, PartialEq)]
pub struct Deadline {
    pub kind: DeadlineKind,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub warn_at: DateTime<Utc>,
    /// `running`, `due_soon`, `overdue` while open; `met` or `late` once
    /// ended.
    pub state: String,
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
         VALUES ($1, $2, $3, $4, $5, $6, 'running', $7)")
        .bind(Uuid::now_v7())
        .bind(matter.0)
        .bind(kind.as_str())
        .bind(to_millis(start))
        .bind(to_millis(due))
        .bind(to_millis(warn))
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Ends the open clocks of `kinds` (all open clocks when `None`): `met` when
/// ended in time, `late` otherwise.
pub(crate) async fn stop(
    tx: &mut Tx,
    matter: MatterId,
    kinds: Option<&[DeadlineKind]>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let all: Vec<&str> = DeadlineKind::ALL.iter().map(|k| k.as_str()).collect();
    let wanted: Vec<&str> = match kinds {
        Some(ks) => ks.iter().map(|k| k.as_str()).collect(),
        None => all,
    };
    for kind in wanted {
        on_tx!(tx, c => sqlx::query(
            "UPDATE deadlines SET ended_at = $1,
                state = CASE WHEN due_at >= $1 THEN 'met' ELSE 'late' END
             WHERE matter_id = $2 AND kind = $3 AND ended_at IS NULL")
            .bind(to_millis(now))
            .bind(matter.0)
            .bind(kind)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// A step as the clocks see it.
pub(crate) struct StepClock<'a> {
    pub matter: MatterId,
    pub event: &'a str,
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
        stop(tx, s.matter, None, s.now).await?;
        return Ok(Vec::new());
    }
    stop(tx, s.matter, Some(stops), s.now).await?;
    clocks.start(tx, &s, starts).await
}

impl Store {
    /// Puts the default policy in place as version 1 on a fresh database.
    pub(crate) async fn seed_default_policy(&self) -> Result<(), StoreError> {
        let count: i64 = on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM policy_versions").fetch_one(p).await)?;
        if count == 0 {
            self.insert_policy(1, &Policy::default(), "system").await?;
        }
        Ok(())
    }

    async fn insert_policy(&self, version: i32, p: &Policy, by: &str) -> Result<(), StoreError> {
        let body = serde_json::to_string(p).map_err(|_| StoreError::Corrupt("policy".into()))?;
        on_pool!(&self.db, c => sqlx::query(
            "INSERT INTO policy_versions (version, body, created_at, created_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT (version) DO NOTHING")
            .bind(version)
            .bind(&body)
            .bind(Utc::now().timestamp_millis())
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

    /// Stores a new policy version; running clocks keep theirs.
    pub async fn set_policy(&self, p: &Policy, by: &str) -> Result<i32, StoreError> {
        let (current, _) = self.policy().await?;
        let next = current + 1;
        self.insert_policy(next, p, by).await?;
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
            return Err(StoreError::Conflict("policy_changed"));
        }
        let target = next.to_string();
        let detail = json!({
            "version": next,
            "previous_version": current,
            "body_sha256": sha256_hex(&body),
        });
        append_audit(
            &mut tx,
            &by.entry("policy.update", Some(&target), detail),
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
                    kind: DeadlineKind::parse(&r.kind)
                        .ok_or_else(|| StoreError::Corrupt("deadline kind".into()))?,
                    started_at: from_millis(r.started_at),
                    due_at: from_millis(r.due_at),
                    warn_at: from_millis(r.warn_at),
                    state: r.state,
                    policy_version: r.policy_version,
                    ended_at: r.ended_at.map(from_millis),
                })
            })
            .collect()
    }

    /// Marks open clocks whose warning time has passed `due_soon` and those
    /// whose due time has passed `overdue`, each exactly once, recording an
    /// event on the matter and notifying the people responsible. Reads only
    /// the clocks that came due (partial indexes), at most `limit` of each
    /// kind per call.
    pub async fn sweep(&self, now: DateTime<Utc>, limit: i64) -> Result<SweepReport, StoreError> {
        let mut report = SweepReport::default();
        let now_ms = to_millis(now);
        let overdue: Vec<(Uuid, Uuid)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, matter_id FROM deadlines WHERE state IN ('running', 'due_soon') AND due_at <= $1
             ORDER BY due_at LIMIT $2")
            .bind(now_ms)
            .bind(limit)
            .fetch_all(p)
            .await)?;
        for (id, matter) in overdue {
            if self.mark(id, MatterId(matter), "overdue", now).await? {
                report.overdue += 1;
            }
        }
        let soon: Vec<(Uuid, Uuid)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, matter_id FROM deadlines WHERE state = 'running' AND warn_at <= $1 AND due_at > $1
             ORDER BY warn_at LIMIT $2")
            .bind(now_ms)
            .bind(limit)
            .fetch_all(p)
            .await)?;
        for (id, matter) in soon {
            if self.mark(id, MatterId(matter), "due_soon", now).await? {
                report.due_soon += 1;
            }
        }
        Ok(report)
    }

    /// Marks one clock, unless another sweeper or a step got there first.
    /// Locks the matter before the clock, in the same order as a step does,
    /// so a sweep and a step never wait on each other in a cycle.
    async fn mark(
        &self,
        id: Uuid,
        matter: MatterId,
        to: &'static str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.begin().await?;
        if tx.backend() == Backend::Postgres {
            on_tx!(&mut tx, c => sqlx::query("SELECT id FROM matters WHERE id = $1 FOR UPDATE")
                .bind(matter.0)
                .fetch_optional(c)
                .await
                .map(|r| r.is_some()))?;
        }
        let from: &[&str] = if to == "overdue" {
            &["running", "due_soon"]
        } else {
            &["running"]
        };
        let marked: Option<(String, i64)> = on_tx!(&mut tx, c => sqlx::query_as(
            "UPDATE deadlines SET state = $1
             WHERE id = $2 AND ended_at IS NULL AND (state = $3 OR state = $4)
             RETURNING kind, due_at")
            .bind(to)
            .bind(id)
            .bind(from[0])
            .bind(from.get(1).copied().unwrap_or(from[0]))
            .fetch_optional(c)
            .await)?;
        let Some((kind, due_at)) = marked else {
            return Ok(false);
        };
        let event = if to == "overdue" {
            "deadline_overdue"
        } else {
            "deadline_due_soon"
        };
        append_event(
            &mut tx,
            matter,
            None,
            event,
            &json!({ "deadline": kind, "due_at": due_at }),
            now,
        )
        .await?;
        for user in responsible(&mut tx, matter, &kind, to == "overdue").await? {
            on_tx!(&mut tx, c => sqlx::query(
                "INSERT INTO notifications (id, user_id, matter_id, kind, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(Uuid::now_v7())
                .bind(user)
                .bind(matter.0)
                .bind(event)
                .bind(to_millis(now))
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(true)
    }
}

/// Who must hear about a clock: the lead department's staff for the
/// department's clocks, the intake staff member for the desk's clocks, the
/// leading group for evaluations; supervisors too once it is overdue.
async fn responsible(
    tx: &mut Tx,
    matter: MatterId,
    kind: &str,
    overdue: bool,
) -> Result<Vec<Uuid>, StoreError> {
    let dept_clock = matches!(
        kind,
        "sign_due" | "on_site_due" | "rectify_due" | "progress_due"
    );
    let mut users: Vec<Uuid> = if dept_clock {
        on_tx!(tx, c => sqlx::query_scalar(
            "SELECT ud.user_id FROM user_departments ud JOIN matters m ON m.lead_department = ud.department_code
             JOIN users u ON u.id = ud.user_id WHERE m.id = $1 AND u.active")
            .bind(matter.0)
            .fetch_all(c)
            .await)?
    } else if kind == "evaluation_due" {
        on_tx!(tx, c => sqlx::query_scalar(
            "SELECT r.user_id FROM user_roles r JOIN users u ON u.id = r.user_id WHERE r.role = $1 AND u.active")
            .bind(Role::LeadingGroup.as_str())
            .fetch_all(c)
            .await)?
    } else {
        on_tx!(tx, c => sqlx::query_scalar("SELECT intake_user FROM matters WHERE id = $1")
            .bind(matter.0)
            .fetch_all(c)
            .await)?
    };
    if overdue {
        let sup: Vec<Uuid> = on_tx!(tx, c => sqlx::query_scalar(
            "SELECT r.user_id FROM user_roles r JOIN users u ON u.id = r.user_id WHERE r.role = $1 AND u.active")
            .bind(Role::Supervisor.as_str())
            .fetch_all(c)
            .await)?;
        users.extend(sup);
    }
    users.sort();
    users.dedup();
    Ok(users)
}

//! The facts of a period that the assessment indicators are computed from
//! ([`aiwei_core::kpi`], docs/KPI.md): the store reads them, the core
//! counts them. Every query reads the period through an index on the time
//! it selects by (migration 0025).

use aiwei_core::deadline::DeadlineKind;
use aiwei_core::kpi::{
    Causes, Clock, Extension, Facts, FedBack, Finished, Handled, Owners, Received, Revisit,
};
use aiwei_core::time::{from_millis, to_millis};
use aiwei_core::{
    Channel, ClockState, EventKind, ExtensionStatus, MatterType, Satisfaction, UserId,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::Store;
use crate::error::StoreError;

fn owners(intake_user: Uuid, office: Option<String>, lead: Option<String>) -> Owners {
    Owners {
        intake_user: UserId(intake_user),
        office,
        lead,
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("kpi {what}"))
}

#[derive(sqlx::FromRow)]
struct ReceivedRow {
    intake_user: Uuid,
    department: Option<String>,
    lead_department: Option<String>,
    channel: String,
    ring_seconds: Option<i32>,
    arrived_at: Option<i64>,
    received_at: i64,
    matter_type: String,
    category: Option<String>,
    area_code: Option<String>,
}

#[derive(sqlx::FromRow)]
struct HandledRow {
    intake_user: Uuid,
    department: Option<String>,
    lead_department: Option<String>,
    received_at: i64,
    closed_at: i64,
    returned: bool,
    redone: bool,
    reclassified: bool,
    corrected: bool,
}

/// A step of the period joined to its matter, with whether a later step
/// followed it.
#[derive(sqlx::FromRow)]
struct StepRow {
    intake_user: Uuid,
    department: Option<String>,
    lead_department: Option<String>,
    payload: String,
    followed: bool,
}

#[derive(sqlx::FromRow)]
struct ClockRow {
    kind: String,
    state: String,
    /// 1: open at the period's end and past due; 0: ended in the period.
    open: i64,
    intake_user: Uuid,
    department: Option<String>,
    lead_department: Option<String>,
    n: i64,
}

impl Store {
    /// Everything the indicators of `[start, end)` read; open clocks are
    /// judged overdue as of `min(end, now)`.
    pub async fn kpi_facts(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Facts, StoreError> {
        let (s, e) = (to_millis(start), to_millis(end));
        let until = to_millis(end.min(now));

        let received = on_pool!(&self.db, p => sqlx::query_as::<_, ReceivedRow>(
            "SELECT intake_user, department, lead_department, channel, ring_seconds,
                    arrived_at, received_at, matter_type, category, area_code
             FROM matters WHERE received_at >= $1 AND received_at < $2")
            .bind(s)
            .bind(e)
            .fetch_all(p)
            .await)?
        .into_iter()
        .map(|r| {
            Ok(Received {
                owners: owners(r.intake_user, r.department, r.lead_department),
                channel: Channel::from_code(&r.channel).ok_or_else(|| corrupt("channel"))?,
                ring_seconds: r.ring_seconds,
                arrived_at: r.arrived_at.map(from_millis),
                received_at: from_millis(r.received_at),
                matter_type: MatterType::from_code(&r.matter_type)
                    .ok_or_else(|| corrupt("type"))?,
                category: r.category,
                area: r.area_code,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;

        // A reclassification can only happen at intake; after a dispatch
        // it means the matter came back (docs/KPI.md).
        let handled = on_pool!(&self.db, p => sqlx::query_as::<_, HandledRow>(
            "SELECT m.intake_user, m.department, m.lead_department, m.received_at,
                    m.closed_at, (m.return_count > 0) AS returned, (m.redo_count > 0) AS redone,
                    EXISTS (SELECT 1 FROM matter_events r
                            WHERE r.matter_id = m.id AND r.kind = $3
                              AND EXISTS (SELECT 1 FROM matter_events d
                                          WHERE d.matter_id = m.id AND d.kind = $4
                                            AND d.seq < r.seq)) AS reclassified,
                    EXISTS (SELECT 1 FROM matter_events c
                            WHERE c.matter_id = m.id AND c.kind = $5) AS corrected
             FROM matters m
             WHERE m.closed_at >= $1 AND m.closed_at < $2 AND m.merged_into IS NULL")
            .bind(s)
            .bind(e)
            .bind(EventKind::Reclassified.as_str())
            .bind(EventKind::Dispatched.as_str())
            .bind(EventKind::AnswerCorrected.as_str())
            .fetch_all(p)
            .await)?
        .into_iter()
        .map(|r| Handled {
            owners: owners(r.intake_user, r.department, r.lead_department),
            received_at: from_millis(r.received_at),
            closed_at: from_millis(r.closed_at),
            causes: Causes {
                reclassified_after_dispatch: r.reclassified,
                returned: r.returned,
                redone: r.redone,
                answer_corrected: r.corrected,
            },
        })
        .collect();

        let revisits = self
            .steps(
                s,
                e,
                &[EventKind::Revisited, EventKind::RedoOrdered],
                &[],
                None,
            )
            .await?
            .into_iter()
            .map(|r| {
                let v: serde_json::Value =
                    serde_json::from_str(&r.payload).map_err(|_| corrupt("payload"))?;
                let satisfaction = v["satisfaction"]
                    .as_str()
                    .and_then(Satisfaction::from_code)
                    .ok_or_else(|| corrupt("satisfaction"))?;
                Ok(Revisit {
                    owners: owners(r.intake_user, r.department, r.lead_department),
                    satisfaction,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;

        let finished = self
            .steps(
                s,
                e,
                &[EventKind::Completed, EventKind::ResultRecorded],
                &[EventKind::FeedbackGiven],
                None,
            )
            .await?
            .into_iter()
            .map(|r| Finished {
                owners: owners(r.intake_user, r.department, r.lead_department),
                fed_back: r.followed,
            })
            .collect();

        let fed_back = self
            .steps(
                s,
                e,
                &[EventKind::FeedbackGiven],
                &[EventKind::Revisited, EventKind::RedoOrdered],
                Some(MatterType::Complaint),
            )
            .await?
            .into_iter()
            .map(|r| FedBack {
                owners: owners(r.intake_user, r.department, r.lead_department),
                revisited: r.followed,
            })
            .collect();

        // Ended in the period, met or late; and open at its end past due:
        // still open now, or ended after the period (docs/KPI.md). Counted
        // by kind, outcome and owners in the database: a month at city
        // scale ends over 100,000 clocks, which took seconds to hand over
        // one row at a time.
        let clocks = on_pool!(&self.db, p => sqlx::query_as::<_, ClockRow>(
            "SELECT kind, state, open, intake_user, department, lead_department,
                    COUNT(*) AS n
             FROM (
                 SELECT d.kind, d.state, CAST(0 AS BIGINT) AS open,
                        m.intake_user, m.department, m.lead_department
                 FROM deadlines d JOIN matters m ON m.id = d.matter_id
                 WHERE d.ended_at >= $1 AND d.ended_at < $2 AND d.state IN ($3, $4)
                 UNION ALL
                 SELECT d.kind, d.state, CAST(1 AS BIGINT),
                        m.intake_user, m.department, m.lead_department
                 FROM deadlines d JOIN matters m ON m.id = d.matter_id
                 WHERE d.ended_at IS NULL AND d.due_at < $5
                 UNION ALL
                 SELECT d.kind, d.state, CAST(1 AS BIGINT),
                        m.intake_user, m.department, m.lead_department
                 FROM deadlines d JOIN matters m ON m.id = d.matter_id
                 WHERE d.ended_at >= $2 AND d.due_at < $5 AND d.started_at < $2
             ) c
             GROUP BY kind, state, open, intake_user, department, lead_department")
            .bind(s)
            .bind(e)
            .bind(ClockState::Met.as_str())
            .bind(ClockState::Late.as_str())
            .bind(until)
            .fetch_all(p)
            .await)?
        .into_iter()
        .map(|r| {
            let late = (r.open == 0).then(|| r.state == ClockState::Late.as_str());
            Ok(Clock {
                kind: DeadlineKind::from_code(&r.kind).ok_or_else(|| corrupt("clock"))?,
                owners: owners(r.intake_user, r.department, r.lead_department),
                late,
                n: u64::try_from(r.n).map_err(|_| corrupt("clock count"))?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;

        let returns = self
            .steps(s, e, &[EventKind::Returned], &[], None)
            .await?
            .into_iter()
            .map(|r| {
                let v: serde_json::Value =
                    serde_json::from_str(&r.payload).map_err(|_| corrupt("payload"))?;
                Ok(v["department"].as_str().unwrap_or_default().to_owned())
            })
            .collect::<Result<Vec<_>, StoreError>>()?;

        let extensions = on_pool!(&self.db, p => sqlx::query_as::<_, (Option<String>, String)>(
            "SELECT m.lead_department, x.state
             FROM extension_requests x JOIN matters m ON m.id = x.matter_id
             WHERE x.created_at >= $1 AND x.created_at < $2")
            .bind(s)
            .bind(e)
            .fetch_all(p)
            .await)?
        .into_iter()
        .map(|(lead, state)| Extension {
            lead,
            approved: state == ExtensionStatus::Approved.as_str(),
        })
        .collect();

        Ok(Facts {
            received,
            handled,
            revisits,
            finished,
            fed_back,
            clocks,
            returns,
            extensions,
        })
    }

    /// The steps of `kinds` taken in `[s, e)` (on matters of `only` type
    /// when given), each with whether one of `then` followed it on the same
    /// matter. A merged matter's own caller's steps count like any other.
    async fn steps(
        &self,
        s: i64,
        e: i64,
        kinds: &[EventKind],
        then: &[EventKind],
        only: Option<MatterType>,
    ) -> Result<Vec<StepRow>, StoreError> {
        let list = |ks: &[EventKind]| {
            ks.iter()
                .map(|k| format!("'{}'", k.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        // The codes are the program's own constants, never input.
        let followed = if then.is_empty() {
            "FALSE".to_owned()
        } else {
            format!(
                "EXISTS (SELECT 1 FROM matter_events f WHERE f.matter_id = e.matter_id
                         AND f.kind IN ({}) AND f.seq > e.seq)",
                list(then)
            )
        };
        let sql = format!(
            "SELECT m.intake_user, m.department, m.lead_department, e.payload,
                    {followed} AS followed
             FROM matter_events e JOIN matters m ON m.id = e.matter_id
             WHERE e.kind IN ({}) AND e.at >= $1 AND e.at < $2
               AND ($3 = '' OR m.matter_type = $3)",
            list(kinds)
        );
        Ok(
            on_pool!(&self.db, p => sqlx::query_as::<_, StepRow>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(s)
            .bind(e)
            .bind(only.map(MatterType::as_str).unwrap_or_default())
            .fetch_all(p)
            .await)?,
        )
    }
}

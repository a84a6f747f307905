//! How far each matter of a ledger page has come, for the columns of an
//! office's 台账 that live in the event chain rather than on the
//! matter: signed for, on site, the measures, completed, the feedback, the
//! revisit, and whether any deadline was missed. Read for a whole page at
//! once, three queries per page, however many matters it holds.

use std::collections::HashMap;

use aiwei_core::time::from_millis;
use aiwei_core::{ClockState, EventKind, MatterId, ReplyChannel};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::Store;
use crate::error::StoreError;
use crate::events::TextRow;

/// The latest of each step of one matter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    pub signed_at: Option<DateTime<Utc>>,
    /// When the handler says they arrived on site.
    pub arrived_at: Option<DateTime<Utc>>,
    /// The rectification measures of the latest plan.
    pub measures: Option<String>,
    /// Rectification completed, or an other matter's result recorded.
    pub completed_at: Option<DateTime<Utc>>,
    pub feedback: Option<ReplyChannel>,
    /// `revisited` or `redo_ordered`: the latest revisit's outcome.
    pub revisit: Option<EventKind>,
    /// A deadline ended late or is open and past due.
    pub overdue: bool,
}

/// The step kinds the columns read.
const STEPS: [EventKind; 7] = [
    EventKind::SignedFor,
    EventKind::ArrivedOnSite,
    EventKind::Completed,
    EventKind::ResultRecorded,
    EventKind::FeedbackGiven,
    EventKind::Revisited,
    EventKind::RedoOrdered,
];

#[derive(sqlx::FromRow)]
struct StepRow {
    matter_id: Uuid,
    at: i64,
    kind: String,
    payload: String,
}

#[derive(sqlx::FromRow)]
struct MeasuresRow {
    matter_id: Uuid,
    seq: i64,
    field: String,
    body: String,
    body_key: Option<String>,
    body_sealed: Option<Vec<u8>>,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("progress {what}"))
}

/// Appends `matter_id IN ($n, …)` over `ids` to `q`.
fn push_ids<DB: sqlx::Database>(q: &mut sqlx::QueryBuilder<DB>, ids: &[MatterId])
where
    Uuid: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    q.push("matter_id IN (");
    let mut sep = q.separated(", ");
    for id in ids {
        sep.push_bind(id.0);
    }
    sep.push_unseparated(")");
}

impl Store {
    /// The progress of each of `ids` (at most a page of them) as of `now`.
    pub async fn progress(
        &self,
        ids: &[MatterId],
        now: DateTime<Utc>,
    ) -> Result<HashMap<MatterId, Progress>, StoreError> {
        let mut out: HashMap<MatterId, Progress> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let now_ms = aiwei_core::time::to_millis(now);
        for chunk in ids.chunks(1000) {
            // Every event of the page's matters, by the primary key; the
            // steps progress shows are picked here. Naming their kinds in
            // the query would let a planner read the kind index instead, and
            // with it those steps of every matter ever recorded.
            // Oldest first, so the latest of each kind is written last.
            let steps: Vec<StepRow> = on_pool!(&self.db, p => {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT matter_id, at, kind, payload FROM matter_events WHERE ",
                );
                push_ids(&mut q, chunk);
                q.push(" ORDER BY matter_id, seq");
                q.build_query_as::<StepRow>().fetch_all(p).await
            })?;
            for s in steps {
                let kind = EventKind::from_code(&s.kind).ok_or_else(|| corrupt("kind"))?;
                if !STEPS.contains(&kind) {
                    continue;
                }
                let p = out.entry(MatterId(s.matter_id)).or_default();
                let at = Some(from_millis(s.at));
                let payload = || -> Result<serde_json::Value, StoreError> {
                    serde_json::from_str(&s.payload).map_err(|_| corrupt("payload"))
                };
                match kind {
                    EventKind::SignedFor => p.signed_at = at,
                    EventKind::ArrivedOnSite => {
                        p.arrived_at = payload()?["arrived_at"].as_i64().map(from_millis).or(at)
                    }
                    EventKind::Completed | EventKind::ResultRecorded => p.completed_at = at,
                    EventKind::FeedbackGiven => {
                        p.feedback = payload()?["channel"]
                            .as_str()
                            .and_then(ReplyChannel::from_code)
                    }
                    other => p.revisit = Some(other),
                }
            }
            let measures: Vec<MeasuresRow> = on_pool!(&self.db, p => {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT matter_id, seq, field, body, body_key, body_sealed FROM matter_texts
                     WHERE field = 'measures' AND ",
                );
                push_ids(&mut q, chunk);
                q.push(" ORDER BY matter_id, seq");
                q.build_query_as::<MeasuresRow>().fetch_all(p).await
            })?;
            for m in measures {
                let id = MatterId(m.matter_id);
                let text = self.open_text_row(
                    id,
                    TextRow {
                        seq: m.seq,
                        field: m.field,
                        body: m.body,
                        body_key: m.body_key,
                        body_sealed: m.body_sealed,
                    },
                )?;
                out.entry(id).or_default().measures = Some(text);
            }
            let late: Vec<Uuid> = on_pool!(&self.db, p => {
                let mut q = sqlx::QueryBuilder::new(format!(
                    "SELECT DISTINCT matter_id FROM deadlines
                     WHERE (state = '{}' OR (ended_at IS NULL AND due_at < ",
                    ClockState::Late.as_str()
                ));
                q.push_bind(now_ms);
                q.push(")) AND ");
                push_ids(&mut q, chunk);
                q.build_query_scalar::<Uuid>().fetch_all(p).await
            })?;
            for id in late {
                out.entry(MatterId(id)).or_default().overdue = true;
            }
        }
        Ok(out)
    }
}

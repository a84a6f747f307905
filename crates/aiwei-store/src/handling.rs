//! Moving a matter through its flow: one checked step, written with its
//! event, its texts and its department changes in one transaction.

use aiwei_core::flow::{self, Action, MatterState, Recipients};
use aiwei_core::handling::Step;
use aiwei_core::time::to_millis;
use aiwei_core::{EventKind, MatterId, MatterStatus, MatterType};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::Store;
use crate::db::Backend;
use crate::error::StoreError;
use crate::matters::Matter;
use crate::users::User;

#[derive(sqlx::FromRow)]
struct Head {
    matter_type: String,
    status: String,
    lead_department: Option<String>,
    category: Option<String>,
    closed_at: Option<i64>,
    urgent: bool,
    caller_to_be_told: bool,
    intake_user: uuid::Uuid,
    number: String,
    merged_into: Option<uuid::Uuid>,
}

impl Store {
    /// Applies `step` to the matter for `actor`. The flow decides legality
    /// ([`StoreError::Refused`]); nothing is written when it refuses.
    #[tracing::instrument(skip_all, fields(matter = %id, actor = %actor.id))]
    pub async fn apply_step(
        &self,
        id: MatterId,
        actor: &User,
        step: &Step,
        now: DateTime<Utc>,
    ) -> Result<Matter, StoreError> {
        self.apply_step_once(id, actor, step, None, now).await
    }

    /// [`Store::apply_step`] under an idempotency key, which commits with
    /// the step (see [`crate::idempotency`]).
    pub async fn apply_step_once(
        &self,
        id: MatterId,
        actor: &User,
        step: &Step,
        idem: Option<&crate::idempotency::Idempotency>,
        now: DateTime<Utc>,
    ) -> Result<Matter, StoreError> {
        let clocks = self.clocks().await?;
        let mut tx = self.db.begin().await?;
        // Dialect: PostgreSQL locks the row; SQLite holds the write lock.
        let head_sql = match tx.backend() {
            Backend::Postgres => {
                "SELECT matter_type, status, lead_department, category, closed_at, urgent, caller_to_be_told,
                    intake_user, number, merged_into
                 FROM matters WHERE id = $1 FOR UPDATE"
            }
            Backend::Sqlite => {
                "SELECT matter_type, status, lead_department, category, closed_at, urgent, caller_to_be_told,
                    intake_user, number, merged_into
                 FROM matters WHERE id = $1"
            }
        };
        let head: Head =
            on_tx!(&mut tx, c => sqlx::query_as::<_, Head>(sqlx::AssertSqlSafe(head_sql))
            .bind(id.0)
            .fetch_optional(c)
            .await)?
            .ok_or(StoreError::NotFound)?;
        let co: Vec<String> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT department_code FROM matter_departments WHERE matter_id = $1 ORDER BY department_code")
            .bind(id.0)
            .fetch_all(c)
            .await)?;
        let bad = |what: &str| StoreError::Corrupt(format!("stored {what}"));
        let state = MatterState {
            matter_type: MatterType::parse(&head.matter_type).map_err(|_| bad("type"))?,
            status: MatterStatus::parse(&head.status).map_err(|_| bad("status"))?,
            lead: head.lead_department.clone(),
            co,
            caller_to_be_told: head.caller_to_be_told,
            merged: head.merged_into.is_some(),
        };
        let t = flow::decide(&state, &actor.actor(), &step.action).map_err(StoreError::Refused)?;
        // Referenced departments and categories must exist. Checked after
        // the flow allowed the step, so an actor who may not take it learns
        // nothing about which codes exist.
        match &step.action {
            Action::Dispatch { lead, co } => {
                self.require_department("lead", lead).await?;
                for d in co {
                    self.require_department("co", d).await?;
                }
            }
            Action::Coordinate { departments } => {
                for d in departments {
                    self.require_department("departments", d).await?;
                }
            }
            Action::Reclassify { to } => {
                if let Some(c) = &step.category {
                    self.require_category(c, *to).await?;
                }
            }
            _ => {}
        }

        let matter_type = t.matter_type.unwrap_or(state.matter_type);
        let category = if t.matter_type.is_some() {
            step.category.clone()
        } else {
            head.category.clone()
        };
        let lead = match &t.lead {
            Some(l) => l.clone(),
            None => head.lead_department.clone(),
        };
        let closed_at = if t.closes {
            Some(to_millis(now))
        } else {
            head.closed_at
        };
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE matters SET status = $1, matter_type = $2, category = $3, lead_department = $4,
                return_count = return_count + $5, redo_count = redo_count + $6, closed_at = $7
             WHERE id = $8")
            .bind(t.to.as_str())
            .bind(matter_type.as_str())
            .bind(&category)
            .bind(&lead)
            .bind(i32::from(t.counts_return))
            .bind(i32::from(t.counts_redo))
            .bind(closed_at)
            .bind(id.0)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        if let Some(new_co) = &t.co {
            on_tx!(&mut tx, c => sqlx::query("DELETE FROM matter_departments WHERE matter_id = $1")
                .bind(id.0)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
            for d in new_co {
                on_tx!(&mut tx, c => sqlx::query(
                    "INSERT INTO matter_departments (matter_id, department_code) VALUES ($1, $2)")
                    .bind(id.0)
                    .bind(d)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected()))?;
            }
        }

        let started = crate::deadlines::on_step(
            &mut tx,
            &clocks,
            crate::deadlines::StepClock {
                matter: id,
                event: t.event,
                ty: matter_type,
                category: category.as_deref(),
                urgent: head.urgent,
                closes: t.closes,
                now,
            },
        )
        .await?;

        let mut payload = step.payload.clone();
        if !started.is_empty() {
            let due: serde_json::Map<String, Value> = started
                .iter()
                .map(|(k, d)| (k.as_str().to_owned(), json!(to_millis(*d))))
                .collect();
            payload.insert("deadlines".into(), Value::Object(due));
        }
        payload.insert("from".into(), json!(state.status));
        payload.insert("to".into(), json!(t.to));
        // The department concerned when the step was taken, so returns and
        // other counts can be attributed per department from the ledger.
        payload.insert("department".into(), json!(state.lead));
        self.append_event_with_texts(
            &mut tx,
            id,
            Some(actor.id),
            t.event,
            payload.clone(),
            &step.texts,
            now,
        )
        .await?;
        let lead_step = crate::merges::LeadStep {
            lead: id,
            lead_number: &head.number,
            actor: actor.id,
            event: t.event,
            payload: &payload,
            texts: &step.texts,
        };
        crate::merges::follow_lead(self, &mut tx, &lead_step, now).await?;
        // A merged matter whose own caller is not satisfied is redone on
        // its own.
        if let (Some(lead), EventKind::RedoOrdered) = (head.merged_into, t.event) {
            let lead_number: String = on_tx!(&mut tx, c => sqlx::query_scalar(
                "SELECT number FROM matters WHERE id = $1")
                .bind(lead)
                .fetch_one(c)
                .await)?;
            let undo = crate::merges::Unmerge {
                m: id,
                m_number: &head.number,
                from: t.to,
                lead: MatterId(lead),
                lead_number: &lead_number,
                back_to_desk: false,
                reason: "回访不满意，单独重办",
            };
            crate::merges::unmerge_in(&mut tx, &undo, Some(actor.id), now).await?;
        }
        if let Some(s) = t.satisfaction {
            on_tx!(&mut tx, c => sqlx::query("UPDATE matters SET satisfaction = $1 WHERE id = $2")
                .bind(s.as_str())
                .bind(id.0)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        if t.event == EventKind::CallerInformed {
            on_tx!(&mut tx, c => sqlx::query("UPDATE matters SET caller_to_be_told = $1 WHERE id = $2")
                .bind(false)
                .bind(id.0)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        // Tell the people who now have work (R-3.3: at once).
        match &t.notify {
            Some((kind, Recipients::Departments(departments))) => {
                Store::notify_departments(&mut tx, id, departments, *kind, false, now).await?;
            }
            Some((kind, Recipients::DepartmentLeads(departments))) => {
                Store::notify_departments(&mut tx, id, departments, *kind, true, now).await?;
            }
            Some((kind, Recipients::Recorder)) => {
                crate::work::notify_users(&mut tx, id, &[head.intake_user], *kind, None, now)
                    .await?;
            }
            None => {}
        }
        if let Some(idem) = idem {
            crate::idempotency::claim(&mut tx, idem, id, now).await?;
        }
        tx.commit().await?;
        tracing::info!(event = %t.event, to = %t.to, "matter step");
        self.matter(id).await
    }
}

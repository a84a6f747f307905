//! Extension requests (延期): made before the deadline with a reason and a
//! new date, effective only when a supervisor approves. An approved
//! extension that moves past the reply time agreed with the caller moves
//! that time too, and the matter records that the caller must be told.

use aiwei_core::access;
use aiwei_core::deadline::DeadlineKind;
use aiwei_core::time::{from_millis, to_millis};
use aiwei_core::{
    ClockState, ErrorCode, EventKind, ExtensionStatus, FieldError, MatterId, NotificationKind,
    Role, UserId,
};
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::Store;
use crate::db::{Backend, Tx};
use crate::error::StoreError;
use crate::events::{append_event, digest};
use crate::users::User;

/// One extension request.
#[derive(Debug, Clone, PartialEq)]
pub struct Extension {
    pub id: Uuid,
    pub matter: MatterId,
    pub number: String,
    pub kind: DeadlineKind,
    pub requested_by: UserId,
    pub requested_by_name: String,
    pub reason: String,
    pub old_due_at: DateTime<Utc>,
    pub new_due_at: DateTime<Utc>,
    pub state: ExtensionStatus,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    matter_id: Uuid,
    number: String,
    kind: String,
    requested_by: Uuid,
    requested_by_name: String,
    reason: String,
    old_due_at: i64,
    new_due_at: i64,
    state: String,
    decided_by_name: Option<String>,
    decided_at: Option<i64>,
    decision_note: Option<String>,
    created_at: i64,
}

const SELECT: &str = "SELECT x.id, x.matter_id, m.number, x.kind, x.requested_by,
        u.display_name AS requested_by_name, x.reason, x.old_due_at, x.new_due_at, x.state,
        d.display_name AS decided_by_name, x.decided_at, x.decision_note, x.created_at
    FROM extension_requests x JOIN matters m ON m.id = x.matter_id
    JOIN users u ON u.id = x.requested_by LEFT JOIN users d ON d.id = x.decided_by";

impl TryFrom<Row> for Extension {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(Extension {
            id: r.id,
            matter: MatterId(r.matter_id),
            number: r.number,
            kind: DeadlineKind::from_code(&r.kind)
                .ok_or_else(|| StoreError::Corrupt("extension kind".into()))?,
            requested_by: UserId(r.requested_by),
            requested_by_name: r.requested_by_name,
            reason: r.reason,
            old_due_at: from_millis(r.old_due_at),
            new_due_at: from_millis(r.new_due_at),
            state: ExtensionStatus::from_code(&r.state)
                .ok_or_else(|| StoreError::Corrupt("extension state".into()))?,
            decided_by_name: r.decided_by_name,
            decided_at: r.decided_at.map(from_millis),
            decision_note: r.decision_note,
            created_at: from_millis(r.created_at),
        })
    }
}

/// Locks the matter row for the rest of the transaction (PostgreSQL; SQLite
/// holds the write lock already).
async fn lock_matter(tx: &mut Tx, matter: MatterId) -> Result<Option<Option<String>>, StoreError> {
    let sql = match tx.backend() {
        Backend::Postgres => "SELECT lead_department FROM matters WHERE id = $1 FOR UPDATE",
        Backend::Sqlite => "SELECT lead_department FROM matters WHERE id = $1",
    };
    Ok(
        on_tx!(tx, c => sqlx::query_scalar::<_, Option<String>>(sqlx::AssertSqlSafe(sql))
        .bind(matter.0)
        .fetch_optional(c)
        .await)?,
    )
}

impl Store {
    pub async fn request_extension(
        &self,
        matter: MatterId,
        actor: &User,
        kind: DeadlineKind,
        new_due: DateTime<Utc>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Extension, StoreError> {
        let reason = aiwei_core::error::bounded_text(
            "reason",
            Some(reason),
            aiwei_core::intake::MAX_TEXT,
            true,
        )
        .map_err(StoreError::Invalid)?
        .unwrap_or_default();
        let mut tx = self.db.begin().await?;
        let lead = lock_matter(&mut tx, matter)
            .await?
            .ok_or(StoreError::NotFound)?;
        if !access::may_request_extension(&actor.actor(), kind, lead.as_deref()) {
            return Err(StoreError::Refused(aiwei_core::flow::Refusal::Forbidden));
        }
        let due: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT due_at FROM deadlines WHERE matter_id = $1 AND kind = $2 AND ended_at IS NULL")
            .bind(matter.0)
            .bind(kind.as_str())
            .fetch_optional(c)
            .await)?;
        let due = due.ok_or(StoreError::Conflict(ErrorCode::NoRunningDeadline))?;
        if due <= to_millis(now) {
            return Err(StoreError::Conflict(ErrorCode::DeadlinePassed));
        }
        if to_millis(new_due) <= due {
            return Err(StoreError::Invalid(FieldError::new(
                "new_due_at",
                ErrorCode::NotLater,
            )));
        }
        if new_due > now + aiwei_core::intake::MAX_AHEAD {
            return Err(StoreError::Invalid(FieldError::new(
                "new_due_at",
                ErrorCode::TooFar,
            )));
        }
        let pending: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT COUNT(*) FROM extension_requests WHERE matter_id = $1 AND kind = $2 AND state = $3")
            .bind(matter.0)
            .bind(kind.as_str())
            .bind(ExtensionStatus::Pending.as_str())
            .fetch_one(c)
            .await)?;
        if pending > 0 {
            return Err(StoreError::Conflict(ErrorCode::ExtensionPending));
        }
        let id = Uuid::now_v7();
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO extension_requests (id, matter_id, kind, requested_by, reason, old_due_at,
                new_due_at, state, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $9, $8)")
            .bind(id)
            .bind(matter.0)
            .bind(kind.as_str())
            .bind(actor.id.0)
            .bind(&reason)
            .bind(due)
            .bind(to_millis(new_due))
            .bind(to_millis(now))
            .bind(ExtensionStatus::Pending.as_str())
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        append_event(
            &mut tx,
            matter,
            Some(actor.id),
            EventKind::ExtensionRequested,
            &json!({
                "extension": id, "deadline": kind.as_str(), "old_due_at": due,
                "new_due_at": to_millis(new_due), "reason_sha256": digest(&reason),
            }),
            now,
        )
        .await?;
        // The supervisors decide: they are told at once.
        let deciders = crate::work::holders_of(&mut tx, Role::Supervisor).await?;
        crate::work::notify_users(
            &mut tx,
            matter,
            &deciders,
            NotificationKind::ExtensionRequested,
            Some((kind, new_due)),
            now,
        )
        .await?;
        tx.commit().await?;
        self.extension(id).await
    }

    /// A supervisor's decision, never on their own request. Approval moves
    /// the clock (and the agreed reply time when the new date passes it).
    pub async fn decide_extension(
        &self,
        id: Uuid,
        actor: &User,
        approve: bool,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Extension, StoreError> {
        let note =
            aiwei_core::error::bounded_text("note", note, aiwei_core::intake::MAX_TEXT, false)
                .map_err(StoreError::Invalid)?;
        let x = self.extension(id).await?;
        access::may_decide_extension(&actor.actor(), x.requested_by, x.state)?;
        let to = if approve {
            ExtensionStatus::Approved
        } else {
            ExtensionStatus::Refused
        };
        let mut tx = self.db.begin().await?;
        lock_matter(&mut tx, x.matter).await?;
        let decided = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE extension_requests SET state = $1, decided_by = $2, decided_at = $3, decision_note = $4
             WHERE id = $5 AND state = $6")
            .bind(to.as_str())
            .bind(actor.id.0)
            .bind(to_millis(now))
            .bind(&note)
            .bind(id)
            .bind(ExtensionStatus::Pending.as_str())
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        if decided == 0 {
            return Err(StoreError::Conflict(ErrorCode::AlreadyDecided));
        }
        let mut payload = json!({ "extension": id, "deadline": x.kind.as_str() });
        if approve {
            let (_, policy) = self.policy().await?;
            let new_due = x.new_due_at;
            let moved = on_tx!(&mut tx, c => sqlx::query(
                "UPDATE deadlines SET due_at = $1, warn_at = $2, state = $5
                 WHERE matter_id = $3 AND kind = $4 AND ended_at IS NULL")
                .bind(to_millis(new_due))
                .bind(to_millis(policy.warn_at(now, new_due)))
                .bind(x.matter.0)
                .bind(x.kind.as_str())
                .bind(ClockState::Running.as_str())
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
            if moved == 0 {
                return Err(StoreError::Conflict(ErrorCode::NoRunningDeadline));
            }
            // The caller-facing reply time moves with the work it waits for.
            let reply: Option<Option<i64>> = on_tx!(&mut tx, c => sqlx::query_scalar(
                "SELECT agreed_reply_at FROM matters WHERE id = $1")
                .bind(x.matter.0)
                .fetch_optional(c)
                .await)?;
            let reply_moved = matches!(reply, Some(Some(r)) if r < to_millis(new_due));
            if reply_moved {
                on_tx!(&mut tx, c => sqlx::query(
                    "UPDATE matters SET agreed_reply_at = $1, caller_to_be_told = $2 WHERE id = $3")
                    .bind(to_millis(new_due))
                    .bind(true)
                    .bind(x.matter.0)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected()))?;
                on_tx!(&mut tx, c => sqlx::query(
                    "UPDATE deadlines SET due_at = $1, warn_at = $2, state = $5
                     WHERE matter_id = $3 AND kind = $4 AND ended_at IS NULL")
                    .bind(to_millis(new_due))
                    .bind(to_millis(policy.warn_at(now, new_due)))
                    .bind(x.matter.0)
                    .bind(DeadlineKind::ReplyDue.as_str())
                    .bind(ClockState::Running.as_str())
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected()))?;
            }
            payload["new_due_at"] = json!(to_millis(new_due));
            payload["agreed_reply_moved"] = json!(reply_moved);
            payload["caller_must_be_told"] = json!(reply_moved);
        }
        if let Some(n) = &note {
            payload["note_sha256"] = json!(digest(n));
        }
        let event = if approve {
            EventKind::ExtensionApproved
        } else {
            EventKind::ExtensionRefused
        };
        append_event(&mut tx, x.matter, Some(actor.id), event, &payload, now).await?;
        crate::work::notify_users(
            &mut tx,
            x.matter,
            &[x.requested_by.0],
            NotificationKind::ExtensionDecided,
            Some((x.kind, x.new_due_at)),
            now,
        )
        .await?;
        tx.commit().await?;
        self.extension(id).await
    }

    pub async fn extension(&self, id: Uuid) -> Result<Extension, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE x.id = $1"));
        let row = on_pool!(&self.db, p => sqlx::query_as::<_, Row>(sql).bind(id).fetch_optional(p).await)?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    pub async fn extensions(&self, matter: MatterId) -> Result<Vec<Extension>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE x.matter_id = $1 ORDER BY x.created_at"
        ));
        let rows = on_pool!(&self.db, p => sqlx::query_as::<_, Row>(sql).bind(matter.0).fetch_all(p).await)?;
        rows.into_iter().map(Extension::try_from).collect()
    }

    pub async fn pending_extensions(&self) -> Result<Vec<Extension>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE x.state = $1 ORDER BY x.created_at LIMIT 500"
        ));
        let rows = on_pool!(&self.db, p => sqlx::query_as::<_, Row>(sql)
            .bind(ExtensionStatus::Pending.as_str())
            .fetch_all(p)
            .await)?;
        rows.into_iter().map(Extension::try_from).collect()
    }
}

//! Calls reported by the telephone exchange: who sits at
//! which extension, each call's ringing, answering and end, the ring
//! seconds an intake takes from it, and the call-back list of missed
//! calls (漏接回拨). What an event does is [`aiwei_core::telephony::step`]'s
//! decision; this module records it.

use aiwei_core::telephony::{CallEvent, CallRefusal, CallState, CallbackOutcome, Step};
use aiwei_core::time::{from_millis, to_millis};
use aiwei_core::{AuditAction, ErrorCode, FieldError, PhoneNumber, UserId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::Store;
use crate::error::StoreError;
use crate::trail::{AuditActor, commit_audited};

/// A call as the pages and the intake see it; the number in clear (only
/// staff who may see it are shown it).
#[derive(Clone, PartialEq)]
pub struct Call {
    pub id: Uuid,
    pub call_id: String,
    pub caller: String,
    pub extension: Option<String>,
    pub user: Option<UserId>,
    pub user_name: Option<String>,
    pub state: CallState,
    pub ringing_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub matter: Option<Uuid>,
    pub number: Option<String>,
    pub callback: Option<CallbackOutcome>,
    pub callback_by_name: Option<String>,
    pub callback_at: Option<DateTime<Utc>>,
    pub callback_note: Option<String>,
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("id", &self.id)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

#[derive(sqlx::FromRow)]
struct CallRow {
    id: Uuid,
    call_id: String,
    key_id: String,
    caller_sealed: Vec<u8>,
    extension: Option<String>,
    user_id: Option<Uuid>,
    user_name: Option<String>,
    state: String,
    ringing_at: i64,
    answered_at: Option<i64>,
    ended_at: Option<i64>,
    matter_id: Option<Uuid>,
    number: Option<String>,
    callback: Option<String>,
    callback_by_name: Option<String>,
    callback_at: Option<i64>,
    callback_note: Option<String>,
}

const CALL_SELECT: &str = "SELECT c.id, c.call_id, c.key_id, c.caller_sealed, c.extension,
        c.user_id, u.display_name AS user_name, c.state, c.ringing_at, c.answered_at,
        c.ended_at, c.matter_id, m.number, c.callback, b.display_name AS callback_by_name,
        c.callback_at, c.callback_note
    FROM calls c
    LEFT JOIN users u ON u.id = c.user_id
    LEFT JOIN users b ON b.id = c.callback_by
    LEFT JOIN matters m ON m.id = c.matter_id";

fn context(call_id: &str) -> Vec<u8> {
    format!("calls:{call_id}").into_bytes()
}

/// What the desk did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// A new call, or one that moved on.
    Changed(CallState),
    /// A resent event: nothing changed.
    Unchanged(CallState),
}

impl Store {
    fn call_of(&self, r: CallRow) -> Result<Call, StoreError> {
        let corrupt = |w: &str| StoreError::Corrupt(format!("call {w}"));
        let caller = self
            .keys()
            .open(&r.key_id, &context(&r.call_id), &r.caller_sealed)?;
        Ok(Call {
            id: r.id,
            caller: String::from_utf8(caller).map_err(|_| corrupt("caller"))?,
            call_id: r.call_id,
            extension: r.extension,
            user: r.user_id.map(UserId),
            user_name: r.user_name,
            state: CallState::from_code(&r.state).ok_or_else(|| corrupt("state"))?,
            ringing_at: from_millis(r.ringing_at),
            answered_at: r.answered_at.map(from_millis),
            ended_at: r.ended_at.map(from_millis),
            matter: r.matter_id,
            number: r.number,
            callback: r
                .callback
                .as_deref()
                .map(|c| CallbackOutcome::from_code(c).ok_or_else(|| corrupt("callback")))
                .transpose()?,
            callback_by_name: r.callback_by_name,
            callback_at: r.callback_at.map(from_millis),
            callback_note: r.callback_note,
        })
    }

    /// The clerk at `extension`, if any.
    pub async fn extension_user(&self, extension: &str) -> Result<Option<UserId>, StoreError> {
        let u: Option<Uuid> = on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT e.user_id FROM phone_extensions e JOIN users u ON u.id = e.user_id
             WHERE e.extension = $1 AND u.active")
            .bind(extension)
            .fetch_optional(p)
            .await)?;
        Ok(u.map(UserId))
    }

    /// Every extension and its clerk.
    pub async fn phone_extensions(&self) -> Result<Vec<(String, UserId)>, StoreError> {
        let rows: Vec<(String, Uuid)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT extension, user_id FROM phone_extensions ORDER BY extension")
            .fetch_all(p)
            .await)?;
        Ok(rows.into_iter().map(|(e, u)| (e, UserId(u))).collect())
    }

    /// Seats `user` at `extension` (`None`: at none), recording
    /// `user.update`.
    pub async fn set_extension_audited(
        &self,
        user: UserId,
        extension: Option<&str>,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        on_tx!(&mut tx, c => sqlx::query("DELETE FROM phone_extensions WHERE user_id = $1")
            .bind(user.0)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        if let Some(e) = extension {
            on_tx!(&mut tx, c => sqlx::query(
                "INSERT INTO phone_extensions (extension, user_id, assigned_at) VALUES ($1, $2, $3)")
                .bind(e)
                .bind(user.0)
                .bind(to_millis(now))
                .execute(c)
                .await
                .map(|r| r.rows_affected()))
            .map_err(|e| StoreError::on_unique(e, ErrorCode::ExtensionTaken))?;
        }
        let detail = serde_json::json!({ "extension": extension });
        commit_audited(
            tx,
            by,
            AuditAction::UserUpdate,
            &user.0.to_string(),
            detail,
            now,
        )
        .await
    }

    /// Records one event of the exchange. An unknown extension, or an
    /// event that does not fit the call, is refused and changes nothing.
    pub async fn record_call_event(
        &self,
        ev: &CallEvent,
        now: DateTime<Utc>,
    ) -> Result<Recorded, StoreError> {
        let user = match &ev.extension {
            Some(e) => Some(self.extension_user(e).await?.ok_or_else(|| {
                StoreError::Invalid(FieldError::new("extension", ErrorCode::UnknownExtension))
            })?),
            None => None,
        };
        let mut tx = self.db.begin().await?;
        let current: Option<(String, i64)> = on_tx!(&mut tx, c => sqlx::query_as(
            "SELECT state, ringing_at FROM calls WHERE call_id = $1")
            .bind(&ev.call_id)
            .fetch_optional(c)
            .await)?;
        let state = current
            .as_ref()
            .map(|(s, _)| {
                CallState::from_code(s).ok_or_else(|| StoreError::Corrupt("call state".into()))
            })
            .transpose()?;
        let step = aiwei_core::telephony::step(state, ev.kind).map_err(|r| {
            StoreError::Conflict(match r {
                CallRefusal::UnknownCall => ErrorCode::UnknownCall,
                CallRefusal::Finished => ErrorCode::CallFinished,
            })
        })?;
        let at = to_millis(ev.at);
        let recorded = match step {
            Step::Same => Recorded::Unchanged(state.unwrap_or(CallState::Ringing)),
            Step::Open(s) => {
                let phone = ev.caller.as_ref().ok_or_else(|| {
                    StoreError::Invalid(FieldError::new("caller", ErrorCode::Required))
                })?;
                let (key_id, sealed) = self
                    .keys()
                    .seal(&context(&ev.call_id), phone.as_str().as_bytes())?;
                let callback = (s == CallState::Missed).then_some(CallbackOutcome::Pending);
                on_tx!(&mut tx, c => sqlx::query(
                    "INSERT INTO calls (id, call_id, key_id, caller_sealed, caller_index, extension,
                        user_id, state, ringing_at, callback, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
                    .bind(Uuid::now_v7())
                    .bind(&ev.call_id)
                    .bind(&key_id)
                    .bind(&sealed)
                    .bind(self.keys().phone_index(phone)?)
                    .bind(&ev.extension)
                    .bind(user.map(|u| u.0))
                    .bind(s.as_str())
                    .bind(at)
                    .bind(callback.map(CallbackOutcome::as_str))
                    .bind(to_millis(now))
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected()))?;
                Recorded::Changed(s)
            }
            Step::Move(s) => {
                let ringing_at = current.map_or(at, |(_, r)| r);
                // Time runs forward even when the exchange's events cross.
                let at = at.max(ringing_at);
                let (answered, ended, callback) = match s {
                    CallState::Answered => (Some(at), None, None),
                    CallState::Ended => (None, Some(at), None),
                    CallState::Missed => (None, Some(at), Some(CallbackOutcome::Pending)),
                    CallState::Ringing => (None, None, None),
                };
                on_tx!(&mut tx, c => sqlx::query(
                    "UPDATE calls SET state = $1,
                        answered_at = COALESCE($2, answered_at),
                        ended_at = COALESCE($3, ended_at),
                        callback = COALESCE($4, callback),
                        extension = COALESCE($5, extension),
                        user_id = COALESCE($6, user_id),
                        updated_at = $7
                     WHERE call_id = $8")
                    .bind(s.as_str())
                    .bind(answered)
                    .bind(ended)
                    .bind(callback.map(CallbackOutcome::as_str))
                    .bind(&ev.extension)
                    .bind(user.map(|u| u.0))
                    .bind(to_millis(now))
                    .bind(&ev.call_id)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected()))?;
                Recorded::Changed(s)
            }
        };
        tx.commit().await?;
        Ok(recorded)
    }

    /// One call by the exchange's id.
    pub async fn call_by_exchange_id(&self, call_id: &str) -> Result<Call, StoreError> {
        let sql = format!("{CALL_SELECT} WHERE c.call_id = $1");
        let row: Option<CallRow> = on_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(call_id)
            .fetch_optional(p)
            .await)?;
        self.call_of(row.ok_or(StoreError::NotFound)?)
    }

    /// One call by the desk's id.
    pub async fn call(&self, id: Uuid) -> Result<Call, StoreError> {
        let sql = format!("{CALL_SELECT} WHERE c.id = $1");
        let row: Option<CallRow> = on_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(p)
            .await)?;
        self.call_of(row.ok_or(StoreError::NotFound)?)
    }

    /// `user`'s calls that rang since `since` and are not yet recorded as a
    /// matter, newest first: what the clerk's intake page shows.
    pub async fn live_calls(
        &self,
        user: UserId,
        since: DateTime<Utc>,
    ) -> Result<Vec<Call>, StoreError> {
        let sql = format!(
            "{CALL_SELECT} WHERE c.user_id = $1 AND c.ringing_at >= $2 AND c.matter_id IS NULL
               AND c.state IN ($3, $4, $5)
             ORDER BY c.ringing_at DESC LIMIT 5"
        );
        let rows: Vec<CallRow> = on_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(user.0)
            .bind(to_millis(since))
            .bind(CallState::Ringing.as_str())
            .bind(CallState::Answered.as_str())
            .bind(CallState::Ended.as_str())
            .fetch_all(p)
            .await)?;
        rows.into_iter().map(|r| self.call_of(r)).collect()
    }

    /// Records that a matter was taken from call `id` (answered, not yet
    /// taken); `CallTaken` when another matter has it.
    pub async fn attach_call(&self, id: Uuid, matter: Uuid) -> Result<(), StoreError> {
        let n = write_once!(&self.db, p => sqlx::query(
            "UPDATE calls SET matter_id = $1 WHERE id = $2 AND matter_id IS NULL")
            .bind(matter)
            .bind(id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::Conflict(ErrorCode::CallTaken));
        }
        Ok(())
    }

    /// Missed calls, newest first: those waiting (`pending`), or all.
    pub async fn callbacks(&self, only_pending: bool, limit: i64) -> Result<Vec<Call>, StoreError> {
        // Every missed call has an outcome; waiting ones have `pending`.
        let filter = if only_pending {
            "c.callback = $2"
        } else {
            "c.callback IS NOT NULL"
        };
        let sql = format!("{CALL_SELECT} WHERE {filter} ORDER BY c.ringing_at DESC LIMIT $1");
        let rows: Vec<CallRow> = on_pool!(&self.db, p => {
            let q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit);
            let q = if only_pending {
                q.bind(CallbackOutcome::Pending.as_str())
            } else {
                q
            };
            q.fetch_all(p).await
        })?;
        rows.into_iter().map(|r| self.call_of(r)).collect()
    }

    /// How many missed calls stand in each outcome.
    pub async fn callback_counts(&self) -> Result<Vec<(CallbackOutcome, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT callback, COUNT(*) FROM calls WHERE callback IS NOT NULL GROUP BY callback")
            .fetch_all(p)
            .await)?;
        Ok(CallbackOutcome::ALL
            .iter()
            .map(|o| {
                let n = rows
                    .iter()
                    .find(|(c, _)| c == o.as_str())
                    .map_or(0, |(_, n)| *n);
                (*o, n)
            })
            .collect())
    }

    /// Records how a missed call was worked; `AlreadyCalledBack` when it
    /// was, `NotFound` when it is no missed call.
    pub async fn work_callback(
        &self,
        id: Uuid,
        outcome: CallbackOutcome,
        note: Option<&str>,
        by: UserId,
        now: DateTime<Utc>,
    ) -> Result<Call, StoreError> {
        let current: Option<Option<String>> = on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT callback FROM calls WHERE id = $1")
            .bind(id)
            .fetch_optional(p)
            .await)?;
        match current
            .flatten()
            .as_deref()
            .and_then(CallbackOutcome::from_code)
        {
            None => return Err(StoreError::NotFound),
            Some(CallbackOutcome::Pending) => {}
            Some(_) => return Err(StoreError::Conflict(ErrorCode::AlreadyCalledBack)),
        }
        let n = write_once!(&self.db, p => sqlx::query(
            "UPDATE calls SET callback = $1, callback_by = $2, callback_at = $3,
                callback_note = $4, updated_at = $3
             WHERE id = $5 AND callback = $6")
            .bind(outcome.as_str())
            .bind(by.0)
            .bind(to_millis(now))
            .bind(note)
            .bind(id)
            .bind(CallbackOutcome::Pending.as_str())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::Conflict(ErrorCode::AlreadyCalledBack));
        }
        self.call(id).await
    }

    /// The number of a call as typed at intake: for the caller history.
    pub fn call_phone(call: &Call) -> Result<PhoneNumber, StoreError> {
        PhoneNumber::parse("caller", &call.caller)
            .map_err(|_| StoreError::Corrupt("call caller".into()))
    }
}

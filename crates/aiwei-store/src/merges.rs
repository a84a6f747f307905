//! Merging (并单) and linking matters, as [`aiwei_core::merge`] rules: the
//! merge, its undo, links and their removal, each an event on both matters
//! in one transaction; and the steps of a lead copied onto the matters
//! merged into it, inside the lead's step transaction.

use aiwei_core::access::Actor;
use aiwei_core::merge::{self, MergeFacts};
use aiwei_core::{ErrorCode, EventKind, MatterId, MatterStatus, MatterType, UserId};
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::Store;
use crate::db::{Backend, Tx};
use crate::error::StoreError;
use crate::events::append_event;

/// A related matter, as a matter page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub id: MatterId,
    pub number: String,
}

#[derive(sqlx::FromRow)]
struct FactsRow {
    number: String,
    matter_type: String,
    status: String,
    merged_into: Option<Uuid>,
    has_merged: bool,
}

struct Locked {
    number: String,
    facts: MergeFacts,
    merged_into: Option<Uuid>,
}

/// Locks `id` for the rest of `tx` (PostgreSQL; SQLite holds the write
/// lock) and reads what the rules need.
async fn lock(tx: &mut Tx, id: MatterId) -> Result<Locked, StoreError> {
    let sql = match tx.backend() {
        Backend::Postgres => {
            "SELECT number, matter_type, status, merged_into,
                EXISTS (SELECT 1 FROM matters c WHERE c.merged_into = m.id) AS has_merged
             FROM matters m WHERE id = $1 FOR UPDATE"
        }
        Backend::Sqlite => {
            "SELECT number, matter_type, status, merged_into,
                EXISTS (SELECT 1 FROM matters c WHERE c.merged_into = m.id) AS has_merged
             FROM matters m WHERE id = $1"
        }
    };
    let r: FactsRow = on_tx!(&mut *tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(c)
        .await)?
    .ok_or(StoreError::NotFound)?;
    let bad = |what: &str| StoreError::Corrupt(format!("stored {what}"));
    Ok(Locked {
        facts: MergeFacts {
            matter_type: MatterType::parse(&r.matter_type).map_err(|_| bad("type"))?,
            status: MatterStatus::parse(&r.status).map_err(|_| bad("status"))?,
            merged: r.merged_into.is_some(),
            has_merged: r.has_merged,
        },
        number: r.number,
        merged_into: r.merged_into,
    })
}

/// Locks two matters in id order, so two merges of the same pair cannot
/// deadlock on PostgreSQL.
async fn lock_pair(tx: &mut Tx, a: MatterId, b: MatterId) -> Result<(Locked, Locked), StoreError> {
    if a == b {
        return Err(StoreError::Conflict(ErrorCode::SameMatter));
    }
    if a.0 < b.0 {
        let la = lock(tx, a).await?;
        let lb = lock(tx, b).await?;
        Ok((la, lb))
    } else {
        let lb = lock(tx, b).await?;
        let la = lock(tx, a).await?;
        Ok((la, lb))
    }
}

/// Makes `m`'s status, lead and co-handling departments and closing the
/// lead's.
async fn mirror(tx: &mut Tx, m: MatterId, lead: MatterId) -> Result<(), StoreError> {
    on_tx!(&mut *tx, c => sqlx::query(
        "UPDATE matters SET status = l.status, lead_department = l.lead_department,
            closed_at = l.closed_at
         FROM (SELECT status, lead_department, closed_at FROM matters WHERE id = $1) AS l
         WHERE matters.id = $2")
        .bind(lead.0)
        .bind(m.0)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    on_tx!(&mut *tx, c => sqlx::query("DELETE FROM matter_departments WHERE matter_id = $1")
        .bind(m.0)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    on_tx!(&mut *tx, c => sqlx::query(
        "INSERT INTO matter_departments (matter_id, department_code)
         SELECT $1, department_code FROM matter_departments WHERE matter_id = $2")
        .bind(m.0)
        .bind(lead.0)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The matters merged into `lead`, oldest first.
pub(crate) async fn merged_into(tx: &mut Tx, lead: MatterId) -> Result<Vec<MatterId>, StoreError> {
    let ids: Vec<Uuid> = on_tx!(&mut *tx, c => sqlx::query_scalar(
        "SELECT id FROM matters WHERE merged_into = $1 ORDER BY received_at, id")
        .bind(lead.0)
        .fetch_all(c)
        .await)?;
    Ok(ids.into_iter().map(MatterId).collect())
}

/// A step just taken on a lead, as its merged matters record it.
pub(crate) struct LeadStep<'a> {
    pub lead: MatterId,
    pub lead_number: &'a str,
    pub actor: UserId,
    pub event: EventKind,
    pub payload: &'a serde_json::Map<String, serde_json::Value>,
    pub texts: &'a [(&'a str, String)],
}

/// Records a step just taken on a lead on each matter merged into it, in
/// the step's transaction: the same event kind (with `via`, the lead's
/// number), the same texts, and the lead's status.
pub(crate) async fn follow_lead(
    store: &Store,
    tx: &mut Tx,
    s: &LeadStep<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if !merge::follows_lead(s.event) {
        return Ok(());
    }
    for m in merged_into(tx, s.lead).await? {
        mirror(tx, m, s.lead).await?;
        let mut p = s.payload.clone();
        p.insert("via".into(), json!(s.lead_number));
        store
            .append_event_with_texts(tx, m, Some(s.actor), s.event, p, s.texts, now)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Merges `m` into `lead` for `actor` (both seen by the actor: the
    /// caller checked). `m`'s clocks are cancelled; its handling follows
    /// the lead from now on.
    pub async fn merge(
        &self,
        actor: &Actor<'_>,
        m: MatterId,
        lead: MatterId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        merge::merges(actor)?;
        let mut tx = self.db.begin().await?;
        let (lm, ll) = lock_pair(&mut tx, m, lead).await?;
        merge::may_merge(actor, &lm.facts, &ll.facts)?;
        on_tx!(&mut tx, c => sqlx::query("UPDATE matters SET merged_into = $1 WHERE id = $2")
            .bind(lead.0)
            .bind(m.0)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        crate::deadlines::stop(&mut tx, m, None, now, true).await?;
        mirror(&mut tx, m, lead).await?;
        append_event(
            &mut tx,
            m,
            Some(actor.id),
            EventKind::MergedInto,
            &json!({ "lead": ll.number, "from": lm.facts.status, "to": ll.facts.status }),
            now,
        )
        .await?;
        append_event(
            &mut tx,
            lead,
            Some(actor.id),
            EventKind::MergeReceived,
            &json!({ "merged": lm.number }),
            now,
        )
        .await?;
        tx.commit().await
    }

    /// Undoes the merge of `m` (a supervisor): it returns to the desk, to
    /// be dispatched on its own.
    pub async fn unmerge(
        &self,
        actor: &Actor<'_>,
        m: MatterId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<MatterId, StoreError> {
        let mut tx = self.db.begin().await?;
        let lm = lock(&mut tx, m).await?;
        merge::may_unmerge(actor, &lm.facts)?;
        let lead = MatterId(
            lm.merged_into
                .ok_or(StoreError::Conflict(ErrorCode::NotMerged))?,
        );
        let ll = lock(&mut tx, lead).await?;
        let undo = Unmerge {
            m,
            m_number: &lm.number,
            from: lm.facts.status,
            lead,
            lead_number: &ll.number,
            back_to_desk: true,
            reason,
        };
        unmerge_in(&mut tx, &undo, Some(actor.id), now).await?;
        tx.commit().await?;
        Ok(lead)
    }

    /// Links two matters (both seen by the actor), or (`undo`, a
    /// supervisor) removes their link; an event on both.
    pub async fn link(
        &self,
        actor: &Actor<'_>,
        a: MatterId,
        b: MatterId,
        undo: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        merge::may_link(actor, undo)?;
        let mut tx = self.db.begin().await?;
        let (la, lb) = lock_pair(&mut tx, a, b).await?;
        let (x, y) = if a.0 < b.0 { (a, b) } else { (b, a) };
        let changed = if undo {
            on_tx!(&mut tx, c => sqlx::query("DELETE FROM matter_links WHERE a = $1 AND b = $2")
                .bind(x.0)
                .bind(y.0)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?
        } else {
            on_tx!(&mut tx, c => sqlx::query(
                "INSERT INTO matter_links (a, b, created_by, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING")
                .bind(x.0)
                .bind(y.0)
                .bind(actor.id.0)
                .bind(aiwei_core::time::to_millis(now))
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?
        };
        let (unchanged, event) = if undo {
            (ErrorCode::NotLinked, EventKind::Unlinked)
        } else {
            (ErrorCode::AlreadyLinked, EventKind::Linked)
        };
        if changed == 0 {
            return Err(StoreError::Conflict(unchanged));
        }
        for (id, other) in [(a, &lb.number), (b, &la.number)] {
            append_event(
                &mut tx,
                id,
                Some(actor.id),
                event,
                &json!({ "other": other }),
                now,
            )
            .await?;
        }
        tx.commit().await
    }

    /// The matters merged into a matter, and the matters linked to it,
    /// each by number. (Its lead is the matter's own `merged_into`.)
    pub async fn related(&self, id: MatterId) -> Result<(Vec<Related>, Vec<Related>), StoreError> {
        type Row = (Uuid, String);
        let merged: Vec<Row> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, number FROM matters WHERE merged_into = $1 ORDER BY received_at, id")
            .bind(id.0)
            .fetch_all(p)
            .await)?;
        let linked: Vec<Row> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT m.id, m.number FROM matter_links k
             JOIN matters m ON m.id = CASE WHEN k.a = $1 THEN k.b ELSE k.a END
             WHERE k.a = $1 OR k.b = $1 ORDER BY m.received_at, m.id")
            .bind(id.0)
            .fetch_all(p)
            .await)?;
        let r = |(id, number): Row| Related {
            id: MatterId(id),
            number,
        };
        Ok((
            merged.into_iter().map(r).collect(),
            linked.into_iter().map(r).collect(),
        ))
    }
}

/// A merge to undo.
pub(crate) struct Unmerge<'a> {
    pub m: MatterId,
    pub m_number: &'a str,
    pub from: MatterStatus,
    pub lead: MatterId,
    pub lead_number: &'a str,
    /// Back at the desk (received, no department) to be dispatched on its
    /// own; otherwise the matter keeps where it stands (a redo after its
    /// own caller's unsatisfied revisit already sent it back).
    pub back_to_desk: bool,
    pub reason: &'a str,
}

/// Undoes a merge inside `tx`, with an `unmerged` event on both matters.
pub(crate) async fn unmerge_in(
    tx: &mut Tx,
    u: &Unmerge<'_>,
    actor: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    on_tx!(&mut *tx, c => sqlx::query("UPDATE matters SET merged_into = NULL WHERE id = $1")
        .bind(u.m.0)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    let to = if u.back_to_desk {
        on_tx!(&mut *tx, c => sqlx::query(
            "UPDATE matters SET status = $1, lead_department = NULL, closed_at = NULL WHERE id = $2")
            .bind(MatterStatus::Received.as_str())
            .bind(u.m.0)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        on_tx!(&mut *tx, c => sqlx::query("DELETE FROM matter_departments WHERE matter_id = $1")
            .bind(u.m.0)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        MatterStatus::Received
    } else {
        u.from
    };
    append_event(
        tx,
        u.m,
        actor,
        EventKind::Unmerged,
        &json!({ "lead": u.lead_number, "reason": u.reason, "from": u.from, "to": to }),
        now,
    )
    .await?;
    append_event(
        tx,
        u.lead,
        actor,
        EventKind::Unmerged,
        &json!({ "merged": u.m_number, "reason": u.reason }),
        now,
    )
    .await?;
    Ok(())
}

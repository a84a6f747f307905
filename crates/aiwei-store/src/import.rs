//! Writing the rows of an office's old ledger (台账, R-4.1.2) that passed
//! [`aiwei_core::import`]: each as a matter with its history as events at
//! their own times, all in one transaction or none, and each under the key
//! that finds it again, so a re-run writes nothing new.
//!
//! An imported matter starts no deadline clock: its history is over, or
//! its handling goes on from where the old ledger left it.

use aiwei_core::import::LedgerRow;
use aiwei_core::intake::{Location, NewMatter, Resolution};
use aiwei_core::time::to_millis;
use aiwei_core::{AuditAction, EventKind, MatterId};
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::Store;
use crate::error::StoreError;
use crate::events::{NewEvent, append_history};
use crate::matters::IntakeContext;
use crate::trail::{AuditActor, append_audit};
use crate::users::User;

/// What an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// Rows written as new matters.
    pub written: usize,
    /// Rows already brought in by an earlier run, left alone.
    pub existing: usize,
}

impl Store {
    /// Which of `keys` were brought in already.
    pub async fn imported_keys(
        &self,
        keys: &[String],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut out = std::collections::HashSet::new();
        for chunk in keys.chunks(1000) {
            let found: Vec<String> = on_pool!(&self.db, p => {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT source_key FROM imported_rows WHERE source_key IN (",
                );
                let mut sep = q.separated(", ");
                for k in chunk {
                    sep.push_bind(k.as_str());
                }
                sep.push_unseparated(")");
                q.build_query_scalar::<String>().fetch_all(p).await
            })?;
            out.extend(found);
        }
        Ok(out)
    }

    /// Writes `rows` not brought in before, as `by` at `now`, numbered with
    /// `prefix`, in one transaction with its audit record (`file` and
    /// `refused` describe the run there).
    pub async fn import_ledger(
        &self,
        rows: &[LedgerRow],
        by: &User,
        audit_by: &AuditActor<'_>,
        prefix: &str,
        detail: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<ImportReport, StoreError> {
        if !aiwei_core::ids::valid_prefix(prefix) {
            return Err(StoreError::Config("invalid matter number prefix".into()));
        }
        let keys: Vec<String> = rows.iter().map(|r| r.key.clone()).collect();
        let existing = self.imported_keys(&keys).await?;
        let department = by.departments.first().cloned();
        let mut tx = self.db.begin().await?;
        let mut report = ImportReport {
            existing: existing.len(),
            ..ImportReport::default()
        };
        for row in rows.iter().filter(|r| !existing.contains(&r.key)) {
            let ctx = IntakeContext {
                actor: by,
                prefix,
                now: row.received_at,
            };
            let m = NewMatter {
                channel: row.channel,
                received_at: row.received_at,
                ring_seconds: None,
                arrived_at: None,
                caller: row.caller.clone(),
                matter_type: row.matter_type,
                category: row.category.clone(),
                content: row.content.clone(),
                location: Location {
                    address: row.address.clone(),
                    area_code: None,
                    coordinates: None,
                },
                sensitive: false,
                urgent: false,
                resolution: Resolution::ReplyBy(row.received_at),
                answered_from: None,
                suggested_category: None,
                suggested_department: None,
                department: department.clone(),
            };
            let id = self
                .insert_matter(&mut tx, &m, department.clone(), &ctx, None)
                .await?;
            let mut history: Vec<NewEvent<'_>> = row
                .steps
                .iter()
                .map(|s| NewEvent {
                    actor: None,
                    kind: s.kind,
                    payload: s.payload.clone(),
                    texts: &s.texts,
                    at: s.at,
                })
                .collect();
            history.push(NewEvent {
                actor: Some(by.id),
                kind: EventKind::Imported,
                payload: json!({"legacy_number": row.legacy_number, "row": row.row})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
                texts: &[],
                at: now,
            });
            let texts = append_history(&self.keys, &mut tx, id, false, history).await?;
            finish_row(&mut tx, id, row, now, texts).await?;
            report.written += 1;
        }
        let mut detail = detail;
        detail["written"] = json!(report.written);
        detail["existing"] = json!(report.existing);
        append_audit(
            &mut tx,
            &audit_by.entry(AuditAction::LedgerImport, None, detail),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(report)
    }
}

/// The matter's state as the old ledger left it, and its key.
async fn finish_row(
    tx: &mut crate::Tx,
    id: MatterId,
    row: &LedgerRow,
    now: DateTime<Utc>,
    texts: bool,
) -> Result<(), StoreError> {
    let (returns, redos) = (
        0i64,
        i64::from(row.steps.iter().any(|s| s.kind == EventKind::RedoOrdered)),
    );
    on_tx!(tx, c => sqlx::query(
        "UPDATE matters SET status = $1, lead_department = $2, satisfaction = $3,
            closed_at = $4, agreed_reply_at = NULL, return_count = $5, redo_count = $6
         WHERE id = $7")
        .bind(row.status.as_str())
        .bind(&row.lead)
        .bind(row.satisfaction.map(|s| s.as_str()))
        .bind(row.closed_at.map(to_millis))
        .bind(returns)
        .bind(redos)
        .bind(id.0)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if let Some(d) = &row.lead {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO matter_departments (matter_id, department_code) VALUES ($1, $2)")
            .bind(id.0)
            .bind(d)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO imported_rows (source_key, matter_id, legacy_number, imported_at)
         VALUES ($1, $2, $3, $4)")
        .bind(&row.key)
        .bind(id.0)
        .bind(&row.legacy_number)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    // The matter was indexed when written; its step texts join it.
    if texts {
        crate::search::reindex(tx, id).await?;
    }
    Ok(())
}

//! Assessments of the staff: one per staff member and period, the
//! indicators kept as they were computed when assessed, and the
//! consequences recorded with their reasons. Assessing again replaces the
//! assessment; consequences are never removed.

use aiwei_core::assessment::{Consequence, ManualItem, NewAssessment, Rating};
use aiwei_core::kpi::Indicators;
use aiwei_core::time::{from_millis, to_millis};
use aiwei_core::{AuditAction, UserId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::Store;
use crate::error::StoreError;
use crate::trail::{AuditActor, append_audit};

/// A consequence as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsequenceRecord {
    pub kind: Consequence,
    pub reason: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// An assessment as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub id: Uuid,
    pub staff: UserId,
    pub staff_name: String,
    pub period_key: String,
    pub indicators: Indicators,
    pub items: Vec<ManualItem>,
    pub comment: Option<String>,
    pub score: Option<f64>,
    pub rating: Option<Rating>,
    pub assessed_by: String,
    pub assessed_at: DateTime<Utc>,
    pub consequences: Vec<ConsequenceRecord>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    staff_id: Uuid,
    staff_name: String,
    period_key: String,
    indicators: String,
    items: String,
    comment: Option<String>,
    score: Option<f64>,
    rating: Option<String>,
    assessed_by_name: String,
    assessed_at: i64,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("assessment {what}"))
}

impl Store {
    /// Records (or replaces) the assessment of `staff` for the period,
    /// with its consequences, and its audit record, in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn save_assessment(
        &self,
        staff: UserId,
        a: &NewAssessment,
        indicators: &Indicators,
        score: Option<f64>,
        rating: Option<Rating>,
        by: UserId,
        audit_by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<Uuid, StoreError> {
        let key = a.period.key();
        let json = |v: serde_json::Result<String>| v.map_err(|_| corrupt("json"));
        let indicators_json = json(serde_json::to_string(indicators))?;
        let items_json = json(serde_json::to_string(&a.items))?;
        let mut tx = self.db.begin().await?;
        // Assessing again replaces the assessment in place, keeping its id
        // (its consequences hang on it).
        let id: Uuid = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO assessments (id, staff_id, period_key, first_day, last_day, indicators,
                items, comment, score, rating, assessed_by, assessed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (staff_id, period_key) DO UPDATE SET
                indicators = excluded.indicators, items = excluded.items,
                comment = excluded.comment, score = excluded.score, rating = excluded.rating,
                assessed_by = excluded.assessed_by, assessed_at = excluded.assessed_at
             RETURNING id")
            .bind(Uuid::now_v7())
            .bind(staff.0)
            .bind(&key)
            .bind(a.period.first.to_string())
            .bind(a.period.last.to_string())
            .bind(&indicators_json)
            .bind(&items_json)
            .bind(&a.comment)
            .bind(score)
            .bind(rating.map(Rating::as_str))
            .bind(by.0)
            .bind(to_millis(now))
            .fetch_one(c)
            .await)?;
        for c in &a.consequences {
            on_tx!(&mut tx, conn => sqlx::query(
                "INSERT INTO assessment_consequences (id, assessment_id, kind, reason, recorded_by,
                    recorded_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(Uuid::now_v7())
                .bind(id)
                .bind(c.kind.as_str())
                .bind(&c.reason)
                .bind(by.0)
                .bind(to_millis(now))
                .execute(conn)
                .await
                .map(|r| r.rows_affected()))?;
        }
        let staff_text = staff.0.to_string();
        let detail = serde_json::json!({
            "period": key,
            "rating": rating.map(Rating::as_str),
            "consequences": a.consequences.iter().map(|c| c.kind.as_str()).collect::<Vec<_>>(),
        });
        append_audit(
            &mut tx,
            &audit_by.entry(AuditAction::StaffAssess, Some(&staff_text), detail),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The assessments of period `key` (of `only` one staff member when
    /// given), by staff name.
    pub async fn assessments(
        &self,
        key: &str,
        only: Option<UserId>,
    ) -> Result<Vec<Assessment>, StoreError> {
        let rows = on_pool!(&self.db, p => sqlx::query_as::<_, Row>(
            "SELECT a.id, a.staff_id, s.display_name AS staff_name, a.period_key, a.indicators,
                a.items, a.comment, a.score, a.rating, b.display_name AS assessed_by_name,
                a.assessed_at
             FROM assessments a JOIN users s ON s.id = a.staff_id JOIN users b ON b.id = a.assessed_by
             WHERE a.period_key = $1 ORDER BY s.display_name")
            .bind(key)
            .fetch_all(p)
            .await)?;
        let mut out = Vec::new();
        for r in rows {
            if only.is_some_and(|u| u.0 != r.staff_id) {
                continue;
            }
            let consequences =
                on_pool!(&self.db, p => sqlx::query_as::<_, (String, String, String, i64)>(
                "SELECT c.kind, c.reason, u.display_name, c.recorded_at
                 FROM assessment_consequences c JOIN users u ON u.id = c.recorded_by
                 WHERE c.assessment_id = $1 ORDER BY c.recorded_at")
                .bind(r.id)
                .fetch_all(p)
                .await)?
                .into_iter()
                .map(|(kind, reason, by, at)| {
                    Ok(ConsequenceRecord {
                        kind: Consequence::from_code(&kind).ok_or_else(|| corrupt("kind"))?,
                        reason,
                        by,
                        at: from_millis(at),
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            out.push(Assessment {
                id: r.id,
                staff: UserId(r.staff_id),
                staff_name: r.staff_name,
                period_key: r.period_key,
                indicators: serde_json::from_str(&r.indicators)
                    .map_err(|_| corrupt("indicators"))?,
                items: serde_json::from_str(&r.items).map_err(|_| corrupt("items"))?,
                comment: r.comment,
                score: r.score,
                rating: r
                    .rating
                    .as_deref()
                    .map(|s| Rating::from_code(s).ok_or_else(|| corrupt("rating")))
                    .transpose()?,
                assessed_by: r.assessed_by_name,
                assessed_at: from_millis(r.assessed_at),
                consequences,
            });
        }
        Ok(out)
    }
}

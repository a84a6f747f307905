//! Hotspots: the complaints of the window they are detected from
//! ([`aiwei_core::hotspot`]), and what supervisors recorded about them:
//! acknowledgements with a note, closings when solved (audited).

use aiwei_core::time::{from_millis, to_millis};
use aiwei_core::{AuditAction, MatterStatus, MatterType, UserId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::Store;
use crate::error::StoreError;
use crate::trail::{AuditActor, append_audit};

/// A complaint of the window, placed and classified.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowComplaint {
    pub id: Uuid,
    pub number: String,
    pub category: String,
    pub address: String,
    pub received_at: DateTime<Utc>,
    pub status: MatterStatus,
}

/// What supervisors recorded about one place and sub-category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotspotMark {
    pub place: String,
    pub category: String,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub note: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    pub close_note: Option<String>,
}

#[derive(sqlx::FromRow)]
struct MarkRow {
    place: String,
    category: String,
    acknowledged_at: Option<i64>,
    acknowledged_by: Option<String>,
    note: Option<String>,
    closed_at: Option<i64>,
    closed_by: Option<String>,
    close_note: Option<String>,
}

impl Store {
    /// The ordinary complaints received since `since` that have a
    /// sub-category and an address. Sensitive matters are left out: their
    /// handling is confined to the people named on them.
    pub async fn hotspot_window(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<WindowComplaint>, StoreError> {
        type Row = (Uuid, String, String, String, i64, String);
        let rows: Vec<Row> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, number, category, address, received_at, status FROM matters
             WHERE matter_type = $1 AND received_at >= $2 AND sensitive = FALSE
               AND category IS NOT NULL AND address IS NOT NULL
             ORDER BY received_at, id")
            .bind(MatterType::Complaint.as_str())
            .bind(to_millis(since))
            .fetch_all(p)
            .await)?;
        rows.into_iter()
            .map(|(id, number, category, address, at, status)| {
                Ok(WindowComplaint {
                    id,
                    number,
                    category,
                    address,
                    received_at: from_millis(at),
                    status: MatterStatus::parse(&status)
                        .map_err(|_| StoreError::Corrupt("stored status".into()))?,
                })
            })
            .collect()
    }

    /// Every acknowledgement and closing recorded.
    pub async fn hotspot_marks(&self) -> Result<Vec<HotspotMark>, StoreError> {
        let rows: Vec<MarkRow> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT h.place, h.category, h.acknowledged_at, a.display_name AS acknowledged_by,
                h.note, h.closed_at, c.display_name AS closed_by, h.close_note
             FROM hotspots h
             LEFT JOIN users a ON a.id = h.acknowledged_by
             LEFT JOIN users c ON c.id = h.closed_by")
            .fetch_all(p)
            .await)?;
        Ok(rows
            .into_iter()
            .map(|r| HotspotMark {
                place: r.place,
                category: r.category,
                acknowledged_at: r.acknowledged_at.map(from_millis),
                acknowledged_by: r.acknowledged_by,
                note: r.note,
                closed_at: r.closed_at.map(from_millis),
                closed_by: r.closed_by,
                close_note: r.close_note,
            })
            .collect())
    }

    /// Records that a supervisor acknowledged the hotspot of `place` and
    /// `category` (`close`: closed it as solved), with a note.
    #[allow(clippy::too_many_arguments)]
    pub async fn mark_hotspot(
        &self,
        place: &str,
        category: &str,
        close: bool,
        note: &str,
        by: UserId,
        audit: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        let sql = if close {
            "INSERT INTO hotspots (place, category, closed_at, closed_by, close_note)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (place, category) DO UPDATE SET closed_at = EXCLUDED.closed_at,
               closed_by = EXCLUDED.closed_by, close_note = EXCLUDED.close_note"
        } else {
            "INSERT INTO hotspots (place, category, acknowledged_at, acknowledged_by, note)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (place, category) DO UPDATE SET acknowledged_at = EXCLUDED.acknowledged_at,
               acknowledged_by = EXCLUDED.acknowledged_by, note = EXCLUDED.note"
        };
        on_tx!(&mut tx, c => sqlx::query(sql)
            .bind(place)
            .bind(category)
            .bind(to_millis(now))
            .bind(by.0)
            .bind(note)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        let action = if close {
            AuditAction::HotspotClose
        } else {
            AuditAction::HotspotAcknowledge
        };
        // The place is an address fragment, not a caller's data.
        append_audit(
            &mut tx,
            &audit.entry(
                action,
                Some(category),
                serde_json::json!({ "place": place, "category": category }),
            ),
            now,
        )
        .await?;
        tx.commit().await
    }
}

//! Holiday years loaded into the database, merged over the years shipped in
//! the program.

use aiwei_core::calendar::{Calendar, YearData};
use chrono::{DateTime, Utc};

use crate::Store;
use crate::error::StoreError;
use crate::trail::{AuditActor, append_audit, sha256_hex};

/// Checks holiday-cn JSON as a field error the pages and the API can name.
fn parse_year(text: &str) -> Result<YearData, StoreError> {
    YearData::from_json(text).map_err(|e| {
        StoreError::Invalid(aiwei_core::FieldError::new(
            "calendar",
            match e {
                aiwei_core::calendar::CalendarError::Json(_) => aiwei_core::ErrorCode::InvalidJson,
                _ => aiwei_core::ErrorCode::InvalidCalendar,
            },
        ))
    })
}

impl Store {
    /// The working-day calendar: shipped years, then loaded years on top.
    pub async fn calendar(&self) -> Result<Calendar, StoreError> {
        let rows: Vec<(i32, String)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT year, data FROM calendar_years ORDER BY year")
            .fetch_all(p)
            .await)?;
        let mut c = Calendar::clone(&self.shipped);
        for (year, text) in rows {
            let data = YearData::from_json(&text)
                .map_err(|e| StoreError::Corrupt(format!("calendar year {year}: {e}")))?;
            c.insert(data);
        }
        Ok(c)
    }

    /// Checks and stores one year of holiday data (holiday-cn JSON),
    /// replacing an earlier load of the same year. `by` names who loaded it
    /// (a user name, or `cli`).
    pub async fn load_calendar_year(&self, text: &str, by: &str) -> Result<YearData, StoreError> {
        let data = parse_year(text)?;
        let now = self.clock.now().timestamp_millis();
        write_once!(&self.db, p => sqlx::query(
            "INSERT INTO calendar_years (year, data, loaded_at, loaded_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT (year) DO UPDATE SET data = excluded.data, loaded_at = excluded.loaded_at,
                loaded_by = excluded.loaded_by")
            .bind(data.year)
            .bind(text)
            .bind(now)
            .bind(by)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(data)
    }

    /// [`Store::load_calendar_year`], recording `calendar.load` (a year not
    /// loaded before) or `calendar.update` (replacing an earlier load) by
    /// `by` in the same transaction (target: the year; detail: counts of
    /// holidays and make-up days and the SHA-256 of the data stored).
    pub async fn load_calendar_year_audited(
        &self,
        text: &str,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<YearData, StoreError> {
        let data = parse_year(text)?;
        let mut tx = self.db.begin().await?;
        let existed: Option<i32> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT year FROM calendar_years WHERE year = $1")
            .bind(data.year)
            .fetch_optional(c)
            .await)?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO calendar_years (year, data, loaded_at, loaded_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT (year) DO UPDATE SET data = excluded.data, loaded_at = excluded.loaded_at,
                loaded_by = excluded.loaded_by")
            .bind(data.year)
            .bind(text)
            .bind(now.timestamp_millis())
            .bind(by.name.unwrap_or("cli"))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        let action = if existed.is_some() {
            aiwei_core::AuditAction::CalendarUpdate
        } else {
            aiwei_core::AuditAction::CalendarLoad
        };
        let target = data.year.to_string();
        let detail = serde_json::json!({
            "year": data.year,
            "holidays": data.off_days.len(),
            "makeup_days": data.makeup_days.len(),
            "data_sha256": sha256_hex(text),
        });
        append_audit(&mut tx, &by.entry(action, Some(&target), detail), now).await?;
        tx.commit().await?;
        Ok(data)
    }
}

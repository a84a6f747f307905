//! Holiday years loaded into the database, merged over the years shipped in
//! the program.

use aiwei_core::calendar::{Calendar, YearData};
use chrono::Utc;

use crate::Store;
use crate::error::StoreError;

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
        let data = YearData::from_json(text).map_err(|e| {
            StoreError::Invalid(aiwei_core::FieldError::new(
                "calendar",
                match e {
                    aiwei_core::calendar::CalendarError::Json(_) => "invalid_json",
                    _ => "invalid_calendar",
                },
            ))
        })?;
        let now = Utc::now().timestamp_millis();
        on_pool!(&self.db, p => sqlx::query(
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
}

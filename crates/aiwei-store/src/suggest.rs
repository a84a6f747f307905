//! What suggestions are learned from, and where the learned models are
//! kept: the office's own classified and dispatched matters (their texts,
//! sub-categories and lead departments), and one stored model per target.
//! Training itself is [`aiwei_core::suggest`]'s; sensitive matters never
//! teach, since their texts are sealed.

use aiwei_core::time::{from_millis, to_millis};
use chrono::{DateTime, Utc};

use crate::Store;
use crate::error::StoreError;

/// What a model suggests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The sub-category (子类别).
    Category,
    /// The lead department (主办部门).
    Department,
}

impl Target {
    pub const ALL: [Target; 2] = [Target::Category, Target::Department];

    /// The stored model's name.
    pub fn code(self) -> &'static str {
        match self {
            Target::Category => "category",
            Target::Department => "department",
        }
    }
}

/// A stored model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredModel {
    pub json: String,
    pub examples: i64,
    pub trained_at: DateTime<Utc>,
}

/// A matter's suggestion at intake against what was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub suggested_category: Option<String>,
    pub suggested_department: Option<String>,
    pub category: Option<String>,
    pub lead_department: Option<String>,
}

impl Store {
    /// The newest `max` ordinary matters labelled for `target`, oldest
    /// first: (text, label).
    pub async fn suggest_history(
        &self,
        target: Target,
        max: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        // Two fixed statements rather than one with a column spliced in.
        let sql = match target {
            Target::Category => {
                "SELECT content, category FROM matters
                 WHERE sensitive = FALSE AND category IS NOT NULL
                 ORDER BY received_at DESC, id DESC LIMIT $1"
            }
            Target::Department => {
                "SELECT content, lead_department FROM matters
                 WHERE sensitive = FALSE AND lead_department IS NOT NULL
                 ORDER BY received_at DESC, id DESC LIMIT $1"
            }
        };
        let mut rows: Vec<(String, String)> = on_pool!(&self.db, p => sqlx::query_as(sql)
            .bind(max.max(0))
            .fetch_all(p)
            .await)?;
        rows.reverse();
        Ok(rows)
    }

    /// Keeps `json` as the model of `target`, replacing the one before.
    pub async fn save_suggest_model(
        &self,
        target: Target,
        json: &str,
        examples: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        write_once!(&self.db, p => sqlx::query(
            "INSERT INTO suggest_models (name, model, examples, trained_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET model = EXCLUDED.model,
               examples = EXCLUDED.examples, trained_at = EXCLUDED.trained_at")
            .bind(target.code())
            .bind(json)
            .bind(examples)
            .bind(to_millis(now))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The stored model of `target`, if one was trained.
    pub async fn suggest_model(&self, target: Target) -> Result<Option<StoredModel>, StoreError> {
        let row: Option<(String, i64, i64)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT model, examples, trained_at FROM suggest_models WHERE name = $1")
            .bind(target.code())
            .fetch_optional(p)
            .await)?;
        Ok(row.map(|(json, examples, at)| StoredModel {
            json,
            examples,
            trained_at: from_millis(at),
        }))
    }

    /// When the stored model of `target` was trained.
    pub async fn suggest_trained_at(
        &self,
        target: Target,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<i64> = on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT trained_at FROM suggest_models WHERE name = $1")
            .bind(target.code())
            .fetch_optional(p)
            .await)?;
        Ok(at.map(from_millis))
    }

    /// For the newest `max` matters recorded with a suggestion shown, what
    /// was suggested and what they are now classified and dispatched as.
    pub async fn suggestion_outcomes(&self, max: i64) -> Result<Vec<Outcome>, StoreError> {
        type Row = (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = on_pool!(&self.db, p => sqlx::query_as(
                "SELECT suggested_category, suggested_department, category, lead_department
                 FROM matters
                 WHERE suggested_category IS NOT NULL OR suggested_department IS NOT NULL
                 ORDER BY received_at DESC, id DESC LIMIT $1")
                .bind(max.max(0))
                .fetch_all(p)
                .await)?;
        Ok(rows
            .into_iter()
            .map(
                |(suggested_category, suggested_department, category, lead_department)| Outcome {
                    suggested_category,
                    suggested_department,
                    category,
                    lead_department,
                },
            )
            .collect())
    }
}

//! Training sessions, attendance and materials, and the last
//! session each staff member attended (who is due again is
//! [`aiwei_core::training::overdue`]'s).

use std::path::Path;

use aiwei_core::time::{from_millis, to_millis};
use aiwei_core::training::{NewSession, TrainingTopic};
use aiwei_core::{ErrorCode, FieldError, Role, UserId};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::Store;
use crate::error::StoreError;

/// A session as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSummary {
    pub id: Uuid,
    pub held_on: NaiveDate,
    pub topic: TrainingTopic,
    pub title: String,
    pub trainer: String,
    pub hours: Option<f64>,
    pub notes: Option<String>,
    pub invited: i64,
    pub attended: i64,
}

/// One attendee of a session.
#[derive(Debug, Clone, PartialEq)]
pub struct Attendee {
    pub user: UserId,
    pub name: String,
    pub attended: bool,
    pub score: Option<f64>,
}

/// A material handed out at a session.
#[derive(Debug, Clone, PartialEq)]
pub struct Material {
    pub id: Uuid,
    pub session: Uuid,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub created_at: DateTime<Utc>,
}

/// A session with its attendees and materials.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub summary: SessionSummary,
    pub attendees: Vec<Attendee>,
    pub materials: Vec<Material>,
}

/// A staff member's last attended session, for who is due again.
#[derive(Debug, Clone, PartialEq)]
pub struct LastTrained {
    pub user: UserId,
    pub name: String,
    pub last: Option<NaiveDate>,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: Uuid,
    held_on: String,
    topic: String,
    title: String,
    trainer: String,
    hours: Option<f64>,
    notes: Option<String>,
    invited: i64,
    attended: i64,
}

const SUMMARY: &str = "SELECT s.id, s.held_on, s.topic, s.title, s.trainer, s.hours, s.notes,
        (SELECT COUNT(*) FROM training_attendance a WHERE a.session_id = s.id) AS invited,
        (SELECT COUNT(*) FROM training_attendance a WHERE a.session_id = s.id AND a.attended)
            AS attended
    FROM training_sessions s";

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("training {what}"))
}

fn day(text: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| corrupt("day"))
}

impl SummaryRow {
    fn summary(self) -> Result<SessionSummary, StoreError> {
        Ok(SessionSummary {
            id: self.id,
            held_on: day(&self.held_on)?,
            topic: TrainingTopic::from_code(&self.topic).ok_or_else(|| corrupt("topic"))?,
            title: self.title,
            trainer: self.trainer,
            hours: self.hours,
            notes: self.notes,
            invited: self.invited,
            attended: self.attended,
        })
    }
}

#[derive(sqlx::FromRow)]
struct MaterialRow {
    id: Uuid,
    session_id: Uuid,
    file_name: String,
    content_type: String,
    size: i64,
    created_at: i64,
}

impl From<MaterialRow> for Material {
    fn from(r: MaterialRow) -> Self {
        Material {
            id: r.id,
            session: r.session_id,
            file_name: r.file_name,
            content_type: r.content_type,
            size: r.size,
            created_at: from_millis(r.created_at),
        }
    }
}

impl Store {
    /// Records a session with its attendees, all of them active staff.
    pub async fn add_session(
        &self,
        s: &NewSession,
        by: UserId,
        now: DateTime<Utc>,
    ) -> Result<Uuid, StoreError> {
        let users = self.list_users().await?;
        for (i, a) in s.attendees.iter().enumerate() {
            if !users.iter().any(|u| u.id == a.user && u.active) {
                return Err(StoreError::Invalid(FieldError::new(
                    format!("attendees.{i}.user"),
                    ErrorCode::UnknownUser,
                )));
            }
        }
        let id = Uuid::now_v7();
        let mut tx = self.db.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO training_sessions (id, held_on, topic, title, trainer, hours, notes,
                created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(id)
            .bind(s.held_on.to_string())
            .bind(s.topic.as_str())
            .bind(&s.title)
            .bind(&s.trainer)
            .bind(s.hours)
            .bind(&s.notes)
            .bind(by.0)
            .bind(to_millis(now))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        for a in &s.attendees {
            on_tx!(&mut tx, c => sqlx::query(
                "INSERT INTO training_attendance (session_id, user_id, attended, score)
                 VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(a.user.0)
                .bind(a.attended)
                .bind(a.score)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Sessions, the latest held first.
    pub async fn sessions(&self, limit: i64) -> Result<Vec<SessionSummary>, StoreError> {
        let sql = format!("{SUMMARY} ORDER BY s.held_on DESC, s.id DESC LIMIT $1");
        on_pool!(&self.db, p => sqlx::query_as::<_, SummaryRow>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(limit)
            .fetch_all(p)
            .await)?
        .into_iter()
        .map(SummaryRow::summary)
        .collect()
    }

    /// One session with its attendees and materials.
    pub async fn training_session(&self, id: Uuid) -> Result<Session, StoreError> {
        let sql = format!("{SUMMARY} WHERE s.id = $1");
        let summary = on_pool!(&self.db, p => sqlx::query_as::<_, SummaryRow>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id)
            .fetch_optional(p)
            .await)?
        .ok_or(StoreError::NotFound)?
        .summary()?;
        let attendees =
            on_pool!(&self.db, p => sqlx::query_as::<_, (Uuid, String, bool, Option<f64>)>(
            "SELECT a.user_id, u.display_name, a.attended, a.score
             FROM training_attendance a JOIN users u ON u.id = a.user_id
             WHERE a.session_id = $1 ORDER BY u.display_name")
            .bind(id)
            .fetch_all(p)
            .await)?
            .into_iter()
            .map(|(user, name, attended, score)| Attendee {
                user: UserId(user),
                name,
                attended,
                score,
            })
            .collect();
        let materials = on_pool!(&self.db, p => sqlx::query_as::<_, MaterialRow>(
            "SELECT id, session_id, file_name, content_type, size, created_at
             FROM training_materials WHERE session_id = $1 ORDER BY created_at")
            .bind(id)
            .fetch_all(p)
            .await)?
        .into_iter()
        .map(Material::from)
        .collect();
        Ok(Session {
            summary,
            attendees,
            materials,
        })
    }

    /// Stores a material of session `session` (the checks and file
    /// handling of attachments).
    pub async fn add_material(
        &self,
        dir: &Path,
        session: Uuid,
        uploader: UserId,
        file_name: &str,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Material, StoreError> {
        self.training_session(session).await?;
        let (id, sha, content_type) = crate::attachments::write_checked(dir, bytes).await?;
        write_once!(&self.db, p => sqlx::query(
            "INSERT INTO training_materials (id, session_id, file_name, content_type, size, sha256,
                uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(id)
            .bind(session)
            .bind(crate::attachments::clean_name(file_name))
            .bind(content_type)
            .bind(bytes.len() as i64)
            .bind(&sha)
            .bind(uploader.0)
            .bind(to_millis(now))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        self.material(id).await
    }

    pub async fn material(&self, id: Uuid) -> Result<Material, StoreError> {
        on_pool!(&self.db, p => sqlx::query_as::<_, MaterialRow>(
            "SELECT id, session_id, file_name, content_type, size, created_at
             FROM training_materials WHERE id = $1")
            .bind(id)
            .fetch_optional(p)
            .await)?
        .map(Material::from)
        .ok_or(StoreError::NotFound)
    }

    /// `user`'s training record: each session they were listed for, the
    /// latest first, with whether they attended and their score.
    pub async fn training_record(
        &self,
        user: UserId,
    ) -> Result<Vec<(SessionSummary, bool, Option<f64>)>, StoreError> {
        let sql = format!(
            "{SUMMARY} JOIN training_attendance me ON me.session_id = s.id AND me.user_id = $1
             ORDER BY s.held_on DESC"
        );
        let summaries = on_pool!(&self.db, p => sqlx::query_as::<_, SummaryRow>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(user.0)
            .fetch_all(p)
            .await)?;
        let mine = on_pool!(&self.db, p => sqlx::query_as::<_, (Uuid, bool, Option<f64>)>(
            "SELECT session_id, attended, score FROM training_attendance WHERE user_id = $1")
            .bind(user.0)
            .fetch_all(p)
            .await)?;
        summaries
            .into_iter()
            .map(|r| {
                let (attended, score) = mine
                    .iter()
                    .find(|(s, _, _)| *s == r.id)
                    .map(|(_, a, sc)| (*a, *sc))
                    .unwrap_or((false, None));
                Ok((r.summary()?, attended, score))
            })
            .collect()
    }

    /// Every active staff member who handles calls, visits or matters,
    /// with the last session they attended on or before `today`.
    pub async fn last_trained(&self, today: NaiveDate) -> Result<Vec<LastTrained>, StoreError> {
        let last: Vec<(Uuid, Option<String>)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT a.user_id, MAX(s.held_on) FROM training_attendance a
             JOIN training_sessions s ON s.id = a.session_id
             WHERE a.attended AND s.held_on <= $1 GROUP BY a.user_id")
            .bind(today.to_string())
            .fetch_all(p)
            .await)?;
        let staff = [
            Role::Intake,
            Role::Handler,
            Role::DeptLead,
            Role::Supervisor,
        ];
        let mut out = Vec::new();
        for u in self.list_users().await? {
            if !u.active || !u.roles.iter().any(|r| staff.contains(r)) {
                continue;
            }
            let last = match last.iter().find(|(id, _)| *id == u.id.0) {
                Some((_, Some(d))) => Some(day(d)?),
                _ => None,
            };
            out.push(LastTrained {
                user: u.id,
                name: u.display_name,
                last,
            });
        }
        Ok(out)
    }
}

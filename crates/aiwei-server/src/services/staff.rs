//! Training and assessment of the staff, shared by the API
//! and the pages: the views, who may see what ([`aiwei_core::assessment::may_see`]),
//! and the assessment's figures computed as the statistics compute them.

use aiwei_core::assessment::{self, AssessmentRequest, ManualItem, Rating};
use aiwei_core::kpi::{self, Indicators, Period, Subject};
use aiwei_core::training::{self, SessionRequest, TrainingTopic};
use aiwei_core::{ErrorCode, FieldError, UserId};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Staff;
use crate::error::ApiError;
use crate::services::figures;
use crate::state::AppState;

/// A training session as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionView {
    pub id: uuid::Uuid,
    pub held_on: NaiveDate,
    pub topic: TrainingTopic,
    pub title: String,
    pub trainer: String,
    pub hours: Option<f64>,
    pub notes: Option<String>,
    pub invited: i64,
    pub attended: i64,
}

impl From<aiwei_store::training::SessionSummary> for SessionView {
    fn from(s: aiwei_store::training::SessionSummary) -> Self {
        Self {
            id: s.id,
            held_on: s.held_on,
            topic: s.topic,
            title: s.title,
            trainer: s.trainer,
            hours: s.hours,
            notes: s.notes,
            invited: s.invited,
            attended: s.attended,
        }
    }
}

impl SessionView {
    pub fn topic_zh(&self) -> &'static str {
        self.topic.label()
    }

    pub fn hours_text(&self) -> String {
        self.hours.map(|h| format!("{h}")).unwrap_or_default()
    }
}

/// An attendee of a session.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttendeeView {
    pub user: uuid::Uuid,
    pub name: String,
    pub attended: bool,
    pub score: Option<f64>,
}

/// A material of a session.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MaterialView {
    pub id: uuid::Uuid,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
}

/// A session with its attendees and materials.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionDetail {
    pub session: SessionView,
    pub attendees: Vec<AttendeeView>,
    pub materials: Vec<MaterialView>,
}

impl From<aiwei_store::training::Session> for SessionDetail {
    fn from(s: aiwei_store::training::Session) -> Self {
        Self {
            session: s.summary.into(),
            attendees: s
                .attendees
                .into_iter()
                .map(|a| AttendeeView {
                    user: a.user.0,
                    name: a.name,
                    attended: a.attended,
                    score: a.score,
                })
                .collect(),
            materials: s
                .materials
                .into_iter()
                .map(|m| MaterialView {
                    id: m.id,
                    file_name: m.file_name,
                    content_type: m.content_type,
                    size: m.size,
                })
                .collect(),
        }
    }
}

/// One staff member's training: the last session attended, whether they
/// are due again, and every session they were listed for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingRecord {
    pub staff: uuid::Uuid,
    pub name: String,
    pub last: Option<NaiveDate>,
    pub overdue: bool,
    pub interval_days: u32,
    pub sessions: Vec<RecordLine>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordLine {
    pub session: SessionView,
    pub attended: bool,
    pub score: Option<f64>,
    /// Not held yet: planned.
    pub planned: bool,
}

/// Who is due for training, most overdue first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DueLine {
    pub staff: uuid::Uuid,
    pub name: String,
    pub last: Option<NaiveDate>,
    pub overdue: bool,
}

/// Records a session ([`training::SessionRequest::validate`]).
pub async fn add_session(
    state: &AppState,
    staff: &Staff,
    req: &SessionRequest,
) -> Result<SessionDetail, ApiError> {
    let s = req
        .validate(figures::today(state))
        .map_err(ApiError::invalid)?;
    let id = state
        .store
        .add_session(&s, staff.user.id, state.clock.now())
        .await?;
    Ok(state.store.training_session(id).await?.into())
}

/// Stores an uploaded material of session `id`.
pub async fn add_material(
    state: &AppState,
    staff: &Staff,
    id: uuid::Uuid,
    up: &crate::services::attachments::Upload,
) -> Result<MaterialView, ApiError> {
    let m = state
        .store
        .add_material(
            &state.config.attachments_dir,
            id,
            staff.user.id,
            &up.file_name,
            &up.bytes,
            state.clock.now(),
        )
        .await?;
    Ok(MaterialView {
        id: m.id,
        file_name: m.file_name,
        content_type: m.content_type,
        size: m.size,
    })
}

/// `staff`'s training record, if `asker` may see it.
pub async fn record(
    state: &AppState,
    asker: &Staff,
    staff: UserId,
) -> Result<TrainingRecord, ApiError> {
    if !assessment::may_see(&asker.user.actor(), staff) {
        return Err(ApiError::forbidden());
    }
    // Nobody by that id: not found, like any record that is not there.
    let user = state
        .store
        .user(staff)
        .await
        .map_err(|_| ApiError::not_found())?;
    let (_, policy) = state.store.policy().await?;
    let interval = policy.kpi.training_interval_days;
    let today = figures::today(state);
    let sessions: Vec<RecordLine> = state
        .store
        .training_record(staff)
        .await?
        .into_iter()
        .map(|(s, attended, score)| RecordLine {
            planned: s.held_on > today,
            session: s.into(),
            attended,
            score,
        })
        .collect();
    let last = sessions
        .iter()
        .filter(|l| l.attended && l.session.held_on <= today)
        .map(|l| l.session.held_on)
        .max();
    Ok(TrainingRecord {
        staff: staff.0,
        name: user.display_name,
        last,
        overdue: training::overdue(last, today, interval),
        interval_days: interval,
        sessions,
    })
}

/// Every staff member and whether they are due for training.
pub async fn due(state: &AppState) -> Result<Vec<DueLine>, ApiError> {
    let (_, policy) = state.store.policy().await?;
    let today = figures::today(state);
    let mut lines: Vec<DueLine> = state
        .store
        .last_trained(today)
        .await?
        .into_iter()
        .map(|l| DueLine {
            staff: l.user.0,
            overdue: training::overdue(l.last, today, policy.kpi.training_interval_days),
            name: l.name,
            last: l.last,
        })
        .collect();
    lines.sort_by_key(|l| (!l.overdue, l.last, l.name.clone()));
    Ok(lines)
}

/// An assessment as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssessmentView {
    pub staff: uuid::Uuid,
    pub name: String,
    pub period: String,
    pub indicators: Indicators,
    pub items: Vec<ManualItem>,
    pub comment: Option<String>,
    pub score: Option<f64>,
    pub rating: Option<Rating>,
    pub assessed_by: String,
    pub assessed_at: chrono::DateTime<chrono::Utc>,
    pub consequences: Vec<ConsequenceView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsequenceView {
    pub kind: assessment::Consequence,
    pub reason: String,
    pub by: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

impl From<aiwei_store::assessments::Assessment> for AssessmentView {
    fn from(a: aiwei_store::assessments::Assessment) -> Self {
        Self {
            staff: a.staff.0,
            name: a.staff_name,
            period: a.period_key,
            indicators: a.indicators,
            items: a.items,
            comment: a.comment,
            score: a.score,
            rating: a.rating,
            assessed_by: a.assessed_by,
            assessed_at: a.assessed_at,
            consequences: a
                .consequences
                .into_iter()
                .map(|c| ConsequenceView {
                    kind: c.kind,
                    reason: c.reason,
                    by: c.by,
                    at: c.at,
                })
                .collect(),
        }
    }
}

impl AssessmentView {
    pub fn score_text(&self) -> String {
        self.score
            .map(|s| format!("{s:.1}"))
            .unwrap_or_else(|| "—".to_owned())
    }

    pub fn rating_zh(&self) -> &'static str {
        self.rating.map_or("无数据，未评级", Rating::label)
    }

    pub fn timeliness_text(&self) -> String {
        assessment::timeliness(&self.indicators).shown()
    }
}

/// The indicators of `staff` over `period`, as the statistics compute them.
pub async fn indicators_of(
    state: &AppState,
    staff: UserId,
    period: Period,
) -> Result<Indicators, ApiError> {
    let facts = figures::facts(state, period).await?;
    let (_, policy) = state.store.policy().await?;
    Ok(kpi::compute(&facts, &Subject::Staff(staff), &policy.kpi))
}

/// Assesses a staff member: their figures computed now, the supervisor's
/// items and comment, the score and rating by the policy's thresholds.
pub async fn assess(
    state: &AppState,
    staff: &Staff,
    req: &AssessmentRequest,
) -> Result<AssessmentView, ApiError> {
    let a = req.validate().map_err(ApiError::invalid)?;
    state
        .store
        .user(req.staff)
        .await
        .map_err(|_| ApiError::invalid_field(FieldError::new("staff", ErrorCode::UnknownUser)))?;
    let k = indicators_of(state, req.staff, a.period).await?;
    let (_, policy) = state.store.policy().await?;
    let score = assessment::score(&k, &a.items);
    let rating = assessment::rating(score, &policy.kpi);
    state
        .store
        .save_assessment(
            req.staff,
            &a,
            &k,
            score,
            rating,
            staff.user.id,
            &staff.audit_actor(),
            state.clock.now(),
        )
        .await?;
    state
        .store
        .assessments(&a.period.key(), Some(req.staff))
        .await?
        .into_iter()
        .next()
        .map(AssessmentView::from)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("assessment not read back")))
}

/// The assessments of a period `asker` may see: all for supervisors,
/// their own for everyone else.
pub async fn assessments(
    state: &AppState,
    asker: &Staff,
    period: Period,
) -> Result<Vec<AssessmentView>, ApiError> {
    let actor = asker.user.actor();
    Ok(state
        .store
        .assessments(&period.key(), None)
        .await?
        .into_iter()
        .filter(|a| assessment::may_see(&actor, a.staff))
        .map(AssessmentView::from)
        .collect())
}

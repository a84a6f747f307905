//! "培训" and "考核" pages: supervisors record training
//! sessions and assess the staff; everyone sees their own training record
//! and assessments.

use aiwei_core::assessment::{AssessmentRequest, Consequence, ConsequenceRequest, ManualItem};
use aiwei_core::kpi::Period;
use aiwei_core::training::{Attendance, SessionRequest, TrainingTopic};
use aiwei_core::{Role, UserId};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use super::{Layout, options};
use crate::api::staff::PeriodQuery;
use crate::auth::{Can, Staff, Supervise};
use crate::error::ApiError;
use crate::extract::{ApiMultipart, ApiPath, ApiQuery, CsrfForm};
use crate::services::staff::{
    self, AssessmentView, DueLine, SessionDetail, SessionView, TrainingRecord,
};
use crate::state::AppState;

/// The trimmed value of field `k` of a form, or empty.
fn field(form: &[(String, String)], k: &str) -> String {
    form.iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

/// A refusal as the text the page shows; an error of the server stays an
/// error (logged, and shown as the error page).
fn refused<T>(r: Result<T, ApiError>) -> Result<Result<T, String>, ApiError> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(e) if e.status.is_client_error() => Ok(Err(e.message())),
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "training.html")]
pub struct TrainingPage {
    layout: Layout,
    supervisor: bool,
    record: TrainingRecord,
    sessions: Vec<SessionView>,
    due: Vec<DueLine>,
    /// Staff who may attend: (id, name).
    staff: Vec<(String, String)>,
    topics: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    error: Option<String>,
    today: String,
}

#[derive(serde::Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    saved: Option<String>,
}

async fn training_page(
    state: &AppState,
    staff: &Staff,
    notice: Option<String>,
    error: Option<String>,
) -> Result<TrainingPage, ApiError> {
    let supervisor = staff.user.roles.contains(&Role::Supervisor);
    let (sessions, due, people) = if supervisor {
        let people = state
            .store
            .list_users()
            .await?
            .into_iter()
            .filter(|u| {
                u.active
                    && u.roles.iter().any(|r| {
                        matches!(
                            r,
                            Role::Intake | Role::Handler | Role::DeptLead | Role::Supervisor
                        )
                    })
            })
            .map(|u| (u.id.0.to_string(), u.display_name))
            .collect();
        (
            state
                .store
                .sessions(100)
                .await?
                .into_iter()
                .map(SessionView::from)
                .collect(),
            staff::due(state).await?,
            people,
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    Ok(TrainingPage {
        record: staff::record(state, staff, staff.user.id).await?,
        layout: Layout::new(state, staff, "/training").await,
        supervisor,
        sessions,
        due,
        staff: people,
        topics: options(
            TrainingTopic::ALL,
            TrainingTopic::as_str,
            TrainingTopic::label,
        ),
        notice,
        error,
        today: crate::services::figures::today(state).to_string(),
    })
}

pub async fn training(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> Result<TrainingPage, ApiError> {
    let notice = q.saved.map(|_| "培训记录已保存。".to_owned());
    training_page(&state, &staff, notice, None).await
}

/// The session form: fields, then `present` (ids, repeated) and
/// `score.<id>` for each attendee.
pub async fn add_session(
    State(state): State<AppState>,
    form: CsrfForm<Vec<(String, String)>, Supervise>,
) -> Result<Response, ApiError> {
    let get = |k: &str| field(&form.form, k);
    let built = (|| -> Result<SessionRequest, String> {
        let held_on = chrono::NaiveDate::parse_from_str(&get("held_on"), "%Y-%m-%d")
            .map_err(|_| "请填写培训日期".to_owned())?;
        let topic = TrainingTopic::from_code(&get("topic")).ok_or("请选择培训内容")?;
        let hours = match get("hours").as_str() {
            "" => None,
            h => Some(h.parse::<f64>().map_err(|_| "学时应为数字".to_owned())?),
        };
        let mut attendees = Vec::new();
        for (k, v) in &form.form {
            if k == "invited" {
                let user: uuid::Uuid = v.parse().map_err(|_| "人员有误".to_owned())?;
                let present = form.form.iter().any(|(k, p)| k == "present" && p == v);
                let score = match get(&format!("score.{v}")).as_str() {
                    "" => None,
                    s => Some(
                        s.parse::<f64>()
                            .map_err(|_| "成绩应为0–100的数字".to_owned())?,
                    ),
                };
                attendees.push(Attendance {
                    user: UserId(user),
                    attended: present,
                    score,
                });
            }
        }
        Ok(SessionRequest {
            held_on,
            topic,
            title: get("title"),
            trainer: get("trainer"),
            hours,
            notes: Some(get("notes")).filter(|n| !n.is_empty()),
            attendees,
        })
    })();
    let result = match built {
        Ok(req) => refused(staff::add_session(&state, &form.staff, &req).await)?,
        Err(e) => Err(e),
    };
    match result {
        Ok(s) => Ok(Redirect::to(&format!("/training/{}?saved=1", s.session.id)).into_response()),
        Err(e) => Ok(training_page(&state, &form.staff, None, Some(e))
            .await?
            .into_response()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "training_session.html")]
pub struct SessionPage {
    layout: Layout,
    s: SessionDetail,
    notice: Option<String>,
    error: Option<String>,
}

pub async fn session(
    State(state): State<AppState>,
    can: Can<Supervise>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> Result<SessionPage, ApiError> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    Ok(SessionPage {
        s: state.store.training_session(id).await?.into(),
        layout: Layout::new(&state, &can.staff, "/training").await,
        notice: q.saved.map(|_| "已保存。".to_owned()),
        error: None,
    })
}

/// A material uploaded on the session page.
pub async fn upload_material(
    State(state): State<AppState>,
    can: Can<Supervise>,
    ApiPath(id): ApiPath<String>,
    ApiMultipart(mp): ApiMultipart,
) -> Result<Response, ApiError> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    let up = crate::services::attachments::read_upload(mp, &[]).await?;
    crate::extract::check_form_token(&up.csrf, &can.staff)?;
    match refused(staff::add_material(&state, &can.staff, id, &up).await)? {
        Ok(_) => Ok(Redirect::to(&format!("/training/{id}?saved=1")).into_response()),
        Err(e) => Ok(SessionPage {
            s: state.store.training_session(id).await?.into(),
            layout: Layout::new(&state, &can.staff, "/training").await,
            notice: None,
            error: Some(e),
        }
        .into_response()),
    }
}

/// A staff member's line on the assessment page: their figures now, and
/// their assessment if made.
pub struct AssessLine {
    pub id: String,
    pub name: String,
    pub timeliness: String,
    pub accuracy: String,
    pub satisfaction: String,
    pub done: Option<AssessmentView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "assessments.html")]
pub struct AssessmentsPage {
    layout: Layout,
    supervisor: bool,
    period: Period,
    periods: Vec<super::figures::Choice>,
    lines: Vec<AssessLine>,
    own: Vec<AssessmentView>,
    consequences: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    error: Option<String>,
    export_href: String,
}

async fn assessments_page(
    state: &AppState,
    staff: &Staff,
    period: Period,
    notice: Option<String>,
    error: Option<String>,
) -> Result<AssessmentsPage, ApiError> {
    let supervisor = staff.user.roles.contains(&Role::Supervisor);
    let done = staff::assessments(state, staff, period).await?;
    let mut lines = Vec::new();
    if supervisor {
        // The period's facts are read once and counted for each clerk.
        let facts = crate::services::figures::facts(state, period).await?;
        let (_, policy) = state.store.policy().await?;
        for u in state.store.list_users().await? {
            if !u.active || !u.roles.contains(&Role::Intake) {
                continue;
            }
            let k = aiwei_core::kpi::compute(
                &facts,
                &aiwei_core::kpi::Subject::Staff(u.id),
                &policy.kpi,
            );
            lines.push(AssessLine {
                id: u.id.0.to_string(),
                name: u.display_name.clone(),
                timeliness: aiwei_core::assessment::timeliness(&k).shown(),
                accuracy: k.accuracy.shown(),
                satisfaction: k.satisfaction.shown(),
                done: done.iter().find(|a| a.staff == u.id.0).cloned(),
            });
        }
    }
    let own = done
        .into_iter()
        .filter(|a| a.staff == staff.user.id.0)
        .collect();
    Ok(AssessmentsPage {
        layout: Layout::new(state, staff, "/assessments").await,
        supervisor,
        periods: super::figures::periods(crate::services::figures::today(state), &period.key()),
        export_href: format!("/api/v1/exports/assessments.xlsx?period={}", period.key()),
        period,
        lines,
        own,
        consequences: options(Consequence::ALL, Consequence::as_str, Consequence::label),
        notice,
        error,
    })
}

pub async fn assessments(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<AssessmentsPage, ApiError> {
    let period = q.period(&state)?;
    assessments_page(&state, &staff, period, None, None).await
}

/// The assessment form of one staff member: `items` one per line as
/// `名称 分值`, a comment, and optionally one consequence with its reason.
pub async fn assess(
    State(state): State<AppState>,
    form: CsrfForm<Vec<(String, String)>, Supervise>,
) -> Result<Response, ApiError> {
    let get = |k: &str| field(&form.form, k);
    let period = Period::parse(&get("period")).map_err(ApiError::invalid_field)?;
    let built = (|| -> Result<AssessmentRequest, String> {
        let staff: uuid::Uuid = get("staff").parse().map_err(|_| "人员有误".to_owned())?;
        let mut items = Vec::new();
        for line in get("items")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let (name, points) = line
                .rsplit_once([' ', '\u{3000}', '：', ':'])
                .ok_or_else(|| format!("“{line}”应写作 名称 分值，如 服务态度 +2"))?;
            let points: f64 = points
                .trim()
                .trim_start_matches('+')
                .parse()
                .map_err(|_| format!("“{line}”的分值应为 -20 到 +20 的数字"))?;
            items.push(ManualItem {
                name: name.trim().to_owned(),
                points,
            });
        }
        let consequences = match Consequence::from_code(&get("consequence")) {
            Some(kind) => vec![ConsequenceRequest {
                kind,
                reason: get("reason"),
            }],
            None => Vec::new(),
        };
        Ok(AssessmentRequest {
            staff: UserId(staff),
            period: period.key(),
            items,
            comment: Some(get("comment")).filter(|c| !c.is_empty()),
            consequences,
        })
    })();
    let result = match built {
        Ok(req) => refused(staff::assess(&state, &form.staff, &req).await)?,
        Err(e) => Err(e),
    };
    match result {
        Ok(a) => Ok(Redirect::to(&format!(
            "/assessments?period={}#staff-{}",
            period.key(),
            a.staff
        ))
        .into_response()),
        Err(e) => Ok(assessments_page(&state, &form.staff, period, None, Some(e))
            .await?
            .into_response()),
    }
}

//! The figures of a period for the organisation, a department or a staff
//! member (R-6.2, docs/KPI.md), shared by the API, the dashboards and the
//! reports: which period and subject a query names, whether the asker may
//! see them, and the indicators beside those of the period before.

use std::collections::BTreeMap;

use aiwei_core::kpi::{self, Facts, Indicator, Indicators, Period, PeriodKind, Subject};
use aiwei_core::{ErrorCode, FieldError, FieldErrors, UserId};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::query::{self, blank_to_none, opt_blank};
use crate::error::ApiError;
use crate::state::AppState;

/// Which period and whose figures.
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    /// A month `2026-10`, quarter `2026-Q4` or year `2026`; the current
    /// month when neither this nor `from`/`to` is given.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = period_schema)]
    pub period: Option<String>,
    /// First day of a custom period, `YYYY-MM-DD` (with `to`).
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::day)]
    pub from: Option<String>,
    /// Last day of a custom period, `YYYY-MM-DD` (with `from`), at most
    /// 731 days after it.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::day)]
    pub to: Option<String>,
    /// A department code: that department's figures.
    #[serde(default, skip_serializing_if = "opt_blank")]
    pub department: Option<String>,
    /// A staff member's id: their own figures.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::uuid)]
    pub staff: Option<String>,
}

fn period_schema() -> utoipa::openapi::schema::Object {
    query::schema::or_empty(r"^[0-9]{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$")
}

/// A period as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeriodView {
    /// `2026-10`, `2026-Q4`, `2026`, or `2026-10-01..2026-10-15`.
    pub key: String,
    pub kind: PeriodKind,
    /// 2026年10月.
    pub title: String,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl From<Period> for PeriodView {
    fn from(p: Period) -> Self {
        Self {
            key: p.key(),
            kind: p.kind,
            title: p.title(),
            first: p.first,
            last: p.last,
        }
    }
}

/// Whose figures they are.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubjectView {
    /// `organisation`, `department` or `staff`.
    pub kind: &'static str,
    /// The department code or the staff member's id.
    pub id: Option<String>,
    /// 全单位, the department's or the staff member's name.
    pub name: String,
}

/// The indicators of a period and of the period before, with the targets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Figures {
    pub period: PeriodView,
    pub previous_period: PeriodView,
    pub subject: SubjectView,
    pub indicators: Indicators,
    pub previous: Indicators,
    /// Percent, per indicator with a target.
    pub targets: BTreeMap<Indicator, f64>,
    pub answer_within_secs: u32,
    pub reception_within_secs: u32,
}

/// A resolved query: the period, the subject and its name.
pub struct Scope {
    pub period: Period,
    pub subject: Subject,
    pub view: SubjectView,
}

impl FiguresQuery {
    /// The period and subject asked for, checked; `today` is the local day
    /// the default month is taken from.
    pub fn parse(&self, today: NaiveDate) -> Result<(Period, Option<Subject>), ApiError> {
        let mut errs = FieldErrors::default();
        let from = blank_to_none(&self.from).and_then(|d| query::day("from", d, &mut errs));
        let to = blank_to_none(&self.to).and_then(|d| query::day("to", d, &mut errs));
        let period = match (blank_to_none(&self.period), from, to) {
            (Some(p), None, None) if errs.is_empty() => errs.take(Period::parse(p)),
            (None, Some(f), Some(t)) => errs.take(Period::custom(f, t)),
            (None, None, None) if errs.is_empty() => {
                Some(Period::containing(PeriodKind::Month, today))
            }
            (Some(_), _, _) => {
                errs.push("period", ErrorCode::InvalidValue);
                None
            }
            (None, f, t) => {
                if f.is_none() && !errs.has("from") {
                    errs.push("from", ErrorCode::Required);
                }
                if t.is_none() && !errs.has("to") {
                    errs.push("to", ErrorCode::Required);
                }
                None
            }
        };
        let subject = match (blank_to_none(&self.department), blank_to_none(&self.staff)) {
            (Some(_), Some(_)) => {
                errs.push("staff", ErrorCode::InvalidValue);
                None
            }
            (Some(d), None) => Some(Subject::Department(d.to_ascii_uppercase())),
            (None, Some(u)) => {
                query::uuid("staff", u, &mut errs).map(|u| Subject::Staff(UserId(u)))
            }
            (None, None) => None,
        };
        match (errs.is_empty(), period) {
            (true, Some(p)) => Ok((p, subject)),
            _ => Err(ApiError::invalid(errs)),
        }
    }
}

/// The local day of the app's clock.
pub fn today(state: &AppState) -> NaiveDate {
    state
        .clock
        .now()
        .with_timezone(&aiwei_core::time::china())
        .date_naive()
}

/// The period and subject of `q` for `staff`: the asker's own default
/// subject when none is named; 403 when the asker may not see it, 422 for
/// a department or staff member that does not exist.
pub async fn scope(
    state: &AppState,
    staff: &crate::auth::Staff,
    q: &FiguresQuery,
) -> Result<Scope, ApiError> {
    let actor = staff.user.actor();
    let (period, subject) = q.parse(today(state))?;
    let subject = subject.unwrap_or_else(|| aiwei_core::access::default_figures(&actor));
    if !aiwei_core::access::may_see_figures(&actor, &subject) {
        return Err(ApiError::forbidden());
    }
    let view = match &subject {
        Subject::Organisation => SubjectView {
            kind: "organisation",
            id: None,
            name: "全单位".to_owned(),
        },
        Subject::Department(code) => {
            let name = state
                .store
                .list_departments()
                .await?
                .into_iter()
                .find(|d| &d.code == code)
                .map(|d| d.name)
                .ok_or_else(|| {
                    ApiError::invalid_field(FieldError::new(
                        "department",
                        ErrorCode::UnknownDepartment,
                    ))
                })?;
            SubjectView {
                kind: "department",
                id: Some(code.clone()),
                name,
            }
        }
        Subject::Staff(id) => {
            let user = state.store.user(*id).await.map_err(|_| {
                ApiError::invalid_field(FieldError::new("staff", ErrorCode::UnknownUser))
            })?;
            SubjectView {
                kind: "staff",
                id: Some(id.0.to_string()),
                name: user.display_name,
            }
        }
    };
    Ok(Scope {
        period,
        subject,
        view,
    })
}

/// The facts of `period`.
pub async fn facts(state: &AppState, period: Period) -> Result<Facts, ApiError> {
    let (start, end) = period.span();
    Ok(state.store.kpi_facts(start, end, state.clock.now()).await?)
}

/// The figures `q` asks for, with those of the period before.
pub async fn figures(
    state: &AppState,
    staff: &crate::auth::Staff,
    q: &FiguresQuery,
) -> Result<(Figures, Facts, Subject), ApiError> {
    let scope = scope(state, staff, q).await?;
    let (_, policy) = state.store.policy().await?;
    let now_facts = facts(state, scope.period).await?;
    let before = scope.period.previous();
    let before_facts = facts(state, before).await?;
    let figures = Figures {
        period: scope.period.into(),
        previous_period: before.into(),
        indicators: kpi::compute(&now_facts, &scope.subject, &policy.kpi),
        previous: kpi::compute(&before_facts, &scope.subject, &policy.kpi),
        subject: scope.view.clone(),
        targets: policy.kpi.targets.clone(),
        answer_within_secs: policy.kpi.answer_within_secs,
        reception_within_secs: policy.kpi.reception_within_secs,
    };
    Ok((figures, now_facts, scope.subject))
}

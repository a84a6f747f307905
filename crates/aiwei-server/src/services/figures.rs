//! The figures of a period for the organisation, a department or a staff
//! member (R-6.2, docs/KPI.md), shared by the API, the dashboards and the
//! reports: which period and subject a query names, whether the asker may
//! see them, and the indicators beside those of the period before.

use std::collections::BTreeMap;

use aiwei_core::kpi::{self, Facts, Indicator, Indicators, Period, PeriodKind, Subject};
use aiwei_core::{FieldErrors, UserId};
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
    /// First day of a custom period, `YYYY-MM-DD`; from the first records
    /// when only `to` is given. A custom period wins over `period`.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::day)]
    pub from: Option<String>,
    /// Last day of a custom period, `YYYY-MM-DD`; today when only `from`
    /// is given. The two ends may come in either order.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::day)]
    pub to: Option<String>,
    /// A department code: that department's figures (404 when there is no
    /// such department).
    #[serde(default, skip_serializing_if = "opt_blank")]
    pub department: Option<String>,
    /// A staff member's id: their own figures (404 when there is no such
    /// account); wins over `department`.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::uuid)]
    pub staff: Option<String>,
}

pub fn period_schema() -> utoipa::openapi::schema::Object {
    query::schema::or_empty(r"^2[0-9]{3}(-(0[1-9]|1[0-2])|-Q[1-4])?$")
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
        // A custom range wins over a named period; an open end runs from the
        // first records (2000) or to today.
        let period = match (from, to, blank_to_none(&self.period)) {
            (None, None, Some(p)) => errs.take(Period::parse(p)),
            (None, None, None) => Some(Period::containing(PeriodKind::Month, today)),
            (f, t, _) => {
                let first = f.unwrap_or_else(kpi::earliest_day);
                Some(Period::custom(first, t.unwrap_or(today)))
            }
        };
        // One's own figures win over a department's when both are named.
        let subject = match (blank_to_none(&self.staff), blank_to_none(&self.department)) {
            (Some(u), _) => query::uuid("staff", u, &mut errs).map(|u| Subject::Staff(UserId(u))),
            (None, Some(d)) => Some(Subject::Department(d.to_ascii_uppercase())),
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
                .ok_or_else(ApiError::not_found)?;
            SubjectView {
                kind: "department",
                id: Some(code.clone()),
                name,
            }
        }
        Subject::Staff(id) => {
            let user = state
                .store
                .user(*id)
                .await
                .map_err(|_| ApiError::not_found())?;
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
    Ok(state.store.kpi_facts(period, state.clock.now()).await?)
}

/// Figures with the facts they were computed from.
pub struct Computed {
    pub figures: Figures,
    pub facts: Facts,
    pub before_facts: Facts,
    pub subject: Subject,
}

/// The figures `q` asks for, with those of the period before.
pub async fn figures(
    state: &AppState,
    staff: &crate::auth::Staff,
    q: &FiguresQuery,
) -> Result<Computed, ApiError> {
    let scope = scope(state, staff, q).await?;
    let (_, policy) = state.store.policy().await?;
    let before = scope.period.previous();
    // Two independent reads of hundreds of milliseconds each for a month at
    // city scale: side by side, on two of the pool's connections.
    let (now_facts, before_facts) =
        tokio::try_join!(facts(state, scope.period), facts(state, before))?;
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
    Ok(Computed {
        figures,
        facts: now_facts,
        before_facts,
        subject: scope.subject,
    })
}

/// One rate of a report: this period, the period before, the target.
#[derive(Debug, Clone)]
pub struct RateRow {
    pub indicator: Indicator,
    pub now: kpi::Ratio,
    pub before: kpi::Ratio,
    pub target: Option<f64>,
}

impl RateRow {
    pub fn name(&self) -> &'static str {
        self.indicator.label()
    }

    /// `83.3%（5/6）`, or `—`.
    pub fn now_text(&self) -> String {
        ratio_text(self.now)
    }

    pub fn before_text(&self) -> String {
        ratio_text(self.before)
    }

    /// The counts apart from the rates, for a page to break between them:
    /// a city's counts (`90.4%（20946/23179）`) are too wide for one line.
    pub fn now_count(&self) -> String {
        count_text(self.now)
    }

    pub fn before_count(&self) -> String {
        count_text(self.before)
    }

    pub fn target_text(&self) -> String {
        kpi::percent_text(self.target)
    }

    /// Whether the rate meets its target; `None` without a rate or target.
    pub fn met(&self) -> Option<bool> {
        Some(self.now.percent()? >= self.target?)
    }

    /// `达标`, `未达标` or empty.
    pub fn met_text(&self) -> &'static str {
        match self.met() {
            Some(true) => "达标",
            Some(false) => "未达标",
            None => "",
        }
    }

    /// The change from the period before in percentage points.
    pub fn change_text(&self) -> String {
        change_text(self.now.percent(), self.before.percent(), "个百分点")
    }
}

fn ratio_text(r: kpi::Ratio) -> String {
    if r.den == 0 {
        "—".to_owned()
    } else {
        format!("{}{}", r.shown(), count_text(r))
    }
}

/// `（5/6）` beside a rate, or nothing when nothing was counted.
fn count_text(r: kpi::Ratio) -> String {
    if r.den == 0 {
        String::new()
    } else {
        format!("（{}/{}）", r.num, r.den)
    }
}

/// `↑2.5`, `↓1`, `持平` or `—`, with `unit`.
fn change_text(now: Option<f64>, before: Option<f64>, unit: &str) -> String {
    match (now, before) {
        (Some(n), Some(b)) => {
            let d = n - b;
            if d.abs() < 0.05 {
                "持平".to_owned()
            } else {
                let arrow = if d > 0.0 { "↑" } else { "↓" };
                let v = d.abs();
                if (v - v.round()).abs() < 1e-9 {
                    format!("{arrow}{}{unit}", v.round() as i64)
                } else {
                    format!("{arrow}{v:.1}{unit}")
                }
            }
        }
        _ => "—".to_owned(),
    }
}

/// One count of a report, with the period before.
#[derive(Debug, Clone)]
pub struct CountRow {
    pub name: &'static str,
    pub now: Option<f64>,
    pub before: Option<f64>,
    pub unit: &'static str,
}

impl CountRow {
    fn new(name: &'static str, now: u64, before: u64, unit: &'static str) -> Self {
        Self {
            name,
            now: Some(now as f64),
            before: Some(before as f64),
            unit,
        }
    }

    fn text(v: Option<f64>) -> String {
        match v {
            None => "—".to_owned(),
            Some(v) if (v - v.round()).abs() < 1e-9 => format!("{}", v.round() as i64),
            Some(v) => format!("{v:.1}"),
        }
    }

    pub fn now_text(&self) -> String {
        Self::text(self.now)
    }

    pub fn before_text(&self) -> String {
        Self::text(self.before)
    }

    pub fn change_text(&self) -> String {
        change_text(self.now, self.before, "")
    }
}

/// One line of a breakdown: its name, this period's count and the period
/// before's.
#[derive(Debug, Clone)]
pub struct Share {
    pub name: String,
    pub now: u64,
    pub before: u64,
}

/// An open clock past due, as the report lists it (no matter content: the
/// list is read by people who may not see every matter).
#[derive(Debug, Clone)]
pub struct OverdueLine {
    pub number: String,
    pub clock: &'static str,
    pub department: String,
    pub due: String,
    pub late: String,
}

/// Everything a dashboard, a report page, its print and its workbook show.
pub struct Report {
    pub figures: Figures,
    pub rates: Vec<RateRow>,
    pub counts: Vec<CountRow>,
    /// Labels of the trend's steps and, per matter type, its counts.
    pub trend_labels: Vec<String>,
    pub trend: Vec<(String, Vec<u64>)>,
    pub by_type: Vec<Share>,
    pub by_channel: Vec<Share>,
    /// The ten sub-categories and areas with the most matters: the top
    /// problems and where they are.
    pub top_categories: Vec<Share>,
    pub top_areas: Vec<Share>,
    pub overdue: Vec<OverdueLine>,
    /// Whether the overdue list was cut at its length.
    pub overdue_more: bool,
    /// The organisation's current hotspots (R-3.1.2): place, sub-category,
    /// complaints; empty in a department's or a person's report.
    pub hotspots: Vec<(String, String, usize)>,
    /// The hotspot window, in days.
    pub hotspot_days: u32,
}

/// The most lines of a breakdown and of the overdue list.
pub const TOP: usize = 10;
pub const OVERDUE_LINES: usize = 50;

/// The report of `q` for `staff` ([`figures`] and its breakdowns).
pub async fn report(
    state: &AppState,
    staff: &crate::auth::Staff,
    q: &FiguresQuery,
) -> Result<Report, ApiError> {
    use kpi::Dimension;
    let Computed {
        figures,
        facts,
        before_facts,
        subject,
    } = self::figures(state, staff, q).await?;
    let (now, before) = (&figures.indicators, &figures.previous);
    // A staff member carries no department's clock (docs/KPI.md).
    let personal = |i: &&Indicator| {
        !matches!(subject, Subject::Staff(_))
            || i.clock()
                .is_none_or(|k| k.owner() == aiwei_core::deadline::ClockOwner::IntakeDesk)
    };
    let rates = Indicator::ALL
        .iter()
        .filter(personal)
        .map(|i| RateRow {
            indicator: *i,
            now: now.rate(*i),
            before: before.rate(*i),
            target: figures.targets.get(i).copied(),
        })
        // A department's or a person's rate that counted nothing in either
        // period is not theirs to report (a lead department takes no calls).
        .filter(|r: &RateRow| {
            matches!(subject, Subject::Organisation) || r.now.den > 0 || r.before.den > 0
        })
        .collect();
    let count =
        |name, f: fn(&Indicators) -> u64, unit| CountRow::new(name, f(now), f(before), unit);
    let mut counts = vec![count("受理总量", |k| k.received, "件")];
    for t in aiwei_core::MatterType::ALL {
        counts.push(CountRow::new(
            t.label(),
            now.by_type.get(t).copied().unwrap_or(0),
            before.by_type.get(t).copied().unwrap_or(0),
            "件",
        ));
    }
    counts.extend([
        count("办结", |k| k.accuracy.den, "件"),
        count("退回", |k| k.returns, "次"),
        count("超时办结", |k| k.late, "项"),
        count("期末超期未办", |k| k.overdue_open, "项"),
        count("申请延期", |k| k.extensions_requested, "次"),
        count("批准延期", |k| k.extensions_approved, "次"),
        CountRow {
            name: "平均办理时长",
            now: now.handling_hours_mean,
            before: before.handling_hours_mean,
            unit: "小时",
        },
        CountRow {
            name: "办理时长（90%分位）",
            now: now.handling_hours_p90,
            before: before.handling_hours_p90,
            unit: "小时",
        },
    ]);
    let trend_rows = kpi::trend(&facts, &subject, scope_period(&figures.period)?);
    let trend_labels = trend_rows.iter().map(|(l, _)| l.clone()).collect();
    let trend = aiwei_core::MatterType::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| {
            (
                t.label().to_owned(),
                trend_rows.iter().map(|(_, c)| c[i]).collect(),
            )
        })
        .collect();
    let categories = state.store.list_categories().await?;
    let category_name = |code: &str| {
        categories
            .iter()
            .find(|c| c.code == code)
            .map_or_else(|| code.to_owned(), |c| c.name.clone())
    };
    let breakdown = |dim: Dimension, name: &dyn Fn(Option<&str>) -> String, top: usize| {
        let now = kpi::breakdown(&facts, &subject, dim);
        let before = kpi::breakdown(&before_facts, &subject, dim);
        now.iter()
            .take(top)
            .map(|(key, n)| Share {
                name: name(key.as_deref()),
                now: *n,
                before: before.iter().find(|(k, _)| k == key).map_or(0, |(_, b)| *b),
            })
            .collect::<Vec<_>>()
    };
    let by_type = breakdown(
        Dimension::Type,
        &|k| {
            k.and_then(aiwei_core::MatterType::from_code)
                .map_or("未分类", |t| t.label())
                .to_owned()
        },
        usize::MAX,
    );
    let by_channel = breakdown(
        Dimension::Channel,
        &|k| {
            k.and_then(aiwei_core::Channel::from_code)
                .map_or("其他", |c| c.label())
                .to_owned()
        },
        usize::MAX,
    );
    let top_categories = breakdown(
        Dimension::Category,
        &|k| k.map_or_else(|| "未选子类".to_owned(), category_name),
        TOP,
    );
    let top_areas = breakdown(
        Dimension::Area,
        &|k| k.map_or_else(|| "未填区划".to_owned(), str::to_owned),
        TOP,
    );
    let (overdue, overdue_more) = overdue_lines(state, &subject).await?;
    // Hotspots are the organisation's; a department's report reads none.
    let (hotspots, hotspot_days) = if matches!(subject, Subject::Organisation) {
        let spots = crate::services::hotspots::list(state).await?;
        let lines = spots
            .items
            .into_iter()
            .map(|h| (h.place, h.category.name, h.count))
            .collect();
        (lines, spots.days)
    } else {
        (Vec::new(), 0)
    };
    Ok(Report {
        hotspots,
        hotspot_days,
        figures,
        rates,
        counts,
        trend_labels,
        trend,
        by_type,
        by_channel,
        top_categories,
        top_areas,
        overdue,
        overdue_more,
    })
}

/// The period a view names (built from a period, so it is one).
fn scope_period(v: &PeriodView) -> Result<Period, ApiError> {
    Ok(Period {
        kind: v.kind,
        first: v.first,
        last: v.last,
    })
}

/// The clocks of `subject` open and past due now, most overdue first.
async fn overdue_lines(
    state: &AppState,
    subject: &Subject,
) -> Result<(Vec<OverdueLine>, bool), ApiError> {
    let now = state.clock.now();
    let all = state.store.past_due_clocks(now, 5_000).await?;
    let mut lines: Vec<OverdueLine> = all
        .into_iter()
        .filter(|c| match subject {
            Subject::Organisation => true,
            Subject::Department(d) => c.department.as_deref() == Some(d.as_str()),
            // A staff member's desk clocks are on their own work page.
            Subject::Staff(_) => false,
        })
        .map(|c| OverdueLine {
            number: c.number,
            clock: c.kind.label(),
            department: c.department_name.unwrap_or_else(|| "受理窗口".to_owned()),
            due: aiwei_core::time::local_due(c.due_at),
            late: aiwei_core::deadline::left_text((now - c.due_at).num_minutes()),
        })
        .collect();
    let more = lines.len() > OVERDUE_LINES;
    lines.truncate(OVERDUE_LINES);
    Ok((lines, more))
}

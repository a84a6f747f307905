//! "统计分析": the dashboard and report of a period for the organisation,
//! a department or oneself (R-6.2, docs/KPI.md), and its A4 print. Both
//! are read from [`figures::report`]; the charts are SVG drawn here from
//! the same numbers the tables beside them show.

use aiwei_core::Role;
use aiwei_core::access;
use aiwei_core::chart;
use aiwei_core::kpi::{Period, PeriodKind};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;

use super::Layout;
use crate::auth::Staff;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::services::figures::{self, FiguresQuery, Report, Share};
use crate::state::AppState;

/// The charts of a report, as SVG.
pub struct Charts {
    pub rates: String,
    pub trend: String,
    pub types: String,
    pub channels: String,
    pub categories: String,
    pub areas: String,
}

impl Charts {
    fn of(r: &Report) -> Self {
        let shares = |items: &[Share]| -> Vec<(String, u64)> {
            items.iter().map(|s| (s.name.clone(), s.now)).collect()
        };
        let bars = |items: &[Share]| -> Vec<(String, f64)> {
            items
                .iter()
                .map(|s| (s.name.clone(), s.now as f64))
                .collect()
        };
        Self {
            rates: chart::rates(
                "考核指标与目标",
                &r.rates
                    .iter()
                    .map(|x| (x.name().to_owned(), x.now.percent(), x.target))
                    .collect::<Vec<_>>(),
            ),
            trend: chart::trend("受理量趋势（按类型）", &r.trend_labels, &r.trend),
            types: chart::shares("事项类型构成", &shares(&r.by_type)),
            channels: chart::shares("受理渠道构成", &shares(&r.by_channel)),
            categories: chart::bars("主要问题（子类别前十）", &bars(&r.top_categories), "件"),
            areas: chart::bars("区域分布（前十）", &bars(&r.top_areas), "件"),
        }
    }
}

/// A choice of the pickers: (value, label, selected).
pub type Choice = (String, String, bool);

#[derive(Template, WebTemplate)]
#[template(path = "figures.html")]
pub struct DashboardPage {
    layout: Layout,
    r: Report,
    charts: Charts,
    periods: Vec<Choice>,
    /// Whose figures: `department:CODE`, `staff:ID` or empty for the
    /// asker's widest view.
    subjects: Vec<Choice>,
    q: FiguresQuery,
    /// The same query for the print and the workbook.
    print_href: String,
    xlsx_href: String,
    /// Current hotspots, for those who supervise.
    hotspots: Option<crate::services::hotspots::HotspotList>,
}

#[derive(Template, WebTemplate)]
#[template(path = "figures_print.html")]
pub struct PrintPage {
    org_name: String,
    back_href: String,
    r: Report,
    charts: Charts,
    printed: String,
}

/// The query of a picker form: one `subject` field instead of two.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PickerQuery {
    #[serde(default)]
    period: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    staff: Option<String>,
    /// `department:CODE` or `staff:ID` from the picker.
    #[serde(default)]
    subject: Option<String>,
}

impl PickerQuery {
    /// The figures query it names. A custom range wins over a period when
    /// both are sent (the picker sends both).
    fn figures(&self) -> FiguresQuery {
        let blank = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        let (from, to) = (blank(&self.from), blank(&self.to));
        let custom = from.is_some() || to.is_some();
        let (mut department, mut staff) = (blank(&self.department), blank(&self.staff));
        match self.subject.as_deref().and_then(|s| s.split_once(':')) {
            Some(("department", d)) => department = Some(d.to_owned()),
            Some(("staff", u)) => staff = Some(u.to_owned()),
            _ => {}
        }
        FiguresQuery {
            period: if custom { None } else { blank(&self.period) },
            from,
            to,
            department,
            staff,
        }
    }
}

fn href(base: &str, q: &FiguresQuery) -> String {
    match serde_urlencoded::to_string(q) {
        Ok(s) if !s.is_empty() => format!("{base}?{s}"),
        _ => base.to_owned(),
    }
}

/// The periods offered: this and the eleven months before, this and the
/// three quarters before, this and the two years before; and first the
/// chosen period when it is older, so the picker names the period shown
/// rather than falling back to its first entry.
pub(super) fn periods(today: chrono::NaiveDate, chosen: &str) -> Vec<Choice> {
    let mut out = Vec::new();
    for kind in [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::Year] {
        let n = match kind {
            PeriodKind::Month => 12,
            PeriodKind::Quarter => 4,
            _ => 3,
        };
        let mut p = Period::containing(kind, today);
        for _ in 0..n {
            let key = p.key();
            out.push((key.clone(), p.title(), key == chosen));
            p = p.previous();
        }
    }
    if !out.iter().any(|c| c.2)
        && let Ok(p) = Period::parse(chosen)
    {
        out.insert(0, (p.key(), p.title(), true));
    }
    out
}

/// Whose figures the asker may pick: the organisation and every department
/// and intake clerk for supervisors and the leading group; their own
/// departments for a department's lead; oneself.
async fn subjects(
    state: &AppState,
    staff: &Staff,
    chosen: &figures::SubjectView,
) -> Result<Vec<Choice>, ApiError> {
    let actor = staff.user.actor();
    let mut out = Vec::new();
    let wide = actor.any(&[Role::Supervisor, Role::LeadingGroup]);
    if wide {
        out.push((
            String::new(),
            "全单位".to_owned(),
            chosen.kind == "organisation",
        ));
    }
    for d in state.store.list_departments().await? {
        let subject = aiwei_core::kpi::Subject::Department(d.code.clone());
        if access::may_see_figures(&actor, &subject) {
            let picked = chosen.kind == "department" && chosen.id.as_deref() == Some(&d.code);
            out.push((format!("department:{}", d.code), d.name, picked));
        }
    }
    let mine = staff.user.id.0.to_string();
    if wide {
        for u in state.store.list_users().await? {
            if u.roles.contains(&Role::Intake) {
                let id = u.id.0.to_string();
                let picked = chosen.kind == "staff" && chosen.id.as_deref() == Some(&id);
                out.push((
                    format!("staff:{id}"),
                    format!("人员：{}", u.display_name),
                    picked,
                ));
            }
        }
    }
    if !out.iter().any(|(v, _, _)| *v == format!("staff:{mine}")) {
        let picked = chosen.kind == "staff" && chosen.id.as_deref() == Some(&mine);
        out.push((format!("staff:{mine}"), "本人".to_owned(), picked));
    }
    Ok(out)
}

pub async fn dashboard(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(pq): ApiQuery<PickerQuery>,
) -> Result<DashboardPage, ApiError> {
    let q = pq.figures();
    let r = figures::report(&state, &staff, &q).await?;
    let chosen = if r.figures.period.kind == PeriodKind::Custom {
        String::new()
    } else {
        r.figures.period.key.clone()
    };
    let hotspots = if staff.user.may(access::Permission::Supervise)
        && r.figures.subject.kind == "organisation"
    {
        Some(crate::services::hotspots::list(&state).await?)
    } else {
        None
    };
    Ok(DashboardPage {
        periods: periods(figures::today(&state), &chosen),
        subjects: subjects(&state, &staff, &r.figures.subject).await?,
        print_href: href("/figures/print", &q),
        xlsx_href: href("/api/v1/exports/report.xlsx", &q),
        charts: Charts::of(&r),
        layout: Layout::new(&state, &staff, "/figures").await,
        hotspots,
        q,
        r,
    })
}

pub async fn print(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(pq): ApiQuery<PickerQuery>,
) -> Result<PrintPage, ApiError> {
    let q = pq.figures();
    let r = figures::report(&state, &staff, &q).await?;
    Ok(PrintPage {
        back_href: href("/figures", &q),
        org_name: state.config.org_name.clone(),
        charts: Charts::of(&r),
        printed: aiwei_core::time::local_minute(state.clock.now()),
        r,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_picker_names_the_period_shown_even_an_old_one() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let picked = |c: &[Choice]| {
            c.iter()
                .filter(|c| c.2)
                .map(|c| (c.0.clone(), c.1.clone()))
                .collect::<Vec<_>>()
        };
        let recent = periods(today, "2026-10");
        assert_eq!(recent.len(), 19);
        assert_eq!(picked(&recent), [("2026-10".into(), "2026年10月".into())]);
        let old = periods(today, "2025-12");
        assert_eq!(old.len(), 20);
        assert_eq!(old[0].0, "2025-12");
        assert_eq!(picked(&old), [("2025-12".into(), "2025年12月".into())]);
        let quarter = periods(today, "2024-Q2");
        assert_eq!(
            picked(&quarter),
            [("2024-Q2".into(), "2024年第二季度".into())]
        );
        // A custom range is in the date fields, not the picker.
        assert!(picked(&periods(today, "")).is_empty());
    }
}

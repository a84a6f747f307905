//! Administration of the deadline policy, the working-day calendar and the
//! routing defaults of the sub-categories.

use aiwei_core::MatterType;
use aiwei_core::deadline::{DeadlineKind, Limit, Policy};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use super::Layout;
use super::intake::category_options;
use crate::auth::{Administer, Can, Staff};
use crate::error::ApiError;
use crate::extract::CsrfForm;
use crate::state::AppState;

/// One row of the policy form: a clock and its limits.
pub struct PolicyRow {
    pub kind: &'static str,
    pub name: &'static str,
    /// (value, unit) of the default, then per type (blank: the default).
    pub default: (String, &'static str),
    pub by_type: Vec<(&'static str, String, &'static str)>,
}

fn split(l: Option<&Limit>) -> (String, &'static str) {
    match l {
        Some(Limit::Hours(h)) => (h.to_string(), "hours"),
        Some(Limit::WorkingDays(d)) => (d.to_string(), "working_days"),
        None => (String::new(), "working_days"),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_policy.html")]
pub struct PolicyPage {
    layout: Layout,
    version: i32,
    rows: Vec<PolicyRow>,
    types: Vec<(&'static str, &'static str)>,
    warn_percent: u32,
    /// Every role, its label, and whether it publishes knowledge-base
    /// articles.
    publishers: Vec<(&'static str, &'static str, bool)>,
    duplicate_days: u32,
    hotspot_min: u32,
    hotspot_days: u32,
    kpi: aiwei_core::kpi::KpiPolicy,
    /// Each rate with a target: (code, name, target as typed).
    targets: Vec<(&'static str, &'static str, String)>,
    error: Option<String>,
    notice: Option<String>,
}

async fn policy_page(
    state: &AppState,
    staff: &Staff,
    error: Option<String>,
    notice: Option<String>,
) -> Result<PolicyPage, ApiError> {
    let (version, p) = state.store.policy().await?;
    let rows = DeadlineKind::ALL
        .iter()
        .map(|k| PolicyRow {
            kind: k.as_str(),
            name: k.label(),
            default: split(p.defaults.get(k)),
            by_type: MatterType::ALL
                .iter()
                .map(|t| {
                    let (v, u) = split(p.by_type.get(t).and_then(|m| m.get(k)));
                    (t.as_str(), v, u)
                })
                .collect(),
        })
        .collect();
    Ok(PolicyPage {
        layout: Layout::new(state, staff, "/admin/policy").await,
        version,
        rows,
        types: MatterType::ALL
            .iter()
            .map(|t| (t.as_str(), t.label()))
            .collect(),
        warn_percent: (p.warn_fraction * 100.0).round() as u32,
        publishers: aiwei_core::Role::ALL
            .iter()
            .map(|r| (r.as_str(), r.label(), p.publishers.contains(r)))
            .collect(),
        duplicate_days: p.duplicate_days,
        hotspot_min: p.hotspot_min,
        hotspot_days: p.hotspot_days,
        targets: aiwei_core::kpi::Indicator::ALL
            .iter()
            .map(|i| {
                (
                    i.as_str(),
                    i.label(),
                    p.kpi.target(*i).map(|t| format!("{t}")).unwrap_or_default(),
                )
            })
            .collect(),
        kpi: p.kpi,
        error,
        notice,
    })
}

pub async fn policy(
    State(state): State<AppState>,
    can: Can<Administer>,
) -> Result<PolicyPage, ApiError> {
    policy_page(&state, &can.staff, None, None).await
}

fn limit(value: &str, unit: &str) -> Result<Option<Limit>, String> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let n: u32 = v
        .parse()
        .ok()
        .filter(|n| (1..=10_000).contains(n))
        .ok_or_else(|| format!("“{v}”不是1–10000之间的整数"))?;
    Ok(Some(if unit == "hours" {
        Limit::Hours(n)
    } else {
        Limit::WorkingDays(n)
    }))
}

/// Saves the form as a new policy version. Sub-category overrides of the
/// current version are kept (they are edited through the API).
pub async fn save_policy(
    State(state): State<AppState>,
    form: CsrfForm<Vec<(String, String)>, Administer>,
) -> Result<Response, ApiError> {
    let get = |k: &str| {
        form.form
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let (_, current) = state.store.policy().await?;
    let built: Result<Policy, String> = (|| {
        let mut p = Policy {
            by_category: current.by_category.clone(),
            kpi: current.kpi.clone(),
            ..Policy::default()
        };
        p.by_type.clear();
        for k in DeadlineKind::ALL {
            let d = limit(
                get(&format!("{}.default", k.as_str())),
                get(&format!("{}.default.unit", k.as_str())),
            )?
            .ok_or_else(|| format!("{}的默认时限必填", k.label()))?;
            p.defaults.insert(*k, d);
            for t in MatterType::ALL {
                let key = format!("{}.{}", k.as_str(), t.as_str());
                if let Some(l) = limit(get(&key), get(&format!("{key}.unit")))? {
                    p.by_type.entry(*t).or_default().insert(*k, l);
                }
            }
        }
        let number = |key: &str, range: std::ops::RangeInclusive<u32>, what: &str| {
            get(key)
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| format!("{what}应为{}–{}之间的整数", range.start(), range.end()))
        };
        let warn = number("warn_percent", 1..=99, "预警比例")?;
        p.warn_fraction = f64::from(warn) / 100.0;
        p.publishers = form
            .form
            .iter()
            .filter(|(k, _)| k == "publishers")
            .filter_map(|(_, v)| aiwei_core::Role::from_code(v))
            .collect();
        if p.publishers.is_empty() {
            return Err("请至少选择一个知识库发布角色".to_owned());
        }
        use aiwei_core::deadline::{MAX_HOTSPOT_MIN, MAX_WINDOW_DAYS};
        p.duplicate_days = number("duplicate_days", 1..=MAX_WINDOW_DAYS, "重复事项比对天数")?;
        p.hotspot_days = number("hotspot_days", 1..=MAX_WINDOW_DAYS, "热点统计天数")?;
        p.hotspot_min = number("hotspot_min", 2..=MAX_HOTSPOT_MIN, "热点最少投诉件数")?;
        // The assessment settings (docs/KPI.md).
        // Left blank (or not on the form), a setting keeps its value.
        use aiwei_core::kpi::MAX_THRESHOLD_SECS;
        let kept = |key: &str, range, what: &str, current: u32| {
            if get(key).trim().is_empty() {
                Ok(current)
            } else {
                number(key, range, what)
            }
        };
        let k = current.kpi.clone();
        p.kpi.answer_within_secs = kept(
            "kpi.answer_within_secs",
            1..=MAX_THRESHOLD_SECS,
            "接听及时的铃响秒数",
            k.answer_within_secs,
        )?;
        p.kpi.reception_within_secs = kept(
            "kpi.reception_within_secs",
            1..=MAX_THRESHOLD_SECS,
            "接待及时的等候秒数",
            k.reception_within_secs,
        )?;
        p.kpi.training_interval_days = kept(
            "kpi.training_interval_days",
            1..=3650,
            "培训间隔天数",
            k.training_interval_days,
        )?;
        let percent = |key: &str, what: &str| -> Result<Option<f64>, String> {
            match get(key).trim() {
                "" => Ok(None),
                v => v
                    .parse::<f64>()
                    .ok()
                    .filter(|x| (0.0..=100.0).contains(x))
                    .map(Some)
                    .ok_or_else(|| format!("{what}应为0–100之间的数")),
            }
        };
        p.kpi.excellent = percent("kpi.excellent", "优秀线")?.unwrap_or(p.kpi.excellent);
        p.kpi.pass = percent("kpi.pass", "合格线")?.unwrap_or(p.kpi.pass);
        if p.kpi.excellent < p.kpi.pass {
            return Err("优秀线不能低于合格线".to_owned());
        }
        // The targets are on the form whenever the form is the page's own.
        let on_form = form.form.iter().any(|(k, _)| k.starts_with("target."));
        if on_form {
            p.kpi.targets.clear();
        }
        for i in aiwei_core::kpi::Indicator::ALL.iter().filter(|_| on_form) {
            if let Some(t) = percent(&format!("target.{}", i.as_str()), i.label())? {
                p.kpi.targets.insert(*i, t);
            }
        }
        Ok(p)
    })();
    match built {
        Ok(p) => {
            let v = state
                .store
                .set_policy_audited(&p, &form.staff.audit_actor(), state.clock.now())
                .await?;
            tracing::info!(admin = %form.staff.user.id, version = v, "deadline policy changed");
            Ok(policy_page(
                &state,
                &form.staff,
                None,
                Some(format!("已保存为第 {v} 版；正在计时的时限不受影响。")),
            )
            .await?
            .into_response())
        }
        Err(msg) => {
            let mut page = policy_page(&state, &form.staff, Some(msg), None)
                .await?
                .into_response();
            *page.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
    }
}

pub struct YearRow {
    pub year: i32,
    pub working_days: u32,
    pub holidays: usize,
    pub makeup: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_calendar.html")]
pub struct CalendarPage {
    layout: Layout,
    years: Vec<YearRow>,
    missing: Vec<i32>,
    error: Option<String>,
}

async fn calendar_page(
    state: &AppState,
    staff: &Staff,
    error: Option<String>,
) -> Result<CalendarPage, ApiError> {
    let cal = state.store.calendar().await?;
    let this_year =
        chrono::Datelike::year(&state.clock.now().with_timezone(&aiwei_core::time::china()));
    Ok(CalendarPage {
        layout: Layout::new(state, staff, "/admin/calendar").await,
        years: cal
            .years()
            .map(|y| YearRow {
                year: y.year,
                working_days: cal.working_days_in(y.year),
                holidays: y.off_days.len(),
                makeup: y.makeup_days.len(),
            })
            .collect(),
        missing: [this_year, this_year + 1]
            .into_iter()
            .filter(|y| !cal.has_year(*y))
            .collect(),
        error,
    })
}

pub async fn calendar(
    State(state): State<AppState>,
    can: Can<Administer>,
) -> Result<CalendarPage, ApiError> {
    calendar_page(&state, &can.staff, None).await
}

#[derive(serde::Deserialize)]
pub struct CalendarForm {
    #[serde(default)]
    data: String,
}

pub async fn load_calendar(
    State(state): State<AppState>,
    form: CsrfForm<CalendarForm, Administer>,
) -> Result<Response, ApiError> {
    match state
        .store
        .load_calendar_year_audited(
            &form.form.data,
            &form.staff.audit_actor(),
            state.clock.now(),
        )
        .await
    {
        Ok(y) => {
            tracing::info!(admin = %form.staff.user.id, year = y.year, "calendar year loaded");
            Ok(Redirect::to("/admin/calendar").into_response())
        }
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            let mut page = calendar_page(&state, &form.staff, Some(e.message()))
                .await?
                .into_response();
            *page.status_mut() = status;
            Ok(page)
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_status.html")]
pub struct StatusPage {
    layout: Layout,
    s: aiwei_store::status::Status,
    backend: &'static str,
    version: &'static str,
    policy_version: i32,
    /// Years with holiday data, and the ones in use or next without it.
    years: Vec<i32>,
    missing: Vec<i32>,
    keys: usize,
}

/// The administrator's home: what the desk holds and what needs attention.
pub async fn status(
    State(state): State<AppState>,
    can: Can<Administer>,
) -> Result<StatusPage, ApiError> {
    let now = state.clock.now();
    let calendar = state.store.calendar().await?;
    let this_year = chrono::Datelike::year(&now.with_timezone(&aiwei_core::time::china()));
    let years: Vec<i32> = calendar.years().map(|y| y.year).collect();
    // Next year's schedule is published in the autumn; ask for it from
    // November on.
    let month = chrono::Datelike::month(&now.with_timezone(&aiwei_core::time::china()));
    let wanted = if month >= 11 {
        vec![this_year, this_year + 1]
    } else {
        vec![this_year]
    };
    Ok(StatusPage {
        s: state.store.status(now).await?,
        backend: match state.store.backend() {
            aiwei_store::Backend::Sqlite => "SQLite（内置）",
            aiwei_store::Backend::Postgres => "PostgreSQL",
        },
        version: env!("CARGO_PKG_VERSION"),
        policy_version: state.store.policy().await?.0,
        missing: wanted
            .into_iter()
            .filter(|y| !calendar.has_year(*y))
            .collect(),
        years,
        keys: state.store.keys().ids().map_err(ApiError::from)?.len(),
        layout: Layout::new(&state, &can.staff, "/admin").await,
    })
}

/// One sub-category on the routing page.
pub struct RoutingRow {
    pub code: String,
    pub label: String,
    pub type_zh: &'static str,
    pub lead: Option<String>,
    pub co: Vec<String>,
    /// The parent's default this one follows when it has none of its own.
    pub inherited: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_routing.html")]
pub struct RoutingPage {
    layout: Layout,
    rows: Vec<RoutingRow>,
    departments: Vec<aiwei_store::departments::Department>,
    error: Option<String>,
    notice: Option<String>,
}

async fn routing_page(
    state: &AppState,
    staff: &Staff,
    error: Option<String>,
    notice: Option<String>,
) -> Result<RoutingPage, ApiError> {
    let all = state.store.list_categories().await?;
    let options = category_options(state).await?;
    let rows = all
        .iter()
        .zip(options)
        .map(|(c, o)| RoutingRow {
            inherited: match (&c.default_lead, &o.route) {
                (None, Some(r)) => Some(format!("{}（随“{}”）", r.lead_name, r.from)),
                _ => None,
            },
            code: c.code.clone(),
            label: o.label,
            type_zh: c.matter_type.label(),
            lead: c.default_lead.clone(),
            co: c.default_co.clone(),
        })
        .collect();
    Ok(RoutingPage {
        layout: Layout::new(state, staff, "/admin/routing").await,
        rows,
        departments: state.store.list_departments().await?,
        error,
        notice,
    })
}

pub async fn routing(
    State(state): State<AppState>,
    can: Can<Administer>,
) -> Result<RoutingPage, ApiError> {
    routing_page(&state, &can.staff, None, None).await
}

/// Saves one sub-category's default lead and co-handling departments; `co`
/// repeats, so the form is read as pairs.
pub async fn save_routing(
    State(state): State<AppState>,
    form: CsrfForm<Vec<(String, String)>, Administer>,
) -> Result<Response, ApiError> {
    let one = |k: &str| {
        form.form
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let code = one("category").ok_or_else(ApiError::not_found)?;
    let lead = one("lead");
    let co: Vec<String> = form
        .form
        .iter()
        .filter(|(k, v)| k == "co" && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_owned())
        .collect();
    let outcome = state
        .store
        .set_routing(
            &code,
            lead.as_deref(),
            &co,
            Some(&form.staff.audit_actor()),
            state.clock.now(),
        )
        .await
        .map_err(ApiError::from);
    match outcome {
        Ok(()) => {
            let page = routing_page(&state, &form.staff, None, Some("已保存。".to_owned())).await?;
            Ok(page.into_response())
        }
        Err(e) if e.status.is_client_error() => {
            let mut resp = routing_page(&state, &form.staff, Some(e.message()), None)
                .await?
                .into_response();
            *resp.status_mut() = e.status;
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

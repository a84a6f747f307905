//! The assessment indicators of and the figures of the dashboards and
//! reports, computed from what happened, never typed in.
//!
//! `docs/KPI.md` defines every indicator: its formula, the facts it reads
//! and whom it is counted for. This module is that document in code: the
//! store gathers the facts of a period ([`Facts`]), and [`compute`] turns
//! them into [`Indicators`] for the organisation, one department or one
//! staff member. Pure, so each formula is tested on its own and the
//! integration suite checks the same figures over a scenario worked out by
//! hand.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::deadline::{ClockOwner, DeadlineKind};
use crate::error::{ErrorCode, FieldError};
use crate::ids::UserId;
use crate::kinds::{Channel, MatterType, Satisfaction, code_enum};
use crate::time::local_day_start;

/// The thresholds and targets of the indicators, part of the versioned
/// deadline policy so an administrator sets them where the other limits
/// are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KpiPolicy {
    /// A call is answered in time when it rang at most this many seconds
    /// (R-2.2 "铃响三声内": three rings at 1 s on / 4 s off is about 15 s).
    #[serde(default = "default_answer_secs")]
    pub answer_within_secs: u32,
    /// A visitor is received in time when reception began at most this
    /// many seconds after arrival.
    #[serde(default = "default_reception_secs")]
    pub reception_within_secs: u32,
    /// The target of each rate, in percent, drawn beside it on the
    /// dashboards.
    #[serde(default = "default_targets")]
    pub targets: BTreeMap<Indicator, f64>,
    /// Staff are due for training again this many days after the last
    /// session they attended.
    #[serde(default = "default_training_days")]
    pub training_interval_days: u32,
    /// An assessment's score (docs/KPI.md "Assessment") at or above
    /// `excellent` rates 优秀, at or above `pass` 合格, below it 不合格.
    #[serde(default = "default_excellent")]
    pub excellent: f64,
    #[serde(default = "default_pass")]
    pub pass: f64,
}

fn default_training_days() -> u32 {
    180
}
fn default_excellent() -> f64 {
    95.0
}
fn default_pass() -> f64 {
    80.0
}

fn default_answer_secs() -> u32 {
    15
}
fn default_reception_secs() -> u32 {
    300
}
fn default_targets() -> BTreeMap<Indicator, f64> {
    use Indicator as I;
    [
        (I::AnswerTimely, 95.0),
        (I::ReceptionTimely, 95.0),
        (I::Accuracy, 90.0),
        (I::Satisfaction, 90.0),
        (I::RevisitRate, 95.0),
        (I::FeedbackRate, 98.0),
        (I::SignOnTime, 95.0),
        (I::OnSiteOnTime, 90.0),
        (I::RectifyOnTime, 90.0),
        (I::FeedbackOnTime, 95.0),
        (I::ReplyOnTime, 95.0),
    ]
    .into_iter()
    .collect()
}

impl Default for KpiPolicy {
    fn default() -> Self {
        Self {
            answer_within_secs: default_answer_secs(),
            reception_within_secs: default_reception_secs(),
            targets: default_targets(),
            training_interval_days: default_training_days(),
            excellent: default_excellent(),
            pass: default_pass(),
        }
    }
}

/// The longest threshold an administrator may set: one day.
pub const MAX_THRESHOLD_SECS: u32 = 86_400;

impl KpiPolicy {
    /// Thresholds of 1 s to a day, targets of 0 to 100 %.
    pub fn validate(&self, errs: &mut crate::FieldErrors) {
        for (field, v) in [
            ("kpi.answer_within_secs", self.answer_within_secs),
            ("kpi.reception_within_secs", self.reception_within_secs),
        ] {
            if !(1..=MAX_THRESHOLD_SECS).contains(&v) {
                errs.push(field, ErrorCode::OutOfRange);
            }
        }
        if !(1..=3650).contains(&self.training_interval_days) {
            errs.push("kpi.training_interval_days", ErrorCode::OutOfRange);
        }
        if !(0.0..=100.0).contains(&self.pass) {
            errs.push("kpi.pass", ErrorCode::OutOfRange);
        }
        if !(0.0..=100.0).contains(&self.excellent) || self.excellent < self.pass {
            errs.push("kpi.excellent", ErrorCode::OutOfRange);
        }
        for (i, t) in &self.targets {
            if !(0.0..=100.0).contains(t) {
                errs.push(format!("kpi.targets.{i}"), ErrorCode::OutOfRange);
            }
        }
    }

    /// The target of a rate, if one is set.
    pub fn target(&self, i: Indicator) -> Option<f64> {
        self.targets.get(&i).copied()
    }
}

code_enum!(
    /// The rates with a target (docs/KPI.md names each).
    Indicator, "indicator" {
        AnswerTimely => ("answer_timely", "接听及时率"),
        ReceptionTimely => ("reception_timely", "接待及时率"),
        Accuracy => ("accuracy", "问题处理准确率"),
        Satisfaction => ("satisfaction", "反馈满意度"),
        RevisitRate => ("revisit_rate", "回访率"),
        FeedbackRate => ("feedback_rate", "反馈率"),
        SignOnTime => ("sign_on_time", "签收及时率"),
        OnSiteOnTime => ("on_site_on_time", "到场及时率"),
        RectifyOnTime => ("rectify_on_time", "整改按期完成率"),
        FeedbackOnTime => ("feedback_on_time", "反馈及时率"),
        ReplyOnTime => ("reply_on_time", "答复及时率"),
    }
);

impl Indicator {
    /// How it is counted, in the words of docs/KPI.md, for the pages.
    pub fn explain(self) -> &'static str {
        match self {
            Indicator::AnswerTimely => {
                "本期受理的电话中，铃响时长不超过规定秒数的件数 ÷ 记录了铃响时长的电话件数"
            }
            Indicator::ReceptionTimely => {
                "本期受理的来访中，到达后在规定时间内开始接待的件数 ÷ 记录了到达时间的来访件数"
            }
            Indicator::Accuracy => {
                "本期办结的事项中，未发生派单后改分类、被退回、回访不满意重办、答复更正的件数 ÷ 本期办结件数（并单事项不计）"
            }
            Indicator::Satisfaction => {
                "本期回访中，“非常满意”与“满意”的次数 ÷ 回访次数（“基本满意”单列，不计入满意）"
            }
            Indicator::RevisitRate => "本期向来电人反馈的投诉中，其后已回访的次数 ÷ 反馈次数",
            Indicator::FeedbackRate => {
                "本期完成整改或办理结果的事项中，其后已向来电人反馈的次数 ÷ 完成次数"
            }
            Indicator::SignOnTime => {
                "本期结束的签收时限中，按时签收的个数 ÷ 结束的个数（已取消的不计）"
            }
            Indicator::OnSiteOnTime => {
                "本期结束的到场时限中，按时到场的个数 ÷ 结束的个数（已取消的不计）"
            }
            Indicator::RectifyOnTime => {
                "本期结束的整改时限中，按期完成的个数 ÷ 结束的个数（已取消的不计）"
            }
            Indicator::FeedbackOnTime => {
                "本期结束的反馈时限中，按时反馈的个数 ÷ 结束的个数（已取消的不计）"
            }
            Indicator::ReplyOnTime => {
                "本期结束的约定答复时限中，按时答复的个数 ÷ 结束的个数（已取消的不计）"
            }
        }
    }

    /// The clock whose met share the indicator is, for the on-time rates.
    pub fn clock(self) -> Option<DeadlineKind> {
        use DeadlineKind as K;
        match self {
            Indicator::SignOnTime => Some(K::SignDue),
            Indicator::OnSiteOnTime => Some(K::OnSiteDue),
            Indicator::RectifyOnTime => Some(K::RectifyDue),
            Indicator::FeedbackOnTime => Some(K::FeedbackDue),
            Indicator::ReplyOnTime => Some(K::ReplyDue),
            _ => None,
        }
    }
}

code_enum!(
    /// The length of a reporting period.
    PeriodKind, "period" {
        Month => ("month", "月度"),
        Quarter => ("quarter", "季度"),
        Year => ("year", "年度"),
        Custom => ("custom", "自定义"),
    }
);

/// A reporting period: whole local (Asia/Shanghai) days, both ends
/// included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub kind: PeriodKind,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// The first day a period may start on: the earliest records (2000).
pub fn earliest_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default()
}

/// A trend over a range spanning this many calendar years or more is drawn
/// by year rather than by month.
const YEARLY_TREND_AFTER_YEARS: i32 = 3;

fn bad_period() -> FieldError {
    FieldError::new("period", ErrorCode::InvalidPeriod)
}

fn month_end(year: i32, month: u32) -> Option<NaiveDate> {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)?.pred_opt()
}

impl Period {
    /// The month, quarter or year written as `2026-10`, `2026-Q4` or
    /// `2026`.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        let year = |s: &str| -> Result<i32, FieldError> {
            s.parse::<i32>()
                .ok()
                .filter(|y| (2000..=2999).contains(y) && s.len() == 4)
                .ok_or_else(bad_period)
        };
        if let Some((y, q)) = raw.split_once("-Q").or_else(|| raw.split_once("-q")) {
            let y = year(y)?;
            let q: u32 = q
                .parse()
                .ok()
                .filter(|q| (1..=4).contains(q))
                .ok_or_else(bad_period)?;
            let first = NaiveDate::from_ymd_opt(y, q * 3 - 2, 1).ok_or_else(bad_period)?;
            let last = month_end(y, q * 3).ok_or_else(bad_period)?;
            return Ok(Self {
                kind: PeriodKind::Quarter,
                first,
                last,
            });
        }
        if let Some((y, m)) = raw.split_once('-') {
            let y = year(y)?;
            let m: u32 = m
                .parse()
                .ok()
                .filter(|m| (1..=12).contains(m))
                .ok_or_else(bad_period)?;
            let first = NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad_period)?;
            let last = month_end(y, m).ok_or_else(bad_period)?;
            return Ok(Self {
                kind: PeriodKind::Month,
                first,
                last,
            });
        }
        let y = year(raw)?;
        Ok(Self {
            kind: PeriodKind::Year,
            first: NaiveDate::from_ymd_opt(y, 1, 1).ok_or_else(bad_period)?,
            last: NaiveDate::from_ymd_opt(y, 12, 31).ok_or_else(bad_period)?,
        })
    }

    /// Any run of whole days, its ends in either order.
    pub fn custom(a: NaiveDate, b: NaiveDate) -> Self {
        Self {
            kind: PeriodKind::Custom,
            first: a.min(b),
            last: a.max(b),
        }
    }

    /// The month, quarter or year that holds `day`.
    pub fn containing(kind: PeriodKind, day: NaiveDate) -> Self {
        let key = match kind {
            PeriodKind::Month | PeriodKind::Custom => {
                format!("{}-{:02}", day.year(), day.month())
            }
            PeriodKind::Quarter => format!("{}-Q{}", day.year(), (day.month() - 1) / 3 + 1),
            PeriodKind::Year => format!("{}", day.year()),
        };
        // Built from a real date, so it parses; the fallback is unreachable.
        Self::parse(&key).unwrap_or(Self {
            kind,
            first: day,
            last: day,
        })
    }

    /// The period just before: the previous month, quarter or year, or as
    /// many days just before a custom period.
    pub fn previous(self) -> Self {
        match self.kind {
            PeriodKind::Custom => {
                let len = self.last - self.first;
                // Dates are written with four-digit years from year 1, so a
                // very long range's predecessor stops at the first day of
                // year 1 rather than running into year 0 or negative years.
                let floor = NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or(NaiveDate::MIN);
                let last = self.first.pred_opt().unwrap_or(self.first).max(floor);
                let first = last
                    .checked_sub_signed(len)
                    .map_or(floor, |f| f.max(floor))
                    .min(last);
                Self {
                    kind: PeriodKind::Custom,
                    first,
                    last,
                }
            }
            kind => Self::containing(kind, self.first.pred_opt().unwrap_or(self.first)),
        }
    }

    /// The key that [`Period::parse`] reads back (`2026-10`, `2026-Q4`,
    /// `2026`), or `first..last` for a custom period.
    pub fn key(self) -> String {
        match self.kind {
            PeriodKind::Month => format!("{}-{:02}", self.first.year(), self.first.month()),
            PeriodKind::Quarter => {
                format!(
                    "{}-Q{}",
                    self.first.year(),
                    (self.first.month() - 1) / 3 + 1
                )
            }
            PeriodKind::Year => format!("{}", self.first.year()),
            PeriodKind::Custom => format!("{}..{}", self.first, self.last),
        }
    }

    /// The period's name as people write it: 2026年10月, 2026年第四季度,
    /// 2026年度, or the two days.
    pub fn title(self) -> String {
        const QUARTERS: [&str; 4] = ["一", "二", "三", "四"];
        match self.kind {
            PeriodKind::Month => format!("{}年{}月", self.first.year(), self.first.month()),
            PeriodKind::Quarter => format!(
                "{}年第{}季度",
                self.first.year(),
                QUARTERS[((self.first.month() - 1) / 3) as usize]
            ),
            PeriodKind::Year => format!("{}年度", self.first.year()),
            PeriodKind::Custom => format!(
                "{}至{}",
                self.first.format("%Y年%-m月%-d日"),
                self.last.format("%Y年%-m月%-d日")
            ),
        }
    }

    /// The instants the period spans, the end excluded.
    pub fn span(self) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = local_day_start(self.first).unwrap_or_default();
        let end = self
            .last
            .succ_opt()
            .and_then(local_day_start)
            .unwrap_or(start);
        (start, end)
    }

    /// The buckets of its trend: days for a period of up to 31 days,
    /// months otherwise.
    pub fn buckets(self) -> Vec<Bucket> {
        let mut out = Vec::new();
        if (self.last - self.first).num_days() < 31 {
            let mut d = self.first;
            while d <= self.last {
                out.push(Bucket {
                    first: d,
                    last: d,
                    label: format!("{}日", d.day()),
                });
                match d.succ_opt() {
                    Some(n) => d = n,
                    None => break,
                }
            }
        } else if self.last.year() - self.first.year() >= YEARLY_TREND_AFTER_YEARS {
            // Months over many years would be hundreds of unreadable bars.
            for y in self.first.year()..=self.last.year() {
                let first = NaiveDate::from_ymd_opt(y, 1, 1)
                    .unwrap_or(self.first)
                    .max(self.first);
                let last = NaiveDate::from_ymd_opt(y, 12, 31)
                    .unwrap_or(self.last)
                    .min(self.last);
                out.push(Bucket {
                    first,
                    last,
                    label: format!("{y}年"),
                });
            }
        } else {
            let mut d = self.first;
            while d <= self.last {
                let end = month_end(d.year(), d.month())
                    .unwrap_or(self.last)
                    .min(self.last);
                out.push(Bucket {
                    first: d,
                    last: end,
                    label: if self.first.year() == self.last.year() {
                        format!("{}月", d.month())
                    } else {
                        format!("{}年{}月", d.year() % 100, d.month())
                    },
                });
                match end.succ_opt() {
                    Some(n) => d = n,
                    None => break,
                }
            }
        }
        out
    }
}

/// One step of a trend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub label: String,
}

/// Whom figures are counted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Organisation,
    Department(String),
    Staff(UserId),
}

/// Whose a matter is: who recorded it, the receiving office (受理单位) and
/// the lead department (主办部门). Every fact carries its matter's, and
/// docs/KPI.md says which of them a fact is counted for.
#[derive(Debug, Clone, PartialEq)]
pub struct Owners {
    pub intake_user: UserId,
    pub office: Option<String>,
    pub lead: Option<String>,
}

/// A matter received in the period (its intake).
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub owners: Owners,
    pub channel: Channel,
    pub ring_seconds: Option<i32>,
    pub arrived_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    pub matter_type: MatterType,
    pub category: Option<String>,
    pub area: Option<String>,
}

/// Why a handled matter was not right the first time (docs/KPI.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Causes {
    /// Its type or sub-category was changed after it had been dispatched.
    pub reclassified_after_dispatch: bool,
    /// A department returned it as not theirs.
    pub returned: bool,
    /// An unsatisfied revisit sent it back to be redone.
    pub redone: bool,
    /// Its answer was corrected after it had been given.
    pub answer_corrected: bool,
}

impl Causes {
    pub fn any(self) -> bool {
        self.reclassified_after_dispatch || self.returned || self.redone || self.answer_corrected
    }
}

/// A matter closed in the period (not one merged into another, which is
/// handled as part of its primary).
#[derive(Debug, Clone, PartialEq)]
pub struct Handled {
    pub owners: Owners,
    pub received_at: DateTime<Utc>,
    pub closed_at: DateTime<Utc>,
    pub causes: Causes,
}

/// A revisit recorded in the period, with the caller's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Revisit {
    pub owners: Owners,
    pub satisfaction: Satisfaction,
}

/// Work finished in the period (a complaint's rectification completed, or
/// an other matter's result recorded), and whether the caller was then
/// given feedback.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    pub owners: Owners,
    pub fed_back: bool,
}

/// Feedback on a complaint given in the period, and whether a revisit
/// followed.
#[derive(Debug, Clone, PartialEq)]
pub struct FedBack {
    pub owners: Owners,
    pub revisited: bool,
}

/// Deadline clocks alike: ended in the period (met or late), or still open
/// and overdue at the period's end. Indicators only count clocks, so the
/// store reads them grouped: a month at city scale has over 100,000.
#[derive(Debug, Clone, PartialEq)]
pub struct Clock {
    pub kind: DeadlineKind,
    pub owners: Owners,
    /// `Some(true)` ended late, `Some(false)` met, `None` open and overdue.
    pub late: Option<bool>,
    /// How many clocks these are.
    pub n: u64,
}

/// An extension request made in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct Extension {
    pub lead: Option<String>,
    pub approved: bool,
}

/// Everything that happened in a period, as the store reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub received: Vec<Received>,
    pub handled: Vec<Handled>,
    pub revisits: Vec<Revisit>,
    pub finished: Vec<Finished>,
    pub fed_back: Vec<FedBack>,
    pub clocks: Vec<Clock>,
    /// The departments that returned a matter in the period, one entry per
    /// return.
    pub returns: Vec<String>,
    pub extensions: Vec<Extension>,
}

/// A share: `num` of `den`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratio {
    pub num: u64,
    pub den: u64,
}

impl Ratio {
    fn count(&mut self, hit: bool) {
        self.count_n(hit, 1);
    }

    /// Counts `n` alike.
    fn count_n(&mut self, hit: bool, n: u64) {
        self.den += n;
        if hit {
            self.num += n;
        }
    }

    /// The percentage, or `None` when nothing was counted.
    pub fn percent(self) -> Option<f64> {
        (self.den > 0).then(|| self.num as f64 * 100.0 / self.den as f64)
    }

    /// As printed: `95.2%`, or `—` with nothing counted.
    pub fn shown(self) -> String {
        percent_text(self.percent())
    }
}

/// A percentage to one decimal, or `—`.
pub fn percent_text(p: Option<f64>) -> String {
    p.map_or_else(|| "—".to_owned(), |p| format!("{p:.1}%"))
}

/// The figures of one subject over one period.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Indicators {
    /// Calls answered within the threshold ÷ calls answered.
    pub answer_timely: Ratio,
    /// Visits received within the threshold ÷ visits with an arrival time.
    pub reception_timely: Ratio,
    /// Matters right the first time ÷ matters handled.
    pub accuracy: Ratio,
    pub wrong_reclassified: u64,
    pub wrong_returned: u64,
    pub wrong_redone: u64,
    pub wrong_corrected: u64,
    /// 非常满意 + 满意 ÷ revisits with an answer.
    pub satisfaction: Ratio,
    pub very_satisfied: u64,
    pub satisfied: u64,
    /// 基本满意, shown on its own.
    pub fairly_satisfied: u64,
    /// 不满意 + 非常不满意.
    pub dissatisfied: u64,
    /// Complaints revisited ÷ complaints fed back.
    pub revisit_rate: Ratio,
    /// Work finished and fed back ÷ work finished.
    pub feedback_rate: Ratio,
    /// Met ÷ ended, per clock.
    pub on_time: BTreeMap<DeadlineKind, Ratio>,
    /// Hours from receipt to closing of the matters handled.
    pub handling_hours_mean: Option<f64>,
    pub handling_hours_p90: Option<f64>,
    pub returns: u64,
    /// Clocks ended late in the period.
    pub late: u64,
    /// Clocks still open and overdue at the period's end.
    pub overdue_open: u64,
    pub extensions_requested: u64,
    pub extensions_approved: u64,
    /// Matters received, by channel and by type.
    pub received: u64,
    pub by_channel: BTreeMap<Channel, u64>,
    pub by_type: BTreeMap<MatterType, u64>,
}

impl Indicators {
    /// The value of a rate with a target.
    pub fn rate(&self, i: Indicator) -> Ratio {
        match i {
            Indicator::AnswerTimely => self.answer_timely,
            Indicator::ReceptionTimely => self.reception_timely,
            Indicator::Accuracy => self.accuracy,
            Indicator::Satisfaction => self.satisfaction,
            Indicator::RevisitRate => self.revisit_rate,
            Indicator::FeedbackRate => self.feedback_rate,
            other => other
                .clock()
                .and_then(|k| self.on_time.get(&k).copied())
                .unwrap_or_default(),
        }
    }
}

/// Whether a fact of the desk (intake, replies, feedback, revisits) is
/// `subject`'s: the staff member who recorded the matter, or the receiving
/// office.
fn desk_fact(subject: &Subject, o: &Owners) -> bool {
    match subject {
        Subject::Organisation => true,
        Subject::Department(d) => o.office.as_deref() == Some(d.as_str()),
        Subject::Staff(u) => *u == o.intake_user,
    }
}

/// Whether a fact of handling is `subject`'s: the lead department's (the
/// receiving office's when no department was involved), and the recording
/// staff member's.
fn handling_fact(subject: &Subject, o: &Owners) -> bool {
    match subject {
        Subject::Department(d) => o.lead.as_deref().or(o.office.as_deref()) == Some(d.as_str()),
        other => desk_fact(other, o),
    }
}

/// Whether a clock is `subject`'s: a department's clock is its lead
/// department's and nobody's personally; a desk clock is the recording
/// staff member's and the receiving office's.
fn clock_fact(subject: &Subject, c: &Clock) -> bool {
    match c.kind.owner() {
        ClockOwner::LeadDepartment | ClockOwner::LeadingGroup => match subject {
            Subject::Organisation => true,
            Subject::Department(d) => c.owners.lead.as_deref() == Some(d.as_str()),
            Subject::Staff(_) => false,
        },
        ClockOwner::IntakeDesk => desk_fact(subject, &c.owners),
    }
}

/// The 90th percentile by the nearest-rank method: the smallest value with
/// at least 90 % of the values at or below it.
pub fn p90(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = (values.len() * 9).div_ceil(10);
    values.get(rank.saturating_sub(1)).copied()
}

/// Every figure of `subject` from the facts of a period (docs/KPI.md).
pub fn compute(facts: &Facts, subject: &Subject, policy: &KpiPolicy) -> Indicators {
    let mut k = Indicators::default();
    let answer = i64::from(policy.answer_within_secs);
    let reception = Duration::seconds(i64::from(policy.reception_within_secs));
    for r in &facts.received {
        if !desk_fact(subject, &r.owners) {
            continue;
        }
        k.received += 1;
        *k.by_channel.entry(r.channel).or_default() += 1;
        *k.by_type.entry(r.matter_type).or_default() += 1;
        match r.channel {
            Channel::Phone => {
                if let Some(s) = r.ring_seconds {
                    k.answer_timely.count(i64::from(s) <= answer);
                }
            }
            Channel::Visit => {
                if let Some(a) = r.arrived_at {
                    k.reception_timely.count(r.received_at - a <= reception);
                }
            }
            // Filed by residents themselves: nobody answered or received
            // them, so they count for neither rate.
            Channel::Web | Channel::Open311 => {}
        }
    }
    let mut hours = Vec::new();
    for h in &facts.handled {
        if !handling_fact(subject, &h.owners) {
            continue;
        }
        k.accuracy.count(!h.causes.any());
        k.wrong_reclassified += u64::from(h.causes.reclassified_after_dispatch);
        k.wrong_returned += u64::from(h.causes.returned);
        k.wrong_redone += u64::from(h.causes.redone);
        k.wrong_corrected += u64::from(h.causes.answer_corrected);
        hours.push((h.closed_at - h.received_at).num_seconds() as f64 / 3600.0);
    }
    if !hours.is_empty() {
        k.handling_hours_mean = Some(hours.iter().sum::<f64>() / hours.len() as f64);
        k.handling_hours_p90 = p90(&mut hours);
    }
    for r in &facts.revisits {
        if !handling_fact(subject, &r.owners) {
            continue;
        }
        use Satisfaction as S;
        k.satisfaction
            .count(matches!(r.satisfaction, S::VerySatisfied | S::Satisfied));
        match r.satisfaction {
            S::VerySatisfied => k.very_satisfied += 1,
            S::Satisfied => k.satisfied += 1,
            S::FairlySatisfied => k.fairly_satisfied += 1,
            S::Dissatisfied | S::VeryDissatisfied => k.dissatisfied += 1,
        }
    }
    for f in &facts.finished {
        if handling_fact(subject, &f.owners) {
            k.feedback_rate.count(f.fed_back);
        }
    }
    for f in &facts.fed_back {
        if handling_fact(subject, &f.owners) {
            k.revisit_rate.count(f.revisited);
        }
    }
    for c in &facts.clocks {
        if !clock_fact(subject, c) {
            continue;
        }
        match c.late {
            Some(late) => {
                k.on_time.entry(c.kind).or_default().count_n(!late, c.n);
                k.late += if late { c.n } else { 0 };
            }
            None => k.overdue_open += c.n,
        }
    }
    k.returns = match subject {
        Subject::Organisation => facts.returns.len() as u64,
        Subject::Department(d) => facts.returns.iter().filter(|r| *r == d).count() as u64,
        Subject::Staff(_) => 0,
    };
    for e in &facts.extensions {
        let mine = match subject {
            Subject::Organisation => true,
            Subject::Department(d) => e.lead.as_deref() == Some(d.as_str()),
            Subject::Staff(_) => false,
        };
        if mine {
            k.extensions_requested += 1;
            k.extensions_approved += u64::from(e.approved);
        }
    }
    k
}

/// What a count is grouped by on the dashboards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Type,
    Category,
    Channel,
    Area,
}

/// The matters `subject` received in the period, counted by `dim`, most
/// first (ties by key). The key is the stable code (`None`: not given).
pub fn breakdown(facts: &Facts, subject: &Subject, dim: Dimension) -> Vec<(Option<String>, u64)> {
    let mut counts: BTreeMap<Option<String>, u64> = BTreeMap::new();
    for r in facts.received.iter().filter(|r| desk_or_lead(subject, r)) {
        let key = match dim {
            Dimension::Type => Some(r.matter_type.as_str().to_owned()),
            Dimension::Channel => Some(r.channel.as_str().to_owned()),
            Dimension::Category => r.category.clone(),
            Dimension::Area => r.area.clone(),
        };
        *counts.entry(key).or_default() += 1;
    }
    let mut out: Vec<_> = counts.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// A received matter is a department's when it received it or leads it,
/// so a department's dashboard shows the matters it works on.
fn desk_or_lead(subject: &Subject, r: &Received) -> bool {
    match subject {
        Subject::Department(d) => {
            let d = Some(d.as_str());
            r.owners.office.as_deref() == d || r.owners.lead.as_deref() == d
        }
        other => desk_fact(other, &r.owners),
    }
}

/// The matters `subject` received in each bucket of the period, per type.
pub fn trend(facts: &Facts, subject: &Subject, period: Period) -> Vec<(String, [u64; 4])> {
    let buckets = period.buckets();
    let spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = buckets
        .iter()
        .map(|b| {
            Period {
                kind: PeriodKind::Custom,
                first: b.first,
                last: b.last,
            }
            .span()
        })
        .collect();
    let mut out: Vec<(String, [u64; 4])> = buckets.into_iter().map(|b| (b.label, [0; 4])).collect();
    for r in facts.received.iter().filter(|r| desk_or_lead(subject, r)) {
        if let Some(i) = spans
            .iter()
            .position(|(s, e)| *s <= r.received_at && r.received_at < *e)
            && let Some(slot) = MatterType::ALL.iter().position(|t| *t == r.matter_type)
            && let Some(row) = out.get_mut(i)
        {
            row.1[slot] += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn user(n: u8) -> UserId {
        UserId(uuid::Uuid::from_bytes([n; 16]))
    }

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 10, 12, h, m, s).unwrap()
    }

    fn call(u: u8, ring: Option<i32>) -> Received {
        Received {
            owners: Owners {
                intake_user: user(u),
                office: Some("AWB".into()),
                lead: None,
            },
            channel: Channel::Phone,
            ring_seconds: ring,
            arrived_at: None,
            received_at: at(2, 0, 0),
            matter_type: MatterType::Consultation,
            category: None,
            area: None,
        }
    }

    #[test]
    fn periods_parse_and_step_back() {
        let m = Period::parse("2026-03").unwrap();
        assert_eq!(m.first, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        assert_eq!(m.last, NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
        assert_eq!(m.previous().key(), "2026-02");
        assert_eq!(m.previous().last.day(), 28);
        assert_eq!(
            Period::parse("2026-01").unwrap().previous().key(),
            "2025-12"
        );
        let q = Period::parse("2026-Q1").unwrap();
        assert_eq!(q.last, NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
        assert_eq!(q.previous().key(), "2025-Q4");
        assert_eq!(q.title(), "2026年第一季度");
        assert_eq!(
            Period::parse("2026").unwrap().previous().title(),
            "2025年度"
        );
        for bad in [
            "2026-13", "2026-Q5", "26", "2026-1-1", "", "abcd", "2026-Q0",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
        let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let c = Period::custom(d(3, 10), d(3, 19));
        assert_eq!(c.previous().first, d(2, 28));
        assert_eq!(c.previous().last, d(3, 9));
        assert_eq!(Period::custom(d(3, 19), d(3, 10)), c, "either order");
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let long = Period::custom(day(91, 12, 23), day(2026, 10, 1)).previous();
        assert_eq!(long.first, day(1, 1, 1), "stops at year 1");
        assert_eq!(long.last, day(91, 12, 22));
        assert!(long.title().starts_with("0001年"));
        let first = Period::custom(day(1, 1, 1), day(1, 3, 1)).previous();
        assert_eq!((first.first, first.last), (day(1, 1, 1), day(1, 1, 1)));
    }

    #[test]
    fn a_period_spans_local_days() {
        let (s, e) = Period::parse("2026-10").unwrap().span();
        assert_eq!(s, Utc.with_ymd_and_hms(2026, 9, 30, 16, 0, 0).unwrap());
        assert_eq!(e, Utc.with_ymd_and_hms(2026, 10, 31, 16, 0, 0).unwrap());
        assert_eq!(Period::parse("2026-10").unwrap().buckets().len(), 31);
        let q = Period::parse("2026-Q4").unwrap().buckets();
        assert_eq!(
            q.iter().map(|b| b.label.as_str()).collect::<Vec<_>>(),
            ["10月", "11月", "12月"]
        );
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let years = Period::custom(day(2021, 6, 1), day(2024, 2, 10)).buckets();
        assert_eq!(
            years.iter().map(|b| b.label.as_str()).collect::<Vec<_>>(),
            ["2021年", "2022年", "2023年", "2024年"]
        );
        assert_eq!(years[0].first, day(2021, 6, 1));
        assert_eq!(years[3].last, day(2024, 2, 10));
        assert_eq!(
            Period::custom(day(2025, 6, 1), day(2026, 2, 10))
                .buckets()
                .len(),
            9,
            "months within a short range"
        );
    }

    #[test]
    fn answer_timeliness_counts_rings_up_to_the_threshold() {
        let facts = Facts {
            received: vec![
                call(1, Some(15)),
                call(1, Some(16)),
                call(1, Some(0)),
                call(2, Some(40)),
                call(2, None),
            ],
            ..Facts::default()
        };
        let p = KpiPolicy::default();
        let all = compute(&facts, &Subject::Organisation, &p);
        assert_eq!(all.answer_timely, Ratio { num: 2, den: 4 });
        assert_eq!(all.received, 5);
        let one = compute(&facts, &Subject::Staff(user(1)), &p);
        assert_eq!(one.answer_timely, Ratio { num: 2, den: 3 });
        assert_eq!(one.answer_timely.shown(), "66.7%");
        let strict = KpiPolicy {
            answer_within_secs: 10,
            ..KpiPolicy::default()
        };
        assert_eq!(
            compute(&facts, &Subject::Staff(user(1)), &strict).answer_timely,
            Ratio { num: 1, den: 3 }
        );
        assert_eq!(Ratio::default().shown(), "—");
    }

    #[test]
    fn the_ninetieth_percentile_is_the_nearest_rank() {
        let mut v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(p90(&mut v), Some(9.0));
        let mut v: Vec<f64> = (1..=11).map(f64::from).collect();
        assert_eq!(p90(&mut v), Some(10.0));
        assert_eq!(p90(&mut [3.0]), Some(3.0));
        assert_eq!(p90(&mut []), None);
    }

    #[test]
    fn department_clocks_are_nobodys_personally() {
        let c = |kind, late, n| Clock {
            kind,
            owners: Owners {
                intake_user: user(1),
                office: Some("AWB".into()),
                lead: Some("HJWS".into()),
            },
            late,
            n,
        };
        let facts = Facts {
            clocks: vec![
                c(DeadlineKind::SignDue, Some(true), 1),
                c(DeadlineKind::SignDue, Some(false), 3),
                c(DeadlineKind::FeedbackDue, Some(false), 1),
                c(DeadlineKind::OnSiteDue, None, 2),
            ],
            ..Facts::default()
        };
        let p = KpiPolicy::default();
        let dept = compute(&facts, &Subject::Department("HJWS".into()), &p);
        // Grouped clocks count as many as they are.
        assert_eq!(
            dept.on_time[&DeadlineKind::SignDue],
            Ratio { num: 3, den: 4 }
        );
        assert!(!dept.on_time.contains_key(&DeadlineKind::FeedbackDue));
        assert_eq!((dept.late, dept.overdue_open), (1, 2));
        let staff = compute(&facts, &Subject::Staff(user(1)), &p);
        assert_eq!(staff.on_time.len(), 1);
        assert_eq!(
            staff.rate(Indicator::FeedbackOnTime),
            Ratio { num: 1, den: 1 }
        );
    }

    #[test]
    fn the_policy_defaults_fill_a_stored_policy_without_them() {
        let p: KpiPolicy = serde_json::from_str("{}").unwrap();
        assert_eq!(p, KpiPolicy::default());
        let mut errs = crate::FieldErrors::default();
        KpiPolicy {
            answer_within_secs: 0,
            targets: [(Indicator::Accuracy, 120.0)].into_iter().collect(),
            ..KpiPolicy::default()
        }
        .validate(&mut errs);
        assert!(errs.has("kpi.answer_within_secs") && errs.has("kpi.targets.accuracy"));
    }
}

//! Deadline clocks (时限): which clocks a step starts and stops, the policy
//! of limits, and the arithmetic of due instants in hours or Chinese
//! working days (docs/POLICY.md).

use std::collections::BTreeMap;

use chrono::{DateTime, Days, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::error::{ErrorCode, FieldErrors};
use crate::kinds::{EventKind, MatterType, Role, code_enum};
use crate::time::china;

code_enum!(
    /// The named clocks of DESIGN.md.
    DeadlineKind, "deadline" {
        /// The reply time agreed with the caller (R-2.2).
        ReplyDue => ("reply_due", "约定回复"),
        /// Sign-for by the lead department.
        SignDue => ("sign_due", "签收时限"),
        /// Arrival on site (R-3.3, X hours).
        OnSiteDue => ("on_site_due", "到场时限"),
        /// Rectification (R-3.3, X working days).
        RectifyDue => ("rectify_due", "整改时限"),
        /// The next progress report (R-4.1.1).
        ProgressDue => ("progress_due", "进展汇报"),
        /// Feedback to the caller (R-4.2).
        FeedbackDue => ("feedback_due", "反馈时限"),
        /// The revisit (R-3.3).
        RevisitDue => ("revisit_due", "回访时限"),
        /// The leading group's evaluation (R-3.4).
        EvaluationDue => ("evaluation_due", "评估时限"),
    }
);

/// Whose work a clock times: who is warned, who may ask to extend it, and
/// whose row it is on the supervision board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockOwner {
    /// The matter's lead department.
    LeadDepartment,
    /// The intake desk (the staff member who recorded the matter).
    IntakeDesk,
    /// The patriotic-health leading group.
    LeadingGroup,
}

impl DeadlineKind {
    /// What the clock's owner must do before it runs out, for messages.
    pub fn todo(self) -> &'static str {
        use DeadlineKind as K;
        match self {
            K::ReplyDue => "请按约定时间答复来电人",
            K::SignDue => "请尽快签收",
            K::OnSiteDue => "请尽快到场核查",
            K::RectifyDue => "请按期完成整改",
            K::ProgressDue => "请汇报整改进展",
            K::FeedbackDue => "请向来电人反馈处理情况",
            K::RevisitDue => "请回访来电人",
            K::EvaluationDue => "请评估建议",
        }
    }

    pub fn owner(self) -> ClockOwner {
        use DeadlineKind as K;
        match self {
            K::SignDue | K::OnSiteDue | K::RectifyDue | K::ProgressDue => {
                ClockOwner::LeadDepartment
            }
            K::ReplyDue | K::FeedbackDue | K::RevisitDue => ClockOwner::IntakeDesk,
            K::EvaluationDue => ClockOwner::LeadingGroup,
        }
    }
}

/// A limit: wall-clock hours or Chinese working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    Hours(#[serde(deserialize_with = "crate::wire::integer")] u32),
    WorkingDays(#[serde(deserialize_with = "crate::wire::integer")] u32),
}

impl Limit {
    /// When a clock started at `start` with this limit runs out. Working
    /// days end at the end of the Nth working day after the start date
    /// (local time), that is at 00:00 of the following day.
    pub fn due(self, start: DateTime<Utc>, cal: &Calendar) -> DateTime<Utc> {
        match self {
            Limit::Hours(h) => start + Duration::hours(i64::from(h)),
            Limit::WorkingDays(n) => {
                let local = start.with_timezone(&china()).date_naive();
                let last = cal.add_working_days(local, n);
                end_of_local_day(last)
            }
        }
    }

    /// The limit for an urgent matter: hours halved, one working day fewer
    /// (at least one of each).
    pub fn urgent(self) -> Self {
        match self {
            Limit::Hours(h) => Limit::Hours((h / 2).max(1)),
            Limit::WorkingDays(n) => Limit::WorkingDays(n.saturating_sub(1).max(1)),
        }
    }

    /// Whether a policy may set it: 1 to [`MAX_LIMIT`].
    fn in_range(self) -> bool {
        match self {
            Limit::Hours(n) | Limit::WorkingDays(n) => (1..=MAX_LIMIT).contains(&n),
        }
    }
}

/// 24:00 of `day` in Asia/Shanghai, as an instant.
pub fn end_of_local_day(day: chrono::NaiveDate) -> DateTime<Utc> {
    let next = day.checked_add_days(Days::new(1)).unwrap_or(day);
    next.and_hms_opt(0, 0, 0)
        .and_then(|n| china().from_local_datetime(&n).single())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// The limits in force: defaults per kind, overridable per matter type and
/// per sub-category (the most specific wins). Stored as a numbered version;
/// a running deadline keeps the version it was computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub defaults: BTreeMap<DeadlineKind, Limit>,
    #[serde(default)]
    pub by_type: BTreeMap<MatterType, BTreeMap<DeadlineKind, Limit>>,
    #[serde(default)]
    pub by_category: BTreeMap<String, BTreeMap<DeadlineKind, Limit>>,
    /// A clock is `due_soon` once this share of its time has passed.
    pub warn_fraction: f64,
    /// The roles that publish and retire knowledge-base articles (R-3.2);
    /// supervisors unless the administrator names others.
    #[serde(default = "crate::knowledge::default_publishers")]
    pub publishers: Vec<Role>,
    /// Likely duplicates (并单) are looked for among the matters received
    /// this many days back.
    #[serde(default = "default_duplicate_days")]
    pub duplicate_days: u32,
    /// A place with at least `hotspot_min` complaints of one sub-category
    /// within `hotspot_days` days is a hotspot (R-3.1.2).
    #[serde(default = "default_hotspot_min")]
    pub hotspot_min: u32,
    #[serde(default = "default_hotspot_days")]
    pub hotspot_days: u32,
    /// The thresholds and targets of the assessment indicators (R-6.2,
    /// docs/KPI.md).
    #[serde(default)]
    pub kpi: crate::kpi::KpiPolicy,
}

fn default_duplicate_days() -> u32 {
    7
}
fn default_hotspot_min() -> u32 {
    3
}
fn default_hotspot_days() -> u32 {
    30
}

/// The longest window of duplicates and hotspots, in days, and the most
/// complaints a hotspot may be set to need.
pub const MAX_WINDOW_DAYS: u32 = 366;
pub const MAX_HOTSPOT_MIN: u32 = 100;

impl Default for Policy {
    /// The defaults of docs/POLICY.md.
    fn default() -> Self {
        use DeadlineKind as K;
        let defaults = [
            (K::ReplyDue, Limit::WorkingDays(3)),
            (K::SignDue, Limit::Hours(2)),
            (K::OnSiteDue, Limit::Hours(24)),
            (K::RectifyDue, Limit::WorkingDays(5)),
            (K::ProgressDue, Limit::WorkingDays(2)),
            (K::FeedbackDue, Limit::WorkingDays(1)),
            (K::RevisitDue, Limit::WorkingDays(2)),
            (K::EvaluationDue, Limit::WorkingDays(10)),
        ]
        .into_iter()
        .collect();
        Self {
            defaults,
            by_type: BTreeMap::new(),
            by_category: BTreeMap::new(),
            warn_fraction: 0.8,
            publishers: crate::knowledge::default_publishers(),
            duplicate_days: default_duplicate_days(),
            hotspot_min: default_hotspot_min(),
            hotspot_days: default_hotspot_days(),
            kpi: crate::kpi::KpiPolicy::default(),
        }
    }
}

/// The largest limit, in hours or working days.
pub const MAX_LIMIT: u32 = 10_000;
/// The least and greatest share of a clock's span after which it is due
/// soon: 1 % and 99 %. Zero would make every clock due soon at once.
pub const WARN_FRACTION: std::ops::RangeInclusive<f64> = 0.01..=0.99;

impl Policy {
    /// Every rule a stored policy must hold: a default for every clock,
    /// limits of 1 to [`MAX_LIMIT`], and a warning share in
    /// [`WARN_FRACTION`]. Whether sub-category codes exist is the store's
    /// to check.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errs = FieldErrors::default();
        for k in DeadlineKind::ALL {
            match self.defaults.get(k) {
                None => errs.push(format!("defaults.{k}"), ErrorCode::Required),
                Some(l) if !l.in_range() => {
                    errs.push(format!("defaults.{k}"), ErrorCode::OutOfRange)
                }
                Some(_) => {}
            }
        }
        let overrides = self
            .by_type
            .iter()
            .map(|(t, m)| (format!("by_type.{t}"), m))
            .chain(
                self.by_category
                    .iter()
                    .map(|(c, m)| (format!("by_category.{c}"), m)),
            );
        for (path, limits) in overrides {
            for (k, l) in limits {
                if !l.in_range() {
                    errs.push(format!("{path}.{k}"), ErrorCode::OutOfRange);
                }
            }
        }
        if !WARN_FRACTION.contains(&self.warn_fraction) {
            errs.push("warn_fraction", ErrorCode::OutOfRange);
        }
        if self.publishers.is_empty() {
            errs.push("publishers", ErrorCode::Required);
        }
        self.kpi.validate(&mut errs);
        for (field, value, range) in [
            ("duplicate_days", self.duplicate_days, 1..=MAX_WINDOW_DAYS),
            ("hotspot_days", self.hotspot_days, 1..=MAX_WINDOW_DAYS),
            ("hotspot_min", self.hotspot_min, 2..=MAX_HOTSPOT_MIN),
        ] {
            if !range.contains(&value) {
                errs.push(field, ErrorCode::OutOfRange);
            }
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }

    /// The limit of `kind` for a matter of this type and category.
    pub fn limit(
        &self,
        kind: DeadlineKind,
        ty: MatterType,
        category: Option<&str>,
        urgent: bool,
    ) -> Limit {
        let base = category
            .and_then(|c| self.by_category.get(c))
            .and_then(|m| m.get(&kind))
            .or_else(|| self.by_type.get(&ty).and_then(|m| m.get(&kind)))
            .or_else(|| self.defaults.get(&kind))
            .copied()
            .unwrap_or(Limit::WorkingDays(1));
        if urgent { base.urgent() } else { base }
    }

    /// When a clock of this span turns `due_soon`.
    pub fn warn_at(&self, start: DateTime<Utc>, due: DateTime<Utc>) -> DateTime<Utc> {
        let f = self.warn_fraction.clamp(0.0, 1.0);
        let span = (due - start).num_milliseconds().max(0) as f64;
        start + Duration::milliseconds((span * f) as i64)
    }
}

/// Whether the clocks `event` stops are cancelled rather than ended: a
/// returned matter's department clocks time work that is no longer that
/// department's, so they are neither met nor late (`ClockState::Cancelled`).
/// A matter merged into another likewise: its work is now the lead's.
pub fn cancels(event: EventKind) -> bool {
    matches!(event, EventKind::Returned | EventKind::MergedInto)
}

code_enum!(
    /// How urgent open work is (R-1.3.1 "不拖延"): past its limit, inside
    /// its warning window, or neither. Declared most urgent first, so
    /// ordering by it puts overdue work on top.
    Urgency, "urgency" {
        Overdue => ("overdue", "已超时"),
        DueSoon => ("due_soon", "即将到期"),
        Normal => ("normal", "正常"),
    }
);

/// An open clock of a matter: what a queue or the ledger shows as the
/// matter's running deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunningClock {
    pub kind: DeadlineKind,
    pub due_at: DateTime<Utc>,
    pub warn_at: DateTime<Utc>,
}

impl RunningClock {
    /// Its urgency at `now`, from its instants rather than the state the
    /// sweeper last wrote, so a page never shows work as on time a minute
    /// after it fell due.
    pub fn urgency(&self, now: DateTime<Utc>) -> Urgency {
        if now >= self.due_at {
            Urgency::Overdue
        } else if now >= self.warn_at {
            Urgency::DueSoon
        } else {
            Urgency::Normal
        }
    }

    /// The order of urgency: most urgent first, then soonest due.
    pub fn sort_key(&self, now: DateTime<Utc>) -> (Urgency, DateTime<Utc>) {
        (self.urgency(now), self.due_at)
    }

    /// The clock that stands for a matter: the most urgent of its open
    /// clocks.
    pub fn most_urgent(
        clocks: impl IntoIterator<Item = RunningClock>,
        now: DateTime<Utc>,
    ) -> Option<RunningClock> {
        clocks.into_iter().min_by_key(|c| c.sort_key(now))
    }

    /// Time left (negative: time late) at `now`, in words: `剩余 3小时20分钟`
    /// or `超时 2天4小时`.
    pub fn left_text(&self, now: DateTime<Utc>) -> String {
        left_text((now - self.due_at).num_minutes())
    }
}

/// `超时 3天4小时` for `minutes_late` ≥ 0, `剩余 40分钟` for less.
pub fn left_text(minutes_late: i64) -> String {
    let m = minutes_late.abs();
    let text = match (m / 1440, (m % 1440) / 60, m % 60) {
        (0, 0, min) => format!("{min}分钟"),
        (0, h, min) => format!("{h}小时{min}分钟"),
        (d, h, _) => format!("{d}天{h}小时"),
    };
    if minutes_late >= 0 {
        format!("超时 {text}")
    } else {
        format!("剩余 {text}")
    }
}

/// What an event does to the clocks: the kinds it stops and the kinds it
/// starts (counted from the event). Every event kind is listed, so a new
/// kind cannot silently start no clock.
pub fn clocks_for(
    event: EventKind,
    ty: MatterType,
) -> (&'static [DeadlineKind], &'static [DeadlineKind]) {
    use DeadlineKind as K;
    use EventKind as E;
    const NONE: (&[DeadlineKind], &[DeadlineKind]) = (&[], &[]);
    match (event, ty) {
        (E::Dispatched, MatterType::Complaint) | (E::RedoOrdered, _) => {
            (&[K::RevisitDue], &[K::SignDue, K::OnSiteDue, K::RectifyDue])
        }
        (E::SignedFor, _) => (&[K::SignDue], &[]),
        (E::Returned, _) => (
            &[K::SignDue, K::OnSiteDue, K::RectifyDue, K::ProgressDue],
            &[],
        ),
        (E::ArrivedOnSite, _) => (&[K::OnSiteDue], &[K::ProgressDue]),
        (E::ProgressReported, _) => (&[K::ProgressDue], &[K::ProgressDue]),
        (E::Completed, _) => (&[K::RectifyDue, K::ProgressDue], &[K::FeedbackDue]),
        (E::ResultRecorded, _) => (&[], &[K::FeedbackDue]),
        (E::FeedbackGiven, MatterType::Complaint) => {
            (&[K::FeedbackDue, K::ReplyDue], &[K::RevisitDue])
        }
        (E::FeedbackGiven, _) => (&[K::FeedbackDue, K::ReplyDue], &[]),
        (E::Revisited, _) => (&[K::RevisitDue], &[]),
        // A merged matter's clocks are the lead's now.
        (E::MergedInto, _) => (DeadlineKind::ALL, &[]),
        (E::SubmittedToLeadingGroup, _) => (&[], &[K::EvaluationDue]),
        (E::Adopted | E::NotAdopted, _) => (&[K::EvaluationDue], &[]),
        (E::Replied | E::ProposerTold | E::Answered, _) => (&[K::ReplyDue], &[]),
        // Other matters are timed by the department's own feedback; the
        // remaining events change no clock.
        (E::Dispatched, _)
        | (
            E::Received
            | E::Reclassified
            | E::CoordinationRequested
            | E::ReturnAsked
            | E::Urged
            | E::InputProvided
            | E::RectificationPlanned
            | E::Implemented
            | E::CallerInformed
            | E::DeadlineDueSoon
            | E::DeadlineOverdue
            | E::ExtensionRequested
            | E::ExtensionApproved
            | E::ExtensionRefused
            | E::AttachmentAdded
            | E::CallerRevealed
            | E::CallerAnonymised
            | E::DisclosureRequested
            | E::DisclosureApproved
            | E::DisclosureRefused
            | E::DisclosureSigned
            | E::DisclosureExpired
            | E::PersonNamed
            | E::MergeReceived
            | E::Unmerged
            | E::Linked
            | E::Unlinked
            | E::Imported
            | E::AnswerCorrected,
            _,
        ) => NONE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urgency_comes_from_the_instants_and_orders_overdue_first() {
        let clock = |due: &str, warn: &str| RunningClock {
            kind: DeadlineKind::SignDue,
            due_at: utc(due),
            warn_at: utc(warn),
        };
        let now = utc("2026-12-01T08:00:00Z");
        let late = clock("2026-12-01T07:00:00Z", "2026-12-01T06:00:00Z");
        let soon = clock("2026-12-03T09:00:00Z", "2026-12-01T07:59:00Z");
        let calm = clock("2026-12-01T09:00:00Z", "2026-12-01T08:30:00Z");
        assert_eq!(late.urgency(now), Urgency::Overdue);
        assert_eq!(soon.urgency(now), Urgency::DueSoon);
        assert_eq!(calm.urgency(now), Urgency::Normal);
        assert_eq!(calm.urgency(utc("2026-12-01T09:00:00Z")), Urgency::Overdue);
        // A due-soon clock outranks a calmer one that falls due earlier.
        assert_eq!(RunningClock::most_urgent([calm, soon], now), Some(soon));
        assert_eq!(
            RunningClock::most_urgent([calm, soon, late], now),
            Some(late)
        );
        assert_eq!(RunningClock::most_urgent([], now), None);
        assert_eq!(late.left_text(now), "超时 1小时0分钟");
        assert_eq!(calm.left_text(now), "剩余 1小时0分钟");
        assert_eq!(left_text(-(3 * 1440 + 125)), "剩余 3天2小时");
    }

    #[test]
    fn only_a_return_or_a_merge_cancels_the_clocks_it_stops() {
        for e in EventKind::ALL {
            let want = matches!(e, EventKind::Returned | EventKind::MergedInto);
            assert_eq!(cancels(*e), want, "{e:?}");
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_regulation_examples_in_instants() {
        let cal = Calendar::builtin();
        // Dispatched 2025-09-30 14:00 local, 5 working days: end of 10-14.
        let due = Limit::WorkingDays(5).due(utc("2025-09-30T06:00:00Z"), &cal);
        assert_eq!(due, utc("2025-10-14T16:00:00Z"));
        // Dispatched on the make-up Saturday 2026-02-14, 1 working day.
        let due = Limit::WorkingDays(1).due(utc("2026-02-14T01:00:00Z"), &cal);
        assert_eq!(due, utc("2026-02-24T16:00:00Z"));
        // Late in the local evening still counts that local day.
        let due = Limit::WorkingDays(1).due(utc("2025-09-29T15:59:00Z"), &cal);
        assert_eq!(due, utc("2025-09-30T16:00:00Z"));
    }

    #[test]
    fn hours_are_wall_clock() {
        let cal = Calendar::builtin();
        assert_eq!(
            Limit::Hours(24).due(utc("2025-09-30T06:00:00Z"), &cal),
            utc("2025-10-01T06:00:00Z")
        );
    }

    #[test]
    fn the_most_specific_limit_wins() {
        let mut p = Policy::default();
        p.by_type.insert(
            MatterType::Complaint,
            [(DeadlineKind::RectifyDue, Limit::WorkingDays(7))]
                .into_iter()
                .collect(),
        );
        p.by_category.insert(
            "hazard.water_supply".into(),
            [(DeadlineKind::RectifyDue, Limit::WorkingDays(3))]
                .into_iter()
                .collect(),
        );
        let k = DeadlineKind::RectifyDue;
        assert_eq!(
            p.limit(k, MatterType::Other, None, false),
            Limit::WorkingDays(5)
        );
        assert_eq!(
            p.limit(k, MatterType::Complaint, Some("env.garbage"), false),
            Limit::WorkingDays(7)
        );
        assert_eq!(
            p.limit(k, MatterType::Complaint, Some("hazard.water_supply"), false),
            Limit::WorkingDays(3)
        );
        assert_eq!(
            p.limit(DeadlineKind::OnSiteDue, MatterType::Complaint, None, true),
            Limit::Hours(12)
        );
    }

    #[test]
    fn warnings_come_at_the_configured_share() {
        let p = Policy::default();
        let start = utc("2026-01-05T00:00:00Z");
        let due = start + Duration::hours(10);
        assert_eq!(p.warn_at(start, due), start + Duration::hours(8));
    }

    #[test]
    fn policies_are_validated() {
        let mut p = Policy::default();
        assert_eq!(p.validate(), Ok(()));
        p.warn_fraction = 0.0;
        p.defaults.remove(&DeadlineKind::SignDue);
        p.by_type.insert(
            MatterType::Complaint,
            [(DeadlineKind::RectifyDue, Limit::WorkingDays(0))]
                .into_iter()
                .collect(),
        );
        let fields: Vec<String> = p
            .validate()
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "defaults.sign_due",
                "by_type.complaint.rectify_due",
                "warn_fraction"
            ]
        );
        assert!(
            serde_json::from_str::<Policy>(r#"{"defaults": {}, "warn_fraction": 0.5, "x": 1}"#)
                .is_err()
        );
    }

    #[test]
    fn the_policy_round_trips_as_json() {
        let p = Policy::default();
        let text = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Policy>(&text).unwrap(), p);
        assert!(
            text.contains("\"rectify_due\":{\"working_days\":5}"),
            "{text}"
        );
    }

    #[test]
    fn a_complaint_starts_and_stops_its_clocks() {
        use DeadlineKind as K;
        let (stop, start) = clocks_for(EventKind::Dispatched, MatterType::Complaint);
        assert!(stop.contains(&K::RevisitDue));
        assert_eq!(start, [K::SignDue, K::OnSiteDue, K::RectifyDue]);
        assert_eq!(
            clocks_for(EventKind::Completed, MatterType::Complaint).1,
            [K::FeedbackDue]
        );
        assert_eq!(
            clocks_for(EventKind::Dispatched, MatterType::Other),
            (&[][..], &[][..])
        );
    }
}

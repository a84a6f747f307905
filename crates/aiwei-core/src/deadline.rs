//! Deadline clocks (时限): which clocks a step starts and stops, the policy
//! of limits, and the arithmetic of due instants in hours or Chinese
//! working days (docs/POLICY.md).

use std::collections::BTreeMap;

use chrono::{DateTime, Days, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::kinds::MatterType;
use crate::time::china;

/// The named clocks of DESIGN.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// The reply time agreed with the caller.
    ReplyDue,
    /// Sign-for by the lead department.
    SignDue,
    /// Arrival on site (R-3.3, X hours).
    OnSiteDue,
    /// Rectification (R-3.3, X working days).
    RectifyDue,
    /// The next progress report.
    ProgressDue,
    /// Feedback to the caller.
    FeedbackDue,
    /// The revisit.
    RevisitDue,
    /// The leading group's evaluation.
    EvaluationDue,
}

impl DeadlineKind {
    pub const ALL: &'static [DeadlineKind] = &[
        Self::ReplyDue,
        Self::SignDue,
        Self::OnSiteDue,
        Self::RectifyDue,
        Self::ProgressDue,
        Self::FeedbackDue,
        Self::RevisitDue,
        Self::EvaluationDue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReplyDue => "reply_due",
            Self::SignDue => "sign_due",
            Self::OnSiteDue => "on_site_due",
            Self::RectifyDue => "rectify_due",
            Self::ProgressDue => "progress_due",
            Self::FeedbackDue => "feedback_due",
            Self::RevisitDue => "revisit_due",
            Self::EvaluationDue => "evaluation_due",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

/// A limit: wall-clock hours or Chinese working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    Hours(u32),
    WorkingDays(u32),
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
pub struct Policy {
    pub defaults: BTreeMap<DeadlineKind, Limit>,
    #[serde(default)]
    pub by_type: BTreeMap<MatterType, BTreeMap<DeadlineKind, Limit>>,
    #[serde(default)]
    pub by_category: BTreeMap<String, BTreeMap<DeadlineKind, Limit>>,
    /// A clock is `due_soon` once this share of its time has passed.
    pub warn_fraction: f64,
}

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
        }
    }
}

impl Policy {
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

/// What a step does to the clocks: the kinds it stops and the kinds it
/// starts (counted from the step).
pub fn clocks_for(
    event: &str,
    ty: MatterType,
) -> (&'static [DeadlineKind], &'static [DeadlineKind]) {
    use DeadlineKind as K;
    match (event, ty) {
        ("dispatched", MatterType::Complaint) | ("redo_ordered", _) => {
            (&[K::RevisitDue], &[K::SignDue, K::OnSiteDue, K::RectifyDue])
        }
        ("signed_for", _) => (&[K::SignDue], &[]),
        ("returned", _) => (
            &[K::SignDue, K::OnSiteDue, K::RectifyDue, K::ProgressDue],
            &[],
        ),
        ("arrived_on_site", _) => (&[K::OnSiteDue], &[K::ProgressDue]),
        ("progress_reported", _) => (&[K::ProgressDue], &[K::ProgressDue]),
        ("completed", _) => (&[K::RectifyDue, K::ProgressDue], &[K::FeedbackDue]),
        ("result_recorded", _) => (&[], &[K::FeedbackDue]),
        ("feedback_given", MatterType::Complaint) => {
            (&[K::FeedbackDue, K::ReplyDue], &[K::RevisitDue])
        }
        ("feedback_given", _) => (&[K::FeedbackDue, K::ReplyDue], &[]),
        ("revisited", _) => (&[K::RevisitDue], &[]),
        ("submitted_to_leading_group", _) => (&[], &[K::EvaluationDue]),
        ("adopted", _) | ("not_adopted", _) => (&[K::EvaluationDue], &[]),
        ("replied", _) | ("proposer_told", _) | ("answered", _) => (&[K::ReplyDue], &[]),
        _ => (&[], &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let (stop, start) = clocks_for("dispatched", MatterType::Complaint);
        assert!(stop.contains(&K::RevisitDue));
        assert_eq!(start, [K::SignDue, K::OnSiteDue, K::RectifyDue]);
        assert_eq!(
            clocks_for("completed", MatterType::Complaint).1,
            [K::FeedbackDue]
        );
        assert_eq!(
            clocks_for("dispatched", MatterType::Other),
            (&[][..], &[][..])
        );
    }
}

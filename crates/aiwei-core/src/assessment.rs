//! The assessment of a staff member for a period (R-6.2): the indicators
//! the desk computed, the supervisor's own items and comment, the score
//! and rating they give (docs/KPI.md "Assessment"), and the commendations,
//! rewards, criticism or penalties recorded with their reasons. Who may
//! see an assessment is decided here too.

use serde::{Deserialize, Serialize};

use crate::access::Actor;
use crate::error::{ErrorCode, FieldErrors, bounded_text};
use crate::kinds::{Role, code_enum};
use crate::kpi::{Indicators, KpiPolicy, Ratio};

code_enum!(
    /// The rating of an assessment.
    Rating, "rating" {
        Excellent => ("excellent", "优秀"),
        Pass => ("pass", "合格"),
        Fail => ("fail", "不合格"),
    }
);

code_enum!(
    /// What an assessment led to (R-6.2: 表彰和奖励, 批评教育和处罚).
    Consequence, "kind" {
        Commendation => ("commendation", "表彰"),
        Reward => ("reward", "奖励"),
        Criticism => ("criticism", "批评教育"),
        Penalty => ("penalty", "处罚"),
    }
);

/// One item the supervisor scores by hand (工作纪律, 服务态度, …): points
/// added to or taken from the computed score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ManualItem {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 50))]
    pub name: String,
    /// −20 to +20.
    pub points: f64,
}

/// A consequence with its reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConsequenceRequest {
    pub kind: Consequence,
    #[cfg_attr(feature = "openapi", schema(min_length = 2, max_length = 500))]
    pub reason: String,
}

/// What a supervisor records for one staff member and period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AssessmentRequest {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub staff: crate::ids::UserId,
    /// `2026-10`, `2026-Q4` or `2026`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^2[0-9]{3}(-(0[1-9]|1[0-2])|-Q[1-4])?$")
    )]
    pub period: String,
    #[serde(default)]
    pub items: Vec<ManualItem>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub comment: Option<String>,
    #[serde(default)]
    pub consequences: Vec<ConsequenceRequest>,
}

/// The most manual items and consequences of one assessment.
pub const MAX_ITEMS: usize = 10;
pub const MAX_POINTS: f64 = 20.0;

/// A checked request.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAssessment {
    pub period: crate::kpi::Period,
    pub items: Vec<ManualItem>,
    pub comment: Option<String>,
    pub consequences: Vec<ConsequenceRequest>,
}

impl AssessmentRequest {
    pub fn validate(&self) -> Result<NewAssessment, FieldErrors> {
        let mut errs = FieldErrors::default();
        let period = errs.take(crate::kpi::Period::parse(&self.period));
        if self.items.len() > MAX_ITEMS {
            errs.push("items", ErrorCode::TooLong);
        }
        let mut items = Vec::new();
        for (i, it) in self.items.iter().enumerate() {
            let name = errs
                .take(bounded_text(
                    &format!("items.{i}.name"),
                    Some(&it.name),
                    50,
                    true,
                ))
                .flatten();
            if !(-MAX_POINTS..=MAX_POINTS).contains(&it.points) {
                errs.push(format!("items.{i}.points"), ErrorCode::OutOfRange);
            }
            if let Some(name) = name {
                items.push(ManualItem {
                    name,
                    points: it.points,
                });
            }
        }
        let comment = errs
            .take(bounded_text(
                "comment",
                self.comment.as_deref(),
                2_000,
                false,
            ))
            .flatten();
        if self.consequences.len() > MAX_ITEMS {
            errs.push("consequences", ErrorCode::TooLong);
        }
        let mut consequences = Vec::new();
        for (i, c) in self.consequences.iter().enumerate() {
            if let Some(reason) = errs.take(crate::error::reason_text(
                &format!("consequences.{i}.reason"),
                &c.reason,
            )) {
                consequences.push(ConsequenceRequest {
                    kind: c.kind,
                    reason,
                });
            }
        }
        match period {
            Some(period) if errs.is_empty() => Ok(NewAssessment {
                period,
                items,
                comment,
                consequences,
            }),
            _ => Err(errs),
        }
    }
}

/// The share of calls and visits received in time together.
pub fn timeliness(k: &Indicators) -> Ratio {
    Ratio {
        num: k.answer_timely.num + k.reception_timely.num,
        den: k.answer_timely.den + k.reception_timely.den,
    }
}

/// The computed score (docs/KPI.md): the mean of the rates counted among
/// timeliness, accuracy and satisfaction, then the manual items' points,
/// kept within 0–100; `None` when none of the three was counted.
pub fn score(k: &Indicators, items: &[ManualItem]) -> Option<f64> {
    let rates: Vec<f64> = [timeliness(k), k.accuracy, k.satisfaction]
        .iter()
        .filter_map(|r| r.percent())
        .collect();
    if rates.is_empty() {
        return None;
    }
    let base = rates.iter().sum::<f64>() / rates.len() as f64;
    let points: f64 = items.iter().map(|i| i.points).sum();
    Some((base + points).clamp(0.0, 100.0))
}

/// The rating of a score by the policy's thresholds.
pub fn rating(score: Option<f64>, policy: &KpiPolicy) -> Option<Rating> {
    let s = score?;
    Some(if s >= policy.excellent {
        Rating::Excellent
    } else if s >= policy.pass {
        Rating::Pass
    } else {
        Rating::Fail
    })
}

/// Whether `actor` may see the assessments of `staff`: supervisors, who
/// assess, see all; everyone sees their own and nobody else's.
pub fn may_see(actor: &Actor<'_>, staff: crate::ids::UserId) -> bool {
    actor.has(Role::Supervisor) || actor.id == staff
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(num: u64, den: u64) -> Ratio {
        Ratio { num, den }
    }

    #[test]
    fn the_score_is_the_mean_of_the_counted_rates_plus_the_items() {
        let k = Indicators {
            answer_timely: r(9, 10),
            reception_timely: r(1, 2),
            accuracy: r(3, 4),
            satisfaction: r(0, 0),
            ..Indicators::default()
        };
        // Timeliness 10/12, accuracy 75 %: mean 79.17.
        let s = score(&k, &[]).unwrap();
        assert!((s - (1000.0 / 12.0 + 75.0) / 2.0).abs() < 1e-9);
        let p = KpiPolicy::default();
        assert_eq!(rating(Some(s), &p), Some(Rating::Fail));
        let plus = [ManualItem {
            name: "服务态度".into(),
            points: 5.0,
        }];
        assert_eq!(rating(score(&k, &plus), &p), Some(Rating::Pass));
        assert_eq!(score(&Indicators::default(), &plus), None);
        assert_eq!(rating(Some(95.0), &p), Some(Rating::Excellent));
        let over = [ManualItem {
            name: "加分".into(),
            points: 20.0,
        }];
        let capped = score(&k, &[over[0].clone(), over[0].clone()]).unwrap();
        assert_eq!(capped, 100.0, "kept within 0–100");
    }

    #[test]
    fn a_request_is_checked_field_by_field() {
        let req = AssessmentRequest {
            staff: crate::ids::UserId(uuid::Uuid::from_bytes([1; 16])),
            period: "2026-13".into(),
            items: vec![ManualItem {
                name: "".into(),
                points: 30.0,
            }],
            comment: None,
            consequences: vec![ConsequenceRequest {
                kind: Consequence::Reward,
                reason: "".into(),
            }],
        };
        let errs = req.validate().unwrap_err();
        for f in [
            "period",
            "items.0.name",
            "items.0.points",
            "consequences.0.reason",
        ] {
            assert!(errs.has(f), "{f}");
        }
    }
}

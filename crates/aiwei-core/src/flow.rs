//! The handling flows of REGULATION.md, as one state
//! machine per matter type.
//!
//! [`decide`] is the single place where a requested action is checked
//! against the matter's type and state and the actor's roles and
//! departments. It either refuses (naming why, so the edge can answer 403 or
//! 409) or says what the action does: the new status and the effects the
//! store must write in the same transaction (one event, departments,
//! counters). It does no IO.
//!
//! The flows:
//! - Consultation: answered at intake (closed at once), or
//!   `coordinate` → departments give input → `reply` by the agreed time.
//! - Complaint: `dispatch` (lead + co-handlers) → `sign_for` or
//!   `return` (back to intake, counted) → `arrive` on site → `plan`
//!   rectification → `report_progress`* → `complete` → `feedback` to the
//!   complainant → `revisit` with a five-level satisfaction →
//!   closed, or redone (重办) when not satisfied.
//! - Suggestion: `submit` to the leading group → `evaluate` (adopted:
//!   implementation tracked to `implemented`; not adopted: with the reason)
//!   → `tell` the proposer → closed.
//! - Other: handled by intake or `dispatch`ed to a department →
//!   `record_result` → `feedback` → closed.

use serde::{Deserialize, Serialize};

use crate::kinds::{MatterStatus, MatterType, Role};

/// Five-level satisfaction of a revisit (R-4.2 "是否满意").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    /// 非常满意
    VerySatisfied,
    /// 满意
    Satisfied,
    /// 基本满意
    FairlySatisfied,
    /// 不满意
    Dissatisfied,
    /// 非常不满意
    VeryDissatisfied,
}

impl Satisfaction {
    /// Whether the matter may close: the three upper levels.
    pub fn accepts(self) -> bool {
        matches!(
            self,
            Self::VerySatisfied | Self::Satisfied | Self::FairlySatisfied
        )
    }
}

/// How the caller was told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReplyChannel {
    Phone,
    Written,
    InPerson,
}

/// What someone asks to do with a matter. Free-text payloads are checked by
/// the edge; the flow only needs what decides legality.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Change the type before dispatch.
    Reclassify { to: MatterType },
    /// Send a complaint or other matter to its departments.
    Dispatch { lead: String, co: Vec<String> },
    /// Ask departments for input on a consultation.
    Coordinate { departments: Vec<String> },
    /// A coordinating department's input.
    ProvideInput,
    /// The answer to a coordinated or pending consultation.
    Reply,
    /// The lead department accepts the matter.
    SignFor,
    /// The lead department sends it back to intake.
    Return,
    /// Arrival on site with the findings.
    Arrive,
    /// Rectification measures and a planned completion.
    Plan,
    /// A progress report during rectification.
    ReportProgress,
    /// Rectification done, with the result.
    Complete,
    /// Result of an `other` matter.
    RecordResult,
    /// Feedback to the caller.
    Feedback,
    /// The intake staff's revisit.
    Revisit { satisfaction: Satisfaction },
    /// Submit a suggestion to the leading group.
    Submit,
    /// The leading group's decision.
    Evaluate { adopted: bool },
    /// An adopted suggestion's implementation is done.
    Implemented,
    /// The proposer was told the outcome.
    Tell,
    /// The caller was told of a change (e.g. a moved reply time).
    InformCaller,
}

impl Action {
    /// Stable code, also the event kind.
    pub fn code(&self) -> &'static str {
        match self {
            Action::Reclassify { .. } => "reclassified",
            Action::Dispatch { .. } => "dispatched",
            Action::Coordinate { .. } => "coordination_requested",
            Action::ProvideInput => "input_provided",
            Action::Reply => "replied",
            Action::SignFor => "signed_for",
            Action::Return => "returned",
            Action::Arrive => "arrived_on_site",
            Action::Plan => "rectification_planned",
            Action::ReportProgress => "progress_reported",
            Action::Complete => "completed",
            Action::RecordResult => "result_recorded",
            Action::Feedback => "feedback_given",
            Action::Revisit { satisfaction } if satisfaction.accepts() => "revisited",
            Action::Revisit { .. } => "redo_ordered",
            Action::Submit => "submitted_to_leading_group",
            Action::Evaluate { adopted: true } => "adopted",
            Action::Evaluate { adopted: false } => "not_adopted",
            Action::Implemented => "implemented",
            Action::Tell => "proposer_told",
            Action::InformCaller => "caller_informed",
        }
    }
}

/// The matter as the flow sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct MatterState {
    pub matter_type: MatterType,
    pub status: MatterStatus,
    /// Lead department of a dispatched matter.
    pub lead: Option<String>,
    /// Co-handling or coordinating departments.
    pub co: Vec<String>,
}

/// Who asks.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor<'a> {
    pub roles: &'a [Role],
    pub departments: &'a [String],
}

impl Actor<'_> {
    fn has(&self, r: Role) -> bool {
        self.roles.contains(&r)
    }

    fn any(&self, rs: &[Role]) -> bool {
        rs.iter().any(|r| self.has(*r))
    }

    fn in_dept(&self, d: &Option<String>) -> bool {
        d.as_ref().is_some_and(|d| self.departments.contains(d))
    }

    fn in_any(&self, ds: &[String]) -> bool {
        ds.iter().any(|d| self.departments.contains(d))
    }
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The actor's roles or departments do not allow it (403).
    #[error("not allowed for this actor")]
    Forbidden,
    /// The matter's type or state does not allow it (409).
    #[error("{action} is not possible while the matter is {status}")]
    State {
        action: &'static str,
        status: &'static str,
    },
    /// The action's own data is wrong (422), e.g. dispatch to no department.
    #[error("invalid {field}")]
    Invalid { field: &'static str },
}

/// What an allowed action does.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The event kind to append.
    pub event: &'static str,
    pub to: MatterStatus,
    /// New lead department (dispatch), or `Some(None)` to clear it (return).
    pub lead: Option<Option<String>>,
    /// New co-handling/coordinating departments, when changed.
    pub co: Option<Vec<String>>,
    /// New type (reclassification).
    pub matter_type: Option<MatterType>,
    /// Counters the store keeps per matter and per department.
    pub counts_return: bool,
    pub counts_redo: bool,
    /// Whether the matter is closed by this action.
    pub closes: bool,
}

impl Transition {
    fn to(event: &'static str, to: MatterStatus) -> Self {
        Self {
            event,
            to,
            lead: None,
            co: None,
            matter_type: None,
            counts_return: false,
            counts_redo: false,
            closes: to == MatterStatus::Closed,
        }
    }
}

const DESK: &[Role] = &[Role::Intake, Role::Supervisor];
const DEPT: &[Role] = &[Role::Handler, Role::DeptLead];

/// Checks `action` on `m` by `actor` and says what it does.
pub fn decide(m: &MatterState, actor: &Actor<'_>, action: &Action) -> Result<Transition, Refusal> {
    use MatterStatus as S;
    use MatterType as T;
    let state = |a: &Action| Refusal::State {
        action: a.code(),
        status: m.status.as_str(),
    };
    let need = |ok: bool| if ok { Ok(()) } else { Err(Refusal::Forbidden) };
    match (action, m.matter_type, m.status) {
        (Action::Reclassify { to }, _, S::Received) => {
            need(actor.any(DESK))?;
            if *to == m.matter_type {
                return Err(Refusal::Invalid { field: "type" });
            }
            Ok(Transition {
                matter_type: Some(*to),
                ..Transition::to("reclassified", S::Received)
            })
        }
        (Action::Dispatch { lead, co }, T::Complaint | T::Other, S::Received) => {
            need(actor.any(DESK))?;
            if lead.trim().is_empty() {
                return Err(Refusal::Invalid { field: "lead" });
            }
            if co.contains(lead) {
                return Err(Refusal::Invalid { field: "co" });
            }
            let mut co = co.clone();
            co.sort();
            co.dedup();
            let to = if m.matter_type == T::Complaint {
                S::Dispatched
            } else {
                S::Handling
            };
            Ok(Transition {
                lead: Some(Some(lead.clone())),
                co: Some(co),
                ..Transition::to("dispatched", to)
            })
        }
        (Action::Coordinate { departments }, T::Consultation, S::Received | S::Coordinating) => {
            need(actor.any(DESK))?;
            if departments.is_empty() {
                return Err(Refusal::Invalid {
                    field: "departments",
                });
            }
            let mut all = m.co.clone();
            all.extend(departments.iter().cloned());
            all.sort();
            all.dedup();
            Ok(Transition {
                co: Some(all),
                ..Transition::to("coordination_requested", S::Coordinating)
            })
        }
        (Action::ProvideInput, T::Consultation, S::Coordinating)
        | (Action::ProvideInput, T::Other, S::Handling) => {
            need(actor.any(DEPT) && (actor.in_any(&m.co) || actor.in_dept(&m.lead)))?;
            Ok(Transition::to("input_provided", m.status))
        }
        (Action::Reply, T::Consultation, S::Received | S::Coordinating) => {
            need(actor.any(DESK))?;
            Ok(Transition::to("replied", S::Closed))
        }
        (Action::SignFor, T::Complaint, S::Dispatched) => {
            need(actor.any(DEPT) && actor.in_dept(&m.lead))?;
            Ok(Transition::to("signed_for", S::Signed))
        }
        (Action::Return, T::Complaint | T::Other, S::Dispatched | S::Handling) => {
            // Returning is the department lead's call (DESIGN.md roles).
            need(actor.has(Role::DeptLead) && actor.in_dept(&m.lead))?;
            Ok(Transition {
                lead: Some(None),
                co: Some(Vec::new()),
                counts_return: true,
                ..Transition::to("returned", S::Received)
            })
        }
        (Action::Arrive, T::Complaint, S::Signed) => {
            need(actor.any(DEPT) && actor.in_dept(&m.lead))?;
            Ok(Transition::to("arrived_on_site", S::OnSite))
        }
        (Action::Plan, T::Complaint, S::OnSite) => {
            need(actor.any(DEPT) && actor.in_dept(&m.lead))?;
            Ok(Transition::to("rectification_planned", S::Rectifying))
        }
        (Action::ReportProgress, T::Complaint, S::Rectifying) => {
            need(actor.any(DEPT) && (actor.in_dept(&m.lead) || actor.in_any(&m.co)))?;
            Ok(Transition::to("progress_reported", S::Rectifying))
        }
        (Action::Complete, T::Complaint, S::Rectifying) => {
            need(actor.any(DEPT) && actor.in_dept(&m.lead))?;
            Ok(Transition::to("completed", S::Completed))
        }
        (Action::RecordResult, T::Other, S::Received) => {
            need(actor.any(DESK))?;
            Ok(Transition::to("result_recorded", S::Completed))
        }
        (Action::RecordResult, T::Other, S::Handling) => {
            need(actor.any(DEPT) && actor.in_dept(&m.lead))?;
            Ok(Transition::to("result_recorded", S::Completed))
        }
        (Action::Feedback, T::Complaint | T::Other, S::Completed) => {
            need(actor.any(DESK) || (actor.any(DEPT) && actor.in_dept(&m.lead)))?;
            let to = if m.matter_type == T::Complaint {
                S::FedBack
            } else {
                S::Closed
            };
            Ok(Transition::to("feedback_given", to))
        }
        (Action::Revisit { satisfaction }, T::Complaint, S::FedBack) => {
            need(actor.has(Role::Intake))?;
            if satisfaction.accepts() {
                Ok(Transition::to("revisited", S::Closed))
            } else {
                // Redone by the same departments: back to sign-for.
                Ok(Transition {
                    counts_redo: true,
                    ..Transition::to("redo_ordered", S::Dispatched)
                })
            }
        }
        (Action::Submit, T::Suggestion, S::Received) => {
            need(actor.any(DESK))?;
            Ok(Transition::to("submitted_to_leading_group", S::Evaluating))
        }
        (Action::Evaluate { adopted }, T::Suggestion, S::Evaluating) => {
            need(actor.has(Role::LeadingGroup))?;
            if *adopted {
                Ok(Transition::to("adopted", S::Implementing))
            } else {
                Ok(Transition::to("not_adopted", S::Decided))
            }
        }
        (Action::Implemented, T::Suggestion, S::Implementing) => {
            need(actor.any(&[Role::LeadingGroup, Role::Supervisor]))?;
            Ok(Transition::to("implemented", S::Decided))
        }
        (Action::Tell, T::Suggestion, S::Decided) => {
            need(actor.any(DESK))?;
            Ok(Transition::to("proposer_told", S::Closed))
        }
        (Action::InformCaller, _, status) if status != S::Closed => {
            need(actor.any(DESK))?;
            Ok(Transition::to("caller_informed", status))
        }
        // Everything else: the state (or type) does not allow it. Check the
        // role first where no state would allow this actor, so that a
        // department that may never act answers 403 rather than 409.
        (a, _, _) => {
            if !could_ever(actor, a) {
                Err(Refusal::Forbidden)
            } else {
                Err(state(a))
            }
        }
    }
}

/// Whether some state exists in which `actor`'s roles allow `a`.
fn could_ever(actor: &Actor<'_>, a: &Action) -> bool {
    match a {
        Action::Reclassify { .. }
        | Action::Dispatch { .. }
        | Action::Coordinate { .. }
        | Action::Reply
        | Action::Submit
        | Action::Tell
        | Action::InformCaller => actor.any(DESK),
        Action::Revisit { .. } => actor.has(Role::Intake),
        Action::ProvideInput
        | Action::SignFor
        | Action::Arrive
        | Action::Plan
        | Action::ReportProgress
        | Action::Complete => actor.any(DEPT),
        Action::Return => actor.has(Role::DeptLead),
        Action::RecordResult | Action::Feedback => actor.any(DESK) || actor.any(DEPT),
        Action::Evaluate { .. } => actor.has(Role::LeadingGroup),
        Action::Implemented => actor.any(&[Role::LeadingGroup, Role::Supervisor]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MatterStatus as S;

    fn depts(d: &[&str]) -> Vec<String> {
        d.iter().map(|s| (*s).to_owned()).collect()
    }

    struct Who {
        roles: Vec<Role>,
        depts: Vec<String>,
    }

    impl Who {
        fn new(roles: &[Role], d: &[&str]) -> Self {
            Self {
                roles: roles.to_vec(),
                depts: depts(d),
            }
        }
        fn actor(&self) -> Actor<'_> {
            Actor {
                roles: &self.roles,
                departments: &self.depts,
            }
        }
    }

    fn apply(m: &mut MatterState, who: &Who, a: Action) -> Result<Transition, Refusal> {
        let t = decide(m, &who.actor(), &a)?;
        m.status = t.to;
        if let Some(l) = &t.lead {
            m.lead = l.clone();
        }
        if let Some(c) = &t.co {
            m.co = c.clone();
        }
        if let Some(ty) = t.matter_type {
            m.matter_type = ty;
        }
        Ok(t)
    }

    fn new(ty: MatterType) -> MatterState {
        MatterState {
            matter_type: ty,
            status: S::Received,
            lead: None,
            co: Vec::new(),
        }
    }

    #[test]
    fn a_complaint_returned_redispatched_redone_and_closed() {
        let intake = Who::new(&[Role::Intake], &["AWB"]);
        let wrong_lead = Who::new(&[Role::DeptLead], &["BMFZ"]);
        let handler = Who::new(&[Role::Handler], &["HJWS"]);
        let mut m = new(MatterType::Complaint);
        apply(
            &mut m,
            &intake,
            Action::Dispatch {
                lead: "BMFZ".into(),
                co: vec![],
            },
        )
        .unwrap();
        assert_eq!(m.status, S::Dispatched);
        let t = apply(&mut m, &wrong_lead, Action::Return).unwrap();
        assert!(t.counts_return);
        assert_eq!((m.status, m.lead.clone()), (S::Received, None));
        apply(
            &mut m,
            &intake,
            Action::Dispatch {
                lead: "HJWS".into(),
                co: depts(&["WYGL"]),
            },
        )
        .unwrap();
        assert_eq!(m.co, depts(&["WYGL"]));
        for a in [
            Action::SignFor,
            Action::Arrive,
            Action::Plan,
            Action::ReportProgress,
            Action::Complete,
        ] {
            apply(&mut m, &handler, a).unwrap();
        }
        assert_eq!(m.status, S::Completed);
        apply(&mut m, &intake, Action::Feedback).unwrap();
        let t = apply(
            &mut m,
            &intake,
            Action::Revisit {
                satisfaction: Satisfaction::Dissatisfied,
            },
        )
        .unwrap();
        assert!(t.counts_redo);
        assert_eq!(t.event, "redo_ordered");
        assert_eq!(m.status, S::Dispatched);
        assert_eq!(
            m.lead.as_deref(),
            Some("HJWS"),
            "redone by the same department"
        );
        for a in [
            Action::SignFor,
            Action::Arrive,
            Action::Plan,
            Action::Complete,
        ] {
            apply(&mut m, &handler, a).unwrap();
        }
        apply(&mut m, &intake, Action::Feedback).unwrap();
        let t = apply(
            &mut m,
            &intake,
            Action::Revisit {
                satisfaction: Satisfaction::FairlySatisfied,
            },
        )
        .unwrap();
        assert!(t.closes);
        assert_eq!(m.status, S::Closed);
    }

    #[test]
    fn illegal_steps_are_refused_with_the_right_kind() {
        let intake = Who::new(&[Role::Intake], &["AWB"]);
        let other_dept = Who::new(&[Role::Handler], &["BMFZ"]);
        let handler = Who::new(&[Role::Handler], &["HJWS"]);
        let mut m = new(MatterType::Complaint);
        // Revisit before feedback: the state forbids it.
        assert!(matches!(
            decide(
                &m,
                &intake.actor(),
                &Action::Revisit {
                    satisfaction: Satisfaction::Satisfied
                }
            ),
            Err(Refusal::State {
                action: "revisited",
                status: "received"
            })
        ));
        apply(
            &mut m,
            &intake,
            Action::Dispatch {
                lead: "HJWS".into(),
                co: vec![],
            },
        )
        .unwrap();
        // Sign-for by another department: forbidden.
        assert_eq!(
            decide(&m, &other_dept.actor(), &Action::SignFor),
            Err(Refusal::Forbidden)
        );
        // A handler may not return (only the department lead).
        assert_eq!(
            decide(&m, &handler.actor(), &Action::Return),
            Err(Refusal::Forbidden)
        );
        // A handler may not dispatch, whatever the state.
        assert_eq!(
            decide(
                &m,
                &handler.actor(),
                &Action::Dispatch {
                    lead: "X".into(),
                    co: vec![]
                }
            ),
            Err(Refusal::Forbidden)
        );
        // Completing before arriving is a state error for the right department.
        apply(&mut m, &handler, Action::SignFor).unwrap();
        assert!(matches!(
            decide(&m, &handler.actor(), &Action::Complete),
            Err(Refusal::State { .. })
        ));
        // Reclassifying after dispatch is a state error.
        assert!(matches!(
            decide(
                &m,
                &intake.actor(),
                &Action::Reclassify {
                    to: MatterType::Other
                }
            ),
            Err(Refusal::State { .. })
        ));
    }

    #[test]
    fn suggestions_are_decided_by_the_leading_group_only() {
        let intake = Who::new(&[Role::Intake], &["AWB"]);
        let leader = Who::new(&[Role::LeadingGroup], &["AWB"]);
        let supervisor = Who::new(&[Role::Supervisor], &["AWB"]);
        let mut adopted = new(MatterType::Suggestion);
        apply(&mut adopted, &intake, Action::Submit).unwrap();
        assert_eq!(
            decide(
                &adopted,
                &supervisor.actor(),
                &Action::Evaluate { adopted: true }
            ),
            Err(Refusal::Forbidden)
        );
        apply(&mut adopted, &leader, Action::Evaluate { adopted: true }).unwrap();
        assert_eq!(adopted.status, S::Implementing);
        apply(&mut adopted, &leader, Action::Implemented).unwrap();
        apply(&mut adopted, &intake, Action::Tell).unwrap();
        assert_eq!(adopted.status, S::Closed);

        let mut refused = new(MatterType::Suggestion);
        apply(&mut refused, &intake, Action::Submit).unwrap();
        let t = apply(&mut refused, &leader, Action::Evaluate { adopted: false }).unwrap();
        assert_eq!(t.event, "not_adopted");
        assert_eq!(refused.status, S::Decided);
        apply(&mut refused, &intake, Action::Tell).unwrap();
        assert_eq!(refused.status, S::Closed);
    }

    #[test]
    fn a_consultation_coordinated_with_two_departments() {
        let intake = Who::new(&[Role::Intake], &["AWB"]);
        let a = Who::new(&[Role::Handler], &["JKZX"]);
        let b = Who::new(&[Role::DeptLead], &["BMFZ"]);
        let stranger = Who::new(&[Role::Handler], &["WYGL"]);
        let mut m = new(MatterType::Consultation);
        apply(
            &mut m,
            &intake,
            Action::Coordinate {
                departments: depts(&["JKZX", "BMFZ"]),
            },
        )
        .unwrap();
        assert_eq!(m.co, depts(&["BMFZ", "JKZX"]));
        apply(&mut m, &a, Action::ProvideInput).unwrap();
        apply(&mut m, &b, Action::ProvideInput).unwrap();
        assert_eq!(
            decide(&m, &stranger.actor(), &Action::ProvideInput),
            Err(Refusal::Forbidden)
        );
        apply(&mut m, &intake, Action::Reply).unwrap();
        assert_eq!(m.status, S::Closed);
    }

    #[test]
    fn other_matters_by_intake_or_by_a_department() {
        let intake = Who::new(&[Role::Intake], &["AWB"]);
        let handler = Who::new(&[Role::Handler], &["JDB"]);
        let mut direct = new(MatterType::Other);
        apply(&mut direct, &intake, Action::RecordResult).unwrap();
        apply(&mut direct, &intake, Action::Feedback).unwrap();
        assert_eq!(direct.status, S::Closed);
        let mut sent = new(MatterType::Other);
        apply(
            &mut sent,
            &intake,
            Action::Dispatch {
                lead: "JDB".into(),
                co: vec![],
            },
        )
        .unwrap();
        assert_eq!(sent.status, S::Handling);
        apply(&mut sent, &handler, Action::RecordResult).unwrap();
        apply(&mut sent, &handler, Action::Feedback).unwrap();
        assert_eq!(sent.status, S::Closed);
    }

    #[test]
    fn reclassification_before_dispatch_changes_the_flow() {
        let intake = Who::new(&[Role::Intake], &["AWB"]);
        let mut m = new(MatterType::Consultation);
        let t = apply(
            &mut m,
            &intake,
            Action::Reclassify {
                to: MatterType::Complaint,
            },
        )
        .unwrap();
        assert_eq!(t.event, "reclassified");
        assert_eq!(m.matter_type, MatterType::Complaint);
        assert_eq!(
            decide(
                &m,
                &intake.actor(),
                &Action::Reclassify {
                    to: MatterType::Complaint
                }
            ),
            Err(Refusal::Invalid { field: "type" })
        );
    }

    /// No action ever moves a closed matter.
    #[test]
    fn closed_is_final() {
        let everyone = Who::new(Role::ALL, &["AWB", "HJWS"]);
        for ty in MatterType::ALL {
            let m = MatterState {
                matter_type: *ty,
                status: S::Closed,
                lead: Some("HJWS".into()),
                co: depts(&["AWB"]),
            };
            for a in all_actions() {
                assert!(decide(&m, &everyone.actor(), &a).is_err(), "{ty:?} {a:?}");
            }
        }
    }

    fn all_actions() -> Vec<Action> {
        vec![
            Action::Reclassify {
                to: MatterType::Other,
            },
            Action::Dispatch {
                lead: "HJWS".into(),
                co: vec![],
            },
            Action::Coordinate {
                departments: depts(&["HJWS"]),
            },
            Action::ProvideInput,
            Action::Reply,
            Action::SignFor,
            Action::Return,
            Action::Arrive,
            Action::Plan,
            Action::ReportProgress,
            Action::Complete,
            Action::RecordResult,
            Action::Feedback,
            Action::Revisit {
                satisfaction: Satisfaction::Satisfied,
            },
            Action::Revisit {
                satisfaction: Satisfaction::VeryDissatisfied,
            },
            Action::Submit,
            Action::Evaluate { adopted: true },
            Action::Evaluate { adopted: false },
            Action::Implemented,
            Action::Tell,
            Action::InformCaller,
        ]
    }

    /// Every (type, reachable status, action, role) combination: an allowed
    /// action always leads to a status the type can be in, and its event is
    /// the action's code.
    #[test]
    fn exhaustive_invariants() {
        let role_sets: Vec<Vec<Role>> = Role::ALL.iter().map(|r| vec![*r]).collect();
        for ty in MatterType::ALL {
            for status in MatterStatus::ALL.iter().filter(|s| reachable(*ty, **s)) {
                let m = MatterState {
                    matter_type: *ty,
                    status: *status,
                    lead: Some("HJWS".into()),
                    co: depts(&["JKZX"]),
                };
                for roles in &role_sets {
                    let who = Who::new(roles, &["HJWS", "JKZX"]);
                    for a in all_actions() {
                        if let Ok(t) = decide(&m, &who.actor(), &a) {
                            let ty = t.matter_type.unwrap_or(*ty);
                            assert!(reachable(ty, t.to), "{ty:?} cannot be {:?}", t.to);
                            assert_eq!(t.event, a.code());
                        }
                    }
                }
            }
        }
    }

    fn reachable(ty: MatterType, s: MatterStatus) -> bool {
        use MatterType as T;
        match ty {
            T::Consultation => matches!(s, S::Received | S::Coordinating | S::Closed),
            T::Complaint => matches!(
                s,
                S::Received
                    | S::Dispatched
                    | S::Signed
                    | S::OnSite
                    | S::Rectifying
                    | S::Completed
                    | S::FedBack
                    | S::Closed
            ),
            T::Suggestion => matches!(
                s,
                S::Received | S::Evaluating | S::Implementing | S::Decided | S::Closed
            ),
            T::Other => matches!(s, S::Received | S::Handling | S::Completed | S::Closed),
        }
    }
}

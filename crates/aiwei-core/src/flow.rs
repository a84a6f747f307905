//! The handling flows of REGULATION.md, as one state
//! machine per matter type.
//!
//! [`RULES`] says, for every step, in which types and states of a matter it
//! may be taken, by which roles, and in which relation to the matter's
//! departments. [`decide`] checks a requested action against those rules and
//! says what it does: the new status and the effects the store must write in
//! the same transaction (one event, departments, counters, who is told).
//! [`allowed`] lists the steps an actor may take now, and the work queues of
//! `access` are built from the same table, so a rule is written once. It
//! does no IO.
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

use crate::access::Actor;
use crate::kinds::{
    EventKind, MatterStatus, MatterType, NotificationKind, Role, Satisfaction, code_enum,
};

code_enum!(
    /// A step of a matter's flow, without its data: the `action` of the
    /// API's step request, and the form the matter page offers.
    ActionKind, "action" {
        Reclassify => ("reclassify", "更改分类"),
        Dispatch => ("dispatch", "派单"),
        Coordinate => ("coordinate", "请求部门协办"),
        ProvideInput => ("provide_input", "提供部门意见"),
        Reply => ("reply", "答复来电人"),
        SignFor => ("sign_for", "签收"),
        AskReturn => ("ask_return", "申请退回"),
        Return => ("return", "退回"),
        Arrive => ("arrive", "到场核查"),
        Plan => ("plan", "制定整改措施"),
        ReportProgress => ("report_progress", "汇报整改进展"),
        Complete => ("complete", "整改完成"),
        RecordResult => ("record_result", "记录办理结果"),
        Feedback => ("feedback", "反馈来电人"),
        Revisit => ("revisit", "回访"),
        Submit => ("submit", "提交领导小组"),
        Evaluate => ("evaluate", "评估建议"),
        Implemented => ("implemented", "实施完成"),
        Tell => ("tell", "告知建议人"),
        InformCaller => ("inform_caller", "告知来电人（回复时间已延期）"),
        Urge => ("urge", "督办催办"),
        CorrectAnswer => ("correct_answer", "更正答复"),
    }
);

impl ActionKind {
    /// Steps in which the desk speaks to the caller: whoever takes them
    /// needs the caller's name and number.
    pub fn contacts_caller(self) -> bool {
        matches!(
            self,
            ActionKind::Reply
                | ActionKind::Feedback
                | ActionKind::Revisit
                | ActionKind::Tell
                | ActionKind::InformCaller
                | ActionKind::CorrectAnswer
        )
    }
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
    /// A handler asks the department's lead to return it, with the reason.
    AskReturn,
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
    /// The caller was told of a change (a reply time moved by an extension).
    InformCaller,
    /// A supervisor urges the lead department on (催办).
    Urge,
    /// An answer already given was wrong and the caller is told the right
    /// one (counted against accuracy, docs/KPI.md).
    CorrectAnswer,
}

impl Action {
    /// The step, without its data.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Reclassify { .. } => ActionKind::Reclassify,
            Action::Dispatch { .. } => ActionKind::Dispatch,
            Action::Coordinate { .. } => ActionKind::Coordinate,
            Action::ProvideInput => ActionKind::ProvideInput,
            Action::Reply => ActionKind::Reply,
            Action::SignFor => ActionKind::SignFor,
            Action::AskReturn => ActionKind::AskReturn,
            Action::Return => ActionKind::Return,
            Action::Arrive => ActionKind::Arrive,
            Action::Plan => ActionKind::Plan,
            Action::ReportProgress => ActionKind::ReportProgress,
            Action::Complete => ActionKind::Complete,
            Action::RecordResult => ActionKind::RecordResult,
            Action::Feedback => ActionKind::Feedback,
            Action::Revisit { .. } => ActionKind::Revisit,
            Action::Submit => ActionKind::Submit,
            Action::Evaluate { .. } => ActionKind::Evaluate,
            Action::Implemented => ActionKind::Implemented,
            Action::Tell => ActionKind::Tell,
            Action::InformCaller => ActionKind::InformCaller,
            Action::Urge => ActionKind::Urge,
            Action::CorrectAnswer => ActionKind::CorrectAnswer,
        }
    }

    /// The event the step appends.
    pub fn event(&self) -> EventKind {
        use EventKind as E;
        match self {
            Action::Reclassify { .. } => E::Reclassified,
            Action::Dispatch { .. } => E::Dispatched,
            Action::Coordinate { .. } => E::CoordinationRequested,
            Action::ProvideInput => E::InputProvided,
            Action::Reply => E::Replied,
            Action::SignFor => E::SignedFor,
            Action::AskReturn => E::ReturnAsked,
            Action::Return => E::Returned,
            Action::Arrive => E::ArrivedOnSite,
            Action::Plan => E::RectificationPlanned,
            Action::ReportProgress => E::ProgressReported,
            Action::Complete => E::Completed,
            Action::RecordResult => E::ResultRecorded,
            Action::Feedback => E::FeedbackGiven,
            Action::Revisit { satisfaction } if satisfaction.accepts() => E::Revisited,
            Action::Revisit { .. } => E::RedoOrdered,
            Action::Submit => E::SubmittedToLeadingGroup,
            Action::Evaluate { adopted: true } => E::Adopted,
            Action::Evaluate { adopted: false } => E::NotAdopted,
            Action::Implemented => E::Implemented,
            Action::Tell => E::ProposerTold,
            Action::InformCaller => E::CallerInformed,
            Action::Urge => E::Urged,
            Action::CorrectAnswer => E::AnswerCorrected,
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
    /// An approved extension moved the agreed reply time and the caller has
    /// not yet been told.
    pub caller_to_be_told: bool,
    /// Merged into another matter (并单): handled through its lead, so it
    /// takes only the steps with its own caller
    /// ([`crate::merge::own_step_while_merged`]).
    pub merged: bool,
}

impl MatterState {
    /// Whether one of `departments` handles the matter: leads or co-handles
    /// it.
    pub fn handled_by(&self, departments: &[String]) -> bool {
        departments
            .iter()
            .any(|d| self.lead.as_deref() == Some(d.as_str()) || self.co.contains(d))
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
        action: ActionKind,
        status: MatterStatus,
    },
    /// The action's own data is wrong (422), e.g. dispatch to no department.
    #[error("invalid {field}")]
    Invalid { field: &'static str },
    /// The matter is merged into another and the step is the lead's to
    /// take (409 `merged_step`).
    #[error("the matter is merged into another")]
    Merged,
}

/// What an allowed action does.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The event kind to append.
    pub event: EventKind,
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
    /// The caller's satisfaction recorded by a revisit.
    pub satisfaction: Option<Satisfaction>,
    /// The people who now have work and must be told at once
    /// (R-3.3 "第一时间通知"), and why.
    pub notify: Option<(NotificationKind, Recipients)>,
}

/// Who is told of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipients {
    /// The staff of these departments (of a sensitive matter, their leads
    /// only: ).
    Departments(Vec<String>),
    /// The leads of these departments.
    DepartmentLeads(Vec<String>),
    /// The intake staff member who recorded the matter.
    Recorder,
}

impl Transition {
    fn to(event: EventKind, to: MatterStatus) -> Self {
        Self {
            event,
            to,
            lead: None,
            co: None,
            matter_type: None,
            counts_return: false,
            counts_redo: false,
            closes: to == MatterStatus::Closed,
            satisfaction: None,
            notify: None,
        }
    }
}

/// How an actor must stand to a matter's departments to take a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeptNeed {
    /// No department relation: the desk, the leading group.
    Any,
    /// A member of the lead department.
    Lead,
    /// A member of the lead or of a co-handling department.
    LeadOrCo,
}

/// One rule of the flow: `step` may be taken on a matter of one of `types`
/// in one of `states` by an actor holding one of `roles`, standing to the
/// matter's departments as `dept` says.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub step: ActionKind,
    pub types: &'static [MatterType],
    pub states: &'static [MatterStatus],
    pub roles: &'static [Role],
    pub dept: DeptNeed,
    /// Only while the caller is still to be told of a moved reply time.
    pub caller_to_be_told: bool,
}

impl Rule {
    const fn new(
        step: ActionKind,
        types: &'static [MatterType],
        states: &'static [MatterStatus],
        roles: &'static [Role],
        dept: DeptNeed,
    ) -> Self {
        Self {
            step,
            types,
            states,
            roles,
            dept,
            caller_to_be_told: false,
        }
    }

    /// Whether the matter's type, state and facts allow the step.
    pub fn fits(&self, m: &MatterState) -> bool {
        self.types.contains(&m.matter_type)
            && self.states.contains(&m.status)
            && (!self.caller_to_be_told || m.caller_to_be_told)
    }

    /// Whether the actor's roles and departments allow it.
    pub fn admits(&self, actor: &Actor<'_>, m: &MatterState) -> bool {
        actor.any(self.roles)
            && match self.dept {
                DeptNeed::Any => true,
                DeptNeed::Lead => actor.in_dept(m.lead.as_deref()),
                DeptNeed::LeadOrCo => m.handled_by(actor.departments),
            }
    }
}

/// The staff of the intake desk, and supervisors, who may stand in.
pub const DESK: &[Role] = &[Role::Intake, Role::Supervisor];
/// The staff of a responsible department.
pub const DEPT: &[Role] = &[Role::Handler, Role::DeptLead];

const ALL_TYPES: &[MatterType] = MatterType::ALL;
const COMPLAINT: &[MatterType] = &[MatterType::Complaint];
const CONSULTATION: &[MatterType] = &[MatterType::Consultation];
const SUGGESTION: &[MatterType] = &[MatterType::Suggestion];
const OTHER: &[MatterType] = &[MatterType::Other];
const DISPATCHABLE: &[MatterType] = &[MatterType::Complaint, MatterType::Other];
const OPEN: &[MatterStatus] = &[
    MatterStatus::Received,
    MatterStatus::Coordinating,
    MatterStatus::Dispatched,
    MatterStatus::Signed,
    MatterStatus::OnSite,
    MatterStatus::Rectifying,
    MatterStatus::Completed,
    MatterStatus::FedBack,
    MatterStatus::Evaluating,
    MatterStatus::Implementing,
    MatterStatus::Decided,
    MatterStatus::Handling,
];

/// Every rule of the flows. A step not allowed by some row is refused.
pub const RULES: &[Rule] = {
    use ActionKind as A;
    use DeptNeed::{Any, Lead, LeadOrCo};
    use MatterStatus as S;
    &[
        Rule::new(A::Reclassify, ALL_TYPES, &[S::Received], DESK, Any),
        Rule::new(A::Dispatch, DISPATCHABLE, &[S::Received], DESK, Any),
        Rule::new(
            A::Coordinate,
            CONSULTATION,
            &[S::Received, S::Coordinating],
            DESK,
            Any,
        ),
        Rule::new(
            A::ProvideInput,
            CONSULTATION,
            &[S::Coordinating],
            DEPT,
            LeadOrCo,
        ),
        Rule::new(A::ProvideInput, OTHER, &[S::Handling], DEPT, LeadOrCo),
        Rule::new(
            A::Reply,
            CONSULTATION,
            &[S::Received, S::Coordinating],
            DESK,
            Any,
        ),
        Rule::new(A::SignFor, COMPLAINT, &[S::Dispatched], DEPT, Lead),
        // A handler who finds the matter is not the department's asks the
        // lead, whose call a return is.
        Rule::new(
            A::AskReturn,
            DISPATCHABLE,
            &[S::Dispatched, S::Signed, S::Handling],
            &[Role::Handler],
            Lead,
        ),
        // Returning is the department lead's call (DESIGN.md roles).
        Rule::new(
            A::Return,
            DISPATCHABLE,
            &[S::Dispatched, S::Handling],
            &[Role::DeptLead],
            Lead,
        ),
        Rule::new(A::Arrive, COMPLAINT, &[S::Signed], DEPT, Lead),
        Rule::new(A::Plan, COMPLAINT, &[S::OnSite], DEPT, Lead),
        Rule::new(
            A::ReportProgress,
            COMPLAINT,
            &[S::Rectifying],
            DEPT,
            LeadOrCo,
        ),
        Rule::new(A::Complete, COMPLAINT, &[S::Rectifying], DEPT, Lead),
        Rule::new(A::RecordResult, OTHER, &[S::Received], DESK, Any),
        Rule::new(A::RecordResult, OTHER, &[S::Handling], DEPT, Lead),
        Rule::new(A::Feedback, DISPATCHABLE, &[S::Completed], DESK, Any),
        Rule::new(A::Feedback, DISPATCHABLE, &[S::Completed], DEPT, Lead),
        Rule::new(A::Revisit, COMPLAINT, &[S::FedBack], &[Role::Intake], Any),
        Rule::new(A::Submit, SUGGESTION, &[S::Received], DESK, Any),
        Rule::new(
            A::Evaluate,
            SUGGESTION,
            &[S::Evaluating],
            &[Role::LeadingGroup],
            Any,
        ),
        Rule::new(
            A::Implemented,
            SUGGESTION,
            &[S::Implementing],
            &[Role::LeadingGroup, Role::Supervisor],
            Any,
        ),
        Rule::new(A::Tell, SUGGESTION, &[S::Decided], DESK, Any),
        // An answer found wrong after the consultation closed is corrected
        // with the caller (docs/KPI.md: it counts against accuracy).
        Rule::new(A::CorrectAnswer, CONSULTATION, &[S::Closed], DESK, Any),
        Rule {
            caller_to_be_told: true,
            ..Rule::new(A::InformCaller, ALL_TYPES, OPEN, DESK, Any)
        },
        // Supervision (督办, R-4.1.1): urging the lead department while the
        // matter is in its hands.
        Rule::new(
            A::Urge,
            DISPATCHABLE,
            &[
                S::Dispatched,
                S::Signed,
                S::OnSite,
                S::Rectifying,
                S::Handling,
            ],
            &[Role::Supervisor],
            Any,
        ),
    ]
};

/// Whether `actor` may take `step` on `m` now; the refusal says why not.
/// A step that some state would allow this actor is a state refusal (409);
/// one no state would allow is forbidden (403), so a department that may
/// never act learns nothing about the matter's state.
pub fn permit(m: &MatterState, actor: &Actor<'_>, step: ActionKind) -> Result<(), Refusal> {
    if may_unmerged(m, actor, step) {
        // Whether the step is the matter's own while merged is asked only
        // of an actor who may take it otherwise, so that one who may not
        // learns nothing of the merge.
        return if m.merged && !crate::merge::own_step_while_merged(step) {
            Err(Refusal::Merged)
        } else {
            Ok(())
        };
    }
    // Only the reason for a refusal needs the rest.
    let fits = RULES.iter().any(|r| r.step == step && r.fits(m));
    let could_ever = RULES.iter().any(|r| r.step == step && actor.any(r.roles));
    if fits || !could_ever {
        Err(Refusal::Forbidden)
    } else {
        Err(Refusal::State {
            action: step,
            status: m.status,
        })
    }
}

/// Whether `actor` may take `step` on `m` now: [`permit`] without the
/// reason, cheap enough to ask for every row of a list.
pub fn may(m: &MatterState, actor: &Actor<'_>, step: ActionKind) -> bool {
    may_unmerged(m, actor, step) && (!m.merged || crate::merge::own_step_while_merged(step))
}

/// Whether the rules allow the step, the merge aside.
fn may_unmerged(m: &MatterState, actor: &Actor<'_>, step: ActionKind) -> bool {
    RULES
        .iter()
        .any(|r| r.step == step && r.fits(m) && r.admits(actor, m))
}

/// The steps `actor` may take on `m` now, in the order of [`ActionKind`].
pub fn allowed(m: &MatterState, actor: &Actor<'_>) -> Vec<ActionKind> {
    ActionKind::ALL
        .iter()
        .copied()
        .filter(|k| may(m, actor, *k))
        .collect()
}

/// Checks `action` on `m` by `actor` and says what it does.
pub fn decide(m: &MatterState, actor: &Actor<'_>, action: &Action) -> Result<Transition, Refusal> {
    permit(m, actor, action.kind())?;
    effect(m, action)
}

/// Department codes in order, each once.
fn sorted_unique(codes: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = codes.into_iter().collect();
    v.sort();
    v.dedup();
    v
}

/// What an allowed action does to `m`.
fn effect(m: &MatterState, action: &Action) -> Result<Transition, Refusal> {
    use MatterStatus as S;
    use MatterType as T;
    let event = action.event();
    let to = |status: MatterStatus| Ok(Transition::to(event, status));
    match action {
        Action::Reclassify { to } => {
            if *to == m.matter_type {
                return Err(Refusal::Invalid { field: "type" });
            }
            Ok(Transition {
                matter_type: Some(*to),
                ..Transition::to(event, S::Received)
            })
        }
        Action::Dispatch { lead, co } => {
            if lead.trim().is_empty() {
                return Err(Refusal::Invalid { field: "lead" });
            }
            if co.contains(lead) {
                return Err(Refusal::Invalid { field: "co" });
            }
            let co = sorted_unique(co.iter().cloned());
            let status = if m.matter_type == T::Complaint {
                S::Dispatched
            } else {
                S::Handling
            };
            Ok(Transition {
                lead: Some(Some(lead.clone())),
                co: Some(co),
                notify: Some((
                    NotificationKind::Dispatched,
                    Recipients::Departments(vec![lead.clone()]),
                )),
                ..Transition::to(event, status)
            })
        }
        Action::Coordinate { departments } => {
            if departments.is_empty() {
                return Err(Refusal::Invalid {
                    field: "departments",
                });
            }
            let all = sorted_unique(m.co.iter().chain(departments).cloned());
            let asked = sorted_unique(departments.iter().cloned());
            Ok(Transition {
                co: Some(all),
                notify: Some((
                    NotificationKind::CoordinationRequested,
                    Recipients::Departments(asked),
                )),
                ..Transition::to(event, S::Coordinating)
            })
        }
        Action::ProvideInput | Action::InformCaller | Action::CorrectAnswer => to(m.status),
        Action::Urge => Ok(Transition {
            notify: Some((
                NotificationKind::Urged,
                Recipients::Departments(m.lead.iter().cloned().collect()),
            )),
            ..Transition::to(event, m.status)
        }),
        Action::Reply | Action::Tell => to(S::Closed),
        Action::SignFor => to(S::Signed),
        Action::AskReturn => Ok(Transition {
            notify: Some((
                NotificationKind::ReturnAsked,
                Recipients::DepartmentLeads(m.lead.iter().cloned().collect()),
            )),
            ..Transition::to(event, m.status)
        }),
        Action::Return => Ok(Transition {
            lead: Some(None),
            co: Some(Vec::new()),
            counts_return: true,
            notify: Some((NotificationKind::Returned, Recipients::Recorder)),
            ..Transition::to(event, S::Received)
        }),
        Action::Arrive => to(S::OnSite),
        Action::Plan | Action::ReportProgress => to(S::Rectifying),
        Action::Complete | Action::RecordResult => to(S::Completed),
        Action::Feedback if m.matter_type == T::Complaint => to(S::FedBack),
        Action::Feedback => to(S::Closed),
        Action::Revisit { satisfaction } if satisfaction.accepts() => Ok(Transition {
            satisfaction: Some(*satisfaction),
            ..Transition::to(event, S::Closed)
        }),
        // Redone by the same departments: back to sign-for.
        Action::Revisit { satisfaction } => Ok(Transition {
            counts_redo: true,
            satisfaction: Some(*satisfaction),
            notify: Some((
                NotificationKind::RedoOrdered,
                Recipients::Departments(m.lead.iter().cloned().collect()),
            )),
            ..Transition::to(event, S::Dispatched)
        }),
        Action::Submit => to(S::Evaluating),
        Action::Evaluate { adopted: true } => to(S::Implementing),
        Action::Evaluate { adopted: false } | Action::Implemented => to(S::Decided),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Who, depts};
    use MatterStatus as S;

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
            caller_to_be_told: false,
            merged: false,
        }
    }

    #[test]
    fn a_merged_matter_takes_only_its_own_callers_steps() {
        let handler = Who::new(&[Role::Handler], &["HJWS"]);
        let other = Who::new(&[Role::Handler], &["BMFZ"]);
        let mut m = new(MatterType::Complaint);
        m.status = S::Dispatched;
        m.lead = Some("HJWS".into());
        m.merged = true;
        // The lead's department signs for the lead, not for this one.
        assert_eq!(
            permit(&m, &handler.actor(), ActionKind::SignFor),
            Err(Refusal::Merged)
        );
        assert!(!allowed(&m, &handler.actor()).contains(&ActionKind::SignFor));
        // One who may not sign for it anyway learns nothing of the merge.
        assert_eq!(
            permit(&m, &other.actor(), ActionKind::SignFor),
            Err(Refusal::Forbidden)
        );
        // Unmerged, the same step is allowed.
        m.merged = false;
        assert_eq!(permit(&m, &handler.actor(), ActionKind::SignFor), Ok(()));
        // Its own caller's steps stay its own while merged.
        let intake = Who::new(&[Role::Intake], &["AWB"]);
        m.merged = true;
        m.status = S::FedBack;
        for k in allowed(&m, &intake.actor()) {
            assert!(crate::merge::own_step_while_merged(k), "{k:?}");
        }
        m.merged = false;
        assert!(allowed(&m, &intake.actor()).contains(&ActionKind::Revisit));
        m.merged = true;
        assert!(allowed(&m, &intake.actor()).contains(&ActionKind::Revisit));
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
        assert_eq!(t.event, EventKind::RedoOrdered);
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
                action: ActionKind::Revisit,
                status: S::Received
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
        assert_eq!(t.event, EventKind::NotAdopted);
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
        assert_eq!(t.event, EventKind::Reclassified);
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
                caller_to_be_told: true,
                merged: false,
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
                    caller_to_be_told: true,
                    merged: false,
                };
                for roles in &role_sets {
                    let who = Who::new(roles, &["HJWS", "JKZX"]);
                    for a in all_actions() {
                        if let Ok(t) = decide(&m, &who.actor(), &a) {
                            let ty = t.matter_type.unwrap_or(*ty);
                            assert!(reachable(ty, t.to), "{ty:?} cannot be {:?}", t.to);
                            assert_eq!(t.event, a.event());
                        }
                    }
                }
            }
        }
    }

    /// `allowed` lists exactly the steps `decide` accepts, whatever the
    /// payload, for every type, state, role and department relation.
    #[test]
    fn allowed_agrees_with_decide() {
        for ty in MatterType::ALL {
            for status in MatterStatus::ALL {
                for told in [false, true] {
                    let m = MatterState {
                        matter_type: *ty,
                        status: *status,
                        lead: Some("HJWS".into()),
                        co: depts(&["JKZX"]),
                        caller_to_be_told: told,
                        merged: false,
                    };
                    for role in Role::ALL {
                        for d in [&["HJWS"][..], &["JKZX"], &["WYGL"]] {
                            let who = Who::new(&[*role], d);
                            let allowed = allowed(&m, &who.actor());
                            for a in all_actions() {
                                let ok = !matches!(
                                    decide(&m, &who.actor(), &a),
                                    Err(Refusal::Forbidden | Refusal::State { .. })
                                );
                                assert_eq!(
                                    ok,
                                    allowed.contains(&a.kind()),
                                    "{ty:?} {status:?} {role:?} {d:?} {a:?}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn informing_the_caller_waits_for_a_moved_reply_time() {
        let intake = Who::new(&[Role::Intake], &["AWB"]);
        let mut m = new(MatterType::Complaint);
        assert!(!allowed(&m, &intake.actor()).contains(&ActionKind::InformCaller));
        m.caller_to_be_told = true;
        assert!(allowed(&m, &intake.actor()).contains(&ActionKind::InformCaller));
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

//! Who may see and do what (R-5, and the roles of DESIGN.md): one pure
//! module that answers every question of access, so that the store, the API
//! and the pages only ask.
//!
//! - Which matters an actor sees is a [`Cond`], a small predicate tree over
//!   a matter's facts ([`visibility`]). The store turns the same tree into
//!   SQL, and [`Cond::holds`] evaluates it in memory, so the rule is written
//!   once and the two readings can be checked against each other.
//! - The steps an actor may take are the flow's ([`crate::flow::allowed`]);
//!   the work queues are built from the flow's rule table ([`Queue`]).
//! - Whose callers an actor sees in clear ([`caller_clear`]): least
//!   privilege, and what a signed disclosure adds.
//! - Reveal, disclosure (four eyes: neither the filer nor the recipient
//!   decides), extensions, evidence, naming colleagues, anonymisation and
//!   exports.
//!
//! Nothing here does IO: callers pass the facts they read.

use crate::deadline::{ClockOwner, DeadlineKind};
use crate::error::{ErrorCode, FieldError};
use crate::flow::{self, ActionKind, DEPT, DESK, DeptNeed, MatterState, RULES};
use crate::ids::UserId;
use crate::kinds::{
    DisclosedField, DisclosureStatus, ExtensionStatus, MatterStatus, MatterType, Role, code_enum,
};

/// Who asks: a staff member's id, roles and departments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Actor<'a> {
    pub id: UserId,
    pub roles: &'a [Role],
    pub departments: &'a [String],
}

impl Actor<'_> {
    pub fn has(&self, r: Role) -> bool {
        self.roles.contains(&r)
    }

    /// Whether the actor holds any of `rs`.
    pub fn any(&self, rs: &[Role]) -> bool {
        rs.iter().any(|r| self.has(*r))
    }

    /// Whether the actor belongs to department `d`.
    pub fn in_dept(&self, d: Option<&str>) -> bool {
        d.is_some_and(|d| self.departments.iter().any(|x| x == d))
    }
}

/// What access depends on about one matter.
#[derive(Debug, Clone, PartialEq)]
pub struct MatterFacts {
    /// Type, status, lead and co-handling departments.
    pub flow: MatterState,
    /// The receiving department (the intake desk's).
    pub received_by: Option<String>,
    /// The intake staff member who recorded it.
    pub recorded_by: UserId,
    /// Trade secrets, technical secrets, internal management.
    pub sensitive: bool,
    /// The caller's personal data was erased on request.
    pub anonymised: bool,
}

impl MatterFacts {
    /// Whether one of `departments` handles the matter: leads or co-handles
    /// it.
    pub fn handled_by(&self, departments: &[String]) -> bool {
        self.flow.handled_by(departments)
    }

    fn open(&self) -> bool {
        self.flow.status != MatterStatus::Closed
    }
}

/// Why access is refused, as the edge reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// Not visible to the actor, or no such thing (404).
    Hidden,
    /// The actor's roles or part do not allow it (403).
    Forbidden(ErrorCode),
    /// The state of things does not allow it (409).
    Conflict(ErrorCode),
    /// A field of the request is wrong (422).
    Invalid(FieldError),
}

fn forbidden() -> Denial {
    Denial::Forbidden(ErrorCode::Forbidden)
}

fn require(ok: bool, denial: Denial) -> Result<(), Denial> {
    if ok { Ok(()) } else { Err(denial) }
}

// ---------------------------------------------------------------------------
// Conditions over a matter
// ---------------------------------------------------------------------------

/// A condition on a matter: evaluated in memory by [`Cond::holds`] and turned
/// into SQL by the store, from the same tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    True,
    False,
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    /// The matter is sensitive.
    Sensitive,
    /// An approved extension moved the reply time; the caller is to be told.
    CallerToBeTold,
    TypeIn(Vec<MatterType>),
    StatusIn(Vec<MatterStatus>),
    /// Received by one of these departments.
    ReceivedBy(Vec<String>),
    /// Led by one of these departments.
    LedBy(Vec<String>),
    /// Co-handled (or coordinated) by one of these departments.
    CoHandledBy(Vec<String>),
    /// Recorded by this staff member.
    RecordedBy(UserId),
    /// This staff member took a step on it or was named on it.
    NamedOn(UserId),
    /// A signed disclosure of the matter's content to this staff member is
    /// open at this instant (milliseconds since the epoch).
    ContentGranted {
        user: UserId,
        at_ms: i64,
    },
}

/// Who is named on a matter and who holds content grants: the facts
/// [`Cond::holds`] needs beyond [`MatterFacts`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ties {
    pub named: Vec<UserId>,
    /// Signed content disclosures: recipient and expiry (ms).
    pub content_grants: Vec<(UserId, i64)>,
}

impl Cond {
    /// All of `parts`; `True` parts drop out, a `False` part decides.
    pub fn all(parts: Vec<Cond>) -> Cond {
        let mut kept = Vec::new();
        for p in parts {
            match p {
                Cond::True => {}
                Cond::False => return Cond::False,
                p => kept.push(p),
            }
        }
        match kept.len() {
            0 => Cond::True,
            1 => kept.pop().unwrap_or(Cond::True),
            _ => Cond::All(kept),
        }
    }

    /// Any of `parts`; `False` parts drop out, a `True` part decides.
    pub fn any(parts: Vec<Cond>) -> Cond {
        let mut kept = Vec::new();
        for p in parts {
            match p {
                Cond::False => {}
                Cond::True => return Cond::True,
                p => kept.push(p),
            }
        }
        match kept.len() {
            0 => Cond::False,
            1 => kept.pop().unwrap_or(Cond::False),
            _ => Cond::Any(kept),
        }
    }

    fn departments(list: &[String], f: fn(Vec<String>) -> Cond) -> Cond {
        if list.is_empty() {
            Cond::False
        } else {
            f(list.to_vec())
        }
    }

    /// The statuses a matter must have for the condition to hold, when it
    /// limits them (`None`: any status may do). Implied by the condition,
    /// so adding `StatusIn` of them changes nothing but what a query can
    /// read: a queue of open matters reads the status index, not years of
    /// closed ones.
    pub fn statuses(&self) -> Option<Vec<MatterStatus>> {
        match self {
            Cond::False => Some(Vec::new()),
            Cond::StatusIn(ss) => Some(ss.clone()),
            // Any limit among the parts limits the whole; several, each other.
            Cond::All(cs) => cs
                .iter()
                .filter_map(Cond::statuses)
                .reduce(|a, b| a.into_iter().filter(|s| b.contains(s)).collect()),
            // Only when every alternative is limited: their union.
            Cond::Any(cs) => cs
                .iter()
                .map(Cond::statuses)
                .try_fold(Vec::new(), |mut acc, s| {
                    for x in s? {
                        if !acc.contains(&x) {
                            acc.push(x);
                        }
                    }
                    Some(acc)
                }),
            _ => None,
        }
    }

    /// Whether the condition holds for every matter that is not sensitive,
    /// whatever else is true of it: then what a reader sees of the ordinary
    /// matters is all of them, and a count of them may come from the
    /// ledger's tally instead of the rows (only the sensitive ones need
    /// checking one by one). Conservative: `false` when unsure.
    pub fn covers_ordinary(&self) -> bool {
        match self {
            Cond::True => true,
            Cond::Not(c) => matches!(**c, Cond::Sensitive),
            Cond::All(cs) => cs.iter().all(Cond::covers_ordinary),
            Cond::Any(cs) => cs.iter().any(Cond::covers_ordinary),
            _ => false,
        }
    }

    /// Whether the condition holds for `m`.
    pub fn holds(&self, m: &MatterFacts, ties: &Ties) -> bool {
        match self {
            Cond::True => true,
            Cond::False => false,
            Cond::All(cs) => cs.iter().all(|c| c.holds(m, ties)),
            Cond::Any(cs) => cs.iter().any(|c| c.holds(m, ties)),
            Cond::Not(c) => !c.holds(m, ties),
            Cond::Sensitive => m.sensitive,
            Cond::CallerToBeTold => m.flow.caller_to_be_told,
            Cond::TypeIn(ts) => ts.contains(&m.flow.matter_type),
            Cond::StatusIn(ss) => ss.contains(&m.flow.status),
            Cond::ReceivedBy(ds) => m.received_by.as_ref().is_some_and(|d| ds.contains(d)),
            Cond::LedBy(ds) => m.flow.lead.as_ref().is_some_and(|d| ds.contains(d)),
            Cond::CoHandledBy(ds) => m.flow.co.iter().any(|d| ds.contains(d)),
            Cond::RecordedBy(u) => m.recorded_by == *u,
            Cond::NamedOn(u) => ties.named.contains(u),
            Cond::ContentGranted { user, at_ms } => ties
                .content_grants
                .iter()
                .any(|(u, expires)| u == user && *expires > *at_ms),
        }
    }
}

/// The roles that see every department's ordinary matters.
const WIDE: &[Role] = &[
    Role::Intake,
    Role::Supervisor,
    Role::Auditor,
    Role::Admin,
    Role::LeadingGroup,
];

/// Which matters `actor` sees at `at_ms`.
///
/// Intake, supervisors, the leading group, auditors and admins see every
/// department's ordinary matters; handlers and department leads those their
/// departments received, lead or co-handle. A sensitive matter shows only to
/// supervisors, the staff member who recorded it, the people named on it,
/// the leads of the departments handling it and the recipient of a signed,
/// unexpired disclosure of its content, which also opens it whatever the
/// department.
pub fn visibility(actor: &Actor<'_>, at_ms: i64) -> Cond {
    let d = actor.departments;
    let granted = Cond::ContentGranted {
        user: actor.id,
        at_ms,
    };
    let department = if actor.any(WIDE) {
        Cond::True
    } else {
        Cond::any(vec![
            Cond::departments(d, Cond::ReceivedBy),
            Cond::departments(d, Cond::LedBy),
            Cond::departments(d, Cond::CoHandledBy),
            granted.clone(),
        ])
    };
    let sensitive = if actor.has(Role::Supervisor) {
        Cond::True
    } else {
        let lead_of = if actor.has(Role::DeptLead) { d } else { &[] };
        Cond::any(vec![
            Cond::Not(Box::new(Cond::Sensitive)),
            Cond::RecordedBy(actor.id),
            granted,
            Cond::NamedOn(actor.id),
            Cond::departments(lead_of, Cond::LedBy),
            Cond::departments(lead_of, Cond::CoHandledBy),
        ])
    };
    Cond::all(vec![department, sensitive])
}

/// Everything: for the program itself (verification, demo, tools).
pub const EVERYTHING: Cond = Cond::True;

// ---------------------------------------------------------------------------
// Work queues
// ---------------------------------------------------------------------------

code_enum!(
    /// A queue of matters waiting for one kind of work ("我的工作").
    Queue, "queue" {
        ToDispatch => ("to_dispatch", "待派单/待处理"),
        ToFeedBack => ("to_feed_back", "待反馈来电人"),
        ToRevisit => ("to_revisit", "待回访"),
        ToReply => ("to_reply", "待答复来电人"),
        ToSign => ("to_sign", "待签收"),
        ToVisit => ("to_visit", "待到场核查"),
        Rectifying => ("rectifying", "整改中"),
        ToAdvise => ("to_advise", "待提供意见/办理"),
        ToEvaluate => ("to_evaluate", "待评估建议"),
        Implementing => ("implementing", "实施中的建议"),
    }
);

/// A step that puts a matter into a queue, optionally only in some states.
type Lane = (ActionKind, Option<&'static [MatterStatus]>);

impl Queue {
    /// Whose queue it is.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Queue::ToDispatch | Queue::ToFeedBack | Queue::ToRevisit | Queue::ToReply => {
                &[Role::Intake]
            }
            Queue::ToSign | Queue::ToVisit | Queue::Rectifying | Queue::ToAdvise => DEPT,
            Queue::ToEvaluate | Queue::Implementing => &[Role::LeadingGroup],
        }
    }

    /// The steps that put a matter into the queue: it holds the matters on
    /// which its owner may take one of them now.
    fn lanes(self) -> &'static [Lane] {
        use ActionKind as A;
        use MatterStatus as S;
        match self {
            Queue::ToDispatch => &[
                (A::Dispatch, None),
                (A::Coordinate, Some(&[S::Received])),
                (A::Reply, Some(&[S::Received])),
                (A::Submit, None),
                (A::RecordResult, Some(&[S::Received])),
            ],
            Queue::ToFeedBack => &[(A::Feedback, None)],
            Queue::ToRevisit => &[(A::Revisit, None)],
            Queue::ToReply => &[
                (A::Reply, Some(&[S::Coordinating])),
                (A::Tell, None),
                (A::InformCaller, None),
            ],
            Queue::ToSign => &[(A::SignFor, None)],
            Queue::ToVisit => &[(A::Arrive, None)],
            Queue::Rectifying => &[
                (A::Plan, None),
                (A::ReportProgress, None),
                (A::Complete, None),
            ],
            Queue::ToAdvise => &[
                (A::ProvideInput, None),
                (A::RecordResult, Some(&[S::Handling])),
            ],
            Queue::ToEvaluate => &[(A::Evaluate, None)],
            Queue::Implementing => &[(A::Implemented, None)],
        }
    }

    /// The queues of `actor`'s roles, in the order a person works them.
    pub fn for_actor(actor: &Actor<'_>) -> Vec<Queue> {
        Queue::ALL
            .iter()
            .copied()
            .filter(|q| actor.any(q.roles()))
            .collect()
    }

    /// `actor` as this queue's owner: only the roles the queue is for.
    fn owner_roles(self, actor: &Actor<'_>) -> Vec<Role> {
        actor
            .roles
            .iter()
            .copied()
            .filter(|r| self.roles().contains(r))
            .collect()
    }

    /// Which matters are in the queue for `actor`, from the flow's rules.
    /// The caller adds [`visibility`].
    pub fn condition(self, actor: &Actor<'_>) -> Cond {
        let roles = self.owner_roles(actor);
        let mut lanes = Vec::new();
        for (step, only) in self.lanes() {
            for r in RULES.iter().filter(|r| r.step == *step) {
                if !r.roles.iter().any(|x| roles.contains(x)) {
                    continue;
                }
                let states: Vec<MatterStatus> = r
                    .states
                    .iter()
                    .copied()
                    .filter(|s| only.is_none_or(|o| o.contains(s)))
                    .collect();
                if states.is_empty() {
                    continue;
                }
                let d = actor.departments;
                let dept = match r.dept {
                    DeptNeed::Any => Cond::True,
                    DeptNeed::Lead => Cond::departments(d, Cond::LedBy),
                    DeptNeed::LeadOrCo => Cond::any(vec![
                        Cond::departments(d, Cond::LedBy),
                        Cond::departments(d, Cond::CoHandledBy),
                    ]),
                };
                lanes.push(Cond::all(vec![
                    Cond::TypeIn(r.types.to_vec()),
                    Cond::StatusIn(states),
                    if r.caller_to_be_told {
                        Cond::CallerToBeTold
                    } else {
                        Cond::True
                    },
                    dept,
                ]));
            }
        }
        Cond::any(lanes)
    }

    /// Whether `m` is in the queue for `actor`, asked of the flow directly.
    pub fn holds(self, actor: &Actor<'_>, m: &MatterState) -> bool {
        let roles = self.owner_roles(actor);
        let owner = Actor {
            roles: &roles,
            ..*actor
        };
        self.lanes().iter().any(|(step, only)| {
            only.is_none_or(|o| o.contains(&m.status)) && flow::may(m, &owner, *step)
        })
    }
}

// ---------------------------------------------------------------------------
// Caller data
// ---------------------------------------------------------------------------

/// Which caller fields a viewer sees in clear.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clear {
    pub name: bool,
    pub organization: bool,
    pub phone: bool,
}

impl Clear {
    pub const NONE: Clear = Clear {
        name: false,
        organization: false,
        phone: false,
    };
    pub const ALL: Clear = Clear {
        name: true,
        organization: true,
        phone: true,
    };

    /// Adds the caller fields a signed disclosure grants.
    pub fn with_disclosed(mut self, fields: &[DisclosedField]) -> Clear {
        for f in fields {
            match f {
                DisclosedField::Name => self.name = true,
                DisclosedField::Organization => self.organization = true,
                DisclosedField::Phone => self.phone = true,
                // Opens the matter (visibility), not a caller field.
                DisclosedField::Content => {}
            }
        }
        self
    }

    pub fn any(self) -> bool {
        self.name || self.organization || self.phone
    }

    /// Whether a caller with these fields present is shown wholly in clear:
    /// an absent field hides nothing.
    pub fn covers(self, name: bool, organization: bool, phone: bool) -> bool {
        (self.name || !name) && (self.organization || !organization) && (self.phone || !phone)
    }
}

/// Why an actor sees a matter's caller in clear by their part in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClearBecause {
    /// A supervisor: every caller (each read is audited).
    Supervisor,
    /// The intake staff member who recorded the matter.
    Recorded,
    /// The desk's next step speaks to the caller (reply, feedback, revisit,
    /// telling the proposer or of a moved reply time).
    Contacting,
}

impl ClearBecause {
    pub fn as_str(self) -> &'static str {
        match self {
            ClearBecause::Supervisor => "role",
            ClearBecause::Recorded => "recorded",
            ClearBecause::Contacting => "contacting",
        }
    }
}

/// Whether, and why, `actor` sees the caller of `m` in clear without a
/// disclosure. Least privilege: intake staff see the callers of the
/// matters they recorded and of those whose next step is theirs to take
/// with the caller; all others masked.
pub fn sees_caller(actor: &Actor<'_>, m: &MatterFacts) -> Option<ClearBecause> {
    if actor.has(Role::Supervisor) {
        return Some(ClearBecause::Supervisor);
    }
    if !actor.has(Role::Intake) {
        return None;
    }
    if m.recorded_by == actor.id {
        return Some(ClearBecause::Recorded);
    }
    let desk = [Role::Intake];
    let as_desk = Actor {
        roles: &desk,
        ..*actor
    };
    // Asked for every row of a list: only the steps that contact the caller.
    ActionKind::ALL
        .iter()
        .any(|k| k.contacts_caller() && flow::may(&m.flow, &as_desk, *k))
        .then_some(ClearBecause::Contacting)
}

/// The caller fields `actor` sees in clear on `m`, given the fields a
/// signed, unexpired disclosure grants them.
pub fn caller_clear(actor: &Actor<'_>, m: &MatterFacts, disclosed: &[DisclosedField]) -> Clear {
    if sees_caller(actor, m).is_some() {
        Clear::ALL
    } else {
        Clear::NONE.with_disclosed(disclosed)
    }
}

/// The caller fields an export shows `actor` for `m`: callers in clear only
/// for the roles the configuration names (`export_clear_roles`), and then
/// only those the actor sees in clear anyway.
pub fn export_clear(actor: &Actor<'_>, m: &MatterFacts, clear_roles: &[Role]) -> Clear {
    if actor.any(clear_roles) {
        caller_clear(actor, m, &[])
    } else {
        Clear::NONE
    }
}

/// Reveal (查看完整信息): a handler or lead of the lead department may see
/// the caller of an open matter once, with a reason, to reach them on site.
/// Everyone else asks for a disclosure.
pub fn may_reveal(actor: &Actor<'_>, m: &MatterFacts) -> Result<(), Denial> {
    let ok = sees_caller(actor, m).is_none()
        && actor.any(DEPT)
        && actor.in_dept(m.flow.lead.as_deref())
        && m.open()
        && !m.anonymised;
    require(ok, Denial::Forbidden(ErrorCode::RevealNotAllowed))
}

// ---------------------------------------------------------------------------
// Disclosure
// ---------------------------------------------------------------------------

/// A disclosure as access needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisclosureFacts {
    pub status: DisclosureStatus,
    /// Who filed the request.
    pub filed_by: UserId,
    /// Who receives the data and signs the agreement.
    pub recipient: UserId,
    /// When access ends (ms), set at approval.
    pub expires_at_ms: Option<i64>,
}

impl DisclosureFacts {
    /// Whether access is open at `at_ms`.
    pub fn open_at(&self, at_ms: i64) -> bool {
        self.status == DisclosureStatus::Signed && self.expires_at_ms.is_some_and(|e| e > at_ms)
    }

    /// The status as it stands at `at_ms`: a grant whose time is up has
    /// expired, whether or not the sweeper has recorded it.
    pub fn status_at(&self, at_ms: i64) -> DisclosureStatus {
        let lapsed = self.expires_at_ms.is_some_and(|e| e <= at_ms);
        match self.status {
            DisclosureStatus::Approved | DisclosureStatus::Signed if lapsed => {
                DisclosureStatus::Expired
            }
            s => s,
        }
    }
}

/// A step of a disclosure, and the states it leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisclosureStep {
    Approve,
    Refuse,
    Sign,
    Expire,
}

impl DisclosureStep {
    /// The states the step may start from.
    pub fn from(self) -> &'static [DisclosureStatus] {
        match self {
            DisclosureStep::Approve | DisclosureStep::Refuse => &[DisclosureStatus::Requested],
            DisclosureStep::Sign => &[DisclosureStatus::Approved],
            DisclosureStep::Expire => &[DisclosureStatus::Approved, DisclosureStatus::Signed],
        }
    }

    /// The state it leads to.
    pub fn to(self) -> DisclosureStatus {
        match self {
            DisclosureStep::Approve => DisclosureStatus::Approved,
            DisclosureStep::Refuse => DisclosureStatus::Refused,
            DisclosureStep::Sign => DisclosureStatus::Signed,
            DisclosureStep::Expire => DisclosureStatus::Expired,
        }
    }
}

/// Whether `actor` may file a request for `fields` of `m` for `recipient`
/// (themselves, or, for a supervisor, another staff member). Only a
/// sensitive matter's content may be asked for, and caller fields only for
/// someone who does not see them in clear anyway.
pub fn may_file_disclosure(
    actor: &Actor<'_>,
    m: &MatterFacts,
    recipient: &Actor<'_>,
    fields: &[DisclosedField],
) -> Result<(), Denial> {
    require(
        recipient.id == actor.id || files_for_others(actor),
        forbidden(),
    )?;
    if fields.contains(&DisclosedField::Content) && !m.sensitive {
        return Err(Denial::Invalid(FieldError::new(
            "fields",
            ErrorCode::NotSensitive,
        )));
    }
    let caller_fields = fields.iter().any(|f| *f != DisclosedField::Content);
    require(
        !(caller_fields && (sees_caller(recipient, m).is_some() || m.anonymised)),
        Denial::Conflict(ErrorCode::AlreadyVisible),
    )
}

/// Whether `actor` may file a disclosure for someone else (who then signs):
/// supervisors.
pub fn files_for_others(actor: &Actor<'_>) -> bool {
    actor.has(Role::Supervisor)
}

/// Whether `actor` sees the requests waiting for a decision: supervisors,
/// who decide them.
pub fn sees_pending_disclosures(actor: &Actor<'_>) -> bool {
    Permission::Supervise.granted(actor)
}

/// Whether `actor` may ask for a disclosure on `m` at all (the matter page
/// offers the form): anyone who sees the caller masked, and supervisors,
/// who file for others.
pub fn may_ask_disclosure(actor: &Actor<'_>, m: &MatterFacts) -> bool {
    files_for_others(actor) || (sees_caller(actor, m).is_none() && !m.anonymised)
}

/// Four eyes: a supervisor decides, never on a request they filed or that
/// is for them.
pub fn may_decide_disclosure(actor: &Actor<'_>, d: &DisclosureFacts) -> Result<(), Denial> {
    require(actor.has(Role::Supervisor), forbidden())?;
    require(
        actor.id != d.filed_by && actor.id != d.recipient,
        Denial::Forbidden(ErrorCode::OwnRequest),
    )?;
    require(
        DisclosureStep::Approve.from().contains(&d.status),
        Denial::Conflict(ErrorCode::AlreadyDecided),
    )
}

/// Only the recipient signs, while the approval is open.
pub fn may_sign_disclosure(
    actor: &Actor<'_>,
    d: &DisclosureFacts,
    at_ms: i64,
) -> Result<(), Denial> {
    require(actor.id == d.recipient, Denial::Hidden)?;
    require(
        d.status_at(at_ms) == DisclosureStatus::Approved,
        Denial::Conflict(ErrorCode::DisclosureNotApproved),
    )
}

/// Who may see that a disclosure exists: its filer, its recipient and
/// supervisors.
pub fn may_see_disclosure(actor: &Actor<'_>, d: &DisclosureFacts) -> bool {
    actor.has(Role::Supervisor) || actor.id == d.filed_by || actor.id == d.recipient
}

// ---------------------------------------------------------------------------
// Extensions (延期)
// ---------------------------------------------------------------------------

/// Who may ask to extend a clock: the lead department's head for the
/// department's clocks, the intake desk for its own, the leading group for
/// evaluations.
/// `lead` is the matter's lead department.
pub fn may_request_extension(actor: &Actor<'_>, kind: DeadlineKind, lead: Option<&str>) -> bool {
    match kind.owner() {
        ClockOwner::LeadDepartment => actor.has(Role::DeptLead) && actor.in_dept(lead),
        ClockOwner::IntakeDesk => actor.has(Role::Intake),
        ClockOwner::LeadingGroup => actor.has(Role::LeadingGroup),
    }
}

/// A supervisor decides, never on their own request.
pub fn may_decide_extension(
    actor: &Actor<'_>,
    requested_by: UserId,
    status: ExtensionStatus,
) -> Result<(), Denial> {
    require(actor.has(Role::Supervisor), forbidden())?;
    require(
        actor.id != requested_by,
        Denial::Forbidden(ErrorCode::OwnRequest),
    )?;
    require(
        status == ExtensionStatus::Pending,
        Denial::Conflict(ErrorCode::AlreadyDecided),
    )
}

// ---------------------------------------------------------------------------
// Evidence, people, anonymisation
// ---------------------------------------------------------------------------

/// Who may add evidence: the desk, supervisors, and the staff of the lead
/// and co-handling departments.
pub fn may_upload(actor: &Actor<'_>, m: &MatterFacts) -> bool {
    actor.any(DESK) || (actor.any(DEPT) && m.handled_by(actor.departments))
}

/// A lead of a department handling a sensitive matter names a colleague
/// who must belong to a handling department.
pub fn may_name(
    actor: &Actor<'_>,
    m: &MatterFacts,
    person_departments: Option<&[String]>,
) -> Result<(), Denial> {
    require(
        actor.has(Role::DeptLead) && m.handled_by(actor.departments),
        forbidden(),
    )?;
    require(m.sensitive, Denial::Conflict(ErrorCode::NotSensitiveMatter))?;
    match person_departments {
        Some(ds) if !m.handled_by(ds) => Err(Denial::Invalid(FieldError::new(
            "username",
            ErrorCode::NotInDepartment,
        ))),
        _ => Ok(()),
    }
}

/// Whether the matter page offers the naming form.
pub fn offers_naming(actor: &Actor<'_>, m: &MatterFacts) -> bool {
    may_name(actor, m, None).is_ok()
}

/// Administrators anonymise a caller on request.
pub fn may_anonymise(actor: &Actor<'_>, m: &MatterFacts) -> Result<(), Denial> {
    require(actor.has(Role::Admin), forbidden())?;
    require(
        !m.anonymised,
        Denial::Conflict(ErrorCode::AlreadyAnonymised),
    )
}

/// Whether `actor` may see the figures of `subject` (R-6.2, docs/KPI.md):
/// supervisors and the leading group see every figure; a department's
/// lead sees their department's; everyone sees their own.
pub fn may_see_figures(actor: &Actor<'_>, subject: &crate::kpi::Subject) -> bool {
    use crate::kpi::Subject;
    if actor.any(&[Role::Supervisor, Role::LeadingGroup]) {
        return true;
    }
    match subject {
        Subject::Organisation => false,
        Subject::Department(d) => actor.has(Role::DeptLead) && actor.in_dept(Some(d)),
        Subject::Staff(u) => *u == actor.id,
    }
}

/// The subject `actor` sees when asking for no one in particular: the
/// organisation for supervisors and the leading group, a department
/// lead's first department, otherwise themselves.
pub fn default_figures(actor: &Actor<'_>) -> crate::kpi::Subject {
    use crate::kpi::Subject;
    if actor.any(&[Role::Supervisor, Role::LeadingGroup]) {
        Subject::Organisation
    } else if let (true, Some(d)) = (actor.has(Role::DeptLead), actor.departments.first()) {
        Subject::Department(d.clone())
    } else {
        Subject::Staff(actor.id)
    }
}

// ---------------------------------------------------------------------------
// Permissions that depend on roles alone
// ---------------------------------------------------------------------------

/// A permission granted by roles alone; the edge puts it in the type a
/// handler receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Any logged-in staff member.
    AnyStaff,
    /// Record calls and visits.
    RecordIntake,
    /// Look up a caller's earlier matters by phone number.
    LookUpCallers,
    /// The supervision board, extension and disclosure decisions (督办).
    Supervise,
    /// Users, departments, settings, tokens.
    Administer,
    /// The audit trail (审计日志).
    ReadAudit,
    /// Warnings about the setup the office relies on, such as a missing
    /// year of the holiday calendar.
    SeeSetupWarnings,
    /// The statistics pages in the menu: whoever is assessed on them or
    /// assesses others. Which figures each may see is
    /// [`may_see_figures`]'s.
    ReadFigures,
}

impl Permission {
    /// The roles that grant it.
    pub const fn roles(self) -> &'static [Role] {
        match self {
            Permission::AnyStaff => Role::ALL,
            Permission::RecordIntake => &[Role::Intake],
            Permission::LookUpCallers => &[Role::Intake, Role::Supervisor],
            Permission::Supervise => &[Role::Supervisor],
            Permission::Administer => &[Role::Admin],
            Permission::ReadAudit => &[Role::Auditor, Role::Admin],
            Permission::SeeSetupWarnings => &[Role::Admin, Role::Supervisor],
            Permission::ReadFigures => &[
                Role::Intake,
                Role::DeptLead,
                Role::LeadingGroup,
                Role::Supervisor,
            ],
        }
    }

    pub fn granted(self, actor: &Actor<'_>) -> bool {
        actor.any(self.roles())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Who, depts};

    fn matter(status: MatterStatus, lead: Option<&str>, sensitive: bool) -> MatterFacts {
        MatterFacts {
            flow: MatterState {
                matter_type: MatterType::Complaint,
                status,
                lead: lead.map(str::to_owned),
                co: Vec::new(),
                caller_to_be_told: false,
                merged: false,
            },
            received_by: Some("AWB".into()),
            recorded_by: UserId::new(),
            sensitive,
            anonymised: false,
        }
    }

    #[test]
    fn the_statuses_a_condition_implies_are_those_every_matter_meeting_it_has() {
        use MatterStatus as S;
        let lane = |ss: &[S]| {
            Cond::all(vec![
                Cond::TypeIn(vec![MatterType::Complaint]),
                Cond::StatusIn(ss.to_vec()),
            ])
        };
        let queues = Cond::any(vec![lane(&[S::Dispatched]), lane(&[S::Signed, S::OnSite])]);
        assert_eq!(
            queues.statuses(),
            Some(vec![S::Dispatched, S::Signed, S::OnSite])
        );
        // An alternative without a limit lifts it.
        let open = Cond::any(vec![lane(&[S::Dispatched]), Cond::CallerToBeTold]);
        assert_eq!(open.statuses(), None);
        // Conjuncts narrow each other; a negation says nothing.
        let both = Cond::all(vec![
            queues.clone(),
            Cond::StatusIn(vec![S::OnSite, S::Closed]),
        ]);
        assert_eq!(both.statuses(), Some(vec![S::OnSite]));
        assert_eq!(
            Cond::Not(Box::new(Cond::StatusIn(vec![S::Closed]))).statuses(),
            None
        );
        assert_eq!(Cond::True.statuses(), None);
        // Whatever the tree, adding the bound keeps exactly the same matters.
        for status in [S::Received, S::Dispatched, S::Signed, S::OnSite, S::Closed] {
            for c in [&queues, &open, &both] {
                let mut m = matter(status, None, false);
                m.flow.caller_to_be_told = status == S::Received;
                let bounded = match c.statuses() {
                    Some(ss) => Cond::all(vec![Cond::StatusIn(ss), c.clone()]),
                    None => c.clone(),
                };
                let ties = Ties::default();
                assert_eq!(
                    bounded.holds(&m, &ties),
                    c.holds(&m, &ties),
                    "{status:?} {c:?}"
                );
            }
        }
    }

    #[test]
    fn a_condition_covers_the_ordinary_matters_only_when_it_holds_for_each() {
        let wide = [
            Role::Intake,
            Role::Supervisor,
            Role::Auditor,
            Role::Admin,
            Role::LeadingGroup,
        ];
        let narrow = [Role::Handler, Role::DeptLead];
        let at = 0;
        let ordinary = |status, lead: Option<&str>, received: &str| {
            let mut m = matter(status, lead, false);
            m.received_by = Some(received.to_owned());
            m
        };
        let samples: Vec<MatterFacts> = [MatterStatus::Received, MatterStatus::Closed]
            .into_iter()
            .flat_map(|s| {
                [
                    ordinary(s, None, "AWB"),
                    ordinary(s, Some("HJWS"), "AWB"),
                    ordinary(s, Some("WJW"), "QX"),
                ]
            })
            .collect();
        for role in wide.iter().chain(narrow.iter()) {
            let who = Who::new(&[*role], &["HJWS"]);
            let cond = visibility(&who.actor(), at);
            let covers = cond.covers_ordinary();
            assert_eq!(covers, wide.contains(role), "{role:?}: {cond:?}");
            // Whenever it says so, it is so.
            if covers {
                for m in &samples {
                    assert!(cond.holds(m, &Ties::default()), "{role:?} {m:?}");
                }
            }
        }
        assert!(!Cond::Sensitive.covers_ordinary());
        assert!(!Cond::Not(Box::new(Cond::CallerToBeTold)).covers_ordinary());
        assert!(!Cond::TypeIn(vec![MatterType::Complaint]).covers_ordinary());
        assert!(
            !Cond::All(vec![
                Cond::Not(Box::new(Cond::Sensitive)),
                Cond::StatusIn(vec![MatterStatus::Closed])
            ])
            .covers_ordinary()
        );
    }

    #[test]
    fn departments_see_their_own_and_sensitive_matters_need_a_tie() {
        let handler = Who::new(&[Role::Handler], &["HJWS"]);
        let lead = Who::new(&[Role::DeptLead], &["HJWS"]);
        let auditor = Who::new(&[Role::Auditor], &[]);
        let none = Ties::default();
        let own = matter(MatterStatus::Dispatched, Some("HJWS"), false);
        let other = matter(MatterStatus::Dispatched, Some("BMFZ"), false);
        let secret = matter(MatterStatus::Dispatched, Some("HJWS"), true);
        let v = |w: &Who| visibility(&w.actor(), 0);
        assert!(v(&handler).holds(&own, &none));
        assert!(!v(&handler).holds(&other, &none));
        assert!(!v(&handler).holds(&secret, &none));
        assert!(v(&lead).holds(&secret, &none));
        assert!(v(&auditor).holds(&other, &none));
        assert!(!v(&auditor).holds(&secret, &none));
        let named = Ties {
            named: vec![handler.id],
            ..Ties::default()
        };
        assert!(v(&handler).holds(&secret, &named));
        // A content grant opens a matter of another department until it
        // expires.
        let granted = Ties {
            content_grants: vec![(handler.id, 10)],
            ..Ties::default()
        };
        let other_secret = matter(MatterStatus::Dispatched, Some("BMFZ"), true);
        assert!(visibility(&handler.actor(), 9).holds(&other_secret, &granted));
        assert!(!visibility(&handler.actor(), 10).holds(&other_secret, &granted));
        let supervisor = Who::new(&[Role::Supervisor], &[]);
        assert_eq!(v(&supervisor), Cond::True);
    }

    #[test]
    fn intake_sees_callers_it_recorded_or_is_to_contact() {
        let intake = Who::new(&[Role::Intake], &["AWB"]);
        let mut m = matter(MatterStatus::Dispatched, Some("HJWS"), false);
        assert_eq!(sees_caller(&intake.actor(), &m), None);
        m.recorded_by = intake.id;
        assert_eq!(
            sees_caller(&intake.actor(), &m),
            Some(ClearBecause::Recorded)
        );
        m.recorded_by = UserId::new();
        for status in [MatterStatus::Completed, MatterStatus::FedBack] {
            m.flow.status = status;
            assert_eq!(
                sees_caller(&intake.actor(), &m),
                Some(ClearBecause::Contacting),
                "{status:?}"
            );
        }
        m.flow.status = MatterStatus::Closed;
        assert_eq!(caller_clear(&intake.actor(), &m, &[]), Clear::NONE);
        assert_eq!(
            caller_clear(&intake.actor(), &m, &[DisclosedField::Phone]),
            Clear {
                phone: true,
                ..Clear::NONE
            }
        );
        let handler = Who::new(&[Role::Handler], &["HJWS"]);
        m.flow.status = MatterStatus::Completed;
        assert_eq!(sees_caller(&handler.actor(), &m), None);
    }

    #[test]
    fn exports_show_callers_only_to_the_configured_roles() {
        let supervisor = Who::new(&[Role::Supervisor], &[]);
        let intake = Who::new(&[Role::Intake], &["AWB"]);
        let mut m = matter(MatterStatus::Closed, None, false);
        m.recorded_by = intake.id;
        let only_supervisors = [Role::Supervisor];
        assert_eq!(
            export_clear(&supervisor.actor(), &m, &only_supervisors),
            Clear::ALL
        );
        assert_eq!(
            export_clear(&intake.actor(), &m, &only_supervisors),
            Clear::NONE
        );
        assert_eq!(
            export_clear(&intake.actor(), &m, &[Role::Supervisor, Role::Intake]),
            Clear::ALL
        );
    }

    #[test]
    fn neither_the_filer_nor_the_recipient_decides_a_disclosure() {
        let a = Who::new(&[Role::Supervisor], &[]);
        let b = Who::new(&[Role::Supervisor], &[]);
        let recipient = Who::new(&[Role::Supervisor, Role::Handler], &["BMFZ"]);
        let d = DisclosureFacts {
            status: DisclosureStatus::Requested,
            filed_by: a.id,
            recipient: recipient.id,
            expires_at_ms: None,
        };
        assert_eq!(
            may_decide_disclosure(&a.actor(), &d),
            Err(Denial::Forbidden(ErrorCode::OwnRequest))
        );
        assert_eq!(
            may_decide_disclosure(&recipient.actor(), &d),
            Err(Denial::Forbidden(ErrorCode::OwnRequest))
        );
        assert_eq!(may_decide_disclosure(&b.actor(), &d), Ok(()));
        let handler = Who::new(&[Role::Handler], &["BMFZ"]);
        assert_eq!(
            may_decide_disclosure(&handler.actor(), &d),
            Err(Denial::Forbidden(ErrorCode::Forbidden))
        );
    }

    #[test]
    fn only_the_recipient_signs_an_open_approval() {
        let r = Who::new(&[Role::Handler], &["BMFZ"]);
        let other = Who::new(&[Role::Handler], &["BMFZ"]);
        let d = DisclosureFacts {
            status: DisclosureStatus::Approved,
            filed_by: r.id,
            recipient: r.id,
            expires_at_ms: Some(100),
        };
        assert_eq!(may_sign_disclosure(&r.actor(), &d, 99), Ok(()));
        assert_eq!(
            may_sign_disclosure(&r.actor(), &d, 100),
            Err(Denial::Conflict(ErrorCode::DisclosureNotApproved))
        );
        assert_eq!(
            may_sign_disclosure(&other.actor(), &d, 99),
            Err(Denial::Hidden)
        );
        assert_eq!(d.status_at(100), DisclosureStatus::Expired);
    }

    #[test]
    fn extensions_belong_to_the_clock_owner_and_are_decided_by_another() {
        let lead = Who::new(&[Role::DeptLead], &["HJWS"]);
        let intake = Who::new(&[Role::Intake], &["AWB"]);
        let m = matter(MatterStatus::Rectifying, Some("HJWS"), false);
        let l = m.flow.lead.as_deref();
        assert!(may_request_extension(
            &lead.actor(),
            DeadlineKind::RectifyDue,
            l
        ));
        assert!(!may_request_extension(
            &lead.actor(),
            DeadlineKind::ReplyDue,
            l
        ));
        assert!(may_request_extension(
            &intake.actor(),
            DeadlineKind::ReplyDue,
            l
        ));
        assert!(!may_request_extension(
            &intake.actor(),
            DeadlineKind::RectifyDue,
            l
        ));
        assert!(!may_request_extension(
            &lead.actor(),
            DeadlineKind::RectifyDue,
            Some("BMFZ")
        ));
        let both = Who::new(&[Role::Supervisor, Role::Intake], &["AWB"]);
        assert_eq!(
            may_decide_extension(&both.actor(), both.id, ExtensionStatus::Pending),
            Err(Denial::Forbidden(ErrorCode::OwnRequest))
        );
        assert_eq!(
            may_decide_extension(&both.actor(), intake.id, ExtensionStatus::Pending),
            Ok(())
        );
    }

    #[test]
    fn queues_agree_with_the_flow() {
        // The queue condition, evaluated in memory, holds for exactly the
        // matters on which the owner may take one of the queue's steps.
        let people = [
            Who::new(&[Role::Intake], &["AWB"]),
            Who::new(&[Role::Handler], &["HJWS"]),
            Who::new(&[Role::DeptLead], &["JKZX"]),
            Who::new(&[Role::LeadingGroup], &[]),
            Who::new(&[Role::Intake, Role::Handler], &["HJWS"]),
        ];
        for ty in MatterType::ALL {
            for status in MatterStatus::ALL {
                for told in [false, true] {
                    let mut m = matter(*status, Some("HJWS"), false);
                    m.flow.matter_type = *ty;
                    m.flow.co = depts(&["JKZX"]);
                    m.flow.caller_to_be_told = told;
                    for w in &people {
                        for q in Queue::for_actor(&w.actor()) {
                            assert_eq!(
                                q.condition(&w.actor()).holds(&m, &Ties::default()),
                                q.holds(&w.actor(), &m.flow),
                                "{q:?} {ty:?} {status:?} {told} {:?}",
                                w.roles
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_queue_has_an_owner_and_a_step() {
        for q in Queue::ALL {
            assert!(!q.roles().is_empty());
            assert!(!q.lanes().is_empty());
        }
        let intake = Who::new(&[Role::Intake], &["AWB"]);
        assert_eq!(
            Queue::for_actor(&intake.actor()),
            [
                Queue::ToDispatch,
                Queue::ToFeedBack,
                Queue::ToRevisit,
                Queue::ToReply
            ]
        );
    }

    #[test]
    fn masking_tells_the_truth_about_absent_fields() {
        let c = Clear::NONE.with_disclosed(&[DisclosedField::Name, DisclosedField::Phone]);
        assert!(c.covers(true, false, true));
        assert!(!c.covers(true, true, true));
    }
}

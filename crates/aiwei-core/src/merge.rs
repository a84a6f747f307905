//! Merging (并单) and linking matters: ten neighbours reporting one rubbish
//! heap are one piece of work for the department, but ten callers to be
//! told and revisited (R-3.3, R-4.2: no passing the buck).
//!
//! A matter merged into a lead keeps its own number and caller; its
//! handling follows the lead (every step the department takes on the lead
//! is recorded on it too, and its status follows), while what concerns its
//! own caller stays its own: the revisit, and what follows from it. A
//! supervisor can undo a merge; the matter then returns to the desk to be
//! dispatched on its own. Linking only records that matters are related.
//!
//! Who may do what, and which steps a merged matter takes, is decided here;
//! the store records.

use crate::access::{Actor, Denial};
use crate::error::ErrorCode;
use crate::flow::ActionKind;
use crate::kinds::{EventKind, MatterStatus, MatterType, Role};

/// Who merges and links: the desk, which sees the duplicates come in, and
/// supervisors. Handlers and department heads link (they meet related
/// matters on site) but do not merge: merging changes how others' matters
/// are handled.
pub const MERGERS: &[Role] = &[Role::Intake, Role::Supervisor];
pub const LINKERS: &[Role] = &[
    Role::Intake,
    Role::Handler,
    Role::DeptLead,
    Role::Supervisor,
];

/// What the rules need to know of a matter to merge or link it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeFacts {
    pub matter_type: MatterType,
    pub status: MatterStatus,
    /// Merged into another matter.
    pub merged: bool,
    /// Other matters are merged into it.
    pub has_merged: bool,
}

fn forbidden() -> Denial {
    Denial::Forbidden(ErrorCode::Forbidden)
}

fn conflict(code: ErrorCode) -> Denial {
    Denial::Conflict(code)
}

/// Whether `actor` merges at all: checked before anything about the
/// matters, so a refusal by role says nothing about them.
pub fn merges(actor: &Actor<'_>) -> Result<(), Denial> {
    if actor.any(MERGERS) {
        Ok(())
    } else {
        Err(forbidden())
    }
}

/// Whether matters of type `t` can be merged at all: complaints and other
/// matters (consultations are answered, suggestions evaluated one by one).
pub fn merges_type(t: MatterType) -> bool {
    matches!(t, MatterType::Complaint | MatterType::Other)
}

/// Whether `actor` may merge `m` into `lead` (two different matters, both
/// seen by the actor: the caller checks those). Complaints and other
/// matters only (consultations are answered, suggestions evaluated one by
/// one), of the same type, both open; no chains: `m` is not merged and has
/// none merged into it, `lead` is not merged.
pub fn may_merge(actor: &Actor<'_>, m: &MergeFacts, lead: &MergeFacts) -> Result<(), Denial> {
    merges(actor)?;
    if !merges_type(m.matter_type) || m.matter_type != lead.matter_type {
        return Err(conflict(ErrorCode::NotMergeable));
    }
    if m.status == MatterStatus::Closed || lead.status == MatterStatus::Closed {
        return Err(conflict(ErrorCode::NotMergeable));
    }
    if m.merged {
        return Err(conflict(ErrorCode::AlreadyMerged));
    }
    if m.has_merged || lead.merged {
        return Err(conflict(ErrorCode::MergeChain));
    }
    Ok(())
}

/// Whether the matter page offers `actor` to merge `m` into another: the
/// rule of [`may_merge`] with an open lead of the same type.
pub fn offers_merge(actor: &Actor<'_>, m: &MergeFacts) -> bool {
    let lead = MergeFacts {
        status: MatterStatus::Received,
        merged: false,
        has_merged: false,
        ..m.clone()
    };
    may_merge(actor, m, &lead).is_ok()
}

/// Whether `actor` may undo the merge of `m`: a supervisor; `m` merged and
/// not yet closed (a closed matter's caller has been answered).
pub fn may_unmerge(actor: &Actor<'_>, m: &MergeFacts) -> Result<(), Denial> {
    if !actor.has(Role::Supervisor) {
        return Err(forbidden());
    }
    if !m.merged {
        return Err(conflict(ErrorCode::NotMerged));
    }
    if m.status == MatterStatus::Closed {
        return Err(conflict(ErrorCode::InvalidTransition));
    }
    Ok(())
}

/// Whether `actor` may link two matters, or (`undo`) remove a link: a
/// supervisor.
pub fn may_link(actor: &Actor<'_>, undo: bool) -> Result<(), Denial> {
    let ok = if undo {
        actor.has(Role::Supervisor)
    } else {
        actor.any(LINKERS)
    };
    if ok { Ok(()) } else { Err(forbidden()) }
}

/// The steps a merged matter still takes itself: those with its own
/// caller. Everything else is done on the lead.
pub fn own_step_while_merged(kind: ActionKind) -> bool {
    matches!(kind, ActionKind::Revisit | ActionKind::InformCaller)
}

/// Whether a step taken on the lead is recorded on the matters merged into
/// it: the department's handling and the feedback (their callers are told
/// the same result), not what concerns the lead's own caller or does not
/// move the matter.
pub fn follows_lead(event: EventKind) -> bool {
    !matches!(
        event,
        EventKind::Revisited
            | EventKind::RedoOrdered
            | EventKind::CallerInformed
            | EventKind::Urged
            | EventKind::ReturnAsked
            | EventKind::ProposerTold
    )
}

/// The statuses in which a merged matter is in someone's queue: waiting
/// for its own caller's revisit. In every other status its work is the
/// lead's.
pub const QUEUED_WHILE_MERGED: &[MatterStatus] = &[MatterStatus::FedBack];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    fn actor(roles: &[Role]) -> Actor<'_> {
        Actor {
            id: UserId::new(),
            roles,
            departments: &[],
        }
    }

    fn open(t: MatterType) -> MergeFacts {
        MergeFacts {
            matter_type: t,
            status: MatterStatus::Received,
            merged: false,
            has_merged: false,
        }
    }

    #[test]
    fn the_desk_and_supervisors_merge_open_matters_of_one_type_without_chains() {
        let c = open(MatterType::Complaint);
        let lead = MergeFacts {
            status: MatterStatus::Signed,
            ..c.clone()
        };
        for r in [Role::Intake, Role::Supervisor] {
            assert!(may_merge(&actor(&[r]), &c, &lead).is_ok());
        }
        for r in [Role::Handler, Role::DeptLead, Role::Auditor, Role::Admin] {
            assert!(matches!(
                may_merge(&actor(&[r]), &c, &lead),
                Err(Denial::Forbidden(_))
            ));
        }
        let desk = actor(&[Role::Intake]);
        let cases = [
            (
                open(MatterType::Consultation),
                open(MatterType::Consultation),
                ErrorCode::NotMergeable,
            ),
            (c.clone(), open(MatterType::Other), ErrorCode::NotMergeable),
            (
                c.clone(),
                MergeFacts {
                    status: MatterStatus::Closed,
                    ..lead.clone()
                },
                ErrorCode::NotMergeable,
            ),
            (
                MergeFacts {
                    merged: true,
                    ..c.clone()
                },
                lead.clone(),
                ErrorCode::AlreadyMerged,
            ),
            (
                MergeFacts {
                    has_merged: true,
                    ..c.clone()
                },
                lead.clone(),
                ErrorCode::MergeChain,
            ),
            (
                c.clone(),
                MergeFacts {
                    merged: true,
                    ..lead.clone()
                },
                ErrorCode::MergeChain,
            ),
        ];
        for (m, l, code) in cases {
            assert_eq!(
                may_merge(&desk, &m, &l),
                Err(Denial::Conflict(code)),
                "{m:?} into {l:?}"
            );
        }
    }

    #[test]
    fn only_supervisors_undo() {
        let merged = MergeFacts {
            merged: true,
            ..open(MatterType::Complaint)
        };
        let sup = actor(&[Role::Supervisor]);
        assert!(may_unmerge(&sup, &merged).is_ok());
        assert!(may_unmerge(&actor(&[Role::Intake]), &merged).is_err());
        assert_eq!(
            may_unmerge(&sup, &open(MatterType::Complaint)),
            Err(Denial::Conflict(ErrorCode::NotMerged))
        );
        let closed = MergeFacts {
            status: MatterStatus::Closed,
            ..merged
        };
        assert!(may_unmerge(&sup, &closed).is_err());
        assert!(may_link(&actor(&[Role::Handler]), false).is_ok());
        assert!(may_link(&actor(&[Role::Handler]), true).is_err());
        assert!(may_link(&sup, true).is_ok());
        assert!(may_link(&actor(&[Role::Auditor]), false).is_err());
    }

    #[test]
    fn merged_matters_follow_the_handling_and_keep_their_callers() {
        assert!(own_step_while_merged(ActionKind::Revisit));
        assert!(!own_step_while_merged(ActionKind::SignFor));
        assert!(!own_step_while_merged(ActionKind::Feedback));
        for e in [
            EventKind::Dispatched,
            EventKind::SignedFor,
            EventKind::Returned,
            EventKind::ArrivedOnSite,
            EventKind::Completed,
            EventKind::FeedbackGiven,
        ] {
            assert!(follows_lead(e), "{e:?}");
        }
        for e in [
            EventKind::Revisited,
            EventKind::RedoOrdered,
            EventKind::Urged,
        ] {
            assert!(!follows_lead(e), "{e:?}");
        }
    }
}

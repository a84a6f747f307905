//! What a viewer is shown of a matter: the JSON of the API and the data of
//! the pages, with caller data masked wherever the rules of access
//! (`aiwei_core::access`) do not show it in clear.

use aiwei_core::access::{self, Actor, Clear};
use aiwei_core::deadline::{DeadlineKind, RunningClock, Urgency};
use aiwei_core::time::{local_due, local_minute, local_second};
use aiwei_core::{CallerKind, Channel, ClockState, EventKind, MatterStatus, MatterType, mask};
use aiwei_store::matters::{Event, Matter};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::AttachmentView;
use crate::messages::field_label;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ref {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserRef {
    pub id: uuid::Uuid,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallerView {
    pub kind: CallerKind,
    pub name: Option<String>,
    pub organization: Option<String>,
    pub phone: String,
    /// True when a field the caller gave is masked for this viewer.
    pub masked: bool,
    /// The caller's personal data was erased on request.
    pub anonymised: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LocationView {
    pub address: Option<String>,
    pub area_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<UserRef>,
    pub kind: EventKind,
    /// What changed; free text and personal data appear only as digests.
    pub payload: serde_json::Value,
    /// This event's link in the matter's hash chain.
    pub hash: String,
    /// The free texts recorded with the step.
    pub texts: Vec<TextView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TextView {
    pub field: String,
    pub text: String,
}

impl TextView {
    pub fn label(&self) -> &str {
        field_label(&self.field)
    }
}

/// A matter as the API returns it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatterView {
    pub id: uuid::Uuid,
    pub number: String,
    pub status: MatterStatus,
    pub channel: Channel,
    pub received_at: DateTime<Utc>,
    pub ring_seconds: Option<i32>,
    pub arrived_at: Option<DateTime<Utc>>,
    pub intake_user: UserRef,
    pub department: Option<Ref>,
    /// Lead department of a dispatched matter.
    pub lead_department: Option<Ref>,
    /// Co-handling or coordinating departments.
    pub co_departments: Vec<Ref>,
    /// Times the matter was returned by a department (退回).
    pub return_count: i32,
    /// Times it was redone after an unsatisfied revisit (重办).
    pub redo_count: i32,
    /// An approved extension moved the agreed reply time: intake must tell
    /// the caller (then record `inform_caller`).
    pub caller_to_be_told: bool,
    pub caller: CallerView,
    #[serde(rename = "type")]
    pub matter_type: MatterType,
    pub category: Option<Ref>,
    pub content: String,
    pub location: LocationView,
    pub sensitive: bool,
    /// Urgent: the policy's shorter limits apply.
    pub urgent: bool,
    pub answer: Option<String>,
    /// The knowledge-base article and version the answer was taken from
    /// with that version's title; later versions do not change it.
    pub answered_from: Option<AnsweredFromView>,
    /// The number of the lead matter it is merged into (并单): handled
    /// through the lead, its own caller revisited.
    pub merged_into: Option<String>,
    /// The numbers of the matters merged into it; present on single reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged: Option<Vec<String>>,
    /// The numbers of the matters linked to it; present on single reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked: Option<Vec<String>>,
    pub agreed_reply_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The timeline, oldest first; present on single-matter reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventView>>,
    /// Evidence files; present on single-matter reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<AttachmentView>>,
    /// The caller's satisfaction at the latest revisit.
    pub satisfaction: Option<aiwei_core::Satisfaction>,
    /// When its running deadline falls due: the most urgent open clock's
    /// due instant; null when no clock runs.
    pub due_at: Option<DateTime<Utc>>,
    /// Which clock that is.
    pub due_kind: Option<DeadlineKind>,
    /// `overdue`, `due_soon`, or `normal` (also when no clock runs), at the
    /// time of the answer.
    pub urgency: Urgency,
    /// The latest return (退回) of a matter back at the intake desk; present
    /// on work queue items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_return: Option<ReturnNote>,
    /// The instant the view was made: what `urgency` was judged at.
    #[serde(skip)]
    pub as_of: DateTime<Utc>,
    /// The clocks (时限), running and ended; present on single-matter reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadlines: Option<Vec<DeadlineView>>,
}

/// Which article version answered a matter.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnsweredFromView {
    pub article: uuid::Uuid,
    pub version: i32,
    pub title: String,
}

/// Why and by whom a matter was returned.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReturnNote {
    pub at: DateTime<Utc>,
    /// Who returned it.
    pub by: String,
    pub reason: String,
}

impl ReturnNote {
    pub fn at_local(&self) -> String {
        local_minute(self.at)
    }
}

/// One deadline clock of a matter.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeadlineView {
    pub kind: DeadlineKind,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// Running, due soon or overdue while open; met or late once ended.
    pub state: ClockState,
    pub ended_at: Option<DateTime<Utc>>,
    /// The policy version the limit came from.
    pub policy_version: i32,
}

impl DeadlineView {
    pub fn kind_zh(&self) -> &str {
        self.kind.label()
    }
    pub fn state_zh(&self) -> &str {
        self.state.label()
    }
    pub fn due_local(&self) -> String {
        local_due(self.due_at)
    }
    pub fn is_open(&self) -> bool {
        self.ended_at.is_none()
    }
    pub fn started_local(&self) -> String {
        local_minute(self.started_at)
    }
    /// When an ended clock ended: `结束于 …`.
    pub fn ended_local(&self) -> Option<String> {
        self.ended_at.map(|t| format!("结束于 {}", local_minute(t)))
    }
}

impl MatterView {
    /// A row of a list (ledger, queue, caller history) as `viewer` sees it:
    /// callers in clear only where the rules of access show them without a
    /// disclosure.
    pub fn listed(m: Matter, viewer: &Actor<'_>, now: DateTime<Utc>) -> Self {
        let clear = access::caller_clear(viewer, &m.facts(), &[]);
        Self::shown(m, clear, None, now)
    }

    /// The matter with the caller fields `clear` in clear and the others
    /// masked; its urgency as of `now`.
    pub fn shown(m: Matter, clear: Clear, events: Option<Vec<Event>>, now: DateTime<Utc>) -> Self {
        let clock = RunningClock::most_urgent(m.open_clocks.iter().copied(), now);
        let c = m.caller;
        let masked =
            !c.anonymised && !clear.covers(c.name.is_some(), c.organization.is_some(), true);
        let caller = CallerView {
            kind: c.kind,
            name: if clear.name {
                c.name
            } else {
                c.name.as_deref().map(mask::name)
            },
            organization: if clear.organization {
                c.organization
            } else {
                c.organization.as_deref().map(mask::organization)
            },
            phone: if clear.phone {
                c.phone
            } else {
                mask::phone(&c.phone)
            },
            masked,
            anonymised: c.anonymised,
        };
        Self {
            id: m.id.0,
            number: m.number,
            status: m.status,
            channel: m.channel,
            received_at: m.received_at,
            ring_seconds: m.ring_seconds,
            arrived_at: m.arrived_at,
            intake_user: UserRef {
                id: m.intake_user.0,
                name: m.intake_user_name,
            },
            department: m.department.map(|code| Ref {
                name: m.department_name.unwrap_or_else(|| code.clone()),
                code,
            }),
            lead_department: m.lead_department.map(|code| Ref {
                name: m.lead_department_name.unwrap_or_else(|| code.clone()),
                code,
            }),
            co_departments: m
                .co_departments
                .into_iter()
                .zip(m.co_department_names)
                .map(|(code, name)| Ref { code, name })
                .collect(),
            return_count: m.return_count,
            redo_count: m.redo_count,
            caller_to_be_told: m.caller_to_be_told,
            caller,
            matter_type: m.matter_type,
            category: m.category.map(|code| Ref {
                name: m.category_name.unwrap_or_else(|| code.clone()),
                code,
            }),
            content: m.content,
            location: LocationView {
                address: m.location.address,
                area_code: m.location.area_code,
                latitude: m.location.latitude,
                longitude: m.location.longitude,
            },
            sensitive: m.sensitive,
            urgent: m.urgent,
            answer: m.answer,
            answered_from: m.answered_from.map(|a| AnsweredFromView {
                article: a.article.0,
                version: a.version,
                title: a.title,
            }),
            merged_into: m.merged_into,
            merged: None,
            linked: None,
            agreed_reply_at: m.agreed_reply_at,
            closed_at: m.closed_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            satisfaction: m.satisfaction,
            due_at: clock.map(|c| c.due_at),
            due_kind: clock.map(|c| c.kind),
            urgency: clock.map_or(Urgency::Normal, |c| c.urgency(now)),
            as_of: now,
            last_return: None,
            deadlines: None,
            attachments: None,
            events: events.map(|es| {
                es.into_iter()
                    .map(|e| EventView {
                        seq: e.seq,
                        at: e.at,
                        actor: e.actor.map(|a| UserRef {
                            id: a.0,
                            name: e.actor_name.unwrap_or_default(),
                        }),
                        kind: e.kind,
                        payload: e.payload,
                        hash: e.hash,
                        texts: e
                            .texts
                            .into_iter()
                            .map(|(field, text)| TextView { field, text })
                            .collect(),
                    })
                    .collect()
            }),
        }
    }

    /// Adds the matters merged into it and linked to it.
    pub fn with_related(mut self, merged: Vec<String>, linked: Vec<String>) -> Self {
        self.merged = Some(merged);
        self.linked = Some(linked);
        self
    }

    /// Adds the matter's evidence files.
    pub fn with_attachments(mut self, a: Vec<aiwei_store::attachments::Attachment>) -> Self {
        self.attachments = Some(a.into_iter().map(Into::into).collect());
        self
    }

    /// Adds the matter's clocks.
    pub fn with_deadlines(mut self, ds: Vec<aiwei_store::deadlines::Deadline>) -> Self {
        self.deadlines = Some(
            ds.into_iter()
                .map(|d| DeadlineView {
                    kind: d.kind,
                    started_at: d.started_at,
                    due_at: d.due_at,
                    state: d.state,
                    ended_at: d.ended_at,
                    policy_version: d.policy_version,
                })
                .collect(),
        );
        self
    }

    // Helpers for templates.

    pub fn caller_label(&self) -> String {
        match (&self.caller.organization, &self.caller.name) {
            (Some(o), Some(n)) => format!("{o}（{n}）"),
            (Some(o), None) => o.clone(),
            (None, Some(n)) => n.clone(),
            (None, None) => String::new(),
        }
    }

    pub fn received_local(&self) -> String {
        local_minute(self.received_at)
    }

    pub fn received_local_seconds(&self) -> String {
        local_second(self.received_at)
    }

    pub fn type_zh(&self) -> &'static str {
        self.matter_type.label()
    }

    pub fn channel_zh(&self) -> &'static str {
        self.channel.label()
    }

    pub fn status_zh(&self) -> &'static str {
        self.status.label()
    }

    pub fn caller_kind_zh(&self) -> &'static str {
        self.caller.kind.label()
    }

    pub fn lead_name(&self) -> &str {
        self.lead_department
            .as_ref()
            .map(|d| d.name.as_str())
            .unwrap_or("")
    }

    /// The clocks that matter now: the open ones, and for each kind without
    /// an open clock its latest one unless that was cancelled. The rest were
    /// superseded (历史时限): see [`MatterView::past_deadlines`].
    pub fn current_deadlines(&self) -> Vec<&DeadlineView> {
        self.split_deadlines().0
    }

    pub fn past_deadlines(&self) -> Vec<&DeadlineView> {
        self.split_deadlines().1
    }

    fn split_deadlines(&self) -> (Vec<&DeadlineView>, Vec<&DeadlineView>) {
        let all: Vec<&DeadlineView> = self.deadlines.iter().flatten().collect();
        let current = |d: &DeadlineView| {
            if d.is_open() {
                return true;
            }
            let open_of_kind = all.iter().any(|o| o.kind == d.kind && o.is_open());
            let latest_of_kind = all
                .iter()
                .filter(|o| o.kind == d.kind)
                .max_by_key(|o| o.started_at)
                .is_some_and(|o| std::ptr::eq(*o, d));
            !open_of_kind && latest_of_kind && d.state != ClockState::Cancelled
        };
        all.iter().partition(|d| current(d))
    }

    pub fn is_overdue(&self) -> bool {
        self.urgency == Urgency::Overdue
    }

    /// The co-handling departments by name.
    pub fn co_names(&self) -> Vec<&str> {
        self.co_departments
            .iter()
            .map(|d| d.name.as_str())
            .collect()
    }

    /// The running deadline in words: `签收时限 12-07 24:00（剩余 3小时）`.
    pub fn due_text(&self) -> Option<String> {
        let (when, left) = (self.due_when()?, self.due_left()?);
        Some(format!("{} {when}（{left}）", self.due_kind?.label()))
    }

    /// The running deadline's name.
    pub fn due_name(&self) -> &'static str {
        self.due_kind.map_or("", DeadlineKind::label)
    }

    /// When it falls due, in local time.
    pub fn due_when(&self) -> Option<String> {
        self.due_at.map(local_due)
    }

    /// Time left or late: `剩余 3小时0分钟`, `超时 2天4小时`.
    pub fn due_left(&self) -> Option<String> {
        self.due_at
            .map(|at| aiwei_core::deadline::left_text((self.as_of - at).num_minutes()))
    }

    pub fn department_name(&self) -> &str {
        self.department
            .as_ref()
            .map(|d| d.name.as_str())
            .unwrap_or("")
    }

    pub fn category_name(&self) -> &str {
        self.category
            .as_ref()
            .map(|d| d.name.as_str())
            .unwrap_or("")
    }

    pub fn summary(&self) -> String {
        let s: String = self.content.chars().take(40).collect();
        if self.content.chars().count() > 40 {
            format!("{s}…")
        } else {
            s
        }
    }

    pub fn wait_minutes(&self) -> Option<i64> {
        self.arrived_at
            .map(|a| (self.received_at - a).num_minutes())
    }

    pub fn opt_local(t: &Option<DateTime<Utc>>) -> String {
        t.map(local_minute).unwrap_or_default()
    }
}

impl EventView {
    pub fn at_local(&self) -> String {
        local_second(self.at)
    }

    pub fn kind_zh(&self) -> &'static str {
        self.kind.label()
    }

    pub fn actor_name(&self) -> &str {
        self.actor
            .as_ref()
            .map(|a| a.name.as_str())
            .unwrap_or("系统")
    }

    pub fn short_hash(&self) -> &str {
        self.hash.get(..12).unwrap_or(&self.hash)
    }
}

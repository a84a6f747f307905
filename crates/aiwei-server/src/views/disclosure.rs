//! A disclosure of caller data as the API and the pages show it.

use aiwei_core::time::{local_minute, to_millis};
use aiwei_core::{DisclosedField, DisclosureStatus, UserId};
use aiwei_store::disclosures::Disclosure;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A disclosure as the API and the pages show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DisclosureView {
    pub id: uuid::Uuid,
    pub matter: String,
    /// Who receives the data and signs the agreement.
    pub recipient: String,
    /// Who filed the request: the recipient, or a supervisor for them.
    pub filed_by: String,
    /// Filed by a supervisor for the recipient.
    pub on_behalf: bool,
    pub purpose: String,
    pub fields: Vec<DisclosedField>,
    /// As it stands now: a grant whose time is up shows `expired` whether
    /// or not the sweeper has put the end on the record.
    pub status: DisclosureStatus,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<String>,
    pub signed_at: Option<DateTime<Utc>>,
    /// When access ends (set at approval).
    pub expires_at: Option<DateTime<Utc>>,
    /// Access is open now.
    pub open: bool,
    /// The agreement to sign: present to the recipient while approved.
    pub agreement: Option<String>,
    /// Download of the uploaded scan of the signed paper agreement.
    pub scan_url: Option<String>,
}

impl DisclosureView {
    /// `d` as `viewer` sees it at `now`; `agreement` is the text the
    /// recipient signs.
    pub fn new(d: Disclosure, viewer: UserId, now: DateTime<Utc>, agreement: &str) -> Self {
        let facts = d.facts();
        let status = facts.status_at(to_millis(now));
        let agreement = (status == DisclosureStatus::Approved && d.recipient == viewer)
            .then(|| agreement.to_owned());
        Self {
            id: d.id,
            matter: d.number,
            recipient: d.recipient_name,
            filed_by: d.filed_by_name,
            on_behalf: d.filed_by != d.recipient,
            purpose: d.purpose,
            fields: d.fields,
            status,
            requested_at: d.requested_at,
            decided_by: d.decided_by_name,
            decided_at: d.decided_at,
            decision_reason: d.decision_reason,
            signed_at: d.signed_at,
            expires_at: d.expires_at,
            open: facts.open_at(to_millis(now)),
            agreement,
            scan_url: d.scan.map(|id| format!("/api/v1/attachments/{id}")),
        }
    }

    pub fn status_zh(&self) -> &'static str {
        self.status.label()
    }

    pub fn fields_zh(&self) -> String {
        self.fields
            .iter()
            .map(|f| f.label())
            .collect::<Vec<_>>()
            .join("、")
    }

    pub fn requested_local(&self) -> String {
        local_minute(self.requested_at)
    }

    pub fn expires_local(&self) -> String {
        self.expires_at.map(local_minute).unwrap_or_default()
    }

    pub fn is_pending(&self) -> bool {
        self.status == DisclosureStatus::Requested
    }
}

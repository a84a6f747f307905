//! Setting up notifications that leave the building, shared by the API and
//! the administrator's pages: destinations (group robots, webhooks), the
//! rules saying whose notifications go where, the message templates with
//! their preview, and the outbox list with its retry.

use aiwei_core::notify::{ChannelKind, DeliveryState, SecretUse, Template};
use aiwei_core::{DepartmentCode, ErrorCode, FieldError, FieldErrors, NotificationKind, UserId};
use aiwei_store::outbox::{
    DestinationSecret, NewDestination, NewRule, OutboxEntry, Rule, RuleTarget, Subscriber,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Staff;
use crate::error::ApiError;
use crate::services::outbound::{self, check_destination_url, check_email};
use crate::state::AppState;

/// The longest signing secret.
pub const MAX_SECRET: usize = 200;

/// A new group robot or webhook.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DestinationRequest {
    /// A name for the pages, e.g. `环境卫生科工作群`.
    pub name: String,
    /// `wecom`, `dingtalk` or `webhook` (e-mail goes to mailboxes).
    pub channel: ChannelKind,
    /// The robot's or system's address; it must be on the operator's
    /// allow-list (`outbound_allow`).
    pub url: String,
    /// The signing secret: required for `webhook`, DingTalk's 加签 secret
    /// (optional) for `dingtalk`, none for `wecom`.
    #[serde(default)]
    pub secret: Option<String>,
}

/// A destination as listed: its address with the query (robot keys)
/// masked; the secret never leaves.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DestinationView {
    pub id: Uuid,
    pub name: String,
    pub channel: ChannelKind,
    pub channel_label: &'static str,
    pub shown: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<aiwei_store::outbox::Destination> for DestinationView {
    fn from(d: aiwei_store::outbox::Destination) -> Self {
        Self {
            id: d.id,
            name: d.name,
            channel: d.channel,
            channel_label: d.channel.label(),
            shown: d.shown,
            active: d.active,
            created_at: d.created_at,
        }
    }
}

/// Turn a destination off or on again.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActiveRequest {
    pub active: bool,
}

/// A new rule: whose notifications (one staff member or one department),
/// of which kinds, to which mailbox or destination (exactly one of each
/// pair).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleRequest {
    #[serde(default)]
    pub user: Option<Uuid>,
    #[serde(default)]
    pub department: Option<String>,
    pub kinds: Vec<NotificationKind>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub destination: Option<Uuid>,
}

/// A rule as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleView {
    pub id: Uuid,
    pub user: Option<Uuid>,
    pub department: Option<String>,
    /// The staff member's or department's name.
    pub subscriber_name: String,
    pub kinds: Vec<NotificationKind>,
    pub channel: ChannelKind,
    pub email: Option<String>,
    pub destination: Option<Uuid>,
    /// The mailbox, or the destination's name.
    pub target_name: String,
}

impl From<Rule> for RuleView {
    fn from(r: Rule) -> Self {
        let (user, department) = match r.subscriber {
            Subscriber::User(u) => (Some(u.0), None),
            Subscriber::Department(d) => (None, Some(d)),
        };
        let (email, destination) = match r.target {
            RuleTarget::Email(e) => (Some(e), None),
            RuleTarget::Destination(d) => (None, Some(d)),
        };
        Self {
            id: r.id,
            user,
            department,
            subscriber_name: r.subscriber_name,
            kinds: r.kinds,
            channel: r.channel,
            email,
            destination,
            target_name: r.target_name,
        }
    }
}

impl RuleView {
    /// The kinds' labels, for the pages.
    pub fn kinds_text(&self) -> String {
        self.kinds
            .iter()
            .map(|k| k.label())
            .collect::<Vec<_>>()
            .join("；")
    }

    pub fn channel_label(&self) -> &'static str {
        self.channel.label()
    }
}

/// A template's text.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateRequest {
    pub subject: String,
    pub body: String,
}

/// A template to try out on a made-up matter.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    pub kind: NotificationKind,
    pub subject: String,
    pub body: String,
}

/// A message as a recipient would see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviewView {
    pub subject: String,
    pub body: String,
}

/// A notification kind's template, with its preview.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateView {
    pub kind: NotificationKind,
    pub label: &'static str,
    pub subject: String,
    pub body: String,
    /// An administrator's own text, not the built-in one.
    pub custom: bool,
    pub preview: PreviewView,
}

/// One outgoing message as the administrator's list shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxView {
    pub id: Uuid,
    pub kind: NotificationKind,
    pub kind_label: &'static str,
    pub number: Option<String>,
    pub channel: ChannelKind,
    pub target: String,
    pub state: DeliveryState,
    pub state_label: &'static str,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<OutboxEntry> for OutboxView {
    fn from(e: OutboxEntry) -> Self {
        Self {
            id: e.id,
            kind: e.kind,
            kind_label: e.kind.label(),
            number: e.number,
            channel: e.channel,
            target: e.target,
            state: e.state,
            state_label: e.state.label(),
            attempts: e.attempts,
            next_attempt_at: e.next_attempt_at,
            last_error: e.last_error,
            created_at: e.created_at,
            sent_at: e.sent_at,
        }
    }
}

/// How many messages stand in each state.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct OutboxCounts {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
}

/// A page of the outbox, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxPage {
    pub counts: OutboxCounts,
    pub items: Vec<OutboxView>,
    /// Pass as `before` for the next page; absent on the last.
    pub next: Option<Uuid>,
}

/// Which messages to list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// `pending`, `sent` or `failed`; empty: all.
    #[param(schema_with = DeliveryState::filter_schema)]
    pub state: Option<String>,
    /// The `next` of the previous page.
    #[param(schema_with = crate::services::query::schema::uuid)]
    pub before: Option<String>,
}

/// Messages per page of the outbox list.
pub const OUTBOX_PAGE: i64 = 50;

/// Adds a destination after checking it against the allow-list.
pub async fn add_destination(
    state: &AppState,
    staff: &Staff,
    req: &DestinationRequest,
) -> Result<DestinationView, ApiError> {
    let mut errs = FieldErrors::default();
    let name = req.name.trim();
    if name.is_empty() {
        errs.push("name", ErrorCode::Required);
    } else if name.chars().count() > aiwei_store::outbox::MAX_NAME {
        errs.push("name", ErrorCode::TooLong);
    }
    let use_secret = req.channel.secret();
    if req.channel == ChannelKind::Email {
        errs.push("channel", ErrorCode::InvalidValue);
    }
    let url = errs.take(check_destination_url(
        &state.outbound.config.allow,
        &req.url,
    ));
    let secret = req
        .secret
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    match (use_secret, secret) {
        (SecretUse::Required, None) => errs.push("secret", ErrorCode::Required),
        (SecretUse::None, Some(_)) => errs.push("secret", ErrorCode::InvalidValue),
        (_, Some(s)) if s.chars().count() > MAX_SECRET => errs.push("secret", ErrorCode::TooLong),
        _ => {}
    }
    let Some((url, shown)) = url.filter(|_| errs.is_empty()) else {
        return Err(ApiError::invalid(errs));
    };
    let new = NewDestination {
        name: name.to_owned(),
        channel: req.channel,
        shown,
        secret: DestinationSecret {
            url: url.to_string(),
            secret: secret.map(str::to_owned),
        },
    };
    let id = state
        .store
        .add_destination_audited(&new, &staff.audit_actor(), state.clock.now())
        .await?;
    destination(state, id).await
}

/// One destination as listed.
pub async fn destination(state: &AppState, id: Uuid) -> Result<DestinationView, ApiError> {
    state
        .store
        .destinations()
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .map(DestinationView::from)
        .ok_or_else(ApiError::not_found)
}

/// Every destination.
pub async fn destinations(state: &AppState) -> Result<Vec<DestinationView>, ApiError> {
    Ok(state
        .store
        .destinations()
        .await?
        .into_iter()
        .map(DestinationView::from)
        .collect())
}

/// The rule a request describes, checked field by field.
pub fn parse_rule(req: &RuleRequest) -> Result<NewRule, ApiError> {
    let mut errs = FieldErrors::default();
    let department = req
        .department
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    let subscriber = match (req.user, department) {
        (Some(u), None) => Some(Subscriber::User(UserId(u))),
        (None, Some(d)) => errs
            .take(
                DepartmentCode::parse(d)
                    .map_err(|_| FieldError::new("department", ErrorCode::UnknownDepartment)),
            )
            .map(|d| Subscriber::Department(d.as_str().to_owned())),
        (None, None) => {
            errs.push("user", ErrorCode::Required);
            None
        }
        (Some(_), Some(_)) => {
            errs.push("department", ErrorCode::InvalidValue);
            None
        }
    };
    let mut kinds = req.kinds.clone();
    kinds.sort();
    kinds.dedup();
    if kinds.is_empty() {
        errs.push("kinds", ErrorCode::Required);
    }
    let email = req
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    let target = match (email, req.destination) {
        (Some(e), None) => errs.take(check_email(e)).map(RuleTarget::Email),
        (None, Some(d)) => Some(RuleTarget::Destination(d)),
        (None, None) => {
            errs.push("email", ErrorCode::Required);
            None
        }
        (Some(_), Some(_)) => {
            errs.push("destination", ErrorCode::InvalidValue);
            None
        }
    };
    match (subscriber, target) {
        (Some(subscriber), Some(target)) if errs.is_empty() => Ok(NewRule {
            subscriber,
            kinds,
            target,
        }),
        _ => Err(ApiError::invalid(errs)),
    }
}

/// Adds a rule.
pub async fn add_rule(
    state: &AppState,
    staff: &Staff,
    req: &RuleRequest,
) -> Result<RuleView, ApiError> {
    let rule = parse_rule(req)?;
    let id = state
        .store
        .add_rule_audited(&rule, &staff.audit_actor(), state.clock.now())
        .await?;
    rules(state)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(ApiError::not_found)
}

/// Every rule in force.
pub async fn rules(state: &AppState) -> Result<Vec<RuleView>, ApiError> {
    Ok(state
        .store
        .rules()
        .await?
        .into_iter()
        .map(RuleView::from)
        .collect())
}

/// A template checked, or the fields that are wrong.
pub fn parse_template(subject: &str, body: &str) -> Result<Template, ApiError> {
    Template::parse(subject, body).map_err(|errs| {
        let mut all = FieldErrors::default();
        for e in errs {
            all.push(e.field, e.code);
        }
        ApiError::invalid(all)
    })
}

/// Every kind's template with its preview.
pub async fn templates(state: &AppState) -> Result<Vec<TemplateView>, ApiError> {
    Ok(state
        .store
        .templates()
        .await?
        .into_iter()
        .map(|t| {
            let (subject, body) = outbound::preview(&t.template, t.kind);
            TemplateView {
                kind: t.kind,
                label: t.kind.label(),
                subject: t.template.subject,
                body: t.template.body,
                custom: t.custom,
                preview: PreviewView { subject, body },
            }
        })
        .collect())
}

/// Saves `kind`'s text, or goes back to the built-in one with `None`.
pub async fn save_template(
    state: &AppState,
    staff: &Staff,
    kind: NotificationKind,
    req: Option<&TemplateRequest>,
) -> Result<TemplateView, ApiError> {
    let template = req
        .map(|r| parse_template(&r.subject, &r.body))
        .transpose()?;
    state
        .store
        .save_template_audited(
            kind,
            template.as_ref(),
            &staff.audit_actor(),
            state.clock.now(),
        )
        .await?;
    templates(state)
        .await?
        .into_iter()
        .find(|t| t.kind == kind)
        .ok_or_else(ApiError::not_found)
}

/// A page of the outbox.
pub async fn outbox(state: &AppState, q: &OutboxQuery) -> Result<OutboxPage, ApiError> {
    let mut errs = FieldErrors::default();
    let filter = crate::services::query::blank_to_none(&q.state)
        .and_then(|s| errs.take(DeliveryState::parse(s)));
    let before = crate::services::query::blank_to_none(&q.before)
        .and_then(|b| crate::services::query::uuid("before", b, &mut errs));
    if !errs.is_empty() {
        return Err(ApiError::invalid(errs));
    }
    let mut items = state
        .store
        .outbox_entries(filter, before, OUTBOX_PAGE + 1)
        .await?;
    let next = (items.len() as i64 > OUTBOX_PAGE).then(|| {
        items.truncate(OUTBOX_PAGE as usize);
        items.last().map(|i| i.id)
    });
    let mut counts = OutboxCounts::default();
    for (s, n) in state.store.outbox_counts().await? {
        match s {
            DeliveryState::Pending => counts.pending = n,
            DeliveryState::Sent => counts.sent = n,
            DeliveryState::Failed => counts.failed = n,
        }
    }
    Ok(OutboxPage {
        counts,
        items: items.into_iter().map(OutboxView::from).collect(),
        next: next.flatten(),
    })
}

//! Notifications that leave the building: the destinations an
//! administrator set up, the rules saying whose notifications go where, the
//! message templates, and the outbox.
//!
//! An outbox row is written by [`enqueue`] in the transaction that writes
//! the in-app notification, so a committed cause always has its messages
//! and a rolled-back one has none. The server's worker claims rows with a
//! lease ([`Store::claim_outbox`]), so of several app instances on one
//! database only one sends a given message.

use aiwei_core::deadline::DeadlineKind;
use aiwei_core::notify::{ChannelKind, DeliveryState, Template};
use aiwei_core::time::{from_millis, to_millis};
use aiwei_core::{AuditAction, ErrorCode, FieldError, MatterId, NotificationKind, UserId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::Store;
use crate::db::{Backend, Tx};
use crate::error::StoreError;
use crate::trail::{AuditActor, commit_audited};

/// A group robot or webhook, as listed (its address masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub id: Uuid,
    pub name: String,
    pub channel: ChannelKind,
    /// The address with its query (robot keys) masked.
    pub shown: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// A destination's sealed part: where to post and how to sign.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DestinationSecret {
    pub url: String,
    pub secret: Option<String>,
}

impl std::fmt::Debug for DestinationSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DestinationSecret(..)")
    }
}

/// A new destination, checked by the caller (allow-list, URL shape).
#[derive(Debug, Clone)]
pub struct NewDestination {
    pub name: String,
    pub channel: ChannelKind,
    pub shown: String,
    pub secret: DestinationSecret,
}

/// Whose notifications a rule sends out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subscriber {
    User(UserId),
    Department(String),
}

/// Where a rule sends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleTarget {
    Email(String),
    Destination(Uuid),
}

/// A rule as the administrator set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRule {
    pub subscriber: Subscriber,
    pub kinds: Vec<NotificationKind>,
    pub target: RuleTarget,
}

/// A rule as listed, with the names of what it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: Uuid,
    pub subscriber: Subscriber,
    /// The staff member's display name or the department's name.
    pub subscriber_name: String,
    pub kinds: Vec<NotificationKind>,
    pub target: RuleTarget,
    /// The e-mail address, or the destination's name and kind.
    pub target_name: String,
    pub channel: ChannelKind,
}

/// A message template as the pages show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTemplate {
    pub kind: NotificationKind,
    pub template: Template,
    /// An administrator's own text, not the built-in one.
    pub custom: bool,
}

/// One message claimed for delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub id: Uuid,
    pub kind: NotificationKind,
    pub matter: Option<MatterId>,
    pub clock: Option<(DeadlineKind, DateTime<Utc>)>,
    pub channel: ChannelKind,
    /// The staff member a personal rule is for.
    pub user: Option<UserId>,
    pub department: Option<String>,
    pub email: Option<String>,
    pub destination: Option<Uuid>,
    /// Attempts made before this one.
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
}

/// One message as the administrator's list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    pub id: Uuid,
    pub kind: NotificationKind,
    pub number: Option<String>,
    pub channel: ChannelKind,
    /// The mailbox, or the destination's name.
    pub target: String,
    pub state: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: Uuid,
    kind: String,
    matter_id: Option<Uuid>,
    deadline: Option<String>,
    due_at: Option<i64>,
    channel: String,
    user_id: Option<Uuid>,
    department_code: Option<String>,
    email: Option<String>,
    destination_id: Option<Uuid>,
    attempts: i32,
    created_at: i64,
}

impl ItemRow {
    fn into_item(self) -> Result<OutboxItem, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("outbox {what}"));
        let clock = match (self.deadline, self.due_at) {
            (Some(k), Some(d)) => Some((
                DeadlineKind::from_code(&k).ok_or_else(|| corrupt("deadline"))?,
                from_millis(d),
            )),
            _ => None,
        };
        Ok(OutboxItem {
            id: self.id,
            kind: NotificationKind::from_code(&self.kind).ok_or_else(|| corrupt("kind"))?,
            matter: self.matter_id.map(MatterId),
            clock,
            channel: ChannelKind::from_code(&self.channel).ok_or_else(|| corrupt("channel"))?,
            user: self.user_id.map(UserId),
            department: self.department_code,
            email: self.email,
            destination: self.destination_id,
            attempts: self.attempts,
            created_at: from_millis(self.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct DestinationRow {
    id: Uuid,
    name: String,
    channel: String,
    shown: String,
    active: bool,
    created_at: i64,
    key_id: String,
    sealed: Vec<u8>,
}

impl DestinationRow {
    fn destination(self) -> Result<Destination, StoreError> {
        Ok(Destination {
            id: self.id,
            name: self.name,
            channel: ChannelKind::from_code(&self.channel)
                .ok_or_else(|| StoreError::Corrupt("destination channel".into()))?,
            shown: self.shown,
            active: self.active,
            created_at: from_millis(self.created_at),
        })
    }
}

const ITEM_COLUMNS: &str = "id, kind, matter_id, deadline, due_at, channel, user_id, \
     department_code, email, destination_id, attempts, created_at";

/// The longest destination name and e-mail address.
pub const MAX_NAME: usize = 64;
pub const MAX_EMAIL: usize = 254;

/// A notification's cause, as [`enqueue`] needs it.
pub(crate) struct Notice {
    pub matter: MatterId,
    pub kind: NotificationKind,
    pub clock: Option<(DeadlineKind, DateTime<Utc>)>,
}

/// Writes, in `tx`, one outbox message per rule that matches a notification
/// of `notice.kind` to `users`: their own rules, and the rules of
/// `department` (or, when `None`, of the departments they belong to).
pub(crate) async fn enqueue(
    tx: &mut Tx,
    notice: &Notice,
    users: &[Uuid],
    department: Option<&str>,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    if users.is_empty() && department.is_none() {
        return Ok(0);
    }
    let pattern = format!("%,{},%", notice.kind.as_str());
    type RuleRow = (
        Uuid,
        Option<Uuid>,
        Option<String>,
        Option<String>,
        Option<Uuid>,
        Option<String>,
    );
    let rules: Vec<RuleRow> = on_tx!(&mut *tx, c => {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT r.id, r.user_id, r.department_code, r.email, r.destination_id, d.channel
             FROM notification_rules r
             LEFT JOIN outbound_destinations d ON d.id = r.destination_id
             WHERE r.kinds LIKE ");
        q.push_bind(pattern.clone());
        q.push(" AND (r.destination_id IS NULL OR d.active) AND (");
        if users.is_empty() {
            q.push("1 = 0");
        } else {
            q.push("r.user_id IN (");
            let mut s = q.separated(", ");
            for u in users {
                s.push_bind(*u);
            }
            q.push(")");
        }
        q.push(" OR r.department_code IN (");
        match department {
            Some(d) => {
                q.push_bind(d.to_owned());
            }
            None => {
                q.push("SELECT department_code FROM user_departments WHERE user_id IN (");
                let mut s = q.separated(", ");
                for u in users {
                    s.push_bind(*u);
                }
                q.push(")");
            }
        }
        q.push("))");
        q.build_query_as().fetch_all(c).await
    })?;
    let cause = Uuid::now_v7();
    let mut written = 0;
    for (rule, user, dept, email, destination, channel) in rules {
        let channel = match channel {
            Some(c) => ChannelKind::from_code(&c)
                .ok_or_else(|| StoreError::Corrupt("destination channel".into()))?,
            None => ChannelKind::Email,
        };
        let inserted = on_tx!(&mut *tx, c => sqlx::query(
            "INSERT INTO outbox (id, dedupe_key, kind, matter_id, deadline, due_at, rule_id,
                channel, user_id, department_code, email, destination_id, state, attempts,
                next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, $14, $14)
             ON CONFLICT (dedupe_key) DO NOTHING")
            .bind(Uuid::now_v7())
            .bind(format!("{}:{}", cause.simple(), rule.simple()))
            .bind(notice.kind.as_str())
            .bind(notice.matter.0)
            .bind(notice.clock.map(|(k, _)| k.as_str()))
            .bind(notice.clock.map(|(_, d)| to_millis(d)))
            .bind(rule)
            .bind(channel.as_str())
            .bind(user)
            .bind(dept)
            .bind(email)
            .bind(destination)
            .bind(DeliveryState::Pending.as_str())
            .bind(to_millis(now))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        written += inserted as usize;
    }
    Ok(written)
}

/// Whether any rule sends notifications of `kind` (whoever to).
pub(crate) async fn any_rule_for(tx: &mut Tx, kind: NotificationKind) -> Result<bool, StoreError> {
    let n: i64 = on_tx!(&mut *tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM notification_rules WHERE kinds LIKE $1")
        .bind(format!("%,{},%", kind.as_str()))
        .fetch_one(c)
        .await)?;
    Ok(n > 0)
}

fn kinds_text(kinds: &[NotificationKind]) -> String {
    let mut s = String::from(",");
    for k in NotificationKind::ALL.iter().filter(|k| kinds.contains(k)) {
        s.push_str(k.as_str());
        s.push(',');
    }
    s
}

fn kinds_of(text: &str) -> Vec<NotificationKind> {
    text.split(',')
        .filter_map(NotificationKind::from_code)
        .collect()
}

fn destination_context(id: Uuid) -> Vec<u8> {
    format!("outbound_destinations:{id}").into_bytes()
}

impl Store {
    /// Adds a destination, its address and secret sealed, recording
    /// `outbound.destination`.
    pub async fn add_destination_audited(
        &self,
        d: &NewDestination,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<Uuid, StoreError> {
        let name = aiwei_core::error::bounded_text("name", Some(&d.name), MAX_NAME, true)
            .map_err(StoreError::Invalid)?
            .unwrap_or_default();
        let id = Uuid::now_v7();
        let plain = serde_json::to_vec(&d.secret)
            .map_err(|_| StoreError::Corrupt("destination secret".into()))?;
        let (key_id, sealed) = self.keys().seal(&destination_context(id), &plain)?;
        let mut tx = self.db.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO outbound_destinations (id, name, channel, shown, key_id, sealed, active,
                created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8)")
            .bind(id)
            .bind(&name)
            .bind(d.channel.as_str())
            .bind(&d.shown)
            .bind(&key_id)
            .bind(&sealed)
            .bind(by.user.map(|u| u.0))
            .bind(to_millis(now))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))
        .map_err(|e| StoreError::on_unique(e, ErrorCode::NameTaken))?;
        let detail = serde_json::json!({ "name": name, "channel": d.channel, "added": true });
        commit_audited(
            tx,
            by,
            AuditAction::DestinationSave,
            &id.to_string(),
            detail,
            now,
        )
        .await?;
        Ok(id)
    }

    /// Every destination, active first, by name.
    pub async fn destinations(&self) -> Result<Vec<Destination>, StoreError> {
        let rows: Vec<DestinationRow> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, name, channel, shown, active, created_at, key_id, sealed
             FROM outbound_destinations ORDER BY active DESC, name")
            .fetch_all(p)
            .await)?;
        rows.into_iter().map(DestinationRow::destination).collect()
    }

    /// A destination with its address and secret opened, for delivery.
    pub async fn destination_secret(
        &self,
        id: Uuid,
    ) -> Result<(Destination, DestinationSecret), StoreError> {
        let row: Option<DestinationRow> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, name, channel, shown, active, created_at, key_id, sealed
             FROM outbound_destinations WHERE id = $1")
            .bind(id)
            .fetch_optional(p)
            .await)?;
        let row = row.ok_or(StoreError::NotFound)?;
        let plain = self
            .keys()
            .open(&row.key_id, &destination_context(id), &row.sealed)?;
        let secret = serde_json::from_slice(&plain)
            .map_err(|_| StoreError::Corrupt("destination secret".into()))?;
        Ok((row.destination()?, secret))
    }

    /// Turns a destination off (nothing more is queued for it; what is
    /// queued fails) or on again, recording `outbound.destination`.
    pub async fn set_destination_active_audited(
        &self,
        id: Uuid,
        active: bool,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        let n = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE outbound_destinations SET active = $1 WHERE id = $2")
            .bind(active)
            .bind(id)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        commit_audited(
            tx,
            by,
            AuditAction::DestinationSave,
            &id.to_string(),
            serde_json::json!({ "active": active }),
            now,
        )
        .await
    }

    /// Adds a rule, recording `outbound.rule`. The subscriber and the
    /// destination must exist (and the destination be active).
    pub async fn add_rule_audited(
        &self,
        r: &NewRule,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<Uuid, StoreError> {
        if r.kinds.is_empty() {
            return Err(StoreError::Invalid(FieldError::new(
                "kinds",
                ErrorCode::Required,
            )));
        }
        match &r.subscriber {
            Subscriber::User(u) => {
                let user = self.user(*u).await.map_err(|e| match e {
                    StoreError::NotFound => {
                        StoreError::Invalid(FieldError::new("user", ErrorCode::UnknownUser))
                    }
                    e => e,
                })?;
                if !user.active {
                    return Err(StoreError::Invalid(FieldError::new(
                        "user",
                        ErrorCode::UnknownUser,
                    )));
                }
            }
            Subscriber::Department(d) => {
                self.require_department("department", d).await?;
            }
        }
        if let RuleTarget::Destination(d) = &r.target {
            let known = self
                .destinations()
                .await?
                .into_iter()
                .any(|x| x.id == *d && x.active);
            if !known {
                return Err(StoreError::Invalid(FieldError::new(
                    "destination",
                    ErrorCode::UnknownDestination,
                )));
            }
        }
        let (user, department) = match &r.subscriber {
            Subscriber::User(u) => (Some(u.0), None),
            Subscriber::Department(d) => (None, Some(d.clone())),
        };
        let (email, destination) = match &r.target {
            RuleTarget::Email(e) => (Some(e.clone()), None),
            RuleTarget::Destination(d) => (None, Some(*d)),
        };
        let id = Uuid::now_v7();
        let mut tx = self.db.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO notification_rules (id, user_id, department_code, kinds, email,
                destination_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(id)
            .bind(user)
            .bind(&department)
            .bind(kinds_text(&r.kinds))
            .bind(&email)
            .bind(destination)
            .bind(by.user.map(|u| u.0))
            .bind(to_millis(now))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        let detail = serde_json::json!({
            "user": user,
            "department": department,
            "kinds": r.kinds,
            "destination": destination,
            "email": email.is_some(),
            "added": true,
        });
        commit_audited(tx, by, AuditAction::RuleSave, &id.to_string(), detail, now).await?;
        Ok(id)
    }

    /// Removes a rule (what it queued stays), recording `outbound.rule`.
    pub async fn delete_rule_audited(
        &self,
        id: Uuid,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        // Queued messages keep their own copy of the target.
        let n = on_tx!(&mut tx, c => sqlx::query(
            "DELETE FROM notification_rules WHERE id = $1
               AND NOT EXISTS (SELECT 1 FROM outbox WHERE rule_id = $1)")
            .bind(id)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        if n == 0 {
            // Referenced by sent messages: empty its kinds instead, so it
            // matches nothing and the messages keep their rule.
            let n = on_tx!(&mut tx, c => sqlx::query(
                "UPDATE notification_rules SET kinds = ',' WHERE id = $1 AND kinds <> ','")
                .bind(id)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
        }
        commit_audited(
            tx,
            by,
            AuditAction::RuleSave,
            &id.to_string(),
            serde_json::json!({ "removed": true }),
            now,
        )
        .await
    }

    /// Every rule in force, with the names of what it names.
    pub async fn rules(&self) -> Result<Vec<Rule>, StoreError> {
        type Row = (
            Uuid,
            Option<Uuid>,
            Option<String>,
            String,
            Option<String>,
            Option<Uuid>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT r.id, r.user_id, r.department_code, r.kinds, r.email, r.destination_id,
                    u.display_name, dep.name, d.name, d.channel
             FROM notification_rules r
             LEFT JOIN users u ON u.id = r.user_id
             LEFT JOIN departments dep ON dep.code = r.department_code
             LEFT JOIN outbound_destinations d ON d.id = r.destination_id
             WHERE r.kinds <> ','
             ORDER BY r.created_at")
            .fetch_all(p)
            .await)?;
        let corrupt = || StoreError::Corrupt("notification rule".into());
        rows.into_iter()
            .map(
                |(id, user, dept, kinds, email, dest, uname, dname, dest_name, dest_channel)| {
                    let (subscriber, subscriber_name) = match (user, dept) {
                        (Some(u), _) => (Subscriber::User(UserId(u)), uname.unwrap_or_default()),
                        (None, Some(d)) => {
                            let n = dname.unwrap_or_else(|| d.clone());
                            (Subscriber::Department(d), n)
                        }
                        (None, None) => return Err(corrupt()),
                    };
                    let (target, target_name, channel) = match (email, dest) {
                        (Some(e), _) => (RuleTarget::Email(e.clone()), e, ChannelKind::Email),
                        (None, Some(d)) => (
                            RuleTarget::Destination(d),
                            dest_name.unwrap_or_default(),
                            dest_channel
                                .as_deref()
                                .and_then(ChannelKind::from_code)
                                .ok_or_else(corrupt)?,
                        ),
                        (None, None) => return Err(corrupt()),
                    };
                    Ok(Rule {
                        id,
                        subscriber,
                        subscriber_name,
                        kinds: kinds_of(&kinds),
                        target,
                        target_name,
                        channel,
                    })
                },
            )
            .collect()
    }

    /// The text of every notification kind: the administrator's or the
    /// built-in one.
    pub async fn templates(&self) -> Result<Vec<StoredTemplate>, StoreError> {
        let rows: Vec<(String, String, String)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT kind, subject, body FROM message_templates")
            .fetch_all(p)
            .await)?;
        Ok(NotificationKind::ALL
            .iter()
            .map(
                |k| match rows.iter().find(|(code, ..)| code == k.as_str()) {
                    Some((_, subject, body)) => StoredTemplate {
                        kind: *k,
                        template: Template {
                            subject: subject.clone(),
                            body: body.clone(),
                        },
                        custom: true,
                    },
                    None => StoredTemplate {
                        kind: *k,
                        template: Template::default_for(*k),
                        custom: false,
                    },
                },
            )
            .collect())
    }

    /// The text of one kind.
    pub async fn template(&self, kind: NotificationKind) -> Result<Template, StoreError> {
        let row: Option<(String, String)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT subject, body FROM message_templates WHERE kind = $1")
            .bind(kind.as_str())
            .fetch_optional(p)
            .await)?;
        Ok(match row {
            Some((subject, body)) => Template { subject, body },
            None => Template::default_for(kind),
        })
    }

    /// Saves an administrator's text for `kind` (`None`: back to the
    /// built-in text), recording `outbound.template`.
    pub async fn save_template_audited(
        &self,
        kind: NotificationKind,
        template: Option<&Template>,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        on_tx!(&mut tx, c => sqlx::query("DELETE FROM message_templates WHERE kind = $1")
            .bind(kind.as_str())
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        if let Some(t) = template {
            on_tx!(&mut tx, c => sqlx::query(
                "INSERT INTO message_templates (kind, subject, body, updated_by, updated_at)
                 VALUES ($1, $2, $3, $4, $5)")
                .bind(kind.as_str())
                .bind(&t.subject)
                .bind(&t.body)
                .bind(by.user.map(|u| u.0))
                .bind(to_millis(now))
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        let detail = serde_json::json!({ "custom": template.is_some() });
        commit_audited(
            tx,
            by,
            AuditAction::TemplateSave,
            kind.as_str(),
            detail,
            now,
        )
        .await
    }

    /// Claims up to `limit` messages that are due, for `lease`: until then
    /// no other worker (of any instance) takes them. A message whose worker
    /// died is taken again once its lease has run out.
    pub async fn claim_outbox(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let now_ms = to_millis(now);
        // PostgreSQL: rows another instance is claiming are skipped rather
        // than waited for. SQLite has one writer at a time anyway.
        let lock = if self.db.backend() == Backend::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        // The literal state matches the partial index `outbox_waiting`.
        let pending = crate::deadlines::sql_codes(&[DeliveryState::Pending.as_str()]);
        let sql = format!(
            "UPDATE outbox SET lease_owner = $1, lease_until = $2
             WHERE id IN (SELECT id FROM outbox
                          WHERE state = {pending} AND next_attempt_at <= $3
                            AND (lease_until IS NULL OR lease_until < $3)
                          ORDER BY next_attempt_at LIMIT $4{lock})
               AND state = {pending} AND (lease_until IS NULL OR lease_until < $3)
             RETURNING {ITEM_COLUMNS}"
        );
        let mut tx = self.db.begin().await?;
        let rows: Vec<ItemRow> = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .bind(to_millis(now + lease))
            .bind(now_ms)
            .bind(limit)
            .fetch_all(c)
            .await)?;
        tx.commit().await?;
        let mut items = rows
            .into_iter()
            .map(ItemRow::into_item)
            .collect::<Result<Vec<_>, _>>()?;
        items.sort_by_key(|i| i.created_at);
        Ok(items)
    }

    /// Records that `owner` delivered a claimed message; `false` when the
    /// claim had lapsed and another worker holds it.
    pub async fn outbox_sent(
        &self,
        id: Uuid,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = write_once!(&self.db, p => sqlx::query(
            "UPDATE outbox SET state = $1, sent_at = $2, attempts = attempts + 1,
                lease_owner = NULL, lease_until = NULL, last_error = NULL
             WHERE id = $3 AND lease_owner = $4 AND state = $5")
            .bind(DeliveryState::Sent.as_str())
            .bind(to_millis(now))
            .bind(id)
            .bind(owner)
            .bind(DeliveryState::Pending.as_str())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Records a failed attempt: tried again at `retry_at`, or given up
    /// when `None`. `error` is for the administrator (no personal data).
    pub async fn outbox_failed(
        &self,
        id: Uuid,
        owner: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let state = if retry_at.is_some() {
            DeliveryState::Pending
        } else {
            DeliveryState::Failed
        };
        let error: String = error.chars().take(500).collect();
        let n = write_once!(&self.db, p => sqlx::query(
            "UPDATE outbox SET state = $1, attempts = attempts + 1, next_attempt_at = $2,
                lease_owner = NULL, lease_until = NULL, last_error = $3
             WHERE id = $4 AND lease_owner = $5 AND state = $6")
            .bind(state.as_str())
            .bind(to_millis(retry_at.unwrap_or(now)))
            .bind(&error)
            .bind(id)
            .bind(owner)
            .bind(DeliveryState::Pending.as_str())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Puts a failed (or waiting) message back at the front of the queue,
    /// recording `outbox.retry`.
    pub async fn retry_outbox_audited(
        &self,
        id: Uuid,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        let state: Option<String> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT state FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(c)
            .await)?;
        match state.as_deref().and_then(DeliveryState::from_code) {
            None => return Err(StoreError::NotFound),
            Some(DeliveryState::Sent) => {
                return Err(StoreError::Conflict(ErrorCode::AlreadySent));
            }
            Some(_) => {}
        }
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE outbox SET state = $1, attempts = 0, next_attempt_at = $2,
                lease_owner = NULL, lease_until = NULL
             WHERE id = $3 AND state <> $4")
            .bind(DeliveryState::Pending.as_str())
            .bind(to_millis(now))
            .bind(id)
            .bind(DeliveryState::Sent.as_str())
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        commit_audited(
            tx,
            by,
            AuditAction::OutboxRetry,
            &id.to_string(),
            serde_json::json!({}),
            now,
        )
        .await
    }

    /// The newest messages, optionally of one state, before `before` (a
    /// message id, for paging), at most `limit`.
    pub async fn outbox_entries(
        &self,
        state: Option<DeliveryState>,
        before: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.outbox_rows(state, before, None, limit).await
    }

    /// One message as the list shows it.
    pub async fn outbox_entry(&self, id: Uuid) -> Result<Option<OutboxEntry>, StoreError> {
        Ok(self.outbox_rows(None, None, Some(id), 1).await?.pop())
    }

    async fn outbox_rows(
        &self,
        state: Option<DeliveryState>,
        before: Option<Uuid>,
        only: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        type Row = (
            Uuid,
            String,
            Option<String>,
            String,
            Option<String>,
            Option<String>,
            String,
            i32,
            i64,
            Option<String>,
            i64,
            Option<i64>,
        );
        let rows: Vec<Row> = on_pool!(&self.db, p => {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT o.id, o.kind, m.number, o.channel, o.email, d.name, o.state, o.attempts,
                        o.next_attempt_at, o.last_error, o.created_at, o.sent_at
                 FROM outbox o
                 LEFT JOIN matters m ON m.id = o.matter_id
                 LEFT JOIN outbound_destinations d ON d.id = o.destination_id
                 WHERE 1 = 1");
            if let Some(s) = state {
                q.push(" AND o.state = ").push_bind(s.as_str());
            }
            if let Some(id) = only {
                q.push(" AND o.id = ").push_bind(id);
            }
            if let Some(b) = before {
                // v7 ids grow with time: the id orders like the creation.
                q.push(" AND o.id < ").push_bind(b);
            }
            q.push(" ORDER BY o.id DESC LIMIT ").push_bind(limit);
            q.build_query_as().fetch_all(p).await
        })?;
        let corrupt = || StoreError::Corrupt("outbox entry".into());
        rows.into_iter()
            .map(
                |(
                    id,
                    kind,
                    number,
                    channel,
                    email,
                    dest,
                    state,
                    attempts,
                    next,
                    err,
                    created,
                    sent,
                )| {
                    Ok(OutboxEntry {
                        id,
                        kind: NotificationKind::from_code(&kind).ok_or_else(corrupt)?,
                        number,
                        channel: ChannelKind::from_code(&channel).ok_or_else(corrupt)?,
                        target: email.or(dest).unwrap_or_default(),
                        state: DeliveryState::from_code(&state).ok_or_else(corrupt)?,
                        attempts,
                        next_attempt_at: from_millis(next),
                        last_error: err,
                        created_at: from_millis(created),
                        sent_at: sent.map(from_millis),
                    })
                },
            )
            .collect()
    }

    /// How many messages are in each state.
    pub async fn outbox_counts(&self) -> Result<Vec<(DeliveryState, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT state, COUNT(*) FROM outbox GROUP BY state")
            .fetch_all(p)
            .await)?;
        Ok(DeliveryState::ALL
            .iter()
            .map(|s| {
                let n = rows
                    .iter()
                    .find(|(c, _)| c == s.as_str())
                    .map_or(0, |(_, n)| *n);
                (*s, n)
            })
            .collect())
    }
}

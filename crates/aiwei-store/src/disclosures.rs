//! Disclosure of a matter's caller data to another department or person
//! a request naming the purpose and the fields, a supervisor's
//! approval or refusal with a reason, the recipient's signature of the
//! confidentiality agreement, and expiry. Access opens only between
//! signature and expiry, and only to the named fields of the one matter.
//! Every step is an event on the matter's chain.

use aiwei_core::access::{self, Actor, DisclosureFacts, DisclosureStep};
use aiwei_core::time::{from_millis, to_millis};
use aiwei_core::{
    AuditAction, DisclosedField, DisclosureStatus, ErrorCode, EventKind, FieldError, MatterId,
    NotificationKind, UserId,
};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::Store;
use crate::error::StoreError;
use crate::events::digest;
use crate::trail::{AuditActor, append_audit};

/// One disclosure as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Disclosure {
    pub id: Uuid,
    pub matter: MatterId,
    pub number: String,
    /// Who receives the data and signs the agreement.
    pub recipient: UserId,
    pub recipient_name: String,
    /// Who filed the request: the recipient, or a supervisor for them.
    pub filed_by: UserId,
    pub filed_by_name: String,
    pub purpose: String,
    pub fields: Vec<DisclosedField>,
    pub status: DisclosureStatus,
    pub requested_at: DateTime<Utc>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<String>,
    pub agreement_sha256: Option<String>,
    pub signed_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The uploaded scan of the signed paper agreement, if any.
    pub scan: Option<Uuid>,
}

impl Disclosure {
    /// What the rules of access need to know about it.
    pub fn facts(&self) -> DisclosureFacts {
        DisclosureFacts {
            status: self.status,
            filed_by: self.filed_by,
            recipient: self.recipient,
            expires_at_ms: self.expires_at.map(to_millis),
        }
    }

    /// Whether access is open at `now`.
    pub fn open_at(&self, now: DateTime<Utc>) -> bool {
        self.facts().open_at(to_millis(now))
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    matter_id: Uuid,
    number: String,
    recipient: Uuid,
    recipient_name: String,
    filed_by: Option<Uuid>,
    filed_by_name: Option<String>,
    purpose: String,
    fields: String,
    status: String,
    requested_at: i64,
    decided_by_name: Option<String>,
    decided_at: Option<i64>,
    decision_reason: Option<String>,
    agreement_sha256: Option<String>,
    signed_at: Option<i64>,
    expires_at: Option<i64>,
    scan_attachment: Option<Uuid>,
}

const SELECT: &str =
    "SELECT d.id, d.matter_id, m.number, d.recipient, u.display_name AS recipient_name,
    d.filed_by, f.display_name AS filed_by_name,
    d.purpose, d.fields, d.status, d.requested_at, s.display_name AS decided_by_name, d.decided_at,
    d.decision_reason, d.agreement_sha256, d.signed_at, d.expires_at, d.scan_attachment
  FROM disclosures d
  JOIN matters m ON m.id = d.matter_id
  JOIN users u ON u.id = d.recipient
  LEFT JOIN users f ON f.id = d.filed_by
  LEFT JOIN users s ON s.id = d.decided_by";

fn corrupt<E>(_: E) -> StoreError {
    StoreError::Corrupt("bad stored disclosure".into())
}

impl TryFrom<Row> for Disclosure {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(Disclosure {
            id: r.id,
            matter: MatterId(r.matter_id),
            number: r.number,
            recipient: UserId(r.recipient),
            // Requests from before filers were recorded name no filer:
            // the recipient filed them.
            filed_by: UserId(r.filed_by.unwrap_or(r.recipient)),
            filed_by_name: r.filed_by_name.unwrap_or_else(|| r.recipient_name.clone()),
            recipient_name: r.recipient_name,
            purpose: r.purpose,
            fields: r
                .fields
                .split(',')
                .map(DisclosedField::parse)
                .collect::<Result<_, _>>()
                .map_err(corrupt)?,
            status: DisclosureStatus::parse(&r.status).map_err(corrupt)?,
            requested_at: from_millis(r.requested_at),
            decided_by_name: r.decided_by_name,
            decided_at: r.decided_at.map(from_millis),
            decision_reason: r.decision_reason,
            agreement_sha256: r.agreement_sha256,
            signed_at: r.signed_at.map(from_millis),
            expires_at: r.expires_at.map(from_millis),
            scan: r.scan_attachment,
        })
    }
}

/// A request as validated by the caller.
#[derive(Debug, Clone)]
pub struct NewDisclosure {
    pub matter: MatterId,
    /// Who receives the data and signs.
    pub recipient: UserId,
    pub purpose: String,
    pub fields: Vec<DisclosedField>,
}

/// Which disclosures to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisclosureList {
    /// Waiting for a supervisor.
    Pending,
    /// Everything `user` filed or receives.
    Involving(UserId),
    /// Everything asked about one matter.
    OfMatter(MatterId),
}

impl Store {
    pub async fn disclosure(&self, id: Uuid) -> Result<Disclosure, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE d.id = $1"));
        let row = on_pool!(&self.db, p => sqlx::query_as::<_, Row>(sql)
            .bind(id)
            .fetch_optional(p)
            .await)?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    /// Newest first, at most 200.
    pub async fn disclosures(&self, which: DisclosureList) -> Result<Vec<Disclosure>, StoreError> {
        let (filter, id) = match which {
            DisclosureList::Pending => ("d.status = $2 AND $1 = $1", Uuid::nil()),
            DisclosureList::Involving(u) => ("(d.recipient = $1 OR d.filed_by = $1)", u.0),
            DisclosureList::OfMatter(m) => ("d.matter_id = $1", m.0),
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE {filter} AND $2 = $2 ORDER BY d.requested_at DESC, d.id DESC LIMIT 200"
        ));
        let rows = on_pool!(&self.db, p => sqlx::query_as::<_, Row>(sql)
            .bind(id)
            .bind(DisclosureStatus::Requested.as_str())
            .fetch_all(p)
            .await)?;
        rows.into_iter().map(Disclosure::try_from).collect()
    }

    /// Files a request by `by` for `new.recipient`. One open request
    /// (requested, approved or signed and not expired) per recipient and
    /// matter.
    pub async fn request_disclosure(
        &self,
        new: &NewDisclosure,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<Disclosure, StoreError> {
        if new.fields.is_empty() {
            return Err(StoreError::Invalid(FieldError::new(
                "fields",
                ErrorCode::Required,
            )));
        }
        let filer = by
            .user
            .ok_or_else(|| StoreError::Config("a disclosure needs a filer".into()))?;
        let id = Uuid::now_v7();
        let mut fields: Vec<&str> = new.fields.iter().map(|f| f.as_str()).collect();
        fields.sort_unstable();
        fields.dedup();
        let fields = fields.join(",");
        let mut tx = self.db.begin().await?;
        let open: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT COUNT(*) FROM disclosures WHERE matter_id = $1 AND recipient = $2
               AND (status IN ($4, $5) OR (status = $6 AND expires_at > $3))")
            .bind(new.matter.0)
            .bind(new.recipient.0)
            .bind(to_millis(now))
            .bind(DisclosureStatus::Requested.as_str())
            .bind(DisclosureStatus::Approved.as_str())
            .bind(DisclosureStatus::Signed.as_str())
            .fetch_one(c)
            .await)?;
        if open > 0 {
            return Err(StoreError::Conflict(ErrorCode::DisclosureOpen));
        }
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO disclosures (id, matter_id, recipient, filed_by, purpose, fields, status, requested_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(id)
            .bind(new.matter.0)
            .bind(new.recipient.0)
            .bind(filer.0)
            .bind(&new.purpose)
            .bind(&fields)
            .bind(DisclosureStatus::Requested.as_str())
            .bind(to_millis(now))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        let mut payload = serde_json::Map::new();
        payload.insert("disclosure".into(), json!(id));
        payload.insert("fields".into(), json!(fields));
        payload.insert("recipient".into(), json!(new.recipient));
        self.append_event_with_texts(
            &mut tx,
            new.matter,
            by.user,
            EventKind::DisclosureRequested,
            payload,
            &[("purpose", new.purpose.clone())],
            now,
        )
        .await?;
        let target = id.to_string();
        let detail = json!({ "matter": new.matter, "fields": fields, "recipient": new.recipient });
        append_audit(
            &mut tx,
            &by.entry(AuditAction::DisclosureRequest, Some(&target), detail),
            now,
        )
        .await?;
        tx.commit().await?;
        self.disclosure(id).await
    }

    /// A supervisor's decision, four eyes: never by the filer or the
    /// recipient ([`access::may_decide_disclosure`]). Approval opens a grant
    /// that lapses `valid_for` later, signed or not.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_disclosure(
        &self,
        id: Uuid,
        approve: bool,
        reason: &str,
        valid_for: Duration,
        actor: &Actor<'_>,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<Disclosure, StoreError> {
        let d = self.disclosure(id).await?;
        access::may_decide_disclosure(actor, &d.facts())?;
        let (step, event, action) = if approve {
            (
                DisclosureStep::Approve,
                EventKind::DisclosureApproved,
                AuditAction::DisclosureApprove,
            )
        } else {
            (
                DisclosureStep::Refuse,
                EventKind::DisclosureRefused,
                AuditAction::DisclosureRefuse,
            )
        };
        let expires = approve.then(|| to_millis(now + valid_for));
        let mut tx = self.db.begin().await?;
        let n = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE disclosures SET status = $1, decided_by = $2, decided_at = $3,
                decision_reason = $4, expires_at = $5
             WHERE id = $6 AND status = $7")
            .bind(step.to().as_str())
            .bind(actor.id.0)
            .bind(to_millis(now))
            .bind(reason)
            .bind(expires)
            .bind(id)
            .bind(DisclosureStatus::Requested.as_str())
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::Conflict(ErrorCode::AlreadyDecided));
        }
        let mut payload = serde_json::Map::new();
        payload.insert("disclosure".into(), json!(id));
        payload.insert("expires_at".into(), json!(expires));
        self.append_event_with_texts(
            &mut tx,
            d.matter,
            Some(actor.id),
            event,
            payload,
            &[("reason", reason.to_owned())],
            now,
        )
        .await?;
        let target = id.to_string();
        let detail = json!({ "matter": d.matter, "expires_at": expires });
        append_audit(&mut tx, &by.entry(action, Some(&target), detail), now).await?;
        // The recipient signs next (or learns it was refused); the filer
        // learns too when it was someone else.
        let mut told = vec![d.recipient.0];
        if d.filed_by != d.recipient {
            told.push(d.filed_by.0);
        }
        crate::work::notify_users(
            &mut tx,
            d.matter,
            &told,
            NotificationKind::DisclosureDecided,
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        self.disclosure(id).await
    }

    /// The recipient signs the confidentiality agreement `agreement` (the
    /// text shown to them); access opens. `scan` is an optional uploaded
    /// scan of the signed paper copy. Anyone else learns nothing
    /// (`NotFound`).
    pub async fn sign_disclosure(
        &self,
        id: Uuid,
        agreement: &str,
        scan: Option<Uuid>,
        actor: &Actor<'_>,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<Disclosure, StoreError> {
        let d = self.disclosure(id).await?;
        access::may_sign_disclosure(actor, &d.facts(), to_millis(now))?;
        let sha = digest(agreement);
        let mut tx = self.db.begin().await?;
        let n = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE disclosures SET status = $6, signed_at = $1, agreement_text = $2,
                agreement_sha256 = $3, scan_attachment = $4
             WHERE id = $5 AND status = $7 AND expires_at > $1")
            .bind(to_millis(now))
            .bind(agreement)
            .bind(&sha)
            .bind(scan)
            .bind(id)
            .bind(DisclosureStep::Sign.to().as_str())
            .bind(DisclosureStatus::Approved.as_str())
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::Conflict(ErrorCode::DisclosureNotApproved));
        }
        let mut payload = serde_json::Map::new();
        payload.insert("disclosure".into(), json!(id));
        payload.insert("agreement_sha256".into(), json!(sha));
        payload.insert("scan".into(), json!(scan));
        self.append_event_with_texts(
            &mut tx,
            d.matter,
            Some(actor.id),
            EventKind::DisclosureSigned,
            payload,
            &[],
            now,
        )
        .await?;
        let target = id.to_string();
        let detail = json!({ "matter": d.matter, "agreement_sha256": sha, "scan": scan });
        append_audit(
            &mut tx,
            &by.entry(AuditAction::DisclosureSign, Some(&target), detail),
            now,
        )
        .await?;
        tx.commit().await?;
        self.disclosure(id).await
    }

    /// The caller fields of `matter` disclosed to `user` at `now`.
    pub async fn disclosed_fields(
        &self,
        matter: MatterId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<DisclosedField>, StoreError> {
        let rows: Vec<String> = on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT fields FROM disclosures WHERE matter_id = $1 AND recipient = $2
               AND status = $4 AND expires_at > $3")
            .bind(matter.0)
            .bind(user.0)
            .bind(to_millis(now))
            .bind(DisclosureStatus::Signed.as_str())
            .fetch_all(p)
            .await)?;
        let mut out: Vec<DisclosedField> = rows
            .iter()
            .flat_map(|r| r.split(','))
            .map(DisclosedField::parse)
            .collect::<Result<_, _>>()
            .map_err(corrupt)?;
        out.sort_by_key(|f| f.as_str());
        out.dedup();
        Ok(out)
    }

    /// Closes grants whose time is up, each with an event; returns how many.
    /// Access already ends at `expires_at` whether or not this ran: this
    /// puts the end on the record.
    pub async fn expire_disclosures(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let [from_a, from_b] = DisclosureStep::Expire.from() else {
            return Err(StoreError::Corrupt("disclosure expiry states".into()));
        };
        let due: Vec<(Uuid, Uuid)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, matter_id FROM disclosures
             WHERE status IN ($2, $3) AND expires_at <= $1 LIMIT 500")
            .bind(to_millis(now))
            .bind(from_a.as_str())
            .bind(from_b.as_str())
            .fetch_all(p)
            .await)?;
        let mut n = 0;
        for (id, matter) in due {
            let mut tx = self.db.begin().await?;
            // Exactly once, whichever instance sweeps.
            let changed = on_tx!(&mut tx, c => sqlx::query(
                "UPDATE disclosures SET status = $2
                 WHERE id = $1 AND status IN ($3, $4)")
                .bind(id)
                .bind(DisclosureStep::Expire.to().as_str())
                .bind(from_a.as_str())
                .bind(from_b.as_str())
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
            if changed == 1 {
                let mut payload = serde_json::Map::new();
                payload.insert("disclosure".into(), json!(id));
                self.append_event_with_texts(
                    &mut tx,
                    MatterId(matter),
                    None,
                    EventKind::DisclosureExpired,
                    payload,
                    &[],
                    now,
                )
                .await?;
                let target = id.to_string();
                let system = AuditActor::default();
                let detail = json!({ "matter": matter, "via": "sweeper" });
                append_audit(
                    &mut tx,
                    &system.entry(AuditAction::DisclosureExpire, Some(&target), detail),
                    now,
                )
                .await?;
                n += 1;
            }
            tx.commit().await?;
        }
        Ok(n)
    }

    /// Names `person` on the sensitive matter `matter`: a
    /// department lead hands it to a colleague, who then sees and handles
    /// it. An event and an audit record.
    pub async fn name_person(
        &self,
        matter: MatterId,
        person: UserId,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        crate::events::name_on_matter(&mut tx, matter, person).await?;
        let mut payload = serde_json::Map::new();
        payload.insert("person".into(), json!(person));
        self.append_event_with_texts(
            &mut tx,
            matter,
            by.user,
            EventKind::PersonNamed,
            payload,
            &[],
            now,
        )
        .await?;
        let target = matter.to_string();
        let detail = json!({ "person": person });
        append_audit(
            &mut tx,
            &by.entry(AuditAction::PersonName, Some(&target), detail),
            now,
        )
        .await?;
        tx.commit().await
    }

    /// Records that `user` revealed the caller fields of `matter` for
    /// `reason` (the matter's event; the audit trail records it too).
    pub async fn record_reveal(
        &self,
        matter: MatterId,
        reason: &str,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        self.append_event_with_texts(
            &mut tx,
            matter,
            by.user,
            EventKind::CallerRevealed,
            serde_json::Map::new(),
            &[("reason", reason.to_owned())],
            now,
        )
        .await?;
        let target = matter.to_string();
        let detail = json!({ "reason_sha256": digest(reason) });
        append_audit(
            &mut tx,
            &by.entry(AuditAction::CallerReveal, Some(&target), detail),
            now,
        )
        .await?;
        tx.commit().await
    }
}

//! Recording a matter received by phone or at the window:
//! its number, its row, its `received` event and its first clock, in one
//! transaction.

use aiwei_core::chain::GENESIS;
use aiwei_core::intake::{NewMatter, Resolution};
use aiwei_core::time::to_millis;
use aiwei_core::{ErrorCode, EventKind, MatterId, MatterNumber, MatterStatus};
use chrono::{DateTime, Datelike, Utc};
use serde_json::json;

use super::{Matter, Sealed};
use crate::Store;
use crate::db::Tx;
use crate::error::StoreError;
use crate::events::{Linked, append_event, digest, insert_linked};
use crate::idempotency::Idempotency;
use crate::users::User;

/// Where a new matter lands.
#[derive(Debug, Clone)]
pub struct IntakeContext<'a> {
    pub actor: &'a User,
    /// Matter number prefix, e.g. `AW`.
    pub prefix: &'a str,
    pub now: DateTime<Utc>,
}

impl Store {
    /// Records a matter received by phone or at the window:
    /// allocates its number, writes it with its `received` event and, when
    /// answered on the spot, its closing event, all in one transaction.
    #[tracing::instrument(skip_all, fields(actor = %ctx.actor.id))]
    pub async fn record_intake(
        &self,
        m: &NewMatter,
        ctx: &IntakeContext<'_>,
    ) -> Result<Matter, StoreError> {
        self.record_intake_once(m, ctx, None).await
    }

    /// [`Store::record_intake`] under an idempotency key, which commits with
    /// the matter (see [`crate::idempotency`]).
    pub async fn record_intake_once(
        &self,
        m: &NewMatter,
        ctx: &IntakeContext<'_>,
        idem: Option<&Idempotency>,
    ) -> Result<Matter, StoreError> {
        let id = self
            .record(std::slice::from_ref(m), ctx, idem, None)
            .await?;
        match id.first() {
            Some(id) => self.matter(*id).await,
            None => Err(StoreError::Corrupt("intake wrote nothing".into())),
        }
    }

    /// Records several matters in one transaction (imports, demo data, bulk
    /// tests): all or none. Returns their ids in order.
    pub async fn record_intakes(
        &self,
        matters: &[NewMatter],
        ctx: &IntakeContext<'_>,
    ) -> Result<Vec<MatterId>, StoreError> {
        self.record(matters, ctx, None, None).await
    }

    /// Records a resident's own filing (`web`, `open311`) with the hash of
    /// its query code, in one transaction.
    pub async fn record_filing(
        &self,
        m: &NewMatter,
        ctx: &IntakeContext<'_>,
        code_hash: &str,
    ) -> Result<Matter, StoreError> {
        let id = self
            .record(std::slice::from_ref(m), ctx, None, Some(code_hash))
            .await?;
        match id.first() {
            Some(id) => self.matter(*id).await,
            None => Err(StoreError::Corrupt("filing wrote nothing".into())),
        }
    }

    /// Records `matters` in one transaction; `idem`, for a single intake,
    /// and the query code of a single filing commit with it.
    async fn record(
        &self,
        matters: &[NewMatter],
        ctx: &IntakeContext<'_>,
        idem: Option<&Idempotency>,
        code_hash: Option<&str>,
    ) -> Result<Vec<MatterId>, StoreError> {
        if !aiwei_core::ids::valid_prefix(ctx.prefix) {
            return Err(StoreError::Config("invalid matter number prefix".into()));
        }
        let mut checked = Vec::with_capacity(matters.len());
        for m in matters {
            if let Some(code) = &m.category {
                self.require_category(code, m.matter_type).await?;
            }
            let department = match &m.department {
                Some(d) => Some(self.require_department("department", d).await?.code),
                None => ctx.actor.departments.first().cloned(),
            };
            checked.push((m, department));
        }
        let clocks = self.clocks().await?;
        let mut tx = self.db.begin().await?;
        let mut ids = Vec::with_capacity(matters.len());
        for (m, department) in checked {
            ids.push(
                self.insert_matter(&mut tx, m, department, ctx, Some(&clocks))
                    .await?,
            );
        }
        if let (Some(idem), Some(first)) = (idem, ids.first()) {
            crate::idempotency::claim(&mut tx, idem, *first, ctx.now).await?;
        }
        if let (Some(hash), Some(first)) = (code_hash, ids.first()) {
            crate::public::put_code(&mut tx, *first, hash, ctx.now).await?;
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Writes one matter, its number, its `received` event (at `ctx.now`)
    /// and, unless `clocks` is `None` (a matter brought in with its
    /// history), its reply clock.
    pub(crate) async fn insert_matter(
        &self,
        tx: &mut Tx,
        m: &NewMatter,
        department: Option<String>,
        ctx: &IntakeContext<'_>,
        clocks: Option<&crate::deadlines::Clocks>,
    ) -> Result<MatterId, StoreError> {
        let year = m
            .received_at
            .with_timezone(&aiwei_core::time::china())
            .year();
        let id = MatterId::new();
        let now_ms = to_millis(ctx.now);
        let phone_index = self.keys.phone_index(&m.caller.phone)?;
        let (status, answer, reply_at, closed_at) = match &m.resolution {
            Resolution::Answered(a) => (MatterStatus::Closed, Some(a.as_str()), None, Some(now_ms)),
            Resolution::ReplyBy(t) => (MatterStatus::Received, None, Some(to_millis(*t)), None),
        };
        // A sensitive matter's content and answer are sealed with its
        // caller; their columns stay empty.
        let sealed_text = |t: &str| m.sensitive.then(|| t.to_owned());
        let (caller_key, caller_sealed) = self.keys.seal_matter(
            id.0,
            &Sealed {
                name: m.caller.name.clone(),
                organization: m.caller.organization.clone(),
                phone: m.caller.phone.as_str().to_owned(),
                content: sealed_text(&m.content),
                answer: answer.and_then(sealed_text),
            },
        )?;
        let (content_column, answer_column) = if m.sensitive {
            ("", None)
        } else {
            (m.content.as_str(), answer)
        };
        // The upsert holds the sequence row locked until commit, so numbers
        // are handed out without gaps and never twice, whichever app instance
        // asks; a rolled-back intake gives its number back with its row.
        let seq: i64 = on_tx!(&mut *tx, c => sqlx::query_scalar(
            "INSERT INTO matter_sequences (prefix, year, last) VALUES ($1, $2, 1)
             ON CONFLICT (prefix, year) DO UPDATE SET last = matter_sequences.last + 1
             RETURNING last")
            .bind(ctx.prefix)
            .bind(year)
            .fetch_one(c)
            .await)?;
        let number = MatterNumber::new(ctx.prefix, year, seq as u64)
            .map_err(|_| StoreError::Corrupt("matter sequence out of range".into()))?
            .to_string();
        if let Some(a) = m.answered_from {
            let today = ctx
                .now
                .with_timezone(&aiwei_core::time::china())
                .date_naive();
            crate::knowledge::check_answered_from(tx, a.article, a.version, today).await?;
        }
        let received = json!({
            "number": number,
            "channel": m.channel,
            "received_at": to_millis(m.received_at),
            "ring_seconds": m.ring_seconds,
            "arrived_at": m.arrived_at.map(to_millis),
            "type": m.matter_type,
            "category": m.category,
            "department": department,
            "sensitive": m.sensitive,
            "urgent": m.urgent,
            "caller_kind": m.caller.kind,
            "caller_sha256": digest(&format!(
                "{}\n{}\n{}",
                m.caller.name.as_deref().unwrap_or(""),
                m.caller.organization.as_deref().unwrap_or(""),
                m.caller.phone.as_str()
            )),
            "content_sha256": digest(&m.content),
            "location_sha256": m.location.address.as_deref().map(digest),
            "agreed_reply_at": reply_at,
            "suggested_category": m.suggested_category,
            "suggested_department": m.suggested_department,
        });
        // The matter is written with its chain's head at its first event,
        // which saves reading and moving the head of a row just written.
        let first = Linked::new(
            id,
            1,
            GENESIS.to_owned(),
            Some(ctx.actor.id),
            EventKind::Received,
            &received,
            ctx.now,
        )?;
        let coords = m.location.coordinates;
        on_tx!(&mut *tx, c => sqlx::query(
            "INSERT INTO matters (id, number, channel, received_at, ring_seconds, arrived_at,
                intake_user, department, caller_kind, caller_key, caller_sealed, caller_phone,
                caller_phone_hash, matter_type, category, content, address, area_code, latitude,
                longitude, sensitive, status, answer, agreed_reply_at, closed_at, created_at,
                updated_at, event_count, last_hash, urgent, answered_article, answered_version,
                suggested_category, suggested_department)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                $18, $19, $20, $21, $22, $23, $24, $25, $26, $26, 1, $27, $28, $29, $30, $31, $32)")
            .bind(id.0)
            .bind(&number)
            .bind(m.channel.as_str())
            .bind(to_millis(m.received_at))
            .bind(m.ring_seconds)
            .bind(m.arrived_at.map(to_millis))
            .bind(ctx.actor.id.0)
            .bind(&department)
            .bind(m.caller.kind.as_str())
            .bind(&caller_key)
            .bind(&caller_sealed)
            // The plaintext column of the first schema; never written.
            .bind("")
            .bind(&phone_index)
            .bind(m.matter_type.as_str())
            .bind(&m.category)
            .bind(content_column)
            .bind(&m.location.address)
            .bind(&m.location.area_code)
            .bind(coords.map(|c| c.0))
            .bind(coords.map(|c| c.1))
            .bind(m.sensitive)
            .bind(status.as_str())
            .bind(answer_column)
            .bind(reply_at)
            .bind(closed_at)
            .bind(now_ms)
            .bind(&first.hash)
            .bind(m.urgent)
            .bind(m.answered_from.map(|a| a.article.0))
            .bind(m.answered_from.map(|a| a.version))
            .bind(&m.suggested_category)
            .bind(&m.suggested_department)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))
        .map_err(|e| StoreError::on_unique(e, ErrorCode::NumberTaken))?;

        insert_linked(tx, id, &first).await?;
        if let (Resolution::ReplyBy(t), Some(clocks)) = (&m.resolution, clocks) {
            // The agreed reply time is the clock's due time as agreed, not a
            // policy limit.
            crate::deadlines::insert(
                tx,
                id,
                aiwei_core::deadline::DeadlineKind::ReplyDue,
                m.received_at,
                *t,
                clocks.policy.warn_at(m.received_at, *t),
                clocks.version,
            )
            .await?;
        }
        if let Some(a) = answer {
            let answered = json!({
                "answer_sha256": digest(a),
                "status": status,
                "answered_from": m.answered_from,
            });
            append_event(
                tx,
                id,
                Some(ctx.actor.id),
                EventKind::Answered,
                &answered,
                ctx.now,
            )
            .await?;
        }
        let texts = crate::search::doc_texts(
            m.sensitive,
            content_column,
            m.location.address.as_deref(),
            answer_column,
            &[],
        );
        crate::search::write_doc(tx, id, &texts, crate::search::Prior::New).await?;
        Ok(id)
    }
}

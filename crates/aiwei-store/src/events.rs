//! The events of a matter (R-4.1.2 "全程可追溯"): every change is one
//! append-only event in a per-matter hash chain, written in the transaction
//! of the change.
//!
//! Events never hold personal data or free text themselves, only digests of
//! it: the chain stays verifiable when a caller is later anonymised, and still
//! proves that the text stored with the matter is the text that was recorded.

use aiwei_core::chain::{self, Link};
use aiwei_core::time::{from_millis, to_millis};
use aiwei_core::{EventKind, MatterId, UserId};
use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::{Backend, Tx};
use crate::error::StoreError;
use crate::rows::{Column, Rows};
use crate::{Keys, Store};

/// One event of a matter's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<UserId>,
    pub actor_name: Option<String>,
    pub kind: EventKind,
    pub payload: serde_json::Value,
    pub hash: String,
    /// The free texts recorded with this event (field, text).
    pub texts: Vec<(String, String)>,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    at: i64,
    actor: Option<Uuid>,
    actor_name: Option<String>,
    kind: String,
    payload: String,
    hash: String,
}

/// One stored free text of a step: in clear, or sealed (sensitive matters).
#[derive(sqlx::FromRow)]
pub(crate) struct TextRow {
    pub(crate) seq: i64,
    pub(crate) field: String,
    pub(crate) body: String,
    pub(crate) body_key: Option<String>,
    pub(crate) body_sealed: Option<Vec<u8>>,
}

impl Store {
    /// The text of a stored row, opened when sealed.
    pub(crate) fn open_text_row(&self, matter: MatterId, t: TextRow) -> Result<String, StoreError> {
        match (t.body_key, t.body_sealed) {
            (Some(key), Some(sealed)) => self
                .keys
                .open_text(matter.0, t.seq, &t.field, &key, &sealed),
            _ => Ok(t.body),
        }
    }
}

/// Writes one free text of event `seq`: sealed when the matter is sensitive
/// in clear otherwise. Replaces an earlier text of the same
/// event and field (anonymisation, re-sealing).
pub(crate) async fn put_text(
    keys: &Keys,
    tx: &mut Tx,
    matter: MatterId,
    sensitive: bool,
    seq: i64,
    field: &str,
    text: &str,
) -> Result<(), StoreError> {
    let (body, key, sealed) = if sensitive {
        let (key, sealed) = keys.seal_text(matter.0, seq, field, text)?;
        ("", Some(key), Some(sealed))
    } else {
        (text, None, None)
    };
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO matter_texts (matter_id, seq, field, body, body_key, body_sealed)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (matter_id, seq, field) DO UPDATE SET
            body = excluded.body, body_key = excluded.body_key, body_sealed = excluded.body_sealed")
        .bind(matter.0)
        .bind(seq)
        .bind(field)
        .bind(body)
        .bind(key)
        .bind(sealed)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Hex SHA-256 of a text, as events record free text.
pub(crate) fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

impl Store {
    /// The timeline of a matter, oldest first.
    pub async fn events(&self, id: MatterId) -> Result<Vec<Event>, StoreError> {
        let rows = on_pool!(&self.db, p => sqlx::query_as::<_, EventRow>(
            "SELECT e.seq, e.at, e.actor, u.display_name AS actor_name, e.kind, e.payload, e.hash
             FROM matter_events e LEFT JOIN users u ON u.id = e.actor
             WHERE e.matter_id = $1 ORDER BY e.seq")
            .bind(id.0)
            .fetch_all(p)
            .await)?;
        let rows_of_texts: Vec<TextRow> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT seq, field, body, body_key, body_sealed FROM matter_texts
             WHERE matter_id = $1 ORDER BY seq, field")
            .bind(id.0)
            .fetch_all(p)
            .await)?;
        let texts = rows_of_texts
            .into_iter()
            .map(|t| Ok((t.seq, t.field.clone(), self.open_text_row(id, t)?)))
            .collect::<Result<Vec<(i64, String, String)>, StoreError>>()?;
        rows.into_iter()
            .map(|r| {
                Ok(Event {
                    texts: texts
                        .iter()
                        .filter(|(seq, _, _)| *seq == r.seq)
                        .map(|(_, f, b)| (f.clone(), b.clone()))
                        .collect(),
                    seq: r.seq,
                    at: from_millis(r.at),
                    actor: r.actor.map(UserId),
                    actor_name: r.actor_name,
                    kind: EventKind::from_code(&r.kind)
                        .ok_or_else(|| StoreError::Corrupt("event kind".into()))?,
                    payload: serde_json::from_str(&r.payload)
                        .map_err(|_| StoreError::Corrupt("event payload".into()))?,
                    hash: r.hash,
                })
            })
            .collect()
    }
}

/// Appends one event to a matter's chain inside `tx`, and moves the matter's
/// chain head. The matter row is locked for the rest of the transaction, so
/// two writers cannot both append event N.
pub async fn append_event(
    tx: &mut Tx,
    matter: MatterId,
    actor: Option<UserId>,
    kind: EventKind,
    payload: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    // Dialect: PostgreSQL needs an explicit row lock; SQLite already holds
    // the database's write lock (BEGIN IMMEDIATE).
    let head_sql = match tx.backend() {
        Backend::Postgres => "SELECT event_count, last_hash FROM matters WHERE id = $1 FOR UPDATE",
        Backend::Sqlite => "SELECT event_count, last_hash FROM matters WHERE id = $1",
    };
    let (count, prev): (i64, String) =
        on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(head_sql))
        .bind(matter.0)
        .fetch_optional(c)
        .await)?
        .ok_or(StoreError::NotFound)?;
    let link = Linked::new(matter, count + 1, prev, actor, kind, payload, now)?;
    insert_linked(tx, matter, &link).await?;
    move_head(tx, matter, link.seq, &link.hash, link.at_ms).await?;
    Ok(link.seq)
}

/// An event as its chain links it: everything its row holds but the
/// matter.
pub(crate) struct Linked {
    pub seq: i64,
    pub at_ms: i64,
    actor: Option<UserId>,
    kind: EventKind,
    payload: String,
    prev: String,
    pub hash: String,
}

impl Linked {
    /// Event `seq` of `matter` after the one whose hash is `prev`.
    pub(crate) fn new(
        matter: MatterId,
        seq: i64,
        prev: String,
        actor: Option<UserId>,
        kind: EventKind,
        payload: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        let payload = serde_json::to_string(payload)
            .map_err(|_| StoreError::Corrupt("event payload".into()))?;
        let at_ms = to_millis(now);
        let hash = chain::link_hash(
            &prev,
            &Link {
                matter_id: matter,
                seq,
                at_ms,
                actor,
                kind: kind.as_str(),
                payload: &payload,
            },
        );
        Ok(Self {
            seq,
            at_ms,
            actor,
            kind,
            payload,
            prev,
            hash,
        })
    }
}

/// Writes the row of a linked event and names its actor on the matter; the
/// caller moves the matter's head to it (a new matter is written with it).
pub(crate) async fn insert_linked(
    tx: &mut Tx,
    matter: MatterId,
    link: &Linked,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO matter_events (matter_id, seq, at, actor, kind, payload, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(matter.0)
        .bind(link.seq)
        .bind(link.at_ms)
        .bind(link.actor.map(|a| a.0))
        .bind(link.kind.as_str())
        .bind(&link.payload)
        .bind(&link.prev)
        .bind(&link.hash)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if let Some(actor) = link.actor {
        name_on_matter(tx, matter, actor).await?;
    }
    Ok(())
}

/// Moves a matter's chain head to event `seq` with `hash`.
async fn move_head(
    tx: &mut Tx,
    matter: MatterId,
    seq: i64,
    hash: &str,
    at_ms: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE matters SET event_count = $1, last_hash = $2, updated_at = $3 WHERE id = $4")
        .bind(seq)
        .bind(hash)
        .bind(at_ms)
        .bind(matter.0)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Events given column by column, one entry per event in each: what the
/// sweeper's chains and the bulk builder's copies write.
pub(crate) struct EventColumns<'a> {
    pub matter: Vec<Uuid>,
    pub seq: Vec<i64>,
    pub at: Vec<i64>,
    pub actor: Vec<Option<Uuid>>,
    pub kind: Vec<&'a str>,
    pub payload: Vec<&'a str>,
    pub prev: Vec<&'a str>,
    pub hash: Vec<&'a str>,
}

impl EventColumns<'_> {
    /// Writes the events, all in one statement on PostgreSQL.
    pub(crate) async fn insert(self, tx: &mut Tx) -> Result<(), StoreError> {
        Rows::new(
            "matter_id, seq, at, actor, kind, payload, prev_hash, hash",
            vec![
                Column::Uuid(self.matter),
                Column::Int(self.seq),
                Column::Int(self.at),
                Column::OptUuid(self.actor),
                Column::Text(self.kind),
                Column::Text(self.payload),
                Column::Text(self.prev),
                Column::Text(self.hash),
            ],
        )?
        .execute(
            tx,
            "INSERT INTO matter_events (matter_id, seq, at, actor, kind, payload, prev_hash, hash)
             SELECT matter_id, seq, at, actor, kind, payload, prev_hash, hash FROM v",
        )
        .await?;
        Ok(())
    }
}

/// Writes linked events.
async fn insert_links(tx: &mut Tx, links: &[(MatterId, Linked)]) -> Result<(), StoreError> {
    EventColumns {
        matter: links.iter().map(|(m, _)| m.0).collect(),
        seq: links.iter().map(|(_, r)| r.seq).collect(),
        at: links.iter().map(|(_, r)| r.at_ms).collect(),
        actor: links.iter().map(|(_, r)| r.actor.map(|a| a.0)).collect(),
        kind: links.iter().map(|(_, r)| r.kind.as_str()).collect(),
        payload: links.iter().map(|(_, r)| r.payload.as_str()).collect(),
        prev: links.iter().map(|(_, r)| r.prev.as_str()).collect(),
        hash: links.iter().map(|(_, r)| r.hash.as_str()).collect(),
    }
    .insert(tx)
    .await
}

/// Appends one event without an actor to each of several matters, in the
/// order given (a matter may come more than once): the sweeper's marks. The
/// heads are read once, in one statement (on PostgreSQL locked, in id
/// order), and moved once, so the cost is a few statements whatever the
/// number of matters, not a few per event.
pub(crate) async fn append_system_events(
    tx: &mut Tx,
    events: &[(MatterId, EventKind, serde_json::Value)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use std::collections::BTreeMap;
    let mut heads: BTreeMap<Uuid, (i64, String)> = BTreeMap::new();
    let ids: std::collections::BTreeSet<Uuid> = events.iter().map(|(m, ..)| m.0).collect();
    let ids: Vec<Uuid> = ids.into_iter().collect();
    // Dialect: PostgreSQL needs explicit row locks; SQLite already holds
    // the database's write lock.
    let lock = match tx.backend() {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    let ids = Rows::new("id", vec![Column::Uuid(ids)])?;
    let rows: Vec<(Uuid, i64, String)> = ids
        .fetch_all(
            tx,
            &format!(
                "SELECT id, event_count, last_hash FROM matters WHERE id IN (SELECT id FROM v)
                 ORDER BY id{lock}"
            ),
        )
        .await?;
    heads.extend(rows.into_iter().map(|(id, n, h)| (id, (n, h))));
    let mut links = Vec::with_capacity(events.len());
    for (matter, kind, payload) in events {
        let head = heads.get_mut(&matter.0).ok_or(StoreError::NotFound)?;
        let link = Linked::new(
            *matter,
            head.0 + 1,
            head.1.clone(),
            None,
            *kind,
            payload,
            now,
        )?;
        *head = (link.seq, link.hash.clone());
        links.push((*matter, link));
    }
    insert_links(tx, &links).await?;
    let at_ms = to_millis(now);
    let rows = Rows::new(
        "id, seq, hash, at",
        vec![
            Column::Uuid(heads.keys().copied().collect()),
            Column::Int(heads.values().map(|(seq, _)| *seq).collect()),
            Column::Text(heads.values().map(|(_, h)| h.as_str()).collect()),
            Column::Int(vec![at_ms; heads.len()]),
        ],
    )?;
    // Dialect: SQLite, given only the join, walked every matter and
    // looked each up in `v` (0.3-1.3 s at 1,000,000 matters); the `IN` has
    // it find the batch's matters by id. On PostgreSQL the second use of
    // `v` would make it materialise the rows and plan worse.
    let by_id = match tx.backend() {
        Backend::Postgres => "",
        Backend::Sqlite => " AND matters.id IN (SELECT id FROM v)",
    };
    rows.execute(
        tx,
        &format!(
            "UPDATE matters SET event_count = v.seq, last_hash = v.hash, updated_at = v.at
             FROM v WHERE matters.id = v.id{by_id}"
        ),
    )
    .await?;
    Ok(())
}

/// One event of a history written at once ([`append_history`]).
pub(crate) struct NewEvent<'a> {
    pub actor: Option<UserId>,
    pub kind: EventKind,
    pub payload: serde_json::Map<String, serde_json::Value>,
    pub texts: &'a [(&'static str, String)],
    pub at: DateTime<Utc>,
}

/// Appends `events` to a matter's chain inside `tx` in one statement, with
/// their free texts: the chain reads its head once and moves it once, so a
/// matter brought in with its whole history costs a few statements, not a
/// few per step. Returns whether any event carried text.
pub(crate) async fn append_history(
    keys: &Keys,
    tx: &mut Tx,
    matter: MatterId,
    sensitive: bool,
    events: Vec<NewEvent<'_>>,
) -> Result<bool, StoreError> {
    if events.is_empty() {
        return Ok(false);
    }
    let (count, mut prev): (i64, String) = on_tx!(tx, c => sqlx::query_as(
        "SELECT event_count, last_hash FROM matters WHERE id = $1")
        .bind(matter.0)
        .fetch_optional(c)
        .await)?
    .ok_or(StoreError::NotFound)?;
    let mut rows = Vec::with_capacity(events.len());
    let mut texts = Vec::new();
    for (i, mut e) in events.into_iter().enumerate() {
        let seq = count + 1 + i as i64;
        for (field, text) in e.texts {
            e.payload
                .insert(format!("{field}_sha256"), json!(digest(text)));
            texts.push((seq, *field, text.clone()));
        }
        let link = Linked::new(
            matter,
            seq,
            prev.clone(),
            e.actor,
            e.kind,
            &serde_json::Value::Object(e.payload),
            e.at,
        )?;
        prev = link.hash.clone();
        rows.push((matter, link));
    }
    insert_links(tx, &rows).await?;
    let last = rows.last().map(|(_, r)| (r.seq, r.hash.as_str(), r.at_ms));
    if let Some((seq, hash, at_ms)) = last {
        move_head(tx, matter, seq, hash, at_ms).await?;
    }
    let mut actors: Vec<UserId> = rows.iter().filter_map(|(_, r)| r.actor).collect();
    actors.dedup();
    for a in actors {
        name_on_matter(tx, matter, a).await?;
    }
    for (seq, field, text) in &texts {
        put_text(keys, tx, matter, sensitive, *seq, field, text).await?;
    }
    Ok(!texts.is_empty())
}

impl Store {
    /// Appends an event whose free texts are kept beside the chain: the
    /// payload gets each text's digest as `<field>_sha256`, the texts go to
    /// `matter_texts`, sealed when the matter is sensitive.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn append_event_with_texts(
        &self,
        tx: &mut Tx,
        matter: MatterId,
        actor: Option<UserId>,
        kind: EventKind,
        mut payload: serde_json::Map<String, serde_json::Value>,
        texts: &[(&str, String)],
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        for (field, text) in texts {
            payload.insert(format!("{field}_sha256"), json!(digest(text)));
        }
        let seq = append_event(
            tx,
            matter,
            actor,
            kind,
            &serde_json::Value::Object(payload),
            now,
        )
        .await?;
        if texts.is_empty() {
            return Ok(seq);
        }
        // The row is locked by `append_event` already.
        let sensitive: bool = on_tx!(tx, c => sqlx::query_scalar(
            "SELECT sensitive FROM matters WHERE id = $1")
            .bind(matter.0)
            .fetch_one(c)
            .await)?;
        for (field, text) in texts {
            put_text(&self.keys, tx, matter, sensitive, seq, field, text).await?;
        }
        crate::search::reindex(tx, matter).await?;
        Ok(seq)
    }
}

/// Names `user` on `matter`: they took a step on it or received
/// a disclosure, so they see it even when it is sensitive.
pub(crate) async fn name_on_matter(
    tx: &mut Tx,
    matter: MatterId,
    user: UserId,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO matter_people (matter_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(matter.0)
        .bind(user.0)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

//! Bulk copies of settled matters: how the city-scale data set (`aiwei demo
//! --matters N`, docs/BENCHMARKS.md) reaches millions of matters in minutes
//! rather than days.
//!
//! A few thousand matters go through the real flows first; each closed,
//! ordinary one becomes a *template*. A copy is a template moved back in
//! time by a whole number of weeks (so weekdays and office hours stay
//! true), with a number, an id and an invented caller of its own. Every
//! row a matter owns is copied with it: the matter, its event chain, its
//! deadline clocks, its departments, the people named on it, its free texts
//! and its search document. The chain is rebuilt, not copied: each event's
//! payload gets the copy's number, times and caller digest, and every hash
//! is computed afresh, so `aiwei audit verify` checks a copy as it checks
//! any matter. The plain columns go from template row to copy row inside
//! the database (`INSERT … SELECT` joined to a per-batch map); only what
//! differs per copy is computed here.
//!
//! Templates are limited to what a copy can carry honestly: closed, not
//! sensitive (whose sealed texts are bound to their own row), no open clock,
//! nothing that points at other rows (merges, links, disclosures,
//! extensions, attachments, calls).

use aiwei_core::chain::{GENESIS, Link, link_hash};
use aiwei_core::{CallerKind, MatterId, MatterStatus, PhoneNumber, UserId};
use serde_json::Value;
use uuid::Uuid;

use crate::Store;
use crate::db::{Backend, Db, Tx};
use crate::error::StoreError;
use crate::events::digest;
use crate::matters::Sealed;

/// Millisecond instants lie in this range (2001 to 2286); no other number a
/// payload holds (seconds of ringing, versions, counts) comes near it.
const INSTANTS: std::ops::Range<i64> = 1_000_000_000_000..10_000_000_000_000;

/// A matter that copies are made of.
#[derive(Debug, Clone)]
pub struct Template {
    pub id: MatterId,
    /// Milliseconds since the epoch.
    pub received_at: i64,
    pub caller_kind: CallerKind,
    events: Vec<TemplateEvent>,
}

#[derive(Debug, Clone)]
struct TemplateEvent {
    seq: i64,
    at: i64,
    actor: Option<Uuid>,
    kind: String,
    payload: Value,
}

/// One copy to write.
#[derive(Debug, Clone)]
pub struct Copy {
    /// Index into the templates.
    pub template: usize,
    pub id: MatterId,
    pub number: String,
    /// Added to every instant of the template (negative: into the past).
    pub shift_ms: i64,
    pub caller_name: Option<String>,
    pub caller_organization: Option<String>,
    pub caller_phone: PhoneNumber,
}

/// The rows of one event, computed for a copy.
struct EventRow {
    matter: Uuid,
    seq: i64,
    at: i64,
    actor: Option<Uuid>,
    kind: String,
    payload: String,
    prev: String,
    hash: String,
}

/// What differs per copy in its matter row.
struct MapRow {
    ord: i64,
    id: Uuid,
    template: Uuid,
    number: String,
    shift: i64,
    caller_key: String,
    caller_sealed: Vec<u8>,
    phone_index: String,
    last_hash: String,
}

impl Store {
    /// The matters copies can be made of, oldest first, with their events.
    pub async fn copy_templates(&self) -> Result<Vec<Template>, StoreError> {
        let rows: Vec<(Uuid, i64, String)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT m.id, m.received_at, m.caller_kind FROM matters m
             WHERE m.status = $1 AND m.sensitive = $2 AND m.merged_into IS NULL
               AND m.caller_anonymised_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM matters x WHERE x.merged_into = m.id)
               AND NOT EXISTS (SELECT 1 FROM matter_links l WHERE l.a = m.id OR l.b = m.id)
               AND NOT EXISTS (SELECT 1 FROM disclosures d WHERE d.matter_id = m.id)
               AND NOT EXISTS (SELECT 1 FROM extension_requests e WHERE e.matter_id = m.id)
               AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.matter_id = m.id)
               AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.matter_id = m.id)
               AND NOT EXISTS (SELECT 1 FROM deadlines k WHERE k.matter_id = m.id
                               AND k.ended_at IS NULL)
               AND NOT EXISTS (SELECT 1 FROM matter_texts t WHERE t.matter_id = m.id
                               AND t.body_key IS NOT NULL)
             ORDER BY m.received_at, m.id")
            .bind(MatterStatus::Closed.as_str())
            .bind(false)
            .fetch_all(p)
            .await)?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, received_at, caller_kind) in rows {
            let caller_kind = CallerKind::parse(&caller_kind)
                .map_err(|_| StoreError::Corrupt("unknown caller kind".into()))?;
            let events: Vec<(i64, i64, Option<Uuid>, String, String)> = on_pool!(&self.db, p => sqlx::query_as(
                    "SELECT seq, at, actor, kind, payload FROM matter_events
                     WHERE matter_id = $1 ORDER BY seq")
                    .bind(id)
                    .fetch_all(p)
                    .await)?;
            let events = events
                .into_iter()
                .map(|(seq, at, actor, kind, payload)| {
                    let payload = serde_json::from_str(&payload)
                        .map_err(|_| StoreError::Corrupt("event payload is not JSON".into()))?;
                    Ok(TemplateEvent {
                        seq,
                        at,
                        actor,
                        kind,
                        payload,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            out.push(Template {
                id: MatterId(id),
                received_at,
                caller_kind,
                events,
            });
        }
        Ok(out)
    }

    /// The last number handed out for `prefix` in `year` (0: none yet).
    pub async fn sequence_last(&self, prefix: &str, year: i32) -> Result<i64, StoreError> {
        let last: Option<i64> = on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT last FROM matter_sequences WHERE prefix = $1 AND year = $2")
            .bind(prefix)
            .bind(year)
            .fetch_optional(p)
            .await)?;
        Ok(last.unwrap_or(0))
    }

    /// Records that numbers up to `last` of `prefix` in `year` are taken
    /// (never lowers it).
    pub async fn raise_sequence(
        &self,
        prefix: &str,
        year: i32,
        last: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO matter_sequences (prefix, year, last) VALUES ($1, $2, $3)
             ON CONFLICT (prefix, year) DO UPDATE SET last = CASE
                WHEN matter_sequences.last < excluded.last THEN excluded.last
                ELSE matter_sequences.last END")
            .bind(prefix)
            .bind(year)
            .bind(last)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        tx.commit().await?;
        Ok(())
    }

    /// Folds the ledger's tally and gathers the planner's statistics
    /// after a bulk load. The tally's deltas (one a copy on PostgreSQL)
    /// would otherwise wait for the first sweep of a server. PostgreSQL's
    /// planner chooses by them, and autovacuum gathers them only some time
    /// after a load: until then a page of the ledger export read every clock
    /// instead of its page's (0.5 s a page at 1,000,000 matters). SQLite
    /// keeps none unless asked, in production as here, and is left as it
    /// would be.
    pub async fn analyze_after_load(&self) -> Result<(), StoreError> {
        self.fold_tally().await?;
        if let Db::Postgres(p) = &self.db {
            sqlx::query("ANALYZE").execute(p).await?;
        }
        Ok(())
    }

    /// Writes `copies` of `templates` in one transaction, in the order
    /// given (the caller sorts them by time, so every index grows at its
    /// end).
    pub async fn write_copies(
        &self,
        templates: &[Template],
        copies: &[Copy],
    ) -> Result<(), StoreError> {
        let mut map = Vec::with_capacity(copies.len());
        let mut events = Vec::with_capacity(copies.len() * 8);
        for (ord, c) in copies.iter().enumerate() {
            let t = templates
                .get(c.template)
                .ok_or_else(|| StoreError::Config("copy of a template that is not there".into()))?;
            let sealed = Sealed {
                name: c.caller_name.clone(),
                organization: c.caller_organization.clone(),
                phone: c.caller_phone.as_str().to_owned(),
                content: None,
                answer: None,
            };
            let (caller_key, caller_sealed) = self.keys.seal_matter(c.id.0, &sealed)?;
            let caller_digest = digest(&format!(
                "{}\n{}\n{}",
                sealed.name.as_deref().unwrap_or(""),
                sealed.organization.as_deref().unwrap_or(""),
                sealed.phone
            ));
            let mut prev = GENESIS.to_owned();
            for e in &t.events {
                let mut payload = e.payload.clone();
                shift_instants(&mut payload, c.shift_ms);
                if let Value::Object(o) = &mut payload {
                    if o.contains_key("number") {
                        o.insert("number".into(), Value::String(c.number.clone()));
                    }
                    if o.contains_key("caller_sha256") {
                        o.insert("caller_sha256".into(), Value::String(caller_digest.clone()));
                    }
                }
                let payload = payload.to_string();
                let at = e.at + c.shift_ms;
                let hash = link_hash(
                    &prev,
                    &Link {
                        matter_id: c.id,
                        seq: e.seq,
                        at_ms: at,
                        actor: e.actor.map(UserId),
                        kind: &e.kind,
                        payload: &payload,
                    },
                );
                events.push(EventRow {
                    matter: c.id.0,
                    seq: e.seq,
                    at,
                    actor: e.actor,
                    kind: e.kind.clone(),
                    payload,
                    prev: std::mem::replace(&mut prev, hash.clone()),
                    hash,
                });
            }
            map.push(MapRow {
                ord: ord as i64,
                id: c.id.0,
                template: t.id.0,
                number: c.number.clone(),
                shift: c.shift_ms,
                caller_key,
                caller_sealed,
                phone_index: self.keys.phone_index(&c.caller_phone)?,
                last_hash: prev,
            });
        }

        let backend = self.backend();
        let mut tx = self.db.begin().await?;
        if backend == Backend::Sqlite {
            // A bulk load touches more pages than the default cache holds;
            // the writer keeps this for the life of the process (a loader's).
            on_tx!(&mut tx, c => sqlx::query("PRAGMA cache_size = -262144")
                .execute(c).await.map(|r| r.rows_affected()))?;
        }
        put_map(&mut tx, &map).await?;
        for sql in copy_statements(backend) {
            on_tx!(&mut tx, c => sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(c).await.map(|r| r.rows_affected()))?;
        }
        put_events(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Adds `shift` to every instant in `v`: the numbers in [`INSTANTS`].
fn shift_instants(v: &mut Value, shift: i64) {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64().filter(|i| INSTANTS.contains(i)) {
                *v = Value::from(i + shift);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| shift_instants(x, shift)),
        Value::Object(o) => o.values_mut().for_each(|x| shift_instants(x, shift)),
        _ => {}
    }
}

/// The plain columns of a template's rows, copied under the map. The
/// map's `ord` keeps the caller's order, so rows land as sorted.
fn copy_statements(backend: Backend) -> Vec<String> {
    let new_uuid = match backend {
        // A version 4 UUID from SQLite's random bytes.
        Backend::Sqlite => {
            "unhex(substr(hex(randomblob(6)), 1, 12) || '4' || substr(hex(randomblob(2)), 2, 3) \
             || '8' || substr(hex(randomblob(8)), 2, 15))"
        }
        Backend::Postgres => "gen_random_uuid()",
    };
    let mut out = vec![
        "INSERT INTO matters (id, number, channel, received_at, ring_seconds, arrived_at,
            intake_user, department, caller_kind, caller_name, caller_org, caller_phone,
            caller_phone_hash, caller_key, caller_sealed, matter_type, category, content,
            address, area_code, latitude, longitude, sensitive, status, answer, agreed_reply_at,
            closed_at, created_at, updated_at, event_count, last_hash, lead_department,
            return_count, redo_count, caller_to_be_told, urgent, satisfaction, answered_article,
            answered_version, suggested_category, suggested_department)
         SELECT b.id, b.number, t.channel, t.received_at + b.shift, t.ring_seconds,
            t.arrived_at + b.shift, t.intake_user, t.department, t.caller_kind, t.caller_name,
            t.caller_org, t.caller_phone, b.phone_index, b.caller_key, b.caller_sealed,
            t.matter_type, t.category, t.content, t.address, t.area_code, t.latitude,
            t.longitude, t.sensitive, t.status, t.answer, t.agreed_reply_at + b.shift,
            t.closed_at + b.shift, t.created_at + b.shift, t.updated_at + b.shift,
            t.event_count, b.last_hash, t.lead_department, t.return_count, t.redo_count,
            t.caller_to_be_told, t.urgent, t.satisfaction, t.answered_article,
            t.answered_version, t.suggested_category, t.suggested_department
         FROM bulk_map b JOIN matters t ON t.id = b.template ORDER BY b.ord"
            .to_owned(),
        format!(
            "INSERT INTO deadlines (id, matter_id, kind, started_at, due_at, warn_at, state,
                policy_version, ended_at)
             SELECT {new_uuid}, b.id, d.kind, d.started_at + b.shift, d.due_at + b.shift,
                d.warn_at + b.shift, d.state, d.policy_version, d.ended_at + b.shift
             FROM bulk_map b JOIN deadlines d ON d.matter_id = b.template
             ORDER BY b.ord, d.started_at"
        ),
        "INSERT INTO matter_texts (matter_id, seq, field, body)
         SELECT b.id, x.seq, x.field, x.body
         FROM bulk_map b JOIN matter_texts x ON x.matter_id = b.template ORDER BY b.ord"
            .to_owned(),
        "INSERT INTO matter_departments (matter_id, department_code)
         SELECT b.id, x.department_code
         FROM bulk_map b JOIN matter_departments x ON x.matter_id = b.template ORDER BY b.ord"
            .to_owned(),
        "INSERT INTO matter_people (matter_id, user_id)
         SELECT b.id, x.user_id
         FROM bulk_map b JOIN matter_people x ON x.matter_id = b.template ORDER BY b.ord"
            .to_owned(),
    ];
    match backend {
        Backend::Sqlite => {
            out.push(
                "INSERT INTO search_docs (matter_id)
                 SELECT b.id FROM bulk_map b
                 WHERE EXISTS (SELECT 1 FROM search_docs d WHERE d.matter_id = b.template)
                 ORDER BY b.ord"
                    .to_owned(),
            );
            out.push(
                "INSERT INTO matter_search (rowid, doc)
                 SELECT n.rowid, s.doc FROM bulk_map b
                 JOIN search_docs n ON n.matter_id = b.id
                 JOIN search_docs o ON o.matter_id = b.template
                 JOIN matter_search s ON s.rowid = o.rowid
                 ORDER BY b.ord"
                    .to_owned(),
            );
        }
        Backend::Postgres => out.push(
            "INSERT INTO matter_search (matter_id, doc)
             SELECT b.id, s.doc FROM bulk_map b JOIN matter_search s ON s.matter_id = b.template
             ORDER BY b.ord"
                .to_owned(),
        ),
    }
    out
}

/// Fills this transaction's `bulk_map` with `rows` (a temporary table, made
/// on first use by the connection and emptied here).
async fn put_map(tx: &mut Tx, rows: &[MapRow]) -> Result<(), StoreError> {
    use crate::rows::{Column, Rows};
    // Dialect: the temporary table's column types.
    let (create, empty) = match tx.backend() {
        Backend::Sqlite => (
            "CREATE TEMP TABLE IF NOT EXISTS bulk_map (ord INTEGER PRIMARY KEY, id BLOB,
                template BLOB, number TEXT, shift INTEGER, caller_key TEXT,
                caller_sealed BLOB, phone_index TEXT, last_hash TEXT)",
            "DELETE FROM bulk_map",
        ),
        // `IF NOT EXISTS` would send a notice for every batch after the
        // first, which the builder's output would show.
        Backend::Postgres => (
            "DO $$ BEGIN
               IF to_regclass('pg_temp.bulk_map') IS NULL THEN
                 CREATE TEMP TABLE bulk_map (ord BIGINT PRIMARY KEY, id UUID,
                   template UUID, number TEXT, shift BIGINT, caller_key TEXT,
                   caller_sealed BYTEA, phone_index TEXT, last_hash TEXT);
               END IF;
             END $$",
            "TRUNCATE bulk_map",
        ),
    };
    for sql in [create, empty] {
        on_tx!(&mut *tx, c => sqlx::query(sql).execute(c).await.map(|_| ()))?;
    }
    Rows::new(
        "ord, id, template, number, shift, caller_key, caller_sealed, phone_index, last_hash",
        vec![
            Column::Int(rows.iter().map(|r| r.ord).collect()),
            Column::Uuid(rows.iter().map(|r| r.id).collect()),
            Column::Uuid(rows.iter().map(|r| r.template).collect()),
            Column::Text(rows.iter().map(|r| r.number.as_str()).collect()),
            Column::Int(rows.iter().map(|r| r.shift).collect()),
            Column::Text(rows.iter().map(|r| r.caller_key.as_str()).collect()),
            Column::Bytes(rows.iter().map(|r| r.caller_sealed.as_slice()).collect()),
            Column::Text(rows.iter().map(|r| r.phone_index.as_str()).collect()),
            Column::Text(rows.iter().map(|r| r.last_hash.as_str()).collect()),
        ],
    )?
    .execute(
        tx,
        "INSERT INTO bulk_map (ord, id, template, number, shift, caller_key, caller_sealed,
            phone_index, last_hash)
         SELECT ord, id, template, number, shift, caller_key, caller_sealed, phone_index,
            last_hash FROM v",
    )
    .await?;
    if tx.backend() == Backend::Postgres {
        // The planner would otherwise guess at an empty temporary table.
        on_tx!(&mut *tx, c => sqlx::query("ANALYZE bulk_map").execute(c).await.map(|_| ()))?;
    }
    Ok(())
}

/// Writes the copies' events.
async fn put_events(tx: &mut Tx, rows: &[EventRow]) -> Result<(), StoreError> {
    crate::events::EventColumns {
        matter: rows.iter().map(|r| r.matter).collect(),
        seq: rows.iter().map(|r| r.seq).collect(),
        at: rows.iter().map(|r| r.at).collect(),
        actor: rows.iter().map(|r| r.actor).collect(),
        kind: rows.iter().map(|r| r.kind.as_str()).collect(),
        payload: rows.iter().map(|r| r.payload.as_str()).collect(),
        prev: rows.iter().map(|r| r.prev.as_str()).collect(),
        hash: rows.iter().map(|r| r.hash.as_str()).collect(),
    }
    .insert(tx)
    .await
}

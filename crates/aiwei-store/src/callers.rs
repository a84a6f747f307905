//! What is sealed at rest: callers' personal data and the content
//! and step texts of sensitive matters. Re-sealing under the
//! current key (key rotation, and rows written before sealing existed), what
//! each key still protects, and anonymisation on a caller's request.
//!
//! Re-sealing works in batches, each its own transaction, so it can be
//! interrupted at any point and resumed by running it again: a row is either
//! still under its old key or already under the new one.

use aiwei_core::time::to_millis;
use aiwei_core::{AuditAction, ErrorCode, EventKind, MatterId, PhoneNumber};
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::Store;
use crate::db::Backend;
use crate::error::StoreError;
use crate::events::{append_event, digest};
use crate::matters::Sealed;
use crate::trail::{AuditActor, append_audit};

/// How many matters and sealed step texts one key protects (`None`: not
/// sealed yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUsage {
    pub key: Option<String>,
    pub matters: i64,
    pub texts: i64,
}

#[derive(sqlx::FromRow)]
struct SealRow {
    id: Uuid,
    caller_key: Option<String>,
    caller_sealed: Option<Vec<u8>>,
    caller_name: Option<String>,
    caller_org: Option<String>,
    caller_phone: String,
    caller_anonymised_at: Option<i64>,
    sensitive: bool,
    content: String,
    answer: Option<String>,
}

/// A sealed part as it stands, whether sealed yet or not (a row from before
/// sealing keeps its caller in the old columns, and a sensitive matter from
/// before content sealing keeps its content in clear).
fn sealed_part(store: &Store, r: &SealRow) -> Result<Sealed, StoreError> {
    let mut part = match (&r.caller_key, &r.caller_sealed) {
        (Some(k), Some(sealed)) => store.keys.open_matter_part(r.id, k, sealed)?,
        _ => Sealed {
            name: r.caller_name.clone(),
            organization: r.caller_org.clone(),
            phone: r.caller_phone.clone(),
            content: None,
            answer: None,
        },
    };
    if r.sensitive {
        if part.content.is_none() {
            part.content = Some(r.content.clone());
        }
        if part.answer.is_none() {
            part.answer = r.answer.clone();
        }
    }
    Ok(part)
}

/// What an anonymisation changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anonymised {
    /// The matters of the caller, by number.
    pub matters: Vec<String>,
    /// Free texts in which the caller's name or number was blanked out.
    pub texts_redacted: u64,
}

/// The mark that replaces erased personal data in free text.
pub const REDACTED: &str = "［已匿名］";

fn redact(text: &str, needles: &[String]) -> Option<String> {
    let mut out = text.to_owned();
    for n in needles {
        out = out.replace(n.as_str(), REDACTED);
    }
    (out != text).then_some(out)
}

impl Store {
    /// Matters and sealed texts per key id.
    pub async fn key_usage(&self) -> Result<Vec<KeyUsage>, StoreError> {
        let matters: Vec<(Option<String>, i64)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT caller_key, COUNT(*) FROM matters GROUP BY caller_key ORDER BY caller_key")
            .fetch_all(p)
            .await)?;
        let texts: Vec<(Option<String>, i64)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT body_key, COUNT(*) FROM matter_texts WHERE body_key IS NOT NULL
             GROUP BY body_key ORDER BY body_key")
            .fetch_all(p)
            .await)?;
        let mut out: Vec<KeyUsage> = matters
            .into_iter()
            .map(|(key, matters)| KeyUsage {
                key,
                matters,
                texts: 0,
            })
            .collect();
        for (key, n) in texts {
            match out.iter_mut().find(|u| u.key == key) {
                Some(u) => u.texts = n,
                None => out.push(KeyUsage {
                    key,
                    matters: 0,
                    texts: n,
                }),
            }
        }
        Ok(out)
    }

    /// Re-seals up to `batch` matters that are not under the current key
    /// (with `only_unsealed`, only rows from before sealing: callers in the
    /// old columns, sensitive content in clear), recomputing their phone
    /// index under it. Returns how many it re-sealed; 0 means none is left.
    pub async fn reseal_batch(&self, batch: u32, only_unsealed: bool) -> Result<u64, StoreError> {
        let current = self.keys.current_id()?;
        let mut tx = self.db.begin().await?;
        let filter = if only_unsealed {
            "(caller_sealed IS NULL OR (sensitive = TRUE AND (content <> '' OR answer IS NOT NULL)))"
        } else {
            "(caller_key IS NULL OR caller_key <> $1)"
        };
        // Dialect: PostgreSQL locks the rows against a concurrent change;
        // SQLite already holds the write lock.
        let lock = match tx.backend() {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "SELECT id, caller_key, caller_sealed, caller_name, caller_org, caller_phone,
                    caller_anonymised_at, sensitive, content, answer
             FROM matters WHERE {filter} AND $1 = $1 ORDER BY id LIMIT $2{lock}"
        );
        let rows: Vec<SealRow> = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(&current)
            .bind(i64::from(batch))
            .fetch_all(c)
            .await)?;
        for r in &rows {
            let part = sealed_part(self, r)?;
            let index = if r.caller_anonymised_at.is_some() || part.phone.is_empty() {
                String::new()
            } else {
                let p = PhoneNumber::parse("caller.phone", &part.phone)
                    .map_err(|_| StoreError::Corrupt("stored phone number".into()))?;
                self.keys.phone_index(&p)?
            };
            let (key, sealed) = self.keys.seal_matter(r.id, &part)?;
            let (content, answer) = if r.sensitive {
                (String::new(), None)
            } else {
                (r.content.clone(), r.answer.clone())
            };
            on_tx!(&mut tx, c => sqlx::query(
                "UPDATE matters SET caller_key = $1, caller_sealed = $2, caller_phone_hash = $3,
                    caller_name = NULL, caller_org = NULL, caller_phone = '', content = $5,
                    answer = $6
                 WHERE id = $4")
                .bind(&key)
                .bind(&sealed)
                .bind(&index)
                .bind(r.id)
                .bind(&content)
                .bind(&answer)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(rows.len() as u64)
    }

    /// Re-seals up to `batch` step texts of sensitive matters that are not
    /// under the current key (with `only_unsealed`, only those still in
    /// clear). Returns how many.
    pub async fn reseal_texts_batch(
        &self,
        batch: u32,
        only_unsealed: bool,
    ) -> Result<u64, StoreError> {
        let current = self.keys.current_id()?;
        let mut tx = self.db.begin().await?;
        let filter = if only_unsealed {
            "t.body_sealed IS NULL AND m.sensitive = TRUE"
        } else {
            "((t.body_sealed IS NULL AND m.sensitive = TRUE) OR t.body_key <> $1)"
        };
        let sql = format!(
            "SELECT t.matter_id, t.seq, t.field, t.body, t.body_key, t.body_sealed
             FROM matter_texts t JOIN matters m ON m.id = t.matter_id
             WHERE {filter} AND $1 = $1 ORDER BY t.matter_id, t.seq, t.field LIMIT $2"
        );
        let rows: Vec<(Uuid, crate::events::TextRow)> = on_tx!(&mut tx, c => {
            sqlx::query_as::<_, (Uuid, i64, String, String, Option<String>, Option<Vec<u8>>)>(
                sqlx::AssertSqlSafe(sql.clone()))
                .bind(&current)
                .bind(i64::from(batch))
                .fetch_all(c)
                .await
        })?
        .into_iter()
        .map(|(m, seq, field, body, body_key, body_sealed)| {
            (
                m,
                crate::events::TextRow {
                    seq,
                    field,
                    body,
                    body_key,
                    body_sealed,
                },
            )
        })
        .collect();
        let n = rows.len() as u64;
        for (matter, t) in rows {
            let (seq, field) = (t.seq, t.field.clone());
            let text = self.open_text_row(MatterId(matter), t)?;
            crate::events::put_text(
                &self.keys,
                &mut tx,
                MatterId(matter),
                true,
                seq,
                &field,
                &text,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Whether any row from before sealing is left: a caller in the old
    /// columns (no key: key and ciphertext are always written together),
    /// sensitive content or step texts in clear. Read through the key's
    /// index and the sensitive matters' (migration 0032), so a start costs
    /// the same on a ledger of any size; the batches below walk in id order
    /// and would read all of it.
    async fn anything_unsealed(&self) -> Result<bool, StoreError> {
        Ok(on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM matters WHERE caller_key IS NULL)
                OR EXISTS (SELECT 1 FROM matters WHERE sensitive = TRUE
                           AND (content <> '' OR answer IS NOT NULL))
                OR EXISTS (SELECT 1 FROM matters m JOIN matter_texts t ON t.matter_id = m.id
                           WHERE m.sensitive = TRUE AND t.body_sealed IS NULL)")
            .fetch_one(p)
            .await)?)
    }

    /// Re-seals every matter not under the current key, in batches;
    /// `progress` hears the running total after each batch.
    pub async fn reseal_all(
        &self,
        batch: u32,
        only_unsealed: bool,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, StoreError> {
        // Every start asks; only a database from before sealing answers yes.
        if only_unsealed && !self.anything_unsealed().await? {
            return Ok(0);
        }
        let mut total = 0;
        loop {
            let n = self.reseal_batch(batch, only_unsealed).await?;
            if n == 0 {
                break;
            }
            total += n;
            progress(total);
        }
        loop {
            let n = self.reseal_texts_batch(batch, only_unsealed).await?;
            if n == 0 {
                break;
            }
            total += n;
            progress(total);
        }
        if total > 0 {
            self.flush_erased().await?;
        }
        Ok(total)
    }

    /// Erases the personal data of the caller of matter `id` (R-5, on the
    /// caller's request): on every matter with the same phone number the
    /// name, organisation and number are replaced, literal occurrences of
    /// them in the matter's free texts are blanked out, and an event records
    /// it. Matters, events, deadlines and statistics remain.
    pub async fn anonymise_caller(
        &self,
        id: MatterId,
        by: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<Anonymised, StoreError> {
        let first = self.matter(id).await?;
        if first.caller.anonymised {
            return Err(StoreError::Conflict(ErrorCode::AlreadyAnonymised));
        }
        let mut ids = vec![first.id];
        if let Ok(phone) = PhoneNumber::parse("caller.phone", &first.caller.phone) {
            let filter = crate::matters::LedgerFilter {
                phone_index: self.keys.phone_indexes(&phone)?,
                ..Default::default()
            };
            let mut after = None;
            loop {
                let (page, next) = self
                    .ledger(&filter, &aiwei_core::access::EVERYTHING, after, 500)
                    .await?;
                ids.extend(page.iter().map(|m| m.id).filter(|m| *m != first.id));
                match next {
                    Some(c) => after = Some(c),
                    None => break,
                }
            }
        }
        let mut out = Anonymised {
            matters: Vec::new(),
            texts_redacted: 0,
        };
        let mut tx = self.db.begin().await?;
        for mid in ids {
            let m = self.matter(mid).await?;
            let needles: Vec<String> = [
                m.caller.name.clone(),
                m.caller.organization.clone(),
                Some(m.caller.phone.clone()),
            ]
            .into_iter()
            .flatten()
            // Very short names would blank out ordinary words.
            .filter(|n| n.chars().count() >= 2)
            .collect();
            let content = redact(&m.content, &needles);
            let answer = m.answer.as_deref().and_then(|a| redact(a, &needles));
            let new_content = content.clone().unwrap_or_else(|| m.content.clone());
            let new_answer = answer.clone().or_else(|| m.answer.clone());
            // The caller goes; a sensitive matter's content and answer stay
            // sealed, as redacted.
            let (key, sealed) = self.keys.seal_matter(
                mid.0,
                &Sealed {
                    content: m.sensitive.then(|| new_content.clone()),
                    answer: if m.sensitive {
                        new_answer.clone()
                    } else {
                        None
                    },
                    ..Sealed::default()
                },
            )?;
            let (content_column, answer_column) = if m.sensitive {
                (String::new(), None)
            } else {
                (new_content, new_answer)
            };
            on_tx!(&mut tx, c => sqlx::query(
                "UPDATE matters SET caller_key = $1, caller_sealed = $2, caller_phone_hash = '',
                    caller_anonymised_at = $3, content = $4, answer = $5
                 WHERE id = $6")
                .bind(&key)
                .bind(&sealed)
                .bind(to_millis(now))
                .bind(&content_column)
                .bind(&answer_column)
                .bind(mid.0)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
            let texts: Vec<crate::events::TextRow> = on_tx!(&mut tx, c => sqlx::query_as(
                "SELECT seq, field, body, body_key, body_sealed FROM matter_texts WHERE matter_id = $1")
                .bind(mid.0)
                .fetch_all(c)
                .await)?;
            let mut redacted = 0u64;
            for t in texts {
                let (seq, field) = (t.seq, t.field.clone());
                let body = self.open_text_row(mid, t)?;
                if let Some(new) = redact(&body, &needles) {
                    crate::events::put_text(
                        &self.keys,
                        &mut tx,
                        mid,
                        m.sensitive,
                        seq,
                        &field,
                        &new,
                    )
                    .await?;
                    redacted += 1;
                }
            }
            // The chain keeps digests only; the event states the new digest
            // of the content so the ledger still proves what it holds.
            let payload = json!({
                "content_sha256": content.as_deref().map(digest),
                "texts_redacted": redacted,
            });
            append_event(
                &mut tx,
                mid,
                by.user,
                EventKind::CallerAnonymised,
                &payload,
                now,
            )
            .await?;
            // The erased caller must not stay findable through the index.
            crate::search::reindex(&mut tx, mid).await?;
            out.texts_redacted += redacted;
            out.matters.push(m.number);
        }
        let detail = json!({ "matters": out.matters, "texts_redacted": out.texts_redacted });
        append_audit(
            &mut tx,
            &by.entry(AuditAction::CallerAnonymise, Some(&first.number), detail),
            now,
        )
        .await?;
        tx.commit().await?;
        self.flush_erased().await?;
        Ok(out)
    }

    /// On SQLite, moves rewritten pages into the main file and zeroes the
    /// old ones (`secure_delete`), so no replaced plaintext lingers in the
    /// WAL or the file. PostgreSQL keeps old row versions until `VACUUM`.
    async fn flush_erased(&self) -> Result<(), StoreError> {
        if self.backend() == Backend::Sqlite {
            on_pool!(&self.db, p => sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(p)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_blanks_every_occurrence_and_reports_no_change() {
        let needles = vec!["张三".to_owned(), "13812345678".to_owned()];
        assert_eq!(
            redact("张三来电，电话13812345678，张三称", &needles).unwrap(),
            format!("{REDACTED}来电，电话{REDACTED}，{REDACTED}称")
        );
        assert_eq!(redact("无关内容", &needles), None);
    }
}

//! The full-text index of matters, kept in the transaction of every write
//! that changes a matter's texts, and its rendering of a query into each
//! backend's syntax. The tokens are the core's ([`aiwei_core::search`]);
//! only how they are written differs: SQLite FTS5 takes them as words
//! separated by spaces, PostgreSQL as a `tsvector` literal with positions.
//! A sensitive matter's texts are sealed and never indexed.

use std::collections::BTreeMap;

use aiwei_core::MatterId;
use aiwei_core::search::{Piece, pieces};
use uuid::Uuid;

use crate::Store;
use crate::db::{Backend, Tx};
use crate::error::StoreError;

/// What separates two runs in an FTS5 document: a token of two characters,
/// which no query (one character per token) ever asks for.
const FTS_BOUNDARY: &str = "qq";

/// PostgreSQL keeps positions up to this, and this many per lexeme.
const PG_MAX_POSITION: usize = 16_383;
const PG_MAX_POSITIONS: usize = 256;

/// A condition of a search, prepared for SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextCond {
    /// The matter's texts hold these letters and digits, adjacent.
    Phrase(Vec<char>),
    /// The matter with this number.
    Number(String),
    /// The caller's phone (blind indexes of the key ring), or the digits in
    /// the texts.
    Phone {
        indexes: Vec<String>,
        digits: Vec<char>,
    },
}

/// The FTS5 document of `texts`.
pub(crate) fn fts_doc(texts: &[&str]) -> String {
    let mut out: Vec<String> = Vec::new();
    for t in texts {
        if !out.is_empty() {
            out.push(FTS_BOUNDARY.to_owned());
        }
        for p in pieces(t) {
            out.push(match p {
                Piece::Token(c) => c.to_string(),
                Piece::Boundary => FTS_BOUNDARY.to_owned(),
            });
        }
    }
    out.join(" ")
}

/// The `tsvector` literal of `texts`: each token with its positions; a
/// boundary leaves a position empty so no phrase spans it.
fn pg_doc(texts: &[&str]) -> String {
    let parts: Vec<(&str, bool)> = texts.iter().map(|t| (*t, false)).collect();
    pg_doc_weighted(&parts)
}

/// Like [`pg_doc`], the positions of texts marked `true` weighted `A` so
/// that `ts_rank` counts them more (an article's title).
pub(crate) fn pg_doc_weighted(texts: &[(&str, bool)]) -> String {
    let mut at: BTreeMap<char, Vec<String>> = BTreeMap::new();
    let mut pos = 0usize;
    for (t, heavy) in texts {
        pos += 1;
        for p in pieces(t) {
            pos += 1;
            if let Piece::Token(c) = p {
                let list = at.entry(c).or_default();
                if list.len() < PG_MAX_POSITIONS {
                    let at = pos.min(PG_MAX_POSITION);
                    list.push(if *heavy {
                        format!("{at}A")
                    } else {
                        at.to_string()
                    });
                }
            }
        }
    }
    at.iter()
        .map(|(c, ps)| format!("'{}':{}", lexeme(*c), ps.join(",")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A token as a quoted lexeme: letters and digits only, but quotes and
/// backslashes are escaped all the same.
fn lexeme(c: char) -> String {
    match c {
        '\'' => "''".to_owned(),
        '\\' => "\\\\".to_owned(),
        c => c.to_string(),
    }
}

/// The FTS5 MATCH expression of a phrase.
pub(crate) fn fts_phrase(run: &[char]) -> String {
    let words: Vec<String> = run
        .iter()
        .map(|c| {
            if *c == '"' {
                "\"\"".to_owned()
            } else {
                c.to_string()
            }
        })
        .collect();
    format!("\"{}\"", words.join(" "))
}

/// The `tsquery` literal of a phrase.
pub(crate) fn pg_phrase(run: &[char]) -> String {
    let words: Vec<String> = run.iter().map(|c| format!("'{}'", lexeme(*c))).collect();
    words.join(" <-> ")
}

/// The runs a relevance ranking weighs: those of the phrase and phone
/// conditions (a matter number has nothing to rank by).
pub fn rank_runs(conds: &[TextCond]) -> Vec<&[char]> {
    conds
        .iter()
        .filter_map(|c| match c {
            TextCond::Phrase(r) => Some(r.as_slice()),
            TextCond::Phone { digits, .. } => Some(digits.as_slice()),
            TextCond::Number(_) => None,
        })
        .collect()
}

/// The conditions a ranking by [`rank_runs`] does not already hold: its
/// subquery keeps only documents holding every run, so a phrase, or the
/// digits of a phone (which the ranking asks for in the text), need not be
/// matched a second time; a matter number must.
pub(crate) fn unranked(conds: &[TextCond]) -> Vec<TextCond> {
    conds
        .iter()
        .filter(|c| matches!(c, TextCond::Number(_)))
        .cloned()
        .collect()
}

/// Appends a subquery `(document id, score)` over `table` (the documents
/// of matters or of articles) of the documents holding every run, where a
/// lower score is more relevant: FTS5's `bm25` with `weights` per column,
/// PostgreSQL's negated `ts_rank`. Dialect-specific, as search is.
pub(crate) fn push_rank<DB>(
    q: &mut sqlx::QueryBuilder<DB>,
    backend: Backend,
    kind: RankOf,
    runs: &[&[char]],
) where
    DB: sqlx::Database,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    match backend {
        Backend::Sqlite => {
            match kind {
                RankOf::Matters => q.push(
                    "(SELECT d.matter_id AS doc_id, bm25(matter_search) AS score FROM matter_search \
                     JOIN search_docs d ON d.rowid = matter_search.rowid WHERE matter_search MATCH ",
                ),
                RankOf::Articles => q.push(
                    "(SELECT article_id AS doc_id, bm25(article_search, 0.0, 4.0, 1.0) AS score \
                     FROM article_search WHERE article_search MATCH ",
                ),
            };
            q.push_bind(engine_query(backend, runs, Combine::All))
                .push(")");
        }
        Backend::Postgres => {
            let (id, table) = match kind {
                RankOf::Matters => ("matter_id", "matter_search"),
                RankOf::Articles => ("article_id", "article_search"),
            };
            q.push(format!(
                "(SELECT s.{id} AS doc_id, -ts_rank(s.doc, t.q) AS score FROM {table} s, \
                 (SELECT CAST("
            ))
            .push_bind(engine_query(backend, runs, Combine::All))
            .push(" AS tsquery) AS q) t WHERE s.doc @@ t.q)");
        }
    }
}

/// Whose documents a ranking reads.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RankOf {
    Matters,
    Articles,
}

/// Which side of a search reads first. A common character is in a quarter
/// of the ledger, a rare word in a handful of matters, and neither engine
/// can tell which from its statistics (SQLite has none for FTS5; PostgreSQL
/// multiplies the frequencies of a phrase's characters, which underestimates
/// an address by a factor of thirty). So the store counts the matches first,
/// cheaply and up to a bound ([`Store::text_drives`]), and picks the side:
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drive {
    /// The index's list of matches, each looked up and the lot sorted:
    /// cheap when the matches are few, and costly in proportion to them.
    Matches,
    /// The ledger's rows in their order (or another filter's index), each
    /// checked against the index's matches; a page stops at its last row,
    /// so this is cheap when the matches are many.
    Ledger,
}

/// The match counts beyond which a search walks the ledger instead of
/// reading its matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DriveBounds {
    /// A page of a search whose matches number at most this reads them all
    /// and sorts them; beyond it, it walks the ledger.
    pub page: i64,
    /// On SQLite, a capped count whose matches number at most this reads
    /// them all; beyond it, it walks the ledger until the cap. A count
    /// needs many more rows than a page, so the walk pays off only later.
    /// On PostgreSQL the planner streams a capped count well from either
    /// side, and this is not used.
    pub count: i64,
}

/// Measured at 1,000,000 matters (docs/BENCHMARKS.md): the two sides of a
/// page cost about the same at 5,000 matches, those of a count of up to
/// 10,000 at about 50,000.
impl Default for DriveBounds {
    fn default() -> Self {
        Self {
            page: 5_000,
            count: 50_000,
        }
    }
}

/// The sides a search's page and its count read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drives {
    pub page: Drive,
    pub count: Drive,
    /// The documents holding every phrase, counted up to `bound + 1`
    /// (`None`: not counted, the search has no phrase or a number or
    /// phone).
    pub found: Option<Found>,
}

/// Documents counted up to a bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub n: i64,
    pub bound: i64,
}

impl Found {
    /// The total of the matters these documents belong to, as a count up
    /// to `limit` would give it, when the count tells it: exactly up to
    /// the bound, and "more" beyond the limit.
    pub(crate) fn tally(self, limit: i64) -> Option<crate::matters::Tally> {
        (self.n <= self.bound || self.n > limit).then(|| crate::matters::Tally::of(self.n, limit))
    }
}

impl Drives {
    /// What a ledger without words, or a search for a number or a phone,
    /// reads from: the matches (or the filters' indexes), as the planner
    /// chooses.
    pub const MATCHES: Drives = Drives {
        page: Drive::Matches,
        count: Drive::Matches,
        found: None,
    };
}

/// Appends ` AND (<the matter matches every condition>)` for a query over
/// `matters m`, reading from the side `drive` names. Every phrase goes into
/// one engine query (FTS5 `AND`, `tsquery` `&`), which intersects them
/// inside the index.
pub(crate) fn push_texts<DB>(
    q: &mut sqlx::QueryBuilder<DB>,
    backend: Backend,
    conds: &[TextCond],
    drive: Drive,
) where
    DB: sqlx::Database,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let runs: Vec<&[char]> = conds
        .iter()
        .filter_map(|c| match c {
            TextCond::Phrase(r) => Some(r.as_slice()),
            _ => None,
        })
        .collect();
    if !runs.is_empty() {
        q.push(" AND ");
        push_match(q, backend, &runs, drive);
    }
    for c in conds {
        match c {
            TextCond::Phrase(_) => {}
            TextCond::Number(n) => {
                q.push(" AND m.number = ").push_bind(n.clone());
            }
            TextCond::Phone { indexes, digits } => {
                q.push(" AND (m.caller_phone_hash IN (");
                let mut sep = q.separated(", ");
                for h in indexes {
                    sep.push_bind(h.clone());
                }
                sep.push_unseparated(") OR ");
                push_match(q, backend, &[digits.as_slice()], Drive::Matches);
                q.push(")");
            }
        }
    }
}

/// How an engine query combines its runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Combine {
    /// Every run must occur.
    All,
    /// Any run will do (ranking by how many occur).
    Any,
}

/// The engine query of `runs`, combined as `how` says.
pub(crate) fn engine_query(backend: Backend, runs: &[&[char]], how: Combine) -> String {
    let (phrases, join): (Vec<String>, &str) = match backend {
        Backend::Sqlite => (
            runs.iter().map(|r| fts_phrase(r)).collect(),
            match how {
                Combine::All => " AND ",
                Combine::Any => " OR ",
            },
        ),
        Backend::Postgres => (
            runs.iter().map(|r| format!("({})", pg_phrase(r))).collect(),
            match how {
                Combine::All => " & ",
                Combine::Any => " | ",
            },
        ),
    };
    phrases.join(join)
}

/// Appends the condition "matter `m` holds every run", in the shape that
/// makes the engine read from `drive`'s side. Dialect-specific, as search
/// is: SQLite lists the FTS5 rowids once and checks each matter's document
/// rowid against the list; PostgreSQL's `OFFSET 0` keeps the subquery
/// correlated, so the planner cannot turn it into a join that reads every
/// match.
fn push_match<DB>(q: &mut sqlx::QueryBuilder<DB>, backend: Backend, runs: &[&[char]], drive: Drive)
where
    DB: sqlx::Database,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let query = engine_query(backend, runs, Combine::All);
    match (backend, drive) {
        (Backend::Sqlite, Drive::Matches) => q
            .push(
                "m.id IN (SELECT d.matter_id FROM search_docs d WHERE d.rowid IN \
                 (SELECT rowid FROM matter_search WHERE matter_search MATCH ",
            )
            .push_bind(query)
            .push("))"),
        (Backend::Sqlite, Drive::Ledger) => q
            .push(
                "(SELECT d.rowid FROM search_docs d WHERE d.matter_id = m.id) IN \
                 (SELECT rowid FROM matter_search WHERE matter_search MATCH ",
            )
            .push_bind(query)
            .push(")"),
        (Backend::Postgres, Drive::Matches) => q
            .push("m.id IN (SELECT s.matter_id FROM matter_search s WHERE s.doc @@ ")
            .push_bind(query)
            .push("::tsquery)"),
        (Backend::Postgres, Drive::Ledger) => q
            .push("EXISTS (SELECT 1 FROM matter_search s WHERE s.matter_id = m.id AND s.doc @@ ")
            .push_bind(query)
            .push("::tsquery OFFSET 0)"),
    };
}

impl Store {
    /// The sides a search of `conds` should read from, its page and its
    /// count: counts the documents holding every phrase, up to the bounds (on
    /// SQLite from the FTS5 doclists alone, a few milliseconds for 50,000;
    /// on PostgreSQL from the GIN index and the documents it points to, so
    /// only as far as a page's choice needs, or as the total that follows
    /// it, `count_limit`, does: that count may then be the total). A
    /// matter number or a phone finds a handful: the matches.
    pub async fn text_drives(
        &self,
        conds: &[TextCond],
        count_limit: Option<i64>,
    ) -> Result<Drives, StoreError> {
        let mut runs = Vec::new();
        for c in conds {
            match c {
                TextCond::Phrase(r) => runs.push(r.as_slice()),
                TextCond::Number(_) | TextCond::Phone { .. } => return Ok(Drives::MATCHES),
            }
        }
        if runs.is_empty() {
            return Ok(Drives::MATCHES);
        }
        let backend = self.backend();
        let query = engine_query(backend, &runs, Combine::All);
        let bounds = self.drive_bounds;
        let bound = match backend {
            Backend::Sqlite => bounds.page.max(bounds.count),
            Backend::Postgres => bounds.page,
        }
        .max(count_limit.unwrap_or(0));
        let n: i64 = on_pool!(&self.db, p => {
            let sql = match backend {
                Backend::Sqlite => "SELECT COUNT(*) FROM (SELECT rowid FROM matter_search \
                                    WHERE matter_search MATCH $1 LIMIT $2)",
                Backend::Postgres => "SELECT COUNT(*) FROM (SELECT 1 FROM matter_search \
                                      WHERE doc @@ $1::tsquery LIMIT $2) c",
            };
            sqlx::query_scalar(sql).bind(query).bind(bound + 1).fetch_one(p).await
        })?;
        let side = |bound: i64| {
            if n > bound {
                Drive::Ledger
            } else {
                Drive::Matches
            }
        };
        Ok(Drives {
            page: side(bounds.page),
            count: match backend {
                Backend::Sqlite => side(bounds.count),
                Backend::Postgres => Drive::Matches,
            },
            found: Some(Found { n, bound }),
        })
    }
}

/// Rewrites matter `id`'s document from its texts, in `tx`: content,
/// address, on-the-spot answer and every step's free text. A sensitive
/// matter's are sealed: it gets none.
pub(crate) async fn reindex(tx: &mut Tx, id: MatterId) -> Result<(), StoreError> {
    let row: Option<(bool, String, Option<String>, Option<String>)> = on_tx!(&mut *tx, c =>
        sqlx::query_as("SELECT sensitive, content, address, answer FROM matters WHERE id = $1")
            .bind(id.0)
            .fetch_optional(c)
            .await)?;
    let Some((sensitive, content, address, answer)) = row else {
        return Err(StoreError::NotFound);
    };
    let texts: Vec<String> = if sensitive {
        Vec::new()
    } else {
        on_tx!(&mut *tx, c => sqlx::query_scalar(
            "SELECT body FROM matter_texts WHERE matter_id = $1 AND body_key IS NULL ORDER BY seq, field")
            .bind(id.0)
            .fetch_all(c)
            .await)?
    };
    let all = doc_texts(
        sensitive,
        &content,
        address.as_deref(),
        answer.as_deref(),
        &texts,
    );
    write_doc(tx, id, &all, Prior::Maybe).await
}

/// What a matter's document is made of: its content, place, on-the-spot
/// answer and its steps' free texts; nothing for a sensitive matter, whose
/// texts are sealed.
pub(crate) fn doc_texts<'a>(
    sensitive: bool,
    content: &'a str,
    address: Option<&'a str>,
    answer: Option<&'a str>,
    steps: &'a [String],
) -> Vec<&'a str> {
    if sensitive {
        return Vec::new();
    }
    [Some(content), address, answer]
        .into_iter()
        .flatten()
        .chain(steps.iter().map(String::as_str))
        .collect()
}

/// Whether a matter may have a document already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prior {
    /// Written in this transaction: it has none.
    New,
    Maybe,
}

/// Writes matter `id`'s document from `all` its texts (none for a sensitive
/// matter), replacing the one it has unless it is [`Prior::New`].
pub(crate) async fn write_doc(
    tx: &mut Tx,
    id: MatterId,
    all: &[&str],
    prior: Prior,
) -> Result<(), StoreError> {
    let empty = all.iter().all(|t| pieces(t).is_empty());
    match tx.backend() {
        Backend::Sqlite => {
            let rowid: Option<i64> = match prior {
                Prior::New => None,
                Prior::Maybe => on_tx!(&mut *tx, c => sqlx::query_scalar(
                    "SELECT rowid FROM search_docs WHERE matter_id = $1")
                    .bind(id.0)
                    .fetch_optional(c)
                    .await)?,
            };
            if let Some(r) = rowid {
                on_tx!(&mut *tx, c => sqlx::query("DELETE FROM matter_search WHERE rowid = $1")
                    .bind(r)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected()))?;
            }
            if empty {
                return Ok(());
            }
            let rowid = match rowid {
                Some(r) => r,
                None => on_tx!(&mut *tx, c => sqlx::query_scalar(
                    "INSERT INTO search_docs (matter_id) VALUES ($1) RETURNING rowid")
                    .bind(id.0)
                    .fetch_one(c)
                    .await)?,
            };
            on_tx!(&mut *tx, c => sqlx::query("INSERT INTO matter_search (rowid, doc) VALUES ($1, $2)")
                .bind(rowid)
                .bind(fts_doc(all))
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Backend::Postgres => {
            if empty {
                if prior == Prior::Maybe {
                    on_tx!(&mut *tx, c => sqlx::query("DELETE FROM matter_search WHERE matter_id = $1")
                        .bind(id.0)
                        .execute(c)
                        .await
                        .map(|r| r.rows_affected()))?;
                }
                return Ok(());
            }
            on_tx!(&mut *tx, c => sqlx::query(
                "INSERT INTO matter_search (matter_id, doc) VALUES ($1, $2::tsvector)
                 ON CONFLICT (matter_id) DO UPDATE SET doc = EXCLUDED.doc")
                .bind(id.0)
                .bind(pg_doc(all))
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
    }
    Ok(())
}

impl Store {
    /// Drops the rebuild migration 0020 owes when the ledger is empty: a
    /// new database has nothing to rebuild, and every matter recorded from
    /// now on gets its document as it is written. Without this, matters
    /// loaded before the first start (a demo, an import) would all be
    /// indexed a second time by the server's first start.
    pub(crate) async fn drop_rebuild_of_empty_ledger(&self) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "DELETE FROM search_progress WHERE name = 'matters' AND last_id IS NULL
             AND NOT EXISTS (SELECT 1 FROM matters)")
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether a rebuild is under way or owed (matters recorded before the
    /// index existed): the server then finishes it in the background.
    pub async fn search_reindex_pending(&self) -> Result<bool, StoreError> {
        let n: i64 = on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM search_progress WHERE name = 'matters'")
            .fetch_one(p)
            .await)?;
        Ok(n > 0)
    }

    /// Rebuilds the index of up to `batch` matters (at most 10,000) after
    /// the last one done, all in one transaction: the documents, and the
    /// progress in `search_progress`, so an interrupted rebuild resumes
    /// after the last batch committed. One transaction per batch rather
    /// than per matter is what makes a rebuild of a million matters take
    /// minutes instead of hours (a durable commit costs a few
    /// milliseconds); a batch of a few hundred keeps each transaction, and
    /// the write lock it holds, short enough to run while the server
    /// serves. On PostgreSQL the batch's matters are locked against a
    /// concurrent change of their texts (in id order, as other batched
    /// writers lock them); on SQLite the transaction holds the write lock.
    /// `restart` starts over. Returns how many were done; zero means the
    /// whole ledger is indexed, and the progress is cleared.
    pub async fn reindex_search(&self, batch: i64, restart: bool) -> Result<usize, StoreError> {
        let mut tx = self.db.begin().await?;
        if restart {
            on_tx!(&mut tx, c => sqlx::query("DELETE FROM search_progress WHERE name = 'matters'")
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        let last: Option<Uuid> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT last_id FROM search_progress WHERE name = 'matters'")
            .fetch_optional(c)
            .await)?
        .flatten();
        // Dialect: PostgreSQL locks the rows; SQLite already holds the
        // write lock.
        let lock = match tx.backend() {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "SELECT id FROM matters WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2{lock}"
        );
        let ids: Vec<Uuid> = on_tx!(&mut tx, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
            .bind(last)
            .bind(batch.clamp(1, 10_000))
            .fetch_all(c)
            .await)?;
        let Some(newest) = ids.last() else {
            on_tx!(&mut tx, c => sqlx::query("DELETE FROM search_progress WHERE name = 'matters'")
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
            tx.commit().await?;
            return Ok(0);
        };
        for id in &ids {
            reindex(&mut tx, MatterId(*id)).await?;
        }
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO search_progress (name, last_id) VALUES ('matters', $1)
             ON CONFLICT (name) DO UPDATE SET last_id = EXCLUDED.last_id")
            .bind(*newest)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        tx.commit().await?;
        Ok(ids.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_hold_every_token_and_keep_runs_apart() {
        assert_eq!(fts_doc(&["鼠患, AB", "12号"]), "鼠 患 qq a b qq 1 2 号");
        // Positions: a gap between runs and between texts.
        assert_eq!(pg_doc(&["鼠鼠 a"]), "'a':5 '鼠':2,3");
        assert_eq!(pg_doc_weighted(&[("鼠", true), ("鼠", false)]), "'鼠':2A,4");
        assert_eq!(fts_phrase(&['鼠', '患']), "\"鼠 患\"");
        assert_eq!(pg_phrase(&['鼠', '患']), "'鼠' <-> '患'");
        assert_eq!(lexeme('\''), "''");
    }
}

//! The knowledge base (知识库, R-3.2): articles as series of versions, every
//! version kept; the one in force, proposals, publication, retirement; the
//! search index of each article's shown version; what intake is offered
//! while it types. Every rule is [`aiwei_core::knowledge`]'s, checked here
//! inside the transaction of the write it governs.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use aiwei_core::access::Actor;
use aiwei_core::knowledge::{
    self, ArticleContent, ArticleFacts, MAX_NOTE, Standing, may_edit, may_propose, may_publish,
    may_retire,
};
use aiwei_core::search::{Piece, pieces};
use aiwei_core::time::{from_millis, to_millis};
use aiwei_core::{
    ArticleId, ArticleKind, ArticleStatus, AuditAction, ErrorCode, FieldError, Role, UserId,
};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::Store;
use crate::db::{Backend, Tx};
use crate::error::StoreError;
use crate::search::{Combine, TextCond, engine_query};
use crate::trail::{AuditActor, append_audit};

/// One version of an article, with who wrote and who published it.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub article: ArticleId,
    pub version: i32,
    pub content: ArticleContent,
    pub note: Option<String>,
    /// The version the edit was made from.
    pub based_on: Option<i32>,
    pub created_by: UserId,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
    pub published_by_name: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
}

/// An article as lists and its page show it: its facts and its shown
/// version (the one in force, else the newest).
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    pub id: ArticleId,
    pub facts: ArticleFacts,
    pub shown: Version,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
    pub retire_reason: Option<String>,
}

impl Article {
    pub fn status(&self) -> ArticleStatus {
        self.facts.status()
    }

    /// Whether it may be offered on `today` (local date), and if not why.
    pub fn standing(&self, today: NaiveDate) -> Standing {
        knowledge::standing(
            &self.facts,
            self.shown.content.effective_from,
            self.shown.content.expires_on,
            today,
        )
    }
}

/// Filters of the article list; all optional, combined with AND.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticleFilter {
    pub kind: Option<ArticleKind>,
    pub status: Option<ArticleStatus>,
    /// A category code; its sub-categories match too.
    pub category: Option<String>,
    pub tag: Option<String>,
    /// Only articles that may be offered on this local date.
    pub offerable_on: Option<NaiveDate>,
    /// Full-text conditions over the shown version, all of which must hold.
    pub text: Vec<TextCond>,
}

/// A position in the list's order (last changed first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArticleCursor {
    pub updated_at_ms: i64,
    pub id: Uuid,
}

impl fmt::Display for ArticleCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.updated_at_ms, self.id.simple())
    }
}

impl FromStr for ArticleCursor {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The same form as the ledger's cursor.
        let c: crate::matters::Cursor = s.parse()?;
        Ok(Self {
            updated_at_ms: c.received_at_ms,
            id: c.id,
        })
    }
}

/// How many times each version answered a matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub version: i32,
    pub matters: i64,
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    article_id: Uuid,
    version: i32,
    kind: String,
    title: String,
    category: Option<String>,
    tags: String,
    source: Option<String>,
    doc_number: Option<String>,
    effective_from: Option<String>,
    expires_on: Option<String>,
    body: Option<String>,
    answer: String,
    note: Option<String>,
    based_on: Option<i32>,
    created_by: Uuid,
    created_by_name: String,
    created_at: i64,
    published_by_name: Option<String>,
    published_at: Option<i64>,
}

const VERSION_COLUMNS: &str = "v.article_id, v.version, v.kind, v.title, v.category, v.tags, \
     v.source, v.doc_number, v.effective_from, v.expires_on, v.body, v.answer, v.note, \
     v.based_on, v.created_by, cu.display_name AS created_by_name, v.created_at, \
     pu.display_name AS published_by_name, v.published_at";

const VERSION_JOINS: &str = " JOIN users cu ON cu.id = v.created_by \
     LEFT JOIN users pu ON pu.id = v.published_by";

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("article {what}"))
}

fn date(raw: Option<String>) -> Result<Option<NaiveDate>, StoreError> {
    raw.map(|d| d.parse().map_err(|_| corrupt("date")))
        .transpose()
}

impl TryFrom<VersionRow> for Version {
    type Error = StoreError;
    fn try_from(r: VersionRow) -> Result<Self, StoreError> {
        Ok(Version {
            article: ArticleId(r.article_id),
            version: r.version,
            content: ArticleContent {
                kind: ArticleKind::from_code(&r.kind).ok_or_else(|| corrupt("kind"))?,
                title: r.title,
                category: r.category,
                tags: serde_json::from_str(&r.tags).map_err(|_| corrupt("tags"))?,
                source: r.source,
                doc_number: r.doc_number,
                effective_from: date(r.effective_from)?,
                expires_on: date(r.expires_on)?,
                full_text: r.body,
                answer: r.answer,
            },
            note: r.note,
            based_on: r.based_on,
            created_by: UserId(r.created_by),
            created_by_name: r.created_by_name,
            created_at: from_millis(r.created_at),
            published_by_name: r.published_by_name,
            published_at: r.published_at.map(from_millis),
        })
    }
}

#[derive(sqlx::FromRow)]
struct ArticleRow {
    id: Uuid,
    latest: i32,
    published: Option<i32>,
    retired_at: Option<i64>,
    retire_reason: Option<String>,
    a_created_at: i64,
    updated_at: i64,
    #[sqlx(flatten)]
    version: VersionRow,
}

const ARTICLE_HEAD: &str = "SELECT a.id, a.latest, a.published, a.retired_at, a.retire_reason, \
     a.created_at AS a_created_at, a.updated_at, ";

/// The shown version: the one in force, else the newest.
const SHOWN_JOIN: &str = " FROM articles a JOIN article_versions v ON v.article_id = a.id \
     AND v.version = COALESCE(a.published, a.latest)";

impl TryFrom<ArticleRow> for Article {
    type Error = StoreError;
    fn try_from(r: ArticleRow) -> Result<Self, StoreError> {
        Ok(Article {
            id: ArticleId(r.id),
            facts: ArticleFacts {
                latest: r.latest,
                published: r.published,
                retired: r.retired_at.is_some(),
            },
            shown: r.version.try_into()?,
            created_at: from_millis(r.a_created_at),
            updated_at: from_millis(r.updated_at),
            retired_at: r.retired_at.map(from_millis),
            retire_reason: r.retire_reason,
        })
    }
}

/// Adds the filters to a query over `articles a` joined to its shown
/// version `v`, whose `WHERE` is open.
fn push_filters<DB>(q: &mut sqlx::QueryBuilder<DB>, backend: Backend, f: &ArticleFilter)
where
    DB: sqlx::Database,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    if let Some(k) = f.kind {
        q.push(" AND v.kind = ").push_bind(k.as_str().to_owned());
    }
    match f.status {
        None => {}
        Some(ArticleStatus::Retired) => {
            q.push(" AND a.retired_at IS NOT NULL");
        }
        Some(ArticleStatus::Published) => {
            q.push(" AND a.retired_at IS NULL AND a.published IS NOT NULL");
        }
        Some(ArticleStatus::Draft) => {
            q.push(" AND a.retired_at IS NULL AND a.published IS NULL");
        }
    }
    if let Some(c) = &f.category {
        q.push(" AND (v.category = ").push_bind(c.clone());
        q.push(" OR v.category LIKE ")
            .push_bind(crate::like_prefix(&format!("{c}.")))
            .push(" ESCAPE '\\')");
    }
    if let Some(t) = &f.tag {
        q.push(
            " AND EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = v.article_id \
             AND t.version = v.version AND t.tag = ",
        )
        .push_bind(t.clone())
        .push(")");
    }
    if let Some(d) = f.offerable_on {
        let d = d.to_string();
        q.push(" AND a.retired_at IS NULL AND a.published IS NOT NULL")
            .push(" AND (v.effective_from IS NULL OR v.effective_from <= ")
            .push_bind(d.clone())
            .push(") AND (v.expires_on IS NULL OR v.expires_on >= ")
            .push_bind(d)
            .push(")");
    }
    // Every run must occur: one engine query intersects them in the index.
    let mut runs: Vec<&[char]> = Vec::new();
    for t in &f.text {
        match t {
            TextCond::Phrase(r) => runs.push(r),
            TextCond::Phone { digits, .. } => runs.push(digits),
            // A matter number is no article's.
            TextCond::Number(_) => {
                q.push(" AND 1 = 0");
            }
        }
    }
    if !runs.is_empty() {
        let query = engine_query(backend, &runs, Combine::All);
        match backend {
            Backend::Sqlite => {
                q.push(" AND a.id IN (SELECT article_id FROM article_search WHERE article_search MATCH ")
                    .push_bind(query)
                    .push(")");
            }
            Backend::Postgres => {
                q.push(" AND a.id IN (SELECT article_id FROM article_search WHERE doc @@ ")
                    .push_bind(query)
                    .push("::tsquery)");
            }
        }
    }
}

/// The pairs of adjacent letters and digits of `text` (a lone one where a
/// run has only one), distinct, at most `max`: what intake's typing is
/// matched by, since a whole sentence occurs in no article.
pub fn bigrams(text: &str, max: usize) -> Vec<[char; 2]> {
    let mut out: Vec<[char; 2]> = Vec::new();
    // Texts of articles run to 20,000 characters: a set keeps the
    // de-duplication linear rather than quadratic.
    let mut seen: BTreeSet<[char; 2]> = BTreeSet::new();
    let mut run: Vec<char> = Vec::new();
    let mut flush = |run: &mut Vec<char>, out: &mut Vec<[char; 2]>| {
        let grams: Vec<[char; 2]> = if run.len() == 1 {
            vec![[run[0], '\0']]
        } else {
            run.windows(2).map(|w| [w[0], w[1]]).collect()
        };
        for g in grams {
            if out.len() < max && seen.insert(g) {
                out.push(g);
            }
        }
        run.clear();
    };
    for p in pieces(text) {
        match p {
            Piece::Token(c) => run.push(c),
            Piece::Boundary => flush(&mut run, &mut out),
        }
    }
    flush(&mut run, &mut out);
    out
}

/// How many of `grams` occur in the article's shown texts.
fn shared_grams(a: &Article, grams: &[[char; 2]]) -> usize {
    let c = &a.shown.content;
    let mut texts: Vec<&str> = vec![&c.title, &c.answer];
    texts.extend(c.tags.iter().map(String::as_str));
    texts.extend(c.source.as_deref());
    texts.extend(c.doc_number.as_deref());
    texts.extend(c.full_text.as_deref());
    let have: BTreeSet<[char; 2]> = texts.iter().flat_map(|t| bigrams(t, usize::MAX)).collect();
    grams
        .iter()
        .filter(|g| {
            if g[1] == '\0' {
                texts
                    .iter()
                    .any(|t| t.chars().flat_map(char::to_lowercase).any(|c| c == g[0]))
            } else {
                have.contains(*g)
            }
        })
        .count()
}

fn gram_run(g: &[char; 2]) -> Vec<char> {
    g.iter().copied().filter(|c| *c != '\0').collect()
}

/// Rewrites the search document of article `id` from its shown version.
async fn reindex(tx: &mut Tx, id: ArticleId) -> Result<(), StoreError> {
    let shown: Option<i32> = on_tx!(&mut *tx, c => sqlx::query_scalar(
        "SELECT COALESCE(published, latest) FROM articles WHERE id = $1")
        .bind(id.0)
        .fetch_optional(c)
        .await)?;
    let v = version_in(tx, id, shown.ok_or(StoreError::NotFound)?).await?;
    let c = v.content;
    let (title, tags, source, doc_number, body, answer) = (
        c.title,
        c.tags,
        c.source,
        c.doc_number,
        c.full_text,
        c.answer,
    );
    let mut rest: Vec<&str> = tags.iter().map(String::as_str).collect();
    rest.extend(source.as_deref());
    rest.extend(doc_number.as_deref());
    rest.push(&answer);
    rest.extend(body.as_deref());
    match tx.backend() {
        Backend::Sqlite => {
            on_tx!(&mut *tx, c => sqlx::query("DELETE FROM article_search WHERE article_id = $1")
                .bind(id.0)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
            on_tx!(&mut *tx, c => sqlx::query(
                "INSERT INTO article_search (article_id, title, doc) VALUES ($1, $2, $3)")
                .bind(id.0)
                .bind(crate::search::fts_doc(&[&title]))
                .bind(crate::search::fts_doc(&rest))
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Backend::Postgres => {
            let mut parts: Vec<(&str, bool)> = vec![(&title, true)];
            parts.extend(rest.iter().map(|t| (*t, false)));
            on_tx!(&mut *tx, c => sqlx::query(
                "INSERT INTO article_search (article_id, doc) VALUES ($1, $2::tsvector)
                 ON CONFLICT (article_id) DO UPDATE SET doc = EXCLUDED.doc")
                .bind(id.0)
                .bind(crate::search::pg_doc_weighted(&parts))
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
    }
    Ok(())
}

/// Appends the audit record of a write to article `id`, in its
/// transaction.
async fn audit_article(
    tx: &mut Tx,
    audit: &AuditActor<'_>,
    action: AuditAction,
    id: ArticleId,
    detail: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let target = id.to_string();
    append_audit(tx, &audit.entry(action, Some(&target), detail), now).await?;
    Ok(())
}

/// Locks article `id` for the rest of `tx` and reads its facts: for a
/// change of the article, or (`shared`) for a matter that cites it, so
/// that many intakes citing one article do not queue behind each other.
async fn lock_facts(tx: &mut Tx, id: ArticleId, shared: bool) -> Result<ArticleFacts, StoreError> {
    // SQLite's write transaction already holds the database's write lock.
    let sql = match (tx.backend(), shared) {
        (Backend::Sqlite, _) => "SELECT latest, published, retired_at FROM articles WHERE id = $1",
        (Backend::Postgres, false) => {
            "SELECT latest, published, retired_at FROM articles WHERE id = $1 FOR UPDATE"
        }
        (Backend::Postgres, true) => {
            "SELECT latest, published, retired_at FROM articles WHERE id = $1 FOR SHARE"
        }
    };
    let row: Option<(i32, Option<i32>, Option<i64>)> = on_tx!(&mut *tx, c =>
        sqlx::query_as(sql).bind(id.0).fetch_optional(c).await)?;
    let (latest, published, retired_at) = row.ok_or(StoreError::NotFound)?;
    Ok(ArticleFacts {
        latest,
        published,
        retired: retired_at.is_some(),
    })
}

/// A version to write.
struct NewVersion<'a> {
    id: ArticleId,
    version: i32,
    content: &'a ArticleContent,
    note: Option<&'a str>,
    based_on: Option<i32>,
    by: UserId,
}

/// Inserts a version, and its tags.
async fn insert_version(
    tx: &mut Tx,
    v: &NewVersion<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let NewVersion {
        id,
        version,
        content,
        note,
        based_on,
        by,
    } = *v;
    let tags = serde_json::to_string(&content.tags).map_err(|_| corrupt("tags"))?;
    on_tx!(&mut *tx, c => sqlx::query(
        "INSERT INTO article_versions (article_id, version, kind, title, category, tags, source,
           doc_number, effective_from, expires_on, body, answer, note, based_on, created_by,
           created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)")
        .bind(id.0)
        .bind(version)
        .bind(content.kind.as_str())
        .bind(&content.title)
        .bind(content.category.as_deref())
        .bind(&tags)
        .bind(content.source.as_deref())
        .bind(content.doc_number.as_deref())
        .bind(content.effective_from.map(|d| d.to_string()))
        .bind(content.expires_on.map(|d| d.to_string()))
        .bind(content.full_text.as_deref())
        .bind(&content.answer)
        .bind(note)
        .bind(based_on)
        .bind(by.0)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    for t in &content.tags {
        on_tx!(&mut *tx, c => sqlx::query(
            "INSERT INTO article_tags (article_id, version, tag) VALUES ($1, $2, $3)")
            .bind(id.0)
            .bind(version)
            .bind(t)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Reads one version inside `tx`.
async fn version_in(tx: &mut Tx, id: ArticleId, version: i32) -> Result<Version, StoreError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {VERSION_COLUMNS} FROM article_versions v{VERSION_JOINS} \
         WHERE v.article_id = $1 AND v.version = $2"
    ));
    let row: Option<VersionRow> = on_tx!(&mut *tx, c => sqlx::query_as(sql)
        .bind(id.0)
        .bind(version)
        .fetch_optional(c)
        .await)?;
    row.ok_or(StoreError::NotFound)?.try_into()
}

/// Checks, in the intake's transaction, that a matter may say it was
/// answered from `version` of `article`: that version in force today.
pub(crate) async fn check_answered_from(
    tx: &mut Tx,
    article: ArticleId,
    version: i32,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let not_offerable =
        || StoreError::Invalid(FieldError::new("answered_from", ErrorCode::NotOfferable));
    let facts = match lock_facts(tx, article, true).await {
        Err(StoreError::NotFound) => return Err(not_offerable()),
        other => other?,
    };
    let Some(published) = facts.published else {
        return Err(not_offerable());
    };
    let v = version_in(tx, article, published).await?;
    let standing = knowledge::standing(
        &facts,
        v.content.effective_from,
        v.content.expires_on,
        today,
    );
    knowledge::may_answer_from(&facts, standing, version).map_err(StoreError::Invalid)
}

impl Store {
    /// Checks that a category code exists (any type).
    async fn require_any_category(&self, code: &str) -> Result<(), StoreError> {
        let n: i64 = on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM categories WHERE code = $1")
            .bind(code)
            .fetch_one(p)
            .await)?;
        if n == 0 {
            return Err(StoreError::Invalid(FieldError::new(
                "category",
                ErrorCode::UnknownValue,
            )));
        }
        Ok(())
    }

    /// Writes a new article as version 1, a draft, with its audit record.
    pub async fn create_article(
        &self,
        actor: &Actor<'_>,
        publishers: &[Role],
        content: &ArticleContent,
        note: Option<&str>,
        audit: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<ArticleId, StoreError> {
        may_propose(actor, publishers)?;
        if let Some(c) = &content.category {
            self.require_any_category(c).await?;
        }
        let id = ArticleId::new();
        let mut tx = self.db.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO articles (id, latest, created_at, updated_at) VALUES ($1, 1, $2, $2)")
            .bind(id.0)
            .bind(to_millis(now))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        let v = NewVersion {
            id,
            version: 1,
            content,
            note,
            based_on: None,
            by: actor.id,
        };
        insert_version(&mut tx, &v, now).await?;
        reindex(&mut tx, id).await?;
        audit_article(
            &mut tx,
            audit,
            AuditAction::ArticleCreate,
            id,
            serde_json::json!({ "version": 1, "kind": content.kind.as_str() }),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Saves an edit as a new version, made from `base`: a proposal until a
    /// publisher puts it in force. Returns its number.
    #[allow(clippy::too_many_arguments)]
    pub async fn propose_article(
        &self,
        actor: &Actor<'_>,
        publishers: &[Role],
        id: ArticleId,
        base: Option<i64>,
        content: &ArticleContent,
        note: Option<&str>,
        audit: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<i32, StoreError> {
        may_propose(actor, publishers)?;
        if let Some(c) = &content.category {
            self.require_any_category(c).await?;
        }
        let mut tx = self.db.begin().await?;
        let facts = lock_facts(&mut tx, id, false).await?;
        let current = version_in(&mut tx, id, facts.latest).await?;
        may_edit(actor, publishers, &facts, base, &current.content, content)?;
        let version = facts.latest + 1;
        let v = NewVersion {
            id,
            version,
            content,
            note,
            based_on: Some(facts.latest),
            by: actor.id,
        };
        insert_version(&mut tx, &v, now).await?;
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE articles SET latest = $1, updated_at = $2 WHERE id = $3")
            .bind(version)
            .bind(to_millis(now))
            .bind(id.0)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        reindex(&mut tx, id).await?;
        audit_article(
            &mut tx,
            audit,
            AuditAction::ArticlePropose,
            id,
            serde_json::json!({ "version": version, "based_on": facts.latest }),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// Puts `version` in force (restoring a retired article).
    pub async fn publish_article(
        &self,
        actor: &Actor<'_>,
        publishers: &[Role],
        id: ArticleId,
        version: i64,
        audit: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        let facts = lock_facts(&mut tx, id, false).await?;
        may_publish(actor, publishers, &facts, version)?;
        let v = i32::try_from(version).map_err(|_| corrupt("version"))?;
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE article_versions SET published_by = $1, published_at = $2
             WHERE article_id = $3 AND version = $4")
            .bind(actor.id.0)
            .bind(to_millis(now))
            .bind(id.0)
            .bind(v)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE articles SET published = $1, retired_at = NULL, retired_by = NULL,
               retire_reason = NULL, updated_at = $2 WHERE id = $3")
            .bind(v)
            .bind(to_millis(now))
            .bind(id.0)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        reindex(&mut tx, id).await?;
        audit_article(&mut tx, audit, AuditAction::ArticlePublish, id, serde_json::json!({ "version": v, "replaces": facts.published, "restored": facts.retired }), now).await?;
        tx.commit().await
    }

    /// Retires the article: never offered again until a version is
    /// published anew.
    #[allow(clippy::too_many_arguments)]
    pub async fn retire_article(
        &self,
        actor: &Actor<'_>,
        publishers: &[Role],
        id: ArticleId,
        reason: &str,
        audit: &AuditActor<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if reason.chars().count() > MAX_NOTE {
            return Err(StoreError::Invalid(FieldError::new(
                "reason",
                ErrorCode::TooLong,
            )));
        }
        let mut tx = self.db.begin().await?;
        let facts = lock_facts(&mut tx, id, false).await?;
        may_retire(actor, publishers, &facts)?;
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE articles SET retired_at = $1, retired_by = $2, retire_reason = $3,
               updated_at = $1 WHERE id = $4")
            .bind(to_millis(now))
            .bind(actor.id.0)
            .bind(reason)
            .bind(id.0)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        audit_article(
            &mut tx,
            audit,
            AuditAction::ArticleRetire,
            id,
            serde_json::json!({ "published": facts.published }),
            now,
        )
        .await?;
        tx.commit().await
    }

    /// One article with its shown version.
    pub async fn article(&self, id: ArticleId) -> Result<Article, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{ARTICLE_HEAD}{VERSION_COLUMNS}{SHOWN_JOIN}{VERSION_JOINS} WHERE a.id = $1"
        ));
        let row: Option<ArticleRow> = on_pool!(&self.db, p => sqlx::query_as(sql)
            .bind(id.0)
            .fetch_optional(p)
            .await)?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    /// Every version of an article, newest first.
    pub async fn article_versions(&self, id: ArticleId) -> Result<Vec<Version>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {VERSION_COLUMNS} FROM article_versions v{VERSION_JOINS} \
             WHERE v.article_id = $1 ORDER BY v.version DESC"
        ));
        let rows: Vec<VersionRow> = on_pool!(&self.db, p => sqlx::query_as(sql)
            .bind(id.0)
            .fetch_all(p)
            .await)?;
        if rows.is_empty() {
            return Err(StoreError::NotFound);
        }
        rows.into_iter().map(Version::try_from).collect()
    }

    /// One version of an article.
    pub async fn article_version(
        &self,
        id: ArticleId,
        version: i32,
    ) -> Result<Version, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {VERSION_COLUMNS} FROM article_versions v{VERSION_JOINS} \
             WHERE v.article_id = $1 AND v.version = $2"
        ));
        let row: Option<VersionRow> = on_pool!(&self.db, p => sqlx::query_as(sql)
            .bind(id.0)
            .bind(version)
            .fetch_optional(p)
            .await)?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    /// A page of articles, last changed first.
    pub async fn articles(
        &self,
        filter: &ArticleFilter,
        after: Option<ArticleCursor>,
        limit: u32,
    ) -> Result<(Vec<Article>, Option<ArticleCursor>), StoreError> {
        let limit = i64::from(limit.clamp(1, 500));
        let backend = self.backend();
        let head =
            format!("{ARTICLE_HEAD}{VERSION_COLUMNS}{SHOWN_JOIN}{VERSION_JOINS} WHERE 1 = 1");
        let mut rows: Vec<ArticleRow> = on_pool!(&self.db, p => {
            let mut q = sqlx::QueryBuilder::new(&head);
            push_filters(&mut q, backend, filter);
            if let Some(c) = after {
                q.push(" AND (a.updated_at, a.id) < (")
                    .push_bind(c.updated_at_ms)
                    .push(", ")
                    .push_bind(c.id)
                    .push(")");
            }
            q.push(" ORDER BY a.updated_at DESC, a.id DESC LIMIT ").push_bind(limit + 1);
            q.build_query_as::<ArticleRow>().fetch_all(p).await
        })?;
        let next = crate::split_page(&mut rows, limit, |r| ArticleCursor {
            updated_at_ms: r.updated_at,
            id: r.id,
        });
        let items = rows
            .into_iter()
            .map(Article::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((items, next))
    }

    /// A page of the articles `filter` finds, most relevant to its text
    /// conditions first (a title match weighs more), `offset` rows in, and
    /// the offset of the next page; `None` when there is nothing to rank by.
    pub async fn articles_by_relevance(
        &self,
        filter: &ArticleFilter,
        offset: i64,
        limit: u32,
    ) -> Result<Option<(Vec<Article>, Option<i64>)>, StoreError> {
        let runs = crate::search::rank_runs(&filter.text);
        if runs.is_empty() {
            return Ok(None);
        }
        let limit = i64::from(limit.clamp(1, 500));
        let offset = offset.max(0);
        let backend = self.backend();
        let head = format!("{ARTICLE_HEAD}{VERSION_COLUMNS}{SHOWN_JOIN}{VERSION_JOINS} JOIN ");
        let unranked = ArticleFilter {
            text: crate::search::unranked(&filter.text),
            ..filter.clone()
        };
        let mut rows: Vec<ArticleRow> = on_pool!(&self.db, p => {
            let mut q = sqlx::QueryBuilder::new(head.clone());
            crate::search::push_rank(&mut q, backend, crate::search::RankOf::Articles, &runs);
            q.push(" r ON r.doc_id = a.id WHERE 1 = 1");
            push_filters(&mut q, backend, &unranked);
            q.push(" ORDER BY r.score, a.updated_at DESC, a.id DESC LIMIT ")
                .push_bind(limit + 1)
                .push(" OFFSET ")
                .push_bind(offset);
            q.build_query_as::<ArticleRow>().fetch_all(p).await
        })?;
        let next = crate::split_page(&mut rows, limit, |_| offset + limit);
        let items = rows
            .into_iter()
            .map(Article::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some((items, next)))
    }

    /// How many articles match `filter`.
    pub async fn articles_count(&self, filter: &ArticleFilter) -> Result<i64, StoreError> {
        let backend = self.backend();
        let head = format!("SELECT COUNT(*){SHOWN_JOIN} WHERE 1 = 1");
        Ok(on_pool!(&self.db, p => {
            let mut q = sqlx::QueryBuilder::new(&head);
            push_filters(&mut q, backend, filter);
            q.build_query_scalar::<i64>().fetch_one(p).await
        })?)
    }

    /// The articles in force on `today` that best match what intake is
    /// typing: ranked by how many of its character pairs they share, a
    /// shared pair in the title counting more.
    pub async fn article_offers(
        &self,
        text: &str,
        today: NaiveDate,
        limit: u32,
    ) -> Result<Vec<Article>, StoreError> {
        /// More pairs than this add little and slow the query.
        const MAX_GRAMS: usize = 48;
        let grams = bigrams(text, MAX_GRAMS);
        if grams.is_empty() {
            return Ok(Vec::new());
        }
        // The engine ranks more candidates than are offered; those that
        // share too few pairs with the typing are dropped below.
        let wanted = usize::try_from(limit.clamp(1, 20)).unwrap_or(5);
        let limit = i64::try_from(wanted * 4).unwrap_or(80);
        let filter = ArticleFilter {
            offerable_on: Some(today),
            ..ArticleFilter::default()
        };
        let backend = self.backend();
        let runs: Vec<Vec<char>> = grams.iter().map(gram_run).collect();
        let any = engine_query(
            backend,
            &runs.iter().map(Vec::as_slice).collect::<Vec<_>>(),
            Combine::Any,
        );
        let rows: Vec<ArticleRow> = on_pool!(&self.db, p => {
            let head = format!("{ARTICLE_HEAD}{VERSION_COLUMNS}{SHOWN_JOIN}{VERSION_JOINS}");
            let mut q = sqlx::QueryBuilder::new(&head);
            match backend {
                Backend::Sqlite => {
                    q.push(" JOIN (SELECT article_id, bm25(article_search, 0.0, 4.0, 1.0) AS score \
                             FROM article_search WHERE article_search MATCH ")
                        .push_bind(any.clone())
                        .push(") s ON s.article_id = a.id WHERE 1 = 1");
                    push_filters(&mut q, backend, &filter);
                    q.push(" ORDER BY s.score, a.updated_at DESC, a.id DESC LIMIT ");
                }
                Backend::Postgres => {
                    q.push(" JOIN (SELECT article_id, ts_rank(doc, t.q) AS score \
                             FROM article_search, (SELECT CAST(")
                        .push_bind(any.clone())
                        .push(" AS tsquery) AS q) t WHERE doc @@ t.q) s ON s.article_id = a.id WHERE 1 = 1");
                    push_filters(&mut q, backend, &filter);
                    q.push(" ORDER BY s.score DESC, a.updated_at DESC, a.id DESC LIMIT ");
                }
            }
            q.push_bind(limit);
            q.build_query_as::<ArticleRow>().fetch_all(p).await
        })?;
        // One shared pair (怎么, 小区) is chance; two make a match, unless
        // only one was typed.
        let needed = grams.len().min(2);
        let mut out = Vec::new();
        for r in rows {
            let a = Article::try_from(r)?;
            if shared_grams(&a, &grams) >= needed {
                out.push(a);
            }
            if out.len() == wanted {
                break;
            }
        }
        Ok(out)
    }

    /// How often each version of an article answered a matter, newest
    /// version first; versions never used are left out.
    pub async fn article_usage(&self, id: ArticleId) -> Result<Vec<Usage>, StoreError> {
        let rows: Vec<(i32, i64)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT answered_version, COUNT(*) FROM matters WHERE answered_article = $1
             GROUP BY answered_version ORDER BY answered_version DESC")
            .bind(id.0)
            .fetch_all(p)
            .await)?;
        Ok(rows
            .into_iter()
            .map(|(version, matters)| Usage { version, matters })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_is_matched_by_its_character_pairs() {
        assert_eq!(
            bigrams("老鼠很多", 10),
            vec![['老', '鼠'], ['鼠', '很'], ['很', '多']]
        );
        // A lone character stands for itself; punctuation separates.
        assert_eq!(
            bigrams("鼠，蚊子 蚊子", 10),
            vec![['鼠', '\0'], ['蚊', '子']]
        );
        assert_eq!(bigrams("老鼠很多", 2).len(), 2);
        assert!(bigrams("，。", 10).is_empty());
        assert_eq!(gram_run(&['鼠', '\0']), vec!['鼠']);
    }
}

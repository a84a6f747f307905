//! The knowledge base (知识库, R-3.2), shared by the API and the pages:
//! list queries, views of articles and versions, writes through the store
//! (which checks [`aiwei_core::knowledge`]'s rules in its transaction), the
//! difference of two versions, and what intake is offered while it types.
//! Every staff member reads the knowledge base; it holds no caller data.

use aiwei_core::knowledge::{self, ArticleInput, FieldDiff, Standing};
use aiwei_core::search::Query;
use aiwei_core::{ArticleId, ArticleKind, ArticleStatus, ErrorCode, FieldError, FieldErrors, Role};
use aiwei_store::knowledge::{Article, ArticleCursor, ArticleFilter, Usage, Version};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::query::{self, blank_to_none, opt_blank};
use crate::auth::Staff;
use crate::error::ApiError;
use crate::state::AppState;
use crate::views::{Ref, UserRef};

/// Today's local date, what an article's dates are judged on.
pub fn today(state: &AppState) -> NaiveDate {
    state
        .clock
        .now()
        .with_timezone(&aiwei_core::time::china())
        .date_naive()
}

/// The roles that publish, as the deadline policy names them.
pub async fn publishers(state: &AppState) -> Result<Vec<Role>, ApiError> {
    Ok(state.store.policy().await?.1.publishers)
}

/// An article id from a path, or 404.
pub fn article_id(raw: &str) -> Result<ArticleId, ApiError> {
    let mut errs = FieldErrors::default();
    query::uuid("id", raw, &mut errs)
        .map(ArticleId)
        .ok_or_else(ApiError::not_found)
}

/// Filters of the article list as query parameters.
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleQuery {
    /// Words to find in the title, tags, source, number, answer or body,
    /// as Ctrl-F would; several terms must all occur.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = schema::q)]
    pub q: Option<String>,
    /// `policy`, `regulation`, `standard`, `faq` or `script`.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = ArticleKind::filter_schema)]
    pub kind: Option<String>,
    /// `draft`, `published` or `retired`.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = ArticleStatus::filter_schema)]
    pub status: Option<String>,
    /// Sub-category code; its children match too.
    #[serde(default, skip_serializing_if = "opt_blank")]
    pub category: Option<String>,
    /// One tag, exactly.
    #[serde(default, skip_serializing_if = "opt_blank")]
    pub tag: Option<String>,
    /// `true`: only articles in force today, as intake is offered them.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::only_true)]
    pub in_force: Option<String>,
    /// `next` of the previous page.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::cursor)]
    pub cursor: Option<String>,
    /// Page size (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(schema_with = query::schema::limit)]
    pub limit: Option<u32>,
}

pub(crate) mod schema {
    use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

    pub fn q() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(aiwei_core::search::MAX_QUERY))
            .build()
    }
}

impl ArticleQuery {
    /// The filter, the parsed query (to highlight), cursor and page size.
    pub fn parse(
        &self,
        state: &AppState,
    ) -> Result<(ArticleFilter, Option<Query>, Option<ArticleCursor>, u32), ApiError> {
        let mut errs = FieldErrors::default();
        let mut f = ArticleFilter::default();
        if let Some(k) = blank_to_none(&self.kind) {
            f.kind = errs.take(ArticleKind::parse(k));
        }
        if let Some(s) = blank_to_none(&self.status) {
            f.status = errs.take(ArticleStatus::parse(s));
        }
        f.category = blank_to_none(&self.category).map(str::to_owned);
        f.tag = blank_to_none(&self.tag).map(|t| t.trim().to_owned());
        if let Some(o) = blank_to_none(&self.in_force)
            && query::only_true("in_force", o, &mut errs)
        {
            f.offerable_on = Some(today(state));
        }
        let parsed = match blank_to_none(&self.q) {
            None => None,
            Some(q) => errs.take(Query::parse(q)),
        };
        if let Some(q) = &parsed {
            f.text = state.store.search_conds(q)?;
        }
        let cursor =
            blank_to_none(&self.cursor).and_then(|c| errs.take(c.parse::<ArticleCursor>()));
        let limit = query::limit(self.limit, &mut errs);
        if errs.is_empty() {
            Ok((f, parsed, cursor, limit))
        } else {
            Err(ApiError::invalid(errs))
        }
    }
}

/// An article as lists show it: its shown version (the one in force, else
/// the newest) and where it stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArticleSummary {
    pub id: uuid::Uuid,
    pub kind: ArticleKind,
    pub title: String,
    pub category: Option<Ref>,
    pub tags: Vec<String>,
    pub doc_number: Option<String>,
    pub effective_from: Option<NaiveDate>,
    pub expires_on: Option<NaiveDate>,
    /// `draft`, `published` or `retired`.
    pub status: ArticleStatus,
    /// Whether intake is offered it today, and if not why: `in_force`,
    /// `draft`, `retired`, `not_yet_effective` or `expired`.
    #[schema(value_type = String)]
    pub standing: Standing,
    /// The version shown here.
    pub version: i32,
    /// The version in force, if any.
    pub published_version: Option<i32>,
    /// The newest version.
    pub latest_version: i32,
    /// A newer version than the one in force waits for a publisher.
    pub pending: bool,
    pub updated_at: DateTime<Utc>,
}

impl ArticleSummary {
    pub fn of(a: &Article, today: NaiveDate, categories: &[(String, String)]) -> Self {
        let c = &a.shown.content;
        Self {
            id: a.id.0,
            kind: c.kind,
            title: c.title.clone(),
            category: c.category.as_ref().map(|code| Ref {
                name: categories
                    .iter()
                    .find(|(k, _)| k == code)
                    .map_or_else(|| code.clone(), |(_, n)| n.clone()),
                code: code.clone(),
            }),
            tags: c.tags.clone(),
            doc_number: c.doc_number.clone(),
            effective_from: c.effective_from,
            expires_on: c.expires_on,
            status: a.status(),
            standing: a.standing(today),
            version: a.shown.version,
            published_version: a.facts.published,
            latest_version: a.facts.latest,
            pending: a.facts.pending(),
            updated_at: a.updated_at,
        }
    }

    pub fn kind_zh(&self) -> &'static str {
        self.kind.label()
    }
    pub fn standing_zh(&self) -> &'static str {
        self.standing.label()
    }
    pub fn in_force(&self) -> bool {
        self.standing == Standing::InForce
    }
    /// Whether `version` is the one in force (none is, once retired).
    pub fn in_use(&self, version: &i32) -> bool {
        self.status != ArticleStatus::Retired && self.published_version == Some(*version)
    }
    pub fn updated_local(&self) -> String {
        aiwei_core::time::local_minute(self.updated_at)
    }
}

/// One version in full.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionView {
    pub version: i32,
    pub kind: ArticleKind,
    pub title: String,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub source: Option<String>,
    pub doc_number: Option<String>,
    pub effective_from: Option<NaiveDate>,
    pub expires_on: Option<NaiveDate>,
    pub full_text: Option<String>,
    /// The answer to give a caller (答复口径).
    pub answer: String,
    /// What the version changed (修改说明).
    pub note: Option<String>,
    /// The version it was edited from.
    pub based_on: Option<i32>,
    pub created_by: UserRef,
    pub created_at: DateTime<Utc>,
    /// Who published it, if it was ever in force.
    pub published_by: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
}

impl From<Version> for VersionView {
    fn from(v: Version) -> Self {
        let c = v.content;
        Self {
            version: v.version,
            kind: c.kind,
            title: c.title,
            category: c.category,
            tags: c.tags,
            source: c.source,
            doc_number: c.doc_number,
            effective_from: c.effective_from,
            expires_on: c.expires_on,
            full_text: c.full_text,
            answer: c.answer,
            note: v.note,
            based_on: v.based_on,
            created_by: UserRef {
                id: v.created_by.0,
                name: v.created_by_name,
            },
            created_at: v.created_at,
            published_by: v.published_by_name,
            published_at: v.published_at,
        }
    }
}

impl VersionView {
    pub fn kind_zh(&self) -> &'static str {
        self.kind.label()
    }
    pub fn created_local(&self) -> String {
        aiwei_core::time::local_minute(self.created_at)
    }
    pub fn published_local(&self) -> Option<String> {
        self.published_at.map(aiwei_core::time::local_minute)
    }
}

/// How often a version answered a matter.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UsageView {
    pub version: i32,
    pub matters: i64,
}

impl From<Usage> for UsageView {
    fn from(u: Usage) -> Self {
        Self {
            version: u.version,
            matters: u.matters,
        }
    }
}

/// An article with its shown version in full, every version, and how often
/// it answered matters.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArticleDetail {
    #[serde(flatten)]
    pub summary: ArticleSummary,
    /// The shown version in full.
    pub shown: VersionView,
    /// Every version, newest first (their bodies left out).
    pub versions: Vec<VersionView>,
    pub retired_at: Option<DateTime<Utc>>,
    pub retire_reason: Option<String>,
    /// Matters answered from it, per version (newest first).
    pub usage: Vec<UsageView>,
    /// Matters answered from it, all versions.
    pub used: i64,
}

/// A page of articles, last changed first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticlePage {
    pub items: Vec<ArticleSummary>,
    pub next: Option<String>,
    pub total: i64,
}

/// The names of the sub-categories, for summaries.
async fn category_names(state: &AppState) -> Result<Vec<(String, String)>, ApiError> {
    Ok(state
        .store
        .list_categories()
        .await?
        .into_iter()
        .map(|c| (c.code, c.name))
        .collect())
}

/// A page of the list.
pub async fn list(state: &AppState, q: &ArticleQuery) -> Result<ArticlePage, ApiError> {
    let (filter, _, cursor, limit) = q.parse(state)?;
    let (items, next) = state.store.articles(&filter, cursor, limit).await?;
    let total = state.store.articles_count(&filter).await?;
    let today = today(state);
    let names = category_names(state).await?;
    Ok(ArticlePage {
        items: items
            .iter()
            .map(|a| ArticleSummary::of(a, today, &names))
            .collect(),
        next: next.map(|c| c.to_string()),
        total,
    })
}

/// One article in full.
pub async fn detail(state: &AppState, id: ArticleId) -> Result<ArticleDetail, ApiError> {
    let a = state.store.article(id).await?;
    let versions = state.store.article_versions(id).await?;
    let usage: Vec<UsageView> = state
        .store
        .article_usage(id)
        .await?
        .into_iter()
        .map(UsageView::from)
        .collect();
    let names = category_names(state).await?;
    Ok(ArticleDetail {
        summary: ArticleSummary::of(&a, today(state), &names),
        shown: a.shown.clone().into(),
        versions: versions
            .into_iter()
            .map(|v| {
                let mut view = VersionView::from(v);
                view.full_text = None;
                view
            })
            .collect(),
        retired_at: a.retired_at,
        retire_reason: a.retire_reason.clone(),
        used: usage.iter().map(|u| u.matters).sum(),
        usage,
    })
}

/// One version in full, or 404.
pub async fn version(state: &AppState, id: ArticleId, n: i64) -> Result<VersionView, ApiError> {
    let n = i32::try_from(n).map_err(|_| ApiError::not_found())?;
    Ok(state.store.article_version(id, n).await?.into())
}

/// Writes a new article (version 1, a draft); returns its id.
pub async fn create(
    state: &AppState,
    staff: &Staff,
    input: &ArticleInput,
) -> Result<ArticleId, ApiError> {
    let (content, note) = input.validate().map_err(ApiError::invalid)?;
    let publishers = publishers(state).await?;
    Ok(state
        .store
        .create_article(
            &staff.user.actor(),
            &publishers,
            &content,
            note.as_deref(),
            &staff.audit_actor(),
            state.clock.now(),
        )
        .await?)
}

/// Saves an edit as a new version; returns its number.
pub async fn propose(
    state: &AppState,
    staff: &Staff,
    id: ArticleId,
    input: &ArticleInput,
) -> Result<i32, ApiError> {
    let (content, note) = input.validate().map_err(ApiError::invalid)?;
    let publishers = publishers(state).await?;
    Ok(state
        .store
        .propose_article(
            &staff.user.actor(),
            &publishers,
            id,
            input.base_version,
            &content,
            note.as_deref(),
            &staff.audit_actor(),
            state.clock.now(),
        )
        .await?)
}

/// Which version to put in force.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    #[serde(default, deserialize_with = "aiwei_core::wire::opt_integer")]
    #[schema(value_type = i64, minimum = 1)]
    pub version: Option<i64>,
}

/// Why an article is retired.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetireRequest {
    /// 2 to 500 characters.
    #[serde(default)]
    #[schema(min_length = 2, max_length = 500)]
    pub reason: Option<String>,
}

pub async fn publish(
    state: &AppState,
    staff: &Staff,
    id: ArticleId,
    req: &PublishRequest,
) -> Result<(), ApiError> {
    let version = req
        .version
        .ok_or_else(|| ApiError::invalid_field(FieldError::new("version", ErrorCode::Required)))?;
    let publishers = publishers(state).await?;
    state
        .store
        .publish_article(
            &staff.user.actor(),
            &publishers,
            id,
            version,
            &staff.audit_actor(),
            state.clock.now(),
        )
        .await?;
    Ok(())
}

pub async fn retire(
    state: &AppState,
    staff: &Staff,
    id: ArticleId,
    req: &RetireRequest,
) -> Result<(), ApiError> {
    let reason = aiwei_core::error::reason_text("reason", req.reason.as_deref().unwrap_or(""))
        .map_err(ApiError::invalid_field)?;
    let publishers = publishers(state).await?;
    state
        .store
        .retire_article(
            &staff.user.actor(),
            &publishers,
            id,
            &reason,
            &staff.audit_actor(),
            state.clock.now(),
        )
        .await?;
    Ok(())
}

/// The difference of two versions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiffView {
    pub from: i32,
    pub to: i32,
    /// Every field in the editor's order, `changed` where it differs.
    pub fields: Vec<FieldDiff>,
}

/// Versions `from` and `to` of an article compared.
pub async fn diff(
    state: &AppState,
    id: ArticleId,
    from: i64,
    to: i64,
) -> Result<DiffView, ApiError> {
    let get = |n: i64, field: &'static str| {
        i32::try_from(n)
            .map_err(|_| ApiError::invalid_field(FieldError::new(field, ErrorCode::UnknownValue)))
    };
    let (a, b) = (get(from, "from")?, get(to, "to")?);
    let load = |n: i32, field: &'static str| async move {
        match state.store.article_version(id, n).await {
            Err(aiwei_store::StoreError::NotFound) => {
                // The article itself may not exist: then 404.
                state.store.article(id).await?;
                Err(ApiError::invalid_field(FieldError::new(
                    field,
                    ErrorCode::UnknownValue,
                )))
            }
            other => Ok(other?),
        }
    };
    let old = load(a, "from").await?;
    let new = load(b, "to").await?;
    Ok(DiffView {
        from: a,
        to: b,
        fields: knowledge::diff(&old.content, &new.content),
    })
}

/// What intake typed so far.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferRequest {
    /// The content as typed so far; at most 5,000 characters.
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub text: Option<String>,
}

/// An article offered to intake, with the answer to insert.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Offer {
    pub article: uuid::Uuid,
    /// The version in force: what a matter records when it uses it.
    pub version: i32,
    pub kind: ArticleKind,
    pub title: String,
    pub doc_number: Option<String>,
    pub expires_on: Option<NaiveDate>,
    /// The answer to give (答复口径).
    pub answer: String,
}

/// The offers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfferList {
    pub items: Vec<Offer>,
}

/// The articles in force that best match what intake is typing.
pub async fn offers(state: &AppState, req: &OfferRequest) -> Result<OfferList, ApiError> {
    let text = aiwei_core::error::bounded_text(
        "text",
        req.text.as_deref(),
        aiwei_core::intake::MAX_TEXT,
        false,
    )
    .map_err(ApiError::invalid_field)?
    .unwrap_or_default();
    let found = state.store.article_offers(&text, today(state), 5).await?;
    Ok(OfferList {
        items: found
            .into_iter()
            .map(|a| {
                let c = a.shown.content;
                Offer {
                    article: a.id.0,
                    version: a.shown.version,
                    kind: c.kind,
                    title: c.title,
                    doc_number: c.doc_number,
                    expires_on: c.expires_on,
                    answer: c.answer,
                }
            })
            .collect(),
    })
}

/// An article found by a search, with the text around what was found.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleHit {
    #[serde(flatten)]
    pub article: ArticleSummary,
    /// Text around the first occurrence (title, answer or body).
    pub snippet: String,
    pub marks: Vec<[usize; 2]>,
}

impl ArticleHit {
    /// The snippet in pieces for a page: (text, marked).
    pub fn parts(&self) -> Vec<(String, bool)> {
        super::search::snippet_parts(&self.snippet, &self.marks)
    }
}

/// Articles found by a search: the list's filters with `q`.
pub async fn search(
    state: &AppState,
    q: &ArticleQuery,
    relevance: bool,
) -> Result<(Vec<ArticleHit>, Option<String>, i64), ApiError> {
    let (filter, parsed, cursor, limit) = q.parse(state)?;
    let runs: Vec<&[char]> = parsed.as_ref().map(Query::runs).unwrap_or_default();
    let ranked = if relevance {
        let offset = super::search::relevance_offset(cursor.map(|c| (c.updated_at_ms, c.id)))?;
        state
            .store
            .articles_by_relevance(&filter, offset, limit)
            .await?
            .map(|(items, next)| (items, next.map(super::search::relevance_cursor)))
    } else {
        None
    };
    let (items, next) = match ranked {
        Some(r) => r,
        None => {
            let (items, next) = state.store.articles(&filter, cursor, limit).await?;
            (items, next.map(|c| c.to_string()))
        }
    };
    let total = state.store.articles_count(&filter).await?;
    let today = today(state);
    let names = category_names(state).await?;
    let hits = items
        .iter()
        .map(|a| {
            let c = &a.shown.content;
            let texts = [
                Some(c.title.as_str()),
                Some(c.answer.as_str()),
                c.full_text.as_deref(),
            ];
            let (snippet, marks) = super::search::first_snippet(&texts, &runs, &c.answer);
            ArticleHit {
                article: ArticleSummary::of(a, today, &names),
                snippet,
                marks,
            }
        })
        .collect();
    Ok((hits, next, total))
}

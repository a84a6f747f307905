//! Search (检索), shared by the API and the pages: a query in Ctrl-F
//! terms ([`aiwei_core::search`]), the ledger's filters and scope, newest
//! first, a snippet around the first place the query occurs.

use aiwei_core::search::{Query, snippet};
use aiwei_core::{ErrorCode, FieldError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::knowledge::{self, ArticleHit, ArticleQuery};
use super::ledger::{LedgerQuery, visible_to};
use super::query::{blank_to_none, opt_blank};
use crate::auth::Staff;
use crate::error::ApiError;
use crate::state::AppState;
use crate::views::MatterView;

/// How long a snippet is, in characters.
const SNIPPET: usize = 60;

/// The snippet of a hit: around the first of `texts` that holds one of
/// `runs`, with its marks; the start of `fallback` unmarked when none does.
pub fn first_snippet(
    texts: &[Option<&str>],
    runs: &[&[char]],
    fallback: &str,
) -> (String, Vec<[usize; 2]>) {
    let (text, marks) = texts
        .iter()
        .flatten()
        .map(|t| snippet(t, runs, SNIPPET))
        .find(|(_, marks)| !marks.is_empty())
        .unwrap_or_else(|| snippet(fallback, &[], SNIPPET));
    (text, marks.into_iter().map(|(a, b)| [a, b]).collect())
}

/// What to find, besides the ledger's filters.
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchTerms {
    /// What to find, as Ctrl-F would: any run of characters; several terms
    /// separated by spaces must all occur; a matter number or a full phone
    /// number finds its matters exactly. At most 200 characters.
    #[serde(default)]
    #[param(schema_with = schema::q)]
    pub q: Option<String>,
    /// `matter` (the default): matters, within the ledger's filters;
    /// `article`: the knowledge base (of the ledger's filters, only
    /// `category`, `cursor` and `limit` apply).
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = schema::kind)]
    pub kind: Option<String>,
    /// `newest` (the default: newest first, the same order on every
    /// backend) or `relevance` (most relevant first: where the words occur
    /// more, in shorter texts, in an article's title).
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = schema::sort)]
    pub sort: Option<String>,
}

/// The offset a relevance-ordered page starts at, from its cursor. Such a
/// cursor has the keyset cursor's shape (so clients treat both alike) with
/// the offset in place of the instant and a nil id.
pub fn relevance_offset(cursor: Option<(i64, uuid::Uuid)>) -> Result<i64, ApiError> {
    match cursor {
        None => Ok(0),
        Some((offset, id)) if id.is_nil() => Ok(offset),
        Some(_) => Err(ApiError::invalid_field(FieldError::new(
            "cursor",
            ErrorCode::InvalidCursor,
        ))),
    }
}

/// The cursor of a relevance-ordered page that starts at `offset`.
pub fn relevance_cursor(offset: i64) -> String {
    aiwei_store::matters::Cursor {
        received_at_ms: offset,
        id: uuid::Uuid::nil(),
    }
    .to_string()
}

mod schema {
    use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

    pub fn q() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(aiwei_core::search::MAX_QUERY))
            .build()
    }

    pub fn sort() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(["", "newest", "relevance"]))
            .build()
    }

    pub fn kind() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(["", "matter", "article"]))
            .build()
    }
}

/// One thing found: a matter (it has a `number`) or a knowledge-base
/// article (it has a `title`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Hit {
    Matter(Box<SearchHit>),
    Article(Box<ArticleHit>),
}

/// A snippet in pieces for a page: (text, marked).
pub fn snippet_parts(snippet: &str, marks: &[[usize; 2]]) -> Vec<(String, bool)> {
    let chars: Vec<char> = snippet.chars().collect();
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut at = 0;
    for [a, b] in marks {
        if *a < at || *b > chars.len() {
            continue;
        }
        out.push((chars[at..*a].iter().collect(), false));
        out.push((chars[*a..*b].iter().collect(), true));
        at = *b;
    }
    out.push((chars[at..].iter().collect(), false));
    out.retain(|(t, _)| !t.is_empty());
    out
}

/// One matter found, with the text around what was found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    #[serde(flatten)]
    pub matter: MatterView,
    /// Text around the first occurrence (the content, else the address or
    /// the answer); `…` where it is cut.
    pub snippet: String,
    /// Where the query occurs in `snippet`: [start, end) character offsets.
    pub marks: Vec<[usize; 2]>,
}

impl SearchHit {
    /// The snippet in pieces for a page: (text, marked).
    pub fn parts(&self) -> Vec<(String, bool)> {
        snippet_parts(&self.snippet, &self.marks)
    }
}

/// A page of results, newest first (articles: last changed first).
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchPage {
    pub items: Vec<Hit>,
    /// Cursor of the next page; null on the last.
    pub next: Option<String>,
    /// How many match, on all pages, counted up to the server's count
    /// limit (10,000 unless configured otherwise).
    pub total: i64,
    /// More than `total` match: counting stopped at the limit.
    pub total_more: bool,
}

/// What a search looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKind {
    Matter,
    Article,
}

impl SearchTerms {
    /// Whether `sort=relevance` was asked for.
    pub fn relevance(&self) -> Result<bool, ApiError> {
        match blank_to_none(&self.sort) {
            None | Some("newest") => Ok(false),
            Some("relevance") => Ok(true),
            Some(_) => Err(ApiError::invalid_field(FieldError::new(
                "sort",
                ErrorCode::UnknownValue,
            ))),
        }
    }

    pub fn kind(&self) -> Result<SearchKind, ApiError> {
        match blank_to_none(&self.kind) {
            None | Some("matter") => Ok(SearchKind::Matter),
            Some("article") => Ok(SearchKind::Article),
            Some(_) => Err(ApiError::invalid_field(FieldError::new(
                "kind",
                ErrorCode::UnknownValue,
            ))),
        }
    }
}

/// Runs a search for `staff`: within what they may see, callers masked as
/// in the ledger, the list recorded like the ledger's.
pub async fn search(
    state: &AppState,
    staff: &Staff,
    terms: &SearchTerms,
    filters: &LedgerQuery,
) -> Result<SearchPage, ApiError> {
    let query =
        Query::parse(terms.q.as_deref().unwrap_or_default()).map_err(ApiError::invalid_field)?;
    let relevance = terms.relevance()?;
    if terms.kind()? == SearchKind::Article {
        let (items, next, total) = knowledge::search(
            state,
            &ArticleQuery {
                q: terms.q.clone(),
                category: filters.category.clone(),
                cursor: filters.cursor.clone(),
                limit: filters.limit,
                ..ArticleQuery::default()
            },
            relevance,
        )
        .await?;
        return Ok(SearchPage {
            items: items
                .into_iter()
                .map(|h| Hit::Article(Box::new(h)))
                .collect(),
            next,
            total,
            total_more: false,
        });
    }
    let now = state.clock.now();
    let (mut filter, cursor, limit) = filters.parse(now)?;
    filter.text = state.store.search_conds(&query)?;
    let visible = visible_to(state, &staff.user);
    let count_limit = state.config.count_limit;
    let ranked = if relevance {
        let offset = relevance_offset(cursor.map(|c| (c.received_at_ms, c.id)))?;
        match state
            .store
            .ledger_by_relevance(&filter, &visible, offset, limit)
            .await?
        {
            Some((items, next)) => {
                let total = state
                    .store
                    .ledger_count(&filter, &visible, count_limit)
                    .await?;
                Some((items, next.map(relevance_cursor), total))
            }
            None => None,
        }
    } else {
        None
    };
    let (matters, next, total) = match ranked {
        Some(r) => r,
        None => {
            let (items, next, total) = state
                .store
                .ledger_page(&filter, &visible, cursor, limit, count_limit)
                .await?;
            (items, next.map(|c| c.to_string()), total)
        }
    };
    let runs = query.runs();
    let actor = staff.user.actor();
    let items: Vec<SearchHit> = matters
        .into_iter()
        .map(|m| {
            let texts = [
                Some(m.content.as_str()),
                m.location.address.as_deref(),
                m.answer.as_deref(),
            ];
            let (snippet, marks) = first_snippet(&texts, &runs, &m.content);
            SearchHit {
                snippet,
                marks,
                matter: MatterView::listed(m, &actor, now),
            }
        })
        .collect();
    crate::services::confidential::record_list_view(
        state,
        staff,
        "search",
        &items.iter().map(|h| &h.matter).collect::<Vec<_>>(),
    )
    .await?;
    Ok(SearchPage {
        items: items
            .into_iter()
            .map(|h| Hit::Matter(Box::new(h)))
            .collect(),
        next,
        total: total.count,
        total_more: total.more,
    })
}

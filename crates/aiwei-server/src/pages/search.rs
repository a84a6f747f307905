//! The search page (检索) and the search box of every page.

use aiwei_core::{MatterStatus, MatterType};
use aiwei_store::departments::Department;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{Layout, options};
use crate::auth::Staff;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::services::ledger::LedgerQuery;
use crate::services::search::{Hit, SearchKind, SearchPage, SearchTerms, search};
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "search.html")]
pub struct SearchResults {
    layout: Layout,
    terms: SearchTerms,
    q: LedgerQuery,
    page: Option<SearchPage>,
    error: Option<String>,
    next_href: Option<String>,
    /// Whether the knowledge base was searched.
    article: bool,
    types: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    departments: Vec<Department>,
}

/// The page's address for `terms` and `q` (the filters).
fn href(terms: &SearchTerms, q: &LedgerQuery) -> String {
    let a = serde_urlencoded::to_string(terms).unwrap_or_default();
    let b = serde_urlencoded::to_string(q).unwrap_or_default();
    let joined: Vec<&str> = [a.as_str(), b.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    format!("/search?{}", joined.join("&"))
}

pub async fn page(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(terms): ApiQuery<SearchTerms>,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> Result<Response, ApiError> {
    // The empty page, before anything was asked.
    let asked = terms.q.is_some();
    let (page, error, status) = if asked {
        match search(&state, &staff, &terms, &q).await {
            Ok(p) => (Some(p), None, axum::http::StatusCode::OK),
            Err(e) if e.status.is_client_error() => (None, Some(e.message()), e.status),
            Err(e) => return Err(e),
        }
    } else {
        (None, None, axum::http::StatusCode::OK)
    };
    let next_href = page.as_ref().and_then(|p| p.next.clone()).map(|c| {
        href(
            &terms,
            &LedgerQuery {
                cursor: Some(c),
                ..q.clone()
            },
        )
    });
    let article = matches!(terms.kind(), Ok(SearchKind::Article));
    let mut resp = SearchResults {
        article,
        layout: Layout::new(&state, &staff, "/search").await,
        next_href,
        page,
        error,
        types: options(MatterType::ALL, MatterType::as_str, MatterType::label),
        statuses: options(MatterStatus::ALL, MatterStatus::as_str, MatterStatus::label),
        departments: state.store.list_departments().await?,
        terms,
        q,
    }
    .into_response();
    *resp.status_mut() = status;
    Ok(resp)
}

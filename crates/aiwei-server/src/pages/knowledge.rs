//! The knowledge-base pages (知识库): the list with its filters, an
//! article with its versions, one version, the difference of two, the
//! editor, publishing and retiring; and the fragment beside the intake
//! form while a matter is typed: suggested classification and the articles
//! offered.

use aiwei_core::knowledge::{self, ArticleInput, FieldDiff, split_tags};
use aiwei_core::{ArticleId, ArticleKind, ArticleStatus};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::intake::{CategoryOption, category_options};
use super::{Layout, fragment, options};
use crate::auth::{RecordIntake, Staff};
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, CsrfForm};
use crate::services::duplicates::{self, DraftMatter, DuplicateList};
use crate::services::knowledge::{
    self as kb, ArticleDetail, ArticlePage, ArticleQuery, DiffView, OfferList, OfferRequest,
    PublishRequest, RetireRequest, VersionView, article_id,
};
use crate::services::suggest::{self, SuggestRequest, SuggestionList};
use crate::state::AppState;

/// What a write on the article page did, for the notice after the
/// redirect: the address carries a code, never text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    Created,
    Proposed,
    Published,
    Retired,
}

impl Done {
    const ALL: [Done; 4] = [
        Done::Created,
        Done::Proposed,
        Done::Published,
        Done::Retired,
    ];

    fn code(self) -> &'static str {
        match self {
            Done::Created => "created",
            Done::Proposed => "proposed",
            Done::Published => "published",
            Done::Retired => "retired",
        }
    }

    fn text(self) -> &'static str {
        match self {
            Done::Created => "已保存为第 1 版草稿，发布后才会在登记时推荐。",
            Done::Proposed => "已保存为新版本，待发布后生效；发布前登记时仍使用在用版本。",
            Done::Published => "已发布，登记来电来访时将推荐此版本。",
            Done::Retired => "已停用，登记时不再推荐。",
        }
    }

    fn from_code(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.code() == raw)
    }
}

fn to_article(id: ArticleId, done: Done) -> Response {
    Redirect::to(&format!("/knowledge/{id}?done={}", done.code())).into_response()
}

/// Whether `staff` may write and propose, and whether they publish.
async fn rights(state: &AppState, staff: &Staff) -> Result<(bool, bool), ApiError> {
    let publishers = kb::publishers(state).await?;
    let actor = staff.user.actor();
    Ok((
        knowledge::may_propose(&actor, &publishers).is_ok(),
        knowledge::publishes(&actor, &publishers),
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "knowledge.html")]
pub struct ListPage {
    layout: Layout,
    q: ArticleQuery,
    page: Option<ArticlePage>,
    error: Option<String>,
    next_href: Option<String>,
    kinds: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    categories: Vec<CategoryOption>,
    may_write: bool,
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<ArticleQuery>,
) -> Result<Response, ApiError> {
    let (page, error, status) = match kb::list(&state, &q).await {
        Ok(p) => (Some(p), None, axum::http::StatusCode::OK),
        Err(e) if e.status.is_client_error() => (None, Some(e.message()), e.status),
        Err(e) => return Err(e),
    };
    let next_href = page.as_ref().and_then(|p| p.next.clone()).map(|c| {
        let next = ArticleQuery {
            cursor: Some(c),
            ..q.clone()
        };
        format!(
            "/knowledge?{}",
            serde_urlencoded::to_string(&next).unwrap_or_default()
        )
    });
    let (may_write, _) = rights(&state, &staff).await?;
    let mut resp = ListPage {
        layout: Layout::new(&state, &staff, "/knowledge").await,
        page,
        error,
        next_href,
        kinds: options(ArticleKind::ALL, ArticleKind::as_str, ArticleKind::label),
        statuses: options(
            ArticleStatus::ALL,
            ArticleStatus::as_str,
            ArticleStatus::label,
        ),
        categories: category_options(&state).await?,
        may_write,
        q,
    }
    .into_response();
    *resp.status_mut() = status;
    Ok(resp)
}

#[derive(Template, WebTemplate)]
#[template(path = "article.html")]
pub struct ArticlePageView {
    layout: Layout,
    a: ArticleDetail,
    notice: Option<String>,
    error: Option<String>,
    may_write: bool,
    publishes: bool,
    /// The retire form's reason, kept when refused.
    reason: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ArticleQueryDone {
    #[serde(default)]
    done: Option<String>,
}

async fn article_page(
    state: &AppState,
    staff: &Staff,
    id: ArticleId,
) -> Result<ArticlePageView, ApiError> {
    let a = kb::detail(state, id).await?;
    let (may_write, publishes) = rights(state, staff).await?;
    Ok(ArticlePageView {
        layout: Layout::new(state, staff, "/knowledge").await,
        a,
        notice: None,
        error: None,
        may_write,
        publishes,
        reason: String::new(),
    })
}

pub async fn article(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ArticleQueryDone>,
) -> Result<ArticlePageView, ApiError> {
    let mut page = article_page(&state, &staff, article_id(&id)?).await?;
    page.notice = q
        .done
        .as_deref()
        .and_then(Done::from_code)
        .map(|d| d.text().to_owned());
    Ok(page)
}

/// The editor's fields as posted: every field a string, so nothing typed
/// is lost when the form comes back refused.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EditorForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub doc_number: String,
    #[serde(default)]
    pub effective_from: String,
    #[serde(default)]
    pub expires_on: String,
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub full_text: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub base_version: String,
}

impl EditorForm {
    fn of(v: &VersionView) -> Self {
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        Self {
            kind: v.kind.as_str().to_owned(),
            title: v.title.clone(),
            category: v.category.clone().unwrap_or_default(),
            tags: v.tags.join("，"),
            source: v.source.clone().unwrap_or_default(),
            doc_number: v.doc_number.clone().unwrap_or_default(),
            effective_from: date(v.effective_from),
            expires_on: date(v.expires_on),
            answer: v.answer.clone(),
            full_text: v.full_text.clone().unwrap_or_default(),
            note: String::new(),
            base_version: v.version.to_string(),
        }
    }

    /// The API input this form stands for; a date or number that cannot be
    /// read is refused naming its field.
    fn to_input(&self) -> Result<ArticleInput, ApiError> {
        let mut errs = aiwei_core::FieldErrors::default();
        let date = |field: &str, raw: &str, errs: &mut aiwei_core::FieldErrors| {
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            let d = raw.parse::<chrono::NaiveDate>().ok();
            if d.is_none() {
                errs.push(field, aiwei_core::ErrorCode::InvalidDate);
            }
            d
        };
        let opt = |s: &str| Some(s.to_owned()).filter(|s| !s.trim().is_empty());
        let input = ArticleInput {
            kind: opt(&self.kind),
            title: opt(&self.title),
            category: opt(&self.category),
            tags: split_tags(&self.tags),
            source: opt(&self.source),
            doc_number: opt(&self.doc_number),
            effective_from: date("effective_from", &self.effective_from, &mut errs),
            expires_on: date("expires_on", &self.expires_on, &mut errs),
            full_text: opt(&self.full_text),
            answer: opt(&self.answer),
            note: opt(&self.note),
            base_version: self.base_version.trim().parse().ok(),
        };
        if errs.is_empty() {
            Ok(input)
        } else {
            Err(ApiError::invalid(errs))
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "article_edit.html")]
pub struct EditorPage {
    layout: Layout,
    /// The article edited; none for a new one.
    id: Option<ArticleId>,
    /// Its title as it stands, for the heading.
    current_title: String,
    f: EditorForm,
    error: Option<String>,
    /// The refused field, to mark.
    field: Option<String>,
    kinds: Vec<(&'static str, &'static str)>,
    categories: Vec<CategoryOption>,
}

async fn editor(
    state: &AppState,
    staff: &Staff,
    id: Option<ArticleId>,
    current_title: String,
    f: EditorForm,
) -> Result<EditorPage, ApiError> {
    Ok(EditorPage {
        layout: Layout::new(state, staff, "/knowledge").await,
        id,
        current_title,
        f,
        error: None,
        field: None,
        kinds: options(ArticleKind::ALL, ArticleKind::as_str, ArticleKind::label),
        categories: category_options(state).await?,
    })
}

/// The editor refused, with what was typed and why.
fn refused(mut page: EditorPage, e: &ApiError) -> Response {
    page.error = Some(e.message());
    page.field = e.first_field().map(str::to_owned);
    let mut resp = page.into_response();
    *resp.status_mut() = e.status;
    resp
}

pub async fn new_form(State(state): State<AppState>, staff: Staff) -> Result<Response, ApiError> {
    let (may_write, _) = rights(&state, &staff).await?;
    if !may_write {
        return Err(ApiError::forbidden());
    }
    let f = EditorForm {
        kind: ArticleKind::Faq.as_str().to_owned(),
        ..EditorForm::default()
    };
    Ok(editor(&state, &staff, None, String::new(), f)
        .await?
        .into_response())
}

pub async fn create(
    State(state): State<AppState>,
    form: CsrfForm<EditorForm>,
) -> Result<Response, ApiError> {
    let result = async {
        let input = form.form.to_input()?;
        kb::create(&state, &form.staff, &input).await
    }
    .await;
    match result {
        Ok(id) => Ok(to_article(id, Done::Created)),
        Err(e) if e.status.is_client_error() => {
            let page = editor(&state, &form.staff, None, String::new(), form.form).await?;
            Ok(refused(page, &e))
        }
        Err(e) => Err(e),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let id = article_id(&id)?;
    let (may_write, _) = rights(&state, &staff).await?;
    if !may_write {
        return Err(ApiError::forbidden());
    }
    let a = state.store.article(id).await?;
    // Edits start from the newest version, so a pending proposal is built
    // on rather than lost.
    let latest = kb::version(&state, id, i64::from(a.facts.latest)).await?;
    let f = EditorForm::of(&latest);
    Ok(editor(&state, &staff, Some(id), a.shown.content.title, f)
        .await?
        .into_response())
}

pub async fn propose(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    form: CsrfForm<EditorForm>,
) -> Result<Response, ApiError> {
    let id = article_id(&id)?;
    let result = async {
        let input = form.form.to_input()?;
        kb::propose(&state, &form.staff, id, &input).await
    }
    .await;
    match result {
        Ok(_) => Ok(to_article(id, Done::Proposed)),
        Err(e) if e.status.is_client_error() => {
            let title = state.store.article(id).await?.shown.content.title;
            let page = editor(&state, &form.staff, Some(id), title, form.form).await?;
            Ok(refused(page, &e))
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    version: String,
}

#[derive(Debug, Deserialize)]
pub struct RetireForm {
    #[serde(default)]
    reason: String,
}

/// The article page after a refused write, with its status.
async fn article_refused(
    state: &AppState,
    staff: &Staff,
    id: ArticleId,
    e: &ApiError,
    reason: String,
) -> Result<Response, ApiError> {
    let mut page = article_page(state, staff, id).await?;
    page.error = Some(e.message());
    page.reason = reason;
    let mut resp = page.into_response();
    *resp.status_mut() = e.status;
    Ok(resp)
}

pub async fn publish(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    form: CsrfForm<PublishForm>,
) -> Result<Response, ApiError> {
    let id = article_id(&id)?;
    let req = PublishRequest {
        version: form.form.version.trim().parse().ok(),
    };
    match kb::publish(&state, &form.staff, id, &req).await {
        Ok(()) => Ok(to_article(id, Done::Published)),
        Err(e) if e.status.is_client_error() && e.status != axum::http::StatusCode::NOT_FOUND => {
            article_refused(&state, &form.staff, id, &e, String::new()).await
        }
        Err(e) => Err(e),
    }
}

pub async fn retire(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    form: CsrfForm<RetireForm>,
) -> Result<Response, ApiError> {
    let id = article_id(&id)?;
    let req = RetireRequest {
        reason: Some(form.form.reason.clone()),
    };
    match kb::retire(&state, &form.staff, id, &req).await {
        Ok(()) => Ok(to_article(id, Done::Retired)),
        Err(e) if e.status.is_client_error() && e.status != axum::http::StatusCode::NOT_FOUND => {
            article_refused(&state, &form.staff, id, &e, form.form.reason.clone()).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "article_version.html")]
pub struct VersionPage {
    layout: Layout,
    id: ArticleId,
    title: String,
    v: VersionView,
    /// The version in force, if any.
    published: Option<i32>,
    retired: bool,
}

impl VersionPage {
    fn in_use(&self) -> bool {
        self.published == Some(self.v.version) && !self.retired
    }
}

pub async fn version(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((id, n)): ApiPath<(String, i64)>,
) -> Result<VersionPage, ApiError> {
    let id = article_id(&id)?;
    let a = state.store.article(id).await?;
    let v = kb::version(&state, id, n).await?;
    Ok(VersionPage {
        layout: Layout::new(&state, &staff, "/knowledge").await,
        id,
        title: a.shown.content.title,
        v,
        published: a.facts.published,
        retired: a.facts.retired,
    })
}

#[derive(Debug, Deserialize)]
pub struct DiffForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "article_diff.html")]
pub struct DiffPage {
    layout: Layout,
    id: ArticleId,
    title: String,
    d: DiffView,
    versions: Vec<i32>,
}

impl DiffPage {
    /// The fields that differ, then a note of how many are the same.
    fn changed(&self) -> Vec<&FieldDiff> {
        self.d.fields.iter().filter(|f| f.changed).collect()
    }
}

pub async fn diff(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<DiffForm>,
) -> Result<Response, ApiError> {
    let id = article_id(&id)?;
    let a = state.store.article(id).await?;
    let latest = i64::from(a.facts.latest);
    // Without both, the newest against the one before.
    let from = q.from.trim().parse().unwrap_or((latest - 1).max(1));
    let to = q.to.trim().parse().unwrap_or(latest);
    let d = kb::diff(&state, id, from, to).await?;
    Ok(DiffPage {
        layout: Layout::new(&state, &staff, "/knowledge").await,
        id,
        title: a.shown.content.title,
        d,
        versions: (1..=a.facts.latest).rev().collect(),
    }
    .into_response())
}

#[derive(Template)]
#[template(path = "assist_fragment.html")]
struct AssistFragment {
    offers: OfferList,
    suggested: SuggestionList,
    dups: DuplicateList,
}

#[derive(Debug, Deserialize)]
pub struct AssistForm {
    #[serde(default)]
    content: String,
    #[serde(default, rename = "type")]
    matter_type: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    address: String,
}

/// What helps intake with what it has typed, as the fragment the intake
/// page shows beside its form: likely duplicates (to merge into when
/// saving), the sub-category and department the office's history
/// suggests, and the knowledge-base articles in force that match. A POST: the text may hold a caller's words, which never go
/// into an address.
pub async fn assist(
    State(state): State<AppState>,
    form: CsrfForm<AssistForm, RecordIntake>,
) -> Result<Response, ApiError> {
    let text = Some(form.form.content.clone());
    let offers = kb::offers(&state, &OfferRequest { text: text.clone() }).await?;
    let f = &form.form;
    let suggested = suggest::suggest(
        &state,
        &SuggestRequest {
            text,
            matter_type: Some(f.matter_type.clone()).filter(|t| !t.is_empty()),
        },
    )
    .await?;
    let blank = |s: &str| Some(s.to_owned()).filter(|s| !s.trim().is_empty());
    let draft = DraftMatter {
        matter_type: blank(&f.matter_type),
        category: blank(&f.category),
        address: blank(&f.address),
        content: blank(&f.content),
    };
    let dups = duplicates::of_draft(&state, &form.staff, &draft).await?;
    let html = AssistFragment {
        offers,
        suggested,
        dups,
    }
    .render()
    .map_err(ApiError::internal)?;
    Ok(fragment(html).into_response())
}

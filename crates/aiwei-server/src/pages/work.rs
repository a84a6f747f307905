//! "我的工作", "督办" and "消息" pages.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use super::{Layout, options};
use crate::auth::{Can, Staff, Supervise};
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, CsrfForm};
use crate::services::hotspots::{self, HotspotList, HotspotMarkRequest};
use crate::services::work;
use crate::services::work::NotificationQuery;
use crate::state::AppState;
use crate::views::{BoardGroup, BoardTotals, ExtensionView, NotificationView, QueueView};
use aiwei_core::NotificationKind;

#[derive(Template, WebTemplate)]
#[template(path = "work.html")]
pub struct WorkPage {
    layout: Layout,
    queues: Vec<QueueView>,
    /// A step just taken that took the matter out of the viewer's sight:
    /// (what was done, the matter's number).
    done: Option<(String, String)>,
}

#[derive(serde::Deserialize)]
pub struct WorkQuery {
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    matter: Option<String>,
}

pub async fn work(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<WorkQuery>,
) -> Result<WorkPage, ApiError> {
    // Only a known step and a well-formed number are echoed.
    let done = q
        .done
        .as_deref()
        .and_then(aiwei_core::EventKind::from_code)
        .zip(super::echoed_number(q.matter.as_deref()))
        .map(|(k, n)| (k.label().to_owned(), n));
    Ok(WorkPage {
        queues: work::queues(&state, &staff).await?,
        layout: Layout::new(&state, &staff, "/work").await,
        done,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "supervision.html")]
pub struct SupervisionPage {
    layout: Layout,
    groups: Vec<BoardGroup>,
    totals: BoardTotals,
    /// A matter just urged from the board.
    urged: Option<String>,
    pending: Vec<ExtensionView>,
    returns: Vec<(String, String, i64)>,
    hotspots: HotspotList,
    /// What was just recorded on a hotspot, or why it was refused.
    hotspot_notice: Option<String>,
    hotspot_error: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct BoardQuery {
    #[serde(default)]
    urged: Option<String>,
    /// `acknowledged` or `solved`: a hotspot form just succeeded.
    #[serde(default)]
    hotspot: Option<String>,
}

async fn board_page(
    state: &AppState,
    staff: &Staff,
    urged: Option<String>,
) -> Result<SupervisionPage, ApiError> {
    let groups = work::board(state, &staff.user).await?;
    let totals = work::totals(&groups);
    Ok(SupervisionPage {
        pending: state
            .store
            .pending_extensions()
            .await?
            .into_iter()
            .map(ExtensionView::from)
            .collect(),
        groups,
        totals,
        urged,
        returns: state.store.returns_by_department().await?,
        hotspots: hotspots::list(state).await?,
        hotspot_notice: None,
        hotspot_error: None,
        layout: Layout::new(state, staff, "/supervision").await,
    })
}

#[derive(serde::Deserialize)]
pub struct HotspotForm {
    #[serde(default)]
    place: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    note: String,
    /// `acknowledge` or `close`.
    #[serde(default)]
    action: String,
}

/// A hotspot form of the board: back to the board with what was done, or
/// the board with the refusal.
pub async fn mark_hotspot(
    State(state): State<AppState>,
    form: CsrfForm<HotspotForm, Supervise>,
) -> Result<Response, ApiError> {
    let f = &form.form;
    let close = f.action == "close";
    let req = HotspotMarkRequest {
        place: Some(f.place.clone()),
        category: Some(f.category.clone()),
        note: Some(f.note.clone()),
    };
    match hotspots::mark(&state, &form.staff, &req, close).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/supervision?hotspot={}#hotspots",
            if close { "solved" } else { "acknowledged" }
        ))
        .into_response()),
        Err(e) if e.status.is_client_error() => {
            let mut page = board_page(&state, &form.staff, None).await?;
            page.hotspot_error = Some(e.message());
            let mut resp = page.into_response();
            *resp.status_mut() = e.status;
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

pub async fn supervision(
    State(state): State<AppState>,
    can: Can<Supervise>,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> Result<SupervisionPage, ApiError> {
    let mut page = board_page(&state, &can.staff, super::echoed_number(q.urged.as_deref())).await?;
    page.hotspot_notice = match q.hotspot.as_deref() {
        Some("acknowledged") => Some("已确认热点问题，备注已记录。".to_owned()),
        Some("solved") => {
            Some("已关闭热点问题；此前的投诉不再计入，新的投诉将重新统计。".to_owned())
        }
        _ => None,
    };
    Ok(page)
}

/// Notifications of one matter on a page: the newest shown, the others
/// folded under it, so a matter that raised many does not flood the list.
pub struct NotificationGroup {
    pub first: NotificationView,
    pub more: Vec<NotificationView>,
}

impl NotificationGroup {
    pub fn unread(&self) -> bool {
        !self.first.read || self.more.iter().any(|n| !n.read)
    }
}

/// Groups a page's notifications by matter, in the order of each matter's
/// newest one.
fn group(items: Vec<NotificationView>) -> Vec<NotificationGroup> {
    let mut out: Vec<NotificationGroup> = Vec::new();
    for n in items {
        match out
            .iter_mut()
            .find(|g| g.first.number.is_some() && g.first.number == n.number)
        {
            Some(g) => g.more.push(n),
            None => out.push(NotificationGroup {
                first: n,
                more: Vec::new(),
            }),
        }
    }
    out
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications.html")]
pub struct NotificationsPage {
    layout: Layout,
    q: NotificationQuery,
    groups: Vec<NotificationGroup>,
    total: i64,
    kinds: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    next_href: Option<String>,
    /// This page's address, where the read buttons come back to.
    here: String,
}

fn href(q: &NotificationQuery) -> String {
    match serde_urlencoded::to_string(q) {
        Ok(s) if !s.is_empty() => format!("/notifications?{s}"),
        _ => "/notifications".to_owned(),
    }
}

pub async fn notifications(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> Result<NotificationsPage, ApiError> {
    let (groups, total, next, error) = match work::notifications(&state, &staff.user, &q).await {
        Ok(p) => (group(p.items), p.total, p.next, None),
        Err(e) if !e.errors.is_empty() => (Vec::new(), 0, None, Some(e.message())),
        Err(e) => return Err(e),
    };
    Ok(NotificationsPage {
        next_href: next.map(|c| {
            href(&NotificationQuery {
                cursor: Some(c),
                ..q.clone()
            })
        }),
        here: href(&q),
        groups,
        total,
        error,
        kinds: options(
            NotificationKind::ALL,
            NotificationKind::as_str,
            NotificationKind::label,
        ),
        layout: Layout::new(&state, &staff, "/notifications").await,
        q,
    })
}

#[derive(serde::Deserialize)]
pub struct ReadForm {
    /// One notification; all of them when absent.
    #[serde(default)]
    id: Option<String>,
    /// The list to go back to (a `/notifications` address).
    #[serde(default)]
    back: Option<String>,
}

/// Marks one notification, or all, read, and goes back to the list as it
/// was filtered.
pub async fn read_all(
    State(state): State<AppState>,
    form: CsrfForm<ReadForm>,
) -> Result<Redirect, ApiError> {
    let user = form.staff.user.id;
    let now = state.clock.now();
    match form.form.id.as_deref().filter(|s| !s.is_empty()) {
        Some(id) => {
            let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
            state.store.mark_one_read(user, id, now).await?;
        }
        None => {
            state.store.mark_read(user, now).await?;
        }
    }
    // Only a local list address: never an open redirect.
    let back = form
        .form
        .back
        .filter(|b| b.starts_with("/notifications") && !b.starts_with("//"))
        .unwrap_or_else(|| "/notifications".to_owned());
    Ok(Redirect::to(&back))
}

#[derive(serde::Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    approve: String,
    #[serde(default)]
    note: String,
}

/// A supervisor approves or refuses an extension from the board.
pub async fn decide_extension(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    form: CsrfForm<DecisionForm, Supervise>,
) -> Result<Redirect, ApiError> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    let note = Some(form.form.note.trim()).filter(|n| !n.is_empty());
    state
        .store
        .decide_extension(
            id,
            &form.staff.user,
            form.form.approve == "1",
            note,
            state.clock.now(),
        )
        .await?;
    Ok(Redirect::to("/supervision"))
}

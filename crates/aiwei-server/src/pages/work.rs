//! "我的工作", "督办" and "消息" pages.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Redirect;

use super::Layout;
use crate::auth::{Can, Staff, Supervise};
use crate::error::ApiError;
use crate::extract::{ApiPath, CsrfForm};
use crate::services::work;
use crate::state::AppState;
use crate::views::{BoardGroup, ExtensionView, NotificationView, QueueView};

#[derive(Template, WebTemplate)]
#[template(path = "work.html")]
pub struct WorkPage {
    layout: Layout,
    queues: Vec<QueueView>,
}

pub async fn work(State(state): State<AppState>, staff: Staff) -> Result<WorkPage, ApiError> {
    Ok(WorkPage {
        queues: work::queues(&state, &staff).await?,
        layout: Layout::new(&state, &staff, "/work").await,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "supervision.html")]
pub struct SupervisionPage {
    layout: Layout,
    groups: Vec<BoardGroup>,
    pending: Vec<ExtensionView>,
    returns: Vec<(String, String, i64)>,
}

pub async fn supervision(
    State(state): State<AppState>,
    can: Can<Supervise>,
) -> Result<SupervisionPage, ApiError> {
    Ok(SupervisionPage {
        pending: state
            .store
            .pending_extensions()
            .await?
            .into_iter()
            .map(ExtensionView::from)
            .collect(),
        groups: work::board(&state).await?,
        returns: state.store.returns_by_department().await?,
        layout: Layout::new(&state, &can.staff, "/supervision").await,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications.html")]
pub struct NotificationsPage {
    layout: Layout,
    items: Vec<NotificationView>,
}

pub async fn notifications(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<NotificationsPage, ApiError> {
    Ok(NotificationsPage {
        items: work::notifications(&state, &staff.user).await?,
        layout: Layout::new(&state, &staff, "/notifications").await,
    })
}

#[derive(serde::Deserialize)]
pub struct Empty {}

pub async fn read_all(
    State(state): State<AppState>,
    form: CsrfForm<Empty>,
) -> Result<Redirect, ApiError> {
    state
        .store
        .mark_read(form.staff.user.id, state.clock.now())
        .await?;
    Ok(Redirect::to("/notifications"))
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

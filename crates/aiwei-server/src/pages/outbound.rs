//! The administrator's pages for notifications that leave the building:
//! 消息推送 (destinations and rules), 消息模板 (texts with a preview) and
//! 发送记录 (the outbox, with a retry per message). Thin: the checks are
//! [`crate::services::channels`]'s, shared with the API.

use aiwei_core::NotificationKind;
use aiwei_core::notify::{ChannelKind, DeliveryState, Placeholder};
use aiwei_core::time::local_minute;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{Layout, with_status};
use crate::auth::{Administer, Can, Staff};
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, CsrfForm};
use crate::services::channels::{
    self, DestinationRequest, DestinationView, OutboxQuery, RuleRequest, RuleView, TemplateRequest,
    TemplateView,
};
use crate::state::AppState;

/// A refusal shown on the page it came from, with its status; anything
/// else is the error page.
fn refused(e: ApiError) -> Result<(Option<String>, axum::http::StatusCode), ApiError> {
    if e.status.is_client_error() {
        Ok((Some(e.message()), e.status))
    } else {
        Err(e)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_notify.html")]
pub struct NotifyPage {
    layout: Layout,
    destinations: Vec<DestinationView>,
    rules: Vec<RuleView>,
    /// (value, label): `user:<id>` and `dept:<code>`.
    subscribers: Vec<(String, String)>,
    /// (code, label)
    kinds: Vec<(&'static str, &'static str)>,
    /// (code, label) of the kinds a destination may be.
    channels: Vec<(&'static str, &'static str)>,
    allow: Vec<String>,
    smtp: bool,
    error: Option<String>,
    notice: Option<String>,
    /// What was typed into a refused form (never a secret).
    typed: super::Typed,
}

async fn notify_page(
    state: &AppState,
    staff: &Staff,
    error: Option<String>,
    notice: Option<String>,
    typed: super::Typed,
) -> Result<NotifyPage, ApiError> {
    let mut subscribers: Vec<(String, String)> = state
        .store
        .list_departments()
        .await?
        .into_iter()
        .map(|d| (format!("dept:{}", d.code), format!("部门：{}", d.name)))
        .collect();
    subscribers.extend(
        state
            .store
            .list_users()
            .await?
            .into_iter()
            .filter(|u| u.active)
            .map(|u| {
                (
                    format!("user:{}", u.id.0),
                    format!("个人：{}（{}）", u.display_name, u.username),
                )
            }),
    );
    Ok(NotifyPage {
        layout: Layout::new(state, staff, "/admin/notify").await,
        destinations: channels::destinations(state).await?,
        rules: channels::rules(state).await?,
        subscribers,
        kinds: NotificationKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        channels: ChannelKind::DESTINATIONS
            .iter()
            .map(|c| (c.as_str(), c.label()))
            .collect(),
        allow: state.outbound.config.allow.entries(),
        smtp: state.outbound.config.smtp.is_some(),
        error,
        notice,
        typed,
    })
}

/// 消息推送: where notifications go.
pub async fn notify(
    State(state): State<AppState>,
    can: Can<Administer>,
) -> Result<NotifyPage, ApiError> {
    notify_page(&state, &can.staff, None, None, Default::default()).await
}

#[derive(serde::Deserialize)]
pub struct DestinationForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    secret: String,
}

/// Adds a group robot or webhook.
pub async fn add_destination(
    State(state): State<AppState>,
    form: CsrfForm<DestinationForm, Administer>,
) -> Result<Response, ApiError> {
    let f = &form.form;
    let outcome = match ChannelKind::parse(&f.channel) {
        Err(e) => Err(ApiError::invalid_field(e)),
        Ok(channel) => {
            let req = DestinationRequest {
                name: f.name.clone(),
                channel,
                url: f.url.clone(),
                secret: Some(f.secret.clone()),
            };
            channels::add_destination(&state, &form.staff, &req).await
        }
    };
    match outcome {
        Ok(d) => {
            let notice = format!("已添加推送地址“{}”。", d.name);
            Ok(
                notify_page(&state, &form.staff, None, Some(notice), Default::default())
                    .await?
                    .into_response(),
            )
        }
        Err(e) => {
            let (error, status) = refused(e)?;
            // The secret is not shown again.
            let typed = super::Typed(vec![
                ("name".to_owned(), f.name.clone()),
                ("channel".to_owned(), f.channel.clone()),
                ("url".to_owned(), f.url.clone()),
            ]);
            let page = notify_page(&state, &form.staff, error, None, typed).await?;
            Ok(with_status(page, status))
        }
    }
}

#[derive(serde::Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    active: String,
}

/// Turns a destination off or on.
pub async fn set_destination_active(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    form: CsrfForm<ActiveForm, Administer>,
) -> Result<Response, ApiError> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    let active = form.form.active == "true";
    state
        .store
        .set_destination_active_audited(id, active, &form.staff.audit_actor(), state.clock.now())
        .await?;
    let notice = if active {
        "推送地址已重新启用。"
    } else {
        "推送地址已停用，相关通知不再发往该地址。"
    };
    Ok(notify_page(
        &state,
        &form.staff,
        None,
        Some(notice.into()),
        Default::default(),
    )
    .await?
    .into_response())
}

/// Adds a rule. `kind` repeats, so the form is read as pairs.
pub async fn add_rule(
    State(state): State<AppState>,
    form: CsrfForm<Vec<(String, String)>, Administer>,
) -> Result<Response, ApiError> {
    let get = |k: &str| {
        form.form
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let outcome = async {
        let mut req = RuleRequest::default();
        let who = get("subscriber");
        if let Some(u) = who.strip_prefix("user:") {
            req.user = Some(u.parse().map_err(|_| {
                ApiError::invalid_field(aiwei_core::FieldError::new(
                    "user",
                    aiwei_core::ErrorCode::UnknownUser,
                ))
            })?);
        } else if let Some(d) = who.strip_prefix("dept:") {
            req.department = Some(d.to_owned());
        }
        req.kinds = form
            .form
            .iter()
            .filter(|(k, _)| k == "kind")
            .map(|(_, v)| NotificationKind::parse(v).map_err(ApiError::invalid_field))
            .collect::<Result<_, _>>()?;
        match get("target").as_str() {
            "email" => req.email = Some(get("email")),
            t => {
                req.destination = t.parse().ok();
            }
        }
        channels::add_rule(&state, &form.staff, &req).await
    }
    .await;
    match outcome {
        Ok(r) => {
            let notice = format!(
                "已添加规则：{}的“{}”发往{}。",
                r.subscriber_name,
                r.kinds_text(),
                r.target_name
            );
            Ok(
                notify_page(&state, &form.staff, None, Some(notice), Default::default())
                    .await?
                    .into_response(),
            )
        }
        Err(e) => {
            let (error, status) = refused(e)?;
            let typed = super::Typed::of(&form.form, &[]);
            let page = notify_page(&state, &form.staff, error, None, typed).await?;
            Ok(with_status(page, status))
        }
    }
}

/// Removes a rule.
pub async fn delete_rule(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    form: CsrfForm<super::admin::Empty, Administer>,
) -> Result<Response, ApiError> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    state
        .store
        .delete_rule_audited(id, &form.staff.audit_actor(), state.clock.now())
        .await?;
    Ok(notify_page(
        &state,
        &form.staff,
        None,
        Some("规则已删除，已排队的通知仍会发送。".into()),
        Default::default(),
    )
    .await?
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_templates.html")]
pub struct TemplatesPage {
    layout: Layout,
    templates: Vec<TemplateView>,
    /// The kind being edited.
    current: TemplateView,
    /// (name, meaning)
    placeholders: Vec<(&'static str, &'static str)>,
    /// A preview of unsaved text, with the text itself.
    trial: Option<(String, String)>,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct KindQuery {
    #[serde(default)]
    kind: Option<String>,
}

async fn templates_page(
    state: &AppState,
    staff: &Staff,
    kind: NotificationKind,
    edit: Option<&TemplateRequest>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<TemplatesPage, ApiError> {
    let templates = channels::templates(state).await?;
    let mut current = templates
        .iter()
        .find(|t| t.kind == kind)
        .cloned()
        .ok_or_else(ApiError::not_found)?;
    let mut trial = None;
    if let Some(e) = edit {
        current.subject = e.subject.clone();
        current.body = e.body.clone();
        if error.is_none()
            && let Ok(t) = channels::parse_template(&e.subject, &e.body)
        {
            trial = Some(crate::services::outbound::preview(&t, kind));
        }
    }
    Ok(TemplatesPage {
        layout: Layout::new(state, staff, "/admin/notify/templates").await,
        templates,
        current,
        placeholders: Placeholder::ALL
            .iter()
            .map(|p| (p.as_str(), p.label()))
            .collect(),
        trial,
        error,
        notice,
    })
}

/// 消息模板: one kind's text at a time.
pub async fn templates(
    State(state): State<AppState>,
    can: Can<Administer>,
    ApiQuery(q): ApiQuery<KindQuery>,
) -> Result<TemplatesPage, ApiError> {
    let kind = match q.kind.as_deref().filter(|k| !k.is_empty()) {
        None => NotificationKind::Dispatched,
        Some(k) => NotificationKind::from_code(k).ok_or_else(ApiError::not_found)?,
    };
    templates_page(&state, &can.staff, kind, None, None, None).await
}

#[derive(serde::Deserialize)]
pub struct TemplateForm {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    /// `preview`, `save` or `reset`.
    #[serde(default)]
    step: String,
}

/// Previews, saves or resets one kind's text.
pub async fn save_template(
    State(state): State<AppState>,
    ApiPath(kind): ApiPath<String>,
    form: CsrfForm<TemplateForm, Administer>,
) -> Result<Response, ApiError> {
    let kind = NotificationKind::from_code(&kind).ok_or_else(ApiError::not_found)?;
    let f = &form.form;
    let req = TemplateRequest {
        subject: f.subject.clone(),
        body: f.body.clone(),
    };
    let outcome = match f.step.as_str() {
        "preview" => channels::parse_template(&req.subject, &req.body).map(|_| None),
        "reset" => channels::save_template(&state, &form.staff, kind, None)
            .await
            .map(|_| Some("已恢复为系统默认模板。")),
        _ => channels::save_template(&state, &form.staff, kind, Some(&req))
            .await
            .map(|_| Some("模板已保存，此后的通知按新模板发送。")),
    };
    match outcome {
        Ok(None) => Ok(
            templates_page(&state, &form.staff, kind, Some(&req), None, None)
                .await?
                .into_response(),
        ),
        Ok(Some(notice)) => {
            Ok(
                templates_page(&state, &form.staff, kind, None, None, Some(notice.into()))
                    .await?
                    .into_response(),
            )
        }
        Err(e) => {
            let (error, status) = refused(e)?;
            let page = templates_page(&state, &form.staff, kind, Some(&req), error, None).await?;
            Ok(with_status(page, status))
        }
    }
}

/// One row of the outbox list.
pub struct OutboxRow {
    id: String,
    created: String,
    kind: &'static str,
    number: String,
    channel: &'static str,
    target: String,
    state: &'static str,
    failed: bool,
    retryable: bool,
    attempts: i32,
    detail: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_outbox.html")]
pub struct OutboxPageView {
    layout: Layout,
    rows: Vec<OutboxRow>,
    pending: i64,
    sent: i64,
    failed: i64,
    /// The state filter, `""` for all.
    filter: String,
    /// (code, label)
    states: Vec<(&'static str, &'static str)>,
    next: Option<String>,
    error: Option<String>,
    notice: Option<String>,
}

async fn outbox_page(
    state: &AppState,
    staff: &Staff,
    q: &OutboxQuery,
    error: Option<String>,
    notice: Option<String>,
) -> Result<OutboxPageView, ApiError> {
    let page = channels::outbox(state, q).await?;
    let rows = page
        .items
        .into_iter()
        .map(|i| {
            let detail = match i.state {
                DeliveryState::Sent => i
                    .sent_at
                    .map(|t| format!("{} 送达", local_minute(t)))
                    .unwrap_or_default(),
                DeliveryState::Pending if i.attempts > 0 => format!(
                    "{}；将于 {} 重试",
                    i.last_error.clone().unwrap_or_default(),
                    local_minute(i.next_attempt_at)
                ),
                DeliveryState::Pending => "等待发送".into(),
                DeliveryState::Failed => i.last_error.clone().unwrap_or_default(),
            };
            OutboxRow {
                id: i.id.to_string(),
                created: local_minute(i.created_at),
                kind: i.kind_label,
                number: i.number.unwrap_or_default(),
                channel: i.channel.label(),
                target: i.target,
                state: i.state_label,
                failed: i.state == DeliveryState::Failed,
                retryable: i.state != DeliveryState::Sent,
                attempts: i.attempts,
                detail,
            }
        })
        .collect();
    Ok(OutboxPageView {
        layout: Layout::new(state, staff, "/admin/outbox").await,
        rows,
        pending: page.counts.pending,
        sent: page.counts.sent,
        failed: page.counts.failed,
        filter: q.state.clone().unwrap_or_default(),
        states: DeliveryState::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        next: page.next.map(|n| n.to_string()),
        error,
        notice,
    })
}

/// 发送记录: what went out, what waits, what failed and why.
pub async fn outbox(
    State(state): State<AppState>,
    can: Can<Administer>,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> Result<OutboxPageView, ApiError> {
    outbox_page(&state, &can.staff, &q, None, None).await
}

/// Sends a failed or waiting message again now.
pub async fn retry(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    form: CsrfForm<super::admin::Empty, Administer>,
) -> Result<Response, ApiError> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    let q = OutboxQuery::default();
    match state
        .store
        .retry_outbox_audited(id, &form.staff.audit_actor(), state.clock.now())
        .await
    {
        Ok(()) => Ok(outbox_page(
            &state,
            &form.staff,
            &q,
            None,
            Some("已重新排队，稍后自动发送。".into()),
        )
        .await?
        .into_response()),
        Err(e) => {
            let (error, status) = refused(ApiError::from(e))?;
            let page = outbox_page(&state, &form.staff, &q, error, None).await?;
            Ok(with_status(page, status))
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_open311.html")]
pub struct Open311Page {
    layout: Layout,
    /// (id, client, issued, revoked or empty)
    keys: Vec<(String, String, String, String)>,
    created: Option<String>,
    error: Option<String>,
    notice: Option<String>,
}

async fn open311_page(
    state: &AppState,
    staff: &Staff,
    created: Option<String>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Open311Page, ApiError> {
    let keys = state
        .store
        .open311_keys()
        .await?
        .into_iter()
        .map(|k| {
            (
                k.id.to_string(),
                k.name,
                local_minute(k.created_at),
                k.revoked_at.map(local_minute).unwrap_or_default(),
            )
        })
        .collect();
    Ok(Open311Page {
        layout: Layout::new(state, staff, "/admin/open311").await,
        keys,
        created,
        error,
        notice,
    })
}

/// Open311接口: the keys other systems file requests with.
pub async fn open311(
    State(state): State<AppState>,
    can: Can<Administer>,
) -> Result<Open311Page, ApiError> {
    open311_page(&state, &can.staff, None, None, None).await
}

#[derive(serde::Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    name: String,
}

/// Issues a key, shown once; only its SHA-256 is kept.
pub async fn issue_open311_key(
    State(state): State<AppState>,
    form: CsrfForm<KeyForm, Administer>,
) -> Result<Response, ApiError> {
    let key = format!("o311_{}", crate::auth::new_secret());
    match state
        .store
        .add_open311_key_audited(
            &form.form.name,
            &crate::auth::secret_hash(&key),
            &form.staff.audit_actor(),
            state.clock.now(),
        )
        .await
    {
        Ok(_) => Ok(open311_page(&state, &form.staff, Some(key), None, None)
            .await?
            .into_response()),
        Err(e) => {
            let (error, status) = refused(ApiError::from(e))?;
            let page = open311_page(&state, &form.staff, None, error, None).await?;
            Ok(with_status(page, status))
        }
    }
}

/// Revokes a key at once.
pub async fn revoke_open311_key(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    form: CsrfForm<super::admin::Empty, Administer>,
) -> Result<Response, ApiError> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    state
        .store
        .revoke_open311_key_audited(id, &form.staff.audit_actor(), state.clock.now())
        .await?;
    Ok(open311_page(
        &state,
        &form.staff,
        None,
        None,
        Some("密钥已吊销，对方系统此后的提交将被拒绝。".into()),
    )
    .await?
    .into_response())
}

//! Intake and the tracking ledger, shared by the API and the pages: who sees
//! which matters, how ledger queries are read, how a matter is recorded.

use aiwei_core::access::{self, Cond};
use aiwei_core::time::to_millis;
use aiwei_core::{
    AuditAction, Channel, ErrorCode, FieldErrors, MatterId, MatterNumber, MatterStatus, MatterType,
};
use aiwei_store::matters::{Cursor, LedgerFilter, Matter, MatterKey};
use aiwei_store::users::User;

use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::query::{self, blank_to_none, from_day, limit, opt_blank, to_day};
use crate::error::ApiError;
use crate::state::AppState;
use crate::views::{LedgerPage, MatterView};

/// Which matters `user` may see now ([`access::visibility`]).
pub fn visible_to(state: &AppState, user: &User) -> Cond {
    access::visibility(&user.actor(), to_millis(state.clock.now()))
}

/// A matter by UUID or by number (`AW2026-000123`), or 404 when it does not
/// exist or `user` may not see it.
pub async fn find_visible(state: &AppState, user: &User, key: &str) -> Result<Matter, ApiError> {
    let key = if let Ok(id) = key.parse::<MatterId>() {
        MatterKey::Id(id)
    } else if let Ok(n) = key.parse::<MatterNumber>() {
        MatterKey::Number(n)
    } else {
        return Err(ApiError::not_found());
    };
    Ok(state
        .store
        .matter_in_scope(&key, &visible_to(state, user))
        .await?)
}

/// Ledger filters as query parameters. Dates are local (Asia/Shanghai)
/// calendar days, both ends included.
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// `consultation`, `complaint`, `suggestion` or `other`.
    #[serde(rename = "type", default, skip_serializing_if = "opt_blank")]
    #[param(rename = "type", schema_with = MatterType::filter_schema)]
    pub matter_type: Option<String>,
    /// A status.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = MatterStatus::filter_schema)]
    pub status: Option<String>,
    /// `phone` or `visit`.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = Channel::filter_schema)]
    pub channel: Option<String>,
    /// Receiving office (受理单位), a department code.
    #[serde(default, skip_serializing_if = "opt_blank")]
    pub department: Option<String>,
    /// Lead department (主办部门), a department code.
    #[serde(default, skip_serializing_if = "opt_blank")]
    pub lead_department: Option<String>,
    /// A co-handling or coordinating department (协办部门), a department
    /// code.
    #[serde(default, skip_serializing_if = "opt_blank")]
    pub co_department: Option<String>,
    /// `true`: only matters with a deadline past due now.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::only_true)]
    pub overdue: Option<String>,
    /// `true` or `false`: urgent matters only, or ordinary ones only.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::boolean)]
    pub urgent: Option<String>,
    /// The satisfaction of the latest revisit.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = aiwei_core::Satisfaction::filter_schema)]
    pub satisfaction: Option<String>,
    /// The id of the staff member who recorded it.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::uuid)]
    pub intake_user: Option<String>,
    /// Sub-category code; its children match too.
    #[serde(default, skip_serializing_if = "opt_blank")]
    pub category: Option<String>,
    /// First day, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::day)]
    pub received_from: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::day)]
    pub received_to: Option<String>,
    /// `next` of the previous page.
    #[serde(default, skip_serializing_if = "opt_blank")]
    #[param(schema_with = query::schema::cursor)]
    pub cursor: Option<String>,
    /// Page size (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(schema_with = query::schema::limit)]
    pub limit: Option<u32>,
}

impl LedgerQuery {
    /// The filter, cursor and page size; `now` is the instant `overdue`
    /// is judged at.
    pub fn parse(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(LedgerFilter, Option<Cursor>, u32), ApiError> {
        let mut errs = FieldErrors::default();
        let mut f = LedgerFilter::default();
        if let Some(t) = blank_to_none(&self.matter_type) {
            f.matter_type = errs.take(MatterType::parse(t));
        }
        if let Some(s) = blank_to_none(&self.status) {
            f.status = errs.take(MatterStatus::parse(s));
        }
        if let Some(c) = blank_to_none(&self.channel) {
            f.channel = errs.take(Channel::parse(c));
        }
        f.department = blank_to_none(&self.department).map(|d| d.to_ascii_uppercase());
        f.lead_department = blank_to_none(&self.lead_department).map(|d| d.to_ascii_uppercase());
        f.co_department = blank_to_none(&self.co_department).map(|d| d.to_ascii_uppercase());
        if let Some(o) = blank_to_none(&self.overdue)
            && query::only_true("overdue", o, &mut errs)
        {
            f.overdue_at = Some(now);
        }
        if let Some(s) = blank_to_none(&self.satisfaction) {
            f.satisfaction = errs.take(aiwei_core::Satisfaction::parse(s));
        }
        if let Some(u) = blank_to_none(&self.urgent) {
            f.urgent = query::boolean("urgent", u, &mut errs);
        }
        if let Some(u) = blank_to_none(&self.intake_user) {
            f.intake_user = query::uuid("intake_user", u, &mut errs).map(aiwei_core::UserId);
        }
        f.category = blank_to_none(&self.category).map(str::to_owned);
        if let Some(d) = blank_to_none(&self.received_from) {
            f.received_from = from_day("received_from", d, &mut errs);
        }
        if let Some(d) = blank_to_none(&self.received_to) {
            f.received_to = to_day("received_to", d, &mut errs);
        }
        let cursor = blank_to_none(&self.cursor).and_then(|c| errs.take(c.parse::<Cursor>()));
        let limit = limit(self.limit, &mut errs);
        if errs.is_empty() {
            Ok((f, cursor, limit))
        } else {
            Err(ApiError::invalid(errs))
        }
    }
}

pub async fn page(
    state: &AppState,
    staff: &crate::auth::Staff,
    q: &LedgerQuery,
) -> Result<LedgerPage, ApiError> {
    let user = &staff.user;
    let now = state.clock.now();
    let (filter, cursor, limit) = q.parse(now)?;
    let visible = visible_to(state, user);
    let (matters, next, total) = state
        .store
        .ledger_page(&filter, &visible, cursor, limit, state.config.count_limit)
        .await?;
    let actor = user.actor();
    let items: Vec<MatterView> = matters
        .into_iter()
        .map(|m| MatterView::listed(m, &actor, now))
        .collect();
    crate::services::confidential::record_list_view(
        state,
        staff,
        "ledger",
        &items.iter().collect::<Vec<_>>(),
    )
    .await?;
    Ok(LedgerPage {
        items,
        next: next.map(|c| c.to_string()),
        total: total.count,
        total_more: total.more,
    })
}

/// The most rows one CSV export holds; narrow the filters for more.
pub const EXPORT_MAX_ROWS: usize = 50_000;

/// The file format of an export, as its audit record names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }
}

/// One exported matter: as the exporting user may see it, and how far it
/// has come when the format shows that.
pub struct ExportRow {
    pub view: MatterView,
    pub progress: Option<aiwei_store::matters::Progress>,
}

/// Walks the ledger for an export: the same filters and scope as
/// the ledger pages, callers in clear only for the roles the configuration
/// names ([`access::export_clear`], R-5.2), masked otherwise. Hands `sink`
/// one page of rows at a time, so no export holds the whole ledger; more
/// than `max_rows` is refused (409) before anything is recorded. The
/// export is an audit record. Returns the number of rows.
pub async fn export_rows(
    state: &AppState,
    staff: &crate::auth::Staff,
    q: &LedgerQuery,
    format: ExportFormat,
    max_rows: usize,
    mut sink: impl FnMut(Vec<ExportRow>) -> Result<(), ApiError>,
) -> Result<usize, ApiError> {
    let user = &staff.user;
    let now = state.clock.now();
    let (filter, mut cursor, _) = q.parse(now)?;
    let visible = visible_to(state, user);
    let actor = user.actor();
    let clear_roles = &state.config.export_clear_roles;
    let with_progress = format == ExportFormat::Xlsx;
    let mut in_clear = 0usize;
    let mut rows = 0;
    loop {
        let (matters, next) = state.store.ledger(&filter, &visible, cursor, 500).await?;
        rows += matters.len();
        if rows > max_rows {
            return Err(ApiError::conflict(ErrorCode::ExportTooLarge));
        }
        let mut progress = if with_progress {
            let ids: Vec<MatterId> = matters.iter().map(|m| m.id).collect();
            Some(state.store.progress(&ids, now).await?)
        } else {
            None
        };
        let page = matters
            .into_iter()
            .map(|m| {
                let clear = access::export_clear(&actor, &m.facts(), clear_roles);
                if clear.any() && !m.caller.anonymised {
                    in_clear += 1;
                }
                let p = progress
                    .as_mut()
                    .map(|p| p.remove(&m.id).unwrap_or_default());
                ExportRow {
                    view: MatterView::shown(m, clear, None, now),
                    progress: p,
                }
            })
            .collect();
        sink(page)?;
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let by = staff.audit_actor();
    let detail = serde_json::json!({
        "rows": rows,
        "format": format.as_str(),
        "filter": serde_json::to_value(q).unwrap_or_default(),
        "callers_in_clear": in_clear,
    });
    state
        .store
        .audit(&by.entry(AuditAction::LedgerExport, None, detail), now)
        .await?;
    Ok(rows)
}

/// The ledger as CSV for spreadsheet programs ([`export_rows`]), formula
/// injection neutralised, and a UTF-8 byte order mark so spreadsheet
/// programs read the Chinese. Returns the file and its row count.
pub async fn export_csv(
    state: &AppState,
    staff: &crate::auth::Staff,
    q: &LedgerQuery,
) -> Result<(String, usize), ApiError> {
    use aiwei_core::csv::line;
    let mut out = String::from("\u{feff}");
    out.push_str(&line([
        "事项编号",
        "受理时间",
        "受理渠道",
        "事项类型",
        "子类别",
        "状态",
        "受理部门",
        "主办部门",
        "来电来访人类别",
        "姓名",
        "单位名称",
        "联系电话",
        "事项内容",
        "地址",
        "敏感",
        "紧急",
        "约定回复时间",
        "办结时间",
        "退回次数",
        "重办次数",
    ]));
    let rows = export_rows(
        state,
        staff,
        q,
        ExportFormat::Csv,
        EXPORT_MAX_ROWS,
        |page| {
            for ExportRow { view: v, .. } in page {
                let yes_no = |b: bool| if b { "是" } else { "否" };
                let (returns, redos) = (v.return_count.to_string(), v.redo_count.to_string());
                out.push_str(&line([
                    v.number.as_str(),
                    &v.received_local_seconds(),
                    v.channel_zh(),
                    v.type_zh(),
                    v.category_name(),
                    v.status_zh(),
                    v.department_name(),
                    v.lead_name(),
                    v.caller_kind_zh(),
                    v.caller.name.as_deref().unwrap_or_default(),
                    v.caller.organization.as_deref().unwrap_or_default(),
                    &v.caller.phone,
                    &v.content,
                    v.location.address.as_deref().unwrap_or_default(),
                    yes_no(v.sensitive),
                    yes_no(v.urgent),
                    &MatterView::opt_local(&v.agreed_reply_at),
                    &MatterView::opt_local(&v.closed_at),
                    &returns,
                    &redos,
                ]));
            }
            Ok(())
        },
    )
    .await?;
    Ok((out, rows))
}

/// The ledger as an Excel workbook with the columns of an office's 台账
/// ([`export_rows`], [`crate::services::xlsx::LedgerBook`]), at most one
/// sheet of rows. Written on a blocking thread, a page at a time; returns
/// the finished file, rewound, and its row count.
pub async fn export_xlsx(
    state: &AppState,
    staff: &crate::auth::Staff,
    q: &LedgerQuery,
) -> Result<(std::fs::File, usize), ApiError> {
    use crate::services::xlsx::{LedgerBook, MAX_SHEET_ROWS};
    let (state, staff, q) = (state.clone(), staff.clone(), q.clone());
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut book = LedgerBook::new()?;
        let rows = runtime.block_on(export_rows(
            &state,
            &staff,
            &q,
            ExportFormat::Xlsx,
            MAX_SHEET_ROWS,
            |page| book.push(page),
        ))?;
        Ok((book.finish()?, rows))
    })
    .await
    .map_err(ApiError::internal)?
}

//! "导入台账": an administrator brings the office's old ledger in from an
//! Excel workbook ([`crate::services::import`]): first a check that lists
//! every row that would be refused and why, then the import.

use aiwei_core::import::{Column, Mapping, RowError};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;

use super::Layout;
use crate::auth::{Administer, Can};
use crate::error::ApiError;
use crate::extract::ApiMultipart;
use crate::services::attachments::read_upload;
use crate::services::import::{self, ImportFailure, ImportOutcome};
use crate::state::AppState;

/// The most refusals listed on the page; the count says how many more.
const SHOWN: usize = 500;

#[derive(Template, WebTemplate)]
#[template(path = "admin_import.html")]
pub struct ImportPage {
    layout: Layout,
    columns: Vec<(&'static str, bool)>,
    outcome: Option<ImportOutcome>,
    refused: Vec<RowError>,
    error: Option<String>,
    file_name: String,
    mapping: String,
}

async fn page(state: &AppState, can: &Can<Administer>) -> ImportPage {
    ImportPage {
        layout: Layout::new(state, &can.staff, "/admin/import").await,
        columns: Column::ALL
            .iter()
            .map(|c| (c.label(), Column::REQUIRED.contains(c)))
            .collect(),
        outcome: None,
        refused: Vec::new(),
        error: None,
        file_name: String::new(),
        mapping: String::new(),
    }
}

pub async fn form(State(state): State<AppState>, can: Can<Administer>) -> ImportPage {
    page(&state, &can).await
}

/// `列名=文件中的列名`, one per line.
fn mapping(text: &str) -> Result<Mapping, String> {
    let mut pairs = std::collections::BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (column, header) = line
            .split_once(['=', '＝'])
            .ok_or_else(|| format!("映射“{line}”应写作 列名=文件中的列名"))?;
        pairs.insert(column.trim().to_owned(), header.trim().to_owned());
    }
    Mapping::with_overrides(&pairs).map_err(|c| ImportFailure::Mapping(c).message())
}

pub async fn submit(
    State(state): State<AppState>,
    can: Can<Administer>,
    ApiMultipart(mp): ApiMultipart,
) -> Result<ImportPage, ApiError> {
    let up = read_upload(mp, &["mode", "mapping"]).await?;
    crate::extract::check_form_token(&up.csrf, &can.staff)?;
    let field = |name: &str| {
        up.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let dry_run = field("mode") != "import";
    let mut p = page(&state, &can).await;
    p.file_name = up.file_name.clone();
    p.mapping = field("mapping");
    if up.bytes.is_empty() {
        p.error = Some("请选择要导入的 Excel 文件（.xlsx）".to_owned());
        return Ok(p);
    }
    let mapping = match mapping(&p.mapping) {
        Ok(m) => m,
        Err(e) => {
            p.error = Some(e);
            return Ok(p);
        }
    };
    let by = can.staff.audit_actor();
    match import::import(
        &state.store,
        &up.bytes,
        &mapping,
        dry_run,
        &can.staff.user,
        &by,
        &state.config.number_prefix,
        &up.file_name,
        state.clock.now(),
    )
    .await
    {
        Ok(o) => {
            p.refused = o.refused.iter().take(SHOWN).cloned().collect();
            p.outcome = Some(o);
        }
        Err(ImportFailure::Store(e)) => return Err(e.into()),
        Err(e) => p.error = Some(e.message()),
    }
    Ok(p)
}

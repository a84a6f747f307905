//! Bringing an office's old ledger (台账) in from an Excel workbook, shared
//! by `aiwei import ledger` and the administrator's page: the workbook is
//! read with `calamine`, each row checked by [`aiwei_core::import`], and
//! the rows that pass written by [`aiwei_store::Store::import_ledger`] in
//! one transaction. A dry run reports the same and writes nothing.

use aiwei_core::import::{Cell, FileError, Mapping, Reference, RowError};
use aiwei_store::Store;
use aiwei_store::import::ImportReport;
use aiwei_store::trail::AuditActor;
use aiwei_store::users::User;
use chrono::{DateTime, Utc};

/// The largest workbook taken: 32 MiB.
pub const MAX_BYTES: usize = 32 * 1024 * 1024;

/// Why nothing of a file was written.
#[derive(Debug)]
pub enum ImportFailure {
    TooLarge(usize),
    NotAWorkbook,
    File(FileError),
    /// The mapping file names a column that does not exist.
    Mapping(String),
    Store(aiwei_store::StoreError),
}

impl ImportFailure {
    /// What to tell the person importing (no file content in it).
    pub fn message(&self) -> String {
        match self {
            ImportFailure::TooLarge(n) => format!(
                "文件大小 {:.1} MB，超过上限 {} MB",
                *n as f64 / 1_048_576.0,
                MAX_BYTES / 1_048_576
            ),
            ImportFailure::NotAWorkbook => {
                "不是有效的 Excel 工作簿（.xlsx）：请在 Excel 或 WPS 中另存为 .xlsx 后再导入"
                    .to_owned()
            }
            ImportFailure::File(e) => e.message(),
            ImportFailure::Mapping(c) => format!("映射文件中的列“{c}”不存在"),
            ImportFailure::Store(_) => "导入时发生内部错误，未写入任何数据".to_owned(),
        }
    }
}

impl From<aiwei_store::StoreError> for ImportFailure {
    fn from(e: aiwei_store::StoreError) -> Self {
        ImportFailure::Store(e)
    }
}

/// What a run found and did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportOutcome {
    /// Rows with data (the header and blank rows not counted).
    pub rows: usize,
    /// Rows that passed, new or brought in before.
    pub valid: usize,
    pub refused: Vec<RowError>,
    /// What was written; all zero on a dry run.
    pub report: ImportReport,
    /// Rows that passed and were brought in by an earlier run.
    pub existing: usize,
    pub dry_run: bool,
}

impl ImportOutcome {
    /// The refused rows, each once.
    pub fn refused_rows(&self) -> usize {
        let mut rows: Vec<usize> = self.refused.iter().map(|e| e.row).collect();
        rows.dedup();
        rows.len()
    }
}

/// The cells of the first sheet of an `.xlsx` file.
pub fn read_workbook(bytes: &[u8]) -> Result<Vec<Vec<Cell>>, ImportFailure> {
    use calamine::{Data, Reader};
    if bytes.len() > MAX_BYTES {
        return Err(ImportFailure::TooLarge(bytes.len()));
    }
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|_| ImportFailure::NotAWorkbook)?;
    let first = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or(ImportFailure::File(FileError::Empty))?;
    let range = book
        .worksheet_range(&first)
        .map_err(|_| ImportFailure::NotAWorkbook)?;
    // The sheet's rows from its first row, so row numbers are the sheet's.
    let offset = range.start().map_or(0, |(r, _)| r as usize);
    let mut rows: Vec<Vec<Cell>> = vec![Vec::new(); offset];
    rows.extend(range.rows().map(|r| {
        r.iter()
            .map(|c| match c {
                Data::Empty | Data::Error(_) => Cell::Empty,
                Data::String(s) => Cell::Text(s.clone()),
                Data::Float(f) => Cell::Number(*f),
                Data::Int(i) => Cell::Number(*i as f64),
                Data::Bool(b) => Cell::Text(if *b { "是" } else { "否" }.to_owned()),
                Data::DateTime(d) => d.as_datetime().map_or(Cell::Empty, Cell::Time),
                Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
            })
            .collect()
    }));
    // Leading empty rows above the sheet's data are no header.
    while rows
        .first()
        .is_some_and(|r| r.iter().all(|c| c.text().is_none()))
    {
        rows.remove(0);
    }
    Ok(rows)
}

/// Checks `bytes` and, unless `dry_run`, writes the rows that pass as `by`.
#[allow(clippy::too_many_arguments)]
pub async fn import(
    store: &Store,
    bytes: &[u8],
    mapping: &Mapping,
    dry_run: bool,
    by: &User,
    audit_by: &AuditActor<'_>,
    prefix: &str,
    file_name: &str,
    now: DateTime<Utc>,
) -> Result<ImportOutcome, ImportFailure> {
    let sheet = read_workbook(bytes)?;
    let refs = Reference {
        categories: store
            .list_categories()
            .await?
            .into_iter()
            .map(|c| (c.code, c.name, c.matter_type))
            .collect(),
        departments: store
            .list_departments()
            .await?
            .into_iter()
            .map(|d| (d.code, d.name))
            .collect(),
    };
    let (valid, refused) =
        aiwei_core::import::read_sheet(&sheet, mapping, &refs, now).map_err(ImportFailure::File)?;
    let keys: Vec<String> = valid.iter().map(|r| r.key.clone()).collect();
    let existing = store.imported_keys(&keys).await?.len();
    let mut outcome = ImportOutcome {
        rows: 0,
        valid: valid.len(),
        refused,
        report: ImportReport::default(),
        existing,
        dry_run,
    };
    outcome.rows = outcome.valid + outcome.refused_rows();
    if !dry_run {
        let detail = serde_json::json!({
            "file": file_name,
            "rows": outcome.rows,
            "refused_rows": outcome.refused_rows(),
        });
        outcome.report = store
            .import_ledger(&valid, by, audit_by, prefix, detail, now)
            .await?;
    }
    Ok(outcome)
}

//! Excel workbooks (.xlsx) the office hands on: the ledger (台账, R-4.1.2),
//! and later reports and assessments. Written with `rust_xlsxwriter` in
//! constant-memory mode: each sheet's rows go to a temporary file as they
//! come, so a million-row ledger never sits in memory, and the finished
//! workbook is another temporary file the response streams.
//!
//! Every text is written as a text cell, never as a formula. A text that a
//! spreadsheet would take for one when edited (`= + - @`, tab, carriage
//! return) also gets the quote prefix, so it stays text after editing.
//! Instants are real Excel dates in Beijing time.

use std::fs::File;

use aiwei_core::time::china;
use chrono::{DateTime, Utc};
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};

use crate::error::ApiError;
use crate::services::ledger::ExportRow;

/// One cell of a row.
pub enum Cell<'a> {
    Text(&'a str),
    Time(Option<DateTime<Utc>>),
    Number(f64),
}

/// The formats every workbook uses.
pub struct Formats {
    header: Format,
    time: Format,
    quoted: Format,
}

impl Formats {
    pub fn new() -> Self {
        Self {
            header: Format::new()
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_background_color("#D9D9D9"),
            time: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
            quoted: Format::new().set_quote_prefix(),
        }
    }
}

impl Default for Formats {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether a spreadsheet would read `text` as a formula once edited
/// (CWE-1236).
fn formula_like(text: &str) -> bool {
    matches!(
        text.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    )
}

/// Writes one row of cells from column 0.
pub fn write_row(
    ws: &mut Worksheet,
    f: &Formats,
    row: u32,
    cells: &[Cell<'_>],
) -> Result<(), XlsxError> {
    for (col, cell) in (0u16..).zip(cells) {
        match cell {
            Cell::Text("") | Cell::Time(None) => {}
            Cell::Text(t) if formula_like(t) => {
                ws.write_string_with_format(row, col, *t, &f.quoted)?;
            }
            Cell::Text(t) => {
                ws.write_string(row, col, *t)?;
            }
            Cell::Time(Some(t)) => {
                let local = t.with_timezone(&china()).naive_local();
                ws.write_datetime_with_format(row, col, local, &f.time)?;
            }
            Cell::Number(n) => {
                ws.write_number(row, col, *n)?;
            }
        }
    }
    Ok(())
}

/// A header row with its column widths, frozen above the data.
pub fn header(ws: &mut Worksheet, f: &Formats, columns: &[(&str, f64)]) -> Result<(), XlsxError> {
    for (col, (name, width)) in (0u16..).zip(columns) {
        ws.write_string_with_format(0, col, *name, &f.header)?;
        ws.set_column_width(col, *width)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// Saves `wb` into an unnamed temporary file and returns it, rewound: the
/// file is gone from the directory once the response has read it.
pub fn finish(wb: &mut Workbook) -> Result<File, ApiError> {
    let tmp = tempfile::NamedTempFile::new().map_err(ApiError::internal)?;
    wb.save(tmp.path()).map_err(ApiError::internal)?;
    tmp.reopen().map_err(ApiError::internal)
}

/// The most data rows one sheet holds (Excel's 1,048,576 rows, less the
/// header).
pub const MAX_SHEET_ROWS: usize = 1_048_575;

/// The columns of an office's 台账 and their widths.
const LEDGER_COLUMNS: [(&str, f64); 19] = [
    ("编号", 16.0),
    ("受理时间", 17.0),
    ("渠道", 6.0),
    ("来电来访人", 14.0),
    ("联系电话", 14.0),
    ("类型", 6.0),
    ("子类", 14.0),
    ("事项内容", 50.0),
    ("地址", 30.0),
    ("责任部门", 14.0),
    ("签收时间", 17.0),
    ("到场时间", 17.0),
    ("整改措施", 40.0),
    ("完成时间", 17.0),
    ("反馈方式", 9.0),
    ("回访结果", 18.0),
    ("满意度", 9.0),
    ("状态", 8.0),
    ("是否超期", 8.0),
];

/// The ledger as a workbook, written a page at a time.
pub struct LedgerBook {
    wb: Workbook,
    formats: Formats,
    rows: u32,
}

impl LedgerBook {
    pub fn new() -> Result<Self, ApiError> {
        let mut wb = Workbook::new();
        let formats = Formats::new();
        let ws = wb
            .add_worksheet_with_constant_memory()
            .map_err(ApiError::internal)?;
        ws.set_name("台账").map_err(ApiError::internal)?;
        header(ws, &formats, &LEDGER_COLUMNS).map_err(ApiError::internal)?;
        Ok(Self {
            wb,
            formats,
            rows: 0,
        })
    }

    /// Appends a page of the ledger.
    pub fn push(&mut self, page: Vec<ExportRow>) -> Result<(), ApiError> {
        let ws = self
            .wb
            .worksheet_from_index(0)
            .map_err(ApiError::internal)?;
        for ExportRow { view: v, progress } in page {
            let p = progress.unwrap_or_default();
            self.rows += 1;
            let caller = v.caller_label();
            let cells = [
                Cell::Text(&v.number),
                Cell::Time(Some(v.received_at)),
                Cell::Text(v.channel_zh()),
                Cell::Text(&caller),
                Cell::Text(&v.caller.phone),
                Cell::Text(v.type_zh()),
                Cell::Text(v.category_name()),
                Cell::Text(&v.content),
                Cell::Text(v.location.address.as_deref().unwrap_or_default()),
                Cell::Text(v.lead_name()),
                Cell::Time(p.signed_at),
                Cell::Time(p.arrived_at),
                Cell::Text(p.measures.as_deref().unwrap_or_default()),
                Cell::Time(p.completed_at),
                Cell::Text(p.feedback.map(|c| c.label()).unwrap_or_default()),
                Cell::Text(p.revisit.map(|k| k.label()).unwrap_or_default()),
                Cell::Text(v.satisfaction.map(|s| s.label()).unwrap_or_default()),
                Cell::Text(v.status_zh()),
                Cell::Text(if p.overdue { "是" } else { "否" }),
            ];
            write_row(ws, &self.formats, self.rows, &cells).map_err(ApiError::internal)?;
        }
        Ok(())
    }

    /// Filters on the header, then the finished file.
    pub fn finish(mut self) -> Result<File, ApiError> {
        let last = LEDGER_COLUMNS.len() as u16 - 1;
        self.wb
            .worksheet_from_index(0)
            .and_then(|ws| ws.autofilter(0, 0, self.rows, last).map(|_| ()))
            .map_err(ApiError::internal)?;
        finish(&mut self.wb)
    }
}

/// A sheet of a report: its name, its columns and their widths, its rows.
type Table<'a> = (&'a str, Vec<(&'a str, f64)>, Vec<Vec<String>>);

/// A report as a workbook: a sheet per table of the report page, each with
/// this period, the period before and the change.
pub fn report_book(r: &crate::services::figures::Report) -> Result<File, ApiError> {
    let mut wb = Workbook::new();
    let f = Formats::new();
    let title = format!(
        "{} {}（{} 至 {}），与{}比较",
        r.figures.subject.name,
        r.figures.period.title,
        r.figures.period.first,
        r.figures.period.last,
        r.figures.previous_period.title
    );
    let sheet = |wb: &mut Workbook, name: &str| -> Result<(), XlsxError> {
        wb.add_worksheet().set_name(name).map(|_| ())
    };
    let mut tables: Vec<Table<'_>> = Vec::new();
    tables.push((
        "考核指标",
        vec![
            ("指标", 16.0),
            ("本期", 18.0),
            ("上期", 18.0),
            ("变化", 14.0),
            ("目标", 8.0),
            ("达标", 8.0),
        ],
        r.rates
            .iter()
            .map(|x| {
                vec![
                    x.name().to_owned(),
                    x.now_text(),
                    x.before_text(),
                    x.change_text(),
                    x.target_text(),
                    x.met_text().to_owned(),
                ]
            })
            .collect(),
    ));
    tables.push((
        "受理与办理",
        vec![
            ("项目", 20.0),
            ("本期", 10.0),
            ("上期", 10.0),
            ("变化", 10.0),
            ("单位", 6.0),
        ],
        r.counts
            .iter()
            .map(|c| {
                vec![
                    c.name.to_owned(),
                    c.now_text(),
                    c.before_text(),
                    c.change_text(),
                    c.unit.to_owned(),
                ]
            })
            .collect(),
    ));
    let mut trend_cols: Vec<(&str, f64)> = vec![("时间", 10.0)];
    trend_cols.extend(r.trend.iter().map(|(name, _)| (name.as_str(), 8.0)));
    tables.push((
        "受理量趋势",
        trend_cols,
        r.trend_labels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                std::iter::once(l.clone())
                    .chain(r.trend.iter().map(|(_, v)| v[i].to_string()))
                    .collect()
            })
            .collect(),
    ));
    let shares = |rows: &[crate::services::figures::Share]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|s| vec![s.name.clone(), s.now.to_string(), s.before.to_string()])
            .collect()
    };
    let mut types = shares(&r.by_type);
    types.extend(shares(&r.by_channel));
    tables.push((
        "类型与渠道",
        vec![("类型/渠道", 14.0), ("本期", 8.0), ("上期", 8.0)],
        types,
    ));
    tables.push((
        "主要问题",
        vec![("子类别", 22.0), ("本期", 8.0), ("上期", 8.0)],
        shares(&r.top_categories),
    ));
    tables.push((
        "区域分布",
        vec![("行政区划", 14.0), ("本期", 8.0), ("上期", 8.0)],
        shares(&r.top_areas),
    ));
    tables.push((
        "热点问题",
        vec![("地点", 24.0), ("子类别", 18.0), ("投诉件数", 10.0)],
        r.hotspots
            .iter()
            .map(|(place, category, n)| vec![place.clone(), category.clone(), n.to_string()])
            .collect(),
    ));
    tables.push((
        "超时未办",
        vec![
            ("事项编号", 16.0),
            ("时限", 10.0),
            ("责任方", 14.0),
            ("到期时间", 14.0),
            ("情况", 14.0),
        ],
        r.overdue
            .iter()
            .map(|o| {
                vec![
                    o.number.clone(),
                    o.clock.to_owned(),
                    o.department.clone(),
                    o.due.clone(),
                    o.late.clone(),
                ]
            })
            .collect(),
    ));
    for (i, (name, columns, rows)) in tables.iter().enumerate() {
        sheet(&mut wb, name).map_err(ApiError::internal)?;
        let ws = wb.worksheet_from_index(i).map_err(ApiError::internal)?;
        write_table(ws, &f, &title, columns, rows).map_err(ApiError::internal)?;
    }
    finish(&mut wb)
}

/// A report table: its title in the first row, the header in the second,
/// then the rows; numbers as numbers.
fn write_table(
    ws: &mut Worksheet,
    f: &Formats,
    title: &str,
    columns: &[(&str, f64)],
    rows: &[Vec<String>],
) -> Result<(), XlsxError> {
    ws.write_string_with_format(0, 0, title, &f.header)?;
    for (col, (name, width)) in (0u16..).zip(columns) {
        ws.write_string_with_format(1, col, *name, &f.header)?;
        ws.set_column_width(col, *width)?;
    }
    ws.set_freeze_panes(2, 0)?;
    for (row, cells) in (2u32..).zip(rows) {
        let cells: Vec<Cell<'_>> = cells
            .iter()
            .map(|c| match c.parse::<f64>() {
                Ok(n) if n.is_finite() => Cell::Number(n),
                _ => Cell::Text(c),
            })
            .collect();
        write_row(ws, f, row, &cells)?;
    }
    Ok(())
}

/// The assessments of a period as a workbook: one row per staff member.
pub fn assessment_book(
    views: &[crate::services::staff::AssessmentView],
    title: &str,
) -> Result<File, ApiError> {
    let mut wb = Workbook::new();
    let f = Formats::new();
    let columns = [
        ("姓名", 12.0),
        ("接听/接待及时率", 16.0),
        ("问题处理准确率", 16.0),
        ("反馈满意度", 14.0),
        ("评定项目", 30.0),
        ("得分", 8.0),
        ("等次", 8.0),
        ("评语", 40.0),
        ("奖惩", 40.0),
        ("评定人", 10.0),
    ];
    let rows: Vec<Vec<String>> = views
        .iter()
        .map(|v| {
            vec![
                v.name.clone(),
                v.timeliness_text(),
                v.indicators.accuracy.shown(),
                v.indicators.satisfaction.shown(),
                v.items
                    .iter()
                    .map(|i| format!("{}（{:+}）", i.name, i.points))
                    .collect::<Vec<_>>()
                    .join("；"),
                v.score_text(),
                v.rating_zh().to_owned(),
                v.comment.clone().unwrap_or_default(),
                v.consequences
                    .iter()
                    .map(|c| format!("{}：{}", c.kind.label(), c.reason))
                    .collect::<Vec<_>>()
                    .join("；"),
                v.assessed_by.clone(),
            ]
        })
        .collect();
    let ws = wb.add_worksheet();
    ws.set_name("考核结果").map_err(ApiError::internal)?;
    write_table(ws, &f, &format!("{title}工作人员考核结果"), &columns, &rows)
        .map_err(ApiError::internal)?;
    finish(&mut wb)
}

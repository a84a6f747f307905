//! Reading an office's old ledger (台账) from a spreadsheet: which
//! column is which, and what each row says, checked by the rules intake
//! uses. Pure: the cells come in already read from the workbook, and the
//! store writes the rows that pass. A row that fails is reported with its
//! row number, its column and why, and nothing of it is written.
//!
//! The columns are those the desk exports (`GET /api/v1/exports/ledger.xlsx`),
//! so an exported ledger imports as it is. Other headers are mapped by a
//! mapping file ([`Mapping::with_overrides`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::error::{ErrorCode, bounded_text};
use crate::intake::{Caller, MAX_ADDRESS, MAX_NAME, MAX_TEXT};
use crate::kinds::{
    CallerKind, Channel, EventKind, MatterStatus, MatterType, ReplyChannel, Satisfaction, code_enum,
};
use crate::phone::PhoneNumber;
use crate::time::china;

code_enum!(
    /// A column of the ledger; the label is its header as the desk exports
    /// it.
    Column, "column" {
        Number => ("number", "编号"),
        ReceivedAt => ("received_at", "受理时间"),
        Channel => ("channel", "渠道"),
        Caller => ("caller", "来电来访人"),
        Phone => ("phone", "联系电话"),
        Type => ("type", "类型"),
        Category => ("category", "子类"),
        Content => ("content", "事项内容"),
        Address => ("address", "地址"),
        Department => ("department", "责任部门"),
        SignedAt => ("signed_at", "签收时间"),
        ArrivedAt => ("arrived_at", "到场时间"),
        Measures => ("measures", "整改措施"),
        CompletedAt => ("completed_at", "完成时间"),
        Feedback => ("feedback", "反馈方式"),
        Revisit => ("revisit", "回访结果"),
        Satisfaction => ("satisfaction", "满意度"),
        Status => ("status", "状态"),
        Overdue => ("overdue", "是否超期"),
    }
);

impl Column {
    /// The columns a row cannot do without.
    pub const REQUIRED: [Column; 5] = [
        Column::ReceivedAt,
        Column::Channel,
        Column::Phone,
        Column::Type,
        Column::Content,
    ];

    /// Other headers offices commonly use for the column.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::Number => &["事项编号", "序号编号", "工单号"],
            Column::ReceivedAt => &["来电时间", "来访时间", "登记时间"],
            Column::Channel => &["受理渠道", "来源"],
            Column::Caller => &["姓名", "来电人", "来访人", "联系人"],
            Column::Phone => &["电话", "联系方式", "手机号"],
            Column::Type => &["事项类型", "类别"],
            Column::Category => &["子类别", "问题类别"],
            Column::Content => &["内容", "来电内容", "诉求内容"],
            Column::Address => &["事发地址", "地点"],
            Column::Department => &["主办部门", "承办部门"],
            Column::Status => &["办理状态"],
            _ => &[],
        }
    }
}

/// A cell as read from the workbook.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// A date cell, in the sheet's (local) time.
    Time(NaiveDateTime),
}

impl Cell {
    /// The cell as text: numbers without a trailing `.0`, blanks trimmed.
    pub fn text(&self) -> Option<String> {
        let t = match self {
            Cell::Empty => return None,
            Cell::Text(t) => t.trim().to_owned(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::Time(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        };
        (!t.is_empty()).then_some(t)
    }
}

/// Which header names which column.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    headers: BTreeMap<String, Column>,
}

impl Default for Mapping {
    /// The desk's own headers and the common aliases.
    fn default() -> Self {
        let mut headers = BTreeMap::new();
        for c in Column::ALL {
            headers.insert(c.label().to_owned(), *c);
            for a in c.aliases() {
                headers.insert((*a).to_owned(), *c);
            }
        }
        Self { headers }
    }
}

impl Mapping {
    /// The defaults and `overrides`: column (its label or code) → header.
    /// An unknown column is refused with its name.
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> Result<Self, String> {
        let mut m = Self::default();
        for (column, header) in overrides {
            let c = Column::ALL
                .iter()
                .find(|c| c.label() == column || c.as_str() == column)
                .ok_or_else(|| column.clone())?;
            m.headers.insert(header.trim().to_owned(), *c);
        }
        Ok(m)
    }

    /// The position of each column in a header row; the required columns
    /// that are missing otherwise. Extra columns are ignored.
    pub fn locate(&self, header: &[Cell]) -> Result<Located, Vec<Column>> {
        let mut at = BTreeMap::new();
        for (i, cell) in header.iter().enumerate() {
            if let Some(c) = cell
                .text()
                .and_then(|h| self.headers.get(h.as_str()).copied())
            {
                at.entry(c).or_insert(i);
            }
        }
        let missing: Vec<Column> = Column::REQUIRED
            .iter()
            .copied()
            .filter(|c| !at.contains_key(c))
            .collect();
        if missing.is_empty() {
            Ok(Located { at })
        } else {
            Err(missing)
        }
    }
}

/// Where each column is in the sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    at: BTreeMap<Column, usize>,
}

/// The sub-categories and departments a row may name, by name or code.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    /// (code, name, type).
    pub categories: Vec<(String, String, MatterType)>,
    /// (code, name).
    pub departments: Vec<(String, String)>,
}

/// Why a row was refused: its row number in the sheet (1 is the header),
/// the column, and the reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    pub row: usize,
    pub column: Column,
    pub code: ErrorCode,
}

/// One step of an imported matter's history, at its time.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub kind: EventKind,
    pub at: DateTime<Utc>,
    /// What the event records besides the step itself.
    pub payload: serde_json::Map<String, serde_json::Value>,
    /// Free texts kept beside the event.
    pub texts: Vec<(&'static str, String)>,
}

/// A checked row: a matter and its history.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerRow {
    /// The row number in the sheet.
    pub row: usize,
    /// What makes a re-run find the row again: the old ledger's number,
    /// or the time, phone and content when it has none.
    pub key: String,
    pub legacy_number: Option<String>,
    pub channel: Channel,
    pub received_at: DateTime<Utc>,
    pub caller: Caller,
    pub matter_type: MatterType,
    pub category: Option<String>,
    pub content: String,
    pub address: Option<String>,
    pub lead: Option<String>,
    pub status: MatterStatus,
    pub satisfaction: Option<Satisfaction>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Oldest first.
    pub steps: Vec<Step>,
}

/// The earliest time a ledger row may carry.
fn earliest() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// A time cell: a date cell, or text `YYYY-MM-DD[ HH:MM[:SS]]` (also with
/// `/` or `.`), in Beijing time.
fn time(cell: &Cell) -> Option<DateTime<Utc>> {
    let naive = match cell {
        Cell::Time(t) => Some(*t),
        Cell::Text(t) => {
            let t = t.trim().replace(['/', '.'], "-");
            ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(&t, f).ok())
                .or_else(|| {
                    NaiveDate::parse_from_str(&t, "%Y-%m-%d")
                        .ok()
                        .and_then(|d| d.and_hms_opt(0, 0, 0))
                })
        }
        _ => None,
    }?;
    china()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// A label of a vocabulary, or its code.
fn labelled<T: Copy>(
    text: &str,
    all: &[T],
    label: fn(T) -> &'static str,
    code: fn(T) -> &'static str,
) -> Option<T> {
    all.iter()
        .copied()
        .find(|v| label(*v) == text || code(*v) == text)
}

/// Reads row `row` (its number in the sheet) of `cells`; `now` bounds its
/// times.
pub fn read_row(
    row: usize,
    cells: &[Cell],
    at: &Located,
    refs: &Reference,
    now: DateTime<Utc>,
) -> Result<LedgerRow, Vec<RowError>> {
    let mut errs: Vec<RowError> = Vec::new();
    let empty = Cell::Empty;
    let cell = |c: Column| at.at.get(&c).and_then(|i| cells.get(*i)).unwrap_or(&empty);
    let text = |c: Column| cell(c).text();
    let mut fail = |column: Column, code: ErrorCode| errs.push(RowError { row, column, code });

    let when = |c: Column, fail: &mut dyn FnMut(Column, ErrorCode)| -> Option<DateTime<Utc>> {
        match cell(c) {
            Cell::Empty => None,
            Cell::Text(t) if t.trim().is_empty() => None,
            other => match time(other) {
                None => {
                    fail(c, ErrorCode::InvalidDateTime);
                    None
                }
                Some(t) if t > now + Duration::minutes(5) => {
                    fail(c, ErrorCode::InFuture);
                    None
                }
                Some(t) if t < earliest() => {
                    fail(c, ErrorCode::TooOld);
                    None
                }
                Some(t) => Some(t),
            },
        }
    };
    let received_at = when(Column::ReceivedAt, &mut fail);
    if received_at.is_none() && text(Column::ReceivedAt).is_none() {
        fail(Column::ReceivedAt, ErrorCode::Required);
    }
    let required = |c: Column, fail: &mut dyn FnMut(Column, ErrorCode)| {
        let t = text(c);
        if t.is_none() {
            fail(c, ErrorCode::Required);
        }
        t
    };
    let channel = required(Column::Channel, &mut fail).and_then(|t| {
        let c = labelled(&t, Channel::ALL, Channel::label, Channel::as_str);
        if c.is_none() {
            fail(Column::Channel, ErrorCode::UnknownValue);
        }
        c
    });
    let phone = required(Column::Phone, &mut fail).and_then(|t| {
        PhoneNumber::parse("caller.phone", &t)
            .map_err(|e| fail(Column::Phone, e.code))
            .ok()
    });
    let matter_type = required(Column::Type, &mut fail).and_then(|t| {
        let v = labelled(&t, MatterType::ALL, MatterType::label, MatterType::as_str);
        if v.is_none() {
            fail(Column::Type, ErrorCode::UnknownValue);
        }
        v
    });
    let content = match bounded_text("content", text(Column::Content).as_deref(), MAX_TEXT, true) {
        Ok(c) => c,
        Err(e) => {
            fail(Column::Content, e.code);
            None
        }
    };
    let address = bounded_text(
        "address",
        text(Column::Address).as_deref(),
        MAX_ADDRESS,
        false,
    )
    .map_err(|e| fail(Column::Address, e.code))
    .ok()
    .flatten();
    // `单位（姓名）` as the desk writes an organisation, else a person.
    let caller_text = bounded_text(
        "caller",
        text(Column::Caller).as_deref(),
        MAX_NAME * 2,
        false,
    )
    .map_err(|e| fail(Column::Caller, e.code))
    .ok()
    .flatten();
    let (kind, organization, name) = match caller_text.as_deref() {
        Some(t) if t.ends_with('）') && t.contains('（') => {
            let (org, rest) = t.split_once('（').unwrap_or((t, ""));
            (
                CallerKind::Organization,
                Some(org.trim().to_owned()),
                Some(rest.trim_end_matches('）').trim().to_owned()).filter(|n| !n.is_empty()),
            )
        }
        Some(t) => (CallerKind::Person, None, Some(t.to_owned())),
        None => (CallerKind::Person, None, None),
    };
    if kind == CallerKind::Person && name.is_none() {
        fail(Column::Caller, ErrorCode::Required);
    }
    let category = text(Column::Category).and_then(|t| {
        match refs
            .categories
            .iter()
            .find(|(code, name, _)| *name == t || *code == t)
        {
            None => {
                fail(Column::Category, ErrorCode::UnknownValue);
                None
            }
            Some((_, _, ty)) if Some(*ty) != matter_type && matter_type.is_some() => {
                fail(Column::Category, ErrorCode::NotOfType);
                None
            }
            Some((code, _, _)) => Some(code.clone()),
        }
    });
    let lead = text(Column::Department).and_then(|t| {
        let d = refs
            .departments
            .iter()
            .find(|(code, name)| *name == t || code.eq_ignore_ascii_case(&t))
            .map(|(code, _)| code.clone());
        if d.is_none() {
            fail(Column::Department, ErrorCode::UnknownDepartment);
        }
        d
    });
    let signed_at = when(Column::SignedAt, &mut fail);
    let arrived_at = when(Column::ArrivedAt, &mut fail);
    let completed_at = when(Column::CompletedAt, &mut fail);
    let measures = bounded_text(
        "measures",
        text(Column::Measures).as_deref(),
        MAX_TEXT,
        false,
    )
    .map_err(|e| fail(Column::Measures, e.code))
    .ok()
    .flatten();
    let feedback = text(Column::Feedback).and_then(|t| {
        let short = |c: ReplyChannel| match c {
            ReplyChannel::Phone => "电话",
            ReplyChannel::Written => "书面",
            ReplyChannel::InPerson => "当面",
        };
        let c = labelled(
            &t,
            ReplyChannel::ALL,
            ReplyChannel::label,
            ReplyChannel::as_str,
        )
        .or_else(|| ReplyChannel::ALL.iter().copied().find(|c| short(*c) == t));
        if c.is_none() {
            fail(Column::Feedback, ErrorCode::UnknownValue);
        }
        c
    });
    let satisfaction = text(Column::Satisfaction).and_then(|t| {
        let s = labelled(
            &t,
            Satisfaction::ALL,
            Satisfaction::label,
            Satisfaction::as_str,
        );
        if s.is_none() {
            fail(Column::Satisfaction, ErrorCode::UnknownValue);
        }
        s
    });
    let revisit = text(Column::Revisit).and_then(|t| {
        let k = [EventKind::Revisited, EventKind::RedoOrdered]
            .into_iter()
            .find(|k| k.label() == t || k.as_str() == t);
        if k.is_none() {
            fail(Column::Revisit, ErrorCode::UnknownValue);
        }
        k
    });
    let status = text(Column::Status).and_then(|t| {
        let s = labelled(
            &t,
            MatterStatus::ALL,
            MatterStatus::label,
            MatterStatus::as_str,
        );
        if s.is_none() {
            fail(Column::Status, ErrorCode::UnknownValue);
        }
        s
    });
    // Every step follows the receipt.
    if let Some(r) = received_at {
        for (c, t) in [
            (Column::SignedAt, signed_at),
            (Column::ArrivedAt, arrived_at),
            (Column::CompletedAt, completed_at),
        ] {
            if t.is_some_and(|t| t < r) {
                fail(c, ErrorCode::BeforeReceived);
            }
        }
    }
    if revisit.is_some() && satisfaction.is_none() {
        fail(Column::Satisfaction, ErrorCode::Required);
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let (Some(received_at), Some(channel), Some(phone), Some(matter_type), Some(content)) =
        (received_at, channel, phone, matter_type, content)
    else {
        // Each missing value was refused above.
        return Err(vec![RowError {
            row,
            column: Column::ReceivedAt,
            code: ErrorCode::Required,
        }]);
    };

    let mut steps = Vec::new();
    let mut step = |kind, at, payload: serde_json::Value, texts: Vec<(&'static str, String)>| {
        steps.push(Step {
            kind,
            at,
            payload: match payload {
                serde_json::Value::Object(m) => m,
                _ => serde_json::Map::new(),
            },
            texts,
        })
    };
    if let Some(d) = &lead {
        step(
            EventKind::Dispatched,
            received_at,
            serde_json::json!({"lead": d, "co": []}),
            vec![],
        );
    }
    if let Some(t) = signed_at {
        step(EventKind::SignedFor, t, serde_json::json!({}), vec![]);
    }
    if let Some(t) = arrived_at {
        step(
            EventKind::ArrivedOnSite,
            t,
            serde_json::json!({"arrived_at": t.timestamp_millis()}),
            vec![],
        );
    }
    if let Some(m) = measures {
        let at = arrived_at.or(signed_at).unwrap_or(received_at);
        step(
            EventKind::RectificationPlanned,
            at,
            serde_json::json!({}),
            vec![("measures", m)],
        );
    }
    let done_kind = if matter_type == MatterType::Complaint {
        EventKind::Completed
    } else {
        EventKind::ResultRecorded
    };
    if let Some(t) = completed_at {
        step(done_kind, t, serde_json::json!({}), vec![]);
    }
    let last_at = completed_at
        .or(arrived_at)
        .or(signed_at)
        .unwrap_or(received_at);
    if let Some(c) = feedback {
        step(
            EventKind::FeedbackGiven,
            last_at,
            serde_json::json!({"channel": c}),
            vec![],
        );
    }
    let revisit = revisit.or_else(|| {
        satisfaction.map(|s| {
            if s.accepts() {
                EventKind::Revisited
            } else {
                EventKind::RedoOrdered
            }
        })
    });
    if let (Some(k), Some(s)) = (revisit, satisfaction) {
        step(k, last_at, serde_json::json!({"satisfaction": s}), vec![]);
    }
    steps.sort_by_key(|s| s.at);
    // The status as the old ledger gives it; otherwise what the last step
    // leaves.
    let status = status.unwrap_or(match steps.last().map(|s| s.kind) {
        Some(EventKind::Revisited) => MatterStatus::Closed,
        Some(EventKind::FeedbackGiven) if matter_type != MatterType::Complaint => {
            MatterStatus::Closed
        }
        Some(EventKind::FeedbackGiven) => MatterStatus::FedBack,
        Some(EventKind::Completed | EventKind::ResultRecorded) => MatterStatus::Completed,
        Some(EventKind::RectificationPlanned) => MatterStatus::Rectifying,
        Some(EventKind::ArrivedOnSite) => MatterStatus::OnSite,
        Some(EventKind::SignedFor) => MatterStatus::Signed,
        Some(EventKind::Dispatched) if matter_type == MatterType::Complaint => {
            MatterStatus::Dispatched
        }
        Some(EventKind::Dispatched) => MatterStatus::Handling,
        _ => MatterStatus::Received,
    });
    let closed_at = (status == MatterStatus::Closed).then_some(last_at);
    let legacy_number = text(Column::Number);
    let key = match &legacy_number {
        Some(n) => format!("number:{n}"),
        None => format!(
            "row:{}:{}:{}",
            received_at.timestamp_millis(),
            phone.as_str(),
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(content.as_bytes()))
        ),
    };
    Ok(LedgerRow {
        row,
        key,
        legacy_number,
        channel,
        received_at,
        caller: Caller {
            kind,
            name,
            organization,
            phone,
        },
        matter_type,
        category,
        content,
        address,
        lead,
        status,
        satisfaction,
        closed_at,
        steps,
    })
}

/// The most rows one import takes; split larger ledgers.
pub const MAX_ROWS: usize = 200_000;

/// Why a whole file was refused: nothing of it is written.
#[derive(Debug, Clone, PartialEq)]
pub enum FileError {
    /// No sheet, or no header row.
    Empty,
    /// Required columns without a header.
    MissingColumns(Vec<Column>),
    TooManyRows(usize),
}

impl FileError {
    /// What to tell the person importing.
    pub fn message(&self) -> String {
        match self {
            FileError::Empty => "工作簿中没有数据：第一行应为列名，其后每行一件事项".to_owned(),
            FileError::MissingColumns(cs) => format!(
                "缺少必需的列：{}（可用映射文件指定其他列名）",
                cs.iter().map(|c| c.label()).collect::<Vec<_>>().join("、")
            ),
            FileError::TooManyRows(n) => {
                format!("共 {n} 行，超过单次导入上限 {MAX_ROWS} 行，请分批导入")
            }
        }
    }
}

/// Reads a sheet: its first row is the header, then one matter per row;
/// wholly blank rows are skipped. Returns the rows that pass and the
/// refusals of those that do not, or why the whole sheet is refused.
pub fn read_sheet(
    rows: &[Vec<Cell>],
    mapping: &Mapping,
    refs: &Reference,
    now: DateTime<Utc>,
) -> Result<(Vec<LedgerRow>, Vec<RowError>), FileError> {
    let (header, data) = rows.split_first().ok_or(FileError::Empty)?;
    let at = mapping.locate(header).map_err(FileError::MissingColumns)?;
    let data: Vec<(usize, &Vec<Cell>)> = data
        .iter()
        .enumerate()
        .map(|(i, r)| (i + 2, r))
        .filter(|(_, r)| r.iter().any(|c| c.text().is_some()))
        .collect();
    if data.len() > MAX_ROWS {
        return Err(FileError::TooManyRows(data.len()));
    }
    if data.is_empty() {
        return Err(FileError::Empty);
    }
    let mut ok = Vec::new();
    let mut refused = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (n, r) in data {
        match read_row(n, r, &at, refs, now) {
            Ok(row) if !seen.insert(row.key.clone()) => refused.push(RowError {
                row: n,
                column: if row.legacy_number.is_some() {
                    Column::Number
                } else {
                    Column::Content
                },
                code: ErrorCode::DuplicateRow,
            }),
            Ok(row) => ok.push(row),
            Err(e) => refused.extend(e),
        }
    }
    Ok((ok, refused))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    fn refs() -> Reference {
        Reference {
            categories: vec![(
                "env.garbage".into(),
                "垃圾堆放与清运".into(),
                MatterType::Complaint,
            )],
            departments: vec![("HJWS".into(), "环境卫生科".into())],
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap()
    }

    fn header() -> Vec<Cell> {
        Column::ALL.iter().map(|c| t(c.label())).collect()
    }

    fn full() -> Vec<Cell> {
        vec![
            t("TZ-2025-001"),
            Cell::Time(
                NaiveDate::from_ymd_opt(2025, 3, 1)
                    .unwrap()
                    .and_hms_opt(9, 30, 0)
                    .unwrap(),
            ),
            t("电话"),
            t("张三"),
            Cell::Number(13_800_138_000.0),
            t("投诉"),
            t("垃圾堆放与清运"),
            t("小区门口垃圾没人清"),
            t("解放路1号"),
            t("环境卫生科"),
            t("2025-03-01 10:00"),
            t("2025/03/01 11:00"),
            t("清运"),
            t("2025-03-02 09:00:00"),
            t("电话回复"),
            t("回访满意并办结"),
            t("满意"),
            t("已办结"),
            t("否"),
        ]
    }

    #[test]
    fn an_exported_row_reads_back_with_its_history() {
        let at = Mapping::default().locate(&header()).unwrap();
        let r = read_row(2, &full(), &at, &refs(), now()).unwrap();
        assert_eq!(r.key, "number:TZ-2025-001");
        assert_eq!(
            r.received_at,
            Utc.with_ymd_and_hms(2025, 3, 1, 1, 30, 0).unwrap()
        );
        assert_eq!(r.caller.phone.as_str(), "13800138000");
        assert_eq!(r.category.as_deref(), Some("env.garbage"));
        assert_eq!(r.lead.as_deref(), Some("HJWS"));
        assert_eq!(r.status, MatterStatus::Closed);
        let kinds: Vec<EventKind> = r.steps.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::Dispatched,
                EventKind::SignedFor,
                EventKind::ArrivedOnSite,
                EventKind::RectificationPlanned,
                EventKind::Completed,
                EventKind::FeedbackGiven,
                EventKind::Revisited,
            ]
        );
        assert_eq!(
            r.closed_at,
            Some(Utc.with_ymd_and_hms(2025, 3, 2, 1, 0, 0).unwrap())
        );
    }

    #[test]
    fn each_bad_cell_is_named_with_its_row_and_column() {
        let at = Mapping::default().locate(&header()).unwrap();
        let mut row = full();
        row[1] = t("去年三月");
        row[4] = t("12");
        row[5] = t("表扬");
        row[9] = t("不存在的科");
        row[13] = t("2030-01-01");
        let errs = read_row(7, &row, &at, &refs(), now()).unwrap_err();
        let got: Vec<(usize, Column)> = errs.iter().map(|e| (e.row, e.column)).collect();
        assert!(got.contains(&(7, Column::ReceivedAt)));
        assert!(got.contains(&(7, Column::Phone)));
        assert!(got.contains(&(7, Column::Type)));
        assert!(got.contains(&(7, Column::Department)));
        assert!(got.contains(&(7, Column::CompletedAt)));
    }

    #[test]
    fn a_sheet_without_a_required_column_is_refused_whole() {
        let mut h = header();
        h.remove(4);
        let rows = vec![h, full()];
        assert_eq!(
            read_sheet(&rows, &Mapping::default(), &refs(), now()).unwrap_err(),
            FileError::MissingColumns(vec![Column::Phone])
        );
        assert_eq!(
            read_sheet(&[], &Mapping::default(), &refs(), now()).unwrap_err(),
            FileError::Empty
        );
        assert_eq!(
            read_sheet(&[header()], &Mapping::default(), &refs(), now()).unwrap_err(),
            FileError::Empty
        );
    }

    #[test]
    fn other_headers_map_by_aliases_and_a_mapping_file() {
        let mut h = header();
        h[1] = t("来电时间");
        h[4] = t("客户手机");
        let overrides = [("联系电话".to_owned(), "客户手机".to_owned())]
            .into_iter()
            .collect();
        let m = Mapping::with_overrides(&overrides).unwrap();
        let rows = vec![h, full()];
        let (ok, bad) = read_sheet(&rows, &m, &refs(), now()).unwrap();
        assert_eq!((ok.len(), bad.len()), (1, 0));
        let unknown = [("不存在".to_owned(), "x".to_owned())]
            .into_iter()
            .collect();
        assert_eq!(Mapping::with_overrides(&unknown).unwrap_err(), "不存在");
    }

    #[test]
    fn a_row_twice_in_one_file_is_refused_the_second_time() {
        let rows = vec![header(), full(), vec![Cell::Empty; 3], full()];
        let (ok, bad) = read_sheet(&rows, &Mapping::default(), &refs(), now()).unwrap();
        assert_eq!(ok.len(), 1);
        assert_eq!(
            bad,
            vec![RowError {
                row: 4,
                column: Column::Number,
                code: ErrorCode::DuplicateRow
            }]
        );
    }
}

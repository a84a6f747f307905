//! The row of a matter: its columns, the joins that name its departments,
//! and what it keeps sealed at rest: the caller, and the content
//! and step texts of a sensitive matter.

use aiwei_core::time::from_millis;
use aiwei_core::{
    CallerKind, Channel, FieldError, MatterId, MatterStatus, MatterType, Satisfaction, UserId,
};
use uuid::Uuid;

use super::{AnswerSource, Matter, StoredCaller, StoredLocation};
use crate::Store;
use crate::error::StoreError;

/// What a matter keeps sealed at rest: its caller's personal data
/// and, for a sensitive matter, its content and on-the-spot
/// answer, whose columns then stay empty.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Sealed {
    pub name: Option<String>,
    pub organization: Option<String>,
    pub phone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

/// The associated data binding a sealed part to its matter.
fn matter_context(id: Uuid) -> Vec<u8> {
    let mut v = b"caller/".to_vec();
    v.extend_from_slice(id.as_bytes());
    v
}

/// The associated data binding a sealed step text to its matter, event and
/// field.
fn text_context(matter: Uuid, seq: i64, field: &str) -> Vec<u8> {
    let mut v = b"text/".to_vec();
    v.extend_from_slice(matter.as_bytes());
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(field.as_bytes());
    v
}

impl crate::Keys {
    /// Seals what matter `id` keeps sealed: the key id and the ciphertext to
    /// store. Public for bulk loaders (benchmarks).
    pub fn seal_matter(&self, id: Uuid, part: &Sealed) -> Result<(String, Vec<u8>), StoreError> {
        let plain = serde_json::to_vec(part)
            .map_err(|_| StoreError::Corrupt("sealed matter encoding".into()))?;
        self.seal(&matter_context(id), &plain)
    }

    pub(crate) fn open_matter_part(
        &self,
        id: Uuid,
        key: &str,
        sealed: &[u8],
    ) -> Result<Sealed, StoreError> {
        let plain = self.open(key, &matter_context(id), sealed)?;
        serde_json::from_slice(&plain)
            .map_err(|_| StoreError::Corrupt("sealed matter encoding".into()))
    }

    /// Seals one free text of a sensitive matter's step.
    pub(crate) fn seal_text(
        &self,
        matter: Uuid,
        seq: i64,
        field: &str,
        body: &str,
    ) -> Result<(String, Vec<u8>), StoreError> {
        self.seal(&text_context(matter, seq, field), body.as_bytes())
    }

    pub(crate) fn open_text(
        &self,
        matter: Uuid,
        seq: i64,
        field: &str,
        key: &str,
        sealed: &[u8],
    ) -> Result<String, StoreError> {
        let plain = self.open(key, &text_context(matter, seq, field), sealed)?;
        String::from_utf8(plain).map_err(|_| StoreError::Corrupt("sealed text encoding".into()))
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MatterRow {
    pub(crate) id: Uuid,
    pub(crate) number: String,
    pub(crate) channel: String,
    pub(crate) received_at: i64,
    pub(crate) ring_seconds: Option<i32>,
    pub(crate) arrived_at: Option<i64>,
    pub(crate) intake_user: Uuid,
    pub(crate) intake_user_name: String,
    pub(crate) department: Option<String>,
    pub(crate) department_name: Option<String>,
    pub(crate) lead_department: Option<String>,
    pub(crate) lead_department_name: Option<String>,
    pub(crate) return_count: i32,
    pub(crate) redo_count: i32,
    pub(crate) caller_to_be_told: bool,
    pub(crate) caller_kind: String,
    pub(crate) caller_key: Option<String>,
    pub(crate) caller_sealed: Option<Vec<u8>>,
    pub(crate) caller_anonymised_at: Option<i64>,
    pub(crate) matter_type: String,
    pub(crate) category: Option<String>,
    pub(crate) category_name: Option<String>,
    pub(crate) content: String,
    pub(crate) address: Option<String>,
    pub(crate) area_code: Option<String>,
    pub(crate) latitude: Option<f64>,
    pub(crate) longitude: Option<f64>,
    pub(crate) sensitive: bool,
    pub(crate) urgent: bool,
    pub(crate) status: String,
    pub(crate) answer: Option<String>,
    pub(crate) agreed_reply_at: Option<i64>,
    pub(crate) closed_at: Option<i64>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) satisfaction: Option<String>,
    pub(crate) answered_article: Option<Uuid>,
    pub(crate) answered_version: Option<i32>,
    pub(crate) answered_title: Option<String>,
    pub(crate) merged_into_number: Option<String>,
}

/// The columns of a matter row (`m` is the matter).
macro_rules! matter_columns {
    () => {
        "m.id, m.number, m.channel, m.received_at, m.ring_seconds, m.arrived_at,
    m.intake_user, u.display_name AS intake_user_name, m.department, d.name AS department_name,
    m.lead_department, ld.name AS lead_department_name, m.return_count, m.redo_count,
    m.caller_to_be_told,
    m.caller_kind, m.caller_key, m.caller_sealed, m.caller_anonymised_at, m.matter_type, m.category,
    c.name AS category_name, m.content, m.address, m.area_code, m.latitude, m.longitude,
    m.sensitive, m.urgent, m.status, m.answer, m.agreed_reply_at, m.closed_at, m.created_at, m.updated_at,
    m.satisfaction, m.answered_article, m.answered_version, av.title AS answered_title,
    lm.number AS merged_into_number"
    };
}

/// The names the columns need.
macro_rules! matter_joins {
    () => {
        "
  JOIN users u ON u.id = m.intake_user
  LEFT JOIN departments d ON d.code = m.department
  LEFT JOIN departments ld ON ld.code = m.lead_department
  LEFT JOIN categories c ON c.code = m.category
  LEFT JOIN article_versions av ON av.article_id = m.answered_article
    AND av.version = m.answered_version
  LEFT JOIN matters lm ON lm.id = m.merged_into"
    };
}

pub(crate) const MATTER_SELECT: &str = concat!(
    "SELECT ",
    matter_columns!(),
    " FROM matters m",
    matter_joins!()
);

/// A page of matters: the rows are chosen from `matters` alone (filters,
/// keyset order and limit go between these two), and only those rows are
/// joined to the names. Written this way because SQLite's planner, seeing
/// the joins to small tables, would rather scan and sort the whole table
/// than walk the keyset index and stop at the limit.
pub(super) const MATTER_PAGE_HEAD: &str = concat!(
    "SELECT ",
    matter_columns!(),
    " FROM (SELECT * FROM matters m WHERE 1=1"
);
pub(super) const MATTER_PAGE_TAIL: &str = concat!(") m", matter_joins!());

/// The columns of a matter row, for heads built at run time.
pub(super) const MATTER_COLUMNS: &str = matter_columns!();

fn corrupt(what: &str) -> impl Fn(FieldError) -> StoreError + '_ {
    move |_| StoreError::Corrupt(format!("bad stored {what}"))
}

impl Store {
    /// A matter from its row, the caller's data opened with the key ring.
    pub(crate) fn open_matter(&self, r: MatterRow) -> Result<Matter, StoreError> {
        let caller = match (&r.caller_key, &r.caller_sealed) {
            (Some(key), Some(sealed)) => self.keys.open_matter_part(r.id, key, sealed)?,
            _ => return Err(StoreError::Corrupt("caller not sealed".into())),
        };
        Ok(Matter {
            id: MatterId(r.id),
            number: r.number,
            channel: Channel::parse(&r.channel).map_err(corrupt("channel"))?,
            received_at: from_millis(r.received_at),
            ring_seconds: r.ring_seconds,
            arrived_at: r.arrived_at.map(from_millis),
            intake_user: UserId(r.intake_user),
            intake_user_name: r.intake_user_name,
            department: r.department,
            department_name: r.department_name,
            lead_department: r.lead_department,
            lead_department_name: r.lead_department_name,
            co_departments: Vec::new(),
            co_department_names: Vec::new(),
            return_count: r.return_count,
            redo_count: r.redo_count,
            caller_to_be_told: r.caller_to_be_told,
            caller: StoredCaller {
                kind: CallerKind::parse(&r.caller_kind).map_err(corrupt("caller kind"))?,
                name: caller.name,
                organization: caller.organization,
                phone: caller.phone,
                anonymised: r.caller_anonymised_at.is_some(),
            },
            matter_type: MatterType::parse(&r.matter_type).map_err(corrupt("type"))?,
            category: r.category,
            category_name: r.category_name,
            // A sensitive matter's content is in the sealed part.
            content: caller.content.unwrap_or(r.content),
            location: StoredLocation {
                address: r.address,
                area_code: r.area_code,
                latitude: r.latitude,
                longitude: r.longitude,
            },
            sensitive: r.sensitive,
            urgent: r.urgent,
            status: MatterStatus::parse(&r.status).map_err(corrupt("status"))?,
            answer: caller.answer.or(r.answer),
            agreed_reply_at: r.agreed_reply_at.map(from_millis),
            closed_at: r.closed_at.map(from_millis),
            created_at: from_millis(r.created_at),
            updated_at: from_millis(r.updated_at),
            satisfaction: r
                .satisfaction
                .as_deref()
                .map(Satisfaction::parse)
                .transpose()
                .map_err(corrupt("satisfaction"))?,
            answered_from: match (r.answered_article, r.answered_version) {
                (Some(article), Some(version)) => Some(AnswerSource {
                    article: aiwei_core::ArticleId(article),
                    version,
                    title: r.answered_title.unwrap_or_default(),
                }),
                _ => None,
            },
            merged_into: r.merged_into_number,
            open_clocks: Vec::new(),
        })
    }
}

//! Matters (事项): one call or visit as the tracking ledger (台账, R-4.1.2)
//! holds it. Reading one matter lives here; the row and its sealing in
//! [`rows`], recording new matters in [`intake`], the ledger's pages in
//! [`ledger`], and the event chain in [`crate::events`].

mod intake;
mod ledger;
mod progress;
pub(crate) mod rows;

use std::fmt;

use aiwei_core::access::{Cond, MatterFacts};
use aiwei_core::deadline::RunningClock;
use aiwei_core::flow::MatterState;
use aiwei_core::{CallerKind, Channel, MatterId, MatterNumber, MatterStatus, MatterType, UserId};
use chrono::{DateTime, Utc};

pub use crate::events::Event;
pub use intake::IntakeContext;
pub use ledger::{CURSOR_PATTERN, Cursor, LedgerFilter, Tally};
pub(crate) use ledger::{push_filters, push_plain};
pub use progress::Progress;
pub use rows::Sealed;
pub(crate) use rows::{MATTER_SELECT, MatterRow};

use crate::Store;
use crate::error::StoreError;

/// The caller as stored.
#[derive(Clone, PartialEq)]
pub struct StoredCaller {
    pub kind: CallerKind,
    pub name: Option<String>,
    pub organization: Option<String>,
    pub phone: String,
    /// The caller's personal data was erased on request.
    pub anonymised: bool,
}

impl fmt::Debug for StoredCaller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCaller")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredLocation {
    pub address: Option<String>,
    pub area_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// One matter as the ledger holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Matter {
    pub id: MatterId,
    pub number: String,
    pub channel: Channel,
    pub received_at: DateTime<Utc>,
    pub ring_seconds: Option<i32>,
    pub arrived_at: Option<DateTime<Utc>>,
    pub intake_user: UserId,
    pub intake_user_name: String,
    pub department: Option<String>,
    pub department_name: Option<String>,
    /// The lead department of a dispatched matter.
    pub lead_department: Option<String>,
    pub lead_department_name: Option<String>,
    /// Co-handling or coordinating departments (loaded on single reads).
    pub co_departments: Vec<String>,
    /// Their names, in the same order.
    pub co_department_names: Vec<String>,
    pub return_count: i32,
    pub redo_count: i32,
    /// An approved extension moved the agreed reply time; intake must tell
    /// the caller.
    pub caller_to_be_told: bool,
    pub caller: StoredCaller,
    pub matter_type: MatterType,
    pub category: Option<String>,
    pub category_name: Option<String>,
    pub content: String,
    pub location: StoredLocation,
    pub sensitive: bool,
    pub urgent: bool,
    pub status: MatterStatus,
    pub answer: Option<String>,
    pub agreed_reply_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The caller's satisfaction at the latest revisit.
    pub satisfaction: Option<aiwei_core::Satisfaction>,
    /// The knowledge-base article version the answer was taken from.
    pub answered_from: Option<AnswerSource>,
    /// The number of the lead it is merged into (并单).
    pub merged_into: Option<String>,
    /// Its open deadline clocks; a view picks the most urgent
    /// ([`RunningClock::most_urgent`]).
    pub open_clocks: Vec<RunningClock>,
}

/// The article version a matter's answer came from, with that version's
/// title: later versions never change what the matter shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerSource {
    pub article: aiwei_core::ArticleId,
    pub version: i32,
    pub title: String,
}

impl Matter {
    /// The matter as its flow sees it.
    pub fn flow_state(&self) -> MatterState {
        MatterState {
            matter_type: self.matter_type,
            status: self.status,
            lead: self.lead_department.clone(),
            co: self.co_departments.clone(),
            caller_to_be_told: self.caller_to_be_told,
            merged: self.merged_into.is_some(),
        }
    }

    /// What the rules of access need to know about it. `co_departments` are
    /// loaded on single reads only; list rows carry none.
    pub fn facts(&self) -> MatterFacts {
        MatterFacts {
            flow: self.flow_state(),
            received_by: self.department.clone(),
            recorded_by: self.intake_user,
            sensitive: self.sensitive,
            anonymised: self.caller.anonymised,
        }
    }
}

/// How a client names a matter: its id or its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatterKey {
    Id(MatterId),
    Number(MatterNumber),
}

impl Store {
    pub async fn matter(&self, id: MatterId) -> Result<Matter, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("{MATTER_SELECT} WHERE m.id = $1"));
        let row = on_pool!(&self.db, p => sqlx::query_as::<_, MatterRow>(sql)
            .bind(id.0)
            .fetch_optional(p)
            .await)?;
        self.complete(self.open_matter(row.ok_or(StoreError::NotFound)?)?)
            .await
    }

    /// Adds what the ledger's list query leaves out.
    async fn complete(&self, mut m: Matter) -> Result<Matter, StoreError> {
        let co: Vec<(String, String)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT md.department_code, d.name FROM matter_departments md
             JOIN departments d ON d.code = md.department_code
             WHERE md.matter_id = $1 ORDER BY md.department_code")
            .bind(m.id.0)
            .fetch_all(p)
            .await)?;
        (m.co_departments, m.co_department_names) = co.into_iter().unzip();
        let mut one = self.with_clocks(vec![m]).await?;
        one.pop().ok_or(StoreError::NotFound)
    }

    /// Opens list rows and adds each matter's open clocks, in one query for
    /// the whole list.
    pub(crate) async fn open_list(&self, rows: Vec<MatterRow>) -> Result<Vec<Matter>, StoreError> {
        let matters = rows
            .into_iter()
            .map(|r| self.open_matter(r))
            .collect::<Result<Vec<_>, _>>()?;
        self.with_clocks(matters).await
    }

    async fn with_clocks(&self, mut matters: Vec<Matter>) -> Result<Vec<Matter>, StoreError> {
        let ids: Vec<uuid::Uuid> = matters.iter().map(|m| m.id.0).collect();
        let mut clocks = self.open_clocks(&ids).await?;
        for m in &mut matters {
            m.open_clocks = clocks.remove(&m.id.0).unwrap_or_default();
        }
        Ok(matters)
    }

    /// A matter by id or number, read only if `visible` holds for it
    /// (see [`aiwei_core::access::visibility`]): `NotFound` alike when it
    /// does not exist and when it may not be seen. One query, the same rule
    /// as the ledger.
    pub async fn matter_in_scope(
        &self,
        key: &MatterKey,
        visible: &Cond,
    ) -> Result<Matter, StoreError> {
        let row = on_pool!(&self.db, p => {
            let mut q = sqlx::QueryBuilder::new(MATTER_SELECT);
            match key {
                MatterKey::Id(id) => q.push(" WHERE m.id = ").push_bind(id.0),
                MatterKey::Number(n) => q.push(" WHERE m.number = ").push_bind(n.to_string()),
            };
            crate::scope::push_and(&mut q, visible);
            q.build_query_as::<MatterRow>().fetch_optional(p).await
        })?;
        self.complete(self.open_matter(row.ok_or(StoreError::NotFound)?)?)
            .await
    }

    pub async fn matter_by_number(&self, number: &MatterNumber) -> Result<Matter, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("{MATTER_SELECT} WHERE m.number = $1"));
        let row = on_pool!(&self.db, p => sqlx::query_as::<_, MatterRow>(sql)
            .bind(number.to_string())
            .fetch_optional(p)
            .await)?;
        self.complete(self.open_matter(row.ok_or(StoreError::NotFound)?)?)
            .await
    }
}

//! The tracking ledger (台账, R-4.1.2): pages of matters, newest first,
//! filtered, within what the reader may see, keyset-paged.

use std::fmt;
use std::str::FromStr;

use aiwei_core::access::Cond;
use aiwei_core::time::to_millis;
use aiwei_core::{Channel, ErrorCode, FieldError, MatterStatus, MatterType};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Matter;
use super::rows::{MATTER_COLUMNS, MATTER_PAGE_HEAD, MATTER_PAGE_TAIL, MatterRow};
use crate::Store;
use crate::error::StoreError;
use crate::search::Drive;

/// Filters of the ledger; all optional, combined with AND.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LedgerFilter {
    pub matter_type: Option<MatterType>,
    pub status: Option<MatterStatus>,
    pub channel: Option<Channel>,
    /// The receiving office (受理单位).
    pub department: Option<String>,
    /// The lead department (主办部门).
    pub lead_department: Option<String>,
    /// A co-handling or coordinating department (协办部门).
    pub co_department: Option<String>,
    /// Who recorded it.
    pub intake_user: Option<aiwei_core::UserId>,
    pub urgent: Option<bool>,
    /// The latest revisit's satisfaction.
    pub satisfaction: Option<aiwei_core::Satisfaction>,
    /// Only matters with an open clock due at or before this instant
    /// (overdue now, when it is now).
    pub overdue_at: Option<DateTime<Utc>>,
    /// A category code; its sub-categories match too.
    pub category: Option<String>,
    /// Received at or after.
    pub received_from: Option<DateTime<Utc>>,
    /// Received before.
    pub received_to: Option<DateTime<Utc>>,
    /// Blind indexes of the caller's phone (one per key of the ring); empty:
    /// no phone filter.
    pub phone_index: Vec<String>,
    /// Full-text conditions, all of which must hold (a search).
    pub text: Vec<crate::search::TextCond>,
}

impl LedgerFilter {
    /// Whether the filter has no condition beside its text.
    fn text_only(&self) -> bool {
        *self
            == LedgerFilter {
                text: self.text.clone(),
                ..Default::default()
            }
    }
}

/// A count that stops at a limit: exact up to it, "more than" beyond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// The count, or the limit when there are more.
    pub count: i64,
    /// More than `count` match.
    pub more: bool,
}

impl Tally {
    /// The tally of `n` rows counted with a limit of `limit` (the query
    /// asked for one more, to tell "exactly the limit" from "more").
    pub fn of(n: i64, limit: i64) -> Self {
        Self {
            count: n.min(limit),
            more: n > limit,
        }
    }
}

/// The text form of a [`Cursor`], as a regular expression.
pub const CURSOR_PATTERN: &str = r"^[0-9]{1,18}\.[0-9a-f]{32}$";

/// A position in the ledger's order (newest first): the last row of a page.
/// Its text form is opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub received_at_ms: i64,
    pub id: Uuid,
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.received_at_ms, self.id.simple())
    }
}

impl FromStr for Cursor {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || FieldError::new("cursor", ErrorCode::InvalidCursor);
        let (ms, id) = s.split_once('.').ok_or_else(bad)?;
        // Exactly the form `Display` writes (and `CURSOR_PATTERN` states):
        // the parsers below would also take `+12` or an upper-case id.
        let digits = |t: &str, max: usize, ok: fn(u8) -> bool| {
            !t.is_empty() && t.len() <= max && t.bytes().all(ok)
        };
        if !digits(ms, 18, |b| b.is_ascii_digit())
            || id.len() != 32
            || !digits(id, 32, |b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(bad());
        }
        Ok(Cursor {
            received_at_ms: ms.parse().map_err(|_| bad())?,
            id: Uuid::parse_str(id).map_err(|_| bad())?,
        })
    }
}

/// Adds `visible` and the filters to a query over `matters m` whose `WHERE`
/// is open.
pub(crate) fn push_filters<DB>(
    q: &mut sqlx::QueryBuilder<DB>,
    backend: crate::db::Backend,
    filter: &LedgerFilter,
    visible: &Cond,
    drive: Drive,
) where
    DB: sqlx::Database,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> bool: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> Uuid: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    crate::scope::push_and(q, visible);
    crate::search::push_texts(q, backend, &filter.text, drive);
    push_plain(q, "m", filter);
    if let Some(d) = &filter.co_department {
        q.push(" AND EXISTS (SELECT 1 FROM matter_departments md WHERE md.matter_id = m.id AND md.department_code = ")
            .push_bind(d.clone())
            .push(")");
    }
    if let Some(u) = filter.intake_user {
        q.push(" AND m.intake_user = ").push_bind(u.0);
    }
    if let Some(at) = filter.overdue_at {
        q.push(" AND EXISTS (SELECT 1 FROM deadlines dl WHERE dl.matter_id = m.id AND dl.ended_at IS NULL AND dl.due_at <= ")
            .push_bind(to_millis(at))
            .push(")");
    }
    if let Some(f) = filter.received_from {
        q.push(" AND m.received_at >= ").push_bind(to_millis(f));
    }
    if let Some(t) = filter.received_to {
        q.push(" AND m.received_at < ").push_bind(to_millis(t));
    }
    if !filter.phone_index.is_empty() {
        q.push(" AND m.caller_phone_hash IN (");
        let mut sep = q.separated(", ");
        for h in &filter.phone_index {
            sep.push_bind(h.clone());
        }
        sep.push_unseparated(")");
    }
}

/// Adds the filters on a matter's own plain columns, which the matters
/// (`m`) and the ledger's tally (`t`) both have under the same names.
pub(crate) fn push_plain<DB>(q: &mut sqlx::QueryBuilder<DB>, at: &str, filter: &LedgerFilter)
where
    DB: sqlx::Database,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> bool: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut eq = |column: &str, value: String| {
        q.push(format_args!(" AND {at}.{column} = "))
            .push_bind(value);
    };
    if let Some(t) = filter.matter_type {
        eq("matter_type", t.as_str().to_owned());
    }
    if let Some(s) = filter.status {
        eq("status", s.as_str().to_owned());
    }
    if let Some(c) = filter.channel {
        eq("channel", c.as_str().to_owned());
    }
    if let Some(d) = &filter.department {
        eq("department", d.clone());
    }
    if let Some(d) = &filter.lead_department {
        eq("lead_department", d.clone());
    }
    if let Some(s) = filter.satisfaction {
        eq("satisfaction", s.as_str().to_owned());
    }
    if let Some(u) = filter.urgent {
        q.push(format_args!(" AND {at}.urgent = ")).push_bind(u);
    }
    if let Some(c) = &filter.category {
        q.push(format_args!(" AND ({at}.category = "))
            .push_bind(c.clone());
        // Children share the parent's code as a prefix; `_` and `%`
        // in a code are literal, not wildcards.
        q.push(format_args!(" OR {at}.category LIKE "))
            .push_bind(crate::like_prefix(&format!("{c}.")));
        q.push(" ESCAPE '\\'");
        q.push(")");
    }
}

impl Store {
    /// One page of the ledger, newest first, and the cursor of the next page
    /// when there is one. Keyset pagination: the cost of a page does not grow
    /// with how deep it lies.
    pub async fn ledger(
        &self,
        filter: &LedgerFilter,
        visible: &Cond,
        after: Option<Cursor>,
        limit: u32,
    ) -> Result<(Vec<Matter>, Option<Cursor>), StoreError> {
        let drives = self.text_drives(&filter.text, None).await?;
        self.ledger_from(filter, visible, after, limit, drives.page)
            .await
    }

    /// A page of the ledger and its total counted up to `count_limit` (see
    /// [`Store::ledger_count`]): what a list shows. A search's side is
    /// chosen once for both.
    pub async fn ledger_page(
        &self,
        filter: &LedgerFilter,
        visible: &Cond,
        after: Option<Cursor>,
        limit: u32,
        count_limit: i64,
    ) -> Result<(Vec<Matter>, Option<Cursor>, Tally), StoreError> {
        let drives = self.text_drives(&filter.text, Some(count_limit)).await?;
        let (rows, next) = self
            .ledger_from(filter, visible, after, limit, drives.page)
            .await?;
        let total = self
            .count_from(filter, visible, count_limit, drives)
            .await?;
        Ok((rows, next, total))
    }

    async fn ledger_from(
        &self,
        filter: &LedgerFilter,
        visible: &Cond,
        after: Option<Cursor>,
        limit: u32,
        drive: Drive,
    ) -> Result<(Vec<Matter>, Option<Cursor>), StoreError> {
        let limit = limit.clamp(1, 500) as i64;
        let backend = self.backend();
        let mut rows: Vec<MatterRow> = on_pool!(&self.db, p => {
            let mut q = sqlx::QueryBuilder::new(MATTER_PAGE_HEAD);
            push_filters(&mut q, backend, filter, visible, drive);
            if let Some(c) = after {
                q.push(" AND (m.received_at, m.id) < (")
                    .push_bind(c.received_at_ms)
                    .push(", ")
                    .push_bind(c.id)
                    .push(")");
            }
            q.push(" ORDER BY m.received_at DESC, m.id DESC LIMIT ").push_bind(limit + 1);
            q.push(MATTER_PAGE_TAIL);
            q.push(" ORDER BY m.received_at DESC, m.id DESC");
            q.build_query_as::<MatterRow>().fetch_all(p).await
        })?;
        let next = crate::split_page(&mut rows, limit, |r| Cursor {
            received_at_ms: r.received_at,
            id: r.id,
        });
        Ok((self.open_list(rows).await?, next))
    }

    /// A page of the matters `filter` finds within `visible`, most relevant
    /// to its text conditions first (then newest), `offset` rows in; and
    /// the offset of the next page. Relevance comes from the engines'
    /// ranking (FTS5 `bm25`, PostgreSQL `ts_rank`), so the two backends may
    /// order ties differently; the set is the same. `None` when the filter
    /// has nothing to rank by (no words: a number or nothing).
    pub async fn ledger_by_relevance(
        &self,
        filter: &LedgerFilter,
        visible: &Cond,
        offset: i64,
        limit: u32,
    ) -> Result<Option<(Vec<Matter>, Option<i64>)>, StoreError> {
        let runs = crate::search::rank_runs(&filter.text);
        if runs.is_empty() {
            return Ok(None);
        }
        let limit = limit.clamp(1, 500) as i64;
        let offset = offset.max(0);
        let backend = self.backend();
        let head = format!(
            "SELECT {MATTER_COLUMNS} FROM (SELECT m.*, r.score AS score FROM matters m JOIN "
        );
        let unranked = LedgerFilter {
            text: crate::search::unranked(&filter.text),
            ..filter.clone()
        };
        let mut rows: Vec<MatterRow> = on_pool!(&self.db, p => {
            let mut q = sqlx::QueryBuilder::new(head.clone());
            crate::search::push_rank(&mut q, backend, crate::search::RankOf::Matters, &runs);
            q.push(" r ON r.doc_id = m.id WHERE 1=1");
            push_filters(&mut q, backend, &unranked, visible, Drive::Matches);
            q.push(" ORDER BY r.score, m.received_at DESC, m.id DESC LIMIT ")
                .push_bind(limit + 1)
                .push(" OFFSET ")
                .push_bind(offset);
            q.push(MATTER_PAGE_TAIL);
            q.push(" ORDER BY m.score, m.received_at DESC, m.id DESC");
            q.build_query_as::<MatterRow>().fetch_all(p).await
        })?;
        let next = crate::split_page(&mut rows, limit, |_| offset + limit);
        Ok(Some((self.open_list(rows).await?, next)))
    }

    /// How many matters the ledger holds for `filter` within `visible`,
    /// counted up to `limit`: the total a page reports beside its rows.
    /// Counting stops there because an exact count costs time in
    /// proportion to the matches (a common character is in a quarter of
    /// the ledger) while the page itself stops at its last row; beyond a
    /// few thousand, "more than" is all a reader of a list can use.
    /// Totals the ledger's tally can answer (plain filters, whole months, a
    /// reader who sees every ordinary matter) are exact whatever their size.
    pub async fn ledger_count(
        &self,
        filter: &LedgerFilter,
        visible: &Cond,
        limit: i64,
    ) -> Result<Tally, StoreError> {
        let drives = self.text_drives(&filter.text, Some(limit)).await?;
        self.count_from(filter, visible, limit, drives).await
    }

    async fn count_from(
        &self,
        filter: &LedgerFilter,
        visible: &Cond,
        limit: i64,
        drives: crate::search::Drives,
    ) -> Result<Tally, StoreError> {
        let limit = limit.max(1);
        if let Some(n) = self.tally_total(filter, visible).await? {
            return Ok(Tally {
                count: n,
                more: false,
            });
        }
        // Words alone, for a reader who sees every ordinary matter: each
        // document is an ordinary matter's (a sensitive one has none), so
        // the documents counted to choose the sides are the total.
        if let Some(found) = drives.found
            && visible.covers_ordinary()
            && filter.text_only()
            && let Some(total) = found.tally(limit)
        {
            return Ok(total);
        }
        let backend = self.backend();
        let n = on_pool!(&self.db, p => {
            let mut q = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM (SELECT 1 FROM matters m WHERE 1=1");
            push_filters(&mut q, backend, filter, visible, drives.count);
            q.push(" LIMIT ").push_bind(limit + 1).push(") c");
            q.build_query_scalar::<i64>().fetch_one(p).await
        })?;
        Ok(Tally::of(n, limit))
    }

    /// The conditions of a search query, ready for [`LedgerFilter::text`]:
    /// a phone number through the key ring's blind indexes.
    pub fn search_conds(
        &self,
        q: &aiwei_core::search::Query,
    ) -> Result<Vec<crate::search::TextCond>, StoreError> {
        use crate::search::TextCond;
        use aiwei_core::search::Term;
        q.terms
            .iter()
            .map(|t| {
                Ok(match t {
                    Term::Phrase(run) => TextCond::Phrase(run.clone()),
                    Term::Number(n) => TextCond::Number(n.to_string()),
                    Term::Phone(p, digits) => TextCond::Phone {
                        indexes: self.keys.phone_indexes(p)?,
                        digits: digits.clone(),
                    },
                })
            })
            .collect()
    }

    /// A caller's earlier matters, newest first, found by the blind index of
    /// the phone number.
    pub async fn caller_history(
        &self,
        phone: &aiwei_core::PhoneNumber,
        visible: &Cond,
        limit: u32,
    ) -> Result<Vec<Matter>, StoreError> {
        let filter = LedgerFilter {
            phone_index: self.keys.phone_indexes(phone)?,
            ..Default::default()
        };
        Ok(self.ledger(&filter, visible, None, limit).await?.0)
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = Cursor {
            received_at_ms: 1_764_000_000_000,
            id: Uuid::now_v7(),
        };
        assert_eq!(c.to_string().parse::<Cursor>().unwrap(), c);
        assert!("x".parse::<Cursor>().is_err());
        assert!("1.2".parse::<Cursor>().is_err());
    }
}

//! The ledger's tally (migration 0033): how many ordinary matters there are
//! per month of receipt and combination of the ledger's plain filters, kept
//! by triggers. A total the tally can answer is a sum over a few thousand
//! rows whatever the years of history, and exact; the capped count over
//! the matters themselves is left for what it cannot answer (text, phone,
//! co-handling, recorder, overdue clocks, bounds inside a month, and
//! readers who do not see every ordinary matter).

use aiwei_core::access::Cond;
use aiwei_core::time::{is_month_start, month_key};
use chrono::{DateTime, Utc};

use crate::Store;
use crate::db::{Backend, Db};
use crate::error::StoreError;
use crate::matters::LedgerFilter;

/// Months of receipt (`YYYYMM`), from (inclusive) and to (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Months {
    from: Option<i32>,
    to: Option<i32>,
}

/// The months `filter` covers, when the tally can count it: it has only
/// the plain filters (no text, phone, co-handling department, recorder or
/// overdue clock) and its bounds, if any, fall on the first instant of a
/// local month.
pub(crate) fn months(filter: &LedgerFilter) -> Option<Months> {
    let LedgerFilter {
        matter_type: _,
        status: _,
        channel: _,
        department,
        lead_department,
        co_department,
        intake_user,
        urgent: _,
        satisfaction: _,
        overdue_at,
        category,
        received_from,
        received_to,
        phone_index,
        text,
    } = filter;
    // The tally writes an absent value as ''; a filter for '' finds
    // nothing among the matters and must not find those.
    let empty = |s: &Option<String>| s.as_deref().is_some_and(str::is_empty);
    if co_department.is_some()
        || intake_user.is_some()
        || overdue_at.is_some()
        || !phone_index.is_empty()
        || !text.is_empty()
        || empty(department)
        || empty(lead_department)
        || empty(category)
    {
        return None;
    }
    let bound = |t: &Option<DateTime<Utc>>| match t {
        None => Some(None),
        Some(t) if is_month_start(*t) => Some(Some(month_key(*t))),
        Some(_) => None,
    };
    Some(Months {
        from: bound(received_from)?,
        to: bound(received_to)?,
    })
}

/// The tally's columns, the same in both tables.
const COLUMNS: &str = "month, matter_type, status, channel, department, lead_department, \
                       category, satisfaction, urgent";

impl Store {
    /// The ledger's total for `filter` within `visible`, exactly, when the
    /// tally can answer it: the ordinary matters from the tally, and the
    /// sensitive ones the reader may see counted one by one (they are few,
    /// and found through their own index). `None`: count the matters.
    pub(crate) async fn tally_total(
        &self,
        filter: &LedgerFilter,
        visible: &Cond,
    ) -> Result<Option<i64>, StoreError> {
        if !visible.covers_ordinary() {
            return Ok(None);
        }
        let Some(months) = months(filter) else {
            return Ok(None);
        };
        let backend = self.backend();
        let (ordinary, sensitive): (i64, i64) = on_pool!(&self.db, p => {
            let mut q = sqlx::QueryBuilder::new(format!(
                "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM (SELECT {COLUMNS}, n FROM matter_tally \
                 UNION ALL SELECT {COLUMNS}, n FROM matter_tally_delta) t WHERE 1=1"
            ));
            crate::matters::push_plain(&mut q, "t", filter);
            if let Some(m) = months.from {
                q.push(" AND t.month >= ").push_bind(m);
            }
            if let Some(m) = months.to {
                q.push(" AND t.month < ").push_bind(m);
            }
            let ordinary = q.build_query_scalar::<i64>().fetch_one(p).await?;
            // SQLite keeps no statistics and would walk a filter's index
            // over every matter instead; the few sensitive ones are listed
            // in their own.
            let mut q = sqlx::QueryBuilder::new(match backend {
                Backend::Sqlite => {
                    "SELECT COUNT(*) FROM matters m INDEXED BY matters_sensitive WHERE m.sensitive = TRUE"
                }
                Backend::Postgres => "SELECT COUNT(*) FROM matters m WHERE m.sensitive = TRUE",
            });
            crate::matters::push_filters(&mut q, backend, filter, visible, crate::search::Drive::Matches);
            let sensitive = q.build_query_scalar::<i64>().fetch_one(p).await?;
            Ok::<_, sqlx::Error>((ordinary, sensitive))
        })?;
        Ok(Some(ordinary + sensitive))
    }

    /// Folds the tally's pending deltas into it (PostgreSQL; SQLite's
    /// triggers add into the tally directly, so there is nothing to fold).
    /// Each batch is one statement: readers see the deltas or their sum,
    /// never both or neither. Keys are written in order, so two instances
    /// folding at once wait for each other instead of deadlocking, and a
    /// delta row another fold has claimed is skipped. Returns the deltas
    /// folded.
    pub async fn fold_tally(&self) -> Result<u64, StoreError> {
        if self.backend() == Backend::Sqlite {
            return Ok(0);
        }
        const BATCH: i64 = 50_000;
        // A data-modifying `WITH` runs whether or not the query reads it;
        // the query counts the deltas moved.
        let sql = format!(
            "WITH moved AS (
                 DELETE FROM matter_tally_delta WHERE id IN (
                     SELECT id FROM matter_tally_delta ORDER BY id LIMIT $1
                     FOR UPDATE SKIP LOCKED)
                 RETURNING {COLUMNS}, n),
             added AS (
                 INSERT INTO matter_tally ({COLUMNS}, n)
                 SELECT {COLUMNS}, SUM(n) FROM moved
                 GROUP BY {COLUMNS} ORDER BY {COLUMNS}
                 ON CONFLICT ({COLUMNS}) DO UPDATE SET n = matter_tally.n + EXCLUDED.n)
             SELECT COUNT(*) FROM moved"
        );
        let mut folded = 0;
        loop {
            // Built from constants only.
            let moved: i64 = write_once!(&self.db, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
                .bind(BATCH)
                .fetch_one(c)
                .await)?;
            folded += moved.unsigned_abs();
            if moved < BATCH {
                break;
            }
        }
        // Readers scan the deltas, dead rows included, until a vacuum
        // clears them: after a load of 1,000,000 matters that scan took
        // 100 ms. Autovacuum would come round some time later, or never
        // where it is off; the table is small, so this costs milliseconds.
        if folded > 0
            && let Db::Postgres(p) = &self.db
        {
            sqlx::query("VACUUM matter_tally_delta").execute(p).await?;
        }
        Ok(folded)
    }
}

/// A matter's tally columns as the migrations' triggers compute them, for
/// a query over `matters`.
fn keys_of_matters(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "CAST(strftime('%Y%m', received_at / 1000, 'unixepoch', '+8 hours') AS INTEGER), \
             matter_type, status, channel, COALESCE(department, ''), \
             COALESCE(lead_department, ''), COALESCE(category, ''), \
             COALESCE(satisfaction, ''), urgent"
        }
        Backend::Postgres => {
            "matter_tally_month(received_at), matter_type, status, channel, \
             COALESCE(department, ''), COALESCE(lead_department, ''), \
             COALESCE(category, ''), COALESCE(satisfaction, ''), urgent"
        }
    }
}

impl Store {
    /// How many of the tally's combinations disagree with a count of the
    /// matters themselves: 0 when the tally is true. Read-only; 2.2 s on
    /// SQLite and 2.5 s on PostgreSQL at 1,000,000 matters. The tally is
    /// derived data, so `aiwei audit verify` checks it beside the chains.
    pub async fn tally_drift(&self) -> Result<u64, StoreError> {
        let keys = keys_of_matters(self.backend());
        let sql = format!(
            "SELECT COUNT(*) FROM (
                 SELECT {COLUMNS}, SUM(n) AS n FROM (
                     SELECT {COLUMNS}, n FROM matter_tally
                     UNION ALL SELECT {COLUMNS}, n FROM matter_tally_delta
                     UNION ALL SELECT {keys}, -COUNT(*) FROM matters WHERE NOT sensitive
                         GROUP BY {keys}
                 ) x
                 GROUP BY {COLUMNS} HAVING SUM(n) <> 0
             ) d"
        );
        // Built from constants only.
        let n: i64 = on_pool!(&self.db, p => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
            .fetch_one(p)
            .await)?;
        Ok(n.unsigned_abs())
    }

    /// Rebuilds the tally from the matters, in one transaction. On
    /// PostgreSQL the delta table is locked first, so that a write
    /// committing meanwhile is either in the count or appends its delta
    /// after it, never both.
    pub async fn rebuild_tally(&self) -> Result<(), StoreError> {
        let keys = keys_of_matters(self.backend());
        let insert = format!(
            "INSERT INTO matter_tally ({COLUMNS}, n)
             SELECT {keys}, COUNT(*) FROM matters WHERE NOT sensitive GROUP BY {keys}"
        );
        let postgres = self.backend() == Backend::Postgres;
        let mut tx = self.db.begin().await?;
        on_tx!(&mut tx, c => {
            if postgres {
                sqlx::query("LOCK TABLE matter_tally_delta IN EXCLUSIVE MODE")
                    .execute(&mut *c)
                    .await?;
            }
            sqlx::query("DELETE FROM matter_tally_delta").execute(&mut *c).await?;
            sqlx::query("DELETE FROM matter_tally").execute(&mut *c).await?;
            // Built from constants only.
            sqlx::query(sqlx::AssertSqlSafe(insert.clone()))
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
        })?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiwei_core::time::local_day_start;
    use chrono::NaiveDate;

    #[test]
    fn the_tally_answers_plain_filters_over_whole_months_only() {
        let day = |y, m, d| local_day_start(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        let plain = LedgerFilter {
            lead_department: Some("HJWS".into()),
            received_from: day(2026, 3, 1),
            received_to: day(2026, 5, 1),
            ..Default::default()
        };
        assert_eq!(
            months(&plain),
            Some(Months {
                from: Some(202603),
                to: Some(202605)
            })
        );
        assert_eq!(
            months(&LedgerFilter::default()),
            Some(Months {
                from: None,
                to: None
            })
        );
        let inside = LedgerFilter {
            received_from: day(2026, 3, 2),
            ..plain.clone()
        };
        assert_eq!(months(&inside), None);
        let co = LedgerFilter {
            co_department: Some("HJWS".into()),
            ..Default::default()
        };
        assert_eq!(months(&co), None);
        let blank = LedgerFilter {
            category: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(months(&blank), None);
    }
}

//! The tallies: counts kept by triggers so that totals do not grow with
//! history (issue 13).
//!
//! - The ledger's tally (migration 0033): how many ordinary matters there
//!   are per month of receipt and combination of the ledger's plain
//!   filters. A total it can answer is a sum over a few thousand rows
//!   whatever the years of history, and exact; the capped count over the
//!   matters themselves is left for what it cannot answer (text, phone,
//!   co-handling, recorder, overdue clocks, bounds inside a month, and
//!   readers who do not see every ordinary matter).
//! - The clocks' tally (migration 0034): how many clocks ended per local
//!   day, kind, state and owners, which the figures of a period read
//!   ([`crate::kpi`]).
//!
//! Both are folded, checked and rebuilt here alike.

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

/// The ledger's tally's columns, the same in both tables.
const COLUMNS: &str = "month, matter_type, status, channel, department, lead_department, \
                       category, satisfaction, urgent";

/// A table of counts kept by triggers (migrations 0033 and 0034), with
/// what folding, checking and rebuilding it need to know.
struct Tally {
    table: &'static str,
    /// Where PostgreSQL's triggers append (empty on SQLite).
    delta: &'static str,
    /// The key columns, the same in both tables.
    columns: &'static str,
    /// The key columns computed from the data itself, as the triggers
    /// compute them, in the order of `columns`.
    keys: fn(Backend) -> &'static str,
    /// The rows counted: `FROM … WHERE …`.
    from: &'static str,
}

/// The ledger's tally: ordinary matters by month of receipt and plain
/// filters.
const LEDGER: Tally = Tally {
    table: "matter_tally",
    delta: "matter_tally_delta",
    columns: COLUMNS,
    keys: keys_of_matters,
    from: "FROM matters WHERE NOT sensitive",
};

/// The clocks' tally: ended clocks by local day, kind, state and owners.
const CLOCKS: Tally = Tally {
    table: "clock_tally",
    delta: "clock_tally_delta",
    columns: "day, kind, state, intake_user, department, lead_department",
    keys: |_| {
        "CAST((d.ended_at + 28800000) / 86400000 AS INTEGER), d.kind, d.state, \
         m.intake_user, COALESCE(m.department, ''), COALESCE(m.lead_department, '')"
    },
    from: "FROM deadlines d JOIN matters m ON m.id = d.matter_id WHERE d.ended_at IS NOT NULL",
};

const TALLIES: [Tally; 2] = [LEDGER, CLOCKS];

impl Tally {
    /// Its rows counted from the data itself, as the triggers count them;
    /// `sign` is `""`, or `"-"` to subtract them.
    fn counted(&self, backend: Backend, sign: &str) -> String {
        let keys = (self.keys)(backend);
        format!(
            "SELECT {keys}, {sign}COUNT(*) {} GROUP BY {keys}",
            self.from
        )
    }
}

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

    /// Folds the tallies' pending deltas into them (PostgreSQL; SQLite's
    /// triggers add into the tallies directly, so there is nothing to
    /// fold). Each batch is one statement: readers see the deltas or their
    /// sum, never both or neither. Keys are written in order, so two
    /// instances folding at once wait for each other instead of
    /// deadlocking, and a delta row another fold has claimed is skipped.
    /// Returns the deltas folded.
    pub async fn fold_tally(&self) -> Result<u64, StoreError> {
        if self.backend() == Backend::Sqlite {
            return Ok(0);
        }
        let mut folded = 0;
        for tally in &TALLIES {
            folded += self.fold(tally).await?;
        }
        Ok(folded)
    }

    async fn fold(&self, tally: &Tally) -> Result<u64, StoreError> {
        const BATCH: i64 = 50_000;
        let Tally {
            table,
            delta,
            columns,
            ..
        } = tally;
        // A data-modifying `WITH` runs whether or not the query reads it;
        // the query counts the deltas moved.
        let sql = format!(
            "WITH moved AS (
                 DELETE FROM {delta} WHERE id IN (
                     SELECT id FROM {delta} ORDER BY id LIMIT $1
                     FOR UPDATE SKIP LOCKED)
                 RETURNING {columns}, n),
             added AS (
                 INSERT INTO {table} ({columns}, n)
                 SELECT {columns}, SUM(n) FROM moved
                 GROUP BY {columns} ORDER BY {columns}
                 ON CONFLICT ({columns}) DO UPDATE SET n = {table}.n + EXCLUDED.n)
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
            // Built from constants only.
            sqlx::query(sqlx::AssertSqlSafe(format!("VACUUM {delta}")))
                .execute(p)
                .await?;
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
    /// How many of the tallies' combinations disagree with a count of the
    /// data itself: 0 when they are true. Read-only; at 1,000,000 matters
    /// the ledger's takes 2.2 s on SQLite and 2.5 s on PostgreSQL, the
    /// clocks' (5,000,000 clocks joined to their matters) 30 s and 7 s.
    /// The tallies are derived data, so `aiwei audit verify` checks them
    /// beside the chains.
    pub async fn tally_drift(&self) -> Result<u64, StoreError> {
        let mut drift = 0;
        for t in &TALLIES {
            let (table, delta, columns) = (t.table, t.delta, t.columns);
            let counted = t.counted(self.backend(), "-");
            let sql = format!(
                "SELECT COUNT(*) FROM (
                     SELECT {columns}, SUM(n) AS n FROM (
                         SELECT {columns}, n FROM {table}
                         UNION ALL SELECT {columns}, n FROM {delta}
                         UNION ALL {counted}
                     ) x
                     GROUP BY {columns} HAVING SUM(n) <> 0
                 ) d"
            );
            // Built from constants only.
            let n: i64 = on_pool!(&self.db, p => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_one(p)
                .await)?;
            drift += n.unsigned_abs();
        }
        Ok(drift)
    }

    /// Rebuilds the tallies from the data, in one transaction. On
    /// PostgreSQL the delta tables are locked first, so that a write
    /// committing meanwhile is either in the count or appends its delta
    /// after it, never both.
    pub async fn rebuild_tally(&self) -> Result<(), StoreError> {
        let postgres = self.backend() == Backend::Postgres;
        let mut tx = self.db.begin().await?;
        for t in &TALLIES {
            let (table, delta, columns) = (t.table, t.delta, t.columns);
            let insert = format!(
                "INSERT INTO {table} ({columns}, n) {}",
                t.counted(self.backend(), "")
            );
            // Built from constants only.
            on_tx!(&mut tx, c => {
                if postgres {
                    sqlx::query(sqlx::AssertSqlSafe(format!("LOCK TABLE {delta} IN EXCLUSIVE MODE")))
                        .execute(&mut *c)
                        .await?;
                }
                sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {delta}"))).execute(&mut *c).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}"))).execute(&mut *c).await?;
                sqlx::query(sqlx::AssertSqlSafe(insert.clone()))
                    .execute(&mut *c)
                    .await
                    .map(|r| r.rows_affected())
            })?;
        }
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

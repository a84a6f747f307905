//! Many rows handed to one statement as a table, column by column.
//!
//! The sweeper, the bulk builder and other batch writers write hundreds or
//! thousands of rows at once. Written as `VALUES ($1, $2, …), (…)`, a batch
//! of 1,500 notifications is 10,500 bound values: PostgreSQL spent longer
//! parsing, binding and receiving such a statement than running it. Here a
//! batch is a list of typed columns and the statement reads it as the
//! common table `v`: on PostgreSQL one array per column (`UNNEST`, a few
//! bound values whatever the number of rows), on SQLite, which has no
//! arrays, `VALUES` rows in statements of at most SQLite's 32,766 bound
//! values.

use sqlx::{Postgres, QueryBuilder, Sqlite};
use uuid::Uuid;

use crate::db::Tx;
use crate::error::StoreError;

/// SQLite's limit on bound values in one statement.
const SQLITE_MAX_BINDS: usize = 32_766;

/// One column of the rows, every value of it.
pub(crate) enum Column<'a> {
    Uuid(Vec<Uuid>),
    OptUuid(Vec<Option<Uuid>>),
    Int(Vec<i64>),
    OptInt(Vec<Option<i64>>),
    Text(Vec<&'a str>),
    OptText(Vec<Option<&'a str>>),
    Bytes(Vec<&'a [u8]>),
}

impl Column<'_> {
    fn len(&self) -> usize {
        match self {
            Column::Uuid(v) => v.len(),
            Column::OptUuid(v) => v.len(),
            Column::Int(v) => v.len(),
            Column::OptInt(v) => v.len(),
            Column::Text(v) => v.len(),
            Column::OptText(v) => v.len(),
            Column::Bytes(v) => v.len(),
        }
    }

    /// The PostgreSQL array type `UNNEST` reads the column as.
    fn pg_array(&self) -> &'static str {
        match self {
            Column::Uuid(_) | Column::OptUuid(_) => "uuid[]",
            Column::Int(_) | Column::OptInt(_) => "bigint[]",
            Column::Text(_) | Column::OptText(_) => "text[]",
            Column::Bytes(_) => "bytea[]",
        }
    }

    fn bind_pg(&self, q: &mut QueryBuilder<Postgres>) {
        match self {
            Column::Uuid(v) => q.push_bind(v.as_slice()),
            Column::OptUuid(v) => q.push_bind(v.as_slice()),
            Column::Int(v) => q.push_bind(v.as_slice()),
            Column::OptInt(v) => q.push_bind(v.as_slice()),
            Column::Text(v) => q.push_bind(v.as_slice()),
            Column::OptText(v) => q.push_bind(v.as_slice()),
            Column::Bytes(v) => q.push_bind(v.as_slice()),
        };
    }

    fn bind_sqlite_value(
        &self,
        row: usize,
        b: &mut sqlx::query_builder::Separated<'_, Sqlite, &'static str>,
    ) {
        match self {
            Column::Uuid(v) => b.push_bind(v[row]),
            Column::OptUuid(v) => b.push_bind(v[row]),
            Column::Int(v) => b.push_bind(v[row]),
            Column::OptInt(v) => b.push_bind(v[row]),
            Column::Text(v) => b.push_bind(v[row]),
            Column::OptText(v) => b.push_bind(v[row]),
            Column::Bytes(v) => b.push_bind(v[row]),
        };
    }
}

/// Rows as named columns: the table `v` of [`Rows::execute`].
pub(crate) struct Rows<'a> {
    /// `v`'s column names, in the order of `columns`: `"id, seq, hash"`.
    names: &'static str,
    columns: Vec<Column<'a>>,
}

impl<'a> Rows<'a> {
    /// Fails when the columns differ in length: a programming error, caught
    /// before anything is written.
    pub(crate) fn new(names: &'static str, columns: Vec<Column<'a>>) -> Result<Self, StoreError> {
        let n = columns.first().map_or(0, Column::len);
        if columns.is_empty()
            || columns.iter().any(|c| c.len() != n)
            || names.split(',').count() != columns.len()
        {
            return Err(StoreError::Corrupt(
                "a batch's columns do not match its names".into(),
            ));
        }
        Ok(Self { names, columns })
    }

    fn len(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }

    /// PostgreSQL: `v` as one array per column.
    fn push_pg(&self, q: &mut QueryBuilder<Postgres>) {
        q.push("SELECT * FROM UNNEST(");
        for (i, c) in self.columns.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            c.bind_pg(q);
            q.push("::");
            q.push(c.pg_array());
        }
        q.push(")");
    }

    /// SQLite: the rows in statements of at most its bound values each.
    fn sqlite_chunks(&self) -> Vec<std::ops::Range<usize>> {
        let per = (SQLITE_MAX_BINDS / self.columns.len()).max(1);
        (0..self.len())
            .step_by(per)
            .map(|start| start..(start + per).min(self.len()))
            .collect()
    }

    fn sqlite_query(&self, rows: std::ops::Range<usize>, statement: &str) -> QueryBuilder<Sqlite> {
        let mut q = QueryBuilder::<Sqlite>::new(format!("WITH v ({}) AS (", self.names));
        q.push_values(rows, |mut b, row| {
            for c in &self.columns {
                c.bind_sqlite_value(row, &mut b);
            }
        });
        q.push(") ");
        q.push(statement);
        q
    }

    fn pg_query(&self, statement: &str) -> QueryBuilder<Postgres> {
        let mut q = QueryBuilder::<Postgres>::new(format!("WITH v ({}) AS (", self.names));
        self.push_pg(&mut q);
        q.push(") ");
        q.push(statement);
        q
    }

    /// Runs `statement`, which reads the rows as the table `v`
    /// (`INSERT INTO t (a, b) SELECT a, b FROM v`, `UPDATE t SET … FROM v
    /// WHERE t.id = v.id`), and returns the rows it affected. On SQLite a
    /// large batch runs as several statements, in the same transaction.
    /// `statement` is the program's own SQL, never input. It follows
    /// `WITH v (…) AS (…)`, so it may begin with `, name AS (…)` to add
    /// common tables of its own.
    pub(crate) async fn execute(&self, tx: &mut Tx, statement: &str) -> Result<u64, StoreError> {
        if self.len() == 0 {
            return Ok(0);
        }
        match tx {
            Tx::Postgres(t) => Ok(self
                .pg_query(statement)
                .build()
                .execute(&mut **t)
                .await?
                .rows_affected()),
            Tx::Sqlite(t) => {
                let mut affected = 0;
                for rows in self.sqlite_chunks() {
                    affected += self
                        .sqlite_query(rows, statement)
                        .build()
                        .execute(t.conn())
                        .await?
                        .rows_affected();
                }
                Ok(affected)
            }
        }
    }

    /// Like [`Rows::execute`], for a statement that returns rows (a
    /// `SELECT` reading `v`, or `RETURNING`); on SQLite the answers of its
    /// statements one after the other.
    pub(crate) async fn fetch_all<T>(
        &self,
        tx: &mut Tx,
        statement: &str,
    ) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + Send
            + Unpin,
    {
        if self.len() == 0 {
            return Ok(Vec::new());
        }
        match tx {
            Tx::Postgres(t) => Ok(self
                .pg_query(statement)
                .build_query_as()
                .fetch_all(&mut **t)
                .await?),
            Tx::Sqlite(t) => {
                let mut out = Vec::new();
                for rows in self.sqlite_chunks() {
                    out.extend(
                        self.sqlite_query(rows, statement)
                            .build_query_as::<T>()
                            .fetch_all(t.conn())
                            .await?,
                    );
                }
                Ok(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{DatabaseUrl, Db};

    #[test]
    fn columns_must_match_their_names() {
        let ok = Rows::new(
            "a, b",
            vec![Column::Int(vec![1, 2]), Column::Int(vec![3, 4])],
        );
        assert!(ok.is_ok());
        let short = Rows::new("a, b", vec![Column::Int(vec![1, 2]), Column::Int(vec![3])]);
        assert!(short.is_err());
        let unnamed = Rows::new("a", vec![Column::Int(vec![1]), Column::Int(vec![3])]);
        assert!(unnamed.is_err());
        assert!(Rows::new("a", vec![]).is_err());
    }

    /// More rows than one SQLite statement may bind: every row arrives,
    /// nulls and bytes included, and a statement reading `v` sees them all.
    #[tokio::test]
    async fn a_batch_larger_than_a_statement_is_written_whole_on_sqlite() {
        let dir = std::env::temp_dir().join(format!("aiwei-rows-{}", Uuid::now_v7()));
        let db = Db::connect(&DatabaseUrl::Sqlite {
            path: dir.join("r.db"),
            create: true,
        })
        .await
        .unwrap();
        let n = 20_000usize;
        let ids: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
        let texts: Vec<String> = (0..n).map(|i| format!("第{i}条")).collect();
        let bytes: Vec<Vec<u8>> = (0..n).map(|i| i.to_le_bytes().to_vec()).collect();
        let mut tx = db.begin().await.unwrap();
        on_tx!(&mut tx, c => sqlx::query(
            "CREATE TABLE t (id BLOB PRIMARY KEY, n INTEGER, note TEXT, maybe INTEGER, raw BLOB)")
            .execute(c)
            .await
            .map(|_| ()))
        .unwrap();
        let rows = Rows::new(
            "id, n, note, maybe, raw",
            vec![
                Column::Uuid(ids.clone()),
                Column::Int((0..n as i64).collect()),
                Column::Text(texts.iter().map(String::as_str).collect()),
                Column::OptInt((0..n as i64).map(|i| (i % 2 == 0).then_some(i)).collect()),
                Column::Bytes(bytes.iter().map(Vec::as_slice).collect()),
            ],
        )
        .unwrap();
        let written = rows
            .execute(
                &mut tx,
                "INSERT INTO t (id, n, note, maybe, raw) SELECT id, n, note, maybe, raw FROM v",
            )
            .await
            .unwrap();
        assert_eq!(written, n as u64);
        let keys = Rows::new("id", vec![Column::Uuid(ids)]).unwrap();
        let back: Vec<(i64, String, Option<i64>, Vec<u8>)> = keys
            .fetch_all(
                &mut tx,
                "SELECT n, note, maybe, raw FROM t WHERE id IN (SELECT id FROM v) ORDER BY n",
            )
            .await
            .unwrap();
        assert_eq!(back.len(), n);
        assert_eq!(
            back[7],
            (7, "第7条".to_owned(), None, 7usize.to_le_bytes().to_vec())
        );
        assert_eq!(back[n - 2].2, Some(n as i64 - 2));
        tx.commit().await.unwrap();
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}

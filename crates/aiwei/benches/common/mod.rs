//! What the benchmarks share: a fresh database per backend, dropped after
//! (kept, and its location printed, when `AIWEI_BENCH_KEEP` is set, so that
//! a slow query can be looked at with EXPLAIN on the very data measured).

use aiwei_store::DatabaseUrl;
use sqlx::Connection;

pub const BACKENDS: [&str; 2] = ["sqlite", "postgres"];

fn pg_admin() -> String {
    std::env::var("AIWEI_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database created for one benchmark run.
pub struct BenchDb {
    pub url: DatabaseUrl,
    dir: tempfile::TempDir,
    pg_name: Option<String>,
}

impl BenchDb {
    /// A new SQLite file in a temporary directory, or a new PostgreSQL
    /// database on the server of `AIWEI_TEST_PG_URL`.
    pub async fn new(backend: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        if backend == "sqlite" {
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            );
            return Self {
                url: DatabaseUrl::parse(&url).unwrap(),
                dir,
                pg_name: None,
            };
        }
        let name = format!("aiwei_bench_{}", uuid::Uuid::now_v7().simple());
        let mut c = sqlx::PgConnection::connect(&pg_admin()).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0"
        )))
        .execute(&mut c)
        .await
        .unwrap();
        let admin = pg_admin();
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_owned())
            .unwrap_or(admin);
        Self {
            url: DatabaseUrl::parse(&format!("{base}/{name}")).unwrap(),
            dir,
            pg_name: Some(name),
        }
    }

    /// Drops the PostgreSQL database (the SQLite file goes with its
    /// directory), or keeps either when `AIWEI_BENCH_KEEP` is set.
    pub async fn drop_db(self) {
        if std::env::var_os("AIWEI_BENCH_KEEP").is_some() {
            match &self.pg_name {
                Some(name) => eprintln!("(kept PostgreSQL database {name})"),
                None => eprintln!("(kept {})", self.dir.keep().join("bench.db").display()),
            }
            return;
        }
        if let Some(name) = &self.pg_name {
            let mut c = sqlx::PgConnection::connect(&pg_admin()).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut c)
            .await
            .unwrap();
        }
    }
}

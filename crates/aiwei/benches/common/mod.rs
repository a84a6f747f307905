//! What the benchmarks share: a fresh database per backend, dropped after.

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
    _dir: tempfile::TempDir,
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
                _dir: dir,
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
            _dir: dir,
            pg_name: Some(name),
        }
    }

    /// Drops the PostgreSQL database (the SQLite file goes with its
    /// directory).
    pub async fn drop_db(self) {
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

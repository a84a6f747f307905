//! The database handle: which backend, how to open it safely, how to run the
//! same statement on either.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Postgres, Sqlite, Transaction};
use tokio::sync::OwnedMutexGuard;

use crate::error::StoreError;

/// Runs `$body` with `$pool` bound to the concrete pool of either backend.
/// The body is compiled once per backend, so it must be valid for both.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool, ..) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Like [`on_pool!`], for an open transaction: `$conn` is the connection.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(t, _) => {
                let $conn = &mut **t;
                $body
            }
            $crate::db::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// A database location as the operator gave it.
///
/// `sqlite://PATH` (or `sqlite:PATH`) opens an existing file and refuses a
/// missing one, so a mistyped path never silently starts an empty database;
/// append `?mode=rwc` to create it on purpose. The default location inside
/// the data directory is created when missing. `postgres://…` and
/// `postgresql://…` select PostgreSQL; the database must exist.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite { path: PathBuf, create: bool },
    Postgres(String),
}

impl DatabaseUrl {
    /// `DATA_DIR/aiwei.db`, created on first use.
    pub fn default_in(data_dir: &Path) -> Self {
        Self::Sqlite {
            path: data_dir.join("aiwei.db"),
            create: true,
        }
    }

    pub fn parse(raw: &str) -> Result<Self, StoreError> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            PgConnectOptions::from_str(raw)
                .map_err(|_| StoreError::Config("the PostgreSQL URL could not be parsed".into()))?;
            return Ok(Self::Postgres(raw.to_owned()));
        }
        if let Some(rest) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            if path.is_empty() || path == ":memory:" {
                return Err(StoreError::Config(
                    "a SQLite URL must name a file, e.g. sqlite://data/aiwei.db".into(),
                ));
            }
            let create = query.split('&').any(|kv| kv == "mode=rwc");
            return Ok(Self::Sqlite {
                path: PathBuf::from(path),
                create,
            });
        }
        Err(StoreError::Config(format!(
            "unsupported database URL scheme in {:?}: use sqlite://FILE or postgres://…",
            redact(raw)
        )))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite { .. } => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// The URL with any password hidden, for logs and `config show`.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite { path, .. } => format!("sqlite://{}", path.display()),
            Self::Postgres(u) => redact(u),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Hides the password part of `scheme://user:password@host/…`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// A pool of either backend.
///
/// SQLite allows one writer at a time. Write transactions of this process
/// queue on [`WriteLock`] (first come, first served, no polling) instead of
/// on SQLite's busy handler, which sleeps in growing steps and turns
/// contention into long tail latencies; `busy_timeout` still covers other
/// processes sharing the file.
#[derive(Clone)]
pub enum Db {
    Sqlite(SqlitePool, WriteLock),
    Postgres(PgPool),
}

/// The in-process queue of SQLite writers.
pub type WriteLock = Arc<tokio::sync::Mutex<()>>;

/// An open transaction of either backend; a SQLite one holds the write lock
/// until it ends.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>, OwnedMutexGuard<()>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t, _guard) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(..) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}

impl Db {
    pub async fn connect(url: &DatabaseUrl) -> Result<Self, StoreError> {
        Self::open(url, false).await
    }

    /// Opens the database without ever writing to it: SQLite read-only and
    /// never created (for `aiwei audit verify`, which must change nothing).
    pub async fn connect_read_only(url: &DatabaseUrl) -> Result<Self, StoreError> {
        Self::open(url, true).await
    }

    async fn open(url: &DatabaseUrl, read_only: bool) -> Result<Self, StoreError> {
        match url {
            DatabaseUrl::Sqlite { path, create } => {
                let create = *create && !read_only;
                let create = &create;
                if !*create && !path.exists() {
                    return Err(StoreError::Config(format!(
                        "SQLite database {} does not exist; check the path, or add ?mode=rwc to create it",
                        path.display()
                    )));
                }
                if *create {
                    if !path.exists() {
                        // Created private (0600, directories 0700); SQLite
                        // gives its WAL the database file's mode.
                        crate::files::prepare_sqlite_file(path)?;
                    }
                } else if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
                    && !parent.is_dir()
                {
                    return Err(StoreError::Config(format!(
                        "directory {} does not exist",
                        parent.display()
                    )));
                }
                let opts = SqliteConnectOptions::new()
                    .filename(path)
                    .read_only(read_only)
                    .create_if_missing(*create)
                    .journal_mode(SqliteJournalMode::Wal)
                    // FULL: an acknowledged write survives power loss, not
                    // only a crash of the process.
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    // Freed space is zeroed, so a re-sealed or anonymised
                    // caller leaves no plaintext behind in the file.
                    .pragma("secure_delete", "ON");
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(opts)
                    .await?;
                Ok(Db::Sqlite(pool, Arc::new(tokio::sync::Mutex::new(()))))
            }
            DatabaseUrl::Postgres(u) => {
                let opts = PgConnectOptions::from_str(u)?;
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(..) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(p, _) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Db::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so two writers queue on `busy_timeout` instead of
    /// failing when a read lock would have to be upgraded.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite(p, lock) => {
                let guard = lock.clone().lock_owned().await;
                Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, guard)
            }
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_select_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u:secret@127.0.0.1/aiwei")
                .unwrap()
                .backend(),
            Backend::Postgres
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db").unwrap(),
            DatabaseUrl::Sqlite {
                path: "data/x.db".into(),
                create: false
            }
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db?mode=rwc").unwrap(),
            DatabaseUrl::Sqlite {
                path: "/tmp/x.db".into(),
                create: true
            }
        );
    }

    #[test]
    fn unknown_schemes_are_refused_without_echoing_passwords() {
        let e = DatabaseUrl::parse("mysql://root:hunter2@localhost/db").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("unsupported"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("postgress://x").is_err());
    }

    #[test]
    fn redaction_hides_the_password() {
        let u = DatabaseUrl::parse("postgres://aiwei:hunter2@db:5432/aiwei").unwrap();
        assert_eq!(u.redacted(), "postgres://aiwei:***@db:5432/aiwei");
        assert!(!format!("{u:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn a_mistyped_sqlite_path_is_refused_not_created() {
        let dir = std::env::temp_dir().join(format!("aiwei-url-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("typo.db");
        let url = DatabaseUrl::parse(&format!("sqlite://{}", path.display())).unwrap();
        let err = Db::connect(&url).await.err().unwrap();
        assert!(err.to_string().contains("does not exist"));
        assert!(!path.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

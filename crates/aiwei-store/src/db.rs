//! The database handle: which backend, how to open it safely, how to run the
//! same statement on either.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Postgres, Transaction};
use tokio::sync::{OwnedMutexGuard, oneshot};

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
            $crate::db::Tx::Sqlite(t) => {
                let $conn = t.conn();
                $body
            }
            $crate::db::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

/// Like [`on_pool!`], for a write of one statement: `$body` runs on the
/// connection of a transaction of its own, committed before this returns
/// (a `Result<_, StoreError>`). On SQLite that transaction is the
/// [`Writer`]'s, so a lone write queues with the others in the process
/// rather than waiting for SQLite's lock behind a whole batch, where under
/// load it could run out of its busy timeout.
macro_rules! write_once {
    ($db:expr, $conn:ident => $body:expr) => {
        async {
            let mut tx = $db.begin().await?;
            let out = on_tx!(&mut tx, $conn => $body)?;
            tx.commit().await?;
            Ok::<_, $crate::error::StoreError>(out)
        }
        .await
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

/// How every connection to a SQLite file is opened: the settings that make
/// a write durable and a deletion leave nothing behind. The benchmark
/// measures the disk's own limit with them.
pub fn sqlite_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: an acknowledged write survives power loss, not only a crash
        // of the process.
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true)
        // Freed space is zeroed, so a re-sealed or anonymised caller leaves
        // no plaintext behind in the file.
        .pragma("secure_delete", "ON")
}

/// A pool of either backend.
///
/// SQLite allows one writer at a time. Write transactions of this process
/// go through one [`Writer`] (first come, first served, no polling) instead
/// of queueing on SQLite's busy handler, which sleeps in growing steps and
/// turns contention into long tail latencies; `busy_timeout` still covers
/// other processes sharing the file.
#[derive(Clone)]
pub enum Db {
    Sqlite(SqlitePool, Writer),
    Postgres(PgPool),
}

/// The savepoint each SQLite writer works in. Writers take turns, so one
/// name serves: the previous writer's is released or rolled back before
/// the next begins.
const SAVEPOINT: &str = "SAVEPOINT aiwei_w";
const RELEASE: &str = "RELEASE aiwei_w";
const ROLLBACK_TO: &str = "ROLLBACK TO aiwei_w";

/// SQLite's one writer, with group commit.
///
/// A durable commit (`synchronous=FULL`) costs an fsync, and one writer at
/// a time may hold SQLite's write lock. So writers that queue while others
/// work share one transaction: each runs in a savepoint of its own, which
/// its errors roll back without touching the others' work, and is
/// acknowledged only once the shared transaction has committed. Whoever
/// finds its own work still uncommitted when its turn comes again commits
/// the lot, so a batch is as large as the queue that formed while it was
/// open, and a lone writer commits at once.
#[derive(Clone)]
pub struct Writer {
    batch: Arc<tokio::sync::Mutex<Batch>>,
}

/// How the writer has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Turns whose work went into a commit that succeeded.
    pub writes: u64,
    /// Durable commits made; fewer than `writes` when turns were grouped.
    pub commits: u64,
}

/// What the writer's turn gives access to.
struct Batch {
    conn: SqliteConnection,
    /// A `BEGIN IMMEDIATE` is open.
    open: bool,
    /// The last writer went away without finishing: its savepoint must be
    /// rolled back before anyone goes on.
    abandoned: bool,
    /// Writers whose work is in the open transaction, waiting for it to be
    /// durable.
    waiting: Vec<oneshot::Sender<Result<(), Arc<sqlx::Error>>>>,
    stats: WriterStats,
    /// [`Db::close`] was called: no more turns.
    closed: bool,
    /// Opened read-only (`aiwei audit verify`): nothing to checkpoint.
    read_only: bool,
}

impl Batch {
    async fn run(&mut self, sql: &'static str) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(sql).execute(&mut self.conn).await.map(|_| ())
    }

    /// Ends the open transaction with `ROLLBACK` and tells everyone whose
    /// work was in it that it failed.
    async fn fail(&mut self, e: sqlx::Error) {
        if self.open {
            // The transaction may already be gone (SQLite rolls back by
            // itself on some errors); either way it is over.
            let _ = self.run("ROLLBACK").await;
        }
        self.open = false;
        self.abandoned = false;
        let e = Arc::new(e);
        for w in self.waiting.drain(..) {
            let _ = w.send(Err(e.clone()));
        }
    }

    /// Undoes an abandoned writer's work, which also tells whether the
    /// transaction survived it.
    async fn recover(&mut self) {
        if !self.abandoned {
            return;
        }
        self.abandoned = false;
        let undone = match self.run(ROLLBACK_TO).await {
            Ok(()) => self.run(RELEASE).await,
            Err(e) => Err(e),
        };
        if let Err(e) = undone {
            tracing::error!(error = %e, "a shared SQLite transaction was lost; its writers are told");
            self.fail(e).await;
        }
    }

    /// Commits the open transaction, if any, and tells its writers.
    async fn settle(&mut self) {
        self.recover().await;
        if !self.open {
            return;
        }
        match self.run("COMMIT").await {
            Ok(()) => {
                self.open = false;
                self.stats.commits += 1;
                self.stats.writes += self.waiting.len() as u64;
                for w in self.waiting.drain(..) {
                    let _ = w.send(Ok(()));
                }
            }
            Err(e) => self.fail(e).await,
        }
    }
}

impl Writer {
    async fn open(opts: SqliteConnectOptions, read_only: bool) -> Result<Self, StoreError> {
        Ok(Self {
            batch: Arc::new(tokio::sync::Mutex::new(Batch {
                conn: opts.connect().await?,
                open: false,
                abandoned: false,
                waiting: Vec::new(),
                stats: WriterStats::default(),
                closed: false,
                read_only,
            })),
        })
    }

    async fn begin(&self) -> Result<SqliteTx, StoreError> {
        let batch = self.batch.clone().lock_owned().await;
        // The steps that change the batch's state run to their end even if
        // the caller stops waiting: a transaction half begun would leave
        // `open` saying otherwise.
        tokio::spawn(Self::prepare(batch, self.clone()))
            .await
            .map_err(task_failed)?
    }

    /// Undoes what an abandoned writer left, opens the transaction if none
    /// is, and takes this writer's savepoint.
    async fn prepare(
        mut batch: OwnedMutexGuard<Batch>,
        writer: Writer,
    ) -> Result<SqliteTx, StoreError> {
        batch.recover().await;
        if batch.closed {
            return Err(StoreError::Config("the database is closed".into()));
        }
        if !batch.open {
            // IMMEDIATE: the write lock is taken now, so another process
            // holding it is waited for here (`busy_timeout`) instead of
            // failing the first write.
            batch.run("BEGIN IMMEDIATE").await?;
            batch.open = true;
        }
        if let Err(e) = batch.run(SAVEPOINT).await {
            tracing::error!(error = %e, "no savepoint in the shared SQLite transaction");
            batch.fail(e).await;
            return Err(StoreError::Corrupt(
                "the shared SQLite transaction could not take a savepoint".into(),
            ));
        }
        Ok(SqliteTx {
            batch,
            writer,
            finished: false,
        })
    }

    /// Commits what is open and moves everything written into the main
    /// file, so that the database is complete on disk when the pool closes
    /// (the writer's own connection goes when the last handle does).
    async fn close(&self) {
        let mut batch = self.batch.lock().await;
        batch.settle().await;
        batch.closed = true;
        if batch.read_only {
            return;
        }
        if let Err(e) = batch.run("PRAGMA wal_checkpoint(TRUNCATE)").await {
            tracing::warn!(error = %e, "the final checkpoint failed");
        }
    }

    /// Writes and commits so far: the tests check with it that queued
    /// writers share commits.
    pub async fn stats(&self) -> WriterStats {
        self.batch.lock().await.stats
    }

    /// Commits whatever is open, on a task of its own, so that it runs to
    /// its end whoever stops waiting for it.
    fn settle_task(&self) -> tokio::task::JoinHandle<()> {
        let batch = self.batch.clone();
        tokio::spawn(async move { batch.lock().await.settle().await })
    }

    /// [`Writer::settle_task`] without waiting: for a writer that went away,
    /// so that no transaction is left holding SQLite's write lock. Outside
    /// a runtime (a store dropped at exit) there is nothing left to settle.
    fn settle_later(&self) {
        if tokio::runtime::Handle::try_current().is_ok() {
            drop(self.settle_task());
        }
    }
}

/// A task running a step of the writer panicked or was cancelled at
/// shutdown.
fn task_failed(_: tokio::task::JoinError) -> StoreError {
    StoreError::Corrupt("a SQLite writer's task failed".into())
}

/// One writer's turn on SQLite: its savepoint in the shared transaction.
/// Dropped without [`Tx::commit`], its work is rolled back.
pub struct SqliteTx {
    batch: OwnedMutexGuard<Batch>,
    writer: Writer,
    finished: bool,
}

impl SqliteTx {
    pub fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.batch.conn
    }

    /// Releases the savepoint, lets the queued writers add theirs, and
    /// returns once the transaction holding this work has committed.
    async fn commit(self) -> Result<(), StoreError> {
        let writer = self.writer.clone();
        // Run to the end even if the caller stops waiting, so that the
        // batch never holds a released savepoint nobody counts.
        let mut outcome = tokio::spawn(self.release()).await.map_err(task_failed)??;
        // Were this wait abandoned, the transaction would still be
        // committed: `Flush` makes sure someone does.
        let mut flush = Flush(Some(writer.clone()));
        let batch = writer.batch.clone().lock_owned().await;
        flush.0 = None;
        if let Ok(r) = outcome.try_recv() {
            return r.map_err(StoreError::Commit);
        }
        // Nobody committed this work yet: commit the whole batch.
        tokio::spawn(async move {
            let mut batch = batch;
            batch.settle().await;
        })
        .await
        .map_err(task_failed)?;
        match outcome.try_recv() {
            Ok(r) => r.map_err(StoreError::Commit),
            Err(_) => Err(StoreError::Corrupt("the shared commit was dropped".into())),
        }
    }

    /// Ends this writer's turn: releases its savepoint into the shared
    /// transaction and returns where to hear whether that committed.
    async fn release(
        mut self,
    ) -> Result<oneshot::Receiver<Result<(), Arc<sqlx::Error>>>, StoreError> {
        self.finished = true;
        if let Err(e) = self.batch.run(RELEASE).await {
            tracing::error!(error = %e, "a shared SQLite transaction was lost");
            self.batch.fail(e).await;
            return Err(StoreError::Corrupt(
                "the shared SQLite transaction was lost".into(),
            ));
        }
        let (done, outcome) = oneshot::channel();
        self.batch.waiting.push(done);
        Ok(outcome)
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if !self.finished {
            self.batch.abandoned = true;
            self.writer.settle_later();
        }
    }
}

/// Commits in the background if a writer stops waiting for its commit.
struct Flush(Option<Writer>);

impl Drop for Flush {
    fn drop(&mut self) {
        if let Some(w) = self.0.take() {
            w.settle_later();
        }
    }
}

/// An open transaction of either backend; a SQLite one is a turn of the
/// [`Writer`] and holds it until it ends.
pub enum Tx {
    Sqlite(SqliteTx),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    /// Commits; returns once the work is durable.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
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
                let opts = sqlite_options(path)
                    .read_only(read_only)
                    .create_if_missing(*create);
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(opts.clone())
                    .await?;
                Ok(Db::Sqlite(pool, Writer::open(opts, read_only).await?))
            }
            DatabaseUrl::Postgres(u) => {
                // The planner compiles a query with LLVM once its estimated
                // cost passes `jit_above_cost`. A month's figures at city
                // scale pass it, and compiling took 650 ms for a query that
                // then ran in 100 ms. The program's queries are short, so
                // JIT only ever costs them.
                let opts = PgConnectOptions::from_str(u)?.options([("jit", "off")]);
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

    /// Returns once every write acknowledged or under way so far is
    /// committed: on SQLite it commits the writer's open transaction, so
    /// that a reader who found a conflict with a write of that transaction
    /// can then read it. PostgreSQL has nothing to wait for: a conflicting
    /// write there waits for the other transaction itself.
    pub async fn settle(&self) {
        if let Db::Sqlite(_, w) = self {
            let _ = w.settle_task().await;
        }
    }

    /// Ends every write and closes the pool.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(p, w) => {
                w.close().await;
                p.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(p, _) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Db::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Starts a write transaction: on SQLite a turn of the [`Writer`] (a
    /// savepoint in the shared transaction), on PostgreSQL a transaction of
    /// its own.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite(_, writer) => Tx::Sqlite(writer.begin().await?),
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

    /// A fresh SQLite database in a temporary directory with one table.
    async fn scratch() -> (Db, Scratch) {
        let dir = Scratch(std::env::temp_dir().join(format!("aiwei-w-{}", uuid::Uuid::now_v7())));
        let db = Db::connect(&DatabaseUrl::Sqlite {
            path: dir.0.join("w.db"),
            create: true,
        })
        .await
        .unwrap();
        let mut tx = db.begin().await.unwrap();
        on_tx!(&mut tx, c => sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
            .execute(c)
            .await
            .map(|_| ()))
        .unwrap();
        tx.commit().await.unwrap();
        (db, dir)
    }

    /// A directory removed at the end of the test.
    struct Scratch(PathBuf);

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    async fn insert(tx: &mut Tx, id: i64, bytes: usize) -> Result<(), sqlx::Error> {
        on_tx!(tx, c => sqlx::query("INSERT INTO t (id, v) VALUES ($1, zeroblob($2))")
            .bind(id)
            .bind(bytes as i64)
            .execute(c)
            .await
            .map(|_| ()))
    }

    async fn ids(db: &Db) -> Vec<i64> {
        on_pool!(db, p => sqlx::query_scalar("SELECT id FROM t ORDER BY id").fetch_all(p).await)
            .unwrap()
    }

    fn writer(db: &Db) -> &Writer {
        match db {
            Db::Sqlite(_, w) => w,
            Db::Postgres(_) => unreachable!(),
        }
    }

    /// Another connection can take the write lock at once: no transaction
    /// was left open.
    async fn lock_is_free(db: &Db) {
        let Db::Sqlite(pool, _) = db else {
            unreachable!()
        };
        let mut c = pool.acquire().await.unwrap();
        sqlx::query("PRAGMA busy_timeout = 0")
            .execute(&mut *c)
            .await
            .unwrap();
        sqlx::raw_sql("BEGIN IMMEDIATE; ROLLBACK")
            .execute(&mut *c)
            .await
            .expect("the write lock is free");
        sqlx::query("PRAGMA busy_timeout = 10000")
            .execute(&mut *c)
            .await
            .unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_that_queue_share_one_commit_and_a_refused_one_fails_alone() {
        let (db, _dir) = scratch().await;
        let before = writer(&db).stats().await;
        // The first writer holds its turn while the others queue behind it.
        let mut first = db.begin().await.unwrap();
        insert(&mut first, 1, 1).await.unwrap();
        let mut queued = Vec::new();
        for id in 2..=20_i64 {
            let db = db.clone();
            queued.push(tokio::spawn(async move {
                let mut tx = db.begin().await?;
                // Every fifth one repeats the first id and is refused.
                let id = if id % 5 == 0 { 1 } else { id };
                insert(&mut tx, id, 1).await?;
                tx.commit().await
            }));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        first.commit().await.unwrap();
        let mut refused = 0;
        for q in queued {
            if q.await.unwrap().is_err() {
                refused += 1;
            }
        }
        assert_eq!(refused, 4);
        let want: Vec<i64> = (1..=20).filter(|i| i % 5 != 0).collect();
        assert_eq!(ids(&db).await, want);
        let after = writer(&db).stats().await;
        assert_eq!(after.writes - before.writes, 16);
        assert!(
            after.commits - before.commits < 16,
            "queued writers were committed together: {before:?} → {after:?}"
        );
        lock_is_free(&db).await;
    }

    /// A full disk is the one kind of error that may take SQLite's whole
    /// transaction with it (the documented automatic rollback): the batch's
    /// writers are then told their work failed, none is acknowledged
    /// without its row, and the next writer starts afresh.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_disk_fails_only_unacknowledged_writes_and_the_next_goes_on() {
        let (db, _dir) = scratch().await;
        let mut tx = db.begin().await.unwrap();
        let pages: i64 = on_tx!(&mut tx, c => sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(c)
            .await)
        .unwrap();
        // The writer's connection may grow the file by a few pages only.
        on_tx!(&mut tx, c => sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "PRAGMA max_page_count = {}", pages + 8)))
            .execute(c)
            .await
            .map(|_| ()))
        .unwrap();
        tx.commit().await.unwrap();
        let mut first = db.begin().await.unwrap();
        insert(&mut first, 1, 100).await.unwrap();
        let mut queued = Vec::new();
        for (id, bytes) in [(2_i64, 100_usize), (3, 1 << 20), (4, 100)] {
            let db = db.clone();
            queued.push(tokio::spawn(async move {
                let mut tx = db.begin().await?;
                insert(&mut tx, id, bytes).await?;
                tx.commit().await
            }));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut outcomes = vec![(1, first.commit().await.is_ok())];
        for (id, t) in (2..).zip(queued) {
            outcomes.push((id, t.await.unwrap().is_ok()));
        }
        let stored = ids(&db).await;
        for (id, ok) in &outcomes {
            assert_eq!(*ok, stored.contains(id), "{outcomes:?} {stored:?}");
        }
        assert_eq!(outcomes[2], (3, false), "the megabyte does not fit");
        let mut next = db.begin().await.unwrap();
        insert(&mut next, 5, 100).await.unwrap();
        next.commit().await.expect("the next writer starts afresh");
        assert!(ids(&db).await.contains(&5));
        lock_is_free(&db).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_that_goes_away_is_undone_and_leaves_nothing_open() {
        let (db, _dir) = scratch().await;
        let mut tx = db.begin().await.unwrap();
        insert(&mut tx, 1, 1).await.unwrap();
        tx.commit().await.unwrap();
        // Dropped without a commit: its row is rolled back, and the
        // transaction it was in does not stay open.
        let mut gone = db.begin().await.unwrap();
        insert(&mut gone, 2, 1).await.unwrap();
        drop(gone);
        tokio::time::sleep(Duration::from_millis(100)).await;
        lock_is_free(&db).await;
        // Writers stopped at any point of their turn or of their wait for
        // the commit: whatever each managed, the next writers go on and
        // the database is left unlocked.
        for i in 0..40_u64 {
            let db2 = db.clone();
            let t = tokio::spawn(async move {
                let mut tx = db2.begin().await?;
                insert(&mut tx, 100 + i as i64, 1).await?;
                tx.commit().await
            });
            tokio::time::sleep(Duration::from_micros(i * 37)).await;
            t.abort();
            let _ = t.await;
        }
        let mut tx = db.begin().await.unwrap();
        insert(&mut tx, 3, 1).await.unwrap();
        tx.commit().await.unwrap();
        let got = ids(&db).await;
        assert!(
            got.contains(&1) && got.contains(&3) && !got.contains(&2),
            "{got:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        lock_is_free(&db).await;
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

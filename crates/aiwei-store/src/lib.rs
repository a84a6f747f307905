//! Persistence of Aiwei Desk.
//!
//! One storage API over two backends, chosen at run time from the database
//! URL: SQLite (the embedded default) and PostgreSQL (several app instances
//! sharing one database). Almost all SQL is written once, with `$n`
//! placeholders that both drivers accept, and run against whichever pool the
//! [`Db`] holds through [`on_pool!`] / [`on_tx!`]; the few statements that
//! differ per dialect say so where they stand.
//!
//! Writes that belong together (a change, its event, its audit record)
//! commit in one transaction.

#[macro_use]
mod db;
pub mod assessments;
pub mod attachments;
pub mod audit;
pub mod bulk;
pub mod calendar;
pub mod callers;
pub mod calls;
pub mod categories;
pub mod deadlines;
pub mod departments;
pub mod disclosures;
mod error;
pub mod events;
pub mod extensions;
mod files;
pub mod handling;
pub mod hotspots;
pub mod idempotency;
pub mod import;
pub mod keys;
pub mod knowledge;
pub mod kpi;
pub mod matters;
pub mod merges;
pub mod open311;
pub mod outbox;
pub mod public;
mod rows;
mod scope;
pub mod search;
pub mod sessions;
pub mod status;
pub mod suggest;
mod tally;
pub mod throttle;
pub mod trail;
pub mod training;
pub mod users;
pub mod work;

pub use db::{Backend, DatabaseUrl, Db, Tx, sqlite_options};
pub use error::StoreError;
pub use keys::Keys;

/// The store: a database handle plus the keys that protect personal data.
#[derive(Clone)]
pub struct Store {
    db: Db,
    keys: Keys,
    /// "Now" for the writes that are not handed an instant (seeding,
    /// accounts made at the command line).
    clock: aiwei_core::time::Clock,
    /// The holiday years compiled into the program, parsed once.
    shipped: std::sync::Arc<aiwei_core::calendar::Calendar>,
    /// Where a search switches from reading its matches to walking the
    /// ledger ([`search::Drive`]).
    drive_bounds: search::DriveBounds,
}

impl Store {
    /// Opens the database named by `url` (see [`DatabaseUrl`]) without
    /// migrating it.
    pub async fn connect(url: &DatabaseUrl, keys: Keys) -> Result<Self, StoreError> {
        Ok(Self {
            db: Db::connect(url).await?,
            keys,
            clock: aiwei_core::time::Clock::system(),
            shipped: std::sync::Arc::new(aiwei_core::calendar::Calendar::builtin()),
            drive_bounds: search::DriveBounds::default(),
        })
    }

    /// Opens the database named by `url` to read only (see
    /// [`Db::connect_read_only`]).
    pub async fn connect_read_only(url: &DatabaseUrl, keys: Keys) -> Result<Self, StoreError> {
        Ok(Self {
            db: Db::connect_read_only(url).await?,
            keys,
            clock: aiwei_core::time::Clock::system(),
            shipped: std::sync::Arc::new(aiwei_core::calendar::Calendar::builtin()),
            drive_bounds: search::DriveBounds::default(),
        })
    }

    /// Brings the schema up to date and seeds what a fresh database needs
    /// (the default category tree). Safe to run on every start.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.db.migrate().await?;
        // Rows from before callers were sealed are sealed now, once.
        self.reseal_all(500, true, |_| {}).await?;
        self.drop_rebuild_of_empty_ledger().await?;
        self.seed_default_policy().await?;
        self.seed_default_categories().await
    }

    /// The same store, asking `clock` for "now".
    pub fn with_clock(mut self, clock: aiwei_core::time::Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The same store, switching a search's sides at `bounds` instead of
    /// the measured defaults: for tests that make a small ledger take the
    /// side a large one would.
    pub fn with_drive_bounds(mut self, bounds: search::DriveBounds) -> Self {
        self.drive_bounds = bounds;
        self
    }

    pub fn clock(&self) -> &aiwei_core::time::Clock {
        &self.clock
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Whether the database answers: for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(&self.db, p => sqlx::query("SELECT 1").execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn close(&self) {
        self.db.close().await
    }

    /// Waits until writes under way are committed (see [`Db::settle`]).
    pub async fn settle_writes(&self) {
        self.db.settle().await
    }
}

/// `LIKE` pattern matching codes that start with `prefix`, with `%`, `_`
/// and `\` in it taken literally (`ESCAPE '\'`).
pub(crate) fn like_prefix(prefix: &str) -> String {
    let escaped = prefix
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("{escaped}%")
}

/// Keyset paging: a page query asks for `limit + 1` rows; when the extra
/// one came, it is dropped and the last row kept names where the next page
/// starts.
pub(crate) fn split_page<T, C>(
    rows: &mut Vec<T>,
    limit: i64,
    cursor: impl Fn(&T) -> C,
) -> Option<C> {
    if rows.len() as i64 > limit {
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        rows.last().map(cursor)
    } else {
        None
    }
}

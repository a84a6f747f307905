//! The store's error type. Database detail stays inside it (for the log);
//! the HTTP edge maps the variants onto stable codes.

use aiwei_core::access::Denial;
use aiwei_core::{ErrorCode, FieldError, FieldErrors};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist (or the caller may not see it).
    #[error("not found")]
    NotFound,
    /// A uniqueness or state rule forbids the write; the code names which.
    #[error("conflict: {0}")]
    Conflict(ErrorCode),
    /// The rules of access refuse it (see `aiwei_core::access`).
    #[error("denied: {0:?}")]
    Denied(Denial),
    /// The flow refuses the step (see `aiwei_core::flow::decide`).
    #[error("refused: {0}")]
    Refused(aiwei_core::flow::Refusal),
    /// A referenced value (department, category, …) does not exist.
    #[error("invalid field {0}")]
    Invalid(FieldError),
    /// Several fields are refused at once.
    #[error("invalid fields {0}")]
    InvalidFields(FieldErrors),
    /// The database URL or file is not acceptable; the message is for the
    /// operator and holds no personal data.
    #[error("{0}")]
    Config(String),
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// The shared SQLite transaction holding this work failed to commit
    /// (see [`crate::db::Writer`]); every writer in it gets this.
    #[error("the shared commit failed")]
    Commit(#[source] std::sync::Arc<sqlx::Error>),
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("io error")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    /// Maps a unique-constraint violation to [`StoreError::Conflict`].
    pub(crate) fn on_unique(e: sqlx::Error, code: ErrorCode) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => Self::Conflict(code),
            _ => Self::Database(e),
        }
    }
}

impl From<Denial> for StoreError {
    fn from(d: Denial) -> Self {
        StoreError::Denied(d)
    }
}

//! Idempotent writes: a client that did not hear the answer to an intake or
//! a step (the connection dropped after the commit) retries with the same
//! `Idempotency-Key`, and gets the matter the first attempt made or moved,
//! not a second one.
//!
//! The key is written in the transaction of the write it stands for, so
//! either both commit or neither does. A retry finds it and writes nothing;
//! the same key with another request is refused. Two attempts racing with
//! one key are serialised by the key's primary key: the second finds the
//! first's row once it commits.

use aiwei_core::time::to_millis;
use aiwei_core::{ErrorCode, FieldError, MatterId, UserId};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::Store;
use crate::db::Tx;
use crate::error::StoreError;

/// How long keys are kept: a retry within this time is recognised. The
/// promise to clients is at least 24 hours.
pub const KEEP: Duration = Duration::hours(72);

/// One attempt's key: who sent it, the key, what it is for (`intake`, or a
/// step on one matter) and a digest of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    pub user: UserId,
    pub key: String,
    pub scope: String,
    pub request_sha256: String,
}

/// What an earlier attempt with the same key left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replay {
    /// The matter the first attempt made or moved.
    pub matter: MatterId,
}

impl Store {
    /// The earlier attempt with this key, if any: `Replay` when it was the
    /// same request, 422 `idempotency_key_reused` when it was another.
    pub async fn idempotent_replay(
        &self,
        idem: &Idempotency,
    ) -> Result<Option<Replay>, StoreError> {
        let row: Option<(String, String, Uuid)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT scope, request_sha256, matter_id FROM idempotency_keys
             WHERE user_id = $1 AND key = $2")
            .bind(idem.user.0)
            .bind(&idem.key)
            .fetch_optional(p)
            .await)?;
        match row {
            None => Ok(None),
            Some((scope, sha, matter)) if scope == idem.scope && sha == idem.request_sha256 => {
                Ok(Some(Replay {
                    matter: MatterId(matter),
                }))
            }
            Some(_) => Err(StoreError::Invalid(FieldError::new(
                "Idempotency-Key",
                ErrorCode::IdempotencyKeyReused,
            ))),
        }
    }

    /// Drops keys older than [`KEEP`]; returns how many.
    pub async fn purge_idempotency_keys(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(
            write_once!(&self.db, p => sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(to_millis(now - KEEP))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?,
        )
    }
}

/// Records `idem` for `matter` inside the write's transaction. When another
/// attempt with the same key committed first, nothing is written and the
/// caller must roll back: `Conflict(idempotency_in_progress)`, which the edge
/// answers by looking the key up again.
pub(crate) async fn claim(
    tx: &mut Tx,
    idem: &Idempotency,
    matter: MatterId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    // ON CONFLICT DO NOTHING: on PostgreSQL a concurrent uncommitted claim
    // of the same key makes this wait for it, then do nothing.
    let n = on_tx!(tx, c => sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key, scope, request_sha256, matter_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, key) DO NOTHING")
        .bind(idem.user.0)
        .bind(&idem.key)
        .bind(&idem.scope)
        .bind(&idem.request_sha256)
        .bind(matter.0)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::Conflict(ErrorCode::IdempotencyInProgress));
    }
    Ok(())
}

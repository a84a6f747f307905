//! The audit trail (审计日志): one append-only, tamper-evident table of
//! security-relevant events: logins and their failures, logouts, accounts
//! created, disabled and enabled, departments created, the deadline policy
//! changed, calendar years loaded, API tokens created.
//!
//! Records form one hash chain over the whole trail
//! ([`aiwei_core::chain::audit_link_hash`]): sequence numbers are gap-free
//! from 1, each record carries the hash of the one before, and the single
//! row of `audit_head` keeps the last sequence number and hash. Appends lock
//! that row (PostgreSQL `FOR UPDATE`; on SQLite the write transaction already
//! holds the database's write lock), so appends from several app instances
//! are serialised and the chain stays linear. `aiwei audit verify` checks it
//! (see [`crate::audit`]).
//!
//! **Retention.** The program never updates or deletes a row of the trail:
//! the Cybersecurity Law (网络安全法, art. 21) requires network logs to be
//! kept for at least six months, and nothing here ever shortens that.
//! Archiving older records is an operator's decision, outside the program.
//!
//! **No caller data.** `actor_name` is a staff user name (or the name tried
//! in a failed login), `detail` holds codes, ids, counts and digests, never a
//! caller's name, phone or matter text, and never a password or token.

use aiwei_core::chain::{AuditLink, audit_link_hash};
use aiwei_core::time::{from_millis, to_millis};
use aiwei_core::{AuditAction, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::Store;
use crate::db::{Backend, Tx};
use crate::error::StoreError;

/// One record to append.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// The authenticated staff member who acted; `None` for a failed login
    /// and for the command line.
    pub actor: Option<UserId>,
    /// The actor's user name at the time, or the name tried in a failed
    /// login. Never a caller's personal data.
    pub actor_name: Option<&'a str>,
    /// Where the request came from.
    pub ip: Option<&'a str>,
    /// What happened.
    pub action: AuditAction,
    /// What was acted on: a user id, a department code, a version, a year.
    pub target: Option<&'a str>,
    /// Further facts as JSON; never caller personal data, passwords or
    /// tokens.
    pub detail: serde_json::Value,
}

/// Who acts, for the store functions that record their own audit entry in
/// the transaction of the change (they know the action, target and detail).
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditActor<'a> {
    pub user: Option<UserId>,
    /// The user name at the time.
    pub name: Option<&'a str>,
    pub ip: Option<&'a str>,
    /// The operator at the command line (no account, no address); records
    /// say `"via": "cli"` in their detail.
    pub cli: bool,
}

impl<'a> AuditActor<'a> {
    /// The operator at the command line.
    pub fn cli() -> Self {
        Self {
            cli: true,
            ..Self::default()
        }
    }

    /// An entry by this actor.
    pub fn entry(
        &self,
        action: AuditAction,
        target: Option<&'a str>,
        mut detail: serde_json::Value,
    ) -> AuditEntry<'a> {
        if self.cli
            && let Some(map) = detail.as_object_mut()
        {
            map.insert("via".into(), "cli".into());
        }
        AuditEntry {
            actor: self.user,
            actor_name: self.name,
            ip: self.ip,
            action,
            target,
            detail,
        }
    }
}

/// Which records to list; every filter is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// An exact action code, or a prefix ending in `.` (`login.`).
    pub action: Option<String>,
    /// A user name: records by that user, and failed logins that tried it.
    pub actor: Option<String>,
    /// From this instant on.
    pub from: Option<DateTime<Utc>>,
    /// Before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// One stored record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<UserId>,
    pub actor_name: Option<String>,
    pub ip: Option<String>,
    pub action: AuditAction,
    pub target: Option<String>,
    pub detail: serde_json::Value,
    pub hash: String,
}

#[derive(sqlx::FromRow)]
struct Row {
    seq: i64,
    at: i64,
    actor: Option<Uuid>,
    actor_name: Option<String>,
    ip: Option<String>,
    action: String,
    target: Option<String>,
    detail: String,
    hash: String,
}

impl TryFrom<Row> for AuditRecord {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(Self {
            detail: serde_json::from_str(&r.detail)
                .map_err(|_| StoreError::Corrupt(format!("audit record {} detail", r.seq)))?,
            seq: r.seq,
            at: from_millis(r.at),
            actor: r.actor.map(UserId),
            actor_name: r.actor_name,
            ip: r.ip,
            action: AuditAction::from_code(&r.action)
                .ok_or_else(|| StoreError::Corrupt(format!("audit record {} action", r.seq)))?,
            target: r.target,
            hash: r.hash,
        })
    }
}

/// Records `action` on `target` by `by` in `tx` (the last write, as
/// [`append_audit`] wants), and commits.
pub(crate) async fn commit_audited(
    mut tx: Tx,
    by: &AuditActor<'_>,
    action: AuditAction,
    target: &str,
    detail: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    append_audit(&mut tx, &by.entry(action, Some(target), detail), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Appends one record inside `tx`, so a change and its audit record commit
/// together; returns its sequence number.
///
/// The head row stays locked until `tx` ends, serialising every audited
/// transaction on PostgreSQL: make the append the last write of the
/// transaction, so the lock is held briefly and always taken after any other
/// row lock (no lock-order deadlocks).
pub async fn append_audit(
    tx: &mut Tx,
    e: &AuditEntry<'_>,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    // Dialect: PostgreSQL needs an explicit row lock; SQLite already holds
    // the database's write lock (BEGIN IMMEDIATE).
    let head_sql = match tx.backend() {
        Backend::Postgres => "SELECT seq, last_hash FROM audit_head WHERE id = 1 FOR UPDATE",
        Backend::Sqlite => "SELECT seq, last_hash FROM audit_head WHERE id = 1",
    };
    let (last, prev): (i64, String) = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(head_sql))
            .fetch_optional(c)
            .await)?
    .ok_or_else(|| StoreError::Corrupt("the audit trail has no head row".into()))?;
    let seq = last + 1;
    let detail =
        serde_json::to_string(&e.detail).map_err(|_| StoreError::Corrupt("audit detail".into()))?;
    let at_ms = to_millis(now);
    let hash = audit_link_hash(
        &prev,
        &AuditLink {
            seq,
            at_ms,
            actor: e.actor,
            actor_name: e.actor_name,
            ip: e.ip,
            action: e.action.as_str(),
            target: e.target,
            detail: &detail,
        },
    );
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO audit_trail (seq, at, actor, actor_name, ip, action, target, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(seq)
        .bind(at_ms)
        .bind(e.actor.map(|a| a.0))
        .bind(e.actor_name)
        .bind(e.ip)
        .bind(e.action.as_str())
        .bind(e.target)
        .bind(&detail)
        .bind(&prev)
        .bind(&hash)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    on_tx!(tx, c => sqlx::query("UPDATE audit_head SET seq = $1, last_hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&hash)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(seq)
}

/// SHA-256 of a text as lower-case hex, for details that prove what was
/// stored without repeating it.
pub(crate) fn sha256_hex(s: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(s.as_bytes()))
}

impl Store {
    /// Appends one record in a transaction of its own; for events that
    /// change nothing else (a failed login) or whose change could not carry
    /// the record in its own transaction.
    pub async fn audit(&self, e: &AuditEntry<'_>, now: DateTime<Utc>) -> Result<i64, StoreError> {
        let mut tx = self.db.begin().await?;
        let seq = append_audit(&mut tx, e, now).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// One page of the trail, newest first, and the `before_seq` of the next
    /// page when there is one. Keyset pagination on `seq`.
    pub async fn audit_trail(
        &self,
        filter: &AuditFilter,
        before_seq: Option<i64>,
        limit: u32,
    ) -> Result<(Vec<AuditRecord>, Option<i64>), StoreError> {
        let limit = i64::from(limit.clamp(1, 500));
        let mut rows: Vec<Row> = on_pool!(&self.db, p => {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT seq, at, actor, actor_name, ip, action, target, detail, hash
                 FROM audit_trail WHERE 1=1");
            if let Some(a) = filter.action.as_deref().filter(|a| !a.is_empty()) {
                if a.ends_with('.') {
                    q.push(" AND action LIKE ").push_bind(crate::like_prefix(a));
                    q.push(" ESCAPE '\\'");
                } else {
                    q.push(" AND action = ").push_bind(a.to_owned());
                }
            }
            if let Some(name) = filter.actor.as_deref().filter(|n| !n.is_empty()) {
                q.push(" AND actor_name = ").push_bind(name.to_owned());
            }
            if let Some(f) = filter.from {
                q.push(" AND at >= ").push_bind(to_millis(f));
            }
            if let Some(t) = filter.to {
                q.push(" AND at < ").push_bind(to_millis(t));
            }
            if let Some(b) = before_seq {
                q.push(" AND seq < ").push_bind(b);
            }
            q.push(" ORDER BY seq DESC LIMIT ").push_bind(limit + 1);
            q.build_query_as::<Row>().fetch_all(p).await
        })?;
        let next = crate::split_page(&mut rows, limit, |r| r.seq);
        let records = rows
            .into_iter()
            .map(AuditRecord::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((records, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_literal() {
        assert_eq!(crate::like_prefix("login."), "login.%");
        assert_eq!(crate::like_prefix("a_b%"), "a\\_b\\%%");
    }

    #[test]
    fn command_line_entries_say_so() {
        let e = AuditActor::cli().entry(
            AuditAction::TokenCreate,
            None,
            serde_json::json!({"label": "x"}),
        );
        assert_eq!(e.detail["via"], "cli");
        let staff = AuditActor {
            user: Some(UserId::new()),
            name: Some("admin"),
            ip: Some("127.0.0.1"),
            cli: false,
        };
        let e = staff.entry(AuditAction::UserCreate, Some("t"), serde_json::json!({}));
        assert!(e.detail.get("via").is_none());
        assert_eq!(e.actor_name, Some("admin"));
    }
}

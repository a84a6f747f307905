//! Login throttling (ASVS 6.3): failed logins counted per account name and
//! address together, and per address alone with a ten times higher limit,
//! in the database, so that several app instances share one count and a
//! restart forgets nothing.
//!
//! Keyed by account and address together, nobody can lock a colleague out
//! from another machine by failing on purpose; keyed by address alone, one
//! machine cannot spray passwords over many names. Unknown names count like
//! known ones, so the throttle does not reveal which names exist. Keys are
//! digests: a "name" tried is often a password typed into the wrong field.

use aiwei_core::time::to_millis;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::Store;
use crate::error::StoreError;

/// How many failures lock an account name from one address, and for how
/// long after the last of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRule {
    pub max_failures: u32,
    pub lockout: Duration,
}

impl ThrottleRule {
    /// One address alone may fail this many times over all names.
    fn address_max(self) -> u32 {
        self.max_failures.saturating_mul(10)
    }
}

fn key(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

fn account_key(name: &str, ip: Option<&str>) -> String {
    key(&["account", ip.unwrap_or("-"), name])
}

fn address_key(ip: Option<&str>) -> String {
    key(&["address", ip.unwrap_or("-")])
}

impl Store {
    /// Whether `name` may try to log in from `ip` at `now`.
    pub async fn login_allowed(
        &self,
        name: &str,
        ip: Option<&str>,
        rule: ThrottleRule,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (account, address) = (account_key(name, ip), address_key(ip));
        let rows: Vec<(String, i32, i64)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT key, failures, last_at FROM login_throttle WHERE key IN ($1, $2)")
            .bind(&account)
            .bind(&address)
            .fetch_all(p)
            .await)?;
        let since = to_millis(now - rule.lockout);
        let locked = rows.iter().any(|(k, failures, last_at)| {
            let max = if *k == account {
                rule.max_failures
            } else {
                rule.address_max()
            };
            u32::try_from(*failures).unwrap_or(u32::MAX) >= max && *last_at > since
        });
        Ok(!locked)
    }

    /// Counts a failed login of `name` from `ip`. A failure after the
    /// lockout has passed starts the count again.
    pub async fn login_failed(
        &self,
        name: &str,
        ip: Option<&str>,
        rule: ThrottleRule,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        for k in [account_key(name, ip), address_key(ip)] {
            on_tx!(&mut tx, c => sqlx::query(
                "INSERT INTO login_throttle (key, failures, last_at) VALUES ($1, 1, $2)
                 ON CONFLICT (key) DO UPDATE SET
                    failures = CASE WHEN login_throttle.last_at <= $3 THEN 1
                                    ELSE login_throttle.failures + 1 END,
                    last_at = $2")
                .bind(&k)
                .bind(to_millis(now))
                .bind(to_millis(now - rule.lockout))
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        tx.commit().await
    }

    /// A success forgets this account's failures from this address (not the
    /// address's count: a spray that guessed one password stays throttled).
    pub async fn login_succeeded(&self, name: &str, ip: Option<&str>) -> Result<(), StoreError> {
        write_once!(&self.db, p => sqlx::query("DELETE FROM login_throttle WHERE key = $1")
            .bind(account_key(name, ip))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Drops counts whose lockout has long passed; returns how many.
    pub async fn purge_login_throttle(
        &self,
        rule: ThrottleRule,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(
            write_once!(&self.db, p => sqlx::query("DELETE FROM login_throttle WHERE last_at <= $1")
            .bind(to_millis(now - rule.lockout))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?,
        )
    }
}

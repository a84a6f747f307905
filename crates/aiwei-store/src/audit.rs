//! Verification of the ledger's event chains and of the audit trail
//! (`aiwei audit verify`).
//!
//! Streams every matter and every event in id order and checks, per matter,
//! that its events form an unbroken hash chain and that the matter's stored
//! chain head is the chain's last hash. Then streams the audit trail in
//! `seq` order and checks that it is gap-free from 1, that every record
//! points at its predecessor and hashes to what is stored, and that the
//! trail's head row names its last record. Memory stays flat however large
//! the ledger and the trail are.

use aiwei_core::chain::{
    self, AuditChecker, AuditLink, ChainBreak, Link, StoredAuditLink, StoredLink,
};
use aiwei_core::{MatterId, UserId};
use futures_util::TryStreamExt;
use uuid::Uuid;

use crate::Store;
use crate::error::StoreError;

/// A matter whose chain does not hold, or a record of the audit trail that
/// does not (`number` is then `audit#<seq>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenChain {
    pub number: String,
    pub reason: String,
}

/// Prefix of the `number` of a break in the audit trail.
pub const AUDIT_PREFIX: &str = "audit#";

/// At most this many breaks of the audit trail are listed one by one, so a
/// wholesale rewrite cannot exhaust memory; the rest are counted.
const MAX_AUDIT_BREAKS: usize = 1000;

impl BrokenChain {
    /// Whether the break is in the audit trail rather than a matter's chain.
    pub fn in_audit_trail(&self) -> bool {
        self.number.starts_with(AUDIT_PREFIX)
    }
}

/// What a verification found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub matters: u64,
    pub events: u64,
    /// Records of the audit trail checked.
    pub audit_records: u64,
    /// The audit trail's head as stored: last sequence number and hash.
    /// Operators may note it elsewhere: a trail rewritten wholesale would
    /// no longer end in it.
    pub audit_head: (i64, String),
    pub broken: Vec<BrokenChain>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.broken.is_empty()
    }

    /// Matters whose chain is broken.
    pub fn broken_matters(&self) -> usize {
        self.broken.iter().filter(|b| !b.in_audit_trail()).count()
    }

    /// Breaks found in the audit trail.
    pub fn audit_breaks(&self) -> usize {
        self.broken.iter().filter(|b| b.in_audit_trail()).count()
    }
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    seq: i64,
    at: i64,
    actor: Option<Uuid>,
    actor_name: Option<String>,
    ip: Option<String>,
    action: String,
    target: Option<String>,
    detail: String,
    prev_hash: String,
    hash: String,
}

#[derive(sqlx::FromRow)]
struct Head {
    id: Uuid,
    number: String,
    event_count: i64,
    last_hash: String,
}

#[derive(sqlx::FromRow)]
struct Row {
    matter_id: Uuid,
    seq: i64,
    at: i64,
    actor: Option<Uuid>,
    kind: String,
    payload: String,
    prev_hash: String,
    hash: String,
}

fn check(head: &Head, events: &[Row]) -> Result<usize, String> {
    let n = chain::verify(events.iter().map(|e| StoredLink {
        link: Link {
            matter_id: MatterId(e.matter_id),
            seq: e.seq,
            at_ms: e.at,
            actor: e.actor.map(UserId),
            kind: &e.kind,
            payload: &e.payload,
        },
        prev_hash: &e.prev_hash,
        hash: &e.hash,
    }))
    .map_err(|b: ChainBreak| b.to_string())?;
    let last = events.last().map(|e| e.hash.as_str()).unwrap_or_default();
    if head.event_count != n as i64 || head.last_hash != last {
        return Err("the matter's chain head does not match its last event".into());
    }
    Ok(n)
}

impl Store {
    pub async fn verify_chains(&self) -> Result<VerifyReport, StoreError> {
        let mut report = VerifyReport::default();
        on_pool!(&self.db, p => {
            let mut heads = sqlx::query_as::<_, Head>(
                "SELECT id, number, event_count, last_hash FROM matters ORDER BY id")
                .fetch(p);
            let mut events = sqlx::query_as::<_, Row>(
                "SELECT matter_id, seq, at, actor, kind, payload, prev_hash, hash
                 FROM matter_events ORDER BY matter_id, seq")
                .fetch(p);
            let mut pending: Option<Row> = events.try_next().await?;
            while let Some(head) = heads.try_next().await? {
                let mut mine = Vec::new();
                while let Some(e) = pending.take() {
                    if e.matter_id < head.id {
                        report.broken.push(BrokenChain {
                            number: e.matter_id.to_string(),
                            reason: "event of no known matter".into(),
                        });
                        pending = events.try_next().await?;
                    } else if e.matter_id == head.id {
                        mine.push(e);
                        pending = events.try_next().await?;
                    } else {
                        pending = Some(e);
                        break;
                    }
                }
                report.matters += 1;
                report.events += mine.len() as u64;
                if let Err(reason) = check(&head, &mine) {
                    report.broken.push(BrokenChain { number: head.number.clone(), reason });
                }
            }
            while let Some(e) = pending.take() {
                report.broken.push(BrokenChain {
                    number: e.matter_id.to_string(),
                    reason: "event of no known matter".into(),
                });
                pending = events.try_next().await?;
            }
            Ok::<(), StoreError>(())
        })?;
        self.verify_audit_trail(&mut report).await?;
        Ok(report)
    }

    /// Checks the audit trail into `report`.
    async fn verify_audit_trail(&self, report: &mut VerifyReport) -> Result<(), StoreError> {
        let mut checker = AuditChecker::new();
        let mut listed = 0usize;
        let mut unlisted = 0u64;
        let mut note = |report: &mut VerifyReport, seq: i64, reason: String| {
            if listed < MAX_AUDIT_BREAKS {
                listed += 1;
                report.broken.push(BrokenChain {
                    number: format!("{AUDIT_PREFIX}{seq}"),
                    reason,
                });
            } else {
                unlisted += 1;
            }
        };
        let head: Option<(i64, String)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT seq, last_hash FROM audit_head WHERE id = 1")
            .fetch_optional(p)
            .await)?;
        on_pool!(&self.db, p => {
            let mut rows = sqlx::query_as::<_, AuditRow>(
                "SELECT seq, at, actor, actor_name, ip, action, target, detail, prev_hash, hash
                 FROM audit_trail ORDER BY seq")
                .fetch(p);
            while let Some(r) = rows.try_next().await? {
                let breaks = checker.check(&StoredAuditLink {
                    link: AuditLink {
                        seq: r.seq,
                        at_ms: r.at,
                        actor: r.actor.map(UserId),
                        actor_name: r.actor_name.as_deref(),
                        ip: r.ip.as_deref(),
                        action: &r.action,
                        target: r.target.as_deref(),
                        detail: &r.detail,
                    },
                    prev_hash: &r.prev_hash,
                    hash: &r.hash,
                });
                for b in breaks {
                    note(report, b.seq(), b.to_string());
                }
            }
            Ok::<(), StoreError>(())
        })?;
        report.audit_records = checker.count();
        match head {
            Some((seq, hash)) => {
                if let Some(b) = checker.finish(seq, &hash) {
                    note(report, b.seq(), b.to_string());
                }
                report.audit_head = (seq, hash);
            }
            None => note(report, 0, "the audit trail has no head row".into()),
        }
        if unlisted > 0 {
            report.broken.push(BrokenChain {
                number: format!("{AUDIT_PREFIX}…"),
                reason: format!("{unlisted} further breaks of the audit trail not listed"),
            });
        }
        Ok(())
    }
}

//! Verification of the ledger's event chains (`aiwei audit verify`).
//!
//! Streams every matter and every event in id order and checks, per matter,
//! that its events form an unbroken hash chain and that the matter's stored
//! chain head is the chain's last hash. Memory stays flat however large the
//! ledger is.

use aiwei_core::chain::{self, ChainBreak, Link, StoredLink};
use aiwei_core::{MatterId, UserId};
use futures_util::TryStreamExt;
use uuid::Uuid;

use crate::Store;
use crate::error::StoreError;

/// A matter whose chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenChain {
    pub number: String,
    pub reason: String,
}

/// What a verification found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub matters: u64,
    pub events: u64,
    pub broken: Vec<BrokenChain>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.broken.is_empty()
    }
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
        Ok(report)
    }
}

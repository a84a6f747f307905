//! The tamper-evident event chain (R-4.1.2 "全程可追溯").
//!
//! Every event of a matter carries the hash of the event before it and a hash
//! over its own content. Editing, deleting or reordering any stored event
//! breaks the chain from that point, and [`verify`] names where.
//!
//! The hash input is a fixed, unambiguous encoding: every field but the last
//! is free of newlines, and the payload, which may hold anything, comes last
//! with its byte length in front.

use sha2::{Digest, Sha256};

use crate::ids::{MatterId, UserId};

/// The `prev_hash` of a matter's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The content of one stored event that the chain protects.
#[derive(Debug, Clone, Copy)]
pub struct Link<'a> {
    pub matter_id: MatterId,
    /// 1 for the first event of a matter, then consecutive.
    pub seq: i64,
    /// Milliseconds since the epoch.
    pub at_ms: i64,
    pub actor: Option<UserId>,
    pub kind: &'a str,
    /// The payload exactly as stored (JSON text).
    pub payload: &'a str,
}

/// The hash of `link` chained onto `prev_hash`, as lower-case hex.
pub fn link_hash(prev_hash: &str, link: &Link<'_>) -> String {
    let mut h = Sha256::new();
    h.update(b"aiwei-event-v1\n");
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(link.matter_id.to_string().as_bytes());
    h.update(b"\n");
    h.update(link.seq.to_string().as_bytes());
    h.update(b"\n");
    h.update(link.at_ms.to_string().as_bytes());
    h.update(b"\n");
    match link.actor {
        Some(a) => h.update(a.to_string().as_bytes()),
        None => h.update(b"-"),
    }
    h.update(b"\n");
    h.update(link.kind.as_bytes());
    h.update(b"\n");
    h.update(link.payload.len().to_string().as_bytes());
    h.update(b":");
    h.update(link.payload.as_bytes());
    hex::encode(h.finalize())
}

/// One stored event as read back for verification.
#[derive(Debug, Clone, Copy)]
pub struct StoredLink<'a> {
    pub link: Link<'a>,
    pub prev_hash: &'a str,
    pub hash: &'a str,
}

/// Why a chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("the matter has no events")]
    Empty,
    #[error("event {found} stands where event {expected} should")]
    Gap { expected: i64, found: i64 },
    #[error("event {seq} does not point at the hash of the event before it")]
    BadPrev { seq: i64 },
    #[error("event {seq} was changed after it was written")]
    BadHash { seq: i64 },
}

/// Checks the events of one matter, in `seq` order. Returns how many events
/// held.
pub fn verify<'a>(events: impl IntoIterator<Item = StoredLink<'a>>) -> Result<usize, ChainBreak> {
    let mut prev = GENESIS.to_owned();
    let mut count = 0usize;
    for (i, e) in events.into_iter().enumerate() {
        let expected = i as i64 + 1;
        if e.link.seq != expected {
            return Err(ChainBreak::Gap {
                expected,
                found: e.link.seq,
            });
        }
        if e.prev_hash != prev {
            return Err(ChainBreak::BadPrev { seq: e.link.seq });
        }
        let computed = link_hash(&prev, &e.link);
        if computed != e.hash {
            return Err(ChainBreak::BadHash { seq: e.link.seq });
        }
        prev = computed;
        count += 1;
    }
    if count == 0 {
        return Err(ChainBreak::Empty);
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Owned {
        link_kind: String,
        payload: String,
        seq: i64,
        prev: String,
        hash: String,
    }

    fn chain(matter: MatterId, payloads: &[&str]) -> Vec<Owned> {
        let mut prev = GENESIS.to_owned();
        let mut out = Vec::new();
        for (i, p) in payloads.iter().enumerate() {
            let seq = i as i64 + 1;
            let link = Link {
                matter_id: matter,
                seq,
                at_ms: 1_700_000_000_000 + seq,
                actor: None,
                kind: "note",
                payload: p,
            };
            let hash = link_hash(&prev, &link);
            out.push(Owned {
                link_kind: "note".into(),
                payload: (*p).to_owned(),
                seq,
                prev: prev.clone(),
                hash: hash.clone(),
            });
            prev = hash;
        }
        out
    }

    fn check(matter: MatterId, events: &[Owned]) -> Result<usize, ChainBreak> {
        verify(events.iter().map(|e| StoredLink {
            link: Link {
                matter_id: matter,
                seq: e.seq,
                at_ms: 1_700_000_000_000 + e.seq,
                actor: None,
                kind: &e.link_kind,
                payload: &e.payload,
            },
            prev_hash: &e.prev,
            hash: &e.hash,
        }))
    }

    #[test]
    fn an_untouched_chain_holds() {
        let m = MatterId::new();
        let events = chain(m, &["{}", r#"{"a":1}"#, r#"{"b":"投诉"}"#]);
        assert_eq!(check(m, &events), Ok(3));
    }

    #[test]
    fn an_edited_payload_is_found() {
        let m = MatterId::new();
        let mut events = chain(m, &["{}", r#"{"a":1}"#, r#"{"b":2}"#]);
        events[1].payload = r#"{"a":2}"#.into();
        assert_eq!(check(m, &events), Err(ChainBreak::BadHash { seq: 2 }));
    }

    #[test]
    fn a_deleted_event_is_found() {
        let m = MatterId::new();
        let mut events = chain(m, &["{}", "{}", "{}"]);
        events.remove(1);
        assert_eq!(
            check(m, &events),
            Err(ChainBreak::Gap {
                expected: 2,
                found: 3
            })
        );
    }

    #[test]
    fn an_event_moved_to_another_matter_is_found() {
        let m = MatterId::new();
        let events = chain(m, &["{}"]);
        assert_eq!(
            check(MatterId::new(), &events),
            Err(ChainBreak::BadHash { seq: 1 })
        );
    }

    #[test]
    fn a_rehashed_event_without_its_successor_is_found() {
        let m = MatterId::new();
        let mut events = chain(m, &["{}", "{}"]);
        events[0].payload = r#"{"x":1}"#.into();
        let link = Link {
            matter_id: m,
            seq: 1,
            at_ms: 1_700_000_000_001,
            actor: None,
            kind: "note",
            payload: &events[0].payload,
        };
        events[0].hash = link_hash(GENESIS, &link);
        assert_eq!(check(m, &events), Err(ChainBreak::BadPrev { seq: 2 }));
    }

    #[test]
    fn empty_is_not_a_valid_chain() {
        assert_eq!(check(MatterId::new(), &[]), Err(ChainBreak::Empty));
    }
}

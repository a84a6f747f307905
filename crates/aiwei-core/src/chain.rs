//! The tamper-evident event chain (R-4.1.2 "全程可追溯").
//!
//! Every event of a matter carries the hash of the event before it and a hash
//! over its own content. Editing, deleting or reordering any stored event
//! breaks the chain from that point, and [`verify`] names where.
//!
//! The hash input is a fixed, unambiguous encoding: every field but the last
//! is free of newlines, and the payload, which may hold anything, comes last
//! with its byte length in front.
//!
//! The audit trail (审计日志, see `aiwei_store::trail`) is one more chain of
//! the same kind over security-relevant events. Its links are hashed by
//! [`audit_link_hash`] under a prefix of its own, so a matter event can never
//! pass for an audit record or the other way round, and checked one record
//! at a time by [`AuditChecker`], in constant memory.

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

/// The content of one audit-trail record that the chain protects.
#[derive(Debug, Clone, Copy)]
pub struct AuditLink<'a> {
    /// 1 for the first record, then consecutive across the whole trail.
    pub seq: i64,
    /// Milliseconds since the epoch.
    pub at_ms: i64,
    pub actor: Option<UserId>,
    pub actor_name: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub action: &'a str,
    pub target: Option<&'a str>,
    /// The detail exactly as stored (JSON text).
    pub detail: &'a str,
}

/// Feeds a text that may hold anything: its byte length, `:`, the bytes.
fn text(h: &mut Sha256, s: &str) {
    h.update(s.len().to_string().as_bytes());
    h.update(b":");
    h.update(s.as_bytes());
    h.update(b"\n");
}

/// Like [`text`] for an optional value; absent is `-`, which no present
/// value (always starting with a digit) can be mistaken for.
fn opt_text(h: &mut Sha256, s: Option<&str>) {
    match s {
        Some(s) => text(h, s),
        None => h.update(b"-\n"),
    }
}

/// The hash of audit record `link` chained onto `prev_hash`, as lower-case
/// hex. Every free-text field is length-prefixed, so no choice of values can
/// make two different records encode alike; the prefix `aiwei-audit-v1`
/// keeps audit hashes apart from matter-event hashes.
pub fn audit_link_hash(prev_hash: &str, link: &AuditLink<'_>) -> String {
    let mut h = Sha256::new();
    h.update(b"aiwei-audit-v1\n");
    h.update(prev_hash.as_bytes());
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
    opt_text(&mut h, link.actor_name);
    opt_text(&mut h, link.ip);
    text(&mut h, link.action);
    opt_text(&mut h, link.target);
    text(&mut h, link.detail);
    hex::encode(h.finalize())
}

/// One stored audit record as read back for verification.
#[derive(Debug, Clone, Copy)]
pub struct StoredAuditLink<'a> {
    pub link: AuditLink<'a>,
    pub prev_hash: &'a str,
    pub hash: &'a str,
}

/// Why the audit trail does not hold at some record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditBreak {
    #[error("record {found} stands where record {expected} should (records missing)")]
    Gap { expected: i64, found: i64 },
    #[error("record {seq} does not point at the hash of the record before it")]
    BadPrev { seq: i64 },
    #[error("record {seq} was changed after it was written")]
    BadHash { seq: i64 },
    #[error("the trail ends at record {last} but its head says {head}")]
    HeadCount { head: i64, last: i64 },
    #[error("the trail's head hash is not the hash of its last record {last}")]
    HeadHash { last: i64 },
}

impl AuditBreak {
    /// The sequence number the break is reported under: the altered record,
    /// or the first missing one.
    pub fn seq(&self) -> i64 {
        match self {
            AuditBreak::Gap { expected, .. } => *expected,
            AuditBreak::BadPrev { seq } | AuditBreak::BadHash { seq } => *seq,
            // The first record the trail and its head disagree about.
            AuditBreak::HeadCount { head, last } => (*head).min(*last) + 1,
            AuditBreak::HeadHash { last } => *last,
        }
    }
}

/// Checks the audit trail one record at a time, in `seq` order, holding only
/// the previous hash. After a break it carries on from the stored record, so
/// every altered record is named, not only the first.
#[derive(Debug, Clone)]
pub struct AuditChecker {
    prev: String,
    last_seq: i64,
    count: u64,
}

impl Default for AuditChecker {
    fn default() -> Self {
        Self {
            prev: GENESIS.to_owned(),
            last_seq: 0,
            count: 0,
        }
    }
}

impl AuditChecker {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many records were checked.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Checks the next record; returns what does not hold about it (a record
    /// can be both out of place and altered).
    pub fn check(&mut self, r: &StoredAuditLink<'_>) -> Vec<AuditBreak> {
        let mut breaks = Vec::new();
        let expected = self.last_seq + 1;
        if r.link.seq != expected {
            breaks.push(AuditBreak::Gap {
                expected,
                found: r.link.seq,
            });
        } else if r.prev_hash != self.prev {
            breaks.push(AuditBreak::BadPrev { seq: r.link.seq });
        }
        if audit_link_hash(r.prev_hash, &r.link) != r.hash {
            breaks.push(AuditBreak::BadHash { seq: r.link.seq });
        }
        self.prev = r.hash.to_owned();
        self.last_seq = r.link.seq;
        self.count += 1;
        breaks
    }

    /// Compares the end of the trail with its stored head (`seq`, `hash`).
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Option<AuditBreak> {
        if head_seq != self.last_seq {
            Some(AuditBreak::HeadCount {
                head: head_seq,
                last: self.last_seq,
            })
        } else if head_hash != self.prev {
            Some(AuditBreak::HeadHash {
                last: self.last_seq,
            })
        } else {
            None
        }
    }
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

    struct Record {
        seq: i64,
        actor_name: Option<String>,
        ip: Option<String>,
        action: String,
        target: Option<String>,
        detail: String,
        prev: String,
        hash: String,
    }

    impl Record {
        fn link(&self) -> AuditLink<'_> {
            AuditLink {
                seq: self.seq,
                at_ms: 1_700_000_000_000 + self.seq,
                actor: None,
                actor_name: self.actor_name.as_deref(),
                ip: self.ip.as_deref(),
                action: &self.action,
                target: self.target.as_deref(),
                detail: &self.detail,
            }
        }
    }

    fn trail(details: &[&str]) -> Vec<Record> {
        let mut prev = GENESIS.to_owned();
        let mut out = Vec::new();
        for (i, d) in details.iter().enumerate() {
            let mut r = Record {
                seq: i as i64 + 1,
                actor_name: Some("admin".into()),
                ip: Some("127.0.0.1".into()),
                action: "user.create".into(),
                target: None,
                detail: (*d).to_owned(),
                prev: prev.clone(),
                hash: String::new(),
            };
            r.hash = audit_link_hash(&prev, &r.link());
            prev = r.hash.clone();
            out.push(r);
        }
        out
    }

    fn check_trail(records: &[Record]) -> (Vec<AuditBreak>, AuditChecker) {
        let mut c = AuditChecker::new();
        let mut breaks = Vec::new();
        for r in records {
            breaks.extend(c.check(&StoredAuditLink {
                link: r.link(),
                prev_hash: &r.prev,
                hash: &r.hash,
            }));
        }
        (breaks, c)
    }

    #[test]
    fn audit_hashes_are_stable_hex_and_depend_on_every_field() {
        let base = AuditLink {
            seq: 1,
            at_ms: 1_700_000_000_000,
            actor: None,
            actor_name: Some("admin"),
            ip: Some("10.0.0.1"),
            action: "login.success",
            target: None,
            detail: "{}",
        };
        let h = audit_link_hash(GENESIS, &base);
        assert_eq!(h.len(), 64);
        assert!(
            h.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_eq!(h, audit_link_hash(GENESIS, &base));
        let variants = [
            AuditLink { seq: 2, ..base },
            AuditLink { at_ms: 1, ..base },
            AuditLink {
                actor: Some(UserId::new()),
                ..base
            },
            AuditLink {
                actor_name: None,
                ..base
            },
            AuditLink {
                actor_name: Some("admin2"),
                ..base
            },
            AuditLink { ip: None, ..base },
            AuditLink {
                action: "login.failure",
                ..base
            },
            AuditLink {
                target: Some("x"),
                ..base
            },
            AuditLink {
                detail: "{\"a\":1}",
                ..base
            },
        ];
        for v in &variants {
            assert_ne!(audit_link_hash(GENESIS, v), h, "{v:?}");
        }
        assert_ne!(audit_link_hash(&"1".repeat(64), &base), h);
    }

    #[test]
    fn audit_encoding_is_unambiguous() {
        let base = AuditLink {
            seq: 1,
            at_ms: 0,
            actor: None,
            actor_name: None,
            ip: None,
            action: "x",
            target: None,
            detail: "{}",
        };
        // Moving text from one field into its neighbour changes the hash.
        let a = AuditLink {
            actor_name: Some("a\n1:b"),
            ip: None,
            ..base
        };
        let b = AuditLink {
            actor_name: Some("a"),
            ip: Some("b"),
            ..base
        };
        assert_ne!(audit_link_hash(GENESIS, &a), audit_link_hash(GENESIS, &b));
        // Absent is not the same as the text "-" or the empty text.
        let none = audit_link_hash(GENESIS, &base);
        let dash = audit_link_hash(
            GENESIS,
            &AuditLink {
                target: Some("-"),
                ..base
            },
        );
        let empty = audit_link_hash(
            GENESIS,
            &AuditLink {
                target: Some(""),
                ..base
            },
        );
        assert_ne!(none, dash);
        assert_ne!(none, empty);
        assert_ne!(dash, empty);
    }

    #[test]
    fn audit_and_event_hashes_are_kept_apart() {
        // The same field values under the two prefixes never collide.
        let event = link_hash(
            GENESIS,
            &Link {
                matter_id: MatterId::new(),
                seq: 1,
                at_ms: 0,
                actor: None,
                kind: "x",
                payload: "{}",
            },
        );
        let audit = audit_link_hash(
            GENESIS,
            &AuditLink {
                seq: 1,
                at_ms: 0,
                actor: None,
                actor_name: None,
                ip: None,
                action: "x",
                target: None,
                detail: "{}",
            },
        );
        assert_ne!(event, audit);
    }

    #[test]
    fn an_untouched_audit_trail_holds_and_matches_its_head() {
        let t = trail(&["{}", "{\"a\":1}", "{\"b\":\"审计\"}"]);
        let (breaks, c) = check_trail(&t);
        assert!(breaks.is_empty(), "{breaks:?}");
        assert_eq!(c.count(), 3);
        assert_eq!(c.finish(3, &t[2].hash), None);
        let empty = AuditChecker::new();
        assert_eq!(empty.finish(0, GENESIS), None);
    }

    #[test]
    fn every_edited_audit_record_is_named() {
        let mut t = trail(&["{}", "{}", "{}", "{}"]);
        t[1].detail = "{\"x\":1}".into();
        t[3].ip = Some("10.9.9.9".into());
        let (breaks, c) = check_trail(&t);
        assert_eq!(
            breaks,
            vec![
                AuditBreak::BadHash { seq: 2 },
                AuditBreak::BadHash { seq: 4 }
            ]
        );
        // The head still matches: the edits were in place.
        assert_eq!(c.finish(4, &t[3].hash), None);
    }

    #[test]
    fn a_deleted_audit_record_is_named() {
        let mut t = trail(&["{}", "{}", "{}"]);
        t.remove(1);
        let (breaks, _) = check_trail(&t);
        assert_eq!(
            breaks,
            vec![AuditBreak::Gap {
                expected: 2,
                found: 3
            }]
        );
        assert_eq!(breaks[0].seq(), 2);
    }

    #[test]
    fn a_deleted_last_record_is_found_by_the_head() {
        let mut t = trail(&["{}", "{}", "{}"]);
        let head = t[2].hash.clone();
        t.pop();
        let (breaks, c) = check_trail(&t);
        assert!(breaks.is_empty());
        let b = c.finish(3, &head).unwrap();
        assert_eq!(b, AuditBreak::HeadCount { head: 3, last: 2 });
        assert_eq!(b.seq(), 3);
    }

    #[test]
    fn a_rehashed_audit_record_breaks_its_successor() {
        let mut t = trail(&["{}", "{}"]);
        t[0].detail = "{\"x\":1}".into();
        t[0].hash = audit_link_hash(GENESIS, &t[0].link());
        let (breaks, c) = check_trail(&t);
        assert_eq!(breaks, vec![AuditBreak::BadPrev { seq: 2 }]);
        assert_eq!(c.finish(2, &t[1].hash), None);
        // A head that is not the last record's hash is found.
        let head = t[1].hash.clone();
        assert_eq!(
            c.finish(2, &format!("{head}x")),
            Some(AuditBreak::HeadHash { last: 2 })
        );
    }
}

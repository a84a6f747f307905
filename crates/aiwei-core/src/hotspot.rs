//! Hotspots: a place with repeated complaints of one sub-category
//! within a window (by default 3 in 30 days), so that it is handled at the
//! root rather than complaint by complaint. Places are recognised from the
//! typed addresses ([`crate::place::hotspot_key`]: the named place, else
//! the road and house number). A supervisor acknowledges a hotspot with a
//! note and closes it when solved; complaints after the closing count
//! towards a new one.
//!
//! Pure: the caller reads the window's complaints and the closings.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::place::{hotspot_key, keys};

/// A complaint as hotspot detection sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Complaint<T> {
    /// The caller's handle on it (an id, a number).
    pub item: T,
    pub category: String,
    pub address: String,
    pub received_at: DateTime<Utc>,
}

/// A detected hotspot: its place key, sub-category and complaints, oldest
/// first.
#[derive(Debug, Clone, PartialEq)]
pub struct Hotspot<T> {
    pub place: String,
    pub category: String,
    pub complaints: Vec<(T, DateTime<Utc>)>,
}

/// The hotspots among `complaints` (those of the window): places with at
/// least `min` complaints of one sub-category, counting for each place and
/// sub-category only complaints received after it was last closed
/// (`closed`). Most complaints first, then most recent.
pub fn detect<T: Clone>(
    complaints: &[Complaint<T>],
    min: usize,
    closed: &BTreeMap<(String, String), DateTime<Utc>>,
) -> Vec<Hotspot<T>> {
    type Group<T> = Vec<(T, DateTime<Utc>)>;
    let mut groups: BTreeMap<(String, String), Group<T>> = BTreeMap::new();
    for c in complaints {
        let Some(place) = hotspot_key(&keys(&c.address)) else {
            continue;
        };
        let key = (place, c.category.clone());
        if closed.get(&key).is_some_and(|at| c.received_at <= *at) {
            continue;
        }
        groups
            .entry(key)
            .or_default()
            .push((c.item.clone(), c.received_at));
    }
    let mut out: Vec<Hotspot<T>> = groups
        .into_iter()
        .filter(|(_, cs)| cs.len() >= min.max(1))
        .map(|((place, category), mut complaints)| {
            complaints.sort_by_key(|(_, at)| *at);
            Hotspot {
                place,
                category,
                complaints,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.complaints
            .len()
            .cmp(&a.complaints.len())
            .then_with(|| last(b).cmp(&last(a)))
            .then_with(|| a.place.cmp(&b.place))
    });
    out
}

fn last<T>(h: &Hotspot<T>) -> Option<DateTime<Utc>> {
    h.complaints.last().map(|(_, at)| *at)
}

/// How many of a hotspot's complaints fall in each of `weeks` weeks ending
/// at `now`, oldest week first: "its matters over time".
pub fn weekly<T>(h: &Hotspot<T>, now: DateTime<Utc>, weeks: usize) -> Vec<usize> {
    let mut out = vec![0; weeks];
    for (_, at) in &h.complaints {
        let age = (now - *at).num_days();
        if age < 0 {
            continue;
        }
        let week = usize::try_from(age / 7).unwrap_or(usize::MAX);
        if week < weeks {
            out[weeks - 1 - week] += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        format!("2026-06-{day:02}T02:00:00Z").parse().unwrap()
    }

    fn c(n: u32, category: &str, address: &str, day: u32) -> Complaint<u32> {
        Complaint {
            item: n,
            category: category.into(),
            address: address.into(),
            received_at: at(day),
        }
    }

    #[test]
    fn three_complaints_of_one_kind_at_one_place_make_a_hotspot() {
        let cs = vec![
            c(1, "vector.rodent", "解放路幸福里小区3号楼", 1),
            c(2, "vector.rodent", "幸福里小区东门", 9),
            c(3, "vector.rodent", "幸福里小区5号楼后面", 20),
            // Another kind at the same place, another place of the kind.
            c(4, "env.garbage", "幸福里小区东门", 20),
            c(5, "vector.rodent", "幸福路12号", 21),
            c(6, "vector.rodent", "幸福路12号院内", 22),
            // No address to place it.
            c(7, "vector.rodent", "", 22),
        ];
        let found = detect(&cs, 3, &BTreeMap::new());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].place, "幸福里小区");
        assert_eq!(found[0].category, "vector.rodent");
        let items: Vec<u32> = found[0].complaints.iter().map(|(i, _)| *i).collect();
        assert_eq!(items, vec![1, 2, 3]);
        let two = detect(&cs, 2, &BTreeMap::new());
        assert_eq!(two.len(), 2);
        assert_eq!(two[1].place, "幸福路12号");
    }

    #[test]
    fn complaints_before_a_closing_do_not_count_again() {
        let cs = vec![
            c(1, "vector.rodent", "幸福里小区", 1),
            c(2, "vector.rodent", "幸福里小区", 2),
            c(3, "vector.rodent", "幸福里小区", 3),
            c(4, "vector.rodent", "幸福里小区", 10),
        ];
        let mut closed = BTreeMap::new();
        closed.insert(("幸福里小区".to_owned(), "vector.rodent".to_owned()), at(5));
        assert!(detect(&cs, 3, &closed).is_empty());
        closed.insert(("幸福里小区".to_owned(), "vector.rodent".to_owned()), at(2));
        assert_eq!(detect(&cs, 2, &closed)[0].complaints.len(), 2);
    }

    #[test]
    fn weeks_count_backwards_from_now() {
        let h = Hotspot {
            place: "p".into(),
            category: "c".into(),
            complaints: vec![(1, at(1)), (2, at(20)), (3, at(21)), (4, at(29))],
        };
        assert_eq!(weekly(&h, at(30), 5), vec![1, 0, 0, 2, 1]);
    }
}

//! Recognising complaints about the same place, from the free-text
//! addresses clerks type (issue 10): duplicates at intake (same
//! sub-category, same place or nearly the same words) and hotspots (an
//! address or named place with repeated complaints of one sub-category).
//!
//! An address is reduced to [`PlaceKeys`]: the road with its house number
//! (`幸福路12号`), the named place (`幸福里小区`, `翠苑农贸市场`, or an
//! intersection), and the road alone for "nearby". Chinese addresses have no
//! spaces between words, and no dictionary is shipped, so the keys come from
//! the words addresses end their parts with: roads end in 路, 街, 大道, …;
//! named places in 小区, 市场, 医院, …; administrative prefixes in 省, 市,
//! 区, …. The rules are heuristics, tuned to be conservative: a key that is
//! not found only loses a match, while a wrong key groups unrelated
//! complaints together.
//!
//! This module is pure: no IO, no clock. Time windows and counts are the
//! callers' concern (the deadline policy holds their settings).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::search::{Piece, pieces};

/// Texts at least this similar ([`similarity`]) are likely the same
/// complaint even when their addresses do not match. On sample complaints a
/// retyped complaint scores about 0.85, a reworded one about 0.52, a
/// shortened one about 0.39 and unrelated ones under 0.1. The bar is high
/// because complaints of one sub-category share their vocabulary (垃圾,
/// 清理, 小区门口) even about different places; a lower one would join
/// those.
pub const SIMILAR_TEXT: f64 = 0.5;

/// What an address says about where it is. Every key is normalised
/// (half-width, no spaces or punctuation, Latin letters lower-cased, no
/// province/city/district prefix), so keys compare with `==`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PlaceKeys {
    /// The road with its house number, `幸福路12号`: only the first number
    /// after the road counts (`12号院`, `12号楼`, `12-3号` are all `12号`).
    pub road_number: Option<String>,
    /// The named place, `幸福里小区`, `翠苑农贸市场`, without the road
    /// before it; for an intersection `学院路与文二路交叉口`, the roads in a
    /// fixed order so either way of typing it gives the same key.
    pub named_place: Option<String>,
    /// The road alone, `幸福路`: the road of `road_number` if there is one,
    /// else the first road named.
    pub road: Option<String>,
}

impl PlaceKeys {
    /// Whether nothing was recognised.
    pub fn is_empty(&self) -> bool {
        self.road_number.is_none() && self.named_place.is_none() && self.road.is_none()
    }
}

/// Ends of administrative divisions, stripped from the front of an address:
/// the desk serves one city, so "杭州市西湖区幸福路12号" and "幸福路12号" are
/// the same place.
const ADMIN: &[&str] = &["街道", "省", "市", "区", "县", "镇", "乡"];

/// Ends of road names. 道 alone is a road in some cities (Tianjin), so it
/// stays, with [`NOT_ROAD`] for the corridors and lanes it also ends.
/// 里 is a road only before a house number (`幸福里3号`, a lane with its
/// numbers): otherwise it is part of an estate's name (`幸福里小区`) or means
/// "inside" (`小区里`, `楼道里`).
const ROAD: &[&str] = &["大道", "胡同", "路", "街", "巷", "弄", "道", "里"];

/// Words that end like a road but are not one.
const NOT_ROAD: &[&str] = &[
    "街道", "楼道", "通道", "过道", "车道", "行道", "步道", "隧道", "地道", "跑道", "坡道", "匝道",
    "走道", "巷道", "河道", "水道", "管道", "渠道", "轨道", "沿街", "临街", "过街", "小巷",
];

/// Road ends that, right after a place's name, make it a road's name
/// instead (`公园路`, `学院路`).
const ROAD_AFTER_PLACE: &[&str] = &["路", "街", "巷", "弄", "大道", "胡同"];

/// Ends of named places. Generic words are listed whole (`菜市场`,
/// `加油站`) so that they need a name before them to count: `菜市场` alone
/// names no place.
const PLACE: &[&str] = &[
    "农贸市场",
    "菜市场",
    "火车站",
    "汽车站",
    "客运站",
    "地铁站",
    "公交站",
    "加油站",
    "停车场",
    "幼儿园",
    "卫生院",
    "小区",
    "花园",
    "家园",
    "新村",
    "公寓",
    "大厦",
    "大楼",
    "广场",
    "市场",
    "菜场",
    "超市",
    "商场",
    "商城",
    "公园",
    "景区",
    "学校",
    "小学",
    "中学",
    "大学",
    "学院",
    "医院",
    "诊所",
    "车站",
    "社区",
    "酒店",
    "饭店",
    "宾馆",
    "餐厅",
    "工地",
    "公厕",
    "厕所",
    "苑",
    "园",
    "村",
];

/// Where-at-the-place words (`东门`, `门口`, `对面`): skipped, so that they
/// neither start a place's name nor count as one.
const NOISE: &[&str] = &[
    "交叉路口",
    "交叉口",
    "路口",
    "东侧",
    "西侧",
    "南侧",
    "北侧",
    "东边",
    "西边",
    "南边",
    "北边",
    "旁边",
    "对面",
    "附近",
    "周边",
    "周围",
    "门口",
    "门前",
    "东门",
    "西门",
    "南门",
    "北门",
    "大门",
    "正门",
    "后门",
    "侧门",
    "楼下",
    "楼上",
    "楼顶",
    "院内",
    "院子",
    "里面",
    "内部",
    "外面",
];

/// Joining two roads into an intersection (`文二路与学院路`); only read
/// right after a road, since 和 also starts names (和平路).
const CONNECTORS: &[char] = &['与', '和', '及'];

/// What may follow a house number and still be the same house (`12号院`,
/// `3号楼`).
const UNITS: &[char] = &['院', '楼', '栋', '幢', '座', '门', '室'];

/// The keys of an address typed by a clerk. An address naming neither a
/// road nor a place (`门口`, an empty string, only a district) gives empty
/// keys.
pub fn keys(address: &str) -> PlaceKeys {
    let all = normalise(address);
    let s = strip_admin(&all);
    let mut scan = Scan::default();
    let mut i = 0;
    while i < s.len() {
        if s[i].is_ascii_digit() {
            let (number, next) = house_number(s, i);
            scan.number(&number);
            i = next;
            continue;
        }
        if let Some(n) = longest_prefix(&s[i..], NOISE) {
            scan.other();
            i += n;
            continue;
        }
        if scan.last_road.is_some() && CONNECTORS.contains(&s[i]) {
            i += 1;
            continue;
        }
        // A word never runs into a number: the number ends it.
        let end = s[i..]
            .iter()
            .position(char::is_ascii_digit)
            .map_or(s.len(), |p| i + p);
        match next_word(s, i, end) {
            Some(Word::Place { end: j, absorbed }) => {
                scan.place(collect(&s[i..j]), absorbed.map(|a| collect(&s[i..a])));
                i = j;
            }
            Some(Word::Road { end: j }) => {
                scan.road(collect(&s[i..j]));
                i = j;
            }
            None => {
                scan.other();
                i = end;
            }
        }
    }
    scan.finish()
}

/// Whether two addresses are the same place: the same road and number, or
/// the same named place (an intersection included).
pub fn same_place(a: &PlaceKeys, b: &PlaceKeys) -> bool {
    let same = |x: &Option<String>, y: &Option<String>| x.is_some() && x == y;
    same(&a.road_number, &b.road_number) || same(&a.named_place, &b.named_place)
}

/// The key a hotspot groups complaints by: the named place if
/// there is one, else the road and number. A named place comes first
/// because it covers several numbers (an estate with gates on two roads, a
/// market) and clerks name it more consistently than its number; an
/// address with both is grouped with the place.
pub fn hotspot_key(k: &PlaceKeys) -> Option<String> {
    k.named_place.clone().or_else(|| k.road_number.clone())
}

/// How alike two complaint texts are, in [0, 1]: the Dice coefficient of
/// the sets of adjacent-character pairs of their letters and digits (as
/// [`crate::search::pieces`] cuts them; no pair across punctuation). Pairs
/// rather than single characters, because two-character words carry a
/// complaint's subject (垃圾, 老鼠). Every number is one token whatever its
/// digits, so that numbers do not dominate: `12号楼` and `3号楼` read alike.
/// Texts of a single character compare their characters. Two empty texts
/// are not alike (0).
pub fn similarity(a: &str, b: &str) -> f64 {
    features_similarity(&features(a), &features(b))
}

/// [`similarity`] of two texts' [`features`].
fn features_similarity(a: &Features, b: &Features) -> f64 {
    let ((pairs_a, singles_a), (pairs_b, singles_b)) = (a, b);
    if pairs_a.is_empty() || pairs_b.is_empty() {
        dice(singles_a, singles_b)
    } else {
        dice(pairs_a, pairs_b)
    }
}

/// A complaint as duplicate detection sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The sub-category code, if classified.
    pub category: Option<String>,
    pub keys: PlaceKeys,
    /// The complaint's text.
    pub text: String,
    /// The text's [`features`], made once: a draft is compared with
    /// hundreds of recent complaints on every pause in typing.
    features: Features,
}

impl Candidate {
    /// A candidate from a matter's sub-category, address and text.
    pub fn new(category: Option<&str>, address: &str, text: &str) -> Self {
        Self {
            category: category.map(str::to_owned),
            keys: keys(address),
            text: text.to_owned(),
            features: features(text),
        }
    }
}

/// How likely `new` repeats `old`, in [0, 1], or `None` when it is not a
/// likely duplicate. Both must be of the same sub-category when both have
/// one (an unclassified complaint may repeat anything), and either about
/// the same place ([`same_place`]) or with texts at least [`SIMILAR_TEXT`]
/// alike: a caller retyping the same complaint often gives the address
/// differently, and two complaints of one kind about one place are worth a
/// clerk's look even in other words.
///
/// The score is half place (1 for the same place, ½ for the same road, 0
/// otherwise) and half text similarity, so a same-place candidate scores at
/// least 0.5 and ranks above one matched on text alone with equal text.
/// Whether `old` is recent enough is the caller's window.
pub fn duplicate_score(new: &Candidate, old: &Candidate) -> Option<f64> {
    if let (Some(a), Some(b)) = (&new.category, &old.category)
        && a != b
    {
        return None;
    }
    let place = if same_place(&new.keys, &old.keys) {
        1.0
    } else if new.keys.road.is_some() && new.keys.road == old.keys.road {
        0.5
    } else {
        0.0
    };
    let text = features_similarity(&new.features, &old.features);
    if place < 1.0 && text < SIMILAR_TEXT {
        return None;
    }
    Some(0.5 * place + 0.5 * text)
}

/// The next road or place starting at `i` and ending by `end`.
enum Word {
    /// A place ending at `end`; `absorbed` is where a road ends inside its
    /// name (`解放路小学`: the school is named after the road it is on).
    Place {
        end: usize,
        absorbed: Option<usize>,
    },
    Road {
        end: usize,
    },
}

/// The shortest road or place starting at `i` and ending by `end`. Shortest,
/// because after it may come another: `解放路幸福里小区` is a road and a place.
fn next_word(s: &[char], i: usize, end: usize) -> Option<Word> {
    let mut absorbed = None;
    for j in i + 1..=end {
        let t = &s[i..j];
        if let Some(n) = longest_suffix(t, PLACE)
            && t.len() - n >= min_name(n)
            && longest_prefix(&s[j..], ROAD_AFTER_PLACE).is_none()
        {
            return Some(Word::Place {
                end: continue_place(s, j, n),
                absorbed,
            });
        }
        if absorbed.is_none() && is_road(s, i, j) {
            if longest_prefix(&s[j..], PLACE).is_some_and(|n| n > 1) {
                absorbed = Some(j);
                continue;
            }
            return Some(Word::Road { end: j });
        }
    }
    // A road followed by a place word that names nothing after all.
    absorbed.map(|j| Word::Road { end: j })
}

/// Whether `s[i..j]` is a road.
fn is_road(s: &[char], i: usize, j: usize) -> bool {
    let t = &s[i..j];
    let Some(n) = longest_suffix(t, ROAD) else {
        return false;
    };
    if t.len() - n < min_name(n) {
        return false;
    }
    let next = s.get(j);
    if t[t.len() - 1] == '里' && !next.is_some_and(char::is_ascii_digit) {
        return false;
    }
    // 街 of 街道 (a sub-district) ends no road.
    if t[t.len() - 1] == '街' && next == Some(&'道') {
        return false;
    }
    !NOT_ROAD.iter().any(|w| ends_with(&s[..j], w))
}

/// A name before a one-character end needs two characters (翠苑 is not
/// taken as a place, 农村 not as a village); before a longer end, one.
fn min_name(end_len: usize) -> usize {
    if end_len == 1 { 2 } else { 1 }
}

/// A place ending in a one-character end (幸福苑, 西溪村) continues into a
/// longer end right after it: 幸福苑小区, 西溪村农贸市场. Longer ends stop
/// the place (幸福里小区菜场 is at 幸福里小区).
fn continue_place(s: &[char], j: usize, end_len: usize) -> usize {
    if end_len == 1
        && let Some(n) = longest_prefix(&s[j..], PLACE)
        && n > 1
    {
        j + n
    } else {
        j
    }
}

/// The first number at `i`: its digits without leading zeros, and where
/// the house's text ends (after `-3`, `号`, and a unit such as `院`).
fn house_number(s: &[char], i: usize) -> (String, usize) {
    let digits = |mut j: usize| {
        while s.get(j).is_some_and(char::is_ascii_digit) {
            j += 1;
        }
        j
    };
    let mut j = digits(i);
    let number: String = collect(&s[i..j]).trim_start_matches('0').to_owned();
    let number = if number.is_empty() {
        "0".to_owned()
    } else {
        number
    };
    // 12-3号 is a part of 12号: the same house for this purpose.
    while s.get(j) == Some(&'-') {
        j = digits(j + 1);
    }
    if s.get(j) == Some(&'号') {
        j += 1;
    }
    if s.get(j).is_some_and(|c| UNITS.contains(c)) {
        j += 1;
    }
    (number, j)
}

/// The keys as they are read, word by word.
#[derive(Default)]
struct Scan {
    first_road: Option<String>,
    /// The road just read, while nothing but connectors followed it.
    last_road: Option<String>,
    road_number: Option<(String, String)>,
    named_place: Option<String>,
    crossing: Option<String>,
    /// Two roads in a row: an intersection, unless a number follows.
    pending: Option<(String, String)>,
}

impl Scan {
    fn number(&mut self, number: &str) {
        if let Some(road) = self.last_road.take()
            && self.road_number.is_none()
        {
            let key = format!("{road}{number}号");
            self.road_number = Some((road, key));
        }
        // 文二路学院路12号 is an address on 学院路, not an intersection.
        self.pending = None;
    }

    fn road(&mut self, road: String) {
        self.commit();
        if let Some(prev) = self.last_road.take() {
            self.pending = Some((prev, road.clone()));
        }
        self.first_road.get_or_insert_with(|| road.clone());
        self.last_road = Some(road);
    }

    fn place(&mut self, place: String, road: Option<String>) {
        self.other();
        self.named_place.get_or_insert(place);
        if let Some(road) = road {
            self.first_road.get_or_insert(road);
        }
    }

    fn other(&mut self) {
        self.commit();
        self.last_road = None;
    }

    fn commit(&mut self) {
        if let Some((a, b)) = self.pending.take()
            && a != b
            && self.crossing.is_none()
        {
            let (a, b) = if a < b { (a, b) } else { (b, a) };
            self.crossing = Some(format!("{a}与{b}交叉口"));
        }
    }

    fn finish(mut self) -> PlaceKeys {
        self.commit();
        let (road, road_number) = match self.road_number {
            Some((road, key)) => (Some(road), Some(key)),
            None => (self.first_road, None),
        };
        PlaceKeys {
            road_number,
            named_place: self.named_place.or(self.crossing),
            road,
        }
    }
}

/// Full-width ASCII as half-width, letters lower-cased, spaces and
/// punctuation dropped, except a dash between digits (`12-3号`, so that
/// the 3 is not taken as part of the 12).
fn normalise(address: &str) -> Vec<char> {
    let mut kept: Vec<char> = Vec::new();
    for c in address.chars().map(half_width) {
        if c.is_alphanumeric() {
            kept.extend(c.to_lowercase());
        } else if matches!(c, '-' | '‐' | '‑' | '–' | '—' | '―' | '~' | '～') {
            kept.push('-');
        }
    }
    let mut out = Vec::with_capacity(kept.len());
    for (i, &c) in kept.iter().enumerate() {
        if c == '-'
            && !(out.last().is_some_and(char::is_ascii_digit)
                && kept.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            continue;
        }
        out.push(c);
    }
    out
}

/// A full-width ASCII character as its half-width self.
fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// `s` without its administrative prefixes (浙江省, 杭州市, 西湖区, 翠苑街道),
/// each taken only when more text follows and it looks like a division: a
/// name of 2 to 10 characters with no digit, road or place word in it, not
/// itself the end of a place (小区, 社区, 超市) nor the start of one (市场),
/// and not followed by a place word: in 新城市广场 and 杭州市医院 the
/// "division" is the place's name.
fn strip_admin(s: &[char]) -> &[char] {
    let mut s = s;
    'strip: loop {
        for end in 1..s.len() {
            let t = &s[..end];
            let Some(n) = longest_suffix(t, ADMIN) else {
                continue;
            };
            let name = &t[..end - n];
            let looks_like_division = (2..=10).contains(&name.len())
                && !name.iter().any(|c| c.is_ascii_digit() || *c == '-')
                && !ROAD_AFTER_PLACE.iter().any(|w| contains(name, w))
                && !PLACE
                    .iter()
                    .any(|w| w.chars().count() > 1 && contains(name, w))
                && longest_suffix(t, PLACE).is_none()
                && !straddles(s, end, PLACE)
                && longest_prefix(&s[end..], PLACE).is_none_or(|n| n <= 1);
            if looks_like_division {
                s = &s[end..];
                continue 'strip;
            }
        }
        return s;
    }
}

/// Whether a word of `words` runs across position `at` of `s`.
fn straddles(s: &[char], at: usize, words: &[&str]) -> bool {
    words.iter().any(|w| {
        let n = w.chars().count();
        (at.saturating_sub(n - 1)..at).any(|p| starts_with(&s[p..], w) && p + n > at)
    })
}

/// The length of the longest word of `words` that `t` ends with.
fn longest_suffix(t: &[char], words: &[&str]) -> Option<usize> {
    words
        .iter()
        .filter(|w| ends_with(t, w))
        .map(|w| w.chars().count())
        .max()
}

/// The length of the longest word of `words` that `t` starts with.
fn longest_prefix(t: &[char], words: &[&str]) -> Option<usize> {
    words
        .iter()
        .filter(|w| starts_with(t, w))
        .map(|w| w.chars().count())
        .max()
}

fn ends_with(t: &[char], word: &str) -> bool {
    let n = word.chars().count();
    t.len() >= n && t[t.len() - n..].iter().copied().eq(word.chars())
}

fn starts_with(t: &[char], word: &str) -> bool {
    let n = word.chars().count();
    t.len() >= n && t[..n].iter().copied().eq(word.chars())
}

fn contains(t: &[char], word: &str) -> bool {
    (0..t.len()).any(|p| starts_with(&t[p..], word))
}

fn collect(t: &[char]) -> String {
    t.iter().collect()
}

/// A text's adjacent-character pairs and its single characters.
type Features = (BTreeSet<[char; 2]>, BTreeSet<char>);

/// The adjacent pairs and the single tokens of a text, every number one
/// token (`#`, which is never a token itself since it is punctuation).
fn features(text: &str) -> Features {
    let text: String = text.chars().map(half_width).collect();
    let mut pairs = BTreeSet::new();
    let mut singles = BTreeSet::new();
    let mut prev: Option<char> = None;
    for piece in pieces(&text) {
        match piece {
            Piece::Token(c) => {
                let c = if c.is_numeric() { '#' } else { c };
                if c == '#' && prev == Some('#') {
                    continue;
                }
                singles.insert(c);
                if let Some(p) = prev {
                    pairs.insert([p, c]);
                }
                prev = Some(c);
            }
            Piece::Boundary => prev = None,
        }
    }
    (pairs, singles)
}

/// 2|A∩B| / (|A| + |B|); 0 for two empty sets.
fn dice<T: Ord>(a: &BTreeSet<T>, b: &BTreeSet<T>) -> f64 {
    let total = a.len() + b.len();
    if total == 0 {
        return 0.0;
    }
    2.0 * a.intersection(b).count() as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(address: &str) -> Option<String> {
        keys(address).named_place
    }

    fn road_number(address: &str) -> Option<String> {
        keys(address).road_number
    }

    fn same(a: &str, b: &str) -> bool {
        same_place(&keys(a), &keys(b))
    }

    #[test]
    fn an_estate_is_the_same_named_place_however_it_is_given() {
        let addresses = [
            "解放路幸福里小区3号楼门口",
            "幸福里小区3号楼",
            "幸福里小区东门",
        ];
        for a in addresses {
            assert_eq!(named(a).as_deref(), Some("幸福里小区"), "{a}");
            // A number after a place is a building, not a house on a road.
            assert_eq!(road_number(a), None, "{a}");
        }
        for a in addresses {
            for b in addresses {
                assert!(same(a, b), "{a} / {b}");
            }
        }
        assert_eq!(
            keys("解放路幸福里小区3号楼门口").road.as_deref(),
            Some("解放路")
        );
        assert_eq!(keys("幸福里小区东门").road, None);
    }

    #[test]
    fn a_road_and_number_is_the_same_place_with_or_without_prefix_and_unit() {
        let addresses = [
            "幸福路12号",
            "幸福路12号院内",
            "杭州市西湖区幸福路12号",
            "幸福路12号楼",
            "浙江省杭州市西湖区翠苑街道幸福路12号",
            "幸福路12-3号",
            "幸福路012号",
            "幸福路12",
        ];
        for a in addresses {
            let k = keys(a);
            assert_eq!(k.road_number.as_deref(), Some("幸福路12号"), "{a}");
            assert_eq!(k.road.as_deref(), Some("幸福路"), "{a}");
            assert_eq!(k.named_place, None, "{a}");
            assert!(same(a, "幸福路12号"), "{a}");
        }
        assert_eq!(
            keys("幸福路12号"),
            PlaceKeys {
                road_number: Some("幸福路12号".into()),
                named_place: None,
                road: Some("幸福路".into()),
            }
        );
    }

    #[test]
    fn a_market_is_named_without_its_road_or_side() {
        for a in ["翠苑农贸市场", "翠苑农贸市场东侧", "文一路翠苑农贸市场"] {
            assert_eq!(named(a).as_deref(), Some("翠苑农贸市场"), "{a}");
            assert!(same(a, "翠苑农贸市场"), "{a}");
        }
        assert_eq!(keys("文一路翠苑农贸市场").road.as_deref(), Some("文一路"));
        let k = keys("浙江省杭州市西湖区翠苑街道文一路翠苑农贸市场");
        assert_eq!(k.named_place.as_deref(), Some("翠苑农贸市场"));
        assert_eq!(k.road.as_deref(), Some("文一路"));
    }

    #[test]
    fn an_intersection_is_a_named_place_whichever_road_comes_first() {
        let crossing = Some("学院路与文二路交叉口");
        for a in [
            "文二路与学院路交叉口",
            "学院路和文二路路口",
            "文二路、学院路交叉口",
            "学院路文二路口",
        ] {
            assert_eq!(named(a).as_deref(), crossing, "{a}");
            assert_eq!(road_number(a), None, "{a}");
        }
        assert_eq!(keys("文二路与学院路交叉口").road.as_deref(), Some("文二路"));
        // A number after the second road makes it an address on that road.
        let k = keys("文二路学院路12号");
        assert_eq!(k.named_place, None);
        assert_eq!(k.road_number.as_deref(), Some("学院路12号"));
        assert_eq!(k.road.as_deref(), Some("学院路"));
        // One road is no intersection.
        assert_eq!(named("文二路路口"), None);
        assert_eq!(keys("文二路路口").road.as_deref(), Some("文二路"));
    }

    #[test]
    fn full_width_spaces_letters_and_building_letters_are_normalised() {
        assert_eq!(road_number("文三路88号A座").as_deref(), Some("文三路88号"));
        assert_eq!(
            road_number("文三路８８号Ａ座").as_deref(),
            Some("文三路88号")
        );
        assert_eq!(road_number("解放路１２号").as_deref(), Some("解放路12号"));
        assert!(same("解放路１２号", "解放路12号"));
        for a in [
            "幸福路 12 号",
            "幸福路\u{3000}１２　号",
            " 幸福路12号。",
            "幸福路－12号",
        ] {
            assert_eq!(road_number(a).as_deref(), Some("幸福路12号"), "{a:?}");
        }
        assert_eq!(named("幸福里 小区，东门").as_deref(), Some("幸福里小区"));
        assert_eq!(named("IFS国金中心大厦").as_deref(), Some("ifs国金中心大厦"));
    }

    #[test]
    fn place_ends_of_every_kind_are_recognised() {
        for (address, place) in [
            ("人民公园", "人民公园"),
            ("学军中学门口", "学军中学"),
            ("杭州市第一人民医院", "第一人民医院"),
            ("城站火车站", "城站火车站"),
            ("西溪村", "西溪村"),
            ("幸福苑", "幸福苑"),
            ("幸福苑小区2幢", "幸福苑小区"),
            ("嘉绿苑小区", "嘉绿苑小区"),
            ("幸福家园", "幸福家园"),
            ("朝晖新村", "朝晖新村"),
            ("城市花园3幢", "城市花园"),
            ("新城市广场", "新城市广场"),
            ("杭州市医院", "杭州市医院"),
            ("万达广场", "万达广场"),
            ("银泰商场", "银泰商场"),
            ("华润超市", "华润超市"),
            ("汉庭酒店", "汉庭酒店"),
            ("地铁工地", "地铁工地"),
            ("凤凰公寓", "凤凰公寓"),
            ("翠苑社区", "翠苑社区"),
            ("求是小学", "求是小学"),
            ("西湖景区", "西湖景区"),
            // A school named after its road keeps the road in its name.
            ("解放路小学", "解放路小学"),
            ("解放路公厕", "解放路公厕"),
            // After a road and number.
            ("文二路391号西湖国际科技大厦", "西湖国际科技大厦"),
        ] {
            assert_eq!(named(address).as_deref(), Some(place), "{address}");
        }
        assert_eq!(keys("解放路小学").road.as_deref(), Some("解放路"));
        let k = keys("文二路391号西湖国际科技大厦");
        assert_eq!(k.road_number.as_deref(), Some("文二路391号"));
        // The first, shortest place: the market inside the estate is at the
        // estate.
        assert_eq!(named("幸福里小区菜场").as_deref(), Some("幸福里小区"));
        assert_eq!(named("人民公园公厕").as_deref(), Some("人民公园"));
    }

    #[test]
    fn roads_named_after_places_and_prefix_lookalikes_stay_roads() {
        for (address, key) in [
            ("公园路8号", "公园路8号"),
            ("人民公园路8号", "人民公园路8号"),
            ("学院路5号", "学院路5号"),
            ("嘉绿苑路5号", "嘉绿苑路5号"),
            // 市 of 市心路 is no city.
            ("市心路88号", "市心路88号"),
            ("世纪大道100号", "世纪大道100号"),
            ("帽儿胡同8号", "帽儿胡同8号"),
            ("南京道8号", "南京道8号"),
            ("长乐巷3号", "长乐巷3号"),
            ("河坊街1号", "河坊街1号"),
        ] {
            let k = keys(address);
            assert_eq!(k.road_number.as_deref(), Some(key), "{address}");
            assert_eq!(k.named_place, None, "{address}");
        }
    }

    #[test]
    fn li_is_a_lane_only_before_a_number() {
        // A lane with its numbers.
        let k = keys("幸福里3号");
        assert_eq!(k.road_number.as_deref(), Some("幸福里3号"));
        assert_eq!(k.road.as_deref(), Some("幸福里"));
        // Otherwise part of an estate's name…
        assert_eq!(named("幸福里小区").as_deref(), Some("幸福里小区"));
        assert_eq!(road_number("幸福里小区3号楼"), None);
        // …or "inside", which names nothing.
        assert_eq!(named("幸福里小区里面").as_deref(), Some("幸福里小区"));
        assert_eq!(named("人民公园里").as_deref(), Some("人民公园"));
        let k = keys("幸福路12号楼道里");
        assert_eq!(k.named_place, None);
        assert_eq!(k.road_number.as_deref(), Some("幸福路12号"));
        assert_eq!(
            named("幸福里小区3号楼楼道里").as_deref(),
            Some("幸福里小区")
        );
        // Standalone 幸福里 is not taken: too often it means "inside".
        assert!(keys("幸福里").is_empty());
        assert!(keys("家里").is_empty());
    }

    #[test]
    fn different_numbers_and_names_are_different_places() {
        assert!(!same("幸福路12号", "幸福路14号"));
        // …but the same road: nearby.
        assert_eq!(keys("幸福路12号").road, keys("幸福路14号").road);
        assert!(!same("幸福里小区", "幸福苑小区"));
        assert_ne!(named("幸福里小区"), named("幸福苑小区"));
        assert!(!same("幸福路12号", "解放路12号"));
        assert!(!same("文二路与学院路交叉口", "文二路与教工路交叉口"));
        assert!(!same("翠苑农贸市场", "翠苑菜场"));
    }

    #[test]
    fn an_address_without_road_or_place_gives_no_keys() {
        for a in [
            "",
            "   ",
            "，。！",
            "门口",
            "东边那个角落",
            "杭州市西湖区",
            "西湖区",
            "小区",
            "菜市场",
            "公园",
            "3号楼",
            "楼道",
            "人行道上",
        ] {
            let k = keys(a);
            assert!(k.is_empty(), "{a:?}: {k:?}");
            assert_eq!(hotspot_key(&k), None, "{a:?}");
        }
        // Empty keys are never the same place, not even as each other.
        assert!(!same("", ""));
        assert!(!same("门口", "门口"));
    }

    #[test]
    fn hotspots_group_by_named_place_then_road_and_number() {
        assert_eq!(
            hotspot_key(&keys("解放路幸福里小区3号楼门口")).as_deref(),
            Some("幸福里小区")
        );
        assert_eq!(
            hotspot_key(&keys("杭州市西湖区幸福路12号院内")).as_deref(),
            Some("幸福路12号")
        );
        // Both: the place.
        let k = keys("幸福路12号幸福里小区");
        assert_eq!(k.road_number.as_deref(), Some("幸福路12号"));
        assert_eq!(hotspot_key(&k).as_deref(), Some("幸福里小区"));
        assert!(same("幸福路12号幸福里小区", "幸福路12号"));
        assert!(same("幸福路12号幸福里小区", "幸福里小区东门"));
        assert_eq!(
            hotspot_key(&keys("学院路文二路口")).as_deref(),
            Some("学院路与文二路交叉口")
        );
    }

    #[test]
    fn near_identical_complaints_are_similar_and_unrelated_ones_are_not() {
        let a = "幸福里小区3号楼门口垃圾堆积多日无人清理，气味很大，蚊蝇很多";
        let b = "幸福里小区5号楼门口的垃圾堆了好多天没有人清理，味道很大，苍蝇蚊子多";
        let s = similarity(a, b);
        assert!(s >= 0.5, "{s}");
        let c = "反映某餐馆后厨卫生条件差，有老鼠出没，要求执法部门检查";
        let s = similarity(a, c);
        assert!(s < 0.2, "{s}");
        let d = "公共厕所长期无人打扫，臭气熏天";
        assert!(similarity(c, d) < 0.2);
        assert!(similarity(a, d) < 0.2);
        // Symmetric, in [0, 1], 1 for the same text.
        assert_eq!(similarity(a, b), similarity(b, a));
        assert_eq!(similarity(a, a), 1.0);
        assert_eq!(similarity("", ""), 0.0);
        assert_eq!(similarity(a, ""), 0.0);
        assert_eq!(similarity("鼠", "鼠"), 1.0);
        assert_eq!(similarity("鼠", "蚊"), 0.0);
        // Punctuation, width and case do not matter.
        assert_eq!(similarity("ABC，鼠患！", "abc 鼠患"), 1.0);
        assert_eq!(similarity("１２号楼老鼠", "12号楼老鼠"), 1.0);
    }

    #[test]
    fn numbers_do_not_dominate_similarity() {
        assert_eq!(similarity("12号楼垃圾", "3号楼垃圾"), 1.0);
        assert_eq!(similarity("2024年5月12日", "2025年11月3日"), 1.0);
        // A long number is one token, not many.
        let s = similarity("老鼠13800001111", "老鼠 13911112222");
        assert!(s > 0.6, "{s}");
        assert!(similarity("13800001111", "老鼠") < 0.01);
    }

    #[test]
    fn duplicates_need_the_same_category_and_the_same_place_or_text() {
        let text = "幸福里小区门口垃圾堆积多日无人清理，气味很大";
        let new = Candidate::new(Some("0101"), "解放路幸福里小区3号楼门口", text);
        let old = Candidate::new(Some("0101"), "幸福里小区东门", "小区东门有垃圾没人管");
        // Same category, same place: a duplicate even in other words.
        let score = duplicate_score(&new, &old);
        assert!(score.is_some_and(|s| (0.5..=1.0).contains(&s)), "{score:?}");
        // Different category: never.
        let other = Candidate::new(Some("0202"), "幸福里小区东门", text);
        assert_eq!(duplicate_score(&new, &other), None);
        // Same category, different place, nearly the same text: likely.
        let retyped = Candidate::new(
            Some("0101"),
            "解放路88号",
            "幸福里小区门口的垃圾堆积了多日无人清理，气味很大",
        );
        let score = duplicate_score(&new, &retyped);
        assert!(score.is_some_and(|s| s >= 0.25), "{score:?}");
        // Same category, different place, unrelated text: no.
        let unrelated = Candidate::new(Some("0101"), "文三路88号", "餐馆后厨有老鼠出没");
        assert_eq!(duplicate_score(&new, &unrelated), None);
        // An unclassified complaint may repeat a classified one.
        let unclassified = Candidate::new(None, "幸福里小区", "门口垃圾");
        assert!(duplicate_score(&unclassified, &old).is_some());
        assert!(duplicate_score(&old, &unclassified).is_some());
        // With equal texts, the same place scores higher than text alone,
        // and the same road (nearby) higher than no match.
        let a = Candidate::new(Some("0101"), "幸福路12号", text);
        let same_place = Candidate::new(Some("0101"), "幸福路12号院", text);
        let same_road = Candidate::new(Some("0101"), "幸福路14号", text);
        let elsewhere = Candidate::new(Some("0101"), "解放路1号", text);
        let scores = [&same_place, &same_road, &elsewhere]
            .map(|b| duplicate_score(&a, b).unwrap_or_default());
        assert_eq!(scores, [1.0, 0.75, 0.5]);
        // Same place but no address words at all does not count as a place.
        let nowhere = Candidate::new(Some("0101"), "门口", "蚊子多");
        assert_eq!(duplicate_score(&nowhere, &nowhere.clone()), Some(0.5));
        let nowhere2 = Candidate::new(Some("0101"), "门口", "老鼠多到处跑");
        assert_eq!(duplicate_score(&nowhere, &nowhere2), None);
    }
}

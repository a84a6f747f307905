//! The demo's plan: every matter decided before anything is written.
//!
//! Pure functions of the options, the texts, the store's categories and the
//! clock: when each matter arrives, by which channel, from whom, of which
//! type and category, with which filled-in texts, and which intake account
//! records it. All of it comes from one RNG seeded with the demo seed, so
//! the order of the draws below is part of what a seed means: keep it when
//! changing this code.

use aiwei_core::intake::{CallerInput, IntakeRequest, LocationInput};
use aiwei_core::time::china;
use aiwei_core::{Channel, MatterType};
use aiwei_store::categories::Category;
use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, TimeZone, Timelike, Utc, Weekday};
use rand::rngs::StdRng;
use rand::seq::{IteratorRandom, SliceRandom};
use rand::{Rng, SeedableRng};

use super::DemoOptions;
use super::texts::{District, Template, Texts};

/// Share of each type among all matters.
const TYPE_WEIGHTS: &[(MatterType, u32)] = &[
    (MatterType::Complaint, 55),
    (MatterType::Consultation, 25),
    (MatterType::Suggestion, 10),
    (MatterType::Other, 10),
];

/// Share of the sub-categories within their type.
#[rustfmt::skip]
const CATEGORY_WEIGHTS: &[(&str, u32)] = &[
    ("env.garbage", 18), ("env.toilet", 9), ("env.water", 6), ("env.market", 7),
    ("env.backstreet", 5), ("vector.mosquito", 10), ("vector.rodent", 8),
    ("vector.cockroach", 5), ("vector.fly", 4), ("hazard.kitchen", 9),
    ("hazard.water_supply", 4), ("hazard.smoking", 7), ("hazard.other", 3),
    ("policy.regulation", 5), ("policy.standard", 4), ("knowledge.vector", 6),
    ("knowledge.health", 3), ("service", 5), ("improve.measures", 5),
    ("improve.activity", 3), ("improve.publicity", 3), ("other.praise", 4),
    ("other.misdial", 6),
];

/// Share of complaints that touch a company's internal affairs.
const SENSITIVE_SHARE: f64 = 0.05;

/// The category's weight in a month, in hundredths: mosquitoes and flies in
/// summer, rats in winter, 爱国卫生月 (April) topics in spring.
fn category_weight(code: Option<&str>, month: u32) -> u32 {
    let base = CATEGORY_WEIGHTS
        .iter()
        .find(|(c, _)| Some(*c) == code)
        .map_or(5, |(_, w)| *w);
    let season = match (code.unwrap_or(""), month) {
        ("vector.mosquito", 6..=9) => 300,
        ("vector.mosquito", 5 | 10) => 150,
        ("vector.mosquito", _) => 30,
        ("vector.fly", 6..=9) => 200,
        ("vector.fly", _) => 60,
        ("env.water", 5..=9) => 150,
        ("vector.rodent", 11 | 12 | 1 | 2) => 130,
        ("knowledge.vector", 4..=9) => 180,
        ("policy.regulation" | "improve.activity", 3 | 4) => 250,
        _ => 100,
    };
    base * season
}

// ---------------------------------------------------------------------------
// Callers and scenes
// ---------------------------------------------------------------------------

/// One word of a space-separated word list. The lists stay strings rather
/// than arrays because choosing from this iterator, whose length is unknown
/// up front, draws once per word; a slice would draw once in all, and every
/// seed would yield another data set.
fn word<'a, R: Rng>(rng: &mut R, list: &'a str) -> &'a str {
    list.split_whitespace().choose(rng).unwrap_or_default()
}

fn district<'a, R: Rng>(rng: &mut R, texts: &'a Texts) -> &'a District {
    // Never an empty range: the loader refuses a file without districts.
    &texts.districts[rng.gen_range(0..texts.districts.len())]
}

/// A person's name, now and then only a surname and a polite title, as
/// callers who will not give their full name are recorded.
fn person_name<R: Rng>(rng: &mut R, texts: &Texts) -> String {
    let w = &texts.words;
    let surname = word(rng, &w.surnames);
    match rng.gen_range(0..10) {
        0 => format!("{surname}{}", word(rng, &w.titles)),
        1..=3 => format!("{surname}{}", word(rng, &w.given_one)),
        _ => format!("{surname}{}", word(rng, &w.given_two)),
    }
}

/// A calling organisation. Companies, schools and shops are also the places
/// complaints name, so as callers they carry a form the matter texts never
/// hold: a caller's organisation is never stored in clear by coincidence.
fn organization_name<R: Rng>(rng: &mut R, texts: &Texts) -> String {
    let w = &texts.words;
    let d = district(rng, texts);
    match rng.gen_range(0..6) {
        0 => format!(
            "{}物业{}项目部",
            word(rng, &w.brands),
            word(rng, &d.estates)
        ),
        1 => format!("{}业主委员会", word(rng, &d.estates)),
        2 => format!(
            "{}{}家长委员会",
            word(rng, &d.streets),
            word(rng, &w.schools)
        ),
        3 => format!("{}社区居委会", word(rng, &w.communities)),
        4 => format!("{}餐饮管理有限公司", word(rng, &w.brands)),
        _ => format!("{}（{}店）", word(rng, &w.shops), word(rng, &d.streets)),
    }
}

/// A mobile number, typed the way intake staff type them.
fn mobile<R: Rng>(rng: &mut R, texts: &Texts) -> String {
    let prefix = word(rng, &texts.words.mobile_prefixes);
    let rest: u32 = rng.gen_range(0..100_000_000);
    let (high, low) = (rest / 10_000, rest % 10_000);
    match rng.gen_range(0..10) {
        0 => format!("{prefix} {high:04} {low:04}"),
        1 => format!("{prefix}-{high:04}-{low:04}"),
        _ => format!("{prefix}{rest:08}"),
    }
}

fn landline<R: Rng>(rng: &mut R) -> String {
    format!("0571-8{:07}", rng.gen_range(0..10_000_000u32))
}

/// A caller. No `Debug`: it is personal data, even invented.
#[derive(Clone)]
pub(super) struct DemoCaller {
    pub(super) name: String,
    pub(super) organization: Option<String>,
    pub(super) phone: String,
}

/// A new caller, or (about one call in ten) someone who called before, so
/// the "earlier matters of this caller" view has something to show.
fn next_caller<R: Rng>(rng: &mut R, texts: &Texts, seen: &mut Vec<DemoCaller>) -> DemoCaller {
    if rng.gen_bool(0.1)
        && let Some(c) = seen.choose(rng)
    {
        return c.clone();
    }
    let organization = !rng.gen_bool(0.85);
    let caller = new_caller(rng, texts, organization);
    seen.push(caller.clone());
    caller
}

/// A caller never seen before: a person, or someone calling for an
/// organisation (who more often calls from a landline).
pub(super) fn new_caller<R: Rng>(rng: &mut R, texts: &Texts, organization: bool) -> DemoCaller {
    let landline_share = if organization { 0.55 } else { 0.08 };
    let phone = if rng.gen_bool(landline_share) {
        landline(rng)
    } else {
        mobile(rng, texts)
    };
    DemoCaller {
        name: person_name(rng, texts),
        organization: organization.then(|| organization_name(rng, texts)),
        phone,
    }
}

/// The concrete places and details one matter's texts are filled from.
struct Scene<'a> {
    who: &'static str,
    district: &'a District,
    street: &'a str,
    street2: &'a str,
    estate: &'a str,
    market: &'a str,
    shop: &'a str,
    place: &'a str,
    school: &'a str,
    company: &'a str,
    days: &'a str,
    freq: &'a str,
    time: &'a str,
    ask: &'a str,
    no: String,
    building: String,
}

impl<'a> Scene<'a> {
    fn new<R: Rng>(rng: &mut R, texts: &'a Texts, channel: Channel) -> Self {
        let w = &texts.words;
        let district = district(rng, texts);
        let street = word(rng, &district.streets);
        let mut street2 = word(rng, &district.streets);
        for _ in 0..8 {
            if street2 != street {
                break;
            }
            street2 = word(rng, &district.streets);
        }
        // Struct fields are evaluated in the order written: keep it, it is
        // the order of the draws.
        Scene {
            who: match channel {
                Channel::Phone => "来电人",
                Channel::Visit => "来访人",
                Channel::Web | Channel::Open311 => "反映人",
            },
            district,
            street,
            street2,
            estate: word(rng, &district.estates),
            market: word(rng, &district.markets),
            shop: word(rng, &w.shops),
            place: word(rng, &w.places),
            school: word(rng, &w.schools),
            company: word(rng, &w.companies),
            days: word(rng, &w.days),
            freq: word(rng, &w.freq),
            time: word(rng, &w.times),
            ask: texts.asks.choose(rng).map_or("", String::as_str),
            no: rng.gen_range(1..=399u32).to_string(),
            building: rng.gen_range(1..=32u32).to_string(),
        }
    }

    fn slot(&self, key: &str) -> Option<&str> {
        Some(match key {
            "who" => self.who,
            "street" => self.street,
            "street2" => self.street2,
            "estate" => self.estate,
            "market" => self.market,
            "shop" => self.shop,
            "place" => self.place,
            "school" => self.school,
            "company" => self.company,
            "days" => self.days,
            "freq" => self.freq,
            "time" => self.time,
            "ask" => self.ask,
            "no" => self.no.as_str(),
            "building" => self.building.as_str(),
            _ => return None,
        })
    }
}

/// Replaces every `{slot}` of `template`; an unknown slot stays as written.
fn fill(template: &str, scene: &Scene<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let key = &after[..close];
        match scene.slot(key) {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[open..open + close + 2]),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------
// The catalog of templates
// ---------------------------------------------------------------------------

/// The usable templates, grouped by the store's leaf categories.
struct Catalog<'a> {
    entries: Vec<Entry<'a>>,
    sensitive: Vec<&'a Template>,
}

struct Entry<'a> {
    ty: MatterType,
    category: Option<String>,
    templates: Vec<&'a Template>,
}

impl<'a> Catalog<'a> {
    /// Templates whose category is a leaf of the store's tree with the same
    /// type. A type the store has no such category for keeps its templates,
    /// recorded without a category.
    fn new(texts: &'a Texts, categories: &[Category]) -> Self {
        let is_leaf = |c: &Category| {
            !categories
                .iter()
                .any(|o| o.parent.as_deref() == Some(c.code.as_str()))
        };
        let usable = |t: &Template| {
            categories
                .iter()
                .any(|c| c.code == t.category && c.matter_type == t.ty && is_leaf(c))
        };
        let mut entries: Vec<Entry<'a>> = Vec::new();
        for ty in MatterType::ALL {
            let first = entries.len();
            for t in templates_of(texts, *ty).filter(|&t| usable(t)) {
                match entries[first..]
                    .iter_mut()
                    .find(|e| e.category.as_deref() == Some(t.category.as_str()))
                {
                    Some(e) => e.templates.push(t),
                    None => entries.push(Entry {
                        ty: *ty,
                        category: Some(t.category.clone()),
                        templates: vec![t],
                    }),
                }
            }
            if entries.len() == first {
                entries.push(Entry {
                    ty: *ty,
                    category: None,
                    templates: templates_of(texts, *ty).collect(),
                });
            }
        }
        let sensitive = texts
            .templates
            .iter()
            .filter(|&t| t.sensitive && usable(t))
            .collect();
        Catalog { entries, sensitive }
    }

    fn pick<R: Rng>(
        &self,
        rng: &mut R,
        ty: MatterType,
        month: u32,
        channel: Channel,
    ) -> Option<(Option<String>, &'a Template)> {
        if ty == MatterType::Complaint
            && !self.sensitive.is_empty()
            && rng.gen_bool(SENSITIVE_SHARE)
        {
            let t = *self.sensitive.choose(rng)?;
            return Some((Some(t.category.clone()), t));
        }
        let candidates: Vec<&Entry<'a>> = self.entries.iter().filter(|e| e.ty == ty).collect();
        let entry = *pick_weighted(rng, &candidates, |e| {
            category_weight(e.category.as_deref(), month)
        })?;
        let fitting: Vec<&'a Template> = entry
            .templates
            .iter()
            .copied()
            .filter(|t| t.fit.allows(channel))
            .collect();
        let pool = if fitting.is_empty() {
            &entry.templates
        } else {
            &fitting
        };
        let t = *pool.choose(rng)?;
        Some((entry.category.clone(), t))
    }
}

/// The ordinary (not sensitive) templates of a type.
fn templates_of(texts: &Texts, ty: MatterType) -> impl Iterator<Item = &Template> {
    texts
        .templates
        .iter()
        .filter(move |t| t.ty == ty && !t.sensitive)
}

fn pick_weighted<'a, T, R: Rng>(
    rng: &mut R,
    items: &'a [T],
    weight: impl Fn(&T) -> u32,
) -> Option<&'a T> {
    let total: u32 = items.iter().map(&weight).sum();
    if total == 0 {
        return None;
    }
    let mut roll = rng.gen_range(0..total);
    for item in items {
        let w = weight(item);
        if roll < w {
            return Some(item);
        }
        roll -= w;
    }
    None
}

// ---------------------------------------------------------------------------
// The plan: every matter, decided before anything is written
// ---------------------------------------------------------------------------

/// Local office hours, in seconds since midnight.
const OPEN: u32 = 8 * 3600 + 30 * 60;
const CLOSE: u32 = 17 * 3600 + 30 * 60;
/// A matter is received at least this long before the clock of the demo, so
/// its handling time is in the past too.
const LATEST_MARGIN: Duration = Duration::minutes(40);

pub(super) struct Planned {
    pub request: IntakeRequest,
    /// When intake finished: the `now` of validation and recording.
    pub at: DateTime<Utc>,
    /// Index of the intake account that records it.
    pub clerk: usize,
}

fn local_at(day: NaiveDate, seconds: u32) -> Option<DateTime<Utc>> {
    let midnight = day.and_hms_opt(0, 0, 0)?;
    let local = midnight + Duration::seconds(i64::from(seconds));
    Some(
        china()
            .from_local_datetime(&local)
            .single()?
            .with_timezone(&Utc),
    )
}

fn is_workday(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Relative call volume of a day: quiet weekends, a busier summer.
fn day_weight(day: NaiveDate) -> u32 {
    let week = match day.weekday() {
        Weekday::Sat => 30,
        Weekday::Sun => 20,
        _ => 100,
    };
    let season = if (6..=9).contains(&day.month()) {
        125
    } else {
        100
    };
    week * season
}

/// A time of day: mostly office hours with a lunch dip, some early and
/// evening calls.
fn time_of_day<R: Rng>(rng: &mut R) -> u32 {
    if rng.gen_bool(0.9) {
        let t = rng.gen_range(OPEN..CLOSE);
        let lunch = (12 * 3600..13 * 3600 + 30 * 60).contains(&t);
        if lunch && rng.gen_bool(0.5) {
            rng.gen_range(OPEN..CLOSE)
        } else {
            t
        }
    } else if rng.gen_bool(0.3) {
        rng.gen_range(7 * 3600..OPEN)
    } else {
        rng.gen_range(CLOSE..21 * 3600 + 30 * 60)
    }
}

/// `count` receipt times over the last `days` days, oldest first.
fn received_times<R: Rng>(
    rng: &mut R,
    count: u32,
    days: u32,
    now: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let days = days.max(1);
    let today = now.with_timezone(&china()).date_naive();
    let calendar: Vec<NaiveDate> = (0..days)
        .filter_map(|d| today.checked_sub_days(Days::new(u64::from(d))))
        .collect();
    let span_minutes = i64::from(days) * 24 * 60;
    let mut times = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let mut chosen = None;
        for _ in 0..20 {
            let Some(&day) = pick_weighted(rng, &calendar, |d| day_weight(*d)) else {
                break;
            };
            match local_at(day, time_of_day(rng)) {
                Some(t) if t + LATEST_MARGIN <= now => {
                    chosen = Some(t);
                    break;
                }
                _ => {}
            }
        }
        times.push(
            chosen.unwrap_or_else(|| {
                now - Duration::minutes(rng.gen_range(60..=span_minutes.max(61)))
            }),
        );
    }
    times.sort();
    times
}

/// The agreed reply: end of the working day one to five days later.
fn reply_deadline<R: Rng>(rng: &mut R, received: DateTime<Utc>) -> DateTime<Utc> {
    let days = rng.gen_range(1..=5i64);
    let day = received.with_timezone(&china()).date_naive();
    day.checked_add_days(Days::new(days.unsigned_abs()))
        .and_then(|d| local_at(d, CLOSE))
        .filter(|t| *t > received)
        .unwrap_or_else(|| received + Duration::days(days))
}

/// Every matter of the demo, oldest first.
pub(super) fn plan_matters(
    opts: &DemoOptions,
    texts: &Texts,
    categories: &[Category],
    now: DateTime<Utc>,
) -> Vec<Planned> {
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let catalog = Catalog::new(texts, categories);
    let times = received_times(&mut rng, opts.matters, opts.days, now);
    let mut callers = Vec::new();
    let mut plan = Vec::with_capacity(times.len());
    for received in times {
        if let Some(p) = plan_one(&mut rng, texts, &catalog, &mut callers, received) {
            plan.push(p);
        }
    }
    plan
}

fn plan_one<R: Rng>(
    rng: &mut R,
    texts: &Texts,
    catalog: &Catalog<'_>,
    callers: &mut Vec<DemoCaller>,
    received: DateTime<Utc>,
) -> Option<Planned> {
    let local = received.with_timezone(&china());
    let workday = is_workday(local.date_naive());
    let office = (OPEN..CLOSE).contains(&local.num_seconds_from_midnight());
    let visit_share = match (office, workday) {
        (true, true) => 0.23,
        (true, false) => 0.08,
        _ => 0.0,
    };
    let channel = if rng.gen_bool(visit_share) {
        Channel::Visit
    } else {
        Channel::Phone
    };

    let caller = next_caller(rng, texts, callers);
    let ty = pick_weighted(rng, TYPE_WEIGHTS, |(_, w)| *w)?.0;
    let (category, template) = catalog.pick(rng, ty, local.month(), channel)?;
    let scene = Scene::new(rng, texts, channel);

    let location = template.address.as_deref().map(|a| {
        let (lat, lng) = scene.district.center;
        let coordinates = rng.gen_bool(0.7).then(|| {
            (
                lat + rng.gen_range(-0.015_f64..0.015),
                lng + rng.gen_range(-0.015_f64..0.015),
            )
        });
        LocationInput {
            address: Some(fill(a, &scene)),
            area_code: Some(scene.district.area_code.clone()),
            latitude: coordinates.map(|c| c.0),
            longitude: coordinates.map(|c| c.1),
        }
    });

    let (ring_seconds, arrived_at, handling) = match channel {
        Channel::Phone => {
            let ring = if rng.gen_bool(0.9) {
                rng.gen_range(2..=15)
            } else {
                rng.gen_range(20..=40)
            };
            (Some(ring), None, rng.gen_range(90..=600))
        }
        Channel::Visit => {
            let arrived = received - Duration::seconds(rng.gen_range(120..=1800));
            (None, Some(arrived), rng.gen_range(300..=1500))
        }
        // The demo plans calls and visits only; online filings come in
        // through the public form.
        Channel::Web | Channel::Open311 => (None, None, rng.gen_range(600..=3600)),
    };
    let at = received + Duration::seconds(handling);

    let answered_now = match template.ty {
        MatterType::Consultation => rng.gen_bool(0.88),
        MatterType::Other => true,
        MatterType::Complaint | MatterType::Suggestion => false,
    };
    let (answer, agreed_reply_at) = match template.answer.as_deref() {
        Some(a) if answered_now => (Some(fill(a, &scene)), None),
        _ => (None, Some(reply_deadline(rng, received))),
    };

    // The day shift takes most office-hour matters; the second clerk covers
    // evenings and weekends.
    let clerk = if workday && office {
        usize::from(!rng.gen_bool(0.6))
    } else {
        usize::from(rng.gen_bool(0.8))
    };

    let kind = match caller.organization {
        Some(_) => "organization",
        None => "person",
    };
    // Drinking water and kitchens are the hazards a hotline treats as urgent.
    let urgent = matches!(
        category.as_deref(),
        Some("hazard.water_supply") | Some("hazard.kitchen")
    );
    let request = IntakeRequest {
        channel: Some(channel.as_str().to_owned()),
        received_at: Some(received),
        ring_seconds,
        arrived_at,
        call_id: None,
        caller: CallerInput {
            kind: Some(kind.to_owned()),
            name: Some(caller.name),
            organization: caller.organization,
            phone: Some(caller.phone),
        },
        matter_type: Some(template.ty.as_str().to_owned()),
        category,
        content: Some(fill(&template.text, &scene)),
        location,
        sensitive: template.sensitive,
        urgent,
        answer,
        agreed_reply_at,
        answered_from: None,
        suggested_category: None,
        suggested_department: None,
        department: None,
    };
    Some(Planned { request, at, clerk })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::collections::HashSet;

    use aiwei_core::PhoneNumber;
    use aiwei_core::intake::{MAX_ADDRESS, MAX_NAME, MAX_TEXT};

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 7, 15, 1, 30, 0).unwrap()
    }

    fn texts() -> Texts {
        crate::demo::texts::load().unwrap()
    }

    /// The store's default tree, as `(code, type, parent)`.
    fn default_tree() -> Vec<Category> {
        #[rustfmt::skip]
        let tree: &[(&str, &str, Option<&str>)] = &[
            ("env", "complaint", None), ("env.garbage", "complaint", Some("env")),
            ("env.toilet", "complaint", Some("env")), ("env.water", "complaint", Some("env")),
            ("env.market", "complaint", Some("env")), ("env.backstreet", "complaint", Some("env")),
            ("vector", "complaint", None), ("vector.mosquito", "complaint", Some("vector")),
            ("vector.rodent", "complaint", Some("vector")), ("vector.cockroach", "complaint", Some("vector")),
            ("vector.fly", "complaint", Some("vector")), ("hazard", "complaint", None),
            ("hazard.kitchen", "complaint", Some("hazard")), ("hazard.water_supply", "complaint", Some("hazard")),
            ("hazard.smoking", "complaint", Some("hazard")), ("hazard.other", "complaint", Some("hazard")),
            ("policy", "consultation", None), ("policy.regulation", "consultation", Some("policy")),
            ("policy.standard", "consultation", Some("policy")), ("knowledge", "consultation", None),
            ("knowledge.vector", "consultation", Some("knowledge")), ("knowledge.health", "consultation", Some("knowledge")),
            ("service", "consultation", None), ("improve", "suggestion", None),
            ("improve.measures", "suggestion", Some("improve")), ("improve.activity", "suggestion", Some("improve")),
            ("improve.publicity", "suggestion", Some("improve")), ("other", "other", None),
            ("other.praise", "other", Some("other")), ("other.misdial", "other", Some("other")),
        ];
        tree.iter()
            .map(|(code, ty, parent)| Category {
                code: (*code).to_owned(),
                name: (*code).to_owned(),
                matter_type: MatterType::parse(ty).unwrap(),
                parent: parent.map(str::to_owned),
                default_lead: None,
                default_co: Vec::new(),
            })
            .collect()
    }

    fn options(matters: u32, seed: u64) -> DemoOptions {
        DemoOptions {
            matters,
            seed,
            ..DemoOptions::default()
        }
    }

    #[test]
    fn there_are_many_distinct_templates_for_every_leaf() {
        let texts = texts();
        let templates = &texts.templates;
        assert!(templates.len() >= 40);
        let distinct: HashSet<_> = templates.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(distinct.len(), templates.len());
        let tree = default_tree();
        let catalog = Catalog::new(&texts, &tree);
        assert!(catalog.entries.iter().all(|e| e.category.is_some()));
        assert_eq!(catalog.entries.len(), CATEGORY_WEIGHTS.len());
        assert_eq!(catalog.sensitive.len(), 3);
    }

    #[test]
    fn templates_fill_every_slot_within_limits() {
        let texts = texts();
        for seed in 0..30 {
            let mut rng = StdRng::seed_from_u64(seed);
            for channel in [Channel::Phone, Channel::Visit] {
                let scene = Scene::new(&mut rng, &texts, channel);
                assert_ne!(scene.street, scene.street2);
                for t in &texts.templates {
                    let parts = [Some(&t.text), t.address.as_ref(), t.answer.as_ref()];
                    for (part, max) in parts.into_iter().zip([MAX_TEXT, MAX_ADDRESS, MAX_TEXT]) {
                        let Some(part) = part else { continue };
                        let text = fill(part, &scene);
                        assert!(!text.contains('{') && !text.contains('}'), "{text}");
                        assert!(!text.trim().is_empty());
                        assert!(text.chars().count() <= max);
                    }
                }
            }
        }
    }

    #[test]
    fn generated_phones_parse() {
        let texts = texts();
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..2_000 {
            let p = PhoneNumber::parse("caller.phone", &mobile(&mut rng, &texts)).unwrap();
            assert_eq!(p.as_str().len(), 11);
            assert!(p.as_str().starts_with('1'));
        }
        for _ in 0..500 {
            let p = PhoneNumber::parse("caller.phone", &landline(&mut rng)).unwrap();
            assert!(p.as_str().starts_with("05718"));
            assert_eq!(p.as_str().len(), 12);
        }
    }

    #[test]
    fn generated_names_are_plausible() {
        let texts = texts();
        let mut rng = StdRng::seed_from_u64(2);
        for _ in 0..1_000 {
            let name = person_name(&mut rng, &texts);
            assert!((2..=4).contains(&name.chars().count()), "{name}");
            assert!(!name.is_ascii());
            let org = organization_name(&mut rng, &texts);
            assert!((2..=MAX_NAME).contains(&org.chars().count()), "{org}");
        }
    }

    #[test]
    fn the_plan_is_deterministic_chronological_and_valid() {
        let texts = texts();
        let tree = default_tree();
        let summary = |plan: &[Planned]| {
            serde_json::to_string(&plan.iter().map(|p| &p.request).collect::<Vec<_>>()).unwrap()
        };
        let a = plan_matters(&options(400, 7), &texts, &tree, now());
        let b = plan_matters(&options(400, 7), &texts, &tree, now());
        let c = plan_matters(&options(400, 8), &texts, &tree, now());
        assert_eq!(a.len(), 400);
        assert_eq!(summary(a.as_slice()), summary(b.as_slice()));
        assert_ne!(summary(a.as_slice()), summary(c.as_slice()));
        let earliest = now() - Duration::days(121);
        let mut last = earliest;
        for p in &a {
            let m = p.request.validate(p.at).unwrap();
            assert!(m.received_at >= last && m.received_at > earliest);
            assert!(p.at <= now() && p.clerk < 2);
            last = m.received_at;
            if let Some(code) = &m.category {
                let cat = tree.iter().find(|c| &c.code == code).unwrap();
                assert_eq!(cat.matter_type, m.matter_type);
            }
        }
    }

    #[test]
    fn the_mix_is_roughly_as_intended() {
        let plan = plan_matters(&options(3_000, 11), &texts(), &default_tree(), now());
        let share = |f: &dyn Fn(&Planned) -> bool| {
            plan.iter().filter(|p| f(p)).count() as f64 / plan.len() as f64
        };
        let phone = share(&|p| p.request.channel.as_deref() == Some("phone"));
        let complaint = share(&|p| p.request.matter_type.as_deref() == Some("complaint"));
        let sensitive = share(&|p| p.request.sensitive);
        let answered = share(&|p| p.request.answer.is_some());
        assert!((0.72..0.88).contains(&phone), "{phone}");
        assert!((0.48..0.62).contains(&complaint), "{complaint}");
        assert!((0.01..0.06).contains(&sensitive), "{sensitive}");
        assert!((0.2..0.45).contains(&answered), "{answered}");
        let phones: HashSet<_> = plan
            .iter()
            .filter_map(|p| p.request.caller.phone.clone())
            .collect();
        assert!(
            phones.len() < plan.len() * 95 / 100,
            "some callers call again"
        );
    }

    #[test]
    fn a_store_without_categories_still_gets_valid_matters() {
        let plan = plan_matters(&options(200, 3), &texts(), &[], now());
        assert_eq!(plan.len(), 200);
        for p in &plan {
            assert!(p.request.category.is_none() && !p.request.sensitive);
            p.request.validate(p.at).unwrap();
        }
    }
}

//! Years of settled history behind the demo's recent matters, for the
//! city-scale data set: `aiwei demo --matters N` above the matters that go
//! through the real flows.
//!
//! The closed matters the flows made are the templates
//! ([`aiwei_store::bulk`]). Copies are made of them generation by
//! generation: a generation is every template moved back by the same whole
//! number of weeks plus a few minutes, so each keeps its weekday, its hour
//! and the relative timing of its steps. Generations are spread evenly over
//! the years asked for, which gives a steady daily volume; the copies are
//! then written in time order with numbers that follow it, year by year,
//! after the numbers already taken.

use std::collections::BTreeMap;
use std::time::Instant;

use aiwei_core::time::china;
use aiwei_core::{CallerKind, MatterId, PhoneNumber};
use aiwei_store::Store;
use aiwei_store::bulk::{Copy, Template};
use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::planner::{DemoCaller, new_caller};
use super::texts::Texts;

const WEEK_MS: i64 = 7 * 24 * 3_600_000;

/// Copies written per transaction.
const BATCH: usize = 5_000;

/// Callers remembered for calling again; bounded so that ten million
/// copies need no more memory than ten thousand.
const REMEMBERED_CALLERS: usize = 50_000;

/// What [`write`] did.
#[derive(Debug, Clone, Copy)]
pub struct HistoryReport {
    pub copies: u64,
    pub templates: usize,
    pub seconds: f64,
}

/// Writes `count` copies of the store's closed matters over the `years`
/// before the oldest of them.
pub async fn write(
    store: &Store,
    texts: &Texts,
    count: u64,
    years: u32,
    seed: u64,
    prefix: &str,
) -> anyhow::Result<HistoryReport> {
    let started = Instant::now();
    let templates = store.copy_templates().await?;
    if templates.is_empty() {
        bail!("there are no closed matters to make history of");
    }
    let mut rng = StdRng::seed_from_u64(seed ^ 0x6869_7374_6f72_7921);
    let plan = plan(&templates, count, years, &mut rng)?;

    let mut numbers = Numbers::default();
    let mut callers: Vec<DemoCaller> = Vec::new();
    let mut batch = Vec::with_capacity(BATCH);
    let mut written = 0u64;
    let mut next_report = count / 20;
    for slot in &plan {
        let t = &templates[slot.template as usize];
        let received = t.received_at + slot.shift_ms;
        let year = DateTime::<Utc>::from_timestamp_millis(received)
            .context("a copy's time is out of range")?
            .with_timezone(&china())
            .year();
        let seq = numbers.next(store, prefix, year).await?;
        let number = aiwei_core::MatterNumber::new(prefix, year, seq)?.to_string();
        let mut random = [0u8; 10];
        rng.fill(&mut random);
        let id = uuid::Builder::from_unix_timestamp_millis(received as u64, &random).into_uuid();
        let caller = caller(&mut rng, texts, t.caller_kind, &mut callers);
        batch.push(Copy {
            template: slot.template as usize,
            id: MatterId(id),
            number,
            shift_ms: slot.shift_ms,
            caller_name: Some(caller.name),
            caller_organization: caller.organization,
            caller_phone: PhoneNumber::parse("caller.phone", &caller.phone)?,
        });
        if batch.len() == BATCH {
            store.write_copies(&templates, &batch).await?;
            written += batch.len() as u64;
            batch.clear();
            if written >= next_report {
                next_report += count / 20;
                let rate = written as f64 / started.elapsed().as_secs_f64();
                eprintln!("  {written} / {count} 条历史事项 ({rate:.0}/s)");
            }
        }
    }
    if !batch.is_empty() {
        store.write_copies(&templates, &batch).await?;
        written += batch.len() as u64;
    }
    for (year, last) in numbers.last {
        store.raise_sequence(prefix, year, last as i64).await?;
    }
    store.analyze_after_load().await?;
    Ok(HistoryReport {
        copies: written,
        templates: templates.len(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// One copy to be: which template, moved by how much.
#[derive(Debug, Clone, Copy)]
struct Slot {
    shift_ms: i64,
    template: u32,
}

/// Every copy's template and shift, in the order of the copies' times.
fn plan(
    templates: &[Template],
    count: u64,
    years: u32,
    rng: &mut StdRng,
) -> anyhow::Result<Vec<Slot>> {
    let n = templates.len() as u64;
    let generations = count.div_ceil(n);
    let oldest = templates.iter().map(|t| t.received_at).min().unwrap_or(0);
    let newest = templates.iter().map(|t| t.received_at).max().unwrap_or(0);
    // Every generation lies wholly before the oldest template.
    let first_week = (newest - oldest) / WEEK_MS + 1;
    let weeks = i64::from(years.max(1)) * 52;
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut slots = Vec::with_capacity(usize::try_from(count)?);
    for g in 0..generations {
        let week = first_week + (g as i64 * weeks) / generations as i64;
        let minutes = rng.gen_range(0..60) * 60_000;
        let shift_ms = -(week * WEEK_MS + minutes);
        let take = (count - g * n).min(n) as usize;
        if take < order.len() {
            // The last, partial generation draws its templates at random.
            order.shuffle(rng);
        }
        slots.extend(
            order[..take]
                .iter()
                .map(|&template| Slot { shift_ms, template }),
        );
    }
    slots.sort_by_key(|s| templates[s.template as usize].received_at + s.shift_ms);
    Ok(slots)
}

/// A caller of the template's kind: now and then one who called before.
fn caller(
    rng: &mut StdRng,
    texts: &Texts,
    kind: CallerKind,
    seen: &mut Vec<DemoCaller>,
) -> DemoCaller {
    let organization = kind == CallerKind::Organization;
    if rng.gen_bool(0.1)
        && let Some(c) = seen.choose(rng)
        && c.organization.is_some() == organization
    {
        return c.clone();
    }
    let c = new_caller(rng, texts, organization);
    if seen.len() < REMEMBERED_CALLERS {
        seen.push(c.clone());
    } else {
        let i = rng.gen_range(0..seen.len());
        seen[i] = c.clone();
    }
    c
}

/// The next number of each year, after those already taken.
#[derive(Default)]
struct Numbers {
    last: BTreeMap<i32, u64>,
}

impl Numbers {
    async fn next(&mut self, store: &Store, prefix: &str, year: i32) -> anyhow::Result<u64> {
        let last = match self.last.get_mut(&year) {
            Some(l) => l,
            None => {
                let taken = store.sequence_last(prefix, year).await?;
                self.last.entry(year).or_insert(taken as u64)
            }
        };
        *last += 1;
        Ok(*last)
    }
}

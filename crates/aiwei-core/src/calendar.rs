//! The Chinese working-day calendar: weekends off, statutory holidays off,
//! make-up working days (调休) on.
//!
//! Yearly data ships with the program (2024–2026) and more years can be
//! loaded in the holiday-cn JSON format. A year without data falls back to
//! Monday–Friday; [`Calendar::has_year`] lets the UI warn about it.
//!
//! The rule for "within N working days" (docs/POLICY.md): counting starts on
//! the working day after the starting date, and the deadline is the end of the
//! Nth working day. [`Calendar::add_working_days`] gives that day;
//! N = 0 gives the starting date itself when it is a working day, else the
//! next working day.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Deserialize;

/// The holiday data of one year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearData {
    pub year: i32,
    /// Holidays: days off even when they fall on a weekday.
    pub off_days: BTreeSet<NaiveDate>,
    /// Make-up working days: Saturdays or Sundays that are worked.
    pub makeup_days: BTreeSet<NaiveDate>,
}

/// Why a year's data was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("not valid holiday JSON: {0}")]
    Json(String),
    #[error("year {0} is out of range")]
    YearOutOfRange(i32),
    #[error("date {date} is not in year {year}")]
    WrongYear { date: NaiveDate, year: i32 },
    #[error("date {0} is listed twice")]
    Duplicate(NaiveDate),
    #[error("make-up working day {0} is not a Saturday or Sunday")]
    MakeupOnWeekday(NaiveDate),
}

#[derive(Deserialize)]
struct RawYear {
    year: i32,
    days: Vec<RawDay>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDay {
    date: NaiveDate,
    is_off_day: bool,
}

impl YearData {
    /// Parses and checks one year in the holiday-cn format.
    pub fn from_json(text: &str) -> Result<Self, CalendarError> {
        let raw: RawYear =
            serde_json::from_str(text).map_err(|e| CalendarError::Json(e.to_string()))?;
        if !(2000..=2100).contains(&raw.year) {
            return Err(CalendarError::YearOutOfRange(raw.year));
        }
        let mut data = YearData {
            year: raw.year,
            off_days: BTreeSet::new(),
            makeup_days: BTreeSet::new(),
        };
        for d in raw.days {
            // holiday-cn lists a few days of the neighbouring year where a
            // holiday spans New Year; they belong to that year's file.
            if d.date.year() != raw.year && (d.date.year() - raw.year).abs() > 1 {
                return Err(CalendarError::WrongYear {
                    date: d.date,
                    year: raw.year,
                });
            }
            if data.off_days.contains(&d.date) || data.makeup_days.contains(&d.date) {
                return Err(CalendarError::Duplicate(d.date));
            }
            if d.is_off_day {
                data.off_days.insert(d.date);
            } else {
                if !is_weekend(d.date) {
                    return Err(CalendarError::MakeupOnWeekday(d.date));
                }
                data.makeup_days.insert(d.date);
            }
        }
        Ok(data)
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The published years, compiled in.
const BUILTIN: &[&str] = &[
    include_str!("../data/holidays/2024.json"),
    include_str!("../data/holidays/2025.json"),
    include_str!("../data/holidays/2026.json"),
];

/// Working days by year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i32, YearData>,
}

impl Calendar {
    /// An empty calendar: Monday–Friday everywhere.
    pub fn weekdays_only() -> Self {
        Self::default()
    }

    /// The calendar with the data shipped in the program.
    pub fn builtin() -> Self {
        let mut c = Self::default();
        for text in BUILTIN {
            // The shipped files are checked by a unit test; a broken one
            // would only lose its year, never the program.
            if let Ok(y) = YearData::from_json(text) {
                c.insert(y);
            }
        }
        c
    }

    /// Adds or replaces a year.
    pub fn insert(&mut self, year: YearData) {
        self.years.insert(year.year, year);
    }

    /// Whether published data exists for `year`.
    pub fn has_year(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    pub fn years(&self) -> impl Iterator<Item = &YearData> {
        self.years.values()
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        // A date may be listed in its own year's file or, around New Year,
        // in the neighbouring one.
        for y in [d.year(), d.year() - 1, d.year() + 1] {
            if let Some(data) = self.years.get(&y) {
                if data.off_days.contains(&d) {
                    return false;
                }
                if data.makeup_days.contains(&d) {
                    return true;
                }
            }
        }
        !is_weekend(d)
    }

    /// The working day on or after `d`.
    pub fn on_or_after(&self, mut d: NaiveDate) -> NaiveDate {
        // Holidays never run longer than a few weeks, so this ends quickly.
        while !self.is_working_day(d) {
            match d.checked_add_days(Days::new(1)) {
                Some(n) => d = n,
                None => return d,
            }
        }
        d
    }

    /// The date N working days after `start`: counting from the working day
    /// after `start`, the Nth working day. N = 0: `start` when it is a
    /// working day, else the next working day.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        if n == 0 {
            return self.on_or_after(start);
        }
        let mut d = start;
        let mut left = n;
        while left > 0 {
            match d.checked_add_days(Days::new(1)) {
                Some(next) => d = next,
                None => return d,
            }
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// How many working days lie in `year`.
    pub fn working_days_in(&self, year: i32) -> u32 {
        let Some(mut d) = NaiveDate::from_ymd_opt(year, 1, 1) else {
            return 0;
        };
        let mut n = 0;
        while d.year() == year {
            if self.is_working_day(d) {
                n += 1;
            }
            match d.checked_add_days(Days::new(1)) {
                Some(next) => d = next,
                None => break,
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_shipped_years_parse() {
        for text in BUILTIN {
            YearData::from_json(text).unwrap();
        }
        let c = Calendar::builtin();
        assert!(c.has_year(2024) && c.has_year(2025) && c.has_year(2026));
        assert!(!c.has_year(2027));
    }

    #[test]
    fn working_days_per_year_match_the_notices() {
        let c = Calendar::builtin();
        assert_eq!(c.working_days_in(2024), 251);
        assert_eq!(c.working_days_in(2025), 248);
        assert_eq!(c.working_days_in(2026), 248);
    }

    #[test]
    fn the_regulation_examples() {
        let c = Calendar::builtin();
        // National Day 2025: 10-01..10-08 off, Saturday 10-11 worked.
        assert_eq!(
            c.add_working_days(date("2025-09-30"), 5),
            date("2025-10-14")
        );
        // Spring Festival 2026: Saturday 02-14 worked, 02-15..02-23 off.
        assert!(c.is_working_day(date("2026-02-14")));
        assert_eq!(
            c.add_working_days(date("2026-02-14"), 1),
            date("2026-02-24")
        );
    }

    #[test]
    fn zero_days_is_the_same_or_next_working_day() {
        let c = Calendar::builtin();
        assert_eq!(
            c.add_working_days(date("2026-02-14"), 0),
            date("2026-02-14")
        );
        assert_eq!(
            c.add_working_days(date("2026-02-15"), 0),
            date("2026-02-24")
        );
        assert_eq!(
            c.add_working_days(date("2026-11-28"), 0),
            date("2026-11-30")
        );
    }

    #[test]
    fn a_missing_year_falls_back_to_monday_to_friday() {
        let c = Calendar::builtin();
        // 2027-01-01 is a Friday: without data it is a working day.
        assert!(c.is_working_day(date("2027-01-01")));
        assert!(!c.is_working_day(date("2027-01-02")));
        assert_eq!(Calendar::weekdays_only().working_days_in(2025), 261);
    }

    #[test]
    fn bad_year_data_is_refused() {
        assert!(matches!(
            YearData::from_json("{"),
            Err(CalendarError::Json(_))
        ));
        let weekday_makeup =
            r#"{"year":2027,"days":[{"name":"x","date":"2027-01-04","isOffDay":false}]}"#;
        assert_eq!(
            YearData::from_json(weekday_makeup),
            Err(CalendarError::MakeupOnWeekday(date("2027-01-04")))
        );
        let twice = r#"{"year":2027,"days":[{"name":"x","date":"2027-01-01","isOffDay":true},{"name":"x","date":"2027-01-01","isOffDay":true}]}"#;
        assert_eq!(
            YearData::from_json(twice),
            Err(CalendarError::Duplicate(date("2027-01-01")))
        );
    }

    /// Every day of 2024–2026 and every N up to 30, against a reference
    /// implementation that reads the published JSON directly.
    #[test]
    fn arithmetic_agrees_with_the_published_data_for_every_day() {
        let c = Calendar::builtin();
        let mut off = BTreeSet::new();
        let mut on = BTreeSet::new();
        for text in BUILTIN {
            let v: serde_json::Value = serde_json::from_str(text).unwrap();
            for d in v["days"].as_array().unwrap() {
                let day = date(d["date"].as_str().unwrap());
                if d["isOffDay"].as_bool().unwrap() {
                    off.insert(day);
                } else {
                    on.insert(day);
                }
            }
        }
        let reference_working = |d: NaiveDate| {
            if off.contains(&d) {
                false
            } else if on.contains(&d) {
                true
            } else {
                d.weekday().num_days_from_monday() < 5
            }
        };
        let mut d = date("2024-01-01");
        while d <= date("2026-12-31") {
            assert_eq!(c.is_working_day(d), reference_working(d), "{d}");
            for n in 0..=30u32 {
                let got = c.add_working_days(d, n);
                // Reference: walk day by day, counting working days.
                let mut r = d;
                if n == 0 {
                    while !reference_working(r) {
                        r = r.succ_opt().unwrap();
                    }
                } else {
                    let mut left = n;
                    while left > 0 {
                        r = r.succ_opt().unwrap();
                        if reference_working(r) {
                            left -= 1;
                        }
                    }
                }
                assert_eq!(got, r, "{d} + {n}");
                // Properties: the result is a working day, and exactly n
                // working days lie in (d, result].
                assert!(c.is_working_day(got));
                if n > 0 {
                    let mut count = 0;
                    let mut x = d.succ_opt().unwrap();
                    while x <= got {
                        if c.is_working_day(x) {
                            count += 1;
                        }
                        x = x.succ_opt().unwrap();
                    }
                    assert_eq!(count, n, "{d} + {n}");
                }
            }
            d = d.succ_opt().unwrap();
        }
    }
}

//! Instants and the organisation's local time.
//!
//! Instants are kept in UTC and stored as whole milliseconds since the Unix
//! epoch, so both backends compare and index them identically. Mainland China
//! has had one fixed offset (UTC+8, no daylight saving) since 1991, so local
//! time is a fixed offset rather than a time-zone database.

use std::sync::Arc;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Offset, TimeZone, Timelike, Utc};

/// Where "now" comes from: the one place the program reads the system
/// clock, so tests can move time through everything that asks. Cheap to
/// clone.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        // The one sanctioned read of the system clock (clippy.toml
        // disallows it everywhere else).
        #[allow(clippy::disallowed_methods)]
        let read = Utc::now;
        Self(Arc::new(read))
    }

    /// A clock that asks `f`.
    pub fn from_fn(f: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

/// Asia/Shanghai.
pub fn china() -> FixedOffset {
    // 8 hours is within ±24 h, so this cannot fail; fall back to UTC rather
    // than panic if the invariant were ever broken.
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// An instant as stored: milliseconds since the epoch.
pub fn to_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// A stored instant back as a UTC time. Out-of-range values (which the
/// program never writes) map to the epoch rather than panic.
pub fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// A UTC instant truncated to whole milliseconds, the storage precision, so
/// that a value read back compares equal to the value written.
pub fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    from_millis(to_millis(t))
}

/// The local (China) month `t` falls in, as `YYYYMM`: the key by which
/// the ledger's tally counts matters (the database computes the same from
/// the stored milliseconds, in its migrations).
pub fn month_key(t: DateTime<Utc>) -> i32 {
    let local = t.with_timezone(&china());
    local.year() * 100 + local.month() as i32
}

/// Whether `t` is the first instant of a local (China) month: a bound the
/// tally can count up to exactly.
pub fn is_month_start(t: DateTime<Utc>) -> bool {
    let local = t.with_timezone(&china());
    local.day() == 1 && local.num_seconds_from_midnight() == 0 && local.nanosecond() == 0
}

/// Milliseconds in a day; China keeps no summer time, so every local day
/// is this long.
const DAY_MILLIS: i64 = 86_400_000;
/// China's offset from UTC in milliseconds.
const CHINA_MILLIS: i64 = 8 * 3_600_000;

/// The local (China) day `t` falls in, as days since 1970-01-01: the key by
/// which the clocks' tally counts ended clocks. The migrations compute the
/// same from the stored milliseconds as `(ms + 28800000) / 86400000`.
pub fn day_key(t: DateTime<Utc>) -> i64 {
    (to_millis(t) + CHINA_MILLIS).div_euclid(DAY_MILLIS)
}

/// The instant a local calendar day begins (00:00 in China).
pub fn local_day_start(d: NaiveDate) -> Option<DateTime<Utc>> {
    china()
        .from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// Formats an instant in local time for pages: `2026-11-27 14:05`.
pub fn local_minute(t: DateTime<Utc>) -> String {
    t.with_timezone(&china())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Formats a due instant in local time for pages. A limit in working days
/// ends at 24:00 of its last day, which is 00:00 of the next: shown as
/// `2026-12-07 24:00`, so that nobody reads the 8th as still allowed.
pub fn local_due(t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&china());
    if local.time() == chrono::NaiveTime::MIN
        && let Some(day) = local.date_naive().pred_opt()
    {
        return format!("{} 24:00", day.format("%Y-%m-%d"));
    }
    local_minute(t)
}

/// Formats an instant in local time with seconds.
pub fn local_second(t: DateTime<Utc>) -> String {
    t.with_timezone(&china())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_local_and_their_first_instant_is_known() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // 16:00 UTC on the last day of a month is already the next month in China.
        assert_eq!(month_key(at("2026-01-31T15:59:59Z")), 202601);
        assert_eq!(month_key(at("2026-01-31T16:00:00Z")), 202602);
        assert_eq!(month_key(at("2026-12-31T16:00:00Z")), 202701);
        assert!(is_month_start(at("2026-01-31T16:00:00Z")));
        assert!(!is_month_start(at("2026-02-01T00:00:00Z")));
        assert!(!is_month_start(at("2026-01-31T16:00:00.001Z")));
        let day = local_day_start(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()).unwrap();
        assert!(is_month_start(day));
        assert_eq!(month_key(day), 202603);
    }

    #[test]
    fn days_are_local() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let start = local_day_start(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()).unwrap();
        assert_eq!(start, at("2026-02-28T16:00:00Z"));
        assert_eq!(day_key(start), day_key(at("2026-03-01T15:59:59.999Z")));
        assert_eq!(day_key(start) + 1, day_key(at("2026-03-01T16:00:00Z")));
        assert_eq!(day_key(start) - 1, day_key(at("2026-02-28T15:59:59.999Z")));
        // The same number the database computes from the milliseconds.
        let ms = to_millis(at("2026-03-01T15:59:59.999Z"));
        assert_eq!(day_key(start), (ms + 28_800_000) / 86_400_000);
    }

    #[test]
    fn local_time_is_utc_plus_eight() {
        let t = DateTime::parse_from_rfc3339("2026-01-31T16:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(local_minute(t), "2026-02-01 00:30");
    }

    #[test]
    fn a_due_midnight_reads_as_the_end_of_the_day_before() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(local_due(at("2026-12-07T16:00:00Z")), "2026-12-07 24:00");
        assert_eq!(local_due(at("2026-12-07T16:00:01Z")), "2026-12-08 00:00");
        assert_eq!(local_due(at("2026-12-07T06:30:00Z")), "2026-12-07 14:30");
    }

    #[test]
    fn local_days_start_at_midnight_in_china() {
        let d = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
        assert_eq!(
            local_day_start(d).unwrap().to_rfc3339(),
            "2026-01-31T16:00:00+00:00"
        );
    }

    #[test]
    fn millis_round_trip() {
        let t = truncate(Clock::system().now());
        assert_eq!(from_millis(to_millis(t)), t);
    }
}

//! Training of the staff: sessions on the regulation's topics, who
//! attended and how they scored, and who is due for training again. The
//! rules a session must meet, and the one rule of who is overdue, live
//! here; the store records.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, FieldErrors, bounded_text};
use crate::ids::UserId;
use crate::kinds::code_enum;

code_enum!(
    /// What a session teaches (R-6.1's list).
    TrainingTopic, "topic" {
        Law => ("law", "爱国卫生法律法规"),
        Policy => ("policy", "政策标准"),
        Business => ("business", "业务知识"),
        Communication => ("communication", "沟通技巧"),
        Emergency => ("emergency", "应急处理"),
    }
);

/// One attendee as recorded: present or absent, and the test score when
/// there was a test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Attendance {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub user: UserId,
    pub attended: bool,
    /// 0–100.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    pub score: Option<f64>,
}

/// A training session (培训) to plan or record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// The day it is held (a day ahead plans it).
    pub held_on: NaiveDate,
    pub topic: TrainingTopic,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub title: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub trainer: String,
    /// Hours of teaching, 0.5–24.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0.5, maximum = 24))]
    pub hours: Option<f64>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub notes: Option<String>,
    #[serde(default)]
    pub attendees: Vec<Attendance>,
}

/// The longest title, trainer name and notes.
pub const MAX_TITLE: usize = 200;
pub const MAX_TRAINER: usize = 100;
pub const MAX_NOTES: usize = 2_000;
/// The most attendees of one session.
pub const MAX_ATTENDEES: usize = 500;

/// A checked session.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSession {
    pub held_on: NaiveDate,
    pub topic: TrainingTopic,
    pub title: String,
    pub trainer: String,
    pub hours: Option<f64>,
    pub notes: Option<String>,
    pub attendees: Vec<Attendance>,
}

impl SessionRequest {
    /// Every rule of a session; `today` bounds how far ahead it may be
    /// planned (a year) and how old a record may be (2000 on).
    pub fn validate(&self, today: NaiveDate) -> Result<NewSession, FieldErrors> {
        let mut errs = FieldErrors::default();
        let earliest = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(today);
        if self.held_on < earliest {
            errs.push("held_on", ErrorCode::TooOld);
        } else if (self.held_on - today).num_days() > 366 {
            errs.push("held_on", ErrorCode::TooFar);
        }
        let title = errs
            .take(bounded_text("title", Some(&self.title), MAX_TITLE, true))
            .flatten();
        let trainer = errs
            .take(bounded_text(
                "trainer",
                Some(&self.trainer),
                MAX_TRAINER,
                true,
            ))
            .flatten();
        let notes = errs
            .take(bounded_text(
                "notes",
                self.notes.as_deref(),
                MAX_NOTES,
                false,
            ))
            .flatten();
        if self.hours.is_some_and(|h| !(0.5..=24.0).contains(&h)) {
            errs.push("hours", ErrorCode::OutOfRange);
        }
        if self.attendees.len() > MAX_ATTENDEES {
            errs.push("attendees", ErrorCode::TooLong);
        }
        let mut seen = std::collections::HashSet::new();
        for (i, a) in self.attendees.iter().enumerate() {
            if !seen.insert(a.user) {
                errs.push(format!("attendees.{i}.user"), ErrorCode::InvalidValue);
            }
            match a.score {
                Some(s) if !(0.0..=100.0).contains(&s) => {
                    errs.push(format!("attendees.{i}.score"), ErrorCode::OutOfRange)
                }
                Some(_) if !a.attended => {
                    errs.push(format!("attendees.{i}.score"), ErrorCode::InvalidValue)
                }
                _ => {}
            }
        }
        match (title, trainer) {
            (Some(title), Some(trainer)) if errs.is_empty() => Ok(NewSession {
                held_on: self.held_on,
                topic: self.topic,
                title,
                trainer,
                hours: self.hours,
                notes,
                attendees: self.attendees.clone(),
            }),
            _ => Err(errs),
        }
    }
}

/// Whether someone whose last attended session was `last` is due for
/// training on `today`, with sessions due every `interval_days`.
pub fn overdue(last: Option<NaiveDate>, today: NaiveDate, interval_days: u32) -> bool {
    match last {
        None => true,
        Some(d) => (today - d).num_days() > i64::from(interval_days),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn request() -> SessionRequest {
        SessionRequest {
            held_on: day(11, 20),
            topic: TrainingTopic::Communication,
            title: "来电接听礼仪与沟通技巧".into(),
            trainer: "李老师".into(),
            hours: Some(2.0),
            notes: None,
            attendees: vec![Attendance {
                user: UserId(uuid::Uuid::from_bytes([1; 16])),
                attended: true,
                score: Some(92.5),
            }],
        }
    }

    #[test]
    fn a_session_is_checked_field_by_field() {
        assert!(request().validate(day(11, 30)).is_ok());
        let mut r = request();
        r.title = " ".into();
        r.hours = Some(30.0);
        r.attendees.push(r.attendees[0].clone());
        r.attendees[0].score = Some(120.0);
        let errs = r.validate(day(11, 30)).unwrap_err();
        for f in ["title", "hours", "attendees.1.user", "attendees.0.score"] {
            assert!(errs.has(f), "{f}");
        }
        let mut r = request();
        r.attendees[0].attended = false;
        assert!(
            r.validate(day(11, 30))
                .unwrap_err()
                .has("attendees.0.score")
        );
        let mut r = request();
        r.held_on = day(1, 1) + chrono::Duration::days(800);
        assert!(r.validate(day(11, 30)).unwrap_err().has("held_on"));
    }

    #[test]
    fn overdue_after_the_interval_or_never_trained() {
        assert!(overdue(None, day(11, 30), 180));
        assert!(!overdue(Some(day(6, 3)), day(11, 30), 180));
        assert!(overdue(Some(day(6, 2)), day(11, 30), 180));
    }
}

//! Intake: what the hotline or the reception window records
//! about a call or a visit, and the rules that turn the raw request into a
//! [`NewMatter`].
//!
//! Every rule reports the field it refuses, so the API and the form can point
//! at it; all fields are checked and all errors returned at once.

use std::fmt;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, FieldError, FieldErrors, bounded_text};
use crate::kinds::{CallerKind, Channel, MatterType};
use crate::knowledge::AnsweredFrom;
use crate::phone::PhoneNumber;
use crate::time::truncate;

/// Longest matter text, answer or finding, in characters.
pub const MAX_TEXT: usize = 5_000;
/// Longest caller name or organisation name.
pub const MAX_NAME: usize = 100;
/// Longest address.
pub const MAX_ADDRESS: usize = 300;
/// A clock a little ahead of the server's is tolerated, not a future time.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);
/// How far ahead of now (or of receipt) a client may set an instant, and how
/// far back a step may be dated: a year and a day. Beyond it a date is a
/// typing error (year 9999), and a deadline would never fall due.
pub const MAX_AHEAD: Duration = Duration::days(366);
/// The longest sub-category code.
pub const MAX_CATEGORY: usize = 64;
/// Digits of an administrative division code.
pub const AREA_CODE_LEN: usize = 6;
/// Ring-to-answer seconds above this are a typing error, not a slow answer.
pub const MAX_RING_SECONDS: i64 = 3_600;

/// The caller as given at intake.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CallerInput {
    /// `person` (default) or `organization`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<CallerKind>))]
    pub kind: Option<String>,
    /// The person's name; for an organisation, its contact person.
    /// Required for a person.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::optional_name))]
    pub name: Option<String>,
    /// The organisation's name (required when `kind` is `organization`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::optional_name))]
    pub organization: Option<String>,
    /// Contact phone: a mainland mobile or fixed-line number, or
    /// `+` and an international number; spaces, `-` and brackets are
    /// ignored.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::phone, required = true))]
    pub phone: Option<String>,
}

/// Where the matter is.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::optional_address))]
    pub address: Option<String>,
    /// Six-digit administrative division code (e.g. `330106`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::area_code))]
    pub area_code: Option<String>,
    /// Given together with `longitude`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = -90.0, maximum = 90.0))]
    pub latitude: Option<f64>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = -180.0, maximum = 180.0))]
    pub longitude: Option<f64>,
}

/// The intake request, as the API and the form deliver it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IntakeRequest {
    /// `phone` or `visit`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Channel, required = true))]
    pub channel: Option<String>,
    /// When the call was answered or reception began; defaults to now.
    #[serde(default)]
    pub received_at: Option<DateTime<Utc>>,
    /// Calls only: seconds from the first ring to answering.
    #[serde(default, deserialize_with = "crate::wire::opt_integer")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 3600))]
    pub ring_seconds: Option<i64>,
    /// Visits only: when the visitor arrived at the window.
    #[serde(default)]
    pub arrived_at: Option<DateTime<Utc>>,
    /// Calls only: the telephone exchange's id of the call
    /// (`POST /api/v1/telephony/events`). Its measured ring-to-answer
    /// seconds are recorded instead of `ring_seconds`, and the call is
    /// taken off the clerk's screen.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[!-~]{1,128}$"))]
    pub call_id: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub caller: CallerInput,
    /// `consultation`, `complaint`, `suggestion` or `other`.
    #[serde(default, rename = "type")]
    #[cfg_attr(feature = "openapi", schema(value_type = MatterType, required = true))]
    pub matter_type: Option<String>,
    /// A sub-category code from `GET /api/v1/categories`, of the matter's
    /// type.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::category_code))]
    pub category: Option<String>,
    /// What the caller said.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::required_text, required = true))]
    pub content: Option<String>,
    #[serde(default)]
    pub location: Option<LocationInput>,
    /// Trade secrets, technical secrets, internal management.
    #[serde(default)]
    pub sensitive: bool,
    /// Urgent: the shorter limits of the deadline policy apply.
    #[serde(default)]
    pub urgent: bool,
    /// The answer given on the spot; the matter closes with it. Either
    /// this or `agreed_reply_at`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::optional_text))]
    pub answer: Option<String>,
    /// The reply time agreed with the caller when no answer was given:
    /// after `received_at`, within a year of it.
    #[serde(default)]
    pub agreed_reply_at: Option<DateTime<Utc>>,
    /// The knowledge-base article and version the answer was taken from:
    /// the version in force of an article in force. Only with `answer`.
    #[serde(default)]
    pub answered_from: Option<AnsweredFrom>,
    /// The sub-category the desk suggested while the matter was typed, as
    /// shown: recorded beside the clerk's own choice, which always wins,
    /// so that suggestions can be measured.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::category_code))]
    pub suggested_category: Option<String>,
    /// The lead department the desk suggested, likewise (a code).
    #[serde(default)]
    pub suggested_department: Option<String>,
    /// Receiving department code; defaults to the staff member's own.
    #[serde(default)]
    pub department: Option<String>,
}

/// A validated caller. Its `Debug` hides the personal data.
#[derive(Clone, PartialEq)]
pub struct Caller {
    pub kind: CallerKind,
    pub name: Option<String>,
    pub organization: Option<String>,
    pub phone: PhoneNumber,
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caller")
            .field("kind", &self.kind)
            .field("phone", &self.phone)
            .finish_non_exhaustive()
    }
}

/// A validated location.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Location {
    pub address: Option<String>,
    pub area_code: Option<String>,
    pub coordinates: Option<(f64, f64)>,
}

/// How intake left the matter: answered on the spot, or a reply
/// agreed for a later time.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    Answered(String),
    ReplyBy(DateTime<Utc>),
}

/// A matter that passed every intake rule.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMatter {
    pub channel: Channel,
    pub received_at: DateTime<Utc>,
    pub ring_seconds: Option<i32>,
    pub arrived_at: Option<DateTime<Utc>>,
    pub caller: Caller,
    pub matter_type: MatterType,
    pub category: Option<String>,
    pub content: String,
    pub location: Location,
    pub sensitive: bool,
    pub urgent: bool,
    pub resolution: Resolution,
    /// Whether the answer came from the knowledge base; the store checks
    /// the article is in force.
    pub answered_from: Option<AnsweredFrom>,
    /// What the desk suggested, as shown (see [`IntakeRequest`]).
    pub suggested_category: Option<String>,
    pub suggested_department: Option<String>,
    pub department: Option<String>,
}

/// A sub-category code as sent: letters, digits, `_` and `.`.
pub(crate) fn category_code(
    field: &str,
    raw: Option<&str>,
    errs: &mut FieldErrors,
) -> Option<String> {
    match raw {
        None => None,
        Some(c)
            if !c.is_empty()
                && c.len() <= MAX_CATEGORY
                && c.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '.') =>
        {
            Some(c.to_owned())
        }
        Some(_) => {
            errs.push(field, ErrorCode::UnknownValue);
            None
        }
    }
}

fn earliest() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

impl IntakeRequest {
    /// [`IntakeRequest::validate`] for staff recording at the desk: calls
    /// and visits only; residents file `web` and `open311` matters
    /// themselves ([`crate::public`]).
    pub fn validate_desk(&self, now: DateTime<Utc>) -> Result<NewMatter, FieldErrors> {
        let public = self
            .channel
            .as_deref()
            .and_then(Channel::from_code)
            .is_some_and(|c| matches!(c, Channel::Web | Channel::Open311));
        match self.validate(now) {
            Err(mut errs) if public && !errs.has("channel") => {
                errs.0
                    .insert(0, FieldError::new("channel", ErrorCode::InvalidValue));
                Err(errs)
            }
            Err(errs) => Err(errs),
            Ok(_) if public => {
                let mut errs = FieldErrors::default();
                errs.push("channel", ErrorCode::InvalidValue);
                Err(errs)
            }
            Ok(m) => Ok(m),
        }
    }

    /// Applies every intake rule. `now` is the server's clock.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<NewMatter, FieldErrors> {
        let mut errs = FieldErrors::default();

        let channel = match self.channel.as_deref() {
            None => {
                errs.push("channel", ErrorCode::Required);
                None
            }
            Some(c) => errs.take(Channel::parse(c)),
        };

        let received_at = truncate(self.received_at.unwrap_or(now));
        if received_at > now + CLOCK_SKEW {
            errs.push("received_at", ErrorCode::InFuture);
        } else if received_at < earliest() {
            errs.push("received_at", ErrorCode::TooOld);
        }

        let mut ring_seconds = None;
        let mut arrived_at = None;
        match channel {
            Some(Channel::Phone) => {
                if self.arrived_at.is_some() {
                    errs.push("arrived_at", ErrorCode::NotForChannel);
                }
                match self.ring_seconds {
                    Some(s) if !(0..=MAX_RING_SECONDS).contains(&s) => {
                        errs.push("ring_seconds", ErrorCode::OutOfRange)
                    }
                    Some(s) => ring_seconds = i32::try_from(s).ok(),
                    None => {}
                }
            }
            Some(Channel::Web | Channel::Open311) => {
                for (field, given) in [
                    ("ring_seconds", self.ring_seconds.is_some()),
                    ("arrived_at", self.arrived_at.is_some()),
                    ("call_id", self.call_id.is_some()),
                ] {
                    if given {
                        errs.push(field, ErrorCode::NotForChannel);
                    }
                }
            }
            Some(Channel::Visit) => {
                if self.ring_seconds.is_some() {
                    errs.push("ring_seconds", ErrorCode::NotForChannel);
                }
                if self.call_id.is_some() {
                    errs.push("call_id", ErrorCode::NotForChannel);
                }
                if let Some(a) = self.arrived_at.map(truncate) {
                    if a > received_at {
                        errs.push("arrived_at", ErrorCode::AfterReceived);
                    } else if received_at - a > Duration::hours(24) {
                        errs.push("arrived_at", ErrorCode::TooEarly);
                    } else {
                        arrived_at = Some(a);
                    }
                }
            }
            None => {}
        }

        let caller = validate_caller(&self.caller, &mut errs);

        let matter_type = match self.matter_type.as_deref() {
            None => {
                errs.push("type", ErrorCode::Required);
                None
            }
            Some(t) => errs.take(MatterType::parse(t)),
        };

        let category = category_code("category", self.category.as_deref(), &mut errs);
        let suggested_category = category_code(
            "suggested_category",
            self.suggested_category.as_deref(),
            &mut errs,
        );
        let suggested_department = match self.suggested_department.as_deref() {
            None => None,
            Some(d) => errs
                .take(
                    crate::ids::DepartmentCode::parse(d)
                        .map_err(|e| crate::error::FieldError::new("suggested_department", e.code)),
                )
                .map(|d| d.as_str().to_owned()),
        };

        let content = errs
            .take(bounded_text(
                "content",
                self.content.as_deref(),
                MAX_TEXT,
                true,
            ))
            .flatten();

        let location = validate_location(self.location.as_ref(), &mut errs);

        let answer = errs
            .take(bounded_text(
                "answer",
                self.answer.as_deref(),
                MAX_TEXT,
                false,
            ))
            .flatten();
        let resolution = match (answer, self.agreed_reply_at.map(truncate)) {
            (Some(_), Some(_)) => {
                errs.push("agreed_reply_at", ErrorCode::NotWithAnswer);
                None
            }
            (Some(a), None) => Some(Resolution::Answered(a)),
            (None, Some(t)) if t <= received_at => {
                errs.push("agreed_reply_at", ErrorCode::BeforeReceived);
                None
            }
            (None, Some(t)) if t > received_at + MAX_AHEAD => {
                errs.push("agreed_reply_at", ErrorCode::TooFar);
                None
            }
            (None, Some(t)) => Some(Resolution::ReplyBy(t)),
            (None, None) if errs.has("answer") => None,
            (None, None) => {
                errs.push("agreed_reply_at", ErrorCode::Required);
                None
            }
        };
        if self.answered_from.is_some() && !matches!(resolution, Some(Resolution::Answered(_))) {
            errs.push("answered_from", ErrorCode::NeedsAnswer);
        }

        let department = self
            .department
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| d.to_ascii_uppercase());

        match (
            channel,
            caller,
            matter_type,
            content,
            resolution,
            errs.is_empty(),
        ) {
            (
                Some(channel),
                Some(caller),
                Some(matter_type),
                Some(content),
                Some(resolution),
                true,
            ) => Ok(NewMatter {
                channel,
                received_at,
                ring_seconds,
                arrived_at,
                caller,
                matter_type,
                category,
                content,
                location,
                sensitive: self.sensitive,
                urgent: self.urgent,
                resolution,
                answered_from: self.answered_from,
                suggested_category,
                suggested_department,
                department,
            }),
            _ => Err(errs),
        }
    }
}

fn validate_caller(c: &CallerInput, errs: &mut FieldErrors) -> Option<Caller> {
    let kind = match c.kind.as_deref() {
        None => Some(CallerKind::Person),
        Some(k) => errs.take(CallerKind::parse(k)),
    };
    let name = errs
        .take(bounded_text(
            "caller.name",
            c.name.as_deref(),
            MAX_NAME,
            false,
        ))
        .flatten();
    let organization = errs
        .take(bounded_text(
            "caller.organization",
            c.organization.as_deref(),
            MAX_NAME,
            false,
        ))
        .flatten();
    match kind {
        Some(CallerKind::Person) if name.is_none() && !errs.has("caller.name") => {
            errs.push("caller.name", ErrorCode::Required)
        }
        Some(CallerKind::Organization)
            if organization.is_none() && !errs.has("caller.organization") =>
        {
            errs.push("caller.organization", ErrorCode::Required)
        }
        _ => {}
    }
    let phone = match c.phone.as_deref() {
        None => {
            errs.push("caller.phone", ErrorCode::Required);
            None
        }
        Some(p) => errs.take(PhoneNumber::parse("caller.phone", p)),
    };
    Some(Caller {
        kind: kind?,
        name,
        organization,
        phone: phone?,
    })
}

fn validate_location(l: Option<&LocationInput>, errs: &mut FieldErrors) -> Location {
    let Some(l) = l else {
        return Location::default();
    };
    let address = errs
        .take(bounded_text(
            "location.address",
            l.address.as_deref(),
            MAX_ADDRESS,
            false,
        ))
        .flatten();
    let area_code = match l.area_code.as_deref() {
        None => None,
        Some(a) if a.len() == AREA_CODE_LEN && a.chars().all(|c| c.is_ascii_digit()) => {
            Some(a.to_owned())
        }
        Some(_) => {
            errs.push("location.area_code", ErrorCode::InvalidAreaCode);
            None
        }
    };
    let coordinates = match (l.latitude, l.longitude) {
        (None, None) => None,
        (Some(lat), Some(lng))
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng) =>
        {
            Some((lat, lng))
        }
        (Some(_), Some(_)) => {
            errs.push("location.latitude", ErrorCode::OutOfRange);
            None
        }
        (None, Some(_)) => {
            errs.push("location.latitude", ErrorCode::Required);
            None
        }
        (Some(_), None) => {
            errs.push("location.longitude", ErrorCode::Required);
            None
        }
    };
    Location {
        address,
        area_code,
        coordinates,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 6, 0, 0).unwrap()
    }

    fn phone_complaint() -> IntakeRequest {
        IntakeRequest {
            channel: Some("phone".into()),
            received_at: Some(now() - Duration::minutes(3)),
            ring_seconds: Some(6),
            caller: CallerInput {
                kind: Some("person".into()),
                name: Some("张三".into()),
                organization: None,
                phone: Some("138 1234 5678".into()),
            },
            matter_type: Some("complaint".into()),
            category: Some("env.garbage".into()),
            content: Some("小区门口垃圾堆放三天无人清运".into()),
            agreed_reply_at: Some(now() + Duration::days(3)),
            ..Default::default()
        }
    }

    fn codes(r: &IntakeRequest) -> Vec<(String, &'static str)> {
        r.validate(now())
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| (e.field, e.code.as_str()))
            .collect()
    }

    #[test]
    fn a_complete_call_is_accepted() {
        let m = phone_complaint().validate(now()).unwrap();
        assert_eq!(m.channel, Channel::Phone);
        assert_eq!(m.ring_seconds, Some(6));
        assert_eq!(m.caller.phone.as_str(), "13812345678");
        assert_eq!(m.matter_type, MatterType::Complaint);
        assert!(matches!(m.resolution, Resolution::ReplyBy(_)));
    }

    #[test]
    fn received_at_defaults_to_now() {
        let mut r = phone_complaint();
        r.received_at = None;
        assert_eq!(r.validate(now()).unwrap().received_at, now());
    }

    #[test]
    fn missing_caller_is_refused_by_field() {
        let mut r = phone_complaint();
        r.caller.name = None;
        r.caller.phone = None;
        assert_eq!(
            codes(&r),
            vec![
                ("caller.name".into(), "required"),
                ("caller.phone".into(), "required")
            ]
        );
    }

    #[test]
    fn an_organisation_needs_its_name_not_a_person_name() {
        let mut r = phone_complaint();
        r.caller.kind = Some("organization".into());
        r.caller.name = None;
        assert_eq!(codes(&r), vec![("caller.organization".into(), "required")]);
        r.caller.organization = Some("某某物业公司".into());
        assert!(r.validate(now()).is_ok());
    }

    #[test]
    fn unknown_type_and_future_time_are_refused() {
        let mut r = phone_complaint();
        r.matter_type = Some("praise".into());
        r.received_at = Some(now() + Duration::hours(1));
        assert_eq!(
            codes(&r),
            vec![
                ("received_at".into(), "in_future"),
                ("type".into(), "unknown_value")
            ]
        );
    }

    #[test]
    fn a_small_clock_skew_is_not_the_future() {
        let mut r = phone_complaint();
        r.received_at = Some(now() + Duration::minutes(2));
        assert!(r.validate(now()).is_ok());
    }

    #[test]
    fn overlong_content_is_refused() {
        let mut r = phone_complaint();
        r.content = Some("垃".repeat(MAX_TEXT + 1));
        assert_eq!(codes(&r), vec![("content".into(), "too_long")]);
    }

    #[test]
    fn either_an_answer_or_an_agreed_reply_time() {
        let mut r = phone_complaint();
        r.agreed_reply_at = None;
        assert_eq!(codes(&r), vec![("agreed_reply_at".into(), "required")]);
        r.answer = Some("已当场答复".into());
        assert!(matches!(
            r.validate(now()).unwrap().resolution,
            Resolution::Answered(_)
        ));
        r.agreed_reply_at = Some(now() + Duration::days(1));
        assert_eq!(
            codes(&r),
            vec![("agreed_reply_at".into(), "not_with_answer")]
        );
    }

    #[test]
    fn visits_record_arrival_not_rings() {
        let mut r = phone_complaint();
        r.channel = Some("visit".into());
        assert_eq!(codes(&r), vec![("ring_seconds".into(), "not_for_channel")]);
        r.ring_seconds = None;
        r.arrived_at = Some(now() - Duration::minutes(20));
        let m = r.validate(now()).unwrap();
        assert_eq!(m.arrived_at, Some(now() - Duration::minutes(20)));
        r.arrived_at = Some(now());
        assert_eq!(codes(&r), vec![("arrived_at".into(), "after_received")]);
    }

    #[test]
    fn coordinates_come_in_pairs_and_in_range() {
        let mut r = phone_complaint();
        r.location = Some(LocationInput {
            latitude: Some(30.27),
            ..Default::default()
        });
        assert_eq!(codes(&r), vec![("location.longitude".into(), "required")]);
        r.location = Some(LocationInput {
            latitude: Some(130.0),
            longitude: Some(120.15),
            ..Default::default()
        });
        assert_eq!(
            codes(&r),
            vec![("location.latitude".into(), "out_of_range")]
        );
    }

    #[test]
    fn a_reply_agreed_for_year_9999_is_refused() {
        let mut r = phone_complaint();
        r.agreed_reply_at = Some(Utc.with_ymd_and_hms(9999, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(codes(&r), vec![("agreed_reply_at".into(), "too_far")]);
        r.agreed_reply_at = Some(now() + MAX_AHEAD - Duration::hours(1));
        assert!(r.validate(now()).is_ok());
    }

    #[test]
    fn unknown_fields_are_refused_at_every_level() {
        for body in [
            serde_json::json!({"caller": {"name": "张三", "nickname": "x"}}),
            serde_json::json!({"location": {"address": "x", "floor": 3}}),
            serde_json::json!({"extra": 1}),
        ] {
            assert!(serde_json::from_value::<IntakeRequest>(body).is_err());
        }
    }

    #[test]
    fn caller_debug_hides_personal_data() {
        let m = phone_complaint().validate(now()).unwrap();
        let dbg = format!("{m:?}");
        assert!(!dbg.contains("张三"));
        assert!(!dbg.contains("13812345678"));
    }
}

//! What residents file and see themselves (R-2.1: the hotline reachable at
//! all times, online too): the public web form's request, the query code
//! that unlocks a matter's progress, and what of a matter the public sees.
//!
//! A filing becomes a matter with channel `web` that waits in the intake
//! queue for review before dispatch, like one recorded at the desk. The
//! progress lookup shows the status and the replies told to the caller,
//! never internal notes, departments' remarks or anyone's data.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use crate::intake::{CallerInput, IntakeRequest, LocationInput, NewMatter};
use crate::kinds::code_enum;
use crate::{Channel, ErrorCode, EventKind, FieldErrors, MatterStatus, MatterType};

/// The reply a filing is promised within (答复时限), in days: the desk
/// reviews it, then it follows its type's flow and deadlines.
pub const REPLY_DAYS: i64 = 7;

/// What a resident types into the public form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FilingRequest {
    /// `consultation`, `complaint` or `suggestion`.
    #[serde(default, rename = "type")]
    pub matter_type: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub address: String,
    /// A sub-category code (Open311's `service_code`); the desk picks one
    /// at review otherwise.
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
}

/// The types the public may file (an "other" matter is the desk's call).
pub const PUBLIC_TYPES: [MatterType; 3] = [
    MatterType::Consultation,
    MatterType::Complaint,
    MatterType::Suggestion,
];

impl FilingRequest {
    /// The matter a filing stands for, received `now` by `channel` (`web`
    /// or `open311`) at `department`, or the refused fields.
    pub fn into_matter(
        &self,
        channel: Channel,
        department: &str,
        now: DateTime<Utc>,
    ) -> Result<NewMatter, FieldErrors> {
        let mut errs = FieldErrors::default();
        let ty = self.matter_type.trim();
        if !PUBLIC_TYPES.iter().any(|t| t.as_str() == ty) {
            errs.push("type", ErrorCode::InvalidValue);
        }
        let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let req = IntakeRequest {
            channel: Some(channel.as_str().to_owned()),
            received_at: Some(now),
            caller: CallerInput {
                kind: Some("person".into()),
                name: opt(&self.name),
                organization: None,
                phone: opt(&self.phone),
            },
            matter_type: Some(ty.to_owned()),
            content: opt(&self.content),
            category: self.category.clone(),
            location: Some(LocationInput {
                address: opt(&self.address),
                latitude: self.latitude,
                longitude: self.longitude,
                ..Default::default()
            }),
            agreed_reply_at: Some(now + Duration::days(REPLY_DAYS)),
            department: Some(department.to_owned()),
            ..Default::default()
        };
        match req.validate(now) {
            Ok(m) if errs.is_empty() => Ok(m),
            Ok(_) => Err(errs),
            Err(more) => {
                // The form names fields as the resident sees them.
                for e in more.0 {
                    let field = match e.field.as_str() {
                        "caller.name" => "name".to_owned(),
                        "caller.phone" => "phone".to_owned(),
                        "location.address" => "address".to_owned(),
                        "location.latitude" | "location.longitude" => "location".to_owned(),
                        f => f.to_owned(),
                    };
                    if !errs.has(&field) {
                        errs.push(field, e.code);
                    }
                }
                Err(errs)
            }
        }
    }
}

/// The characters of a query code: no 0/O, 1/I/L, so it can be read out on
/// the phone.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Characters in a query code: 31^8 ≈ 8.5 × 10^11 codes.
pub const CODE_LEN: usize = 8;

/// A query code made from random bytes (the caller supplies them: this
/// crate does no IO).
pub fn query_code(random: [u8; CODE_LEN]) -> String {
    random
        .iter()
        .map(|b| CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()] as char)
        .collect()
}

/// A query code as typed: case, blanks and dashes forgiven; `None` when it
/// cannot be one.
pub fn typed_code(raw: &str) -> Option<String> {
    let code: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(code)
}

code_enum!(
    /// Where a matter stands, as the public is told.
    PublicStage, "stage" {
        Review => ("review", "已受理，等待审核转办"),
        Handling => ("handling", "办理中"),
        Closed => ("closed", "已办结"),
    }
);

/// The public stage of a matter in `status`.
pub fn stage(status: MatterStatus) -> PublicStage {
    match status {
        MatterStatus::Received => PublicStage::Review,
        MatterStatus::Closed => PublicStage::Closed,
        _ => PublicStage::Handling,
    }
}

/// Whether the text `field` of an event of `kind` was said to the caller
/// (a reply, a feedback, a decision told), and so may be shown to them.
/// Everything else (notes, findings, measures, reasons, departments'
/// opinions) stays inside.
pub fn told_to_caller(kind: EventKind, field: &str) -> bool {
    matches!(
        (kind, field),
        (EventKind::Replied | EventKind::AnswerCorrected, "answer")
            | (
                EventKind::FeedbackGiven | EventKind::ProposerTold | EventKind::CallerInformed,
                "content"
            )
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_filing_becomes_a_web_matter_awaiting_review() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).unwrap();
        let f = FilingRequest {
            matter_type: "complaint".into(),
            name: " 王五 ".into(),
            phone: "138 0013 8000".into(),
            content: "小区垃圾三天没人清运".into(),
            address: "幸福路8号".into(),
            ..Default::default()
        };
        let m = f.into_matter(Channel::Web, "AWB", now).unwrap();
        assert_eq!(m.channel, Channel::Web);
        assert_eq!(m.matter_type, MatterType::Complaint);
        assert_eq!(m.caller.name.as_deref(), Some("王五"));
        assert_eq!(m.department.as_deref(), Some("AWB"));
        assert_eq!(
            m.resolution,
            crate::intake::Resolution::ReplyBy(now + Duration::days(REPLY_DAYS))
        );
        let bad = FilingRequest {
            matter_type: "other".into(),
            phone: "12".into(),
            ..Default::default()
        }
        .into_matter(Channel::Web, "AWB", now)
        .unwrap_err();
        let fields: Vec<&str> = bad.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["type", "name", "phone", "content"]);
    }

    #[test]
    fn query_codes_read_aloud_and_typed_back() {
        let c = query_code([0, 1, 30, 31, 255, 7, 8, 9]);
        assert_eq!(c.len(), CODE_LEN);
        assert_eq!(typed_code(&c.to_lowercase()), Some(c.clone()));
        assert_eq!(typed_code("abcd-efgh"), Some("ABCDEFGH".into()));
        assert_eq!(typed_code("ABCD EFG0"), None, "no zero");
        assert_eq!(typed_code("ABC"), None);
    }

    #[test]
    fn the_public_sees_replies_but_no_internal_text() {
        assert!(told_to_caller(EventKind::Replied, "answer"));
        assert!(told_to_caller(EventKind::FeedbackGiven, "content"));
        assert!(!told_to_caller(EventKind::InputProvided, "text"));
        assert!(!told_to_caller(EventKind::ArrivedOnSite, "findings"));
        assert!(!told_to_caller(EventKind::Returned, "reason"));
        assert_eq!(stage(MatterStatus::Received), PublicStage::Review);
        assert_eq!(stage(MatterStatus::Rectifying), PublicStage::Handling);
    }
}

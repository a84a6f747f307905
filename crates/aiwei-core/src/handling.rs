//! Requests to move a matter through its flow, as the API and the pages
//! deliver them, and the rules that turn them into a flow [`Action`] plus
//! what to record.
//!
//! Free text (findings, measures, results, reasons, answers) is kept apart
//! from the structured payload: the store writes the texts next to the event
//! and puts only their digests into the hash-chained payload, as it does for
//! intake.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::{ErrorCode, FieldErrors, bounded_text};
use crate::flow::Action;
use crate::ids::DepartmentCode;
use crate::intake::{CLOCK_SKEW, MAX_AHEAD, MAX_TEXT};
use crate::kinds::MatterType;
use crate::kinds::{ReplyChannel, Satisfaction};

/// One step of a matter's flow. `action` selects the step.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionRequest {
    /// Change the type (and sub-category) before dispatch.
    Reclassify {
        #[serde(rename = "type")]
        #[cfg_attr(feature = "openapi", schema(value_type = MatterType))]
        to: String,
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::category_code))]
        category: Option<String>,
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::optional_text))]
        reason: Option<String>,
    },
    /// Send a complaint or other matter to a lead department and optional
    /// co-handling departments (R-3.3: notified at once).
    Dispatch {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::department_code))]
        lead: String,
        #[serde(default)]
        co: Vec<String>,
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::optional_text))]
        note: Option<String>,
    },
    /// Ask departments for input on a consultation.
    Coordinate {
        #[cfg_attr(feature = "openapi", schema(min_items = 1))]
        departments: Vec<String>,
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::optional_text))]
        question: Option<String>,
    },
    /// A coordinating department's input.
    ProvideInput {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::required_text))]
        text: String,
    },
    /// Answer the caller of a consultation.
    Reply {
        channel: ReplyChannel,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::required_text))]
        answer: String,
    },
    /// The lead department signs for the matter (签收).
    SignFor {
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::optional_text))]
        note: Option<String>,
    },
    /// A supervisor urges the lead department on (催办), with a note.
    Urge {
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::optional_text))]
        note: Option<String>,
    },
    /// A handler asks the department's lead to return it (申请退回), with
    /// the reason.
    AskReturn {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::required_text))]
        reason: String,
    },
    /// The lead department returns it to intake (退回), with the reason.
    Return {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::required_text))]
        reason: String,
    },
    /// Arrival on site: when, who, and the findings of the investigation.
    Arrive {
        arrived_at: DateTime<Utc>,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::required_text))]
        who: String,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::required_text))]
        findings: String,
    },
    /// Rectification measures and the planned completion.
    Plan {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::required_text))]
        measures: String,
        planned_completion: DateTime<Utc>,
    },
    /// A progress report during rectification.
    ReportProgress {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::required_text))]
        text: String,
    },
    /// Rectification done, with the result.
    Complete {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::required_text))]
        result: String,
    },
    /// The result of an `other` matter.
    RecordResult {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::required_text))]
        result: String,
    },
    /// Feedback to the caller: what was done, the measures, the
    /// result.
    Feedback {
        channel: ReplyChannel,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::required_text))]
        content: String,
    },
    /// The revisit (回访): satisfaction and the caller's words; `cause` is
    /// required when the caller is not satisfied (the matter is redone).
    Revisit {
        satisfaction: Satisfaction,
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::optional_text))]
        words: Option<String>,
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::optional_text))]
        cause: Option<String>,
    },
    /// Submit a suggestion to the leading group.
    Submit {
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::optional_text))]
        note: Option<String>,
    },
    /// The leading group's decision; `opinion` is the reason when not
    /// adopted.
    Evaluate {
        adopted: bool,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::required_text))]
        opinion: String,
    },
    /// An adopted suggestion has been implemented.
    Implemented {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::required_text))]
        result: String,
    },
    /// The proposer was told the outcome, and how.
    Tell {
        channel: ReplyChannel,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::required_text))]
        content: String,
    },
    /// Correct the answer of a closed consultation: the right answer, how
    /// the caller was told, and why the first was wrong.
    CorrectAnswer {
        channel: ReplyChannel,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::required_text))]
        answer: String,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::required_text))]
        reason: String,
    },
    /// The caller was told of a change, such as a reply time moved by an
    /// approved extension.
    InformCaller {
        channel: ReplyChannel,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::required_text))]
        content: String,
    },
}

/// A checked request: the flow action, the structured payload for the
/// event, and the free texts to store beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub action: Action,
    pub payload: Map<String, Value>,
    pub texts: Vec<(&'static str, String)>,
    /// A new sub-category (reclassification).
    pub category: Option<String>,
}

fn text(
    errs: &mut FieldErrors,
    texts: &mut Vec<(&'static str, String)>,
    field: &'static str,
    raw: Option<&str>,
    required: bool,
) {
    if let Some(Some(t)) = errs.take(bounded_text(field, raw, MAX_TEXT, required)) {
        texts.push((field, t));
    }
}

fn departments(errs: &mut FieldErrors, field: &str, raw: &[String]) -> Vec<String> {
    raw.iter()
        .filter_map(|d| {
            errs.take(DepartmentCode::parse(d).map_err(|mut e| {
                e.field = field.to_owned();
                e
            }))
        })
        .map(|d| d.to_string())
        .collect()
}

impl ActionRequest {
    /// Applies the rules of each step. `now` is the server's clock.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<Step, FieldErrors> {
        let mut errs = FieldErrors::default();
        let mut texts = Vec::new();
        let mut payload = Map::new();
        let mut category = None;
        let action = match self {
            ActionRequest::Reclassify {
                to,
                category: c,
                reason,
            } => {
                text(&mut errs, &mut texts, "reason", reason.as_deref(), false);
                category = c.clone();
                let to = errs.take(MatterType::parse(to));
                if let Some(t) = to {
                    payload.insert("type".into(), json!(t));
                    payload.insert("category".into(), json!(category));
                }
                to.map(|to| Action::Reclassify { to })
            }
            ActionRequest::Dispatch { lead, co, note } => {
                text(&mut errs, &mut texts, "note", note.as_deref(), false);
                let lead = departments(&mut errs, "lead", std::slice::from_ref(lead));
                let co = departments(&mut errs, "co", co);
                payload.insert("lead".into(), json!(lead.first()));
                payload.insert("co".into(), json!(co));
                lead.into_iter()
                    .next()
                    .map(|lead| Action::Dispatch { lead, co })
            }
            ActionRequest::Coordinate {
                departments: ds,
                question,
            } => {
                text(
                    &mut errs,
                    &mut texts,
                    "question",
                    question.as_deref(),
                    false,
                );
                let ds = departments(&mut errs, "departments", ds);
                if ds.is_empty() && self.is_empty_departments() {
                    errs.push("departments", ErrorCode::Required);
                }
                payload.insert("departments".into(), json!(ds));
                Some(Action::Coordinate { departments: ds })
            }
            ActionRequest::ProvideInput { text: t } => {
                text(&mut errs, &mut texts, "text", Some(t), true);
                Some(Action::ProvideInput)
            }
            ActionRequest::Reply { channel, answer } => {
                text(&mut errs, &mut texts, "answer", Some(answer), true);
                payload.insert("channel".into(), json!(channel));
                Some(Action::Reply)
            }
            ActionRequest::CorrectAnswer {
                channel,
                answer,
                reason,
            } => {
                text(&mut errs, &mut texts, "answer", Some(answer), true);
                text(&mut errs, &mut texts, "reason", Some(reason), true);
                payload.insert("channel".into(), json!(channel));
                Some(Action::CorrectAnswer)
            }
            ActionRequest::SignFor { note } => {
                text(&mut errs, &mut texts, "note", note.as_deref(), false);
                Some(Action::SignFor)
            }
            ActionRequest::Urge { note } => {
                text(&mut errs, &mut texts, "note", note.as_deref(), false);
                Some(Action::Urge)
            }
            ActionRequest::AskReturn { reason } => {
                text(&mut errs, &mut texts, "reason", Some(reason), true);
                Some(Action::AskReturn)
            }
            ActionRequest::Return { reason } => {
                text(&mut errs, &mut texts, "reason", Some(reason), true);
                Some(Action::Return)
            }
            ActionRequest::Arrive {
                arrived_at,
                who,
                findings,
            } => {
                if *arrived_at > now + CLOCK_SKEW {
                    errs.push("arrived_at", ErrorCode::InFuture);
                } else if *arrived_at < now - MAX_AHEAD {
                    errs.push("arrived_at", ErrorCode::TooOld);
                }
                text(&mut errs, &mut texts, "who", Some(who), true);
                text(&mut errs, &mut texts, "findings", Some(findings), true);
                payload.insert("arrived_at".into(), json!(arrived_at.timestamp_millis()));
                Some(Action::Arrive)
            }
            ActionRequest::Plan {
                measures,
                planned_completion,
            } => {
                text(&mut errs, &mut texts, "measures", Some(measures), true);
                if *planned_completion <= now {
                    errs.push("planned_completion", ErrorCode::NotInFuture);
                } else if *planned_completion > now + MAX_AHEAD {
                    errs.push("planned_completion", ErrorCode::TooFar);
                }
                payload.insert(
                    "planned_completion".into(),
                    json!(planned_completion.timestamp_millis()),
                );
                Some(Action::Plan)
            }
            ActionRequest::ReportProgress { text: t } => {
                text(&mut errs, &mut texts, "text", Some(t), true);
                Some(Action::ReportProgress)
            }
            ActionRequest::Complete { result } => {
                text(&mut errs, &mut texts, "result", Some(result), true);
                Some(Action::Complete)
            }
            ActionRequest::RecordResult { result } => {
                text(&mut errs, &mut texts, "result", Some(result), true);
                Some(Action::RecordResult)
            }
            ActionRequest::Feedback { channel, content }
            | ActionRequest::Tell { channel, content }
            | ActionRequest::InformCaller { channel, content } => {
                text(&mut errs, &mut texts, "content", Some(content), true);
                payload.insert("channel".into(), json!(channel));
                Some(match self {
                    ActionRequest::Feedback { .. } => Action::Feedback,
                    ActionRequest::Tell { .. } => Action::Tell,
                    _ => Action::InformCaller,
                })
            }
            ActionRequest::Revisit {
                satisfaction,
                words,
                cause,
            } => {
                text(&mut errs, &mut texts, "words", words.as_deref(), false);
                text(
                    &mut errs,
                    &mut texts,
                    "cause",
                    cause.as_deref(),
                    !satisfaction.accepts(),
                );
                payload.insert("satisfaction".into(), json!(satisfaction));
                Some(Action::Revisit {
                    satisfaction: *satisfaction,
                })
            }
            ActionRequest::Submit { note } => {
                text(&mut errs, &mut texts, "note", note.as_deref(), false);
                Some(Action::Submit)
            }
            ActionRequest::Evaluate { adopted, opinion } => {
                text(&mut errs, &mut texts, "opinion", Some(opinion), true);
                payload.insert("adopted".into(), json!(adopted));
                Some(Action::Evaluate { adopted: *adopted })
            }
            ActionRequest::Implemented { result } => {
                text(&mut errs, &mut texts, "result", Some(result), true);
                Some(Action::Implemented)
            }
        };
        match (action, errs.is_empty()) {
            (Some(action), true) => Ok(Step {
                action,
                payload,
                texts,
                category,
            }),
            _ => Err(errs),
        }
    }

    fn is_empty_departments(&self) -> bool {
        matches!(self, ActionRequest::Coordinate { departments, .. } if departments.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-27T06:00:00Z".parse().unwrap()
    }

    fn parse(v: Value) -> Result<Step, Vec<(String, ErrorCode)>> {
        let r: ActionRequest = serde_json::from_value(v).unwrap();
        r.validate(now())
            .map_err(|e| e.0.into_iter().map(|f| (f.field, f.code)).collect())
    }

    #[test]
    fn dispatch_normalises_department_codes() {
        let s = parse(json!({"action": "dispatch", "lead": "hjws", "co": ["wygl"]})).unwrap();
        assert_eq!(
            s.action,
            Action::Dispatch {
                lead: "HJWS".into(),
                co: vec!["WYGL".into()]
            }
        );
        assert_eq!(
            parse(json!({"action": "dispatch", "lead": "环境"})).unwrap_err(),
            vec![("lead".into(), ErrorCode::InvalidCode)]
        );
    }

    #[test]
    fn texts_are_required_where_the_regulation_needs_them() {
        assert_eq!(
            parse(json!({"action": "return", "reason": " "})).unwrap_err(),
            vec![("reason".into(), ErrorCode::Required)]
        );
        assert_eq!(
            parse(json!({"action": "revisit", "satisfaction": "dissatisfied"})).unwrap_err(),
            vec![("cause".into(), ErrorCode::Required)]
        );
        let ok = parse(
            json!({"action": "revisit", "satisfaction": "satisfied", "words": "处理得很及时"}),
        )
        .unwrap();
        assert_eq!(ok.texts, vec![("words", "处理得很及时".to_owned())]);
        assert_eq!(ok.payload["satisfaction"], "satisfied");
    }

    #[test]
    fn times_are_checked() {
        assert_eq!(
            parse(json!({"action": "arrive", "arrived_at": "2026-11-28T06:00:00Z", "who": "张伟", "findings": "属实"}))
                .unwrap_err(),
            vec![("arrived_at".into(), ErrorCode::InFuture)]
        );
        assert_eq!(
            parse(json!({"action": "plan", "measures": "清运", "planned_completion": "2026-11-26T06:00:00Z"})).unwrap_err(),
            vec![("planned_completion".into(), ErrorCode::NotInFuture)]
        );
    }

    #[test]
    fn coordination_needs_departments() {
        assert_eq!(
            parse(json!({"action": "coordinate", "departments": []})).unwrap_err(),
            vec![("departments".into(), ErrorCode::Required)]
        );
    }

    #[test]
    fn unknown_actions_and_fields_do_not_parse() {
        assert!(serde_json::from_value::<ActionRequest>(json!({"action": "approve"})).is_err());
        assert!(
            serde_json::from_value::<ActionRequest>(json!({"action": "sign_for", "x": 1})).is_err()
        );
    }
}

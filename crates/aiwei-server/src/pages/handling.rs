//! The step forms on the matter page: which steps the viewer may take now,
//! and turning a posted step form into the API's [`ActionRequest`].

use aiwei_core::flow::{self, Action, Actor, MatterState, Satisfaction};
use aiwei_core::handling::ActionRequest;
use aiwei_core::time::china;
use aiwei_core::{FieldError, MatterType};
use aiwei_store::departments::Department;
use aiwei_store::matters::Matter;
use aiwei_store::users::User;
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::intake::CategoryOption;
use crate::error::ApiError;

/// How a form field is drawn.
pub enum Kind {
    Text,
    Textarea,
    DateTime,
    Select(Vec<(String, String)>),
    Multi(Vec<(String, String)>),
}

pub struct FieldSpec {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub value: String,
    pub required: bool,
}

impl FieldSpec {
    pub fn is_textarea(&self) -> bool {
        matches!(self.kind, Kind::Textarea)
    }
    pub fn is_datetime(&self) -> bool {
        matches!(self.kind, Kind::DateTime)
    }
    pub fn options(&self) -> &[(String, String)] {
        match &self.kind {
            Kind::Select(o) | Kind::Multi(o) => o,
            _ => &[],
        }
    }
    pub fn is_select(&self) -> bool {
        matches!(self.kind, Kind::Select(_))
    }
    pub fn is_multi(&self) -> bool {
        matches!(self.kind, Kind::Multi(_))
    }
}

/// One step the viewer may take.
pub struct StepForm {
    pub code: &'static str,
    pub label: &'static str,
    pub fields: Vec<FieldSpec>,
}

fn f(name: &'static str, label: &'static str, kind: Kind, required: bool) -> FieldSpec {
    FieldSpec {
        name,
        label,
        kind,
        value: String::new(),
        required,
    }
}

fn channels() -> Vec<(String, String)> {
    [
        ("phone", "电话回复"),
        ("written", "书面回复"),
        ("in_person", "当面沟通"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect()
}

/// The steps `user` may take on `m` now, as forms.
pub fn available(
    m: &Matter,
    user: &User,
    departments: &[Department],
    categories: &[CategoryOption],
) -> Vec<StepForm> {
    let state = MatterState {
        matter_type: m.matter_type,
        status: m.status,
        lead: m.lead_department.clone(),
        co: m.co_departments.clone(),
    };
    let actor = Actor {
        roles: &user.roles,
        departments: &user.departments,
    };
    let depts: Vec<(String, String)> = departments
        .iter()
        .map(|d| (d.code.clone(), d.name.clone()))
        .collect();
    let now_local = Utc::now()
        .with_timezone(&china())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let other_type = if m.matter_type == MatterType::Complaint {
        MatterType::Other
    } else {
        MatterType::Complaint
    };
    let candidates: Vec<(Action, StepForm)> = vec![
        (
            Action::Reclassify { to: other_type },
            StepForm {
                code: "reclassify",
                label: "更改分类",
                fields: vec![
                    f(
                        "type",
                        "事项类型",
                        Kind::Select(
                            MatterType::ALL
                                .iter()
                                .map(|t| {
                                    (
                                        t.as_str().to_owned(),
                                        crate::messages::zh(t.as_str()).to_owned(),
                                    )
                                })
                                .collect(),
                        ),
                        true,
                    ),
                    f(
                        "category",
                        "子类别",
                        Kind::Select(
                            std::iter::once((String::new(), "（无）".to_owned()))
                                .chain(categories.iter().map(|c| (c.code.clone(), c.label.clone())))
                                .collect(),
                        ),
                        false,
                    ),
                    f("reason", "原因", Kind::Textarea, false),
                ],
            },
        ),
        (
            Action::Dispatch {
                lead: "X".into(),
                co: vec![],
            },
            StepForm {
                code: "dispatch",
                label: "派单",
                fields: vec![
                    f("lead", "主办部门", Kind::Select(depts.clone()), true),
                    f("co", "协办部门", Kind::Multi(depts.clone()), false),
                    f("note", "派单说明", Kind::Textarea, false),
                ],
            },
        ),
        (
            Action::Coordinate {
                departments: vec!["X".into()],
            },
            StepForm {
                code: "coordinate",
                label: "请求部门协办",
                fields: vec![
                    f("departments", "协办部门", Kind::Multi(depts.clone()), true),
                    f("question", "需协办的问题", Kind::Textarea, false),
                ],
            },
        ),
        (
            Action::ProvideInput,
            StepForm {
                code: "provide_input",
                label: "提供部门意见",
                fields: vec![f("text", "意见", Kind::Textarea, true)],
            },
        ),
        (
            Action::Reply,
            StepForm {
                code: "reply",
                label: "答复来电人",
                fields: vec![
                    f("channel", "答复方式", Kind::Select(channels()), true),
                    f("answer", "答复内容", Kind::Textarea, true),
                ],
            },
        ),
        (
            Action::SignFor,
            StepForm {
                code: "sign_for",
                label: "签收",
                fields: vec![f("note", "备注", Kind::Text, false)],
            },
        ),
        (
            Action::Return,
            StepForm {
                code: "return",
                label: "退回",
                fields: vec![f("reason", "退回原因", Kind::Textarea, true)],
            },
        ),
        (
            Action::Arrive,
            StepForm {
                code: "arrive",
                label: "到场核查",
                fields: vec![
                    FieldSpec {
                        value: now_local.clone(),
                        ..f("arrived_at", "到场时间", Kind::DateTime, true)
                    },
                    FieldSpec {
                        value: user.display_name.clone(),
                        ..f("who", "到场人员", Kind::Text, true)
                    },
                    f("findings", "核查情况", Kind::Textarea, true),
                ],
            },
        ),
        (
            Action::Plan,
            StepForm {
                code: "plan",
                label: "制定整改措施",
                fields: vec![
                    f("measures", "整改措施", Kind::Textarea, true),
                    f("planned_completion", "计划完成时间", Kind::DateTime, true),
                ],
            },
        ),
        (
            Action::ReportProgress,
            StepForm {
                code: "report_progress",
                label: "汇报整改进展",
                fields: vec![f("text", "进展情况", Kind::Textarea, true)],
            },
        ),
        (
            Action::Complete,
            StepForm {
                code: "complete",
                label: "整改完成",
                fields: vec![f("result", "整改结果", Kind::Textarea, true)],
            },
        ),
        (
            Action::RecordResult,
            StepForm {
                code: "record_result",
                label: "记录办理结果",
                fields: vec![f("result", "办理结果", Kind::Textarea, true)],
            },
        ),
        (
            Action::Feedback,
            StepForm {
                code: "feedback",
                label: "反馈来电人",
                fields: vec![
                    f("channel", "反馈方式", Kind::Select(channels()), true),
                    f(
                        "content",
                        "反馈内容（处理情况、整改措施、整改结果）",
                        Kind::Textarea,
                        true,
                    ),
                ],
            },
        ),
        (
            Action::Revisit {
                satisfaction: Satisfaction::Satisfied,
            },
            StepForm {
                code: "revisit",
                label: "回访",
                fields: vec![
                    f(
                        "satisfaction",
                        "满意度",
                        Kind::Select(
                            [
                                ("very_satisfied", "非常满意"),
                                ("satisfied", "满意"),
                                ("fairly_satisfied", "基本满意"),
                                ("dissatisfied", "不满意（重办）"),
                                ("very_dissatisfied", "非常不满意（重办）"),
                            ]
                            .iter()
                            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                            .collect(),
                        ),
                        true,
                    ),
                    f("words", "来电人意见", Kind::Textarea, false),
                    f("cause", "不满意原因（不满意时必填）", Kind::Textarea, false),
                ],
            },
        ),
        (
            Action::Submit,
            StepForm {
                code: "submit",
                label: "提交领导小组",
                fields: vec![f("note", "说明", Kind::Textarea, false)],
            },
        ),
        (
            Action::Evaluate { adopted: true },
            StepForm {
                code: "evaluate",
                label: "评估建议",
                fields: vec![
                    f(
                        "adopted",
                        "结论",
                        Kind::Select(vec![
                            ("true".into(), "采纳".into()),
                            ("false".into(), "不予采纳".into()),
                        ]),
                        true,
                    ),
                    f(
                        "opinion",
                        "评估意见（不采纳时写明原因）",
                        Kind::Textarea,
                        true,
                    ),
                ],
            },
        ),
        (
            Action::Implemented,
            StepForm {
                code: "implemented",
                label: "实施完成",
                fields: vec![f("result", "实施结果", Kind::Textarea, true)],
            },
        ),
        (
            Action::Tell,
            StepForm {
                code: "tell",
                label: "告知建议人",
                fields: vec![
                    f("channel", "告知方式", Kind::Select(channels()), true),
                    f("content", "告知内容", Kind::Textarea, true),
                ],
            },
        ),
    ];
    let mut candidates = candidates;
    // Reclassification is the exception, not the next step: list it last
    // so the form that opens first is the flow's own next step.
    candidates.rotate_left(1);
    if m.caller_to_be_told {
        candidates.insert(
            0,
            (
                Action::InformCaller,
                StepForm {
                    code: "inform_caller",
                    label: "告知来电人（回复时间已延期）",
                    fields: vec![
                        f("channel", "告知方式", Kind::Select(channels()), true),
                        f("content", "告知内容", Kind::Textarea, true),
                    ],
                },
            ),
        );
    }
    candidates
        .into_iter()
        .filter(|(a, _)| flow::decide(&state, &actor, a).is_ok())
        .map(|(_, form)| form)
        .collect()
}

/// A posted step form as the API's request. Repeated keys (`co`,
/// `departments`) become lists; `datetime-local` values are local time.
pub fn to_request(pairs: &[(String, String)]) -> Result<ActionRequest, ApiError> {
    let mut obj = Map::new();
    for (k, v) in pairs {
        let v = v.trim();
        match k.as_str() {
            "csrf" => {}
            "co" | "departments" => {
                let list = obj.entry(k.clone()).or_insert_with(|| json!([]));
                if let (Value::Array(a), false) = (list, v.is_empty()) {
                    a.push(json!(v));
                }
            }
            "adopted" => {
                obj.insert(k.clone(), json!(v == "true"));
            }
            "arrived_at" | "planned_completion" => {
                let parsed = super::intake::parse_local(v).ok_or_else(|| {
                    ApiError::invalid_field(FieldError::new(k.clone(), "invalid_date"))
                })?;
                obj.insert(k.clone(), json!(parsed.to_rfc3339()));
            }
            _ if v.is_empty() => {}
            _ => {
                obj.insert(k.clone(), json!(v));
            }
        }
    }
    if matches!(
        obj.get("action").and_then(Value::as_str),
        Some("coordinate")
    ) && !obj.contains_key("departments")
    {
        obj.insert("departments".into(), json!([]));
    }
    serde_json::from_value(Value::Object(obj)).map_err(|e| {
        let msg = e.to_string();
        let field = msg.split('`').nth(1).unwrap_or("action").to_owned();
        ApiError::invalid_field(FieldError::new(field, "required"))
    })
}

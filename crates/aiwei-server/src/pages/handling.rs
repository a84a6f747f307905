//! The step forms on the matter page: which steps the viewer may take now,
//! and turning a posted step form into the API's [`ActionRequest`].

use aiwei_core::flow::{self, ActionKind};
use aiwei_core::handling::ActionRequest;
use aiwei_core::time::china;
use aiwei_core::{ErrorCode, FieldError, MatterType, ReplyChannel, Satisfaction};
use aiwei_store::departments::Department;
use aiwei_store::matters::Matter;
use aiwei_store::users::User;
use chrono::{DateTime, Utc};
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
    /// The chosen options of a select (what was posted, when the form comes
    /// back refused).
    pub selected: Vec<String>,
    /// A hint shown in the empty field.
    pub placeholder: String,
    pub required: bool,
    /// Why the posted value was refused, shown beside the field.
    pub error: Option<String>,
}

impl FieldSpec {
    pub fn is_selected(&self, option: &str) -> bool {
        self.selected.iter().any(|s| s == option)
    }
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
    /// Why a field comes preselected (dispatch by routing default).
    pub hint: Option<String>,
    /// The form was posted and refused: it is shown open, with what was
    /// typed, and `error` says why when no field of the form is to blame.
    pub refused: bool,
    pub error: Option<String>,
}

impl StepForm {
    /// Puts back what was posted to this form, and the refusal beside the
    /// field it names (or above the form).
    pub fn refill(&mut self, posted: &[(String, String)], field: Option<&str>, message: String) {
        self.refused = true;
        for fl in &mut self.fields {
            let values: Vec<String> = posted
                .iter()
                .filter(|(k, _)| k == fl.name)
                .map(|(_, v)| v.clone())
                .collect();
            match fl.kind {
                Kind::Select(_) | Kind::Multi(_) => fl.selected = values,
                _ => fl.value = values.into_iter().next().unwrap_or_default(),
            }
        }
        match self.fields.iter_mut().find(|fl| Some(fl.name) == field) {
            Some(fl) => fl.error = Some(message),
            None => self.error = Some(message),
        }
    }
}

fn f(name: &'static str, label: &'static str, kind: Kind, required: bool) -> FieldSpec {
    FieldSpec {
        name,
        label,
        kind,
        value: String::new(),
        selected: Vec::new(),
        placeholder: String::new(),
        required,
        error: None,
    }
}

fn channels() -> Vec<(String, String)> {
    ReplyChannel::ALL
        .iter()
        .map(|c| (c.as_str().to_owned(), c.label().to_owned()))
        .collect()
}

/// The form of one step.
fn form(
    kind: ActionKind,
    m: &Matter,
    user: &User,
    now_local: &str,
    depts: &[(String, String)],
    categories: &[CategoryOption],
) -> StepForm {
    use ActionKind as A;
    let fields = match kind {
        A::Reclassify => vec![
            f(
                "type",
                "事项类型",
                Kind::Select(
                    MatterType::ALL
                        .iter()
                        .filter(|t| **t != m.matter_type)
                        .map(|t| (t.as_str().to_owned(), t.label().to_owned()))
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
        A::Dispatch => {
            // The sub-category's routing default, preselected.
            let route = m
                .category
                .as_deref()
                .and_then(|c| categories.iter().find(|o| o.code == c))
                .and_then(|o| o.route.clone());
            vec![
                FieldSpec {
                    selected: route.iter().map(|r| r.lead.clone()).collect(),
                    ..f("lead", "主办部门", Kind::Select(depts.to_vec()), true)
                },
                FieldSpec {
                    selected: route.iter().flat_map(|r| r.co.clone()).collect(),
                    ..f("co", "协办部门", Kind::Multi(depts.to_vec()), false)
                },
                f("note", "派单说明", Kind::Textarea, false),
            ]
        }
        A::Coordinate => vec![
            f("departments", "协办部门", Kind::Multi(depts.to_vec()), true),
            f("question", "需协办的问题", Kind::Textarea, false),
        ],
        A::ProvideInput => vec![f("text", "意见", Kind::Textarea, true)],
        A::Reply => vec![
            f("channel", "答复方式", Kind::Select(channels()), true),
            f("answer", "答复内容", Kind::Textarea, true),
        ],
        A::CorrectAnswer => vec![
            f("channel", "告知方式", Kind::Select(channels()), true),
            f("answer", "更正后的答复", Kind::Textarea, true),
            f("reason", "更正原因（原答复哪里有误）", Kind::Textarea, true),
        ],
        A::SignFor => vec![f("note", "备注", Kind::Text, false)],
        A::Urge => vec![f("note", "催办说明", Kind::Textarea, false)],
        A::AskReturn => vec![f(
            "reason",
            "申请退回的原因（提交后由科室负责人决定是否退回）",
            Kind::Textarea,
            true,
        )],
        A::Return => vec![f("reason", "退回原因", Kind::Textarea, true)],
        A::Arrive => vec![
            FieldSpec {
                value: now_local.to_owned(),
                ..f("arrived_at", "到场时间", Kind::DateTime, true)
            },
            // A hint, not a value: typing must not append to a name.
            FieldSpec {
                placeholder: format!("如：{}、王师傅", user.display_name),
                ..f("who", "到场人员", Kind::Text, true)
            },
            f("findings", "核查情况", Kind::Textarea, true),
        ],
        A::Plan => vec![
            f("measures", "整改措施", Kind::Textarea, true),
            f("planned_completion", "计划完成时间", Kind::DateTime, true),
        ],
        A::ReportProgress => vec![f("text", "进展情况", Kind::Textarea, true)],
        A::Complete => vec![f("result", "整改结果", Kind::Textarea, true)],
        A::RecordResult => vec![f("result", "办理结果", Kind::Textarea, true)],
        A::Feedback => vec![
            f("channel", "反馈方式", Kind::Select(channels()), true),
            f(
                "content",
                "反馈内容（处理情况、整改措施、整改结果）",
                Kind::Textarea,
                true,
            ),
        ],
        A::Revisit => vec![
            f(
                "satisfaction",
                "满意度",
                Kind::Select(
                    Satisfaction::ALL
                        .iter()
                        .map(|s| {
                            let label = if s.accepts() {
                                s.label().to_owned()
                            } else {
                                format!("{}（重办）", s.label())
                            };
                            (s.as_str().to_owned(), label)
                        })
                        .collect(),
                ),
                true,
            ),
            f("words", "来电人意见", Kind::Textarea, false),
            f("cause", "不满意原因（不满意时必填）", Kind::Textarea, false),
        ],
        A::Submit => vec![f("note", "说明", Kind::Textarea, false)],
        A::Evaluate => vec![
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
        A::Implemented => vec![f("result", "实施结果", Kind::Textarea, true)],
        A::Tell => vec![
            f("channel", "告知方式", Kind::Select(channels()), true),
            f("content", "告知内容", Kind::Textarea, true),
        ],
        A::InformCaller => vec![
            f("channel", "告知方式", Kind::Select(channels()), true),
            f("content", "告知内容", Kind::Textarea, true),
        ],
    };
    let hint = (kind == A::Dispatch)
        .then(|| {
            let c = m.category.as_deref()?;
            let o = categories.iter().find(|o| o.code == c)?;
            let r = o.route.as_ref()?;
            Some(format!(
                "已按子类别“{}”的默认派单设置预选主办部门“{}”，可修改。",
                r.from, r.lead_name
            ))
        })
        .flatten();
    StepForm {
        code: kind.as_str(),
        label: kind.label(),
        fields,
        hint,
        refused: false,
        error: None,
    }
}

/// The steps `user` may take on `m` now ([`flow::allowed`]), as forms:
/// telling the caller of a moved reply time first, the flow's own steps in
/// their order, and reclassification, the exception, last.
pub fn available(
    m: &Matter,
    user: &User,
    now: DateTime<Utc>,
    departments: &[Department],
    categories: &[CategoryOption],
) -> Vec<StepForm> {
    let depts: Vec<(String, String)> = departments
        .iter()
        .map(|d| (d.code.clone(), d.name.clone()))
        .collect();
    let now_local = now
        .with_timezone(&china())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let mut kinds = flow::allowed(&m.flow_state(), &user.actor());
    kinds.sort_by_key(|k| match k {
        ActionKind::InformCaller => 0,
        ActionKind::Reclassify => 2,
        _ => 1,
    });
    kinds
        .into_iter()
        .map(|k| form(k, m, user, &now_local, &depts, categories))
        .collect()
}

/// A posted step form as the API's request. Repeated keys (`co`,
/// `departments`) become lists; `datetime-local` values are local time.
pub fn to_request(pairs: &[(String, String)]) -> Result<ActionRequest, ApiError> {
    let mut obj = Map::new();
    for (k, v) in pairs {
        let v = v.trim();
        match k.as_str() {
            "csrf" | "attempt" | "back" => {}
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
                let code = if v.is_empty() {
                    ErrorCode::Required
                } else {
                    ErrorCode::InvalidDateTime
                };
                let parsed = super::intake::parse_local(v)
                    .ok_or_else(|| ApiError::invalid_field(FieldError::new(k.clone(), code)))?;
                obj.insert(k.clone(), json!(parsed.to_rfc3339()));
            }
            _ if v.is_empty() => {}
            _ => {
                obj.insert(k.clone(), json!(v));
            }
        }
    }
    if obj.get("action").and_then(Value::as_str) == Some(ActionKind::Coordinate.as_str())
        && !obj.contains_key("departments")
    {
        obj.insert("departments".into(), json!([]));
    }
    serde_json::from_value(Value::Object(obj)).map_err(|e| {
        let msg = e.to_string();
        let field = msg.split('`').nth(1).unwrap_or("action").to_owned();
        ApiError::invalid_field(FieldError::new(field, ErrorCode::Required))
    })
}

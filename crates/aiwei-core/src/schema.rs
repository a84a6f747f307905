//! The JSON Schema of the inputs this crate checks, built from the same
//! constants as the checks, so the API document states exactly what the
//! server accepts: a value the schema allows passes the field's own rule,
//! and a value it forbids is refused. Rules across fields, about time or
//! about what exists (a department, a category) are stated in the
//! descriptions; the checks enforce them with 422.
//!
//! Only with the `openapi` feature.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, Object, ObjectBuilder, OneOfBuilder, Schema, SchemaType,
    Type,
};
use utoipa::{PartialSchema, ToSchema};

use crate::deadline::{DeadlineKind, MAX_LIMIT, Policy, WARN_FRACTION};
use crate::error::{MAX_REASON, MIN_REASON, REFUSED_CONTROLS};
use crate::ids::{MAX_DEPARTMENT_CODE, USERNAME_LEN};
use crate::intake::{AREA_CODE_LEN, MAX_ADDRESS, MAX_CATEGORY, MAX_NAME, MAX_TEXT};
use crate::kinds::MatterType;
use crate::phone::MAX_PHONE_INPUT;

/// A text pattern: no refused control character, and at least `solid`
/// characters that are not blank (surrounding blanks are dropped, so a
/// text of blanks counts as empty).
pub fn text_pattern(solid: usize) -> String {
    let any = format!("[^{REFUSED_CONTROLS}]*");
    let mut p = format!("^{any}");
    for _ in 0..solid {
        p.push_str(&format!("[^{REFUSED_CONTROLS}\\s]{any}"));
    }
    p.push('$');
    p
}

fn string(nullable: bool) -> ObjectBuilder {
    let ty = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    };
    ObjectBuilder::new().schema_type(ty)
}

fn text(max: usize, solid: usize, nullable: bool) -> Object {
    string(nullable)
        .min_length((solid > 0).then_some(solid))
        .max_length(Some(max))
        .pattern(Some(text_pattern(solid)))
        .build()
}

/// A required free text (findings, measures, answers…).
pub fn required_text() -> Object {
    text(MAX_TEXT, 1, false)
}

/// An optional free text; blanks only count as absent.
pub fn optional_text() -> Object {
    text(MAX_TEXT, 0, true)
}

/// An optional name (caller, organisation).
pub fn optional_name() -> Object {
    text(MAX_NAME, 0, true)
}

/// An optional address.
pub fn optional_address() -> Object {
    text(MAX_ADDRESS, 0, true)
}

/// Why something is asked or decided: 2–500 characters.
pub fn reason() -> Object {
    text(MAX_REASON, MIN_REASON, false)
}

/// A phone number as typed. Its structure (a mainland mobile or fixed
/// line, or `+` and an international number) is checked by the server.
pub fn phone() -> Object {
    string(false)
        .min_length(Some(1))
        .max_length(Some(MAX_PHONE_INPUT))
        .build()
}

fn department_code_pattern() -> String {
    format!("^[A-Za-z0-9_-]{{1,{MAX_DEPARTMENT_CODE}}}$")
}

fn category_code_pattern() -> String {
    format!("^[A-Za-z0-9_.]{{1,{MAX_CATEGORY}}}$")
}

fn area_code_pattern() -> String {
    format!("^[0-9]{{{AREA_CODE_LEN}}}$")
}

/// A user name as the API takes it; case does not matter.
pub fn username_pattern() -> String {
    format!(
        "^[A-Za-z0-9._-]{{{},{}}}$",
        USERNAME_LEN.start(),
        USERNAME_LEN.end()
    )
}

/// A department code as sent: letters, digits, `-`, `_`.
pub fn department_code() -> Object {
    string(false)
        .pattern(Some(department_code_pattern()))
        .build()
}

/// A sub-category code, or `null` for none.
pub fn category_code() -> Object {
    string(true).pattern(Some(category_code_pattern())).build()
}

/// A six-digit administrative division code, or `null`.
pub fn area_code() -> Object {
    string(true).pattern(Some(area_code_pattern())).build()
}

/// A user name.
pub fn username() -> Object {
    string(false).pattern(Some(username_pattern())).build()
}

/// A confirmation: only `true` is accepted.
pub fn must_be_true() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Boolean)
        .enum_values(Some([true]))
        .build()
}

fn limit() -> RefOr<Schema> {
    let amount = || {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(MAX_LIMIT))
    };
    let one = |key: &str, what: &str| {
        ObjectBuilder::new()
            .property(key, amount())
            .required(key)
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .description(Some(what))
            .build()
    };
    OneOfBuilder::new()
        .item(one("hours", "Wall-clock hours"))
        .item(one("working_days", "Chinese working days"))
        .into()
}

/// Limits by clock kind; with `all`, every kind must be given.
fn limits(all: bool) -> Object {
    let mut b =
        ObjectBuilder::new().additional_properties(Some(AdditionalProperties::FreeForm(false)));
    for k in DeadlineKind::ALL {
        b = b.property(k.as_str(), limit());
        if all {
            b = b.required(k.as_str());
        }
    }
    b.build()
}

impl PartialSchema for Policy {
    fn schema() -> RefOr<Schema> {
        let mut by_type =
            ObjectBuilder::new().additional_properties(Some(AdditionalProperties::FreeForm(false)));
        for t in MatterType::ALL {
            by_type = by_type.property(t.as_str(), limits(false));
        }
        let by_category = ObjectBuilder::new()
            .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(Schema::Object(
                limits(false),
            )))))
            .description(Some("Sub-category codes that exist, each with its limits"));
        let warn = ObjectBuilder::new()
            .schema_type(Type::Number)
            .minimum(Some(*WARN_FRACTION.start()))
            .maximum(Some(*WARN_FRACTION.end()))
            .description(Some(
                "The share of a clock's span after which it is `due_soon`",
            ));
        ObjectBuilder::new()
            .description(Some(
                "Deadline limits: a default for every clock, overridden per matter type and per \
                 sub-category (the most specific wins); urgent matters get the shorter limits.",
            ))
            .property("defaults", limits(true))
            .required("defaults")
            .property("by_type", by_type)
            .property("by_category", by_category)
            .property("warn_fraction", warn)
            .required("warn_fraction")
            .property(
                "duplicate_days",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1))
                    .maximum(Some(crate::deadline::MAX_WINDOW_DAYS))
                    .description(Some(
                        "Days back likely duplicates are looked for; 7 when absent",
                    )),
            )
            .property(
                "hotspot_days",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1))
                    .maximum(Some(crate::deadline::MAX_WINDOW_DAYS))
                    .description(Some("The window of a hotspot, in days; 30 when absent")),
            )
            .property(
                "hotspot_min",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(2))
                    .maximum(Some(crate::deadline::MAX_HOTSPOT_MIN))
                    .description(Some(
                        "Complaints of one sub-category at one place within the window that make \
                         a hotspot; 3 when absent",
                    )),
            )
            .property(
                "publishers",
                ArrayBuilder::new()
                    .items(crate::kinds::Role::schema())
                    .min_items(Some(1))
                    .unique_items(true)
                    .description(Some(
                        "Roles that publish and retire knowledge-base articles; \
                         `[\"supervisor\"]` when absent",
                    )),
            )
            .property("kpi", kpi_policy())
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .into()
    }
}

/// The indicators' thresholds and targets (docs/KPI.md).
fn kpi_policy() -> ObjectBuilder {
    use crate::kpi::{Indicator, MAX_THRESHOLD_SECS};
    let secs = |what: &'static str| {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(MAX_THRESHOLD_SECS))
            .description(Some(what))
    };
    let mut targets =
        ObjectBuilder::new().additional_properties(Some(AdditionalProperties::FreeForm(false)));
    for i in Indicator::ALL {
        targets = targets.property(
            i.as_str(),
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .minimum(Some(0))
                .maximum(Some(100))
                .description(Some(i.label())),
        );
    }
    ObjectBuilder::new()
        .description(Some(
            "Thresholds and targets of the assessment indicators; defaults when absent",
        ))
        .property(
            "answer_within_secs",
            secs("A call is answered in time within this many seconds of ringing; 15 when absent"),
        )
        .property(
            "reception_within_secs",
            secs("A visitor is received in time within this many seconds of arrival; 300 when absent"),
        )
        .property("targets", targets.description(Some("Target of each rate, in percent")))
        .property(
            "training_interval_days",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(3650))
                .description(Some("Staff are due for training this many days after the last session they attended; 180 when absent")),
        )
        .property(
            "excellent",
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .minimum(Some(0))
                .maximum(Some(100))
                .description(Some("An assessment score at or above this rates 优秀; 95 when absent; not below `pass`")),
        )
        .property(
            "pass",
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .minimum(Some(0))
                .maximum(Some(100))
                .description(Some("An assessment score at or above this rates 合格, below it 不合格; 80 when absent")),
        )
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
}

impl ToSchema for Policy {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{bounded_text, reason_text};
    use crate::ids::{DepartmentCode, Username};

    /// Every string of up to three characters over an alphabet of the
    /// characters where blanks, controls and Unicode disagree most.
    fn samples() -> Vec<String> {
        let alphabet = [
            'a', '中', ' ', '\t', '\n', '\r', '\u{0}', '\u{b}', '\u{1c}', '\u{7f}', '\u{85}',
            '\u{a0}', '\u{3000}', '\u{feff}', '\u{200b}',
        ];
        let mut out = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..3 {
            last = last
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            out.extend(last.iter().cloned());
        }
        out
    }

    #[test]
    fn code_patterns_accept_exactly_what_the_parsers_accept() {
        let dept = regex::Regex::new(&department_code_pattern()).unwrap();
        let user = regex::Regex::new(&username_pattern()).unwrap();
        let samples = [
            String::new(),
            "a".into(),
            "HJWS".into(),
            "hj-ws_2".into(),
            "zhang.san".into(),
            "Zhang.San".into(),
            " HJWS".into(),
            "环境".into(),
            "a b".into(),
            "A".repeat(MAX_DEPARTMENT_CODE),
            "A".repeat(MAX_DEPARTMENT_CODE + 1),
            "a".repeat(*USERNAME_LEN.end()),
            "a".repeat(USERNAME_LEN.end() + 1),
        ];
        for s in &samples {
            assert_eq!(dept.is_match(s), DepartmentCode::parse(s).is_ok(), "{s:?}");
            assert_eq!(user.is_match(s), Username::parse(s).is_ok(), "{s:?}");
        }
        let area = regex::Regex::new(&area_code_pattern()).unwrap();
        let category = regex::Regex::new(&category_code_pattern()).unwrap();
        let check = |field: &str, value: &str| {
            let mut req: crate::intake::IntakeRequest = serde_json::from_value(serde_json::json!({
                "location": {}
            }))
            .unwrap();
            match field {
                "area" => req.location.as_mut().unwrap().area_code = Some(value.into()),
                _ => req.category = Some(value.into()),
            }
            let errs = req
                .validate("2026-11-27T06:00:00Z".parse().unwrap())
                .unwrap_err();
            !errs.has(if field == "area" {
                "location.area_code"
            } else {
                "category"
            })
        };
        for s in [
            "",
            "330106",
            "33010",
            "3301066",
            "33O106",
            "policy.regulation",
            "a b",
            "环境",
        ] {
            assert_eq!(area.is_match(s), check("area", s), "area {s:?}");
            assert_eq!(category.is_match(s), check("category", s), "category {s:?}");
        }
        let long = "c".repeat(MAX_CATEGORY + 1);
        assert_eq!(category.is_match(&long), check("category", &long));
    }

    #[test]
    fn text_patterns_accept_exactly_what_the_text_rules_accept() {
        let optional = regex::Regex::new(&text_pattern(0)).unwrap();
        let required = regex::Regex::new(&text_pattern(1)).unwrap();
        let reason = regex::Regex::new(&text_pattern(MIN_REASON)).unwrap();
        for s in samples() {
            let rule = |required| bounded_text("f", Some(&s), MAX_TEXT, required).is_ok();
            assert_eq!(optional.is_match(&s), rule(false), "optional {s:?}");
            assert_eq!(required.is_match(&s), rule(true), "required {s:?}");
            assert_eq!(
                reason.is_match(&s),
                reason_text("f", &s).is_ok(),
                "reason {s:?}"
            );
        }
    }
}

//! The demo's sample texts: the types of `texts.toml` and its loader.
//!
//! The file is embedded at compile time, so the binary needs nothing beside
//! it, and parsed on each [`load`]: the demo runs once per database, where
//! the parse costs nothing next to the writes that follow.

use aiwei_core::{Channel, MatterType, Role};
use anyhow::{Context, bail};
use serde::Deserialize;

const SOURCE: &str = include_str!("texts.toml");

/// Everything the demo draws from, in the file's order: the seeded draws
/// index into these lists, so their order is part of the data set.
pub(super) struct Texts {
    pub departments: Vec<DepartmentText>,
    pub routing: Vec<RoutingText>,
    pub accounts: Vec<AccountText>,
    pub districts: Vec<District>,
    pub words: Words,
    pub asks: Vec<String>,
    /// Complaints, consultations, suggestions and other matters, in this
    /// order and each in the file's order.
    pub templates: Vec<Template>,
    pub articles: Vec<ArticleText>,
}

/// Parses the embedded `texts.toml`.
pub(super) fn load() -> anyhow::Result<Texts> {
    parse(SOURCE).context("the embedded demo texts (texts.toml) are invalid")
}

fn parse(source: &str) -> anyhow::Result<Texts> {
    let file: TextsFile = toml::from_str(source)?;
    // A scene draws its district by index, which has no fallback for an
    // empty list.
    if file.districts.is_empty() {
        bail!("there is no district");
    }
    let answered = |ty: MatterType| {
        move |t: AnsweredText| Template {
            ty,
            category: t.category,
            fit: t.fit,
            address: None,
            text: t.text,
            answer: Some(t.answer),
            sensitive: false,
        }
    };
    let templates = file
        .complaint
        .into_iter()
        .map(|t| Template {
            ty: MatterType::Complaint,
            category: t.category,
            fit: Fit::Any,
            address: Some(t.address),
            text: t.text,
            answer: None,
            sensitive: t.sensitive,
        })
        .chain(
            file.consultation
                .into_iter()
                .map(answered(MatterType::Consultation)),
        )
        .chain(file.suggestion.into_iter().map(|t| Template {
            ty: MatterType::Suggestion,
            category: t.category,
            fit: Fit::Any,
            address: None,
            text: t.text,
            answer: None,
            sensitive: false,
        }))
        .chain(file.other.into_iter().map(answered(MatterType::Other)))
        .collect();
    Ok(Texts {
        departments: file.departments,
        routing: file.routing,
        accounts: file.accounts,
        districts: file.districts,
        words: file.words,
        asks: file.asks,
        templates,
        articles: file.article,
    })
}

/// The file as written: one list of templates per matter type, each with
/// the fields that type needs.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TextsFile {
    asks: Vec<String>,
    departments: Vec<DepartmentText>,
    routing: Vec<RoutingText>,
    accounts: Vec<AccountText>,
    words: Words,
    districts: Vec<District>,
    complaint: Vec<ComplaintText>,
    consultation: Vec<AnsweredText>,
    suggestion: Vec<SuggestionText>,
    other: Vec<AnsweredText>,
    #[serde(default)]
    article: Vec<ArticleText>,
}

/// A knowledge-base article of the demo.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ArticleText {
    pub kind: aiwei_core::ArticleKind,
    pub title: String,
    pub category: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub source: Option<String>,
    pub doc_number: Option<String>,
    pub effective_from: Option<chrono::NaiveDate>,
    pub expires_on: Option<chrono::NaiveDate>,
    pub answer: String,
    pub full_text: Option<String>,
    /// A fixed part of the consultation templates it answers: those
    /// consultations are recorded as answered from it.
    pub answers: Option<String>,
    /// An edit proposed and not yet published: its new answer.
    pub proposed_answer: Option<String>,
    #[serde(default)]
    pub retired: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DepartmentText {
    pub code: String,
    pub name: String,
}

/// Where a sub-category's matters usually go.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RoutingText {
    pub category: String,
    pub lead: String,
    #[serde(default)]
    pub co: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AccountText {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department: Option<String>,
}

/// Space-separated word lists; see `planner::word` for why they are not
/// arrays.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Words {
    pub surnames: String,
    pub given_one: String,
    pub given_two: String,
    pub titles: String,
    pub mobile_prefixes: String,
    pub brands: String,
    pub communities: String,
    pub shops: String,
    pub places: String,
    pub schools: String,
    pub companies: String,
    pub days: String,
    pub freq: String,
    pub times: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct District {
    pub area_code: String,
    /// Latitude and longitude the matters' coordinates scatter around.
    pub center: (f64, f64),
    pub streets: String,
    pub estates: String,
    pub markets: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ComplaintText {
    category: String,
    address: String,
    text: String,
    /// Trade secrets or internal management of a company.
    #[serde(default)]
    sensitive: bool,
}

/// A consultation or other matter, with the answer or result intake records.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnsweredText {
    category: String,
    #[serde(default)]
    fit: Fit,
    text: String,
    answer: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuggestionText {
    category: String,
    text: String,
}

/// Which channel a template reads right for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Fit {
    #[default]
    Any,
    Phone,
    Visit,
}

impl Fit {
    pub fn allows(self, channel: Channel) -> bool {
        match self {
            Fit::Any => true,
            Fit::Phone => channel == Channel::Phone,
            Fit::Visit => channel == Channel::Visit,
        }
    }
}

/// A matter text with `{slot}`s filled from a scene; the address and answer
/// are filled from the same scene, so they agree with the text.
pub(super) struct Template {
    pub ty: MatterType,
    pub category: String,
    pub fit: Fit,
    pub address: Option<String>,
    pub text: String,
    pub answer: Option<String>,
    pub sensitive: bool,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_file_parses() {
        let texts = load().unwrap();
        assert_eq!(texts.departments.len(), 7);
        assert_eq!(texts.accounts.len(), 9);
        assert_eq!(texts.districts.len(), 3);
        assert_eq!(texts.asks.len(), 7);
        assert_eq!(texts.templates.len(), 68);
        let count = |ty| texts.templates.iter().filter(|t| t.ty == ty).count();
        assert_eq!(count(MatterType::Complaint), 39);
        assert_eq!(count(MatterType::Consultation), 15);
        assert_eq!(count(MatterType::Suggestion), 7);
        assert_eq!(count(MatterType::Other), 7);
        assert!(
            texts
                .templates
                .iter()
                .filter(|t| t.sensitive)
                .all(|t| t.ty == MatterType::Complaint)
        );
        for list in [&texts.words.surnames, &texts.words.mobile_prefixes] {
            assert!(list.split_whitespace().count() > 10);
        }
    }

    #[test]
    fn accounts_belong_to_demo_departments() {
        let texts = load().unwrap();
        for a in &texts.accounts {
            if let Some(d) = &a.department {
                assert!(texts.departments.iter().any(|x| &x.code == d), "{d}");
            }
        }
    }

    #[test]
    fn a_file_without_districts_is_refused() {
        let (head, rest) = SOURCE.split_at(SOURCE.find("[words]").unwrap());
        let words = &rest[..rest.find("[[districts]]").unwrap()];
        let templates = &rest[rest.find("[[complaint]]").unwrap()..];
        let empty = format!("{head}districts = []\n{words}{templates}");
        let err = parse(&empty).err().unwrap();
        assert!(err.to_string().contains("district"), "{err}");
    }
}

//! The knowledge base (知识库): articles intake staff answer from (R-3.2:
//! "directly and accurately from policies, regulations, standards and
//! knowledge"; R-1.3.4: true, accurate and complete answers).
//!
//! An article is a series of versions. Every edit is a new version, kept for
//! good; departments and intake staff propose, a publisher (supervisors by
//! default, the roles the deadline policy names) puts one version in force.
//! Only a version in force, of an article within its dates, is ever offered
//! at intake, so a caller is never answered from a draft or an expired rule.
//!
//! Who may do what, and whether an article may be offered, is decided here;
//! the store records and the edge only asks (the pattern of
//! [`crate::flow::decide`]).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::access::{Actor, Denial};
use crate::error::{ErrorCode, FieldError, FieldErrors, bounded_text};
use crate::ids::ArticleId;
use crate::intake::MAX_TEXT;
use crate::kinds::{ArticleKind, ArticleStatus, Role, code_enum};

/// Longest title, in characters.
pub const MAX_TITLE: usize = 100;
/// Longest body (the document's text), in characters.
pub const MAX_BODY: usize = 20_000;
/// Longest source document name.
pub const MAX_SOURCE: usize = 200;
/// Longest document number (文号).
pub const MAX_DOC_NUMBER: usize = 100;
/// Most tags an article carries, and the longest tag.
pub const MAX_TAGS: usize = 10;
pub const MAX_TAG: usize = 20;
/// Longest note on a version (修改说明) or reason to retire.
pub const MAX_NOTE: usize = 500;

/// Who may propose articles and edits besides the publishers: the people
/// who answer callers and the departments whose rules the articles state.
pub const PROPOSERS: &[Role] = &[
    Role::Intake,
    Role::Handler,
    Role::DeptLead,
    Role::Supervisor,
];

/// Who publishes unless the deadline policy names others.
pub fn default_publishers() -> Vec<Role> {
    vec![Role::Supervisor]
}

/// An article's content as the API and the editor deliver it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ArticleInput {
    /// `policy`, `regulation`, `standard`, `faq` or `script`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = ArticleKind, required = true))]
    pub kind: Option<String>,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 100, required = true)
    )]
    pub title: Option<String>,
    /// A sub-category code from `GET /api/v1/categories`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::category_code))]
    pub category: Option<String>,
    /// At most 10 tags of at most 20 characters.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The source document (来源文件).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub source: Option<String>,
    /// Its number (文号), e.g. 京爱卫发〔2025〕3号.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub doc_number: Option<String>,
    /// In force from (inclusive).
    #[serde(default)]
    pub effective_from: Option<NaiveDate>,
    /// In force until (inclusive); not offered after it.
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
    /// The text of the document or the full explanation.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 20000))]
    pub full_text: Option<String>,
    /// The answer to give a caller (答复口径), inserted at intake.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::required_text, required = true))]
    pub answer: Option<String>,
    /// What this version changes (修改说明).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub note: Option<String>,
    /// Edits only: the version the edit was made from; refused with 409
    /// `article_changed` when a newer one exists.
    #[serde(default, deserialize_with = "crate::wire::opt_integer")]
    pub base_version: Option<i64>,
}

/// An article's content that passed every rule: one version's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleContent {
    pub kind: ArticleKind,
    pub title: String,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub source: Option<String>,
    pub doc_number: Option<String>,
    pub effective_from: Option<NaiveDate>,
    pub expires_on: Option<NaiveDate>,
    pub full_text: Option<String>,
    pub answer: String,
}

impl ArticleInput {
    /// Applies every rule of an article's fields; returns the content and
    /// the note. Whether the sub-category exists is the store's to check.
    pub fn validate(&self) -> Result<(ArticleContent, Option<String>), FieldErrors> {
        let mut errs = FieldErrors::default();
        let kind = match self.kind.as_deref() {
            None | Some("") => {
                errs.push("kind", ErrorCode::Required);
                None
            }
            Some(k) => errs.take(ArticleKind::parse(k)),
        };
        let mut text = |field: &str, raw: Option<&str>, max: usize, required: bool| {
            errs.take(bounded_text(field, raw, max, required)).flatten()
        };
        let title = text("title", self.title.as_deref(), MAX_TITLE, true);
        let source = text("source", self.source.as_deref(), MAX_SOURCE, false);
        let doc_number = text(
            "doc_number",
            self.doc_number.as_deref(),
            MAX_DOC_NUMBER,
            false,
        );
        let full_text = text("full_text", self.full_text.as_deref(), MAX_BODY, false);
        let answer = text("answer", self.answer.as_deref(), MAX_TEXT, true);
        let note = text("note", self.note.as_deref(), MAX_NOTE, false);
        // Absent is none; an empty code is a wrong one, as the API
        // document's pattern says.
        let category =
            crate::intake::category_code("category", self.category.as_deref(), &mut errs);
        let tags = errs.take(tags(&self.tags));
        if let (Some(from), Some(until)) = (self.effective_from, self.expires_on)
            && until < from
        {
            errs.push("expires_on", ErrorCode::ExpiresBeforeEffective);
        }
        match (kind, title, answer, tags) {
            (Some(kind), Some(title), Some(answer), Some(tags)) if errs.is_empty() => Ok((
                ArticleContent {
                    kind,
                    title,
                    category,
                    tags,
                    source,
                    doc_number,
                    effective_from: self.effective_from,
                    expires_on: self.expires_on,
                    full_text,
                    answer,
                },
                note,
            )),
            _ => Err(errs),
        }
    }
}

/// Tags trimmed, blanks dropped, duplicates dropped in order; at most
/// [`MAX_TAGS`] of at most [`MAX_TAG`] characters, no control characters.
fn tags(raw: &[String]) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for t in raw {
        let Some(t) = bounded_text("tags", Some(t), MAX_TAG, false).map_err(|e| {
            if e.code == ErrorCode::TooLong {
                FieldError::new("tags", ErrorCode::TooManyTags)
            } else {
                e
            }
        })?
        else {
            continue;
        };
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(FieldError::new("tags", ErrorCode::TooManyTags));
    }
    Ok(out)
}

/// The tags typed into one box of the editor: separated by commas (either
/// width), 、, semicolons or white space.
pub fn split_tags(raw: &str) -> Vec<String> {
    raw.split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | ';' | '；'))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What the rules need to know of an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArticleFacts {
    /// The newest version's number (versions count from 1).
    pub latest: i32,
    /// The version in force, if one was ever published and not retired
    /// since.
    pub published: Option<i32>,
    pub retired: bool,
}

impl ArticleFacts {
    pub fn status(&self) -> ArticleStatus {
        match (self.retired, self.published) {
            (true, _) => ArticleStatus::Retired,
            (false, Some(_)) => ArticleStatus::Published,
            (false, None) => ArticleStatus::Draft,
        }
    }

    /// Whether a version newer than the one in force waits for review.
    pub fn pending(&self) -> bool {
        self.published.is_none_or(|p| self.latest > p)
    }
}

fn forbidden() -> Denial {
    Denial::Forbidden(ErrorCode::Forbidden)
}

/// Whether `actor` publishes (and retires): holds one of `publishers`.
pub fn publishes(actor: &Actor<'_>, publishers: &[Role]) -> bool {
    actor.any(publishers)
}

/// Whether `actor` may write articles and propose edits.
pub fn may_propose(actor: &Actor<'_>, publishers: &[Role]) -> Result<(), Denial> {
    if actor.any(PROPOSERS) || publishes(actor, publishers) {
        Ok(())
    } else {
        Err(forbidden())
    }
}

/// Whether `actor` may save a new version made from `base` (the version the
/// editor was opened on) with `content`, when the newest is `current`: a
/// proposer, editing the newest version, changing something.
pub fn may_edit(
    actor: &Actor<'_>,
    publishers: &[Role],
    facts: &ArticleFacts,
    base: Option<i64>,
    current: &ArticleContent,
    content: &ArticleContent,
) -> Result<(), Denial> {
    may_propose(actor, publishers)?;
    match base {
        None => Err(Denial::Invalid(FieldError::new(
            "base_version",
            ErrorCode::Required,
        ))),
        Some(b) if b != i64::from(facts.latest) => Err(Denial::Conflict(ErrorCode::ArticleChanged)),
        Some(_) if current == content => Err(Denial::Conflict(ErrorCode::NothingChanged)),
        Some(_) => Ok(()),
    }
}

/// Whether `actor` may put `version` in force: a publisher; the version
/// exists and is not already in force. Publishing an older version rolls
/// back; publishing on a retired article restores it.
pub fn may_publish(
    actor: &Actor<'_>,
    publishers: &[Role],
    facts: &ArticleFacts,
    version: i64,
) -> Result<(), Denial> {
    if !publishes(actor, publishers) {
        return Err(forbidden());
    }
    if !(1..=i64::from(facts.latest)).contains(&version) {
        return Err(Denial::Invalid(FieldError::new(
            "version",
            ErrorCode::UnknownValue,
        )));
    }
    if !facts.retired && facts.published.map(i64::from) == Some(version) {
        return Err(Denial::Conflict(ErrorCode::AlreadyPublished));
    }
    Ok(())
}

/// Whether `actor` may retire the article: a publisher, not yet retired.
pub fn may_retire(
    actor: &Actor<'_>,
    publishers: &[Role],
    facts: &ArticleFacts,
) -> Result<(), Denial> {
    if !publishes(actor, publishers) {
        return Err(forbidden());
    }
    if facts.retired {
        return Err(Denial::Conflict(ErrorCode::AlreadyRetired));
    }
    Ok(())
}

code_enum!(
    /// Whether an article may be offered at intake today, and if not why:
    /// the flag its pages show.
    Standing, "standing" {
        InForce => ("in_force", "有效"),
        Draft => ("draft", "未发布"),
        Retired => ("retired", "已停用"),
        NotYetEffective => ("not_yet_effective", "未生效"),
        Expired => ("expired", "已过期"),
    }
);

/// Where the version in force (or, unpublished, the newest) stands on
/// `today`, local date.
pub fn standing(
    facts: &ArticleFacts,
    effective_from: Option<NaiveDate>,
    expires_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Standing {
    match facts.status() {
        ArticleStatus::Retired => Standing::Retired,
        ArticleStatus::Draft => Standing::Draft,
        ArticleStatus::Published => {
            if effective_from.is_some_and(|d| d > today) {
                Standing::NotYetEffective
            } else if expires_on.is_some_and(|d| d < today) {
                Standing::Expired
            } else {
                Standing::InForce
            }
        }
    }
}

/// Which article and version a matter was answered from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AnsweredFrom {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub article: ArticleId,
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub version: i32,
}

/// Whether a matter may record that it was answered from `version` of an
/// article: that version is the one in force and the article is in force
/// today. What the clerk inserted may have been edited; the record says
/// which text it started from.
pub fn may_answer_from(
    facts: &ArticleFacts,
    in_force: Standing,
    version: i32,
) -> Result<(), FieldError> {
    if in_force == Standing::InForce && facts.published == Some(version) {
        Ok(())
    } else {
        Err(FieldError::new("answered_from", ErrorCode::NotOfferable))
    }
}

// ---------------------------------------------------------------------------
// Differences between two versions
// ---------------------------------------------------------------------------

/// Whether a piece of text is in both versions, only the newer, or only
/// the older.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Same,
    Added,
    Removed,
}

/// A run of text with its change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Segment {
    pub change: Change,
    pub text: String,
}

/// One field's difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldDiff {
    /// The field's API name.
    pub field: &'static str,
    /// Its Chinese name.
    pub label: &'static str,
    pub changed: bool,
    pub segments: Vec<Segment>,
}

/// How long a diff may search for the least change before it settles for
/// a coarser one: a diff of two unrelated long texts must not hang a page.
const DIFF_BUDGET: std::time::Duration = std::time::Duration::from_millis(200);

/// A paragraph pair longer than this is shown replaced whole rather than
/// compared character by character.
const INLINE_LIMIT: usize = 4_000;

/// The difference of two texts: by paragraph, and within a changed
/// paragraph by character, since Chinese has no spaces to diff words by.
pub fn text_diff(old: &str, new: &str) -> Vec<Segment> {
    use similar::{Algorithm, ChangeTag, DiffOp, TextDiff};
    let mut out: Vec<Segment> = Vec::new();
    let mut push = |change: Change, text: &str| {
        if text.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.change == change => last.text.push_str(text),
            _ => out.push(Segment {
                change,
                text: text.to_owned(),
            }),
        }
    };
    let lines = TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .timeout(DIFF_BUDGET)
        .diff_lines(old, new);
    let old_lines = lines.old_slices();
    let new_lines = lines.new_slices();
    for op in lines.ops() {
        match *op {
            DiffOp::Equal { old_index, len, .. } => {
                push(
                    Change::Same,
                    &old_lines[old_index..old_index + len].concat(),
                );
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => push(
                Change::Removed,
                &old_lines[old_index..old_index + old_len].concat(),
            ),
            DiffOp::Insert {
                new_index, new_len, ..
            } => push(
                Change::Added,
                &new_lines[new_index..new_index + new_len].concat(),
            ),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                let a = old_lines[old_index..old_index + old_len].concat();
                let b = new_lines[new_index..new_index + new_len].concat();
                if a.chars().count() + b.chars().count() > INLINE_LIMIT {
                    push(Change::Removed, &a);
                    push(Change::Added, &b);
                    continue;
                }
                let chars = TextDiff::configure()
                    .algorithm(Algorithm::Myers)
                    .timeout(DIFF_BUDGET)
                    .diff_chars(&a, &b);
                for c in chars.iter_all_changes() {
                    let change = match c.tag() {
                        ChangeTag::Equal => Change::Same,
                        ChangeTag::Insert => Change::Added,
                        ChangeTag::Delete => Change::Removed,
                    };
                    push(change, c.value());
                }
            }
        }
    }
    out
}

/// The difference of two versions, field by field, in the editor's order.
pub fn diff(old: &ArticleContent, new: &ArticleContent) -> Vec<FieldDiff> {
    fn opt(v: &Option<String>) -> String {
        v.clone().unwrap_or_default()
    }
    fn date(d: Option<NaiveDate>) -> String {
        d.map(|d| d.to_string()).unwrap_or_default()
    }
    let fields: [(&'static str, &'static str, String, String); 10] = [
        (
            "kind",
            "类别",
            old.kind.label().to_owned(),
            new.kind.label().to_owned(),
        ),
        ("title", "标题", old.title.clone(), new.title.clone()),
        ("category", "子类别", opt(&old.category), opt(&new.category)),
        ("tags", "标签", old.tags.join("、"), new.tags.join("、")),
        ("source", "来源文件", opt(&old.source), opt(&new.source)),
        (
            "doc_number",
            "文号",
            opt(&old.doc_number),
            opt(&new.doc_number),
        ),
        (
            "effective_from",
            "生效日期",
            date(old.effective_from),
            date(new.effective_from),
        ),
        (
            "expires_on",
            "失效日期",
            date(old.expires_on),
            date(new.expires_on),
        ),
        ("answer", "答复口径", old.answer.clone(), new.answer.clone()),
        (
            "full_text",
            "正文",
            opt(&old.full_text),
            opt(&new.full_text),
        ),
    ];
    fields
        .into_iter()
        .map(|(field, label, a, b)| FieldDiff {
            field,
            label,
            changed: a != b,
            segments: text_diff(&a, &b),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    fn input() -> ArticleInput {
        ArticleInput {
            kind: Some("faq".into()),
            title: Some("家中发现老鼠怎么办".into()),
            tags: vec!["鼠患".into(), " 灭鼠 ".into(), "鼠患".into(), "".into()],
            answer: Some("请封堵洞口，清理杂物，可拨打本热线预约消杀。".into()),
            ..ArticleInput::default()
        }
    }

    fn actor(roles: &[Role]) -> Actor<'_> {
        Actor {
            id: UserId::new(),
            roles,
            departments: &[],
        }
    }

    #[test]
    fn a_valid_article_keeps_its_fields_and_tidies_its_tags() {
        let (c, note) = input().validate().unwrap();
        assert_eq!(c.kind, ArticleKind::Faq);
        assert_eq!(c.tags, vec!["鼠患".to_owned(), "灭鼠".to_owned()]);
        assert_eq!(note, None);
    }

    #[test]
    fn refusals_name_their_fields() {
        let mut i = ArticleInput {
            kind: Some("rumour".into()),
            title: Some("标".repeat(MAX_TITLE + 1)),
            category: Some("环境".into()),
            tags: (0..11).map(|n| format!("t{n}")).collect(),
            effective_from: NaiveDate::from_ymd_opt(2026, 5, 1),
            expires_on: NaiveDate::from_ymd_opt(2026, 4, 30),
            ..ArticleInput::default()
        };
        let errs = i.validate().unwrap_err();
        let got: Vec<(String, ErrorCode)> =
            errs.0.iter().map(|e| (e.field.clone(), e.code)).collect();
        for want in [
            ("kind", ErrorCode::UnknownValue),
            ("title", ErrorCode::TooLong),
            ("answer", ErrorCode::Required),
            ("category", ErrorCode::UnknownValue),
            ("tags", ErrorCode::TooManyTags),
            ("expires_on", ErrorCode::ExpiresBeforeEffective),
        ] {
            assert!(
                got.contains(&(want.0.to_owned(), want.1)),
                "{want:?} in {got:?}"
            );
        }
        i.category = Some(String::new());
        assert!(
            i.validate()
                .unwrap_err()
                .0
                .iter()
                .any(|e| e.field == "category" && e.code == ErrorCode::UnknownValue)
        );
        i.tags = vec!["长".repeat(MAX_TAG + 1)];
        let errs = i.validate().unwrap_err();
        assert!(errs.0.iter().any(|e| e.code == ErrorCode::TooManyTags));
    }

    #[test]
    fn tags_split_on_the_separators_people_type() {
        assert_eq!(
            split_tags("鼠患，灭鼠、 蟑螂;蚊子,臭虫"),
            vec!["鼠患", "灭鼠", "蟑螂", "蚊子", "臭虫"]
        );
        assert!(split_tags(" ，、 ").is_empty());
    }

    #[test]
    fn proposers_edit_publishers_publish() {
        let publishers = default_publishers();
        let facts = ArticleFacts {
            latest: 2,
            published: Some(1),
            retired: false,
        };
        let (a, _) = input().validate().unwrap();
        let mut b = a.clone();
        b.title = "家中发现老鼠如何处理".into();
        for r in [
            Role::Intake,
            Role::Handler,
            Role::DeptLead,
            Role::Supervisor,
        ] {
            assert!(may_edit(&actor(&[r]), &publishers, &facts, Some(2), &a, &b).is_ok());
        }
        for r in [Role::Auditor, Role::LeadingGroup, Role::Admin] {
            assert!(matches!(
                may_edit(&actor(&[r]), &publishers, &facts, Some(2), &a, &b),
                Err(Denial::Forbidden(_))
            ));
        }
        let clerk = actor(&[Role::Intake]);
        assert_eq!(
            may_edit(&clerk, &publishers, &facts, Some(1), &a, &b),
            Err(Denial::Conflict(ErrorCode::ArticleChanged))
        );
        assert_eq!(
            may_edit(&clerk, &publishers, &facts, Some(2), &a, &a),
            Err(Denial::Conflict(ErrorCode::NothingChanged))
        );
        assert!(matches!(
            may_edit(&clerk, &publishers, &facts, None, &a, &b),
            Err(Denial::Invalid(_))
        ));

        let sup = actor(&[Role::Supervisor]);
        assert!(may_publish(&clerk, &publishers, &facts, 2).is_err());
        assert!(may_publish(&sup, &publishers, &facts, 2).is_ok());
        assert_eq!(
            may_publish(&sup, &publishers, &facts, 1),
            Err(Denial::Conflict(ErrorCode::AlreadyPublished))
        );
        assert!(matches!(
            may_publish(&sup, &publishers, &facts, 3),
            Err(Denial::Invalid(_))
        ));
        // The admin names another role: department leads publish, and
        // supervisors no longer do.
        let leads = [Role::DeptLead];
        assert!(may_publish(&actor(&[Role::DeptLead]), &leads, &facts, 2).is_ok());
        assert!(may_publish(&sup, &leads, &facts, 2).is_err());
        // A retired article is restored by publishing.
        let retired = ArticleFacts {
            retired: true,
            ..facts
        };
        assert!(may_publish(&sup, &publishers, &retired, 1).is_ok());
        assert_eq!(
            may_retire(&sup, &publishers, &retired),
            Err(Denial::Conflict(ErrorCode::AlreadyRetired))
        );
        assert!(may_retire(&sup, &publishers, &facts).is_ok());
        assert!(may_retire(&clerk, &publishers, &facts).is_err());
    }

    #[test]
    fn only_a_version_in_force_within_its_dates_is_offered() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day);
        let today = d(6, 1).unwrap();
        let live = ArticleFacts {
            latest: 3,
            published: Some(2),
            retired: false,
        };
        assert_eq!(
            standing(&live, d(1, 1), d(12, 31), today),
            Standing::InForce
        );
        assert_eq!(standing(&live, d(6, 1), d(6, 1), today), Standing::InForce);
        assert_eq!(
            standing(&live, d(6, 2), None, today),
            Standing::NotYetEffective
        );
        assert_eq!(standing(&live, None, d(5, 31), today), Standing::Expired);
        let draft = ArticleFacts {
            published: None,
            ..live
        };
        assert_eq!(standing(&draft, None, None, today), Standing::Draft);
        let retired = ArticleFacts {
            retired: true,
            ..live
        };
        assert_eq!(standing(&retired, None, None, today), Standing::Retired);
        assert!(live.pending() && draft.pending());
        assert_eq!(live.status(), ArticleStatus::Published);

        assert!(may_answer_from(&live, Standing::InForce, 2).is_ok());
        for (s, v) in [
            (Standing::InForce, 3),
            (Standing::InForce, 1),
            (Standing::Expired, 2),
            (Standing::Retired, 2),
        ] {
            assert_eq!(
                may_answer_from(&live, s, v).unwrap_err().code,
                ErrorCode::NotOfferable
            );
        }
    }

    fn render(segs: &[Segment]) -> String {
        segs.iter()
            .map(|s| match s.change {
                Change::Same => s.text.clone(),
                Change::Added => format!("[+{}]", s.text),
                Change::Removed => format!("[-{}]", s.text),
            })
            .collect()
    }

    #[test]
    fn diffs_show_changed_characters_within_changed_paragraphs() {
        let old = "第一条 保持清洁。\n第二条 每周消杀一次。\n第三条 附则。\n";
        let new = "第一条 保持清洁。\n第二条 每周消杀两次。\n第三条 附则。\n第四条 施行。\n";
        assert_eq!(
            render(&text_diff(old, new)),
            "第一条 保持清洁。\n第二条 每周消杀[-一][+两]次。\n第三条 附则。\n[+第四条 施行。\n]"
        );
        assert_eq!(
            text_diff("同", "同"),
            vec![Segment {
                change: Change::Same,
                text: "同".into()
            }]
        );
        assert!(text_diff("", "").is_empty());
        // Unrelated long texts come back whole, quickly.
        let a = "甲".repeat(5_000);
        let b = "乙".repeat(5_000);
        assert_eq!(render(&text_diff(&a, &b)), format!("[-{a}][+{b}]"));
    }

    #[test]
    fn version_diffs_list_every_field_and_mark_the_changed() {
        let (a, _) = input().validate().unwrap();
        let mut b = a.clone();
        b.kind = ArticleKind::Script;
        b.expires_on = NaiveDate::from_ymd_opt(2027, 1, 1);
        let d = diff(&a, &b);
        assert_eq!(d.len(), 10);
        let changed: Vec<&str> = d.iter().filter(|f| f.changed).map(|f| f.field).collect();
        assert_eq!(changed, vec!["kind", "expires_on"]);
        assert_eq!(render(&d[0].segments), "[-常见问答][+话术]");
    }
}

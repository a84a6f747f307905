//! The configurable sub-category tree (R-3.1 refines each of the four types).
//! A fresh database gets a default tree built from what 爱卫办 hotlines
//! actually receive.

use aiwei_core::{AuditAction, ErrorCode, FieldError, MatterType};
use chrono::{DateTime, Utc};

use crate::trail::{AuditActor, append_audit};

use crate::Store;
use crate::error::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Category {
    pub code: String,
    pub name: String,
    pub matter_type: MatterType,
    pub parent: Option<String>,
    /// The department its matters usually go to (主办), if set.
    pub default_lead: Option<String>,
    /// The departments that usually help (协办).
    pub default_co: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    code: String,
    name: String,
    matter_type: String,
    parent: Option<String>,
    default_lead: Option<String>,
    default_co: String,
}

impl TryFrom<Row> for Category {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(Category {
            matter_type: MatterType::parse(&r.matter_type)
                .map_err(|_| StoreError::Corrupt("category type".into()))?,
            code: r.code,
            name: r.name,
            parent: r.parent,
            default_lead: r.default_lead,
            default_co: r
                .default_co
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }
}

/// (code, name, type, parent) of the default tree. Parents come before their
/// children.
const DEFAULT_TREE: &[(&str, &str, MatterType, Option<&str>)] = &[
    ("env", "环境卫生", MatterType::Complaint, None),
    (
        "env.garbage",
        "垃圾堆放与清运",
        MatterType::Complaint,
        Some("env"),
    ),
    ("env.toilet", "公厕卫生", MatterType::Complaint, Some("env")),
    (
        "env.water",
        "积水与污水",
        MatterType::Complaint,
        Some("env"),
    ),
    (
        "env.market",
        "农贸市场卫生",
        MatterType::Complaint,
        Some("env"),
    ),
    (
        "env.backstreet",
        "背街小巷与城中村",
        MatterType::Complaint,
        Some("env"),
    ),
    ("vector", "病媒生物防治", MatterType::Complaint, None),
    (
        "vector.mosquito",
        "蚊虫孳生",
        MatterType::Complaint,
        Some("vector"),
    ),
    (
        "vector.rodent",
        "鼠患",
        MatterType::Complaint,
        Some("vector"),
    ),
    (
        "vector.cockroach",
        "蟑螂",
        MatterType::Complaint,
        Some("vector"),
    ),
    ("vector.fly", "苍蝇", MatterType::Complaint, Some("vector")),
    ("hazard", "公共卫生隐患", MatterType::Complaint, None),
    (
        "hazard.kitchen",
        "餐饮后厨卫生",
        MatterType::Complaint,
        Some("hazard"),
    ),
    (
        "hazard.water_supply",
        "二次供水",
        MatterType::Complaint,
        Some("hazard"),
    ),
    (
        "hazard.smoking",
        "公共场所吸烟",
        MatterType::Complaint,
        Some("hazard"),
    ),
    (
        "hazard.other",
        "其他卫生隐患",
        MatterType::Complaint,
        Some("hazard"),
    ),
    ("policy", "政策法规", MatterType::Consultation, None),
    (
        "policy.regulation",
        "爱国卫生法规政策",
        MatterType::Consultation,
        Some("policy"),
    ),
    (
        "policy.standard",
        "卫生标准",
        MatterType::Consultation,
        Some("policy"),
    ),
    ("knowledge", "健康知识", MatterType::Consultation, None),
    (
        "knowledge.vector",
        "病媒防制知识",
        MatterType::Consultation,
        Some("knowledge"),
    ),
    (
        "knowledge.health",
        "健康生活知识",
        MatterType::Consultation,
        Some("knowledge"),
    ),
    ("service", "办事指引", MatterType::Consultation, None),
    ("improve", "工作改进", MatterType::Suggestion, None),
    (
        "improve.measures",
        "改进措施",
        MatterType::Suggestion,
        Some("improve"),
    ),
    (
        "improve.activity",
        "活动开展",
        MatterType::Suggestion,
        Some("improve"),
    ),
    (
        "improve.publicity",
        "宣传推广",
        MatterType::Suggestion,
        Some("improve"),
    ),
    ("other", "其他事项", MatterType::Other, None),
    ("other.praise", "表扬感谢", MatterType::Other, Some("other")),
    (
        "other.misdial",
        "误拨与无效来电",
        MatterType::Other,
        Some("other"),
    ),
];

impl Store {
    /// Inserts the default tree into an empty category table.
    pub(crate) async fn seed_default_categories(&self) -> Result<(), StoreError> {
        let count: i64 = on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM categories").fetch_one(p).await)?;
        if count > 0 {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        for (sort, (code, name, ty, parent)) in DEFAULT_TREE.iter().enumerate() {
            on_tx!(&mut tx, c => sqlx::query(
                "INSERT INTO categories (code, name, matter_type, parent, sort) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (code) DO NOTHING")
                .bind(code)
                .bind(name)
                .bind(ty.as_str())
                .bind(parent)
                .bind(sort as i32)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        tx.commit().await
    }

    /// The whole tree, parents before children.
    pub async fn list_categories(&self) -> Result<Vec<Category>, StoreError> {
        let rows = on_pool!(&self.db, p => sqlx::query_as::<_, Row>(
            "SELECT code, name, matter_type, parent, default_lead, default_co FROM categories ORDER BY sort, code")
            .fetch_all(p)
            .await)?;
        rows.into_iter().map(Category::try_from).collect()
    }

    /// Sets where matters of sub-category `code` usually go, in one
    /// transaction with its `category.routing` record by `by` (none for the
    /// demo data set).
    pub async fn set_routing(
        &self,
        code: &str,
        lead: Option<&str>,
        co: &[String],
        by: Option<&AuditActor<'_>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if let Some(l) = lead {
            self.require_department("lead", l).await?;
        }
        for d in co {
            self.require_department("co", d).await?;
        }
        if lead.is_some_and(|l| co.iter().any(|c| c == l)) {
            return Err(StoreError::Invalid(FieldError::new(
                "co",
                ErrorCode::InvalidValue,
            )));
        }
        let mut co = co.to_vec();
        co.sort();
        co.dedup();
        let joined = co.join(",");
        let mut tx = self.db.begin().await?;
        let changed = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE categories SET default_lead = $1, default_co = $2 WHERE code = $3")
            .bind(lead)
            .bind(&joined)
            .bind(code)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        if let Some(by) = by {
            let detail = serde_json::json!({ "category": code, "lead": lead, "co": co });
            append_audit(
                &mut tx,
                &by.entry(AuditAction::CategoryRouting, Some(code), detail),
                now,
            )
            .await?;
        }
        tx.commit().await
    }

    /// Checks that `code` exists and belongs to `ty`.
    pub async fn require_category(
        &self,
        code: &str,
        ty: MatterType,
    ) -> Result<Category, StoreError> {
        let found = on_pool!(&self.db, p => sqlx::query_as::<_, Row>(
            "SELECT code, name, matter_type, parent, default_lead, default_co FROM categories WHERE code = $1")
            .bind(code)
            .fetch_optional(p)
            .await)?;
        match found.map(Category::try_from).transpose()? {
            None => Err(StoreError::Invalid(FieldError::new(
                "category",
                ErrorCode::UnknownValue,
            ))),
            Some(c) if c.matter_type != ty => Err(StoreError::Invalid(FieldError::new(
                "category",
                ErrorCode::NotOfType,
            ))),
            Some(c) => Ok(c),
        }
    }
}

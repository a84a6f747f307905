//! The configurable sub-category tree (R-3.1 refines each of the four types).
//! A fresh database gets a default tree built from what 爱卫办 hotlines
//! actually receive.

use aiwei_core::{FieldError, MatterType};

use crate::Store;
use crate::error::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct Category {
    pub code: String,
    pub name: String,
    pub matter_type: String,
    pub parent: Option<String>,
}

/// (code, name, type, parent) of the default tree. Parents come before their
/// children.
const DEFAULT_TREE: &[(&str, &str, &str, Option<&str>)] = &[
    ("env", "环境卫生", "complaint", None),
    ("env.garbage", "垃圾堆放与清运", "complaint", Some("env")),
    ("env.toilet", "公厕卫生", "complaint", Some("env")),
    ("env.water", "积水与污水", "complaint", Some("env")),
    ("env.market", "农贸市场卫生", "complaint", Some("env")),
    (
        "env.backstreet",
        "背街小巷与城中村",
        "complaint",
        Some("env"),
    ),
    ("vector", "病媒生物防治", "complaint", None),
    ("vector.mosquito", "蚊虫孳生", "complaint", Some("vector")),
    ("vector.rodent", "鼠患", "complaint", Some("vector")),
    ("vector.cockroach", "蟑螂", "complaint", Some("vector")),
    ("vector.fly", "苍蝇", "complaint", Some("vector")),
    ("hazard", "公共卫生隐患", "complaint", None),
    (
        "hazard.kitchen",
        "餐饮后厨卫生",
        "complaint",
        Some("hazard"),
    ),
    (
        "hazard.water_supply",
        "二次供水",
        "complaint",
        Some("hazard"),
    ),
    (
        "hazard.smoking",
        "公共场所吸烟",
        "complaint",
        Some("hazard"),
    ),
    ("hazard.other", "其他卫生隐患", "complaint", Some("hazard")),
    ("policy", "政策法规", "consultation", None),
    (
        "policy.regulation",
        "爱国卫生法规政策",
        "consultation",
        Some("policy"),
    ),
    (
        "policy.standard",
        "卫生标准",
        "consultation",
        Some("policy"),
    ),
    ("knowledge", "健康知识", "consultation", None),
    (
        "knowledge.vector",
        "病媒防制知识",
        "consultation",
        Some("knowledge"),
    ),
    (
        "knowledge.health",
        "健康生活知识",
        "consultation",
        Some("knowledge"),
    ),
    ("service", "办事指引", "consultation", None),
    ("improve", "工作改进", "suggestion", None),
    (
        "improve.measures",
        "改进措施",
        "suggestion",
        Some("improve"),
    ),
    (
        "improve.activity",
        "活动开展",
        "suggestion",
        Some("improve"),
    ),
    (
        "improve.publicity",
        "宣传推广",
        "suggestion",
        Some("improve"),
    ),
    ("other", "其他事项", "other", None),
    ("other.praise", "表扬感谢", "other", Some("other")),
    ("other.misdial", "误拨与无效来电", "other", Some("other")),
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
                .bind(ty)
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
        Ok(on_pool!(&self.db, p => sqlx::query_as::<_, Category>(
            "SELECT code, name, matter_type, parent FROM categories ORDER BY sort, code")
            .fetch_all(p)
            .await)?)
    }

    /// Checks that `code` exists and belongs to `ty`.
    pub async fn require_category(
        &self,
        code: &str,
        ty: MatterType,
    ) -> Result<Category, StoreError> {
        let found = on_pool!(&self.db, p => sqlx::query_as::<_, Category>(
            "SELECT code, name, matter_type, parent FROM categories WHERE code = $1")
            .bind(code)
            .fetch_optional(p)
            .await)?;
        match found {
            None => Err(StoreError::Invalid(FieldError::new(
                "category",
                "unknown_value",
            ))),
            Some(c) if c.matter_type != ty.as_str() => Err(StoreError::Invalid(FieldError::new(
                "category",
                "not_of_type",
            ))),
            Some(c) => Ok(c),
        }
    }
}

//! Reference data: the sub-category tree and the departments.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Staff;
use crate::error::{ApiResult, ErrorBody};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct CategoryItem {
    pub code: String,
    pub name: String,
    /// One of the four types of.
    #[serde(rename = "type")]
    pub matter_type: aiwei_core::MatterType,
    pub parent: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CategoryList {
    pub items: Vec<CategoryItem>,
}

/// The sub-category tree, flattened, parents first.
#[utoipa::path(get, path = "/api/v1/categories", tag = "reference",
    responses((status = 200, body = CategoryList), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn categories(
    State(state): State<AppState>,
    _staff: Staff,
) -> ApiResult<Json<CategoryList>> {
    let items = state
        .store
        .list_categories()
        .await?
        .into_iter()
        .map(|c| CategoryItem {
            code: c.code,
            name: c.name,
            matter_type: c.matter_type,
            parent: c.parent,
        })
        .collect();
    Ok(Json(CategoryList { items }))
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentItem {
    pub code: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentList {
    pub items: Vec<DepartmentItem>,
}

/// The departments.
#[utoipa::path(get, path = "/api/v1/departments", tag = "reference",
    responses((status = 200, body = DepartmentList), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn departments(
    State(state): State<AppState>,
    _staff: Staff,
) -> ApiResult<Json<DepartmentList>> {
    let items = state
        .store
        .list_departments()
        .await?
        .into_iter()
        .map(|d| DepartmentItem {
            code: d.code,
            name: d.name,
        })
        .collect();
    Ok(Json(DepartmentList { items }))
}

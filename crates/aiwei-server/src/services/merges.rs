//! Merging (并单) and linking matters, shared by the API and the pages: both
//! matters must be visible to the staff member (a matter they may not see
//! is "not found", as everywhere); the rules are
//! [`aiwei_core::merge`]'s, checked by the store in its transaction.

use aiwei_core::{ErrorCode, FieldError};
use aiwei_store::matters::Matter;
use serde::Deserialize;
use utoipa::ToSchema;

use super::ledger::{find_visible, visible_to};
use crate::auth::Staff;
use crate::error::ApiError;
use crate::state::AppState;

/// Which matter to merge into, or link with.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OtherMatter {
    /// The other matter's number (or id).
    #[serde(default)]
    #[schema(max_length = 64)]
    pub other: Option<String>,
}

/// Why a merge is undone.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnmergeRequest {
    /// 2 to 500 characters.
    #[serde(default)]
    #[schema(min_length = 2, max_length = 500)]
    pub reason: Option<String>,
}

/// The other matter, seen by `staff`; a blank number is refused naming
/// `other`, an unknown or unseen one likewise (422, not 404: the matter
/// in the address exists).
async fn other(state: &AppState, staff: &Staff, req: &OtherMatter) -> Result<Matter, ApiError> {
    let raw = req.other.as_deref().map(str::trim).unwrap_or_default();
    if raw.is_empty() {
        return Err(ApiError::invalid_field(FieldError::new(
            "other",
            ErrorCode::Required,
        )));
    }
    match find_visible(state, &staff.user, raw).await {
        Ok(m) => Ok(m),
        Err(e) if e.status == axum::http::StatusCode::NOT_FOUND => Err(ApiError::invalid_field(
            FieldError::new("other", ErrorCode::UnknownValue),
        )),
        Err(e) => Err(e),
    }
}

/// Merges `m` into the matter `req` names.
pub async fn merge(
    state: &AppState,
    staff: &Staff,
    m: &Matter,
    req: &OtherMatter,
) -> Result<(), ApiError> {
    let lead = other(state, staff, req).await?;
    state
        .store
        .merge(&staff.user.actor(), m.id, lead.id, state.clock.now())
        .await?;
    tracing::info!(matter = %m.id, lead = %lead.id, "merged");
    Ok(())
}

/// Undoes `m`'s merge (supervisors).
pub async fn unmerge(
    state: &AppState,
    staff: &Staff,
    m: &Matter,
    req: &UnmergeRequest,
) -> Result<(), ApiError> {
    let reason = aiwei_core::error::reason_text("reason", req.reason.as_deref().unwrap_or(""))
        .map_err(ApiError::invalid_field)?;
    state
        .store
        .unmerge(&staff.user.actor(), m.id, &reason, state.clock.now())
        .await?;
    Ok(())
}

/// Links `m` with the matter `req` names, or (`undo`) removes the link.
pub async fn link(
    state: &AppState,
    staff: &Staff,
    m: &Matter,
    req: &OtherMatter,
    undo: bool,
) -> Result<(), ApiError> {
    let o = other(state, staff, req).await?;
    let actor = staff.user.actor();
    let now = state.clock.now();
    state.store.link(&actor, m.id, o.id, undo, now).await?;
    Ok(())
}

/// The matters merged into `m` and linked to it, as `staff` may see them.
pub struct RelatedNumbers {
    /// The numbers of those merged into it that `staff` may see: a matter
    /// they may not see is not even named.
    pub merged: Vec<String>,
    /// The same of the linked ones.
    pub linked: Vec<String>,
    /// Some matter is merged into it, seen or not (merging it elsewhere
    /// would make a chain).
    pub has_merged: bool,
}

/// The merged and the linked matters of `m` that `staff` may see.
pub async fn related(
    state: &AppState,
    staff: &Staff,
    m: &Matter,
) -> Result<RelatedNumbers, ApiError> {
    let (merged, linked) = state.store.related(m.id).await?;
    let has_merged = !merged.is_empty();
    let visible = visible_to(state, &staff.user);
    let keep = |rs: Vec<aiwei_store::merges::Related>| async {
        let mut out = Vec::new();
        for r in rs {
            let key = aiwei_store::matters::MatterKey::Id(r.id);
            if state.store.matter_in_scope(&key, &visible).await.is_ok() {
                out.push(r.number);
            }
        }
        out
    };
    Ok(RelatedNumbers {
        merged: keep(merged).await,
        linked: keep(linked).await,
        has_merged,
    })
}

//! Likely duplicates (并单), shared by the API and the pages: recent open
//! matters the viewer sees, of the same type and sub-category, about the
//! same place or in nearly the same words ([`aiwei_core::place`]), within
//! the deadline policy's window (7 days by default).

use aiwei_core::place::{Candidate, duplicate_score, same_place};
use aiwei_core::{MatterId, MatterStatus, MatterType};
use aiwei_store::matters::{LedgerFilter, Matter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ledger::visible_to;
use crate::auth::Staff;
use crate::error::ApiError;
use crate::state::AppState;
use crate::views::MatterView;

/// How many matters of the window are compared, newest first, and how
/// many likely duplicates are proposed.
const COMPARED: u32 = 500;
const PROPOSED: usize = 5;

/// A matter being recorded, before it is saved.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftMatter {
    /// `complaint`, `consultation`, `suggestion` or `other`.
    #[serde(default, rename = "type")]
    #[schema(value_type = Option<MatterType>)]
    pub matter_type: Option<String>,
    /// A sub-category code.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub category: Option<String>,
    #[serde(default)]
    #[schema(max_length = 300)]
    pub address: Option<String>,
    /// What the caller said, as typed so far.
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub content: Option<String>,
}

/// A likely duplicate.
#[derive(Debug, Serialize, ToSchema)]
pub struct Duplicate {
    #[serde(flatten)]
    pub matter: MatterView,
    /// How likely, 0 to 1: half place, half wording.
    pub score: f64,
    /// About the same place (same road and number, or the same named place).
    pub same_place: bool,
    /// It can be merged into (open, of a type that merges).
    pub mergeable: bool,
}

/// The likely duplicates.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateList {
    pub items: Vec<Duplicate>,
}

fn text(raw: Option<&str>, field: &str, max: usize) -> Result<String, ApiError> {
    Ok(aiwei_core::error::bounded_text(field, raw, max, false)
        .map_err(ApiError::invalid_field)?
        .unwrap_or_default())
}

/// The likely duplicates of a matter being recorded.
pub async fn of_draft(
    state: &AppState,
    staff: &Staff,
    draft: &DraftMatter,
) -> Result<DuplicateList, ApiError> {
    let ty = match draft.matter_type.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => Some(MatterType::parse(t).map_err(ApiError::invalid_field)?),
        None => None,
    };
    let category = text(draft.category.as_deref(), "category", 64)?;
    let address = text(
        draft.address.as_deref(),
        "address",
        aiwei_core::intake::MAX_ADDRESS,
    )?;
    let content = text(
        draft.content.as_deref(),
        "content",
        aiwei_core::intake::MAX_TEXT,
    )?;
    let category = Some(category).filter(|c| !c.is_empty());
    let cand = Candidate::new(category.as_deref(), &address, &content);
    find(state, staff, ty, &cand, &[]).await
}

/// The likely duplicates of matter `m`: not itself; what is merged into
/// it is left out with every merged matter (see [`find`]).
pub async fn of_matter(
    state: &AppState,
    staff: &Staff,
    m: &Matter,
) -> Result<DuplicateList, ApiError> {
    let cand = Candidate::new(
        m.category.as_deref(),
        m.location.address.as_deref().unwrap_or_default(),
        &m.content,
    );
    find(state, staff, Some(m.matter_type), &cand, &[m.id]).await
}

async fn find(
    state: &AppState,
    staff: &Staff,
    ty: Option<MatterType>,
    cand: &Candidate,
    exclude: &[MatterId],
) -> Result<DuplicateList, ApiError> {
    if cand.text.trim().is_empty() && cand.keys.is_empty() {
        return Ok(DuplicateList { items: Vec::new() });
    }
    let now = state.clock.now();
    let days = state.store.policy().await?.1.duplicate_days;
    let filter = LedgerFilter {
        matter_type: ty,
        category: cand.category.clone(),
        received_from: Some(now - chrono::Duration::days(i64::from(days))),
        ..LedgerFilter::default()
    };
    let visible = visible_to(state, &staff.user);
    let (matters, _) = state
        .store
        .ledger(&filter, &visible, None, COMPARED)
        .await?;
    let actor = staff.user.actor();
    let mut found: Vec<(f64, bool, Matter)> = matters
        .into_iter()
        // Closed matters are answered; merged ones are found through their
        // lead; a sensitive matter's words are not compared.
        .filter(|m| {
            !exclude.contains(&m.id)
                && m.status != MatterStatus::Closed
                && m.merged_into.is_none()
                && !m.sensitive
        })
        .filter_map(|m| {
            let other = Candidate::new(
                m.category.as_deref(),
                m.location.address.as_deref().unwrap_or_default(),
                &m.content,
            );
            duplicate_score(cand, &other).map(|s| (s, same_place(&cand.keys, &other.keys), m))
        })
        .collect();
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    found.truncate(PROPOSED);
    let items: Vec<Duplicate> = found
        .into_iter()
        .map(|(score, same_place, m)| Duplicate {
            mergeable: aiwei_core::merge::merges_type(m.matter_type),
            matter: MatterView::listed(m, &actor, now),
            score,
            same_place,
        })
        .collect();
    crate::services::confidential::record_list_view(
        state,
        staff,
        "duplicates",
        &items.iter().map(|d| &d.matter).collect::<Vec<_>>(),
    )
    .await?;
    Ok(DuplicateList { items })
}

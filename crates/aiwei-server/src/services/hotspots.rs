//! Hotspots for the supervision board and the API: detected from
//! the window's complaints with the policy's rule (by default 3 in 30
//! days), with what supervisors recorded about them.

use std::collections::BTreeMap;

use aiwei_core::hotspot::{Complaint, detect, weekly};
use aiwei_core::{ErrorCode, FieldError, MatterStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Staff;
use crate::error::ApiError;
use crate::state::AppState;
use crate::views::Ref;

/// Weeks of history a hotspot's counts show.
const WEEKS: usize = 8;

/// One complaint of a hotspot.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HotspotMatter {
    pub number: String,
    pub received_at: DateTime<Utc>,
    pub status: MatterStatus,
}

impl HotspotMatter {
    pub fn received_local(&self) -> String {
        aiwei_core::time::local_minute(self.received_at)
    }
    pub fn status_zh(&self) -> &'static str {
        self.status.label()
    }
}

/// A supervisor's note on a hotspot.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HotspotNote {
    pub by: String,
    pub at: DateTime<Utc>,
    pub note: String,
}

impl HotspotNote {
    pub fn at_local(&self) -> String {
        aiwei_core::time::local_minute(self.at)
    }
}

/// A hotspot.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HotspotView {
    /// The place: a named place (幸福里小区) or a road and house number.
    pub place: String,
    pub category: Ref,
    /// Its complaints in the window since it was last closed.
    pub count: usize,
    /// Complaints per week, the last 8 weeks, oldest first.
    pub weekly: Vec<usize>,
    /// Its complaints, oldest first.
    pub matters: Vec<HotspotMatter>,
    /// The acknowledgement of this hotspot, if a supervisor made one.
    pub acknowledged: Option<HotspotNote>,
}

/// The hotspots, most complaints first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HotspotList {
    pub items: Vec<HotspotView>,
    /// The rule: `min` complaints within `days` days.
    pub min: u32,
    pub days: u32,
}

/// The hotspots now.
pub async fn list(state: &AppState) -> Result<HotspotList, ApiError> {
    let policy = state.store.policy().await?.1;
    let now = state.clock.now();
    let since = now - chrono::Duration::days(i64::from(policy.hotspot_days));
    let window = state.store.hotspot_window(since).await?;
    let marks = state.store.hotspot_marks().await?;
    let closed: BTreeMap<(String, String), DateTime<Utc>> = marks
        .iter()
        .filter_map(|m| {
            m.closed_at
                .map(|at| ((m.place.clone(), m.category.clone()), at))
        })
        .collect();
    let complaints: Vec<Complaint<usize>> = window
        .iter()
        .enumerate()
        .map(|(i, c)| Complaint {
            item: i,
            category: c.category.clone(),
            address: c.address.clone(),
            received_at: c.received_at,
        })
        .collect();
    let min = usize::try_from(policy.hotspot_min).unwrap_or(usize::MAX);
    let categories = state.store.list_categories().await?;
    let items = detect(&complaints, min, &closed)
        .into_iter()
        .map(|h| {
            let mark = marks
                .iter()
                .find(|m| m.place == h.place && m.category == h.category);
            // An acknowledgement from before the last closing was of an
            // earlier hotspot here.
            let acknowledged = mark.and_then(|m| match (m.acknowledged_at, &m.note) {
                (Some(at), Some(note)) if m.closed_at.is_none_or(|c| at > c) => Some(HotspotNote {
                    by: m.acknowledged_by.clone().unwrap_or_default(),
                    at,
                    note: note.clone(),
                }),
                _ => None,
            });
            HotspotView {
                category: Ref {
                    name: categories
                        .iter()
                        .find(|c| c.code == h.category)
                        .map_or_else(|| h.category.clone(), |c| c.name.clone()),
                    code: h.category.clone(),
                },
                count: h.complaints.len(),
                weekly: weekly(&h, now, WEEKS),
                matters: h
                    .complaints
                    .iter()
                    .map(|(i, _)| {
                        let c = &window[*i];
                        HotspotMatter {
                            number: c.number.clone(),
                            received_at: c.received_at,
                            status: c.status,
                        }
                    })
                    .collect(),
                place: h.place,
                acknowledged,
            }
        })
        .collect();
    Ok(HotspotList {
        items,
        min: policy.hotspot_min,
        days: policy.hotspot_days,
    })
}

/// What a supervisor records about a hotspot.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HotspotMarkRequest {
    /// The hotspot's place, as listed.
    #[serde(default)]
    #[schema(max_length = 300)]
    pub place: Option<String>,
    /// Its sub-category code.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub category: Option<String>,
    /// The note: what is being done (acknowledge), or how it was solved
    /// (close); 2 to 500 characters.
    #[serde(default)]
    #[schema(min_length = 2, max_length = 500)]
    pub note: Option<String>,
}

/// Acknowledges (or, `close`, closes as solved) a hotspot listed now.
pub async fn mark(
    state: &AppState,
    staff: &Staff,
    req: &HotspotMarkRequest,
    close: bool,
) -> Result<(), ApiError> {
    let note = aiwei_core::error::reason_text("note", req.note.as_deref().unwrap_or(""))
        .map_err(ApiError::invalid_field)?;
    let place = req.place.as_deref().unwrap_or_default();
    let category = req.category.as_deref().unwrap_or_default();
    let listed = list(state).await?;
    if !listed
        .items
        .iter()
        .any(|h| h.place == place && h.category.code == category)
    {
        return Err(ApiError::invalid_field(FieldError::new(
            "place",
            ErrorCode::NotAHotspot,
        )));
    }
    state
        .store
        .mark_hotspot(
            place,
            category,
            close,
            &note,
            staff.user.id,
            &staff.audit_actor(),
            state.clock.now(),
        )
        .await?;
    Ok(())
}

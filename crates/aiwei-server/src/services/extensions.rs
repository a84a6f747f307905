//! Asking for an extension (延期) of a running clock, shared by the API and
//! the matter page.

use aiwei_core::deadline::DeadlineKind;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use aiwei_store::extensions::Extension;

use crate::auth::Staff;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRequest {
    /// The clock to extend, e.g. `rectify_due`.
    pub deadline: DeadlineKind,
    /// The new due time: later than the current one, within a year.
    pub new_due_at: DateTime<Utc>,
    /// Why.
    #[schema(schema_with = aiwei_core::schema::required_text)]
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionDecision {
    pub approve: bool,
    #[serde(default)]
    #[schema(schema_with = aiwei_core::schema::optional_text)]
    pub note: Option<String>,
}

/// Files the request; the store checks who may ask
/// (`access::may_request_extension`) in its transaction.
pub async fn submit(
    state: &AppState,
    staff: &Staff,
    matter: aiwei_core::MatterId,
    req: &ExtensionRequest,
) -> Result<Extension, ApiError> {
    Ok(state
        .store
        .request_extension(
            matter,
            &staff.user,
            req.deadline,
            req.new_due_at,
            &req.reason,
            state.clock.now(),
        )
        .await?)
}

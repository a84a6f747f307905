//! What the API returns and the pages render: plain data shaped for the
//! viewer, with caller data already masked as the rules of access say.
//! Views know nothing of services or handlers.

mod attachment;
mod audit;
mod disclosure;
mod extension;
mod matter;
mod work;

pub use attachment::AttachmentView;
pub use audit::{AuditItem, AuditPage};
pub use disclosure::DisclosureView;
pub use extension::ExtensionView;
pub use matter::{
    CallerView, DeadlineView, EventView, LocationView, MatterView, Ref, ReturnNote, TextView,
    UserRef,
};
pub use work::{BoardGroup, BoardTotals, LateView, NotificationPage, NotificationView, QueueView};

use serde::Serialize;
use utoipa::ToSchema;

/// One page of the ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerPage {
    pub items: Vec<MatterView>,
    /// Cursor of the next page; null on the last page.
    pub next: Option<String>,
    /// How many matters match the filters, on all pages: exact for the
    /// plain filters over whole months (kept in a tally), otherwise
    /// counted up to the server's count limit (10,000 unless configured
    /// otherwise).
    pub total: i64,
    /// More than `total` match: counting stopped at the limit.
    pub total_more: bool,
}

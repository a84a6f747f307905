//! What the API and the pages both do: each function checks what it must
//! (the rules live in `aiwei_core::access` and the flow), calls the store,
//! and returns views. Handlers above only read requests and render.

pub mod attachments;
pub mod channels;
pub mod confidential;
pub mod duplicates;
pub mod extensions;
pub mod figures;
pub mod hotspots;
pub mod import;
pub mod knowledge;
pub mod ledger;
pub mod merges;
pub mod once;
pub mod outbound;
pub mod public;
pub mod query;
pub mod search;
pub mod staff;
pub mod suggest;
pub mod telephony;
pub mod trail;
pub mod work;
pub mod xlsx;

//! The domain of Aiwei Desk (爱卫来电来访管理系统): the types every other crate
//! speaks in, the rules that turn raw intake input into a valid matter, and the
//! arithmetic of the tamper-evident event chain.
//!
//! This crate is pure: no IO, no async, no database. Everything here can be
//! tested with plain unit tests, and the other crates only ever hand it values.

pub mod access;
pub mod assessment;
pub mod calendar;
pub mod chain;
pub mod chart;
pub mod csv;
pub mod deadline;
pub mod error;
pub mod flow;
pub mod handling;
pub mod hotspot;
pub mod ids;
pub mod import;
pub mod intake;
pub mod kinds;
pub mod knowledge;
pub mod kpi;
pub mod mask;
pub mod merge;
pub mod notify;
pub mod open311;
pub mod password;
pub mod phone;
pub mod place;
pub mod public;
#[cfg(feature = "openapi")]
pub mod schema;
pub mod search;
pub mod suggest;
pub mod telephony;
pub mod time;
pub mod training;
pub mod wire;

#[cfg(test)]
mod testing;

pub use error::{ErrorCode, FieldError, FieldErrors};
pub use ids::{ArticleId, DepartmentCode, MatterId, MatterNumber, UserId, Username};
pub use kinds::{
    ArticleKind, ArticleStatus, AttachmentStage, AuditAction, CallerKind, Channel, ClockState,
    DisclosedField, DisclosureStatus, EventKind, ExtensionStatus, MatterStatus, MatterType,
    NotificationKind, ReplyChannel, Role, Satisfaction,
};
pub use phone::PhoneNumber;

//! The domain of Aiwei Desk (爱卫来电来访管理系统): the types every other crate
//! speaks in, the rules that turn raw intake input into a valid matter, and the
//! arithmetic of the tamper-evident event chain.
//!
//! This crate is pure: no IO, no async, no database. Everything here can be
//! tested with plain unit tests, and the other crates only ever hand it values.

pub mod calendar;
pub mod chain;
pub mod csv;
pub mod deadline;
pub mod error;
pub mod flow;
pub mod handling;
pub mod ids;
pub mod intake;
pub mod kinds;
pub mod mask;
pub mod phone;
pub mod time;

pub use error::{FieldError, FieldErrors};
pub use ids::{DepartmentCode, MatterId, MatterNumber, UserId, Username};
pub use kinds::{
    CallerKind, Channel, DisclosedField, DisclosureStatus, MatterStatus, MatterType, Role,
};
pub use phone::PhoneNumber;

//! The integration suite: one binary, every test against a real app on
//! port 0, on SQLite and on PostgreSQL alike.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod attachments;
mod audit;
mod auth;
mod browser;
mod cli;
mod concurrency;
mod confidentiality;
mod deadlines;
mod extensions;
mod flows;
mod idempotency;
mod intake;
mod ledger;
mod matrix;
mod pages;
mod trail;
mod work;

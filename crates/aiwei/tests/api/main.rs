//! The integration suite: one binary, every test against a real app on
//! port 0, on SQLite and on PostgreSQL alike.

// The tests keep the system clock as their base and move the app's clock
// by an offset (helpers::TestApp); only program code is held to the
// injected clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod helpers;
mod hotspots;

mod attachments;
mod audit;
mod auth;
mod browser;
mod cli;
mod concurrency;
mod confidentiality;
mod deadlines;
mod desk;
mod duplicates;
mod edge;
mod extensions;
mod flows;
mod idempotency;
mod imports;
mod instances;
mod intake;
mod knowledge;
mod kpi;
mod ledger;
mod lint;
mod matrix;
mod merges;
mod open311;
mod outbound;
mod pages;
mod public;
mod search;
mod suggest;
mod telephony;
mod trail;
mod training;
mod work;
mod workbooks;

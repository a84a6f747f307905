//! The `aiwei` program: configuration, the command line, and the demo data
//! set. `main.rs` only calls [`cli::main`]; the integration tests use the
//! same pieces.

pub mod cli;
pub mod config;
pub mod demo;

//! folio: a terminal portfolio cockpit. See README.md and ../shared/DESIGN.md for the layout:
//! `domain`, `ledger` and `analytics` are pure; `store` and `import` do the IO; `cli` and `tui` wire them together.

pub mod analysis;
pub mod analytics;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod format;
pub mod import;
pub mod ledger;
pub mod market;
pub mod plans;
pub mod secrets;
pub mod store;
pub mod tui;

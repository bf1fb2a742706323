//! folio: a terminal portfolio cockpit. See README.md and ../shared/DESIGN.md for the layout:
//! `domain`, `ledger` and `analytics` are pure; `store`, `import` and `market` do the IO; `app`
//! is the query layer that composes them into answers; `cli`, `tui` and `mcp` are the edges and
//! ask `app`.

pub mod ai;
pub mod analytics;
pub mod app;
pub mod broker;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod format;
pub mod import;
pub mod ledger;
pub mod market;
pub mod mcp;
pub mod secrets;
pub mod store;
pub mod test_hooks;
pub mod tui;

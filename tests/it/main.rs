//! Integration tests: the real `folio` binary on real SQLite files in temp dirs.

mod analytics;
mod cli;
mod common;
mod config;
mod crash;
mod demo;
mod doctor;
mod fake_tws;
mod flex;
mod http;
mod http_peer;
mod ibkr;
mod import_errors;
mod plan;
mod pty;
mod store;
mod tax;
mod tui;

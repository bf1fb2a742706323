//! Integration tests: the real `folio` binary on real SQLite files in temp dirs.

mod analytics;
mod chat;
mod chat_eval;
mod chat_pane;
mod cli;
mod common;
mod config;
mod contract;
mod crash;
mod demo;
mod doctor;
mod fake_llm;
mod fake_tws;
mod flex;
mod http;
mod http_peer;
mod ibkr;
mod import_errors;
mod mcp;
mod orders;
mod plan;
mod pty;
mod readme;
mod store;
mod tax;
mod tui;

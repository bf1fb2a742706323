//! The query layer: one function per question folio answers, `fn(&Session, &Params) ->
//! Result<Report, AppError>` (async where it talks to the network). The command line, the
//! cockpit, the MCP server and the chat's tools all call these, so the same question gets the
//! same figure everywhere. `Params` derive `Deserialize` and `JsonSchema` (the MCP tools'
//! argument schemas); `Report`s derive `Serialize` (the command line's `--json`) and
//! `JsonSchema`. Nothing here prints: reports carry their own warnings and left-out items.

pub mod accounts;
pub mod analysis;
pub mod anomalies;
pub mod chat;
pub mod dashboard;
pub mod doctor;
mod error;
pub mod frontier;
pub mod harvest;
pub mod holdings;
pub mod import;
pub mod lots;
pub mod orders;
pub mod performance;
pub mod plan;
pub mod positions;
pub mod prices;
pub mod quotes;
pub mod realized;
pub mod rebalance;
pub mod risk;
mod session;
pub mod stress;
pub mod targets;
pub mod tax;
pub mod tools;
pub mod transactions;

pub use analysis::{
    AccountSummary, Contribution, Correlations, HoldingRisk, Performance, RiskReport, Summary,
};
pub use error::{AppError, Result, bad};

/// A symbol filter, checked as a symbol (none given: every symbol).
pub fn symbol_filter(symbol: Option<&str>) -> Result<Option<String>> {
    symbol
        .map(|x| crate::domain::parse_symbol(x).map_err(bad))
        .transpose()
}

/// A day given as a parameter, checked to be one folio can reckon with (years 1900 to 9999);
/// `what` names it in the error.
pub fn day(d: Option<chrono::NaiveDate>, what: &str) -> Result<Option<chrono::NaiveDate>> {
    use chrono::Datelike;
    match d {
        Some(d) if !crate::domain::YEARS.contains(&d.year()) => Err(bad(format!(
            "{what} {d}: use a day from 1900-01-01 to 9999-12-31"
        ))),
        other => Ok(other),
    }
}
pub use session::{Access, Clock, Ledger, Options, Session, resolve_account};

//! "What happened?": the transaction history, newest first, with filters.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Result, Session, bad};
use crate::domain::{Action, Transaction};

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransactionsParams {
    /// Only this symbol.
    #[serde(default)]
    pub symbol: Option<String>,
    /// Only this account.
    #[serde(default)]
    pub account: Option<String>,
    /// Only this action: BUY, SELL, DIVIDEND, REINVEST, INTEREST, FEE, TAX, DEPOSIT,
    /// WITHDRAWAL, SPLIT, TRANSFER_IN, TRANSFER_OUT, FX (case-insensitive).
    #[serde(default)]
    pub action: Option<String>,
    /// From this day on (YYYY-MM-DD).
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// Up to and including this day (YYYY-MM-DD).
    #[serde(default)]
    pub to: Option<NaiveDate>,
    /// At most this many rows, the newest. Default: all.
    #[serde(default)]
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct TransactionsReport {
    /// Newest first.
    pub transactions: Vec<Transaction>,
    /// How many transactions match the filters (more than listed when `limit` cut them).
    pub matched: usize,
}

/// `folio transactions`: the history (filtered), newest first.
pub fn transactions(s: &Session, p: &TransactionsParams) -> Result<TransactionsReport> {
    super::day(p.from, "from")?;
    super::day(p.to, "to")?;
    if let (Some(from), Some(to)) = (p.from, p.to)
        && from > to
    {
        return Err(bad(format!(
            "from {from} is after to {to}; give a period that runs forward"
        )));
    }
    let ledger = s.ledger()?;
    let account = ledger.account_filter(p.account.as_deref())?;
    let action = p
        .action
        .as_deref()
        .map(str::parse::<Action>)
        .transpose()
        .map_err(bad)?;
    let symbol = super::symbol_filter(p.symbol.as_deref())?;
    let mut txns: Vec<Transaction> = ledger
        .transactions
        .iter()
        .rev()
        .filter(|t| account.as_ref().is_none_or(|a| *a == t.account))
        .filter(|t| action.is_none_or(|a| a == t.action))
        .filter(|t| symbol.is_none() || t.symbol == symbol)
        .filter(|t| p.from.is_none_or(|d| t.date >= d) && p.to.is_none_or(|d| t.date <= d))
        .cloned()
        .collect();
    let matched = txns.len();
    if let Some(n) = p.limit {
        txns.truncate(n);
    }
    Ok(TransactionsReport {
        transactions: txns,
        matched,
    })
}

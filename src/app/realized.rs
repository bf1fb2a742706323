//! "What did I realize?": closed lots with proceeds, basis, gain and term, and yearly totals.

use std::collections::BTreeMap;

use chrono::Datelike;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Result, Session, bad};
use crate::domain::Term;
use crate::ledger::Disposal;

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RealizedParams {
    /// Only sales in this tax year.
    #[serde(default)]
    pub year: Option<i32>,
    /// Only this account. Default: every account, IRAs included.
    #[serde(default)]
    pub account: Option<String>,
    /// Only this symbol.
    #[serde(default)]
    pub symbol: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RealizedTotal {
    pub currency: String,
    pub proceeds: Decimal,
    pub cost_basis: Decimal,
    pub short_term_gain: Decimal,
    pub long_term_gain: Decimal,
    pub total_gain: Decimal,
    pub wash_sale_disallowed: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RealizedReport {
    pub year: Option<i32>,
    pub account: Option<String>,
    pub symbol: Option<String>,
    /// One per lot (or part of a lot) a sale closed.
    pub disposals: Vec<Disposal>,
    /// Per currency.
    pub totals: Vec<RealizedTotal>,
    pub warnings: Vec<String>,
}

/// `folio realized`: every closed lot (of a year, an account, a symbol) with its totals.
pub fn realized(s: &Session, p: &RealizedParams) -> Result<RealizedReport> {
    if let Some(y) = p.year
        && !(1900..=2200).contains(&y)
    {
        return Err(bad(format!("year {y}: use a year such as 2025")));
    }
    let ledger = s.ledger()?;
    let account = ledger.account_filter(p.account.as_deref())?;
    let symbol = super::symbol_filter(p.symbol.as_deref())?;
    let disposals: Vec<Disposal> = ledger
        .book
        .realized
        .iter()
        .filter(|d| account.as_ref().is_none_or(|a| *a == d.account))
        .filter(|d| p.year.is_none_or(|y| d.sold.year() == y))
        .filter(|d| symbol.as_ref().is_none_or(|x| *x == d.symbol))
        .cloned()
        .collect();
    let mut totals: BTreeMap<&str, RealizedTotal> = BTreeMap::new();
    for d in &disposals {
        let t = totals.entry(&d.currency).or_insert_with(|| RealizedTotal {
            currency: d.currency.clone(),
            ..RealizedTotal::default()
        });
        t.proceeds += d.proceeds;
        t.cost_basis += d.cost;
        match d.term {
            Term::Short => t.short_term_gain += d.gain,
            Term::Long => t.long_term_gain += d.gain,
        }
        t.total_gain += d.gain;
        t.wash_sale_disallowed += d.disallowed;
    }
    let totals = totals.into_values().collect();
    Ok(RealizedReport {
        year: p.year,
        account,
        symbol,
        disposals,
        totals,
        warnings: ledger.warnings(),
    })
}

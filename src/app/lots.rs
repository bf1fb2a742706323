//! "Which tax lots do I hold?": open lots with their term and, where priced, their value.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Result, Session};
use crate::domain::{Term, long_term_from, term};

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LotsParams {
    /// Only lots of this symbol.
    #[serde(default)]
    pub symbol: Option<String>,
    /// Only this account. Default: every account.
    #[serde(default)]
    pub account: Option<String>,
    /// At the end of this day (YYYY-MM-DD), valued at the latest close on or before it.
    /// Default: today.
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
}

/// An open tax lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LotRow {
    pub account: String,
    pub symbol: String,
    /// The trade date.
    pub acquired: NaiveDate,
    /// Where the holding period starts: earlier than `acquired` when the lot replaced shares
    /// sold at a loss (a wash sale carries their holding period over).
    pub holding_period_from: NaiveDate,
    pub quantity: Decimal,
    pub cost_basis: Decimal,
    /// The disallowed wash-sale loss included in `cost_basis`.
    pub wash_sale_adjustment: Decimal,
    /// Null only for a dust remainder too small to divide by.
    pub cost_per_share: Option<Decimal>,
    pub term: Term,
    pub long_term_on: NaiveDate,
    pub days_to_long_term: i64,
    pub price: Option<Decimal>,
    pub market_value: Option<Decimal>,
    pub unrealized_gain: Option<Decimal>,
    pub currency: String,
    /// The purchase the lot came from.
    pub lot_transaction_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct LotsReport {
    pub as_of: NaiveDate,
    pub account: Option<String>,
    pub symbol: Option<String>,
    pub lots: Vec<LotRow>,
    pub warnings: Vec<String>,
}

/// `folio lots`: the open lots (of a symbol, of an account) at the end of a day.
pub fn lots(s: &Session, p: &LotsParams) -> Result<LotsReport> {
    let as_of = super::day(p.as_of, "as of")?.unwrap_or_else(|| s.today());
    let ledger = s.ledger()?;
    let account = ledger.account_filter(p.account.as_deref())?;
    let symbol = super::symbol_filter(p.symbol.as_deref())?;
    let book = ledger.book_at(as_of);
    let closes = s.read(|st| Ok(st.latest_closes(as_of)?))?;
    let lots = book
        .lots()
        .filter(|(a, sym, _)| {
            account.as_deref().is_none_or(|x| x == *a)
                && symbol.as_deref().is_none_or(|x| x == *sym)
        })
        .map(|(account, sym, l)| {
            let close = closes.get(sym).map(|(_, c)| *c);
            let market_value = close.map(|c| (c * l.quantity).round_dp(2));
            let long_term_on = long_term_from(l.acquired);
            LotRow {
                account: account.to_string(),
                symbol: sym.to_string(),
                acquired: l.purchased,
                holding_period_from: l.acquired,
                quantity: l.quantity,
                cost_basis: l.cost,
                wash_sale_adjustment: l.wash_adjustment,
                cost_per_share: l.unit_cost().map(|c| c.round_dp(6)),
                term: term(l.acquired, as_of),
                long_term_on,
                days_to_long_term: (long_term_on - as_of).num_days().max(0),
                price: close,
                market_value,
                unrealized_gain: market_value.map(|v| v - l.cost),
                currency: l.currency.clone(),
                lot_transaction_id: l.opened_by,
            }
        })
        .collect();
    Ok(LotsReport {
        as_of,
        account,
        symbol,
        lots,
        warnings: ledger.warnings(),
    })
}

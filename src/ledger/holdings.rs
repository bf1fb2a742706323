//! Positions valued at market prices. Pure: the prices come in as data.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::Position;

/// The price a symbol is valued at, with the close before it for the day's change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub date: NaiveDate,
    pub price: Decimal,
    /// The close of the session before `price`'s; None when there is no day change to show
    /// (the price is older than the newest session, or there is no earlier close).
    pub prev_close: Option<Decimal>,
}

/// A position with its market value, where a price is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Holding {
    pub account: String,
    pub symbol: String,
    pub currency: String,
    pub quantity: Decimal,
    pub cost_basis: Decimal,
    pub price: Option<Decimal>,
    pub price_date: Option<NaiveDate>,
    pub market_value: Option<Decimal>,
    pub unrealized_gain: Option<Decimal>,
    /// Gain as a percentage of basis.
    pub unrealized_gain_pct: Option<Decimal>,
    /// Percentage of the valued holdings in the same currency.
    pub weight_pct: Option<Decimal>,
    /// Change of the position's value since the previous close.
    pub day_change: Option<Decimal>,
    /// The price's change since the previous close, in percent.
    pub day_change_pct: Option<Decimal>,
    /// Open lots behind the position.
    pub lots: usize,
}

/// Totals of the valued holdings in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Totals {
    pub currency: String,
    pub cost_basis: Decimal,
    pub market_value: Decimal,
    pub unrealized_gain: Decimal,
    /// Holdings without a price, left out of the totals.
    pub unpriced: usize,
}

/// Values `positions` at `mark_of(symbol)` (the price to value it at, if any).
/// Holdings come out in the order of `positions`.
pub fn value(
    positions: Vec<Position>,
    mark_of: impl Fn(&str) -> Option<Mark>,
) -> (Vec<Holding>, Vec<Totals>) {
    let mut holdings: Vec<Holding> = positions
        .into_iter()
        .map(|p| {
            let mark = mark_of(&p.symbol);
            let close = mark.map(|m| (m.date, m.price));
            let close = close.as_ref();
            let market_value = close.map(|(_, c)| (p.quantity * c).round_dp(2));
            let gain = market_value.map(|v| v - p.cost);
            let prev = mark.and_then(|m| Some((m.price, m.prev_close?)));
            Holding {
                day_change: prev.map(|(now, before)| (p.quantity * (now - before)).round_dp(2)),
                day_change_pct: prev.and_then(|(now, before)| {
                    ((now - before) * Decimal::ONE_HUNDRED)
                        .checked_div(before)
                        .map(|r| r.round_dp(2))
                }),
                lots: p.lots,
                // None when the basis is 0 (or so small that the percentage is meaningless).
                unrealized_gain_pct: gain
                    .and_then(|g| g.checked_div(p.cost))
                    .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED))
                    .map(|r| r.round_dp(2)),
                price: close.map(|(_, c)| *c),
                price_date: close.map(|(d, _)| *d),
                market_value,
                unrealized_gain: gain,
                weight_pct: None,
                account: p.account,
                symbol: p.symbol,
                currency: p.currency,
                quantity: p.quantity,
                cost_basis: p.cost,
            }
        })
        .collect();
    let mut totals: BTreeMap<String, Totals> = BTreeMap::new();
    for h in &holdings {
        let t = totals.entry(h.currency.clone()).or_insert_with(|| Totals {
            currency: h.currency.clone(),
            cost_basis: Decimal::ZERO,
            market_value: Decimal::ZERO,
            unrealized_gain: Decimal::ZERO,
            unpriced: 0,
        });
        match h.market_value {
            Some(v) => {
                t.cost_basis += h.cost_basis;
                t.market_value += v;
                t.unrealized_gain += v - h.cost_basis;
            }
            None => t.unpriced += 1,
        }
    }
    for h in &mut holdings {
        let total = totals[&h.currency].market_value;
        h.weight_pct = h
            .market_value
            .filter(|_| !total.is_zero())
            .map(|v| (v / total * Decimal::ONE_HUNDRED).round_dp(2));
    }
    (holdings, totals.into_values().collect())
}

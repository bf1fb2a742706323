//! "Where do I stand?": net worth, the day's change, unrealized gain, cash, allocation by asset
//! class and by holding, the holdings of all accounts together and the value over time. The
//! Dashboard pane and `folio dashboard`.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::holdings::{Base, Marks, base, by_symbol};
use super::{Result, Session, bad};
use crate::domain::Window;
use crate::domain::securities::Securities;
use crate::ledger::holdings::{Holding, value};

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DashboardParams {
    /// At the end of this day (YYYY-MM-DD). Default: today.
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
    /// How much of the value history to include: 90d, 6m, 1y, 5y... or all. Default: 1y.
    #[serde(default)]
    pub history: Option<String>,
}

/// The headline figures, in the report's currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Summary {
    /// Holdings with a price plus cash.
    pub net_worth: Decimal,
    pub day_change: Decimal,
    /// The day's change as a percentage of the holdings' value at the previous close (null when
    /// that was 0).
    pub day_change_pct: Option<Decimal>,
    pub unrealized_gain: Decimal,
    pub cash: Decimal,
    pub holdings_value: Decimal,
    /// Holdings in the currency that have no price: left out of the totals.
    pub unpriced: usize,
    /// Other currencies held (left out of the totals).
    pub other_currencies: Vec<String>,
}

/// A name's share of the holdings' value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Share {
    pub name: String,
    pub value: Decimal,
    /// Percent, one decimal.
    pub pct: Decimal,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Allocation {
    /// By asset class (assets/securities.toml; unlisted symbols are "Unclassified"), largest
    /// first.
    pub by_class: Vec<Share>,
    pub by_holding: Vec<Share>,
}

/// The portfolio's value at the end of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ValuePoint {
    pub date: NaiveDate,
    /// Open positions at the day's close (a holding without any close yet at its cost).
    pub holdings: Decimal,
    pub cash: Decimal,
    pub total: Decimal,
}

/// What the dashboard shows at a set of prices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct Overview {
    pub summary: Summary,
    pub allocation: Allocation,
    /// Every account's shares of a symbol together, by symbol.
    pub holdings: Vec<Holding>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct DashboardReport {
    pub as_of: NaiveDate,
    pub currency: String,
    #[serde(flatten)]
    pub overview: Overview,
    /// The household's targets beside the current weights (null: none set; `folio targets`
    /// has the same figures).
    pub targets: Option<super::targets::TargetView>,
    /// Every day with a close over the history asked for, oldest first.
    pub value_history: Vec<ValuePoint>,
    pub warnings: Vec<String>,
}

/// The overview of `b` at `marks` (the latest closes, or live quotes).
pub fn overview(b: &Base, marks: &Marks, securities: &Securities) -> Overview {
    let (holdings, _) = value(by_symbol(&b.positions), |s| marks.get(s).copied());
    let mut s = Summary::default();
    let mut others: Vec<String> = Vec::new();
    let mut yesterday = Decimal::ZERO;
    for h in &holdings {
        if h.currency != b.currency {
            others.push(h.currency.clone());
            continue;
        }
        match h.market_value {
            Some(v) => {
                s.holdings_value += v;
                s.unrealized_gain += v - h.cost_basis;
                let change = h.day_change.unwrap_or_default();
                s.day_change += change;
                yesterday += v - change;
            }
            None => s.unpriced += 1,
        }
    }
    for c in &b.cash {
        if c.currency == b.currency {
            s.cash += c.balance;
        } else {
            others.push(c.currency.clone());
        }
    }
    s.net_worth = s.holdings_value + s.cash;
    s.day_change_pct = (s.day_change * Decimal::ONE_HUNDRED)
        .checked_div(yesterday)
        .filter(|_| !yesterday.is_zero())
        .map(|r| r.round_dp(2));
    others.sort();
    others.dedup();
    s.other_currencies = others;
    Overview {
        allocation: allocation(&holdings, &b.currency, securities),
        summary: s,
        holdings,
    }
}

fn allocation(holdings: &[Holding], currency: &str, securities: &Securities) -> Allocation {
    let mut classes: HashMap<&str, Decimal> = HashMap::new();
    let mut symbols: HashMap<&str, Decimal> = HashMap::new();
    let mut total = Decimal::ZERO;
    for h in holdings.iter().filter(|h| h.currency == currency) {
        let Some(v) = h.market_value else { continue };
        total += v;
        *classes.entry(securities.class_of(&h.symbol)).or_default() += v;
        *symbols.entry(&h.symbol).or_default() += v;
    }
    let shares = |m: HashMap<&str, Decimal>| -> Vec<Share> {
        let mut v: Vec<Share> = m
            .into_iter()
            .map(|(name, value)| Share {
                name: name.to_string(),
                pct: (value * Decimal::ONE_HUNDRED)
                    .checked_div(total)
                    .unwrap_or_default()
                    .round_dp(1),
                value,
            })
            .collect();
        v.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.name.cmp(&b.name)));
        v
    };
    Allocation {
        by_class: shares(classes),
        by_holding: shares(symbols),
    }
}

/// The value history `folio dashboard --history` reports: the portfolio's value (every
/// account, in the session's currency) on every day with a close in the `window` ending `to`.
pub fn history(s: &Session, window: Window, to: NaiveDate) -> Result<Vec<ValuePoint>> {
    let ledger = s.ledger()?;
    let since = window.start(to).unwrap_or(NaiveDate::MIN);
    // Positions held before `from` are valued at their latest close before it.
    let closes = s.read(|st| Ok(st.closes_since(NaiveDate::MIN)?))?;
    let mut days: Vec<NaiveDate> = closes
        .values()
        .flatten()
        .map(|(d, _)| *d)
        .filter(|d| *d >= since && *d <= to)
        .collect();
    days.sort_unstable();
    days.dedup();
    let values = crate::ledger::history::daily_values(
        ledger.until(to),
        &ledger.policy,
        &closes,
        s.currency(),
        &days,
    );
    Ok(values
        .into_iter()
        .map(|v| ValuePoint {
            date: v.date,
            holdings: v.holdings,
            cash: v.cash,
            total: v.total(),
        })
        .collect())
}

/// `folio dashboard`: the Dashboard pane's figures at the latest closes.
pub fn dashboard(s: &Session, p: &DashboardParams) -> Result<DashboardReport> {
    let window: Window = match &p.history {
        Some(w) => w.parse().map_err(|e| bad(format!("history: {e}")))?,
        None => Window::Months(12),
    };
    let b = base(s, None, p.as_of)?;
    let overview = overview(&b, &b.marks, &s.config().securities);
    let value_history = history(s, window, b.as_of)?;
    let targets = super::targets::household(s, &b)?.map(|t| t.view(Decimal::ZERO));
    Ok(DashboardReport {
        targets,
        as_of: b.as_of,
        currency: b.currency.clone(),
        overview,
        value_history,
        warnings: b.warnings,
    })
}

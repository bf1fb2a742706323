//! "What do I hold and what is it worth?": positions per account valued at a price per symbol
//! (the latest close, or a live quote in the cockpit), with the day's change.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Result, Session};
use crate::domain::Quote;
use crate::ledger::Position;
use crate::ledger::holdings::{Holding, Mark, Totals, value};

/// The price each symbol is valued at.
pub type Marks = HashMap<String, Mark>;

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldingsParams {
    /// Only this account (its name, matched case-insensitively). Default: every account.
    #[serde(default)]
    pub account: Option<String>,
    /// At the end of this day (YYYY-MM-DD), valued at the latest close on or before it.
    /// Default: today.
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct HoldingsReport {
    pub as_of: NaiveDate,
    /// The account asked for, as stored (null: every account).
    pub account: Option<String>,
    pub holdings: Vec<Holding>,
    /// Per currency, of the holdings with a price.
    pub totals: Vec<Totals>,
    /// Transactions the ledger cannot apply (they are left out of every figure).
    pub warnings: Vec<String>,
}

/// A cash balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Balance {
    pub account: String,
    pub currency: String,
    pub balance: Decimal,
}

/// What valuing the holdings needs: the positions and cash at the end of a day, and a price
/// for each symbol at its latest close by then. The cockpit keeps one and values it again at
/// the live quotes with [`holdings_at`].
#[derive(Debug, Clone, PartialEq)]
pub struct Base {
    pub as_of: NaiveDate,
    pub currency: String,
    pub account: Option<String>,
    /// By account and symbol.
    pub positions: Vec<Position>,
    /// Non-zero balances, by account and currency.
    pub cash: Vec<Balance>,
    /// The latest close of every symbol on or before `as_of`.
    pub marks: Marks,
    pub warnings: Vec<String>,
}

/// The positions and cash of `account` (all when None) at the end of `as_of` (default today):
/// transactions dated later are not in them.
pub fn base(s: &Session, account: Option<&str>, as_of: Option<NaiveDate>) -> Result<Base> {
    let as_of = super::day(as_of, "as of")?.unwrap_or_else(|| s.today());
    let ledger = s.ledger()?;
    let account = ledger.account_filter(account)?;
    let book = ledger.book_at(as_of);
    let wants = |a: &str| account.as_deref().is_none_or(|x| x == a);
    let positions: Vec<Position> = book
        .positions()
        .into_iter()
        .filter(|p| wants(&p.account))
        .collect();
    let cash = book
        .cash()
        .filter(|(a, _, amount)| wants(a) && !amount.is_zero())
        .map(|(account, currency, balance)| Balance {
            account: account.to_string(),
            currency: currency.to_string(),
            balance,
        })
        .collect();
    let closes = s.read(|st| Ok(st.last_two_closes(as_of)?))?;
    let held: std::collections::HashSet<&str> =
        positions.iter().map(|p| p.symbol.as_str()).collect();
    let marks = marks_at_closes(&closes, |s| held.contains(s));
    Ok(Base {
        as_of,
        currency: s.currency().to_string(),
        account,
        positions,
        cash,
        marks,
        warnings: ledger.warnings(),
    })
}

/// Marks at each symbol's latest close. A close-based mark has a day change only when its
/// close is from the newest session of the symbols `held` counts (every symbol when it counts
/// none): a symbol whose prices stopped weeks ago has no change "today", and a fresher close
/// of a symbol not held (a benchmark) takes none away.
pub fn marks_at_closes(closes: &crate::store::LastCloses, held: impl Fn(&str) -> bool) -> Marks {
    let newest = closes
        .iter()
        .filter(|(s, _)| held(s))
        .map(|(_, (d, ..))| *d)
        .max()
        .or_else(|| closes.values().map(|(d, ..)| *d).max());
    closes
        .iter()
        .map(|(s, (date, price, prev))| {
            (
                s.clone(),
                Mark {
                    date: *date,
                    price: *price,
                    prev_close: prev.filter(|_| Some(*date) == newest),
                },
            )
        })
        .collect()
}

/// `marks` with live quotes over them. A quote's own previous close is its day change's base;
/// else the latest close before the quote's day.
pub fn with_quotes(marks: &Marks, quotes: &HashMap<String, Quote>) -> Marks {
    let mut out = marks.clone();
    for (s, q) in quotes {
        let date = q.time.date_naive();
        let close = marks.get(s).copied();
        let prev_close = q.prev_close.or_else(|| {
            close.and_then(|c| {
                if c.date < date {
                    Some(c.price)
                } else {
                    c.prev_close
                }
            })
        });
        out.insert(
            s.clone(),
            Mark {
                date,
                price: q.last,
                prev_close,
            },
        );
    }
    out
}

/// The base's positions valued at `marks`, by account and symbol.
pub fn holdings_at(b: &Base, marks: &Marks) -> HoldingsReport {
    let (holdings, totals) = value(b.positions.clone(), |s| marks.get(s).copied());
    HoldingsReport {
        as_of: b.as_of,
        account: b.account.clone(),
        holdings,
        totals,
        warnings: b.warnings.clone(),
    }
}

/// One position per symbol and currency: every account's shares together.
pub fn by_symbol(positions: &[Position]) -> Vec<Position> {
    let mut index: HashMap<(&str, &str), usize> = HashMap::new();
    let mut out: Vec<Position> = Vec::with_capacity(positions.len());
    for p in positions {
        match index.get(&(p.symbol.as_str(), p.currency.as_str())) {
            Some(&i) => {
                let m = &mut out[i];
                m.quantity += p.quantity;
                m.cost += p.cost;
                m.lots += p.lots;
            }
            None => {
                index.insert((&p.symbol, &p.currency), out.len());
                out.push(Position {
                    account: String::new(),
                    ..p.clone()
                });
            }
        }
    }
    out.sort_by(|a, b| a.symbol.cmp(&b.symbol).then(a.currency.cmp(&b.currency)));
    out
}

/// `folio holdings`: every position (of one account) at the end of a day, valued at the latest
/// close on or before it.
pub fn holdings(s: &Session, p: &HoldingsParams) -> Result<HoldingsReport> {
    let b = base(s, p.account.as_deref(), p.as_of)?;
    Ok(holdings_at(&b, &b.marks))
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CashParams {
    /// Only this account. Default: every account.
    #[serde(default)]
    pub account: Option<String>,
    /// At the end of this day (YYYY-MM-DD). Default: today.
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct CashReport {
    pub as_of: NaiveDate,
    pub account: Option<String>,
    /// Every account and currency with a balance other than zero.
    pub balances: Vec<Balance>,
    /// A negative balance means more went out than came in: a deposit or an FX conversion may
    /// be missing from the imports.
    pub negative: bool,
    pub warnings: Vec<String>,
}

/// `folio cash`: the cash balance of every account in every currency.
pub fn cash(s: &Session, p: &CashParams) -> Result<CashReport> {
    let b = base(s, p.account.as_deref(), p.as_of)?;
    Ok(CashReport {
        as_of: b.as_of,
        account: b.account,
        negative: b.cash.iter().any(|c| c.balance < Decimal::ZERO),
        balances: b.cash,
        warnings: b.warnings,
    })
}

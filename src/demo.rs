//! `--demo`: a fresh database built deterministically from the files in assets/demo.
//!
//! Prices come from the seeded simulator (`market::sim`) with the spec in market.toml; trades
//! and cash movements from transactions.csv (canonical format; an empty price on a BUY or SELL
//! means "at that day's close"); quarterly dividends are generated from each fund's yield, paid
//! in cash in the taxable account and reinvested in the IRA. Everything goes through the same
//! import and ledger checks as a user's file.
//!
//! The demo never goes stale: it is built on the calendar of market.toml, then every date is
//! moved so that its last close falls on the last trading day before today. The n-th trading
//! day of the spec becomes the n-th of the new calendar, so the prices, quantities and cash are
//! the same numbers on any day; only the dates move.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, anyhow};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

use crate::domain::{Account, AccountKind, Action, LotMethod, Transaction};
use crate::import::{self, Row, canonical, content_uid};
use crate::ledger;
use crate::market::sim::{self, Spec};
use crate::store::{PriceRow, Store};

const MARKET: &str = include_str!("../assets/demo/market.toml");
const TRANSACTIONS: &str = include_str!("../assets/demo/transactions.csv");

fn accounts() -> [Account; 2] {
    [
        Account {
            name: "Taxable".into(),
            kind: AccountKind::Taxable,
            lot_method: LotMethod::Fifo,
        },
        Account {
            name: "IRA".into(),
            kind: AccountKind::Ira,
            lot_method: LotMethod::Fifo,
        },
    ]
}

/// The demo market spec.
pub fn spec() -> Spec {
    toml::from_str(MARKET).expect("assets/demo/market.toml is valid (checked by tests)")
}

/// The last trading day (a weekday other than New Year's Day, Independence Day and Christmas)
/// before `today`: where the demo's prices end.
pub fn last_close_before(today: NaiveDate) -> NaiveDate {
    let mut d = today.pred_opt().unwrap_or(today);
    while sim::trading_days(d, d).is_empty() {
        d = d.pred_opt().unwrap_or(d);
    }
    d
}

/// The spec's trading days mapped, in order, onto as many trading days ending on `last`.
struct Calendar {
    from: Vec<NaiveDate>,
    to: Vec<NaiveDate>,
}

impl Calendar {
    fn new(spec: &Spec, last: NaiveDate) -> Calendar {
        let from = sim::trading_days(spec.start, spec.end);
        let mut to = Vec::with_capacity(from.len());
        let mut d = last;
        while to.len() < from.len() {
            if !sim::trading_days(d, d).is_empty() {
                to.push(d);
            }
            d = d.pred_opt().unwrap_or(d);
        }
        to.reverse();
        Calendar { from, to }
    }

    /// The date `d` of the spec's calendar on the new one: a trading day maps to its
    /// counterpart, any other day to that of the next trading day (moved back by as many days
    /// as it came before it).
    fn map(&self, d: NaiveDate) -> NaiveDate {
        let i = self.from.partition_point(|x| *x < d);
        match (self.from.get(i), self.to.get(i)) {
            (Some(f), Some(t)) => *t - (*f - d),
            _ => {
                let (f, t) = (self.from[self.from.len() - 1], self.to[self.to.len() - 1]);
                t + (d - f)
            }
        }
    }
}

/// Builds the demo database at `path` (which should not exist yet), its last close on `last`
/// (see [`last_close_before`]).
pub fn build(path: &Path, last: NaiveDate) -> anyhow::Result<()> {
    let spec = spec();
    let calendar = Calendar::new(&spec, last);
    let prices = sim::simulate(&spec).map_err(|e| anyhow!("assets/demo/market.toml: {e}"))?;
    let closes: HashMap<(&str, NaiveDate), Decimal> = prices
        .iter()
        .flat_map(|(s, days)| days.iter().map(move |(d, c)| ((s.as_str(), *d), *c)))
        .collect();
    let csv = fill_prices(TRANSACTIONS, &closes)?;
    let mut batch = canonical::parse("assets/demo/transactions.csv", csv.as_bytes(), "USD")?;
    add_dividends(&mut batch.rows, &spec, &prices, &closes);
    for row in &mut batch.rows {
        row.txn.date = calendar.map(row.txn.date);
        row.txn.lot = row.txn.lot.map(|d| calendar.map(d));
    }
    let rows: Vec<PriceRow> = prices
        .iter()
        .flat_map(|(symbol, days)| {
            days.iter().map(|(date, close)| PriceRow {
                symbol: symbol.clone(),
                date: calendar.map(*date),
                close: *close,
                open: None,
                high: None,
                low: None,
                volume: None,
            })
        })
        .collect();
    let mut store = Store::open(path)?;
    store.write(|w| -> anyhow::Result<()> {
        for a in accounts() {
            w.set_account(&a)?;
        }
        w.upsert_prices(&rows)?;
        let plan = import::plan(&batch, &[], &w.accounts()?, LotMethod::Fifo)?;
        w.insert_transactions("demo", "canonical", &plan.new, LotMethod::Fifo)?;
        Ok(())
    })?;
    store.set_targets(&demo_targets())?;
    Ok(())
}

/// The demo household's target mix, so that `folio targets`, `folio rebalance` and the
/// Dashboard's drift have something to measure.
fn demo_targets() -> crate::store::TargetSet {
    let w = |name: &str, pct: i64| (name.to_string(), Decimal::from(pct));
    crate::store::TargetSet {
        account: None,
        kind: crate::store::TargetKind::Class,
        weights: vec![
            w("US stocks", 50),
            w("International stocks", 20),
            w("Emerging markets", 5),
            w("US bonds", 25),
        ],
        band_points: None,
        band_pct: None,
    }
}

/// Fills the empty price of BUY and SELL rows with that day's simulated close.
fn fill_prices(csv: &str, closes: &HashMap<(&str, NaiveDate), Decimal>) -> anyhow::Result<String> {
    let mut out = String::with_capacity(csv.len() * 2);
    for (i, line) in csv.lines().enumerate() {
        let mut f: Vec<String> = line.split(',').map(String::from).collect();
        if i > 0
            && matches!(f.get(2).map(String::as_str), Some("BUY" | "SELL"))
            && f.get(5).is_some_and(|p| p.is_empty())
        {
            let date: NaiveDate = f[0]
                .parse()
                .with_context(|| format!("assets/demo/transactions.csv:{}: bad date", i + 1))?;
            let close = closes.get(&(f[3].as_str(), date)).with_context(|| {
                format!(
                    "assets/demo/transactions.csv:{}: no close for {} on {date}",
                    i + 1,
                    f[3]
                )
            })?;
            f[5] = close.to_string();
        }
        out.push_str(&f.join(","));
        out.push('\n');
    }
    Ok(out)
}

/// Quarterly dividends on every fund held at each quarter's last trading day.
fn add_dividends(
    rows: &mut Vec<Row>,
    spec: &Spec,
    prices: &std::collections::BTreeMap<String, Vec<(NaiveDate, Decimal)>>,
    closes: &HashMap<(&str, NaiveDate), Decimal>,
) {
    let yields: HashMap<&str, Decimal> = spec
        .securities
        .iter()
        .filter_map(|s| {
            Some((
                s.symbol.as_str(),
                Decimal::from_f64(s.dividend_yield / 4.0)?.round_dp(6),
            ))
        })
        .collect();
    let kinds: HashMap<String, AccountKind> =
        accounts().into_iter().map(|a| (a.name, a.kind)).collect();
    let days: Vec<NaiveDate> = prices
        .values()
        .next()
        .map(|v| v.iter().map(|(d, _)| *d).collect())
        .unwrap_or_default();
    let quarter_ends = days
        .windows(2)
        .filter(|w| w[0].month() != w[1].month() && w[0].month() % 3 == 0)
        .map(|w| w[0]);
    for q in quarter_ends.collect::<Vec<_>>() {
        let txns: Vec<Transaction> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.txn.date <= q)
            .map(|(i, r)| Transaction {
                id: i as i64 + 1,
                ..r.txn.clone()
            })
            .collect();
        let (book, _) = ledger::replay(&txns, &ledger::Policy::uniform(LotMethod::Fifo));
        for p in book.positions() {
            let (Some(y), Some(close)) = (
                yields.get(p.symbol.as_str()),
                closes.get(&(p.symbol.as_str(), q)),
            ) else {
                continue;
            };
            let amount = (p.quantity * close * y).round_dp(2);
            if amount.is_zero() {
                continue;
            }
            let reinvest = kinds.get(&p.account) != Some(&AccountKind::Taxable);
            let mut txn = Transaction {
                id: 0,
                uid: String::new(),
                date: q,
                account: p.account.clone(),
                action: if reinvest {
                    Action::Reinvest
                } else {
                    Action::Dividend
                },
                symbol: Some(p.symbol.clone()),
                quantity: reinvest.then(|| (amount / close).round_dp(4)),
                price: reinvest.then_some(*close),
                fees: Decimal::ZERO,
                amount: (!reinvest).then_some(amount),
                currency: p.currency.clone(),
                lot: None,
                relief: None,
                note: Some("Quarterly dividend".into()),
            };
            txn.uid = content_uid("demo", &txn, 0);
            rows.push(Row {
                line: 0,
                txn,
                also: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_demo_ends_on_the_last_trading_day_before_today() {
        assert_eq!(last_close_before(d("2026-12-04")), d("2026-12-03")); // a Friday
        assert_eq!(last_close_before(d("2026-11-23")), d("2026-11-20")); // a Monday
        assert_eq!(last_close_before(d("2026-11-22")), d("2026-11-20")); // a Sunday
        assert_eq!(last_close_before(d("2026-12-28")), d("2026-12-24")); // after Christmas
    }

    #[test]
    fn the_calendar_moves_trading_days_onto_trading_days_in_order() {
        let spec = spec();
        let same = Calendar::new(&spec, spec.end);
        assert_eq!(
            same.from, same.to,
            "ending where the spec ends moves nothing"
        );
        assert_eq!(same.map(d("2021-11-20")), d("2021-11-20"));
        let moved = Calendar::new(&spec, d("2027-03-17"));
        assert_eq!(moved.to.len(), moved.from.len());
        assert_eq!(*moved.to.last().unwrap(), d("2027-03-17"));
        assert!(moved.to.windows(2).all(|w| w[0] < w[1]));
        for (f, t) in moved.from.iter().zip(&moved.to) {
            assert_eq!(moved.map(*f), *t);
            assert!(
                !sim::trading_days(*t, *t).is_empty(),
                "{t} is a trading day"
            );
        }
    }
}

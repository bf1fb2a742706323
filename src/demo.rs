//! `--demo`: a fresh database built deterministically from the files in assets/demo.
//!
//! Prices come from the seeded simulator (`market::sim`) with the spec in market.toml; trades
//! and cash movements from transactions.csv (canonical format; an empty price on a BUY or SELL
//! means "at that day's close"); quarterly dividends are generated from each fund's yield, paid
//! in cash in the taxable account and reinvested in the IRA. Everything goes through the same
//! import and ledger checks as a user's file.

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

/// Builds the demo database at `path` (which should not exist yet).
pub fn build(path: &Path) -> anyhow::Result<()> {
    let spec = spec();
    let prices = sim::simulate(&spec).map_err(|e| anyhow!("assets/demo/market.toml: {e}"))?;
    let closes: HashMap<(&str, NaiveDate), Decimal> = prices
        .iter()
        .flat_map(|(s, days)| days.iter().map(move |(d, c)| ((s.as_str(), *d), *c)))
        .collect();
    let csv = fill_prices(TRANSACTIONS, &closes)?;
    let mut batch = canonical::parse("assets/demo/transactions.csv", csv.as_bytes(), "USD")?;
    add_dividends(&mut batch.rows, &spec, &prices, &closes);
    let rows: Vec<PriceRow> = prices
        .iter()
        .flat_map(|(symbol, days)| {
            days.iter().map(|(date, close)| PriceRow {
                symbol: symbol.clone(),
                date: *date,
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
    })
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
                note: Some("Quarterly dividend".into()),
            };
            txn.uid = content_uid("demo", &txn, 0);
            rows.push(Row { line: 0, txn });
        }
    }
}

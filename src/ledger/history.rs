//! The portfolio's value day by day, from the transactions and the daily closes. Pure.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Book, Policy, apply};
use crate::domain::Transaction;

/// Holdings and cash in one currency at the end of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyValue {
    pub date: NaiveDate,
    /// Open positions at the latest close on or before `date` (positions without any close
    /// by then at their cost basis).
    pub holdings: Decimal,
    pub cash: Decimal,
}

impl DailyValue {
    pub fn total(&self) -> Decimal {
        self.holdings + self.cash
    }
}

/// Replays `txns` and values the book in `currency` at the end of each of `days` (ascending).
/// `closes` holds each symbol's closes in ascending date order. Transactions the ledger cannot
/// apply are skipped, as in [`super::replay`].
pub fn daily_values<'a>(
    txns: impl IntoIterator<Item = &'a Transaction>,
    policy: &Policy,
    closes: &HashMap<String, Vec<(NaiveDate, Decimal)>>,
    currency: &str,
    days: &[NaiveDate],
) -> Vec<DailyValue> {
    let walk = walk(txns, policy, closes, currency, days);
    walk.days
        .iter()
        .map(|d| DailyValue {
            date: d.date,
            holdings: d.market_values.iter().sum(),
            cash: d.cash,
        })
        .collect()
}

/// The book day by day with what performance needs: each symbol's value, the money that went
/// into or out of each symbol, and the external flows (what the investor put in or took out).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walk {
    /// Every symbol traded in `currency`, sorted; the index of the per-symbol columns below.
    pub symbols: Vec<String>,
    pub days: Vec<Day>,
}

/// One day of a [`Walk`], at its end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    pub cash: Decimal,
    /// Per symbol: open positions at the latest close on or before the day (at cost before the
    /// first close).
    pub market_values: Vec<Decimal>,
    /// Per symbol: money put in (purchases with fees, reinvested dividends, shares transferred
    /// in at their value) minus money taken out (sale proceeds, shares transferred out).
    pub invested: Vec<Decimal>,
    /// Per symbol: dividends (paid or reinvested).
    pub income: Vec<Decimal>,
    /// Deposits and transfers in (shares at their value that day).
    pub inflow: Decimal,
    /// Withdrawals and transfers out (shares at their value that day).
    pub outflow: Decimal,
}

impl Day {
    pub fn value(&self) -> Decimal {
        self.market_values.iter().sum::<Decimal>() + self.cash
    }
}

/// Replays `txns` and records a [`Day`] at the end of each of `days` (ascending). Transactions
/// dated between two days count on the later one; those after the last day are not applied.
pub fn walk<'a>(
    txns: impl IntoIterator<Item = &'a Transaction>,
    policy: &Policy,
    closes: &HashMap<String, Vec<(NaiveDate, Decimal)>>,
    currency: &str,
    days: &[NaiveDate],
) -> Walk {
    let mut order: Vec<&Transaction> = txns.into_iter().collect();
    order.sort_by_key(|t| (t.date, t.id));
    let mut symbols: Vec<String> = order
        .iter()
        .filter(|t| t.currency == currency && t.action != crate::domain::Action::Fx)
        .filter_map(|t| t.symbol.clone())
        .collect();
    symbols.sort();
    symbols.dedup();
    let index: HashMap<&str, usize> = symbols
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let mut book = Book::default();
    let mut next = 0;
    let mut out = Vec::with_capacity(days.len());
    let n = symbols.len();
    for &day in days {
        let mut d = Day {
            date: day,
            market_values: vec![Decimal::ZERO; n],
            invested: vec![Decimal::ZERO; n],
            income: vec![Decimal::ZERO; n],
            ..Day::default()
        };
        while let Some(t) = order.get(next).filter(|t| t.date <= day) {
            next += 1;
            if apply(&mut book, t, policy).is_err() || t.currency != currency {
                continue;
            }
            record(&mut d, t, &index, closes, day);
        }
        for (symbol, lots) in book.positions.values().flat_map(|m| m.iter()) {
            let Some(&i) = index.get(symbol.as_str()) else {
                continue;
            };
            if lots.front().is_none_or(|l| l.currency != currency) {
                continue;
            }
            let quantity: Decimal = lots.iter().map(|l| l.quantity).sum();
            d.market_values[i] += match close_on(closes, symbol, day) {
                Some(close) => (quantity * close).round_dp(2),
                // No close yet: at cost, so that buying it does not look like a loss.
                None => lots.iter().map(|l| l.cost).sum::<Decimal>(),
            };
        }
        d.cash = book
            .cash
            .values()
            .filter_map(|m| m.get(currency))
            .copied()
            .sum();
        out.push(d);
    }
    Walk { symbols, days: out }
}

/// The latest close of `symbol` on or before `day`.
fn close_on(
    closes: &HashMap<String, Vec<(NaiveDate, Decimal)>>,
    symbol: &str,
    day: NaiveDate,
) -> Option<Decimal> {
    let series = closes.get(symbol).map(Vec::as_slice).unwrap_or(&[]);
    let n = series.partition_point(|(d, _)| *d <= day);
    n.checked_sub(1).map(|i| series[i].1)
}

/// Adds an applied transaction's flows to its day.
fn record(
    d: &mut Day,
    t: &Transaction,
    index: &HashMap<&str, usize>,
    closes: &HashMap<String, Vec<(NaiveDate, Decimal)>>,
    day: NaiveDate,
) {
    use crate::domain::Action::*;
    let amount = t.amount.unwrap_or_default();
    let slot = t.symbol.as_deref().and_then(|s| index.get(s).copied());
    // Shares moved in kind are worth their close that day (their stated value without one).
    let in_kind = || {
        let q = t.quantity.unwrap_or_default();
        match t.symbol.as_deref().and_then(|s| close_on(closes, s, day)) {
            Some(c) => (q * c).round_dp(2),
            None => t.amount.unwrap_or_else(|| t.gross()),
        }
    };
    match (t.action, slot) {
        (Deposit, _) | (TransferIn, None) => d.inflow += amount,
        (Withdrawal, _) | (TransferOut, None) => d.outflow += amount,
        (Buy, Some(i)) => d.invested[i] += t.gross() + t.fees,
        (Reinvest, Some(i)) => {
            d.invested[i] += t.gross() + t.fees;
            d.income[i] += t.gross();
        }
        (Sell, Some(i)) => d.invested[i] -= t.gross() - t.fees,
        (Dividend, Some(i)) => d.income[i] += amount,
        (TransferIn, Some(i)) => {
            let v = in_kind();
            d.inflow += v;
            d.invested[i] += v;
        }
        (TransferOut, Some(i)) => {
            let v = in_kind();
            d.outflow += v;
            d.invested[i] -= v;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Action, LotMethod};
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn txn(
        id: i64,
        date: &str,
        action: Action,
        qty: Option<Decimal>,
        price: Option<Decimal>,
        amount: Option<Decimal>,
    ) -> Transaction {
        Transaction {
            id,
            uid: id.to_string(),
            date: d(date),
            account: "A".into(),
            action,
            symbol: qty.map(|_| "X".to_string()),
            quantity: qty,
            price,
            fees: Decimal::ZERO,
            amount,
            currency: "USD".into(),
            lot: None,
            relief: None,
            note: None,
        }
    }

    #[test]
    fn values_follow_trades_and_the_latest_close() {
        let txns = [
            txn(
                1,
                "2025-01-02",
                Action::Deposit,
                None,
                None,
                Some(dec!(1000)),
            ),
            txn(
                2,
                "2025-01-03",
                Action::Buy,
                Some(dec!(10)),
                Some(dec!(50)),
                None,
            ),
            txn(
                3,
                "2025-01-07",
                Action::Sell,
                Some(dec!(4)),
                Some(dec!(60)),
                None,
            ),
        ];
        let closes = HashMap::from([(
            "X".to_string(),
            vec![
                (d("2025-01-03"), dec!(50)),
                (d("2025-01-06"), dec!(55)),
                (d("2025-01-07"), dec!(60)),
            ],
        )]);
        let days = [
            d("2025-01-02"),
            d("2025-01-03"),
            d("2025-01-06"),
            d("2025-01-07"),
            d("2025-01-08"),
        ];
        let v = daily_values(
            &txns,
            &Policy::uniform(LotMethod::Fifo),
            &closes,
            "USD",
            &days,
        );
        let totals: Vec<_> = v.iter().map(|v| (v.holdings, v.cash)).collect();
        assert_eq!(
            totals,
            [
                (dec!(0), dec!(1000)),
                (dec!(500), dec!(500)),
                (dec!(550), dec!(500)),
                (dec!(360), dec!(740)),
                // No close on the 8th: the 7th's close still values the position.
                (dec!(360), dec!(740)),
            ]
        );
        assert!(
            daily_values(
                &txns,
                &Policy::uniform(LotMethod::Fifo),
                &closes,
                "EUR",
                &days
            )
            .iter()
            .all(|v| v.total().is_zero())
        );
    }

    #[test]
    fn a_position_without_a_close_yet_counts_at_cost() {
        let txns = [txn(
            1,
            "2025-01-02",
            Action::Buy,
            Some(dec!(10)),
            Some(dec!(50)),
            None,
        )];
        let closes = HashMap::from([("X".to_string(), vec![(d("2025-01-06"), dec!(52))])]);
        let days = [d("2025-01-02"), d("2025-01-03"), d("2025-01-06")];
        let v = daily_values(
            &txns,
            &Policy::uniform(LotMethod::Fifo),
            &closes,
            "USD",
            &days,
        );
        let holdings: Vec<_> = v.iter().map(|v| v.holdings).collect();
        assert_eq!(holdings, [dec!(500), dec!(500), dec!(520)]);
        // Cash went down by the same 500: the total does not dip on the day of the purchase.
        assert_eq!(v[0].total(), Decimal::ZERO);
    }
}

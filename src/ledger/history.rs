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
    let mut order: Vec<&Transaction> = txns.into_iter().collect();
    order.sort_by_key(|t| (t.date, t.id));
    let mut book = Book::default();
    let mut next = 0;
    let mut out = Vec::with_capacity(days.len());
    for &day in days {
        while let Some(t) = order.get(next).filter(|t| t.date <= day) {
            let _ = apply(&mut book, t, policy);
            next += 1;
        }
        out.push(DailyValue {
            date: day,
            holdings: holdings_value(&book, closes, currency, day),
            cash: book
                .cash
                .values()
                .filter_map(|m| m.get(currency))
                .copied()
                .sum(),
        });
    }
    out
}

fn holdings_value(
    book: &Book,
    closes: &HashMap<String, Vec<(NaiveDate, Decimal)>>,
    currency: &str,
    day: NaiveDate,
) -> Decimal {
    let mut total = Decimal::ZERO;
    for (symbol, lots) in book.positions.values().flat_map(|m| m.iter()) {
        if lots.front().is_none_or(|l| l.currency != currency) {
            continue;
        }
        let series = closes.get(symbol).map(Vec::as_slice).unwrap_or(&[]);
        let n = series.partition_point(|(d, _)| *d <= day);
        match n.checked_sub(1).map(|i| series[i]) {
            Some((_, close)) => {
                let quantity: Decimal = lots.iter().map(|l| l.quantity).sum();
                total += (quantity * close).round_dp(2);
            }
            // No close yet: at cost, so that buying it does not look like a loss.
            None => total += lots.iter().map(|l| l.cost).sum::<Decimal>(),
        }
    }
    total
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

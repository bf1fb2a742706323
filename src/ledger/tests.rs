//! Ledger tests with hand-computed expectations, and property tests of its invariants.

use super::*;
use crate::domain::Term;
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

struct B {
    txns: Vec<Transaction>,
}

impl B {
    fn new() -> Self {
        B { txns: Vec::new() }
    }
    fn push(
        &mut self,
        date: &str,
        action: Action,
        symbol: Option<&str>,
        qty: Option<Decimal>,
        price: Option<Decimal>,
    ) -> &mut Transaction {
        let id = self.txns.len() as i64 + 1;
        self.txns.push(Transaction {
            id,
            uid: format!("t{id}"),
            date: d(date),
            account: "Taxable".into(),
            action,
            symbol: symbol.map(String::from),
            quantity: qty,
            price,
            fees: Decimal::ZERO,
            amount: None,
            currency: "USD".into(),
            lot: None,
            relief: None,
            note: None,
        });
        self.txns.last_mut().unwrap()
    }
    fn buy(&mut self, date: &str, qty: Decimal, price: Decimal) -> &mut Transaction {
        self.push(date, Action::Buy, Some("VTI"), Some(qty), Some(price))
    }
    fn sell(&mut self, date: &str, qty: Decimal, price: Decimal) -> &mut Transaction {
        self.push(date, Action::Sell, Some("VTI"), Some(qty), Some(price))
    }
    fn run(&self, method: LotMethod) -> Book {
        let (book, errors) = replay(&self.txns, &Policy::uniform(method));
        assert_eq!(errors, vec![], "unexpected ledger errors");
        book
    }
}

/// Three lots: 10 @ 100 (Jan), 10 @ 120 (Feb), 10 @ 90 (Mar); then sell 15 @ 110 in June.
fn three_lots() -> B {
    let mut b = B::new();
    b.buy("2024-01-10", dec!(10), dec!(100));
    b.buy("2024-02-10", dec!(10), dec!(120));
    b.buy("2024-03-10", dec!(10), dec!(90));
    b.sell("2024-06-10", dec!(15), dec!(110));
    b
}

fn open(book: &Book) -> Vec<(NaiveDate, Decimal, Decimal)> {
    book.lots()
        .map(|(_, _, l)| l)
        .map(|l| (l.acquired, l.quantity, l.cost))
        .collect()
}

fn realized(book: &Book) -> Vec<(NaiveDate, Decimal, Decimal, Decimal)> {
    book.realized
        .iter()
        .map(|r| (r.acquired, r.quantity, r.cost, r.gain))
        .collect()
}

#[test]
fn fifo_sells_the_oldest_lots_first() {
    let book = three_lots().run(LotMethod::Fifo);
    // 10 from Jan (basis 1000, proceeds 1100), 5 from Feb (basis 600, proceeds 550).
    assert_eq!(
        realized(&book),
        vec![
            (d("2024-01-10"), dec!(10), dec!(1000), dec!(100)),
            (d("2024-02-10"), dec!(5), dec!(600), dec!(-50))
        ]
    );
    assert_eq!(
        open(&book),
        vec![
            (d("2024-02-10"), dec!(5), dec!(600)),
            (d("2024-03-10"), dec!(10), dec!(900))
        ]
    );
}

#[test]
fn lifo_sells_the_newest_lots_first() {
    let book = three_lots().run(LotMethod::Lifo);
    // 10 from Mar (basis 900, proceeds 1100), 5 from Feb (basis 600, proceeds 550).
    assert_eq!(
        realized(&book),
        vec![
            (d("2024-03-10"), dec!(10), dec!(900), dec!(200)),
            (d("2024-02-10"), dec!(5), dec!(600), dec!(-50))
        ]
    );
    assert_eq!(
        open(&book),
        vec![
            (d("2024-01-10"), dec!(10), dec!(1000)),
            (d("2024-02-10"), dec!(5), dec!(600))
        ]
    );
}

#[test]
fn hifo_sells_the_costliest_lots_first() {
    let book = three_lots().run(LotMethod::Hifo);
    // 10 from Feb @120 (basis 1200, proceeds 1100), 5 from Jan @100 (basis 500, proceeds 550).
    assert_eq!(
        realized(&book),
        vec![
            (d("2024-02-10"), dec!(10), dec!(1200), dec!(-100)),
            (d("2024-01-10"), dec!(5), dec!(500), dec!(50))
        ]
    );
    assert_eq!(
        open(&book),
        vec![
            (d("2024-01-10"), dec!(5), dec!(500)),
            (d("2024-03-10"), dec!(10), dec!(900))
        ]
    );
}

#[test]
fn a_named_lot_overrides_the_account_method() {
    let mut b = three_lots();
    b.txns.pop();
    b.sell("2024-06-10", dec!(4), dec!(110)).lot = Some(d("2024-03-10"));
    let book = b.run(LotMethod::Fifo);
    assert_eq!(
        realized(&book),
        vec![(d("2024-03-10"), dec!(4), dec!(360), dec!(80))]
    );
    assert_eq!(
        book.lots().map(|(_, _, l)| l.quantity).sum::<Decimal>(),
        dec!(26)
    );
}

#[test]
fn a_named_lot_that_is_too_small_is_an_error() {
    let mut b = three_lots();
    b.txns.pop();
    b.sell("2024-06-10", dec!(11), dec!(110)).lot = Some(d("2024-03-10"));
    b.sell("2024-06-11", dec!(1), dec!(110)).lot = Some(d("2024-03-11"));
    let (_, errors) = replay(&b.txns, &Policy::uniform(LotMethod::Fifo));
    assert_eq!(errors.len(), 2);
    assert_eq!(
        errors[0].message,
        "sells 11 VTI from the lot acquired 2024-03-10, but that lot holds only 10"
    );
    assert!(
        errors[1]
            .message
            .contains("holds no VTI lot acquired that day"),
        "{}",
        errors[1].message
    );
}

#[test]
fn partial_lot_sale_keeps_the_rest_of_the_basis() {
    let mut b = B::new();
    b.buy("2024-01-10", dec!(3), dec!(10)).fees = dec!(1); // basis 31
    b.sell("2024-02-10", dec!(1), dec!(12));
    let book = b.run(LotMethod::Fifo);
    // 31 / 3 = 10.333...; the piece takes 10.33333333 and the lot keeps 20.66666667.
    assert_eq!(
        realized(&book),
        vec![(
            d("2024-01-10"),
            dec!(1),
            dec!(10.33333333),
            dec!(1.66666667)
        )]
    );
    assert_eq!(
        open(&book),
        vec![(d("2024-01-10"), dec!(2), dec!(20.66666667))]
    );
}

#[test]
fn fees_go_into_basis_and_come_off_proceeds() {
    let mut b = B::new();
    b.buy("2024-01-10", dec!(10), dec!(50)).fees = dec!(5);
    b.sell("2024-03-10", dec!(10), dec!(60)).fees = dec!(7);
    let book = b.run(LotMethod::Fifo);
    let r = &book.realized[0];
    assert_eq!(
        (r.cost, r.proceeds, r.gain),
        (dec!(505), dec!(593), dec!(88))
    );
    // Cash: -505 then +593.
    assert_eq!(book.cash_in("Taxable", "USD"), dec!(88));
}

#[test]
fn sale_fees_are_shared_between_lots_by_quantity() {
    let mut b = B::new();
    b.buy("2024-01-10", dec!(1), dec!(10));
    b.buy("2024-01-11", dec!(2), dec!(10));
    b.sell("2024-03-10", dec!(3), dec!(20)).fees = dec!(1);
    let book = b.run(LotMethod::Fifo);
    let proceeds: Vec<Decimal> = book.realized.iter().map(|r| r.proceeds).collect();
    // 59 split 1:2 -> 19.66666667 and the remainder 39.33333333.
    assert_eq!(proceeds, vec![dec!(19.66666667), dec!(39.33333333)]);
}

#[test]
fn a_four_for_one_split_rescales_lots_and_keeps_basis_and_dates() {
    let mut b = B::new();
    b.buy("2024-01-10", dec!(10), dec!(400));
    b.buy("2024-02-10", dec!(5), dec!(420));
    b.push(
        "2024-06-01",
        Action::Split,
        Some("VTI"),
        Some(dec!(4)),
        None,
    );
    b.sell("2024-07-01", dec!(45), dec!(110));
    let book = b.run(LotMethod::Fifo);
    // 40 shares from Jan (basis 4000), 5 of 20 from Feb (basis 2100 * 5/20 = 525).
    assert_eq!(
        realized(&book),
        vec![
            (d("2024-01-10"), dec!(40), dec!(4000), dec!(400)),
            (d("2024-02-10"), dec!(5), dec!(525), dec!(25))
        ]
    );
    assert_eq!(open(&book), vec![(d("2024-02-10"), dec!(15), dec!(1575))]);
}

#[test]
fn a_reinvested_dividend_opens_a_lot_and_leaves_cash_alone() {
    let mut b = B::new();
    b.push("2024-01-02", Action::Deposit, None, None, None)
        .amount = Some(dec!(1000));
    b.buy("2024-01-10", dec!(5), dec!(100));
    b.push(
        "2024-03-28",
        Action::Reinvest,
        Some("VTI"),
        Some(dec!(0.125)),
        Some(dec!(104)),
    );
    let book = b.run(LotMethod::Fifo);
    assert_eq!(
        open(&book),
        vec![
            (d("2024-01-10"), dec!(5), dec!(500)),
            (d("2024-03-28"), dec!(0.125), dec!(13.000))
        ]
    );
    assert_eq!(book.cash_in("Taxable", "USD"), dec!(500));
}

#[test]
fn long_term_needs_more_than_one_year() {
    let mut b = B::new();
    b.buy("2023-05-15", dec!(2), dec!(100));
    b.sell("2024-05-15", dec!(1), dec!(90)); // exactly one year: short
    b.sell("2024-05-16", dec!(1), dec!(90)); // one year and a day: long
    let book = b.run(LotMethod::Fifo);
    let terms: Vec<Term> = book.realized.iter().map(|r| r.term).collect();
    assert_eq!(terms, vec![Term::Short, Term::Long]);
}

#[test]
fn selling_more_than_is_held_is_an_error_and_changes_nothing() {
    let mut b = B::new();
    b.buy("2024-01-10", dec!(10), dec!(100));
    b.sell("2024-02-10", dec!(11), dec!(100));
    b.push(
        "2024-02-11",
        Action::Sell,
        Some("AAPL"),
        Some(dec!(1)),
        Some(dec!(1)),
    );
    let (book, errors) = replay(&b.txns, &Policy::uniform(LotMethod::Fifo));
    assert_eq!(
        errors,
        vec![
            LedgerError {
                id: 2,
                column: "quantity",
                message: "sells 11 VTI from Taxable on 2024-02-10, but only 10 are held".into()
            },
            LedgerError {
                id: 3,
                column: "quantity",
                message: "sells 1 AAPL from Taxable on 2024-02-11, but the account holds none"
                    .into()
            },
        ]
    );
    assert_eq!(open(&book), vec![(d("2024-01-10"), dec!(10), dec!(1000))]);
    assert!(book.realized.is_empty());
}

#[test]
fn cash_follows_every_kind_of_transaction() {
    let mut b = B::new();
    let cash = |b: &mut B, date: &str, action: Action, amount: Decimal| {
        b.push(date, action, None, None, None).amount = Some(amount);
    };
    cash(&mut b, "2024-01-02", Action::Deposit, dec!(10000));
    cash(&mut b, "2024-01-03", Action::Withdrawal, dec!(500));
    cash(&mut b, "2024-01-04", Action::Dividend, dec!(12.5));
    cash(&mut b, "2024-01-04", Action::Tax, dec!(1.88));
    cash(&mut b, "2024-01-05", Action::Fee, dec!(10));
    cash(&mut b, "2024-01-06", Action::Interest, dec!(3.21));
    cash(&mut b, "2024-01-07", Action::TransferOut, dec!(1000));
    cash(&mut b, "2024-01-08", Action::TransferIn, dec!(250));
    // 10000 - 500 + 12.5 - 1.88 - 10 + 3.21 - 1000 + 250
    let fx = b.push(
        "2024-01-09",
        Action::Fx,
        Some("EUR.USD"),
        Some(dec!(1000)),
        Some(dec!(1.1)),
    );
    fx.fees = dec!(2);
    let book = b.run(LotMethod::Fifo);
    assert_eq!(book.cash_in("Taxable", "USD"), dec!(8753.83) - dec!(1102));
    assert_eq!(book.cash_in("Taxable", "EUR"), dec!(1000));
}

#[test]
fn transferred_in_shares_keep_their_basis_and_acquisition_date() {
    let mut b = B::new();
    b.buy("2024-01-10", dec!(1), dec!(100));
    let t = b.push(
        "2024-06-01",
        Action::TransferIn,
        Some("VTI"),
        Some(dec!(2)),
        Some(dec!(80)),
    );
    t.lot = Some(d("2022-03-01"));
    b.sell("2024-06-02", dec!(2), dec!(100));
    let book = b.run(LotMethod::Fifo);
    // FIFO goes by acquisition date, so the transferred 2022 lot (basis 160) goes first: long term.
    assert_eq!(book.realized[0].acquired, d("2022-03-01"));
    assert_eq!(
        (book.realized[0].cost, book.realized[0].term),
        (dec!(160), Term::Long)
    );
    assert_eq!(open(&book), vec![(d("2024-01-10"), dec!(1), dec!(100))]);
}

#[test]
fn a_split_that_would_overflow_is_an_error_not_a_panic() {
    let mut b = B::new();
    b.buy("2024-01-10", dec!(1000000000000), dec!(1));
    b.push(
        "2024-02-01",
        Action::Split,
        Some("VTI"),
        Some(dec!(1000000000000)),
        None,
    );
    let (book, errors) = replay(&b.txns, &Policy::uniform(LotMethod::Fifo));
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].message.contains("too large"),
        "{}",
        errors[0].message
    );
    assert_eq!(open(&book)[0].1, dec!(1000000000000));
}

#[test]
fn values_beyond_a_trillion_are_refused_before_any_arithmetic() {
    let mut b = B::new();
    b.buy("2024-01-10", dec!(99999999999999), dec!(99999999999999));
    let (_, errors) = replay(&b.txns, &Policy::uniform(LotMethod::Fifo));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].message.contains("too large"),
        "{}",
        errors[0].message
    );
}

#[test]
fn a_security_keeps_one_currency_per_account() {
    let mut b = B::new();
    b.buy("2024-01-10", dec!(10), dec!(100));
    b.buy("2024-01-11", dec!(10), dec!(90)).currency = "EUR".into();
    b.sell("2024-01-12", dec!(5), dec!(95)).currency = "EUR".into();
    let (book, errors) = replay(&b.txns, &Policy::uniform(LotMethod::Fifo));
    assert_eq!(errors.len(), 2);
    assert_eq!(
        errors[0].message,
        "VTI is held in USD in Taxable, but this row is in EUR; a security keeps one currency per account"
    );
    assert_eq!(open(&book), vec![(d("2024-01-10"), dec!(10), dec!(1000))]);
}

// ---- properties ----------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Buy(u32, u32, u32),
    Sell(u32, u32, u32),
    Split(u32),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        4 => (1u32..500, 1u32..50_000, 0u32..500).prop_map(|(q, p, f)| Op::Buy(q, p, f)),
        3 => (1u32..800, 1u32..50_000, 0u32..500).prop_map(|(q, p, f)| Op::Sell(q, p, f)),
        1 => (2u32..5).prop_map(Op::Split),
    ];
    prop::collection::vec(op, 1..60)
}

fn method() -> impl Strategy<Value = LotMethod> {
    prop_oneof![
        Just(LotMethod::Fifo),
        Just(LotMethod::Lifo),
        Just(LotMethod::Hifo)
    ]
}

/// Builds transactions from ops; quantities in tenths of a share, prices and fees in cents.
fn build(ops: &[Op]) -> B {
    let mut b = B::new();
    let mut date = d("2020-01-01");
    for op in ops {
        date = date.succ_opt().unwrap();
        let ds = date.to_string();
        match *op {
            Op::Buy(q, p, f) => {
                b.buy(&ds, Decimal::new(q.into(), 1), Decimal::new(p.into(), 2))
                    .fees = Decimal::new(f.into(), 2)
            }
            Op::Sell(q, p, f) => {
                b.sell(&ds, Decimal::new(q.into(), 1), Decimal::new(p.into(), 2))
                    .fees = Decimal::new(f.into(), 2)
            }
            Op::Split(r) => {
                b.push(
                    &ds,
                    Action::Split,
                    Some("VTI"),
                    Some(Decimal::from(r)),
                    None,
                );
            }
        }
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, rng_seed: proptest::test_runner::RngSeed::Fixed(20261122), ..ProptestConfig::default() })]

    #[test]
    fn lots_never_go_negative_and_quantities_balance(ops in ops(), m in method()) {
        let b = build(&ops);
        let (book, errors) = replay(&b.txns, &Policy::uniform(m));
        let rejected: std::collections::HashSet<i64> = errors.iter().map(|e| e.id).collect();
        prop_assert!(book.lots().all(|(_, _, l)| l.quantity > Decimal::ZERO && l.cost >= Decimal::ZERO));
        // Held = bought - sold, with each split applied to what was held at the time.
        let mut held = Decimal::ZERO;
        for t in b.txns.iter().filter(|t| !rejected.contains(&t.id)) {
            match t.action {
                Action::Buy => held += t.quantity.unwrap(),
                Action::Sell => held -= t.quantity.unwrap(),
                Action::Split => held *= t.quantity.unwrap(),
                _ => {}
            }
            prop_assert!(held >= Decimal::ZERO);
        }
        prop_assert_eq!(book.lots().map(|(_, _, l)| l.quantity).sum::<Decimal>(), held);
        // A sale is rejected only when it asks for more than is held.
        for e in &errors {
            prop_assert!(e.message.contains("are held") || e.message.contains("holds none"), "{}", e.message);
        }
    }

    #[test]
    fn realized_plus_unrealized_is_the_total_return(ops in ops(), m in method(), last in 1u32..50_000) {
        let b = build(&ops);
        let (book, errors) = replay(&b.txns, &Policy::uniform(m));
        let rejected: std::collections::HashSet<i64> = errors.iter().map(|e| e.id).collect();
        let price = Decimal::new(last.into(), 2);
        let mut cash = Decimal::ZERO;
        for t in b.txns.iter().filter(|t| !rejected.contains(&t.id)) {
            match t.action {
                Action::Buy => cash -= t.gross() + t.fees,
                Action::Sell => cash += t.gross() - t.fees,
                _ => {}
            }
        }
        let held: Decimal = book.lots().map(|(_, _, l)| l.quantity).sum();
        let total_return = cash + held * price;
        let realized: Decimal = book.realized.iter().map(|r| r.gain).sum();
        let unrealized: Decimal = book.lots().map(|(_, _, l)| l.quantity * price - l.cost).sum();
        prop_assert_eq!(realized + unrealized, total_return);
        prop_assert_eq!(book.cash().map(|(_, _, v)| v).sum::<Decimal>(), cash);
    }
}

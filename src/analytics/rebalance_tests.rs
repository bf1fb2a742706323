//! Rebalancing on hand-built books, each answer worked out by hand in the comments.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::*;
use crate::analytics::tax::{Rates, YearSummary};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const TODAY: &str = "2026-06-01";

struct Book {
    accounts: Vec<Account>,
    holdings: Vec<Holding>,
    targets: Vec<Target>,
    candidates: HashMap<String, Vec<Candidate>>,
    blocked: HashMap<String, NaiveDate>,
    new_cash: Decimal,
    new_cash_account: Option<String>,
}

fn group(symbol: &str) -> String {
    match symbol {
        "VOO" | "IVV" => "S&P 500".into(),
        s => s.into(),
    }
}

fn class(symbol: &str) -> &'static str {
    match symbol {
        "BND" | "AGG" => "US bonds",
        "VXUS" => "International stocks",
        _ => "US stocks",
    }
}

impl Book {
    fn new(targets: &[(&str, Decimal)]) -> Book {
        Book {
            accounts: Vec::new(),
            holdings: Vec::new(),
            targets: targets
                .iter()
                .map(|(k, p)| Target {
                    key: k.to_string(),
                    pct: *p,
                    band: dec!(5).min(*p / dec!(4)),
                })
                .collect(),
            candidates: HashMap::new(),
            blocked: HashMap::new(),
            new_cash: Decimal::ZERO,
            new_cash_account: None,
        }
    }

    fn account(mut self, name: &str, kind: AccountKind, cash: Decimal) -> Book {
        self.accounts.push(Account {
            name: name.into(),
            kind,
            cash,
        });
        self
    }

    /// `lots`: (purchased, quantity, cost).
    fn hold(self, account: &str, symbol: &str, price: Decimal, lots: &[(&str, i64, i64)]) -> Book {
        self.holding(account, symbol, class(symbol), price, lots)
    }

    fn holding(
        mut self,
        account: &str,
        symbol: &str,
        key: &str,
        price: Decimal,
        lots: &[(&str, i64, i64)],
    ) -> Book {
        self.holdings.push(Holding {
            account: account.into(),
            symbol: symbol.into(),
            group: group(symbol),
            key: key.into(),
            price,
            lots: lots
                .iter()
                .map(|(p, q, c)| LotIn {
                    purchased: d(p),
                    holding_from: d(p),
                    quantity: Decimal::from(*q),
                    cost: Decimal::from(*c),
                    replacements: Decimal::ZERO,
                })
                .collect(),
        });
        self
    }

    fn buy(mut self, key: &str, symbols: &[(&str, Decimal)]) -> Book {
        self.candidates.insert(
            key.into(),
            symbols
                .iter()
                .map(|(s, p)| Candidate {
                    symbol: s.to_string(),
                    group: group(s),
                    price: *p,
                })
                .collect(),
        );
        self
    }

    fn plan(&self, tweak: impl FnOnce(&mut Settings)) -> Plan {
        let mut settings = Settings {
            tax_aware: true,
            no_sell: false,
            max_trades: None,
            min_trade: Decimal::ZERO,
            fractional: false,
            allow_short_term: false,
        };
        tweak(&mut settings);
        let rates = Rates {
            short_term: dec!(0.35),
            long_term: dec!(0.15),
            offset_limit: dec!(3000),
            carry_in_short: Decimal::ZERO,
            carry_in_long: Decimal::ZERO,
        };
        let year = YearSummary::default();
        let input = Input {
            today: d(TODAY),
            accounts: &self.accounts,
            holdings: &self.holdings,
            targets: &self.targets,
            default_band: dec!(5),
            new_cash: self.new_cash,
            new_cash_account: self.new_cash_account.as_deref(),
            candidates: &self.candidates,
            blocked: &self.blocked,
            year: &year,
            rates: &rates,
        };
        plan(&input, &settings)
    }
}

/// (side, account, symbol, quantity) of each trade.
fn trades(p: &Plan) -> Vec<(Side, &str, &str, Decimal)> {
    p.trades
        .iter()
        .map(|t| (t.side, t.account.as_str(), t.symbol.as_str(), t.quantity))
        .collect()
}

fn stocks_and_bonds() -> Book {
    Book::new(&[("US stocks", dec!(60)), ("US bonds", dec!(40))])
        .buy("US stocks", &[("VTI", dec!(100))])
        .buy("US bonds", &[("BND", dec!(100)), ("AGG", dec!(50))])
}

#[test]
fn new_cash_alone_buys_what_is_under() {
    // Base 6,000 + 4,000 + 1,000 new = 11,000: targets 6,600 and 4,400. Stocks at 54.5% are
    // 5.5 points under (out of the 5-point band), bonds at 36.4% in band: the cash buys 6 VTI
    // (the out-of-band deficit first) and 4 BND. No sale, no tax, both on target.
    let mut b = stocks_and_bonds()
        .account("Taxable", AccountKind::Taxable, Decimal::ZERO)
        .hold("Taxable", "VTI", dec!(100), &[("2020-01-02", 60, 3000)])
        .hold("Taxable", "BND", dec!(100), &[("2020-01-02", 40, 4000)]);
    b.new_cash = dec!(1000);
    b.new_cash_account = Some("Taxable".into());
    let p = b.plan(|_| {});
    assert_eq!(
        trades(&p),
        [
            (Side::Buy, "Taxable", "VTI", dec!(6)),
            (Side::Buy, "Taxable", "BND", dec!(4)),
        ]
    );
    assert_eq!(p.estimated_tax, Decimal::ZERO);
    assert_eq!(p.sold, Decimal::ZERO);
    assert!(p.within_bands, "{:?}", p.drift);
    assert_eq!(p.cash_after, Decimal::ZERO);
    assert!(p.trades.iter().all(|t| t.reason.contains("paid from cash")));
}

#[test]
fn the_ira_is_traded_before_the_taxable_account() {
    // Base 10,000: stocks 8,000 (80%) against 60%: 2,000 over. The IRA holds 3,000 of VTI, so
    // the whole sale happens there (20 shares, no tax) and its proceeds buy 20 BND in the IRA.
    // The proportional plan sells 5/8 of 2,000 in the taxable account instead: 13 shares with
    // a 60 long-term gain each, 780 taxed at 15% = 117.
    let b = stocks_and_bonds()
        .account("IRA", AccountKind::Ira, Decimal::ZERO)
        .account("Taxable", AccountKind::Taxable, Decimal::ZERO)
        .hold("Taxable", "VTI", dec!(100), &[("2020-01-02", 50, 2000)])
        .hold("IRA", "VTI", dec!(100), &[("2020-01-02", 30, 3000)])
        .hold("IRA", "BND", dec!(100), &[("2020-01-02", 20, 2000)]);
    let p = b.plan(|_| {});
    assert_eq!(
        trades(&p),
        [
            (Side::Sell, "IRA", "VTI", dec!(20)),
            (Side::Buy, "IRA", "BND", dec!(20)),
        ]
    );
    assert_eq!(p.estimated_tax, Decimal::ZERO);
    assert!(p.within_bands);
    assert!(
        p.trades[0].reason.contains("tax-advantaged"),
        "{}",
        p.trades[0].reason
    );

    let blind = b.plan(|s| s.tax_aware = false);
    let taxable_sale = blind
        .trades
        .iter()
        .find(|t| t.account == "Taxable" && t.side == Side::Sell)
        .expect("the proportional plan sells in the taxable account");
    assert_eq!(taxable_sale.quantity, dec!(13));
    assert_eq!(taxable_sale.long_term_gain, dec!(780));
    assert_eq!(blind.estimated_tax, dec!(117));
}

#[test]
fn losses_are_sold_before_gains() {
    // VTI 30 shares at 100 in three lots, BND 10 at 100: base 4,000, stocks 75% against 50%,
    // 1,000 (10 shares) over. The lot bought at 150 (a 500 long-term loss) goes first; the
    // loss offsets ordinary income at 35%: tax -175.
    let b = Book::new(&[("US stocks", dec!(50)), ("US bonds", dec!(50))])
        .buy("US bonds", &[("BND", dec!(100))])
        .account("Taxable", AccountKind::Taxable, Decimal::ZERO)
        .hold(
            "Taxable",
            "VTI",
            dec!(100),
            &[
                ("2020-01-02", 10, 1500),
                ("2025-01-02", 10, 500),
                ("2026-03-02", 10, 800),
            ],
        )
        .hold("Taxable", "BND", dec!(100), &[("2020-01-02", 10, 1000)]);
    let p = b.plan(|_| {});
    assert_eq!(
        trades(&p),
        [
            (Side::Sell, "Taxable", "VTI", dec!(10)),
            (Side::Buy, "Taxable", "BND", dec!(10)),
        ]
    );
    let lots = &p.trades[0].lots;
    assert_eq!(lots.len(), 1);
    assert_eq!(lots[0].purchased, d("2020-01-02"));
    assert_eq!(p.trades[0].long_term_gain, dec!(-500));
    assert_eq!(p.estimated_tax, dec!(-175));
    assert!(
        p.trades[0].reason.contains("loss"),
        "{}",
        p.trades[0].reason
    );
}

#[test]
fn long_term_gains_are_sold_before_short_term_ones() {
    // Two VTI lots of 10 at 100: long term with 500 of gain (cost 50 a share), short term with
    // 200 (cost 80 a share, a smaller gain per dollar). Base 4,000 with 20 BND; stocks 50%
    // against 25%: 10 shares over. The long-term lot goes, tax 500 x 15% = 75.
    let b = Book::new(&[("US stocks", dec!(25)), ("US bonds", dec!(75))])
        .buy("US bonds", &[("BND", dec!(100))])
        .account("Taxable", AccountKind::Taxable, Decimal::ZERO)
        .hold(
            "Taxable",
            "VTI",
            dec!(100),
            &[("2025-01-02", 10, 500), ("2026-03-02", 10, 800)],
        )
        .hold("Taxable", "BND", dec!(100), &[("2020-01-02", 20, 2000)]);
    let p = b.plan(|_| {});
    assert_eq!(p.trades[0].lots.len(), 1);
    assert_eq!(p.trades[0].lots[0].purchased, d("2025-01-02"));
    assert_eq!(p.trades[0].lots[0].term, Term::Long);
    assert_eq!(p.estimated_tax, dec!(75));
    assert!(p.within_bands);
}

#[test]
fn short_term_gains_are_a_compromise_unless_allowed() {
    // Only a short-term lot is over: the tax-aware plan sells nothing, says why and when the
    // lot turns long term; allowed, it sells 10 shares with 200 of short-term gain (tax 70).
    let b = Book::new(&[("US stocks", dec!(25)), ("US bonds", dec!(75))])
        .buy("US bonds", &[("BND", dec!(100))])
        .account("Taxable", AccountKind::Taxable, Decimal::ZERO)
        .hold("Taxable", "VTI", dec!(100), &[("2026-03-02", 20, 1600)])
        .hold("Taxable", "BND", dec!(100), &[("2020-01-02", 20, 2000)]);
    let p = b.plan(|_| {});
    assert!(p.trades.is_empty(), "{:?}", trades(&p));
    assert!(!p.within_bands);
    let notes = p.notes.join("\n");
    assert!(notes.contains("short-term"), "{notes}");
    assert!(notes.contains("2027-03-03"), "{notes}");
    let allowed = b.plan(|s| s.allow_short_term = true);
    assert_eq!(allowed.trades[0].quantity, dec!(10));
    assert_eq!(allowed.short_term_gain, dec!(200));
    assert_eq!(allowed.estimated_tax, dec!(70));
    assert!(allowed.within_bands);
}

#[test]
fn a_buy_that_would_wash_a_recent_loss_is_replaced_or_deferred() {
    // BND was sold at a loss on 2026-05-20: buying BND before 2026-06-20 washes it. The cash
    // buys AGG (another index) instead: 1,000 / 50 = 20 shares.
    let mut b = stocks_and_bonds()
        .account("Taxable", AccountKind::Taxable, dec!(1000))
        .hold("Taxable", "VTI", dec!(100), &[("2020-01-02", 60, 3000)])
        .hold("Taxable", "BND", dec!(100), &[("2020-01-02", 30, 3000)]);
    b.blocked.insert("BND".into(), d("2026-06-20"));
    let p = b.plan(|_| {});
    assert_eq!(trades(&p), [(Side::Buy, "Taxable", "AGG", dec!(20))]);
    assert!(
        p.trades[0].reason.contains("instead"),
        "{}",
        p.trades[0].reason
    );
    // With no other bond fund the purchase waits for the safe day.
    b.candidates.insert(
        "US bonds".into(),
        vec![Candidate {
            symbol: "BND".into(),
            group: "BND".into(),
            price: dec!(100),
        }],
    );
    let p = b.plan(|_| {});
    assert!(p.trades.is_empty(), "{:?}", trades(&p));
    assert_eq!(p.deferred.len(), 1);
    assert_eq!(p.deferred[0].safe_from, Some(d("2026-06-20")));
    assert_eq!(p.deferred[0].amount, dec!(1000));
}

#[test]
fn a_loss_sale_that_a_purchase_in_the_plan_would_wash_is_not_proposed() {
    // Targets by symbol, VOO and IVV: one index, substantially identical. VOO is 2,000 of
    // 2,500 (80% against 50%): 2,000 - 1,250 = 750 over. Its lot at a loss
    // would be washed by the IVV the plan buys, so the long-term gain lot is sold instead:
    // 8 shares (800), of which 750 buys 7 IVV.
    let b = Book::new(&[("VOO", dec!(50)), ("IVV", dec!(50))])
        .buy("IVV", &[("IVV", dec!(100))])
        .account("Taxable", AccountKind::Taxable, Decimal::ZERO)
        .holding(
            "Taxable",
            "VOO",
            "VOO",
            dec!(100),
            &[("2020-01-02", 10, 1500), ("2021-01-04", 10, 500)],
        )
        .holding(
            "Taxable",
            "IVV",
            "IVV",
            dec!(100),
            &[("2020-01-02", 5, 500)],
        );
    let p = b.plan(|_| {});
    assert_eq!(
        trades(&p),
        [
            (Side::Sell, "Taxable", "VOO", dec!(8)),
            (Side::Buy, "Taxable", "IVV", dec!(7)),
        ]
    );
    assert!(
        p.trades[0]
            .lots
            .iter()
            .all(|l| l.purchased == d("2021-01-04"))
    );
    assert!(
        p.notes.iter().any(|n| n.contains("would wash")),
        "{:?}",
        p.notes
    );
}

#[test]
fn max_trades_is_honoured() {
    // Base 3,000 + 2,000 + 1,000 + 3,000 new = 9,000; targets 3,600, 2,700 and 2,700: all
    // three out of band, under by 600, 700 and 1,700. The cash buys 17 BND, 14 VXUS and 6
    // VTI; capped at two trades, the smallest (VTI) is left out.
    let mut b = Book::new(&[
        ("US stocks", dec!(40)),
        ("International stocks", dec!(30)),
        ("US bonds", dec!(30)),
    ])
    .buy("US stocks", &[("VTI", dec!(100))])
    .buy("International stocks", &[("VXUS", dec!(50))])
    .buy("US bonds", &[("BND", dec!(100))])
    .account("Taxable", AccountKind::Taxable, Decimal::ZERO)
    .hold("Taxable", "VTI", dec!(100), &[("2020-01-02", 30, 3000)])
    .hold("Taxable", "VXUS", dec!(50), &[("2020-01-02", 40, 2000)])
    .hold("Taxable", "BND", dec!(100), &[("2020-01-02", 10, 1000)]);
    b.new_cash = dec!(3000);
    b.new_cash_account = Some("Taxable".into());
    assert_eq!(
        trades(&b.plan(|_| {})),
        [
            (Side::Buy, "Taxable", "BND", dec!(17)),
            (Side::Buy, "Taxable", "VXUS", dec!(14)),
            (Side::Buy, "Taxable", "VTI", dec!(6)),
        ]
    );
    let p = b.plan(|s| s.max_trades = Some(2));
    assert_eq!(
        trades(&p),
        [
            (Side::Buy, "Taxable", "BND", dec!(17)),
            (Side::Buy, "Taxable", "VXUS", dec!(14)),
        ]
    );
    assert_eq!(p.cash_after, dec!(600));
}

#[test]
fn a_book_within_its_bands_trades_nothing() {
    let b = stocks_and_bonds()
        .account("Taxable", AccountKind::Taxable, Decimal::ZERO)
        .hold("Taxable", "VTI", dec!(100), &[("2020-01-02", 62, 3000)])
        .hold("Taxable", "BND", dec!(100), &[("2020-01-02", 38, 4000)]);
    let p = b.plan(|_| {});
    assert!(p.trades.is_empty());
    assert!(p.within_bands);
    assert!(p.notes[0].contains("within its band"), "{:?}", p.notes);
}

#[test]
fn small_trades_are_left_out() {
    // 250 of new cash: base 10,250, targets 6,150 and 4,100, both in band; the cash buys 1
    // VTI (150 under) and 1 BND (100 under). A 200 minimum leaves both out.
    let mut b = stocks_and_bonds()
        .account("Taxable", AccountKind::Taxable, Decimal::ZERO)
        .hold("Taxable", "VTI", dec!(100), &[("2020-01-02", 60, 3000)])
        .hold("Taxable", "BND", dec!(100), &[("2020-01-02", 40, 4000)]);
    b.new_cash = dec!(250);
    b.new_cash_account = Some("Taxable".into());
    assert_eq!(
        trades(&b.plan(|_| {})),
        [
            (Side::Buy, "Taxable", "VTI", dec!(1)),
            (Side::Buy, "Taxable", "BND", dec!(1)),
        ]
    );
    let p = b.plan(|s| s.min_trade = dec!(200));
    assert!(p.trades.is_empty());
    assert!(
        p.notes.iter().any(|n| n.contains("min trade")),
        "{:?}",
        p.notes
    );
}

#[test]
fn a_loss_that_recent_purchases_would_wash_counts_only_its_allowed_part() {
    // VTI 20 shares at 100 (2,000) and BND 10 (1,000): stocks 66.7% against 50%, 500 over: 5
    // shares of the lot bought at 150. 4 shares bought in the last 30 days would replace 4 of
    // them: of the 250 loss, 4/5 (200) is disallowed and 50 is recognized, long term, which
    // offsets ordinary income at 35%: tax -17.50.
    let mut b = Book::new(&[("US stocks", dec!(50)), ("US bonds", dec!(50))])
        .buy("US bonds", &[("BND", dec!(100))])
        .account("Taxable", AccountKind::Taxable, Decimal::ZERO)
        .hold(
            "Taxable",
            "VTI",
            dec!(100),
            &[("2020-01-02", 10, 1500), ("2026-05-20", 10, 1000)],
        )
        .hold("Taxable", "BND", dec!(100), &[("2020-01-02", 10, 1000)]);
    b.holdings[0].lots[0].replacements = dec!(4);
    let p = b.plan(|_| {});
    let sale = &p.trades[0];
    assert_eq!((sale.side, sale.quantity), (Side::Sell, dec!(5)));
    assert_eq!(sale.lots.len(), 1);
    assert_eq!(sale.lots[0].purchased, d("2020-01-02"));
    assert_eq!(sale.lots[0].gain, dec!(-250));
    assert_eq!(sale.lots[0].wash_disallowed, dec!(200));
    assert_eq!(sale.long_term_gain, dec!(-50));
    assert_eq!(p.estimated_tax, dec!(-17.50));
    assert!(sale.reason.contains("disallowed"), "{}", sale.reason);
}

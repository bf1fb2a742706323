//! The rebalancing plan (figures in BENCHMARKS.md): 500 lots of 24 symbols in 12 asset
//! classes across three accounts (taxable, IRA, Roth), lots bought over five years at prices
//! around today's (gains and losses, short and long term), targets the holdings have drifted
//! from, two funds to buy per class, one class's funds blocked by a recent loss. Seeded.
//! What `folio rebalance` computes: the tax-aware plan and the proportional one beside it,
//! with no trade limit and with `--max-trades 6` (which plans again for every trade it drops).
//!
//! Run with `cargo bench --bench rebalance`.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use folio::analytics::rebalance::{
    Account, Candidate, Holding, Input, LotIn, Settings, Target, plan,
};
use folio::analytics::tax::{Rates, YearSummary};
use folio::domain::AccountKind;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rust_decimal::Decimal;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CLASSES: usize = 12;
const LOTS: usize = 500;

struct Fixture {
    accounts: Vec<Account>,
    holdings: Vec<Holding>,
    targets: Vec<Target>,
    candidates: HashMap<String, Vec<Candidate>>,
    blocked: HashMap<String, NaiveDate>,
    year: YearSummary,
    rates: Rates,
    today: NaiveDate,
}

fn fixture() -> Fixture {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let today = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let accounts = vec![
        Account {
            name: "Taxable".into(),
            kind: AccountKind::Taxable,
            cash: Decimal::from(4000),
        },
        Account {
            name: "IRA".into(),
            kind: AccountKind::Ira,
            cash: Decimal::from(1500),
        },
        Account {
            name: "Roth".into(),
            kind: AccountKind::Roth,
            cash: Decimal::ZERO,
        },
    ];
    let mut holdings: Vec<Holding> = Vec::new();
    let mut candidates: HashMap<String, Vec<Candidate>> = HashMap::new();
    for c in 0..CLASSES {
        let class = format!("Class {c}");
        for k in 0..2 {
            let symbol = format!("S{c}{k}");
            let price = Decimal::from(rng.random_range(20..400));
            candidates
                .entry(class.clone())
                .or_default()
                .push(Candidate {
                    symbol: symbol.clone(),
                    group: symbol.clone(),
                    price,
                });
            for a in &accounts {
                holdings.push(Holding {
                    account: a.name.clone(),
                    symbol: symbol.clone(),
                    group: symbol.clone(),
                    key: class.clone(),
                    price,
                    lots: Vec::new(),
                });
            }
        }
    }
    // Lots spread unevenly: early classes heavier, so they drift over their targets.
    for i in 0..LOTS {
        let n = holdings.len();
        let h = &mut holdings[(i * 7 + rng.random_range(0..n / 2)) % n];
        let days = rng.random_range(1..1800u64);
        let purchased = today.checked_sub_days(Days::new(days)).unwrap();
        let quantity = Decimal::from(rng.random_range(5..60));
        let unit = h.price * Decimal::from(rng.random_range(60..140)) / Decimal::ONE_HUNDRED;
        h.lots.push(LotIn {
            purchased,
            holding_from: purchased,
            quantity,
            cost: (unit * quantity).round_dp(2),
            replacements: Decimal::ZERO,
        });
    }
    for h in &mut holdings {
        h.lots.sort_by_key(|l| l.purchased);
    }
    holdings.retain(|h| !h.lots.is_empty());
    let pct = Decimal::ONE_HUNDRED / Decimal::from(CLASSES as u64);
    let targets = (0..CLASSES)
        .map(|c| Target {
            key: format!("Class {c}"),
            pct: if c + 1 == CLASSES {
                Decimal::ONE_HUNDRED - pct.round_dp(2) * Decimal::from(CLASSES as u64 - 1)
            } else {
                pct.round_dp(2)
            },
            band: Decimal::from(2),
        })
        .collect();
    let blocked = HashMap::from([("S30".to_string(), today + Days::new(12))]);
    Fixture {
        accounts,
        holdings,
        targets,
        candidates,
        blocked,
        year: YearSummary::default(),
        rates: Rates {
            short_term: Decimal::new(35, 2),
            long_term: Decimal::new(15, 2),
            offset_limit: Decimal::from(3000),
            carry_in_short: Decimal::ZERO,
            carry_in_long: Decimal::ZERO,
        },
        today,
    }
}

impl Fixture {
    fn input(&self) -> Input<'_> {
        Input {
            today: self.today,
            accounts: &self.accounts,
            holdings: &self.holdings,
            targets: &self.targets,
            default_band: Decimal::from(5),
            new_cash: Decimal::from(5000),
            new_cash_account: Some("Taxable"),
            candidates: &self.candidates,
            blocked: &self.blocked,
            year: &self.year,
            rates: &self.rates,
        }
    }
}

fn settings(max_trades: Option<usize>) -> Settings {
    Settings {
        tax_aware: true,
        no_sell: false,
        max_trades,
        min_trade: Decimal::from(100),
        fractional: false,
        allow_short_term: false,
    }
}

fn main() {
    let f = fixture();
    let lots: usize = f.holdings.iter().map(|h| h.lots.len()).sum();
    let p = plan(&f.input(), &settings(None));
    eprintln!(
        "fixture: {lots} lots, {} holdings, {CLASSES} classes, 3 accounts; the tax-aware plan has {} trades, tax {}, within bands: {}",
        f.holdings.len(),
        p.trades.len(),
        p.estimated_tax,
        p.within_bands
    );
    divan::main();
}

/// What `folio rebalance` plans: the tax-aware plan and the proportional one.
#[divan::bench(args = [None, Some(6)])]
fn both_plans(bencher: divan::Bencher, max_trades: Option<usize>) {
    let f = fixture();
    bencher.bench(|| {
        let input = f.input();
        let a = plan(&input, &settings(max_trades));
        let b = plan(
            &input,
            &Settings {
                tax_aware: false,
                ..settings(max_trades)
            },
        );
        divan::black_box((a, b))
    });
}

//! The harvest scan (figures in BENCHMARKS.md): 10,000 open lots across 500 symbols in three
//! accounts, from 5 years of buys, sales and quarterly reinvestments, with 5 years of daily
//! closes per symbol, and a securities table that gives every symbol about 45 replacement
//! candidates to compare. Seeded.
//!
//! Run with `cargo bench --bench harvest`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use chrono::{Datelike, Days, NaiveDate};
use folio::analytics::harvest::{Market, Settings, scan};
use folio::config::Config;
use folio::domain::securities::Securities;
use folio::domain::{Account, AccountKind, Action, LotMethod, Transaction};
use folio::ledger::{Book, Policy, replay};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rust_decimal::Decimal;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SYMBOLS: usize = 500;
const BUYS: usize = 11_500;
const SALES: usize = 1_500;

fn main() {
    let f = fixture();
    let open = f.book.lots().count();
    let closes: usize = f.closes.values().map(Vec::len).sum();
    let h = scan(
        &f.book,
        &f.policy,
        &f.txns,
        &f.market(),
        f.as_of,
        &f.settings,
    );
    eprintln!(
        "fixture: {} transactions, {open} open lots, {SYMBOLS} symbols, {closes} closes; the scan finds {} candidates",
        f.txns.len(),
        h.candidates.len()
    );
    divan::main();
}

struct Fixture {
    txns: Vec<Transaction>,
    book: Book,
    policy: Policy,
    prices: HashMap<String, Decimal>,
    closes: HashMap<String, Vec<(NaiveDate, Decimal)>>,
    settings: Settings,
    as_of: NaiveDate,
}

impl Fixture {
    fn market(&self) -> Market<'_> {
        Market {
            prices: &self.prices,
            closes: &self.closes,
        }
    }
}

fn symbol(i: usize) -> String {
    format!("H{i:03}")
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2026);
        let start = NaiveDate::from_ymd_opt(2021, 11, 22).unwrap();
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let days: Vec<NaiveDate> = start
            .iter_days()
            .take_while(|d| *d <= as_of)
            .filter(|d| d.weekday().num_days_from_monday() < 5)
            .collect();
        // Ten classes of 50; every fifth symbol tracks its neighbour's index (substantially
        // identical pairs). Returns: a class factor plus noise.
        let mut table = String::new();
        for i in 0..SYMBOLS {
            let index = if i % 5 == 4 { i - 1 } else { i };
            writeln!(
                table,
                "{} = {{ name = \"Fund {i}\", class = \"Class {}\", index = \"Index {index}\" }}",
                symbol(i),
                i / 50
            )
            .unwrap();
        }
        let securities = Securities::parse(&table).unwrap();
        let mut closes: HashMap<String, Vec<(NaiveDate, Decimal)>> = HashMap::new();
        let factors: Vec<Vec<f64>> = (0..10)
            .map(|_| {
                (0..days.len())
                    .map(|_| rng.random_range(-0.015..0.015))
                    .collect()
            })
            .collect();
        for i in 0..SYMBOLS {
            let mut p = rng.random_range(40.0..200.0);
            let beta = rng.random_range(0.7..1.3);
            let series = days
                .iter()
                .enumerate()
                .map(|(t, d)| {
                    p *= 1.0 + beta * factors[i / 50][t] + rng.random_range(-0.006..0.006);
                    (*d, Decimal::try_from(p).unwrap().round_dp(2))
                })
                .collect();
            closes.insert(symbol(i), series);
        }
        let price_on = |s: &str, d: NaiveDate| -> Decimal {
            let c = &closes[s];
            c[c.partition_point(|(x, _)| *x <= d).max(1) - 1].1
        };
        let accounts = ["Taxable", "Joint", "IRA"];
        let mut txns = Vec::new();
        let mut held: HashMap<(usize, usize), Decimal> = HashMap::new();
        let push = |txns: &mut Vec<Transaction>,
                    date,
                    account: usize,
                    action,
                    s: usize,
                    q: Decimal,
                    price| {
            let id = txns.len() as i64 + 1;
            txns.push(Transaction {
                id,
                uid: format!("b{id}"),
                date,
                account: accounts[account].into(),
                action,
                symbol: Some(symbol(s)),
                quantity: Some(q),
                price: Some(price),
                fees: Decimal::ZERO,
                amount: None,
                currency: "USD".into(),
                lot: None,
                relief: None,
                note: None,
            });
        };
        let span = (as_of - start).num_days() as u64;
        let mut events: Vec<(NaiveDate, bool)> = (0..BUYS + SALES)
            .map(|i| (start + Days::new(rng.random_range(0..span)), i >= BUYS))
            .collect();
        events.sort();
        for (date, sale) in events {
            let (a, s) = (rng.random_range(0..3), rng.random_range(0..SYMBOLS));
            let price = price_on(&symbol(s), date);
            let have = held.get(&(a, s)).copied().unwrap_or_default();
            if sale && have > Decimal::ONE {
                let q = (have / Decimal::TWO).floor();
                *held.get_mut(&(a, s)).unwrap() -= q;
                push(&mut txns, date, a, Action::Sell, s, q, price);
            } else {
                let q = Decimal::from(rng.random_range(1..100));
                *held.entry((a, s)).or_default() += q;
                push(&mut txns, date, a, Action::Buy, s, q, price);
            }
        }
        // Quarterly reinvestments in the IRA for its first 40 positions.
        let ira: Vec<usize> = (0..SYMBOLS)
            .filter(|s| held.contains_key(&(2, *s)))
            .take(40)
            .collect();
        for s in ira {
            for q in 0..20u32 {
                let date = start + Days::new(91 * u64::from(q) + 30);
                if date < as_of {
                    push(
                        &mut txns,
                        date,
                        2,
                        Action::Reinvest,
                        s,
                        Decimal::new(5, 1),
                        price_on(&symbol(s), date),
                    );
                }
            }
        }
        let account = |name: &str, kind| Account {
            name: name.into(),
            kind,
            lot_method: LotMethod::Fifo,
        };
        let policy = Policy::new(
            &[
                account("Taxable", AccountKind::Taxable),
                account("Joint", AccountKind::Taxable),
                account("IRA", AccountKind::Ira),
            ],
            LotMethod::Fifo,
            securities,
        );
        let (book, errors) = replay(&txns, &policy);
        assert!(errors.is_empty(), "{:?}", &errors[..errors.len().min(3)]);
        let prices = closes
            .iter()
            .map(|(s, c)| (s.clone(), c.last().unwrap().1))
            .collect();
        Fixture {
            txns,
            book,
            policy,
            prices,
            closes,
            settings: Config::default().harvest_settings(),
            as_of,
        }
    })
}

#[divan::bench(sample_count = 20)]
fn harvest_scan_10k_lots_500_symbols(bencher: divan::Bencher) {
    let f = fixture();
    let market = f.market();
    bencher.bench_local(|| scan(&f.book, &f.policy, &f.txns, &market, f.as_of, &f.settings));
}

#[divan::bench(sample_count = 10)]
fn replay_with_wash_sales_then_scan(bencher: divan::Bencher) {
    let f = fixture();
    let market = f.market();
    bencher.bench_local(|| {
        let (book, _) = replay(&f.txns, &f.policy);
        scan(&book, &f.policy, &f.txns, &market, f.as_of, &f.settings)
    });
}

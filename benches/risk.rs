//! Risk metrics and the anomaly suite (figures in BENCHMARKS.md): 50 holdings with 10 years of
//! daily closes (2,610 weekdays, three shared factors plus noise), bought on the first day and
//! added to every month from monthly deposits. Seeded.
//!
//! Run with `cargo bench --bench risk`.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};
use folio::analytics::anomaly::{Thresholds, synthetic};
use folio::analytics::risk::Series;
use folio::app::analysis::{self, Data, float_closes};
use folio::domain::{Account, AccountKind, Action, LotMethod, Transaction};
use folio::ledger::Policy;
use rust_decimal::Decimal;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const HOLDINGS: usize = 50;
const YEARS: i32 = 10;

fn main() {
    let f = fixture();
    let r = analysis::risk(&f.data(), &f.floats, f.to, None, Some("S00"), 0.04);
    let a = analysis::anomalies(
        &f.data(),
        &f.floats,
        f.to,
        &Thresholds::default(),
        None,
        false,
    );
    eprintln!(
        "fixture: {} holdings x {} closes, {} transactions; portfolio volatility {:.1}%, {} findings",
        r.holdings.len(),
        f.closes["S00"].len(),
        f.txns.len(),
        r.portfolio.volatility.unwrap_or(f64::NAN) * 100.0,
        a.findings.len()
    );
    divan::main();
}

struct Fixture {
    txns: Vec<Transaction>,
    policy: Policy,
    closes: HashMap<String, Vec<(NaiveDate, Decimal)>>,
    floats: HashMap<String, Series>,
    to: NaiveDate,
}

impl Fixture {
    fn data(&self) -> Data<'_> {
        Data {
            txns: &self.txns,
            policy: &self.policy,
            closes: &self.closes,
            currency: "USD",
        }
    }
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let start = NaiveDate::from_ymd_opt(2016, 11, 21).unwrap();
        let end = NaiveDate::from_ymd_opt(2016 + YEARS, 11, 20).unwrap();
        let days: Vec<NaiveDate> = start
            .iter_days()
            .take_while(|d| *d <= end)
            .filter(|d| d.weekday().num_days_from_monday() < 5)
            .collect();
        let panel = synthetic::factor_panel(2026, days.len(), HOLDINGS);
        let mut closes = HashMap::new();
        for (s, r) in panel.symbols.iter().zip(&panel.returns) {
            let mut p = 100.0;
            let series: Vec<(NaiveDate, Decimal)> = days
                .iter()
                .zip(r)
                .map(|(d, x)| {
                    p *= 1.0 + x;
                    (*d, Decimal::try_from(p).unwrap().round_dp(2))
                })
                .collect();
            closes.insert(s.clone(), series);
        }
        let mut txns = Vec::new();
        let mut push =
            |date: NaiveDate, action, symbol: Option<&str>, q: Option<Decimal>, amount| {
                let id = txns.len() as i64 + 1;
                let price = symbol.map(|s: &str| {
                    let c: &Vec<(NaiveDate, Decimal)> = &closes[s];
                    c[c.partition_point(|(x, _)| *x <= date) - 1].1
                });
                txns.push(Transaction {
                    id,
                    uid: format!("t{id}"),
                    date,
                    account: "Taxable".into(),
                    action,
                    symbol: symbol.map(str::to_string),
                    quantity: q,
                    price,
                    fees: Decimal::ZERO,
                    amount,
                    currency: "USD".into(),
                    lot: None,
                    relief: None,
                    note: None,
                });
            };
        push(
            days[0],
            Action::Deposit,
            None,
            None,
            Some(Decimal::from(600_000)),
        );
        for s in &panel.symbols {
            push(
                days[0],
                Action::Buy,
                Some(s),
                Some(Decimal::from(100)),
                None,
            );
        }
        let mut month = days[0].month();
        let mut k = 0;
        for d in &days {
            if d.month() != month {
                month = d.month();
                push(*d, Action::Deposit, None, None, Some(Decimal::from(2_000)));
                push(
                    *d,
                    Action::Buy,
                    Some(&panel.symbols[k % HOLDINGS]),
                    Some(Decimal::from(10)),
                    None,
                );
                k += 7;
            }
        }
        let accounts = [Account {
            name: "Taxable".into(),
            kind: AccountKind::Taxable,
            lot_method: LotMethod::Fifo,
        }];
        let policy = Policy::new(&accounts, LotMethod::Fifo, Default::default());
        let floats = float_closes(&closes);
        Fixture {
            txns,
            policy,
            closes,
            floats,
            to: end,
        }
    })
}

/// Everything `folio risk --window all` computes after loading: the ledger walked over 10
/// years, the return index, metrics of the portfolio and 50 holdings against a benchmark, and
/// the 50 x 50 correlation matrix over 10 years. Closes are converted to floats inside.
#[divan::bench(sample_count = 20)]
fn risk_all_metrics_50_holdings_10y(bencher: divan::Bencher) {
    let f = fixture();
    bencher.bench_local(|| {
        let floats = float_closes(&f.closes);
        analysis::risk(&f.data(), &floats, f.to, None, Some("S00"), 0.04)
    });
}

/// The same over the default one-year window.
#[divan::bench(sample_count = 20)]
fn risk_1y_window(bencher: divan::Bencher) {
    let f = fixture();
    let from = Some(NaiveDate::from_ymd_opt(2016 + YEARS - 1, 11, 20).unwrap());
    bencher.bench_local(|| {
        let floats = float_closes(&f.closes);
        analysis::risk(&f.data(), &floats, f.to, from, Some("S00"), 0.04)
    });
}

/// The default anomaly suite (`folio anomalies` after loading) on the same data.
#[divan::bench(sample_count = 20)]
fn anomaly_suite_50_holdings_10y(bencher: divan::Bencher) {
    let f = fixture();
    let th = Thresholds::default();
    bencher.bench_local(|| {
        let floats = float_closes(&f.closes);
        analysis::anomalies(&f.data(), &floats, f.to, &th, None, false)
    });
}

/// The pure metrics alone, on a precomputed 10-year return index and closes.
#[divan::bench(sample_count = 20)]
fn metrics_and_correlations_only(bencher: divan::Bencher) {
    let f = fixture();
    let series: Vec<&Series> = f.floats.values().collect();
    bencher.bench_local(|| {
        let m: Vec<_> = series
            .iter()
            .map(|s| folio::analytics::risk::metrics(s, Some(&f.floats["S00"]), 0.04))
            .collect();
        let refs: Vec<&[(NaiveDate, f64)]> = series.iter().map(|s| s.as_slice()).collect();
        (m, folio::analytics::risk::correlation_matrix(&refs))
    });
}

//! Stress tests (figures in BENCHMARKS.md; target: a stress run of all scenarios under 10 ms):
//! - `all_scenarios_demo`: `folio stress`'s query on the demo (every scenario, every account):
//!   the positions and cash of the day from the ledger, the latest closes from SQLite, and the
//!   three scenarios applied;
//! - `all_scenarios_demo_json`: the same and its report written as JSON (what `--json` prints);
//! - `holdings_base_demo`: the day's positions, cash and closes alone, which every report of the
//!   holdings reads (the part of the first that is not the stress test);
//! - `apply_all_scenarios`: the pure part alone on a large book, 500 holdings in 5 accounts
//!   across every class (and unclassified symbols), three scenarios and a custom shock.
//!
//! Run with `cargo bench --bench stress`.

use std::collections::BTreeMap;

use folio::analytics::stress::{Custom, Position, Scenarios, Shocks, apply};
use folio::app::stress::{StressParams, stress};
use folio::app::{Access, Clock, Session};
use rust_decimal::Decimal;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn session() -> &'static Session {
    static S: std::sync::OnceLock<Session> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        Session::demo(Default::default(), Clock::Fixed(day), None, Access::Read).unwrap()
    })
}

fn main() {
    let r = stress(session(), &StressParams::default()).unwrap();
    for run in &r.scenarios {
        eprintln!(
            "demo, scenario {}: {} holdings, change {} ({}% of holdings)",
            run.id,
            run.result.holdings.len(),
            run.result.totals.change,
            run.result.totals.pct_of_holdings.unwrap_or_default()
        );
    }
    divan::main();
}

#[divan::bench(sample_count = 50)]
fn all_scenarios_demo() -> usize {
    let r = stress(session(), &StressParams::default()).unwrap();
    r.scenarios.len()
}

#[divan::bench(sample_count = 50)]
fn all_scenarios_demo_json() -> usize {
    let r = stress(session(), &StressParams::default()).unwrap();
    serde_json::to_string_pretty(&r).unwrap().len()
}

/// What every report of the day's holdings reads first (the positions and cash from the ledger,
/// the latest closes from SQLite): the part of `all_scenarios_demo` that is not the stress test.
#[divan::bench(sample_count = 50)]
fn holdings_base_demo() -> usize {
    folio::app::holdings::base(session(), None, None)
        .unwrap()
        .positions
        .len()
}

const CLASSES: [&str; 8] = [
    "US stocks",
    "International stocks",
    "Emerging markets",
    "US bonds",
    "International bonds",
    "Real estate",
    "Commodities",
    "Unclassified",
];

#[divan::bench(sample_count = 50)]
fn apply_all_scenarios(bencher: divan::Bencher) {
    let holdings: Vec<Position> = (0..500)
        .map(|i| Position {
            account: format!("Account {}", i % 5),
            symbol: format!("S{i:03}"),
            class: CLASSES[i % CLASSES.len()].to_string(),
            value: Decimal::new(1_000_000 + 7_919 * i as i64, 2),
        })
        .collect();
    let cash: BTreeMap<String, Decimal> = (0..5)
        .map(|a| (format!("Account {a}"), Decimal::from(10_000)))
        .collect();
    let scenarios = Scenarios::bundled();
    let custom = Custom {
        classes: BTreeMap::from([("US stocks".to_string(), Decimal::from(-30))]),
        symbols: BTreeMap::from([("S007".to_string(), Decimal::from(-50))]),
    };
    bencher.bench(|| {
        let mut n = 0;
        for s in scenarios.all() {
            n += apply(&holdings, &cash, Shocks::Scenario(s)).holdings.len();
        }
        n + apply(&holdings, &cash, Shocks::Custom(&custom))
            .holdings
            .len()
    });
}

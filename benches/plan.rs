//! Monte Carlo plans (figures in BENCHMARKS.md): 10,000 paths x 40 years monthly x 3
//! correlated assets (stocks, bonds, cash) with constant real withdrawals of 4%, on the
//! machine's cores and on one. `benches/plan_numpy.py` runs the same model in NumPy.
//!
//! Run with `cargo bench --bench plan`.

use folio::analytics::montecarlo::{
    Asset, Column, Control, Model, Spec, Strategy, Withdrawal, run,
};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The benchmark's plan; the NumPy script uses the same numbers.
pub fn spec() -> Spec {
    let asset = |name: &str, weight, mu, sigma, column| Asset {
        name: name.into(),
        weight,
        mu,
        sigma,
        column,
    };
    Spec {
        assets: vec![
            asset("stocks", 0.6, 0.085, 0.17, Column::Stocks),
            asset("bonds", 0.3, 0.045, 0.06, Column::Bonds),
            asset("cash", 0.1, 0.03, 0.01, Column::Cash),
        ],
        corr: vec![1.0, 0.1, 0.0, 0.1, 1.0, 0.2, 0.0, 0.2, 1.0],
        model: Model::Gbm,
        history: None,
        inflation: Some(0.025),
        years: 40,
        steps_per_year: 12,
        initial: 1_000_000.0,
        contribution: 0.0,
        withdrawal: Withdrawal::Rate(0.04),
        strategy: Strategy::ConstantReal,
        retire_in: 0,
        withdraw_at_end: false,
        fee: 0.0,
        rebalance: true,
        goal: None,
        paths: 10_000,
        seed: 42,
    }
}

fn main() {
    let s = spec();
    let o = run(&s, &Control::default()).unwrap().unwrap();
    println!(
        "10,000 paths x 40 years monthly x 3 assets: success {:.4}, median terminal {:.0}",
        o.success_rate, o.terminal.p50
    );
    divan::main();
}

#[divan::bench(sample_count = 30)]
fn plan_all_cores() {
    let s = spec();
    divan::black_box(run(&s, &Control::default()).unwrap().unwrap());
}

#[divan::bench(sample_count = 10)]
fn plan_one_thread() {
    let s = spec();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    divan::black_box(pool.install(|| run(&s, &Control::default()).unwrap().unwrap()));
}

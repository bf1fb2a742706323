//! The efficient frontier (`folio frontier`): a 50-point long-only frontier of 12 assets
//! (target: under 100 ms), its estimate from five years of daily returns, and placing a mix
//! against the curve. Seeded data: three shared factors plus noise, each asset with its own
//! drift (annual means from about 2% to 15%).
//!
//! Run with `cargo bench --bench frontier`.

use folio::analytics::anomaly::synthetic::factor_panel;
use folio::analytics::frontier::{self, Inputs};
use nalgebra::DMatrix;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Five years of trading days.
const DAYS: usize = 1260;

/// `assets` columns of daily returns, one row per day.
fn rows(assets: usize) -> Vec<Vec<f64>> {
    let panel = factor_panel(7, DAYS, assets);
    (0..DAYS)
        .map(|t| {
            (0..assets)
                .map(|i| panel.returns[i][t] - 0.0002 + 0.0004 * i as f64 / assets as f64)
                .collect()
        })
        .collect()
}

struct Problem {
    means: Vec<f64>,
    cov: DMatrix<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
}

impl Problem {
    fn new(assets: usize, max_weight: f64) -> Problem {
        let rows = rows(assets);
        let refs: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
        let (means, cov) = frontier::estimate(&refs);
        Problem {
            means,
            cov,
            lower: vec![0.0; assets],
            upper: vec![max_weight; assets],
        }
    }

    fn inputs(&self) -> Inputs<'_> {
        Inputs {
            means: &self.means,
            cov: &self.cov,
            lower: &self.lower,
            upper: &self.upper,
            risk_free: 0.04,
        }
    }
}

fn main() {
    let p = Problem::new(12, 1.0);
    let f = frontier::frontier(&p.inputs(), 50).expect("a frontier");
    eprintln!(
        "fixture: 12 assets x {DAYS} days; minimum variance {:.1}% at {:.1}% volatility, maximum return {:.1}% at {:.1}%",
        f.min_variance.ret * 100.0,
        f.min_variance.volatility * 100.0,
        f.max_return.ret * 100.0,
        f.max_return.volatility * 100.0
    );
    divan::main();
}

/// The target: 50 points of 12 assets, with the minimum-variance, maximum-return and
/// maximum-Sharpe portfolios (52 quadratic programs and a linear one).
#[divan::bench(sample_count = 20)]
fn frontier_50_points_12_assets(bencher: divan::Bencher) {
    let p = Problem::new(12, 1.0);
    bencher.bench_local(|| frontier::frontier(&p.inputs(), 50).unwrap());
}

/// The same with every weight at most 25% (more bounds bind).
#[divan::bench(sample_count = 20)]
fn frontier_50_points_12_assets_max_25pct(bencher: divan::Bencher) {
    let p = Problem::new(12, 0.25);
    bencher.bench_local(|| frontier::frontier(&p.inputs(), 50).unwrap());
}

/// The estimate the command makes first: annualised means and the Ledoit-Wolf covariance of
/// 1,260 days of 12 assets.
#[divan::bench(sample_count = 20)]
fn estimate_12_assets_5y(bencher: divan::Bencher) {
    let rows = rows(12);
    let refs: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
    bencher.bench_local(|| frontier::estimate(&refs));
}

/// Today's mix against the curve: a quadratic and a second-order cone program.
#[divan::bench(sample_count = 20)]
fn place_a_mix_12_assets(bencher: divan::Bencher) {
    let p = Problem::new(12, 1.0);
    let equal = vec![1.0 / 12.0; 12];
    let curve = frontier::frontier(&p.inputs(), 50).unwrap();
    bencher.bench_local(|| frontier::place(&p.inputs(), &curve, &equal).unwrap());
}

/// A larger book: 50 points of 50 assets.
#[divan::bench(sample_count = 10)]
fn frontier_50_points_50_assets(bencher: divan::Bencher) {
    let p = Problem::new(50, 1.0);
    bencher.bench_local(|| frontier::frontier(&p.inputs(), 50).unwrap());
}

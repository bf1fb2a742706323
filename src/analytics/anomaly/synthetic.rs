//! Seeded synthetic returns with known anomalies: what the detectors' tests and the precision and
//! recall benchmark run on.

use chrono::NaiveDate;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;

use super::Panel;

/// `n` independent normal returns with standard deviation `sd`.
pub fn normal_series(seed: u64, n: usize, sd: f64) -> Vec<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..n)
        .map(|_| sd * rng.sample::<f64, _>(StandardNormal))
        .collect()
}

/// Returns driven by three shared factors plus noise, as real holdings move: `assets` series of
/// `days` business days from 2015-01-02, portfolio = equal weights.
pub fn factor_panel(seed: u64, days: usize, assets: usize) -> Panel {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut normal = move || rng.sample::<f64, _>(StandardNormal);
    let factors = 3;
    let loadings: Vec<Vec<f64>> = (0..assets)
        .map(|i| {
            (0..factors)
                .map(|k| match k {
                    0 => 0.8 + 0.1 * normal(),
                    _ if i % factors == k => 0.6,
                    _ => 0.1 * normal(),
                })
                .collect()
        })
        .collect();
    let mut returns = vec![Vec::with_capacity(days); assets];
    for _ in 0..days {
        let f: Vec<f64> = (0..factors).map(|_| 0.009 * normal()).collect();
        for (i, series) in returns.iter_mut().enumerate() {
            let common: f64 = loadings[i].iter().zip(&f).map(|(l, f)| l * f).sum();
            series.push(0.0003 + common + 0.006 * normal());
        }
    }
    let portfolio = (0..days)
        .map(|t| returns.iter().map(|s| s[t]).sum::<f64>() / assets as f64)
        .collect();
    let mut dates = Vec::with_capacity(days);
    let mut d = NaiveDate::from_ymd_opt(2015, 1, 2).unwrap_or_default();
    while dates.len() < days {
        use chrono::Datelike;
        if d.weekday().number_from_monday() <= 5 {
            dates.push(d);
        }
        d = d.succ_opt().unwrap_or(d);
    }
    Panel {
        dates,
        symbols: (0..assets).map(|i| format!("S{i:02}")).collect(),
        returns,
        portfolio,
    }
}

/// The kinds of anomaly [`plant`] injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One holding moves 6 to 10 of its usual days at once (a shock or a bad print).
    Jump,
    /// Every holding moves a usual amount, but against the factors they share: nothing stands
    /// out alone, only together.
    Decoupling,
}

/// Injects `count` anomalies of `kind` on distinct days after `warmup`, at least 5 days apart;
/// returns the days (ascending).
pub fn plant(panel: &mut Panel, seed: u64, warmup: usize, count: usize, kind: Kind) -> Vec<usize> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let n = panel.dates.len();
    let mut days: Vec<usize> = Vec::new();
    while days.len() < count && warmup + 5 < n {
        let t = rng.random_range(warmup..n);
        if days.iter().all(|d| d.abs_diff(t) >= 5) {
            days.push(t);
        }
    }
    days.sort_unstable();
    let assets = panel.returns.len();
    for &t in &days {
        match kind {
            Kind::Jump => {
                let i = rng.random_range(0..assets);
                let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
                panel.returns[i][t] = sign * rng.random_range(0.08..0.13);
            }
            Kind::Decoupling => {
                // Half the holdings up and half down by a usual day's move each.
                for (i, series) in panel.returns.iter_mut().enumerate() {
                    let sign = if (i + t) % 2 == 0 { 1.0 } else { -1.0 };
                    series[t] = sign * rng.random_range(0.008..0.016);
                }
            }
        }
        panel.portfolio[t] = panel.returns.iter().map(|s| s[t]).sum::<f64>() / assets as f64;
    }
    days
}

//! Risk metrics of a price or value series (../shared/TAX_AND_ANALYTICS.md section 4): volatility,
//! Sharpe, Sortino, drawdowns, value at risk and expected shortfall, beta and correlation.
//! Pure, in f64 (statistics, not money). Series that are too short say what they cannot compute.

use chrono::NaiveDate;
use serde::Serialize;

/// Trading days in a year: the annualisation factor for daily data.
pub const YEAR: f64 = 252.0;
/// Returns needed before volatility, ratios, beta or a 95% VaR mean anything.
pub const MIN_RETURNS: usize = 20;
/// Returns needed for a 99% historical VaR (one observation in the tail is not a quantile).
pub const MIN_RETURNS_99: usize = 100;
/// The longer VaR horizon, in trading days.
pub const LONG_HORIZON: usize = 10;

/// A level (a price, or a return index) on each date, ascending.
pub type Levels = [(NaiveDate, f64)];
/// An owned [`Levels`].
pub type Series = Vec<(NaiveDate, f64)>;

/// The fall of `levels` from their running peak (0 at a peak, -0.1 ten percent below it),
/// from `from` on.
pub fn drawdown_series(levels: &[(NaiveDate, f64)], from: Option<NaiveDate>) -> Series {
    let i = from.map_or(0, |f| levels.partition_point(|(d, _)| *d < f));
    let mut peak = f64::MIN;
    levels[i..]
        .iter()
        .map(|(d, v)| {
            peak = peak.max(*v);
            (*d, v / peak - 1.0)
        })
        .collect()
}

pub fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample standard deviation (n - 1); None under two values.
pub fn sample_sd(x: &[f64]) -> Option<f64> {
    if x.len() < 2 {
        return None;
    }
    let m = mean(x);
    Some((x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt())
}

/// Simple returns between consecutive levels.
pub fn returns(levels: &Levels) -> Vec<f64> {
    levels.windows(2).map(|w| w[1].1 / w[0].1 - 1.0).collect()
}

/// The two series on the dates both have (each ascending).
pub fn align(a: &Levels, b: &Levels) -> (Series, Series) {
    let (mut i, mut j) = (0, 0);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                x.push(a[i]);
                y.push(b[j]);
                i += 1;
                j += 1;
            }
        }
    }
    (x, y)
}

/// Annualised volatility: sample sd of daily returns x sqrt(252).
pub fn volatility(r: &[f64]) -> Option<f64> {
    sample_sd(r).map(|s| s * YEAR.sqrt())
}

/// mean(R - Rf) / sd(R - Rf) x sqrt(252); `rf` is the daily risk-free return.
pub fn sharpe(r: &[f64], rf: f64) -> Option<f64> {
    let excess: Vec<f64> = r.iter().map(|v| v - rf).collect();
    let sd = sample_sd(&excess).filter(|s| *s > 0.0)?;
    Some(mean(&excess) / sd * YEAR.sqrt())
}

/// (mean(R) - MAR) x 252 / (sqrt(mean over all periods of min(0, R - MAR)^2) x sqrt(252)).
/// The downside deviation averages over every period, not only the losing ones.
pub fn sortino(r: &[f64], mar: f64) -> Option<f64> {
    if r.is_empty() {
        return None;
    }
    let downside =
        (r.iter().map(|v| (v - mar).min(0.0).powi(2)).sum::<f64>() / r.len() as f64).sqrt();
    (downside > 0.0).then(|| (mean(r) - mar) * YEAR / (downside * YEAR.sqrt()))
}

/// The deepest fall from a running peak, by index into the levels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drawdown {
    /// V_trough / V_peak - 1 (negative, or 0 without a fall).
    pub depth: f64,
    pub peak: usize,
    pub trough: usize,
    /// The first level back at the peak's, if any.
    pub recovery: Option<usize>,
}

/// The maximum drawdown: min over t of V_t / max_{s<=t} V_s - 1. None for an empty series.
pub fn max_drawdown(levels: &[f64]) -> Option<Drawdown> {
    let mut best = Drawdown {
        depth: 0.0,
        peak: 0,
        trough: 0,
        recovery: None,
    };
    let mut peak = 0;
    for (t, v) in levels.iter().enumerate() {
        if *v > levels[peak] {
            peak = t;
        }
        let dd = v / levels[peak] - 1.0;
        if dd < best.depth {
            best = Drawdown {
                depth: dd,
                peak,
                trough: t,
                recovery: None,
            };
        }
    }
    if levels.is_empty() {
        return None;
    }
    best.recovery = (best.depth < 0.0)
        .then(|| {
            levels[best.trough..]
                .iter()
                .position(|v| *v >= levels[best.peak])
                .map(|i| best.trough + i)
        })
        .flatten();
    Some(best)
}

/// How far the last level is below the highest so far (0 at a new high).
pub fn current_drawdown(levels: &[f64]) -> Option<f64> {
    let last = levels.last()?;
    let peak = levels.iter().copied().fold(f64::MIN, f64::max);
    Some(last / peak - 1.0)
}

/// The p-quantile with linear interpolation between order statistics (NumPy's default).
/// `sorted` must be ascending and non-empty.
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let (lo, frac) = (h.floor() as usize, h - h.floor());
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + frac * (sorted[hi] - sorted[lo])
}

/// Historical VaR and expected shortfall at `level` (0.95): VaR = -q(1 - level); CVaR is minus
/// the mean of the returns at or below -VaR. Both are losses, positive when returns can be lost.
pub fn historical_var(r: &[f64], level: f64) -> Option<(f64, f64)> {
    if r.is_empty() {
        return None;
    }
    let mut sorted = r.to_vec();
    sorted.sort_by(f64::total_cmp);
    let q = quantile(&sorted, 1.0 - level);
    let tail: Vec<f64> = sorted.iter().copied().filter(|v| *v <= q).collect();
    Some((-q, -mean(&tail)))
}

/// Gaussian VaR and expected shortfall: -(mu + z sigma) and -mu + sigma k, with z and k of the
/// standard normal at `level` (z(0.95) = -1.6449, k(0.95) = 2.0627).
pub fn parametric_var(mu: f64, sigma: f64, level: f64) -> (f64, f64) {
    use statrs::distribution::{Continuous, ContinuousCDF, Normal};
    let n = Normal::standard();
    let z = n.inverse_cdf(1.0 - level);
    let k = n.pdf(z) / (1.0 - level);
    (-(mu + z * sigma), -mu + sigma * k)
}

/// Compounded returns over every run of `h` consecutive days (overlapping).
pub fn horizon_returns(r: &[f64], h: usize) -> Vec<f64> {
    if r.len() < h {
        return Vec::new();
    }
    let log: Vec<f64> = r.iter().map(|v| v.ln_1p()).collect();
    let mut sum: f64 = log[..h].iter().sum();
    let mut out = vec![sum.exp_m1()];
    for t in h..log.len() {
        sum += log[t] - log[t - h];
        out.push(sum.exp_m1());
    }
    out
}

/// Pearson correlation; None when either side does not move.
pub fn correlation(a: &[f64], b: &[f64]) -> Option<f64> {
    let (ma, mb) = (mean(a), mean(b));
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    (saa > 0.0 && sbb > 0.0).then(|| sab / (saa * sbb).sqrt())
}

/// cov(Rp - Rf, Rm - Rf) / var(Rm - Rf).
pub fn beta(rp: &[f64], rm: &[f64], rf: f64) -> Option<f64> {
    let (mp, mm) = (mean(rp) - rf, mean(rm) - rf);
    let (mut cov, mut var) = (0.0, 0.0);
    for (p, m) in rp.iter().zip(rm) {
        cov += (p - rf - mp) * (m - rf - mm);
        var += (m - rf - mm).powi(2);
    }
    (var > 0.0).then(|| cov / var)
}

/// VaR and expected shortfall at one level and horizon, historical and Gaussian.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct VarRow {
    pub level: f64,
    pub horizon_days: usize,
    pub historical_var: Option<f64>,
    pub historical_cvar: Option<f64>,
    pub parametric_var: Option<f64>,
    pub parametric_cvar: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct DrawdownReport {
    pub depth: f64,
    pub peak: NaiveDate,
    pub trough: NaiveDate,
    pub recovery: Option<NaiveDate>,
    /// Calendar days from the peak to the recovery, or to the last date while still under water.
    pub duration_days: i64,
}

/// Everything `folio risk` says about one series. Ratios are fractions (0.12 is 12%); a metric
/// the data cannot support is None, with the reason in `unavailable`.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Metrics {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Daily returns in the window.
    pub observations: usize,
    pub total_return: Option<f64>,
    pub annualised_return: Option<f64>,
    pub volatility: Option<f64>,
    pub sharpe: Option<f64>,
    pub sortino: Option<f64>,
    pub max_drawdown: Option<DrawdownReport>,
    pub current_drawdown: Option<f64>,
    pub var: Vec<VarRow>,
    pub beta: Option<f64>,
    pub correlation: Option<f64>,
    /// Returns the beta and correlation were computed on (the dates both series have).
    pub benchmark_observations: usize,
    pub unavailable: Vec<String>,
}

/// The metrics of `levels` (a price or return index) against an optional benchmark's levels;
/// `rf` is the annual risk-free rate.
pub fn metrics(levels: &Levels, benchmark: Option<&Levels>, rf: f64) -> Metrics {
    let r = returns(levels);
    let n = r.len();
    let rf_daily = rf / YEAR;
    let mut unavailable = Vec::new();
    let enough = n >= MIN_RETURNS;
    if !enough {
        unavailable.push(format!(
            "volatility, Sharpe, Sortino and VaR need at least {MIN_RETURNS} daily returns; there are {n}"
        ));
    }
    let gate = |v: Option<f64>| v.filter(|_| enough).filter(|v| v.is_finite());
    let values: Vec<f64> = levels.iter().map(|(_, v)| *v).collect();
    let first_last = levels.first().zip(levels.last());
    let total_return = first_last
        .filter(|_| n > 0)
        .map(|((_, a), (_, b))| b / a - 1.0);
    let days = first_last
        .map(|((a, _), (b, _))| (*b - *a).num_days())
        .unwrap_or(0);
    let max_drawdown = max_drawdown(&values).filter(|_| n > 0).map(|d| {
        let end = d.recovery.unwrap_or(levels.len() - 1);
        DrawdownReport {
            depth: d.depth,
            peak: levels[d.peak].0,
            trough: levels[d.trough].0,
            recovery: d.recovery.map(|i| levels[i].0),
            duration_days: (levels[end].0 - levels[d.peak].0).num_days(),
        }
    });
    let mut var = Vec::new();
    let sd = sample_sd(&r);
    for level in [0.95, 0.99] {
        for h in [1, LONG_HORIZON] {
            let sample = if h == 1 {
                r.clone()
            } else {
                horizon_returns(&r, h)
            };
            let need = if level > 0.95 {
                MIN_RETURNS_99
            } else {
                MIN_RETURNS
            };
            let hist = historical_var(&sample, level).filter(|_| sample.len() >= need);
            let param = sd
                .filter(|_| enough)
                .map(|s| parametric_var(mean(&r) * h as f64, s * (h as f64).sqrt(), level));
            if hist.is_none() && enough {
                unavailable.push(format!(
                    "historical VaR at {:.0}% over {h} day{}: needs {need} {}returns, there are {}",
                    level * 100.0,
                    if h == 1 { "" } else { "s" },
                    if h == 1 { "" } else { "overlapping 10-day " },
                    sample.len()
                ));
            }
            var.push(VarRow {
                level,
                horizon_days: h,
                historical_var: hist.map(|v| v.0),
                historical_cvar: hist.map(|v| v.1),
                parametric_var: param.map(|v| v.0),
                parametric_cvar: param.map(|v| v.1),
            });
        }
    }
    let (mut beta_v, mut corr, mut bench_n) = (None, None, 0);
    if let Some(b) = benchmark {
        let (x, y) = align(levels, b);
        let (rp, rm) = (returns(&x), returns(&y));
        bench_n = rp.len();
        if bench_n >= MIN_RETURNS {
            beta_v = beta(&rp, &rm, rf_daily);
            corr = correlation(&rp, &rm);
        } else {
            unavailable.push(format!(
                "beta and correlation need at least {MIN_RETURNS} returns on dates both series have; there are {bench_n}"
            ));
        }
    }
    Metrics {
        from: levels.first().map(|l| l.0),
        to: levels.last().map(|l| l.0),
        observations: n,
        total_return,
        annualised_return: total_return.and_then(|t| super::performance::annualise(t, days)),
        volatility: gate(volatility(&r)),
        sharpe: gate(sharpe(&r, rf_daily)),
        sortino: gate(sortino(&r, rf_daily)),
        max_drawdown,
        current_drawdown: current_drawdown(&values).filter(|_| n > 0),
        var,
        beta: beta_v,
        correlation: corr,
        benchmark_observations: bench_n,
        unavailable,
    }
}

/// The correlation of every pair of series on the dates each pair has in common; None for a pair
/// with fewer than [`MIN_RETURNS`] returns together. Symmetric, 1 on the diagonal.
pub fn correlation_matrix(series: &[&Levels]) -> Vec<Vec<Option<f64>>> {
    let n = series.len();
    let mut m = vec![vec![None; n]; n];
    for i in 0..n {
        m[i][i] = Some(1.0);
        for j in i + 1..n {
            let (a, b) = align(series[i], series[j]);
            let (ra, rb) = (returns(&a), returns(&b));
            let c = (ra.len() >= MIN_RETURNS)
                .then(|| correlation(&ra, &rb))
                .flatten();
            m[i][j] = c;
            m[j][i] = c;
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: [f64; 23] = [
        100.0, 101.0, 99.5, 100.2, 102.0, 101.1, 103.5, 102.8, 104.0, 99.0, 97.5, 98.8, 100.5,
        101.9, 101.0, 103.2, 104.1, 103.6, 105.0, 106.2, 105.4, 104.9, 106.8,
    ];
    const B: [f64; 23] = [
        50.0, 50.4, 49.8, 50.1, 50.9, 50.6, 51.5, 51.2, 51.9, 49.9, 49.1, 49.7, 50.4, 51.1, 50.8,
        51.6, 52.0, 51.8, 52.5, 53.0, 52.7, 52.6, 53.3,
    ];

    fn levels(v: &[f64]) -> Vec<(NaiveDate, f64)> {
        let d0 = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        v.iter()
            .enumerate()
            .map(|(i, x)| (d0 + chrono::Days::new(i as u64), *x))
            .collect()
    }

    fn close(a: Option<f64>, b: f64) {
        let a = a.expect("a value");
        assert!((a - b).abs() < 1e-9 * b.abs().max(1.0), "{a} != {b}");
    }

    /// Expected values from NumPy on the same series (np.std(ddof=1), np.percentile,
    /// np.cov, np.corrcoef; the normal quantiles from Python's statistics.NormalDist).
    #[test]
    fn each_metric_matches_numpy_on_a_fixed_series() {
        let m = metrics(&levels(&P), Some(&levels(&B)), 0.04);
        assert_eq!(m.observations, 22);
        close(m.volatility, 0.26566781560562824);
        close(m.sharpe, 2.818420800012044);
        close(m.sortino, 3.9711874803803315);
        close(m.beta, 1.2039610407087746);
        close(m.correlation, 0.9924826847634225);
        close(m.total_return, 0.068);
        let dd = m.max_drawdown.as_ref().unwrap();
        close(Some(dd.depth), -0.0625);
        assert_eq!(dd.peak.to_string(), "2025-01-09");
        assert_eq!(dd.trough.to_string(), "2025-01-11");
        assert_eq!(dd.recovery.unwrap().to_string(), "2025-01-17");
        assert_eq!(dd.duration_days, 8);
        assert_eq!(m.current_drawdown, Some(0.0));
        let row = |level: f64, h: usize| {
            m.var
                .iter()
                .find(|v| v.level == level && v.horizon_days == h)
                .unwrap()
        };
        close(row(0.95, 1).historical_var, 0.015136513651365124);
        close(row(0.95, 1).historical_cvar, 0.03161421911421913);
        close(row(0.95, 1).parametric_var, 0.024397432083381927);
        close(row(0.95, 1).parametric_cvar, 0.03139051411549415);
        close(row(0.99, 1).parametric_var, 0.035802578592231495);
        close(row(0.99, 1).parametric_cvar, 0.0414736761004396);
        // 22 returns cannot give a 99% quantile, nor twenty 10-day windows.
        assert_eq!(row(0.99, 1).historical_var, None);
        assert_eq!(row(0.95, 10).historical_var, None);
        assert!(m.unavailable.iter().any(|u| u.contains("99%")));
    }

    #[test]
    fn the_notes_normal_constants_hold() {
        let (v, c) = parametric_var(0.0, 1.0, 0.95);
        assert!((v - 1.6449).abs() < 1e-4 && (c - 2.0627).abs() < 1e-4);
        let (v, c) = parametric_var(0.0, 1.0, 0.99);
        assert!((v - 2.3263).abs() < 1e-4 && (c - 2.6652).abs() < 1e-4);
    }

    #[test]
    fn short_and_empty_series_say_what_they_cannot_compute() {
        for v in [&P[..0], &P[..1], &P[..5]] {
            let m = metrics(&levels(v), Some(&levels(&B)), 0.04);
            assert_eq!(m.volatility, None);
            assert_eq!(m.sharpe, None);
            assert_eq!(m.beta, None);
            assert!(m.var.iter().all(|r| r.historical_var.is_none()));
            assert!(!m.unavailable.is_empty(), "{m:?}");
            if v.len() < 2 {
                assert_eq!(m.max_drawdown, None);
                assert_eq!(m.total_return, None);
            }
        }
    }

    #[test]
    fn a_benchmark_with_missing_days_is_aligned_on_common_dates() {
        let p = levels(&P);
        let mut b = levels(&B);
        // Drop two benchmark days: the portfolio's returns are taken over the same gaps.
        b.remove(5);
        b.remove(12);
        let m = metrics(&p, Some(&b), 0.0);
        assert_eq!(m.benchmark_observations, 20);
        let (x, y) = align(&p, &b);
        let (rp, rm) = (returns(&x), returns(&y));
        close(m.beta, beta(&rp, &rm, 0.0).unwrap());
        assert!(m.correlation.unwrap() > 0.95);
        // Too few days in common: no beta, and it says why.
        let m = metrics(&p, Some(&b[..10]), 0.0);
        assert_eq!(m.beta, None);
        assert!(m.unavailable.iter().any(|u| u.contains("beta")));
    }

    #[test]
    fn ten_day_returns_compound_overlapping_windows() {
        let r = [0.01; 12];
        let h = horizon_returns(&r, 10);
        assert_eq!(h.len(), 3);
        assert!((h[0] - (1.01f64.powi(10) - 1.0)).abs() < 1e-12);
        assert!(horizon_returns(&r[..5], 10).is_empty());
    }

    #[test]
    fn the_correlation_matrix_is_pairwise() {
        let p = levels(&P);
        let b = levels(&B);
        let short = levels(&P[..5]);
        let m = correlation_matrix(&[&p, &b, &short]);
        assert_eq!(m[0][0], Some(1.0));
        assert_eq!(m[0][1], m[1][0]);
        close(m[0][1], 0.9924826847634225);
        assert_eq!(m[0][2], None);
    }
}
